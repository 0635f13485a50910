"""The CTR stream's webhook retries: a record the webhook fails is tried again for the retry
duration (``--ctr-webhook-retry-seconds``, as a Firehose stream's HTTP endpoint
``DurationInSeconds``), however many tries that takes, then logged and dropped; the file
keeps it either way. The stream runs in this process, with short waits between tries."""

from __future__ import annotations

import http.server
import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectlocal.models import Contact
from connectlocal.service import Service
from connectlocal.store import open_store
from connectlocal.store.base import Scope
from connectlocal.stream import CtrStream

HERE = Scope("123456789012", "us-east-1")
T0 = datetime(2026, 11, 2, 3, 4, 5, tzinfo=UTC)
INSTANCE = "arn:aws:connect:us-east-1:123456789012:instance/i-1"


class Hook(http.server.ThreadingHTTPServer):
    """A webhook that answers 503 to its first ``failures`` POSTs, then keeps each record."""

    def __init__(self, failures: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.failures, self.tries = failures, 0
        self.received: list[dict[str, Any]] = []
        self.url = f"http://127.0.0.1:{self.server_port}/ctr"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Hook

    def do_POST(self) -> None:  # http.server's name
        body = self.rfile.read(int(self.headers["content-length"]))
        self.server.tries += 1
        if self.server.tries <= self.server.failures:
            self.send_response(503)
        else:
            self.server.received.append(json.loads(body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


def _hook(failures: int) -> Iterator[Hook]:
    hook = Hook(failures)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    yield hook
    hook.shutdown()
    hook.server_close()


@pytest.fixture
def flaky() -> Iterator[Hook]:
    yield from _hook(failures=8)


@pytest.fixture
def down() -> Iterator[Hook]:
    yield from _hook(failures=10**9)


def _end_a_contact(service: Service, contact_id: str = "c-1") -> None:
    ended = Contact(id=contact_id, arn=f"{INSTANCE}/contact/{contact_id}", instance_id="i-1",
                    channel="TASK", initiation_method="API", initiation_timestamp=T0,
                    last_update_timestamp=T0 + timedelta(minutes=1),
                    disconnect_timestamp=T0 + timedelta(minutes=1), disconnect_reason="API")
    with service.store.write(HERE) as tx:
        tx.put_contact(ended)


def _until(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_record_is_tried_until_the_webhook_takes_it(flaky: Hook, tmp_path: Path) -> None:
    # Eight failures in a row (waits of 0.01 s doubling: 2.55 s in all): more tries than the
    # stream used to make (six) before it dropped the record, well within the retry duration.
    service = Service(open_store(str(tmp_path / "s.db")))
    stream = CtrStream(service, str(tmp_path / "ctr.jsonl"), flaky.url, retry_seconds=60,
                       first_wait=0.01).start()
    try:
        _end_a_contact(service)
        _until(lambda: flaky.received, 30)
    finally:
        stream.stop()
        service.store.close()
    assert flaky.tries == 9
    assert [r["ContactId"] for r in flaky.received] == ["c-1"]
    assert flaky.received[0]["DisconnectReason"] == "API"


def test_after_the_retry_duration_records_are_logged_and_dropped_until_it_recovers(
        down: Hook, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    service = Service(open_store(str(tmp_path / "s.db")))
    stream_file = tmp_path / "ctr.jsonl"
    stream = CtrStream(service, str(stream_file), down.url, retry_seconds=1,
                       first_wait=0.1).start()

    def dropped() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]

    started = time.monotonic()
    try:
        with caplog.at_level(logging.ERROR, logger="connectlocal.stream"):
            _end_a_contact(service, "c-1")
            _until(lambda: dropped(), 30)
            took = time.monotonic() - started
            # Waits of 0.1, 0.2, 0.4 and then what is left of the second: five tries.
            assert down.tries == 5
            # The webhook is still down: the next record is tried once, not for a retry
            # duration of its own (a long outage would hold each record that long).
            _end_a_contact(service, "c-2")
            _until(lambda: len(dropped()) == 2, 30)
            assert down.tries == 6
            # Still down, but nothing was tried for longer than the retry duration: a new
            # outage, with its whole duration.
            time.sleep(1.2)
            _end_a_contact(service, "c-3")
            _until(lambda: len(dropped()) == 3, 30)
            assert down.tries == 11
            # Back up: delivered; and a later failure has its whole retry duration again
            # (three failures, then it takes the record).
            down.failures = 0
            _end_a_contact(service, "c-4")
            _until(lambda: down.received, 30)
            down.failures = down.tries + 3
            _end_a_contact(service, "c-5")
            _until(lambda: len(down.received) == 2, 30)
            # Dropped: the outbox holds nothing for another stream to deliver.
            _until(lambda: not service.store.claim_outbox("another", 10, time.time() + 60,
                                                          15.0), 5)
            assert service.store.claim_outbox("another", 10, time.time() + 60, 15.0) == []
    finally:
        stream.stop()
        service.store.close()
    assert 1.0 <= took < 10
    assert dropped() == [
        f"CTR of contact {c} not delivered to {down.url}: it failed {n} tries, the last HTTP "
        "503, and the webhook has failed for its retry duration (1 s); dropped"
        for c, n in (("c-1", 5), ("c-2", 1), ("c-3", 5))]
    assert [r["ContactId"] for r in down.received] == ["c-4", "c-5"]
    assert [json.loads(line)["ContactId"] for line in stream_file.read_text().splitlines()] \
        == ["c-1", "c-2", "c-3", "c-4", "c-5"]  # the file has them all


def test_a_retry_duration_of_zero_drops_at_the_first_failure(
        down: Hook, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    service = Service(open_store(str(tmp_path / "s.db")))
    stream = CtrStream(service, None, down.url, retry_seconds=0, first_wait=0.1).start()
    try:
        with caplog.at_level(logging.ERROR, logger="connectlocal.stream"):
            _end_a_contact(service)
            _until(lambda: any("dropped" in r.getMessage() for r in caplog.records), 30)
    finally:
        stream.stop()
        service.store.close()
    assert down.tries == 1
