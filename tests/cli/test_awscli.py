"""The real AWS CLI (``aws connect ... --endpoint-url``) against a running server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ..serverproc import ServerProcess


def _aws_command() -> list[str]:
    # The CLI installed with the test extras, next to this interpreter.
    local = Path(sys.executable).with_name("aws")
    if local.exists():
        return [str(local)]
    found = shutil.which("aws")
    if found is None:
        pytest.fail("the AWS CLI is not installed: `make test` installs it with the test extras")
    return [found]


def aws(url: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, Any, str]:
    environment = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                   "AWS_SECRET_ACCESS_KEY": "secret", "AWS_DEFAULT_REGION": "eu-west-2",
                   "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                   "AWS_MAX_ATTEMPTS": "1", **(env or {})}
    endpoint = ["--endpoint-url", url] if url else []
    done = subprocess.run([*_aws_command(), "connect", *args, *endpoint, "--output", "json"],
                          capture_output=True, text=True, env=environment, timeout=60)
    out = json.loads(done.stdout) if done.stdout.strip() else None
    return done.returncode, out, done.stderr


def test_aws_cli_create_instance_and_describe_contact(server: ServerProcess) -> None:
    code, created, err = aws(server.url, "create-instance", "--identity-management-type",
                             "CONNECT_MANAGED", "--instance-alias", "cli-acme",
                             "--inbound-calls-enabled", "--outbound-calls-enabled")
    assert code == 0, err
    assert created["Arn"].startswith("arn:aws:connect:eu-west-2:123456789012:instance/")
    instance_id = created["Id"]
    code, flows, err = aws(server.url, "list-contact-flows", "--instance-id", instance_id)
    assert code == 0, err
    inbound = next(f["Id"] for f in flows["ContactFlowSummaryList"]
                   if f["Name"] == "Default inbound")
    code, started, err = aws(server.url, "start-outbound-voice-contact", "--instance-id",
                             instance_id, "--contact-flow-id", inbound,
                             "--destination-phone-number", "+442071234567",
                             "--source-phone-number", "+442079876543",
                             "--attributes", '{"plan": "gold"}')
    assert code == 0, err
    code, described, err = aws(server.url, "describe-contact", "--instance-id", instance_id,
                               "--contact-id", started["ContactId"])
    assert code == 0, err
    contact = described["Contact"]
    assert contact["Id"] == started["ContactId"]
    assert contact["Channel"] == "VOICE" and contact["InitiationMethod"] == "API"
    assert contact["CustomerEndpoint"] == {"Type": "TELEPHONE_NUMBER",
                                           "Address": "+442071234567"}
    assert contact["Attributes"] == {"plan": "gold"}
    # CLI v1 prints timestamps as they came over the wire: epoch seconds, as from AWS.
    assert isinstance(contact["InitiationTimestamp"], int | float)
    assert abs(contact["InitiationTimestamp"] - time.time()) < 60


def test_aws_cli_error(server: ServerProcess) -> None:
    missing = "11111111-1111-4111-8111-111111111111"
    code, _, err = aws(server.url, "describe-contact", "--instance-id", missing,
                       "--contact-id", missing)
    assert code == 255  # CLI v1: a service error exits 255
    assert ("An error occurred (ResourceNotFoundException) when calling the DescribeContact "
            f"operation: Instance not found: {missing}") in err


def test_aws_endpoint_url_connect_reaches_unchanged_code(server: ServerProcess) -> None:
    code, listed, err = aws("", "list-instances",
                            env={"AWS_ENDPOINT_URL_CONNECT": server.url})
    assert code == 0, err
    assert "InstanceSummaryList" in listed


def test_aws_cli_search_contacts_pages_through_everything(server: ServerProcess) -> None:
    code, created, err = aws(server.url, "create-instance", "--identity-management-type",
                             "CONNECT_MANAGED", "--instance-alias", "cli-search",
                             "--inbound-calls-enabled", "--outbound-calls-enabled")
    assert code == 0, err
    instance_id = created["Id"]
    _, flows, _ = aws(server.url, "list-contact-flows", "--instance-id", instance_id)
    inbound = next(f["Id"] for f in flows["ContactFlowSummaryList"]
                   if f["Name"] == "Default inbound")
    ids = set()
    for n in range(5):
        code, started, err = aws(server.url, "start-task-contact", "--instance-id", instance_id,
                                 "--contact-flow-id", inbound, "--name", f"cli task {n}")
        assert code == 0, err
        ids.add(started["ContactId"])
    # --page-size makes the CLI follow NextToken itself, two contacts a request.
    code, found, err = aws(server.url, "search-contacts", "--instance-id", instance_id,
                           "--time-range", "Type=INITIATION_TIMESTAMP,"
                           "StartTime=2021-11-12T00:00:00Z,EndTime=2100-01-01T00:00:00Z",
                           "--page-size", "2")
    assert code == 0, err
    assert {c["Id"] for c in found["Contacts"]} == ids
    assert found["TotalCount"] == 5
    assert all(isinstance(c["InitiationTimestamp"], int | float) for c in found["Contacts"])
