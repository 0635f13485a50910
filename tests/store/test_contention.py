"""Long store work beside writers: a retention sweep of tens of thousands of contacts on one
worker of ``serve --workers 2``, and a bulk load's merge from another process, while boto3
clients write through the server. No write fails (no 500, no "database is locked"), writes
are acknowledged while the work is part done (it is cut into short transactions: done in
one, it would be seen all or nothing), and every acknowledged write is in the store
afterwards."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from connectlocal.models import Contact, QueueInfo
from connectlocal.store import open_store
from connectlocal.store.base import Scope, Staged, staged

from ..conftest import client_for, new_instance
from ..serverproc import ServerProcess

pytestmark = pytest.mark.http_only
T0 = datetime(2026, 11, 20, tzinfo=UTC)
SCOPE = Scope("123456789012", "us-east-1")


class Writers:
    """Threads starting tasks through the server, each on a connection of its own."""

    def __init__(self, url: str, instance: dict[str, Any], threads: int = 4) -> None:
        self.url, self.instance = url, instance
        self.acknowledged: list[tuple[str, float, float]] = []  # id, sent, answered
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._write, args=(n,)) for n in range(threads)]

    def _write(self, n: int) -> None:
        client = client_for(self.url)
        flow = self.instance["flows"]["Default inbound"]
        i = 0
        while not self._stop.is_set():
            sent = time.monotonic()
            try:
                contact_id = client.start_task_contact(
                    InstanceId=self.instance["id"], ContactFlowId=flow,
                    Name=f"w{n}-{i}")["ContactId"]
            except (BotoCoreError, ClientError) as exc:
                with self._lock:
                    self.failures.append(repr(exc))
                continue
            with self._lock:
                self.acknowledged.append((contact_id, sent, time.monotonic()))
            i += 1

    def __enter__(self) -> Writers:
        for thread in self._threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(self.acknowledged) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.acknowledged) >= 20, self.failures[:3]
        return self

    def __exit__(self, *_: object) -> None:
        time.sleep(0.5)  # and a little after the work
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def during(self, window: tuple[float, float] | None) -> int:
        """Writes answered (committed) within ``window``."""
        if window is None:
            return 0
        return sum(1 for _, _, answered in self.acknowledged
                   if window[0] <= answered <= window[1])

    def slowest(self) -> float:
        return max(answered - sent for _, sent, answered in self.acknowledged)


class Watch:
    """Counts the bulk contacts of an instance every few milliseconds, from a connection of
    its own: when the work was seen part done."""

    def __init__(self, data: str, instance_id: str, total: int) -> None:
        self.data, self.instance_id, self.total = data, instance_id, total
        self.partial: list[float] = []  # when a count strictly between 0 and total was seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch)

    def _watch(self) -> None:
        db = sqlite3.connect(self.data)
        try:
            while not self._stop.is_set():
                (count,) = db.execute(
                    "SELECT count(*) FROM contacts WHERE account=? AND region=? AND "
                    "instance_id=? AND contact_id >= 'bulk-' AND contact_id < 'bulk.'",
                    (*SCOPE, self.instance_id)).fetchone()
                if 0 < count < self.total:
                    self.partial.append(time.monotonic())
                time.sleep(0.005)
        finally:
            db.close()

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def window(self) -> tuple[float, float] | None:
        return (self.partial[0], self.partial[-1]) if len(self.partial) > 1 else None


def _contacts(instance_id: str, count: int, initiated: datetime) -> Iterator[Staged]:
    for n in range(count):
        contact = Contact(id=f"bulk-{n:06d}", arn=f"arn:bulk-{n}", instance_id=instance_id,
                          channel="VOICE", initiation_method="INBOUND",
                          initiation_timestamp=initiated + timedelta(seconds=n),
                          last_update_timestamp=initiated + timedelta(seconds=n),
                          disconnect_timestamp=initiated + timedelta(seconds=n + 60),
                          queue=QueueInfo("q-1", initiated))
        yield staged(contact, {"n": str(n)} if n % 3 == 0 else None)


def _bulk_load(data: str, instance_id: str, count: int, initiated: datetime) -> float:
    """Loads ``count`` contacts from this process (another than the server's); returns how
    long the merge took."""
    store = open_store(data)
    try:
        with store.bulk_load() as load:
            rows = list(_contacts(instance_id, count, initiated))
            for first in range(0, count, 20_000):
                load.add(SCOPE, rows[first:first + 20_000])
            started = time.monotonic()
            assert load.merge() == (count, 0)
            return time.monotonic() - started
    finally:
        store.close()


def _all_present(data: str, instance_id: str, ids: list[str]) -> int:
    store = open_store(data)
    try:
        with store.read(SCOPE) as tx:
            missing = [i for i in ids if tx.get_contact(instance_id, i) is None]
        assert not missing, f"{len(missing)} acknowledged writes are missing: {missing[:3]}"
        return store.count_contacts()
    finally:
        store.close()


def test_a_big_sweep_on_one_worker_while_both_write(tmp_path: Path) -> None:
    data = str(tmp_path / "contention.db")
    old = 60_000
    with ServerProcess(data, "--workers", "2", "--clock", T0.isoformat()) as server:
        instance = new_instance(client_for(server.url))
        # Within retention at T0, past it once the clock moves on 60 days.
        _bulk_load(data, instance["id"], old, T0 - timedelta(days=700))
        with Writers(server.url, instance) as writers, Watch(data, instance["id"], old) as seen:
            started = time.monotonic()
            request = urllib.request.Request(
                f"{server.url}/_connectlocal/clock", method="POST",
                data=json.dumps({"advance_seconds": 60 * 86_400}).encode(),
                headers={"content-type": "application/json"})
            with urllib.request.urlopen(request, timeout=120) as answer:  # sweeps, then answers
                assert answer.status == 200
            ended = time.monotonic()
        assert writers.failures == []
        assert writers.during(seen.window()) > 0, (
            f"no write was answered while the {ended - started:.1f} s sweep was part done")
        print(f"sweep of {old:,} contacts {ended - started:.1f} s; "
              f"{len(writers.acknowledged):,} writes, slowest {writers.slowest():.2f} s")
        ids = [contact_id for contact_id, _, _ in writers.acknowledged]
        described = client_for(server.url).describe_contact(InstanceId=instance["id"],
                                                            ContactId=ids[-1])["Contact"]
        assert described["Id"] == ids[-1]
    assert _all_present(data, instance["id"], ids) == len(ids)  # and the old ones are gone


def test_a_big_merge_from_another_process_while_the_server_writes(tmp_path: Path) -> None:
    data = str(tmp_path / "contention.db")
    loaded = 60_000
    with ServerProcess(data, "--clock", T0.isoformat()) as server:
        instance = new_instance(client_for(server.url))
        with Writers(server.url, instance) as writers, \
                Watch(data, instance["id"], loaded) as seen:
            merge_started = time.monotonic()
            merge_seconds = _bulk_load(data, instance["id"], loaded, T0 - timedelta(days=1))
            merge_ended = time.monotonic()
        assert writers.failures == []
        assert writers.during(seen.window()) > 0, (
            f"no write was answered while the {merge_seconds:.1f} s merge was part done")
        print(f"load {merge_ended - merge_started:.1f} s, merge {merge_seconds:.1f} s; "
              f"{len(writers.acknowledged):,} writes, slowest {writers.slowest():.2f} s")
    ids = [contact_id for contact_id, _, _ in writers.acknowledged]
    assert _all_present(data, instance["id"], ids) == len(ids) + loaded
