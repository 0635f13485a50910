"""The store contract every backend implements; every call is scoped by (account, region).

Reads and writes go through a transaction object (``Tx``): ``store.read(scope)`` for a
consistent read, ``store.write(scope)`` for read-modify-write, committed when the block ends
without an exception. Nothing above ``store/`` knows SQL or which backend is in use.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from ..clock import ClockSetting
from ..models import AgentState, Contact, Instance
from ..wire import stored_form
from .codec import decode, encode


class StoreError(Exception):
    """A location that cannot be opened as a connectlocal store: missing and not creatable,
    unreadable, a directory, not a database, another application's database, or a store of a
    newer schema version. Its message is one line for the user (the CLI prints it)."""


class StoreUnavailable(StoreError):
    """The store's server cannot be reached (refused, down, or lost while serving); requests
    are answered InternalServiceException "store unavailable" until it is back."""


class StoreConflict(StoreError):
    """The store's server ended a write transaction to break a deadlock (PostgreSQL: another
    transaction held what it wanted while it held what that one wanted): nothing of it was
    written, and the same work may be run again (the dispatcher runs the request again)."""


STEP_SECONDS = 0.1  # a transaction of long store work lasts about this long
STEP_REST = 0.005  # seconds between two of them: another writer's turn


class Paced:
    """Long store work (a sweep, a bulk load's merge) cut into transactions of about
    ``STEP_SECONDS`` each, sized from the last one's time, with a rest between them: another
    writer (a thread of this process, or another process on the same file) waits for one
    step, never for the whole work."""

    def __init__(self, first: int = 1_000, least: int = 50, most: int = 50_000) -> None:
        self.size, self._least, self._most = first, least, most

    def run(self, step: Callable[[int], int]) -> int:
        """Calls ``step(n)`` (at most ``n`` rows in one transaction; returns how many it did)
        until one does fewer than asked; returns the total."""
        total = 0
        while True:
            asked = self.size
            started = time.perf_counter()
            done = step(asked)
            took = time.perf_counter() - started
            total += done
            if done < asked:
                return total
            # Halfway towards the size that would have taken STEP_SECONDS (a step's time
            # varies with what it touches; this keeps sizes from swinging).
            wanted = asked * STEP_SECONDS / max(took, 1e-4)
            self.size = int(min(self._most, max(self._least, (asked + wanted) / 2)))
            time.sleep(STEP_REST)


class Scope(NamedTuple):
    account: str
    region: str


class ContactRow(NamedTuple):
    """A contact as a store keeps it: what it is found and swept by, and its document
    (``contact_row`` makes one). A bulk load is given rows."""

    instance_id: str
    contact_id: str
    initiated: float  # epoch seconds
    association: str  # ContactAssociationId (a contact is its own)
    chain: str  # the InitialContactId its attributes are kept under
    updated: float  # LastUpdateTimestamp, epoch seconds
    expires: float | None  # when an active contact expires, epoch seconds
    document: bytes


def contact_row(contact: Contact) -> ContactRow:
    expires = contact.expires_at if contact.active else None
    return ContactRow(contact.instance_id, contact.id, contact.initiation_timestamp.timestamp(),
                      contact.contact_association_id or contact.id, contact.chain_root,
                      contact.last_update_timestamp.timestamp(),
                      expires.timestamp() if expires is not None else None, encode(contact))


class PendingAnswer(NamedTuple):
    """A contact whose stored DescribeContact answer is still to be made (connectlocal.wire):
    its key and its document as read (None: the contact is gone)."""

    scope: Scope
    instance_id: str
    contact_id: str
    document: bytes | None


class MadeAnswer(NamedTuple):
    """A stored answer made from ``pending.document`` (``wire`` None: no read can use one)."""

    pending: PendingAnswer
    chain: str
    wire: bytes | None


def to_ms(at: datetime | None) -> float | None:
    """An instant as epoch seconds to the millisecond (what the facts hold)."""
    return None if at is None else round(at.timestamp() * 1000) / 1000


def contact_facts(contact: Contact) -> tuple[Any, ...]:
    """The contact's key and ``FACTS``, instants to the millisecond: what a store derives
    from its document in bulk (the SQLite store's FACT_COLUMNS; tests/store/test_facts.py
    holds the two to the same answers)."""
    agent, queue = contact.agent, contact.queue
    return (contact.instance_id, contact.id, contact.initiation_timestamp.timestamp(),
            contact.channel, contact.initiation_method, queue.queue_id if queue else None,
            to_ms(queue.enqueue_timestamp) if queue else None, agent.agent_id if agent else None,
            to_ms(agent.connected_to_agent_timestamp) if agent else None,
            to_ms(contact.disconnect_timestamp),
            agent.after_contact_work_seconds if agent else None,
            agent.hold_seconds if agent else None, bool(contact.next_contacts))


R = TypeVar("R")


@dataclass(frozen=True)
class Claim:
    """A ClientToken already used: the resource it made and the request it came with."""

    resource_id: str
    fingerprint: str


class Tx(ABC):
    """One transaction within one (account, region)."""

    scope: Scope
    put: list[Contact]  # the contacts this transaction has put so far, in order

    # Instances
    @abstractmethod
    def get_instance(self, instance_id: str) -> Instance | None: ...
    @abstractmethod
    def list_instances(self, after: str | None, limit: int) -> list[Instance]: ...
    @abstractmethod
    def put_instance(self, instance: Instance) -> None: ...
    @abstractmethod
    def delete_instance(self, instance_id: str) -> None: ...
    @abstractmethod
    def alias_in_use(self, alias: str) -> bool:
        """Whether any instance of any account or region has this alias (it is a domain)."""

    # Directory resources (queues, flows, routing profiles, hours), by dataclass type
    @abstractmethod
    def get_resource(self, instance_id: str, kind: type[R], resource_id: str) -> R | None: ...
    @abstractmethod
    def list_resources(
        self, instance_id: str, kind: type[R], after: str | None, limit: int
    ) -> list[R]: ...
    @abstractmethod
    def put_resource(self, instance_id: str, resource: Any) -> None: ...
    @abstractmethod
    def delete_resource(self, instance_id: str, kind: type[Any], resource_id: str) -> bool:
        """Removes a resource; whether there was one."""

    # Contacts
    @abstractmethod
    def get_contact(self, instance_id: str, contact_id: str) -> Contact | None: ...
    @abstractmethod
    def put_contact(self, contact: Contact) -> None: ...
    @abstractmethod
    def get_contact_and_attributes(
        self, instance_id: str, contact_id: str
    ) -> tuple[Contact, dict[str, str]] | None:
        """A contact with its chain's attributes, in one read (DescribeContact's path)."""
    @abstractmethod
    def list_contacts(self, instance_id: str, initiated_from: datetime,
                      initiated_to: datetime) -> list[Contact]:
        """The instance's contacts initiated within [from, to], in no particular order."""
    @abstractmethod
    def associated_contacts(self, instance_id: str, association_id: str) -> list[Contact]:
        """The contacts whose ContactAssociationId is this one (a contact is its own root)."""

    @abstractmethod
    def waiting_contacts(self, instance_id: str, until: datetime) -> list[Contact]:
        """The active contacts in a queue that no agent is connected to, queued at or
        before ``until``, oldest queued first."""
    @abstractmethod
    def facts(self, instance_id: str, query: FactQuery) -> FactRows:
        """``query``'s aggregates over the instance's contact facts (``FACTS``)."""

    # Agents' routing state and status history
    @abstractmethod
    def get_agent_state(self, instance_id: str, user_id: str) -> AgentState | None: ...
    @abstractmethod
    def list_agent_states(self, instance_id: str) -> list[AgentState]: ...
    @abstractmethod
    def put_agent_state(self, instance_id: str, state: AgentState,
                        due: datetime | None) -> None:
        """Stores the state; ``due``: its next deadline, when the sweep must look at it."""
    @abstractmethod
    def log_agent_status(self, instance_id: str, user_id: str, at: datetime, status_id: str,
                         status_type: str) -> None:
        """Records that the agent is in this status from ``at`` on."""
    @abstractmethod
    def status_seconds(self, instance_id: str, start: float, end: float, now: float,
                       status_type: str) -> dict[str, float]:
        """Per agent, the seconds within [start, end) it spent in statuses of this type (its
        latest status lasting until ``now``), from the status history."""

    # User-defined contact attributes: one map per chain, under its InitialContactId
    @abstractmethod
    def get_attributes(self, instance_id: str, initial_contact_id: str) -> dict[str, str]: ...
    @abstractmethod
    def put_attributes(self, instance_id: str, initial_contact_id: str,
                       attributes: dict[str, str], touched: datetime) -> None:
        """Replaces the chain's attributes; ``touched`` (the newest initiation of a contact
        using them) only moves forward, and the retention sweep reads it."""

    # Idempotency tokens (unique per scope, instance, operation and token)
    @abstractmethod
    def get_claim(self, instance_id: str, operation: str, token: str,
                  since: datetime) -> Claim | None:
        """The claim of a token made at or after ``since``; an older one has expired."""
    @abstractmethod
    def put_claim(self, instance_id: str, operation: str, token: str, claim: Claim,
                  created: datetime, since: datetime) -> None:
        """Claims a token; an expired claim of it (made before ``since``) is replaced, a live
        one is a uniqueness violation (the backend's own error)."""

    # Flow runs (engine/flows.py): where a contact is in its flow, one document per contact;
    # ``due``: when a waiting run times out (the sweep resumes it then)
    @abstractmethod
    def get_flow_run(self, instance_id: str, contact_id: str) -> dict[str, Any] | None: ...
    @abstractmethod
    def put_flow_run(self, instance_id: str, contact_id: str, run: dict[str, Any],
                     due: datetime | None) -> None: ...

    # Flow logs: the records of the actions a contact's flows ran, in the order written
    @abstractmethod
    def add_flow_logs(self, instance_id: str, contact_id: str,
                      records: list[dict[str, Any]]) -> None: ...
    @abstractmethod
    def get_flow_logs(self, contact_id: str) -> list[dict[str, Any]]:
        """The records of a contact (of any instance of the scope), oldest first."""


# The facts of a contact that metrics are computed from (the ``contact_facts`` of a store),
# each derived from the contact as it is stored. Instants are epoch seconds, durations seconds.
FACTS = ("initiated", "channel", "method", "queue_id", "enqueued", "agent_id", "connected",
         "disconnected", "acw_seconds", "hold_seconds", "transferred")
# Durations derived from those facts, usable as an aggregate's value:
#   queue_seconds        enqueued → connected to an agent, or → disconnected when never
#   handle_seconds       connected → disconnected, plus after-contact work
#   interaction_seconds  connected → disconnected, less the hold time
DERIVED = ("queue_seconds", "handle_seconds", "interaction_seconds")


class Condition(NamedTuple):
    """``fact`` is present / absent / true, or compares (``<``, ``<=``, ``>``) with
    ``value``."""

    fact: str
    op: str  # "present", "absent", "true", "<", "<=", ">"
    value: float | None = None


class Aggregate(NamedTuple):
    """count (of the contacts meeting ``where``), or sum / avg / max of ``value`` over them
    (contacts where ``value`` is absent are left out)."""

    kind: str  # "count", "sum", "avg", "max"
    value: str | None
    where: tuple[Condition, ...] = ()


class FactQuery(NamedTuple):
    """Aggregates over the contacts of one instance initiated in [start, end) of each
    interval, kept to ``filters`` (fact → allowed values) and grouped by ``groupings``
    (facts). Answers, per interval index and group key, the aggregates in order."""

    intervals: list[tuple[float, float]]
    filters: dict[str, list[str]]
    groupings: list[str]
    aggregates: list[Aggregate]


FactRows = list[tuple[int, tuple[str | None, ...], list[float | None]]]


class Staged(NamedTuple):
    """A contact of a bulk load (``staged`` makes one), with its chain's attributes when its
    record carries them, and its ``contact_facts``."""

    row: ContactRow
    attributes: dict[str, str] | None
    facts: tuple[Any, ...]


def staged(contact: Contact, attributes: dict[str, str] | None = None) -> Staged:
    return Staged(contact_row(contact), attributes, contact_facts(contact))


class BulkLoad(ABC):
    """Contacts loaded in bulk (CTR import): added in any order, then merged into the store
    in key order, so that each page of the store is written about once (adding them batch by
    batch wrote every page once per batch). A contact's newest LastUpdateTimestamp wins (at
    a tie, what was stored or added first); its attributes, when it wins and carries them,
    replace its chain's, the chain's newest such record winning. A store may merge a large
    load in parts as it is added (SQLite: runs of ``sqlite.RUN`` records), each as a load of
    its own: what a part merged stays if the load stops, and a chain's attributes come from
    the newest such record of the last part that has one."""

    @abstractmethod
    def add(self, scope: Scope, contacts: list[Staged]) -> None: ...

    @abstractmethod
    def merge(self) -> tuple[int, int]:
        """Stores what was added. Returns (contacts new to the store, records of contacts
        stored or added before them: merged)."""


Watcher = Callable[[Scope, list[Contact]], None]

# The CTR stream's outbox (stream.py; docs/design/outbox.md). A stream consumer (a server
# started with --ctr-file or --ctr-webhook) registers itself and says it is there every
# STREAM_HEARTBEAT seconds; while one has within STREAM_LAPSE (wall-clock seconds), every write
# that ends a contact or changes an ended one queues the contact, as stored, in the outbox, in
# the write's own transaction. With no consumer nothing is queued, so a store nobody streams
# from keeps no outbox, and one whose consumer was killed for good stops growing STREAM_LAPSE
# after; what is queued waits for the next consumer.
STREAM_HEARTBEAT = 60.0
STREAM_LAPSE = 600.0


class Pending(NamedTuple):
    """A contact queued in the outbox: ``seq`` orders the queue."""

    seq: int
    scope: Scope
    contact: Contact


def ended(contacts: list[Contact]) -> list[Contact]:
    """The contacts of a transaction that the outbox queues: the ended ones, each as it was
    put last (what the transaction commits)."""
    last = {(c.instance_id, c.id): c for c in contacts if c.disconnect_timestamp is not None}
    return list(last.values())


class Store(ABC):
    name: str
    location: str
    watchers: list[Watcher]
    # Whether other servers may be using the store right now (a database server's): one
    # joining them does not reset the service clock they share.
    shared: bool = False

    def watch(self, watcher: Watcher) -> None:
        """Calls ``watcher(scope, contacts)`` after each committed write that put contacts one
        by one (the API's writes; bulk loads are not watched). It runs on the writing thread:
        it must be quick and must not raise."""
        self.watchers.append(watcher)

    def check(self) -> None:
        """Raises ``StoreUnavailable`` when the store cannot be reached (health asks); an
        embedded store is always there."""
        return None

    @abstractmethod
    def read(self, scope: Scope) -> AbstractContextManager[Tx]: ...
    @abstractmethod
    def write(self, scope: Scope) -> AbstractContextManager[Tx]: ...

    def contact_and_attributes(self, scope: Scope, instance_id: str,
                               contact_id: str) -> tuple[Contact, dict[str, str]] | None:
        """``Tx.get_contact_and_attributes`` as a read of its own: DescribeContact's one
        statement, which a store may run without a transaction around it."""
        with self.read(scope) as tx:
            return tx.get_contact_and_attributes(instance_id, contact_id)

    def wire_and_attributes(self, scope: Scope, instance_id: str,
                            contact_id: str) -> tuple[bytes | None, bytes | None] | None:
        """DescribeContact's answer as stored (connectlocal.wire) and the contact's chain's
        attributes document, or None when the contact has none stored (no such contact, or
        one whose answer is still to be made): the generic path answers."""
        return None

    # Stored answers (connectlocal.wire): every write of a contact writes its answer in the
    # same transaction, except a bulk load's, which marks its contacts' answers as pending
    # (and drops the ones it replaces); ``make_answers`` makes those off the load's path.
    @abstractmethod
    def pending_answers(self, limit: int) -> list[PendingAnswer]:
        """Up to ``limit`` contacts whose answers are pending, in key order."""
    @abstractmethod
    def put_answers(self, made: list[MadeAnswer]) -> None:
        """Stores the answers of contacts whose documents are still the ones they were made
        from, and takes those contacts (and the ones gone) off the pending list; a contact
        written since stays pending. One transaction."""

    def make_answers(self, rows: int) -> int:
        """Makes the stored answers of up to ``rows`` pending contacts; returns how many it
        took (a ``Paced`` step)."""
        made = []
        pending = self.pending_answers(rows)
        for item in pending:
            if item.document is None:
                made.append(MadeAnswer(item, "", None))
            else:
                contact = decode(Contact, item.document)
                made.append(MadeAnswer(item, contact.chain_root, stored_form(contact)))
        if made:
            self.put_answers(made)
        return len(pending)

    def make_all_answers(self) -> int:
        """Makes every pending stored answer, a paced step at a time; returns how many."""
        return Paced(first=500).run(self.make_answers)

    @abstractmethod
    def bulk_load(self) -> AbstractContextManager[BulkLoad]:
        """A bulk load: what was added and not merged when the block ends is dropped."""

    @abstractmethod
    def get_clock(self) -> ClockSetting: ...
    @abstractmethod
    def set_clock(self, setting: ClockSetting) -> None: ...

    @abstractmethod
    def delete_contacts_initiated_before(self, cutoff: datetime) -> int:
        """Removes the contacts of every instance, in every scope, initiated before
        ``cutoff``, and chains' attributes untouched since; returns how many contacts."""

    @abstractmethod
    def expiring(self, until: datetime) -> list[tuple[Scope, str, str]]:
        """(scope, instance id, contact id) of the active contacts, in every scope, whose
        expiry is at or before ``until``."""

    @abstractmethod
    def routing_due(self, until: datetime) -> list[tuple[Scope, str]]:
        """(scope, instance id) of the instances where routing has something to do at
        ``until``: a contact waiting in a queue, or an agent's deadline passed."""

    @abstractmethod
    def due_flow_runs(self, until: datetime) -> list[tuple[Scope, str, str]]:
        """(scope, instance id, contact id) of the waiting flow runs, in every scope, whose
        timeout is at or before ``until``."""

    @abstractmethod
    def delete_claims_before(self, cutoff: datetime) -> int:
        """Removes ClientToken claims made before ``cutoff`` (expired), in every scope."""

    # The CTR stream's outbox: claimed for a lease, delivered, then finished (deleted); a
    # claimer that dies leaves its rows to whoever claims after the lease. ``now`` and
    # ``until`` are epoch seconds of the wall clock (not the service clock).
    @abstractmethod
    def register_stream(self, consumer: str, now: float) -> None:
        """Says that ``consumer`` delivers the outbox (at start, then every
        ``STREAM_HEARTBEAT`` seconds)."""
    @abstractmethod
    def unregister_stream(self, consumer: str) -> None: ...
    @abstractmethod
    def claim_outbox(self, consumer: str, limit: int, now: float,
                     lease: float) -> list[Pending]:
        """Up to ``limit`` of the oldest queued contacts that no one holds a lease on (never
        claimed, released, or claimed by someone whose lease ended before ``now``), now
        ``consumer``'s until ``now + lease``; oldest first. Two claimers never get the same
        row while its lease lasts."""
    @abstractmethod
    def renew_outbox(self, consumer: str, seqs: list[int], until: float) -> None:
        """Extends ``consumer``'s lease on these rows (still its own) to ``until``."""
    @abstractmethod
    def finish_outbox(self, consumer: str, seqs: list[int]) -> None:
        """Removes these rows, delivered (or given up on), where ``consumer`` still holds
        them."""
    @abstractmethod
    def release_outbox(self, consumer: str, seqs: list[int]) -> None:
        """Gives these rows of ``consumer``'s back, claimable at once (a stream stopping)."""
    @abstractmethod
    def outbox_size(self) -> int:
        """Rows queued in the outbox, claimed or not."""

    @abstractmethod
    def count_contacts(self) -> int: ...
    @abstractmethod
    def reset(self) -> None:
        """Removes everything (every scope) and returns the clock to the system clock."""
    @abstractmethod
    def close(self) -> None: ...
