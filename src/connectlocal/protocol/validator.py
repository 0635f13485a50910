"""Checks parsed input against the model: required, type, length, range, enum, pattern.

botocore's client checks only required members, types and minimums, so everything else
(over-long ids, unknown enum values, pattern mismatches) reaches the service and is refused here.
Validators are compiled once per shape; recursive shapes (search criteria) are supported.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.model import Shape

from ..spec.patterns import compile_pattern

Check = Callable[[Any, str, list[str]], None]
MAX_REPORTED = 10
# Where the model gives no bound, an ``integer`` is a Java int and a ``long`` a Java long, as
# every SDK types them (the Java, .NET and Rust SDKs' Integer/Int32/i32 and Long/Int64/i64):
# a value beyond them cannot have been sent by an SDK, and the service refuses it.
INTEGER_RANGE = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
NOT_NULL = "Member must not be null"


def _show(value: Any, sensitive: bool) -> str:
    if sensitive:
        return "Value"
    if isinstance(value, str):
        text = value if len(value) <= 100 else value[:100] + "..."
        return f"Value '{text}'"
    if value is None:
        return "Value null"
    return f"Value '{value}'" if not isinstance(value, dict | list) else "Value"


def _fail(errors: list[str], value: Any, path: str, constraint: str, sensitive: bool) -> None:
    errors.append(
        f"{_show(value, sensitive)} at '{path}' failed to satisfy constraint: {constraint}"
    )


def _length(errors: list[str], value: str | list[Any] | dict[str, Any], path: str,
            lo: int | None, hi: int | None, sensitive: bool) -> None:
    n = len(value)
    if lo is not None and n < lo:
        _fail(errors, value, path, f"Member must have length greater than or equal to {lo}",
              sensitive)
    if hi is not None and n > hi:
        _fail(errors, value, path, f"Member must have length less than or equal to {hi}",
              sensitive)


def describe(errors: list[str]) -> str:
    """One message for all failures, in the form AWS services use."""
    shown = errors[:MAX_REPORTED]
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} validation {noun} detected: " + "; ".join(shown)


class Validator:
    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def check_for(self, shape: Shape) -> Check:
        """The compiled check for a shape (memoised by shape name)."""
        found = self._checks.get(shape.name)
        if found is not None:
            return found
        # Placeholder first, so a recursive reference resolves to the finished check.
        self._checks[shape.name] = lambda v, p, e: self._checks[shape.name](v, p, e)
        check = self._compile(shape)
        self._checks[shape.name] = check
        return check

    def _compile(self, shape: Shape) -> Check:
        kind = shape.type_name
        meta = shape.metadata
        sensitive = bool(meta.get("sensitive"))
        lo, hi = meta.get("min"), meta.get("max")
        if kind == "structure":
            return self._structure(shape)
        if kind == "list":
            return self._collection(shape, list, "a list", lo, hi)
        if kind == "map":
            return self._collection(shape, dict, "a map", lo, hi)
        if kind == "string":
            return self._string(shape, lo, hi, sensitive)
        if kind in ("integer", "long"):
            least, most = INTEGER_RANGE[kind]
            return self._number(lambda v: isinstance(v, int) and not isinstance(v, bool),
                                "an integer", least if lo is None else lo,
                                most if hi is None else hi, sensitive)
        if kind in ("double", "float"):
            return self._number(lambda v: isinstance(v, int | float) and not isinstance(v, bool),
                                "a number", lo, hi, sensitive)
        if kind == "boolean":
            return self._typed(lambda v: isinstance(v, bool), "a boolean", sensitive)
        if kind == "timestamp":
            return self._typed(lambda v: isinstance(v, datetime), "a timestamp", sensitive)
        if kind == "blob":
            return self._typed(lambda v: isinstance(v, str | bytes), "a blob", sensitive)
        raise ValueError(f"shape {shape.name} has unknown type {kind}")

    def _structure(self, shape: Shape) -> Check:
        required = tuple(shape.required_members)
        members = {name: self.check_for(m) for name, m in shape.members.items()}

        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, dict):
                _fail(errors, value, path or shape.name, "Member must be a structure", False)
                return
            prefix = f"{path}." if path else ""
            for name in required:
                if value.get(name) is None:
                    _fail(errors, None, prefix + name, NOT_NULL, False)
            for name, item in value.items():
                member_check = members.get(name)
                if member_check is not None and item is not None:
                    member_check(item, prefix + name, errors)

        return check

    def _collection(
        self, shape: Shape, kind: type, noun: str, lo: int | None, hi: int | None
    ) -> Check:
        # A JSON null inside a list or a map is not a value of its member shape: no Connect
        # list or map is ``sparse`` (Smithy: "Maps and lists MUST NOT contain null values
        # unless marked sparse"), and SDKs cannot send one. Refused here for every shape, so
        # that no handler sees, and no store keeps, a null where a value belongs.
        if kind is list:
            item = self.check_for(shape.member)

            def each(value: Any, path: str, errors: list[str]) -> None:
                for i, element in enumerate(value):
                    if element is None:
                        _fail(errors, None, f"{path}[{i}]", NOT_NULL, False)
                    else:
                        item(element, f"{path}[{i}]", errors)
        else:
            key, val = self.check_for(shape.key), self.check_for(shape.value)

            def each(value: Any, path: str, errors: list[str]) -> None:
                for k, v in value.items():
                    key(k, f"{path}.key", errors)
                    if v is None:
                        _fail(errors, None, f"{path}.{k}", NOT_NULL, False)
                    else:
                        val(v, f"{path}.{k}", errors)

        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, list | dict) or not isinstance(value, kind):
                _fail(errors, value, path, f"Member must be {noun}", False)
                return
            _length(errors, value, path, lo, hi, False)
            each(value, path, errors)

        return check

    def _string(self, shape: Shape, lo: int | None, hi: int | None, sensitive: bool) -> Check:
        enum = frozenset(shape.enum) if shape.enum else None
        enum_text = "[" + ", ".join(shape.enum) + "]" if shape.enum else ""
        pattern_text = shape.metadata.get("pattern")
        pattern = compile_pattern(pattern_text) if pattern_text else None

        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, str):
                _fail(errors, value, path, "Member must be a string", sensitive)
                return
            _length(errors, value, path, lo, hi, sensitive)
            if enum is not None and value not in enum:
                _fail(errors, value, path,
                      f"Member must satisfy enum value set: {enum_text}", sensitive)
            if pattern is not None and pattern.fullmatch(value) is None:
                _fail(errors, value, path,
                      f"Member must satisfy regular expression pattern: {pattern_text}",
                      sensitive)

        return check

    @staticmethod
    def _number(
        ok: Callable[[Any], bool], noun: str, lo: float | None, hi: float | None,
        sensitive: bool,
    ) -> Check:
        def check(value: Any, path: str, errors: list[str]) -> None:
            if not ok(value):
                _fail(errors, value, path, f"Member must be {noun}", sensitive)
                return
            if lo is not None and value < lo:
                _fail(errors, value, path,
                      f"Member must have value greater than or equal to {lo}", sensitive)
            if hi is not None and value > hi:
                _fail(errors, value, path,
                      f"Member must have value less than or equal to {hi}", sensitive)

        return check

    @staticmethod
    def _typed(ok: Callable[[Any], bool], noun: str, sensitive: bool) -> Check:
        def check(value: Any, path: str, errors: list[str]) -> None:
            if not ok(value):
                _fail(errors, value, path, f"Member must be {noun}", sensitive)

        return check
