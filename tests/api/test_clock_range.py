"""The service clock cannot be moved outside the instants the API can express (issue 14): the
admin endpoint answers 400 and the clock stays where it was; at the very edges every call
still answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ..conftest import client_for, new_instance
from ..serverproc import ServerProcess

RANGE = "0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z"


def _works(client: Any, instance: dict[str, Any]) -> datetime:
    """A task started and described at the clock's instant; its InitiationTimestamp."""
    contact_id = client.start_task_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        Name="edge")["ContactId"]
    contact = client.describe_contact(InstanceId=instance["id"], ContactId=contact_id)
    found = client.search_contacts(
        InstanceId=instance["id"], TimeRange={"Type": "INITIATION_TIMESTAMP",
                                              "StartTime": "9999-01-01T00:00:00Z",
                                              "EndTime": "9999-12-31T23:59:59Z"})
    assert isinstance(found["TotalCount"], int)
    stamp: datetime = contact["Contact"]["InitiationTimestamp"]
    return stamp


def test_advancing_past_9999_is_refused_and_the_service_keeps_answering(
        clocked_server: ServerProcess) -> None:
    client = client_for(clocked_server.url)
    instance = new_instance(client)
    status, body = clocked_server.admin("POST", "clock", {"now": "9999-12-31T00:00:00Z"})
    assert status == 200 and body["now"] == "9999-12-31T00:00:00.000Z", body
    status, body = clocked_server.admin("POST", "clock", {"advance_seconds": 86400})
    assert status == 400, body
    assert body["error"] == (
        "Advancing the clock by 86400 seconds would take the clock past "
        "9999-12-31T23:59:59.999Z, the latest instant the API can express (timestamps are "
        f"{RANGE}); the clock was not moved")
    assert clocked_server.admin("GET", "clock")[1]["now"] == "9999-12-31T00:00:00.000Z"
    assert _works(client, instance) == datetime(9999, 12, 31, tzinfo=UTC)
    # A chat lasts 25 hours by default: its expiry waits at the end of time.
    chat = client.start_chat_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        ParticipantDetails={"DisplayName": "c"})
    assert chat["ConnectionCredentials"]["Expiry"] == "9999-12-31T23:59:59.999Z"
    assert client.list_instances()["InstanceSummaryList"]
    assert clocked_server.admin("GET", "health")[1]["status"] == "ok"


def test_instants_the_api_cannot_express_are_refused(clocked_server: ServerProcess) -> None:
    for now in ("10000-01-01T00:00:00Z", "9999-12-31T23:00:00-05:00",
                "0001-01-01T00:00:00+01:00", "tomorrow"):
        status, body = clocked_server.admin("POST", "clock", {"now": now})
        assert status == 400, (now, body)
        assert body["error"] == (f"now is not an ISO 8601 instant from {RANGE} (the instants "
                                 f"the API can express): {now!r}")
    for seconds in (1e308, -1e308, 10**12):
        status, body = clocked_server.admin("POST", "clock", {"advance_seconds": seconds})
        assert status == 400 and "instant the API can express" in body["error"], body


def test_the_first_and_last_instants_are_usable(clocked_server: ServerProcess) -> None:
    client = client_for(clocked_server.url)
    instance = new_instance(client)
    clocked_server.set_clock("9999-12-31T23:59:59.999Z")
    assert clocked_server.admin("GET", "clock")[1]["now"] == "9999-12-31T23:59:59.999Z"
    # Epoch seconds on the wire: a double near 2.5e11 carries microseconds approximately.
    last = _works(client, instance)
    assert last.year == 9999 and last >= datetime(9999, 12, 31, 23, 59, 59, 998000, tzinfo=UTC)
    status, body = clocked_server.admin("POST", "clock", {"advance_seconds": 0.001})
    assert status == 400, body
    clocked_server.set_clock("0001-01-01T00:00:00Z")
    status, body = clocked_server.admin("POST", "clock", {"advance_seconds": -1})
    assert status == 400 and "before 0001-01-01T00:00:00.000Z" in body["error"], body
    # Before 2021-11-12 no contact is returned (DescribeContact), but every call answers.
    contact_id = client.start_task_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        Name="first")["ContactId"]
    assert contact_id
    assert client.list_instances()["InstanceSummaryList"]
    status, body = clocked_server.admin("POST", "clock", {"advance_seconds": 86400})
    assert status == 200 and body["now"] == "0001-01-02T00:00:00.000Z", body


def test_an_event_a_year_after_a_clock_near_9999_stays_an_instant(
        clocked_server: ServerProcess) -> None:
    client = client_for(clocked_server.url)
    instance = new_instance(client)
    clocked_server.set_clock("9999-12-31T00:00:00Z")
    status, body = clocked_server.admin("POST", "events", {
        "event": "arrive", "instance_id": instance["id"], "channel": "VOICE",
        "customer": "+15555550100", "queued_after": 31_536_000})
    assert status == 200, body
    contact = client.describe_contact(InstanceId=instance["id"],
                                      ContactId=body["ContactId"])["Contact"]
    # The last instant, as botocore parses the epoch number (a double: within a millisecond).
    last = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    assert abs(contact["QueueInfo"]["EnqueueTimestamp"] - last) < timedelta(milliseconds=1)
