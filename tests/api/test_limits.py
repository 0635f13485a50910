"""Every limit the model states on an implemented operation's input, just inside and just
outside, over HTTP: outside is refused naming the member and the limit, inside is not."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from botocore.model import Shape

from connectlocal.spec import service_model

from ..conftest import client_for, implemented_operations
from ..serverproc import ServerProcess

MODEL = service_model()


def _item(shape: Shape) -> Any:
    """Some value of a shape, for filling a collection to a length."""
    if shape.type_name == "string":
        return shape.enum[0] if shape.enum else "a" * max(shape.metadata.get("min", 1), 1)
    if shape.type_name in ("integer", "long"):
        return int(shape.metadata.get("min", 1))
    if shape.type_name == "structure":
        return {}
    return None


def _sized(shape: Shape, n: int, index: int = 0) -> Any:
    """A value of ``shape`` whose length (or value) is ``n``."""
    kind = shape.type_name
    if kind == "string":
        return "a" * n
    if kind in ("integer", "long"):
        return n
    if kind == "list":
        return [_item(shape.member) for _ in range(n)]  # type: ignore[attr-defined]
    return {f"k{i}": _item(shape.value) for i in range(n)}  # type: ignore[attr-defined]


def _cases() -> list[tuple[str, str, str, int, str]]:
    """(operation, member, bound, value, message) for every top-level limit."""
    cases = []
    for operation in implemented_operations():
        shape = MODEL.operation_model(operation).input_shape
        if shape is None:
            continue
        for member, member_shape in shape.members.items():
            kind, meta = member_shape.type_name, member_shape.metadata
            if kind not in ("string", "integer", "long", "list", "map"):
                continue
            numeric = kind in ("integer", "long")
            if "max" in meta and meta["max"] <= 100_000:
                what = "value" if numeric else "length"
                cases.append((operation, member, "max", int(meta["max"]),
                              f"Member must have {what} less than or equal to {meta['max']}"))
            low = meta.get("min", 0)
            if "min" in meta and (numeric or low > 1):
                # Length minimums of 1 are botocore's own "required and empty" territory for
                # URI labels; the rest are checked.
                what = "value" if numeric else "length"
                cases.append((operation, member, "min", int(low),
                              f"Member must have {what} greater than or equal to {low}"))
    return cases


def _base(operation: str, skip: str) -> dict[str, Any]:
    """Placeholders for the URI labels, so the request routes to its operation."""
    op = MODEL.operation_model(operation)
    params: dict[str, Any] = {}
    for member, shape in op.input_shape.members.items():
        if member != skip and shape.serialization.get("location") == "uri":
            params[member] = str(uuid.uuid4())
    return params


CASES = _cases()


def test_the_limits_are_many() -> None:
    assert len(CASES) > 60, len(CASES)


@pytest.mark.parametrize(("operation", "member", "bound", "limit", "message"), CASES,
                         ids=[f"{c[0]}.{c[1]}.{c[2]}" for c in CASES])
def test_limit(server: ServerProcess, operation: str, member: str, bound: str, limit: int,
               message: str) -> None:
    client = client_for(server.url, parameter_validation=False)
    call = getattr(client, xform_name(operation))
    shape = MODEL.operation_model(operation).input_shape.members[member]
    outside = limit + 1 if bound == "max" else limit - 1
    expected = f"at '{member}' failed to satisfy constraint: {message}"

    def error_of(value: int) -> tuple[int, str, str]:
        try:
            call(**_base(operation, member), **{member: _sized(shape, value)})
        except ClientError as error:
            response = error.response
            return (response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"],
                    str(response["Error"]["Message"]))
        return 200, "", ""

    status, code, refused = error_of(outside)
    assert expected in refused, refused
    assert status == 400
    assert code in ("InvalidParameterException", "InvalidRequestException")
    assert expected not in error_of(limit)[2]
