"""The PostgreSQL store: one database (or schema) shared by any number of server processes.

Correctness across processes and hosts (docs/design/store.md): a write transaction takes a
transaction-scoped advisory lock per instance it touches before its first statement on that
instance, so read-modify-writes of one instance run one at a time across every server (as
SQLite's one writer does) and each sees what the previous committed (READ COMMITTED takes a
snapshot per statement). Reads are REPEATABLE READ snapshots. Uniqueness (ClientTokens,
aliases) is by constraint; the retention sweep runs under a session advisory lock, one process
at a time; the service clock lives in the ``meta`` table, read by every server.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from ..clock import ClockSetting
from ..models import AgentState, Contact, Instance
from ..wire import stored_form
from .base import (
    STREAM_LAPSE,
    BulkLoad,
    Claim,
    FactQuery,
    FactRows,
    MadeAnswer,
    Paced,
    Pending,
    PendingAnswer,
    Scope,
    Staged,
    Store,
    StoreConflict,
    StoreError,
    StoreUnavailable,
    Tx,
    contact_facts,
    contact_row,
    ended,
)
from .codec import decode, encode
from .factsql import fact_statement

R = TypeVar("R")
T = TypeVar("T")
log = logging.getLogger(__name__)

POOL_SIZE = 8  # connections a process keeps at most (the event loop's reads, the writers)
POOL_WAIT = 3.0  # seconds a request waits for a connection before "store unavailable"
CONNECT_TIMEOUT = 3  # seconds to reach the server (libpq's connect_timeout)
# A write waits this long for another server's transaction on its instance (a step of a sweep
# or a merge takes ~0.1 s) before its request fails, as the SQLite store's BUSY_SECONDS; and a
# session of ours idle inside a transaction this long (a server stopped mid-write) is ended by
# PostgreSQL, releasing its locks.
LOCK_WAIT = 30.0
IDLE_IN_TRANSACTION = 60.0
CLOCK_RECHECK = 0.25  # seconds a clock setting read from the database is trusted
MERGE_ROWS = 100_000  # contacts a transaction when a bulk load is merged
DEADLOCK_TRIES = 3  # a bulk load's chunk, rolled back as a deadlock's victim, is run again
# The first contacts whose answers are to be made, each with its document: the keys taken
# first, then each contact by its primary key (a subquery a row). Joined whole and then
# limited, the planner merged the two on (account, region, instance) by contacts_by_time and
# filtered on the contact, every pending row against every contact of its instance: over a
# second a batch among 100,000 imported contacts, ~5 ms this way.
PENDING_ANSWERS = (
    "SELECT p.account, p.region, p.instance_id, p.contact_id, (SELECT c.doc FROM contacts c "
    "WHERE c.account=p.account AND c.region=p.region AND c.instance_id=p.instance_id AND "
    "c.contact_id=p.contact_id) FROM (SELECT * FROM answers_pending ORDER BY account, region, "
    "instance_id, contact_id LIMIT %s) p ORDER BY p.account, p.region, p.instance_id, "
    "p.contact_id")
# pg_advisory_lock's two-int4 key space (distinct from the one-bigint space the instance
# locks use): the retention sweep and the schema migration.
LOCK_CLASS = 0x636C  # "cl"
SWEEP_LOCK, MIGRATE_LOCK = 1, 2
DATA_TABLES = ("instances", "resources", "contacts", "attributes", "client_tokens",
               "contact_facts", "agent_states", "agent_status_history", "flow_runs",
               "flow_logs", "ctr_outbox", "answers", "answers_pending")
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")
_SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*\"?([^\s,\"]+)")

_PUT_CONTACT = (
    "INSERT INTO contacts (account, region, instance_id, contact_id, initiated, association, "
    "chain, updated, expires, doc) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
    "ON CONFLICT (account, region, instance_id, contact_id) DO UPDATE SET "
    "initiated=excluded.initiated, association=excluded.association, chain=excluded.chain, "
    "updated=excluded.updated, expires=excluded.expires, doc=excluded.doc")
_PUT_ANSWER = (
    "INSERT INTO answers VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (account, region, "
    "instance_id, contact_id) DO UPDATE SET chain=excluded.chain, wire=excluded.wire")
# A pending answer is made where the contact is still the document it was made from; FOR
# SHARE waits for a write of the contact in progress, then reads what it wrote.
_MADE_ANSWER = (
    "INSERT INTO answers SELECT %s,%s,%s,%s,%s,%s FROM contacts WHERE account=%s AND "
    "region=%s AND instance_id=%s AND contact_id=%s AND doc=%s FOR SHARE ON CONFLICT "
    "(account, region, instance_id, contact_id) DO UPDATE SET chain=excluded.chain, "
    "wire=excluded.wire")
CONTACT_AND_ATTRIBUTES = (
    "SELECT c.doc, a.doc FROM contacts c LEFT JOIN attributes a ON a.account=c.account AND "
    "a.region=c.region AND a.instance_id=c.instance_id AND a.initial_id=c.chain "
    "WHERE c.account=%s AND c.region=%s AND c.instance_id=%s AND c.contact_id=%s")
# The same, for DescribeContact's answer as stored (connectlocal.wire).
WIRE_AND_ATTRIBUTES = (
    "SELECT w.wire, a.doc FROM answers w LEFT JOIN attributes a ON a.account=w.account AND "
    "a.region=w.region AND a.instance_id=w.instance_id AND a.initial_id=w.chain "
    "WHERE w.account=%s AND w.region=%s AND w.instance_id=%s AND w.contact_id=%s")



def _instant(path: str) -> str:
    """An ISO 8601 instant of the document ``j`` (jsonb) as epoch seconds, to the
    millisecond (as ``store.base.contact_facts`` rounds)."""
    return (f"round(extract(epoch FROM (j #>> '{{{path}}}')::timestamptz)::numeric, 3)"
            "::double precision")


# The facts of contacts (schema: contact_facts) from their documents ``j``, after the five
# key columns the caller selects, for bulk loads and the version 2 backfill.
FACT_COLUMNS = ", ".join((
    "j ->> 'channel'", "j ->> 'initiation_method'", "j #>> '{queue,queue_id}'",
    _instant("queue,enqueue_timestamp"), "j #>> '{agent,agent_id}'",
    _instant("agent,connected_to_agent_timestamp"), _instant("disconnect_timestamp"),
    "(j #>> '{agent,after_contact_work_seconds}')::double precision",
    "(j #>> '{agent,hold_seconds}')::double precision",
    "coalesce(jsonb_typeof(j -> 'next_contacts') = 'array' AND "
    "jsonb_array_length(j -> 'next_contacts') > 0, false)"))
_PUT_FACTS = (
    "INSERT INTO contact_facts VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
    "ON CONFLICT (account, region, instance_id, initiated, contact_id) DO UPDATE SET "
    "channel=excluded.channel, method=excluded.method, queue_id=excluded.queue_id, "
    "enqueued=excluded.enqueued, agent_id=excluded.agent_id, connected=excluded.connected, "
    "disconnected=excluded.disconnected, acw_seconds=excluded.acw_seconds, "
    "hold_seconds=excluded.hold_seconds, transferred=excluded.transferred")
# Run after a schema step's file, in its transaction: version 2 derives the facts of the
# contacts already stored.
_AFTER_STEP = {2: (
    f"INSERT INTO contact_facts SELECT account, region, instance_id, contact_id, initiated, "
    f"{FACT_COLUMNS} FROM (SELECT account, region, instance_id, contact_id, initiated, "
    "convert_from(doc, 'UTF8')::jsonb AS j FROM contacts) c")}


def unavailable(exc: BaseException) -> bool:
    """Whether an error means the database cannot be reached (rather than a bad statement):
    a connection exception (SQLSTATE class 08), a server shutting down (57P0x), a broken
    connection (no SQLSTATE), a lock not granted within ``LOCK_WAIT``, or no pooled
    connection within ``POOL_WAIT``."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate
    # 55P03: a lock not granted within LOCK_WAIT.
    return state is None or state.startswith("08") or state.startswith("57P0") or \
        state == "55P03"


class PostgresTx(Tx):
    def __init__(self, db: psycopg.Connection[Any], scope: Scope, writing: bool) -> None:
        self.db = db
        self.scope = scope
        self._key = (scope.account, scope.region)
        self._writing = writing
        self._locked: set[str] = set()
        self.put: list[Contact] = []

    def _lock(self, instance_id: str) -> None:
        """Serialises this write with every other write to the instance, on every server."""
        if self._writing and instance_id not in self._locked:
            self.db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                            (f"{self.scope.account}/{self.scope.region}/{instance_id}",))
            self._locked.add(instance_id)

    def _one(self, query: str, params: tuple[Any, ...]) -> Any:
        return self.db.execute(query, params).fetchone()

    def _all(self, query: str, params: tuple[Any, ...]) -> list[Any]:
        return self.db.execute(query, params).fetchall()

    def get_instance(self, instance_id: str) -> Instance | None:
        self._lock(instance_id)
        row = self._one("SELECT doc FROM instances WHERE account=%s AND region=%s "
                        "AND instance_id=%s", (*self._key, instance_id))
        return decode(Instance, row[0]) if row else None

    def list_instances(self, after: str | None, limit: int) -> list[Instance]:
        rows = self._all("SELECT doc FROM instances WHERE account=%s AND region=%s AND "
                         "instance_id>%s ORDER BY instance_id LIMIT %s",
                         (*self._key, after or "", limit))
        return [decode(Instance, r[0]) for r in rows]

    def put_instance(self, instance: Instance) -> None:
        self._lock(instance.id)
        self._one("INSERT INTO instances VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (account, "
                  "region, instance_id) DO UPDATE SET alias=excluded.alias, "
                  "created=excluded.created, doc=excluded.doc RETURNING 1",
                  (*self._key, instance.id, instance.alias, instance.created_time.timestamp(),
                   encode(instance)))

    def delete_instance(self, instance_id: str) -> None:
        self._lock(instance_id)
        for table in DATA_TABLES:
            self.db.execute(sql.SQL("DELETE FROM {} WHERE account=%s AND region=%s AND "
                                    "instance_id=%s").format(sql.Identifier(table)),
                            (*self._key, instance_id))

    def alias_in_use(self, alias: str) -> bool:
        return self._one("SELECT 1 FROM instances WHERE alias=%s", (alias,)) is not None

    def get_resource(self, instance_id: str, kind: type[R], resource_id: str) -> R | None:
        self._lock(instance_id)
        row = self._one("SELECT doc FROM resources WHERE account=%s AND region=%s AND "
                        "instance_id=%s AND kind=%s AND resource_id=%s",
                        (*self._key, instance_id, kind.__name__, resource_id))
        return decode(kind, row[0]) if row else None

    def list_resources(
        self, instance_id: str, kind: type[R], after: str | None, limit: int
    ) -> list[R]:
        self._lock(instance_id)
        rows = self._all("SELECT doc FROM resources WHERE account=%s AND region=%s AND "
                         "instance_id=%s AND kind=%s AND resource_id>%s ORDER BY resource_id "
                         "LIMIT %s", (*self._key, instance_id, kind.__name__, after or "", limit))
        return [decode(kind, r[0]) for r in rows]

    def put_resource(self, instance_id: str, resource: Any) -> None:
        self._lock(instance_id)
        self.db.execute(
            "INSERT INTO resources VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (account, region, "
            "instance_id, kind, resource_id) DO UPDATE SET doc=excluded.doc",
            (*self._key, instance_id, type(resource).__name__, resource.id, encode(resource)))

    def delete_resource(self, instance_id: str, kind: type[Any], resource_id: str) -> bool:
        self._lock(instance_id)
        cursor = self.db.execute(
            "DELETE FROM resources WHERE account=%s AND region=%s AND instance_id=%s AND "
            "kind=%s AND resource_id=%s", (*self._key, instance_id, kind.__name__, resource_id))
        return cursor.rowcount > 0

    def get_contact(self, instance_id: str, contact_id: str) -> Contact | None:
        self._lock(instance_id)
        row = self._one("SELECT doc FROM contacts WHERE account=%s AND region=%s AND "
                        "instance_id=%s AND contact_id=%s", (*self._key, instance_id, contact_id))
        return decode(Contact, row[0]) if row else None

    def put_contact(self, contact: Contact) -> None:
        self._lock(contact.instance_id)
        self.db.execute(_PUT_CONTACT, (*self._key, *contact_row(contact)))
        self.db.execute(_PUT_FACTS, (*self._key, *contact_facts(contact)))
        self.db.execute(_PUT_ANSWER, (*self._key, contact.instance_id, contact.id,
                                      contact.chain_root, stored_form(contact)))
        self.put.append(contact)

    def waiting_contacts(self, instance_id: str, until: datetime) -> list[Contact]:
        self._lock(instance_id)
        rows = self._all(
            "SELECT c.doc FROM contact_facts f JOIN contacts c ON c.account=f.account AND "
            "c.region=f.region AND c.instance_id=f.instance_id AND c.contact_id=f.contact_id "
            "WHERE f.account=%s AND f.region=%s AND f.instance_id=%s AND f.queue_id IS NOT NULL "
            "AND f.connected IS NULL AND f.disconnected IS NULL AND f.enqueued <= %s "
            "ORDER BY f.enqueued", (*self._key, instance_id, until.timestamp()))
        return [decode(Contact, r[0]) for r in rows]

    def facts(self, instance_id: str, query: FactQuery) -> FactRows:
        self._lock(instance_id)
        statement = fact_statement(query, "%s", arrays=True)
        out: FactRows = []
        n = statement.groups
        for index, (start, end) in enumerate(query.intervals):
            for row in self._all(statement.sql, (*statement.before, *self._key, instance_id,
                                                 start, end, *statement.after)):
                if row[n]:
                    answers: list[float | None] = [
                        None if v is None else v if isinstance(v, int) else float(v)
                        for v in row[n + 1:]]
                    out.append((index, tuple(row[:n]), answers))
        return out

    def status_seconds(self, instance_id: str, start: float, end: float, now: float,
                       status_type: str) -> dict[str, float]:
        self._lock(instance_id)
        rows = self._all(
            "SELECT user_id, sum(greatest(0, least(until, %s) - greatest(started, %s))) FROM "
            "(SELECT user_id, started, status_type, coalesce(lead(started) OVER (PARTITION BY "
            "user_id ORDER BY started), %s) AS until FROM agent_status_history WHERE "
            "account=%s AND region=%s AND instance_id=%s) h WHERE status_type=%s "
            "GROUP BY user_id", (end, start, now, *self._key, instance_id, status_type))
        return {user_id: float(seconds) for user_id, seconds in rows if seconds}

    def get_agent_state(self, instance_id: str, user_id: str) -> AgentState | None:
        self._lock(instance_id)
        row = self._one("SELECT doc FROM agent_states WHERE account=%s AND region=%s AND "
                        "instance_id=%s AND user_id=%s", (*self._key, instance_id, user_id))
        return decode(AgentState, row[0]) if row else None

    def list_agent_states(self, instance_id: str) -> list[AgentState]:
        self._lock(instance_id)
        rows = self._all("SELECT doc FROM agent_states WHERE account=%s AND region=%s AND "
                         "instance_id=%s ORDER BY user_id", (*self._key, instance_id))
        return [decode(AgentState, r[0]) for r in rows]

    def put_agent_state(self, instance_id: str, state: AgentState,
                        due: datetime | None) -> None:
        self._lock(instance_id)
        self.db.execute(
            "INSERT INTO agent_states VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (account, region, "
            "instance_id, user_id) DO UPDATE SET due=excluded.due, doc=excluded.doc",
            (*self._key, instance_id, state.user_id,
             due.timestamp() if due is not None else None, encode(state)))

    def log_agent_status(self, instance_id: str, user_id: str, at: datetime, status_id: str,
                         status_type: str) -> None:
        self._lock(instance_id)
        self.db.execute(
            "INSERT INTO agent_status_history VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT "
            "(account, region, instance_id, user_id, started) DO UPDATE SET "
            "status_id=excluded.status_id, status_type=excluded.status_type",
            (*self._key, instance_id, user_id, at.timestamp(), status_id, status_type))

    def get_flow_run(self, instance_id: str, contact_id: str) -> dict[str, Any] | None:
        self._lock(instance_id)
        row = self._one("SELECT doc FROM flow_runs WHERE account=%s AND region=%s AND "
                        "instance_id=%s AND contact_id=%s", (*self._key, instance_id, contact_id))
        found: dict[str, Any] | None = orjson.loads(row[0]) if row else None
        return found

    def put_flow_run(self, instance_id: str, contact_id: str, run: dict[str, Any],
                     due: datetime | None) -> None:
        self._lock(instance_id)
        self.db.execute(
            "INSERT INTO flow_runs VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (account, region, "
            "instance_id, contact_id) DO UPDATE SET due=excluded.due, doc=excluded.doc",
            (*self._key, instance_id, contact_id, due.timestamp() if due else None,
             orjson.dumps(run)))

    def add_flow_logs(self, instance_id: str, contact_id: str,
                      records: list[dict[str, Any]]) -> None:
        self._lock(instance_id)
        with self.db.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO flow_logs (account, region, instance_id, contact_id, doc) "
                "VALUES (%s,%s,%s,%s,%s)",
                [(*self._key, instance_id, contact_id, orjson.dumps(r)) for r in records])

    def get_flow_logs(self, contact_id: str) -> list[dict[str, Any]]:
        rows = self._all("SELECT doc FROM flow_logs WHERE account=%s AND region=%s AND "
                         "contact_id=%s ORDER BY seq", (*self._key, contact_id))
        return [orjson.loads(r[0]) for r in rows]

    def get_contact_and_attributes(
        self, instance_id: str, contact_id: str
    ) -> tuple[Contact, dict[str, str]] | None:
        self._lock(instance_id)
        row = self._one(CONTACT_AND_ATTRIBUTES, (*self._key, instance_id, contact_id))
        if row is None:
            return None
        return decode(Contact, row[0]), (orjson.loads(row[1]) if row[1] else {})

    def get_wire_and_attributes(self, instance_id: str,
                                contact_id: str) -> tuple[bytes | None, bytes | None] | None:
        self._lock(instance_id)
        row = self._one(WIRE_AND_ATTRIBUTES, (*self._key, instance_id, contact_id))
        return None if row is None else (row[0], row[1])

    def list_contacts(self, instance_id: str, initiated_from: datetime,
                      initiated_to: datetime) -> list[Contact]:
        self._lock(instance_id)
        rows = self._all("SELECT doc FROM contacts WHERE account=%s AND region=%s AND "
                         "instance_id=%s AND initiated>=%s AND initiated<=%s",
                         (*self._key, instance_id, initiated_from.timestamp(),
                          initiated_to.timestamp()))
        return [decode(Contact, r[0]) for r in rows]

    def associated_contacts(self, instance_id: str, association_id: str) -> list[Contact]:
        self._lock(instance_id)
        rows = self._all("SELECT doc FROM contacts WHERE account=%s AND region=%s AND "
                         "instance_id=%s AND association=%s",
                         (*self._key, instance_id, association_id))
        return [decode(Contact, r[0]) for r in rows]

    def get_attributes(self, instance_id: str, initial_contact_id: str) -> dict[str, str]:
        self._lock(instance_id)
        row = self._one("SELECT doc FROM attributes WHERE account=%s AND region=%s AND "
                        "instance_id=%s AND initial_id=%s",
                        (*self._key, instance_id, initial_contact_id))
        return orjson.loads(row[0]) if row else {}

    def put_attributes(self, instance_id: str, initial_contact_id: str,
                       attributes: dict[str, str], touched: datetime) -> None:
        self._lock(instance_id)
        self.db.execute(
            "INSERT INTO attributes VALUES (%s,%s,%s,%s,%s,%s) "
            "ON CONFLICT (account, region, instance_id, initial_id) DO UPDATE SET "
            "touched=greatest(attributes.touched, excluded.touched), doc=excluded.doc",
            (*self._key, instance_id, initial_contact_id, touched.timestamp(),
             orjson.dumps(attributes)))

    def get_claim(self, instance_id: str, operation: str, token: str,
                  since: datetime) -> Claim | None:
        self._lock(instance_id)
        row = self._one("SELECT resource_id, fingerprint FROM client_tokens WHERE account=%s "
                        "AND region=%s AND instance_id=%s AND operation=%s AND token=%s AND "
                        "created >= %s",
                        (*self._key, instance_id, operation, token, since.timestamp()))
        return Claim(row[0], row[1]) if row else None

    def put_claim(self, instance_id: str, operation: str, token: str, claim: Claim,
                  created: datetime, since: datetime) -> None:
        self._lock(instance_id)
        key = (*self._key, instance_id, operation, token)
        self.db.execute(
            "DELETE FROM client_tokens WHERE account=%s AND region=%s AND instance_id=%s "
            "AND operation=%s AND token=%s AND created < %s", (*key, since.timestamp()))
        self.db.execute("INSERT INTO client_tokens VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                        (*key, claim.resource_id, claim.fingerprint, created.timestamp()))


class PostgresBulkLoad(BulkLoad):
    """Added contacts are COPYed into temporary tables of a connection of the load's own; the
    merge picks each contact's winner in SQL and writes the winners in key order,
    ``MERGE_ROWS`` to a transaction."""

    _COLUMNS = ("seq", "account", "region", "instance_id", "contact_id", "initiated",
                "association", "chain", "updated", "expires", "has_attributes", "doc",
                "attributes", "channel", "method", "queue_id", "enqueued", "agent_id",
                "connected", "disconnected", "acw_seconds", "hold_seconds", "transferred")

    def __init__(self, store: PostgresStore) -> None:
        self._store = store
        self._db = store._connect()
        self._seq = itertools.count(1)
        self._db.execute(
            "CREATE TEMP TABLE staged (seq bigint PRIMARY KEY, account text, region text, "
            "instance_id text, contact_id text, initiated double precision, association text, "
            "chain text, updated double precision, expires double precision, "
            "has_attributes boolean, doc bytea, attributes bytea, "
            # contact_facts less the key and initiated
            "channel text, method text, queue_id text, enqueued double precision, "
            "agent_id text, connected double precision, disconnected double precision, "
            "acw_seconds double precision, hold_seconds double precision, transferred boolean)")

    def add(self, scope: Scope, contacts: list[Staged]) -> None:
        with self._db.transaction(), self._db.cursor() as cursor, cursor.copy(
                f"COPY staged ({', '.join(self._COLUMNS)}) FROM STDIN") as copy:
            for row, attributes, facts in contacts:
                copy.write_row((next(self._seq), *scope, *row[:7], attributes is not None,
                                row.document,
                                None if attributes is None else orjson.dumps(attributes),
                                *facts[3:]))

    def merge(self) -> tuple[int, int]:
        db = self._db
        with db.transaction():
            # Each contact's newest record (at a tie, the first added) and what is stored
            # for it, numbered in key order.
            db.execute(
                "CREATE TEMP TABLE winners AS SELECT row_number() OVER (ORDER BY s.account, "
                "s.region, s.instance_id, s.contact_id) AS n, s.seq, s.account, s.region, "
                "s.instance_id, s.contact_id, s.initiated, s.chain, s.updated, "
                "s.has_attributes, c.updated AS stored, c.initiated AS stored_initiated FROM "
                "(SELECT DISTINCT ON (account, "
                "region, instance_id, contact_id) * FROM staged ORDER BY account, region, "
                "instance_id, contact_id, updated DESC, seq) s LEFT JOIN contacts c ON "
                "c.account=s.account AND c.region=s.region AND c.instance_id=s.instance_id "
                "AND c.contact_id=s.contact_id")
            # Of the winners that replace what is stored, per chain: the newest record with
            # attributes, and the newest initiation (the sweep reads it).
            db.execute(
                "CREATE TEMP TABLE chains AS SELECT row_number() OVER (ORDER BY account, "
                "region, instance_id, chain) AS n, * FROM (SELECT DISTINCT ON (account, "
                "region, instance_id, chain) seq, account, region, instance_id, chain, "
                "max(initiated) OVER (PARTITION BY account, region, instance_id, chain) "
                "AS touched FROM winners WHERE has_attributes AND (stored IS NULL OR "
                "updated > stored) ORDER BY account, region, instance_id, chain, "
                "updated DESC, seq) newest")
            # Temporary tables have no statistics until analyzed (autovacuum skips them):
            # without, the joins below ran as nested loops over every pair of rows.
            db.execute("ANALYZE staged, winners, chains")
            (records,) = db.execute("SELECT count(*) FROM staged").fetchone() or (0,)
            contacts, existing = db.execute(
                "SELECT count(*), count(stored) FROM winners").fetchone() or (0, 0)
        # One transaction a chunk of winners writes all of theirs: a load that stops (a kill,
        # Ctrl-C, a lost connection) leaves each contact it wrote with its facts row, and the
        # chains whose newest record it wrote with their attributes. (Written in passes, a
        # stop between them left contacts no metric counted, and an import run again skips
        # a record as new as the one stored: they stayed uncounted.) Its statements lock rows
        # in the order the server's writes do (attributes, contacts, facts, answers:
        # UpdateContactAttributes, put_contact), so that one waits for the other instead of
        # deadlocking.
        self._in_chunks(
            "winners",
            # A chain's attributes with the chunk that holds its newest record.
            "INSERT INTO attributes SELECT c.account, c.region, c.instance_id, c.chain, "
            "c.touched, s.attributes FROM chains c JOIN winners w ON w.seq=c.seq JOIN staged s "
            "ON s.seq=c.seq WHERE w.n BETWEEN %(first)s AND %(last)s ORDER BY c.n "
            "ON CONFLICT (account, region, instance_id, initial_id) DO UPDATE SET "
            "touched=greatest(attributes.touched, excluded.touched), doc=excluded.doc",
            # The contacts, and the facts of those written: a write since the winners were
            # picked (by another process) is not replaced by an older record, and keeps its
            # own facts.
            "WITH written AS (INSERT INTO contacts (account, region, instance_id, contact_id, "
            "initiated, association, chain, updated, expires, doc) SELECT s.account, s.region, "
            "s.instance_id, s.contact_id, s.initiated, s.association, s.chain, s.updated, "
            "s.expires, s.doc FROM winners w JOIN staged s ON s.seq=w.seq "
            "WHERE w.n BETWEEN %(first)s AND %(last)s AND (w.stored IS NULL OR "
            "w.updated > w.stored) ORDER BY w.n "
            "ON CONFLICT (account, region, instance_id, contact_id) DO UPDATE SET "
            "initiated=excluded.initiated, association=excluded.association, "
            "chain=excluded.chain, updated=excluded.updated, expires=excluded.expires, "
            "doc=excluded.doc WHERE excluded.updated > contacts.updated "
            "RETURNING account, region, instance_id, contact_id) "
            "INSERT INTO contact_facts SELECT s.account, s.region, s.instance_id, "
            "s.contact_id, s.initiated, s.channel, s.method, s.queue_id, s.enqueued, "
            "s.agent_id, s.connected, s.disconnected, s.acw_seconds, s.hold_seconds, "
            "s.transferred FROM written x JOIN winners w ON w.account=x.account AND "
            "w.region=x.region AND w.instance_id=x.instance_id AND w.contact_id=x.contact_id "
            "AND w.n BETWEEN %(first)s AND %(last)s JOIN staged s ON s.seq=w.seq ORDER BY w.n "
            "ON CONFLICT (account, region, instance_id, initiated, contact_id) DO UPDATE SET "
            "channel=excluded.channel, method=excluded.method, queue_id=excluded.queue_id, "
            "enqueued=excluded.enqueued, agent_id=excluded.agent_id, "
            "connected=excluded.connected, disconnected=excluded.disconnected, "
            "acw_seconds=excluded.acw_seconds, hold_seconds=excluded.hold_seconds, "
            "transferred=excluded.transferred",
            # A winner initiated at another instant than the contact it replaces drops that
            # contact's facts row.
            "DELETE FROM contact_facts f USING winners w WHERE w.n BETWEEN %(first)s AND "
            "%(last)s AND w.stored IS NOT NULL AND w.updated > w.stored AND "
            "w.stored_initiated <> w.initiated AND f.account=w.account AND f.region=w.region "
            "AND f.instance_id=w.instance_id AND f.initiated=w.stored_initiated AND "
            "f.contact_id=w.contact_id",
            # The stored answers of the contacts written go (a server may have stored one
            # since the winners were picked), and theirs are to be made (connectlocal.wire).
            "DELETE FROM answers a USING winners w WHERE w.n BETWEEN %(first)s AND %(last)s "
            "AND (w.stored IS NULL OR w.updated > w.stored) AND a.account=w.account AND "
            "a.region=w.region AND a.instance_id=w.instance_id AND a.contact_id=w.contact_id",
            "INSERT INTO answers_pending SELECT account, region, instance_id, contact_id FROM "
            "winners WHERE n BETWEEN %(first)s AND %(last)s AND (stored IS NULL OR "
            "updated > stored) ORDER BY n ON CONFLICT DO NOTHING")
        # Fresh statistics at once (autovacuum comes later): without any, the planner took
        # contacts_by_association for DescribeContact's lookup (its three leading columns
        # are the primary key's too) and filtered the instance's rows, 12.7 ms a lookup among
        # 20,000 contacts against 0.03 ms by the primary key (docs/design/store.md).
        if contacts:
            self._db.execute("ANALYZE contacts, attributes, contact_facts")
        return contacts - existing, records - contacts + existing

    def _in_chunks(self, table: str, *statements: str) -> None:
        """``statements`` over ``table``'s rows, ``MERGE_ROWS`` of them a transaction (each
        statement's parameters are the range: ``first`` and ``last``)."""
        (last,) = self._db.execute(
            sql.SQL("SELECT coalesce(max(n), 0) FROM {}").format(sql.Identifier(table))
        ).fetchone() or (0,)
        for first in range(1, last + 1, MERGE_ROWS):
            chunk = {"first": first, "last": first + MERGE_ROWS - 1}
            for attempt in range(1, DEADLOCK_TRIES + 1):
                try:
                    with self._db.transaction():
                        for statement in statements:
                            self._db.execute(statement, chunk)
                    break
                except psycopg.errors.DeadlockDetected:
                    # Chosen to give way to a server's write (the chunk's rows in key
                    # order, a chain's contacts in that write's): the chunk again.
                    if attempt == DEADLOCK_TRIES:
                        raise
                    log.warning("a bulk load's chunk gave way to a deadlocked write; again")

    def drop(self) -> None:
        self._db.close()  # temporary tables go with their connection


def parse_url(url: str) -> tuple[str, str | None, str]:
    """(libpq conninfo, the schema the store lives in or None for the default, the location
    to show: the URL without its password). ``schema=`` is connectlocal's own parameter; it
    becomes ``options=-csearch_path=...``, which may also be given directly."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise StoreError(f"not a PostgreSQL URL: {url}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((value for key, value in query if key == "schema"), None)
    options = " ".join(value for key, value in query if key == "options")
    query = [(key, value) for key, value in query if key not in ("schema", "options")]
    if schema is None:
        found = _SEARCH_PATH.search(options)
        schema = found.group(1) if found else None
    elif schema:
        options = f"{options} -csearch_path={schema}".strip()
    if schema is not None and not _SCHEMA_NAME.fullmatch(schema):
        raise StoreError(f"the schema must be a plain SQL name (letters, digits, _ and $, "
                         f"not starting with a digit): {schema!r}")
    if options:
        query.append(("options", options))
    netloc = parts.netloc.rpartition("@")[2]
    user = parts.username
    shown = urlunsplit((parts.scheme, f"{user}@{netloc}" if user else netloc, parts.path,
                        f"schema={schema}" if schema else "", ""))
    return urlunsplit(parts._replace(query=urlencode(query))), schema or None, shown


class PostgresStore(Store):
    name = "postgresql"
    shared = True

    def __init__(self, url: str) -> None:
        self._conninfo, self._schema, self.location = parse_url(url)
        self.watchers = []
        self._clock_seen: tuple[float, ClockSetting] | None = None
        self._clock_lock = threading.Lock()
        self._clock_generation = 0  # set_clock and reset of this process, counted
        params = conninfo_to_dict(self._conninfo)
        self._where = f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}"
        try:
            with self._connect() as db:
                self._migrate(db)
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"cannot open the PostgreSQL store at {self._where}: "
                                   f"{_one_line(exc)}") from None
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            self._conninfo, min_size=1, max_size=POOL_SIZE, timeout=POOL_WAIT,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
            configure=_configure, name="connectlocal", open=True)

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT)

    def _migrate(self, db: psycopg.Connection[Any]) -> None:
        """Creates the schema in an empty database (or schema), or brings an older one to the
        current version; one process at a time (an advisory lock)."""
        steps = _migrations()
        current = max(steps)
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, MIGRATE_LOCK))
            if self._schema is not None:
                db.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    sql.Identifier(self._schema)))
            version = 0
            if db.execute("SELECT to_regclass('meta')").fetchone() not in (None, (None,)):
                row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                version = int(row[0]) if row else 0
            else:
                found = db.execute(
                    "SELECT string_agg(table_name, ', ') FROM information_schema.tables WHERE "
                    "table_schema = current_schema() AND table_name = ANY(%s)",
                    (list(DATA_TABLES),)).fetchone()
                if found and found[0]:
                    raise StoreError(
                        f"{self.location} has tables named like connectlocal's ({found[0]}) but "
                        "no connectlocal schema version: not a connectlocal store (give another "
                        "database or ?schema=)")
            if version > current:
                raise StoreError(
                    f"{self.location} is at schema version {version}, newer than this "
                    f"connectlocal's {current}: upgrade connectlocal to open it")
            for step in sorted(steps):
                if step > version:
                    db.execute(steps[step])
                    if step in _AFTER_STEP:
                        db.execute(_AFTER_STEP[step])
                    db.execute("INSERT INTO meta VALUES ('schema_version', %s) ON CONFLICT "
                               "(key) DO UPDATE SET value=excluded.value", (str(step),))

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection; an unreachable database is ``StoreUnavailable``, and the
        pool then checks its idle connections, so that it reconnects once the database is
        back instead of handing out connections that died with it."""
        try:
            with self._pool.connection() as db:
                yield db
        except (psycopg.OperationalError, PoolTimeout) as exc:
            if not unavailable(exc):
                raise
            threading.Thread(target=self._pool.check, daemon=True).start()
            raise StoreUnavailable(f"store unavailable: PostgreSQL at {self._where}: "
                                   f"{_one_line(exc)}") from exc

    def check(self) -> None:
        self._autocommit(lambda db: db.execute("SELECT 1"))

    @contextmanager
    def read(self, scope: Scope) -> Iterator[Tx]:
        with self._connection() as db:
            db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                yield PostgresTx(db, scope, writing=False)
            finally:
                if not db.broken:
                    db.execute("COMMIT")

    def contact_and_attributes(self, scope: Scope, instance_id: str,
                               contact_id: str) -> tuple[Contact, dict[str, str]] | None:
        # One statement is a snapshot of its own: no BEGIN and COMMIT around it.
        with self._connection() as db:
            return PostgresTx(db, scope, writing=False).get_contact_and_attributes(
                instance_id, contact_id)

    def wire_and_attributes(self, scope: Scope, instance_id: str,
                            contact_id: str) -> tuple[bytes | None, bytes | None] | None:
        with self._connection() as db:
            return PostgresTx(db, scope, writing=False).get_wire_and_attributes(
                instance_id, contact_id)

    @contextmanager
    def write(self, scope: Scope) -> Iterator[Tx]:
        with self._connection() as db:
            db.execute("BEGIN")
            tx = PostgresTx(db, scope, writing=True)
            try:
                yield tx
                if tx.put:
                    _queue_ended(db, scope, tx.put)
            except BaseException as exc:
                if not db.broken:
                    db.execute("ROLLBACK")
                if isinstance(exc, psycopg.errors.DeadlockDetected):  # this one was the victim
                    raise StoreConflict(f"PostgreSQL ended the transaction to break a "
                                        f"deadlock: {_one_line(exc)}") from exc
                raise
            db.execute("COMMIT")
        if tx.put and self.watchers:
            for watcher in self.watchers:
                try:
                    watcher(scope, tx.put)
                except Exception:
                    log.exception("a store watcher failed")

    def _autocommit(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        with self._connection() as db:
            return work(db)

    @contextmanager
    def bulk_load(self) -> Iterator[BulkLoad]:
        try:
            load = PostgresBulkLoad(self)
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"store unavailable: PostgreSQL at {self._where}: "
                                   f"{_one_line(exc)}") from exc
        try:
            yield load
        finally:
            load.drop()

    def get_clock(self) -> ClockSetting:
        # Read on every request: another server may have moved it; trusted for
        # CLOCK_RECHECK seconds, so that a request does not pay for a query.
        now = time.monotonic()
        seen = self._clock_seen
        if seen is not None and now - seen[0] < CLOCK_RECHECK:
            return seen[1]
        # A set_clock of this process (another thread) while this reads makes what was read
        # stale: it is answered but not kept (as the SQLite store does).
        generation = self._clock_generation
        row = self._autocommit(
            lambda db: db.execute("SELECT value FROM meta WHERE key='clock'").fetchone())
        setting = ClockSetting(**orjson.loads(row[0])) if row else ClockSetting()
        with self._clock_lock:
            if generation == self._clock_generation:
                self._clock_seen = (now, setting)
        return setting

    def set_clock(self, setting: ClockSetting) -> None:
        value = orjson.dumps(setting.document()).decode()
        self._autocommit(lambda db: db.execute(
            "INSERT INTO meta VALUES ('clock', %s) ON CONFLICT (key) DO UPDATE SET "
            "value=excluded.value", (value,)))
        with self._clock_lock:  # after the commit: a read begun before it keeps nothing
            self._clock_generation += 1
            self._clock_seen = None

    def reset(self) -> None:
        with self._connection() as db, db.transaction():
            for table in DATA_TABLES:
                db.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
            db.execute("DELETE FROM meta WHERE key='clock'")
        with self._clock_lock:
            self._clock_generation += 1
            self._clock_seen = None

    def delete_contacts_initiated_before(self, cutoff: datetime) -> int:
        """One process at a time (a session advisory lock; another process's sweep already
        running makes this one remove nothing), instance by instance, in steps of about 0.1 s
        (``Paced``), each a transaction under the instance's write lock: a writer to the
        instance waits for one step, not for the whole sweep."""
        with self._connection() as db:
            got = db.execute("SELECT pg_try_advisory_lock(%s, %s)",
                             (LOCK_CLASS, SWEEP_LOCK)).fetchone()
            if not got or not got[0]:
                return 0
            try:
                removed = 0
                owners = db.execute("SELECT account, region, instance_id FROM instances "
                                    "ORDER BY 1, 2, 3").fetchall()
                for account, region, instance_id in owners:
                    def contacts(n: int, owner: tuple[str, str, str] = (
                            account, region, instance_id)) -> int:
                        with db.transaction():
                            db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                                       ("/".join(owner),))
                            # The contacts, their stored answers, flow runs and flow logs
                            # with them.
                            row = db.execute(
                                "WITH gone AS (DELETE FROM contacts WHERE ctid = ANY(ARRAY("
                                "SELECT ctid FROM contacts WHERE account=%s AND region=%s AND "
                                "instance_id=%s AND initiated < %s LIMIT %s)) RETURNING "
                                "account, region, instance_id, contact_id), answered AS ("
                                "DELETE FROM answers a USING gone g WHERE a.account=g.account "
                                "AND a.region=g.region AND a.instance_id=g.instance_id AND "
                                "a.contact_id=g.contact_id), waiting AS (DELETE FROM "
                                "answers_pending p USING gone g WHERE p.account=g.account AND "
                                "p.region=g.region AND p.instance_id=g.instance_id AND "
                                "p.contact_id=g.contact_id), runs AS (DELETE FROM flow_runs r "
                                "USING gone g WHERE r.account=g.account AND r.region=g.region "
                                "AND r.instance_id=g.instance_id AND r.contact_id=g.contact_id), "
                                "logs AS (DELETE FROM flow_logs l USING gone g WHERE "
                                "l.account=g.account AND l.region=g.region AND "
                                "l.instance_id=g.instance_id AND l.contact_id=g.contact_id) "
                                "SELECT count(*) FROM gone",
                                (*owner, cutoff.timestamp(), n)).fetchone()
                            return int(row[0]) if row else 0

                    removed += Paced().run(contacts)

                    def facts(n: int, owner: tuple[str, str, str] = (
                            account, region, instance_id)) -> int:
                        with db.transaction():
                            db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                                       ("/".join(owner),))
                            return db.execute(
                                "DELETE FROM contact_facts WHERE ctid = ANY(ARRAY(SELECT ctid "
                                "FROM contact_facts WHERE account=%s AND region=%s AND "
                                "instance_id=%s AND initiated < %s LIMIT %s))",
                                (*owner, cutoff.timestamp(), n)).rowcount

                    Paced().run(facts)
                Paced().run(lambda n: db.execute(
                    "DELETE FROM attributes WHERE ctid = ANY(ARRAY(SELECT ctid FROM attributes "
                    "WHERE touched < %s LIMIT %s))", (cutoff.timestamp(), n)).rowcount)
            finally:
                if not db.broken:
                    db.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, SWEEP_LOCK))
            return removed

    def expiring(self, until: datetime) -> list[tuple[Scope, str, str]]:
        rows = self._autocommit(lambda db: db.execute(
            "SELECT account, region, instance_id, contact_id FROM contacts WHERE expires <= %s",
            (until.timestamp(),)).fetchall())
        return [(Scope(account, region), instance_id, contact_id)
                for account, region, instance_id, contact_id in rows]

    def due_flow_runs(self, until: datetime) -> list[tuple[Scope, str, str]]:
        rows = self._autocommit(lambda db: db.execute(
            "SELECT account, region, instance_id, contact_id FROM flow_runs WHERE due <= %s",
            (until.timestamp(),)).fetchall())
        return [(Scope(account, region), instance_id, contact_id)
                for account, region, instance_id, contact_id in rows]

    def routing_due(self, until: datetime) -> list[tuple[Scope, str]]:
        # From the agents (few) to their instances' waiting contacts (an index lookup each).
        rows = self._autocommit(lambda db: db.execute(
            "SELECT DISTINCT a.account, a.region, a.instance_id FROM agent_states a "
            "WHERE a.due <= %s OR EXISTS (SELECT 1 FROM contact_facts f WHERE "
            "f.account=a.account AND f.region=a.region AND f.instance_id=a.instance_id "
            "AND f.queue_id IS NOT NULL AND f.connected IS NULL AND f.disconnected IS NULL "
            "AND f.enqueued <= %s)", (until.timestamp(), until.timestamp())).fetchall())
        return [(Scope(account, region), instance_id) for account, region, instance_id in rows]

    def delete_claims_before(self, cutoff: datetime) -> int:
        with self._connection() as db:
            return Paced().run(lambda n: db.execute(
                "DELETE FROM client_tokens WHERE ctid = ANY(ARRAY(SELECT ctid FROM client_tokens "
                "WHERE created < %s LIMIT %s))", (cutoff.timestamp(), n)).rowcount)

    def register_stream(self, consumer: str, now: float) -> None:
        self._autocommit(lambda db: db.execute(
            "INSERT INTO ctr_consumers VALUES (%s,%s) ON CONFLICT (consumer) DO UPDATE SET "
            "seen=excluded.seen", (consumer, now)))

    def unregister_stream(self, consumer: str) -> None:
        self._autocommit(lambda db: db.execute(
            "DELETE FROM ctr_consumers WHERE consumer=%s", (consumer,)))

    def claim_outbox(self, consumer: str, limit: int, now: float,
                     lease: float) -> list[Pending]:
        # One statement, its own transaction: rows another server is claiming at the same
        # moment are skipped (SKIP LOCKED), rows it holds a lease on are not claimable.
        rows = self._autocommit(lambda db: db.execute(
            "UPDATE ctr_outbox SET claimer=%s, claimed_until=%s WHERE seq IN (SELECT seq FROM "
            "ctr_outbox WHERE claimed_until IS NULL OR claimed_until < %s ORDER BY seq LIMIT %s "
            "FOR UPDATE SKIP LOCKED) RETURNING seq, account, region, doc",
            (consumer, now + lease, now, limit)).fetchall())
        return sorted(Pending(seq, Scope(account, region), decode(Contact, doc))
                      for seq, account, region, doc in rows)

    def renew_outbox(self, consumer: str, seqs: list[int], until: float) -> None:
        self._outbox_rows("UPDATE ctr_outbox SET claimed_until=%s", (until,), consumer, seqs)

    def finish_outbox(self, consumer: str, seqs: list[int]) -> None:
        self._outbox_rows("DELETE FROM ctr_outbox", (), consumer, seqs)

    def release_outbox(self, consumer: str, seqs: list[int]) -> None:
        self._outbox_rows("UPDATE ctr_outbox SET claimer=NULL, claimed_until=NULL", (),
                          consumer, seqs)

    def _outbox_rows(self, change: str, values: tuple[Any, ...], consumer: str,
                     seqs: list[int]) -> None:
        if seqs:
            self._autocommit(lambda db: db.execute(
                f"{change} WHERE claimer=%s AND seq = ANY(%s)", (*values, consumer, seqs)))

    def outbox_size(self) -> int:
        row = self._autocommit(lambda db: db.execute("SELECT count(*) FROM ctr_outbox").fetchone())
        return int(row[0]) if row else 0

    def pending_answers(self, limit: int) -> list[PendingAnswer]:
        rows = self._autocommit(lambda db: db.execute(PENDING_ANSWERS, (limit,)).fetchall())
        return [PendingAnswer(Scope(account, region), instance_id, contact_id, doc)
                for account, region, instance_id, contact_id, doc in rows]

    def put_answers(self, made: list[MadeAnswer]) -> None:
        with self._connection() as db, db.transaction():
            for (scope, instance_id, contact_id, doc), chain, answer in made:
                key = (*scope, instance_id, contact_id)
                if doc is not None and not db.execute(
                        _MADE_ANSWER, (*key, chain, answer, *key, doc)).rowcount:
                    continue  # written since it was read: still pending
                db.execute("DELETE FROM answers_pending WHERE account=%s AND region=%s AND "
                           "instance_id=%s AND contact_id=%s", key)

    def count_contacts(self) -> int:
        row = self._autocommit(lambda db: db.execute("SELECT count(*) FROM contacts").fetchone())
        return int(row[0]) if row else 0

    def close(self) -> None:
        self._pool.close()


# The CTR stream's outbox: a write's ended contacts, while a stream consumer is registered
# (store.base.STREAM_LAPSE), in the write's transaction.
_QUEUE_ENDED = (
    "INSERT INTO ctr_outbox (account, region, instance_id, contact_id, doc) SELECT %s,%s,%s,%s,"
    "%s WHERE EXISTS (SELECT 1 FROM ctr_consumers WHERE seen > %s)")


def _queue_ended(db: psycopg.Connection[Any], scope: Scope, put: list[Contact]) -> None:
    contacts = ended(put)
    if contacts:
        since = time.time() - STREAM_LAPSE
        with db.cursor() as cursor:
            cursor.executemany(_QUEUE_ENDED, [(*scope, c.instance_id, c.id, encode(c), since)
                                              for c in contacts])


def _configure(db: psycopg.Connection[Any]) -> None:
    """Each pooled session: bounded lock waits, and no transaction left open for ever."""
    db.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(f"{int(LOCK_WAIT * 1000)}ms")))
    db.execute(sql.SQL("SET idle_in_transaction_session_timeout = {}").format(
        sql.Literal(f"{int(IDLE_IN_TRANSACTION * 1000)}ms")))


def _migrations() -> dict[int, str]:
    """The schema's versions: ``schema/postgres-N.sql`` brings version N-1 to N."""
    found = {}
    for entry in resources.files("connectlocal.store").joinpath("schema").iterdir():
        matched = re.fullmatch(r"postgres-(\d+)\.sql", entry.name)
        if matched:
            found[int(matched.group(1))] = entry.read_text()
    return found


def _one_line(exc: BaseException) -> str:
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
