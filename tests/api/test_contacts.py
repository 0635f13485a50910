"""Contacts through boto3 over HTTP: each creating operation, DescribeContact, StopContact."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.serialize import create_serializer

from ..errors import expect_error

PHONE, CALLER = "+15555550100", "+15555550199"


def _describe(connect: Any, instance: dict[str, Any], contact_id: str) -> dict[str, Any]:
    contact: dict[str, Any] = connect.describe_contact(
        InstanceId=instance["id"], ContactId=contact_id)["Contact"]
    return contact


def _assert_common(contact: dict[str, Any], instance: dict[str, Any], contact_id: str) -> None:
    assert contact["Id"] == contact_id
    assert contact["Arn"] == f"{instance['arn']}/contact/{contact_id}"
    assert uuid.UUID(contact_id).version == 4
    for key in ("InitiationTimestamp", "LastUpdateTimestamp"):
        assert isinstance(contact[key], datetime), key
        assert contact[key].tzinfo is not None
    assert abs((datetime.now(contact["InitiationTimestamp"].tzinfo)
                - contact["InitiationTimestamp"]).total_seconds()) < 60


def test_outbound_voice_contact_is_described_as_connect_would(connect: Any, instance: Any) -> None:
    contact_id = connect.start_outbound_voice_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        DestinationPhoneNumber=PHONE, SourcePhoneNumber=CALLER,
        Attributes={"customer": "42"}, Name="Call back", Description="About the order",
    )["ContactId"]
    contact = _describe(connect, instance, contact_id)
    _assert_common(contact, instance, contact_id)
    assert contact["Channel"] == "VOICE"
    assert contact["InitiationMethod"] == "API"
    assert contact["CustomerEndpoint"] == {"Type": "TELEPHONE_NUMBER", "Address": PHONE}
    assert contact["SystemEndpoint"] == {"Type": "TELEPHONE_NUMBER", "Address": CALLER}
    assert contact["QueueInfo"]["Id"] == instance["queues"]["BasicQueue"]
    assert contact["QueueInfo"]["EnqueueTimestamp"] == contact["InitiationTimestamp"]
    assert contact["Attributes"] == {"customer": "42"}
    assert contact["Name"] == "Call back"
    assert contact["Description"] == "About the order"
    assert contact["LastUpdateTimestamp"] == contact["InitiationTimestamp"]
    assert "DisconnectTimestamp" not in contact
    assert "AgentInfo" not in contact


def test_outbound_voice_contact_with_queue_and_no_source_number(connect: Any,
                                                                instance: Any) -> None:
    contact_id = connect.start_outbound_voice_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        DestinationPhoneNumber=PHONE, QueueId=instance["queues"]["BasicQueue"],
    )["ContactId"]
    contact = _describe(connect, instance, contact_id)
    assert contact["QueueInfo"]["Id"] == instance["queues"]["BasicQueue"]
    assert "SystemEndpoint" not in contact  # BasicQueue has no outbound caller id number


def test_outbound_voice_needs_a_source_number_without_a_queue(connect: Any,
                                                              instance: Any) -> None:
    expect_error(connect.start_outbound_voice_contact, "InvalidParameterException", 400,
                 "SourcePhoneNumber is required when QueueId is not given",
                 InstanceId=instance["id"], DestinationPhoneNumber=PHONE,
                 ContactFlowId=instance["flows"]["Default inbound"])


def test_outbound_voice_refused_when_outbound_calls_are_disabled(connect: Any) -> None:
    from ..conftest import new_instance

    inbound_only = new_instance(connect, OutboundCallsEnabled=False)
    expect_error(connect.start_outbound_voice_contact, "OutboundContactNotPermittedException",
                 403, "Outbound calls are not enabled",
                 InstanceId=inbound_only["id"], DestinationPhoneNumber=PHONE,
                 SourcePhoneNumber=CALLER, ContactFlowId=inbound_only["flows"]["Default inbound"])


def test_outbound_voice_rejects_a_phone_number_that_is_not_e164(connect: Any,
                                                               instance: Any) -> None:
    expect_error(connect.start_outbound_voice_contact, "InvalidParameterException", 400,
                 "Value '5555550100' at 'DestinationPhoneNumber' failed to satisfy constraint: "
                 "Member must satisfy regular expression pattern",
                 InstanceId=instance["id"], DestinationPhoneNumber="5555550100",
                 SourcePhoneNumber=CALLER, ContactFlowId=instance["flows"]["Default inbound"])


def test_chat_contact(connect: Any, instance: Any) -> None:
    started = connect.start_chat_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        ParticipantDetails={"DisplayName": "Jane"}, Attributes={"topic": "billing"},
        CustomerId="cust-1",
    )
    assert started["ParticipantId"] and started["ParticipantToken"]
    assert started["ConnectionCredentials"]["ConnectionToken"] == started["ParticipantToken"]
    contact = _describe(connect, instance, started["ContactId"])
    _assert_common(contact, instance, started["ContactId"])
    assert contact["Channel"] == "CHAT"
    assert contact["InitiationMethod"] == "API"
    assert contact["CustomerId"] == "cust-1"
    assert contact["Attributes"] == {"topic": "billing"}
    assert contact["QueueInfo"]["Id"] == instance["queues"]["BasicQueue"]


def test_webrtc_contact_is_an_in_app_call_that_runs_its_flow(connect: Any,
                                                             instance: Any) -> None:
    params = {"InstanceId": instance["id"],
              "ContactFlowId": instance["flows"]["Default inbound"],
              "ParticipantDetails": {"DisplayName": "Jane"}, "Attributes": {"app": "ios"},
              "Description": "In-app call",
              "References": {"order": {"Type": "STRING", "Value": "7"}},
              "AllowedCapabilities": {"Customer": {"Video": "SEND"},
                                      "Agent": {"Video": "SEND", "ScreenShare": "SEND"}},
              "ClientToken": "webrtc-1"}
    started = connect.start_web_rtc_contact(**params)
    contact_id = started["ContactId"]
    assert uuid.UUID(started["ParticipantId"]) and started["ParticipantToken"]
    meeting = started["ConnectionData"]["Meeting"]
    assert meeting["MediaRegion"] == "us-east-1" and uuid.UUID(meeting["MeetingId"])
    assert meeting["MediaPlacement"]["SignalingUrl"].startswith("wss://")
    assert meeting["MeetingFeatures"] == {"Audio": {"EchoReduction": "AVAILABLE"}}
    attendee = started["ConnectionData"]["Attendee"]
    assert uuid.UUID(attendee["AttendeeId"]) and attendee["JoinToken"]
    contact = _describe(connect, instance, contact_id)
    _assert_common(contact, instance, contact_id)
    assert (contact["Channel"], contact["InitiationMethod"]) == ("VOICE", "WEBRTC_API")
    assert contact["ConnectedToSystemTimestamp"] == contact["InitiationTimestamp"]
    assert contact["Description"] == "In-app call"
    assert contact["SegmentAttributes"] == {
        "connect:Subtype": {"ValueString": "connect:WebRTC"}}
    assert contact["Attributes"] == {"app": "ios"}
    assert "CustomerEndpoint" not in contact  # an app, not a telephone number
    assert contact["QueueInfo"]["Id"] == instance["queues"]["BasicQueue"]  # the flow's
    assert connect.list_contact_references(
        InstanceId=instance["id"], ContactId=contact_id, ReferenceTypes=["STRING"],
    )["ReferenceSummaryList"] == [{"String": {"Name": "order", "Value": "7"}}]
    # The same request with the same token is the same call, with the same meeting.
    again = connect.start_web_rtc_contact(**params)
    assert again["ContactId"] == contact_id
    assert again["ConnectionData"]["Meeting"]["MeetingId"] == meeting["MeetingId"]
    missing = str(uuid.uuid4())
    expect_error(connect.start_web_rtc_contact, "ResourceNotFoundException", 404,
                 f"Contact flow not found: {missing} (instance {instance['id']})",
                 InstanceId=instance["id"], ContactFlowId=missing,
                 ParticipantDetails={"DisplayName": "Jane"})
    connect.stop_contact(InstanceId=instance["id"], ContactId=contact_id)
    assert _describe(connect, instance, contact_id)["DisconnectReason"] == "API"


def test_persistent_chat_continues_from_its_source(connect: Any, instance: Any) -> None:
    flow = instance["flows"]["Default inbound"]
    first = connect.start_chat_contact(InstanceId=instance["id"], ContactFlowId=flow,
                                       ParticipantDetails={"DisplayName": "Jane"})["ContactId"]
    connect.stop_contact(InstanceId=instance["id"], ContactId=first)
    second = connect.start_chat_contact(
        InstanceId=instance["id"], ContactFlowId=flow, ParticipantDetails={"DisplayName": "Jane"},
        PersistentChat={"RehydrationType": "ENTIRE_PAST_SESSION", "SourceContactId": first})
    assert second["ContinuedFromContactId"] == first
    assert _describe(connect, instance, second["ContactId"])["RelatedContactId"] == first


def test_task_contact_with_schedule_and_chain(connect: Any, instance: Any) -> None:
    flow = instance["flows"]["Sample task flow"]
    first = connect.start_task_contact(InstanceId=instance["id"], ContactFlowId=flow,
                                       Name="Follow up", Description="Call the customer",
                                       Attributes={"order": "7"},
                                       References={"crm": {"Type": "URL",
                                                           "Value": "https://crm.example/7"}})
    task = _describe(connect, instance, first["ContactId"])
    _assert_common(task, instance, first["ContactId"])
    assert task["Channel"] == "TASK" and task["InitiationMethod"] == "API"
    assert task["Name"] == "Follow up" and task["Description"] == "Call the customer"
    assert task["QueueInfo"]["Id"] == instance["queues"]["BasicQueue"]

    later = task["InitiationTimestamp"] + timedelta(days=2)
    second = connect.start_task_contact(InstanceId=instance["id"], ContactFlowId=flow,
                                        Name="Second", PreviousContactId=first["ContactId"],
                                        ScheduledTime=later)
    linked = _describe(connect, instance, second["ContactId"])
    assert linked["PreviousContactId"] == first["ContactId"]
    assert linked["InitialContactId"] == first["ContactId"]
    assert linked["ContactAssociationId"] == first["ContactId"]
    # The instant this botocore put on the wire: rest-json clients up to 1.40 send whole
    # seconds, later ones milliseconds.
    serializer = create_serializer("rest-json", include_validation=False)
    sent = serializer._timestamp_unixtimestamp(later)
    assert linked["ScheduledTimestamp"] == datetime.fromtimestamp(sent, UTC)
    assert "QueueInfo" not in linked  # enters its queue at the scheduled time
    assert linked["Attributes"] == {"order": "7"}  # attributes follow the chain


def test_task_contact_schedule_limits(connect: Any, instance: Any) -> None:
    flow = instance["flows"]["Sample task flow"]
    now = datetime.now().astimezone()
    for when in (now - timedelta(hours=1), now + timedelta(days=6, hours=1)):
        expect_error(connect.start_task_contact, "InvalidParameterException", 400,
                     "must be between now", InstanceId=instance["id"], ContactFlowId=flow,
                     Name="x", ScheduledTime=when)
    ok = connect.start_task_contact(InstanceId=instance["id"], ContactFlowId=flow, Name="x",
                                    ScheduledTime=now + timedelta(days=5, hours=23))
    assert ok["ContactId"]


def test_task_contact_needs_a_flow_quick_connect_or_template(connect: Any,
                                                            instance: Any) -> None:
    expect_error(connect.start_task_contact, "InvalidRequestException", 400,
                 "One of ContactFlowId, QuickConnectId or TaskTemplateId is required",
                 InstanceId=instance["id"], Name="x")


def test_twelve_tasks_can_share_a_previous_contact(connect: Any, instance: Any) -> None:
    # "There can be a maximum of 12 linked task contacts in a chain. That is, 12 task contacts
    # can be created that share the same PreviousContactId."
    flow = instance["flows"]["Sample task flow"]
    first = connect.start_task_contact(InstanceId=instance["id"], ContactFlowId=flow,
                                       Name="first")["ContactId"]
    for _ in range(12):  # the 12th is just inside the limit
        connect.start_task_contact(InstanceId=instance["id"], ContactFlowId=flow, Name="link",
                                   PreviousContactId=first)
    expect_error(connect.start_task_contact, "ServiceQuotaExceededException", 402,
                 f"12 task contacts already share the PreviousContactId {first}",
                 InstanceId=instance["id"], ContactFlowId=flow, Name="one too many",
                 PreviousContactId=first)
    # A long chain, each task following the last, is another matter.
    previous = connect.start_task_contact(InstanceId=instance["id"], ContactFlowId=flow,
                                          Name="start")["ContactId"]
    for _ in range(13):
        previous = connect.start_task_contact(InstanceId=instance["id"], ContactFlowId=flow,
                                              Name="next", PreviousContactId=previous)[
            "ContactId"]


def test_a_related_task_copies_the_attributes(connect: Any, instance: Any) -> None:
    flow = instance["flows"]["Sample task flow"]
    related = connect.start_task_contact(InstanceId=instance["id"], ContactFlowId=flow,
                                         Name="related", Attributes={"a": "1", "b": "2"})
    copy = connect.start_task_contact(InstanceId=instance["id"], ContactFlowId=flow,
                                      Name="copy", RelatedContactId=related["ContactId"],
                                      Attributes={"b": "mine"})
    assert _describe(connect, instance, copy["ContactId"])["Attributes"] == {"a": "1",
                                                                             "b": "mine"}
    connect.update_contact_attributes(InstanceId=instance["id"],
                                      InitialContactId=copy["ContactId"], Attributes={"c": "3"})
    assert _describe(connect, instance, related["ContactId"])["Attributes"] == {"a": "1",
                                                                                "b": "2"}


def test_create_contact_task_completed(connect: Any, instance: Any) -> None:
    created = connect.create_contact(InstanceId=instance["id"], Channel="TASK",
                                     InitiationMethod="API", InitiateAs="COMPLETED",
                                     Name="Imported", Attributes={"k": "v"})
    contact = _describe(connect, instance, created["ContactId"])
    assert created["ContactArn"] == contact["Arn"]
    assert contact["Channel"] == "TASK" and contact["InitiationMethod"] == "API"
    assert contact["DisconnectTimestamp"] == contact["InitiationTimestamp"]
    assert contact["Attributes"] == {"k": "v"}


def test_create_contact_voice_transfer_with_previous(connect: Any, instance: Any) -> None:
    first = connect.create_contact(InstanceId=instance["id"], Channel="VOICE",
                                   InitiationMethod="TRANSFER")["ContactId"]
    second = connect.create_contact(InstanceId=instance["id"], Channel="VOICE",
                                    InitiationMethod="TRANSFER",
                                    PreviousContactId=first)["ContactId"]
    contact = _describe(connect, instance, second)
    assert contact["InitiationMethod"] == "TRANSFER"
    assert contact["PreviousContactId"] == first
    assert contact["InitialContactId"] == first
    assert contact["ContactAssociationId"] == first


def test_create_contact_rules(connect: Any, instance: Any) -> None:
    expect_error(connect.create_contact, "InvalidRequestException", 400,
                 "does not support the CHAT channel",
                 InstanceId=instance["id"], Channel="CHAT", InitiationMethod="API")
    expect_error(connect.create_contact, "InvalidParameterException", 400,
                 "InitiationMethod INBOUND is not supported for the VOICE channel",
                 InstanceId=instance["id"], Channel="VOICE", InitiationMethod="INBOUND")
    expect_error(connect.create_contact, "InvalidParameterException", 400,
                 "Only TASK contacts can be created with InitiateAs COMPLETED",
                 InstanceId=instance["id"], Channel="VOICE", InitiationMethod="TRANSFER",
                 InitiateAs="COMPLETED")
    expect_error(connect.create_contact, "InvalidParameterException", 400,
                 "UserInfo is required", InstanceId=instance["id"], Channel="EMAIL",
                 InitiationMethod="OUTBOUND")


def test_client_token_makes_creation_idempotent(connect: Any, instance: Any) -> None:
    params = {"InstanceId": instance["id"], "ContactFlowId": instance["flows"]["Default inbound"],
              "Name": "once", "ClientToken": "token-1"}
    first = connect.start_task_contact(**params)["ContactId"]
    assert connect.start_task_contact(**params)["ContactId"] == first
    created = connect.create_contact(InstanceId=instance["id"], Channel="TASK",
                                     InitiationMethod="API", Name="n", ClientToken="token-2")
    again = connect.create_contact(InstanceId=instance["id"], Channel="TASK",
                                   InitiationMethod="API", Name="n", ClientToken="token-2")
    assert again["ContactId"] == created["ContactId"]
    expect_error(connect.create_contact, "IdempotencyException", 409,
                 "ClientToken token-2 was already used for a different CreateContact request",
                 InstanceId=instance["id"], Channel="TASK", InitiationMethod="API",
                 Name="different", ClientToken="token-2")


def test_stop_contact(connect: Any, instance: Any) -> None:
    contact_id = connect.start_task_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        Name="stop me")["ContactId"]
    before = _describe(connect, instance, contact_id)
    connect.stop_contact(InstanceId=instance["id"], ContactId=contact_id)
    after = _describe(connect, instance, contact_id)
    assert after["DisconnectTimestamp"] >= before["InitiationTimestamp"]
    assert after["LastUpdateTimestamp"] == after["DisconnectTimestamp"]
    assert after["DisconnectReason"] == "API"
    expect_error(connect.stop_contact, "ContactNotFoundException", 410,
                 f"Contact {contact_id} is not active or does not exist",
                 InstanceId=instance["id"], ContactId=contact_id)


def test_stop_contact_refuses_voice_transfers(connect: Any, instance: Any) -> None:
    transfer = connect.create_contact(InstanceId=instance["id"], Channel="VOICE",
                                      InitiationMethod="TRANSFER")["ContactId"]
    expect_error(connect.stop_contact, "InvalidRequestException", 400,
                 "StopContact does not stop VOICE contacts initiated by TRANSFER",
                 InstanceId=instance["id"], ContactId=transfer)


def test_related_contact_must_exist(connect: Any, instance: Any) -> None:
    missing = str(uuid.uuid4())
    expect_error(connect.start_task_contact, "ResourceNotFoundException", 404,
                 f"RelatedContactId {missing} not found", InstanceId=instance["id"],
                 ContactFlowId=instance["flows"]["Default inbound"], Name="x",
                 RelatedContactId=missing)
    related = connect.start_task_contact(InstanceId=instance["id"], Name="a",
                                         ContactFlowId=instance["flows"]["Default inbound"])
    linked = connect.start_task_contact(InstanceId=instance["id"], Name="b",
                                        ContactFlowId=instance["flows"]["Default inbound"],
                                        RelatedContactId=related["ContactId"])
    assert _describe(connect, instance, linked["ContactId"])["RelatedContactId"] == \
        related["ContactId"]


def test_describe_contact_errors(connect: Any, instance: Any) -> None:
    missing = str(uuid.uuid4())
    expect_error(connect.describe_contact, "ResourceNotFoundException", 404,
                 f"Contact not found: {missing}", InstanceId=instance["id"], ContactId=missing)
    other = str(uuid.uuid4())
    expect_error(connect.describe_contact, "ResourceNotFoundException", 404,
                 f"Instance not found: {other}", InstanceId=other, ContactId=missing)
    expect_error(connect.describe_contact, "InvalidParameterException", 400,
                 "at 'ContactId' failed to satisfy constraint: Member must have length less "
                 "than or equal to 256", InstanceId=instance["id"], ContactId="c" * 257)
    expect_error(connect.describe_contact, "InvalidParameterException", 400,
                 "at 'InstanceId' failed to satisfy constraint: Member must have length less "
                 "than or equal to 100", InstanceId="i" * 101, ContactId=missing)
    expect_error(connect.describe_contact, "InvalidParameterException", 400,
                 "ContactId 'not-a-contact' is not a valid contact id",
                 InstanceId=instance["id"], ContactId="not-a-contact")
    expect_error(connect.describe_contact, "InvalidParameterException", 400,
                 "InstanceId 'not-an-instance' is not a valid instance id or instance ARN",
                 InstanceId="not-an-instance", ContactId=missing)


def test_contact_in_another_instance_is_not_found(connect: Any, instance: Any) -> None:
    from ..conftest import new_instance

    contact_id = connect.start_task_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        Name="mine")["ContactId"]
    other = new_instance(connect)
    expect_error(connect.describe_contact, "ResourceNotFoundException", 404,
                 f"Contact not found: {contact_id}", InstanceId=other["id"], ContactId=contact_id)


def test_instance_arn_is_accepted_as_instance_id(connect: Any, instance: Any) -> None:
    contact_id = connect.start_task_contact(
        InstanceId=instance["arn"], ContactFlowId=instance["flows"]["Default inbound"],
        Name="by arn")["ContactId"]
    assert connect.describe_contact(InstanceId=instance["arn"],
                                    ContactId=contact_id)["Contact"]["Id"] == contact_id


def test_unknown_flow_and_queue_are_named(connect: Any, instance: Any) -> None:
    flow = str(uuid.uuid4())
    expect_error(connect.start_task_contact, "ResourceNotFoundException", 404,
                 f"Contact flow not found: {flow}", InstanceId=instance["id"],
                 ContactFlowId=flow, Name="x")
    queue = str(uuid.uuid4())
    expect_error(connect.start_outbound_voice_contact, "ResourceNotFoundException", 404,
                 f"Queue not found: {queue}", InstanceId=instance["id"],
                 ContactFlowId=instance["flows"]["Default inbound"],
                 DestinationPhoneNumber=PHONE, QueueId=queue)
    expect_error(connect.start_task_contact, "InvalidParameterException", 400,
                 "has type AGENT_HOLD", InstanceId=instance["id"],
                 ContactFlowId=instance["flows"]["Default agent hold"], Name="x")
