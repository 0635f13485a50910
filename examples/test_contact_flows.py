"""Testing contact flows end to end: a flow from examples/flows/, deployed with
CreateContactFlow as a pipeline would deploy it, run by connectlocal, calling a Python Lambda
function in-process (README, "Testing your contact flows")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from connectlocal import mock_connect

from .lambdas import customer_lookup

FLOWS = Path(__file__).parent / "flows"
LOOKUP = "arn:aws:lambda:us-east-1:123456789012:function:customer-lookup"


@pytest.fixture
def mock() -> Iterator[mock_connect]:
    with mock_connect(lambdas={LOOKUP: customer_lookup.handler}) as started:
        yield started


@pytest.fixture
def connect(mock: mock_connect) -> Any:
    return boto3.client("connect", region_name="us-east-1")


@pytest.fixture
def center(connect: Any) -> dict[str, Any]:
    """An instance with a billing and a support queue and the lookup function associated."""
    instance = connect.create_instance(IdentityManagementType="CONNECT_MANAGED",
                                       InstanceAlias="example-corp", InboundCallsEnabled=True,
                                       OutboundCallsEnabled=True)
    iid = instance["Id"]
    weekdays = connect.create_hours_of_operation(
        InstanceId=iid, Name="Weekdays 9-5", TimeZone="America/New_York",
        Config=[{"Day": day, "StartTime": {"Hours": 9, "Minutes": 0},
                 "EndTime": {"Hours": 17, "Minutes": 0}}
                for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")])
    queues = {name: connect.create_queue(InstanceId=iid, Name=name,
                                         HoursOfOperationId=weekdays["HoursOfOperationId"])
              for name in ("Billing", "Support")}
    connect.associate_lambda_function(InstanceId=iid, FunctionArn=LOOKUP)
    flows = {f["Name"]: f["Arn"] for f in connect.list_contact_flows(
        InstanceId=iid)["ContactFlowSummaryList"]}
    return {"id": iid, "queues": queues, "flows": flows, "values": {
        "LookupFunctionArn": LOOKUP, "BillingQueueArn": queues["Billing"]["QueueArn"],
        "SupportQueueArn": queues["Support"]["QueueArn"],
        "TaskFlowArn": flows["Sample task flow"]}}


def deploy(connect: Any, center: dict[str, Any], name: str) -> str:
    """Creates the flow from its JSON, filling in the {{placeholders}} as a deployment would."""
    content = (FLOWS / f"{name}.json").read_text()
    for key, value in center["values"].items():
        content = content.replace("{{" + key + "}}", value)
    flow_id: str = connect.create_contact_flow(InstanceId=center["id"], Name=name,
                                               Type="CONTACT_FLOW", Content=content)[
        "ContactFlowId"]
    return flow_id


def claim(connect: Any, center: dict[str, Any], flow_id: str) -> str:
    """Claims a number for the instance and points it at the flow."""
    instance_arn = connect.describe_instance(InstanceId=center["id"])["Instance"]["Arn"]
    number: str = connect.search_available_phone_numbers(
        TargetArn=instance_arn, PhoneNumberCountryCode="US", PhoneNumberType="DID",
        MaxResults=1)["AvailableNumbersList"][0]["PhoneNumber"]
    claimed = connect.claim_phone_number(TargetArn=instance_arn, PhoneNumber=number)
    connect.associate_phone_number_contact_flow(PhoneNumberId=claimed["PhoneNumberId"],
                                                InstanceId=center["id"], ContactFlowId=flow_id)
    return number


def ring(mock: mock_connect, center: dict[str, Any], number: str, caller: str) -> str:
    """A customer calls the number (POST /_connectlocal/events, in-process)."""
    status, body = mock.admin("POST", "events", json.dumps({
        "event": "arrive", "instance_id": center["id"], "channel": "VOICE", "to": number,
        "customer": caller}).encode())
    assert status == 200, body
    contact_id: str = json.loads(body)["ContactId"]
    return contact_id


def test_the_ivr_greets_a_known_caller_and_routes_on_the_key_pressed(
        mock: mock_connect, connect: Any, center: dict[str, Any]) -> None:
    number = claim(connect, center, deploy(connect, center, "ivr_lookup"))
    call = ring(mock, center, number, "+15555550100")
    # The flow looked the caller up, greeted them, and waits at the menu.
    attributes = connect.get_contact_attributes(InstanceId=center["id"],
                                                InitialContactId=call)["Attributes"]
    assert attributes == {"customerName": "Ada", "tier": "gold"}
    prompts = [r["Parameters"].get("Text") for r in mock.flow_logs(call)
               if r["ContactFlowModuleType"] in ("PlayPrompt", "GetUserInput")]
    assert prompts == ["Thanks for calling Example Corp.", "Hello Ada.",
                       "Press 1 for billing, 2 for support."]

    mock.customer_input(center["id"], call, dtmf="1#")
    contact = connect.describe_contact(InstanceId=center["id"], ContactId=call)["Contact"]
    assert contact["QueueInfo"]["Id"] == center["queues"]["Billing"]["QueueId"]


def test_the_ivr_sends_a_caller_who_presses_nothing_to_support(
        mock: mock_connect, connect: Any, center: dict[str, Any]) -> None:
    number = claim(connect, center, deploy(connect, center, "ivr_lookup"))
    call = ring(mock, center, number, "+15555550123")
    mock.advance(6)  # past InputTimeLimitSeconds, on the service clock
    contact = connect.describe_contact(InstanceId=center["id"], ContactId=call)["Contact"]
    assert contact["QueueInfo"]["Id"] == center["queues"]["Support"]["QueueId"]
    menu = next(r for r in mock.flow_logs(call) if r["Identifier"] == "greet")
    assert menu["Parameters"]["Text"] == "Hello there."


def test_a_chat_leaves_a_follow_up_task(mock: mock_connect, connect: Any,
                                        center: dict[str, Any]) -> None:
    chat = connect.start_chat_contact(
        InstanceId=center["id"], ContactFlowId=deploy(connect, center, "chat_followup_task"),
        ParticipantDetails={"DisplayName": "Ada"}, Attributes={"customerName": "Ada"})[
        "ContactId"]
    mock.customer_input(center["id"], chat, text="My parcel never arrived.")
    task_id = next(r["Results"] for r in mock.flow_logs(chat) if r["Identifier"] == "task")
    task = connect.describe_contact(InstanceId=center["id"], ContactId=task_id)["Contact"]
    assert task["Channel"] == "TASK" and task["RelatedContactId"] == chat
    assert task["Name"] == "Follow up with Ada"
    assert task["Description"] == "My parcel never arrived."
    assert connect.get_contact_attributes(InstanceId=center["id"], InitialContactId=task_id)[
        "Attributes"] == {"chatContactId": chat}
    # The chat said goodbye and ended.
    ended = connect.describe_contact(InstanceId=center["id"], ContactId=chat)["Contact"]
    assert ended["DisconnectReason"] == "CONTACT_FLOW_DISCONNECT"
    assert json.loads(json.dumps(mock.flow_logs(chat)))[-1]["ContactFlowModuleType"] == \
        "Disconnect"


@pytest.mark.parametrize(("now", "expected"), [
    ("2025-06-02T14:00:00Z", "queued"),  # Monday 10:00 in New York
    ("2025-06-07T14:00:00Z", "closed"),  # Saturday
])
def test_after_hours_callers_hear_the_closed_message(
        mock: mock_connect, connect: Any, center: dict[str, Any], now: str,
        expected: str) -> None:
    mock.set_clock(now)
    number = claim(connect, center, deploy(connect, center, "after_hours"))
    call = ring(mock, center, number, "+15555550100")
    contact = connect.describe_contact(InstanceId=center["id"], ContactId=call)["Contact"]
    said = [r["Parameters"].get("Text") for r in mock.flow_logs(call)
            if r["ContactFlowModuleType"] == "PlayPrompt"]
    if expected == "queued":
        assert contact["QueueInfo"]["Id"] == center["queues"]["Support"]["QueueId"]
        assert said == []
    else:
        assert contact["DisconnectReason"] == "CONTACT_FLOW_DISCONNECT"
        assert said == ["We are closed. Our hours are 9 to 5, Monday to Friday."]
