"""Contact trace records (CTRs, format 2017-03-10) to contacts and back.

One function each way; the README's CTR mapping table says where every field goes. A CTR
is what Amazon Connect streams to Kinesis and keeps in S3; DescribeContact is the same
contact seen through the API (ISO 8601 strings there, datetimes here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .handlers.common import is_uuid
from .models import (
    AgentInfo,
    Contact,
    Endpoint,
    NextContact,
    QueueInfo,
    Recording,
    Reference,
)
from .spec import service_model
from .store.base import Scope

FORMAT_VERSION = "2017-03-10"
_INSTANCE_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):connect:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"instance/(?P<id>[0-9a-f-]{36})$")
_MODEL = service_model()
CHANNELS = frozenset(_MODEL.shape_for("Channel").enum)
METHODS = frozenset(_MODEL.shape_for("ContactInitiationMethod").enum)
LEVELS = ("Level1", "Level2", "Level3", "Level4", "Level5")


class CtrError(ValueError):
    """A record that cannot be a contact; the message says which field and why."""


@dataclass
class Named:
    """A directory resource a record names: its id and ARN, and the name the record gives."""

    id: str
    arn: str
    name: str | None = None


@dataclass
class ImportedContact:
    scope: Scope
    instance: Named
    contact: Contact
    attributes: dict[str, str] | None  # None: the record carries no Attributes
    queue: Named | None
    agent: Named | None
    routing_profile: Named | None


# ----------------------------------------------------------------------------- CTR → contact


def _field(record: dict[str, Any], name: str, kind: type, required: bool = False) -> Any:
    value = record.get(name)
    if value is None:
        if required:
            raise CtrError(f"{name} is missing")
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise CtrError(f"{name} must be a {kind.__name__}, not {type(value).__name__}")
    return value


def _time(record: dict[str, Any], name: str, required: bool = False) -> datetime | None:
    text = _field(record, name, str, required)
    if text is None:
        return None
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise CtrError(f"{name} is not an ISO 8601 timestamp: {text!r}") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    stamp = stamp.astimezone(UTC)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def _struct(record: dict[str, Any], name: str) -> dict[str, Any]:
    return _field(record, name, dict) or {}


def _tail(arn: str, what: str, kind: str) -> str:
    """The id an ARN of ``kind`` ends in (``.../queue/agent/<id>`` too)."""
    if not arn.startswith("arn:") or f"/{kind}/" not in arn:
        raise CtrError(f"{what} is not a {kind} ARN: {arn!r}")
    return arn.rsplit("/", 1)[-1]


def _endpoint(record: dict[str, Any], name: str) -> Endpoint | None:
    value = _struct(record, name)
    if not value.get("Address"):
        return None
    return Endpoint(str(value.get("Type") or "TELEPHONE_NUMBER"), str(value["Address"]),
                    value.get("DisplayName"))


def _strings(record: dict[str, Any], name: str) -> dict[str, str] | None:
    value = _field(record, name, dict)
    if value is None:
        return None
    for key, item in value.items():
        if not isinstance(item, str):
            raise CtrError(f"{name}.{key} must be a string, not {type(item).__name__}")
    return value  # type: ignore[no-any-return]


def parse(record: Any) -> ImportedContact:
    """The contact a CTR describes, with the scope, instance, queue and agent it names."""
    if not isinstance(record, dict):
        raise CtrError(f"a contact trace record is a JSON object, not {type(record).__name__}")
    contact_id = _field(record, "ContactId", str, required=True)
    if not is_uuid(contact_id):
        raise CtrError(f"ContactId {contact_id!r} is not a contact id (a UUID)")
    instance_arn = _field(record, "InstanceARN", str, required=True)
    found = _INSTANCE_ARN.match(instance_arn)
    if found is None:
        raise CtrError(f"InstanceARN is not an Amazon Connect instance ARN: {instance_arn!r}")
    account = _field(record, "AWSAccountId", str) or found["account"]
    if account != found["account"]:
        raise CtrError(f"AWSAccountId {account} is not the account of InstanceARN")
    channel = _field(record, "Channel", str, required=True)
    if channel not in CHANNELS:
        raise CtrError(f"Channel {channel!r} is not one of {', '.join(sorted(CHANNELS))}")
    method = _field(record, "InitiationMethod", str, required=True)
    if method not in METHODS:
        raise CtrError(f"InitiationMethod {method!r} is not one of {', '.join(sorted(METHODS))}")
    initiated = _time(record, "InitiationTimestamp", required=True)
    assert initiated is not None
    disconnected = _time(record, "DisconnectTimestamp")
    updated = _time(record, "LastUpdateTimestamp") or disconnected or initiated

    queue = None
    queue_info = None
    queue_record = _struct(record, "Queue")
    if queue_record.get("ARN"):
        queue = Named(_tail(str(queue_record["ARN"]), "Queue.ARN", "queue"), queue_record["ARN"],
                      queue_record.get("Name"))
        enqueued = _time(queue_record, "EnqueueTimestamp") or initiated
        queue_info = QueueInfo(queue.id, enqueued)

    agent = routing = None
    agent_info = None
    agent_record = _struct(record, "Agent")
    if agent_record.get("ARN"):
        agent = Named(_tail(str(agent_record["ARN"]), "Agent.ARN", "agent"), agent_record["ARN"],
                      agent_record.get("Username"))
        profile = agent_record.get("RoutingProfile") or {}
        if isinstance(profile, dict) and profile.get("ARN"):
            routing = Named(_tail(str(profile["ARN"]), "Agent.RoutingProfile.ARN",
                                  "routing-profile"), profile["ARN"], profile.get("Name"))
        groups = agent_record.get("HierarchyGroups") or {}
        acw = agent_record.get("AfterContactWorkDuration")
        agent_info = AgentInfo(
            agent.id,
            connected_to_agent_timestamp=_time(agent_record, "ConnectedToAgentTimestamp"),
            accepted_by_agent_timestamp=_time(agent_record, "AcceptedByAgentTimestamp"),
            hierarchy_groups={level: str(groups[level]["ARN"]) for level in LEVELS
                              if isinstance(groups.get(level), dict)
                              and groups[level].get("ARN")},
            after_contact_work_start=_time(agent_record, "AfterContactWorkStartTimestamp"),
            after_contact_work_end=_time(agent_record, "AfterContactWorkEndTimestamp"),
            after_contact_work_seconds=acw if isinstance(acw, int) else None,
        )

    references = {}
    for item in _field(record, "References", list) or []:
        if isinstance(item, dict) and item.get("Name") and item.get("Type"):
            references[str(item["Name"])] = Reference(str(item["Type"]), item.get("Value"),
                                                      item.get("Status"))
    recordings = [
        Recording(location=r.get("Location"), storage_type=r.get("StorageType"),
                  media_stream_type=r.get("MediaStreamType"),
                  participant_type=r.get("ParticipantType"), status=r.get("Status"),
                  deletion_reason=r.get("DeletionReason"),
                  fragment_start=r.get("FragmentStartNumber"),
                  fragment_stop=r.get("FragmentStopNumber"),
                  start=_time(r, "StartTimestamp"), stop=_time(r, "StopTimestamp"))
        for r in _field(record, "Recordings", list) or [] if isinstance(r, dict)]
    next_id = _field(record, "NextContactId", str)
    campaign = _struct(record, "Campaign").get("CampaignId")
    instance_id = found["id"]
    contact = Contact(
        id=contact_id,
        arn=f"{instance_arn}/contact/{contact_id}",
        instance_id=instance_id,
        channel=channel,
        initiation_method=method,
        initiation_timestamp=initiated,
        last_update_timestamp=updated,
        initial_contact_id=_field(record, "InitialContactId", str),
        previous_contact_id=_field(record, "PreviousContactId", str),
        related_contact_id=_field(record, "RelatedContactId", str),
        contact_association_id=_field(record, "ContactAssociationId", str)
        or _field(record, "InitialContactId", str) or contact_id,
        name=_field(record, "Name", str),
        description=_field(record, "Description", str),
        disconnect_timestamp=disconnected,
        disconnect_reason=_field(record, "DisconnectReason", str),
        scheduled_timestamp=_time(record, "ScheduledTimestamp"),
        connected_to_system_timestamp=_time(record, "ConnectedToSystemTimestamp"),
        queue=queue_info,
        agent=agent_info,
        customer_endpoint=_endpoint(record, "CustomerEndpoint"),
        system_endpoint=_endpoint(record, "SystemEndpoint"),
        customer_id=_field(record, "CustomerId", str),
        references=references,
        segment_attributes=_field(record, "SegmentAttributes", dict) or {},
        tags=_strings(record, "Tags") or {},
        next_contacts=[NextContact(next_id)] if next_id else [],
        campaign_id=campaign if isinstance(campaign, str) else None,
        recordings=recordings,
        answering_machine_detection_status=_field(record, "AnsweringMachineDetectionStatus",
                                                  str),
    )
    return ImportedContact(
        scope=Scope(account, found["region"]),
        instance=Named(instance_id, instance_arn),
        contact=contact,
        attributes=_strings(record, "Attributes"),
        queue=queue, agent=agent, routing_profile=routing,
    )


# ----------------------------------------------------------------------------- contact → CTR


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def record(contact: Contact, attributes: dict[str, str], account: str,
           queue: Named | None = None, agent: Named | None = None) -> dict[str, Any]:
    """The CTR Amazon Connect would stream for this contact (null where it has nothing)."""
    instance_arn = contact.arn.rsplit("/contact/", 1)[0]
    a = contact.agent
    return {
        "AWSAccountId": account,
        "AWSContactTraceRecordFormatVersion": FORMAT_VERSION,
        "InstanceARN": instance_arn,
        "ContactId": contact.id,
        "InitialContactId": contact.initial_contact_id,
        "PreviousContactId": contact.previous_contact_id,
        "NextContactId": contact.next_contacts[0].contact_id if contact.next_contacts else None,
        "RelatedContactId": contact.related_contact_id,
        "ContactAssociationId": contact.contact_association_id,
        "Channel": contact.channel,
        "InitiationMethod": contact.initiation_method,
        "InitiationTimestamp": _iso(contact.initiation_timestamp),
        "ConnectedToSystemTimestamp": _iso(contact.connected_to_system_timestamp),
        "ScheduledTimestamp": _iso(contact.scheduled_timestamp),
        "DisconnectTimestamp": _iso(contact.disconnect_timestamp),
        "LastUpdateTimestamp": _iso(contact.last_update_timestamp),
        "DisconnectReason": contact.disconnect_reason,
        "Name": contact.name,
        "Description": contact.description,
        "CustomerId": contact.customer_id,
        "CustomerEndpoint": ({"Type": contact.customer_endpoint.type,
                              "Address": contact.customer_endpoint.address}
                             if contact.customer_endpoint else None),
        "SystemEndpoint": ({"Type": contact.system_endpoint.type,
                            "Address": contact.system_endpoint.address}
                           if contact.system_endpoint else None),
        "Queue": {
            "ARN": queue.arn if queue else None,
            "Name": queue.name if queue else None,
            "EnqueueTimestamp": _iso(contact.queue.enqueue_timestamp),
        } if contact.queue else None,
        "Agent": {
            "ARN": agent.arn if agent else f"{instance_arn}/agent/{a.agent_id}",
            "Username": agent.name if agent else None,
            "ConnectedToAgentTimestamp": _iso(a.connected_to_agent_timestamp),
            "AcceptedByAgentTimestamp": _iso(a.accepted_by_agent_timestamp),
            "AfterContactWorkStartTimestamp": _iso(a.after_contact_work_start),
            "AfterContactWorkEndTimestamp": _iso(a.after_contact_work_end),
            "AfterContactWorkDuration": a.after_contact_work_seconds,
            "HierarchyGroups": {level: ({"ARN": a.hierarchy_groups[level]}
                                        if level in a.hierarchy_groups else None)
                                for level in LEVELS} if a.hierarchy_groups else None,
        } if a else None,
        "Attributes": attributes,
        "References": [{"Name": name, "Type": r.type, "Value": r.value, "Status": r.status}
                       for name, r in contact.references.items()],
        "SegmentAttributes": contact.segment_attributes or None,
        "Tags": contact.tags or None,
        "Campaign": {"CampaignId": contact.campaign_id},
        "AnsweringMachineDetectionStatus": contact.answering_machine_detection_status,
        "Recordings": [{
            "Location": r.location, "StorageType": r.storage_type,
            "MediaStreamType": r.media_stream_type, "ParticipantType": r.participant_type,
            "Status": r.status, "DeletionReason": r.deletion_reason,
            "FragmentStartNumber": r.fragment_start, "FragmentStopNumber": r.fragment_stop,
            "StartTimestamp": _iso(r.start), "StopTimestamp": _iso(r.stop),
        } for r in contact.recordings] or None,
    }
