"""The instance directory through boto3: queues, flows, users, security profiles, tags."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from ..conftest import client_for
from ..errors import expect_error


def _ids(connect: Any, instance: dict[str, Any]) -> dict[str, str]:
    security = {p["Name"]: p["Id"] for p in connect.list_security_profiles(
        InstanceId=instance["id"])["SecurityProfileSummaryList"]}
    routing = connect.list_routing_profiles(
        InstanceId=instance["id"])["RoutingProfileSummaryList"][0]["Id"]
    hours = connect.list_hours_of_operations(
        InstanceId=instance["id"])["HoursOfOperationSummaryList"][0]["Id"]
    return {"agent": security["Agent"], "routing": routing, "hours": hours}


def test_default_security_profiles(connect: Any, instance: Any) -> None:
    summaries = connect.list_security_profiles(
        InstanceId=instance["id"])["SecurityProfileSummaryList"]
    assert sorted(p["Name"] for p in summaries) == [
        "Admin", "Agent", "CallCenterManager", "QualityAnalyst"]
    for p in summaries:
        assert p["Arn"] == f"{instance['arn']}/security-profile/{p['Id']}"


def test_users_are_created_described_and_listed(connect: Any, instance: Any) -> None:
    ids = _ids(connect, instance)
    created = connect.create_user(
        InstanceId=instance["id"], Username="jdoe", Password="Passw0rd!",
        IdentityInfo={"FirstName": "Jane", "LastName": "Doe", "Email": "jane@example.com"},
        PhoneConfig={"PhoneType": "DESK_PHONE", "DeskPhoneNumber": "+15555550123",
                     "AutoAccept": True, "AfterContactWorkTimeLimit": 30},
        SecurityProfileIds=[ids["agent"]], RoutingProfileId=ids["routing"],
        Tags={"team": "billing"})
    assert created["UserArn"] == f"{instance['arn']}/agent/{created['UserId']}"
    user = connect.describe_user(InstanceId=instance["id"], UserId=created["UserId"])["User"]
    assert user["Username"] == "jdoe"
    assert user["IdentityInfo"] == {"FirstName": "Jane", "LastName": "Doe",
                                    "Email": "jane@example.com"}
    assert user["PhoneConfig"]["PhoneType"] == "DESK_PHONE"
    assert user["SecurityProfileIds"] == [ids["agent"]]
    assert user["RoutingProfileId"] == ids["routing"]
    assert user["Tags"] == {"team": "billing"}
    assert isinstance(user["LastModifiedTime"], datetime)
    assert user["LastModifiedRegion"] == "us-east-1"
    listed = connect.list_users(InstanceId=instance["id"])["UserSummaryList"]
    assert [u["Username"] for u in listed] == ["jdoe"]
    # Each agent gets an agent queue.
    agent_queues = connect.list_queues(InstanceId=instance["id"],
                                       QueueTypes=["AGENT"])["QueueSummaryList"]
    assert [q["Id"] for q in agent_queues] == [created["UserId"]]
    assert agent_queues[0]["Arn"] == f"{instance['arn']}/queue/agent/{created['UserId']}"


def test_user_rules(connect: Any, instance: Any) -> None:
    ids = _ids(connect, instance)
    base = {"InstanceId": instance["id"], "SecurityProfileIds": [ids["agent"]],
            "RoutingProfileId": ids["routing"],
            "IdentityInfo": {"FirstName": "A", "LastName": "B"}}
    connect.create_user(Username="taken", Password="Passw0rd!", **base)
    expect_error(connect.create_user, "DuplicateResourceException", 409,
                 f"User with name taken already exists in instance {instance['id']}",
                 Username="taken", Password="Passw0rd!", **base)
    expect_error(connect.create_user, "InvalidParameterException", 400,
                 "A password is required for users of an instance that uses Amazon Connect "
                 "for identity management", Username="nopass", **base)
    expect_error(connect.create_user, "InvalidParameterException", 400,
                 "IdentityInfo.FirstName and IdentityInfo.LastName are required",
                 Username="noname", Password="Passw0rd!",
                 **{**base, "IdentityInfo": {"FirstName": "A"}})
    expect_error(connect.create_user, "InvalidParameterException", 400,
                 "Value at 'Password' failed to satisfy constraint: Member must satisfy "
                 "regular expression pattern", Username="weak", Password="password", **base)
    missing = str(uuid.uuid4())
    expect_error(connect.create_user, "ResourceNotFoundException", 404,
                 f"Routing profile not found: {missing}", Username="x", Password="Passw0rd!",
                 **{**base, "RoutingProfileId": missing})
    expect_error(connect.create_user, "ResourceNotFoundException", 404,
                 f"Security profile not found: {missing}", Username="y", Password="Passw0rd!",
                 **{**base, "SecurityProfileIds": [missing]})
    expect_error(connect.create_user, "InvalidParameterException", 400,
                 "Member must have length less than or equal to 100",
                 Username="u" * 101, Password="Passw0rd!", **base)
    connect.create_user(Username="u" * 100, Password="Passw0rd!", **base)
    expect_error(connect.describe_user, "ResourceNotFoundException", 404,
                 f"User not found: {missing}", InstanceId=instance["id"], UserId=missing)


def test_queues(connect: Any, instance: Any) -> None:
    ids = _ids(connect, instance)
    created = connect.create_queue(InstanceId=instance["id"], Name="Billing",
                                   Description="Billing questions", HoursOfOperationId=ids["hours"],
                                   MaxContacts=10, Tags={"dept": "finance"})
    assert created["QueueArn"] == f"{instance['arn']}/queue/{created['QueueId']}"
    queue = connect.describe_queue(InstanceId=instance["id"], QueueId=created["QueueId"])["Queue"]
    assert queue["Name"] == "Billing" and queue["Status"] == "ENABLED"
    assert queue["MaxContacts"] == 10 and queue["HoursOfOperationId"] == ids["hours"]
    assert queue["Tags"] == {"dept": "finance"}
    connect.update_queue_status(InstanceId=instance["id"], QueueId=created["QueueId"],
                                Status="DISABLED")
    assert connect.describe_queue(InstanceId=instance["id"], QueueId=created["QueueId"])[
        "Queue"]["Status"] == "DISABLED"
    expect_error(connect.create_queue, "DuplicateResourceException", 409,
                 "Queue with name Billing already exists", InstanceId=instance["id"],
                 Name="Billing", HoursOfOperationId=ids["hours"])
    missing = str(uuid.uuid4())
    expect_error(connect.create_queue, "ResourceNotFoundException", 404,
                 f"Hours of operation not found: {missing}", InstanceId=instance["id"],
                 Name="Other", HoursOfOperationId=missing)
    expect_error(connect.update_queue_status, "ResourceNotFoundException", 404,
                 f"Queue not found: {missing}", InstanceId=instance["id"], QueueId=missing,
                 Status="ENABLED")
    expect_error(connect.create_queue, "InvalidParameterException", 400,
                 "Member must have length less than or equal to 127", InstanceId=instance["id"],
                 Name="q" * 128, HoursOfOperationId=ids["hours"])
    connect.create_queue(InstanceId=instance["id"], Name="q" * 127,
                         HoursOfOperationId=ids["hours"])


def test_a_created_flow_routes_contacts_to_its_queue(connect: Any, instance: Any) -> None:
    ids = _ids(connect, instance)
    queue = connect.create_queue(InstanceId=instance["id"], Name="Escalations",
                                 HoursOfOperationId=ids["hours"])
    content = json.dumps({"Version": "2019-10-30", "StartAction": "set", "Metadata": {},
                          "Actions": [
                              {"Identifier": "set", "Type": "UpdateContactTargetQueue",
                               "Parameters": {"QueueId": queue["QueueArn"]},
                               "Transitions": {"NextAction": "go"}},
                              {"Identifier": "go", "Type": "TransferContactToQueue",
                               "Parameters": {}, "Transitions": {}}]})
    created = connect.create_contact_flow(InstanceId=instance["id"], Name="Escalate",
                                          Type="CONTACT_FLOW", Content=content)
    assert created["FlowContentSha256"] == hashlib.sha256(content.encode()).hexdigest()
    flow = connect.describe_contact_flow(InstanceId=instance["id"],
                                         ContactFlowId=created["ContactFlowId"])["ContactFlow"]
    assert flow["Content"] == content and flow["Status"] == "PUBLISHED"
    task = connect.start_task_contact(InstanceId=instance["id"], Name="t",
                                      ContactFlowId=created["ContactFlowId"])["ContactId"]
    contact = connect.describe_contact(InstanceId=instance["id"], ContactId=task)["Contact"]
    assert contact["QueueInfo"]["Id"] == queue["QueueId"]


def test_invalid_flow_content(connect: Any, instance: Any) -> None:
    response = expect_error(connect.create_contact_flow, "InvalidContactFlowException", 400,
                            "The flow is not valid: Content is not valid JSON",
                            InstanceId=instance["id"], Name="Broken", Type="CONTACT_FLOW",
                            Content="{not json")
    assert response["problems"][0]["message"].startswith("Content is not valid JSON")
    no_start = json.dumps({"Version": "2019-10-30", "StartAction": "x", "Actions": []})
    expect_error(connect.create_contact_flow, "InvalidContactFlowException", 400,
                 "StartAction x is not an action of the flow", InstanceId=instance["id"],
                 Name="Broken", Type="CONTACT_FLOW", Content=no_start)


def test_tags_on_resources(connect: Any, instance: Any) -> None:
    queue_arn = connect.describe_queue(
        InstanceId=instance["id"], QueueId=instance["queues"]["BasicQueue"])["Queue"]["QueueArn"]
    for arn in (queue_arn, instance["arn"]):
        connect.tag_resource(resourceArn=arn, tags={"env": "test", "owner": "me"})
        assert connect.list_tags_for_resource(resourceArn=arn)["tags"] == {
            "env": "test", "owner": "me"}
        connect.untag_resource(resourceArn=arn, tagKeys=["owner"])
        assert connect.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "test"}
    assert connect.describe_queue(InstanceId=instance["id"], QueueId=instance["queues"][
        "BasicQueue"])["Queue"]["Tags"] == {"env": "test"}
    assert connect.describe_instance(InstanceId=instance["id"])["Instance"]["Tags"] == {
        "env": "test"}
    connect.tag_resource(resourceArn=queue_arn, tags={f"k{i}": "v" for i in range(49)})
    expect_error(connect.tag_resource, "InvalidParameterException", 400,
                 "A resource can have at most 50 tags", resourceArn=queue_arn,
                 tags={"one-more": "v"})
    missing = queue_arn.rsplit("/", 1)[0] + f"/{uuid.uuid4()}"
    expect_error(connect.list_tags_for_resource, "ResourceNotFoundException", 404,
                 f"Resource not found: {missing}", resourceArn=missing)
    other_region = client_for(connect.meta.endpoint_url, region="eu-west-2")
    expect_error(other_region.list_tags_for_resource, "ResourceNotFoundException", 404,
                 "Resource not found", resourceArn=queue_arn)
