"""A Lambda function a contact flow calls: looks the caller up by phone number.

Amazon Connect invokes it with a ContactFlowEvent; with STRING_MAP response validation it
returns a flat map of strings, which the flow reads as $.External.customerName and so on.
"""

from __future__ import annotations

from typing import Any

CUSTOMERS = {"+15555550100": {"customerName": "Ada", "tier": "gold"}}


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    phone = event["Details"]["Parameters"].get("phone", "")
    found = CUSTOMERS.get(phone)
    if found is None:
        return {"customerName": "there", "tier": "none"}
    return dict(found)
