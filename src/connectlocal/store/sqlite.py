"""The embedded SQLite store: one file in WAL mode (or ``:memory:``), durable at commit."""

from __future__ import annotations

import itertools
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import orjson

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
    StoreError,
    Tx,
    contact_facts,
    contact_row,
    ended,
)
from .codec import decode, encode
from .factsql import fact_statement

R = TypeVar("R")
T = TypeVar("T")
V = TypeVar("V")
log = logging.getLogger(__name__)
SCHEMA_VERSION = "8"
WRITER_CACHE_KIB = 64 * 1024
READER_CACHE_KIB = 32 * 1024
PAGE_SIZE = 8192
MERGE_FIRST_STEP = 5_000  # contacts in a bulk load's first merge transaction (then Paced)
# Records a bulk load keeps in memory before it merges them (a run): ~1.75 KB each.
RUN = 250_000
# A writer waits this long for another connection's transaction (a step of a sweep or a merge,
# in this process or another) before its request fails: steps last ~0.1 s (store.base.Paced).
BUSY_SECONDS = 30.0
CLOCK_RECHECK = 0.25  # seconds a clock setting read from a file is trusted
LOAD_LAPSE = 60.0  # wall-clock seconds a bulk load goes unseen before it is taken as stopped
_PUT_CONTACT = (
    "INSERT OR REPLACE INTO contacts (account, region, instance_id, contact_id, initiated, "
    "association, chain, updated, expires, doc) VALUES (?,?,?,?,?,?,?,?,?,?)")
_PUT_ANSWER = "INSERT OR REPLACE INTO answers VALUES (?,?,?,?,?,?)"
# DescribeContact's one statement: a contact and its chain's attributes (bench/bare_server.py
# measures the floor under it with the same statement).
CONTACT_AND_ATTRIBUTES = (
    "SELECT c.doc, a.doc FROM contacts c LEFT JOIN attributes a ON a.account=c.account AND "
    "a.region=c.region AND a.instance_id=c.instance_id AND a.initial_id=c.chain "
    "WHERE c.account=? AND c.region=? AND c.instance_id=? AND c.contact_id=?")
# The same, for DescribeContact's answer as stored (connectlocal.wire).
WIRE_AND_ATTRIBUTES = (
    "SELECT w.wire, a.doc FROM answers w LEFT JOIN attributes a ON a.account=w.account AND "
    "a.region=w.region AND a.instance_id=w.instance_id AND a.initial_id=w.chain "
    "WHERE w.account=? AND w.region=? AND w.instance_id=? AND w.contact_id=?")
# A pending answer is made where the contact is still the document it was made from.
_MADE_ANSWER = (
    "INSERT OR REPLACE INTO answers SELECT ?,?,?,?,?,? WHERE (SELECT doc FROM contacts WHERE "
    "account=? AND region=? AND instance_id=? AND contact_id=?) = ?")
_NOT_PENDING = ("DELETE FROM answers_pending WHERE account=? AND region=? AND instance_id=? "
                "AND contact_id=?")
DATA_TABLES = ("instances", "resources", "contacts", "attributes", "client_tokens",
               "contact_facts", "agent_states", "agent_status_history", "flow_runs",
               "flow_logs", "ctr_outbox", "answers", "answers_pending")
OWN_TABLES = frozenset({"meta", "ctr_consumers", "bulk_loads", *DATA_TABLES})


def _instant(path: str) -> str:
    """An ISO 8601 instant of the document ``j`` as epoch seconds, to the millisecond
    (julianday keeps milliseconds)."""
    return f"round((julianday(json_extract(j, '$.{path}')) - 2440587.5) * 86400.0, 3)"


# The facts of contacts (schema: contact_facts) from their documents ``j``, after the five
# key columns the caller selects, for bulk loads and the migration.
FACT_COLUMNS = ", ".join((
    "json_extract(j, '$.channel')", "json_extract(j, '$.initiation_method')",
    "json_extract(j, '$.queue.queue_id')", _instant("queue.enqueue_timestamp"),
    "json_extract(j, '$.agent.agent_id')", _instant("agent.connected_to_agent_timestamp"),
    _instant("disconnect_timestamp"), "json_extract(j, '$.agent.after_contact_work_seconds')",
    "json_extract(j, '$.agent.hold_seconds')",
    "coalesce(json_array_length(j, '$.next_contacts'), 0) > 0"))
# One by one, the facts come from the contact itself (store.base.contact_facts): extracting
# them from the document took as long again as storing it.
_PUT_FACTS = "INSERT OR REPLACE INTO contact_facts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"


class SqliteTx(Tx):
    def __init__(self, db: sqlite3.Connection, scope: Scope) -> None:
        self.db = db
        self.scope = scope
        self._key = (scope.account, scope.region)
        self.put: list[Contact] = []  # what this transaction put, for the store's watchers

    def get_instance(self, instance_id: str) -> Instance | None:
        row = self.db.execute(
            "SELECT doc FROM instances WHERE account=? AND region=? AND instance_id=?",
            (*self._key, instance_id),
        ).fetchone()
        return decode(Instance, row[0]) if row else None

    def list_instances(self, after: str | None, limit: int) -> list[Instance]:
        rows = self.db.execute(
            "SELECT doc FROM instances WHERE account=? AND region=? AND instance_id>? "
            "ORDER BY instance_id LIMIT ?",
            (*self._key, after or "", limit),
        ).fetchall()
        return [decode(Instance, r[0]) for r in rows]

    def put_instance(self, instance: Instance) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO instances VALUES (?,?,?,?,?,?)",
            (*self._key, instance.id, instance.alias, instance.created_time.timestamp(),
             encode(instance)),
        )

    def delete_instance(self, instance_id: str) -> None:
        for table in DATA_TABLES:
            self.db.execute(
                f"DELETE FROM {table} WHERE account=? AND region=? AND instance_id=?",
                (*self._key, instance_id),
            )

    def alias_in_use(self, alias: str) -> bool:
        row = self.db.execute("SELECT 1 FROM instances WHERE alias=?", (alias,)).fetchone()
        return row is not None

    def get_resource(self, instance_id: str, kind: type[R], resource_id: str) -> R | None:
        row = self.db.execute(
            "SELECT doc FROM resources WHERE account=? AND region=? AND instance_id=? "
            "AND kind=? AND resource_id=?",
            (*self._key, instance_id, kind.__name__, resource_id),
        ).fetchone()
        return decode(kind, row[0]) if row else None

    def list_resources(
        self, instance_id: str, kind: type[R], after: str | None, limit: int
    ) -> list[R]:
        rows = self.db.execute(
            "SELECT doc FROM resources WHERE account=? AND region=? AND instance_id=? "
            "AND kind=? AND resource_id>? ORDER BY resource_id LIMIT ?",
            (*self._key, instance_id, kind.__name__, after or "", limit),
        ).fetchall()
        return [decode(kind, r[0]) for r in rows]

    def put_resource(self, instance_id: str, resource: Any) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO resources VALUES (?,?,?,?,?,?)",
            (*self._key, instance_id, type(resource).__name__, resource.id, encode(resource)),
        )

    def delete_resource(self, instance_id: str, kind: type[Any], resource_id: str) -> bool:
        cursor = self.db.execute(
            "DELETE FROM resources WHERE account=? AND region=? AND instance_id=? AND kind=? "
            "AND resource_id=?",
            (*self._key, instance_id, kind.__name__, resource_id),
        )
        return cursor.rowcount > 0

    def get_contact(self, instance_id: str, contact_id: str) -> Contact | None:
        row = self.db.execute(
            "SELECT doc FROM contacts WHERE account=? AND region=? AND instance_id=? "
            "AND contact_id=?",
            (*self._key, instance_id, contact_id),
        ).fetchone()
        return decode(Contact, row[0]) if row else None

    def put_contact(self, contact: Contact) -> None:
        self.db.execute(_PUT_CONTACT, (*self._key, *contact_row(contact)))
        self.db.execute(_PUT_FACTS, (*self._key, *contact_facts(contact)))
        self.db.execute(_PUT_ANSWER, (*self._key, contact.instance_id, contact.id,
                                      contact.chain_root, stored_form(contact)))
        self.put.append(contact)

    def waiting_contacts(self, instance_id: str, until: datetime) -> list[Contact]:
        rows = self.db.execute(
            "SELECT c.doc FROM contact_facts f JOIN contacts c ON c.account=f.account AND "
            "c.region=f.region AND c.instance_id=f.instance_id AND c.contact_id=f.contact_id "
            "AND c.initiated=f.initiated "
            "WHERE f.account=? AND f.region=? AND f.instance_id=? AND f.queue_id IS NOT NULL "
            "AND f.connected IS NULL AND f.disconnected IS NULL AND f.enqueued <= ? "
            "ORDER BY f.enqueued",
            (*self._key, instance_id, until.timestamp())).fetchall()
        return [decode(Contact, r[0]) for r in rows]

    def facts(self, instance_id: str, query: FactQuery) -> FactRows:
        statement = fact_statement(query, "?", arrays=False)
        out: FactRows = []
        n = statement.groups
        for index, (start, end) in enumerate(query.intervals):
            for row in self.db.execute(statement.sql, (*statement.before, *self._key,
                                                       instance_id, start, end,
                                                       *statement.after)).fetchall():
                if row[n]:
                    out.append((index, tuple(row[:n]), list(row[n + 1:])))
        return out

    def status_seconds(self, instance_id: str, start: float, end: float, now: float,
                       status_type: str) -> dict[str, float]:
        rows = self.db.execute(
            "SELECT user_id, sum(max(0, min(until, ?) - max(started, ?))) FROM (SELECT "
            "user_id, started, status_type, coalesce(lead(started) OVER (PARTITION BY user_id "
            "ORDER BY started), ?) AS until FROM agent_status_history WHERE account=? AND "
            "region=? AND instance_id=?) WHERE status_type=? GROUP BY user_id",
            (end, start, now, *self._key, instance_id, status_type)).fetchall()
        return {user_id: float(seconds) for user_id, seconds in rows if seconds}

    def get_agent_state(self, instance_id: str, user_id: str) -> AgentState | None:
        row = self.db.execute(
            "SELECT doc FROM agent_states WHERE account=? AND region=? AND instance_id=? "
            "AND user_id=?", (*self._key, instance_id, user_id)).fetchone()
        return decode(AgentState, row[0]) if row else None

    def list_agent_states(self, instance_id: str) -> list[AgentState]:
        rows = self.db.execute(
            "SELECT doc FROM agent_states WHERE account=? AND region=? AND instance_id=? "
            "ORDER BY user_id", (*self._key, instance_id)).fetchall()
        return [decode(AgentState, r[0]) for r in rows]

    def put_agent_state(self, instance_id: str, state: AgentState,
                        due: datetime | None) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO agent_states VALUES (?,?,?,?,?,?)",
            (*self._key, instance_id, state.user_id,
             due.timestamp() if due is not None else None, encode(state)))

    def log_agent_status(self, instance_id: str, user_id: str, at: datetime, status_id: str,
                         status_type: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO agent_status_history VALUES (?,?,?,?,?,?,?)",
            (*self._key, instance_id, user_id, at.timestamp(), status_id, status_type))

    def get_contact_and_attributes(
        self, instance_id: str, contact_id: str
    ) -> tuple[Contact, dict[str, str]] | None:
        row = self.db.execute(CONTACT_AND_ATTRIBUTES,
                              (*self._key, instance_id, contact_id)).fetchone()
        if row is None:
            return None
        return decode(Contact, row[0]), (orjson.loads(row[1]) if row[1] else {})

    def get_wire_and_attributes(self, instance_id: str,
                                contact_id: str) -> tuple[bytes | None, bytes | None] | None:
        row: tuple[bytes | None, bytes | None] | None = self.db.execute(
            WIRE_AND_ATTRIBUTES, (*self._key, instance_id, contact_id)).fetchone()
        return row

    def list_contacts(self, instance_id: str, initiated_from: datetime,
                      initiated_to: datetime) -> list[Contact]:
        # Along contact_facts, in initiation order (it holds every contact's key under its
        # initiation: contacts keeps no index of its own by time).
        rows = self.db.execute(
            "SELECT c.doc FROM contact_facts f CROSS JOIN contacts c ON c.account=f.account "
            "AND c.region=f.region AND c.instance_id=f.instance_id AND c.contact_id=f.contact_id "
            "AND c.initiated=f.initiated WHERE f.account=? AND f.region=? AND f.instance_id=? "
            "AND f.initiated>=? AND f.initiated<=?",
            (*self._key, instance_id, initiated_from.timestamp(), initiated_to.timestamp()),
        ).fetchall()
        return [decode(Contact, r[0]) for r in rows]

    def associated_contacts(self, instance_id: str, association_id: str) -> list[Contact]:
        rows = self.db.execute(
            "SELECT doc FROM contacts WHERE account=? AND region=? AND instance_id=? "
            "AND association=?",
            (*self._key, instance_id, association_id),
        ).fetchall()
        return [decode(Contact, r[0]) for r in rows]

    def get_attributes(self, instance_id: str, initial_contact_id: str) -> dict[str, str]:
        row = self.db.execute(
            "SELECT doc FROM attributes WHERE account=? AND region=? AND instance_id=? "
            "AND initial_id=?",
            (*self._key, instance_id, initial_contact_id),
        ).fetchone()
        return orjson.loads(row[0]) if row else {}

    def put_attributes(self, instance_id: str, initial_contact_id: str,
                       attributes: dict[str, str], touched: datetime) -> None:
        self.db.execute(
            "INSERT INTO attributes VALUES (?,?,?,?,?,?) "
            "ON CONFLICT (account, region, instance_id, initial_id) DO UPDATE SET "
            "touched=max(touched, excluded.touched), doc=excluded.doc",
            (*self._key, instance_id, initial_contact_id, touched.timestamp(),
             orjson.dumps(attributes)))

    def get_claim(self, instance_id: str, operation: str, token: str,
                  since: datetime) -> Claim | None:
        row = self.db.execute(
            "SELECT resource_id, fingerprint FROM client_tokens WHERE account=? AND region=? "
            "AND instance_id=? AND operation=? AND token=? AND created >= ?",
            (*self._key, instance_id, operation, token, since.timestamp()),
        ).fetchone()
        return Claim(row[0], row[1]) if row else None

    def put_claim(self, instance_id: str, operation: str, token: str, claim: Claim,
                  created: datetime, since: datetime) -> None:
        key = (*self._key, instance_id, operation, token)
        self.db.execute(
            "DELETE FROM client_tokens WHERE account=? AND region=? AND instance_id=? "
            "AND operation=? AND token=? AND created < ?", (*key, since.timestamp()))
        self.db.execute(
            "INSERT INTO client_tokens VALUES (?,?,?,?,?,?,?,?)",
            (*key, claim.resource_id, claim.fingerprint, created.timestamp()),
        )


    def get_flow_run(self, instance_id: str, contact_id: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT doc FROM flow_runs WHERE account=? AND region=? AND instance_id=? "
            "AND contact_id=?", (*self._key, instance_id, contact_id)).fetchone()
        found: dict[str, Any] | None = orjson.loads(row[0]) if row else None
        return found

    def put_flow_run(self, instance_id: str, contact_id: str, run: dict[str, Any],
                     due: datetime | None) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO flow_runs VALUES (?,?,?,?,?,?)",
            (*self._key, instance_id, contact_id, due.timestamp() if due else None,
             orjson.dumps(run)))

    def add_flow_logs(self, instance_id: str, contact_id: str,
                      records: list[dict[str, Any]]) -> None:
        self.db.executemany(
            "INSERT INTO flow_logs (account, region, instance_id, contact_id, doc) "
            "VALUES (?,?,?,?,?)",
            [(*self._key, instance_id, contact_id, orjson.dumps(r)) for r in records])

    def get_flow_logs(self, contact_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT doc FROM flow_logs WHERE account=? AND region=? AND contact_id=? "
            "ORDER BY seq", (*self._key, contact_id)).fetchall()
        return [orjson.loads(r[0]) for r in rows]


class _Added(NamedTuple):
    """A record of a bulk load's run: its contact's row but the document, which waits in the
    run's buffer (``start``:``end``), its chain's attributes and its facts."""

    row: tuple[Any, ...]  # ContactRow's fields before the document
    start: int
    end: int
    attributes: dict[str, str] | None
    facts: tuple[Any, ...]


# ContactRow's fields in _Added.row.
_INSTANCE, _CONTACT, _INITIATED, _CHAIN, _UPDATED = 0, 1, 2, 4, 5


class SqliteBulkLoad(BulkLoad):
    """Added contacts are kept in memory, up to ``RUN`` records (a run), and merged a run at a
    time: each contact's winner picked in Python, the winners written in key order (each
    chain's attributes with its newest record), then their facts in the facts' key order,
    each pass in transactions of about 0.1 s (``Paced``). Staging the records in temporary
    tables and picking the winners there took twice the import's time (bench/README.md). A
    load of more than ``RUN`` records is merged as several loads, a run each.

    A run's documents wait in one buffer: kept as a quarter of a million bytes objects, they
    fragmented the heap and made each new one about seven times as slow to make."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self._added: dict[Scope, list[_Added]] = {}
        self._documents = bytearray()
        self._count = 0
        self._new = self._merged = 0
        self._mark: tuple[int, int] | None = None  # _changes after this load's last step
        self._disturbed = False  # something else was written between two of its steps
        # Listed in bulk_loads from its first contacts step until its facts are written.
        self._id = uuid.uuid4().hex

    def add(self, scope: Scope, contacts: list[Staged]) -> None:
        documents, kept = self._documents, self._added.setdefault(scope, [])
        for row, attributes, facts in contacts:
            start = len(documents)
            documents += row.document
            kept.append(_Added(row[:7], start, len(documents), attributes, facts))
        self._count += len(contacts)
        if self._count >= RUN:
            self._run()

    def merge(self) -> tuple[int, int]:
        self._run()
        return self._new, self._merged

    def _run(self) -> None:
        added, documents = self._added, memoryview(self._documents)
        self._added, self._documents, self._count = {}, bytearray(), 0
        for scope in sorted(added):
            self._merge_scope(scope, added[scope], documents)

    def _merge_scope(self, scope: Scope, records: list[_Added], documents: memoryview) -> None:
        # Each contact's newest record (at a tie, the first added), in key order.
        newest: dict[tuple[str, str], tuple[int, _Added]] = {}
        for seq, item in enumerate(records):
            key = (item.row[_INSTANCE], item.row[_CONTACT])
            held = newest.get(key)
            if held is None or item.row[_UPDATED] > held[1].row[_UPDATED]:
                newest[key] = (seq, item)
        winners = _in_key_order(newest)
        del newest
        # Per chain, of the winners with attributes: the newest record (at a tie, the first
        # added) and the newest initiation (the sweep reads it). The step that writes that
        # record writes the chain's attributes with it, so a load that stops leaves every
        # contact it wrote with its chain's attributes as of then.
        chains = _chains(winners)
        chosen = {seq: key for key, (_, seq, _, _) in chains.items()}
        missed: set[tuple[str, str]] = set()  # chains whose record was not written
        written: list[tuple[int, _Added]] = []
        existing = 0
        db = self._store._db

        def contacts(chunk: list[tuple[tuple[str, str], tuple[int, _Added]]]) -> None:
            # What is stored is read in the transaction that writes: no write of another
            # connection comes between.
            nonlocal existing
            db.execute(_LOAD_SEEN, (self._id, time.time()))
            stored: dict[tuple[str, str], tuple[float, float]] = {}
            for instance_id, keys in itertools.groupby(chunk, lambda w: w[0][0]):
                group = [key[1] for key, _ in keys]  # in key order: first and last bound it
                if db.execute(_ANY_STORED, (*scope, instance_id, group[0], group[-1]),
                              ).fetchone() is None:
                    continue  # none stored in their range (a new store, a new instance)
                for contact_id, updated, initiated in db.execute(
                        _STORED, (*scope, instance_id, orjson.dumps(group))):
                    stored[(instance_id, contact_id)] = (updated, initiated)
            rows, replaced, moved, attributes = [], [], [], []
            for key, (seq, item) in chunk:
                row = item.row
                old = stored.get(key)
                if old is not None:
                    existing += 1
                    if row[_UPDATED] <= old[0]:  # what is stored is as new or newer
                        if seq in chosen:
                            missed.add(chosen[seq])
                        continue
                    replaced.append((*scope, *key))
                    if old[1] != row[_INITIATED]:  # its facts row moves
                        moved.append((*scope, key[0], old[1], key[1]))
                rows.append((*scope, *row, documents[item.start:item.end]))
                written.append((seq, item))
                if seq in chosen:
                    chain = chosen[seq]
                    attributes.append((*scope, *chain, chains[chain][3],
                                       orjson.dumps(item.attributes)))
            db.executemany(_PUT_CONTACT, rows)
            # The stored answers of the contacts written go, and theirs are to be made
            # (connectlocal.wire); so does the facts row under a replaced contact's old
            # initiation.
            db.executemany(_DELETE_ANSWER, replaced)
            db.executemany(_ANSWER_PENDING, [row[:4] for row in rows])
            db.executemany(_DELETE_FACTS, moved)
            db.executemany(_MERGE_ATTRIBUTES, attributes)

        self._in_steps(winners, contacts)
        self._new += len(winners) - existing
        self._merged += len(records) - len(winners) + existing
        del winners
        chosen.clear()

        # Their facts, in the facts' own key order (in the contacts' order, each transaction
        # rewrote pages all over contact_facts), where the record is the one stored: another
        # write since may have stored a newer one, with its own facts. Until one is seen, each
        # row is written as it is; from then on, only if its record is still stored.
        def facts(chunk: list[tuple[int, _Added]]) -> None:
            db.execute(_LOAD_SEEN, (self._id, time.time()))
            if self._disturbed:
                db.executemany(_PUT_FACTS_IF_STORED, [
                    (*scope, *item.facts, *scope, item.row[_INSTANCE], item.row[_CONTACT],
                     item.row[_UPDATED]) for _, item in chunk])
            else:
                db.executemany(_PUT_FACTS, [(*scope, *item.facts) for _, item in chunk])

        # A chain whose newest record was not written (what is stored is as new or newer)
        # takes its attributes from the newest of its records that were, if any: after the
        # contacts, in a step of their own (a load that stops before it leaves them as they
        # were).
        again = _chains([(None, w) for w in written
                         if (w[1].row[_INSTANCE], w[1].row[_CHAIN]) in missed]) if missed else {}
        # From (instance, contact) order to (instance, initiated, contact): sorts are stable.
        written.sort(key=lambda w: w[1].row[_INITIATED])
        written.sort(key=lambda w: w[1].row[_INSTANCE])
        self._in_steps(written, facts)
        written.clear()
        # Every contact written has its facts row: this load no longer needs a repair if it
        # stops (SqliteStore.repair_facts).
        with self._store._lock, _transaction(db):
            db.execute("DELETE FROM bulk_loads WHERE load_id=?", (self._id,))
            self._mark = _changes(db)  # its own write

        def attributes(chunk: list[tuple[tuple[str, str], tuple[Any, ...]]]) -> None:
            db.executemany(_MERGE_ATTRIBUTES, [
                (*scope, *key, touched, orjson.dumps(doc))
                for key, (_, _, doc, touched) in chunk])

        if again:
            self._in_steps(_in_key_order(again), attributes)

    def _in_steps(self, items: list[T], write: Callable[[list[T]], None]) -> None:
        """``write`` over ``items``, a slice a transaction, sized by ``Paced``: another writer
        (a server on the same file) waits for one step, not for the whole load."""
        first, db = 0, self._store._db

        def step(rows: int) -> int:
            nonlocal first
            chunk = items[first:first + rows]
            if chunk:
                with self._store._lock, _transaction(db):
                    if self._mark is not None and _changes(db) != self._mark:
                        self._disturbed = True  # by another connection, or another thread
                    write(chunk)
                    self._mark = _changes(db)  # no other write comes before the commit
            first += rows
            return len(chunk)

        Paced(first=MERGE_FIRST_STEP, most=100_000).run(step)

    def drop(self) -> None:
        self._added, self._documents, self._count = {}, bytearray(), 0


def _chains(winners: list[tuple[Any, tuple[int, _Added]]],
            ) -> dict[tuple[str, str], tuple[float, int, dict[str, str], float]]:
    """Per chain, of the winners with attributes: (the newest record's LastUpdateTimestamp,
    its sequence number, its attributes, the chain's newest initiation). At a tie, the
    first added."""
    chains: dict[tuple[str, str], tuple[float, int, dict[str, str], float]] = {}
    for _, (seq, item) in winners:
        if item.attributes is None:
            continue
        row = item.row
        key = (row[_INSTANCE], row[_CHAIN])
        chain = chains.get(key)
        if chain is None:
            chains[key] = (row[_UPDATED], seq, item.attributes, row[_INITIATED])
        else:
            touched = max(chain[3], row[_INITIATED])
            if row[_UPDATED] > chain[0] or (row[_UPDATED] == chain[0] and seq < chain[1]):
                chains[key] = (row[_UPDATED], seq, item.attributes, touched)
            else:
                chains[key] = (*chain[:3], touched)
    return chains


def _in_key_order(by_key: dict[tuple[str, str], V]) -> list[tuple[tuple[str, str], V]]:
    """The items in key order (SQLite's order of TEXT, UTF-8 bytes, is Python's of str):
    by the second string, then stably by the first. Comparing key tuples took ~3 us an
    item; single strings are compared by the C code."""
    items = sorted(by_key.items(), key=lambda item: item[0][1])
    items.sort(key=lambda item: item[0][0])
    return items


def _changes(db: sqlite3.Connection) -> tuple[int, int]:
    """What changes when the database is written: by another connection (data_version, as
    of the connection's current or last transaction), or through this one."""
    (version,) = db.execute("PRAGMA data_version").fetchone()
    return int(version), db.total_changes


_ANY_STORED = ("SELECT 1 FROM contacts WHERE account=? AND region=? AND instance_id=? AND "
               "contact_id BETWEEN ? AND ? LIMIT 1")
_STORED = ("SELECT contact_id, updated, initiated FROM contacts WHERE account=? AND region=? "
           "AND instance_id=? AND contact_id IN (SELECT value FROM json_each(?))")
_DELETE_ANSWER = ("DELETE FROM answers WHERE account=? AND region=? AND instance_id=? AND "
                  "contact_id=?")
_ANSWER_PENDING = "INSERT OR IGNORE INTO answers_pending VALUES (?,?,?,?)"
_DELETE_FACTS = ("DELETE FROM contact_facts WHERE account=? AND region=? AND instance_id=? "
                 "AND initiated=? AND contact_id=?")
_PUT_FACTS_IF_STORED = (
    "INSERT OR REPLACE INTO contact_facts SELECT ?,?,?,?,?,?,?,?,?,?,?,?,?,?,? WHERE EXISTS "
    "(SELECT 1 FROM contacts WHERE account=? AND region=? AND instance_id=? AND contact_id=? "
    "AND updated=?)")
_LOAD_SEEN = "INSERT OR REPLACE INTO bulk_loads VALUES (?,?)"
# The chains whose newest contact was initiated before the cutoff, by attributes_by_day
# (days up to the cutoff's; truncation keeps the order, so none is missed).
_SWEEP_ATTRIBUTES = (
    "DELETE FROM attributes WHERE (account, region, instance_id, initial_id) IN "
    "(SELECT account, region, instance_id, initial_id FROM attributes WHERE "
    "CAST(touched / 86400 AS INTEGER) <= CAST(? / 86400 AS INTEGER) AND touched < ? LIMIT ?)")
# The facts of the contacts in a key range that have none at their initiation.
_REPAIR_FACTS = (
    "INSERT OR IGNORE INTO contact_facts SELECT account, region, instance_id, contact_id, "
    f"initiated, {FACT_COLUMNS} FROM (SELECT c.account, c.region, c.instance_id, "
    "c.contact_id, c.initiated, CAST(c.doc AS TEXT) AS j FROM contacts c WHERE "
    "(c.account, c.region, c.instance_id, c.contact_id) > (?,?,?,?) AND (c.account, c.region, "
    "c.instance_id, c.contact_id) <= (?,?,?,?) AND NOT EXISTS (SELECT 1 FROM contact_facts f "
    "WHERE f.account=c.account AND f.region=c.region AND f.instance_id=c.instance_id AND "
    "f.initiated=c.initiated AND f.contact_id=c.contact_id))")
_MERGE_ATTRIBUTES = (
    "INSERT INTO attributes VALUES (?,?,?,?,?,?) ON CONFLICT (account, region, instance_id, "
    "initial_id) DO UPDATE SET touched=max(touched, excluded.touched), doc=excluded.doc")


class SqliteStore(Store):
    name = "sqlite"

    def __init__(self, path: str) -> None:
        self.location = path
        self.watchers = []
        if path != ":memory:":
            _check_path(path)
        # A writer connection and, for a file, a reader connection, each behind its own lock:
        # in WAL mode readers see every committed write and never wait for a writer's fsync.
        # The server reads on its event loop and writes from worker threads.
        try:
            self._db = self._connect(path, WRITER_CACHE_KIB, check=True)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store {path}: {exc}") from None
        self._lock = threading.RLock()
        schema = resources.files("connectlocal.store").joinpath("schema/sqlite.sql").read_text()
        try:
            with self._lock:
                _migrate(self._db, schema)
                # One transaction (executescript commits any open one first): a store is
                # made whole or not at all.
                self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{schema}\nINSERT OR REPLACE INTO meta VALUES "
                    f"('schema_version', '{int(SCHEMA_VERSION)}');\nCOMMIT;")
                # From here on a write waits for the write lock in _begin, polling it.
                self._db.execute(f"PRAGMA busy_timeout={BUSY_POLL_MS}")
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreError(f"cannot open the store {path}: {exc}") from None
        # Only this process can see a :memory: database, so its clock setting can live in
        # memory too (read on every request); a file may be shared by several processes.
        self._clock: ClockSetting | None = None
        self._clock_seen: tuple[float, int, ClockSetting] | None = None
        self._clock_generation = 0  # set_clock and reset of this process, counted
        if path == ":memory:":  # one database per connection: share the writer's
            self._reader, self._read_lock = self._db, self._lock
            self._clock = self.get_clock()
        else:
            try:
                self._reader = self._connect(path, READER_CACHE_KIB)
            except sqlite3.Error as exc:
                self._db.close()
                raise StoreError(f"cannot open the store {path}: {exc}") from None
            self._read_lock = threading.RLock()
            try:  # a bulk load that stopped midway, found when the store is opened
                self.repair_facts()
            except sqlite3.Error as exc:  # the store opens all the same; the sweep tries again
                log.warning("could not make the facts a stopped bulk load left out: %s", exc)
            except BaseException:
                self.close()
                raise

    @staticmethod
    def _connect(path: str, cache_kib: int, check: bool = False) -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # Another process may be writing (a worker opening beside another, a server beside an
        # import): wait for its transaction.
        db.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
        if check:  # before anything below changes the file (WAL mode is written to it)
            try:
                _check_contents(db, path)
            except BaseException:
                db.close()
                raise
        # 8 KiB pages for a new file (an existing file keeps its own): a WITHOUT ROWID row
        # larger than about a quarter of a page spills into an overflow page of its own, and
        # an imported CTR's document (agent, queue, endpoints, ~1 KB) is just over a 4 KiB
        # page's limit: 4,964 bytes and 45 us an insert per contact with 4 KiB pages, 1,653
        # bytes and 19 us with 8 KiB (bench/README.md).
        db.execute(f"PRAGMA page_size={PAGE_SIZE}")
        # Page caches: random UUID keys touch pages all over the B-trees; SQLite's default of
        # 2 MiB makes bulk loads I/O-bound (bench/README.md). Bounded, for the RSS budget.
        db.execute(f"PRAGMA cache_size=-{cache_kib}")
        db.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the client is answered (survives power loss too).
        db.execute("PRAGMA synchronous=FULL")
        return db

    @contextmanager
    def read(self, scope: Scope) -> Iterator[Tx]:
        with self._read_lock:
            if self._reader is self._db:  # :memory: shares the writer connection
                yield SqliteTx(self._reader, scope)
                return
            # One read transaction for all of a request's queries: a consistent snapshot, and
            # the WAL read lock taken once instead of once per statement (bench/README.md).
            self._reader.execute("BEGIN")
            try:
                yield SqliteTx(self._reader, scope)
            finally:
                self._reader.execute("COMMIT")

    def contact_and_attributes(self, scope: Scope, instance_id: str,
                               contact_id: str) -> tuple[Contact, dict[str, str]] | None:
        # One statement is a snapshot of its own: without BEGIN and COMMIT around it, a
        # DescribeContact served ~8% more requests a second (bench/README.md).
        with self._read_lock:
            return SqliteTx(self._reader, scope).get_contact_and_attributes(instance_id,
                                                                            contact_id)

    def wire_and_attributes(self, scope: Scope, instance_id: str,
                            contact_id: str) -> tuple[bytes | None, bytes | None] | None:
        # SqliteTx.get_wire_and_attributes's statement, without making a Tx: DescribeContact's
        # hottest read (~0.6 us of a request's ~20, bench/README.md).
        with self._read_lock:
            row: tuple[bytes | None, bytes | None] | None = self._reader.execute(
                WIRE_AND_ATTRIBUTES, (*scope, instance_id, contact_id)).fetchone()
            return row

    @contextmanager
    def write(self, scope: Scope) -> Iterator[Tx]:
        with self._lock:
            _begin(self._db)
            tx = SqliteTx(self._db, scope)
            try:
                yield tx
                if tx.put:
                    _queue_ended(self._db, scope, tx.put)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        if tx.put and self.watchers:
            for watcher in self.watchers:
                try:
                    watcher(scope, tx.put)
                except Exception:
                    log.exception("a store watcher failed")

    @contextmanager
    def bulk_load(self) -> Iterator[BulkLoad]:
        load = SqliteBulkLoad(self)
        try:
            yield load
        finally:
            load.drop()

    def get_clock(self) -> ClockSetting:
        if self._clock is not None:
            return self._clock
        # Read on every request. The setting changes when an admin call (in this process:
        # set_clock updates the cache at once) or another process sharing the file moves it;
        # the latter is noticed within CLOCK_RECHECK seconds through PRAGMA data_version, so a
        # request does not pay for a query (bench/README.md).
        now = time.monotonic()
        seen = self._clock_seen
        if seen is not None and now - seen[0] < CLOCK_RECHECK:
            return seen[2]
        with self._read_lock:
            # A set_clock of this process (another thread) while this reads makes what was
            # read stale: it is answered but not kept (it was kept for CLOCK_RECHECK, and an
            # advance read it as the system clock).
            generation = self._clock_generation
            version = self._reader.execute("PRAGMA data_version").fetchone()[0]
            if seen is not None and seen[1] == version:
                if generation == self._clock_generation:
                    self._clock_seen = (now, version, seen[2])
                return seen[2]
            row = self._reader.execute("SELECT value FROM meta WHERE key='clock'").fetchone()
            setting = ClockSetting(**orjson.loads(row[0])) if row else ClockSetting()
            if generation == self._clock_generation:
                self._clock_seen = (now, version, setting)
            return setting

    def set_clock(self, setting: ClockSetting) -> None:
        value = orjson.dumps(setting.document())
        with self._lock:
            with _transaction(self._db):
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('clock', ?)",
                                 (value.decode(),))
            if self._clock is not None:
                self._clock = setting
            # After the commit: a read that began before it keeps nothing it read.
            self._clock_generation += 1
            self._clock_seen = None

    def reset(self) -> None:
        with self._lock:
            with _transaction(self._db):
                for table in DATA_TABLES:
                    self._db.execute(f"DELETE FROM {table}")
                self._db.execute("DELETE FROM meta WHERE key='clock'")
            if self._clock is not None:
                self._clock = ClockSetting()
            self._clock_generation += 1
            self._clock_seen = None

    def _step(self, statement: str, parameters: tuple[Any, ...]) -> int:
        """One step of long work (``Paced``): ``statement`` in a write transaction of its
        own; returns the rows it changed."""
        return self._steps([(statement, parameters)])

    def _steps(self, statements: list[tuple[str, tuple[Any, ...]]]) -> int:
        """Statements in one write transaction; returns the rows the last one changed."""
        changed = 0
        with self._lock, _transaction(self._db):
            for statement, parameters in statements:
                changed = int(self._db.execute(statement, parameters).rowcount)
        return changed

    def repair_facts(self) -> int:
        """After a bulk load that stopped between writing contacts and their facts (listed in
        ``bulk_loads``, unseen for LOAD_LAPSE): the facts rows its contacts lack, derived from
        their documents (as the version 5 migration derives them), a step at a time in key
        order; then the load is forgotten. Returns the rows made. A load still running that
        is taken for stopped loses nothing: what is made is what it writes."""
        lapsed = time.time() - LOAD_LAPSE
        with self._lock:
            stopped = self._db.execute("SELECT load_id FROM bulk_loads WHERE seen < ?",
                                       (lapsed,)).fetchall()
        if not stopped:
            return 0
        after: tuple[str, ...] = ("", "", "", "")
        made = 0

        def step(rows: int) -> int:
            nonlocal after, made
            with self._lock, _transaction(self._db):
                keys = self._db.execute(
                    "SELECT account, region, instance_id, contact_id FROM contacts WHERE "
                    "(account, region, instance_id, contact_id) > (?,?,?,?) ORDER BY account, "
                    "region, instance_id, contact_id LIMIT ?", (*after, rows)).fetchall()
                if not keys:
                    return 0
                made += self._db.execute(_REPAIR_FACTS, (*after, *keys[-1])).rowcount
            after = keys[-1]
            return len(keys)

        Paced().run(step)
        with self._lock, _transaction(self._db):  # not one seen again since: it is running
            self._db.executemany("DELETE FROM bulk_loads WHERE load_id=? AND seen < ?",
                                 [(load_id, lapsed) for (load_id,) in stopped])
        if made:
            log.warning("made the metric facts of %d contacts a stopped bulk load wrote", made)
        return made

    def delete_contacts_initiated_before(self, cutoff: datetime) -> int:
        # Per instance, along contact_facts (in initiation order), a step at a time: after a
        # clock advance this can be every contact of the store.
        before = cutoff.timestamp()
        self.repair_facts()  # a stopped bulk load's contacts are found by their facts rows
        with self._lock:
            owners = self._db.execute(
                "SELECT account, region, instance_id FROM instances").fetchall()
        pace, removed = Paced(), 0
        for owner in owners:

            def step(rows: int, owner: tuple[str, str, str] = owner) -> int:
                # The same contacts for each statement (one transaction, the same walk): their
                # stored answers, flow runs and flow logs, the contacts (initiated before the
                # cutoff themselves), and last the facts rows walked.
                nonlocal removed
                picked = ("SELECT account, region, instance_id, initiated, contact_id FROM "
                          "contact_facts WHERE account=? AND region=? AND instance_id=? AND "
                          "initiated < ? LIMIT ?")
                swept = ("SELECT contact_id FROM contacts WHERE account=? AND region=? AND "
                         "instance_id=? AND initiated < ? AND contact_id IN (SELECT contact_id "
                         f"FROM ({picked}))")
                where = f"account=? AND region=? AND instance_id=? AND contact_id IN ({swept})"
                parameters = (*owner, *owner, before, *owner, before, rows)
                with self._lock, _transaction(self._db):
                    for table in ("answers", "answers_pending", "flow_runs", "flow_logs"):
                        self._db.execute(f"DELETE FROM {table} WHERE {where}", parameters)
                    removed += self._db.execute(f"DELETE FROM contacts WHERE {where}",
                                                parameters).rowcount
                    return int(self._db.execute(
                        "DELETE FROM contact_facts WHERE (account, region, instance_id, "
                        f"initiated, contact_id) IN ({picked})", (*owner, before, rows)
                    ).rowcount)

            pace.run(step)
        Paced().run(lambda rows: self._step(_SWEEP_ATTRIBUTES, (before, before, rows)))
        return removed

    def expiring(self, until: datetime) -> list[tuple[Scope, str, str]]:
        with self._read_lock:
            rows = self._reader.execute(
                "SELECT account, region, instance_id, contact_id FROM contacts "
                "WHERE expires <= ?", (until.timestamp(),)).fetchall()
        return [(Scope(account, region), instance_id, contact_id)
                for account, region, instance_id, contact_id in rows]

    def routing_due(self, until: datetime) -> list[tuple[Scope, str]]:
        # From the agents (few) to their instances' waiting contacts (an index lookup each):
        # an instance without agents has nothing to route, however many contacts wait.
        with self._read_lock:
            rows = self._reader.execute(
                "SELECT DISTINCT a.account, a.region, a.instance_id FROM agent_states a "
                "WHERE a.due <= ? OR EXISTS (SELECT 1 FROM contact_facts f WHERE "
                "f.account=a.account AND f.region=a.region AND f.instance_id=a.instance_id "
                "AND f.queue_id IS NOT NULL AND f.connected IS NULL AND f.disconnected IS NULL "
                "AND f.enqueued <= ?)", (until.timestamp(), until.timestamp())).fetchall()
        return [(Scope(account, region), instance_id) for account, region, instance_id in rows]

    def due_flow_runs(self, until: datetime) -> list[tuple[Scope, str, str]]:
        with self._read_lock:
            rows = self._reader.execute(
                "SELECT account, region, instance_id, contact_id FROM flow_runs "
                "WHERE due <= ?", (until.timestamp(),)).fetchall()
        return [(Scope(account, region), instance_id, contact_id)
                for account, region, instance_id, contact_id in rows]

    def delete_claims_before(self, cutoff: datetime) -> int:
        return Paced().run(lambda rows: self._step(
            "DELETE FROM client_tokens WHERE (account, region, instance_id, operation, token) IN "
            "(SELECT account, region, instance_id, operation, token FROM client_tokens "
            "WHERE created < ? LIMIT ?)", (cutoff.timestamp(), rows)))

    def register_stream(self, consumer: str, now: float) -> None:
        with self._lock, _transaction(self._db):
            self._db.execute("INSERT OR REPLACE INTO ctr_consumers VALUES (?,?)", (consumer, now))

    def unregister_stream(self, consumer: str) -> None:
        with self._lock, _transaction(self._db):
            self._db.execute("DELETE FROM ctr_consumers WHERE consumer=?", (consumer,))

    def claim_outbox(self, consumer: str, limit: int, now: float,
                     lease: float) -> list[Pending]:
        # Looked for on the reader first: an empty outbox, polled, never takes the write lock.
        with self._read_lock:
            if self._reader.execute("SELECT 1 FROM ctr_outbox WHERE claimed_until IS NULL OR "
                                    "claimed_until < ? LIMIT 1", (now,)).fetchone() is None:
                return []
        # BEGIN IMMEDIATE: one process at a time claims.
        with self._lock, _transaction(self._db):
            rows = self._db.execute(
                "UPDATE ctr_outbox SET claimer=?, claimed_until=? WHERE seq IN (SELECT seq "
                "FROM ctr_outbox WHERE claimed_until IS NULL OR claimed_until < ? ORDER BY seq "
                "LIMIT ?) RETURNING seq, account, region, doc",
                (consumer, now + lease, now, limit)).fetchall()
        return sorted(Pending(seq, Scope(account, region), decode(Contact, doc))
                      for seq, account, region, doc in rows)

    def renew_outbox(self, consumer: str, seqs: list[int], until: float) -> None:
        self._outbox_rows("UPDATE ctr_outbox SET claimed_until=?", (until,), consumer, seqs)

    def finish_outbox(self, consumer: str, seqs: list[int]) -> None:
        self._outbox_rows("DELETE FROM ctr_outbox", (), consumer, seqs)

    def release_outbox(self, consumer: str, seqs: list[int]) -> None:
        self._outbox_rows("UPDATE ctr_outbox SET claimer=NULL, claimed_until=NULL", (),
                          consumer, seqs)

    def _outbox_rows(self, change: str, values: tuple[Any, ...], consumer: str,
                     seqs: list[int]) -> None:
        if not seqs:
            return
        with self._lock, _transaction(self._db):
            self._db.execute(
                f"{change} WHERE claimer=? AND seq IN (SELECT value FROM json_each(?))",
                (*values, consumer, orjson.dumps(seqs)))

    def outbox_size(self) -> int:
        with self._read_lock:
            return int(self._reader.execute("SELECT count(*) FROM ctr_outbox").fetchone()[0])

    def pending_answers(self, limit: int) -> list[PendingAnswer]:
        with self._read_lock:
            rows = self._reader.execute(
                "SELECT p.account, p.region, p.instance_id, p.contact_id, c.doc FROM "
                "answers_pending p LEFT JOIN contacts c ON c.account=p.account AND "
                "c.region=p.region AND c.instance_id=p.instance_id AND "
                "c.contact_id=p.contact_id ORDER BY p.account, p.region, p.instance_id, "
                "p.contact_id LIMIT ?", (limit,)).fetchall()
        return [PendingAnswer(Scope(account, region), instance_id, contact_id, doc)
                for account, region, instance_id, contact_id, doc in rows]

    def put_answers(self, made: list[MadeAnswer]) -> None:
        with self._lock, _transaction(self._db):
            for (scope, instance_id, contact_id, doc), chain, answer in made:
                key = (*scope, instance_id, contact_id)
                if doc is not None and not self._db.execute(
                        _MADE_ANSWER, (*key, chain, answer, *key, doc)).rowcount:
                    continue  # written since it was read: still pending
                self._db.execute(_NOT_PENDING, key)

    def count_contacts(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM contacts").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock, self._read_lock:
            if self._reader is not self._db:
                self._reader.close()
            self._db.close()


BUSY_POLL_MS = 1  # the writer connection's own busy wait, before _begin polls again


def _begin(db: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE: takes the write lock, waiting up to ``BUSY_SECONDS`` while another
    connection holds it. Polled every millisecond: SQLite's own busy handler sleeps up to
    100 ms between tries and can keep missing the rest between two steps of long work."""
    try:
        db.execute("BEGIN IMMEDIATE")
        return
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
            raise
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        time.sleep(0.001)
        try:
            db.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    _begin(db)
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _check_path(path: str) -> None:
    """A file path a store can live at, or a StoreError that says why not."""
    target = Path(path)
    try:
        if target.is_dir():
            raise StoreError(f"cannot open the store {path}: it is a directory (a store is a "
                             f"file, such as {target / 'connect.db'})")
        exists = target.exists()
    except OSError as exc:  # a parent directory this user may not enter
        raise StoreError(f"cannot open the store {path}: {exc.strerror or exc}") from None
    if exists:
        if not os.access(target, os.R_OK):
            raise StoreError(f"cannot open the store {path}: permission denied (not readable)")
        if not os.access(target, os.W_OK):
            raise StoreError(f"cannot open the store {path}: permission denied (not writable)")
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the store {path}: {exc.strerror or exc}") from None


def _check_contents(db: sqlite3.Connection, path: str) -> None:
    """Refuses a database that is not a connectlocal store (its tables are another
    application's: nothing is added to them), and a store of a newer schema version than
    this code knows (it would be misread, and its version written down). An empty database
    is a new store."""
    tables = {name for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\'")}
    version = None
    if "meta" in tables:
        try:
            row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.Error:  # a table named meta, not ours
            row = None
        version = str(row[0]) if row else None
    if version is None:
        if tables <= OWN_TABLES:  # new, or made by a run stopped before its first commit
            return
        others = sorted(tables - OWN_TABLES)
        raise StoreError(
            f"cannot open the store {path}: it is another application's SQLite database "
            f"(tables {', '.join(others[:5])}{', ...' if len(others) > 5 else ''}), "
            "not a connectlocal store")
    if not version.isdigit():
        raise StoreError(f"cannot open the store {path}: unknown schema version {version!r}")
    if int(version) > int(SCHEMA_VERSION):
        raise StoreError(
            f"cannot open the store {path}: its schema version is {version}, newer than "
            f"this connectlocal's ({SCHEMA_VERSION}); open it with a newer connectlocal")


def _migrate(db: sqlite3.Connection, schema: str) -> None:
    """Brings an older file to the current version, one version at a time."""
    has_meta = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
    found = has_meta and db.execute(
        "SELECT value FROM meta WHERE key='schema_version'").fetchone()
    version = found[0] if found else None
    if version == "1":
        _version_2(db)
        version = "2"
    if version == "2":
        _version_3(db)
        version = "3"
    if version == "3":
        _version_4(db)
        version = "4"
    if version == "4":
        _version_5(db, schema)
        version = "5"
    if version == "5":
        _version_6(db, schema)
        version = "6"
    if version == "6":
        _version_7(db)
        version = "7"
    if version == "7":
        _version_8(db, schema)


# The CTR stream's outbox: a write's ended contacts, while a stream consumer is registered
# (store.base.STREAM_LAPSE), in the write's transaction.
_QUEUE_ENDED = (
    "INSERT INTO ctr_outbox (account, region, instance_id, contact_id, doc) SELECT ?,?,?,?,? "
    "WHERE EXISTS (SELECT 1 FROM ctr_consumers WHERE seen > ?)")


def _queue_ended(db: sqlite3.Connection, scope: Scope, put: list[Contact]) -> None:
    contacts = ended(put)
    if contacts:
        since = time.time() - STREAM_LAPSE
        db.executemany(_QUEUE_ENDED, [(*scope, c.instance_id, c.id, encode(c), since)
                                      for c in contacts])


def _version_6(db: sqlite3.Connection, schema: str) -> None:
    """Version 6: the CTR stream's outbox and its consumers (new tables only)."""
    db.executescript(schema)  # the new tables (every statement is IF NOT EXISTS)
    db.execute("UPDATE meta SET value='6' WHERE key='schema_version'")


def _without_nulls(value: Any) -> Any:
    """A JSON value with every null inside its maps and lists dropped."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value if v is not None]
    return value


# The maps of caller data each table's documents keep, by the table's primary key.
_MAPS = (("contacts", ("account", "region", "instance_id", "contact_id"),
          ("segment_attributes", "tags")),
         ("instances", ("account", "region", "instance_id"), ("tags",)),
         ("resources", ("account", "region", "instance_id", "kind", "resource_id"), ("tags",)))


def _version_5(db: sqlite3.Connection, schema: str) -> None:
    """Version 5: agents' states and status history, and the facts of every stored contact
    (metrics and routing read them)."""
    db.executescript(schema)  # the new tables (every statement is IF NOT EXISTS)
    db.execute("BEGIN IMMEDIATE")
    db.execute(f"INSERT OR REPLACE INTO contact_facts SELECT account, region, instance_id, "
               f"contact_id, initiated, {FACT_COLUMNS} FROM (SELECT account, region, "
               "instance_id, contact_id, initiated, CAST(doc AS TEXT) AS j FROM contacts)")
    db.execute("UPDATE meta SET value='5' WHERE key='schema_version'")
    db.execute("COMMIT")


def _version_4(db: sqlite3.Connection) -> None:
    """Version 4: no nulls inside stored maps. Earlier versions accepted a JSON null as a map
    value (``SegmentAttributes: {"k": null}``, ``Tags: {"k": null}``) and stored it, and every
    SearchContacts page holding such a contact then failed; the validator now refuses them,
    and here they are dropped from what is stored (a null value is no value)."""
    db.execute("BEGIN IMMEDIATE")
    null = "CAST('null' AS BLOB)"  # documents are BLOBs: instr finds the bytes in them
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for table, key, fields in _MAPS:
        if table not in tables:  # a file of version 1 may have contacts alone
            continue
        where = " AND ".join(f"{k}=?" for k in key)
        rows = db.execute(f"SELECT {', '.join(key)}, doc FROM {table} "
                          f"WHERE instr(doc, {null})").fetchall()
        for *ids, raw in rows:
            doc = orjson.loads(raw)
            repaired = {**doc, **{f: _without_nulls(doc[f]) for f in fields
                                  if isinstance(doc.get(f), dict)}}
            if repaired != doc:
                db.execute(f"UPDATE {table} SET doc=? WHERE {where}",
                           (orjson.dumps(repaired), *ids))
    rows = db.execute("SELECT account, region, instance_id, initial_id, doc FROM attributes "
                      f"WHERE instr(doc, {null})").fetchall()
    for *ids, raw in rows:
        attributes = orjson.loads(raw)
        if isinstance(attributes, dict) and None in attributes.values():
            db.execute("UPDATE attributes SET doc=? WHERE account=? AND region=? AND "
                       "instance_id=? AND initial_id=?",
                       (orjson.dumps(_without_nulls(attributes)), *ids))
    db.execute("UPDATE meta SET value='4' WHERE key='schema_version'")
    db.execute("COMMIT")


def _version_7(db: sqlite3.Connection) -> None:
    """Version 7: contacts get a ``wire`` column, DescribeContact's answer as stored
    (connectlocal.wire). Contacts stored before it have none: DescribeContact answers them
    through the generic path until they are written again."""
    db.execute("BEGIN IMMEDIATE")
    columns = {row[1] for row in db.execute("PRAGMA table_info(contacts)")}
    if "wire" not in columns:  # an earlier step may have made the table from sqlite.sql
        db.execute("ALTER TABLE contacts ADD COLUMN wire BLOB")
    else:  # a store below version 7 vouches for no stored answer (a repair may have run)
        db.execute("UPDATE contacts SET wire=NULL WHERE wire IS NOT NULL")
    db.execute("UPDATE meta SET value='7' WHERE key='schema_version'")
    db.execute("COMMIT")


def _version_8(db: sqlite3.Connection, schema: str) -> None:
    """Version 8: stored answers move from ``contacts.wire`` to a table of their own (the
    column stays, NULL); the contacts without one are listed as pending."""
    db.executescript(schema)  # the new tables (every statement is IF NOT EXISTS)
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT OR REPLACE INTO answers SELECT account, region, instance_id, contact_id, "
               "chain, wire FROM contacts WHERE wire IS NOT NULL")
    db.execute("INSERT OR IGNORE INTO answers_pending SELECT account, region, instance_id, "
               "contact_id FROM contacts WHERE wire IS NULL")
    db.execute("UPDATE contacts SET wire=NULL WHERE wire IS NOT NULL")
    db.execute("UPDATE meta SET value='8' WHERE key='schema_version'")
    db.execute("COMMIT")


def _version_3(db: sqlite3.Connection) -> None:
    """Version 3: contacts get an ``expires`` column (the sweep ends what has expired)."""
    db.execute("BEGIN IMMEDIATE")
    db.execute("ALTER TABLE contacts ADD COLUMN expires REAL")
    # Documents are BLOBs: instr finds the field in them (LIKE did not).
    rows = db.execute(
        "SELECT account, region, instance_id, contact_id, doc FROM contacts "
        "WHERE instr(doc, CAST('\"expires_at\"' AS BLOB))").fetchall()
    for account, region, instance_id, contact_id, raw in rows:
        expires = contact_row(decode(Contact, raw)).expires
        if expires is not None:
            db.execute("UPDATE contacts SET expires=? WHERE account=? AND region=? "
                       "AND instance_id=? AND contact_id=?",
                       (expires, account, region, instance_id, contact_id))
    db.execute("UPDATE meta SET value='3' WHERE key='schema_version'")
    db.execute("COMMIT")


def _version_2(db: sqlite3.Connection) -> None:
    """Version 2: contacts get their association and chain columns, and attributes move from
    each contact's document to their chain's row."""
    db.execute("BEGIN IMMEDIATE")
    db.execute("ALTER TABLE contacts ADD COLUMN association TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE contacts ADD COLUMN chain TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE contacts ADD COLUMN updated REAL NOT NULL DEFAULT 0")
    db.execute("CREATE TABLE attributes (account TEXT NOT NULL, region TEXT NOT NULL, "
               "instance_id TEXT NOT NULL, initial_id TEXT NOT NULL, touched REAL NOT NULL, "
               "doc BLOB NOT NULL, PRIMARY KEY (account, region, instance_id, initial_id)) "
               "WITHOUT ROWID")
    rows = db.execute("SELECT account, region, instance_id, contact_id, initiated, doc "
                      "FROM contacts ORDER BY initiated").fetchall()
    for account, region, instance_id, contact_id, initiated, raw in rows:
        doc = orjson.loads(raw)
        attributes = doc.pop("attributes", None) or {}
        doc.pop("next_contact_ids", None)
        root = doc.get("initial_contact_id") or contact_id
        updated = datetime.fromisoformat(doc["last_update_timestamp"]).timestamp()
        db.execute("UPDATE contacts SET association=?, chain=?, updated=?, doc=? WHERE "
                   "account=? AND region=? AND instance_id=? AND contact_id=?",
                   (doc.get("contact_association_id") or contact_id, root, updated,
                    orjson.dumps(doc), account, region, instance_id, contact_id))
        if attributes:  # later contacts of a chain were copies: the newest wins
            db.execute("INSERT OR REPLACE INTO attributes VALUES (?,?,?,?,?,?)",
                       (account, region, instance_id, root, initiated,
                        orjson.dumps(attributes)))
    db.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    db.execute("COMMIT")
