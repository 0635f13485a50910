"""Shape facts the parser and serializer share: which shapes need converting on the wire."""

from __future__ import annotations

from botocore.model import Shape


def wire_name(name: str, shape: Shape) -> str:
    """The JSON key of a member (its ``locationName`` when the model gives one)."""
    serialized: str = shape.serialization.get("name", name)
    return serialized


def needs_conversion(shape: Shape, _seen: frozenset[str] = frozenset()) -> bool:
    """Whether a value of this shape differs between JSON and Python (timestamps, renames)."""
    if shape.name in _seen:
        return False
    seen = _seen | {shape.name}
    kind = shape.type_name
    if kind == "timestamp":
        return True
    if kind == "structure":
        return any(
            wire_name(n, m) != n or needs_conversion(m, seen) for n, m in shape.members.items()
        )
    if kind == "list":
        return needs_conversion(shape.member, seen)
    if kind == "map":
        return needs_conversion(shape.value, seen)
    return False
