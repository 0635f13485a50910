"""Turns a handler's result or a ServiceError into the HTTP response Amazon Connect would send.

Body timestamps are epoch seconds (numbers), header timestamps RFC 822 unless the member says
otherwise; error statuses come from the model's error shapes. A result key that the output
shape does not have is a defect in a handler and is raised, never sent. ``null`` is never
sent: AWS leaves a member with no value out, at any depth, so every structure is compiled
into code that skips None members (decided per shape once, not by walking each response).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from botocore.model import OperationModel, ServiceModel, Shape

from ..errors import FrontDoorError, ServiceError
from .shapes import needs_conversion, wire_name
from .timestamps import to_epoch, to_iso, to_rfc822

Convert = Callable[[Any], Any]
JSON = "application/json"


class UnknownMember(Exception):
    """A handler returned a key its output shape does not have."""


class Response:
    __slots__ = ("body", "delay", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes,
                 delay: float = 0.0) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay  # seconds the answer is held back (an injected latency)


class _OutputPlan:
    def __init__(self, op: OperationModel) -> None:
        shape = op.output_shape
        self.headers: dict[str, tuple[str, Shape]] = {}
        self.body: dict[str, tuple[str, Convert | None]] = {}
        self.status: int = int(op.http.get("responseCode", 200))
        if shape is None:
            return
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            if location == "header":
                self.headers[name] = (wire_name(name, member), member)
            elif location is None:
                self.body[name] = (
                    wire_name(name, member),
                    _converter(member) if _needs_work(member) else None,
                )
            elif location != "statusCode":
                raise ValueError(f"{op.name}.{name}: output location {location}")


class ResponseSerializer:
    def __init__(self, model: ServiceModel) -> None:
        self._plans: dict[str, _OutputPlan] = {}
        self._error_status: dict[str, int] = {}
        for shape_name in model.shape_names:
            shape = model.shape_for(shape_name)
            if shape.metadata.get("exception"):
                self._error_status[shape_name] = int(shape.metadata["error"]["httpStatusCode"])

    def prepare(self, op: OperationModel) -> None:
        self._plans[op.name] = _OutputPlan(op)

    def status_of(self, code: str) -> int:
        return self._error_status.get(code, 404 if code == "UnknownOperationException" else 400)

    def serialize(self, op: OperationModel, result: dict[str, Any], request_id: str) -> Response:
        plan = self._plans[op.name]
        headers = [("x-amzn-requestid", request_id), ("content-type", JSON)]
        body: dict[str, Any] = {}
        for name, value in result.items():
            if value is None:
                continue
            entry = plan.body.get(name)
            if entry is not None:
                wire, convert = entry
                body[wire] = convert(value) if convert is not None else value
                continue
            header = plan.headers.get(name)
            if header is None:
                raise UnknownMember(f"{op.name} output has no member {name!r}")
            headers.append((header[0].lower(), _header_value(header[1], value)))
        return Response(plan.status, headers, orjson.dumps(body))

    def serialize_error(self, error: ServiceError, request_id: str) -> Response:
        document = {"Message": error.message, **error.extra}
        headers = [
            ("x-amzn-requestid", request_id),
            ("x-amzn-errortype", error.code),
            ("content-type", JSON),
        ]
        status = error.status if isinstance(error, FrontDoorError) else self.status_of(error.code)
        return Response(status, headers, orjson.dumps(document))


def _needs_work(shape: Shape) -> bool:
    """Whether a value of this shape must go through a converter on the way out: it differs
    in JSON (``needs_conversion``) or it can hold a structure, whose None members are left
    out (a handler's views keep None for "no value", models.py)."""
    return needs_conversion(shape) or _holds_structure(shape, frozenset())


def _holds_structure(shape: Shape, seen: frozenset[str]) -> bool:
    if shape.name in seen:
        return False
    kind = shape.type_name
    if kind == "structure":
        return True
    if kind == "list":
        return _holds_structure(shape.member, seen | {shape.name})
    if kind == "map":
        return _holds_structure(shape.value, seen | {shape.name})
    return False


def _header_value(shape: Shape, value: Any) -> str:
    if shape.type_name == "timestamp":
        fmt = shape.serialization.get("timestampFormat") or "rfc822"
        if fmt == "iso8601":
            return to_iso(value)
        if fmt == "unixTimestamp":
            return str(to_epoch(value))
        return to_rfc822(value)
    if shape.type_name == "boolean":
        return "true" if value else "false"
    return str(value)


def _converter(shape: Shape) -> Convert:
    kind = shape.type_name
    if kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat")
        if fmt == "iso8601":
            return lambda v: to_iso(v) if isinstance(v, datetime) else v
        return lambda v: to_epoch(v) if isinstance(v, datetime) else v
    if kind == "structure":
        compiled: list[Convert] = []

        def structure(value: dict[str, Any]) -> dict[str, Any]:
            if not compiled:  # compiled on first use: shapes may be recursive
                compiled.append(_compile_structure(shape))
            return compiled[0](value)  # type: ignore[no-any-return]

        return structure
    if kind == "list":
        item_shape = shape.member
        holder: list[Convert] = []

        def listing(value: list[Any]) -> list[Any]:
            if not holder:
                holder.append(_converter(item_shape))
            return [holder[0](i) for i in value]

        return listing
    if kind == "map":
        value_shape = shape.value
        vholder: list[Convert] = []

        def mapping(value: dict[str, Any]) -> dict[str, Any]:
            if not vholder:
                vholder.append(_converter(value_shape))
            return {k: vholder[0](v) for k, v in value.items()}

        return mapping
    return lambda v: v


def _compile_structure(shape: Shape) -> Convert:
    """A structure's serializer as straight-line code, one test per member (a loop over the
    members took 1.5x as long: bench/README.md). Keys the shape lacks are refused (unless
    None: None is never sent)."""
    known = frozenset(shape.members)
    scope: dict[str, Any] = {"known": known, "refuse": _refuse(shape)}
    lines = ["def structure(value):",
             "    if not value.keys() <= known:",
             "        refuse(value)",
             "    out = {}",
             "    get = value.get"]
    for index, (name, member) in enumerate(shape.members.items()):
        lines.append(f"    v = get({name!r})")
        lines.append("    if v is not None:")
        if _needs_work(member):
            scope[f"convert{index}"] = _converter(member)
            lines.append(f"        out[{wire_name(name, member)!r}] = convert{index}(v)")
        else:
            lines.append(f"        out[{wire_name(name, member)!r}] = v")
    lines.append("    return out")
    exec("\n".join(lines), scope)  # only the model's member names (quoted) enter the code
    structure: Convert = scope["structure"]
    return structure


def _refuse(shape: Shape) -> Callable[[dict[str, Any]], None]:
    def refuse(value: dict[str, Any]) -> None:
        unknown = sorted(k for k, v in value.items() if k not in shape.members and v is not None)
        if unknown:
            raise UnknownMember(f"{shape.name} has no member {unknown[0]!r}")

    return refuse
