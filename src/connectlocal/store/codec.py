"""Encodes domain dataclasses as JSON documents for storage and decodes them back.

Both directions walk a dataclass's type hints once and keep the resulting plan; orjson writes
the datetimes.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

import orjson

T = TypeVar("T")
Decode = Callable[[Any], Any]


def encode(obj: Any) -> bytes:
    """The record as JSON, without the fields that hold their default (None, empty): a
    contact's document stays small enough to sit in its B-tree page, with no overflow page
    (bench/README.md), and decoding gives the defaults back."""
    kind: type = type(obj)
    return orjson.dumps(_encoder(kind)(obj))


Encode = Callable[[Any], Any]


@cache
def _encoder(cls: type) -> Encode:
    """A dataclass → dict function that leaves out fields at their default, compiled once per
    class into straight-line code (as ``dataclasses`` builds ``__init__``): a loop over the
    fields took 3-4x as long, and a CTR import encodes every contact it stores."""
    hints = typing.get_type_hints(cls)
    lines = ["def encode_one(obj):", "    out = {}"]
    scope: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = _REQUIRED
        nested = _nested(hints[f.name])
        value = "v"
        if nested is not None:
            scope[f"nested_{f.name}"] = nested
            value = f"nested_{f.name}(v)"
        lines.append(f"    v = obj.{f.name}")
        if default is _REQUIRED:
            lines.append(f"    out[{f.name!r}] = {value}")
            continue
        if default is None:
            lines.append("    if v is not None:")
        else:
            scope[f"default_{f.name}"] = default
            lines.append(f"    if not (v is default_{f.name} or v == default_{f.name}):")
        lines.append(f"        out[{f.name!r}] = {value}")
    lines.append("    return out")
    exec("\n".join(lines), scope)  # only field names (identifiers) enter the code
    encode_one: Encode = scope["encode_one"]
    return encode_one


_REQUIRED = object()


def _nested(hint: Any) -> Encode | None:
    """How to encode a field holding dataclasses (directly, in a list or as dict values)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _nested(options[0]) if len(options) == 1 else None
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _encoder(hint)
    if origin is list:
        item = _nested(typing.get_args(hint)[0])
        if item is None:
            return None
        return lambda v: [item(i) for i in v]
    if origin is dict:
        value = _nested(typing.get_args(hint)[1])
        if value is None:
            return None
        return lambda v: {k: value(i) for k, i in v.items()}
    return None


def decode(cls: type[T], data: bytes | str) -> T:
    value: T = _plan(cls)(orjson.loads(data))  # type: ignore[arg-type]
    return value


@cache
def _plan(cls: type) -> Decode:
    hints = typing.get_type_hints(cls)
    names = frozenset(f.name for f in dataclasses.fields(cls))
    # Only the fields JSON cannot hold natively (datetimes, nested dataclasses, tuples) are
    # converted; the rest pass through as orjson gave them.
    converters = [(f.name, dec) for f in dataclasses.fields(cls)
                  if (dec := _decoder(hints[f.name])) is not None]

    def build(doc: dict[str, Any]) -> Any:
        for name, dec in converters:
            value = doc.get(name)
            if value is not None:
                doc[name] = dec(value)
        if doc.keys() <= names:
            return cls(**doc)
        # A document written by an older version may carry fields that are gone.
        return cls(**{k: v for k, v in doc.items() if k in names})

    return build


def _decoder(hint: Any) -> Decode | None:
    """How to rebuild one field from JSON, or None when JSON already has the right value."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decoder(options[0]) if len(options) == 1 else None
    if hint is datetime:
        return datetime.fromisoformat
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _plan(hint)
    if origin is list:
        (item,) = typing.get_args(hint)
        each = _decoder(item)
        return None if each is None else (lambda v: [each(i) for i in v])
    if origin is tuple:
        return tuple
    if origin is dict:
        _, value = typing.get_args(hint)
        per_value = _decoder(value)
        return None if per_value is None else (lambda v: {k: per_value(i) for k, i in v.items()})
    return None
