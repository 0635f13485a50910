"""Simulated contacts through the real command line and a real server, and each single event
through the admin endpoint, checked with boto3's DescribeContact and SearchContacts."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ..conftest import client_for, new_agent, new_instance
from ..serverproc import ServerProcess

pytestmark = pytest.mark.http_only
WIDE = {"Type": "INITIATION_TIMESTAMP", "StartTime": datetime(2021, 11, 12),
        "EndTime": datetime(2100, 1, 1)}


def _stored(summary: str) -> int:
    """How many contacts the simulate command's summary says it stored ("N stored in S s")."""
    return int(summary.split(" stored in ")[0].rsplit(" ", 1)[1].replace(",", ""))


def test_simulate_then_search_and_describe(tmp_path: Path) -> None:
    data = str(tmp_path / "sim.db")
    done = subprocess.run([sys.executable, "-m", "connectlocal.cli", "simulate", "--data", data,
                           "--days", "0.25", "--agents", "10", "--rate", "120", "--seed", "3",
                           "--end", "2026-11-20T12:00:00Z"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    instance_id, stored = done.stdout.strip(), _stored(done.stderr)
    assert stored > 100
    with ServerProcess(data, "--clock", "2026-11-21T00:00:00Z") as server:
        client = client_for(server.url)
        pages = client.get_paginator("search_contacts").paginate(
            InstanceId=instance_id, TimeRange=WIDE)
        found = [c for page in pages for c in page["Contacts"]]
        assert len(found) == stored
        transferred = [c for c in found if c["InitiationMethod"] in ("TRANSFER",
                                                                      "QUEUE_TRANSFER")]
        assert transferred
        contact = client.describe_contact(InstanceId=instance_id,
                                          ContactId=transferred[0]["Id"])["Contact"]
        previous = client.describe_contact(InstanceId=instance_id,
                                           ContactId=contact["PreviousContactId"])["Contact"]
        agent = client.describe_user(InstanceId=instance_id,
                                     UserId=previous["AgentInfo"]["Id"])["User"]
    assert agent["Username"].startswith("sim-agent-")
    assert previous["NextContacts"][0]["NextContactMetadata"]["QuickConnectContactData"][
        "ContactId"] == contact["Id"]
    assert previous["DisconnectTimestamp"] == contact["InitiationTimestamp"]
    assert (previous["InitiationTimestamp"] <= previous["QueueInfo"]["EnqueueTimestamp"]
            <= previous["RingStartTimestamp"] <= previous["AgentInfo"][
                "ConnectedToAgentTimestamp"] <= previous["DisconnectTimestamp"])


def _event(server: ServerProcess, **body: Any) -> dict[str, Any]:
    status, answer = server.admin("POST", "events", body)
    assert status == 200, answer
    return answer  # type: ignore[no-any-return]


def test_each_event_through_describe_contact(clocked_server: ServerProcess) -> None:
    server = clocked_server
    server.set_clock("2026-11-20T10:00:00Z")
    client = client_for(server.url)
    instance = new_instance(client)
    agent = new_agent(client, instance)
    supervisor = new_agent(client, instance)
    base = {"instance_id": instance["id"]}
    t0 = datetime(2026, 11, 20, 10, tzinfo=UTC)

    def at(seconds: int) -> str:
        return (t0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")

    call = _event(server, event="arrive", channel="VOICE", customer="+15555550123",
                  system="+18005550100", queued_after=12, at=at(0), **base)["ContactId"]
    _event(server, event="ring", contact_id=call, agent_id=agent, at=at(40), **base)
    _event(server, event="accept", contact_id=call, agent_id=agent, at=at(45), **base)
    _event(server, event="hold", contact_id=call, seconds=30, **base)
    watched = _event(server, event="follow", method="MONITOR", contact_id=call,
                     agent_id=supervisor, at=at(60), **base)["NewContactId"]
    dialled = _event(server, event="follow", method="EXTERNAL_OUTBOUND", contact_id=call,
                     agent_id=agent, at=at(70), **base)["NewContactId"]
    _event(server, event="disconnect", contact_id=call, reason="AGENT_DISCONNECT", at=at(300),
           **base)
    _event(server, event="after_contact_work", contact_id=call, at=at(300), end=at(330),
           **base)
    wrap = _event(server, event="follow", method="DISCONNECT", contact_id=call, at=at(300),
                  **base)["NewContactId"]
    c = client.describe_contact(InstanceId=instance["id"], ContactId=call)["Contact"]
    assert c["InitiationMethod"] == "INBOUND" and c["Channel"] == "VOICE"
    assert c["InitiationTimestamp"] == c["ConnectedToSystemTimestamp"] == t0
    assert c["QueueInfo"] == {"Id": instance["queues"]["BasicQueue"],
                              "EnqueueTimestamp": t0 + timedelta(seconds=12)}
    assert c["RingStartTimestamp"] == t0 + timedelta(seconds=40)
    info = c["AgentInfo"]
    assert info["Id"] == agent
    assert info["ConnectedToAgentTimestamp"] == info["AcceptedByAgentTimestamp"] == (
        t0 + timedelta(seconds=45))
    assert info["AgentInitiatedHoldDuration"] == 30
    assert info["AfterContactWorkDuration"] == 30
    assert info["AfterContactWorkEndTimestamp"] == t0 + timedelta(seconds=330)
    assert c["DisconnectReason"] == "AGENT_DISCONNECT"
    assert c["CustomerEndpoint"] == {"Type": "TELEPHONE_NUMBER", "Address": "+15555550123"}
    monitor = client.describe_contact(InstanceId=instance["id"], ContactId=watched)["Contact"]
    assert monitor["InitiationMethod"] == "MONITOR" and "SystemEndpoint" not in monitor
    assert monitor["PreviousContactId"] == call and monitor["InitialContactId"] == call
    assert monitor["AgentInfo"]["Id"] == supervisor
    outbound = client.describe_contact(InstanceId=instance["id"], ContactId=dialled)["Contact"]
    assert outbound["InitiationMethod"] == "EXTERNAL_OUTBOUND"
    assert outbound["InitiationTimestamp"] == t0 + timedelta(seconds=70)
    task = client.describe_contact(InstanceId=instance["id"], ContactId=wrap)["Contact"]
    assert (task["InitiationMethod"], task["Channel"]) == ("DISCONNECT", "TASK")
    # A callback: the customer leaves a number instead of waiting.
    waiting = _event(server, event="arrive", channel="VOICE", at=at(400), **base)["ContactId"]
    back = _event(server, event="follow", method="CALLBACK", contact_id=waiting, at=at(460),
                  **base)["NewContactId"]
    left = client.describe_contact(InstanceId=instance["id"], ContactId=waiting)["Contact"]
    callback = client.describe_contact(InstanceId=instance["id"], ContactId=back)["Contact"]
    assert left["DisconnectTimestamp"] == callback["InitiationTimestamp"]
    assert callback["InitiationMethod"] == "CALLBACK" and "SystemEndpoint" not in callback
    # What cannot happen is refused.
    status, body = server.admin("POST", "events", {"event": "accept", "contact_id": call,
                                                   "agent_id": agent, **base})
    assert status == 400 and "has ended" in body["error"]
    status, body = server.admin("POST", "events", {"event": "teleport", **base})
    assert status == 400 and "event must be one of" in body["error"]


def test_monitor_contact(clocked_server: ServerProcess) -> None:
    from ..errors import expect_error

    server = clocked_server
    client = client_for(server.url)
    instance = new_instance(client)
    agent = new_agent(client, instance)
    supervisor = new_agent(client, instance)
    call = _event(server, event="arrive", channel="VOICE", instance_id=instance["id"])[
        "ContactId"]
    _event(server, event="accept", contact_id=call, agent_id=agent, instance_id=instance["id"])
    made = client.monitor_contact(InstanceId=instance["id"], ContactId=call, UserId=supervisor,
                                  AllowedMonitorCapabilities=["SILENT_MONITOR", "BARGE"])
    monitor = client.describe_contact(InstanceId=instance["id"],
                                      ContactId=made["ContactId"])["Contact"]
    assert made["ContactArn"] == monitor["Arn"]
    assert monitor["InitiationMethod"] == "MONITOR" and monitor["PreviousContactId"] == call
    assert monitor["AgentInfo"]["Id"] == supervisor
    task = client.start_task_contact(InstanceId=instance["id"], Name="t",
                                     ContactFlowId=instance["flows"]["Default inbound"])
    expect_error(client.monitor_contact, "InvalidRequestException", 400,
                 "Only VOICE and CHAT contacts can be monitored", InstanceId=instance["id"],
                 ContactId=task["ContactId"], UserId=supervisor)


def test_simulate_into_a_running_server(tmp_path: Path) -> None:
    with ServerProcess(str(tmp_path / "remote.db"), "--clock",
                       "2026-11-21T00:00:00Z") as server:
        done = subprocess.run(
            [sys.executable, "-m", "connectlocal.cli", "simulate", "--endpoint", server.url,
             "--days", "0.1", "--agents", "5", "--rate", "100", "--seed", "9",
             "--end", "2026-11-20T12:00:00Z"], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        instance_id, stored = done.stdout.strip(), _stored(done.stderr)
        client = client_for(server.url)
        found = [c for page in client.get_paginator("search_contacts").paginate(
            InstanceId=instance_id, TimeRange=WIDE) for c in page["Contacts"]]
        users = client.list_users(InstanceId=instance_id)["UserSummaryList"]
    assert stored > 0 and len(found) == stored
    names = {u["Username"] for u in users}
    assert names and names <= {f"sim-agent-{n:04d}" for n in range(1, 6)}
    answered = [c for c in found if "AgentInfo" in c]
    assert answered and {c["AgentInfo"]["Id"] for c in answered} <= {u["Id"] for u in users}


def test_an_agent_dials_out_and_a_web_call_arrives(clocked_server: ServerProcess) -> None:
    server = clocked_server
    server.set_clock("2026-11-20T09:00:00Z")
    client = client_for(server.url)
    instance = new_instance(client)
    agent = new_agent(client, instance)
    base = {"instance_id": instance["id"]}
    dialled = _event(server, event="dial_out", agent_id=agent, customer="+15555550111",
                     caller_id="+18005550100", answered_after=8, **base)["ContactId"]
    web = _event(server, event="arrive", channel="VOICE", web=True, **base)["ContactId"]
    out = client.describe_contact(InstanceId=instance["id"], ContactId=dialled)["Contact"]
    t0 = datetime(2026, 11, 20, 9, tzinfo=UTC)
    assert out["InitiationMethod"] == "OUTBOUND" and out["InitiationTimestamp"] == t0
    assert out["AgentInfo"]["Id"] == agent
    assert out["AgentInfo"]["ConnectedToAgentTimestamp"] == t0 + timedelta(seconds=8)
    assert out["QueueInfo"]["Id"] == instance["queues"]["BasicQueue"]  # the outbound queue
    assert out["CustomerEndpoint"]["Address"] == "+15555550111"
    assert out["SystemEndpoint"]["Address"] == "+18005550100"
    webrtc = client.describe_contact(InstanceId=instance["id"], ContactId=web)["Contact"]
    assert webrtc["InitiationMethod"] == "WEBRTC_API" and "CustomerEndpoint" not in webrtc


def test_contacts_started_by_the_api_move_through_the_same_states(
        clocked_server: ServerProcess) -> None:
    server = clocked_server
    client = client_for(server.url)
    instance = new_instance(client)
    agent = new_agent(client, instance)
    task = client.start_task_contact(InstanceId=instance["id"], Name="route me",
                                     ContactFlowId=instance["flows"]["Default inbound"])
    base = {"instance_id": instance["id"], "contact_id": task["ContactId"]}
    _event(server, event="accept", agent_id=agent, **base)
    _event(server, event="disconnect", reason="AGENT_DISCONNECT", **base)
    contact = client.describe_contact(InstanceId=instance["id"],
                                      ContactId=task["ContactId"])["Contact"]
    assert contact["InitiationMethod"] == "API" and contact["AgentInfo"]["Id"] == agent
    assert contact["RingStartTimestamp"] <= contact["AgentInfo"]["ConnectedToAgentTimestamp"]
    assert contact["DisconnectReason"] == "AGENT_DISCONNECT"


def test_events_name_what_is_wrong(server: ServerProcess) -> None:
    client = client_for(server.url)
    instance = new_instance(client)
    base = {"instance_id": instance["id"]}
    missing = "11111111-1111-4111-8111-111111111111"
    for body, message in (
            ({"event": "arrive", "customer": 5}, "customer must be a string"),
            ({"event": "arrive", "queued_after": "soon"}, "queued_after must be a number"),
            ({"event": "arrive", "queued_after": -6e10},
             "queued_after must be a number of seconds from 0 to 31622400"),
            ({"event": "arrive", "queue_id": missing}, f"Queue not found: {missing}"),
            ({"event": "arrive", "channel": "FAX"}, "channel must be one of"),
            ({"event": "hold", "contact_id": missing}, f"Contact not found: {missing}"),
            ({"event": "arrive", "at": "yesterday"}, "yesterday")):
        status, answer = server.admin("POST", "events", {**base, **body})
        assert status == 400 and message in answer["error"], (body, answer)
    status, answer = server.admin("POST", "events", {"event": "arrive", "instance_id": missing})
    assert status == 400 and answer["error"] == f"Instance not found: {missing}"


def test_a_simulated_days_metrics_agree_with_its_contacts(tmp_path: Path) -> None:
    """GetMetricDataV2 over simulated contacts (bulk loaded, routed to agents whose status
    history the run stored) counts what SearchContacts finds, channel by channel and queue
    by queue, and the agents' occupancy is their handle time over their time Available."""
    data = str(tmp_path / "sim.db")
    done = subprocess.run([sys.executable, "-m", "connectlocal.cli", "simulate", "--data", data,
                           "--days", "0.25", "--agents", "8", "--rate", "90", "--seed", "5",
                           "--queues", "2", "--end", "2026-11-20T12:00:00Z"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    instance_id = done.stdout.strip()
    with ServerProcess(data, "--clock", "2026-11-21T00:00:00Z") as server:
        client = client_for(server.url)
        found = [c for page in client.get_paginator("search_contacts").paginate(
            InstanceId=instance_id, TimeRange=WIDE) for c in page["Contacts"]]
        arn = client.describe_instance(InstanceId=instance_id)["Instance"]["Arn"]
        result = client.get_metric_data_v2(
            ResourceArn=arn, StartTime=datetime(2026, 11, 19, 12, tzinfo=UTC),
            EndTime=datetime(2026, 11, 20, 13, tzinfo=UTC),
            Filters=[{"FilterKey": "CHANNEL", "FilterValues": ["VOICE", "CHAT", "TASK"]}],
            Groupings=["CHANNEL"],
            Metrics=[{"Name": "CONTACTS_QUEUED"}, {"Name": "CONTACTS_HANDLED"}])
        queues = {q["Id"]: q["Arn"] for q in client.list_queues(
            InstanceId=instance_id, QueueTypes=["STANDARD"])["QueueSummaryList"]}
        by_queue = client.get_metric_data_v2(
            ResourceArn=arn, StartTime=datetime(2026, 11, 19, 12, tzinfo=UTC),
            EndTime=datetime(2026, 11, 20, 13, tzinfo=UTC),
            Filters=[{"FilterKey": "QUEUE", "FilterValues": list(queues)}],
            Groupings=["QUEUE"], Metrics=[{"Name": "CONTACTS_HANDLED"}])
        users = {u["Id"] for u in client.list_users(InstanceId=instance_id)["UserSummaryList"]}
        occupancy = client.get_metric_data_v2(
            ResourceArn=arn, StartTime=datetime(2026, 11, 20, 6, tzinfo=UTC),
            EndTime=datetime(2026, 11, 20, 12, tzinfo=UTC),
            Filters=[{"FilterKey": "AGENT", "FilterValues": sorted(users)}],
            Groupings=["AGENT"], Metrics=[{"Name": "AGENT_OCCUPANCY"}])
    handled_in: dict[str, int] = {}
    for contact in found:
        if "ConnectedToAgentTimestamp" in contact.get("AgentInfo", {}):
            queue_id = contact["QueueInfo"]["Id"]
            handled_in[queue_id] = handled_in.get(queue_id, 0) + 1
    assert len(handled_in) == 2
    assert {r["Dimensions"]["QUEUE"]: int(r["Collections"][0]["Value"])
            for r in by_queue["MetricResults"]} == handled_in
    rates = [r["Collections"][0].get("Value") for r in occupancy["MetricResults"]]
    assert len(rates) == 8 and all(v is not None and 0 < v <= 100 for v in rates), rates
    counted: dict[str, list[int]] = {}
    for contact in found:
        totals = counted.setdefault(contact["Channel"], [0, 0])
        totals[0] += "QueueInfo" in contact
        totals[1] += "ConnectedToAgentTimestamp" in contact.get("AgentInfo", {})
    reported = {r["Dimensions"]["CHANNEL"]: [int(c["Value"]) for c in r["Collections"]]
                for r in result["MetricResults"]}
    assert reported == {k: v for k, v in counted.items() if any(v)}
    assert sum(v[1] for v in reported.values()) > 50
