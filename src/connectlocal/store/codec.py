"""Encodes domain dataclasses as JSON documents for storage and decodes them back.

orjson writes dataclasses and datetimes natively; decoding walks the dataclass's type hints
once per class and keeps the resulting plan.
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
    return orjson.dumps(_compact(obj))


def _compact(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _compact(v) for name, default in _defaults(type(value))
                if (v := getattr(value, name)) != default}
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


_NO_DEFAULT = object()


@cache
def _defaults(cls: type) -> list[tuple[str, Any]]:
    """Each field with the value it takes when absent (a sentinel for required fields)."""
    found: list[tuple[str, Any]] = []
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            found.append((f.name, f.default))
        elif f.default_factory is not dataclasses.MISSING:
            found.append((f.name, f.default_factory()))
        else:
            found.append((f.name, _NO_DEFAULT))
    return found


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
