"""A contact's life through boto3: transfers, updates, attributes, pauses, routing data."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from ..conftest import client_for, new_agent, new_instance
from ..errors import expect_error
from ..serverproc import ServerProcess


def _task(connect: Any, instance: dict[str, Any], **extra: Any) -> str:
    contact_id: str = connect.start_task_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        Name="Follow up", **extra)["ContactId"]
    return contact_id


def _describe(connect: Any, instance: dict[str, Any], contact_id: str) -> dict[str, Any]:
    contact: dict[str, Any] = connect.describe_contact(
        InstanceId=instance["id"], ContactId=contact_id)["Contact"]
    return contact


def _advance(server: ServerProcess, seconds: float) -> None:
    status, body = server.admin("POST", "clock", {"advance_seconds": seconds})
    assert status == 200, body


def test_a_transfer_chain_of_three(connect: Any, instance: Any) -> None:
    agent = new_agent(connect, instance)
    first = _task(connect, instance, Attributes={"order": "1234"},
                  References={"ticket": {"Type": "URL", "Value": "https://t/1"}})
    transfer_flow = instance["flows"]["Default queue transfer"]
    second = connect.transfer_contact(
        InstanceId=instance["id"], ContactId=first, ContactFlowId=transfer_flow,
        QueueId=instance["queues"]["BasicQueue"])
    assert second["ContactArn"] == f"{instance['arn']}/contact/{second['ContactId']}"
    third = connect.transfer_contact(
        InstanceId=instance["id"], ContactId=second["ContactId"],
        ContactFlowId=instance["flows"]["Default agent transfer"], UserId=agent)["ContactId"]
    a, b, c = (_describe(connect, instance, i) for i in (first, second["ContactId"], third))

    assert "InitialContactId" not in a and "PreviousContactId" not in a
    assert a["ContactAssociationId"] == first
    for later, previous in ((b, a), (c, b)):
        assert later["InitiationMethod"] == "TRANSFER"
        assert later["Channel"] == "TASK"
        assert later["InitialContactId"] == first
        assert later["PreviousContactId"] == previous["Id"]
        assert later["ContactAssociationId"] == first
        assert later["Name"] == "Follow up"
        assert later["Attributes"] == {"order": "1234"}  # the chain's attributes
        # The transferred contact ended when its successor began, and points at it.
        assert previous["DisconnectTimestamp"] == later["InitiationTimestamp"]
        assert previous["DisconnectReason"] == "API"
        assert previous["LastUpdateTimestamp"] == previous["DisconnectTimestamp"]
        (entry,) = previous["NextContacts"]
        assert entry["Type"] == "QUICK_CONNECT"
        data = entry["NextContactMetadata"]["QuickConnectContactData"]
        assert data["ContactId"] == later["Id"]
        assert data["InitiationTimestamp"] == later["InitiationTimestamp"]
    assert b["NextContacts"][0]["NextContactMetadata"]["QuickConnectContactData"][
        "QuickConnectType"] == "USER"
    assert a["NextContacts"][0]["NextContactMetadata"]["QuickConnectContactData"][
        "QuickConnectType"] == "QUEUE"
    assert b["QueueInfo"]["Id"] == instance["queues"]["BasicQueue"]
    assert c["QueueInfo"]["Id"] == agent  # the agent's own queue
    assert "DisconnectTimestamp" not in c and "NextContacts" not in c

    tree = connect.list_associated_contacts(InstanceId=instance["id"], ContactId=third)
    summaries = tree["ContactSummaryList"]
    assert [s["ContactId"] for s in summaries] == [first, second["ContactId"], third]
    assert summaries[1]["PreviousContactId"] == first
    assert summaries[1]["InitialContactId"] == first
    assert summaries[0]["ContactArn"] == a["Arn"]
    assert isinstance(summaries[0]["DisconnectTimestamp"], datetime)


def test_transfer_rules(connect: Any, instance: Any) -> None:
    flow, queue = instance["flows"]["Default queue transfer"], instance["queues"]["BasicQueue"]
    task = _task(connect, instance)
    base = {"InstanceId": instance["id"], "ContactId": task, "ContactFlowId": flow}
    expect_error(connect.transfer_contact, "InvalidRequestException", 400,
                 "Do not use both QueueId and UserId in the same call",
                 **base, QueueId=queue, UserId=str(uuid.uuid4()))
    expect_error(connect.transfer_contact, "InvalidRequestException", 400,
                 "Exactly one of QueueId or UserId is required", **base)
    missing_user = str(uuid.uuid4())
    expect_error(connect.transfer_contact, "ResourceNotFoundException", 404,
                 f"User not found: {missing_user}", **base, UserId=missing_user)
    expect_error(connect.transfer_contact, "InvalidRequestException", 400,
                 "has type CUSTOMER_QUEUE; a transfer runs a flow of type",
                 **{**base, "ContactFlowId": instance["flows"]["Default customer queue"]},
                 QueueId=queue)
    chat = connect.start_chat_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        ParticipantDetails={"DisplayName": "Cy"})["ContactId"]
    expect_error(connect.transfer_contact, "InvalidRequestException", 400,
                 f"Transfer is only supported for TASK and EMAIL contacts; contact {chat} is "
                 "CHAT", **{**base, "ContactId": chat}, QueueId=queue)
    connect.stop_contact(InstanceId=instance["id"], ContactId=task)
    expect_error(connect.transfer_contact, "InvalidRequestException", 400,
                 f"Contact {task} has ended; only active contacts can be transferred",
                 **base, QueueId=queue)


def test_a_contact_is_transferred_at_most_11_times(connect: Any, instance: Any) -> None:
    flow, queue = instance["flows"]["Default queue transfer"], instance["queues"]["BasicQueue"]
    current = _task(connect, instance)
    for _ in range(11):  # the 11th transfer is just inside the limit
        current = connect.transfer_contact(InstanceId=instance["id"], ContactId=current,
                                           ContactFlowId=flow, QueueId=queue)["ContactId"]
    expect_error(connect.transfer_contact, "ServiceQuotaExceededException", 402,
                 "has been transferred 11 times, the most a contact can be",
                 InstanceId=instance["id"], ContactId=current, ContactFlowId=flow,
                 QueueId=queue)


def test_transfer_client_token(connect: Any, instance: Any) -> None:
    flow, queue = instance["flows"]["Default queue transfer"], instance["queues"]["BasicQueue"]
    task = _task(connect, instance)
    once = connect.transfer_contact(InstanceId=instance["id"], ContactId=task,
                                    ContactFlowId=flow, QueueId=queue, ClientToken="t-1")
    again = connect.transfer_contact(InstanceId=instance["id"], ContactId=task,
                                     ContactFlowId=flow, QueueId=queue, ClientToken="t-1")
    assert again["ContactId"] == once["ContactId"]
    expect_error(connect.transfer_contact, "IdempotencyException", 409,
                 "ClientToken t-1 was already used for a different TransferContact request",
                 InstanceId=instance["id"], ContactId=task, ContactFlowId=flow,
                 UserId=new_agent(connect, instance), ClientToken="t-1")


def test_attributes_are_shared_by_the_chain(connect: Any, instance: Any) -> None:
    first = _task(connect, instance, Attributes={"a": "1"})
    linked = _task(connect, instance, PreviousContactId=first, Attributes={"b": "2"})
    last = connect.transfer_contact(
        InstanceId=instance["id"], ContactId=linked,
        ContactFlowId=instance["flows"]["Default queue transfer"],
        QueueId=instance["queues"]["BasicQueue"])["ContactId"]
    before = _describe(connect, instance, first)["LastUpdateTimestamp"]
    # Updated through the last contact of the chain, read from the first.
    connect.update_contact_attributes(InstanceId=instance["id"], InitialContactId=last,
                                      Attributes={"a": "changed", "c": "3"})
    expected = {"a": "changed", "b": "2", "c": "3"}
    assert connect.get_contact_attributes(
        InstanceId=instance["id"], InitialContactId=first)["Attributes"] == expected
    for contact_id in (first, linked, last):
        contact = _describe(connect, instance, contact_id)
        assert contact["Attributes"] == expected
        assert contact["LastUpdateTimestamp"] >= before
    # A contact of another chain keeps its own.
    other = _task(connect, instance, Attributes={"a": "other"})
    assert connect.get_contact_attributes(
        InstanceId=instance["id"], InitialContactId=other)["Attributes"] == {"a": "other"}


def test_attributes_of_completed_contacts_can_change(connect: Any, instance: Any) -> None:
    task = _task(connect, instance)
    connect.stop_contact(InstanceId=instance["id"], ContactId=task)
    connect.update_contact_attributes(InstanceId=instance["id"], InitialContactId=task,
                                      Attributes={"qa": "reviewed"})
    assert _describe(connect, instance, task)["Attributes"] == {"qa": "reviewed"}
    assert connect.get_contact_attributes(InstanceId=instance["id"], InitialContactId=task)[
        "Attributes"] == {"qa": "reviewed"}


def test_attribute_limits(connect: Any, instance: Any) -> None:
    task = _task(connect, instance)
    # 32 KB in all: keys and values, just inside and just outside.
    connect.update_contact_attributes(InstanceId=instance["id"], InitialContactId=task,
                                      Attributes={"k": "v" * (32 * 1024 - 1)})
    expect_error(connect.update_contact_attributes, "InvalidParameterException", 400,
                 f"The contact attributes of contact {task} would take 32769 bytes; at most "
                 "32768 are allowed", InstanceId=instance["id"], InitialContactId=task,
                 Attributes={"x": ""})
    missing = str(uuid.uuid4())
    expect_error(connect.get_contact_attributes, "ResourceNotFoundException", 404,
                 f"InitialContactId {missing} not found in instance {instance['id']}",
                 InstanceId=instance["id"], InitialContactId=missing)


def test_update_contact(connect: Any, instance: Any) -> None:
    agent = new_agent(connect, instance)
    task = _task(connect, instance, References={"a": {"Type": "STRING", "Value": "x"}})
    expect_error(connect.update_contact, "InvalidParameterException", 400,
                 "At least one field to be updated must be present in the request",
                 InstanceId=instance["id"], ContactId=task)
    connect.stop_contact(InstanceId=instance["id"], ContactId=task)  # completed: still allowed
    connect.update_contact(
        InstanceId=instance["id"], ContactId=task, Name="Renamed", Description="Now described",
        References={"b": {"Type": "URL", "Value": "https://example.com/b"}},
        UserInfo={"UserId": agent},
        CustomerEndpoint={"Type": "EMAIL_ADDRESS", "Address": "c@example.com"})
    contact = _describe(connect, instance, task)
    assert contact["Name"] == "Renamed" and contact["Description"] == "Now described"
    assert contact["AgentInfo"] == {"Id": agent}
    assert contact["CustomerEndpoint"] == {"Type": "EMAIL_ADDRESS", "Address": "c@example.com"}
    assert contact["LastUpdateTimestamp"] >= contact["DisconnectTimestamp"]
    references = connect.list_contact_references(
        InstanceId=instance["id"], ContactId=task, ReferenceTypes=["URL", "STRING"])
    assert references["ReferenceSummaryList"] == [
        {"String": {"Name": "a", "Value": "x"}},
        {"Url": {"Name": "b", "Value": "https://example.com/b"}},
    ]
    only_urls = connect.list_contact_references(
        InstanceId=instance["id"], ContactId=task, ReferenceTypes=["URL"])
    assert [r["Url"]["Name"] for r in only_urls["ReferenceSummaryList"]] == ["b"]
    missing_queue = str(uuid.uuid4())
    expect_error(connect.update_contact, "ResourceNotFoundException", 404,
                 f"Queue not found: {missing_queue}", InstanceId=instance["id"],
                 ContactId=task, QueueInfo={"Id": missing_queue})
    expect_error(connect.update_contact, "InvalidParameterException", 400,
                 "Member must have length less than or equal to 1024",
                 InstanceId=instance["id"], ContactId=task, Name="n" * 1025)
    connect.update_contact(InstanceId=instance["id"], ContactId=task, Name="n" * 1024)


def test_pause_and_resume(clocked_server: ServerProcess, client_for_server: Any) -> None:
    connect, instance = client_for_server
    clocked_server.set_clock("2026-03-01T10:00:00Z")
    task = _task(connect, instance)
    connect.pause_contact(InstanceId=instance["id"], ContactId=task)
    expect_error(connect.pause_contact, "ConflictException", 409,
                 f"Contact {task} is already paused", InstanceId=instance["id"],
                 ContactId=task)
    _advance(clocked_server, 90)
    connect.resume_contact(InstanceId=instance["id"], ContactId=task)
    _advance(clocked_server, 30)
    connect.pause_contact(InstanceId=instance["id"], ContactId=task)
    _advance(clocked_server, 45)
    contact = _describe(connect, instance, task)
    start = contact["InitiationTimestamp"]
    assert contact["TotalPauseCount"] == 2
    assert contact["TotalPauseDurationInSeconds"] == 90  # the pause in progress is not counted
    assert contact["LastPausedTimestamp"] == start + timedelta(seconds=120)
    assert contact["LastResumedTimestamp"] == start + timedelta(seconds=90)
    connect.stop_contact(InstanceId=instance["id"], ContactId=task)  # ends the pause as well
    ended = _describe(connect, instance, task)
    assert ended["TotalPauseDurationInSeconds"] == 135
    expect_error(connect.resume_contact, "InvalidRequestException", 400,
                 f"Contact {task} has ended and cannot be resumed", InstanceId=instance["id"],
                 ContactId=task)
    voice = connect.start_outbound_voice_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        DestinationPhoneNumber="+15555550100", QueueId=instance["queues"]["BasicQueue"],
    )["ContactId"]
    expect_error(connect.pause_contact, "InvalidRequestException", 400,
                 f"Only TASK and EMAIL contacts can be paused; contact {voice} is VOICE",
                 InstanceId=instance["id"], ContactId=voice)


def test_update_contact_schedule(clocked_server: ServerProcess, client_for_server: Any) -> None:
    connect, instance = client_for_server
    clocked_server.set_clock("2026-03-01T10:00:00Z")
    now = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
    task = _task(connect, instance, ScheduledTime=now + timedelta(hours=1))
    later = now + timedelta(days=6)  # the limit, just inside
    connect.update_contact_schedule(InstanceId=instance["id"], ContactId=task,
                                    ScheduledTime=later)
    contact = _describe(connect, instance, task)
    assert contact["ScheduledTimestamp"] == later
    assert "QueueInfo" not in contact  # not in its queue before its time
    expect_error(connect.update_contact_schedule, "InvalidParameterException", 400,
                 "must be between now", InstanceId=instance["id"], ContactId=task,
                 ScheduledTime=later + timedelta(seconds=1))
    _advance(clocked_server, 6 * 86400 + 1)
    contact = _describe(connect, instance, task)
    assert contact["QueueInfo"]["EnqueueTimestamp"] == later
    expect_error(connect.update_contact_schedule, "InvalidRequestException", 400,
                 f"Contact {task} is not a task waiting for its scheduled time",
                 InstanceId=instance["id"], ContactId=task,
                 ScheduledTime=later + timedelta(hours=1))


def test_update_contact_routing_data(connect: Any, instance: Any) -> None:
    task = _task(connect, instance)
    connect.update_contact_routing_data(InstanceId=instance["id"], ContactId=task,
                                        QueuePriority=1)
    connect.update_contact_routing_data(InstanceId=instance["id"], ContactId=task,
                                        QueueTimeAdjustmentSeconds=-30)
    contact = _describe(connect, instance, task)
    assert contact["QueuePriority"] == 1
    assert contact["QueueTimeAdjustmentSeconds"] == -30
    expect_error(connect.update_contact_routing_data, "InvalidParameterException", 400,
                 "Either QueuePriority or QueueTimeAdjustmentSeconds should be provided, but "
                 "not both", InstanceId=instance["id"], ContactId=task, QueuePriority=2,
                 QueueTimeAdjustmentSeconds=5)
    unchecked = client_for(connect.meta.endpoint_url, parameter_validation=False)
    expect_error(unchecked.update_contact_routing_data, "InvalidParameterException", 400,
                 "Value '0' at 'QueuePriority' failed to satisfy constraint: Member must have "
                 "value greater than or equal to 1",
                 InstanceId=instance["id"], ContactId=task, QueuePriority=0)
    connect.stop_contact(InstanceId=instance["id"], ContactId=task)
    expect_error(connect.update_contact_routing_data, "ResourceConflictException", 409,
                 f"Contact {task} is not waiting in a queue", InstanceId=instance["id"],
                 ContactId=task, QueuePriority=3)


@pytest.fixture
def client_for_server(clocked_server: ServerProcess) -> tuple[Any, dict[str, Any]]:
    client = client_for(clocked_server.url)
    return client, new_instance(client)


def test_an_agent_reply_email_is_transferred(connect: Any, instance: Any) -> None:
    agent = new_agent(connect, instance)
    email = connect.create_contact(InstanceId=instance["id"], Channel="EMAIL",
                                   InitiationMethod="AGENT_REPLY", UserInfo={"UserId": agent},
                                   Name="Re: your order")["ContactId"]
    described = _describe(connect, instance, email)
    assert described["AgentInfo"] == {"Id": agent}
    moved = connect.transfer_contact(
        InstanceId=instance["id"], ContactId=email,
        ContactFlowId=instance["flows"]["Default queue transfer"],
        QueueId=instance["queues"]["BasicQueue"])["ContactId"]
    follower = _describe(connect, instance, moved)
    assert follower["Channel"] == "EMAIL" and follower["InitiationMethod"] == "TRANSFER"
    assert follower["Name"] == "Re: your order"
    missing = str(uuid.uuid4())
    expect_error(connect.create_contact, "ResourceNotFoundException", 404,
                 f"User not found: {missing}", InstanceId=instance["id"], Channel="EMAIL",
                 InitiationMethod="OUTBOUND", UserInfo={"UserId": missing})
