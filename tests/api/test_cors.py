"""CORS as Amazon Connect answers a browser: the preflight, the headers of a real answer to a
page's request, and none of it on the /_connectlocal/ admin endpoints."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlparse

import pytest

from connectlocal.dispatch import HttpRequest

from ..conftest import new_instance

ORIGIN = "http://localhost:3000"
EXPOSED = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"
# What @aws-sdk/client-connect sends in a browser (aws-sdk-js-v3 #1590).
SDK_HEADERS = ("amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,x-amz-date,"
               "x-amz-user-agent,x-amz-security-token")


def _raw(server: Any, method: str, path: str, headers: dict[str, str],
         body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    if hasattr(server, "mock"):  # the in-process run: the same dispatcher the server calls
        target, _, query = path.partition("?")
        response = server.mock.dispatcher(HttpRequest(
            method, target, query, {k.lower(): v for k, v in headers.items()}, body))
        return response.status, dict(response.headers), response.body
    parsed = urlparse(server.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    conn.request(method, path, body=body or None, headers=headers)
    answer = conn.getresponse()
    data = answer.read()
    conn.close()
    return answer.status, {k.lower(): v for k, v in answer.getheaders()}, data


def test_a_preflight_admits_the_sdks_request(server: Any, connect: Any) -> None:
    instance = new_instance(connect)["id"]
    status, headers, body = _raw(server, "OPTIONS", "/contact/attributes", {
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": SDK_HEADERS})
    assert status == 200 and body == b""
    assert headers["access-control-allow-origin"] == "*"
    assert headers["access-control-allow-methods"] == "POST"
    assert headers["access-control-allow-headers"] == SDK_HEADERS
    assert headers["access-control-max-age"] == "172800"
    assert headers["x-amzn-requestid"]
    # A path several operations share lists each of their methods.
    status, headers, _ = _raw(server, "OPTIONS", f"/instance/{instance}", {
        "Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"})
    assert status == 200
    assert headers["access-control-allow-methods"] == "GET,DELETE"
    assert "amz-sdk-invocation-id" in headers["access-control-allow-headers"]


def test_a_preflight_to_no_operation_is_the_modelled_error(server: Any) -> None:
    status, headers, body = _raw(server, "OPTIONS", "/no/such/route", {"Origin": ORIGIN})
    assert status == 404
    assert headers["x-amzn-errortype"] == "UnknownOperationException"
    assert json.loads(body) == {"Message": "No Amazon Connect operation answers /no/such/route"}
    assert headers["access-control-allow-origin"] == "*"


def test_answers_to_a_page_carry_cors_headers(server: Any, connect: Any) -> None:
    instance = new_instance(connect)["id"]
    status, headers, body = _raw(server, "GET", f"/instance/{instance}", {
        "Origin": ORIGIN, "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/"
        "us-east-1/connect/aws4_request, SignedHeaders=host, Signature=0"})
    assert status == 200 and json.loads(body)["Instance"]["Id"] == instance
    assert headers["access-control-allow-origin"] == "*"
    assert headers["access-control-expose-headers"] == EXPOSED
    # Errors too: a page reads their x-amzn-ErrorType through the exposed headers.
    missing = "11111111-1111-4111-8111-111111111111"
    status, headers, _ = _raw(server, "GET", f"/instance/{missing}", {"Origin": ORIGIN})
    assert status == 404 and headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert headers["access-control-expose-headers"] == EXPOSED
    # Without an Origin (an SDK outside a browser) the answer is as before.
    _, headers, _ = _raw(server, "GET", f"/instance/{instance}", {})
    assert "access-control-allow-origin" not in headers


@pytest.mark.http_only
def test_admin_endpoints_answer_no_cors(server: Any) -> None:
    # A web page is refused there (the admin guard), and told nothing it could read.
    status, headers, body = _raw(server, "GET", "/_connectlocal/health", {"Origin": ORIGIN})
    assert status == 403 and "web pages" in json.loads(body)["error"]
    assert not [h for h in headers if h.startswith("access-control-")]
    status, headers, _ = _raw(server, "OPTIONS", "/_connectlocal/reset", {
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert status != 200
    assert not [h for h in headers if h.startswith("access-control-")]
