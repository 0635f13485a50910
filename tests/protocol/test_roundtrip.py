"""Every operation, both directions: botocore's serializer → our router and parser, and our
serializer → botocore's parser. Values are generated from each shape of the model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.model import OperationModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from connectlocal.protocol.parser import RequestParser
from connectlocal.protocol.router import Router
from connectlocal.protocol.serializer import ResponseSerializer, UnknownMember
from connectlocal.spec import service_model

MODEL = service_model()
OPERATIONS = sorted(MODEL.operation_names)
INSTANT = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def sample(shape: Shape, depth: int = 0) -> Any:
    kind = shape.type_name
    if kind == "structure":
        members = {n: m for n, m in shape.members.items()
                   if m.serialization.get("location") != "statusCode"}
        if depth > 3:  # deep down (recursive shapes), only what must be there
            members = {n: m for n, m in members.items() if n in shape.required_members}
        if shape.is_tagged_union:  # exactly one member; a flat one where there is one
            flat = [n for n, m in shape.members.items() if m.type_name != "structure"]
            chosen = (flat or list(shape.members))[0]
            members = {chosen: shape.members[chosen]}
        return {n: sample(m, depth + 1) for n, m in members.items()}
    if kind == "list":
        return [sample(shape.member, depth + 1)] if depth < 6 else []  # ends recursion
    if kind == "map":
        return {"key one": sample(shape.value, depth + 1)}
    if kind == "string":
        if shape.enum:
            return shape.enum[-1]
        lo, hi = shape.metadata.get("min", 1), shape.metadata.get("max", 40)
        text = "v a/l%ué+?&="
        return (text * 10)[: max(lo, min(hi, len(text)))] or ""
    if kind in ("integer", "long"):
        return max(shape.metadata.get("min", 7), 7) if shape.metadata.get("max", 99) >= 7 \
            else shape.metadata["max"]
    if kind in ("double", "float"):
        return 1.5
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return INSTANT
    raise AssertionError(f"unhandled {kind}")


@pytest.fixture(scope="module")
def ours() -> tuple[Router, RequestParser, ResponseSerializer]:
    router, parser, serializer = Router(MODEL), RequestParser(), ResponseSerializer(MODEL)
    for name in OPERATIONS:
        parser.prepare(MODEL.operation_model(name))
        serializer.prepare(MODEL.operation_model(name))
    return router, parser, serializer


@pytest.mark.parametrize("name", OPERATIONS)
def test_botocore_request_parses_back(name: str, ours: Any) -> None:
    router, parser, _ = ours
    op: OperationModel = MODEL.operation_model(name)
    params = sample(op.input_shape) if op.input_shape else {}
    request = create_serializer("rest-json").serialize_to_request(params, op)
    path = request["url_path"]
    match = router.match(request["method"], path)
    assert match is not None and match.operation.name == name, (path, match)
    query = {}
    if request["query_string"]:
        from urllib.parse import parse_qs
        query = parse_qs(urlencode(request["query_string"], doseq=True),
                         keep_blank_values=True)
    headers = {k.lower(): v for k, v in request["headers"].items()}
    body = request["body"] if isinstance(request["body"], bytes) else request["body"].encode()
    parsed = parser.parse(op, match.labels, query, headers, body)
    assert parsed == params


@pytest.mark.parametrize("name", [n for n in OPERATIONS if MODEL.operation_model(n).output_shape])
def test_our_response_parses_in_botocore(name: str, ours: Any) -> None:
    _, _, serializer = ours
    op: OperationModel = MODEL.operation_model(name)
    result = sample(op.output_shape)
    response = serializer.serialize(op, result, "req-1")
    parsed = create_parser("rest-json").parse(
        {"status_code": response.status, "headers": dict(response.headers),
         "body": response.body}, op.output_shape)
    parsed.pop("ResponseMetadata", None)
    assert parsed == result


def test_routes_are_unambiguous() -> None:
    router = Router(MODEL)
    for name in OPERATIONS:
        op = MODEL.operation_model(name)
        path = op.http["requestUri"].split("?")[0]
        concrete = "/".join("label-value" if s.startswith("{") else s for s in path.split("/"))
        match = router.match(op.http["method"], concrete)
        assert match is not None
        # A literal route elsewhere may legitimately win for "label-value"; it must not here.
        assert match.operation.name == name, (name, match.operation.name)


def test_a_label_value_that_spells_a_literal_routes_as_the_full_walk_does() -> None:
    """The router's literals-first shortcut must agree with its backtracking walk, also when
    a label's value is a word some other route has as a literal at that place."""
    router = Router(MODEL)
    literals = sorted({s for n in OPERATIONS
                       for s in MODEL.operation_model(n).http["requestUri"].split("?")[0]
                       .split("/") if s and not s.startswith("{")})
    checked = 0
    for name in OPERATIONS:
        op = MODEL.operation_model(name)
        segments = op.http["requestUri"].split("?")[0].split("/")
        for position, segment in enumerate(segments):
            if not segment.startswith("{"):
                continue
            for word in literals:
                path = "/".join(word if i == position else ("v" if s.startswith("{") else s)
                                for i, s in enumerate(segments))
                method = op.http["method"]
                walked = router._walk(router._root, path.split("/")[1:], 0, [], method)
                match = router.match(method, path)
                assert (match.operation if match else None) == (walked[0] if walked else None)
                checked += 1
    assert checked > 1000


def test_a_result_member_the_shape_lacks_is_refused_unless_none(ours: Any) -> None:
    _, _, serializer = ours
    op = MODEL.operation_model("DescribeContact")
    contact = {"Id": "c", "Arn": "a", "NotAMember": None}
    body = serializer.serialize(op, {"Contact": contact}, "req-1").body
    assert body == b'{"Contact":{"Arn":"a","Id":"c"}}'
    with pytest.raises(UnknownMember, match="Contact has no member 'NotAMember'"):
        serializer.serialize(op, {"Contact": {**contact, "NotAMember": 1}}, "req-1")
