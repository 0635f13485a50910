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
    TELEPHONE_NUMBER,
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
_JSON_NAMES: dict[type, str] = {str: "a string", int: "a number", float: "a number",
                                bool: "true or false", dict: "an object", list: "an array"}


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


def _field(record: dict[str, Any], name: str, kind: type, required: bool = False,
           path: str | None = None) -> Any:
    """``record[name]`` if it is of ``kind``; problems are named by ``path`` (default: name)."""
    value = record.get(name)
    if value is None:
        if required:
            raise CtrError(f"{path or name} is missing")
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        given = _JSON_NAMES.get(type(value), type(value).__name__)
        raise CtrError(f"{path or name} must be {_JSON_NAMES[kind]}, not {given}")
    return value


def _time(record: dict[str, Any], name: str, required: bool = False,
          path: str | None = None) -> datetime | None:
    text = _field(record, name, str, required, path)
    if text is None:
        return None
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise CtrError(f"{path or name} is not an ISO 8601 timestamp: {text!r}") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    stamp = stamp.astimezone(UTC)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def _struct(record: dict[str, Any], name: str) -> dict[str, Any]:
    return _field(record, name, dict) or {}


def _in(record: dict[str, Any], prefix: str) -> _Scoped:
    return _Scoped(record, prefix)


class _Scoped:
    """Field reads inside a nested object, named with their path (``Queue.Name``)."""

    def __init__(self, record: dict[str, Any], prefix: str) -> None:
        self.record, self.prefix = record, prefix

    def _get(self, name: str, kind: type) -> Any:
        return _field(self.record, name, kind, path=f"{self.prefix}.{name}")

    def text(self, name: str) -> str | None:
        return self._get(name, str)  # type: ignore[no-any-return]

    def number(self, name: str) -> int | None:
        return self._get(name, int)  # type: ignore[no-any-return]

    def obj(self, name: str) -> dict[str, Any]:
        return self._get(name, dict) or {}

    def time(self, name: str) -> datetime | None:
        return _time(self.record, name, path=f"{self.prefix}.{name}")


def _tail(arn: str, what: str, kind: str) -> str:
    """The id an ARN of ``kind`` ends in (``.../queue/agent/<id>`` too)."""
    if not arn.startswith("arn:") or f"/{kind}/" not in arn:
        raise CtrError(f"{what} is not a {kind} ARN: {arn!r}")
    return arn.rsplit("/", 1)[-1]


def _endpoint(record: dict[str, Any], name: str) -> Endpoint | None:
    value = _in(_struct(record, name), name)
    address = value.text("Address")
    if not address:
        return None
    return Endpoint(value.text("Type") or TELEPHONE_NUMBER, address, value.text("DisplayName"))


def _strings(record: dict[str, Any], name: str) -> dict[str, str] | None:
    value = _field(record, name, dict)
    if value is None:
        return None
    for key, item in value.items():
        if not isinstance(item, str):
            given = _JSON_NAMES.get(type(item), type(item).__name__)
            raise CtrError(f"{name}.{key} must be a string, not {given}")
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
    queue_record = _in(_struct(record, "Queue"), "Queue")
    queue_arn = queue_record.text("ARN")
    if queue_arn:
        queue = Named(_tail(queue_arn, "Queue.ARN", "queue"), queue_arn, queue_record.text("Name"))
        queue_info = QueueInfo(queue.id, queue_record.time("EnqueueTimestamp") or initiated)

    agent = routing = None
    agent_info = None
    agent_record = _in(_struct(record, "Agent"), "Agent")
    agent_arn = agent_record.text("ARN")
    if agent_arn:
        agent = Named(_tail(agent_arn, "Agent.ARN", "agent"), agent_arn,
                      agent_record.text("Username"))
        profile = _in(agent_record.obj("RoutingProfile"), "Agent.RoutingProfile")
        profile_arn = profile.text("ARN")
        if profile_arn:
            routing = Named(_tail(profile_arn, "Agent.RoutingProfile.ARN", "routing-profile"),
                            profile_arn, profile.text("Name"))
        groups = _in(agent_record.obj("HierarchyGroups"), "Agent.HierarchyGroups")
        levels = {level: _in(groups.obj(level), f"Agent.HierarchyGroups.{level}").text("ARN")
                  for level in LEVELS}
        agent_info = AgentInfo(
            agent.id,
            connected_to_agent_timestamp=agent_record.time("ConnectedToAgentTimestamp"),
            accepted_by_agent_timestamp=agent_record.time("AcceptedByAgentTimestamp"),
            hierarchy_groups={level: arn for level, arn in levels.items() if arn},
            after_contact_work_start=agent_record.time("AfterContactWorkStartTimestamp"),
            after_contact_work_end=agent_record.time("AfterContactWorkEndTimestamp"),
            after_contact_work_seconds=agent_record.number("AfterContactWorkDuration"),
        )

    references = {}
    for index, item in enumerate(_field(record, "References", list) or []):
        if not isinstance(item, dict):
            raise CtrError(f"References[{index}] must be an object")
        ref = _in(item, f"References[{index}]")
        name, kind = ref.text("Name"), ref.text("Type")
        if name and kind:
            references[name] = Reference(kind, ref.text("Value"), ref.text("Status"))
    recordings = []
    for index, item in enumerate(_field(record, "Recordings", list) or []):
        if not isinstance(item, dict):
            raise CtrError(f"Recordings[{index}] must be an object")
        r = _in(item, f"Recordings[{index}]")
        recordings.append(Recording(
            location=r.text("Location"), storage_type=r.text("StorageType"),
            media_stream_type=r.text("MediaStreamType"), participant_type=r.text("ParticipantType"),
            status=r.text("Status"), deletion_reason=r.text("DeletionReason"),
            fragment_start=r.text("FragmentStartNumber"),
            fragment_stop=r.text("FragmentStopNumber"),
            start=r.time("StartTimestamp"), stop=r.time("StopTimestamp")))
    segments = _field(record, "SegmentAttributes", dict) or {}
    for key, value in segments.items():
        if not isinstance(value, dict) or not all(
                isinstance(v, str) for k, v in value.items() if k == "ValueString"):
            raise CtrError(f"SegmentAttributes.{key} must be an object like "
                           '{"ValueString": "..."}')
    next_id = _field(record, "NextContactId", str)
    campaign = _in(_struct(record, "Campaign"), "Campaign").text("CampaignId")
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
        segment_attributes=segments,
        tags=_strings(record, "Tags") or {},
        next_contacts=[NextContact(next_id)] if next_id else [],
        campaign_id=campaign,
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
