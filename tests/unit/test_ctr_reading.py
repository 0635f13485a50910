"""Reading CTR files: every shape, with the position each record or problem is named by."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path
from typing import Any

from connectlocal.ctrfiles import Problem, read_paths, records


def _read(data: bytes) -> list[tuple[str, Any]]:
    return [(position, item.message if isinstance(item, Problem) else item["n"])
            for position, item in records(data, "f")]


def test_json_lines_and_blank_lines() -> None:
    assert _read(b'{"n": 1}\n\n{"n": 2}\n') == [("line 1", 1), ("line 3", 2)]


def test_lines_read_as_bytes_or_text_are_numbered_alike() -> None:
    """A line of JSON Lines is read from its bytes; one that is not valid UTF-8 (read as text,
    each bad byte replaced), blank or indented lines, CRLF endings and a last line with no
    newline keep the file's numbering."""
    data = (b'{"n": 1}\r\n  \r\n{"n": 2, "x": "\xff\xfe"}\n   {"n": 3}\n\n'
            b'{"n": 4}{"n": 5}\n{"n": 6}')
    assert _read(data) == [("line 1", 1), ("line 3", 2), ("line 4", 3), ("line 6", 4),
                           ("line 6, object 2", 5), ("line 7", 6)]
    (_, second), = [(p, i) for p, i in records(data, "f") if p == "line 3"]
    assert second["x"] == "\ufffd\ufffd"


def test_an_array() -> None:
    assert _read(b' [{"n": 1}, {"n": 2}]') == [("record 1", 1), ("record 2", 2)]


def test_firehose_objects_with_no_separator() -> None:
    assert _read(b'{"n": 1}{"n": 2}{"n": 3}\n{"n": 4}') == [
        ("line 1", 1), ("line 1, object 2", 2), ("line 1, object 3", 3), ("line 2", 4)]


def test_one_pretty_printed_object_then_more() -> None:
    assert _read(b'{\n  "n": 1\n}\n{"n": 2}\n') == [("line 1", 1), ("line 4", 2)]


def test_a_broken_line_is_named_and_the_next_is_read() -> None:
    read = _read(b'{"n": 1}\n{"n": \n{"n": 3}\n')
    assert read[0] == ("line 1", 1)
    assert read[1][0] == "line 2" and read[1][1].startswith("not JSON")
    assert read[-1] == ("line 3", 3)


def _messages(data: bytes) -> list[tuple[str, Any]]:
    return [(position, item.message if isinstance(item, Problem) else item)
            for position, item in records(data, "f")]


def test_a_broken_object_over_several_lines_is_named_where_it_starts_and_breaks() -> None:
    # Its error is where the file breaks it, in the file's lines; the reading goes on from
    # the line after its first (what is there is read as it can be, a string here).
    assert _messages(b'{"n": 1}\n\n{\n  "n": 2,\n}\n{"n": 6}\n') == [
        ("line 1", {"n": 1}),
        ("line 3", "not JSON: Expecting property name enclosed in double quotes "
                   "(line 5, column 1)"),
        ("line 4", "n"), ("line 4", "not JSON: Expecting value (line 4, column 6)"),
        ("line 5", "not JSON: Expecting value (line 5, column 1)"),
        ("line 6", {"n": 6})]
    # One still open at the end of the file breaks there.
    assert _messages(b'{"n": 1}\n{\n  "n": 2,\n  "m": [1,\n')[:2] == [
        ("line 1", {"n": 1}), ("line 2", "not JSON: Expecting value (line 5, column 1)")]


def test_a_pretty_printed_object_after_records_keeps_the_lines_of_the_file() -> None:
    data = b'{"n": 1}\n{"n": 2}{"n": 3}\n{\n  "n": 4,\n  "m": [\n 1]\n}{"n": 5}\n{"n": 6}'
    assert _read(data) == [("line 1", 1), ("line 2", 2), ("line 2, object 2", 3),
                           ("line 3", 4), ("line 7, object 2", 5), ("line 8", 6)]


class _Lines(io.RawIOBase):
    """A file of ``count`` JSON Lines records made as they are read, counting the bytes."""

    def __init__(self, count: int) -> None:
        self.left, self.given, self._pending = count, 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while len(self._pending) < len(buffer) and self.left:
            self._pending += b'{"n": %d, "pad": "%s"}\n' % (self.left, b"x" * 200)
            self.left -= 1
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.given += size
        return size


def test_json_lines_are_read_as_they_are_taken_not_whole() -> None:
    source = _Lines(200_000)  # ~45 MB
    reading = records(io.BufferedReader(source), "f")
    assert next(reading) == ("line 1", {"n": 200_000, "pad": "x" * 200})
    assert source.given < 1_000_000
    assert sum(1 for _ in reading) == 199_999


def test_a_gzip_file_cut_short_gives_its_records_then_the_problem(tmp_path: Path) -> None:
    whole = gzip.compress(b"".join(b'{"n": %d, "pad": "%s"}\n' % (n, os.urandom(64).hex()
                                                                   .encode())
                                   for n in range(1, 2001)))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[:len(whole) // 2])
    read = list(read_paths([str(path)]))
    assert [item["n"] for _, _, item in read[:-1]] == list(range(1, len(read)))
    assert len(read) > 100
    source, position, problem = read[-1]
    assert (source, position) == (str(path), "the file")
    assert isinstance(problem, Problem) and problem.message.startswith("cannot read: ")
