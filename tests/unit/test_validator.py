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
