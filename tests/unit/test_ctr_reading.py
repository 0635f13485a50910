"""Reading CTR files: every shape, with the position each record or problem is named by."""

from __future__ import annotations

from typing import Any

from connectlocal.ctrfiles import Problem, records


def _read(data: bytes) -> list[tuple[str, Any]]:
    return [(position, item.message if isinstance(item, Problem) else item["n"])
            for position, item in records(data, "f")]


def test_json_lines_and_blank_lines() -> None:
    assert _read(b'{"n": 1}\n\n{"n": 2}\n') == [("line 1", 1), ("line 3", 2)]


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
