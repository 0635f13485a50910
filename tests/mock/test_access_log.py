"""The access log: one line at info per API request, with its request id, operation, status
and time in milliseconds; nothing (and no clock read) when that level is off."""

from __future__ import annotations

import logging
import re

import boto3
import pytest

from connectlocal import mock_connect


def test_one_line_per_request_with_id_operation_status_and_ms(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="connectlocal.access")
    with mock_connect():
        client = boto3.client("connect", region_name="us-east-1")
        listed = client.list_instances()
        with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
            client.describe_instance(InstanceId="11111111-1111-4111-8111-111111111111")
    lines = [r.getMessage() for r in caplog.records if r.name == "connectlocal.access"]
    assert len(lines) == 2
    ok_id = listed["ResponseMetadata"]["RequestId"]
    error_id = caught.value.response["ResponseMetadata"]["RequestId"]
    assert re.fullmatch(rf"{ok_id} ListInstances 200 \d+\.\dms", lines[0]), lines[0]
    assert re.fullmatch(rf"{error_id} DescribeInstance 404 \d+\.\dms", lines[1]), lines[1]


def test_nothing_when_info_is_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="connectlocal.access")
    with mock_connect():
        boto3.client("connect", region_name="us-east-1").list_instances()
    assert [r for r in caplog.records if r.name == "connectlocal.access"] == []
