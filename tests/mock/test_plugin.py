"""The pytest plugin, as a user's project sees it: a test file run by pytest in a subprocess,
with the plugin loaded from its entry point."""

from __future__ import annotations

import pytest

USER_TESTS = '''
import boto3
from connectlocal import mock_connect


@mock_connect()
def test_decorated():
    client = boto3.client("connect", region_name="us-east-1")
    created = client.create_instance(IdentityManagementType="CONNECT_MANAGED",
                                     InstanceAlias="mine", InboundCallsEnabled=True,
                                     OutboundCallsEnabled=True)
    assert client.describe_instance(InstanceId=created["Id"])["Instance"]["InstanceAlias"] == "mine"


def test_fixtures(connect_mock, connect_client):
    seeded = connect_mock.create_instance("seeded")
    flows = seeded["flows"]
    task = connect_client.start_task_contact(InstanceId=seeded["id"], Name="t",
                                             ContactFlowId=flows["Sample task flow"])
    contact = connect_client.describe_contact(InstanceId=seeded["id"],
                                              ContactId=task["ContactId"])["Contact"]
    assert contact["Channel"] == "TASK"


def _server_client(server):
    return boto3.client("connect", endpoint_url=server.url, region_name="us-east-1",
                        aws_access_key_id="a", aws_secret_access_key="b")


def test_server(connectlocal_server):
    client = _server_client(connectlocal_server)
    assert client.list_instances()["InstanceSummaryList"] == []
    client.create_instance(IdentityManagementType="CONNECT_MANAGED", InstanceAlias="srv",
                           InboundCallsEnabled=True, OutboundCallsEnabled=True)


def test_server_is_fresh_for_each_test(connectlocal_server):
    assert _server_client(connectlocal_server).list_instances()["InstanceSummaryList"] == []
'''


def test_a_users_test_file_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=4)
