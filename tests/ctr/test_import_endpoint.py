"""``import --endpoint``: records of real size, more than one request's body limit of them,
reach the server whole, in requests that fit; a server's refusal is one clear line."""

from __future__ import annotations

import http.server
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from connectlocal.server.http import MAX_BODY

from ..conftest import client_for
from ..serverproc import ServerProcess
from .test_import_export import SAMPLES, _time, connectlocal

pytestmark = pytest.mark.http_only


def _real_size_records(count: int) -> Iterator[dict[str, Any]]:
    """``count`` contacts made from the shared samples (3.3 KB each, as Amazon Connect
    writes them): each a new ContactId, a minute after the one before."""
    assert SAMPLES is not None
    samples = json.loads((SAMPLES / "call-center-analytics-duplicated.json").read_text())
    for n in range(count):
        record = dict(samples[n % len(samples)])
        record["ContactId"] = str(uuid.UUID(int=n + 1, version=4))
        for field in ("InitiationTimestamp", "ConnectedToSystemTimestamp",
                      "DisconnectTimestamp", "LastUpdateTimestamp"):
            if record.get(field):
                moved = _time(record[field]) + timedelta(minutes=n)
                record[field] = moved.isoformat().replace("+00:00", "Z")
        yield record


@pytest.mark.skipif(SAMPLES is None, reason="the shared CTR samples (shared/ctr-samples beside "
                    "the checkout, or CONNECTLOCAL_SHARED) are not on this machine")
def test_more_records_than_one_request_may_carry(tmp_path: Path) -> None:
    path = tmp_path / "ctrs.jsonl"
    with path.open("w") as out:
        for record in _real_size_records(4_000):
            out.write(json.dumps(record) + "\n")
    assert path.stat().st_size > MAX_BODY  # 13 MB: one POST of them all would be refused
    with ServerProcess(str(tmp_path / "s.db"), "--clock", "2022-06-01T00:00:00Z") as server:
        done = connectlocal("import", "--endpoint", server.url, str(path))
        assert done.returncode == 0, done.stderr
        assert "│    4,000 │      0 │       0 │              0 │" in done.stderr, done.stderr
        sample = next(_real_size_records(1))
        instance_id = sample["InstanceARN"].rsplit("/", 1)[1]
        client = client_for(server.url, region=sample["InstanceARN"].split(":")[3])
        last = str(uuid.UUID(int=4_000, version=4))
        contact = client.describe_contact(InstanceId=instance_id, ContactId=last)["Contact"]
    assert contact["Id"] == last and contact["Channel"] == sample["Channel"]


class _Refusing(http.server.BaseHTTPRequestHandler):
    """A server that refuses every body, as connectlocal's does one over its limit."""

    seen: ClassVar[list[int]] = []

    def do_POST(self) -> None:
        _Refusing.seen.append(int(self.headers["content-length"]))
        self.rfile.read(int(self.headers["content-length"]))
        body = json.dumps({"error": "The request body is over the limit of 10485760 bytes"})
        self.send_response(413)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *_: object) -> None:
        pass


def test_a_refusing_server_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "ctrs.jsonl"
    path.write_text(json.dumps({"ContactId": "c-1"}) + "\n")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        done = connectlocal("import", "--endpoint", f"http://127.0.0.1:{httpd.server_port}",
                            str(path))
    finally:
        httpd.shutdown()
        httpd.server_close()
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1, done.stderr
    assert "refused 1 records" in lines[0] and "HTTP 413" in lines[0], lines[0]
    assert "over the limit of 10485760 bytes" in lines[0], lines[0]
    assert _Refusing.seen and max(_Refusing.seen) <= MAX_BODY


def test_a_server_out_of_reach_is_one_clear_line(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "ctrs.jsonl"
    path.write_text(json.dumps({"ContactId": "c-1"}) + "\n")
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = connectlocal("import", "--endpoint", f"http://127.0.0.1:{port}", str(path))
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "cannot reach" in lines[0] and "refused" in lines[0].lower(), lines[0]


def test_requests_are_cut_by_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit: with a small limit, every body fits and every record is sent once."""
    from connectlocal import ctrfiles

    bodies: list[bytes] = []

    class Answer:
        def __init__(self, body: bytes) -> None:
            self.body = body

        def __enter__(self) -> Answer:
            return self

        def __exit__(self, *_: object) -> None:
            pass

        def read(self) -> bytes:
            records = json.loads(self.body)["records"]
            return json.dumps({"imported": len(records), "merged": 0, "skipped": 0,
                               "past_retention": 0, "problems": []}).encode()

    def urlopen(request: Any, timeout: float) -> Answer:
        bodies.append(request.data)
        return Answer(request.data)

    items = [("f", f"line {n}", {"ContactId": str(n), "Pad": "x" * (n % 300)})
             for n in range(2_000)]
    monkeypatch.setattr(ctrfiles.urllib.request, "urlopen", urlopen)
    counts = ctrfiles.send("http://x", items, limit=20_000)
    assert counts.imported == 2_000 and len(bodies) > 1
    assert all(len(body) <= 20_000 for body in bodies)
    sent = [tuple(r) for body in bodies for r in json.loads(body)["records"]]
    assert sent == [(s, p, r) for s, p, r in items]
