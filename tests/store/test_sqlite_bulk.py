"""The SQLite store's bulk load: merged a run at a time, its facts written as they are until
another write comes between its steps."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectlocal.models import Contact, Instance, QueueInfo
from connectlocal.store import open_store
from connectlocal.store import sqlite as sqlite_store
from connectlocal.store.base import Scope, Staged, staged
from connectlocal.store.sqlite import SqliteBulkLoad, SqliteStore

T0 = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
HERE = Scope("123456789012", "us-east-1")


def _contact(c: str, updated: datetime, queue: str = "q-1") -> Contact:
    return Contact(id=c, arn=f"arn:{c}", instance_id="i-1", channel="TASK",
                   initiation_method="API", initiation_timestamp=T0,
                   last_update_timestamp=updated, queue=QueueInfo(queue, T0),
                   name=f"updated {updated.isoformat()}")


def _instance() -> Instance:
    return Instance(id="i-1", arn="arn:i-1", identity_management_type="CONNECT_MANAGED",
                    created_time=T0, inbound_calls_enabled=True, outbound_calls_enabled=False)


def _staged(c: str, minutes: int, queue: str = "q-1") -> Staged:
    return staged(_contact(c, T0 + timedelta(minutes=minutes), queue))


@pytest.fixture(params=["file", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqliteStore]:
    opened = open_store(str(tmp_path / "s.db") if request.param == "file" else ":memory:")
    assert isinstance(opened, SqliteStore)
    yield opened
    opened.close()


def test_a_load_bigger_than_a_run_merges_as_the_same_load(
        store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_store, "RUN", 2)
    with store.bulk_load() as load:
        # The first add fills a run: a's newest so far, and b, are written.
        load.add(HERE, [_staged("a", 1), _staged("b", 1), _staged("a", 2)])
        with store.read(HERE) as tx:
            assert tx.get_contact("i-1", "a") == _contact("a", T0 + timedelta(minutes=2))
        # Against what the first run wrote: an older a, and one as new (the first added
        # stays), a newer b and a new c.
        load.add(HERE, [_staged("a", 1), _staged("a", 2, queue="q-2"), _staged("c", 1),
                        _staged("b", 3)])
        assert load.merge() == (3, 4)
    with store.read(HERE) as tx:
        assert tx.get_contact("i-1", "a") == _contact("a", T0 + timedelta(minutes=2))
        assert tx.get_contact("i-1", "b") == _contact("b", T0 + timedelta(minutes=3))
        assert tx.get_contact("i-1", "c") == _contact("c", T0 + timedelta(minutes=1))


def _queue_of(store: SqliteStore, contact_id: str) -> list[str]:
    """The queue of each facts row of a contact."""
    with store._lock:
        return [q for (q,) in store._db.execute(
            "SELECT queue_id FROM contact_facts WHERE contact_id=?", (contact_id,))]


def _before_the_facts(monkeypatch: pytest.MonkeyPatch, act: Callable[[], None]) -> None:
    """``act`` between the load's contacts and their facts (between two of its steps); one
    that raises stops the load there, as a kill would."""
    original = SqliteBulkLoad._in_steps

    def in_steps(load: SqliteBulkLoad, items: list[Any], step: Callable[..., None]) -> None:
        if step.__name__ == "facts":
            act()
        original(load, items, step)

    monkeypatch.setattr(SqliteBulkLoad, "_in_steps", in_steps)


@pytest.mark.parametrize("writer", ["this connection", "another connection"])
def test_a_contact_written_during_a_merge_keeps_its_facts(
        writer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Through the store's own connection (another thread of this process), or another
    # connection to the file (another process).
    path = str(tmp_path / "shared.db")
    store = open_store(path)
    other = store if writer == "this connection" else open_store(path)
    assert isinstance(store, SqliteStore)
    newer = _contact("b", T0 + timedelta(minutes=5), queue="q-2")

    def write() -> None:
        with other.write(HERE) as tx:
            tx.put_contact(newer)

    _before_the_facts(monkeypatch, write)
    try:
        with store.bulk_load() as load:
            load.add(HERE, [_staged("a", 1), _staged("b", 1), _staged("c", 1)])
            assert load.merge() == (3, 0)
        with store.read(HERE) as tx:
            assert tx.get_contact("i-1", "b") == newer
        assert _queue_of(store, "b") == ["q-2"]  # not the loaded record's q-1
        assert _queue_of(store, "a") == _queue_of(store, "c") == ["q-1"]
    finally:
        store.close()
        if other is not store:
            other.close()


def test_an_older_file_loses_its_index_by_time(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    open_store(str(path)).close()
    db = sqlite3.connect(path)
    db.execute("CREATE INDEX contacts_by_time ON contacts (account, region, instance_id, "
               "initiated)")
    db.commit()
    db.close()
    open_store(str(path)).close()
    db = sqlite3.connect(path)
    try:
        assert db.execute("SELECT name FROM sqlite_master WHERE name='contacts_by_time'"
                          ).fetchall() == []
    finally:
        db.close()


def test_a_write_between_two_contact_steps_guards_the_facts_that_follow(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # One contact a step: the other connection's write of a lands after the step that wrote
    # a and before the one that writes b and c; the facts pass must still see it.
    import time
    import types

    from connectlocal.store import base

    path = str(tmp_path / "shared.db")
    store, other = open_store(path), open_store(path)
    assert isinstance(store, SqliteStore)
    newer = _contact("a", T0 + timedelta(minutes=5), queue="q-2")
    rests: list[float] = []

    def rest(seconds: float) -> None:
        if not rests:
            with other.write(HERE) as tx:
                tx.put_contact(newer)
        rests.append(seconds)

    monkeypatch.setattr(sqlite_store, "MERGE_FIRST_STEP", 1)
    monkeypatch.setattr(base, "time", types.SimpleNamespace(perf_counter=time.perf_counter,
                                                            sleep=rest))
    try:
        with store.bulk_load() as load:
            load.add(HERE, [_staged("a", 1), _staged("b", 1), _staged("c", 1)])
            assert load.merge() == (3, 0)
        assert rests  # the contacts were written in more than one step
        with store.read(HERE) as tx:
            assert tx.get_contact("i-1", "a") == newer
        assert _queue_of(store, "a") == ["q-2"]
        assert _queue_of(store, "b") == _queue_of(store, "c") == ["q-1"]
    finally:
        store.close()
        other.close()


def _stopped_load(store: SqliteStore, monkeypatch: pytest.MonkeyPatch,
                  records: list[Staged]) -> None:
    """A load of ``records`` that stops (as at a kill) once its contacts are written, before
    their facts."""

    def stop() -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        _before_the_facts(patched, stop)
        with pytest.raises(KeyboardInterrupt), store.bulk_load() as load:
            load.add(HERE, records)
            load.merge()


def _loads_seen_long_ago(path: str) -> int:
    import sqlite3

    db = sqlite3.connect(path)
    try:
        with db:
            return db.execute("UPDATE bulk_loads SET seen = 0").rowcount
    finally:
        db.close()


def test_the_facts_a_stopped_load_did_not_write_are_made_when_the_store_is_next_opened(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "s.db")
    store = open_store(path)
    assert isinstance(store, SqliteStore)
    _stopped_load(store, monkeypatch, [_staged("a", 1), _staged("b", 2, queue="q-2")])
    assert _queue_of(store, "a") == [] and _queue_of(store, "b") == []
    store.close()
    # Opened again at once, the load may still be running elsewhere: nothing is made yet.
    store = open_store(path)
    assert isinstance(store, SqliteStore)
    assert _queue_of(store, "a") == []
    store.close()
    assert _loads_seen_long_ago(path) == 1
    store = open_store(path)
    assert isinstance(store, SqliteStore)
    try:
        assert _queue_of(store, "a") == ["q-1"] and _queue_of(store, "b") == ["q-2"]
        with store._lock:
            made = store._db.execute("SELECT * FROM contact_facts ORDER BY contact_id"
                                     ).fetchall()
            assert store._db.execute("SELECT count(*) FROM bulk_loads").fetchone() == (0,)
        # The facts as a load that had not stopped writes them.
        expected = [(*HERE, *staged(_contact(c, T0 + timedelta(minutes=m), q)).facts)
                    for c, m, q in (("a", 1, "q-1"), ("b", 2, "q-2"))]
        assert made == expected
        with store.read(HERE) as tx:
            assert [c.id for c in tx.list_contacts("i-1", T0, T0)] == ["a", "b"]
    finally:
        store.close()


def test_a_stopped_load_leaves_each_contact_it_wrote_with_its_chains_attributes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A chain's attributes are written with its newest record: an import stopped after its
    # contacts and run again (which skips a record as new as the one stored) has nothing
    # left to mend.
    store = open_store(str(tmp_path / "s.db"))
    assert isinstance(store, SqliteStore)
    try:
        _stopped_load(store, monkeypatch, [
            staged(_contact("a", T0 + timedelta(minutes=1)), {"n": "a"}),
            staged(_contact("b", T0 + timedelta(minutes=2)), {"n": "b"})])
        with store.read(HERE) as tx:
            assert tx.get_attributes("i-1", "a") == {"n": "a"}
            assert tx.get_attributes("i-1", "b") == {"n": "b"}
    finally:
        store.close()


def test_the_retention_sweep_finds_the_contacts_of_a_stopped_load(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "s.db")
    store = open_store(path)
    assert isinstance(store, SqliteStore)
    try:
        with store.write(HERE) as tx:
            tx.put_instance(_instance())
        _stopped_load(store, monkeypatch, [_staged("a", 1), _staged("b", 1)])
        assert _loads_seen_long_ago(path) == 1
        assert store.delete_contacts_initiated_before(T0 + timedelta(days=1)) == 2
        with store.read(HERE) as tx:
            assert tx.get_contact("i-1", "a") is None and tx.get_contact("i-1", "b") is None
        assert _queue_of(store, "a") == []
    finally:
        store.close()


def test_a_facts_row_under_another_initiation_neither_sweeps_nor_repeats_its_contact(
        store: SqliteStore) -> None:
    with store.write(HERE) as tx:
        tx.put_instance(_instance())
        tx.put_contact(_contact("recent", T0))
    with store._lock:  # a row left under an initiation the contact no longer has
        store._db.execute(
            "INSERT INTO contact_facts SELECT account, region, instance_id, contact_id, "
            "initiated - 86400, channel, method, queue_id, enqueued, agent_id, connected, "
            "disconnected, acw_seconds, hold_seconds, transferred FROM contact_facts")
    with store.read(HERE) as tx:
        assert [c.id for c in tx.list_contacts("i-1", T0 - timedelta(days=2), T0)] == [
            "recent"]
    assert store.delete_contacts_initiated_before(T0 - timedelta(hours=1)) == 0
    with store.read(HERE) as tx:
        assert tx.get_contact("i-1", "recent") == _contact("recent", T0)
    assert _queue_of(store, "recent") == ["q-1"]  # the stray row went


def test_a_load_alone_is_never_disturbed_and_leaves_no_trace(store: SqliteStore) -> None:
    other_region = Scope("123456789012", "eu-west-2")
    with store.bulk_load() as load:
        load.add(HERE, [_staged("a", 1), _staged("b", 1)])
        load.add(other_region, [_staged("a", 1)])
        assert load.merge() == (3, 0)
        # Its own writes (the second scope's steps, the list of running loads) are not
        # another writer's: every facts row was written without a lookup of its contact.
        assert getattr(load, "_disturbed") is False  # noqa: B009 - the SQLite load's state
    with store._lock:
        assert store._db.execute("SELECT count(*) FROM bulk_loads").fetchone() == (0,)
    assert _queue_of(store, "a") == ["q-1", "q-1"]
