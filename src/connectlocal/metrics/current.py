"""Real-time metrics (GetCurrentMetricData), each defined as the Administrator Guide's
"Real-time metrics definitions" page gives it
(https://docs.aws.amazon.com/connect/latest/adminguide/real-time-metrics-definitions.html).

A metric counts either agents (each at most once per group), an agent's slots, or contacts;
``Sample`` is what one agent or contact contributes to a group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..engine import routing
from ..models import AgentState, Contact


@dataclass(frozen=True)
class AgentSample:
    """An agent as seen in one (queue, channel): its activity and slots on that channel."""

    state: AgentState
    status_type: str
    activity: str  # routing.activity
    channel: str
    active_slots: int
    available_slots: int
    acw_contacts: int


@dataclass(frozen=True)
class Definition:
    name: str
    unit: str
    of: str  # "agents" (distinct agents), "slots" (summed per agent and channel), "contacts"
    agent: Callable[[AgentSample], float] | None = None
    contact: Callable[[Contact, datetime], bool] | None = None


def _online(a: AgentSample) -> bool:
    # "Online: Count of agents who have set their status in the CCP to something other than
    # Offline."
    return a.status_type != routing.OFFLINE or bool(a.state.contacts)


def _waiting(c: Contact, now: datetime) -> bool:
    # "In queue: Count of contacts that are currently in the queue" (not yet connected to an
    # agent; a scheduled task is in the queue from its scheduled time).
    return c.queue is not None and c.queue.enqueue_timestamp <= now


DEFINITIONS = {d.name: d for d in (
    Definition("AGENTS_ONLINE", "COUNT", "agents", agent=lambda a: _online(a)),
    # "Available: Count of agents who can take an inbound contact": Available status, nothing
    # on them, not in an error (missed) state.
    Definition("AGENTS_AVAILABLE", "COUNT", "agents",
               agent=lambda a: a.activity == "AVAILABLE"),
    # "On contact: Count of agents who are currently on a contact" (ringing is "Incoming").
    Definition("AGENTS_ON_CALL", "COUNT", "agents", agent=lambda a: a.activity == "ON_CONTACT"),
    Definition("AGENTS_ON_CONTACT", "COUNT", "agents",
               agent=lambda a: a.activity == "ON_CONTACT"),
    # "NPT: Count of agents in a custom status" (not Available, not Offline).
    Definition("AGENTS_NON_PRODUCTIVE", "COUNT", "agents", agent=lambda a: a.activity == "NPT"),
    # "ACW: Count of contacts who are in an AfterContactWork state ... not the number of
    # agents."
    Definition("AGENTS_AFTER_CONTACT_WORK", "COUNT", "slots", agent=lambda a: a.acw_contacts),
    # "Error: Count of agents in Error state" (a missed contact puts an agent there).
    Definition("AGENTS_ERROR", "COUNT", "agents", agent=lambda a: a.activity == "ERROR"),
    # "Staffed: Count of agents who are Available, On contact, or in After contact work" (an
    # online agent who is not in NPT).
    Definition("AGENTS_STAFFED", "COUNT", "agents",
               agent=lambda a: _online(a) and a.activity != "NPT"),
    # "Active: Count of active slots ... Connected, On Hold, After contact work".
    Definition("SLOTS_ACTIVE", "COUNT", "slots", agent=lambda a: a.active_slots),
    # "Availability: Count of slots available for contacts to be routed to agents".
    Definition("SLOTS_AVAILABLE", "COUNT", "slots", agent=lambda a: a.available_slots),
    Definition("CONTACTS_IN_QUEUE", "COUNT", "contacts", contact=_waiting),
    # "Oldest: the time in queue of the contact that has been in the queue the longest"
    # (computed over the contacts, not counted: see GetCurrentMetricData's handler).
    Definition("OLDEST_CONTACT_AGE", "SECONDS", "contacts", contact=_waiting),
    # "Scheduled: Count of contacts that are in the queue and scheduled for a callback or a
    # future time" (tasks with a ScheduledTime still ahead).
    Definition("CONTACTS_SCHEDULED", "COUNT", "contacts",
               contact=lambda c, now: c.queue is not None and c.queue.enqueue_timestamp > now),
)}
# What connectlocal cannot answer, by name: a wait-time estimate is a forecast of Amazon
# Connect's own model, not a fact of the contacts held here.
REFUSED = {"ESTIMATED_WAIT_TIME": "an estimate of Amazon Connect's own forecasting"}
