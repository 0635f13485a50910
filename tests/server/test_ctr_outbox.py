"""The CTR stream through the store's outbox: a ``kill -9`` with CTRs not yet delivered loses
none of them (the restarted server delivers them), and several server processes streaming
from one store (two servers over one PostgreSQL database, a ``--workers 2`` server over one
SQLite file) deliver each CTR once between them."""

from __future__ import annotations

import http.server
import itertools
import json
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ..conftest import client_for, new_instance
from ..serverproc import ServerProcess

_schemas = itertools.count()


class Collector(http.server.ThreadingHTTPServer):
    """A webhook that keeps every record POSTed to it; ``down`` answers 503 instead."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Hook)
        self.received: list[dict[str, Any]] = []
        self.down = False
        self.lock = threading.Lock()
        self.url = f"http://127.0.0.1:{self.server_port}/ctr"


class _Hook(http.server.BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:  # http.server's name
        body = self.rfile.read(int(self.headers["content-length"]))
        if self.server.down:
            self.send_response(503)
        else:
            with self.server.lock:
                self.server.received.append(json.loads(body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[Collector]:
    hook = Collector()
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    yield hook
    hook.shutdown()
    hook.server_close()


def _wait_for(hook: Collector, ids: set[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with hook.lock:
            if ids <= {r["ContactId"] for r in hook.received}:
                return
        time.sleep(0.1)


def _start_and_stop(urls: list[str], contacts: int) -> set[str]:
    """``contacts`` tasks started and stopped, each through the next URL in turn (and its
    StopContact through the one after), 8 at a time; their ids."""
    instance = new_instance(client_for(urls[0]))
    clients = [client_for(url) for url in urls]

    def one(n: int) -> str:
        task = clients[n % len(clients)].start_task_contact(
            InstanceId=instance["id"], ContactFlowId=instance["flows"]["Sample task flow"],
            Name=f"t{n}")["ContactId"]
        clients[(n + 1) % len(clients)].stop_contact(InstanceId=instance["id"],
                                                      ContactId=task)
        return str(task)

    with ThreadPoolExecutor(8) as pool:
        return set(pool.map(one, range(contacts)))


def _delivered_once_each(hook: Collector, ids: set[str]) -> None:
    _wait_for(hook, ids, 30)
    time.sleep(1.5)  # a second delivery, if there were one, would come within a poll or two
    with hook.lock:
        received = list(hook.received)
    assert {r["ContactId"] for r in received} == ids
    counts = Counter((r["ContactId"], r["LastUpdateTimestamp"]) for r in received)
    assert [key for key, n in counts.items() if n > 1] == []
    assert len(received) == len(ids)  # one ending write each: one record each


def test_kill_9_with_ctrs_undelivered_loses_none(tmp_path: Path, collector: Collector) -> None:
    data = str(tmp_path / "k.db")
    collector.down = True
    server = ServerProcess(data, "--ctr-webhook", collector.url).start()
    try:
        ids = _start_and_stop([server.url], 6)
        time.sleep(1.0)  # the stream has claimed one and is retrying it
    finally:
        server.stop(signal.SIGKILL)
    assert collector.received == []
    collector.down = False
    # The restarted server delivers what was never claimed at once, and what the killed one
    # had claimed when its lease ends (stream.LEASE).
    server = ServerProcess(data, "--ctr-webhook", collector.url).start()
    try:
        _wait_for(collector, ids, 40)
    finally:
        server.stop()
    assert {r["ContactId"] for r in collector.received} == ids  # at least once each
    assert all(r["DisconnectTimestamp"] and r["LastUpdateTimestamp"]
               for r in collector.received)


def test_a_server_stopped_with_its_webhook_down_leaves_its_ctrs_queued(
        tmp_path: Path, collector: Collector) -> None:
    """Stopping gives back what it had claimed (claimable at once, not after a lease), and
    drops nothing: the next server delivers every record."""
    data = tmp_path / "s.db"
    collector.down = True
    server = ServerProcess(str(data), "--ctr-webhook", collector.url).start()
    try:
        ids = _start_and_stop([server.url], 4)
        time.sleep(1.0)  # the stream is retrying the first
    finally:
        server.stop()
    db = sqlite3.connect(data)
    queued = db.execute("SELECT count(*), count(claimer) FROM ctr_outbox").fetchone()
    consumers = db.execute("SELECT count(*) FROM ctr_consumers").fetchone()
    db.close()
    assert queued == (4, 0) and consumers == (0,)
    collector.down = False
    with ServerProcess(str(data), "--ctr-webhook", collector.url):
        _delivered_once_each(collector, ids)


def test_two_servers_over_one_postgresql_deliver_each_ctr_once(
        pg_database: str, collector: Collector) -> None:
    url = f"{pg_database}?schema=outbox{next(_schemas)}"
    servers = [ServerProcess(url, "--ctr-webhook", collector.url).start() for _ in range(2)]
    try:
        ids = _start_and_stop([s.url for s in servers], 40)
        _delivered_once_each(collector, ids)
    finally:
        for server in servers:
            server.stop()


def test_a_server_without_a_stream_beside_one_with_it_is_streamed_too(
        pg_database: str, collector: Collector) -> None:
    """The outbox is the store's: a server that streams delivers the CTRs of contacts another
    server (with no stream options) ended."""
    url = f"{pg_database}?schema=outbox{next(_schemas)}"
    streaming = ServerProcess(url, "--ctr-webhook", collector.url).start()
    plain = ServerProcess(url).start()
    try:
        ids = _start_and_stop([plain.url], 5)
        _delivered_once_each(collector, ids)
    finally:
        streaming.stop()
        plain.stop()


def test_two_workers_over_one_sqlite_file_deliver_each_ctr_once(
        tmp_path: Path, collector: Collector) -> None:
    server = ServerProcess(str(tmp_path / "w.db"), "--workers", "2", "--ctr-webhook",
                           collector.url).start()
    try:
        # A client each: new connections, which the kernel spreads over the workers.
        ids = _start_and_stop([server.url] * 4, 40)
        _delivered_once_each(collector, ids)
    finally:
        server.stop()
