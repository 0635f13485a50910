"""Turns an HTTP request into an operation's parameters: URI labels, query, headers, JSON body.

Values are converted to Python types where the model says so (numbers in the query string,
timestamps anywhere); a value that cannot be converted is left as it came, so the validator
reports it against the member it was sent for.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import orjson
from botocore.model import OperationModel, Shape

from .shapes import wire_name
from .timestamps import parse_any
from .validator import describe


class MalformedRequest(Exception):
    """The request cannot be read at all (the body is not a JSON object)."""


def _scalar(shape: Shape, text: str) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            return text
    if kind in ("double", "float"):
        try:
            number = float(text)
        except ValueError:
            return text
        # "nan" and "inf" are not numbers JSON can carry: reported, not passed on.
        return number if math.isfinite(number) else text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat") or "iso8601"
        parsed = parse_any(text, fmt)
        return parsed if parsed is not None else text
    return text


class _OperationPlan:
    def __init__(self, op: OperationModel) -> None:
        shape = op.input_shape
        self.uri: list[tuple[str, str, Shape]] = []
        self.query: list[tuple[str, str, Shape]] = []
        self.headers: list[tuple[str, str, Shape]] = []
        self.body: dict[str, tuple[str, Walk | None]] = {}
        if shape is None:
            return
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = wire_name(name, member)
            if location == "uri":
                self.uri.append((name, wire, member))
            elif location == "querystring":
                self.query.append((name, wire, member))
            elif location == "header":
                self.headers.append((name, wire.lower(), member))
            elif location is None:
                self.body[wire] = (name, _top_converter(member))
            else:
                raise ValueError(f"{op.name}.{name}: location {location} not supported")


class RequestParser:
    def __init__(self) -> None:
        self._plans: dict[str, _OperationPlan] = {}

    def prepare(self, op: OperationModel) -> None:
        """Builds the operation's plan (done for every operation at start-up)."""
        self._plans[op.name] = _OperationPlan(op)

    def parse(
        self,
        op: OperationModel,
        labels: Mapping[str, str],
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> dict[str, Any]:
        plan = self._plans[op.name]
        params: dict[str, Any] = {}
        for name, wire, shape in plan.uri:
            if wire in labels:
                params[name] = _scalar(shape, labels[wire])
        for name, wire, shape in plan.query:
            values = query.get(wire)
            if values is None:
                continue
            if shape.type_name == "list":
                params[name] = [_scalar(shape.member, v) for v in values]
            else:
                params[name] = _scalar(shape, values[-1])
        for name, wire, shape in plan.headers:
            header = headers.get(wire)
            if header is not None:
                if shape.type_name == "timestamp":
                    fmt = shape.serialization.get("timestampFormat") or "rfc822"
                    parsed = parse_any(header, fmt)
                    params[name] = parsed if parsed is not None else header
                else:
                    params[name] = _scalar(shape, header)
        if plan.body and body.strip():
            try:
                document = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise MalformedRequest(f"The request body is not valid JSON: {exc}") from None
            if not isinstance(document, dict):
                raise MalformedRequest("The request body must be a JSON object")
            for key, value in document.items():
                entry = plan.body.get(key)
                if entry is None:
                    continue  # unknown members are ignored, as AWS JSON services do
                name, convert = entry
                if convert is None or value is None:
                    params[name] = value
                    continue
                try:
                    params[name] = convert(value, 1)
                except TooDeep as exc:
                    where = name + "".join(reversed(exc.path))
                    raise MalformedRequest(describe([
                        f"Value at '{where}' failed to satisfy constraint: Member must not nest "
                        f"lists, maps and structures more than {MAX_DEPTH} levels deep"
                    ])) from None
        return params


MAX_DEPTH = 32
"""Lists, maps and structures a body member may nest, counting itself. The deepest input shape
that does not recurse nests 8; a recursive one (SegmentAttributeValue's ValueMap and
ValueList, search criteria's AndConditions and OrConditions) is refused beyond this, before
anything recurses into it (orjson writes at most 254 levels; Python recurses 1,000 frames)."""


class TooDeep(Exception):
    """A body member nests more than MAX_DEPTH levels; ``path`` is filled in on the way out."""

    def __init__(self) -> None:
        super().__init__()
        self.path: list[str] = []


def _walks(shape: Shape, _seen: frozenset[str] = frozenset()) -> bool:
    """Whether the parser rebuilds values of this shape: it holds timestamps or renamed
    members (needs_conversion) or structures, whose null and unknown members are dropped."""
    if shape.name in _seen:
        return True  # recursive: a structure is somewhere on the cycle
    kind: str = shape.type_name
    if kind == "structure":
        return True
    seen = _seen | {shape.name}
    if kind == "list":
        return _walks(shape.member, seen)
    if kind == "map":
        return _walks(shape.value, seen)
    return kind == "timestamp"


Walk = Callable[[Any, int], Any]  # a value, and how many levels down the body it is


def _top_converter(shape: Shape) -> Walk | None:
    return _body_converter(shape) if _walks(shape) else None


_BUILDING: set[str] = set()  # shapes whose converter is being built (a cycle reaches them)


def _child(shape: Shape) -> Walk:
    """The converter of a member shape: built now, unless it is being built further up (a
    recursive shape), then resolved on first use."""
    if shape.name in _BUILDING:
        return _lazy(shape)
    return _body_converter(shape)


@cache
def _body_converter(shape: Shape) -> Walk:
    _BUILDING.add(shape.name)
    try:
        return _build(shape)
    finally:
        _BUILDING.discard(shape.name)


def _build(shape: Shape) -> Walk:
    """A value of ``shape`` as the handlers take it, ``depth`` levels down a body member.

    Structures keep only their known, non-null members (a JSON null is an absent member; an
    unknown member is ignored, as at the top level), so that no handler stores what the model
    does not have. Nulls inside lists and maps are kept for the validator to refuse; a value of
    the wrong type is left as it came, for the validator to report.
    """
    kind = shape.type_name
    if kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat")

        def timestamp(value: Any, depth: int) -> Any:
            parsed = parse_any(value, fmt)
            return parsed if parsed is not None else value

        return timestamp
    if kind == "structure":
        members = {
            wire_name(n, m): (n, _child(m) if _walks(m) else None)
            for n, m in shape.members.items()
        }

        def structure(value: Any, depth: int) -> Any:
            if not isinstance(value, dict):
                return value
            if depth > MAX_DEPTH:
                raise TooDeep
            out: dict[str, Any] = {}
            for key, item in value.items():
                entry = members.get(key)
                if entry is None or item is None:
                    continue
                name, convert = entry
                if convert is None:
                    out[name] = item
                    continue
                try:
                    out[name] = convert(item, depth + 1)
                except TooDeep as exc:
                    exc.path.append(f".{name}")
                    raise
            return out

        return structure
    if kind == "list":
        item_convert = _child(shape.member)

        def listing(value: Any, depth: int) -> Any:
            if not isinstance(value, list):
                return value
            if depth > MAX_DEPTH:
                raise TooDeep
            out: list[Any] = []
            for i, item in enumerate(value):
                try:
                    out.append(None if item is None else item_convert(item, depth + 1))
                except TooDeep as exc:
                    exc.path.append(f"[{i}]")
                    raise
            return out

        return listing
    if kind == "map":
        value_convert = _child(shape.value)

        def mapping(value: Any, depth: int) -> Any:
            if not isinstance(value, dict):
                return value
            if depth > MAX_DEPTH:
                raise TooDeep
            out: dict[Any, Any] = {}
            for key, item in value.items():
                try:
                    out[key] = None if item is None else value_convert(item, depth + 1)
                except TooDeep as exc:
                    exc.path.append(f".{key}")
                    raise
            return out

        return mapping
    return lambda value, depth: value


def _lazy(shape: Shape) -> Walk:
    """A converter resolved on first use, so recursive shapes do not recurse at build time."""
    resolved: list[Walk] = []

    def convert(value: Any, depth: int) -> Any:
        if not resolved:
            resolved.append(_body_converter(shape))
        return resolved[0](value, depth)

    return convert
