"""Inputs an SDK can put on the wire that once answered 500 (issue 14): nulls inside maps and
lists, nesting deeper than any real payload, integers beyond the model's range. Each is now the
operation's own validation error, and nothing of it is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore import xform_name

from ..conftest import client_for
from ..errors import expect_error
from ..serverproc import ServerProcess

NOT_NULL = "failed to satisfy constraint: Member must not be null"


@pytest.fixture
def raw(server: ServerProcess) -> Any:
    """A client without botocore's own validation: it sends what botocore would refuse."""
    return client_for(server.url, parameter_validation=False)


def send(client: Any, operation: str, params: dict[str, Any], body: dict[str, Any]) -> Any:
    """Calls ``operation`` through ``client`` with its JSON body replaced by ``body``: what
    botocore's serializer cannot write (a null where a structure goes) or would recurse on."""

    def replace(request: Any, **_: Any) -> None:
        request.data = json.dumps(body).encode()

    event = f"before-sign.connect.{operation}"
    client.meta.events.register(event, replace)
    try:
        return getattr(client, xform_name(operation))(**params)
    finally:
        client.meta.events.unregister(event, replace)


def _contact_count(client: Any, instance: Any) -> int:
    found = client.search_contacts(
        InstanceId=instance["id"], TimeRange={"Type": "INITIATION_TIMESTAMP",
                                              "StartTime": "2021-11-12T00:00:00Z",
                                              "EndTime": "2099-01-01T00:00:00Z"})
    return int(found["TotalCount"])


@pytest.fixture
def task(connect: Any, instance: Any) -> str:
    contact_id: str = connect.start_task_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        Name="t")["ContactId"]
    return contact_id


def _null_cases(instance: Any, task: str) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(operation, the whole JSON body, the member whose value is null)."""
    flow = instance["flows"]["Default inbound"]
    queue = instance["queues"]["BasicQueue"]
    task_body = {"InstanceId": instance["id"], "ContactFlowId": flow, "Name": "n"}
    voice = {"InstanceId": instance["id"], "ContactFlowId": flow, "QueueId": queue,
             "DestinationPhoneNumber": "+15555550100"}
    chat = {"InstanceId": instance["id"], "ContactFlowId": flow,
            "ParticipantDetails": {"DisplayName": "c"}}
    create = {"InstanceId": instance["id"], "Channel": "TASK", "InitiationMethod": "API"}
    for member in ("Attributes", "References", "SegmentAttributes"):
        yield "StartTaskContact", {**task_body, member: {"k": None}}, f"{member}.k"
    yield "StartChatContact", {**chat, "Attributes": {"k": None}}, "Attributes.k"
    yield "StartChatContact", {**chat, "SegmentAttributes": {"k": None}}, "SegmentAttributes.k"
    for member in ("Attributes", "References"):
        yield "StartOutboundVoiceContact", {**voice, member: {"k": None}}, f"{member}.k"
    for member in ("Attributes", "References", "SegmentAttributes"):
        yield "CreateContact", {**create, member: {"k": None}}, f"{member}.k"
    yield ("StartTaskContact",
           {**task_body, "SegmentAttributes": {"connect:x": {"ValueList": [None]}}},
           "SegmentAttributes.connect:x.ValueList[0]")
    yield ("StartTaskContact", {**task_body, "SegmentAttributes": {
        "connect:x": {"ValueMap": {"a": {"ValueString": "v"}, "b": None}}}},
        "SegmentAttributes.connect:x.ValueMap.b")


def test_a_null_map_or_list_value_is_refused_and_not_stored(
        raw: Any, connect: Any, instance: Any, task: str) -> None:
    before = _contact_count(connect, instance)
    for operation, body, where in _null_cases(instance, task):
        params = {k: v for k, v in body.items() if not isinstance(v, dict)}
        if operation == "StartChatContact":
            params["ParticipantDetails"] = {"DisplayName": "c"}
        response = expect_error(lambda **p: send(raw, operation, p, body),  # noqa: B023
                                "InvalidParameterException", 400,
                                f"Value null at '{where}' {NOT_NULL}", **params)
        assert response["Error"]["Message"] == (
            f"1 validation error detected: Value null at '{where}' {NOT_NULL}"), operation
    assert _contact_count(connect, instance) == before  # nothing was stored


def test_null_attribute_reference_and_tag_values_on_a_contact(
        raw: Any, connect: Any, instance: Any, task: str) -> None:
    ids = {"InstanceId": instance["id"]}
    expect_error(raw.update_contact_attributes, "InvalidParameterException", 400,
                 f"Value null at 'Attributes.k' {NOT_NULL}",
                 **ids, InitialContactId=task, Attributes={"k": None})
    expect_error(lambda **p: send(raw, "UpdateContact", p, {"References": {"k": None}}),
                 "InvalidParameterException", 400,
                 f"Value null at 'References.k' {NOT_NULL}", **ids, ContactId=task)
    expect_error(raw.tag_contact, "InvalidParameterException", 400,
                 f"Value null at 'Tags.k' {NOT_NULL}", **ids, ContactId=task,
                 Tags={"k": None, "ok": "v"})
    expect_error(raw.tag_resource, "InvalidParameterException", 400,
                 f"Value null at 'tags.k' {NOT_NULL}", resourceArn=instance["arn"],
                 tags={"k": None})
    contact = connect.describe_contact(**ids, ContactId=task)["Contact"]
    assert "Tags" not in contact and "References" not in contact
    assert connect.get_contact_attributes(**ids, InitialContactId=task)["Attributes"] == {}
    assert connect.list_tags_for_resource(resourceArn=instance["arn"])["tags"] == {}


def _nested(levels: int, kind: str) -> dict[str, Any]:
    value: dict[str, Any] = {"ValueString": "leaf"}
    for _ in range(levels):
        value = {"ValueMap": {"a": value}} if kind == "map" else {"ValueList": [value]}
    return value


@pytest.mark.parametrize("levels", [16, 126, 300])
@pytest.mark.parametrize("kind", ["map", "list"])
def test_deep_segment_attributes_are_refused_naming_the_member(
        raw: Any, connect: Any, instance: Any, levels: int, kind: str) -> None:
    before = _contact_count(connect, instance)
    body = {"InstanceId": instance["id"], "ContactFlowId": instance["flows"]["Default inbound"],
            "Name": "deep", "SegmentAttributes": {"connect:x": _nested(levels, kind)}}
    params = {"InstanceId": instance["id"], "Name": "deep"}
    # The member at level 33 is named: SegmentAttributes is level 1, its value 2, and each
    # ValueMap (or ValueList) and the structure in it two more.
    member, step = ("ValueMap", ".a") if kind == "map" else ("ValueList", "[0]")
    where = "SegmentAttributes.connect:x" + f".{member}{step}" * 15 + f".{member}"
    response = expect_error(lambda **p: send(raw, "StartTaskContact", p, body),
                            "InvalidParameterException", 400,
                            f"Value at '{where}' failed to satisfy constraint: Member must "
                            "not nest lists, maps and structures more than 32 levels deep",
                            **params)
    assert response["Error"]["Message"].startswith("1 validation error detected: ")
    assert _contact_count(connect, instance) == before


def test_a_realistic_nesting_is_stored_and_read_back(connect: Any, instance: Any) -> None:
    attributes = {"connect:x": _nested(15, "map")}  # 32 levels: the most that is taken
    contact_id = connect.start_task_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        Name="nested", SegmentAttributes=attributes)["ContactId"]
    contact = connect.describe_contact(InstanceId=instance["id"], ContactId=contact_id)
    assert contact["Contact"]["SegmentAttributes"] == attributes
    assert _contact_count(connect, instance) >= 1


def test_deep_routing_expressions_are_refused(raw: Any, instance: Any, task: str) -> None:
    expression: dict[str, Any] = {"AttributeCondition": {"Name": "n", "Value": "v"}}
    for _ in range(40):
        expression = {"AndExpression": [expression]}
    body = {"RoutingCriteria": {"Steps": [{"Expression": expression}]}}
    expect_error(lambda **p: send(raw, "UpdateContactRoutingData", p, body),
                 "InvalidParameterException", 400,
                 "Value at 'RoutingCriteria.Steps[0].Expression" + ".AndExpression[0]" * 14,
                 InstanceId=instance["id"], ContactId=task)


INT32_MAX, INT64_MAX = 2**31 - 1, 2**63 - 1


def test_integers_beyond_the_model_are_refused(raw: Any, connect: Any, instance: Any,
                                               task: str) -> None:
    ids = {"InstanceId": instance["id"]}
    create = {**ids, "Channel": "TASK", "InitiationMethod": "API"}
    expect_error(raw.create_contact, "InvalidParameterException", 400,
                 "1 validation error detected: Value '4294967296' at 'ExpiryDurationInMinutes' "
                 "failed to satisfy constraint: Member must have value less than or equal to "
                 f"{INT32_MAX}", **create, ExpiryDurationInMinutes=2**32)
    expect_error(raw.start_task_contact, "InvalidParameterException", 400,
                 f"Value '{2**63}' at 'SegmentAttributes.connect:n.ValueInteger' failed to "
                 f"satisfy constraint: Member must have value less than or equal to {INT32_MAX}",
                 **ids, ContactFlowId=instance["flows"]["Default inbound"], Name="n",
                 SegmentAttributes={"connect:n": {"ValueInteger": 2**63}})
    expect_error(raw.create_queue, "InvalidParameterException", 400,
                 f"Value '{2**63}' at 'MaxContacts' failed to satisfy constraint: Member must "
                 f"have value less than or equal to {INT32_MAX}",
                 **ids, Name="q", HoursOfOperationId=_hours(connect, instance),
                 MaxContacts=2**63)
    expect_error(raw.update_contact_routing_data, "InvalidParameterException", 400,
                 f"Value '{-2**31 - 1}' at 'QueueTimeAdjustmentSeconds' failed to satisfy "
                 f"constraint: Member must have value greater than or equal to {-2**31}",
                 **ids, ContactId=task, QueueTimeAdjustmentSeconds=-2**31 - 1)
    # Beyond 64 bits a JSON number is read as a double: not an integer at all.
    expect_error(raw.create_contact, "InvalidParameterException", 400,
                 "at 'ExpiryDurationInMinutes' failed to satisfy constraint: Member must be an "
                 "integer", **create, ExpiryDurationInMinutes=2**64)
    # The largest value taken: the contact expires at the end of time, and reads back.
    created = connect.create_contact(**create, ExpiryDurationInMinutes=INT32_MAX)
    contact = connect.describe_contact(**ids, ContactId=created["ContactId"])["Contact"]
    assert contact["Channel"] == "TASK" and "DisconnectTimestamp" not in contact
    assert _contact_count(connect, instance) >= 2


def _hours(connect: Any, instance: Any) -> str:
    hours = connect.list_hours_of_operations(InstanceId=instance["id"])
    return str(hours["HoursOfOperationSummaryList"][0]["Id"])
