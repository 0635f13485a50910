"""No input produces a 500: arbitrary requests against the dispatcher, in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectlocal.dispatch import Dispatcher, HttpRequest
from connectlocal.service import Service
from connectlocal.spec import service_model
from connectlocal.store import open_store

MODEL = service_model()
ROUTES = sorted({(MODEL.operation_model(n).http["method"],
                  MODEL.operation_model(n).http["requestUri"].split("?")[0])
                 for n in MODEL.operation_names})


@pytest.fixture(scope="module")
def dispatcher() -> Iterator[Dispatcher]:
    service = Service(open_store(":memory:"))
    yield Dispatcher(service)
    service.store.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def requests(draw: Any) -> HttpRequest:
    method, template = draw(st.sampled_from(ROUTES))
    segments = []
    for segment in template.split("/")[1:]:
        if segment.startswith("{"):
            segment = draw(st.sampled_from([
                "11111111-1111-4111-8111-111111111111", "x" * 300, "%2F", "%ZZ", "a b",
                draw(st.text(alphabet="abc-%/09", max_size=12)),
            ]))
        segments.append(segment)
    members = {}
    op_input = None
    for name in MODEL.operation_names:
        op = MODEL.operation_model(name)
        if op.http["method"] == method and op.http["requestUri"].split("?")[0] == template:
            op_input = op.input_shape
    if op_input is not None:
        for member in draw(st.lists(st.sampled_from(sorted(op_input.members)), max_size=4)):
            members[member] = draw(json_values)
    body = draw(st.sampled_from([json.dumps(members).encode(), b"", b"{", b"\xff", b"[]", b"null"]))
    query = draw(st.sampled_from(["", "maxResults=0", "maxResults=abc", "nextToken=%%",
                                  "a=1&a=2"]))
    return HttpRequest(method=draw(st.sampled_from([method, "GET", "PATCH"])),
                       path="/" + "/".join(segments), query=query, headers={}, body=body)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=requests())
def test_no_request_gets_a_500(dispatcher: Dispatcher, request: HttpRequest) -> None:
    response = dispatcher(request)
    assert response.status < 500, (request, response.body)
    document = orjson.loads(response.body)
    headers = dict(response.headers)
    assert headers["x-amzn-requestid"]
    if response.status >= 400:
        assert headers["x-amzn-errortype"] and document["Message"]
