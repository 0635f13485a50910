"""Rules the API reference states for contact operations, each answered with the modelled
error, its HTTP status and a message saying what was wrong; and the directory fields
DescribeRoutingProfile answers with."""

from __future__ import annotations

from typing import Any

import pytest

from ..conftest import client_for, new_agent, new_instance
from ..errors import expect_error
from ..serverproc import ServerProcess


def _task(connect: Any, instance: Any, **extra: Any) -> str:
    contact_id: str = connect.start_task_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        Name="Refund", **extra)["ContactId"]
    return contact_id


@pytest.mark.parametrize("key", ["has space", "dotted.key", "ünïcode", "a/b", "$.x"])
def test_attribute_keys_are_alphanumeric_dash_and_underscore(connect: Any, instance: Any,
                                                              key: str) -> None:
    task = _task(connect, instance)
    expect_error(connect.update_contact_attributes, "InvalidParameterException", 400,
                 f"Attribute key {key!r} is not valid: attribute keys can include only "
                 "alphanumeric, dash, and underscore characters",
                 InstanceId=instance["id"], InitialContactId=task, Attributes={key: "v"})
    expect_error(connect.start_task_contact, "InvalidParameterException", 400,
                 f"Attribute key {key!r} is not valid", InstanceId=instance["id"],
                 ContactFlowId=instance["flows"]["Default inbound"], Name="t",
                 Attributes={key: "v"})
    expect_error(connect.start_chat_contact, "InvalidParameterException", 400,
                 f"Attribute key {key!r} is not valid", InstanceId=instance["id"],
                 ContactFlowId=instance["flows"]["Default inbound"],
                 ParticipantDetails={"DisplayName": "Jane"}, Attributes={key: "v"})
    assert connect.get_contact_attributes(InstanceId=instance["id"],
                                          InitialContactId=task)["Attributes"] == {}


def test_good_attribute_keys_are_kept(connect: Any, instance: Any) -> None:
    task = _task(connect, instance)
    keys = {"plain": "1", "with-dash": "2", "with_underscore": "3", "MiXeD09": "4"}
    connect.update_contact_attributes(InstanceId=instance["id"], InitialContactId=task,
                                      Attributes=keys)
    assert connect.get_contact_attributes(InstanceId=instance["id"],
                                          InitialContactId=task)["Attributes"] == keys


def test_chat_content_types_must_contain_text_plain(connect: Any, instance: Any) -> None:
    start = {"InstanceId": instance["id"], "ContactFlowId": instance["flows"]["Default inbound"],
             "ParticipantDetails": {"DisplayName": "Jane"}}
    expect_error(connect.start_chat_contact, "InvalidParameterException", 400,
                 "SupportedMessagingContentTypes must always contain text/plain",
                 SupportedMessagingContentTypes=["text/markdown"], **start)
    expect_error(connect.start_chat_contact, "InvalidParameterException", 400,
                 "SupportedMessagingContentTypes: image/png is not supported",
                 SupportedMessagingContentTypes=["text/plain", "image/png"], **start)
    started = connect.start_chat_contact(
        SupportedMessagingContentTypes=["text/plain", "text/markdown"], **start)
    assert started["ContactId"]


@pytest.mark.parametrize("kind", ["ATTACHMENT", "CONTACT_ANALYSIS", "EMAIL_MESSAGE"])
def test_a_task_is_created_with_no_attachment_reference(connect: Any, instance: Any,
                                                         kind: str) -> None:
    expect_error(connect.start_task_contact, "InvalidParameterException", 400,
                 f"References.scan: {kind} is not a supported reference type at task "
                 "creation; tasks can have URL | NUMBER | STRING | DATE | EMAIL",
                 InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
                 Name="t", References={"scan": {"Type": kind, "Value": "x"}})
    task = _task(connect, instance, References={
        k.lower(): {"Type": k, "Value": v} for k, v in (
            ("URL", "https://example.com"), ("NUMBER", "1"), ("STRING", "s"),
            ("DATE", "2026-01-01"), ("EMAIL", "a@example.com"))})
    listed = connect.list_contact_references(
        InstanceId=instance["id"], ContactId=task,
        ReferenceTypes=["URL", "NUMBER", "STRING", "DATE", "EMAIL"])["ReferenceSummaryList"]
    assert len(listed) == 5


def test_more_concurrent_chats_than_the_quota_is_limit_exceeded(connect: Any,
                                                                instance: Any) -> None:
    start = {"InstanceId": instance["id"], "ContactFlowId": instance["flows"]["Default inbound"],
             "ParticipantDetails": {"DisplayName": "Jane"}}
    chats = [connect.start_chat_contact(**start)["ContactId"] for _ in range(100)]
    expect_error(connect.start_chat_contact, "LimitExceededException", 429,
                 f"The quota for concurrent active chats is exceeded: instance {instance['id']} "
                 "has 100 active chats, the most it can have is 100", **start)
    _task(connect, instance)  # tasks do not count
    connect.stop_contact(InstanceId=instance["id"], ContactId=chats[0])
    assert connect.start_chat_contact(**start)["ContactId"]  # one ended: room for one


def test_a_task_expires_after_seven_days(clocked_server: ServerProcess) -> None:
    client = client_for(clocked_server.url)
    clocked_server.set_clock("2026-03-01T10:00:00Z")
    instance = new_instance(client)
    task = _task(client, instance)
    status, _ = clocked_server.admin("POST", "clock", {"advance_seconds": 7 * 86400 - 1})
    assert status == 200
    open_task = client.describe_contact(InstanceId=instance["id"], ContactId=task)["Contact"]
    assert "DisconnectTimestamp" not in open_task
    status, _ = clocked_server.admin("POST", "clock", {"advance_seconds": 1})
    assert status == 200
    ended = client.describe_contact(InstanceId=instance["id"], ContactId=task)["Contact"]
    assert ended["DisconnectReason"] == "EXPIRED"
    assert ended["DisconnectTimestamp"].isoformat() == "2026-03-08T10:00:00+00:00"
    expect_error(client.stop_contact, "ContactNotFoundException", 410, "is not active",
                 InstanceId=instance["id"], ContactId=task)


def _email(connect: Any, instance: Any) -> str:
    agent = new_agent(connect, instance)
    contact_id: str = connect.create_contact(
        InstanceId=instance["id"], Channel="EMAIL", InitiationMethod="OUTBOUND",
        UserInfo={"UserId": agent})["ContactId"]
    return contact_id


def test_additional_recipients_show_as_the_cc_list(connect: Any, instance: Any) -> None:
    email = _email(connect, instance)
    connect.update_contact(InstanceId=instance["id"], ContactId=email, AdditionalRecipients={
        "CcEmailAddresses": [{"EmailAddress": "boss@example.com", "DisplayName": "Boss"},
                             {"EmailAddress": "team@example.com"}]})
    contact = connect.describe_contact(InstanceId=instance["id"], ContactId=email)["Contact"]
    assert contact["AdditionalEmailRecipients"] == {"CcList": [
        {"Address": "boss@example.com", "DisplayName": "Boss"},
        {"Address": "team@example.com"}]}
    # "An empty list clears the existing CC recipients."
    connect.update_contact(InstanceId=instance["id"], ContactId=email,
                           AdditionalRecipients={"CcEmailAddresses": []})
    contact = connect.describe_contact(InstanceId=instance["id"], ContactId=email)["Contact"]
    assert "AdditionalEmailRecipients" not in contact


def test_additional_recipients_are_for_email_contacts(connect: Any, instance: Any) -> None:
    task = _task(connect, instance)
    expect_error(connect.update_contact, "InvalidParameterException", 400,
                 f"AdditionalRecipients can be updated only for EMAIL contacts; contact {task} "
                 "is TASK", InstanceId=instance["id"], ContactId=task,
                 AdditionalRecipients={"CcEmailAddresses": [{"EmailAddress": "a@example.com"}]})
    contact = connect.describe_contact(InstanceId=instance["id"], ContactId=task)["Contact"]
    assert "AdditionalEmailRecipients" not in contact


def test_describe_routing_profile_answers_as_amazon_connect_does(connect: Any,
                                                                 instance: Any) -> None:
    summary = connect.list_routing_profiles(
        InstanceId=instance["id"])["RoutingProfileSummaryList"][0]
    profile = connect.describe_routing_profile(
        InstanceId=instance["id"], RoutingProfileId=summary["Id"])["RoutingProfile"]
    assert "AssociatedQueueIds" not in profile
    assert profile["IsDefault"] is True
    assert profile["AgentAvailabilityTimer"] == "TIME_SINCE_LAST_ACTIVITY"
    assert {m["Channel"]: m["CrossChannelBehavior"] for m in profile["MediaConcurrencies"]} == {
        channel: {"BehaviorType": "ROUTE_CURRENT_CHANNEL_ONLY"}
        for channel in ("VOICE", "CHAT", "TASK")}
    assert profile["NumberOfAssociatedQueues"] == 1
