"""A user's mistake on the command line is one clear line on stderr and exit status 2, from
every command: bad options, bad environment variables, stores that cannot be opened."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.http_only


def connectlocal(*args: str, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "connectlocal.cli", *args],
                          capture_output=True, text=True, timeout=60, cwd=cwd,
                          env={**os.environ, **(env or {})})


def refused(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """The one line a refusal printed, which must say each of ``words``."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(("args", "words"), [
    (["serve", "--port", "99999"], ["--port", "99999", "0 to 65535"]),
    (["serve", "--port", "http"], ["--port", "invalid int value 'http'"]),
    (["serve", "--workers", "0"], ["--workers", "1 to 256"]),
    (["serve", "--clock", "yesterday"], ["--clock", "not an ISO 8601 instant"]),
    (["serve", "--accounts", "AKIA=12"], ["--accounts", "12 digits"]),
    (["serve", "--ctr-webhook", "ftp://x"], ["--ctr-webhook", "http"]),
    (["serve", "--log-level", "loud"], ["--log-level", "loud"]),
    # Missing directories are made (as the stream makes them); under a file they cannot be.
    (["serve", "--ctr-file", "/dev/null/ctrs.jsonl"], ["--ctr-file", "cannot append",
                                                       "Not a directory"]),
    (["serve", "--data", ":memory:", "--throttle", "no-such-quotas.json"],
     ["throttle file", "No such file or directory"]),
    (["serve", "--data", ":memory:", "--faults", "no-such-faults.json"],
     ["faults file", "No such file or directory"]),
    (["serve", "--data", ":memory:", "--auth", "strict"], ["--auth strict", "KEY:SECRET"]),
    (["simulate", "--hold-probability", "5"], ["--hold-probability", "0 to 1"]),
    (["simulate", "--callback-probability", "-3"], ["--callback-probability", "0 to 1"]),
    (["simulate", "--transfer-probability", "nan"], ["--transfer-probability", "finite"]),
    (["simulate", "--days", "0"], ["--days", "more than 0"]),
    (["simulate", "--days", "1e9"], ["--days", "at most"]),
    (["simulate", "--rate", "inf"], ["--rate", "finite"]),
    (["simulate", "--agents", "0"], ["--agents", "1 to"]),
    (["simulate", "--handle-seconds", "1e12"], ["--handle-seconds", "at most"]),
    (["simulate", "--seed", "-1"], ["--seed", "0 to"]),
    (["simulate", "--end", "soon"], ["--end", "ISO 8601"]),
    (["simulate", "--account", "12"], ["--account", "12 digits"]),
    (["simulate", "--endpoint", "localhost:4599"], ["--endpoint", "URL"]),
    (["export", "--instance-id", "i", "--since", "June"], ["--since", "ISO 8601"]),
    (["export", "--instance-id", "i", "--region", "mars"], ["--region", "mars"]),
    (["import", "--endpoint", "http://127.0.0.1:99999", "x.json"], ["--endpoint", "port"]),
    (["export"], ["--instance-id"]),
    (["launch"], ["launch"]),
])
def test_a_bad_option_is_one_line(args: list[str], words: list[str], tmp_path: Path) -> None:
    refused(connectlocal(*args, cwd=tmp_path), *words)


@pytest.mark.parametrize(("variable", "value", "args", "words"), [
    ("CONNECTLOCAL_PORT", "abc", ["serve"],
     ["CONNECTLOCAL_PORT (--port): invalid int value 'abc'"]),
    ("CONNECTLOCAL_WORKERS", "-2", ["serve"], ["CONNECTLOCAL_WORKERS (--workers)", "-2"]),
    ("CONNECTLOCAL_CLOCK", "noon", ["serve"], ["CONNECTLOCAL_CLOCK (--clock)", "noon"]),
    ("CONNECTLOCAL_LOG_LEVEL", "loud", ["serve"], ["CONNECTLOCAL_LOG_LEVEL (--log-level)"]),
    ("CONNECTLOCAL_ACCOUNTS", "nonsense", ["serve"], ["CONNECTLOCAL_ACCOUNTS (--accounts)"]),
])
def test_a_bad_environment_variable_names_itself_and_its_option(
        variable: str, value: str, args: list[str], words: list[str], tmp_path: Path) -> None:
    refused(connectlocal(*args, env={variable: value}, cwd=tmp_path), *words)


def test_a_bad_environment_variable_does_not_break_other_commands(tmp_path: Path) -> None:
    env = {"CONNECTLOCAL_PORT": "abc", "CONNECTLOCAL_WORKERS": "many"}
    version = connectlocal("--version", env=env)
    assert version.returncode == 0 and version.stdout.startswith("connectlocal "), version
    coverage = connectlocal("coverage", env=env)
    assert coverage.returncode == 0 and "| operation |" in coverage.stdout, coverage.stderr
    helped = connectlocal("serve", "--help", env=env)
    assert helped.returncode == 0 and "--port" in helped.stdout, helped.stderr
    # The option given on the command line wins over its variable, which is then not read.
    exported = connectlocal("export", "--data", str(tmp_path / "s.db"), "--instance-id", "i",
                            env=env)
    assert exported.returncode == 1 and "Instance not found: i" in exported.stderr


def test_coverage_of_a_missing_readme(tmp_path: Path) -> None:
    refused(connectlocal("coverage", "--readme", str(tmp_path / "missing.md")),
            "cannot read", "missing.md", "No such file or directory")


def test_export_to_an_unwritable_place(tmp_path: Path) -> None:
    data = str(tmp_path / "s.db")
    refused(connectlocal("export", "--data", data, "--instance-id", "i", "--output",
                         str(tmp_path / "no" / "such" / "dir" / "out.jsonl")),
            "cannot write", "out.jsonl")


# ----------------------------------------------------------------------------- stores


def _every_command(data: str, tmp_path: Path) -> list[list[str]]:
    ctrs = tmp_path / "ctrs.jsonl"
    ctrs.write_text("")
    return [["serve", "--port", "0", "--data", data],
            ["import", "--data", data, str(ctrs)],
            ["export", "--data", data, "--instance-id", "i"],
            ["simulate", "--data", data, "--days", "0.01", "--agents", "1"]]


def _garbage(tmp_path: Path) -> str:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not a database, just some bytes\n" * 100)
    return str(path)


def _directory(tmp_path: Path) -> str:
    (tmp_path / "a-directory").mkdir()
    return str(tmp_path / "a-directory")


def _under_a_file(tmp_path: Path) -> str:
    (tmp_path / "plain-file").write_text("x")
    return str(tmp_path / "plain-file" / "connect.db")


def _other_application(tmp_path: Path) -> str:
    path = tmp_path / "photos.db"
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE albums (id INTEGER PRIMARY KEY, title TEXT);"
                     "INSERT INTO albums (title) VALUES ('holidays');")
    db.close()
    return str(path)


def _newer(tmp_path: Path) -> str:
    from connectlocal.store import open_store

    path = tmp_path / "newer.db"
    open_store(str(path)).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value='999' WHERE key='schema_version'")
    db.commit()
    db.close()
    return str(path)


@pytest.mark.parametrize(("make", "words"), [
    (_garbage, ["garbage.db", "not a database"]),
    (_directory, ["a-directory", "is a directory"]),
    (_under_a_file, ["plain-file", "cannot create"]),
    (_other_application, ["photos.db", "another application", "albums",
                          "not a connectlocal store"]),
    (_newer, ["newer.db", "schema version is 999", "newer than this connectlocal's"]),
])
def test_a_store_that_cannot_be_opened_is_one_line_from_every_command(
        make: object, words: list[str], tmp_path: Path) -> None:
    assert callable(make)
    data = make(tmp_path)
    before = Path(data).read_bytes() if Path(data).is_file() else None
    for args in _every_command(data, tmp_path):
        refused(connectlocal(*args, cwd=tmp_path), *words)
    if before is not None:  # left as it was: no tables added, no version written down
        assert Path(data).read_bytes() == before


def test_another_applications_database_is_left_alone(tmp_path: Path) -> None:
    from connectlocal.store import StoreError, open_store

    data = _other_application(tmp_path)
    with pytest.raises(StoreError, match="another application"):
        open_store(data)
    db = sqlite3.connect(data)
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master")]
    mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    db.close()
    assert tables == ["albums"] and mode == "delete"


def test_a_newer_store_keeps_its_version(tmp_path: Path) -> None:
    from connectlocal.store import StoreError, open_store
    from connectlocal.store.sqlite import SCHEMA_VERSION

    data = _newer(tmp_path)
    with pytest.raises(StoreError) as refusal:
        open_store(data)
    assert f"is 999, newer than this connectlocal's ({SCHEMA_VERSION})" in str(refusal.value)
    db = sqlite3.connect(data)
    assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("999",)
    db.close()


def test_an_empty_file_is_a_new_store(tmp_path: Path) -> None:
    data = tmp_path / "empty.db"
    data.touch()
    done = connectlocal("export", "--data", str(data), "--instance-id", "i")
    assert done.returncode == 1 and "Instance not found: i" in done.stderr, done.stderr


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root reads every file whatever its mode")
def test_an_unreadable_store_is_one_line(tmp_path: Path) -> None:
    from connectlocal.store import open_store

    open_store(str(tmp_path / "private.db")).close()
    (tmp_path / "private.db").chmod(0)
    try:
        refused(connectlocal("export", "--data", str(tmp_path / "private.db"),
                             "--instance-id", "i"), "private.db", "permission denied")
    finally:
        (tmp_path / "private.db").chmod(0o600)
