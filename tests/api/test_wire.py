"""What the wire itself carries: request ids, error headers, routes, bodies, accounts."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlparse

import pytest

from ..conftest import STORE, TRANSPORT, client_for, new_instance
from ..errors import expect_error
from ..serverproc import ServerProcess


def _raw(server: Any, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    if hasattr(server, "raw"):  # the in-process run
        return server.raw(method, path, body, headers or {})  # type: ignore[no-any-return]
    parsed = urlparse(server.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(data)


def test_every_response_has_a_request_id(server: ServerProcess, connect: Any) -> None:
    ok = connect.list_instances()
    assert ok["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    status, headers, body = _raw(server, "GET", "/no/such/route")
    assert status == 404 and headers["x-amzn-requestid"]
    assert headers["x-amzn-errortype"] == "UnknownOperationException"
    assert body == {"Message": "No Amazon Connect operation answers GET /no/such/route"}


def test_error_headers_and_body(server: ServerProcess) -> None:
    status, headers, body = _raw(server, "GET",
                                 "/contacts/11111111-1111-4111-8111-111111111111/x")
    assert status == 404
    assert headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert headers["content-type"] == "application/json"
    assert body == {"Message": "Instance not found: 11111111-1111-4111-8111-111111111111"}


def test_malformed_json_body_is_a_400(server: ServerProcess, instance: Any) -> None:
    status, headers, body = _raw(server, "PUT", "/contact/task", b"{not json",
                                 {"content-type": "application/json"})
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidParameterException"
    assert body["Message"].startswith("The request body is not valid JSON")
    status, _, body = _raw(server, "PUT", "/contact/task", b"[1, 2]")
    assert status == 400 and body["Message"] == "The request body must be a JSON object"


def test_wrong_json_types_are_named(server: ServerProcess, instance: Any) -> None:
    document = {"InstanceId": instance["id"], "Name": 7, "Attributes": {"a": 1}}
    status, _, body = _raw(server, "PUT", "/contact/task", json.dumps(document).encode())
    assert status == 400
    assert "Value '7' at 'Name' failed to satisfy constraint: Member must be a string" \
        not in body["Message"]  # Name is sensitive: its value is never echoed
    assert "Value at 'Name' failed to satisfy constraint: Member must be a string" \
        in body["Message"]
    assert "at 'Attributes.a' failed to satisfy constraint: Member must be a string" \
        in body["Message"]
    assert body["Message"].startswith("2 validation errors detected: ")


def test_missing_required_members_are_named(server: ServerProcess) -> None:
    status, _, body = _raw(server, "PUT", "/contact/task", b"{}")
    assert status == 400
    assert "Value null at 'InstanceId' failed to satisfy constraint: Member must not be null" \
        in body["Message"]
    assert "Value null at 'Name' failed to satisfy constraint: Member must not be null" \
        in body["Message"]


def test_unimplemented_operation_names_itself(connect: Any, instance: Any) -> None:
    expect_error(connect.create_vocabulary, "InvalidRequestException", 400,
                 "connectlocal does not implement CreateVocabulary yet",
                 InstanceId=instance["id"], VocabularyName="Night", LanguageCode="en-US",
                 Content="Phrase\tIPA\tSoundsLike\tDisplayAs")


def test_percent_encoded_labels_are_decoded(server: ServerProcess, instance: Any,
                                            connect: Any) -> None:
    arn = instance["arn"].replace(":", "%3A").replace("/", "%2F")
    status, _, body = _raw(server, "GET", f"/instance/{arn}")
    assert status == 200 and body["Instance"]["Id"] == instance["id"]


def test_health(server: ServerProcess) -> None:
    status, body = server.admin("GET", "health")
    assert status == 200 and body["status"] == "ok"
    assert body["store"]["kind"] == ("postgresql" if STORE == "postgresql" and
                                     TRANSPORT == "http" else "sqlite")
    assert "DescribeContact" in body["operations"]
    assert "CreateVocabulary" not in body["operations"]


@pytest.mark.http_only
def test_account_mapping_option(tmp_path: Any) -> None:
    proc = ServerProcess(str(tmp_path / "a.db"), "--accounts", "AKIATEAMA=111111111111").start()
    try:
        mapped = new_instance(client_for(proc.url, key="AKIATEAMA"))
        assert ":111111111111:instance/" in mapped["arn"]
        default = new_instance(client_for(proc.url, key="AKIAANYONE"))
        assert ":123456789012:instance/" in default["arn"]
    finally:
        proc.stop()


@pytest.mark.http_only
def test_describe_contact_answers_in_the_callers_account_and_region_every_time(
        tmp_path: Any) -> None:
    # The stored-answer path keeps the scope of each credential it has seen: a second
    # request of each caller must still find its own contact, and only its own.
    proc = ServerProcess(str(tmp_path / "a.db"), "--accounts", "AKIATEAMA=111111111111").start()
    try:
        callers = {"a": client_for(proc.url, key="AKIATEAMA"),
                   "b": client_for(proc.url, key="AKIAANYONE"),
                   "a-west": client_for(proc.url, key="AKIATEAMA", region="us-west-2")}
        contacts = {}
        for name, client in callers.items():
            instance = new_instance(client)
            started = client.start_task_contact(
                InstanceId=instance["id"], Name=name,
                ContactFlowId=instance["flows"]["Default inbound"])
            contacts[name] = (instance["id"], started["ContactId"])
        for _ in range(2):
            for name, client in callers.items():
                for other, (instance_id, contact_id) in contacts.items():
                    if other == name:
                        found = client.describe_contact(InstanceId=instance_id,
                                                        ContactId=contact_id)["Contact"]
                        assert (found["Id"], found["Name"]) == (contact_id, name)
                    else:
                        expect_error(client.describe_contact, "ResourceNotFoundException",
                                     404, instance_id, InstanceId=instance_id,
                                     ContactId=contact_id)
    finally:
        proc.stop()


def test_no_input_gives_a_500(server: ServerProcess) -> None:
    paths = ["/contacts/%ZZ/%00", "/instance?maxResults=-1", "/instance?maxResults=abc",
             "/contact-flows/x/" + "y" * 5000, "/search-contacts"]
    for path in paths:
        for method in ("GET", "POST", "PUT", "DELETE"):
            status, headers, _ = _raw(server, method, path, b"\xff\xfe")
            assert status < 500, (method, path, status)
            assert headers["x-amzn-requestid"]


def test_presigned_query_auth_names_the_region_and_account(server: ServerProcess) -> None:
    # An SDK's presigned URL carries the SigV4 scope in X-Amz-Credential, not a header.
    client = client_for(server.url, region="ca-central-1", key="210987654321")
    created = new_instance(client)
    assert ":ca-central-1:210987654321:" in created["arn"]
    url = client.generate_presigned_url(
        "describe_instance", Params={"InstanceId": created["id"]}, ExpiresIn=300)
    parsed = urlparse(url)
    assert "X-Amz-Credential=" in parsed.query
    status, _, body = _raw(server, "GET", f"{parsed.path}?{parsed.query}")
    assert status == 200, body
    assert body["Instance"]["Arn"] == created["arn"]
