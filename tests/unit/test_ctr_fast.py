"""The CTR import's fast path (msgspec into Structs: ``ctr.decode``, ``ctr.parse_json``)
gives what the checked path (``ctr.parse``) gives: the same contact, or the same problem at the
same position, for records valid and subtly not (wrong types, nulls, bad timestamps, offsets,
floats, integers past 64 bits, duplicate keys, fields no mapping reads)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import orjson
from hypothesis import example, given, settings
from hypothesis import strategies as st

from connectlocal.ctr import CtrError, ImportedContact, _time, decode, parse, parse_json
from connectlocal.ctrfiles import Problem, records

ARN = "arn:aws:connect:us-east-1:123456789012:instance/0f0e0d0c-0b0a-4908-8706-050403020100"
IDS = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"]
# Strings fromisoformat reads and the odd ones it may or may not: the fast path must agree.
STAMPS = ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.123Z", "2026-01-01T00:00:00",
          "2026-01-01T10:00:00.123456+05:30", "2026-01-01T00:00:00.999999-08:00", "2026-01-01",
          "20260101T000000Z", "2026-01-01 00:00:00+00:00", "2026-01-01T00:00:00+0100"]
ODD_STAMPS = ["2026-01-01T00:00:00.1234567Z", "2026-01-01t00:00:00z", "2026-01-01T24:00:00Z",
              "2026-01-01T23:59:60Z", "2026-13-01T00:00:00Z", "2026-W01-1", "", "yesterday",
              "2026-01-01T00:00:00+01:00:30", "2026-01-01T00:00:00.5+01:00:30.25"]
offsets = st.timedeltas(min_value=timedelta(hours=-23, minutes=-59),
                        max_value=timedelta(hours=23, minutes=59)).map(
    lambda d: timezone(timedelta(minutes=d // timedelta(minutes=1))))
instants = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 30),
                        timezones=st.none() | st.just(UTC) | offsets)
stamps = st.sampled_from(STAMPS) | instants.map(lambda d: d.isoformat()) | instants.map(
    lambda d: d.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.sampled_from([2**63, -2**63])
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6)
    | st.sampled_from(ODD_STAMPS),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["ARN", "Name", "Type", "Address", "ValueString", "x"]), inner,
        max_size=3),
    max_leaves=6)
strings = st.text(max_size=6) | st.sampled_from(["", "x", "é", ARN + "/queue/q"])


def _object(fields: dict[str, st.SearchStrategy[Any]],
            required: tuple[str, ...] = ()) -> st.SearchStrategy[dict[str, Any]]:
    extra = {"Extra": json_values, "GroupName": strings}
    return st.fixed_dictionaries({name: fields[name] for name in required}, optional={
        **{name: st.none() | value for name, value in fields.items() if name not in required},
        **extra})


def _arn(kind: str) -> st.SearchStrategy[str]:
    return st.sampled_from([f"{ARN}/{kind}/{IDS[0]}", f"{ARN}/{kind}/{IDS[1]}", "",
                            f"{ARN}/queue/agent/{IDS[0]}"])


# A record of fields of their kinds (null included), then a few values replaced by others.
# orjson reads an integer past 64 bits as a float (refused: "must be a whole number").
counts = st.none() | st.integers(0, 400) | st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64,
                                                         -2**63, -2**63 - 1, 10**30])
named = {"ARN": _arn("agent-group"), "Name": strings}
endpoint = _object({"Type": st.sampled_from(["TELEPHONE_NUMBER", "EMAIL", ""]),
                    "Address": st.sampled_from(["+15555550100", ""]), "DisplayName": strings})
recording = {name: strings for name in (
    "Location", "StorageType", "MediaStreamType", "ParticipantType", "Status", "DeletionReason",
    "FragmentStartNumber", "FragmentStopNumber")}
agent = {"ARN": _arn("agent"), "Username": strings,
         **{name: stamps for name in (
             "ConnectedToAgentTimestamp", "AcceptedByAgentTimestamp",
             "AfterContactWorkStartTimestamp", "AfterContactWorkEndTimestamp")},
         **{name: counts for name in ("AfterContactWorkDuration", "CustomerHoldDuration",
                                      "NumberOfHolds", "LongestHoldDuration")},
         "RoutingProfile": _object({"ARN": _arn("routing-profile"), "Name": strings}),
         # The levels in any order, which the contact keeps.
         "HierarchyGroups": st.permutations(["Level1", "Level2", "Level3", "Level6"]).flatmap(
             lambda levels: _object({level: st.none() | _object(named, ("ARN",))
                                     for level in levels}, tuple(levels[:2])))}
top = {
    "AWSAccountId": st.sampled_from(["123456789012", ""]),
    **{name: stamps for name in (
        "DisconnectTimestamp", "LastUpdateTimestamp", "ScheduledTimestamp",
        "ConnectedToSystemTimestamp", "TransferCompletedTimestamp")},
    **{name: st.sampled_from([*IDS, ""]) for name in (
        "InitialContactId", "PreviousContactId", "RelatedContactId", "ContactAssociationId",
        "NextContactId")},
    **{name: strings for name in ("Name", "Description", "DisconnectReason", "CustomerId",
                                  "AnsweringMachineDetectionStatus")},
    "Queue": _object({"ARN": _arn("queue"), "Name": strings, "EnqueueTimestamp": stamps},
                     ("ARN",)),
    "Agent": _object(agent, ("ARN", "HierarchyGroups")),
    **{name: endpoint for name in ("CustomerEndpoint", "SystemEndpoint",
                                   "TransferredToEndpoint")},
    "Campaign": _object({"CampaignId": strings}),
    "Attributes": st.dictionaries(strings, strings, max_size=3),
    "Tags": st.dictionaries(strings, strings, max_size=2),
    "SegmentAttributes": st.dictionaries(strings, _object({"ValueString": strings}), max_size=2),
    "References": st.lists(_object({name: strings for name in (
        "Name", "Type", "Value", "Status")}), max_size=3),
    "Recordings": st.lists(_object({**recording, "StartTimestamp": stamps,
                                    "StopTimestamp": stamps}), max_size=2),
    "AgentConnectionAttempts": counts,
    "MediaStreams": json_values,
}
valid = st.fixed_dictionaries({
    "ContactId": st.sampled_from(IDS), "InstanceARN": st.just(ARN),
    "Channel": st.sampled_from(["VOICE", "CHAT", "TASK", "EMAIL"]),
    "InitiationMethod": st.sampled_from(["INBOUND", "OUTBOUND", "TRANSFER", "API"]),
    "InitiationTimestamp": stamps, "Agent": top["Agent"],
}, optional={name: st.none() | value for name, value in top.items() if name != "Agent"})
PATHS = [(name,) for name in ["ContactId", "InstanceARN", "Channel", "InitiationMethod",
                              "InitiationTimestamp", *top]]
PATHS += [(name, field) for name, fields in (
    ("Queue", ["ARN", "Name", "EnqueueTimestamp"]), ("Agent", list(agent)),
    ("CustomerEndpoint", ["Type", "Address", "DisplayName"]), ("Campaign", ["CampaignId"]),
    ("Attributes", ["a"]), ("Tags", ["a"]), ("SegmentAttributes", ["a"])) for field in fields]
PATHS += [("Agent", "RoutingProfile", "ARN"), ("Agent", "RoutingProfile", "Name"),
          ("Agent", "HierarchyGroups", "Level1"), ("Agent", "HierarchyGroups", "Level1", "ARN"),
          ("Agent", "HierarchyGroups", "Level1", "Name"), ("Agent", "HierarchyGroups", "Other"),
          ("SegmentAttributes", "a", "ValueString"), ("SegmentAttributes", "a", "ValueInteger"),
          ("References", 0), ("References", 0, "Name"), ("References", 0, "Value"),
          ("Recordings", 0), ("Recordings", 0, "Location"), ("Recordings", 0, "StopTimestamp")]
others = (st.sampled_from([2**63 - 1, 2**63, 2**64, -1, 1.0, 1.5, True, "5", "", "x", "voice",
                           "not-a-uuid", IDS[0].upper(), ARN.replace("1234", "4321"), [], {}])
          | st.sampled_from(ODD_STAMPS) | stamps | json_values)


def _replaced(record: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """``record`` with the value at ``path`` replaced (objects and arrays made on the way)."""
    inner: Any = record
    for step, following in pairwise(path):
        made = [{}] if isinstance(following, int) else {}
        if isinstance(step, int):
            inner[step] = inner[step] if isinstance(inner[step], type(made)) else made
        elif not isinstance(inner.get(step), type(made)) or not inner[step]:
            inner[step] = made
        inner = inner[step]
    inner[path[-1]] = value
    return record


def _changed(record: dict[str, Any], changes: list[tuple[tuple[str | int, ...], Any]],
             ) -> dict[str, Any]:
    for path, value in changes:
        record = _replaced(record, path, value)
    return record


ctrs = st.builds(_changed, valid, st.lists(st.tuples(st.sampled_from(PATHS), others),
                                           max_size=2))
# Text no dict holds: a key twice (orjson keeps the last), numbers orjson refuses (past a
# double) where no mapping reads, lone surrogates, and lines that are no object.
RAW = ['"ContactId": 5, ', '"Queue": {"ARN": 5}, ', '"Tags": {"a": "b", "a": 1}, ',
       '"MediaStreams": 1e400, ', '"MediaStreams": 123456789012345678901234567890, ',
       '"MediaStreams": "\\ud800", ', '"Name": "\\ud83d\\ude00", ', '"Name": "\\u00e9\\/", ',
       '"MediaStreams": [[[[[[[[[[]]]]]]]]]], ', '"AgentConnectionAttempts": 1e2, ',
       '"AgentConnectionAttempts": 18446744073709551615, ', '"Name": "\xe9", ',
       # Lone surrogates where the contact keeps them: only json's reader reads them.
       '"Name": "a\\ud800", ', '"Attributes": {"\\udc00": "x"}, ',
       '"SegmentAttributes": {"a": {"ValueString": "\\ud800"}}, ']


def _outcome(result: Any) -> str:
    return repr(result) if isinstance(result, ImportedContact) else f"refused: {result}"


def _checked(item: Any) -> str:
    try:
        return _outcome(parse(item))
    except CtrError as error:
        return _outcome(error)


def _fast(item: Any) -> str:
    try:
        return _outcome(item if isinstance(item, ImportedContact)
                        else parse_json(item))
    except CtrError as error:
        return _outcome(error)


def _file(data: bytes, fast: bool) -> list[tuple[str, str]]:
    """What an import makes of each record of a file: its position and contact or problem."""
    return [(position, item.message if isinstance(item, Problem)
             else _fast(item) if fast else _checked(item))
            for position, item in (records(data, "f", decode) if fast else records(data, "f"))]


def _text(record: Any, raw: str | None) -> str:
    text = json.dumps(record)
    if raw and text.startswith("{") and text != "{}":
        text = "{" + raw + text[1:]
    return text


@settings(max_examples=800, deadline=None)
@given(st.lists(st.tuples(ctrs, st.none() | st.sampled_from(RAW)), min_size=1, max_size=3))
@example([({"ContactId": IDS[0], "InstanceARN": ARN, "Channel": "VOICE",
            "InitiationMethod": "INBOUND", "InitiationTimestamp": "2026-01-01T00:00:00Z",
            "Agent": {"ARN": f"{ARN}/agent/{IDS[0]}", "NumberOfHolds": 2**63 + 5}}, None)])
def test_the_fast_path_reads_a_file_as_the_checked_path_does(
        lines: list[tuple[dict[str, Any], str | None]]) -> None:
    data = "\n".join(_text(record, raw) for record, raw in lines).encode()
    assert _file(data, fast=True) == _file(data, fast=False)


@settings(max_examples=500, deadline=None)
@given(ctrs)
def test_parse_maps_a_decoded_record_as_the_checked_path_does(record: dict[str, Any]) -> None:
    item = orjson.loads(json.dumps(record))  # as a file's array or the admin endpoint gives it
    assert _fast(item) == _checked(item)
    assert _fast(record) == _checked(record)  # Python's own ints past 64 bits, too


@given(st.sampled_from(["[1]", "5", "null", '"x"', "[]", "{}", '{"ContactId": null}']))
def test_what_is_no_object_is_refused_alike(text: str) -> None:
    assert _file(text.encode(), fast=True) == _file(text.encode(), fast=False)


@given(instants)
@example(datetime(2026, 1, 1, 0, 0, 0, 1))
@example(datetime(2026, 1, 1, 0, 0, 0, 999_999, UTC))
@example(datetime(2026, 1, 1, 0, 0, 0, 1_001, timezone(timedelta(hours=-8))))
def test_time_is_the_instant_in_utc_truncated_to_the_millisecond(instant: datetime) -> None:
    for text in (instant.isoformat(), instant.isoformat(timespec="milliseconds")):
        stamp = datetime.fromisoformat(text)
        stamp = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
        expected = stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)
        got = _time(text, "T")
        assert got is not None and repr(got) == repr(expected) and got.fold == expected.fold
