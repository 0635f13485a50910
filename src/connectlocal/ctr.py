"""Contact trace records (CTRs, format 2017-03-10) to contacts and back.

One function each way; the README's CTR mapping table says where every field goes. A CTR
is what Amazon Connect streams to Kinesis and keeps in S3; DescribeContact is the same
contact seen through the API (ISO 8601 strings there, datetimes here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import GenericAlias
from typing import Annotated, Any, NamedTuple

import msgspec
import orjson

from .handlers.common import INSTANCE_ARN, is_uuid
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
from .store.base import ContactRow, Scope, Staged, staged, to_ms

FORMAT_VERSION = "2017-03-10"
_MODEL = service_model()
CHANNELS = frozenset(_MODEL.shape_for("Channel").enum)
METHODS = frozenset(_MODEL.shape_for("ContactInitiationMethod").enum)
LEVELS = ("Level1", "Level2", "Level3", "Level4", "Level5")
_JSON_NAMES: dict[type, str] = {str: "a string", int: "a number", float: "a number",
                                bool: "true or false", dict: "an object", list: "an array"}


class CtrError(ValueError):
    """A record that cannot be a contact; the message says which field and why."""


class Named(NamedTuple):
    """A directory resource a record names: its id and ARN, and the name the record gives."""

    id: str
    arn: str
    name: str | None = None


@dataclass(slots=True)
class ImportedContact:
    """What the import stores of a record (``staged``: its contact's row, its chain's
    attributes, None when it carries no Attributes, and its facts) and what it names."""

    scope: Scope
    instance: Named
    initiated: datetime  # InitiationTimestamp: retention is judged by it
    staged: Staged
    queue: Named | None
    agent: Named | None
    routing_profile: Named | None


# ----------------------------------------------------------------------------- CTR → contact

# The JSON type of every field the mapping reads, per object: each object is checked in one
# pass (a record is checked and mapped in ~17 us; field by field, ~24). Fields not named here
# are not read. Types are exact: JSON parsers give dict, list, str, int, float, bool.
_TOP: dict[str, type] = {
    "ContactId": str, "InstanceARN": str, "AWSAccountId": str, "Channel": str,
    "InitiationMethod": str, "InitiationTimestamp": str, "DisconnectTimestamp": str,
    "LastUpdateTimestamp": str, "ScheduledTimestamp": str, "ConnectedToSystemTimestamp": str,
    "InitialContactId": str, "PreviousContactId": str, "RelatedContactId": str,
    "ContactAssociationId": str, "NextContactId": str, "Name": str, "Description": str,
    "DisconnectReason": str, "CustomerId": str, "AnsweringMachineDetectionStatus": str,
    "Queue": dict, "Agent": dict, "CustomerEndpoint": dict, "SystemEndpoint": dict,
    "Campaign": dict, "Attributes": dict, "Tags": dict, "SegmentAttributes": dict,
    "References": list, "Recordings": list, "AgentConnectionAttempts": int,
    "TransferredToEndpoint": dict, "TransferCompletedTimestamp": str,
}
_QUEUE = {"ARN": str, "Name": str, "EnqueueTimestamp": str}
_AGENT = {"ARN": str, "Username": str, "ConnectedToAgentTimestamp": str,
          "AcceptedByAgentTimestamp": str, "AfterContactWorkStartTimestamp": str,
          "AfterContactWorkEndTimestamp": str, "AfterContactWorkDuration": int,
          "RoutingProfile": dict, "HierarchyGroups": dict, "CustomerHoldDuration": int,
          "NumberOfHolds": int, "LongestHoldDuration": int}
_NAMED = {"ARN": str, "Name": str}
_LEVELS = dict.fromkeys(LEVELS, dict)
_ENDPOINT = {"Type": str, "Address": str, "DisplayName": str}
_CAMPAIGN = {"CampaignId": str}
_REFERENCE = {"Name": str, "Type": str, "Value": str, "Status": str}
_RECORDING = {"Location": str, "StorageType": str, "MediaStreamType": str,
              "ParticipantType": str, "Status": str, "DeletionReason": str,
              "FragmentStartNumber": str, "FragmentStopNumber": str, "StartTimestamp": str,
              "StopTimestamp": str}
_NOTHING: dict[str, Any] = {}
_LEAST, _MOST = -2**63, 2**63 - 1  # a signed 64-bit integer (a Long in the model)
_MICROSECONDS = tuple(timedelta(microseconds=n) for n in range(1000))
_instances: dict[str, tuple[str, str, str]] = {}  # InstanceARN → (account, region, id)


def _wrong(path: str, kind: type, value: Any) -> CtrError:
    given = _JSON_NAMES.get(type(value), type(value).__name__)
    if kind is int and value.__class__ is int:  # past 64 bits: no store or SDK holds it
        return CtrError(f"{path} must be a whole number from {_LEAST} to {_MOST}, not {value}")
    if kind is int and isinstance(value, float):
        return CtrError(f"{path} must be a whole number, not {value!r}")
    return CtrError(f"{path} must be {_JSON_NAMES[kind]}, not {given}")


def _checked(value: Any, kinds: Mapping[str, type], path: str) -> dict[str, Any]:
    """``value`` (an object, or null: an empty one) once every field in ``kinds`` it has is
    of its kind; problems are named by their path (``Agent.RoutingProfile.ARN``)."""
    if value is None:
        return _NOTHING
    if value.__class__ is not dict:
        raise _wrong(path, dict, value)
    for name, kind in kinds.items():
        item = value.get(name)
        if item is not None and (item.__class__ is not kind
                                 or (kind is int and _outside(item))):
            raise _wrong(f"{path}.{name}" if path else name, kind, item)
    return value


def _outside(number: Any) -> bool:
    """Whether an int is past 64 bits (which no store or SDK holds, nor orjson writes)."""
    return not _LEAST <= number <= _MOST


def _objects(value: list[Any] | None, kinds: Mapping[str, type], path: str) -> list[dict[str, Any]]:
    if not value:
        return []
    for index, item in enumerate(value):
        if item.__class__ is not dict:
            raise CtrError(f"{path}[{index}] must be an object")
        _checked(item, kinds, f"{path}[{index}]")
    return value


def _time(text: str | None, path: str) -> datetime | None:
    """The instant an ISO 8601 string names, in UTC, truncated to the millisecond."""
    if text is None:
        return None
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise CtrError(f"{path} is not an ISO 8601 timestamp: {text!r}") from None
    if stamp.tzinfo is not UTC:
        try:
            stamp = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
        except OverflowError:  # an offset that moves it past year 1 or 9999
            raise CtrError(f"{path} is outside the years 1 to 9999 in UTC: {text!r}") from None
    below = stamp.microsecond % 1000
    if below:
        stamp -= _MICROSECONDS[below]  # as replace(microsecond=...), in a tenth of the time
    return stamp


def _tail(arn: str, what: str, kind: str) -> str:
    """The id an ARN of ``kind`` ends in (``.../queue/agent/<id>`` too)."""
    if not arn.startswith("arn:") or f"/{kind}/" not in arn:
        raise CtrError(f"{what} is not a {kind} ARN: {arn!r}")
    return arn.rsplit("/", 1)[-1]


def _endpoint(value: Any, path: str) -> Endpoint | None:
    endpoint = _checked(value, _ENDPOINT, path)
    address = endpoint.get("Address")
    if not address:
        return None
    return Endpoint(endpoint.get("Type") or TELEPHONE_NUMBER, address,
                    endpoint.get("DisplayName"))


def _strings(value: dict[str, Any] | None, path: str) -> dict[str, str] | None:
    if value is None:
        return None
    for key, item in value.items():
        if item.__class__ is not str:
            raise _wrong(f"{path}.{key}", str, item)
    return value


def _instance(arn: str) -> tuple[str, str, str]:
    """(account, region, instance id) of an instance ARN, parsed once per ARN."""
    known = _instances.get(arn)
    if known is None:
        found = INSTANCE_ARN.match(arn)
        if found is None:
            raise CtrError(f"InstanceARN is not an Amazon Connect instance ARN: {arn!r}")
        known = (found["account"], found["region"], found["id"])
        if len(_instances) < 10_000:
            _instances[arn] = known
    return known


def parse(record: Any) -> ImportedContact:
    """What the import stores of a CTR, and the scope, instance, queue and agent it names.
    Each object is checked against its table before it is read: the path every refused
    record takes, so that its message names the first problem in the order below, and the
    reference the fast path (``decode``, ``parse_json``) is tested against."""
    return parse_contact(record)[0]


def parse_contact(record: Any) -> tuple[ImportedContact, Contact]:
    """``parse``, and the Contact its row is made from."""
    if not isinstance(record, dict):
        raise CtrError(f"a contact trace record is a JSON object, not {type(record).__name__}")
    r = _checked(record, _TOP, "")
    contact_id = r.get("ContactId")
    if contact_id is None:
        raise CtrError("ContactId is missing")
    if not is_uuid(contact_id):
        raise CtrError(f"ContactId {contact_id!r} is not a contact id (a UUID)")
    instance_arn = r.get("InstanceARN")
    if instance_arn is None:
        raise CtrError("InstanceARN is missing")
    arn_account, region, instance_id = _instance(instance_arn)
    account = r.get("AWSAccountId") or arn_account
    if account != arn_account:
        raise CtrError(f"AWSAccountId {account} is not the account of InstanceARN")
    channel = r.get("Channel")
    if channel is None:
        raise CtrError("Channel is missing")
    if channel not in CHANNELS:
        raise CtrError(f"Channel {channel!r} is not one of {', '.join(sorted(CHANNELS))}")
    method = r.get("InitiationMethod")
    if method is None:
        raise CtrError("InitiationMethod is missing")
    if method not in METHODS:
        raise CtrError(f"InitiationMethod {method!r} is not one of {', '.join(sorted(METHODS))}")
    initiated = _time(r.get("InitiationTimestamp"), "InitiationTimestamp")
    if initiated is None:
        raise CtrError("InitiationTimestamp is missing")
    disconnected = _time(r.get("DisconnectTimestamp"), "DisconnectTimestamp")
    updated = (_time(r.get("LastUpdateTimestamp"), "LastUpdateTimestamp")
               or disconnected or initiated)

    queue = None
    queue_info = None
    q = _checked(r.get("Queue"), _QUEUE, "Queue")
    queue_arn = q.get("ARN")
    if queue_arn:
        queue = Named(_tail(queue_arn, "Queue.ARN", "queue"), queue_arn, q.get("Name"))
        queue_info = QueueInfo(
            queue.id, _time(q.get("EnqueueTimestamp"), "Queue.EnqueueTimestamp") or initiated)

    agent = routing = None
    agent_info = None
    a = _checked(r.get("Agent"), _AGENT, "Agent")
    agent_arn = a.get("ARN")
    if agent_arn:
        agent = Named(_tail(agent_arn, "Agent.ARN", "agent"), agent_arn, a.get("Username"))
        profile = _checked(a.get("RoutingProfile"), _NAMED, "Agent.RoutingProfile")
        profile_arn = profile.get("ARN")
        if profile_arn:
            routing = Named(_tail(profile_arn, "Agent.RoutingProfile.ARN", "routing-profile"),
                            profile_arn, profile.get("Name"))
        groups: dict[str, str] = {}
        for level, group in _checked(a.get("HierarchyGroups"), _LEVELS,
                                     "Agent.HierarchyGroups").items():
            if level in _LEVELS:
                arn = _checked(group, _NAMED, f"Agent.HierarchyGroups.{level}").get("ARN")
                if arn:
                    groups[level] = arn
        agent_info = AgentInfo(
            agent.id,
            connected_to_agent_timestamp=_time(a.get("ConnectedToAgentTimestamp"),
                                               "Agent.ConnectedToAgentTimestamp"),
            accepted_by_agent_timestamp=_time(a.get("AcceptedByAgentTimestamp"),
                                              "Agent.AcceptedByAgentTimestamp"),
            hierarchy_groups=groups,
            after_contact_work_start=_time(a.get("AfterContactWorkStartTimestamp"),
                                           "Agent.AfterContactWorkStartTimestamp"),
            after_contact_work_end=_time(a.get("AfterContactWorkEndTimestamp"),
                                         "Agent.AfterContactWorkEndTimestamp"),
            after_contact_work_seconds=a.get("AfterContactWorkDuration"),
            hold_seconds=a.get("CustomerHoldDuration") or None,
            hold_count=a.get("NumberOfHolds") or 0,
            longest_hold_seconds=a.get("LongestHoldDuration") or None,
        )

    references = {ref["Name"]: Reference(ref["Type"], ref.get("Value"), ref.get("Status"))
                  for ref in _objects(r.get("References"), _REFERENCE, "References")
                  if ref.get("Name") and ref.get("Type")}
    recordings = [Recording(
        location=rec.get("Location"), storage_type=rec.get("StorageType"),
        media_stream_type=rec.get("MediaStreamType"), participant_type=rec.get("ParticipantType"),
        status=rec.get("Status"), deletion_reason=rec.get("DeletionReason"),
        fragment_start=rec.get("FragmentStartNumber"),
        fragment_stop=rec.get("FragmentStopNumber"),
        start=_time(rec.get("StartTimestamp"), f"Recordings[{index}].StartTimestamp"),
        stop=_time(rec.get("StopTimestamp"), f"Recordings[{index}].StopTimestamp"),
    ) for index, rec in enumerate(_objects(r.get("Recordings"), _RECORDING, "Recordings"))]
    segments = r.get("SegmentAttributes") or {}
    for key, value in segments.items():
        if not isinstance(value, dict) or not all(
                isinstance(v, str) for k, v in value.items() if k == "ValueString"):
            raise CtrError(f"SegmentAttributes.{key} must be an object like "
                           '{"ValueString": "..."}')
    next_id = r.get("NextContactId")
    initial_id = r.get("InitialContactId")
    contact = Contact(
        id=contact_id,
        arn=f"{instance_arn}/contact/{contact_id}",
        instance_id=instance_id,
        channel=channel,
        initiation_method=method,
        initiation_timestamp=initiated,
        last_update_timestamp=updated,
        initial_contact_id=initial_id,
        previous_contact_id=r.get("PreviousContactId"),
        related_contact_id=r.get("RelatedContactId"),
        contact_association_id=r.get("ContactAssociationId") or initial_id or contact_id,
        name=r.get("Name"),
        description=r.get("Description"),
        disconnect_timestamp=disconnected,
        disconnect_reason=r.get("DisconnectReason"),
        scheduled_timestamp=_time(r.get("ScheduledTimestamp"), "ScheduledTimestamp"),
        connected_to_system_timestamp=_time(r.get("ConnectedToSystemTimestamp"),
                                            "ConnectedToSystemTimestamp"),
        queue=queue_info,
        agent=agent_info,
        customer_endpoint=_endpoint(r.get("CustomerEndpoint"), "CustomerEndpoint"),
        system_endpoint=_endpoint(r.get("SystemEndpoint"), "SystemEndpoint"),
        customer_id=r.get("CustomerId"),
        references=references,
        segment_attributes=segments,
        tags=_strings(r.get("Tags"), "Tags") or {},
        next_contacts=[NextContact(next_id)] if next_id else [],
        campaign_id=_checked(r.get("Campaign"), _CAMPAIGN, "Campaign").get("CampaignId"),
        recordings=recordings,
        answering_machine_detection_status=r.get("AnsweringMachineDetectionStatus"),
        agent_connection_attempts=r.get("AgentConnectionAttempts") or 0,
        transferred_to_endpoint=_endpoint(r.get("TransferredToEndpoint"),
                                          "TransferredToEndpoint"),
        transfer_completed_timestamp=_time(r.get("TransferCompletedTimestamp"),
                                           "TransferCompletedTimestamp"),
    )
    attributes = _strings(r.get("Attributes"), "Attributes")
    try:
        row = staged(contact, attributes)
    except (TypeError, RecursionError):  # orjson cannot write it: no store could keep it
        raise CtrError(_unwritable(r)) from None
    imported = ImportedContact(
        scope=Scope(account, region),
        instance=Named(instance_id, instance_arn),
        initiated=initiated, staged=row,
        queue=queue, agent=agent, routing_profile=routing,
    )
    if not _written(imported):
        raise CtrError(_unwritable(r))
    return imported, contact


def _written(imported: ImportedContact) -> bool:
    """Whether what the import writes beside the document (the chain's attributes, the names
    and ARNs of the queue, agent and routing profile it makes) can be written: a record
    json's reader read may hold lone surrogates there."""
    named = [tuple(n) for n in (imported.queue, imported.agent, imported.routing_profile) if n]
    try:
        orjson.dumps([imported.staged.attributes, named])
    except TypeError:
        return False
    return True


# Levels of arrays and objects orjson writes (it reads up to 1,024), and the integers.
_DEEPEST = 254
_WRITTEN_INTS = range(-2**63, 2**64)


def _unwritable(record: dict[str, Any]) -> str:
    """What makes a record parse read unwritable as JSON: the first string (or key) of the
    fields it reads with a lone surrogate (a JSON escape such as \\ud800 alone, which the
    reader of what orjson refuses keeps), integer past 64 bits, or value nested past what
    orjson writes."""

    def first(value: Any, path: str, depth: int = 1) -> str | None:
        if depth > _DEEPEST and value.__class__ in (dict, list):
            top = path.split(".", 1)[0].split("[", 1)[0]
            return f"{top} is nested too deeply to be stored (more than {_DEEPEST} levels)"
        if value.__class__ is str:
            return None if _is_text(value) else (
                f"{path} is not Unicode text: it holds a lone surrogate ({value!a})")
        if value.__class__ is int and value not in _WRITTEN_INTS:
            return f"{path} must be a whole number from {_LEAST} to {_MOST}, not {value}"
        if value.__class__ is dict:
            for key, item in value.items():
                if not _is_text(key):
                    return f"{path} has a key that is not Unicode text ({key!a})"
                if found := first(item, f"{path}.{key}", depth + 1):
                    return found
        if value.__class__ is list:
            for index, item in enumerate(value):
                if found := first(item, f"{path}[{index}]", depth + 1):
                    return found
        return None

    for name in _TOP:
        if name in record and (found := first(record[name], name)):
            return found
    return "the record cannot be written as JSON"


def writable(value: Any) -> Any:
    """``value`` (JSON as json's reader gives it) with what ``_unwritable`` finds made
    writable: a string's lone surrogates replaced, an integer orjson cannot write null."""
    if value.__class__ is str:
        return value if _is_text(value) else value.encode("utf-8", "replace").decode()
    if value.__class__ is int:
        return value if value in _WRITTEN_INTS else None
    if value.__class__ is dict:
        return {writable(key): writable(item) for key, item in value.items()}
    if value.__class__ is list:
        return [writable(item) for item in value]
    return value


def _is_text(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


# The fast path: msgspec reads a record into Structs made from the same tables (every field
# optional, null as absent, fields not named ignored) and the contact is mapped from their
# attributes, with nothing checked twice. Each Struct is at least as strict as its table (an
# int beyond 64 bits, which orjson reads as a float, is refused; so are HierarchyGroups and
# SegmentAttributes values of other shapes), so a record it reads passes parse's checks too;
# anything it refuses or cannot map goes to parse, whose message it is.
_INT = Annotated[int, msgspec.Meta(ge=_LEAST, le=_MOST)]
_FAST: dict[type, Any] = {str: str, int: _INT}


def _struct(name: str, kinds: Mapping[str, type], inner: Mapping[str, Any]) -> Any:
    """A Struct of the fields of ``kinds``: ``inner`` gives the type of each object or array."""
    return msgspec.defstruct(name, [(field, (inner[field] if field in inner else _FAST[kind])
                                     | None, None) for field, kind in kinds.items()], gc=False)


_Named = _struct("Named", _NAMED, {})
_Endpoint = _struct("Endpoint", _ENDPOINT, {})
_Record = _struct("Record", _TOP, {
    "Queue": _struct("Queue", _QUEUE, {}),
    "Agent": _struct("Agent", _AGENT, {
        "RoutingProfile": _Named, "HierarchyGroups": GenericAlias(dict, (str, _Named | None))}),
    "CustomerEndpoint": _Endpoint, "SystemEndpoint": _Endpoint,
    "TransferredToEndpoint": _Endpoint, "Campaign": _struct("Campaign", _CAMPAIGN, {}),
    "Attributes": dict[str, str], "Tags": dict[str, str],
    "SegmentAttributes": dict[str, dict[str, str]],
    "References": GenericAlias(list, _struct("Reference", _REFERENCE, {})),
    "Recordings": GenericAlias(list, _struct("Recording", _RECORDING, {})),
})
_DECODER = msgspec.json.Decoder(_Record)
# InstanceARN → the scope and instance of its records (immutable, so shared by them).
_places: dict[str, tuple[Scope, Named]] = {}


def parse_json(record: Any) -> ImportedContact:
    """``parse`` for a record as a JSON decoder gives it (of the exact types dict, list, str,
    int, float, bool and None: msgspec would also take their subclasses, parse does not)."""
    try:
        imported = _mapped(msgspec.convert(record, _Record))
    except (msgspec.ValidationError, CtrError):
        return parse(record)
    return imported if _written(imported) else parse(record)


def decode(text: bytes | str) -> Any:
    """The contact one record's JSON describes, read by msgspec straight into Structs; or, when
    the fast path cannot map it, the JSON value orjson reads (``parse`` maps or refuses it as
    it would any record). Raises orjson.JSONDecodeError for what is not JSON, as orjson.loads.
    Its strings need no ``_written``: msgspec refuses a lone surrogate escape, and text made
    with errors="replace" holds none."""
    try:
        return _mapped(_DECODER.decode(text))
    except (msgspec.DecodeError, CtrError, RecursionError, UnicodeError):
        return orjson.loads(text)


def _endpoint_fast(e: Any) -> dict[str, str] | None:
    """An endpoint's document (codec.encode's of parse's Endpoint), or None."""
    if e is None or not e.Address:
        return None
    endpoint = {"type": e.Type or TELEPHONE_NUMBER, "address": e.Address}
    if e.DisplayName is not None:
        endpoint["display_name"] = e.DisplayName
    return endpoint


def _recording_fast(rec: Any) -> dict[str, Any]:
    """A recording's document, its fields in Recording's order, None left out."""
    fields = (("location", rec.Location), ("storage_type", rec.StorageType),
              ("media_stream_type", rec.MediaStreamType),
              ("participant_type", rec.ParticipantType), ("status", rec.Status),
              ("deletion_reason", rec.DeletionReason),
              ("fragment_start", rec.FragmentStartNumber),
              ("fragment_stop", rec.FragmentStopNumber),
              ("start", _time(rec.StartTimestamp, "Recordings.StartTimestamp")),
              ("stop", _time(rec.StopTimestamp, "Recordings.StopTimestamp")))
    return {name: value for name, value in fields if value is not None}


def _mapped(r: Any) -> ImportedContact:
    """parse's mapping, rule for rule, from the Structs of a record read whole, straight to
    the row it stores: the document ``codec.encode`` makes of parse's Contact (its fields in
    the Contact's order, those at their default left out), ``contact_row``'s keys and
    ``contact_facts``' facts, with no Contact made on the way (a third of a record's mapping
    and staging; tests/unit/test_ctr_fast.py holds the two paths to the same bytes). Its
    CtrErrors are never shown: the record goes to parse, which words the first."""
    contact_id = r.ContactId
    if contact_id is None or not is_uuid(contact_id):
        raise CtrError("ContactId")
    instance_arn = r.InstanceARN
    if instance_arn is None:
        raise CtrError("InstanceARN")
    place = _places.get(instance_arn)
    if place is None:
        arn_account, region, instance_id = _instance(instance_arn)
        place = (Scope(arn_account, region), Named(instance_id, instance_arn))
        if len(_places) < 10_000:
            _places[instance_arn] = place
    scope, instance = place
    channel, method = r.Channel, r.InitiationMethod
    if ((r.AWSAccountId or scope.account) != scope.account or channel not in CHANNELS
            or method not in METHODS):
        raise CtrError("AWSAccountId, Channel or InitiationMethod")
    instance_id = instance.id
    initiated = _time(r.InitiationTimestamp, "InitiationTimestamp")
    if initiated is None:
        raise CtrError("InitiationTimestamp")
    disconnected = _time(r.DisconnectTimestamp, "DisconnectTimestamp")
    updated = _time(r.LastUpdateTimestamp, "LastUpdateTimestamp") or disconnected or initiated
    initial_id = r.InitialContactId
    association = r.ContactAssociationId or initial_id or contact_id

    doc: dict[str, Any] = {
        "id": contact_id, "arn": f"{instance_arn}/contact/{contact_id}",
        "instance_id": instance_id, "channel": channel, "initiation_method": method,
        "initiation_timestamp": initiated, "last_update_timestamp": updated}
    if initial_id is not None:
        doc["initial_contact_id"] = initial_id
    if (value := r.PreviousContactId) is not None:
        doc["previous_contact_id"] = value
    if (value := r.RelatedContactId) is not None:
        doc["related_contact_id"] = value
    doc["contact_association_id"] = association
    if (value := r.Name) is not None:
        doc["name"] = value
    if (value := r.Description) is not None:
        doc["description"] = value
    if disconnected is not None:
        doc["disconnect_timestamp"] = disconnected
    if (value := r.DisconnectReason) is not None:
        doc["disconnect_reason"] = value
    if (value := _time(r.ScheduledTimestamp, "ScheduledTimestamp")) is not None:
        doc["scheduled_timestamp"] = value
    if (value := _time(r.ConnectedToSystemTimestamp, "ConnectedToSystemTimestamp")) is not None:
        doc["connected_to_system_timestamp"] = value

    queue = queue_id = enqueued = None
    q = r.Queue
    if q is not None and q.ARN:
        queue_id = _tail(q.ARN, "Queue.ARN", "queue")
        queue = Named(queue_id, q.ARN, q.Name)
        enqueued = _time(q.EnqueueTimestamp, "Queue.EnqueueTimestamp") or initiated
        doc["queue"] = {"queue_id": queue_id, "enqueue_timestamp": enqueued}

    agent = routing = agent_id = connected = work = hold = None
    a = r.Agent
    if a is not None and a.ARN:
        agent_id = _tail(a.ARN, "Agent.ARN", "agent")
        agent = Named(agent_id, a.ARN, a.Username)
        profile = a.RoutingProfile
        if profile is not None and profile.ARN:
            routing = Named(_tail(profile.ARN, "Agent.RoutingProfile.ARN", "routing-profile"),
                            profile.ARN, profile.Name)
        held: dict[str, Any] = {"agent_id": agent_id}
        connected = _time(a.ConnectedToAgentTimestamp, "Agent.ConnectedToAgentTimestamp")
        if connected is not None:
            held["connected_to_agent_timestamp"] = connected
        if (value := _time(a.AcceptedByAgentTimestamp,
                           "Agent.AcceptedByAgentTimestamp")) is not None:
            held["accepted_by_agent_timestamp"] = value
        groups = {level: group.ARN for level, group in (a.HierarchyGroups or _NOTHING).items()
                  if level in _LEVELS and group is not None and group.ARN}
        if groups:
            held["hierarchy_groups"] = groups
        if (value := _time(a.AfterContactWorkStartTimestamp,
                           "Agent.AfterContactWorkStartTimestamp")) is not None:
            held["after_contact_work_start"] = value
        if (value := _time(a.AfterContactWorkEndTimestamp,
                           "Agent.AfterContactWorkEndTimestamp")) is not None:
            held["after_contact_work_end"] = value
        work = a.AfterContactWorkDuration
        if work is not None:
            held["after_contact_work_seconds"] = work
        hold = a.CustomerHoldDuration or None
        if hold is not None:
            held["hold_seconds"] = hold
        if a.NumberOfHolds:
            held["hold_count"] = a.NumberOfHolds
        if value := a.LongestHoldDuration:
            held["longest_hold_seconds"] = value
        doc["agent"] = held

    if (value := _endpoint_fast(r.CustomerEndpoint)) is not None:
        doc["customer_endpoint"] = value
    if (value := _endpoint_fast(r.SystemEndpoint)) is not None:
        doc["system_endpoint"] = value
    if (value := r.CustomerId) is not None:
        doc["customer_id"] = value
    if r.References:
        references = {}
        for ref in r.References:
            if ref.Name and ref.Type:
                reference = {"type": ref.Type}
                if ref.Value is not None:
                    reference["value"] = ref.Value
                if ref.Status is not None:
                    reference["status"] = ref.Status
                references[ref.Name] = reference
        if references:
            doc["references"] = references
    if value := r.SegmentAttributes:
        doc["segment_attributes"] = value
    if value := r.Tags:
        doc["tags"] = value
    next_id = r.NextContactId
    if next_id:
        doc["next_contacts"] = [{"contact_id": next_id}]
    campaign = r.Campaign
    if campaign is not None and campaign.CampaignId is not None:
        doc["campaign_id"] = campaign.CampaignId
    if r.Recordings:
        doc["recordings"] = [_recording_fast(rec) for rec in r.Recordings]
    if (value := r.AnsweringMachineDetectionStatus) is not None:
        doc["answering_machine_detection_status"] = value
    if value := r.AgentConnectionAttempts:
        doc["agent_connection_attempts"] = value
    if (value := _endpoint_fast(r.TransferredToEndpoint)) is not None:
        doc["transferred_to_endpoint"] = value
    if (value := _time(r.TransferCompletedTimestamp, "TransferCompletedTimestamp")) is not None:
        doc["transfer_completed_timestamp"] = value

    try:
        document = orjson.dumps(doc)
    except TypeError:  # a lone surrogate (in a record json's reader read): parse names it
        raise CtrError("unwritable") from None
    at = initiated.timestamp()
    row = ContactRow(instance_id, contact_id, at, association, initial_id or contact_id,
                     updated.timestamp(), None, document)
    facts = (instance_id, contact_id, at, channel, method, queue_id,
             to_ms(enqueued), agent_id, to_ms(connected), to_ms(disconnected), work,
             hold, bool(next_id))
    return ImportedContact(scope, instance, initiated, Staged(row, r.Attributes, facts),
                           queue, agent, routing)


# ----------------------------------------------------------------------------- contact → CTR


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    """Whole seconds from ``start`` to ``end`` (never negative), or None without both."""
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds()))


# The media a contact of each channel carries (the data model's MediaStreams: AUDIO, VIDEO,
# CHAT); tasks and emails stream none.
_MEDIA = {"VOICE": [{"Type": "AUDIO"}], "CHAT": [{"Type": "CHAT"}]}


def _queue(contact: Contact, queue: Named | None) -> dict[str, Any] | None:
    """The CTR's Queue: the contact leaves the queue when an agent connects, or when it
    disconnects (abandoned, or transferred on) without one; Duration is the time between."""
    if contact.queue is None:
        return None
    enqueued = contact.queue.enqueue_timestamp
    a = contact.agent
    left = (a.connected_to_agent_timestamp if a and a.connected_to_agent_timestamp
            else contact.disconnect_timestamp)
    if left is not None and left < enqueued:  # an outbound call is queued as it connects
        left = enqueued
    return {
        "ARN": queue.arn if queue else None,
        "Name": queue.name if queue else None,
        "EnqueueTimestamp": _iso(enqueued),
        "DequeueTimestamp": _iso(left),
        "Duration": _seconds(enqueued, left),
    }


def _agent(contact: Contact, instance_arn: str, agent: Named | None,
           routing_profile: Named | None) -> dict[str, Any] | None:
    a = contact.agent
    if a is None:
        return None
    held = a.hold_seconds or 0
    holds = a.hold_count or (1 if held else 0)  # a hold total stored before holds were counted
    # AgentInteractionDuration: connected to the agent until the agent's part ends (after
    # contact work starts, or the contact disconnects), less the time on hold; in the shared
    # sample 17:20:32 → 17:28:12 less 221 s on hold is its 239.
    talked = _seconds(a.connected_to_agent_timestamp,
                      a.after_contact_work_start or contact.disconnect_timestamp)
    return {
        "ARN": agent.arn if agent else f"{instance_arn}/agent/{a.agent_id}",
        "Username": agent.name if agent else None,
        "RoutingProfile": ({"ARN": routing_profile.arn, "Name": routing_profile.name}
                           if routing_profile else None),
        "ConnectedToAgentTimestamp": _iso(a.connected_to_agent_timestamp),
        "AcceptedByAgentTimestamp": _iso(a.accepted_by_agent_timestamp),
        "AgentInteractionDuration": max(0, talked - held) if talked is not None else 0,
        "CustomerHoldDuration": held,
        "LongestHoldDuration": a.longest_hold_seconds or (held if holds == 1 else 0),
        "NumberOfHolds": holds,
        "AfterContactWorkStartTimestamp": _iso(a.after_contact_work_start),
        "AfterContactWorkEndTimestamp": _iso(a.after_contact_work_end),
        "AfterContactWorkDuration": a.after_contact_work_seconds,
        "HierarchyGroups": {level: ({"ARN": a.hierarchy_groups[level], "GroupName": None}
                                    if level in a.hierarchy_groups else None)
                            for level in LEVELS} if a.hierarchy_groups else None,
    }


def _recording(r: Recording) -> dict[str, Any]:
    return {
        "Location": r.location, "StorageType": r.storage_type,
        "MediaStreamType": r.media_stream_type, "ParticipantType": r.participant_type,
        "Status": r.status, "DeletionReason": r.deletion_reason,
        "FragmentStartNumber": r.fragment_start, "FragmentStopNumber": r.fragment_stop,
        "StartTimestamp": _iso(r.start), "StopTimestamp": _iso(r.stop),
    }


def _endpoint_of(e: Endpoint | None) -> dict[str, Any] | None:
    return {"Type": e.type, "Address": e.address} if e else None


def record(contact: Contact, attributes: dict[str, str], account: str,
           queue: Named | None = None, agent: Named | None = None,
           routing_profile: Named | None = None) -> dict[str, Any]:
    """The CTR Amazon Connect would stream for this contact: every field of the contact
    records data model that a real record carries (the shared samples), null, 0 or empty
    where the contact has nothing. ``routing_profile`` is the agent's."""
    instance_arn = contact.arn.rsplit("/contact/", 1)[0]
    first = contact.recordings[0] if contact.recordings else None
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
        "CustomerEndpoint": _endpoint_of(contact.customer_endpoint),
        "SystemEndpoint": _endpoint_of(contact.system_endpoint),
        "TransferredToEndpoint": _endpoint_of(contact.transferred_to_endpoint),
        "TransferCompletedTimestamp": _iso(contact.transfer_completed_timestamp),
        "AgentConnectionAttempts": contact.agent_connection_attempts,
        "Queue": _queue(contact, queue),
        "Agent": _agent(contact, instance_arn, agent, routing_profile),
        "Attributes": attributes,
        "ContactDetails": {},
        "MediaStreams": _MEDIA.get(contact.channel, []),
        "References": [{"Name": name, "Type": r.type, "Value": r.value, "Status": r.status}
                       for name, r in contact.references.items()],
        "SegmentAttributes": contact.segment_attributes or None,
        "Tags": contact.tags or None,
        "Campaign": {"CampaignId": contact.campaign_id},
        "AnsweringMachineDetectionStatus": contact.answering_machine_detection_status,
        # Recording is the older, single-recording form the data model keeps beside
        # Recordings: the first recording's location and status.
        "Recording": {"Type": first.media_stream_type, "Location": first.location,
                      "Status": first.status, "DeletionReason": first.deletion_reason}
                     if first else None,
        "Recordings": [_recording(r) for r in contact.recordings] or None,
        "VoiceIdResult": None,
    }
