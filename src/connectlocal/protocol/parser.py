"""Turns an HTTP request into an operation's parameters: URI labels, query, headers, JSON body.

Values are converted to Python types where the model says so (numbers in the query string,
timestamps anywhere); a value that cannot be converted is left as it came, so the validator
reports it against the member it was sent for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import orjson
from botocore.model import OperationModel, Shape

from .shapes import needs_conversion, wire_name
from .timestamps import parse_any

Convert = Callable[[Any], Any]


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
            return float(text)
        except ValueError:
            return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat") or "iso8601"
        parsed = parse_any(text, fmt)
        return parsed if parsed is not None else text
    return text


class _OperationPlan:
    def __init__(self, op: OperationModel, body_convert: Callable[[Shape], Convert]) -> None:
        shape = op.input_shape
        self.uri: list[tuple[str, str, Shape]] = []
        self.query: list[tuple[str, str, Shape]] = []
        self.headers: list[tuple[str, str, Shape]] = []
        self.body: dict[str, tuple[str, Convert | None]] = {}
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
                self.body[wire] = (name, body_convert(member) if needs_conversion(member) else None)
            else:
                raise ValueError(f"{op.name}.{name}: location {location} not supported")


class RequestParser:
    def __init__(self) -> None:
        self._plans: dict[str, _OperationPlan] = {}

    def prepare(self, op: OperationModel) -> None:
        """Builds the operation's plan (done for every operation at start-up)."""
        self._plans[op.name] = _OperationPlan(op, _body_converter)

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
                params[name] = convert(value) if convert is not None and value is not None \
                    else value
        return params


@cache
def _body_converter(shape: Shape) -> Convert:
    kind = shape.type_name
    if kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat")

        def timestamp(value: Any) -> Any:
            parsed = parse_any(value, fmt)
            return parsed if parsed is not None else value

        return timestamp
    if kind == "structure":
        members = {
            wire_name(n, m): (n, _lazy(m) if needs_conversion(m) else None)
            for n, m in shape.members.items()
        }

        def structure(value: Any) -> Any:
            if not isinstance(value, dict):
                return value
            out: dict[str, Any] = {}
            for key, item in value.items():
                entry = members.get(key)
                if entry is None:
                    continue
                name, convert = entry
                out[name] = convert(item) if convert is not None and item is not None else item
            return out

        return structure
    if kind == "list":
        item_convert = _lazy(shape.member)
        return lambda v: [item_convert(i) for i in v] if isinstance(v, list) else v
    if kind == "map":
        value_convert = _lazy(shape.value)
        return lambda v: {k: value_convert(i) for k, i in v.items()} if isinstance(v, dict) else v
    return lambda v: v


def _lazy(shape: Shape) -> Convert:
    """A converter resolved on first use, so recursive shapes do not recurse at build time."""
    resolved: list[Convert] = []

    def convert(value: Any) -> Any:
        if not resolved:
            resolved.append(_body_converter(shape))
        return resolved[0](value)

    return convert
