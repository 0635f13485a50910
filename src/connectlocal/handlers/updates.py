"""A contact's life after it starts: TransferContact, UpdateContact, UpdateContactSchedule,
UpdateContactAttributes, GetContactAttributes, PauseContact, ResumeContact,
UpdateContactRoutingData, TagContact, UntagContact and MonitorContact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import events, rules
from ..clock import later
from ..engine import flows
from ..errors import (
    ConflictException,
    InvalidRequestException,
    ResourceConflictException,
    ServiceQuotaExceededException,
)
from ..models import (
    EMAIL,
    MONITOR,
    TASK,
    TRANSFER,
    AgentInfo,
    Contact,
    ContactFlow,
    Endpoint,
    Instance,
    NextContact,
    Queue,
    User,
)
from ..service import RequestContext
from ..store.base import Tx
from .common import require_instance
from .contacts import (
    MAX_SCHEDULE_AHEAD,
    change,
    contact_in,
    create_once,
    new_contact,
    references_of,
    share_attributes,
)
from .directory import require

MAX_CONTACT_TAGS = 6  # ContactTagMap's max: the tags one contact can carry
MAX_TRANSFERS = 11  # TransferContact: "A contact cannot be transferred more than 11 times."
# TransferContact: "The following flow types are supported: Inbound flow, Transfer to agent
# flow, and Transfer to queue flow."
TRANSFER_FLOW_TYPES = ("CONTACT_FLOW", "AGENT_TRANSFER", "QUEUE_TRANSFER")
PAUSABLE = (TASK, EMAIL)  # PauseContact: "Pauses an ongoing task or email contact."


def _transfers_before(tx: Tx, instance_id: str, contact: Contact) -> int:
    """How many times the chain ending at ``contact`` has been transferred."""
    count, current = 0, contact
    while current.initiation_method == TRANSFER and current.previous_contact_id:
        count += 1
        previous = tx.get_contact(instance_id, current.previous_contact_id)
        if previous is None or count > MAX_TRANSFERS:
            break
        current = previous
    return count


def transfer_contact(
    ctx: RequestContext,
    *,
    InstanceId: str,
    ContactId: str,
    ContactFlowId: str,
    QueueId: str | None = None,
    UserId: str | None = None,
    ClientToken: str | None = None,
) -> dict[str, Any]:
    if (QueueId is None) == (UserId is None):
        raise InvalidRequestException(
            "Exactly one of QueueId or UserId is required" if QueueId is None
            else "Do not use both QueueId and UserId in the same call")

    def build(tx: Tx, instance: Instance, contact_id: str) -> Contact:
        current = contact_in(ctx, tx, instance, ContactId)
        if current.channel not in (TASK, EMAIL):
            raise InvalidRequestException(
                f"Transfer is only supported for TASK and EMAIL contacts; contact "
                f"{current.id} is {current.channel}")
        if not current.active:
            raise InvalidRequestException(
                f"Contact {current.id} has ended; only active contacts can be transferred")
        flow = require(tx, instance.id, ContactFlow, ContactFlowId)
        if flow.type not in TRANSFER_FLOW_TYPES:
            raise InvalidRequestException(
                f"ContactFlowId {flow.id} has type {flow.type}; a transfer runs a flow of type "
                f"{', '.join(TRANSFER_FLOW_TYPES)}")
        if _transfers_before(tx, instance.id, current) >= MAX_TRANSFERS:
            raise ServiceQuotaExceededException(
                f"Contact {current.id} has been transferred {MAX_TRANSFERS} times, the most "
                "a contact can be")
        if QueueId is not None:
            queue_id, target = require(tx, instance.id, Queue, QueueId).id, "QUEUE"
        else:
            queue_id, target = require(tx, instance.id, User, UserId or "").id, "USER"
        transferred = new_contact(
            ctx, instance, contact_id, current.channel, TRANSFER,
            name=current.name, description=current.description,
            related_contact_id=current.related_contact_id,
            customer_endpoint=current.customer_endpoint,
            system_endpoint=current.system_endpoint,
            references=current.references,
            segment_attributes=current.segment_attributes,
            queue=rules.enqueue(queue_id, ctx.now),  # a user is reached through its agent queue
            contact_flow_id=flow.id,
            **rules.following(current),
        )
        # The segment ends by the API call; "API" is the documented reason for that (no
        # transfer-specific value is documented).
        rules.end(current, ctx.now, "API")
        current.next_contacts.append(NextContact(contact_id, ctx.now, target))
        current.last_update_timestamp = ctx.now
        tx.put_contact(current)
        # The transfer flow runs with the queue (or agent) the call names as its working
        # queue: its TransferContactToQueue (TransferContactToAgent) puts the contact there.
        flows.begin(tx, transferred, flow, data={"queue": queue_id} if target == "QUEUE"
                    else {"agent": queue_id})
        return transferred

    request = {"contact": ContactId, "flow": ContactFlowId, "queue": QueueId, "user": UserId}
    starter = flows.Starter(ctx)
    contact = create_once(ctx, InstanceId, ClientToken, request, build, strict_token=True,
                          after=starter)
    starter.finish()
    return {"ContactId": contact.id, "ContactArn": contact.arn}


def update_contact(
    ctx: RequestContext,
    *,
    InstanceId: str,
    ContactId: str,
    Name: str | None = None,
    Description: str | None = None,
    References: dict[str, dict[str, Any]] | None = None,
    SegmentAttributes: dict[str, Any] | None = None,
    QueueInfo: dict[str, Any] | None = None,
    UserInfo: dict[str, Any] | None = None,
    CustomerEndpoint: dict[str, Any] | None = None,
    SystemEndpoint: dict[str, Any] | None = None,
    AdditionalRecipients: dict[str, Any] | None = None,
) -> dict[str, Any]:
    given = (Name, Description, References, SegmentAttributes, QueueInfo, UserInfo,
             CustomerEndpoint, SystemEndpoint, AdditionalRecipients)
    if all(value is None for value in given):
        raise ctx.invalid("At least one field to be updated must be present in the request")

    def update(tx: Tx, contact: Contact) -> None:
        # "You can add or update user-defined contact information for both ongoing and
        # completed contacts."
        if Name is not None:
            contact.name = Name
        if Description is not None:
            contact.description = Description
        if References is not None:
            contact.references = {**contact.references, **references_of(References)}
        if SegmentAttributes is not None:
            contact.segment_attributes = {**contact.segment_attributes, **SegmentAttributes}
        if QueueInfo is not None and QueueInfo.get("Id"):
            queue = require(tx, contact.instance_id, Queue, QueueInfo["Id"])
            since = contact.queue.enqueue_timestamp if contact.queue else ctx.now
            contact.queue = rules.enqueue(queue.id, since)
        if UserInfo is not None and UserInfo.get("UserId"):
            user = require(tx, contact.instance_id, User, UserInfo["UserId"])
            contact.agent = AgentInfo(user.id)
        for endpoint, key in ((CustomerEndpoint, "customer_endpoint"),
                              (SystemEndpoint, "system_endpoint")):
            if endpoint is not None:
                setattr(contact, key, Endpoint(endpoint.get("Type") or "TELEPHONE_NUMBER",
                                               endpoint.get("Address") or ""))
        if AdditionalRecipients is not None:
            # "The additional recipients of an outbound email ... the CC email address
            # recipients of a contact. An empty list clears the existing CC recipients."
            # DescribeContact shows them as AdditionalEmailRecipients.CcList.
            if contact.channel != EMAIL:
                raise ctx.invalid(f"AdditionalRecipients can be updated only for EMAIL "
                                  f"contacts; contact {contact.id} is {contact.channel}")
            cc = AdditionalRecipients.get("CcEmailAddresses")
            if cc is not None:
                contact.additional_email_recipients = {"CcEmailAddresses": cc} if cc else None

    change(ctx, InstanceId, ContactId, update)
    return {}


def update_contact_schedule(
    ctx: RequestContext, *, InstanceId: str, ContactId: str, ScheduledTime: datetime,
) -> dict[str, Any]:
    if not ctx.now <= ScheduledTime <= later(ctx.now, MAX_SCHEDULE_AHEAD):
        raise ctx.invalid(
            f"ScheduledTime {ScheduledTime.isoformat()} must be between now "
            f"({ctx.now.isoformat()}) and 6 days from now")

    def reschedule(_: Tx, contact: Contact) -> None:
        # "Updates the scheduled time of a task contact that is already scheduled."
        if (contact.channel != TASK or contact.scheduled_timestamp is None
                or not contact.active or contact.scheduled_timestamp <= ctx.now):
            raise InvalidRequestException(
                f"Contact {contact.id} is not a task waiting for its scheduled time")
        contact.scheduled_timestamp = ScheduledTime
        contact.queue = rules.enqueue(contact.queue.queue_id if contact.queue else None,
                                      ScheduledTime)

    change(ctx, InstanceId, ContactId, reschedule)
    return {}


def _chain_of(ctx: RequestContext, tx: Tx, instance: Instance, contact_id: str) -> Contact:
    """The contact named as InitialContactId; a later contact of a chain stands for it."""
    return contact_in(ctx, tx, instance, contact_id, "InitialContactId")


def update_contact_attributes(
    ctx: RequestContext, *, InitialContactId: str, InstanceId: str, Attributes: dict[str, str],
) -> dict[str, Any]:
    # "You can create or update user-defined attributes for both ongoing and completed
    # contacts."
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        set_attributes(ctx, tx, _chain_of(ctx, tx, instance, InitialContactId), Attributes)
    return {}


def set_attributes(ctx: RequestContext, tx: Tx, named: Contact,
                   attributes: dict[str, str]) -> dict[str, str]:
    """Merges ``attributes`` into the chain's and moves every chain member's
    LastUpdateTimestamp (UpdateContactAttributes, and the flow action of the same name)."""
    merged = share_attributes(ctx, tx, named, attributes)
    root = named.chain_root
    for member in tx.associated_contacts(named.instance_id, named.contact_association_id
                                         or named.id):
        if member.chain_root == root and rules.describable(member, ctx.now):
            member.last_update_timestamp = ctx.now
            tx.put_contact(member)
    named.last_update_timestamp = ctx.now
    return merged


def get_contact_attributes(
    ctx: RequestContext, *, InstanceId: str, InitialContactId: str,
) -> dict[str, Any]:
    with ctx.store.read(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        named = _chain_of(ctx, tx, instance, InitialContactId)
        return {"Attributes": tx.get_attributes(instance.id, named.chain_root)}


def _flow_if_given(tx: Tx, contact: Contact, flow_id: str | None) -> None:
    if flow_id:
        require(tx, contact.instance_id, ContactFlow, flow_id)


def _pausable(contact: Contact, action: str) -> None:
    if contact.channel not in PAUSABLE:
        raise InvalidRequestException(
            f"Only TASK and EMAIL contacts can be {action}; contact {contact.id} is "
            f"{contact.channel}")
    if not contact.active:
        raise InvalidRequestException(f"Contact {contact.id} has ended and cannot be {action}")


def pause_contact(ctx: RequestContext, *, ContactId: str, InstanceId: str,
                  ContactFlowId: str | None = None) -> dict[str, Any]:
    def pause(tx: Tx, contact: Contact) -> None:
        _pausable(contact, "paused")
        _flow_if_given(tx, contact, ContactFlowId)
        if contact.paused_at is not None:
            raise ConflictException(f"Contact {contact.id} is already paused")
        contact.paused_at = contact.last_paused_timestamp = ctx.now
        contact.total_pause_count += 1

    change(ctx, InstanceId, ContactId, pause)
    return {}


def resume_contact(ctx: RequestContext, *, ContactId: str, InstanceId: str,
                   ContactFlowId: str | None = None) -> dict[str, Any]:
    def resume(tx: Tx, contact: Contact) -> None:
        _pausable(contact, "resumed")
        _flow_if_given(tx, contact, ContactFlowId)
        if contact.paused_at is None:
            raise ConflictException(f"Contact {contact.id} is not paused")
        rules.resume(contact, ctx.now)
        contact.last_resumed_timestamp = ctx.now

    change(ctx, InstanceId, ContactId, resume)
    return {}


def update_contact_routing_data(
    ctx: RequestContext,
    *,
    InstanceId: str,
    ContactId: str,
    QueueTimeAdjustmentSeconds: int | None = None,
    QueuePriority: int | None = None,
    RoutingCriteria: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if QueuePriority is not None and QueueTimeAdjustmentSeconds is not None:
        raise ctx.invalid("Either QueuePriority or QueueTimeAdjustmentSeconds should be "
                          "provided, but not both")
    if QueuePriority is None and QueueTimeAdjustmentSeconds is None and RoutingCriteria is None:
        raise ctx.invalid("One of QueuePriority, QueueTimeAdjustmentSeconds or RoutingCriteria "
                          "is required")

    def route(_: Tx, contact: Contact) -> None:
        waiting = (contact.active and contact.queue is not None
                   and not rules.waiting_for_schedule(contact, ctx.now)
                   and (contact.agent is None or contact.agent.connected_to_agent_timestamp
                        is None))
        if not waiting:
            raise ResourceConflictException(
                f"Contact {contact.id} is not waiting in a queue; its routing data cannot "
                "change")
        if QueuePriority is not None:
            contact.queue_priority = QueuePriority
        if QueueTimeAdjustmentSeconds is not None:
            contact.queue_time_adjustment_seconds = QueueTimeAdjustmentSeconds

    change(ctx, InstanceId, ContactId, route)
    return {}


def tag_contact(ctx: RequestContext, *, ContactId: str, InstanceId: str,
                Tags: dict[str, str]) -> dict[str, Any]:
    change(ctx, InstanceId, ContactId, lambda _, contact: add_tags(ctx, contact, Tags))
    return {}


def add_tags(ctx: RequestContext, contact: Contact, tags: dict[str, str]) -> None:
    """TagContact, and the flow action of the same name."""
    merged = {**contact.tags, **tags}
    if len(merged) > MAX_CONTACT_TAGS:
        raise ctx.invalid(f"A contact can have at most {MAX_CONTACT_TAGS} tags; "
                          f"contact {contact.id} would have {len(merged)}")
    contact.tags = merged


def remove_tags(contact: Contact, keys: list[str]) -> None:
    """UntagContact, and the flow action UnTagContact."""
    contact.tags = {k: v for k, v in contact.tags.items() if k not in keys}


def untag_contact(ctx: RequestContext, *, ContactId: str, InstanceId: str,
                  TagKeys: list[str]) -> dict[str, Any]:
    change(ctx, InstanceId, ContactId, lambda _, contact: remove_tags(contact, TagKeys))
    return {}


def monitor_contact(
    ctx: RequestContext,
    *,
    InstanceId: str,
    ContactId: str,
    UserId: str,
    AllowedMonitorCapabilities: list[str] | None = None,
    ClientToken: str | None = None,
) -> dict[str, Any]:
    """A supervisor listens in: a MONITOR contact following the monitored one (events.py)."""

    def build(tx: Tx, instance: Instance, contact_id: str) -> Contact:
        watched = contact_in(ctx, tx, instance, ContactId)
        if not watched.active:
            raise InvalidRequestException(
                f"Contact {watched.id} has ended; only active contacts can be monitored")
        if watched.channel not in ("VOICE", "CHAT"):
            raise InvalidRequestException(
                f"Only VOICE and CHAT contacts can be monitored; contact {watched.id} is "
                f"{watched.channel}")
        supervisor = require(tx, instance.id, User, UserId)
        monitor = events.follow(watched, instance, contact_id, MONITOR, ctx.now,
                                agent_id=supervisor.id)
        tx.put_contact(watched)
        return monitor

    request = {"contact": ContactId, "user": UserId, "allowed": AllowedMonitorCapabilities}
    contact = create_once(ctx, InstanceId, ClientToken, request, build, strict_token=True)
    return {"ContactId": contact.id, "ContactArn": contact.arn}
