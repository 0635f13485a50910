"""A contact center left running: ``serve --simulate`` (one driver among the workers) and
``simulate --live`` against a server, polled through boto3 as a wallboard would; and the same
driver in-process against mock_connect. Deadlines are generous and polled: no timing is
asserted."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from connectlocal import mock_connect
from connectlocal.live import AdminCallError, LiveSimulator, set_up
from connectlocal.simulate import Profile

from ..conftest import client_for
from ..serverproc import ServerProcess

DEADLINE = 120.0  # seconds of wall time a polled condition may take on a loaded machine
CURRENT = [{"Name": n, "Unit": "COUNT"} for n in (
    "AGENTS_ONLINE", "AGENTS_AVAILABLE", "AGENTS_ON_CONTACT", "AGENTS_NON_PRODUCTIVE",
    "AGENTS_AFTER_CONTACT_WORK", "CONTACTS_IN_QUEUE")]


def _until(check: Callable[[], Any], what: str, deadline: float = DEADLINE) -> Any:
    end = time.monotonic() + deadline
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > end:
            raise AssertionError(f"not within {deadline:g} s: {what}")
        time.sleep(0.25)


def _live_instance(client: Any) -> str | None:
    found = [i["Id"] for i in client.list_instances()["InstanceSummaryList"]
             if i.get("InstanceAlias", "").startswith("live-")]
    assert len(found) <= 1, found
    return found[0] if found else None


def _current(client: Any, instance_id: str) -> dict[str, float]:
    queues = [q["Id"] for q in client.list_queues(
        InstanceId=instance_id, QueueTypes=["STANDARD"])["QueueSummaryList"]]
    result = client.get_current_metric_data(
        InstanceId=instance_id, CurrentMetrics=CURRENT,
        Filters={"Queues": queues, "Channels": ["VOICE", "CHAT", "TASK"]})
    return {c["Metric"]["Name"]: c["Value"] for r in result["MetricResults"]
            for c in r["Collections"]}


def _handled(client: Any, instance_id: str, now: datetime) -> int:
    arn = client.describe_instance(InstanceId=instance_id)["Instance"]["Arn"]
    queues = [q["Id"] for q in client.list_queues(
        InstanceId=instance_id, QueueTypes=["STANDARD"])["QueueSummaryList"]]
    result = client.get_metric_data_v2(
        ResourceArn=arn, StartTime=now - timedelta(hours=23), EndTime=now,
        Filters=[{"FilterKey": "QUEUE", "FilterValues": queues}],
        Metrics=[{"Name": "CONTACTS_HANDLED"}])
    return sum(int(c.get("Value") or 0) for r in result["MetricResults"]
               for c in r["Collections"])


def _now(server: ServerProcess) -> datetime:
    status, body = server.admin("GET", "clock")
    assert status == 200
    return datetime.fromisoformat(body["now"].replace("Z", "+00:00"))


@pytest.mark.http_only
def test_serve_simulate_moves_the_numbers(tmp_path: Path) -> None:
    """Two workers, one driver: the center is set up once (one instance, its ten agents),
    agents come online and the contacts handled grow as the clock runs 600 times as fast."""
    with ServerProcess(str(tmp_path / "live.db"), "--simulate", "--speed", "600",
                       "--agents", "10", "--queues", "2", "--workers", "2") as server:
        client = client_for(server.url)
        instance_id = _until(lambda: _live_instance(client), "the simulated instance")
        assert _until(lambda: _current(client, instance_id).get("AGENTS_ONLINE", 0) > 0,
                      "an agent online")
        first = _until(lambda: _handled(client, instance_id, _now(server)),
                       "a contact handled")
        _until(lambda: _handled(client, instance_id, _now(server)) > first,
               "more contacts handled")
        users = client.list_users(InstanceId=instance_id)["UserSummaryList"]
        assert sorted(u["Username"] for u in users) == [f"sim-agent-{n:04d}"
                                                        for n in range(1, 11)]
        _, clock = server.admin("GET", "clock")
        assert clock["rate"] == 600 and clock["ticking"] is True
        assert _live_instance(client) == instance_id


@pytest.mark.http_only
def test_simulate_live_runs_against_a_server_and_stops_cleanly(tmp_path: Path) -> None:
    """For --duration seconds, then once more until Ctrl-C (SIGINT): exit 0 both times, the
    clock back to real time, and the server shows what the agents did."""
    with ServerProcess(str(tmp_path / "remote.db")) as server:
        command = [sys.executable, "-m", "connectlocal.cli", "simulate", "--live",
                   "--endpoint", server.url, "--agents", "6", "--speed", "300", "--seed", "4"]
        done = subprocess.run([*command, "--duration", "4"], capture_output=True, text=True,
                              timeout=DEADLINE)
        assert done.returncode == 0, done.stderr
        instance_id = done.stdout.strip()
        assert "contacts arrived" in done.stderr
        client = client_for(server.url)
        assert _live_instance(client) == instance_id
        _, clock = server.admin("GET", "clock")
        assert clock["rate"] == 1
        history = client.get_current_user_data(
            InstanceId=instance_id, Filters={"Agents": [u["Id"] for u in client.list_users(
                InstanceId=instance_id)["UserSummaryList"]]})
        assert history["UserDataList"], "no agent was left online"

        running = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        try:
            assert running.stdout is not None
            assert running.stdout.readline().strip() == instance_id  # the same center
            time.sleep(1)
            running.send_signal(signal.SIGINT)
            _, errors = running.communicate(timeout=DEADLINE)
        finally:
            if running.poll() is None:
                running.kill()
        assert running.returncode == 0, errors
        assert "Traceback" not in errors and "contacts arrived" in errors


def test_simulate_live_refuses_what_it_cannot_do() -> None:
    for extra, message in ((["--live"], "--live runs against a server"),
                           (["--speed", "60"], "--speed and --duration are for --live")):
        done = subprocess.run([sys.executable, "-m", "connectlocal.cli", "simulate", *extra],
                              capture_output=True, text=True, timeout=DEADLINE)
        assert done.returncode == 2 and message in done.stderr, done.stderr


def test_the_driver_in_process_routes_contacts_to_agents() -> None:
    """The same driver over mock_connect's wire path, the clock moved by hand: agents log
    in, contacts are routed to them and handled, and the metrics count them."""
    with mock_connect(clock="2026-11-20T09:00:00Z") as mock:
        client = boto3.client("connect", region_name="us-east-1")

        def admin(method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
            status, answer = mock.admin(method, path,
                                        json.dumps(body).encode() if body else b"")
            if status != 200:
                raise AdminCallError(answer.decode())
            found: dict[str, Any] = json.loads(answer)
            return found

        center = set_up(client, agents=8, queues=1, seed=9, acw_seconds=20)
        simulator = LiveSimulator(client, admin, center,
                                  Profile(rate_per_hour=120, handle_seconds=120), seed=9)
        seen: set[float] = set()
        for _ in range(180):  # three hours of service time, a minute a step
            simulator.step()
            seen.add(_current(client, center.instance_id).get("AGENTS_ONLINE", 0))
            mock.advance(60)
        now = datetime(2026, 11, 20, 12, tzinfo=UTC)
        assert max(seen) > 0
        assert simulator.counts.arrived > 100
        handled = _handled(client, center.instance_id, now)
        assert handled > 50
        assert handled <= simulator.counts.arrived and simulator.counts.accepted > 50
        # Each contact an agent took was offered by routing to an agent of the profile.
        agents = set(center.agents)
        contacts = client.search_contacts(
            InstanceId=center.instance_id,
            TimeRange={"Type": "INITIATION_TIMESTAMP", "StartTime": now - timedelta(hours=4),
                       "EndTime": now + timedelta(hours=1)})["Contacts"]
        taken = [c for c in contacts if c.get("AgentInfo", {}).get("Id")]
        assert taken and {c["AgentInfo"]["Id"] for c in taken} <= agents
