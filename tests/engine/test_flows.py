"""The interpreter's pieces with logic of their own: conditions, JSONPath lookups, validation,
and CheckHoursOfOperation against a stubbed hours check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest

from connectlocal.engine import actions, flows
from connectlocal.mock import mock_connect
from connectlocal.models import HoursOfOperation


@pytest.mark.parametrize(("operator", "value", "operand", "expected"), [
    ("Equals", "1", "1", True), ("Equals", "1", "01", False),
    ("NumberLessThan", "4", "10", True), ("NumberLessThan", "x", "10", False),
    ("NumberGreaterOrEqualTo", 50, "50", True), ("NumberLessOrEqualTo", "51", "50", False),
    ("NumberGreaterThan", "2.5", "2", True), ("TextStartsWith", "billing", "bil", True),
    ("TextEndsWith", "billing", "ing", True), ("TextContains", "billing", "zz", False),
    ("Unknown", "a", "a", False),
])
def test_conditions(operator: str, value: Any, operand: str, expected: bool) -> None:
    assert flows.matches(operator, value, [operand]) is expected


def test_json_paths() -> None:
    root = {"Attributes": {"my key": "v", "n": "1"}, "Queue": {"Name": "Q"}, "List": ["a"]}
    assert flows.lookup(root, "$.Attributes.n") == "1"
    assert flows.lookup(root, "$['Attributes']['my key']") == "v"
    assert flows.lookup(root, "$.Queue.Name") == "Q"
    assert flows.lookup(root, "$.List[0]") == "a"
    assert flows.lookup(root, "$.Missing.x") is None


def test_problems_name_what_is_wrong() -> None:
    found, _ = flows.problems(json.dumps({"Version": "2019-10-30", "StartAction": "a",
                                          "Actions": [
        {"Identifier": "a", "Type": "Compare", "Parameters": [],
         "Transitions": {"NextAction": "b"}},
        {"Identifier": "a", "Type": "Loop", "Parameters": {},
         "Transitions": {"Conditions": "x"}}]}))
    assert "Action a: Parameters must be an object" in found
    assert "Action identifier a is used by more than one action" in found
    assert "Action a: Conditions and Errors must be lists" in found
    assert flows.problems("[]")[0] == ["Content must be a JSON object"]
    assert flows.problems(json.dumps({"Version": "2019-10-30", "StartAction": ["a"],
                                      "Actions": []}))[0] == [
        "StartAction ['a'] is not an action of the flow"]


@pytest.fixture
def stub_hours(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, datetime]]]:
    asked: list[tuple[str, datetime]] = []
    opening = {"open": True}

    def is_open(hours: HoursOfOperation, instant: datetime) -> bool:
        asked.append((hours.id, instant))
        return opening["open"]

    monkeypatch.setattr(actions, "is_open", is_open)
    yield asked


def test_check_hours_of_operation_asks_about_the_working_queues_hours(
        stub_hours: list[tuple[str, datetime]]) -> None:
    with mock_connect(clock="2025-06-02T10:00:00Z") as mock:
        seeded = mock.create_instance("hours")
        client = boto3.client("connect", region_name="us-east-1")
        hours = client.list_hours_of_operations(
            InstanceId=seeded["id"])["HoursOfOperationSummaryList"][0]["Id"]
        content = json.dumps({"Version": "2019-10-30", "StartAction": "q", "Actions": [
            {"Identifier": "q", "Type": "UpdateContactTargetQueue",
             "Parameters": {"QueueId": seeded["queues"]["BasicQueue"]},
             "Transitions": {"NextAction": "h"}},
            {"Identifier": "h", "Type": "CheckHoursOfOperation", "Parameters": {},
             "Transitions": {"Conditions": [
                 {"NextAction": "open", "Condition": {"Operator": "Equals",
                                                      "Operands": ["True"]}},
                 {"NextAction": "closed", "Condition": {"Operator": "Equals",
                                                        "Operands": ["False"]}}],
                 "Errors": [{"NextAction": "closed", "ErrorType": "NoMatchingError"}]}},
            {"Identifier": "open", "Type": "UpdateContactAttributes",
             "Parameters": {"Attributes": {"hours": "open"}}, "Transitions": {}},
            {"Identifier": "closed", "Type": "UpdateContactAttributes",
             "Parameters": {"Attributes": {"hours": "closed"}}, "Transitions": {}}]})
        flow = client.create_contact_flow(InstanceId=seeded["id"], Name="h",
                                          Type="CONTACT_FLOW", Content=content)
        task = client.start_task_contact(InstanceId=seeded["id"], Name="t",
                                         ContactFlowId=flow["ContactFlowId"])["ContactId"]
        assert client.get_contact_attributes(InstanceId=seeded["id"], InitialContactId=task)[
            "Attributes"] == {"hours": "open"}
        assert [h for h, _ in stub_hours] == [hours]
        assert stub_hours[0][1].isoformat() == "2025-06-02T10:00:00+00:00"
