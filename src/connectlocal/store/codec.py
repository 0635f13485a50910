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
    return orjson.dumps(obj)


def decode(cls: type[T], data: bytes | str) -> T:
    value: T = _plan(cls)(orjson.loads(data))  # type: ignore[arg-type]
    return value


@cache
def _plan(cls: type) -> Decode:
    hints = typing.get_type_hints(cls)
    fields = [(f.name, _decoder(hints[f.name])) for f in dataclasses.fields(cls)]

    def build(doc: dict[str, Any]) -> Any:
        return cls(**{
            name: (dec(doc[name]) if dec is not None and doc[name] is not None else doc[name])
            for name, dec in fields if name in doc
        })

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
