"""The events endpoint answers 200 or a 400 that names the problem, whatever the body: never a
500 (in-process, through the admin endpoint's own code)."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectlocal.bulk import seed_instance
from connectlocal.dispatch import Dispatcher, HttpRequest
from connectlocal.server.admin import Admin
from connectlocal.service import Service
from connectlocal.store import open_store
from connectlocal.store.base import Scope

SERVICE = Service(open_store(":memory:"))
INSTANCE = seed_instance(SERVICE, Scope("123456789012", "us-east-1"), "fuzzed")
ADMIN = Admin(Dispatcher(SERVICE))
MADE: list[str] = []
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=False),
    st.text(max_size=10),
    st.sampled_from([INSTANCE["id"], "2026-01-01T00:00:00Z", "TRANSFER", "MONITOR", "CALLBACK",
                     "VOICE", "CHAT", "us-east-1", "123456789012"]),
    st.lists(st.integers(0, 9), max_size=2), st.dictionaries(st.text(max_size=3),
                                                             st.integers(0, 9), max_size=2))
KEYS = ["event", "instance_id", "contact_id", "agent_id", "queue_id", "channel", "customer",
        "at", "end", "seconds", "reason", "method", "web", "queued_after", "answered_after",
        "caller_id", "system", "account", "region"]
STEPS = ["arrive", "dial_out", "ring", "accept", "hold", "disconnect", "after_contact_work",
         "follow"]


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8), st.sampled_from(STEPS),
       st.booleans())
def test_any_event_body(body: dict[str, Any], step: str, on_a_contact: bool) -> None:
    body = {"instance_id": INSTANCE["id"], "event": step, **body}
    if on_a_contact and MADE:
        body["contact_id"] = MADE[-1]
    response = ADMIN(HttpRequest("POST", "/_connectlocal/events", "",
                                {"content-type": "application/json"}, orjson.dumps(body)))
    assert response.status in (200, 400), (body, response.body)
    answer = orjson.loads(response.body)
    if response.status == 200:
        MADE.append(answer["ContactId"])
    else:
        assert answer["error"]
