"""``connectlocal call``: an inbound call to a claimed number, into a running server and into
a store, printing the flow's path, prompts, Lambda calls and where the call ended."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from connectlocal.testing import ServerProcess

from ..api.flow_lambdas import LOOKUP, TARGETS
from ..conftest import client_for, new_instance


def _ivr(client: Any, instance: dict[str, Any]) -> tuple[str, str]:
    hours = client.list_hours_of_operations(
        InstanceId=instance["id"])["HoursOfOperationSummaryList"][0]["Id"]
    sales = client.create_queue(InstanceId=instance["id"], Name="Sales",
                                HoursOfOperationId=hours)
    client.associate_lambda_function(InstanceId=instance["id"], FunctionArn=LOOKUP)
    actions = [
        {"Identifier": "welcome", "Type": "MessageParticipant",
         "Parameters": {"Text": "Welcome to Example Corp."}, "Transitions": {
             "NextAction": "lookup"}},
        {"Identifier": "lookup", "Type": "InvokeLambdaFunction",
         "Parameters": {"LambdaFunctionARN": LOOKUP,
                        "LambdaInvocationAttributes": {"account": "hello"}},
         "Transitions": {"NextAction": "menu"}},
        {"Identifier": "menu", "Type": "GetParticipantInput",
         "Parameters": {"Text": "Press 1 for sales.", "InputTimeLimitSeconds": "5"},
         "Transitions": {"Conditions": [{"NextAction": "queue", "Condition": {
             "Operator": "Equals", "Operands": ["1"]}}], "Errors": [
             {"NextAction": "bye", "ErrorType": "NoMatchingCondition"},
             {"NextAction": "bye", "ErrorType": "InputTimeLimitExceeded"}]}},
        {"Identifier": "queue", "Type": "UpdateContactTargetQueue",
         "Parameters": {"QueueId": sales["QueueArn"]}, "Transitions": {"NextAction": "go"}},
        {"Identifier": "go", "Type": "TransferContactToQueue", "Parameters": {},
         "Transitions": {}},
        {"Identifier": "bye", "Type": "DisconnectParticipant", "Parameters": {},
         "Transitions": {}}]
    flow = client.create_contact_flow(InstanceId=instance["id"], Name="IVR",
                                      Type="CONTACT_FLOW", Content=json.dumps({
                                          "Version": "2019-10-30", "StartAction": "welcome",
                                          "Actions": actions}))["ContactFlowId"]
    number = client.search_available_phone_numbers(
        TargetArn=instance["arn"], PhoneNumberCountryCode="US", PhoneNumberType="DID",
        MaxResults=1)["AvailableNumbersList"][0]["PhoneNumber"]
    claimed = client.claim_phone_number(TargetArn=instance["arn"], PhoneNumber=number)
    client.associate_phone_number_contact_flow(PhoneNumberId=claimed["PhoneNumberId"],
                                               InstanceId=instance["id"], ContactFlowId=flow)
    return number, sales["QueueId"]


def _call(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "connectlocal.cli", "call", *args],
                          capture_output=True, text=True, timeout=120)


def test_call_into_a_server_and_into_a_store(tmp_path: Path) -> None:
    data = str(tmp_path / "connect.db")
    mapping = f"{LOOKUP}={TARGETS[LOOKUP]}"
    with ServerProcess(data, "--lambda", mapping) as server:
        client = client_for(server.url)
        instance = new_instance(client)
        number, sales = _ivr(client, instance)
        done = _call("--instance-id", instance["id"], "--to", number, "--from",
                     "+15555550142", "--dtmf", "1#", "--endpoint", server.url)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].startswith("call ") and lines[0].endswith(
            f"from +15555550142 to {number}")
        assert lines[1] == "  flow: IVR"
        assert "welcome  PlayPrompt  says 'Welcome to Example Corp.'" in lines[2]
        assert f"lookup  InvokeExternalResource  {LOOKUP} -> " in lines[3]
        assert '"tier": "gold"' in lines[3]
        assert "menu  GetUserInput  says 'Press 1 for sales.'" in lines[4]
        assert lines[5].strip() == "caller presses '1#'"
        assert lines[-1] == f"ended: in queue Sales ({sales})"
        unknown = _call("--instance-id", instance["id"], "--to", "+15555550999",
                        "--endpoint", server.url)
        assert unknown.returncode == 1 and "runs no flow" in unknown.stderr
    # Into the store itself, the function run by the command; the caller presses nothing.
    done = _call("--instance-id", instance["id"], "--to", number, "--data", data,
                 "--lambda", mapping)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "ended: the flow is waiting (for customer input)"
    wrong = _call("--instance-id", instance["id"], "--to", number, "--data", data,
                  "--lambda", mapping, "--say", "9")
    assert wrong.stdout.splitlines()[-1] == "ended: disconnected (CONTACT_FLOW_DISCONNECT)"
