"""The seed's data rules and the service clock, through boto3 and the admin endpoints."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from ..conftest import client_for, new_instance
from ..errors import expect_error
from ..serverproc import ServerProcess


def _task(client: Any, instance: dict[str, Any]) -> str:
    contact_id: str = client.start_task_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        Name="t")["ContactId"]
    return contact_id


def test_timestamps_read_the_service_clock(clocked_server: ServerProcess) -> None:
    clocked_server.set_clock("2024-03-01T12:00:00Z")
    client = client_for(clocked_server.url)
    instance = new_instance(client)
    contact = client.describe_contact(InstanceId=instance["id"],
                                      ContactId=_task(client, instance))["Contact"]
    assert contact["InitiationTimestamp"] == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert contact["LastUpdateTimestamp"] == datetime(2024, 3, 1, 12, tzinfo=UTC)


def test_contacts_past_24_months_are_gone_and_swept(clocked_server: ServerProcess) -> None:
    client = client_for(clocked_server.url)
    clocked_server.set_clock("2023-01-10T00:00:00Z")
    instance = new_instance(client)
    old = _task(client, instance)
    # 24 months later, to the second, the contact is still there...
    clocked_server.set_clock("2025-01-10T00:00:00Z")
    assert client.describe_contact(InstanceId=instance["id"], ContactId=old)["Contact"]
    # ...one second past, it is gone, and the sweep removed it from the store.
    clocked_server.set_clock("2025-01-10T00:00:01Z")
    expect_error(client.describe_contact, "ResourceNotFoundException", 404,
                 f"Contact not found: {old}", InstanceId=instance["id"], ContactId=old)
    clocked_server.set_clock("2023-01-10T00:00:00Z")
    expect_error(client.describe_contact, "ResourceNotFoundException", 404,
                 f"Contact not found: {old}", InstanceId=instance["id"], ContactId=old)


def test_contacts_before_2021_11_12_are_never_returned(clocked_server: ServerProcess) -> None:
    client = client_for(clocked_server.url)
    clocked_server.set_clock("2021-11-11T23:59:59Z")
    instance = new_instance(client)
    early = _task(client, instance)
    expect_error(client.describe_contact, "ResourceNotFoundException", 404,
                 f"Contact not found: {early}", InstanceId=instance["id"], ContactId=early)
    clocked_server.set_clock("2021-11-12T00:00:00Z")
    expect_error(client.describe_contact, "ResourceNotFoundException", 404,
                 f"Contact not found: {early}", InstanceId=instance["id"], ContactId=early)
    first_day = _task(client, instance)
    assert client.describe_contact(InstanceId=instance["id"], ContactId=first_day)["Contact"]


def test_clock_endpoint(clocked_server: ServerProcess) -> None:
    status, body = clocked_server.admin("GET", "clock")
    assert status == 200 and body["set"] is False and body["ticking"] is True
    status, body = clocked_server.admin("POST", "clock", {"now": "2025-01-01T00:00:00Z"})
    assert (status, body) == (200, {"now": "2025-01-01T00:00:00.000Z", "set": True,
                                    "ticking": False, "rate": 1.0})
    status, body = clocked_server.admin("POST", "clock", {"advance_seconds": 90})
    assert body["now"] == "2025-01-01T00:01:30.000Z"
    status, body = clocked_server.admin("POST", "clock", {"now": None})
    assert status == 200 and body["set"] is False
    assert abs(datetime.fromisoformat(body["now"]) - datetime.now(UTC)).total_seconds() < 60
    for bad, message in (({"now": "yesterday"}, "not an ISO 8601 instant"),
                         ({"advance_seconds": "ten"}, "advance_seconds must be a number"),
                         ({}, "Send {")):
        status, body = clocked_server.admin("POST", "clock", bad)
        assert status == 400 and message in body["error"], body


def test_ticking_clock_runs_from_the_set_instant(clocked_server: ServerProcess) -> None:
    status, body = clocked_server.admin("POST", "clock",
                                        {"now": "2025-06-01T00:00:00Z", "ticking": True})
    assert status == 200 and body["ticking"] is True
    status, later = clocked_server.admin("GET", "clock")
    assert "2025-06-01T00:00:00.000Z" <= later["now"] < "2025-06-01T00:01:00.000Z"


def test_a_clock_runs_at_a_rate(clocked_server: ServerProcess) -> None:
    """{"rate": N}: N service seconds a second, from the set instant (or, alone, from the
    instant the clock shows); an advance keeps the rate."""
    status, body = clocked_server.admin("POST", "clock",
                                        {"now": "2025-06-01T00:00:00Z", "rate": 3600})
    assert status == 200 and body["ticking"] is True and body["rate"] == 3600
    time.sleep(0.3)
    status, body = clocked_server.admin("POST", "clock", {"advance_seconds": 60})
    assert body["rate"] == 3600 and body["now"] >= "2025-06-01T00:06:00.000Z"
    status, body = clocked_server.admin("POST", "clock", {"rate": 1})
    assert status == 200 and body["rate"] == 1 and body["now"] >= "2025-06-01T00:06:00.000Z"
    for bad, message in (({"rate": 0}, "rate must be a number of seconds a second"),
                         ({"rate": "fast"}, "rate must be a number"),
                         ({"now": "2025-01-01T00:00:00Z", "ticking": False, "rate": 2},
                          "rate is for a ticking clock"),
                         ({"advance_seconds": 5, "rate": 2}, "not with advance_seconds")):
        status, body = clocked_server.admin("POST", "clock", bad)
        assert status == 400 and message in body["error"], body
    clocked_server.set_clock(None)


@pytest.mark.http_only
def test_serve_clock_option(tmp_path: Any) -> None:
    proc = ServerProcess(str(tmp_path / "c.db"), "--clock", "2022-02-02T02:02:02Z").start()
    try:
        _, body = proc.admin("GET", "clock")
        assert body["now"] == "2022-02-02T02:02:02.000Z" and body["ticking"] is False
    finally:
        proc.stop()


def test_a_client_token_lives_seven_days(clocked_server: ServerProcess) -> None:
    # "The token is valid for 7 days after creation."
    clocked_server.set_clock("2025-03-01T00:00:00Z")
    client = client_for(clocked_server.url)
    instance = new_instance(client)
    params = {"InstanceId": instance["id"], "Name": "once a week", "ClientToken": "weekly",
              "ContactFlowId": instance["flows"]["Default inbound"]}
    first = client.start_task_contact(**params)["ContactId"]
    clocked_server.set_clock("2025-03-07T23:59:59Z")  # just inside
    assert client.start_task_contact(**params)["ContactId"] == first
    clocked_server.set_clock("2025-03-08T00:00:01Z")  # just outside: a new contact
    second = client.start_task_contact(**params)["ContactId"]
    assert second != first
    assert client.start_task_contact(**params)["ContactId"] == second
