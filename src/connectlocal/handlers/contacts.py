"""Contacts: CreateContact, StartOutboundVoiceContact, StartChatContact, StartTaskContact,
StopContact and DescribeContact, and the helpers every contact operation shares."""

from __future__ import annotations

import base64
import re
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from .. import rules, views
from ..clock import earlier, later
from ..engine import flows, routing
from ..errors import (
    ContactNotFoundException,
    IdempotencyException,
    InvalidRequestException,
    LimitExceededException,
    OutboundContactNotPermittedException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
)
from ..models import (
    API,
    CHAT,
    EMAIL,
    TASK,
    TELEPHONE_NUMBER,
    VOICE,
    AgentInfo,
    Contact,
    ContactFlow,
    Endpoint,
    Instance,
    Queue,
    Reference,
    User,
)
from ..service import RequestContext
from ..store.base import Claim, Tx
from .common import check_id, fingerprint, instance_id_of, is_uuid, require_instance
from .directory import require

MAX_LINKED_TASKS = 12  # StartTaskContact: "12 task contacts ... share the same PreviousContactId"
MAX_SCHEDULE_AHEAD = timedelta(days=6)  # StartTaskContact: "within up to 6 days in future"
DEFAULT_CHAT_MINUTES = 25 * 60  # StartChatContact: "The default value is 1500 (25 hours)"
CREATE_CONTACT_METHODS = {VOICE: {"TRANSFER"}, EMAIL: {"OUTBOUND", "AGENT_REPLY", "FLOW"},
                          TASK: {API}}
# StopContact "does not work for voice contacts that use the following initiation methods".
UNSTOPPABLE_VOICE = {"DISCONNECT", "TRANSFER", "QUEUE_TRANSFER", "EXTERNAL_OUTBOUND", "MONITOR"}


def references_of(given: dict[str, dict[str, Any]] | None) -> dict[str, Reference]:
    return {k: Reference(type=v["Type"], value=v.get("Value"), status=v.get("Status"),
                         arn=v.get("Arn"), status_reason=v.get("StatusReason"))
            for k, v in (given or {}).items()}


def contact_in(ctx: RequestContext, tx: Tx, instance: Instance, contact_id: str,
                what: str = "ContactId") -> Contact:
    """A describable contact of the instance; anything else is not found."""
    check_id(ctx, what, contact_id)
    contact = tx.get_contact(instance.id, contact_id)
    if contact is None or not rules.describable(contact, ctx.now):
        raise ResourceNotFoundException(
            f"Contact not found: {contact_id} (instance {instance.id})"
            if what == "ContactId" else f"{what} {contact_id} not found in instance {instance.id}"
        )
    return rules.settle(contact, ctx.now)


def start_flow(ctx: RequestContext, tx: Tx, instance: Instance, flow_id: str) -> ContactFlow:
    flow = require(tx, instance.id, ContactFlow, flow_id)
    if flow.type != "CONTACT_FLOW":
        raise ctx.invalid(f"ContactFlowId {flow_id} has type {flow.type}; "
                          "contacts start in a CONTACT_FLOW flow")
    return flow


MAX_ATTRIBUTES_BYTES = 32 * 1024  # Feature specifications: "Contact attributes: 32 KB"
# UpdateContactAttributes, Start*Contact: "Attribute keys can include only alphanumeric,
# dash, and underscore characters."
_ATTRIBUTE_KEY = re.compile(r"[A-Za-z0-9_-]+")
# Service quotas: "Concurrent active chats per instance", 100 by default; StartChatContact:
# "The quota for concurrent active chats is exceeded. Active chat throttling returns a
# LimitExceededException."
MAX_ACTIVE_CHATS = 100
MAX_CHAT_MINUTES = 10_080  # ChatDurationInMinutes: "The maximum configurable time is 10,080"
# StartChatContact: "Content types must always contain text/plain."
CHAT_CONTENT_TYPES = ("text/plain", "text/markdown", "application/json",
                      "application/vnd.amazonaws.connect.message.interactive",
                      "application/vnd.amazonaws.connect.message.interactive.response")
# StartTaskContact: "Tasks can have the following reference types at the time of creation:
# URL | NUMBER | STRING | DATE | EMAIL. ATTACHMENT is not a supported reference type during
# task creation."
TASK_REFERENCE_TYPES = ("URL", "NUMBER", "STRING", "DATE", "EMAIL")
# Feature specifications: "Task duration: 7 days"; a task still open then expires.
MAX_TASK_LIFE = timedelta(days=7)


def check_attribute_keys(ctx: RequestContext, given: dict[str, str] | None) -> None:
    for key in given or ():
        if _ATTRIBUTE_KEY.fullmatch(key) is None:
            raise ctx.invalid(f"Attribute key {key!r} is not valid: attribute keys can include "
                              "only alphanumeric, dash, and underscore characters")


def share_attributes(ctx: RequestContext, tx: Tx, contact: Contact,
                     given: dict[str, str] | None) -> dict[str, str]:
    """Merges ``given`` into the attributes of the contact's chain; returns the result.

    Amazon Connect keeps user-defined attributes per InitialContactId: every contact of a
    chain (linked tasks, transfers) reads and updates the same map (UpdateContactAttributes,
    StartTaskContact's PreviousContactId).
    """
    check_attribute_keys(ctx, given)
    current = tx.get_attributes(contact.instance_id, contact.chain_root)
    merged = {**current, **(given or {})}
    size = sum(len(k.encode()) + len(v.encode()) for k, v in merged.items())
    if size > MAX_ATTRIBUTES_BYTES:
        raise ctx.invalid(f"The contact attributes of contact {contact.chain_root} would take "
                          f"{size} bytes; at most {MAX_ATTRIBUTES_BYTES} are allowed")
    if merged or contact.initial_contact_id:  # a new chain member keeps them from the sweep
        tx.put_attributes(contact.instance_id, contact.chain_root, merged,
                          contact.initiation_timestamp)
    return merged


def create_once(
    ctx: RequestContext,
    instance_ref: str,
    token: str | None,
    request: dict[str, Any],
    build: Callable[[Tx, Instance, str], Contact],
    strict_token: bool = False,
    attributes: dict[str, str] | None = None,
    after: Callable[[Tx, Contact], None] | None = None,
) -> Contact:
    """Creates a contact once per ClientToken: a retry with the same token gets the same one.

    ``strict_token``: the operation models IdempotencyException, raised when the token comes
    back with a different request. ``attributes`` join the new contact's chain's attributes.
    ``after`` runs in the same transaction once the contact is stored (its flow starts).
    """
    digest = fingerprint(request)
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, instance_ref)
        if token:
            claim = tx.get_claim(instance.id, ctx.operation, token,
                                 rules.token_cutoff(ctx.now))
            if claim is not None:
                if strict_token and claim.fingerprint != digest:
                    raise IdempotencyException(
                        f"ClientToken {token} was already used for a different "
                        f"{ctx.operation} request")
                existing = tx.get_contact(instance.id, claim.resource_id)
                if existing is not None:
                    return existing
        contact_id = ctx.ids.uuid()
        contact = build(tx, instance, contact_id)
        tx.put_contact(contact)
        share_attributes(ctx, tx, contact, attributes)
        if after is not None:
            after(tx, contact)
        if token:
            tx.put_claim(instance.id, ctx.operation, token, Claim(contact_id, digest), ctx.now,
                         rules.token_cutoff(ctx.now))
        if contact.queue is not None:  # it enters its queue: an agent may be offered it
            # What the transaction stored last (a flow run by ``after`` may have moved the
            # contact on since it was built), not the contact as built.
            routing.route(tx, instance.id, ctx.now)
    return contact


def new_contact(ctx: RequestContext, instance: Instance, contact_id: str, channel: str,
                method: str, **fields: Any) -> Contact:
    return rules.begin(instance, contact_id, channel, method, ctx.now, **fields)


def _related(ctx: RequestContext, tx: Tx, instance: Instance, related: str | None) -> None:
    if related is not None:
        contact_in(ctx, tx, instance, related, "RelatedContactId")


def describe_contact(ctx: RequestContext, *, InstanceId: str, ContactId: str) -> dict[str, Any]:
    instance_id = instance_id_of(ctx, InstanceId)
    # The hot path: one statement. A contact's instance exists (deleting an instance deletes
    # its contacts), so the instance is looked up only when something is wrong, to answer
    # the same error, in the same order, as every other contact operation.
    found = (ctx.store.contact_and_attributes(ctx.scope, instance_id, ContactId)
             if is_uuid(ContactId) else None)
    if found is None or not rules.describable(found[0], ctx.now):
        with ctx.store.read(ctx.scope) as tx:
            instance = require_instance(ctx, tx, InstanceId)
            contact_in(ctx, tx, instance, ContactId)
        raise ResourceNotFoundException(
            f"Contact not found: {ContactId} (instance {instance.id})")
    contact, attributes = found
    return {"Contact": views.contact(rules.as_seen(rules.settle(contact, ctx.now), ctx.now),
                                     attributes)}


def start_outbound_voice_contact(
    ctx: RequestContext,
    *,
    DestinationPhoneNumber: str,
    ContactFlowId: str,
    InstanceId: str,
    SourcePhoneNumber: str | None = None,
    QueueId: str | None = None,
    Attributes: dict[str, str] | None = None,
    Name: str | None = None,
    Description: str | None = None,
    References: dict[str, dict[str, Any]] | None = None,
    RelatedContactId: str | None = None,
    ClientToken: str | None = None,
    CampaignId: str | None = None,
    **_unmodelled_here: Any,
) -> dict[str, Any]:
    if QueueId is None and SourcePhoneNumber is None:
        # "If you do not specify a queue, you must specify a source phone number."
        raise ctx.invalid("SourcePhoneNumber is required when QueueId is not given")

    def build(tx: Tx, instance: Instance, contact_id: str) -> Contact:
        if not instance.outbound_calls_enabled:
            raise OutboundContactNotPermittedException(
                f"Outbound calls are not enabled for instance {instance.id}")
        flow = start_flow(ctx, tx, instance, ContactFlowId)
        queue = require(tx, instance.id, Queue, QueueId) if QueueId else None
        _related(ctx, tx, instance, RelatedContactId)
        caller_id = SourcePhoneNumber or (queue.outbound_caller_id_number if queue else None)
        contact = new_contact(
            ctx, instance, contact_id, VOICE, API,
            name=Name, description=Description,
            related_contact_id=RelatedContactId,
            customer_endpoint=Endpoint(TELEPHONE_NUMBER, DestinationPhoneNumber),
            system_endpoint=Endpoint(TELEPHONE_NUMBER, caller_id) if caller_id else None,
            queue=rules.enqueue(queue.id, ctx.now) if queue else None,
            references=references_of(References),
            campaign_id=CampaignId,
            contact_flow_id=flow.id,
        )
        flows.begin(tx, contact, flow)
        return contact

    request = {"to": DestinationPhoneNumber, "flow": ContactFlowId, "from": SourcePhoneNumber,
               "queue": QueueId, "attributes": Attributes, "name": Name}
    starter = flows.Starter(ctx)
    contact = create_once(ctx, InstanceId, ClientToken, request, build, attributes=Attributes,
                          after=starter)
    starter.finish()
    return {"ContactId": contact.id}


WEBRTC_API = "WEBRTC_API"  # InitiationMethod of an in-app, web or video call


def _token(size: int) -> str:
    """An opaque token of ``size`` random bytes, as base64 (participant and join tokens)."""
    return base64.b64encode(secrets.token_bytes(size)).decode()


def start_web_rtc_contact(
    ctx: RequestContext,
    *,
    InstanceId: str,
    ContactFlowId: str,
    ParticipantDetails: dict[str, Any],
    Attributes: dict[str, str] | None = None,
    ClientToken: str | None = None,
    AllowedCapabilities: dict[str, Any] | None = None,
    RelatedContactId: str | None = None,
    References: dict[str, dict[str, Any]] | None = None,
    Description: str | None = None,
    SegmentAttributes: dict[str, Any] | None = None,
    **_unmodelled_here: Any,
) -> dict[str, Any]:
    """An in-app, web or video call: a VOICE contact, InitiationMethod WEBRTC_API, that runs
    its flow, answered with what the client joins the call with (ConnectionData). The media
    session is not made here: its meeting, attendee and URLs are ids and placeholders under
    the instance's region, stable for the contact, that no media service answers."""
    check_attribute_keys(ctx, Attributes)

    def build(tx: Tx, instance: Instance, contact_id: str) -> Contact:
        flow = start_flow(ctx, tx, instance, ContactFlowId)
        _related(ctx, tx, instance, RelatedContactId)
        contact = new_contact(
            ctx, instance, contact_id, VOICE, WEBRTC_API,
            description=Description,
            related_contact_id=RelatedContactId,
            references=references_of(References),
            # "Use the connect:Subtype attribute to specify the channel subtype, such as
            # connect:WebRTC."
            segment_attributes=SegmentAttributes or {
                "connect:Subtype": {"ValueString": "connect:WebRTC"}},
            connected_to_system_timestamp=ctx.now,
            contact_flow_id=flow.id,
            participant_id=ctx.ids.uuid(),
        )
        flows.begin(tx, contact, flow)
        return contact

    request = {"flow": ContactFlowId, "participant": ParticipantDetails,
               "attributes": Attributes, "capabilities": AllowedCapabilities,
               "related": RelatedContactId, "references": References,
               "description": Description, "segment": SegmentAttributes}
    starter = flows.Starter(ctx)
    contact = create_once(ctx, InstanceId, ClientToken, request, build, attributes=Attributes,
                          after=starter)
    starter.finish()
    meeting = str(uuid.uuid5(uuid.NAMESPACE_URL, f"meeting/{contact.arn}"))
    attendee = str(uuid.uuid5(uuid.NAMESPACE_URL, f"attendee/{contact.arn}"))
    host = f"{ctx.region}.media.connectlocal.invalid"
    return {
        "ConnectionData": {
            "Attendee": {"AttendeeId": attendee,
                         "JoinToken": _token(48)},
            "Meeting": {
                "MediaRegion": ctx.region,
                "MediaPlacement": {
                    "AudioHostUrl": f"{host}:3478",
                    "AudioFallbackUrl": f"wss://{host}:443/calls/{meeting}",
                    "SignalingUrl": f"wss://{host}/control/{meeting}",
                    "TurnControlUrl": f"https://{host}/v2/turn_sessions",
                    "EventIngestionUrl": f"https://{host}/v2/client-events",
                },
                "MeetingFeatures": {"Audio": {"EchoReduction": "AVAILABLE"}},
                "MeetingId": meeting,
            },
        },
        "ContactId": contact.id,
        "ParticipantId": contact.participant_id,
        "ParticipantToken": _token(96),
    }


def start_chat_contact(
    ctx: RequestContext,
    *,
    InstanceId: str,
    ContactFlowId: str,
    ParticipantDetails: dict[str, Any],
    Attributes: dict[str, str] | None = None,
    ClientToken: str | None = None,
    ChatDurationInMinutes: int | None = None,
    PersistentChat: dict[str, Any] | None = None,
    RelatedContactId: str | None = None,
    SegmentAttributes: dict[str, Any] | None = None,
    CustomerId: str | None = None,
    SupportedMessagingContentTypes: list[str] | None = None,
    **_unmodelled_here: Any,
) -> dict[str, Any]:
    source = (PersistentChat or {}).get("SourceContactId")
    if SupportedMessagingContentTypes is not None:
        unknown = [t for t in SupportedMessagingContentTypes if t not in CHAT_CONTENT_TYPES]
        if unknown:
            raise ctx.invalid(f"SupportedMessagingContentTypes: {unknown[0]} is not supported; "
                              f"supported types are {', '.join(CHAT_CONTENT_TYPES)}")
        if "text/plain" not in SupportedMessagingContentTypes:
            raise ctx.invalid("SupportedMessagingContentTypes must always contain text/plain")
    check_attribute_keys(ctx, Attributes)

    def build(tx: Tx, instance: Instance, contact_id: str) -> Contact:
        flow = start_flow(ctx, tx, instance, ContactFlowId)
        active = _active_chats(ctx, tx, instance)
        if active >= MAX_ACTIVE_CHATS:
            raise LimitExceededException(
                f"The quota for concurrent active chats is exceeded: instance {instance.id} "
                f"has {active} active chats, the most it can have is {MAX_ACTIVE_CHATS}")
        _related(ctx, tx, instance, RelatedContactId)
        if source is not None:
            contact_in(ctx, tx, instance, source, "PersistentChat.SourceContactId")
        minutes = ChatDurationInMinutes or DEFAULT_CHAT_MINUTES
        contact = new_contact(
            ctx, instance, contact_id, CHAT, API,
            related_contact_id=RelatedContactId or source,
            segment_attributes=SegmentAttributes or {},
            customer_id=CustomerId,
            contact_flow_id=flow.id,
            participant_id=ctx.ids.uuid(),
            expires_at=later(ctx.now, timedelta(minutes=minutes)),
        )
        flows.begin(tx, contact, flow)
        return contact

    request = {"flow": ContactFlowId, "participant": ParticipantDetails,
               "attributes": Attributes, "source": source}
    starter = flows.Starter(ctx)
    contact = create_once(ctx, InstanceId, ClientToken, request, build, attributes=Attributes,
                          after=starter)
    starter.finish()
    token = _token(96)
    expiry = rules.settle(contact, ctx.now).expires_at
    return {
        "ContactId": contact.id,
        "ParticipantId": contact.participant_id,
        "ParticipantToken": token,
        "ContinuedFromContactId": source,
        "ConnectionCredentials": None if expiry is None else {
            "ConnectionToken": token,
            "Expiry": expiry.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        },
    }


def _active_chats(ctx: RequestContext, tx: Tx, instance: Instance) -> int:
    """How many chats of the instance are active at ``ctx.now`` (a chat lasts at most 7 days,
    so none began earlier)."""
    since = earlier(ctx.now, timedelta(minutes=MAX_CHAT_MINUTES))
    return sum(1 for c in tx.list_contacts(instance.id, since, ctx.now)
               if c.channel == CHAT and rules.settle(c, ctx.now).active)


def _linked_to(tx: Tx, instance_id: str, previous: Contact) -> int:
    """How many task contacts name ``previous`` as their PreviousContactId."""
    return sum(1 for c in tx.associated_contacts(instance_id, previous.contact_association_id
                                                 or previous.id)
               if c.previous_contact_id == previous.id and c.channel == TASK)


def start_task_contact(
    ctx: RequestContext,
    *,
    InstanceId: str,
    Name: str,
    PreviousContactId: str | None = None,
    ContactFlowId: str | None = None,
    Attributes: dict[str, str] | None = None,
    References: dict[str, dict[str, Any]] | None = None,
    Description: str | None = None,
    ClientToken: str | None = None,
    ScheduledTime: datetime | None = None,
    TaskTemplateId: str | None = None,
    QuickConnectId: str | None = None,
    RelatedContactId: str | None = None,
    SegmentAttributes: dict[str, Any] | None = None,
    **_unmodelled_here: Any,
) -> dict[str, Any]:
    if not (ContactFlowId or QuickConnectId or TaskTemplateId):
        raise InvalidRequestException(
            "One of ContactFlowId, QuickConnectId or TaskTemplateId is required")
    for name, reference in (References or {}).items():
        if reference["Type"] not in TASK_REFERENCE_TYPES:
            raise ctx.invalid(
                f"References.{name}: {reference['Type']} is not a supported reference type "
                f"at task creation; tasks can have {' | '.join(TASK_REFERENCE_TYPES)}")
    check_attribute_keys(ctx, Attributes)
    if ScheduledTime is not None and not (
            ctx.now <= ScheduledTime <= later(ctx.now, MAX_SCHEDULE_AHEAD)):
        raise ctx.invalid(
            f"ScheduledTime {ScheduledTime.isoformat()} must be between now "
            f"({ctx.now.isoformat()}) and 6 days from now")

    def build(tx: Tx, instance: Instance, contact_id: str) -> Contact:
        if QuickConnectId:
            raise ResourceNotFoundException(
                f"Quick connect not found: {QuickConnectId} (instance {instance.id})")
        if TaskTemplateId:
            raise ResourceNotFoundException(
                f"Task template not found: {TaskTemplateId} (instance {instance.id})")
        flow = start_flow(ctx, tx, instance, ContactFlowId or "")
        _related(ctx, tx, instance, RelatedContactId)
        chain: dict[str, Any] = {}
        if PreviousContactId is not None:
            previous = contact_in(ctx, tx, instance, PreviousContactId, "PreviousContactId")
            # "There can be a maximum of 12 linked task contacts in a chain. That is, 12 task
            # contacts can be created that share the same PreviousContactId."
            if _linked_to(tx, instance.id, previous) >= MAX_LINKED_TASKS:
                raise ServiceQuotaExceededException(
                    f"{MAX_LINKED_TASKS} task contacts already share the PreviousContactId "
                    f"{previous.id}, the most a chain can have")
            chain = rules.following(previous)
        contact = new_contact(
            ctx, instance, contact_id, TASK, API,
            name=Name, description=Description,
            related_contact_id=RelatedContactId,
            scheduled_timestamp=ScheduledTime,
            references=references_of(References),
            segment_attributes=SegmentAttributes or {},
            contact_flow_id=flow.id,
            expires_at=later(ctx.now, MAX_TASK_LIFE),
            **chain,
        )
        # A scheduled task enters its queue at its ScheduledTime (DescribeContact hides the
        # queue until then: rules.as_seen).
        flows.begin(tx, contact, flow, ScheduledTime)
        return contact

    # Filled in when the contact is built (inside the transaction); create_once reads it then.
    attributes = dict(Attributes or {})

    def build_related(tx: Tx, instance: Instance, contact_id: str) -> Contact:
        contact = build(tx, instance, contact_id)
        if RelatedContactId is not None and PreviousContactId is None:
            # "RelatedContactId: Copies contact attributes from the related task contact to
            # the new contact" (a copy: later updates of either do not reach the other).
            related = contact_in(ctx, tx, instance, RelatedContactId, "RelatedContactId")
            for key, value in tx.get_attributes(instance.id, related.chain_root).items():
                attributes.setdefault(key, value)
        return contact

    request = {"name": Name, "flow": ContactFlowId, "previous": PreviousContactId,
               "attributes": Attributes, "scheduled": ScheduledTime}
    starter = flows.Starter(ctx)
    contact = create_once(ctx, InstanceId, ClientToken, request, build_related,
                          attributes=attributes, after=starter)
    starter.finish()
    return {"ContactId": contact.id}


def create_contact(
    ctx: RequestContext,
    *,
    InstanceId: str,
    Channel: str,
    InitiationMethod: str,
    ClientToken: str | None = None,
    RelatedContactId: str | None = None,
    Attributes: dict[str, str] | None = None,
    References: dict[str, dict[str, Any]] | None = None,
    ExpiryDurationInMinutes: int | None = None,
    UserInfo: dict[str, Any] | None = None,
    InitiateAs: str | None = None,
    Name: str | None = None,
    Description: str | None = None,
    SegmentAttributes: dict[str, Any] | None = None,
    PreviousContactId: str | None = None,
) -> dict[str, Any]:
    if Channel == CHAT:
        raise InvalidRequestException("CreateContact does not support the CHAT channel")
    allowed = CREATE_CONTACT_METHODS.get(Channel, set())
    if InitiationMethod not in allowed:
        raise ctx.invalid(
            f"InitiationMethod {InitiationMethod} is not supported for the {Channel} channel; "
            f"supported: {', '.join(sorted(allowed)) or 'none'}")
    if InitiateAs == "COMPLETED" and Channel != TASK:
        raise ctx.invalid("Only TASK contacts can be created with InitiateAs COMPLETED")
    if PreviousContactId is not None and Channel != VOICE:
        raise ctx.invalid("PreviousContactId can be given only for VOICE (external audio) "
                          "contacts")
    if Channel == EMAIL and InitiationMethod in ("OUTBOUND", "AGENT_REPLY") and not UserInfo:
        raise ctx.invalid(f"UserInfo is required for EMAIL contacts initiated "
                          f"{InitiationMethod}")
    if ExpiryDurationInMinutes is not None and ExpiryDurationInMinutes < 1:
        raise ctx.invalid("ExpiryDurationInMinutes must be at least 1")

    def build(tx: Tx, instance: Instance, contact_id: str) -> Contact:
        _related(ctx, tx, instance, RelatedContactId)
        agent = None
        if UserInfo and UserInfo.get("UserId"):
            agent = AgentInfo(require(tx, instance.id, User, UserInfo["UserId"]).id)
        chain: dict[str, Any] = {}
        if PreviousContactId is not None:
            chain = rules.following(
                contact_in(ctx, tx, instance, PreviousContactId, "PreviousContactId"))
        completed = InitiateAs == "COMPLETED"
        return new_contact(
            ctx, instance, contact_id, Channel, InitiationMethod,
            name=Name, description=Description,
            related_contact_id=RelatedContactId,
            references=references_of(References),
            segment_attributes=SegmentAttributes or {},
            agent=agent,
            disconnect_timestamp=ctx.now if completed else None,
            disconnect_reason="API" if completed else None,
            # Up to 2^31-1 minutes (4,085 years): at the end of time, the expiry waits there.
            expires_at=(later(ctx.now, timedelta(minutes=ExpiryDurationInMinutes))
                        if ExpiryDurationInMinutes else None),
            **chain,
        )

    request = {"channel": Channel, "method": InitiationMethod, "related": RelatedContactId,
               "attributes": Attributes, "references": References, "name": Name,
               "description": Description, "as": InitiateAs, "user": UserInfo,
               "previous": PreviousContactId, "segment": SegmentAttributes,
               "expiry": ExpiryDurationInMinutes}
    contact = create_once(ctx, InstanceId, ClientToken, request, build, strict_token=True,
                      attributes=Attributes)
    return {"ContactId": contact.id, "ContactArn": contact.arn}


def stop_contact(
    ctx: RequestContext, *, ContactId: str, InstanceId: str,
    DisconnectReason: dict[str, Any] | None = None,
) -> dict[str, Any]:
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        check_id(ctx, "ContactId", ContactId)
        stored = tx.get_contact(instance.id, ContactId)
        contact = rules.settle(stored, ctx.now) if stored else None
        if contact is None or not rules.describable(contact, ctx.now) or not contact.active:
            raise ContactNotFoundException(
                f"Contact {ContactId} is not active or does not exist in instance {instance.id}")
        if contact.channel == VOICE and contact.initiation_method in UNSTOPPABLE_VOICE:
            raise InvalidRequestException(
                f"StopContact does not stop VOICE contacts initiated by "
                f"{contact.initiation_method}")
        rules.end(contact, ctx.now, (DisconnectReason or {}).get("Code") or "API")
        tx.put_contact(contact)
        routing.route(tx, instance.id, ctx.now, [contact])  # its agent starts wrapping up
    return {}


def change(ctx: RequestContext, instance_ref: str, contact_id: str,
           apply: Callable[[Tx, Contact], None]) -> Contact:
    """Applies a change to a describable contact in one transaction; moves LastUpdateTimestamp."""
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, instance_ref)
        contact = contact_in(ctx, tx, instance, contact_id)
        apply(tx, contact)
        contact.last_update_timestamp = ctx.now
        tx.put_contact(contact)
        if contact.queue is not None:  # a queue or its routing data may have changed
            routing.route(tx, instance.id, ctx.now, [contact])
    return contact
