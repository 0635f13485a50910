"""What happens to a contact in a contact center that no API call makes happen: a customer
calls or chats in, waits in a queue, an agent's phone rings and the agent accepts, holds,
wraps up (after-contact work), someone hangs up; agents transfer, customers ask for a
callback, supervisors monitor. Used by the admin endpoints (one event at a time, at the
service clock) and by the simulator (whole lives on simulated time).

Each step is a function of the contact and an instant, setting the timestamps and ids
Amazon Connect's documentation gives for it (DescribeContact: "For INBOUND, this is when the
contact arrived. For OUTBOUND, this is when the agent began dialing. For CALLBACK, this is
when the callback contact was created. For TRANSFER and QUEUE_TRANSFER, this is when the
transfer was initiated. For API, this is when the request arrived. For EXTERNAL_OUTBOUND,
this is when the agent started dialing the external participant. For MONITOR, this is when
the supervisor started listening to a contact."). Steps refuse what cannot happen (an agent
accepting an ended contact) with ``EventError``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from . import rules
from .clock import later
from .models import (
    API,
    CALLBACK,
    DISCONNECT,
    EXTERNAL_OUTBOUND,
    INBOUND,
    MONITOR,
    OUTBOUND,
    QUEUE_TRANSFER,
    TASK,
    TELEPHONE_NUMBER,
    TRANSFER,
    VOICE,
    AgentInfo,
    Contact,
    ContactFlow,
    Endpoint,
    Instance,
    NextContact,
    Queue,
    RoutingProfile,
    User,
)
from .protocol.timestamps import parse_iso
from .service import Service
from .store.base import Scope, Tx

# DisconnectReason values of the contact records data model.
CUSTOMER_DISCONNECT, AGENT_DISCONNECT = "CUSTOMER_DISCONNECT", "AGENT_DISCONNECT"
CONTACT_FLOW_DISCONNECT = "CONTACT_FLOW_DISCONNECT"


class EventError(ValueError):
    """The event cannot happen to the contact as it stands."""


def _active(contact: Contact, what: str) -> None:
    if not contact.active:
        raise EventError(f"Contact {contact.id} has ended: it cannot {what}")


# How a customer's contact of each channel begins: a call or an email comes in (INBOUND); a
# chat from a chat widget and a task are started through the API (StartChatContact,
# StartTaskContact), so Amazon Connect records them as API.
ARRIVAL_METHOD = {VOICE: INBOUND, "EMAIL": INBOUND, "CHAT": API, TASK: API}


def arrive(instance: Instance, contact_id: str, channel: str, at: datetime,
           customer: str | None = None, system: str | None = None,
           queue_id: str | None = None, queued_after: float = 0.0,
           web: bool = False) -> Contact:
    """A customer's contact arrives (InitiationTimestamp, ConnectedToSystemTimestamp) and its
    flow puts it in a queue ``queued_after`` seconds later. Calls and emails have endpoints;
    chats and tasks have none. ``web``: a call from a web or mobile app (StartWebRTCContact),
    WEBRTC_API."""
    if channel not in ARRIVAL_METHOD:
        raise EventError(f"channel must be one of {', '.join(ARRIVAL_METHOD)}, not {channel}")
    if web and channel != VOICE:
        raise EventError("Only VOICE contacts arrive through WebRTC")
    kind = {VOICE: TELEPHONE_NUMBER, "EMAIL": "EMAIL_ADDRESS"}.get(channel)
    if web:
        kind, customer = None, None
    method = "WEBRTC_API" if web else ARRIVAL_METHOD[channel]
    return rules.begin(instance, contact_id, channel, method, at,
                       connected_to_system_timestamp=at,
                       customer_endpoint=Endpoint(kind, customer) if kind and customer else None,
                       system_endpoint=Endpoint(kind, system) if kind and system else None,
                       queue=rules.enqueue(queue_id, later(at, timedelta(seconds=queued_after))))


def dial_out(instance: Instance, contact_id: str, agent_id: str, at: datetime,
             customer: str, caller_id: str | None = None,
             queue_id: str | None = None, answered_after: float = 0.0) -> Contact:
    """An agent calls a customer from the Contact Control Panel: OUTBOUND, initiated "when the
    agent began dialing", connected when the customer answers, in the agent's outbound queue."""
    contact = rules.begin(
        instance, contact_id, VOICE, OUTBOUND, at,
        customer_endpoint=Endpoint(TELEPHONE_NUMBER, customer),
        system_endpoint=Endpoint(TELEPHONE_NUMBER, caller_id) if caller_id else None,
        queue=rules.enqueue(queue_id, at))
    answered = later(at, timedelta(seconds=answered_after))
    contact.agent = AgentInfo(agent_id, connected_to_agent_timestamp=answered,
                              accepted_by_agent_timestamp=at)
    contact.connected_to_system_timestamp = at
    contact.last_update_timestamp = answered
    return contact


def ring(contact: Contact, agent_id: str, at: datetime) -> None:
    """The contact is offered to an agent (RingStartTimestamp)."""
    _active(contact, "ring an agent")
    if contact.queue is None:
        raise EventError(f"Contact {contact.id} is in no queue: no agent can be offered it")
    if at < contact.queue.enqueue_timestamp:
        raise EventError("An agent is offered a contact after it is queued")
    contact.ring_start_timestamp = at
    contact.agent = AgentInfo(agent_id)
    contact.agent_connection_attempts += 1
    contact.last_update_timestamp = max(contact.last_update_timestamp, at)


def accept(contact: Contact, agent_id: str, at: datetime) -> None:
    """The agent accepts: AcceptedByAgentTimestamp and ConnectedToAgentTimestamp."""
    _active(contact, "be accepted")
    if contact.ring_start_timestamp is None or contact.agent is None:
        ring(contact, agent_id, at)
    assert contact.agent is not None and contact.ring_start_timestamp is not None
    if contact.agent.agent_id != agent_id:
        raise EventError(f"Contact {contact.id} rings agent {contact.agent.agent_id}, "
                         f"not {agent_id}")
    if at < contact.ring_start_timestamp:
        raise EventError("An agent accepts a contact after it rings")
    contact.agent.accepted_by_agent_timestamp = at
    contact.agent.connected_to_agent_timestamp = at
    contact.last_update_timestamp = max(contact.last_update_timestamp, at)


def hold(contact: Contact, seconds: int) -> None:
    """The agent puts the customer on hold for ``seconds`` (AgentInitiatedHoldDuration)."""
    _active(contact, "be held")
    if contact.agent is None or contact.agent.connected_to_agent_timestamp is None:
        raise EventError(f"Contact {contact.id} is with no agent: nobody can hold it")
    held = contact.agent
    held.hold_seconds = (held.hold_seconds or 0) + int(seconds)
    held.hold_count += 1
    held.longest_hold_seconds = max(held.longest_hold_seconds or 0, int(seconds))


def disconnect(contact: Contact, at: datetime, reason: str) -> None:
    _active(contact, "disconnect again")
    if at < contact.initiation_timestamp:
        raise EventError("A contact disconnects after it starts")
    rules.end(contact, at, reason)


def after_contact_work(contact: Contact, start: datetime, end: datetime) -> None:
    """The agent's wrap-up after the customer has gone (AfterContactWork* of AgentInfo)."""
    if contact.agent is None or contact.agent.connected_to_agent_timestamp is None:
        raise EventError(f"Contact {contact.id} had no agent: there is no after-contact work")
    if contact.disconnect_timestamp is None or start < contact.disconnect_timestamp:
        raise EventError("After-contact work starts when the contact has disconnected")
    contact.agent.after_contact_work_start = start
    contact.agent.after_contact_work_end = end
    contact.agent.after_contact_work_seconds = int((end - start).total_seconds())
    contact.last_update_timestamp = max(contact.last_update_timestamp, end)


def follow(contact: Contact, instance: Instance, new_id: str, method: str, at: datetime,
           queue_id: str | None = None, agent_id: str | None = None) -> Contact:
    """A contact that continues this one: an agent's transfer (TRANSFER: to a queue or an
    agent), a queue transfer by a flow (QUEUE_TRANSFER), a callback the customer asked for
    (CALLBACK), a supervisor listening in (MONITOR), an agent dialling a third party
    (EXTERNAL_OUTBOUND), or the task a disconnect flow makes (DISCONNECT)."""
    if method not in (TRANSFER, QUEUE_TRANSFER, CALLBACK, MONITOR, EXTERNAL_OUTBOUND,
                      DISCONNECT):
        raise EventError(f"{method} is not a way one contact follows another")
    if method == DISCONNECT:
        if contact.active:
            raise EventError("A disconnect flow runs when the contact has disconnected")
    else:
        _active(contact, f"be followed by a {method} contact")
    channel = TASK if method == DISCONNECT else contact.channel
    new = rules.begin(
        instance, new_id, channel, method, at,
        customer_endpoint=contact.customer_endpoint,
        # "SystemEndpoint is not populated for contacts with initiation method of MONITOR,
        # QUEUE_TRANSFER, or CALLBACK" (DescribeContact).
        system_endpoint=(None if method in (MONITOR, QUEUE_TRANSFER, CALLBACK)
                         else contact.system_endpoint),
        queue=rules.enqueue(queue_id, at), **rules.following(contact))
    if agent_id is not None:
        new.agent = AgentInfo(agent_id, connected_to_agent_timestamp=at,
                              accepted_by_agent_timestamp=at)
    if method in (TRANSFER, QUEUE_TRANSFER, CALLBACK):
        if contact.active:
            rules.end(contact, at, AGENT_DISCONNECT if method == TRANSFER
                      else CONTACT_FLOW_DISCONNECT)
        contact.next_contacts.append(NextContact(new_id, at, "USER" if agent_id else "QUEUE"))
    contact.last_update_timestamp = max(contact.last_update_timestamp, at)
    return new


# ----------------------------------------------------------------------------- one at a time

STEPS = ("arrive", "dial_out", "ring", "accept", "hold", "disconnect", "after_contact_work",
         "follow")
MAX_SECONDS = 366 * 86400


def apply(service: Service, scope: Scope, body: dict[str, Any]) -> dict[str, Any]:
    """One event on a stored contact, at ``body["at"]`` or the service clock; answers the
    contact ids it made or changed (the admin endpoint ``POST /_connectlocal/events``). A
    call that arrives at a claimed number (``to``) runs the number's flow, after the commit,
    and answers where the flow is."""
    from .engine import flows

    answer = _apply(service, scope, body)
    started = answer.pop("_flow", None)
    if started is not None:
        instance_id, at = started
        run = flows.advance(flows.context(service, scope, at), instance_id,
                            answer["ContactId"])
        answer["Flow"] = flows.summary(run)
    return answer


def number_flow(tx: Tx, instance_id: str, number: str) -> ContactFlow | None:
    """The flow associated with a claimed phone number of the instance, if any."""
    from .handlers.numbers import flow_for_number

    flow_id = flow_for_number(tx, instance_id, number)
    found: ContactFlow | None = (tx.get_resource(instance_id, ContactFlow, flow_id)
                                 if flow_id else None)
    return found


def _apply(service: Service, scope: Scope, body: dict[str, Any]) -> dict[str, Any]:
    def text(key: str, default: str | None = None) -> str | None:
        value = body.get(key, default)
        if value is not None and not isinstance(value, str):
            raise EventError(f"{key} must be a string")
        return value

    def number(key: str, default: float) -> float:
        """A duration in seconds: from none to a year (a negative or huge one has no
        contact to describe)."""
        value = body.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not 0 <= value <= MAX_SECONDS:
            raise EventError(f"{key} must be a number of seconds from 0 to {MAX_SECONDS}")
        return float(value)

    def existing(tx: Tx, instance_id: str, kind: type[Any], key: str) -> str | None:
        value = text(key)
        if value is not None and tx.get_resource(instance_id, kind, value) is None:
            raise EventError(f"{kind.__name__} not found: {value} (instance {instance_id})")
        return value

    step = body.get("event")
    from .engine import routing  # routing offers contacts through these very steps

    if step not in STEPS:
        raise EventError(f"event must be one of {', '.join(STEPS)}, not {step!r}")
    at = parse_iso(text("at") or "") if body.get("at") else service.now()
    with service.store.write(scope) as tx:
        instance = tx.get_instance(text("instance_id", "") or "")
        if instance is None:
            raise EventError(f"Instance not found: {body.get('instance_id')}")
        if step == "arrive":
            channel = text("channel", VOICE) or VOICE
            system = text("to") or text("system")
            flow = number_flow(tx, instance.id, system) if channel == VOICE and system \
                else None
            queue_id = None if flow else (existing(tx, instance.id, Queue, "queue_id")
                                          or _basic_queue(tx, instance.id))
            arrived = arrive(instance, service.ids.uuid(), channel, at,
                             text("customer", "+15555550100"), system,
                             queue_id, number("queued_after", 0), web=body.get("web") is True)
            tx.put_contact(arrived)
            if flow is None:
                routing.route(tx, instance.id, at, [arrived])
                return {"ContactId": arrived.id}
            from .engine import flows

            arrived.contact_flow_id = flow.id
            tx.put_contact(arrived)
            flows.begin(tx, arrived, flow)
            return {"ContactId": arrived.id, "_flow": (instance.id, at)}
        if step == "dial_out":
            agent = text("agent_id", "") or ""
            user = tx.get_resource(instance.id, User, agent)
            if user is None:
                raise EventError(f"User not found: {agent}")
            profile = tx.get_resource(instance.id, RoutingProfile, user.routing_profile_id)
            dialled = dial_out(instance, service.ids.uuid(), agent, at,
                               text("customer", "+15555550100") or "", text("caller_id"),
                               existing(tx, instance.id, Queue, "queue_id") or (
                                   profile.default_outbound_queue_id if profile else None),
                               number("answered_after", 0))
            tx.put_contact(dialled)
            routing.route(tx, instance.id, at, [dialled])
            return {"ContactId": dialled.id}
        found = tx.get_contact(instance.id, text("contact_id", "") or "")
        if found is None:
            raise EventError(f"Contact not found: {body.get('contact_id')}")
        contact = rules.settle(found, at)
        made: Contact | None = None
        if step in ("ring", "accept"):
            agent = text("agent_id", "") or ""
            if tx.get_resource(instance.id, User, agent) is None:
                raise EventError(f"User not found: {agent}")
            (ring if step == "ring" else accept)(contact, agent, at)
        elif step == "hold":
            hold(contact, int(number("seconds", 30)))
        elif step == "disconnect":
            disconnect(contact, at, text("reason", CUSTOMER_DISCONNECT) or CUSTOMER_DISCONNECT)
        elif step == "after_contact_work":
            end = parse_iso(text("end") or "") if body.get("end") else at
            after_contact_work(contact, at, end)
        else:
            made = follow(contact, instance, service.ids.uuid(), text("method") or "", at,
                          existing(tx, instance.id, Queue, "queue_id"),
                          existing(tx, instance.id, User, "agent_id"))
            tx.put_contact(made)
        contact.last_update_timestamp = max(contact.last_update_timestamp, at)
        tx.put_contact(contact)
        routing.route(tx, instance.id, at, [contact, *([made] if made else [])])
    return {"ContactId": contact.id, **({"NewContactId": made.id} if made else {})}


def _basic_queue(tx: Tx, instance_id: str) -> str | None:
    queues = [q for q in tx.list_resources(instance_id, Queue, None, 1000)
              if q.queue_type == "STANDARD"]
    named = [q for q in queues if q.name == "BasicQueue"]
    return (named or queues)[0].id if queues else None
