"""The store's contact facts (what metrics and routing read) follow every way a contact is
stored: one by one, in a bulk load, and in a file migrated from schema version 3."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectlocal.models import AgentInfo, Contact, QueueInfo
from connectlocal.store import Store, open_store
from connectlocal.store.base import (
    Aggregate,
    Condition,
    FactQuery,
    Scope,
    staged,
)

T0 = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
HERE = Scope("123456789012", "us-east-1")
HANDLED = Condition("connected", "present")
QUERY = FactQuery([(T0.timestamp() - 1, T0.timestamp() + 3600)], {}, ["channel"], [
    Aggregate("count", None, (HANDLED,)), Aggregate("avg", "handle_seconds", (HANDLED,)),
    Aggregate("max", "queue_seconds", ()),
    Aggregate("count", None, (Condition("queue_seconds", "<=", 20.0),))])


def _contact(c: str, waited: float, talked: float, acw: int, channel: str = "VOICE") -> Contact:
    connected = T0 + timedelta(seconds=waited)
    return Contact(id=c, arn=f"arn:{c}", instance_id="i-1", channel=channel,
                   initiation_method="INBOUND", initiation_timestamp=T0,
                   last_update_timestamp=connected + timedelta(seconds=talked + acw),
                   queue=QueueInfo("q-1", T0),
                   agent=AgentInfo("a-1", connected_to_agent_timestamp=connected,
                                   after_contact_work_seconds=acw),
                   disconnect_timestamp=connected + timedelta(seconds=talked))


CONTACTS = [_contact("c-1", 5, 100, 10), _contact("c-2", 30.5, 50, 0),
            _contact("c-3", 1, 9, 1, "CHAT")]
# By hand: VOICE handled 2, handle (110 + 50) / 2, longest wait 30.5, one within 20 s.
EXPECTED = [(0, ("CHAT",), [1, 10.0, 1.0, 1]), (0, ("VOICE",), [2, 80.0, 30.5, 1])]


_schemas = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "postgresql":  # a schema of the test's own in the run's database
        opened = open_store(f"{request.getfixturevalue('pg_database')}?schema=f{next(_schemas)}")
    else:
        opened = open_store(str(tmp_path / "s.db"))
    yield opened
    opened.close()


def _facts(store: Store) -> list[tuple[int, tuple[str | None, ...], list[float | None]]]:
    with store.read(HERE) as tx:
        return sorted(tx.facts("i-1", QUERY))


def test_facts_of_contacts_put_one_by_one(store: Store) -> None:
    with store.write(HERE) as tx:
        for contact in CONTACTS:
            tx.put_contact(contact)
    assert _facts(store) == EXPECTED
    with store.read(HERE) as tx:
        assert tx.waiting_contacts("i-1", T0 + timedelta(days=1)) == []


def test_facts_of_a_bulk_load(store: Store) -> None:
    with store.bulk_load() as load:
        load.add(HERE, [staged(c) for c in CONTACTS])
        load.merge()
    assert _facts(store) == EXPECTED


def test_a_version_3_file_gets_the_facts_of_its_contacts(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = open_store(str(path))
    with store.write(HERE) as tx:
        for contact in CONTACTS:
            tx.put_contact(contact)
    store.close()
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE contact_facts; DROP TABLE agent_states; "
                     "DROP TABLE agent_status_history; "
                     "UPDATE meta SET value='3' WHERE key='schema_version';")
    db.close()
    migrated = open_store(str(path))
    try:
        assert _facts(migrated) == EXPECTED
    finally:
        migrated.close()


def test_a_newer_record_initiated_elsewhere_moves_its_facts(store: Store) -> None:
    with store.write(HERE) as tx:
        for contact in CONTACTS:
            tx.put_contact(contact)
    moved = _contact("c-1", 5, 100, 10)
    moved.initiation_timestamp = T0 + timedelta(hours=2)
    moved.last_update_timestamp += timedelta(hours=3)
    with store.bulk_load() as load:
        load.add(HERE, [staged(moved)])
        load.merge()
    with store.read(HERE) as tx:
        (voice,) = [r for r in tx.facts("i-1", QUERY) if r[1] == ("VOICE",)]
    assert voice[2][0] == 1  # c-1 left the first hour; no row of it stays behind
