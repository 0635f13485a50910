"""Lambda handlers the flow tests run (serve --lambda, mock_connect(lambdas=...))."""

from __future__ import annotations

import json
import time
from typing import Any

LOOKUP = "arn:aws:lambda:us-east-1:123456789012:function:customer-lookup"
FAILING = "arn:aws:lambda:us-east-1:123456789012:function:failing"
SLOW = "arn:aws:lambda:us-east-1:123456789012:function:slow"
NESTED = "arn:aws:lambda:us-east-1:123456789012:function:nested"


def lookup(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Answers a tier from the parameters, and echoes what it received (event and context)."""
    account = event["Details"]["Parameters"].get("account")
    return {"tier": "gold" if account == "hello" else "silver",
            "event": json.dumps(event),
            "context": json.dumps({"function_name": context.function_name,
                                   "invoked_function_arn": context.invoked_function_arn,
                                   "aws_request_id": context.aws_request_id,
                                   "remaining": context.get_remaining_time_in_millis()})}


def failing(event: dict[str, Any], context: Any) -> dict[str, str]:
    raise RuntimeError("the customer database is down")


def slow(event: dict[str, Any], context: Any) -> dict[str, str]:
    time.sleep(1.5)
    return {"late": "yes"}


def nested(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"customer": {"name": "Ada"}}


TARGETS = {LOOKUP: "python:tests.api.flow_lambdas:lookup",
           FAILING: "python:tests.api.flow_lambdas:failing",
           SLOW: "python:tests.api.flow_lambdas:slow",
           NESTED: "python:tests.api.flow_lambdas:nested"}
