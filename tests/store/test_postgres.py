"""What only the PostgreSQL store has: its URLs, its schema versions, and two processes (two
stores, each with its own pool) writing one database without losing an update."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectlocal.clock import ClockSetting
from connectlocal.models import Instance
from connectlocal.store import Store, StoreError, StoreUnavailable, open_store
from connectlocal.store.base import Aggregate, FactQuery, Scope, staged

psycopg = pytest.importorskip("psycopg", reason="the postgresql extra is not installed")
from connectlocal.store import postgres  # noqa: E402 - needs psycopg

from .test_contract import _contact, _instance, _staged  # noqa: E402

HERE = Scope("123456789012", "us-east-1")
T0 = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
_schemas = itertools.count()


@pytest.fixture
def url(pg_database: str) -> str:
    return f"{pg_database}?schema=p{next(_schemas)}"


@pytest.fixture
def two(url: str) -> Iterator[tuple[Store, Store]]:
    first, second = open_store(url), open_store(url)
    yield first, second
    first.close()
    second.close()


def test_schema_parameter_becomes_the_search_path() -> None:
    conninfo, schema, shown = postgres.parse_url(
        "postgresql://me:secret@db.example:6543/connect?schema=team_a&sslmode=disable")
    assert schema == "team_a"
    assert "options=-csearch_path%3Dteam_a" in conninfo and "sslmode=disable" in conninfo
    assert shown == "postgresql://me@db.example:6543/connect?schema=team_a"  # no password
    _, schema, _ = postgres.parse_url("postgresql://h/db?options=-csearch_path%3Dteam_b")
    assert schema == "team_b"
    with pytest.raises(StoreError, match="plain SQL name"):
        postgres.parse_url("postgresql://h/db?schema=a;drop")


def test_two_schemas_of_one_database_are_two_stores(pg_database: str) -> None:
    a, b = open_store(f"{pg_database}?schema=sa"), open_store(f"{pg_database}?schema=sb")
    try:
        a.set_clock(ClockSetting(T0.timestamp(), None))
        assert b.get_clock() == ClockSetting()
    finally:
        a.close()
        b.close()


def test_a_newer_schema_is_refused(url: str) -> None:
    open_store(url).close()
    conninfo, _, _ = postgres.parse_url(url)
    with psycopg.connect(conninfo, autocommit=True) as db:
        db.execute("UPDATE meta SET value='999' WHERE key='schema_version'")
    with pytest.raises(StoreError, match="schema version 999, newer than this connectlocal's"):
        open_store(url)


def test_tables_of_something_else_are_refused(url: str) -> None:
    conninfo, schema, _ = postgres.parse_url(url)
    with psycopg.connect(conninfo, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
        db.execute("CREATE TABLE contacts (id int)")
    with pytest.raises(StoreError, match="not a connectlocal store"):
        open_store(url)


def test_without_psycopg_the_message_names_the_extra() -> None:
    code = ("import sys; sys.modules['psycopg'] = None\n"
            "from connectlocal.store import open_store, StoreError\n"
            "try: open_store('postgresql://h/db')\n"
            "except StoreError as e: print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "pip install 'connectlocal[postgresql]'" in out


def test_an_unreachable_server_is_one_line_naming_host_and_port() -> None:
    with pytest.raises(StoreError) as raised:
        open_store("postgresql://postgres@127.0.0.1:1/connect")
    message = str(raised.value)
    assert "127.0.0.1:1" in message and "Connection refused" in message
    assert "\n" not in message


def test_read_modify_writes_of_two_stores_lose_nothing(two: tuple[Store, Store]) -> None:
    """Each thread, on either store, adds one attribute to the same chain's map, read then
    written in one write transaction: every one of them is there at the end."""
    with two[0].write(HERE) as tx:
        tx.put_attributes("i-1", "c-1", {}, T0)

    def add(store: Store, name: str) -> None:
        with store.write(HERE) as tx:
            attributes = tx.get_attributes("i-1", "c-1")
            tx.put_attributes("i-1", "c-1", {**attributes, name: "x"}, T0)

    threads = [threading.Thread(target=lambda n=n: [add(two[n % 2], f"k{n}-{i}")
                                                    for i in range(10)])
               for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with two[1].read(HERE) as tx:
        assert len(tx.get_attributes("i-1", "c-1")) == 60


def test_a_clock_set_through_one_store_holds_in_the_other(two: tuple[Store, Store]) -> None:
    first, second = two
    assert second.get_clock() == ClockSetting()
    first.set_clock(ClockSetting(T0.timestamp(), None))
    import time
    time.sleep(postgres.CLOCK_RECHECK + 0.05)
    assert second.get_clock() == ClockSetting(T0.timestamp(), None)


def test_an_alias_is_unique_by_constraint(two: tuple[Store, Store]) -> None:
    instance = Instance(id="i-1", arn="arn:i-1", identity_management_type="CONNECT_MANAGED",
                        created_time=T0, inbound_calls_enabled=True,
                        outbound_calls_enabled=False, alias="shared", tags={})
    with two[0].write(HERE) as tx:
        tx.put_instance(instance)
    with pytest.raises(psycopg.errors.UniqueViolation), \
            two[1].write(Scope("210987654321", "us-east-1")) as tx:
        tx.put_instance(instance)


def test_one_sweep_at_a_time(two: tuple[Store, Store]) -> None:
    """While one process holds the sweep's lock, another's sweep removes nothing."""
    first, second = two
    with first.write(HERE) as tx:
        tx.put_instance(_instance())
        tx.put_contact(_contact("old", T0 - timedelta(days=800)))
    conninfo, _, _ = postgres.parse_url(first.location)
    with psycopg.connect(conninfo, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s, %s)",
                       (postgres.LOCK_CLASS, postgres.SWEEP_LOCK))
        assert second.delete_contacts_initiated_before(T0) == 0
        assert second.count_contacts() == 1
        holder.execute("SELECT pg_advisory_unlock(%s, %s)",
                       (postgres.LOCK_CLASS, postgres.SWEEP_LOCK))
    assert second.delete_contacts_initiated_before(T0) == 1


@pytest.mark.parametrize(("statement", "params", "index"), [
    (postgres.CONTACT_AND_ATTRIBUTES, ("a", "r", "i-1", "c-1"), "contacts_pkey"),
    ("SELECT doc FROM contacts WHERE account=%s AND region=%s AND instance_id=%s "
     "AND initiated>=%s AND initiated<=%s", ("a", "r", "i-1", 0.0, 1.0), "contacts_by_time"),
    ("SELECT doc FROM contacts WHERE account=%s AND region=%s AND instance_id=%s "
     "AND association=%s", ("a", "r", "i-1", "c-1"), "contacts_by_association"),
    ("SELECT account, region, instance_id, contact_id FROM contacts WHERE expires <= %s",
     (1.0,), "contacts_expiring"),
])
def test_the_main_queries_have_their_index(url: str, statement: str, params: tuple[Any, ...],
                                           index: str) -> None:
    """DescribeContact's statement, SearchContacts' two (by initiation, by association) and
    the expiry sweep's are answered through their index, among 20,000 contacts of 4
    instances (analyzed: on an empty table's default estimates, DescribeContact's join
    picked the association index and filtered)."""
    open_store(url).close()
    conninfo, _, _ = postgres.parse_url(url)
    with psycopg.connect(conninfo, autocommit=True) as db:
        db.execute(
            "INSERT INTO contacts SELECT 'a', 'r', 'i-' || (n % 4), 'c-' || n, n, 'c-' || n, "
            "'c-' || n, n, CASE WHEN n % 50 = 0 THEN n END, '{}' FROM generate_series(1, 20000) n")
        db.execute("INSERT INTO attributes SELECT 'a', 'r', 'i-' || (n % 4), 'c-' || n, n, '{}' "
                   "FROM generate_series(1, 20000, 7) n")
        db.execute("ANALYZE")
        plan = "\n".join(row[0] for row in db.execute(f"EXPLAIN {statement}", params))
    assert f"using {index}" in plan.lower(), plan


def test_a_load_and_a_write_of_the_same_chain_wait_for_each_other_not_deadlock(
        url: str) -> None:
    # UpdateContactAttributes locks the chain's attributes, then its contacts; the load's
    # chunk locks them in the same order, so the write waits for the chunk (before, the chunk
    # took the contacts first: each then waited for the other, and PostgreSQL killed one).
    store = open_store(url)
    try:
        with store.write(HERE) as tx:
            tx.put_instance(_instance())
            tx.put_contact(_contact("x"))
            tx.put_attributes("i-1", "x", {"k": "stored"}, T0)
        newer = _contact("x")
        newer.last_update_timestamp = T0 + timedelta(minutes=9)
        locked, writing, errors = threading.Event(), threading.Event(), []

        def server() -> None:
            locked.wait(10)
            writing.set()
            try:
                with store.write(HERE) as tx:
                    tx.put_attributes("i-1", "x", {"k": "server"}, T0)
                    tx.put_contact(newer)
            except Exception as exc:  # what a deadlock would raise, on either side
                errors.append(repr(exc))

        thread = threading.Thread(target=server)
        with store.bulk_load() as load:
            load.add(HERE, [_staged("x", T0 + timedelta(minutes=5), {"k": "load"})])
            db = getattr(load, "_db")  # noqa: B009
            real = db.execute

            def execute(statement: Any, *args: Any, **kwargs: Any) -> Any:
                done = real(statement, *args, **kwargs)
                if isinstance(statement, str) and statement.startswith("WITH written"):
                    locked.set()  # the chunk holds the contact: the write starts
                    writing.wait(10)
                    time.sleep(0.5)  # and has taken what it can by now
                return done

            db.execute = execute
            thread.start()
            try:
                load.merge()
            except Exception as exc:
                errors.append(repr(exc))
        thread.join(20)
        assert errors == []
        with store.read(HERE) as tx:  # the write came after the chunk
            assert tx.get_contact_and_attributes("i-1", "x") == (newer, {"k": "server"})
    finally:
        store.close()


def test_the_answers_to_make_are_read_by_the_contacts_primary_key(url: str) -> None:
    """The background answer maker's batch among 20,000 contacts (~1 KB documents) of one
    instance, 16,000 of them pending (a CTR import's), analyzed: each pending contact is
    looked up by its key, never every contact of the instance merged against every pending
    one, nor every contact read."""
    open_store(url).close()
    conninfo, _, _ = postgres.parse_url(url)
    with psycopg.connect(conninfo, autocommit=True) as db:
        db.execute(
            "INSERT INTO contacts SELECT 'a', 'r', 'i-1', 'c-' || n, n, 'c-' || n, "
            "'c-' || n, n, NULL, convert_to('{\"name\": \"' || repeat('x', 1000) || '\"}', "
            "'UTF8') FROM generate_series(1, 20000) n")
        db.execute("INSERT INTO answers_pending SELECT 'a', 'r', 'i-1', 'c-' || n "
                   "FROM generate_series(4001, 20000) n")
        db.execute("ANALYZE")
        plan = "\n".join(row[0] for row in db.execute(
            f"EXPLAIN {postgres.PENDING_ANSWERS}", (500,)))
    assert "using contacts_pkey on contacts" in plan, plan
    assert "Seq Scan on contacts" not in plan and "Merge" not in plan, plan


def test_a_load_that_stops_midway_leaves_each_contact_it_wrote_whole(
        url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each chunk of the merge writes its contacts with their facts and their chains'
    # attributes: a stop (a kill, Ctrl-C) between two chunks leaves no contact that metrics
    # miss, and an import run again (which skips a record as new as the one stored) has
    # nothing left to mend.
    monkeypatch.setattr(postgres, "MERGE_ROWS", 1)
    store = open_store(url)
    try:
        with pytest.raises(KeyboardInterrupt), store.bulk_load() as load:
            load.add(HERE, [_staged(c, T0, {"n": c}) for c in ("a", "b", "c")])
            db = getattr(load, "_db")  # noqa: B009
            real, transactions = db.transaction, itertools.count()

            def transaction(*args: Any, **kwargs: Any) -> Any:
                # The first picks the winners, then one a chunk: the second chunk stops.
                if next(transactions) == 2:
                    raise KeyboardInterrupt
                return real(*args, **kwargs)

            db.transaction = transaction
            load.merge()
        with store._connection() as db:
            tables = {table: [row[0] for row in db.execute(
                f"SELECT {column} FROM {table} ORDER BY 1")]
                for table, column in (("contacts", "contact_id"),
                                      ("contact_facts", "contact_id"),
                                      ("attributes", "initial_id"),
                                      ("answers_pending", "contact_id"))}
        assert tables == {"contacts": ["a"], "contact_facts": ["a"], "attributes": ["a"],
                          "answers_pending": ["a"]}
        with store.read(HERE) as tx:
            assert tx.get_attributes("i-1", "a") == {"n": "a"}
    finally:
        store.close()


def test_after_a_bulk_load_describe_contact_goes_by_the_primary_key(url: str) -> None:
    store = open_store(url)
    try:
        with store.bulk_load() as load:
            load.add(HERE, [staged(_contact(f"c-{n}")) for n in range(3000)])
            load.merge()
    finally:
        store.close()
    conninfo, _, _ = postgres.parse_url(url)
    with psycopg.connect(conninfo, autocommit=True) as db:
        plan = "\n".join(row[0] for row in db.execute(
            f"EXPLAIN {postgres.CONTACT_AND_ATTRIBUTES}", (*HERE, "i-1", "c-7")))
    assert "using contacts_pkey" in plan.lower(), plan


def test_a_version_1_store_gets_the_facts_of_its_contacts(url: str) -> None:
    store = open_store(url)
    with store.write(HERE) as tx:
        tx.put_contact(_contact("c-1"))
    store.close()
    conninfo, _, _ = postgres.parse_url(url)
    with psycopg.connect(conninfo, autocommit=True) as db:  # back to version 1
        db.execute("DROP TABLE contact_facts, agent_states, agent_status_history, flow_runs, "
                   "flow_logs, ctr_outbox, ctr_consumers")
        db.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    store = open_store(url)
    try:
        with store.read(HERE) as tx:
            rows = tx.facts("i-1", FactQuery([(T0.timestamp() - 1, T0.timestamp() + 1)], {},
                                             ["channel"], [Aggregate("count", None)]))
        assert rows == [(0, ("TASK",), [1])]
    finally:
        store.close()


def test_a_write_waiting_too_long_for_an_instance_is_store_unavailable(
        url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another server's transaction holding the instance (here a raw session holding its
    lock) makes a write wait LOCK_WAIT at most, then fail as StoreUnavailable: no hang."""
    monkeypatch.setattr(postgres, "LOCK_WAIT", 0.5)
    store = open_store(url)
    conninfo, _, _ = postgres.parse_url(url)
    try:
        with psycopg.connect(conninfo) as holder:  # a transaction, as a writer's
            holder.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                           (f"{HERE.account}/{HERE.region}/i-1",))
            began = time.monotonic()
            with pytest.raises(StoreUnavailable, match="lock timeout"), \
                    store.write(HERE) as tx:
                tx.get_contact("i-1", "c-1")
            assert time.monotonic() - began < 5
        with store.write(HERE) as tx:  # released: writes go on
            tx.put_contact(_contact("c-1"))
    finally:
        store.close()


def test_a_request_chosen_to_break_a_deadlock_is_run_again(url: str) -> None:
    """UpdateContactAttributes locks the chain's attributes, then its contacts. Another
    transaction holding a contact and then wanting the attributes makes a deadlock, which
    PostgreSQL breaks by ending the request's transaction (its own deadlock check is set to
    wait longer): the request is run again and answered, not a 500."""
    import boto3
    from botocore.config import Config

    from connectlocal import mock_connect

    with mock_connect(data=url):
        # No retries of the SDK's own: they would send the request again after a 500.
        client = boto3.client("connect", region_name="us-east-1", aws_access_key_id="test",
                              aws_secret_access_key="test",
                              config=Config(retries={"total_max_attempts": 1}))
        instance = client.create_instance(IdentityManagementType="CONNECT_MANAGED",
                                          InboundCallsEnabled=True, OutboundCallsEnabled=True,
                                          InstanceAlias="deadlock")["Id"]
        flow = client.list_contact_flows(InstanceId=instance, ContactFlowTypes=["CONTACT_FLOW"])[
            "ContactFlowSummaryList"][0]["Id"]
        contact = client.start_task_contact(InstanceId=instance, ContactFlowId=flow, Name="t",
                                            Attributes={"a": "1"})["ContactId"]
        conninfo, _, _ = postgres.parse_url(url)
        answered: list[Any] = []
        with psycopg.connect(conninfo) as other:
            other.execute("SET deadlock_timeout = '20s'")  # the request's check comes first
            other.execute("SELECT 1 FROM contacts WHERE contact_id=%s FOR UPDATE", (contact,))

            def update() -> None:
                try:
                    answered.append(client.update_contact_attributes(
                        InstanceId=instance, InitialContactId=contact, Attributes={"b": "2"}))
                except Exception as exc:  # what a client would see
                    answered.append(exc)

            thread = threading.Thread(target=update)
            thread.start()
            with psycopg.connect(conninfo, autocommit=True) as watch:
                deadline = time.monotonic() + 10
                while watch.execute(
                        "SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0] == 0:
                    assert time.monotonic() < deadline, "the request never waited"
                    time.sleep(0.02)
            # The attributes the request holds: a deadlock, which ends the request's try.
            other.execute("UPDATE attributes SET doc=doc WHERE initial_id=%s", (contact,))
            other.commit()
            thread.join(30)
        assert answered and not isinstance(answered[0], Exception), answered
        assert client.get_contact_attributes(InstanceId=instance, InitialContactId=contact)[
            "Attributes"] == {"a": "1", "b": "2"}
