"""Timestamp conversions of the rest-json protocol (epoch seconds, ISO 8601, RFC 822)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime


def from_epoch(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def to_epoch(value: datetime) -> float | int:
    """Epoch seconds with millisecond precision; a whole second is sent as an integer."""
    milliseconds = round(value.timestamp() * 1000)
    # In whole milliseconds: ms / 1000 is the float nearest the decimal value, which orjson
    # writes with three digits at most (twice as fast as round(seconds, 3) and is_integer).
    return milliseconds // 1000 if milliseconds % 1000 == 0 else milliseconds / 1000


def parse_iso(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def to_iso(value: datetime) -> str:
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def parse_rfc822(value: str) -> datetime:
    return parsedate_to_datetime(value).astimezone(UTC)


def to_rfc822(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC), usegmt=True)


def parse_any(value: object, fmt: str | None) -> datetime | None:
    """The instant a wire value stands for, or None when it is not a timestamp at all."""
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return from_epoch(float(value))
        if isinstance(value, str):
            if fmt == "rfc822":
                return parse_rfc822(value)
            try:
                return from_epoch(float(value))
            except ValueError:
                return parse_iso(value)
    except (ValueError, OverflowError, OSError, TypeError):
        return None
    return None
