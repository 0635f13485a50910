"""A contact center on simulated time: customers' contacts arrive (a Poisson process), wait
in a queue, are answered by the first free agent or give up, are held, transferred or called
back, and agents wrap up. Every contact is made by the steps in ``events.py``, and stored
through the bulk path (or sent to a running server as CTRs): nothing reaches the store that
the service's own rules would not make.

Simplifications, stated: an agent handles one contact at a time, whatever the channel; one
queue (the instance's BasicQueue, or the one given); arrivals are uniform over the day.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from . import events
from .engine import routing
from .handlers.updates import MAX_TRANSFERS
from .ids import Ids
from .models import (
    CALLBACK,
    QUEUE_TRANSFER,
    TASK,
    TRANSFER,
    VOICE,
    AgentState,
    AgentStatus,
    Contact,
    Instance,
    MediaConcurrency,
    RoutingProfile,
    RoutingProfileQueue,
    User,
)

if TYPE_CHECKING:
    from .store.base import Tx

CHANNEL_MIX = {"VOICE": 0.6, "CHAT": 0.25, "TASK": 0.15}
TASK_NAMES = ("Follow up on order", "Review refund request", "Call back about invoice",
              "Update customer address", "Check delivery status")
SERVICE_LEVEL_SECONDS = 20  # answered within this many seconds counts as in service level


@dataclass
class Profile:
    """What the contact center does, on average."""

    rate_per_hour: float = 200.0  # arrivals of all channels together
    channel_mix: dict[str, float] = field(default_factory=lambda: dict(CHANNEL_MIX))
    handle_seconds: float = 300.0  # mean talk/chat/work time (exponential)
    ring_seconds: float = 6.0  # mean time from ring to accept
    flow_seconds: float = 20.0  # time in the inbound flow before the queue
    hold_probability: float = 0.2
    hold_seconds: float = 60.0
    acw_seconds: float = 30.0
    transfer_probability: float = 0.05
    callback_probability: float = 0.3  # of customers who give up waiting
    patience_seconds: float = 180.0  # mean time a customer waits before giving up


@dataclass
class Summary:
    contacts: int = 0
    by_kind: Counter[tuple[str, str]] = field(default_factory=Counter)
    answered: int = 0
    abandoned: int = 0
    in_service_level: int = 0
    wait_seconds: float = 0.0
    handle_seconds: float = 0.0

    @property
    def service_level(self) -> float:
        return self.in_service_level / self.answered if self.answered else 0.0

    @property
    def average_wait(self) -> float:
        return self.wait_seconds / self.answered if self.answered else 0.0

    @property
    def average_handle(self) -> float:
        return self.handle_seconds / self.answered if self.answered else 0.0


ROUTING_PROFILE = "simulated-routing-profile"
AVAILABLE, OFFLINE = "simulated-available", "simulated-offline"


class _Memory:
    """What ``routing.route`` reads and writes, held in memory for one simulated run (the
    part of a store transaction routing uses): the agents' states and status history, the
    contacts in flight and those waiting in a queue. ``put`` is what the last routing pass
    put, as in a transaction."""

    def __init__(self, users: list[User], profiles: list[RoutingProfile],
                 statuses: list[AgentStatus]) -> None:
        self.put: list[Contact] = []
        self.contacts: dict[str, Contact] = {}
        self.waiting: dict[str, Contact] = {}
        self.states: dict[str, AgentState] = {}
        self.history: list[tuple[str, datetime, str, str]] = []
        self._resources: dict[type, list[Any]] = {User: users, RoutingProfile: profiles,
                                                  AgentStatus: statuses}
        self._by_id = {(kind, r.id): r for kind, found in self._resources.items()
                       for r in found}

    def list_agent_states(self, instance_id: str) -> list[AgentState]:
        return list(self.states.values())

    def get_agent_state(self, instance_id: str, user_id: str) -> AgentState | None:
        return self.states.get(user_id)

    def get_resource(self, instance_id: str, kind: type, resource_id: str) -> Any:
        return self._by_id.get((kind, resource_id))

    def list_resources(self, instance_id: str, kind: type, after: str | None,
                       limit: int) -> list[Any]:
        return self._resources[kind]

    def get_contact(self, instance_id: str, contact_id: str) -> Contact | None:
        return self.contacts.get(contact_id)

    def put_contact(self, contact: Contact) -> None:
        self.contacts[contact.id] = contact
        self.put.append(contact)
        if contact.active and contact.queue is not None and contact.agent is None:
            self.waiting[contact.id] = contact
        else:
            self.waiting.pop(contact.id, None)

    def waiting_contacts(self, instance_id: str, until: datetime) -> list[Contact]:
        # Contacts are put in a queue in the order of their enqueue time (the run's events
        # come in time order), and are all queued by the time routing runs.
        return list(self.waiting.values())

    def put_agent_state(self, instance_id: str, state: AgentState,
                        due: datetime | None) -> None:
        self.states[state.user_id] = state

    def log_agent_status(self, instance_id: str, user_id: str, at: datetime, status_id: str,
                         status_type: str) -> None:
        self.history.append((user_id, at, status_id, status_type))

    def done(self, contact: Contact) -> None:
        self.contacts.pop(contact.id, None)
        self.waiting.pop(contact.id, None)


def agents_profile(queue_ids: list[str]) -> RoutingProfile:
    """The simulated agents' routing profile: their queues on every channel, one contact at
    a time (concurrency 1 per channel, one channel at a time)."""
    return RoutingProfile(
        ROUTING_PROFILE, ROUTING_PROFILE, "Simulated agents", "Simulated agents",
        queue_ids[0], [MediaConcurrency(channel, 1) for channel in CHANNEL_MIX],
        queue_configs=[RoutingProfileQueue(q, channel, 1, 0) for q in queue_ids
                       for channel in CHANNEL_MIX])


class Simulator:
    """The period's contacts, routed by ``engine/routing.py`` to agents who are Available
    from its start (their status history is ``history``)."""

    def __init__(self, instance: Instance, queue_id: str | list[str], agent_ids: list[str],
                 profile: Profile, seed: int, ids: Ids | None = None,
                 statuses: tuple[str, str] = (AVAILABLE, OFFLINE)) -> None:
        if not agent_ids:
            raise ValueError("a simulation needs at least one agent")
        self.instance = instance
        self.queue_ids = [queue_id] if isinstance(queue_id, str) else list(queue_id)
        self.queue_id = self.queue_ids[0]
        self.agents = agent_ids
        self.profile = profile
        self.random = random.Random(seed)
        self.ids = ids or Ids(seed)
        self.summary = Summary()
        self._transfers: dict[str, int] = {}  # transfers before a contact, for those with any
        self.statuses = statuses  # the ids of the instance's Available and Offline statuses
        routing_profile = agents_profile(self.queue_ids)
        users = [User(a, a, a, routing_profile.id, []) for a in agent_ids]
        self._available = AgentStatus(statuses[0], statuses[0], "Available", routing.ROUTABLE)
        self._offline = AgentStatus(statuses[1], statuses[1], "Offline", routing.OFFLINE)
        self._memory = _Memory(users, [routing_profile], [self._available, self._offline])

    @property
    def history(self) -> list[tuple[str, datetime, str, str]]:
        """(agent, from when, status id, status type) of every status an agent was in."""
        return self._memory.history

    def _exp(self, mean: float) -> float:
        return self.random.expovariate(1 / mean) if mean > 0 else 0.0

    def arrivals(self, start: datetime, end: datetime) -> Iterator[Contact]:
        """INBOUND contacts, a Poisson process at the profile's rate."""
        p = self.profile
        channels, weights = zip(*p.channel_mix.items(), strict=True)
        at = start
        while True:
            at += timedelta(seconds=self._exp(3600 / p.rate_per_hour))
            if at >= end:
                return
            channel = self.random.choices(channels, weights)[0]
            customer = (f"+1555{self.random.randrange(10**7):07d}" if channel == "VOICE"
                        else f"customer{self.random.randrange(10**6)}@example.com")
            contact = events.arrive(self.instance, self.ids.uuid(), channel, at, customer,
                                    "+18005550100" if channel == "VOICE" else None,
                                    self._queue(), round(self._exp(p.flow_seconds), 3))
            if channel == TASK:
                # StartTaskContact requires a Name: "The name of a task that is shown to an
                # agent in the Contact Control Panel (CCP)."
                contact.name = self.random.choice(TASK_NAMES)
            yield contact

    def run(self, start: datetime, end: datetime,
            progress: Callable[[int], None] | None = None) -> Iterator[Contact]:
        """Every contact of the period, each yielded once its life is over. Agents are
        Available from ``start`` and Offline once the last contact is done; routing offers
        each contact, as it would in the service, at the instant something changed."""
        memory = self._memory
        for agent in self.agents:
            state = AgentState(agent, "", start, start)
            memory.put_agent_state("", state, None)
            routing.set_status(self._tx, self.instance.id, state, self._available.id,
                               self._available, start)
        heap: list[tuple[datetime, int, str, Contact]] = []
        order = itertools.count()
        arrivals = self.arrivals(start, end)

        def later(at: datetime, what: str, contact: Contact) -> None:
            heapq.heappush(heap, (at, next(order), what, contact))

        upcoming = next(arrivals, None)
        if upcoming is not None:
            later(upcoming.initiation_timestamp, "arrive", upcoming)
        last = start
        while heap:  # every event at or after the one before it
            at, _, what, contact = heapq.heappop(heap)
            last = at
            if what == "arrive":  # the next one is known; this one is in its flow
                upcoming = next(arrivals, None)
                if upcoming is not None:
                    later(upcoming.initiation_timestamp, "arrive", upcoming)
                later(_queued(contact), "queued", contact)
            elif what == "queued":
                memory.put_contact(contact)
                # A task has no customer waiting on the line: it stays queued until an agent
                # takes it (it would expire only after 7 days).
                if contact.channel != TASK and contact.initiation_method != CALLBACK:
                    later(at + timedelta(seconds=self._exp(self.profile.patience_seconds)),
                          "give_up", contact)
                self._route(at, [contact], later)
            elif what == "give_up":
                if contact.active and (contact.agent is None
                                       or contact.agent.connected_to_agent_timestamp is None):
                    yield from self._give_up(contact, at, later, progress)
            elif what == "accept":
                info = contact.agent
                if contact.active and info is not None \
                        and info.connected_to_agent_timestamp is None:
                    events.accept(contact, info.agent_id, at)
                    assert contact.queue is not None
                    self._answered(contact, contact.queue.enqueue_timestamp, at)
                    talk = timedelta(seconds=round(self._exp(self.profile.handle_seconds), 3))
                    if self.random.random() < self.profile.hold_probability:
                        held = int(self._exp(self.profile.hold_seconds))
                        events.hold(contact, held)
                        talk += timedelta(seconds=held)
                    memory.put_contact(contact)
                    later(at + talk, "end", contact)
                    if not routing.reflect(self._tx, self.instance.id, contact):
                        self._route(at, [contact], later)
            elif what == "end":
                self._end(contact, at, later)
            else:  # "wrap": after-contact work is over, the agent is free
                assert contact.disconnect_timestamp is not None
                events.after_contact_work(contact, contact.disconnect_timestamp, at)
                memory.put_contact(contact)
                self._route(at, [contact], later)
                memory.done(contact)
                yield from self._done(contact, progress)
        for agent in self.agents:
            routing.set_status(self._tx, self.instance.id, memory.states[agent],
                               self._offline.id, self._offline, max(last, end))

    @property
    def _tx(self) -> Tx:
        # Routing reads and writes only what _Memory holds (the part of a transaction it
        # uses).
        return cast("Tx", self._memory)

    def _route(self, at: datetime, changed: list[Contact],
               later: Callable[[datetime, str, Contact], None]) -> None:
        """Routing at ``at``; each contact it offered is accepted after its ring."""
        memory = self._memory
        memory.put = []
        routing.route(self._tx, self.instance.id, at, changed)
        for contact in memory.put:
            agent = contact.agent
            if agent is not None and agent.connected_to_agent_timestamp is None \
                    and contact.ring_start_timestamp == at:
                # Accepted before the ring times out (routing.RING_SECONDS): the simulated
                # agents miss nothing.
                ring = min(self._exp(self.profile.ring_seconds), routing.RING_SECONDS - 0.5)
                later(at + timedelta(seconds=round(ring, 3)), "accept", contact)
        memory.put = []

    def _give_up(self, contact: Contact, at: datetime,
                 later: Callable[[datetime, str, Contact], None],
                 progress: Callable[[int], None] | None) -> Iterator[Contact]:
        p = self.profile
        self.summary.abandoned += 1
        transfers = self._transfers.pop(contact.id, 0)
        if contact.agent is not None:  # the customer hung up while it rang
            contact.agent, contact.ring_start_timestamp = None, None
        # Queued callbacks are voice calls: Amazon Connect calls the customer back (the
        # CALLBACK initiation method); a chat customer who gives up just leaves.
        if contact.channel == VOICE and self.random.random() < p.callback_probability:
            # The customer leaves a number instead of waiting: the flow ends this contact
            # and queues a CALLBACK one.
            callback = events.follow(contact, self.instance, self.ids.uuid(), CALLBACK, at,
                                     queue_id=self._queue())
            if transfers:  # the chain's count goes on (a callback is never abandoned)
                self._transfers[callback.id] = transfers
            later(at, "queued", callback)
        else:
            events.disconnect(contact, at, events.CUSTOMER_DISCONNECT)
        self._memory.put_contact(contact)
        self._route(at, [contact], later)
        self._memory.done(contact)
        yield from self._done(contact, progress)

    def _end(self, contact: Contact, at: datetime,
             later: Callable[[datetime, str, Contact], None]) -> None:
        p = self.profile
        transfers = self._transfers.pop(contact.id, 0)
        # A chain ends after MAX_TRANSFERS (TransferContact: "A contact cannot be
        # transferred more than 11 times"), so a simulation ends whatever the probability.
        if transfers < MAX_TRANSFERS and self.random.random() < p.transfer_probability:
            method = self.random.choice((TRANSFER, QUEUE_TRANSFER))
            moved = events.follow(contact, self.instance, self.ids.uuid(), method, at,
                                  queue_id=self._queue())
            self._transfers[moved.id] = transfers + 1
            moved.name = contact.name  # a transferred task keeps its name (TransferContact)
            later(at, "queued", moved)
        else:
            events.disconnect(contact, at, self.random.choice(
                (events.CUSTOMER_DISCONNECT, events.AGENT_DISCONNECT)))
        self._memory.put_contact(contact)
        # Into after-contact work: the slot stays taken (a transferred contact's next one
        # is queued, and routed, as its own event).
        if not routing.reflect(self._tx, self.instance.id, contact):
            self._route(at, [contact], later)
        wrapped = at + timedelta(seconds=round(self._exp(p.acw_seconds), 3))
        later(wrapped, "wrap", contact)

    def _queue(self) -> str:
        return self.queue_ids[0] if len(self.queue_ids) == 1 \
            else self.random.choice(self.queue_ids)

    def _answered(self, contact: Contact, queued: datetime, connected: datetime) -> None:
        wait = (connected - queued).total_seconds()
        self.summary.answered += 1
        self.summary.wait_seconds += wait
        if wait <= SERVICE_LEVEL_SECONDS:
            self.summary.in_service_level += 1

    def _done(self, contact: Contact,
              progress: Callable[[int], None] | None) -> Iterator[Contact]:
        s = self.summary
        s.contacts += 1
        s.by_kind[(contact.channel, contact.initiation_method)] += 1
        agent = contact.agent
        if agent and agent.connected_to_agent_timestamp and contact.disconnect_timestamp:
            s.handle_seconds += (contact.disconnect_timestamp
                                 - agent.connected_to_agent_timestamp).total_seconds()
        if progress is not None:
            progress(1)
        yield contact


def _queued(contact: Contact) -> datetime:
    assert contact.queue is not None
    return contact.queue.enqueue_timestamp


def poisson_bounds(expected: float, sigmas: float = 5.0) -> tuple[float, float]:
    """Counts a Poisson process gives ``expected`` on average stay within, almost surely."""
    spread = sigmas * math.sqrt(expected)
    return expected - spread, expected + spread
