"""The store contract, run against every backend (SQLite file and :memory:, PostgreSQL)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from connectlocal import rules, views, wire
from connectlocal.clock import ClockSetting
from connectlocal.models import Contact, Instance, Queue, QueueInfo
from connectlocal.store import Store, open_store
from connectlocal.store.base import (
    STREAM_LAPSE,
    Claim,
    MadeAnswer,
    Scope,
    Staged,
    staged,
)

T0 = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
HERE = Scope("123456789012", "us-east-1")
OTHER_REGION = Scope("123456789012", "eu-west-2")
OTHER_ACCOUNT = Scope("210987654321", "us-east-1")


_schemas = itertools.count()


@pytest.fixture(params=["file", "memory", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "postgresql":  # a schema of the test's own in the run's database
        url = f"{request.getfixturevalue('pg_database')}?schema=t{next(_schemas)}"
        opened = open_store(url)
    else:
        opened = open_store(str(tmp_path / "s.db") if request.param == "file" else ":memory:")
    yield opened
    opened.close()


def _instance(i: str = "i-1") -> Instance:
    return Instance(id=i, arn=f"arn:{i}", identity_management_type="CONNECT_MANAGED",
                    created_time=T0, inbound_calls_enabled=True, outbound_calls_enabled=False,
                    alias=f"alias-{i}", tags={"t": "v"})


def _contact(c: str, initiated: datetime = T0, **chain: str) -> Contact:
    return Contact(id=c, arn=f"arn:{c}", instance_id="i-1", channel="TASK",
                   initiation_method="API", initiation_timestamp=initiated,
                   last_update_timestamp=initiated, queue=QueueInfo("q-1", initiated),
                   tags={"a": "b"}, **chain)


def test_round_trips_every_field(store: Store) -> None:
    with store.write(HERE) as tx:
        tx.put_instance(_instance())
        tx.put_contact(_contact("c-1"))
        tx.put_resource("i-1", Queue(id="q-1", arn="arn:q", name="BasicQueue",
                                     queue_type="STANDARD", hours_of_operation_id="h-1"))
    with store.read(HERE) as tx:
        assert tx.get_instance("i-1") == _instance()
        assert tx.get_contact("i-1", "c-1") == _contact("c-1")
        queue = tx.get_resource("i-1", Queue, "q-1")
        assert queue is not None and queue.name == "BasicQueue"


def test_a_deleted_resource_is_gone_and_only_it(store: Store) -> None:
    with store.write(HERE) as tx:
        for queue_id in ("q-1", "q-2"):
            tx.put_resource("i-1", Queue(id=queue_id, arn="arn:q", name=queue_id,
                                         queue_type="STANDARD", hours_of_operation_id=None))
    with store.write(OTHER_REGION) as tx:
        tx.put_resource("i-1", Queue(id="q-1", arn="arn:q", name="q-1",
                                     queue_type="STANDARD", hours_of_operation_id=None))
    with store.write(HERE) as tx:
        assert tx.delete_resource("i-1", Queue, "q-1") is True
        assert tx.delete_resource("i-1", Queue, "q-1") is False
        assert tx.delete_resource("i-1", Instance, "q-2") is False  # another kind
    with store.read(HERE) as tx:
        assert tx.get_resource("i-1", Queue, "q-1") is None
        assert [q.id for q in tx.list_resources("i-1", Queue, None, 10)] == ["q-2"]
    with store.read(OTHER_REGION) as tx:
        assert tx.get_resource("i-1", Queue, "q-1") is not None


def test_everything_is_scoped(store: Store) -> None:
    with store.write(HERE) as tx:
        tx.put_instance(_instance())
        tx.put_contact(_contact("c-1"))
    for scope in (OTHER_REGION, OTHER_ACCOUNT):
        with store.read(scope) as tx:
            assert tx.get_instance("i-1") is None
            assert tx.get_contact("i-1", "c-1") is None
            assert tx.list_instances(None, 10) == []


def test_a_failed_write_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.write(HERE) as tx:
        tx.put_contact(_contact("c-1"))
        raise RuntimeError("handler failed half way")
    with store.read(HERE) as tx:
        assert tx.get_contact("i-1", "c-1") is None


def test_claims_are_unique_per_operation_and_token(store: Store) -> None:
    week_ago = T0 - timedelta(days=7)
    with store.write(HERE) as tx:
        tx.put_claim("i-1", "StartTaskContact", "tok", Claim("c-1", "fp"), T0, week_ago)
    with store.read(HERE) as tx:
        assert tx.get_claim("i-1", "StartTaskContact", "tok", week_ago) == Claim("c-1", "fp")
        assert tx.get_claim("i-1", "CreateContact", "tok", week_ago) is None
    with pytest.raises(Exception), store.write(HERE) as tx:  # noqa: B017 - backend's own error
        tx.put_claim("i-1", "StartTaskContact", "tok", Claim("c-2", "fp2"), T0, week_ago)


def test_an_expired_claim_is_gone_and_can_be_claimed_again(store: Store) -> None:
    later = T0 + timedelta(days=8)
    with store.write(HERE) as tx:
        tx.put_claim("i-1", "StartTaskContact", "tok", Claim("c-1", "fp"), T0, T0)
    with store.read(HERE) as tx:
        assert tx.get_claim("i-1", "StartTaskContact", "tok", later - timedelta(days=7)) is None
    with store.write(HERE) as tx:
        tx.put_claim("i-1", "StartTaskContact", "tok", Claim("c-2", "fp2"), later,
                     later - timedelta(days=7))
    with store.read(HERE) as tx:
        assert tx.get_claim("i-1", "StartTaskContact", "tok", later - timedelta(days=7)) == \
            Claim("c-2", "fp2")
    assert store.delete_claims_before(later) == 0
    assert store.delete_claims_before(later + timedelta(seconds=1)) == 1


def test_delete_instance_removes_its_contacts(store: Store) -> None:
    with store.write(HERE) as tx:
        tx.put_instance(_instance())
        tx.put_contact(_contact("c-1"))
        tx.delete_instance("i-1")
    with store.read(HERE) as tx:
        assert tx.get_instance("i-1") is None and tx.get_contact("i-1", "c-1") is None


def test_sweep_deletes_by_initiation(store: Store) -> None:
    old = T0 - timedelta(days=800)
    with store.write(HERE) as tx:
        tx.put_instance(_instance())
        tx.put_contact(_contact("old", old))
        tx.put_contact(_contact("new", T0))
        tx.put_attributes("i-1", "old", {"gone": "yes"}, old)
        tx.put_attributes("i-1", "new", {"kept": "yes"}, T0)
        # A chain started long ago whose newest contact is recent keeps its attributes.
        tx.put_attributes("i-1", "chain", {"kept": "too"}, old)
        tx.put_attributes("i-1", "chain", {"kept": "too"}, T0)
        # Either side of the cutoff by a millisecond, on its day (SQLite finds them by day).
        cutoff = T0 - timedelta(days=730)
        tx.put_attributes("i-1", "just-before", {"gone": "yes"}, cutoff - timedelta(milliseconds=1))
        tx.put_attributes("i-1", "at", {"kept": "yes"}, cutoff)
        tx.put_attributes("i-1", "just-after", {"kept": "yes"}, cutoff + timedelta(milliseconds=1))
    assert store.delete_contacts_initiated_before(T0 - timedelta(days=730)) == 1
    assert store.count_contacts() == 1
    with store.read(HERE) as tx:
        assert tx.get_attributes("i-1", "old") == {}
        assert tx.get_attributes("i-1", "new") == {"kept": "yes"}
        assert tx.get_attributes("i-1", "chain") == {"kept": "too"}
        assert tx.get_attributes("i-1", "just-before") == {}
        assert tx.get_attributes("i-1", "at") == {"kept": "yes"}
        assert tx.get_attributes("i-1", "just-after") == {"kept": "yes"}


def test_attributes_are_per_chain_and_scoped(store: Store) -> None:
    with store.write(HERE) as tx:
        tx.put_attributes("i-1", "root", {"a": "1"}, T0)
        tx.put_attributes("i-1", "root", {"a": "2", "b": "3"}, T0 - timedelta(days=1))
    with store.read(HERE) as tx:
        assert tx.get_attributes("i-1", "root") == {"a": "2", "b": "3"}
        assert tx.get_attributes("i-1", "other") == {}
    with store.read(OTHER_REGION) as tx:
        assert tx.get_attributes("i-1", "root") == {}


def test_contacts_by_time_and_by_association(store: Store) -> None:
    with store.write(HERE) as tx:
        tx.put_contact(_contact("a", T0))
        tx.put_contact(_contact("b", T0 + timedelta(hours=1), contact_association_id="a",
                                initial_contact_id="a", previous_contact_id="a"))
        tx.put_contact(_contact("c", T0 + timedelta(hours=2)))
    with store.read(HERE) as tx:
        ids = {c.id for c in tx.list_contacts("i-1", T0, T0 + timedelta(hours=1))}
        assert ids == {"a", "b"}
        assert {c.id for c in tx.associated_contacts("i-1", "a")} == {"a", "b"}
        assert {c.id for c in tx.associated_contacts("i-1", "c")} == {"c"}
    with store.read(OTHER_ACCOUNT) as tx:
        assert tx.list_contacts("i-1", T0, T0 + timedelta(days=1)) == []


def test_clock_setting_persists(store: Store) -> None:
    assert store.get_clock() == ClockSetting()
    store.set_clock(ClockSetting(T0.timestamp(), None))
    assert store.get_clock().now(0.0) == T0


def test_contact_lookup_uses_the_primary_key(tmp_path: Path) -> None:
    # "Lookups by id stay as fast at 10 million contacts as at ten thousand": a B-tree seek,
    # never a scan. (bench/ measures the latencies; this checks the plan.)
    import sqlite3

    open_store(str(tmp_path / "plan.db")).close()
    db = sqlite3.connect(tmp_path / "plan.db")
    plan = " ".join(row[3] for row in db.execute(
        "EXPLAIN QUERY PLAN SELECT doc FROM contacts WHERE account=? AND region=? "
        "AND instance_id=? AND contact_id=?", ("a", "r", "i", "c")))
    assert "USING PRIMARY KEY" in plan and "SCAN" not in plan, plan


def test_the_attributes_sweep_reads_the_day_index_alone(tmp_path: Path) -> None:
    """By the day of touched, covered (a file with the old index by touched alone gets the
    new one when opened): no scan, no read of the table's rows to filter."""
    import sqlite3

    from connectlocal.store.sqlite import _SWEEP_ATTRIBUTES

    path = tmp_path / "plan.db"
    open_store(str(path)).close()
    db = sqlite3.connect(path)
    db.execute("DROP INDEX attributes_by_day")
    db.execute("CREATE INDEX attributes_touched ON attributes (touched)")
    db.commit()
    db.close()
    open_store(str(path)).close()
    db = sqlite3.connect(path)
    indexes = {row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='attributes'")}
    assert indexes == {"attributes_by_day"}
    plan = " ".join(row[3] for row in db.execute(
        f"EXPLAIN QUERY PLAN {_SWEEP_ATTRIBUTES}", (1.7e9, 1.7e9, 100)))
    assert "COVERING INDEX attributes_by_day" in plan and "SCAN" not in plan, plan


def test_a_version_1_file_is_migrated(tmp_path: Path) -> None:
    """Version 1 kept attributes in each contact's document and had no association column."""
    import sqlite3

    import orjson

    path = tmp_path / "v1.db"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        INSERT INTO meta VALUES ('schema_version', '1');
        CREATE TABLE contacts (account TEXT NOT NULL, region TEXT NOT NULL,
          instance_id TEXT NOT NULL, contact_id TEXT NOT NULL, initiated REAL NOT NULL,
          doc BLOB NOT NULL, PRIMARY KEY (account, region, instance_id, contact_id))
          WITHOUT ROWID;
    """)
    first = orjson.loads(orjson.dumps(_contact("first")))
    later = orjson.loads(orjson.dumps(_contact("later", T0 + timedelta(minutes=1),
                                               initial_contact_id="first",
                                               contact_association_id="first")))
    first["attributes"], later["attributes"] = {"a": "1"}, {"a": "1", "b": "2"}
    for doc in (first, later):
        db.execute("INSERT INTO contacts VALUES (?,?,?,?,?,?)",
                   (*HERE, "i-1", doc["id"], datetime.fromisoformat(
                       doc["initiation_timestamp"]).timestamp(), orjson.dumps(doc)))
    db.commit()
    db.close()
    store = open_store(str(path))
    try:
        with store.read(HERE) as tx:
            assert tx.get_contact("i-1", "first") == _contact("first")
            assert tx.get_attributes("i-1", "first") == {"a": "1", "b": "2"}
            assert {c.id for c in tx.associated_contacts("i-1", "first")} == {"first", "later"}
        with store.write(HERE) as tx:  # and it takes new writes
            tx.put_contact(_contact("new"))
    finally:
        store.close()


def test_reset_empties_every_scope(store: Store) -> None:
    with store.write(HERE) as tx:
        tx.put_instance(_instance())
        tx.put_contact(_contact("c-1"))
        tx.put_attributes("i-1", "c-1", {"a": "b"}, T0)
    with store.write(OTHER_ACCOUNT) as tx:  # an alias is unique across accounts
        tx.put_instance(replace(_instance(), alias="alias-other"))
    store.set_clock(ClockSetting(T0.timestamp(), None))
    store.reset()
    assert store.count_contacts() == 0
    assert store.get_clock() == ClockSetting()
    for scope in (HERE, OTHER_ACCOUNT):
        with store.read(scope) as tx:
            assert tx.get_instance("i-1") is None
            assert tx.get_attributes("i-1", "c-1") == {}
    with store.write(HERE) as tx:  # and it is usable after
        tx.put_instance(_instance())


def test_a_contact_with_its_chains_attributes_in_one_read(store: Store) -> None:
    with store.write(HERE) as tx:
        tx.put_contact(_contact("first"))
        tx.put_contact(_contact("later", T0 + timedelta(minutes=1), initial_contact_id="first",
                                contact_association_id="first"))
        tx.put_contact(_contact("alone"))
        tx.put_attributes("i-1", "first", {"a": "1"}, T0)
    with store.read(HERE) as tx:
        assert tx.get_contact_and_attributes("i-1", "later") == (
            _contact("later", T0 + timedelta(minutes=1), initial_contact_id="first",
                     contact_association_id="first"), {"a": "1"})
        assert tx.get_contact_and_attributes("i-1", "alone") == (_contact("alone"), {})
        assert tx.get_contact_and_attributes("i-1", "missing") is None
    with store.read(OTHER_REGION) as tx:
        assert tx.get_contact_and_attributes("i-1", "first") is None
    # The same as a read of its own (DescribeContact's).
    assert store.contact_and_attributes(HERE, "i-1", "later") == (
        _contact("later", T0 + timedelta(minutes=1), initial_contact_id="first",
                 contact_association_id="first"), {"a": "1"})
    assert store.contact_and_attributes(HERE, "i-1", "missing") is None
    assert store.contact_and_attributes(OTHER_REGION, "i-1", "first") is None


def _staged(c: str, updated: datetime, attributes: dict[str, str] | None = None,
            initiated: datetime = T0, **chain: str) -> Staged:
    contact = _contact(c, initiated, **chain)
    contact.last_update_timestamp = updated
    contact.name = f"updated {updated.isoformat()}"
    return staged(contact, attributes)


def test_a_bulk_load_keeps_each_contacts_newest_record(store: Store) -> None:
    later, latest = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
    with store.write(HERE) as tx:
        stored = _contact("stored-newer")
        stored.last_update_timestamp = latest
        tx.put_contact(stored)
        tx.put_contact(_contact("stored-older"))
        tx.put_attributes("i-1", "stored-older", {"kept": "no"}, T0)
    with store.bulk_load() as load:
        load.add(HERE, [_staged("new", later), _staged("new", latest, {"n": "2"}),
                        _staged("stored-newer", later, {"ignored": "yes"}),
                        _staged("tie-across", later, {"t": "first"})])
        load.add(HERE, [_staged("new", T0, {"n": "0"}), _staged("tie", later, {"t": "first"}),
                        _staged("tie", later, {"t": "second"}),
                        _staged("stored-older", later, {"kept": "yes"}),
                        _staged("tie-across", later, {"t": "second"})])
        load.add(OTHER_REGION, [_staged("new", T0)])
        # New: "new", "tie" and "tie-across" here, "new" in the other region. Merged: the
        # two later records of "new", the second of each tie, and one record of each stored
        # contact.
        assert load.merge() == (4, 6)
    with store.read(HERE) as tx:
        assert tx.get_contact_and_attributes("i-1", "new") == (
            _staged_contact("new", latest), {"n": "2"})
        assert tx.get_contact_and_attributes("i-1", "tie") == (
            _staged_contact("tie", later), {"t": "first"})
        assert tx.get_contact_and_attributes("i-1", "tie-across") == (
            _staged_contact("tie-across", later), {"t": "first"})
        assert tx.get_contact_and_attributes("i-1", "stored-newer") == (stored, {})
        assert tx.get_contact_and_attributes("i-1", "stored-older") == (
            _staged_contact("stored-older", later), {"kept": "yes"})
    with store.read(OTHER_REGION) as tx:
        assert tx.get_contact("i-1", "new") == _staged_contact("new", T0)


def test_a_chains_attributes_come_from_its_newest_record_that_carries_them(
        store: Store) -> None:
    with store.bulk_load() as load:
        load.add(HERE, [
            _staged("first", T0 + timedelta(minutes=3), {"from": "first"}),
            _staged("second", T0 + timedelta(minutes=5), {"from": "second"},
                    initial_contact_id="first"),
            _staged("third", T0 + timedelta(minutes=9), None, initial_contact_id="first"),
        ])
        assert load.merge() == (3, 0)
    with store.read(HERE) as tx:
        assert tx.get_attributes("i-1", "first") == {"from": "second"}


def test_a_chains_attributes_come_from_its_newest_record_written(store: Store) -> None:
    # The chain's newest record is not written (what is stored is newer): its attributes
    # come from the newest record of the chain that is.
    with store.write(HERE) as tx:
        stored = _contact("second", initial_contact_id="first")
        stored.last_update_timestamp = T0 + timedelta(minutes=9)
        tx.put_contact(stored)
    with store.bulk_load() as load:
        load.add(HERE, [
            _staged("first", T0 + timedelta(minutes=3), {"from": "first"}),
            _staged("second", T0 + timedelta(minutes=5), {"from": "second"},
                    initial_contact_id="first"),
        ])
        assert load.merge() == (1, 1)
    with store.read(HERE) as tx:
        assert tx.get_attributes("i-1", "first") == {"from": "first"}
        assert tx.get_contact("i-1", "second") == stored


def test_a_chains_attributes_are_kept_while_its_newest_contact_is(store: Store) -> None:
    with store.write(HERE) as tx:
        tx.put_instance(_instance())
    with store.bulk_load() as load:
        load.add(HERE, [
            _staged("first", T0 + timedelta(minutes=9), {"from": "first"}),
            _staged("second", T0 + timedelta(minutes=5), {"from": "second"},
                    initiated=T0 + timedelta(days=10), initial_contact_id="first"),
        ])
        load.merge()
    store.delete_contacts_initiated_before(T0 + timedelta(days=5))
    with store.read(HERE) as tx:
        assert tx.get_contact("i-1", "first") is None
        assert tx.get_attributes("i-1", "first") == {"from": "first"}
    store.delete_contacts_initiated_before(T0 + timedelta(days=11))
    with store.read(HERE) as tx:
        assert tx.get_attributes("i-1", "first") == {}


def test_what_a_bulk_load_did_not_merge_is_dropped(store: Store) -> None:
    with store.bulk_load() as load:
        load.add(HERE, [_staged("never", T0)])
    with store.bulk_load() as load:
        assert load.merge() == (0, 0)
    with store.read(HERE) as tx:
        assert tx.get_contact("i-1", "never") is None


def _staged_contact(c: str, updated: datetime) -> Contact:
    contact = _contact(c)
    contact.last_update_timestamp = updated
    contact.name = f"updated {updated.isoformat()}"
    return contact


def test_expiring_lists_the_active_contacts_past_their_expiry_in_every_scope(
        store: Store) -> None:
    soon, later = T0 + timedelta(hours=1), T0 + timedelta(hours=5)
    with store.write(HERE) as tx:
        for name, expiry in (("soon", soon), ("later", later), ("never", None)):
            contact = _contact(name)
            contact.expires_at = expiry
            tx.put_contact(contact)
        ended = _contact("ended")
        ended.expires_at, ended.disconnect_timestamp = soon, T0
        tx.put_contact(ended)
    with store.write(OTHER_REGION) as tx:
        contact = _contact("elsewhere")
        contact.expires_at = soon
        tx.put_contact(contact)
    assert store.expiring(T0) == []
    assert sorted(store.expiring(soon)) == sorted([(HERE, "i-1", "soon"),
                                                   (OTHER_REGION, "i-1", "elsewhere")])
    with store.bulk_load() as load:  # a bulk load keeps the expiry too
        contact = _contact("loaded")
        contact.expires_at = soon
        load.add(HERE, [staged(contact)])
        load.merge()
    assert (HERE, "i-1", "loaded") in store.expiring(later)
    with store.write(HERE) as tx:  # once it has ended, it is no longer listed
        contact = _contact("soon")
        contact.expires_at, contact.disconnect_timestamp = soon, soon
        tx.put_contact(contact)
    assert (HERE, "i-1", "soon") not in store.expiring(later)


def test_a_version_2_file_learns_which_contacts_expire(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "v2.db"
    store = open_store(str(path))
    with store.write(HERE) as tx:
        for name, ended in (("chat", None), ("done", T0)):
            contact = _contact(name)
            contact.expires_at, contact.disconnect_timestamp = T0 + timedelta(hours=1), ended
            tx.put_contact(contact)
    store.close()
    db = sqlite3.connect(path)  # back to version 2: no expires column
    db.executescript("DROP INDEX contacts_expiring; ALTER TABLE contacts DROP COLUMN expires; "
                     "UPDATE meta SET value='2' WHERE key='schema_version';")
    db.close()
    store = open_store(str(path))
    try:
        assert store.expiring(T0 + timedelta(hours=2)) == [(HERE, "i-1", "chat")]
        with store.read(HERE) as tx:
            assert tx.get_contact("i-1", "chat") is not None
    finally:
        store.close()


def test_a_version_7_file_moves_its_stored_answers_to_their_table(tmp_path: Path) -> None:
    """Version 7 kept answers in ``contacts.wire``: they move, and a contact without one
    (loaded in bulk) is listed as pending."""
    import sqlite3

    path = tmp_path / "v7.db"
    store = open_store(str(path))
    with store.write(HERE) as tx:
        tx.put_contact(_contact("answered"))
        tx.put_contact(_contact("unanswered"))
    expected = _stored(store, "answered", T0)
    assert expected is not None
    store.close()
    db = sqlite3.connect(path)  # back to version 7: answers beside the documents
    db.executescript(
        "ALTER TABLE contacts ADD COLUMN wire BLOB; UPDATE contacts SET wire=(SELECT wire "
        "FROM answers a WHERE a.contact_id=contacts.contact_id) WHERE contact_id='answered'; "
        "DROP TABLE answers; DROP TABLE answers_pending; "
        "UPDATE meta SET value='7' WHERE key='schema_version';")
    db.close()
    store = open_store(str(path))
    try:
        assert _stored(store, "answered", T0) == expected
        assert [p.contact_id for p in store.pending_answers(10)] == ["unanswered"]
        assert store.make_all_answers() == 1
        assert _stored(store, "unanswered", T0) == _generic(store, "unanswered", T0)
        with sqlite3.connect(path) as check:
            assert check.execute("SELECT count(*) FROM contacts WHERE wire IS NOT NULL"
                                 ).fetchone() == (0,)
    finally:
        store.close()


def test_a_failure_merging_leaves_the_store_as_it_was(store: Store) -> None:
    import sqlite3

    from connectlocal.store.sqlite import SqliteStore

    with store.write(HERE) as tx:
        tx.put_contact(_contact("stored"))
    failure: type[Exception] = sqlite3.IntegrityError
    if not isinstance(store, SqliteStore):
        import psycopg
        failure = psycopg.errors.DuplicateTable
    with pytest.raises(failure), store.bulk_load() as load:
        load.add(HERE, [_staged("new", T0), _staged("stored", T0 + timedelta(minutes=1))])
        if isinstance(store, SqliteStore):  # the first write of the merge fails
            store._db.execute("CREATE TEMP TRIGGER refused BEFORE INSERT ON main.contacts "
                              "BEGIN SELECT RAISE(ABORT, 'refused'); END")
        else:  # the table the PostgreSQL load picks winners into exists already
            getattr(load, "_db").execute("CREATE TEMP TABLE winners (seq int)")  # noqa: B009
        try:
            load.merge()
        finally:
            if isinstance(store, SqliteStore):
                store._db.execute("DROP TRIGGER temp.refused")
    with store.read(HERE) as tx:
        assert tx.get_contact("i-1", "new") is None
        assert tx.get_contact("i-1", "stored") == _contact("stored")
    with store.write(HERE) as tx:  # no transaction was left open
        tx.put_contact(_contact("after"))
    with store.bulk_load() as load:  # and the next load merges
        load.add(HERE, [_staged("new", T0)])
        assert load.merge() == (1, 0)


def test_flow_runs_are_per_contact_scoped_and_found_when_due(store: Store) -> None:
    with store.write(HERE) as tx:
        tx.put_instance(_instance())
        tx.put_flow_run("i-1", "c-1", {"action": "a", "steps": 1}, T0)
        tx.put_flow_run("i-1", "c-2", {"action": "b"}, None)
    with store.write(OTHER_REGION) as tx:
        tx.put_flow_run("i-1", "c-3", {"action": "c"}, T0 + timedelta(seconds=10))
    with store.read(HERE) as tx:
        assert tx.get_flow_run("i-1", "c-1") == {"action": "a", "steps": 1}
        assert tx.get_flow_run("i-1", "c-3") is None
    assert store.due_flow_runs(T0) == [(HERE, "i-1", "c-1")]
    assert sorted(store.due_flow_runs(T0 + timedelta(seconds=10))) == sorted(
        [(HERE, "i-1", "c-1"), (OTHER_REGION, "i-1", "c-3")])
    with store.write(HERE) as tx:  # no longer waiting: not due any more
        tx.put_flow_run("i-1", "c-1", {"action": "a", "steps": 2}, None)
    assert store.due_flow_runs(T0) == []


def test_a_contacts_flow_run_and_flow_logs_go_with_it_at_the_retention_sweep(
        store: Store) -> None:
    with store.write(HERE) as tx:
        tx.put_instance(_instance())
        for name, initiated in (("old", T0), ("recent", T0 + timedelta(days=10))):
            tx.put_contact(_contact(name, initiated))
            tx.put_flow_run("i-1", name, {"action": name}, None)
            tx.add_flow_logs("i-1", name, [{"Identifier": name}])
    assert store.delete_contacts_initiated_before(T0 + timedelta(days=5)) == 1
    with store.read(HERE) as tx:
        assert tx.get_contact("i-1", "old") is None
        assert tx.get_flow_run("i-1", "old") is None and tx.get_flow_logs("old") == []
        assert tx.get_flow_run("i-1", "recent") == {"action": "recent"}
        assert tx.get_flow_logs("recent") == [{"Identifier": "recent"}]


def test_flow_logs_keep_their_order_and_go_with_the_instance(store: Store) -> None:
    with store.write(HERE) as tx:
        tx.put_instance(_instance())
        tx.add_flow_logs("i-1", "c-1", [{"Identifier": "one"}, {"Identifier": "two"}])
        tx.add_flow_logs("i-1", "c-2", [{"Identifier": "other"}])
        tx.add_flow_logs("i-1", "c-1", [{"Identifier": "three"}])
    with store.read(HERE) as tx:
        assert [r["Identifier"] for r in tx.get_flow_logs("c-1")] == ["one", "two", "three"]
    with store.read(OTHER_ACCOUNT) as tx:
        assert tx.get_flow_logs("c-1") == []
    with store.write(HERE) as tx:
        tx.delete_instance("i-1")
    with store.read(HERE) as tx:
        assert tx.get_flow_logs("c-1") == [] and tx.get_flow_run("i-1", "c-1") is None


def _ended(c: str, at: datetime = T0) -> Contact:
    return replace(_contact(c), disconnect_timestamp=at, last_update_timestamp=at)


def test_the_outbox_queues_ended_contacts_only_while_a_stream_consumer_is_registered(
        store: Store) -> None:
    now = T0.timestamp()
    with store.write(HERE) as tx:  # no consumer: nothing is queued
        tx.put_contact(_ended("c-0"))
    assert store.outbox_size() == 0
    store.register_stream("a", time.time())
    with store.write(HERE) as tx:
        tx.put_contact(_contact("c-1"))  # active: not queued
        tx.put_contact(_ended("c-2"))
        tx.put_contact(_ended("c-2", T0 + timedelta(seconds=1)))  # the last put of it only
    with pytest.raises(RuntimeError), store.write(OTHER_REGION) as tx:
        tx.put_contact(_ended("c-3"))
        raise RuntimeError("a write that fails queues nothing")
    with store.write(OTHER_REGION) as tx:
        tx.put_contact(_ended("c-4"))
    assert store.outbox_size() == 2
    claimed = store.claim_outbox("a", 10, now, 15.0)
    assert [(p.scope, p.contact.id) for p in claimed] == [(HERE, "c-2"), (OTHER_REGION, "c-4")]
    assert claimed[0].contact == _ended("c-2", T0 + timedelta(seconds=1))
    assert claimed[0].seq < claimed[1].seq
    assert store.claim_outbox("b", 10, now + 14, 15.0) == []  # a's lease holds
    store.renew_outbox("a", [claimed[1].seq], now + 30)
    store.finish_outbox("b", [p.seq for p in claimed])  # not b's: nothing removed
    assert store.outbox_size() == 2
    # a's lease on the first has ended: b claims it; a finishing it then removes nothing
    again = store.claim_outbox("b", 10, now + 16, 15.0)
    assert [p.seq for p in again] == [claimed[0].seq]
    store.finish_outbox("a", [claimed[0].seq])
    assert store.outbox_size() == 2
    store.finish_outbox("a", [claimed[1].seq])
    store.release_outbox("b", [claimed[0].seq])
    assert [p.contact.id for p in store.claim_outbox("c", 10, now + 17, 15.0)] == ["c-2"]
    store.finish_outbox("c", [claimed[0].seq])
    assert store.outbox_size() == 0


def test_the_outbox_claims_at_most_the_limit_oldest_first(store: Store) -> None:
    store.register_stream("a", time.time())
    for n in range(5):
        with store.write(HERE) as tx:
            tx.put_contact(_ended(f"c-{n}"))
    first = store.claim_outbox("a", 2, 0.0, 15.0)
    second = store.claim_outbox("b", 10, 0.0, 15.0)
    assert [p.contact.id for p in first] == ["c-0", "c-1"]
    assert [p.contact.id for p in second] == ["c-2", "c-3", "c-4"]


def test_a_consumer_that_stopped_or_lapsed_queues_nothing_more(store: Store) -> None:
    store.register_stream("a", time.time())
    store.unregister_stream("a")
    with store.write(HERE) as tx:
        tx.put_contact(_ended("c-1"))
    store.register_stream("b", time.time() - STREAM_LAPSE - 1)  # killed long ago
    with store.write(HERE) as tx:
        tx.put_contact(_ended("c-2"))
    assert store.outbox_size() == 0
    store.register_stream("b", time.time())  # back
    with store.write(HERE) as tx:
        tx.put_contact(_ended("c-3"))
    assert store.outbox_size() == 1
    store.reset()  # removes what is queued, keeps who streams
    assert store.outbox_size() == 0
    with store.write(HERE) as tx:
        tx.put_contact(_ended("c-4"))
    assert store.outbox_size() == 1


def _generic(store: Store, contact_id: str, now: datetime) -> dict[str, object] | None:
    """DescribeContact's body as the generic path makes it at ``now`` (None: not found)."""
    found = store.contact_and_attributes(HERE, "i-1", contact_id)
    if found is None or not rules.describable(found[0], now):
        return None
    serializer, op = wire._serializer()
    view = views.contact(rules.as_seen(rules.settle(found[0], now), now), found[1])
    body: dict[str, object] = orjson.loads(serializer.serialize(op, {"Contact": view}, "-").body)
    return body


def _stored(store: Store, contact_id: str, now: datetime) -> dict[str, object] | None:
    found = store.wire_and_attributes(HERE, "i-1", contact_id)
    body = None if found is None else wire.answer(found[0], found[1], wire.floor_ms(now))
    return None if body is None else dict(orjson.loads(body))


def test_every_write_of_a_contact_keeps_its_stored_answer_true(store: Store) -> None:
    """DescribeContact's stored answer (connectlocal.wire) is the generic path's answer
    wherever it is used, after every kind of contact write: put, rewrite, attributes of the
    chain changed on their own, a bulk load's winners; and it is not used where the clock
    rules change the answer (an expiry passed, a scheduled task not yet queued, retention)."""
    expiring = _contact("expiring")
    expiring.expires_at = T0 + timedelta(hours=1)
    scheduled = _contact("scheduled")
    scheduled.scheduled_timestamp = T0 + timedelta(hours=2)
    scheduled.queue = QueueInfo("q-1", T0 + timedelta(hours=2))
    with store.write(HERE) as tx:
        tx.put_contact(_contact("first"))
        tx.put_contact(_contact("later", T0 + timedelta(minutes=1), initial_contact_id="first",
                                contact_association_id="first"))
        tx.put_contact(expiring)
        tx.put_contact(scheduled)
        tx.put_attributes("i-1", "first", {"a": "1", "é": "\u00e9\n\""}, T0)
    renamed = replace(_contact("first"), name="renamed", last_update_timestamp=T0 + timedelta(1))
    with store.write(HERE) as tx:
        tx.put_contact(renamed)
    with store.bulk_load() as load:
        load.add(HERE, [_staged("bulk", T0 + timedelta(minutes=5), {"b": "2"}),
                        _staged("later", T0 + timedelta(minutes=9), initial_contact_id="first",
                                contact_association_id="first")])
        load.merge()
    # A bulk load's contacts wait for their answers (the replaced one's is gone) until they
    # are made, off the load's path.
    assert _stored(store, "bulk", T0) is None
    assert _stored(store, "later", T0) is None
    assert store.make_all_answers() == 2
    assert store.pending_answers(10) == []
    ids = ("first", "later", "expiring", "scheduled", "bulk", "missing")
    checked = 0
    for now in (T0, T0 + timedelta(minutes=30), T0 + timedelta(hours=1),
                T0 + timedelta(hours=3), T0 + timedelta(days=729),
                T0.replace(year=T0.year + 2), T0 - timedelta(days=1)):
        for contact_id in ids:
            stored = _stored(store, contact_id, now)
            if stored is not None:
                assert stored == _generic(store, contact_id, now), (contact_id, now)
                checked += 1
    assert _stored(store, "first", T0)["Contact"]["Name"] == "renamed"  # type: ignore[index]
    assert _stored(store, "later", T0)["Contact"]["Attributes"] == {  # type: ignore[index]
        "a": "1", "é": "\u00e9\n\""}
    # Where the rules change the answer, the stored one is not used.
    assert _stored(store, "expiring", T0 + timedelta(hours=1)) is None
    assert _stored(store, "scheduled", T0 + timedelta(hours=1)) is None
    assert _stored(store, "scheduled", T0 + timedelta(hours=2)) is not None
    assert _stored(store, "first", T0.replace(year=T0.year + 2)) is None
    assert checked >= 15  # most (contact, instant) pairs are answered from the stored form


def test_an_answer_made_from_a_document_since_rewritten_is_not_stored(store: Store) -> None:
    """A stored answer made in the background (``make_answers``) from a document that a
    write has replaced since it was read is dropped, and the contact stays pending; one made
    for a contact that is gone takes it off the list."""
    with store.bulk_load() as load:
        load.add(HERE, [_staged("raced", T0), _staged("gone", T0)])
        load.merge()
    pending = store.pending_answers(10)
    assert [p.contact_id for p in pending] == ["gone", "raced"]
    with store.write(HERE) as tx:  # a write after the documents were read
        tx.put_contact(replace(_contact("raced"), name="newer",
                               last_update_timestamp=T0 + timedelta(hours=1)))
    made = [MadeAnswer(p, p.contact_id, b"stale") for p in pending]
    made[0] = MadeAnswer(pending[0]._replace(document=None), "", None)  # as if gone
    store.put_answers(made)
    assert [p.contact_id for p in store.pending_answers(10)] == ["raced"]
    # The write's own answer stands; making the pending one again agrees with it.
    assert _stored(store, "raced", T0)["Contact"]["Name"] == "newer"  # type: ignore[index]
    assert store.make_all_answers() == 1
    assert store.pending_answers(10) == []
    assert _stored(store, "raced", T0) == _generic(store, "raced", T0)


def test_the_retention_sweep_removes_stored_answers_with_their_contacts(store: Store) -> None:
    with store.write(HERE) as tx:
        tx.put_instance(_instance())
        tx.put_contact(_contact("old"))
        tx.put_contact(_contact("new", T0 + timedelta(days=2)))
    with store.bulk_load() as load:
        load.add(HERE, [_staged("loaded", T0)])  # initiated at T0: pending when swept
        load.merge()
    assert store.delete_contacts_initiated_before(T0 + timedelta(days=1)) == 2
    assert store.wire_and_attributes(HERE, "i-1", "old") is None
    assert store.wire_and_attributes(HERE, "i-1", "new") is not None
    assert store.pending_answers(10) == []
