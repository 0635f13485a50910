"""A CTR is mapped or refused with CtrError, whatever JSON it is: a bad record never stops an
import with another exception."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectlocal import ctr, views
from connectlocal.ctr import CtrError, decode, parse, parse_contact
from connectlocal.protocol.validator import Validator
from connectlocal.spec import service_model

ARN = "arn:aws:connect:us-east-1:123456789012:instance/0f0e0d0c-0b0a-4908-8706-050403020100"
VALID = {"ContactId": "11111111-1111-4111-8111-111111111111", "InstanceARN": ARN,
         "Channel": "VOICE", "InitiationMethod": "INBOUND",
         "InitiationTimestamp": "2026-01-01T00:00:00Z"}
FIELDS = ["ContactId", "InstanceARN", "AWSAccountId", "Channel", "InitiationMethod",
          "InitiationTimestamp", "DisconnectTimestamp", "LastUpdateTimestamp", "Queue", "Agent",
          "Attributes", "References", "Recordings", "CustomerEndpoint", "Tags", "Campaign",
          "NextContactId", "SegmentAttributes", "ScheduledTimestamp", "Name"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["2026-01-01T00:00:00Z", ARN + "/queue/q", ARN + "/agent/a", "ARN"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["ARN", "Name", "Type", "Value", "Address", "Level1", "CampaignId",
                         "EnqueueTimestamp", "Location", "HierarchyGroups", "RoutingProfile",
                         "ConnectedToAgentTimestamp", "StartTimestamp", "AfterContactWorkDuration",
                         "x"]), inner, max_size=4),
    max_leaves=10)


CONTACT_SHAPE = Validator().check_for(service_model().shape_for("Contact"))


def _nested(arn: str, keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with a valid ARN and any values under the keys a CTR gives it."""
    return st.fixed_dictionaries({"ARN": st.just(arn)},
                                 optional={k: json_values for k in keys})


# The fields a record is refused for (ContactId, InstanceARN, Channel, ...) are left valid
# here, so that most examples are mapped and what they map to is checked.
OPTIONAL = [f for f in FIELDS if f not in ("ContactId", "InstanceARN", "AWSAccountId", "Channel",
                                           "InitiationMethod", "InitiationTimestamp")]
records = st.fixed_dictionaries({}, optional={
    **{field: json_values for field in OPTIONAL},
    "Queue": _nested(ARN + "/queue/q", ["Name", "EnqueueTimestamp"]),
    "Agent": _nested(ARN + "/agent/a", [
        "Username", "ConnectedToAgentTimestamp", "AcceptedByAgentTimestamp",
        "AfterContactWorkDuration", "AfterContactWorkStartTimestamp", "HierarchyGroups",
        "RoutingProfile"]),
    "CustomerEndpoint": st.fixed_dictionaries({}, optional={
        k: json_values for k in ("Type", "Address", "DisplayName")}),
    "Recordings": st.lists(st.fixed_dictionaries({}, optional={
        k: json_values for k in ("Location", "Status", "StartTimestamp")}), max_size=2),
    "References": st.lists(st.fixed_dictionaries({}, optional={
        k: json_values for k in ("Name", "Type", "Value")}), max_size=2),
})


@settings(max_examples=500, deadline=None)
@given(records)
def test_any_record_is_mapped_or_refused(changes: dict[str, Any]) -> None:
    try:
        imported, contact = parse_contact({**VALID, **changes})
    except CtrError:
        return
    # What was mapped is a Contact of the model's types: nothing of the wrong type leaks out.
    problems: list[str] = []
    CONTACT_SHAPE(views.contact(contact, imported.staged.attributes or {}), "", problems)
    assert not [p for p in problems if "must be" in p and "length" not in p
                and "pattern" not in p and "enum" not in p], problems
    assert imported.queue is None or isinstance(imported.queue.name, str | None)
    assert imported.agent is None or isinstance(imported.agent.name, str | None)


@given(json_values)
def test_anything_that_is_not_an_object_is_refused(value: Any) -> None:
    if isinstance(value, dict):
        return
    try:
        parse(value)
    except CtrError as error:
        assert "JSON object" in str(error)


@pytest.mark.parametrize(("change", "message"), [
    ({"Queue": {"ARN": ARN + "/queue/q", "Name": 5}}, "Queue.Name must be a string, not a number"),
    ({"Agent": {"ARN": ARN + "/agent/a", "HierarchyGroups": "x"}},
     "Agent.HierarchyGroups must be an object, not a string"),
    ({"Agent": {"ARN": ARN + "/agent/a", "AfterContactWorkDuration": "5"}},
     "Agent.AfterContactWorkDuration must be a number, not a string"),
    ({"References": [{"Name": "n", "Type": "URL", "Value": 5}]},
     "References[0].Value must be a string, not a number"),
    ({"Recordings": [{"Location": 5}]}, "Recordings[0].Location must be a string, not a number"),
    ({"SegmentAttributes": {"a": "b"}}, 'SegmentAttributes.a must be an object like'),
    ({"Attributes": {"a": 1}}, "Attributes.a must be a string, not a number"),
    ({"ContactId": "not-a-uuid"}, "ContactId 'not-a-uuid' is not a contact id (a UUID)"),
    ({"AWSAccountId": "210987654321"}, "AWSAccountId 210987654321 is not the account of"),
    ({"Queue": {"ARN": ARN + "/agent/q"}}, "Queue.ARN is not a queue ARN"),
])
def test_nested_values_of_the_wrong_type_are_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(CtrError) as refused:
        parse({**VALID, **change})
    assert message in str(refused.value)


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_timestamp_an_offset_moves_out_of_the_calendar_is_named(stamp: str) -> None:
    with pytest.raises(CtrError, match="InitiationTimestamp is outside the years 1 to 9999 in UTC"):
        ctr._time(stamp, "InitiationTimestamp")


@pytest.mark.parametrize(("change", "message"), [
    # $ would take a final newline, \d any script's digits (٠-٩ here): both are refused.
    ({"ContactId": VALID["ContactId"] + "\n"}, r"is not a contact id \(a UUID\)"),
    ({"InstanceARN": ARN + "\n"}, "is not an Amazon Connect instance ARN"),
    ({"InstanceARN": ARN.replace("123456789012", "١٢٣٤٥٦٧٨٩٠١٢")},
     "is not an Amazon Connect instance ARN"),
])
def test_ids_are_matched_whole_and_in_ascii(change: dict[str, Any], message: str) -> None:
    with pytest.raises(CtrError, match=message):
        parse({**VALID, **change})
    assert decode(orjson.dumps({**VALID, **change})).__class__ is dict  # the fast path too
