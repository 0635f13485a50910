"""SearchContacts through boto3: every filter checked against an independent filter of the
same contacts, paged with the SDK's paginator, sorted every way the model allows."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from ..conftest import client_for, new_agent, new_instance
from ..errors import expect_error
from ..serverproc import ServerProcess

Contact = dict[str, Any]
WIDE = {"Type": "INITIATION_TIMESTAMP", "StartTime": datetime(2021, 11, 12),
        "EndTime": datetime(2100, 1, 1)}


class World:
    """A few hundred contacts of one instance, each as DescribeContact shows it."""

    def __init__(self, connect: Any) -> None:
        self.connect = connect
        self.instance = new_instance(connect)
        self.contacts: dict[str, Contact] = {}


@pytest.fixture(scope="module")
def world(server: ServerProcess) -> World:
    rng = random.Random(20261122)
    w = World(client_for(server.url))
    connect, instance = w.connect, w.instance
    flow = instance["flows"]["Default inbound"]
    hours = connect.list_hours_of_operations(
        InstanceId=instance["id"])["HoursOfOperationSummaryList"][0]["Id"]
    queues = [instance["queues"]["BasicQueue"]] + [
        connect.create_queue(InstanceId=instance["id"], Name=f"Q{i}",
                             HoursOfOperationId=hours)["QueueId"] for i in range(2)]
    agents = [new_agent(connect, instance, f"agent{i}") for i in range(3)]
    words = ["refund", "order", "delivery", "billing", "Invoice"]
    for n in range(240):
        kind = rng.choice(["task", "task", "chat", "voice", "email"])
        attributes = {"tier": rng.choice(["gold", "silver", "bronze"])}
        name = f"{rng.choice(words)} {rng.choice(words)} #{n}"
        if kind == "task":
            contact_id = connect.start_task_contact(
                InstanceId=instance["id"], ContactFlowId=flow, Name=name,
                Attributes=attributes)["ContactId"]
        elif kind == "chat":
            contact_id = connect.start_chat_contact(
                InstanceId=instance["id"], ContactFlowId=flow, Attributes=attributes,
                ParticipantDetails={"DisplayName": "Customer"})["ContactId"]
        elif kind == "voice":
            contact_id = connect.start_outbound_voice_contact(
                InstanceId=instance["id"], ContactFlowId=flow, Name=name,
                DestinationPhoneNumber="+15555550100", QueueId=rng.choice(queues),
                Attributes=attributes)["ContactId"]
        else:
            contact_id = connect.create_contact(
                InstanceId=instance["id"], Channel="TASK", InitiationMethod="API", Name=name,
                Attributes=attributes)["ContactId"]
        if rng.random() < 0.5:
            connect.update_contact(InstanceId=instance["id"], ContactId=contact_id,
                                   UserInfo={"UserId": rng.choice(agents)},
                                   QueueInfo={"Id": rng.choice(queues)})
        if rng.random() < 0.3:
            connect.tag_contact(InstanceId=instance["id"], ContactId=contact_id,
                                Tags={"team": rng.choice(["a", "b"])})
        if rng.random() < 0.4:
            connect.stop_contact(InstanceId=instance["id"], ContactId=contact_id)
    listed = _search_all(connect, instance["id"], WIDE)
    for summary in listed:
        w.contacts[summary["Id"]] = connect.describe_contact(
            InstanceId=instance["id"], ContactId=summary["Id"])["Contact"]
    assert len(w.contacts) == 240
    return w


def _search_all(connect: Any, instance_id: str, time_range: dict[str, Any],
                **params: Any) -> list[Contact]:
    pages = connect.get_paginator("search_contacts").paginate(
        InstanceId=instance_id, TimeRange=time_range, PaginationConfig={"PageSize": 37},
        **params)
    found: list[Contact] = []
    totals = set()
    for page in pages:
        assert len(page["Contacts"]) <= 37
        totals.add(page["TotalCount"])
        found.extend(page["Contacts"])
    assert totals == {len(found)}, "TotalCount counts every match, on every page"
    return found


def _check(world: World, criteria: dict[str, Any], keep: Callable[[Contact], bool]) -> None:
    found = _search_all(world.connect, world.instance["id"], WIDE, SearchCriteria=criteria)
    ids = [c["Id"] for c in found]
    assert len(ids) == len(set(ids)), "a contact appears once across pages"
    expected = {i for i, c in world.contacts.items() if keep(c)}
    assert set(ids) == expected, criteria
    assert expected, f"the criteria {criteria} should select some contacts"


def test_every_contact_once_newest_first(world: World) -> None:
    found = _search_all(world.connect, world.instance["id"], WIDE)
    assert {c["Id"] for c in found} == set(world.contacts)
    stamps = [(c["InitiationTimestamp"], c["Id"]) for c in found]
    assert [s[0] for s in stamps] == sorted((s[0] for s in stamps), reverse=True)
    sample = found[0]
    described = world.contacts[sample["Id"]]
    for key in ("Arn", "Channel", "InitiationMethod", "InitiationTimestamp"):
        assert sample[key] == described[key]


def test_filters(world: World) -> None:
    agent = next(c["AgentInfo"]["Id"] for c in world.contacts.values() if "AgentInfo" in c)
    queue = next(c["QueueInfo"]["Id"] for c in world.contacts.values() if "QueueInfo" in c)
    _check(world, {"Channels": ["CHAT", "VOICE"]}, lambda c: c["Channel"] in ("CHAT", "VOICE"))
    _check(world, {"InitiationMethods": ["API"]}, lambda c: c["InitiationMethod"] == "API")
    _check(world, {"AgentIds": [agent]}, lambda c: c.get("AgentInfo", {}).get("Id") == agent)
    _check(world, {"QueueIds": [queue]}, lambda c: c.get("QueueInfo", {}).get("Id") == queue)
    _check(world, {"SearchableContactAttributes": {
        "Criteria": [{"Key": "tier", "Values": ["gold", "silver"]}]}},
        lambda c: c["Attributes"]["tier"] in ("gold", "silver"))
    _check(world, {"ContactTags": {"TagCondition": {"TagKey": "team", "TagValue": "a"}}},
           lambda c: c.get("Tags", {}).get("team") == "a")
    _check(world, {"ContactTags": {"OrConditions": [[{"TagKey": "team", "TagValue": "a"}],
                                                    [{"TagKey": "team", "TagValue": "b"}]]}},
           lambda c: "team" in c.get("Tags", {}))
    _check(world, {"Channels": ["TASK"], "AgentIds": [agent]},
           lambda c: c["Channel"] == "TASK" and c.get("AgentInfo", {}).get("Id") == agent)
    _check(world, {"AdditionalTimeRange": {"MatchType": "MATCH_ALL", "Criteria": [
        {"TimestampCondition": {"Type": "DISCONNECT_TIMESTAMP", "ConditionType": "NOT_EXISTS"}}
    ]}}, lambda c: "DisconnectTimestamp" not in c)
    _check(world, {"ActiveRegions": ["us-east-1"]}, lambda c: True)


@pytest.mark.parametrize(("match", "keep"), [
    ("MATCH_ALL", lambda n: "refund" in n and "invoice" in n),
    ("MATCH_ANY", lambda n: "refund" in n or "invoice" in n),
    ("MATCH_NONE", lambda n: "refund" not in n and "invoice" not in n),
])
def test_name_criteria(world: World, match: str, keep: Callable[[str], bool]) -> None:
    _check(world, {"Name": {"SearchText": ["refund", "INVOICE"], "MatchType": match}},
           lambda c: keep(c.get("Name", "").lower()))


def test_filters_that_nothing_here_matches(world: World) -> None:
    for criteria in ({"AgentHierarchyGroups": {"L1Ids": [str(uuid.uuid4())]}},
                     {"ActiveRegions": ["eu-west-2"]},
                     {"ContactAnalysis": {"Transcript": {"Criteria": [
                         {"ParticipantRole": "AGENT", "SearchText": ["hi"],
                          "MatchType": "MATCH_ANY"}]}}}):
        result = world.connect.search_contacts(InstanceId=world.instance["id"], TimeRange=WIDE,
                                               SearchCriteria=criteria)
        assert result["Contacts"] == [] and result["TotalCount"] == 0, criteria


@pytest.mark.parametrize("field", ["INITIATION_TIMESTAMP", "DISCONNECT_TIMESTAMP",
                                   "CONNECTED_TO_AGENT_TIMESTAMP", "SCHEDULED_TIMESTAMP",
                                   "INITIATION_METHOD", "CHANNEL", "EXPIRY_TIMESTAMP"])
@pytest.mark.parametrize("order", ["ASCENDING", "DESCENDING"])
def test_sort(world: World, field: str, order: str) -> None:
    found = _search_all(world.connect, world.instance["id"], WIDE,
                        Sort={"FieldName": field, "Order": order})
    assert {c["Id"] for c in found} == set(world.contacts)
    if field in ("INITIATION_METHOD", "CHANNEL", "DISCONNECT_TIMESTAMP",
                 "INITIATION_TIMESTAMP"):
        key = {"INITIATION_METHOD": "InitiationMethod", "CHANNEL": "Channel",
               "DISCONNECT_TIMESTAMP": "DisconnectTimestamp",
               "INITIATION_TIMESTAMP": "InitiationTimestamp"}[field]
        present = [c[key] for c in found if key in c]
        assert present == sorted(present, reverse=order == "DESCENDING")
        # Contacts without the field come after all that have it.
        flags = [key in c for c in found]
        assert flags == sorted(flags, reverse=True)


def test_time_ranges(world: World) -> None:
    stamps = sorted(c["InitiationTimestamp"] for c in world.contacts.values())
    # boto3 sends body timestamps as whole epoch seconds: bounds are whole seconds.
    start = stamps[10].replace(microsecond=0)
    end = stamps[len(stamps) // 2].replace(microsecond=0)
    window = {"Type": "INITIATION_TIMESTAMP", "StartTime": start, "EndTime": end}
    found = _search_all(world.connect, world.instance["id"], window)
    assert {c["Id"] for c in found} == {
        i for i, c in world.contacts.items() if start <= c["InitiationTimestamp"] <= end}
    for kind, key in (("DISCONNECT_TIMESTAMP", "DisconnectTimestamp"),
                      ("ENQUEUE_TIMESTAMP", "QueueInfo")):
        found = _search_all(world.connect, world.instance["id"], {**WIDE, "Type": kind})
        expected = {i for i, c in world.contacts.items() if key in c}
        assert {c["Id"] for c in found} == expected, kind
    none = _search_all(world.connect, world.instance["id"],
                       {**WIDE, "Type": "SCHEDULED_TIMESTAMP"})
    assert none == []


def test_paging_is_stable_while_contacts_arrive(world: World) -> None:
    connect, instance = world.connect, world.instance
    first = connect.search_contacts(InstanceId=instance["id"], TimeRange=WIDE, MaxResults=50,
                                    Sort={"FieldName": "INITIATION_TIMESTAMP",
                                          "Order": "ASCENDING"})
    seen = [c["Id"] for c in first["Contacts"]]
    token = first["NextToken"]
    added = [connect.start_task_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        Name=f"late {i}")["ContactId"] for i in range(3)]
    try:
        while token:
            page = connect.search_contacts(InstanceId=instance["id"], TimeRange=WIDE,
                                           MaxResults=100, NextToken=token,
                                           Sort={"FieldName": "INITIATION_TIMESTAMP",
                                                 "Order": "ASCENDING"})
            seen.extend(c["Id"] for c in page["Contacts"])
            token = page.get("NextToken")
        assert len(seen) == len(set(seen))
        assert set(seen) == set(world.contacts) | set(added)  # the new ones come last
    finally:
        for contact_id in added:  # other tests count this instance's contacts
            connect.stop_contact(InstanceId=instance["id"], ContactId=contact_id)
            world.contacts[contact_id] = connect.describe_contact(
                InstanceId=instance["id"], ContactId=contact_id)["Contact"]


def test_search_limits_and_errors(world: World) -> None:
    connect, instance_id = world.connect, world.instance["id"]
    assert len(connect.search_contacts(InstanceId=instance_id, TimeRange=WIDE,
                                       MaxResults=100)["Contacts"]) == 100
    unchecked = client_for(connect.meta.endpoint_url, parameter_validation=False)
    expect_error(unchecked.search_contacts, "InvalidParameterException", 400,
                 "Value '101' at 'MaxResults' failed to satisfy constraint: Member must have "
                 "value less than or equal to 100",
                 InstanceId=instance_id, TimeRange=WIDE, MaxResults=101)
    expect_error(unchecked.search_contacts, "InvalidParameterException", 400,
                 "Member must have value greater than or equal to 1",
                 InstanceId=instance_id, TimeRange=WIDE, MaxResults=0)
    expect_error(connect.search_contacts, "InvalidParameterException", 400,
                 "TimeRange.StartTime must not be after TimeRange.EndTime",
                 InstanceId=instance_id,
                 TimeRange={**WIDE, "StartTime": WIDE["EndTime"], "EndTime": WIDE["StartTime"]})
    token = connect.search_contacts(InstanceId=instance_id, TimeRange=WIDE,
                                    MaxResults=5)["NextToken"]
    expect_error(connect.search_contacts, "InvalidParameterException", 400,
                 "The NextToken is not valid for this search", InstanceId=instance_id,
                 TimeRange=WIDE, NextToken=token, SearchCriteria={"Channels": ["CHAT"]})
    expect_error(connect.search_contacts, "InvalidParameterException", 400,
                 "The NextToken is not valid for this search", InstanceId=instance_id,
                 TimeRange=WIDE, NextToken="garbage")
    expect_error(unchecked.search_contacts, "InvalidParameterException", 400,
                 "Member must have length less than or equal to 100",
                 InstanceId=instance_id, TimeRange=WIDE,
                 SearchCriteria={"AgentIds": [str(uuid.uuid4()) for _ in range(101)]})
    missing = str(uuid.uuid4())
    expect_error(connect.search_contacts, "ResourceNotFoundException", 404,
                 f"Instance not found: {missing}", InstanceId=missing, TimeRange=WIDE)


def test_search_never_returns_contacts_past_retention(clocked_server: ServerProcess) -> None:
    connect = client_for(clocked_server.url)
    clocked_server.set_clock("2024-01-10T00:00:00Z")
    instance = new_instance(connect)
    old = connect.start_task_contact(InstanceId=instance["id"], Name="old",
                                     ContactFlowId=instance["flows"]["Default inbound"])
    clocked_server.set_clock("2025-06-01T00:00:00Z")
    newer = connect.start_task_contact(InstanceId=instance["id"], Name="newer",
                                       ContactFlowId=instance["flows"]["Default inbound"])
    ids = {c["Id"] for c in _search_all(connect, instance["id"], WIDE)}
    assert ids == {old["ContactId"], newer["ContactId"]}
    day = {"Type": "INITIATION_TIMESTAMP", "StartTime": datetime(2025, 5, 31),
           "EndTime": datetime(2025, 6, 1)}  # both bounds are included
    assert [c["Id"] for c in _search_all(connect, instance["id"], day)] == [
        newer["ContactId"]]
    before = {**day, "EndTime": datetime(2025, 5, 31, 23, 59, 59)}
    assert _search_all(connect, instance["id"], before) == []
    # 24 months after the first contact it is gone, even before a sweep runs.
    clocked_server.set_clock((datetime(2026, 1, 10) + timedelta(seconds=1)).isoformat() + "Z")
    ids = {c["Id"] for c in _search_all(connect, instance["id"], WIDE)}
    assert ids == {newer["ContactId"]}
