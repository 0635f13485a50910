"""The ``serve`` process: workers end with their parent, a stop signal at any moment is a clean
exit, and bad options (an unwritable --ctr-file, a port out of range, a timeout that is not
a number) are one line on stderr and exit 2, before the ready line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from ..serverproc import ServerProcess, tmp_db


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "connectlocal.cli", "serve", *args],
                          capture_output=True, text=True, timeout=60)


def _port_answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_workers_stop_when_the_parent_is_killed_and_a_restart_works(tmp_path: Path) -> None:
    data = tmp_db(tmp_path)
    first = ServerProcess(data, "--workers", "2").start()
    port = urlparse(first.url).port
    assert port is not None and first.proc is not None
    assert first.admin("GET", "health")[0] == 200
    first.stop(signal.SIGKILL)  # the parent alone: its workers are not told
    deadline = time.monotonic() + 20
    while _port_answers(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _port_answers(port), "a worker still serves the port of a killed parent"
    second = ServerProcess(data, "--port", str(port)).start()
    try:
        assert urlparse(second.url).port == port
        assert second.admin("GET", "health")[0] == 200
    finally:
        second.stop()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_right_after_the_ready_line_exits_cleanly(tmp_path: Path, workers: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "connectlocal.cli", "serve", "--port", "0", "--data",
         tmp_db(tmp_path), "--workers", workers],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert "listening on" in proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err + out and "KeyboardInterrupt" not in err


def test_sigterm_while_starting_exits_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "connectlocal.cli", "serve", "--port", "0", "--data",
         tmp_db(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)  # somewhere in start-up: importing, opening the store, or serving
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode in (0, -signal.SIGTERM), err  # killed before Python set it up
    assert "Traceback" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write where the test makes it unwritable")
def test_an_unwritable_ctr_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        done = _serve("--port", "0", "--data", ":memory:", "--ctr-file",
                      str(locked / "ctr.jsonl"))
    finally:
        locked.chmod(0o700)
    assert done.returncode == 2
    assert done.stdout == ""  # no ready line
    assert done.stderr == (f"connectlocal serve: argument --ctr-file: cannot append to "
                           f"{locked / 'ctr.jsonl'}: Permission denied (see connectlocal serve "
                           "--help)\n")


@pytest.mark.parametrize(("where", "why"), [("", "Is a directory"),
                                            ("file/ctr.jsonl", "Not a directory")])
def test_a_ctr_file_that_cannot_be_a_file_is_refused(tmp_path: Path, where: str,
                                                     why: str) -> None:
    (tmp_path / "file").write_text("")
    path = tmp_path / where
    done = _serve("--port", "0", "--data", ":memory:", "--ctr-file", str(path))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (f"connectlocal serve: argument --ctr-file: cannot append to {path}: "
                           f"{why} (see connectlocal serve --help)\n")


def test_a_ctr_file_in_a_new_directory_is_made(tmp_path: Path) -> None:
    path = tmp_path / "new" / "ctr.jsonl"
    with ServerProcess(":memory:", "--ctr-file", str(path)):
        assert path.exists()


@pytest.mark.parametrize("port", ["99999", "-1", "65536"])
def test_a_port_out_of_range_is_refused(port: str) -> None:
    done = _serve("--port", port, "--data", ":memory:")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (f"connectlocal serve: argument --port: {port} is out of range: must "
                           "be 0 to 65535 (see connectlocal serve --help)\n")


@pytest.mark.parametrize("value", ["abc", "0", "-5", "inf", "nan"])
def test_a_timeout_that_is_not_a_positive_number_is_refused(value: str) -> None:
    done = _serve("--port", "0", "--data", ":memory:", "--body-timeout", value)
    assert done.returncode == 2 and done.stdout == ""
    assert (f"argument --body-timeout: {value!r} is not a number of seconds above 0"
            in done.stderr)
    assert "Traceback" not in done.stderr


def test_timeouts_from_the_environment(tmp_path: Path) -> None:
    with ServerProcess(":memory:", env={"CONNECTLOCAL_KEEP_ALIVE_TIMEOUT": "0.3"}) as server:
        url = urlparse(server.url)
        with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
            sock.sendall(b"GET /_connectlocal/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            data = b""
            while chunk := sock.recv(65536):  # the answer, then the end after 0.3 s idle
                data += chunk
        assert data.startswith(b"HTTP/1.1 200")
