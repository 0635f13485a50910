"""The parser's own rules for JSON bodies: nesting is bounded before anything recurses, and
structures reach the handlers with only their known, non-null members."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectlocal.protocol.parser import MAX_DEPTH, MalformedRequest, RequestParser
from connectlocal.spec import service_model

MODEL = service_model()


def parse(operation: str, body: Any) -> dict[str, Any]:
    op = MODEL.operation_model(operation)
    parser = RequestParser()
    parser.prepare(op)
    return parser.parse(op, {}, {}, {}, json.dumps(body).encode())


def _chain(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"ValueString": "x"}
    for _ in range(levels):
        value = {"ValueList": [value]}
    return value


def test_nesting_up_to_the_limit_is_read() -> None:
    # SegmentAttributes is level 1, its value 2; each ValueList and its structure two more.
    levels = (MAX_DEPTH - 2) // 2
    parsed = parse("StartTaskContact", {"SegmentAttributes": {"s": _chain(levels)}})
    assert parsed["SegmentAttributes"] == {"s": _chain(levels)}


@pytest.mark.parametrize("levels", [(MAX_DEPTH - 2) // 2 + 1, 200, 450])
def test_deeper_nesting_is_refused_naming_where(levels: int) -> None:
    with pytest.raises(MalformedRequest) as caught:
        parse("StartTaskContact", {"SegmentAttributes": {"s": _chain(levels)}})
    where = "SegmentAttributes.s" + ".ValueList[0]" * ((MAX_DEPTH - 2) // 2) + ".ValueList"
    assert str(caught.value) == (
        f"1 validation error detected: Value at '{where}' failed to satisfy constraint: "
        f"Member must not nest lists, maps and structures more than {MAX_DEPTH} levels deep")


def test_structures_keep_known_non_null_members_and_map_nulls_stay_for_the_validator() -> None:
    parsed = parse("StartTaskContact", {
        "References": {"r": {"Type": "URL", "Value": None, "Extra": [[[[1]]]]}},
        "SegmentAttributes": {"a": None, "b": {"ValueString": "v", "ValueMap": None}},
        "Attributes": {"k": None},
        "Unknown": {"deep": [[[[[[]]]]]]},
    })
    assert parsed == {"References": {"r": {"Type": "URL"}},
                      "SegmentAttributes": {"a": None, "b": {"ValueString": "v"}},
                      "Attributes": {"k": None}}


def test_a_value_of_the_wrong_type_is_left_for_the_validator() -> None:
    deep: Any = []
    for _ in range(500):
        deep = [deep]
    parsed = parse("StartTaskContact", {"Name": deep, "References": "x"})
    assert parsed["References"] == "x" and isinstance(parsed["Name"], list)
