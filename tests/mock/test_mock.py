"""mock_connect(): every way to use it, what it answers and what it leaves alone."""

from __future__ import annotations

import asyncio
import unittest
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws

import connectlocal
from connectlocal import mock_connect


def _client(region: str = "us-east-1") -> Any:
    return boto3.client("connect", region_name=region)


def _instance_count(region: str = "us-east-1") -> int:
    return len(_client(region).list_instances()["InstanceSummaryList"])


@mock_connect()
def test_decorated_function_with_a_plain_client() -> None:
    client = boto3.client("connect", region_name="us-east-1")
    created = client.create_instance(IdentityManagementType="CONNECT_MANAGED",
                                     InstanceAlias="plain", InboundCallsEnabled=True,
                                     OutboundCallsEnabled=False)
    described = client.describe_instance(InstanceId=created["Id"])["Instance"]
    assert described["InstanceAlias"] == "plain"
    assert described["Arn"] == created["Arn"]
    assert isinstance(described["CreatedTime"], datetime)


def test_each_use_is_a_fresh_service() -> None:
    @mock_connect()
    def make_one() -> int:
        _client().create_instance(IdentityManagementType="CONNECT_MANAGED",
                                  InstanceAlias="fresh", InboundCallsEnabled=True,
                                  OutboundCallsEnabled=True)
        return _instance_count()

    assert make_one() == 1
    assert make_one() == 1  # the alias is free again: nothing carried over


def test_context_manager_start_stop_and_clients_made_before() -> None:
    before = _client("eu-west-2")
    with mock_connect() as mock:
        seeded = mock.create_instance("early", region="eu-west-2")
        assert before.describe_instance(InstanceId=seeded["id"])["Instance"]["Id"] == seeded["id"]
        # Regions are separate, as in Amazon Connect.
        with pytest.raises(ClientError) as caught:
            _client("us-west-2").describe_instance(InstanceId=seeded["id"])
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    started = mock_connect().start()
    try:
        assert _instance_count() == 0
    finally:
        started.stop()


def test_errors_are_the_typed_exceptions() -> None:
    with mock_connect() as mock:
        seeded = mock.create_instance()
        client = _client()
        missing = str(uuid.uuid4())
        with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
            client.describe_contact(InstanceId=seeded["id"], ContactId=missing)
        response = caught.value.response
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
        assert response["Error"]["Message"] == (
            f"Contact not found: {missing} (instance {seeded['id']})")


def test_the_fixed_clock_and_moving_it() -> None:
    with mock_connect(clock="2024-01-01T00:00:00Z") as mock:
        seeded = mock.create_instance()
        client = _client()
        task = client.start_task_contact(InstanceId=seeded["id"], Name="t",
                                         ContactFlowId=seeded["flows"]["Default inbound"])
        contact = client.describe_contact(InstanceId=seeded["id"],
                                          ContactId=task["ContactId"])["Contact"]
        assert contact["InitiationTimestamp"] == datetime(2024, 1, 1, tzinfo=UTC)
        mock.advance(3600)
        client.stop_contact(InstanceId=seeded["id"], ContactId=task["ContactId"])
        stopped = client.describe_contact(InstanceId=seeded["id"],
                                          ContactId=task["ContactId"])["Contact"]
        assert stopped["DisconnectTimestamp"] == datetime(2024, 1, 1, 1, tzinfo=UTC)
        mock.set_clock("2026-01-01T00:00:01Z")  # past the 24 months: swept
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.describe_contact(InstanceId=seeded["id"], ContactId=task["ContactId"])


def test_accounts_follow_the_access_key() -> None:
    with mock_connect(accounts={"AKIATEAMA": "111111111111"}) as mock:
        team = boto3.client("connect", region_name="us-east-1", aws_access_key_id="AKIATEAMA",
                            aws_secret_access_key="x")
        created = team.create_instance(IdentityManagementType="CONNECT_MANAGED",
                                       InstanceAlias="team-a", InboundCallsEnabled=True,
                                       OutboundCallsEnabled=True)
        assert ":111111111111:" in created["Arn"]
        assert _instance_count() == 0  # the default account sees none of it
        assert mock.service.accounts.for_key("AKIATEAMA") == "111111111111"


def test_async_test_functions() -> None:
    @mock_connect()
    async def scenario() -> int:
        await asyncio.sleep(0)
        _client().create_instance(IdentityManagementType="CONNECT_MANAGED",
                                  InstanceAlias="async", InboundCallsEnabled=True,
                                  OutboundCallsEnabled=True)
        return _instance_count()

    assert asyncio.run(scenario()) == 1


@mock_connect()
class TestAClass:
    def test_one(self) -> None:
        _client().create_instance(IdentityManagementType="CONNECT_MANAGED",
                                  InstanceAlias="class", InboundCallsEnabled=True,
                                  OutboundCallsEnabled=True)
        assert _instance_count() == 1

    def test_two_starts_empty(self) -> None:
        assert _instance_count() == 0


@mock_connect()
class TestUnittestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.client = _client()
        self.instance = self.client.create_instance(
            IdentityManagementType="CONNECT_MANAGED", InstanceAlias="unit",
            InboundCallsEnabled=True, OutboundCallsEnabled=True)["Id"]

    def test_seeded_in_setup(self) -> None:
        assert _instance_count() == 1
        self.client.describe_instance(InstanceId=self.instance)


def test_other_services_are_left_alone() -> None:
    with mock_connect():
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
        with pytest.raises(EndpointConnectionError):  # it really tried the network
            s3.list_buckets()


def test_it_composes_with_moto() -> None:
    with mock_aws(), mock_connect() as mock:
        seeded = mock.create_instance("with-moto")
        client = _client()
        contact = client.start_task_contact(
            InstanceId=seeded["id"], Name="t",
            ContactFlowId=seeded["flows"]["Default inbound"])["ContactId"]
        assert client.describe_contact(InstanceId=seeded["id"],
                                       ContactId=contact)["Contact"]["Name"] == "t"
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="moto-bucket")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["moto-bucket"]


def test_endpoint_url_limits_what_a_mock_answers() -> None:
    with mock_connect(endpoint_url="http://one.test") as one, \
            mock_connect(endpoint_url="http://two.test"):
        first = boto3.client("connect", region_name="us-east-1", endpoint_url="http://one.test")
        second = boto3.client("connect", region_name="us-east-1", endpoint_url="http://two.test")
        one.create_instance("only-in-one")
        assert len(first.list_instances()["InstanceSummaryList"]) == 1
        assert second.list_instances()["InstanceSummaryList"] == []


def test_stop_restores_botocore() -> None:
    from botocore.hooks import HierarchicalEmitter

    original = HierarchicalEmitter._emit
    with mock_connect():
        assert HierarchicalEmitter._emit is not original
    assert HierarchicalEmitter._emit is original


def test_importing_patches_nothing() -> None:
    import subprocess
    import sys

    code = ("from botocore.hooks import HierarchicalEmitter as H; e = H._emit; "
            "import connectlocal, connectlocal.mock, connectlocal.pytest_plugin; "
            "assert H._emit is e; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "ok"
    assert connectlocal.mock_connect is mock_connect


def test_admin_in_process() -> None:
    import json

    with mock_connect(clock="2025-05-05T05:05:05Z") as mock:
        status, body = mock.admin("GET", "clock")
        assert status == 200 and json.loads(body)["now"] == "2025-05-05T05:05:05.000Z"


def test_two_mocks_over_one_postgresql_store_share_it(pg_database: str) -> None:
    url = f"{pg_database}?schema=mocks"
    with mock_connect(endpoint_url="http://one.test", data=url), \
            mock_connect(endpoint_url="http://two.test", data=url):
        one = boto3.client("connect", region_name="us-east-1", endpoint_url="http://one.test")
        two = boto3.client("connect", region_name="us-east-1", endpoint_url="http://two.test")
        created = one.create_instance(IdentityManagementType="CONNECT_MANAGED",
                                      InstanceAlias="shared-by-mocks",
                                      InboundCallsEnabled=True, OutboundCallsEnabled=True)
        described = two.describe_instance(InstanceId=created["Id"])["Instance"]
        assert described["InstanceAlias"] == "shared-by-mocks"
