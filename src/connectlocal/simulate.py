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
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from . import events
from .handlers.updates import MAX_TRANSFERS
from .ids import Ids
from .models import CALLBACK, QUEUE_TRANSFER, TASK, TRANSFER, VOICE, Contact, Instance

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


@dataclass(order=True)
class _Waiting:
    at: datetime
    order: int
    contact: Contact = field(compare=False)


class Simulator:
    def __init__(self, instance: Instance, queue_id: str, agent_ids: list[str],
                 profile: Profile, seed: int, ids: Ids | None = None) -> None:
        if not agent_ids:
            raise ValueError("a simulation needs at least one agent")
        self.instance = instance
        self.queue_id = queue_id
        self.agents = agent_ids
        self.profile = profile
        self.random = random.Random(seed)
        self.ids = ids or Ids(seed)
        self.summary = Summary()
        self._transfers: dict[str, int] = {}  # transfers before a contact, for those with any

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
                                    self.queue_id, round(self._exp(p.flow_seconds), 3))
            if channel == TASK:
                # StartTaskContact requires a Name: "The name of a task that is shown to an
                # agent in the Contact Control Panel (CCP)."
                contact.name = self.random.choice(TASK_NAMES)
            yield contact

    def run(self, start: datetime, end: datetime,
            progress: Callable[[int], None] | None = None) -> Iterator[Contact]:
        """Every contact of the period, each yielded once its life is over."""
        p = self.profile
        free = [(start, agent) for agent in self.agents]  # when each agent is next free
        heapq.heapify(free)
        waiting: list[_Waiting] = []
        order = 0
        arrivals = self.arrivals(start, end)
        upcoming = next(arrivals, None)
        while upcoming is not None or waiting:
            # The next contact to enter the queue: a new arrival, or one a transfer or a
            # callback made, whichever comes first.
            if upcoming is not None and (not waiting or _queued(upcoming) <= waiting[0].at):
                contact, upcoming = upcoming, next(arrivals, None)
            else:
                contact = heapq.heappop(waiting).contact
            assert contact.queue is not None
            queued = contact.queue.enqueue_timestamp
            agent_free, agent = heapq.heappop(free)
            offered = max(queued, agent_free)
            patience = timedelta(seconds=self._exp(p.patience_seconds))
            # A task has no customer waiting on the line: it stays queued until an agent
            # takes it (it would expire only after 7 days).
            impatient = contact.channel != TASK and contact.initiation_method != CALLBACK
            if offered - queued > patience and impatient:
                heapq.heappush(free, (agent_free, agent))
                gave_up = queued + patience
                self.summary.abandoned += 1
                transfers = self._transfers.pop(contact.id, 0)
                # Queued callbacks are voice calls: Amazon Connect calls the customer back
                # (the CALLBACK initiation method); a chat customer who gives up just leaves.
                if contact.channel == VOICE and self.random.random() < p.callback_probability:
                    # The customer leaves a number instead of waiting: the flow ends this
                    # contact and queues a CALLBACK one.
                    callback = events.follow(contact, self.instance, self.ids.uuid(), CALLBACK,
                                             gave_up, queue_id=self.queue_id)
                    if transfers:  # the chain's count goes on (a callback is never abandoned)
                        self._transfers[callback.id] = transfers
                    order += 1
                    heapq.heappush(waiting, _Waiting(gave_up, order, callback))
                else:
                    events.disconnect(contact, gave_up, events.CUSTOMER_DISCONNECT)
                yield from self._done(contact, progress)
                continue
            events.ring(contact, agent, offered)
            connected = offered + timedelta(seconds=round(self._exp(p.ring_seconds), 3))
            events.accept(contact, agent, connected)
            self._answered(contact, queued, connected)
            talk = timedelta(seconds=round(self._exp(p.handle_seconds), 3))
            if self.random.random() < p.hold_probability:
                held = int(self._exp(p.hold_seconds))
                events.hold(contact, held)
                talk += timedelta(seconds=held)
            ended = connected + talk
            transfers = self._transfers.pop(contact.id, 0)
            # A chain ends after MAX_TRANSFERS (TransferContact: "A contact cannot be
            # transferred more than 11 times"), so a simulation ends whatever the probability.
            if transfers < MAX_TRANSFERS and self.random.random() < p.transfer_probability:
                method = self.random.choice((TRANSFER, QUEUE_TRANSFER))
                moved = events.follow(contact, self.instance, self.ids.uuid(), method, ended,
                                      queue_id=self.queue_id)
                self._transfers[moved.id] = transfers + 1
                moved.name = contact.name  # a transferred task keeps its name (TransferContact)
                order += 1
                heapq.heappush(waiting, _Waiting(ended, order, moved))
            else:
                events.disconnect(contact, ended, self.random.choice(
                    (events.CUSTOMER_DISCONNECT, events.AGENT_DISCONNECT)))
            wrapped = ended + timedelta(seconds=round(self._exp(p.acw_seconds), 3))
            events.after_contact_work(contact, ended, wrapped)
            heapq.heappush(free, (wrapped, agent))
            yield from self._done(contact, progress)

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
