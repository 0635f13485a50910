"""The front door: strict SigV4, regions, admin endpoints a web page cannot reach, throttling at
the documented quotas, and injected faults; through boto3 over both transports."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from connectlocal.mock import mock_connect

from ..conftest import TRANSPORT, InProcessServer, client_for, new_instance
from ..serverproc import ServerProcess, tmp_db

KEY, ACCOUNT = "AKIASTRICTEXAMPLE", "111122223333"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.")


def _server(tmp: pytest.TempPathFactory, *flags: str, **mock_options: Any) -> Any:
    if TRANSPORT == "inprocess":
        twin = InProcessServer()
        twin.mock = mock_connect(endpoint_url=twin.url, **mock_options)
        return twin.start()
    return ServerProcess(tmp_db(tmp.mktemp("front")), *flags).start()


@pytest.fixture
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    proc = _server(tmp_path_factory, "--auth", "strict", "--accounts",
                   f"{KEY}:{SECRET}={ACCOUNT}", auth="strict",
                   accounts={KEY: (SECRET, ACCOUNT)})
    yield proc
    proc.stop()


def _client(url: str, key: str = KEY, secret: str = SECRET, **config: Any) -> Any:
    return boto3.client("connect", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}, **config))


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = excinfo.value.response
    return (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"],
            response["Error"]["Message"])


def test_a_correctly_signed_call_succeeds_in_the_signers_account(strict: Any) -> None:
    created = _client(strict.url).create_instance(
        IdentityManagementType="CONNECT_MANAGED", InstanceAlias="strict-ok",
        InboundCallsEnabled=True, OutboundCallsEnabled=True)
    assert f":{ACCOUNT}:instance/" in created["Arn"]
    listed = _client(strict.url).list_instances()["InstanceSummaryList"]
    assert [i["Id"] for i in listed] == [created["Id"]]


def test_a_wrong_secret_is_an_invalid_signature(strict: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        _client(strict.url, secret="not-the-secret").list_instances()
    assert _error(excinfo) == ("InvalidSignatureException", 403, MISMATCH)


def test_an_unknown_key_is_an_unrecognized_client(strict: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        _client(strict.url, key="AKIAUNKNOWN").list_instances()
    assert _error(excinfo) == ("UnrecognizedClientException", 403,
                               "The security token included in the request is invalid.")


def test_an_unsigned_call_is_missing_its_token(strict: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        _client(strict.url, signature_version=UNSIGNED).list_instances()
    assert _error(excinfo) == ("MissingAuthenticationTokenException", 403,
                               "Missing Authentication Token")


def test_a_signature_dated_outside_15_minutes_of_the_service_clock_has_expired(
        strict: Any) -> None:
    # The SDK signs with the machine's time; the service clock is an hour ahead of it.
    ahead = datetime.now(UTC) + timedelta(hours=1)
    strict.set_clock(ahead.strftime("%Y-%m-%dT%H:%M:%SZ"), ticking=True)
    with pytest.raises(ClientError) as excinfo:
        _client(strict.url).list_instances()
    code, status, message = _error(excinfo)
    assert (code, status) == ("InvalidSignatureException", 403)
    assert message.startswith("Signature expired: ") and message.endswith(" - 15 min.)")
    strict.set_clock((ahead - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"), ticking=True)
    with pytest.raises(ClientError) as excinfo:
        _client(strict.url).list_instances()
    assert _error(excinfo)[2].startswith("Signature not yet current: ")


def test_a_scope_for_another_service_is_refused(strict: Any) -> None:
    client = _client(strict.url)

    def rescope(request: Any, **_: Any) -> None:
        request.context.setdefault("signing", {})["signing_name"] = "s3"

    client.meta.events.register_first("before-sign.connect.ListInstances", rescope)
    with pytest.raises(ClientError) as excinfo:
        client.list_instances()
    assert _error(excinfo) == ("InvalidSignatureException", 403,
                               "Credential should be scoped to correct service: 'connect'. ")


def test_a_region_that_is_no_aws_region_is_refused_in_the_default_mode(
        connect: Any, server: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        client_for(server.url, region="zz-fake-9").list_instances()
    assert _error(excinfo) == ("InvalidSignatureException", 400,
                               "Credential should be scoped to a valid region. 'zz-fake-9' is "
                               "not an AWS region.")
    # botocore refuses this one itself; other clients send it (it ended up inside ARNs).
    region = "us-east-1:999999999999:instance"
    headers = {"Authorization": f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202/{region}/"
                                "connect/aws4_request, SignedHeaders=host, Signature=00"}
    if TRANSPORT == "inprocess":
        status, _, body = server.raw("GET", "/instance", None, headers)
    else:
        status, body = _raw(server.url, "GET", "/instance", headers=headers)
    assert status == 400
    assert body["Message"] == (f"Credential should be scoped to a valid region. '{region}' is "
                               "not an AWS region.")


def test_twelve_digit_keys_are_accounts_only_where_allowed(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    if TRANSPORT == "inprocess":
        pytest.skip("serve's --accounts rule; mock_connect keeps moto's (every 12-digit key id)")
    proc = ServerProcess(tmp_db(tmp_path_factory.mktemp("keys")), "--accounts",
                         "444455556666").start()
    try:
        allowed = client_for(proc.url, key="444455556666")
        other = client_for(proc.url, key="777788889999")
        assert ":444455556666:" in new_instance(allowed)["arn"]
        assert ":123456789012:" in new_instance(other)["arn"]
    finally:
        proc.stop()


# The admin endpoints


def _raw(url: str, method: str, path: str, body: bytes = b"",
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    parsed = urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


@pytest.mark.http_only
def test_a_cross_site_form_post_cannot_reset_the_store(server: Any, connect: Any) -> None:
    instance = new_instance(connect)
    form = {"Content-Type": "text/plain", "Origin": "http://evil.example"}
    assert _raw(server.url, "POST", "/_connectlocal/reset", b"x=1", form)[0] == 403
    status, body = _raw(server.url, "POST", "/_connectlocal/reset", b"x=1",
                        {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and "application/json" in body["error"]
    rebound = {"Host": f"evil.example:{urlsplit(server.url).port}",
               "Content-Type": "application/json"}
    status, body = _raw(server.url, "POST", "/_connectlocal/reset", b"{}", rebound)
    assert status == 403 and "DNS rebinding" in body["error"]
    assert connect.describe_instance(InstanceId=instance["id"])["Instance"]["Id"] == instance["id"]


@pytest.mark.http_only
def test_an_admin_token_guards_every_admin_endpoint_but_health(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    proc = ServerProcess(tmp_db(tmp_path_factory.mktemp("token")), admin_token="s3cret").start()
    try:
        status, body = _raw(proc.url, "POST", "/_connectlocal/reset")
        assert status == 403 and "x-connectlocal-admin-token" in body["error"]
        status, health = _raw(proc.url, "GET", "/_connectlocal/health")
        assert status == 200 and "location" not in health["store"]
        status, health = _raw(proc.url, "GET", "/_connectlocal/health",
                              headers={"x-connectlocal-admin-token": "s3cret"})
        assert health["store"]["location"].endswith("connect.db")
        proc.reset()  # the helper sends the token
    finally:
        proc.stop()


# Throttling


@pytest.fixture
def throttled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    proc = _server(tmp_path_factory, "--throttle", "aws", throttle="aws")
    yield proc
    proc.stop()


def test_throttling_at_describe_contacts_documented_burst_and_retries_get_through(
        throttled: Any) -> None:
    setup = client_for(throttled.url, key="AKIASETUP", region="eu-west-2")
    instance = new_instance(setup)  # CreateInstance is 0.1/s, burst 1: one instance
    contact = setup.start_task_contact(InstanceId=instance["id"], Name="t",
                                       ContactFlowId=instance["flows"]["Default inbound"])
    no_retries = client_for(throttled.url, region="eu-west-2")
    no_retries.describe_contact(InstanceId=instance["id"], ContactId=contact["ContactId"])

    def describe(_: int) -> str:
        try:
            no_retries.describe_contact(InstanceId=instance["id"],
                                        ContactId=contact["ContactId"])
        except ClientError as error:
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 429
            assert error.response["Error"]["Message"] == "Rate exceeded"
            return str(error.response["Error"]["Code"])
        return "ok"

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=40) as pool:  # a burst: all 40 at once
        outcomes = list(pool.map(describe, range(40)))
    window = time.monotonic() - started
    # DescribeContact: 10 a second, burst 15 (the quotas page; spec/throttling.json); one
    # token went to the first call. What the window refilled may get through too.
    answered = outcomes.count("ok")
    assert 14 <= answered <= 14 + int(10 * window) + 1, (answered, window)
    assert outcomes.count("ThrottlingException") == 40 - answered > 0
    retrying = boto3.client("connect", endpoint_url=throttled.url, region_name="eu-west-2",
                            aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                            config=Config(retries={"mode": "standard", "max_attempts": 20}))
    for _ in range(40):
        retrying.describe_contact(InstanceId=instance["id"], ContactId=contact["ContactId"])


# Faults


def test_a_fault_rule_fails_describe_contact_exactly_its_count(server: Any,
                                                                connect: Any) -> None:
    instance = new_instance(connect)
    contact = connect.start_task_contact(InstanceId=instance["id"], Name="t",
                                         ContactFlowId=instance["flows"]["Default inbound"])
    # No retry at all (botocore's legacy max_attempts=1 still retries a 500 once).
    connect = boto3.client("connect", endpoint_url=server.url, region_name="us-east-1",
                           aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                           config=Config(retries={"total_max_attempts": 1}))
    status, rule = server.admin("POST", "faults", {"operation": "DescribeContact",
                                                   "error": "InternalServiceException",
                                                   "count": 2})
    assert status == 200 and rule["count"] == 2
    try:
        for _ in range(2):
            with pytest.raises(ClientError) as excinfo:
                connect.describe_contact(InstanceId=instance["id"],
                                         ContactId=contact["ContactId"])
            code, status, message = _error(excinfo)
            assert (code, status) == ("InternalServiceException", 500)
            assert message == f"Injected fault {rule['id']} (connectlocal faults)"
        connect.describe_contact(InstanceId=instance["id"], ContactId=contact["ContactId"])
        assert server.admin("GET", "faults")[1]["faults"][0]["hits"] == 2
    finally:
        assert server.admin("DELETE", "faults")[0] == 200


def test_a_latency_rule_delays_the_answer(server: Any, connect: Any) -> None:
    server.admin("POST", "faults", {"operation": "ListInstances", "latency_ms": 300,
                                    "count": 1})
    try:
        started = time.monotonic()
        connect.list_instances()
        assert time.monotonic() - started >= 0.3
    finally:
        server.admin("DELETE", "faults")


@pytest.mark.parametrize(("rule", "says"), [
    ({"operation": "Nope", "error": "InternalServiceException"}, "no operation"),
    ({"error": "BogusException"}, "no error shape"),
    ({"error": "InternalServiceException", "probability": 2}, "probability"),
    ({"operation": "DescribeContact"}, "needs an error or a latency_ms"),
    ({"error": "InternalServiceException", "color": "red"}, "unknown fault rule members"),
])
def test_bad_fault_rules_are_refused_naming_the_member(server: Any, rule: dict[str, Any],
                                                       says: str) -> None:
    status, body = server.admin("POST", "faults", rule)
    assert status == 400 and says in body["error"]
