"""Instances and their default directory through boto3 over HTTP."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ..conftest import client_for, new_instance
from ..errors import expect_error
from ..serverproc import ServerProcess


def test_create_and_describe_instance(connect: Any) -> None:
    created = connect.create_instance(IdentityManagementType="CONNECT_MANAGED",
                                      InstanceAlias="acme-support", InboundCallsEnabled=True,
                                      OutboundCallsEnabled=False, Tags={"team": "cx"})
    assert created["Arn"] == f"arn:aws:connect:us-east-1:123456789012:instance/{created['Id']}"
    described = connect.describe_instance(InstanceId=created["Id"])["Instance"]
    assert described["Id"] == created["Id"]
    assert described["InstanceAlias"] == "acme-support"
    assert described["IdentityManagementType"] == "CONNECT_MANAGED"
    assert described["InstanceStatus"] == "ACTIVE"
    assert described["InboundCallsEnabled"] is True
    assert described["OutboundCallsEnabled"] is False
    assert described["InstanceAccessUrl"] == "https://acme-support.my.connect.aws"
    assert isinstance(described["CreatedTime"], datetime)
    assert described["Tags"] == {"team": "cx"}


def test_create_instance_rules(connect: Any) -> None:
    expect_error(connect.create_instance, "InvalidRequestException", 400,
                 "InstanceAlias is required when IdentityManagementType is CONNECT_MANAGED",
                 IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True,
                 OutboundCallsEnabled=True)
    expect_error(connect.create_instance, "InvalidRequestException", 400,
                 "DirectoryId is required", IdentityManagementType="EXISTING_DIRECTORY",
                 InboundCallsEnabled=True, OutboundCallsEnabled=True)
    connect.create_instance(IdentityManagementType="SAML", InstanceAlias="taken-alias",
                            InboundCallsEnabled=True, OutboundCallsEnabled=True)
    expect_error(connect.create_instance, "InvalidRequestException", 400,
                 "Instance alias taken-alias is already in use", IdentityManagementType="SAML",
                 InstanceAlias="taken-alias", InboundCallsEnabled=True, OutboundCallsEnabled=True)
    expect_error(connect.create_instance, "InvalidRequestException", 400,
                 "Member must satisfy enum value set: [SAML, CONNECT_MANAGED, EXISTING_DIRECTORY]",
                 IdentityManagementType="LDAP", InstanceAlias="x1", InboundCallsEnabled=True,
                 OutboundCallsEnabled=True)


def test_create_instance_client_token(connect: Any) -> None:
    params = {"IdentityManagementType": "CONNECT_MANAGED", "InstanceAlias": "tokened",
              "InboundCallsEnabled": True, "OutboundCallsEnabled": True, "ClientToken": "t-1"}
    first = connect.create_instance(**params)
    assert connect.create_instance(**params)["Id"] == first["Id"]


def test_default_directory(connect: Any, instance: Any) -> None:
    assert set(instance["queues"]) == {"BasicQueue"}
    for name in ("Default inbound", "Default outbound", "Default queue transfer",
                 "Default agent transfer", "Sample task flow", "Default customer queue"):
        assert name in instance["flows"], name
    queue = connect.describe_queue(InstanceId=instance["id"],
                                   QueueId=instance["queues"]["BasicQueue"])["Queue"]
    assert queue["Name"] == "BasicQueue" and queue["Status"] == "ENABLED"
    assert queue["QueueArn"].startswith(instance["arn"] + "/queue/")
    hours = connect.describe_hours_of_operation(
        InstanceId=instance["id"], HoursOfOperationId=queue["HoursOfOperationId"])
    assert hours["HoursOfOperation"]["Name"] == "Basic Hours"
    flow = connect.describe_contact_flow(InstanceId=instance["id"],
                                         ContactFlowId=instance["flows"]["Default inbound"])
    assert flow["ContactFlow"]["Type"] == "CONTACT_FLOW"
    assert flow["ContactFlow"]["State"] == "ACTIVE"
    assert '"TransferContactToQueue"' in flow["ContactFlow"]["Content"]
    profiles = connect.list_routing_profiles(InstanceId=instance["id"])
    (summary,) = profiles["RoutingProfileSummaryList"]
    profile = connect.describe_routing_profile(InstanceId=instance["id"],
                                               RoutingProfileId=summary["Id"])["RoutingProfile"]
    assert profile["Name"] == "Basic Routing Profile"
    assert profile["DefaultOutboundQueueId"] == instance["queues"]["BasicQueue"]
    transfer = connect.list_contact_flows(InstanceId=instance["id"],
                                          ContactFlowTypes=["QUEUE_TRANSFER"])
    assert [f["Name"] for f in transfer["ContactFlowSummaryList"]] == ["Default queue transfer"]
    assert connect.list_queues(InstanceId=instance["id"],
                               QueueTypes=["AGENT"])["QueueSummaryList"] == []


def test_list_instances_paginates(clocked_server: ServerProcess) -> None:
    client = client_for(clocked_server.url)
    made = {new_instance(client)["id"] for _ in range(13)}
    first = client.list_instances(MaxResults=5)
    assert len(first["InstanceSummaryList"]) == 5 and first["NextToken"]
    pages = client.get_paginator("list_instances").paginate(PaginationConfig={"PageSize": 4})
    seen = [i["Id"] for page in pages for i in page["InstanceSummaryList"]]
    assert sorted(seen) == sorted(made)
    expect_error(client.list_instances, "InvalidRequestException", 400,
                 "Member must have value less than or equal to 10", MaxResults=11)
    expect_error(client.list_instances, "InvalidRequestException", 400,
                 "The NextToken is not valid", NextToken="garbage")


def test_delete_instance(connect: Any) -> None:
    doomed = new_instance(connect)
    connect.delete_instance(InstanceId=doomed["id"])
    expect_error(connect.describe_instance, "ResourceNotFoundException", 404,
                 f"Instance not found: {doomed['id']}", InstanceId=doomed["id"])
    expect_error(connect.list_queues, "ResourceNotFoundException", 404,
                 f"Instance not found: {doomed['id']}", InstanceId=doomed["id"])


def test_directory_errors_name_the_resource(connect: Any, instance: Any) -> None:
    missing = str(uuid.uuid4())
    expect_error(connect.describe_queue, "ResourceNotFoundException", 404,
                 f"Queue not found: {missing}", InstanceId=instance["id"], QueueId=missing)
    expect_error(connect.describe_contact_flow, "ResourceNotFoundException", 404,
                 f"Contact flow not found: {missing}", InstanceId=instance["id"],
                 ContactFlowId=missing)


def test_resources_are_scoped_by_region_and_account(server: ServerProcess) -> None:
    east = client_for(server.url, "us-east-1")
    west = client_for(server.url, "us-west-2")
    other_account = client_for(server.url, "us-east-1", key="210987654321")
    made = new_instance(west)
    assert made["arn"].startswith("arn:aws:connect:us-west-2:123456789012:instance/")
    assert west.describe_instance(InstanceId=made["id"])["Instance"]["Id"] == made["id"]
    for client in (east, other_account):
        expect_error(client.describe_instance, "ResourceNotFoundException", 404,
                     "Instance not found", InstanceId=made["id"])
    theirs = new_instance(other_account)
    assert theirs["arn"].startswith("arn:aws:connect:us-east-1:210987654321:instance/")
