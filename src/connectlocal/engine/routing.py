"""Routing: contacts waiting in queues are offered to available agents whose routing profile
serves the queue on the contact's channel; offered contacts ring, are accepted or missed, and
agents' after-contact work ends at its time limit. Agents' states live in the store.

``route`` is the one entry point. It runs inside the write transaction of whatever changed
things (a contact entered a queue, was accepted or ended; an agent's status changed) and from
the service's sweep at the service clock (ring timeouts, after-contact work limits, routing
profile delays). The rules follow the Administrator Guide's "How routing works"
(https://docs.aws.amazon.com/connect/latest/adminguide/about-routing.html): "Contacts in a
queue are automatically prioritized and forwarded to the next available agent (that is, the
agent who has been idle longest)", oldest first ("first-come, first-served"); a routing
profile's queues are served by priority (1 first) and a contact reaches the profile's agents
only after the queue's delay; and an agent takes contacts up to the profile's concurrency per
channel, of one channel at a time ("Route current channel only", the default cross-channel
behaviour).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .. import events
from ..models import (
    AgentContact,
    AgentState,
    AgentStatus,
    Contact,
    RoutingProfile,
    RoutingProfileQueue,
    User,
)
from ..store.base import Tx

ALL = 100_000
# An offered contact rings this long before the agent has missed it ("after 20 seconds if it
# was not answered agent will be marked as Missed").
RING_SECONDS = 20
# AgentContactState values (the model's ContactState), as "About contact states" describes
# them: CONNECTING rings, CONNECTED talks, ENDED is after-contact work, MISSED was not taken.
CONNECTING, CONNECTED, ENDED, MISSED = "CONNECTING", "CONNECTED", "ENDED", "MISSED"
BUSY = (CONNECTING, CONNECTED, ENDED)
ROUTABLE, OFFLINE = "ROUTABLE", "OFFLINE"
DEFAULT_QUEUE_PRIORITY = 5  # UpdateContactRoutingData: QueuePriority defaults to 5


def queue_configs(profile: RoutingProfile) -> list[RoutingProfileQueue]:
    """The profile's queues per channel; one stored before they were kept serves each of its
    queues on every channel it has a concurrency for, at priority 1 without delay."""
    if profile.queue_configs or not profile.queue_ids:
        return profile.queue_configs
    return [RoutingProfileQueue(q, m.channel, 1, 0) for q in profile.queue_ids
            for m in profile.media_concurrencies]


def concurrency(profile: RoutingProfile, channel: str) -> int:
    return next((m.concurrency for m in profile.media_concurrencies if m.channel == channel), 0)


def auto_accepts(user: User, channel: str) -> bool:
    """PhoneConfig.AutoAccept for voice; the per-channel AutoAcceptConfigs (UpdateUserConfig)
    where given."""
    for config in user.channel_configs.get("AutoAcceptConfigs", ()):
        if config.get("Channel") == channel:
            return bool(config.get("AutoAccept"))
    return channel == "VOICE" and bool((user.phone_config or {}).get("AutoAccept"))


def acw_limit(user: User) -> int:
    """PhoneConfig.AfterContactWorkTimeLimit in seconds; 0: "an indefinite amount of time"."""
    return int((user.phone_config or {}).get("AfterContactWorkTimeLimit") or 0)


def statuses(tx: Tx, instance_id: str) -> dict[str, AgentStatus]:
    return {s.id: s for s in tx.list_resources(instance_id, AgentStatus, None, ALL)}


def new_state(user_id: str, status: AgentStatus | None, at: datetime) -> AgentState:
    return AgentState(user_id, status.id if status else "", at, at)


def activity(state: AgentState, status_type: str) -> str:
    """What the agent is doing, as the real-time metrics count it: ERROR after a missed
    contact, ON_CONTACT, INCOMING (ringing), ACW, AVAILABLE, NPT (a custom status) or
    OFFLINE."""
    if state.missed_at is not None or any(c.state == MISSED for c in state.contacts):
        return "ERROR"
    if any(c.state == CONNECTED for c in state.contacts):
        return "ON_CONTACT"
    if any(c.state == CONNECTING for c in state.contacts):
        return "INCOMING"
    if any(c.state == ENDED for c in state.contacts):
        return "ACW"
    return {ROUTABLE: "AVAILABLE", OFFLINE: "OFFLINE"}.get(status_type, "NPT")


@dataclass
class _World:
    """What one routing pass reads, read once."""

    tx: Tx
    instance_id: str
    states: dict[str, AgentState]
    users: dict[str, User]
    profiles: dict[str, RoutingProfile]
    statuses: dict[str, AgentStatus]
    changed: set[str]

    limits: dict[tuple[str, str], int] = field(default_factory=dict)

    def user(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    def limit(self, user_id: str, channel: str) -> int:
        """The agent's concurrency on the channel (0 without a user or a profile)."""
        user = self.users.get(user_id)
        if user is None:
            return 0
        key = (user.routing_profile_id, channel)
        found = self.limits.get(key)
        if found is None:
            profile = self.profiles.get(user.routing_profile_id)
            found = self.limits[key] = concurrency(profile, channel) if profile else 0
        return found

    def contact(self, contact_id: str) -> Contact | None:
        return self.tx.get_contact(self.instance_id, contact_id)


def route(tx: Tx, instance_id: str, now: datetime, changed: Iterable[Contact] = ()) -> None:
    """Brings routing up to ``now`` in the instance: the contacts this transaction has put
    (and ``changed`` ones) are reflected in their agents' states, rings time out,
    after-contact work reaches its limit, then waiting contacts are offered to available
    agents."""
    states = {s.user_id: s for s in tx.list_agent_states(instance_id)}
    if not states:
        return  # no agent has ever had a status: nobody to route to (the common bulk case)
    world = _World(tx, instance_id, states,
                   {u.id: u for u in tx.list_resources(instance_id, User, None, ALL)},
                   {p.id: p for p in tx.list_resources(instance_id, RoutingProfile, None, ALL)},
                   statuses(tx, instance_id), set())
    latest = {c.id: c for c in [*tx.put, *changed] if c.instance_id == instance_id}
    if latest:
        # Which agents hold each contact, read once: a pass reflects a few contacts, and
        # an instance may have hundreds of agents.
        held: dict[str, list[AgentState]] = {}
        for state in states.values():
            for entry in state.contacts:
                held.setdefault(entry.contact_id, []).append(state)
        for contact in latest.values():
            _reflect(world, contact, now, held.get(contact.id, ()))
    # Deadlines in the order they fell due, routing at each (a clock moved an hour on offers
    # the contact freed at minute one at minute one, not an hour later).
    while True:
        due = [d for d in (_due(world, s) for s in states.values() if s.contacts)
               if d is not None and d <= now]
        if not due:
            break
        at = min(due)
        for state in list(states.values()):
            _deadlines(world, state, at)
        _assign(world, at)
    _assign(world, now)
    for user_id in world.changed:
        state = states[user_id]
        tx.put_agent_state(instance_id, state, _due(world, state))


def reflect(tx: Tx, instance_id: str, contact: Contact) -> bool:
    """The one move of a contact in its agent's state that frees no slot — a ring accepted
    (CONNECTING to CONNECTED), a contact ended into after-contact work (CONNECTED to ENDED) —
    made without a routing pass: nothing can be offered because of it. False, and nothing
    done, for any other change: ``route`` it. (The simulator's passes at accept and at
    disconnect; a pass read every agent, and these were half of them.)"""
    agent = contact.agent
    state = tx.get_agent_state(instance_id, agent.agent_id) if agent else None
    if agent is None or state is None or agent.connected_to_agent_timestamp is None:
        return False
    entry = next((c for c in state.contacts if c.contact_id == contact.id
                  and c.state != MISSED), None)
    if entry is not None and entry.state == CONNECTING and contact.active:
        entry.state, entry.since = CONNECTED, agent.connected_to_agent_timestamp
        entry.connected = agent.connected_to_agent_timestamp
    elif entry is not None and entry.state == CONNECTED and not contact.active \
            and contact.disconnect_timestamp is not None \
            and agent.after_contact_work_end is None:
        entry.state, entry.since = ENDED, contact.disconnect_timestamp
    else:
        return False
    user = tx.get_resource(instance_id, User, state.user_id)
    world = _World(tx, instance_id, {state.user_id: state}, {user.id: user} if user else {},
                   {}, {}, set())
    tx.put_agent_state(instance_id, state, _due(world, state))
    return True


def _touch(world: _World, state: AgentState) -> None:
    world.changed.add(state.user_id)


def _free(world: _World, state: AgentState, at: datetime) -> None:
    """The agent has no contact left: idle from ``at``, and a status set meanwhile applies."""
    if any(c.state in BUSY for c in state.contacts):
        return
    state.idle_since = at
    if state.next_status_id:
        set_status(world.tx, world.instance_id, state, state.next_status_id,
                   world.statuses.get(state.next_status_id), at)


def set_status(tx: Tx, instance_id: str, state: AgentState, status_id: str,
               status: AgentStatus | None, at: datetime) -> None:
    """The agent's status becomes ``status_id`` at ``at`` (a missed contact is cleared)."""
    state.status_id, state.status_start, state.next_status_id = status_id, at, None
    state.missed_at = None
    state.contacts = [c for c in state.contacts if c.state != MISSED]
    tx.log_agent_status(instance_id, state.user_id, at, status_id,
                        status.type if status else OFFLINE)


def _reflect(world: _World, contact: Contact, now: datetime,
             holders: Iterable[AgentState]) -> None:
    """The contact's state in its agent's, and gone from any other agent who held it
    (``holders``)."""
    agent_id = contact.agent.agent_id if contact.agent else None
    for state in holders:  # a contact is with one agent at most
        if state.user_id != agent_id:
            before = len(state.contacts)
            state.contacts = [c for c in state.contacts
                              if c.contact_id != contact.id or c.state == MISSED]
            if len(state.contacts) != before:
                _touch(world, state)
                _free(world, state, now)
    found = world.states.get(agent_id or "")
    if found is None or contact.agent is None:
        return  # an agent scripted by hand without a status: not tracked
    state = found
    entry = next((c for c in state.contacts if c.contact_id == contact.id and c.state != MISSED),
                 None)
    agent = contact.agent
    if contact.active:
        wanted, since = ((CONNECTED, agent.connected_to_agent_timestamp)
                         if agent.connected_to_agent_timestamp is not None
                         else (CONNECTING, contact.ring_start_timestamp or now))
    elif agent.connected_to_agent_timestamp is not None and agent.after_contact_work_end is None:
        wanted, since = ENDED, contact.disconnect_timestamp or now
    else:
        wanted, since = "", now
    if entry is not None and entry.state == wanted:
        return
    _touch(world, state)
    if entry is not None:
        state.contacts.remove(entry)
    if wanted:
        state.contacts.append(AgentContact(
            contact.id, contact.channel, contact.initiation_method,
            contact.queue.queue_id if contact.queue else None, wanted, since or now,
            agent.connected_to_agent_timestamp))
    else:
        _free(world, state, agent.after_contact_work_end or since or now)


def _deadlines(world: _World, state: AgentState, now: datetime) -> None:
    user = world.user(state.user_id)
    for entry in list(state.contacts):
        if entry.state == CONNECTING and entry.since + timedelta(seconds=RING_SECONDS) <= now:
            missed = entry.since + timedelta(seconds=RING_SECONDS)
            contact = world.contact(entry.contact_id)
            if contact is not None and contact.active and contact.agent is not None \
                    and contact.agent.connected_to_agent_timestamp is None:
                # Back to the queue, to be offered again ("the routing engine offers the
                # callback to the next available agent, until an agent accepts").
                contact.agent, contact.ring_start_timestamp = None, None
                contact.last_update_timestamp = max(contact.last_update_timestamp, missed)
                world.tx.put_contact(contact)
            entry.state, entry.since = MISSED, missed
            state.missed_at = missed
            _touch(world, state)
        elif entry.state == ENDED and user is not None and acw_limit(user) > 0 \
                and entry.since + timedelta(seconds=acw_limit(user)) <= now:
            end = entry.since + timedelta(seconds=acw_limit(user))
            contact = world.contact(entry.contact_id)
            if contact is not None and contact.agent is not None \
                    and contact.agent.after_contact_work_end is None:
                events.after_contact_work(contact, entry.since, end)
                world.tx.put_contact(contact)
            state.contacts.remove(entry)
            _touch(world, state)
            _free(world, state, end)


def _due(world: _World, state: AgentState) -> datetime | None:
    if not state.contacts:
        return None
    user = world.user(state.user_id)
    due = []
    for entry in state.contacts:
        if entry.state == CONNECTING:
            due.append(entry.since + timedelta(seconds=RING_SECONDS))
        elif entry.state == ENDED and user is not None and acw_limit(user) > 0:
            due.append(entry.since + timedelta(seconds=acw_limit(user)))
    return min(due) if due else None


def routable(world: _World, state: AgentState) -> bool:
    status = world.statuses.get(state.status_id)
    return routable_state(status.type if status else OFFLINE, state)


def routable_state(status_type: str, state: AgentState) -> bool:
    """Whether contacts can be offered to an agent in a status of this type."""
    return status_type == ROUTABLE and state.missed_at is None


def _has_room(world: _World, state: AgentState) -> bool:
    """Whether the agent has a free slot on some channel (else waiting contacts need not be
    read at all)."""
    busy, channel = 0, ""
    for entry in state.contacts:
        if entry.state in BUSY:
            busy, channel = busy + 1, entry.channel
    if not busy:
        return True
    return busy < world.limit(state.user_id, channel)


def _assign(world: _World, now: datetime) -> None:
    statuses = world.statuses

    def open_(s: AgentState) -> bool:  # routable(world, s) and _has_room(world, s), inlined
        status = statuses.get(s.status_id)
        if status is None or status.type != ROUTABLE or s.missed_at is not None:
            return False
        return not s.contacts or _has_room(world, s)

    # Whether any agent is free (up to the first), then whether anything waits, then who
    # is free: most passes stop at one of the first two (every agent busy, or nothing
    # waiting), and an instance may have hundreds of agents.
    if not any(open_(s) for s in world.states.values()):
        return
    waiting = [c for c in world.tx.waiting_contacts(world.instance_id, now)
               if c.agent is None and c.queue is not None]
    if not waiting:
        return
    # The longest idle first, taken from a heap as they are needed: a contact or two
    # waiting is given to one of the first agents, and sorting hundreds took longer.
    idle = [((s.idle_since, s.user_id), s) for s in world.states.values() if open_(s)]
    heapq.heapify(idle)
    ordered: list[AgentState] = []

    def free() -> Iterator[AgentState]:
        yield from list(ordered)
        while idle:
            state = heapq.heappop(idle)[1]
            ordered.append(state)
            yield state

    # Without QueuePriority or QueueTimeAdjustmentSeconds on any of them, contacts of one
    # queue priority rank by enqueue time, the order they wait in: an agent's first
    # eligible contact at the profile's best priority is its best (a long queue is not
    # read through for every agent).
    plain = all(c.queue_priority is None and not c.queue_time_adjustment_seconds
                for c in waiting)
    progress, first = True, True
    while progress and waiting:
        progress = False
        for state in free():
            if not waiting:
                break
            user = world.user(state.user_id)
            profile = world.profiles.get(user.routing_profile_id) if user else None
            if user is None or profile is None or (not first and not _has_room(world, state)):
                continue
            best = _pick(profile, state, waiting, now, plain)
            if best is None:
                continue
            waiting.remove(best)
            _offer(world, state, user, best, now)
            progress = True
        first = False


def _pick(profile: RoutingProfile, state: AgentState, waiting: list[Contact],
          now: datetime, plain: bool = False) -> Contact | None:
    """The agent's best waiting contact; ``plain``: ``waiting`` is in enqueue order and no
    contact has a QueuePriority or a QueueTimeAdjustmentSeconds."""
    busy = [c for c in state.contacts if c.state in BUSY]
    channels = {c.channel for c in busy}
    configs = queue_configs(profile)
    served = {(q.queue_id, q.channel): q for q in configs}
    top = min((q.priority for q in configs), default=None)
    best: tuple[Any, ...] | None = None
    chosen = None
    horizon: datetime | None = None  # plain: no contact queued after this can rank better
    for contact in waiting:
        assert contact.queue is not None
        if horizon is not None and contact.queue.enqueue_timestamp > horizon:
            break
        config = served.get((contact.queue.queue_id, contact.channel))
        if config is None:
            continue
        if channels - {contact.channel}:
            continue  # busy on another channel
        if sum(1 for c in busy if c.channel == contact.channel) >= concurrency(
                profile, contact.channel):
            continue
        age = now - contact.queue.enqueue_timestamp
        if age < timedelta(seconds=config.delay):
            continue
        # Routing age: UpdateContactRoutingData's QueueTimeAdjustmentSeconds makes a contact
        # older; its QueuePriority (lower first) comes before age.
        rank = (config.priority,
                contact.queue_priority if contact.queue_priority is not None
                else DEFAULT_QUEUE_PRIORITY,
                contact.queue.enqueue_timestamp
                - timedelta(seconds=contact.queue_time_adjustment_seconds or 0),
                contact.id)
        if best is None or rank < best:
            best, chosen = rank, contact
            if plain and config.priority == top:
                # Ties of enqueue time rank by id, and the store orders by the millisecond.
                horizon = contact.queue.enqueue_timestamp + timedelta(milliseconds=1)
    return chosen


def _offer(world: _World, state: AgentState, user: User, contact: Contact,
           now: datetime) -> None:
    events.ring(contact, user.id, now)
    entry = AgentContact(contact.id, contact.channel, contact.initiation_method,
                         contact.queue.queue_id if contact.queue else None, CONNECTING, now)
    if auto_accepts(user, contact.channel):
        events.accept(contact, user.id, now)
        entry.state, entry.connected = CONNECTED, now
    world.tx.put_contact(contact)
    state.contacts.append(entry)
    _touch(world, state)
