"""The Lambda function bench/flows.py's flow invokes (in-process, python: target)."""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    return {"tier": "gold" if event["Details"]["Parameters"].get("n") else "silver"}
