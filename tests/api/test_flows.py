"""Contact flows that run (issue 16), through boto3 over both transports: attributes, a Lambda
function invoked with the ContactFlowEvent, branches, queues, customer input, flow logs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from connectlocal.mock import mock_connect

from ..conftest import TRANSPORT, InProcessServer, client_for, new_agent, new_instance
from ..errors import expect_error
from ..serverproc import ServerProcess, tmp_db
from .flow_lambdas import FAILING, LOOKUP, NESTED, SLOW, TARGETS


@pytest.fixture(scope="module")
def flow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A server whose Lambda functions run this module's handlers."""
    if TRANSPORT == "inprocess":
        proc = InProcessServer()
        proc.mock = mock_connect(endpoint_url=proc.url, lambdas=dict(TARGETS))
        proc.start()
    else:
        mapping = ",".join(f"{arn}={target}" for arn, target in TARGETS.items())
        proc = ServerProcess(tmp_db(tmp_path_factory.mktemp("flows")), "--lambda", mapping)
        proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def connect(flow_server: Any) -> Any:
    return client_for(flow_server.url)


def _flow(client: Any, instance: dict[str, Any], actions: list[dict[str, Any]],
          name: str = "", kind: str = "CONTACT_FLOW") -> str:
    content = json.dumps({"Version": "2019-10-30", "StartAction": actions[0]["Identifier"],
                          "Metadata": {}, "Actions": actions})
    flow_id: str = client.create_contact_flow(
        InstanceId=instance["id"], Name=name or f"flow-{id(actions)}", Type=kind,
        Content=content)["ContactFlowId"]
    return flow_id


def _act(ident: str, kind: str, parameters: dict[str, Any] | None = None,
         next_action: str | None = None, errors: dict[str, str] | None = None,
         conditions: list[tuple[str, str, str]] | None = None) -> dict[str, Any]:
    transitions: dict[str, Any] = {}
    if next_action:
        transitions["NextAction"] = next_action
    if errors:
        transitions["Errors"] = [{"NextAction": n, "ErrorType": t} for t, n in errors.items()]
    if conditions:
        transitions["Conditions"] = [{"NextAction": n, "Condition": {
            "Operator": op, "Operands": [value]}} for op, value, n in conditions]
    return {"Identifier": ident, "Type": kind, "Parameters": parameters or {},
            "Transitions": transitions}


def _lookup_flow(client: Any, instance: dict[str, Any], gold: str, arn: str = LOOKUP,
                 name: str = "") -> str:
    """Sets attributes, calls the lookup function, branches on its answer, queues."""
    basic = client.describe_queue(InstanceId=instance["id"],
                                  QueueId=instance["queues"]["BasicQueue"])["Queue"]["QueueArn"]
    return _flow(client, instance, [
        _act("set", "UpdateContactAttributes",
             {"Attributes": {"greeting": "hello", "caller": "$.Name"}}, "lookup"),
        _act("lookup", "InvokeLambdaFunction",
             {"LambdaFunctionARN": arn, "InvocationTimeLimitSeconds": "8",
              "LambdaInvocationAttributes": {"account": "$.Attributes.greeting"},
              "ResponseValidation": {"ResponseType": "STRING_MAP"}},
             "keep", {"NoMatchingError": "failed"}),
        _act("keep", "UpdateContactAttributes",
             {"Attributes": {"tier": "$.External.tier", "received": "$.External.event",
                             "context": "$.External.context"}}, "branch"),
        _act("branch", "Compare", {"ComparisonValue": "$.External.tier"}, None,
             {"NoMatchingCondition": "to-basic"}, [("Equals", "gold", "to-gold")]),
        _act("to-gold", "UpdateContactTargetQueue", {"QueueId": gold}, "transfer"),
        _act("to-basic", "UpdateContactTargetQueue", {"QueueId": basic}, "transfer"),
        _act("failed", "UpdateContactAttributes", {"Attributes": {"lambda": "failed"}},
             "to-basic"),
        _act("transfer", "TransferContactToQueue", {}, None,
             {"QueueAtCapacity": "end", "NoMatchingError": "end"}),
        _act("end", "DisconnectParticipant"),
    ], name=name)


def _gold_queue(client: Any, instance: dict[str, Any]) -> dict[str, Any]:
    hours = client.list_hours_of_operations(
        InstanceId=instance["id"])["HoursOfOperationSummaryList"][0]["Id"]
    queue: dict[str, Any] = client.create_queue(InstanceId=instance["id"], Name="Gold",
                                                HoursOfOperationId=hours)
    return queue


def test_a_task_runs_its_flow_with_a_lambda_and_lands_in_the_queue_it_chose(
        connect: Any, flow_server: Any) -> None:
    instance = new_instance(connect)
    gold = _gold_queue(connect, instance)
    connect.associate_lambda_function(InstanceId=instance["id"], FunctionArn=LOOKUP)
    flow_id = _lookup_flow(connect, instance, gold["QueueArn"])
    task = connect.start_task_contact(InstanceId=instance["id"], Name="Callback request",
                                      ContactFlowId=flow_id,
                                      Attributes={"given": "by the API"})["ContactId"]

    attributes = connect.get_contact_attributes(InstanceId=instance["id"],
                                                InitialContactId=task)["Attributes"]
    assert attributes["greeting"] == "hello" and attributes["caller"] == "Callback request"
    assert attributes["tier"] == "gold" and attributes["given"] == "by the API"
    contact = connect.describe_contact(InstanceId=instance["id"], ContactId=task)["Contact"]
    assert contact["QueueInfo"]["Id"] == gold["QueueId"]
    assert "DisconnectTimestamp" not in contact

    # The event the function received, field by field (Admin Guide, "Invoke AWS Lambda
    # functions": the ContactFlowEvent).
    event = json.loads(attributes["received"])
    assert event["Name"] == "ContactFlowEvent"
    assert set(event) == {"Details", "Name"}
    assert event["Details"]["Parameters"] == {"account": "hello"}
    data = event["Details"]["ContactData"]
    assert data["ContactId"] == task and data["InitialContactId"] == task
    assert data["PreviousContactId"] == task
    assert data["Channel"] == "TASK" and data["InitiationMethod"] == "API"
    assert data["InstanceARN"] == instance["arn"]
    assert data["Attributes"] == {"given": "by the API", "greeting": "hello",
                                  "caller": "Callback request"}
    assert data["CustomerEndpoint"] is None and data["SystemEndpoint"] is None
    assert data["Queue"] is None  # no queue was set before the function ran
    assert data["Name"] == "Callback request" and data["LanguageCode"] == "en-US"
    assert data["Tags"] == {} and data["SegmentAttributes"] == {}
    assert data["MediaStreams"] == {"Customer": {"Audio": None}}
    assert {"Description", "CustomerId", "References", "RelatedContactId"} <= set(data)
    context = json.loads(attributes["context"])
    assert context["function_name"] == "customer-lookup"
    assert context["invoked_function_arn"] == LOOKUP
    assert len(context["aws_request_id"]) == 36 and 0 < context["remaining"] <= 8000


def test_the_flow_log_records_each_action_in_amazon_connects_shape(
        connect: Any, flow_server: Any) -> None:
    instance = new_instance(connect)
    gold = _gold_queue(connect, instance)
    connect.associate_lambda_function(InstanceId=instance["id"], FunctionArn=LOOKUP)
    flow_id = _lookup_flow(connect, instance, gold["QueueArn"], name="Lookup")
    task = connect.start_task_contact(InstanceId=instance["id"], Name="t",
                                      ContactFlowId=flow_id)["ContactId"]
    status, body = flow_server.admin("GET", f"flow-logs?contact_id={task}")
    assert status == 200
    records = body["records"]
    assert [r["Identifier"] for r in records] == ["set", "lookup", "keep", "branch",
                                                  "to-gold", "transfer"]
    for record in records:
        assert set(record) >= {"ContactId", "ContactFlowId", "ContactFlowName",
                               "ContactFlowModuleType", "Identifier", "Timestamp",
                               "Parameters"}
        assert record["ContactId"] == task and record["ContactFlowName"] == "Lookup"
        assert record["ContactFlowId"].endswith(flow_id)
    lookup = records[1]
    assert lookup["ContactFlowModuleType"] == "InvokeExternalResource"
    assert lookup["ExternalResults"]["tier"] == "gold" and lookup["Results"] == "Success"
    assert lookup["Parameters"]["LambdaInvocationAttributes"] == {"account": "hello"}
    assert records[3]["Results"] == "gold"


def test_a_function_not_associated_with_the_instance_takes_the_error_branch(
        connect: Any) -> None:
    instance = new_instance(connect)
    gold = _gold_queue(connect, instance)
    task = connect.start_task_contact(
        InstanceId=instance["id"], Name="t",
        ContactFlowId=_lookup_flow(connect, instance, gold["QueueArn"]))["ContactId"]
    attributes = connect.get_contact_attributes(InstanceId=instance["id"],
                                                InitialContactId=task)["Attributes"]
    assert attributes["lambda"] == "failed" and "tier" not in attributes
    contact = connect.describe_contact(InstanceId=instance["id"], ContactId=task)["Contact"]
    assert contact["QueueInfo"]["Id"] == instance["queues"]["BasicQueue"]


@pytest.mark.parametrize("arn", [FAILING, NESTED])
def test_a_failing_function_or_a_non_string_map_takes_the_error_branch(
        connect: Any, flow_server: Any, arn: str) -> None:
    instance = new_instance(connect)
    gold = _gold_queue(connect, instance)
    connect.associate_lambda_function(InstanceId=instance["id"], FunctionArn=arn)
    task = connect.start_task_contact(
        InstanceId=instance["id"], Name="t",
        ContactFlowId=_lookup_flow(connect, instance, gold["QueueArn"], arn))["ContactId"]
    attributes = connect.get_contact_attributes(InstanceId=instance["id"],
                                                InitialContactId=task)["Attributes"]
    assert attributes["lambda"] == "failed"
    _, body = flow_server.admin("GET", f"flow-logs?contact_id={task}")
    lookup = next(r for r in body["records"] if r["Identifier"] == "lookup")
    expected = "the customer database is down" if arn == FAILING else "STRING_MAP"
    assert expected in lookup["Results"] and expected in lookup["ExternalResults"]["Error"]


def test_a_function_that_takes_longer_than_its_time_limit_times_out(
        connect: Any, flow_server: Any) -> None:
    instance = new_instance(connect)
    connect.associate_lambda_function(InstanceId=instance["id"], FunctionArn=SLOW)
    flow_id = _flow(connect, instance, [
        _act("call", "InvokeLambdaFunction",
             {"LambdaFunctionARN": SLOW, "InvocationTimeLimitSeconds": "1"},
             "ok", {"NoMatchingError": "late"}),
        _act("ok", "UpdateContactAttributes", {"Attributes": {"r": "ok"}}),
        _act("late", "UpdateContactAttributes", {"Attributes": {"r": "timed out"}})])
    task = connect.start_task_contact(InstanceId=instance["id"], Name="t",
                                      ContactFlowId=flow_id)["ContactId"]
    assert connect.get_contact_attributes(InstanceId=instance["id"], InitialContactId=task)[
        "Attributes"] == {"r": "timed out"}
    # The flow ended without a queue: a contact flow that ends disconnects the contact.
    contact = connect.describe_contact(InstanceId=instance["id"], ContactId=task)["Contact"]
    assert contact["DisconnectReason"] == "CONTACT_FLOW_DISCONNECT"


def _menu(client: Any, instance: dict[str, Any]) -> str:
    return _flow(client, instance, [
        _act("hello", "MessageParticipant", {"Text": "Welcome, $.Attributes.name."}, "menu"),
        _act("menu", "GetParticipantInput",
             {"Text": "Type 1 for sales or 2 for support", "InputTimeLimitSeconds": "30"},
             None, {"InputTimeLimitExceeded": "timeout", "NoMatchingCondition": "again"},
             [("Equals", "1", "sales"), ("Equals", "2", "support")]),
        _act("sales", "UpdateContactAttributes", {"Attributes": {"choice": "sales"}}, "queue"),
        _act("support", "UpdateContactAttributes", {"Attributes": {"choice": "support"}},
             "queue"),
        _act("again", "UpdateContactAttributes", {"Attributes": {"choice": "unknown"}},
             "queue"),
        _act("timeout", "UpdateContactAttributes", {"Attributes": {"choice": "none"}},
             "queue"),
        _act("queue", "UpdateContactTargetQueue",
             {"QueueId": instance["queues"]["BasicQueue"]}, "transfer"),
        _act("transfer", "TransferContactToQueue")])


def _start_chat(client: Any, instance: dict[str, Any], flow_id: str) -> str:
    chat: str = client.start_chat_contact(
        InstanceId=instance["id"], ContactFlowId=flow_id,
        ParticipantDetails={"DisplayName": "Customer"}, Attributes={"name": "Ada"})["ContactId"]
    return chat


def test_a_chat_waits_for_customer_input_and_branches_on_it(
        connect: Any, flow_server: Any) -> None:
    instance = new_instance(connect)
    chat = _start_chat(connect, instance, _menu(connect, instance))
    contact = connect.describe_contact(InstanceId=instance["id"], ContactId=chat)["Contact"]
    assert "QueueInfo" not in contact and "DisconnectTimestamp" not in contact
    status, body = flow_server.admin("POST", "events", {
        "event": "customer_input", "instance_id": instance["id"], "contact_id": chat,
        "text": "2"})
    assert status == 200 and body["state"] == "ENDED" and body["ended"] == "QUEUE", body
    assert connect.get_contact_attributes(InstanceId=instance["id"], InitialContactId=chat)[
        "Attributes"]["choice"] == "support"
    contact = connect.describe_contact(InstanceId=instance["id"], ContactId=chat)["Contact"]
    assert contact["QueueInfo"]["Id"] == instance["queues"]["BasicQueue"]
    # The prompt was interpolated; input is refused once the flow has gone on.
    _, logs = flow_server.admin("GET", f"flow-logs?contact_id={chat}")
    assert logs["records"][0]["Parameters"]["Text"] == "Welcome, Ada."
    status, body = flow_server.admin("POST", "events", {
        "event": "customer_input", "instance_id": instance["id"], "contact_id": chat,
        "text": "1"})
    assert status == 400 and "not waiting for customer input" in body["error"]


def test_input_that_matches_no_condition_and_a_timeout_take_their_branches(
        clocked_server: Any) -> None:
    client = client_for(clocked_server.url)
    clocked_server.set_clock("2025-06-02T10:00:00Z")
    instance = new_instance(client)
    flow_id = _menu(client, instance)
    wrong = _start_chat(client, instance, flow_id)
    clocked_server.admin("POST", "events", {"event": "customer_input",
                                             "instance_id": instance["id"],
                                             "contact_id": wrong, "text": "9"})
    assert client.get_contact_attributes(InstanceId=instance["id"], InitialContactId=wrong)[
        "Attributes"]["choice"] == "unknown"
    silent = _start_chat(client, instance, flow_id)
    clocked_server.set_clock("2025-06-02T10:00:29Z")
    assert "choice" not in client.get_contact_attributes(
        InstanceId=instance["id"], InitialContactId=silent)["Attributes"]
    clocked_server.set_clock("2025-06-02T10:00:31Z")  # past InputTimeLimitSeconds
    assert client.get_contact_attributes(InstanceId=instance["id"], InitialContactId=silent)[
        "Attributes"]["choice"] == "none"


def test_a_flow_that_loops_forever_is_stopped_at_the_step_limit(connect: Any,
                                                                flow_server: Any) -> None:
    instance = new_instance(connect)
    flow_id = _flow(connect, instance, [
        _act("a", "UpdateFlowAttributes", {"FlowAttributes": {"x": {"Value": "1"}}}, "b"),
        _act("b", "Compare", {"ComparisonValue": "$.FlowAttributes.x"}, None,
             {"NoMatchingCondition": "a"}, [("Equals", "1", "a")])])
    task = connect.start_task_contact(InstanceId=instance["id"], Name="t",
                                      ContactFlowId=flow_id)["ContactId"]
    contact = connect.describe_contact(InstanceId=instance["id"], ContactId=task)["Contact"]
    assert contact["DisconnectReason"] == "CONTACT_FLOW_DISCONNECT"
    _, body = flow_server.admin("GET", f"flow-logs?contact_id={task}")
    assert len(body["records"]) == 1001
    assert "step limit" in body["records"][-1]["Results"]


def test_invalid_flow_content_is_refused_with_its_problems(connect: Any) -> None:
    instance = new_instance(connect)
    content = json.dumps({"Version": "2019-10-30", "StartAction": "a", "Actions": [
        {"Identifier": "a", "Type": "NoSuchAction", "Parameters": {},
         "Transitions": {"NextAction": "missing"}},
        {"Identifier": "b", "Type": "InvokeLambdaFunction",
         "Parameters": {"LambdaFunctionARN": LOOKUP, "InvocationTimeLimitSeconds": "30"},
         "Transitions": {}}]})
    response = expect_error(connect.create_contact_flow, "InvalidContactFlowException", 400,
                            "unknown Type NoSuchAction", InstanceId=instance["id"],
                            Name="Broken", Type="CONTACT_FLOW", Content=content)
    messages = [p["message"] for p in response["problems"]]
    assert any("transitions to missing" in m for m in messages)
    assert any("InvocationTimeLimitSeconds must be an integer from 1 to 8" in m
               for m in messages)
    # An action connectlocal does not run is accepted, and takes its error branch.
    flow_id = _flow(connect, instance, [
        _act("lex", "ConnectParticipantWithLexBot", {}, None, {"NoMatchingError": "note"}),
        _act("note", "UpdateContactAttributes", {"Attributes": {"lex": "skipped"}})])
    task = connect.start_task_contact(InstanceId=instance["id"], Name="t",
                                      ContactFlowId=flow_id)["ContactId"]
    assert connect.get_contact_attributes(InstanceId=instance["id"], InitialContactId=task)[
        "Attributes"] == {"lex": "skipped"}
    # UpdateContactFlowContent validates the same way, and the new content runs.
    expect_error(connect.update_contact_flow_content, "InvalidContactFlowException", 400,
                 "unknown Type", InstanceId=instance["id"], ContactFlowId=flow_id,
                 Content=content)
    good = json.dumps({"Version": "2019-10-30", "StartAction": "s", "Actions": [
        _act("s", "UpdateContactAttributes", {"Attributes": {"v": "2"}})]})
    connect.update_contact_flow_content(InstanceId=instance["id"], ContactFlowId=flow_id,
                                        Content=good)
    task = connect.start_task_contact(InstanceId=instance["id"], Name="t",
                                      ContactFlowId=flow_id)["ContactId"]
    assert connect.get_contact_attributes(InstanceId=instance["id"], InitialContactId=task)[
        "Attributes"] == {"v": "2"}


def test_lambda_functions_are_associated_listed_and_disassociated(connect: Any) -> None:
    instance = new_instance(connect)
    assert connect.list_lambda_functions(InstanceId=instance["id"])["LambdaFunctions"] == []
    connect.associate_lambda_function(InstanceId=instance["id"], FunctionArn=LOOKUP)
    connect.associate_lambda_function(InstanceId=instance["id"], FunctionArn=FAILING)
    assert sorted(connect.list_lambda_functions(InstanceId=instance["id"])[
        "LambdaFunctions"]) == sorted([LOOKUP, FAILING])
    expect_error(connect.associate_lambda_function, "ResourceConflictException", 409,
                 "already associated", InstanceId=instance["id"], FunctionArn=LOOKUP)
    expect_error(connect.associate_lambda_function, "InvalidParameterException", 400,
                 "not a Lambda function ARN", InstanceId=instance["id"],
                 FunctionArn="arn:aws:s3:::bucket")
    connect.disassociate_lambda_function(InstanceId=instance["id"], FunctionArn=FAILING)
    assert connect.list_lambda_functions(InstanceId=instance["id"])["LambdaFunctions"] == [
        LOOKUP]
    expect_error(connect.disassociate_lambda_function, "ResourceNotFoundException", 404,
                 "not associated", InstanceId=instance["id"], FunctionArn=FAILING)


def test_contact_actions_change_the_contact(connect: Any) -> None:
    instance = new_instance(connect)
    flow_id = _flow(connect, instance, [
        _act("tag", "TagContact", {"Tags": {"team": "billing", "from": "$.Channel"}}, "data"),
        _act("data", "UpdateContactData", {"Name": "Renamed $.Attributes.n",
                                           "Description": "From the flow"}, "untag"),
        _act("untag", "UnTagContact", {"TagKeys": ["from"]}, "prio"),
        _act("prio", "UpdateContactRoutingBehavior", {"QueuePriority": "2"}, "loop"),
        _act("loop", "Loop", {"LoopCount": "3"}, None, None,
             [("Equals", "ContinueLooping", "count"), ("Equals", "DoneLooping", "queue")]),
        _act("count", "UpdateContactAttributes",
             {"Attributes": {"laps": "x$.Attributes.laps"}}, "loop"),
        _act("queue", "UpdateContactTargetQueue",
             {"QueueId": instance["queues"]["BasicQueue"]}, "go"),
        _act("go", "TransferContactToQueue")])
    task = connect.start_task_contact(InstanceId=instance["id"], Name="t", ContactFlowId=flow_id,
                                      Attributes={"n": "7", "laps": ""})["ContactId"]
    contact = connect.describe_contact(InstanceId=instance["id"], ContactId=task)["Contact"]
    assert contact["Name"] == "Renamed 7" and contact["Description"] == "From the flow"
    assert contact["Tags"] == {"team": "billing"}
    assert contact["QueueInfo"]["Id"] == instance["queues"]["BasicQueue"]
    assert connect.get_contact_attributes(InstanceId=instance["id"], InitialContactId=task)[
        "Attributes"]["laps"] == "xxx"


def test_a_transfer_runs_the_transfer_flow_into_the_queue_the_call_names(
        connect: Any) -> None:
    instance = new_instance(connect)
    gold = _gold_queue(connect, instance)
    task = connect.start_task_contact(InstanceId=instance["id"], Name="t",
                                      ContactFlowId=instance["flows"]["Default inbound"])[
        "ContactId"]
    transfer_flow = _flow(connect, instance, [
        _act("note", "UpdateContactAttributes", {"Attributes": {"transferred": "yes"}}, "go"),
        _act("go", "TransferContactToQueue", {}, None, {"NoMatchingError": "end"}),
        _act("end", "DisconnectParticipant")], kind="QUEUE_TRANSFER")
    for flow_id in (transfer_flow, instance["flows"]["Default queue transfer"]):
        moved = connect.transfer_contact(InstanceId=instance["id"], ContactId=task,
                                         ContactFlowId=flow_id, QueueId=gold["QueueId"])
        contact = connect.describe_contact(InstanceId=instance["id"],
                                           ContactId=moved["ContactId"])["Contact"]
        assert contact["QueueInfo"]["Id"] == gold["QueueId"]
        assert "DisconnectTimestamp" not in contact
        task = moved["ContactId"]
    assert connect.get_contact_attributes(InstanceId=instance["id"], InitialContactId=task)[
        "Attributes"]["transferred"] == "yes"


@pytest.mark.http_only
def test_a_running_server_times_out_waiting_input_within_seconds(clocked_server: Any) -> None:
    """No clock change, no sweep: the server looks for flows' deadlines every second."""
    client = client_for(clocked_server.url)
    instance = new_instance(client)
    chat = _start_chat(client, instance, _flow(client, instance, [
        _act("menu", "GetParticipantInput", {"Text": "Type 1", "InputTimeLimitSeconds": "1"},
             None, {"InputTimeLimitExceeded": "timeout", "NoMatchingCondition": "timeout"},
             [("Equals", "1", "timeout")]),
        _act("timeout", "UpdateContactAttributes", {"Attributes": {"choice": "none"}})]))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        attributes = client.get_contact_attributes(InstanceId=instance["id"],
                                                   InitialContactId=chat)["Attributes"]
        if "choice" in attributes:
            break
        time.sleep(0.2)
    assert attributes.get("choice") == "none"


def test_a_wait_ends_at_its_timeout_or_when_the_customer_returns(clocked_server: Any) -> None:
    client = client_for(clocked_server.url)
    clocked_server.set_clock("2025-06-02T10:00:00Z")
    instance = new_instance(client)
    flow_id = _flow(client, instance, [
        _act("wait", "Wait", {"TimeoutSeconds": "3600", "Events": ["CustomerReturned"]}, None,
             {"NoMatchingError": "error"}, [("Equals", "WaitCompleted", "done"),
                                            ("Equals", "CustomerReturned", "back")]),
        _act("done", "UpdateContactAttributes", {"Attributes": {"wait": "completed"}}),
        _act("back", "UpdateContactAttributes", {"Attributes": {"wait": "returned"}}),
        _act("error", "UpdateContactAttributes", {"Attributes": {"wait": "error"}})])
    waited, returned = (_start_chat(client, instance, flow_id) for _ in range(2))
    status, _ = clocked_server.admin("POST", "events", {
        "event": "customer_input", "instance_id": instance["id"], "contact_id": returned,
        "text": "I'm back"})
    assert status == 200
    clocked_server.set_clock("2025-06-02T11:00:01Z")
    for chat, expected in ((waited, "completed"), (returned, "returned")):
        assert client.get_contact_attributes(InstanceId=instance["id"], InitialContactId=chat)[
            "Attributes"]["wait"] == expected


@pytest.mark.http_only
def test_serve_appends_flow_logs_to_the_flow_log_file(tmp_path: Any) -> None:
    path = tmp_path / "flows.jsonl"
    with ServerProcess(":memory:", "--flow-log", str(path)) as server:
        client = client_for(server.url)
        instance = new_instance(client)
        task = client.start_task_contact(InstanceId=instance["id"], Name="t",
                                         ContactFlowId=instance["flows"]["Default inbound"])
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["ContactFlowModuleType"] for r in records] == ["SetQueue", "Transfer"]
    assert {r["ContactId"] for r in records} == {task["ContactId"]}
    assert records[0]["ContactFlowName"] == "Default inbound"


def _claimed(client: Any, instance: dict[str, Any], flow_id: str) -> str:
    number = client.search_available_phone_numbers(
        TargetArn=instance["arn"], PhoneNumberCountryCode="US", PhoneNumberType="DID",
        MaxResults=1)["AvailableNumbersList"][0]["PhoneNumber"]
    claimed = client.claim_phone_number(TargetArn=instance["arn"], PhoneNumber=number)
    client.associate_phone_number_contact_flow(
        PhoneNumberId=claimed["PhoneNumberId"], InstanceId=instance["id"],
        ContactFlowId=flow_id)
    found: str = number
    return found


def test_an_inbound_call_to_a_claimed_number_runs_the_numbers_flow(
        connect: Any, flow_server: Any) -> None:
    instance = new_instance(connect)
    gold = _gold_queue(connect, instance)
    connect.associate_lambda_function(InstanceId=instance["id"], FunctionArn=LOOKUP)
    number = _claimed(connect, instance, _lookup_flow(connect, instance, gold["QueueArn"]))
    status, body = flow_server.admin("POST", "events", {
        "event": "arrive", "instance_id": instance["id"], "channel": "VOICE", "to": number,
        "customer": "+15555550142"})
    assert status == 200 and body["Flow"]["ended"] == "QUEUE", body
    call = body["ContactId"]
    contact = connect.describe_contact(InstanceId=instance["id"], ContactId=call)["Contact"]
    assert contact["Channel"] == "VOICE" and contact["InitiationMethod"] == "INBOUND"
    assert contact["QueueInfo"]["Id"] == gold["QueueId"]
    event = json.loads(connect.get_contact_attributes(
        InstanceId=instance["id"], InitialContactId=call)["Attributes"]["received"])
    data = event["Details"]["ContactData"]
    assert data["CustomerEndpoint"] == {"Address": "+15555550142", "Type": "TELEPHONE_NUMBER"}
    assert data["SystemEndpoint"] == {"Address": number, "Type": "TELEPHONE_NUMBER"}
    assert data["Channel"] == "VOICE" and data["InitiationMethod"] == "INBOUND"
    # A number with no flow, or no claimed number, is the plain arrival it was.
    _, plain = flow_server.admin("POST", "events", {
        "event": "arrive", "instance_id": instance["id"], "to": "+15555550999"})
    assert "Flow" not in plain


def test_check_hours_of_operation_reads_the_hours_at_the_service_clock(
        clocked_server: Any) -> None:
    client = client_for(clocked_server.url)
    instance = new_instance(client)
    hours = client.create_hours_of_operation(
        InstanceId=instance["id"], Name="Weekdays", TimeZone="America/New_York",
        Config=[{"Day": day, "StartTime": {"Hours": 9, "Minutes": 0},
                 "EndTime": {"Hours": 17, "Minutes": 0}}
                for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")])
    flow_id = _flow(client, instance, [
        _act("h", "CheckHoursOfOperation", {"HoursOfOperationId": hours["HoursOfOperationArn"]},
             None, {"NoMatchingError": "err"}, [("Equals", "True", "open"),
                                                ("Equals", "False", "closed")]),
        _act("open", "UpdateContactAttributes", {"Attributes": {"hours": "open"}}),
        _act("closed", "UpdateContactAttributes", {"Attributes": {"hours": "closed"}}),
        _act("err", "UpdateContactAttributes", {"Attributes": {"hours": "error"}})])
    seen = {}
    for instant in ("2025-06-02T14:00:00Z", "2025-06-02T22:00:00Z", "2025-06-07T14:00:00Z"):
        clocked_server.set_clock(instant)  # Monday 10:00 and 18:00 EDT, Saturday 10:00
        task = client.start_task_contact(InstanceId=instance["id"], Name="t",
                                         ContactFlowId=flow_id)["ContactId"]
        seen[instant] = client.get_contact_attributes(
            InstanceId=instance["id"], InitialContactId=task)["Attributes"]["hours"]
    assert list(seen.values()) == ["open", "closed", "closed"]


def _metrics_flow(client: Any, instance: dict[str, Any], queue_arn: str) -> str:
    """Checks staffing and queue depth with CheckMetricData, keeps GetMetricData's
    attributes, and queues the contact."""
    return _flow(client, instance, [
        _act("target", "UpdateContactTargetQueue", {"QueueId": queue_arn}, "staffing"),
        _act("staffing", "CheckMetricData", {"MetricType": "NumberOfAgentsAvailable"}, None,
             {"NoMatchingCondition": "nobody", "NoMatchingError": "err"},
             [("NumberGreaterThan", "0", "somebody")]),
        _act("somebody", "UpdateContactAttributes", {"Attributes": {"staffing": "yes"}},
             "metrics"),
        _act("nobody", "UpdateContactAttributes", {"Attributes": {"staffing": "no"}},
             "metrics"),
        _act("metrics", "GetMetricData", {}, "keep", {"NoMatchingError": "err"}),
        _act("keep", "UpdateContactAttributes", {"Attributes": {
            "queue": "$.Metrics.Queue.Name", "size": "$.Metrics.Queue.Size",
            "oldest": "$.Metrics.Queue.OldestContactAge",
            "available": "$.Metrics.Agents.Available.Count",
            "online": "$.Metrics.Agents.Online.Count"}}, "depth"),
        _act("depth", "CheckMetricData", {"MetricType": "NumberOfContactsInQueue"}, None,
             {"NoMatchingCondition": "long", "NoMatchingError": "err"},
             [("NumberLessThan", "2", "short")]),
        _act("short", "UpdateContactAttributes", {"Attributes": {"depth": "short"}}, "queue"),
        _act("long", "UpdateContactAttributes", {"Attributes": {"depth": "long"}}, "queue"),
        _act("queue", "TransferContactToQueue", {}, None,
             {"QueueAtCapacity": "err", "NoMatchingError": "err"}),
        _act("err", "UpdateContactAttributes", {"Attributes": {"error": "yes"}}),
    ])


def test_check_metric_data_and_get_metric_data_read_the_queues_real_time_metrics(
        clocked_server: Any) -> None:
    client = client_for(clocked_server.url)
    clocked_server.set_clock("2025-06-02T14:00:00Z")

    def task(instance: dict[str, Any], flow_id: str) -> dict[str, str]:
        contact = client.start_task_contact(InstanceId=instance["id"], Name="t",
                                            ContactFlowId=flow_id)["ContactId"]
        attributes: dict[str, str] = client.get_contact_attributes(
            InstanceId=instance["id"], InitialContactId=contact)["Attributes"]
        return attributes

    def queue_arn(instance: dict[str, Any]) -> str:
        arn: str = client.describe_queue(InstanceId=instance["id"], QueueId=instance[
            "queues"]["BasicQueue"])["Queue"]["QueueArn"]
        return arn

    # No agent online: no agent metrics at all ("if there are no agents, no metrics are
    # returned"), so the attributes that read them are empty.
    empty = new_instance(client)
    assert task(empty, _metrics_flow(client, empty, queue_arn(empty))) == {
        "staffing": "no", "queue": "BasicQueue", "size": "0", "oldest": "0", "available": "",
        "online": "", "depth": "short"}
    instance = new_instance(client)
    flow_id = _metrics_flow(client, instance, queue_arn(instance))
    agent = new_agent(client, instance)
    available = {s["Name"]: s["Id"] for s in client.list_agent_statuses(
        InstanceId=instance["id"])["AgentStatusSummaryList"]}["Available"]
    client.put_user_status(InstanceId=instance["id"], UserId=agent, AgentStatusId=available)
    # An agent available, nothing waiting; the task is then offered to the agent (it rings:
    # not accepted, still in the queue).
    assert task(instance, flow_id) == {
        "staffing": "yes", "queue": "BasicQueue", "size": "0", "oldest": "0",
        "available": "1", "online": "1", "depth": "short"}
    # The next tasks find the agent online, not available, and the queue filling.
    clocked_server.set_clock("2025-06-02T14:00:30Z")
    assert _in_queue(client, instance) == (1, 30)  # GetCurrentMetricData, the same numbers
    assert task(instance, flow_id) == {
        "staffing": "no", "queue": "BasicQueue", "size": "1", "oldest": "30",
        "available": "0", "online": "1", "depth": "short"}
    clocked_server.set_clock("2025-06-02T14:01:00Z")
    assert task(instance, flow_id) == {
        "staffing": "no", "queue": "BasicQueue", "size": "2", "oldest": "60",
        "available": "0", "online": "1", "depth": "long"}


def _in_queue(client: Any, instance: dict[str, Any]) -> tuple[int, int]:
    """CONTACTS_IN_QUEUE and OLDEST_CONTACT_AGE (seconds) of BasicQueue, by the API."""
    result = client.get_current_metric_data(
        InstanceId=instance["id"], Groupings=["QUEUE"],
        Filters={"Queues": [instance["queues"]["BasicQueue"]],
                 "Channels": ["VOICE", "CHAT", "TASK"]},
        CurrentMetrics=[{"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"},
                        {"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"}])["MetricResults"]
    values = {c["Metric"]["Name"]: int(c["Value"]) for c in result[0]["Collections"]}
    return values["CONTACTS_IN_QUEUE"], values["OLDEST_CONTACT_AGE"]


def test_check_metric_data_of_an_agent_queue_and_its_metric_types(connect: Any) -> None:
    instance = new_instance(connect)
    agent = new_agent(connect, instance)
    flow_id = _flow(connect, instance, [
        _act("online", "CheckMetricData", {"MetricType": "NumberOfAgentsOnline",
                                           "AgentId": agent}, None,
             {"NoMatchingCondition": "offline", "NoMatchingError": "err"},
             [("NumberGreaterThan", "0", "on")]),
        _act("on", "UpdateContactAttributes", {"Attributes": {"agent": "online"}},
             "metrics"),
        _act("offline", "UpdateContactAttributes", {"Attributes": {"agent": "offline"}},
             "metrics"),
        _act("metrics", "GetMetricData", {"AgentId": agent}, "keep", {"NoMatchingError": "err"}),
        _act("keep", "UpdateContactAttributes", {"Attributes": {
            "queue": "$.Metrics.Queue.Name", "size": "$.Metrics.Queue.Size",
            "available": "$.Metrics.Agents.Available.Count",
            "staffed": "$.Metrics.Agents.Staffed.Count"}}),
        _act("err", "UpdateContactAttributes", {"Attributes": {"agent": "error"}})])

    def task() -> dict[str, str]:
        contact = connect.start_task_contact(InstanceId=instance["id"], Name="t",
                                             ContactFlowId=flow_id)["ContactId"]
        attributes: dict[str, str] = connect.get_contact_attributes(
            InstanceId=instance["id"], InitialContactId=contact)["Attributes"]
        return attributes

    username = connect.describe_user(InstanceId=instance["id"], UserId=agent)["User"]["Username"]
    # Offline: no agent metrics; nothing waits for the agent.
    assert task() == {"agent": "offline", "queue": username, "size": "0", "available": "",
                      "staffed": ""}
    available = {s["Name"]: s["Id"] for s in connect.list_agent_statuses(
        InstanceId=instance["id"])["AgentStatusSummaryList"]}["Available"]
    connect.put_user_status(InstanceId=instance["id"], UserId=agent, AgentStatusId=available)
    assert task() == {"agent": "online", "queue": username, "size": "0", "available": "1",
                      "staffed": "1"}
    # MetricType takes no dynamic value and only the five documented names.
    for metric_type in ("AgentsAvailable", ["NumberOfAgentsOnline"], {"$": "x"}):
        content = json.dumps({"Version": "2019-10-30", "StartAction": "c", "Actions": [
            _act("c", "CheckMetricData", {"MetricType": metric_type}, None,
                 {"NoMatchingError": "c"})]})
        expect_error(connect.create_contact_flow, "InvalidContactFlowException", 400,
                     "CheckMetricData's MetricType must be one of NumberOfAgentsAvailable",
                     InstanceId=instance["id"], Name="Bad metric", Type="CONTACT_FLOW",
                     Content=content)
