"""The built wheel installs next to what users have and serves from there: the newest boto3
(pip resolving them together, with no pins of ours in the way) and aiobotocore (which pins an
older botocore). The aiobotocore environment is the one tests/clients/test_clients.py drives."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from .venvs import VenvServer, make_venv, run

# Making an environment is pip resolving and installing: minutes on a loaded machine.
pytestmark = [pytest.mark.http_only, pytest.mark.timeout(900)]

SCENARIO = """
import json, sys
from importlib import metadata
import boto3
connect = boto3.client("connect", endpoint_url=sys.argv[1], region_name="eu-central-1",
                       aws_access_key_id="AKIDNEWEST", aws_secret_access_key="s")
instance = connect.create_instance(IdentityManagementType="CONNECT_MANAGED",
                                   InstanceAlias="newest", InboundCallsEnabled=True,
                                   OutboundCallsEnabled=True)
flows = connect.list_contact_flows(InstanceId=instance["Id"])["ContactFlowSummaryList"]
flow = next(f["Id"] for f in flows if f["Name"] == "Default inbound")
task = connect.start_task_contact(InstanceId=instance["Id"], ContactFlowId=flow, Name="t")
contact = connect.describe_contact(InstanceId=instance["Id"], ContactId=task["ContactId"])
print(json.dumps({"arn": instance["Arn"], "channel": contact["Contact"]["Channel"],
                  "versions": {p: metadata.version(p) for p in ("boto3", "botocore")}}))
"""


def test_wheel_next_to_the_newest_boto3(tmp_path: Path, wheel: Path) -> None:
    python = make_venv(tmp_path / "venv", str(wheel), "boto3")
    assert run([str(python), "-m", "connectlocal", "--version"]).startswith("connectlocal ")
    with VenvServer(tmp_path / "venv") as server:
        out = json.loads(run([str(python), "-c", SCENARIO, server.url]))
    assert out["arn"].startswith("arn:aws:connect:eu-central-1:123456789012:instance/")
    assert out["channel"] == "TASK"
    # The newest boto3 this machine's index has, not one held back for connectlocal.
    newest = run([sys.executable, "-m", "pip", "index", "versions", "boto3"]).split("\n")[0]
    assert newest == f"boto3 ({out['versions']['boto3']})"
