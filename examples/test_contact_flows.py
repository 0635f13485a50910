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
    hours = connect.list_hours_of_operations(
        InstanceId=iid)["HoursOfOperationSummaryList"][0]["Id"]
    queues = {name: connect.create_queue(InstanceId=iid, Name=name, HoursOfOperationId=hours)
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


def test_the_ivr_greets_a_known_caller_and_routes_on_the_key_pressed(
        mock: mock_connect, connect: Any, center: dict[str, Any]) -> None:
    call = connect.start_outbound_voice_contact(
        InstanceId=center["id"], ContactFlowId=deploy(connect, center, "ivr_lookup"),
        DestinationPhoneNumber="+15555550100", SourcePhoneNumber="+15555550199")["ContactId"]
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
    call = connect.start_outbound_voice_contact(
        InstanceId=center["id"], ContactFlowId=deploy(connect, center, "ivr_lookup"),
        DestinationPhoneNumber="+15555550123", SourcePhoneNumber="+15555550199")["ContactId"]
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
