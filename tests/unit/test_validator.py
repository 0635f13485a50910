"""The validator against the model's own limits: each just inside and just outside."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectlocal.protocol.validator import Validator, describe
from connectlocal.spec import service_model

MODEL = service_model()


def problems(operation: str, params: dict[str, Any]) -> list[str]:
    found: list[str] = []
    Validator().check_for(MODEL.operation_model(operation).input_shape)(params, "", found)
    return found


def test_string_length_limits() -> None:
    base = {"InstanceId": "i", "ContactId": "c"}
    assert problems("DescribeContact", {**base, "ContactId": "c" * 256}) == []
    assert problems("DescribeContact", {**base, "ContactId": "c" * 257}) == [
        f"Value '{'c' * 100}...' at 'ContactId' failed to satisfy constraint: "
        "Member must have length less than or equal to 256"]
    assert problems("DescribeContact", {**base, "InstanceId": ""}) == [
        "Value '' at 'InstanceId' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"]


def test_number_range_limits() -> None:
    assert problems("ListInstances", {"MaxResults": 10}) == []
    assert problems("ListInstances", {"MaxResults": 1}) == []
    assert problems("ListInstances", {"MaxResults": 0}) == [
        "Value '0' at 'MaxResults' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"]
    assert problems("ListInstances", {"MaxResults": 11}) == [
        "Value '11' at 'MaxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 10"]
    assert problems("ListInstances", {"MaxResults": True}) == [
        "Value 'True' at 'MaxResults' failed to satisfy constraint: Member must be an integer"]


def test_map_size_and_key_pattern() -> None:
    base = {"InstanceId": "i", "ContactId": "c"}
    six = {f"k{i}": "v" for i in range(6)}
    assert problems("TagContact", {**base, "Tags": six}) == []
    seven = {f"k{i}": "v" for i in range(7)}
    assert problems("TagContact", {**base, "Tags": seven}) == [
        "Value at 'Tags' failed to satisfy constraint: "
        "Member must have length less than or equal to 6"]
    found = problems("TagContact", {**base, "Tags": {"aws:x": "v"}})
    assert found == ["Value 'aws:x' at 'Tags.key' failed to satisfy constraint: Member must "
                     "satisfy regular expression pattern: ^(?!aws:)[a-zA-Z+-=._:/]+$"]


def test_enum_and_required() -> None:
    found = problems("CreateContact", {"InstanceId": "i", "Channel": "FAX"})
    assert found == [
        "Value null at 'InitiationMethod' failed to satisfy constraint: Member must not be null",
        "Value 'FAX' at 'Channel' failed to satisfy constraint: Member must satisfy enum value "
        "set: [VOICE, CHAT, TASK, EMAIL]",
    ]
    assert describe(found).startswith("2 validation errors detected: Value null at")


def test_sensitive_values_are_not_echoed() -> None:
    found = problems("StartTaskContact", {"InstanceId": "i", "Name": "n" * 1025})
    assert found == ["Value at 'Name' failed to satisfy constraint: "
                     "Member must have length less than or equal to 1024"]


def test_timestamps_and_nested_structures() -> None:
    ok = {"InstanceId": "i", "Name": "n", "ScheduledTime": datetime(2025, 1, 1, tzinfo=UTC),
          "References": {"r": {"Type": "URL", "Value": "https://x"}}}
    assert problems("StartTaskContact", ok) == []
    bad = {**ok, "ScheduledTime": "tomorrow", "References": {"r": {"Value": "x"}}}
    assert problems("StartTaskContact", bad) == [
        "Value 'tomorrow' at 'ScheduledTime' failed to satisfy constraint: "
        "Member must be a timestamp",
        "Value null at 'References.r.Type' failed to satisfy constraint: "
        "Member must not be null",
    ]


def test_recursive_shapes_validate() -> None:
    criteria = {"AndConditions": [{"OrConditions": [{"StringCondition": {
        "FieldName": "Name", "Value": "x", "ComparisonType": "NOPE"}}]}]}
    found = problems("SearchQueues", {"InstanceId": "i", "SearchCriteria": criteria})
    assert len(found) == 1 and "ComparisonType" in found[0] and "enum" in found[0]


def test_nulls_inside_maps_and_lists_are_refused() -> None:
    base = {"InstanceId": "i", "Name": "n"}
    assert problems("StartTaskContact", {**base, "Attributes": {"k": None, "j": "v"}}) == [
        "Value null at 'Attributes.k' failed to satisfy constraint: Member must not be null"]
    assert problems("StartTaskContact", {**base, "SegmentAttributes": {
        "s": {"ValueList": [{"ValueString": "a"}, None]}}}) == [
        "Value null at 'SegmentAttributes.s.ValueList[1]' failed to satisfy constraint: "
        "Member must not be null"]
    assert problems("TagResource", {"resourceArn": "a", "tags": {"k": None}}) == [
        "Value null at 'tags.k' failed to satisfy constraint: Member must not be null"]
    # A null structure member is an absent one.
    assert problems("StartTaskContact", {**base, "Description": None}) == []


def test_integers_without_model_bounds_are_int32_and_longs_int64() -> None:
    base = {"InstanceId": "i", "Channel": "TASK", "InitiationMethod": "API"}
    assert problems("CreateContact", {**base, "ExpiryDurationInMinutes": 2**31 - 1}) == []
    assert problems("CreateContact", {**base, "ExpiryDurationInMinutes": 2**31}) == [
        "Value '2147483648' at 'ExpiryDurationInMinutes' failed to satisfy constraint: "
        "Member must have value less than or equal to 2147483647"]
    routing = {"InstanceId": "i", "ContactId": "c"}
    assert problems("UpdateContactRoutingData", {**routing,
                                                 "QueueTimeAdjustmentSeconds": -(2**31)}) == []
    assert problems("UpdateContactRoutingData", {**routing, "QueuePriority": 2**63 - 1}) == []
    assert problems("UpdateContactRoutingData", {**routing, "QueuePriority": 2**63}) == [
        "Value '9223372036854775808' at 'QueuePriority' failed to satisfy constraint: "
        "Member must have value less than or equal to 9223372036854775807"]
    # MaxContacts: the model gives a minimum (0) and no maximum.
    queue = {"InstanceId": "i", "Name": "q", "HoursOfOperationId": "h"}
    assert problems("CreateQueue", {**queue, "MaxContacts": 2**63}) == [
        "Value '9223372036854775808' at 'MaxContacts' failed to satisfy constraint: "
        "Member must have value less than or equal to 2147483647"]
