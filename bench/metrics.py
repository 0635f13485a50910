"""The metric operations over a large store: GetMetricDataV2 over a day and over 30 days,
grouped by queue and by channel (CONTACTS_HANDLED, AVG_HANDLE_TIME, SERVICE_LEVEL), and
GetCurrentMetricData with 500 agents live (Available, some on contacts), in-process
(mock_connect: boto3 → dispatch → handlers → store) and over HTTP (a ``connectlocal serve``
on the same file); beside each, the store's own time to scan the same rows (a raw SQL
aggregate over the same table range or rows the metric's query reads), in the same run.

    .venv/bin/python bench/metrics.py [--contacts 1000000] [--agents 500] [--rounds 5]

Contacts are handled ones spread over the last 60 days, made through the bulk path
(``bulk.load_contacts``, as bench/serve.py and the CTR import load). Writes
bench/results/metrics.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from report import write

from connectlocal import mock_connect
from connectlocal.bulk import load_contacts, seed_instance
from connectlocal.models import API, INBOUND, AgentInfo, Contact, Endpoint, QueueInfo
from connectlocal.service import Service
from connectlocal.store import open_store
from connectlocal.store.base import Scope
from connectlocal.testing import ServerProcess

SCOPE = Scope("123456789012", "us-east-1")
QUEUES = 5
CHANNELS = ("VOICE", "CHAT", "TASK")
HISTORICAL = [{"Name": "CONTACTS_HANDLED"}, {"Name": "AVG_HANDLE_TIME"},
              {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT",
                                                        "ThresholdValue": 60}]}]
CURRENT = [{"Name": n, "Unit": "COUNT"} for n in (
    "AGENTS_ONLINE", "AGENTS_AVAILABLE", "AGENTS_ON_CONTACT", "CONTACTS_IN_QUEUE")]


def build(path: Path, contacts: int, agents: int) -> dict[str, Any]:
    """One instance, QUEUES queues, ``agents`` users and ``contacts`` handled contacts."""
    service = Service(open_store(str(path)))
    seeded = seed_instance(service, SCOPE, f"metrics-{contacts}")
    instance_id = seeded["id"]
    with mock_connect(data=str(path)):
        client = boto3.client("connect", region_name=SCOPE.region)
        hours = client.list_hours_of_operations(
            InstanceId=instance_id)["HoursOfOperationSummaryList"][0]["Id"]
        queues = [seeded["queues"]["BasicQueue"], *(client.create_queue(
            InstanceId=instance_id, Name=f"Queue {n}", HoursOfOperationId=hours)["QueueId"]
            for n in range(2, QUEUES + 1))]
        configs = [{"QueueReference": {"QueueId": q, "Channel": c}, "Priority": 1, "Delay": 0}
                   for q in queues for c in CHANNELS]
        profile = client.create_routing_profile(
            InstanceId=instance_id, Name="Bench agents", Description="bench",
            DefaultOutboundQueueId=queues[0], QueueConfigs=configs[:10],
            MediaConcurrencies=[{"Channel": c, "Concurrency": 1} for c in CHANNELS],
        )["RoutingProfileId"]
        for at in range(10, len(configs), 10):  # at most 10 a call
            client.associate_routing_profile_queues(
                InstanceId=instance_id, RoutingProfileId=profile, QueueConfigs=configs[at:at + 10])
        security = seeded["security_profiles"]["Agent"]
        users = [client.create_user(
            InstanceId=instance_id, Username=f"agent-{n:04d}", Password="Bench1!bench",
            IdentityInfo={"FirstName": "Bench", "LastName": f"Agent {n}"},
            SecurityProfileIds=[security], RoutingProfileId=profile,
            PhoneConfig={"PhoneType": "SOFT_PHONE", "AutoAccept": True,
                         "AfterContactWorkTimeLimit": 0})["UserId"] for n in range(agents)]
    rng = random.Random(contacts)
    now = datetime.now(UTC)
    base = f"{seeded['arn']}/contact/"

    def generate() -> Iterator[Contact]:
        for _ in range(contacts):
            contact_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            started = now - timedelta(seconds=rng.uniform(3600, 60 * 86400))
            channel = rng.choice(CHANNELS)
            queued = started + timedelta(seconds=rng.uniform(5, 30))
            connected = queued + timedelta(seconds=rng.expovariate(1 / 40))
            ended = connected + timedelta(seconds=rng.expovariate(1 / 300))
            acw = int(rng.expovariate(1 / 30))
            yield Contact(
                id=contact_id, arn=base + contact_id, instance_id=instance_id, channel=channel,
                initiation_method=INBOUND if channel == "VOICE" else API,
                initiation_timestamp=started, last_update_timestamp=ended + timedelta(
                    seconds=acw), contact_association_id=contact_id,
                customer_endpoint=(Endpoint("TELEPHONE_NUMBER", "+15555550100")
                                   if channel == "VOICE" else None),
                queue=QueueInfo(rng.choice(queues), queued),
                agent=AgentInfo(rng.choice(users), connected_to_agent_timestamp=connected,
                                accepted_by_agent_timestamp=connected,
                                after_contact_work_start=ended,
                                after_contact_work_end=ended + timedelta(seconds=acw),
                                after_contact_work_seconds=acw),
                ring_start_timestamp=queued, connected_to_system_timestamp=started,
                disconnect_timestamp=ended, disconnect_reason="CUSTOMER_DISCONNECT")

    began = time.perf_counter()
    loaded = load_contacts(service, SCOPE, instance_id, generate())
    seconds = time.perf_counter() - began
    # Their stored DescribeContact answers, which a server would otherwise make while measured.
    service.store.make_all_answers()
    service.store.close()
    print(f"loaded {loaded.stored:,} contacts in {seconds:.1f} s")
    return {"instance": instance_id, "arn": seeded["arn"], "queues": queues, "users": users,
            "contacts": loaded.stored, "load_seconds": seconds}


def go_live(client: Any, info: dict[str, Any], on_contact: int) -> None:
    """Every agent Available, then ``on_contact`` chats arriving: routing gives each to an
    agent (auto-accepted), the rest stay Available."""
    instance_id = info["instance"]
    available = next(s["Id"] for s in client.list_agent_statuses(
        InstanceId=instance_id)["AgentStatusSummaryList"] if s["Name"] == "Available")
    for user in info["users"]:
        client.put_user_status(InstanceId=instance_id, UserId=user, AgentStatusId=available)
    info["available"] = available
    info["on_contact"] = on_contact


def arrive(admin: Callable[[str, str, dict[str, Any]], Any], info: dict[str, Any]) -> None:
    for n in range(info["on_contact"]):
        admin("POST", "events", {"event": "arrive", "instance_id": info["instance"],
                                 "channel": "VOICE", "queue_id": info["queues"][n % QUEUES]})


def timed(call: Callable[[], Any], rounds: int) -> float:
    """Milliseconds a call takes: the median of ``rounds`` after one to warm up."""
    call()
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def cases(client: Any, info: dict[str, Any], now: datetime) -> dict[str, Callable[[], Any]]:
    arn, queues = info["arn"], info["queues"]
    end = now.replace(minute=0, second=0, microsecond=0)

    def v2(days: int, grouping: str) -> Callable[[], Any]:
        return lambda: client.get_metric_data_v2(
            ResourceArn=arn, StartTime=end - timedelta(days=days), EndTime=end,
            Filters=[{"FilterKey": "QUEUE", "FilterValues": queues}], Groupings=[grouping],
            Metrics=HISTORICAL)

    return {
        "GetMetricDataV2, 1 day by queue": v2(1, "QUEUE"),
        "GetMetricDataV2, 1 day by channel": v2(1, "CHANNEL"),
        "GetMetricDataV2, 30 days by queue": v2(30, "QUEUE"),
        "GetMetricDataV2, 30 days by channel": v2(30, "CHANNEL"),
        "GetCurrentMetricData, by queue": lambda: client.get_current_metric_data(
            InstanceId=info["instance"], CurrentMetrics=CURRENT, Groupings=["QUEUE"],
            Filters={"Queues": queues, "Channels": list(CHANNELS)}),
    }


def scans(path: Path, info: dict[str, Any], now: datetime) -> dict[str, Callable[[], Any]]:
    """The store's floor for each case: the same rows, the least SQL that reads them."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    end = now.replace(minute=0, second=0, microsecond=0).timestamp()
    key = (*SCOPE, info["instance"])
    marks = ",".join("?" * QUEUES)

    def facts(days: int, column: str) -> Callable[[], Any]:
        sql = (f"SELECT {column}, count(*), sum(disconnected - connected) FROM contact_facts "
               "WHERE account=? AND region=? AND instance_id=? AND initiated>=? AND "
               f"initiated<? AND queue_id IN ({marks}) GROUP BY {column}")
        return lambda: db.execute(sql, (*key, end - days * 86400, end,
                                        *info["queues"])).fetchall()

    return {
        "GetMetricDataV2, 1 day by queue": facts(1, "queue_id"),
        "GetMetricDataV2, 1 day by channel": facts(1, "channel"),
        "GetMetricDataV2, 30 days by queue": facts(30, "queue_id"),
        "GetMetricDataV2, 30 days by channel": facts(30, "channel"),
        # The agents' states (every document) and the waiting contacts (their index).
        "GetCurrentMetricData, by queue": lambda: (db.execute(
            "SELECT count(*), sum(length(doc)) FROM agent_states WHERE account=? AND "
            "region=? AND instance_id=?", key).fetchall(), db.execute(
            "SELECT queue_id, count(*) FROM contact_facts WHERE account=? AND region=? AND "
            "instance_id=? AND queue_id IS NOT NULL AND connected IS NULL AND disconnected "
            "IS NULL GROUP BY queue_id", key).fetchall()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--on-contact", type=int, default=200,
                        help="of the agents, how many have a contact")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-http", action="store_true", help="in-process only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "metrics.db"
        info = build(path, args.contacts, args.agents)
        rows: dict[str, dict[str, float]] = {}
        with mock_connect(data=str(path)) as mock:
            client = boto3.client("connect", region_name=SCOPE.region)
            go_live(client, info, min(args.on_contact, args.agents))
            arrive(lambda m, p, b: mock.admin(m, p, json.dumps(b).encode()), info)
            now = mock.service.now()
            floors = scans(path, info, now)
            for name, call in cases(client, info, now).items():
                rows[name] = {"in_process_ms": timed(call, args.rounds),
                              "scan_ms": timed(floors[name], args.rounds)}
        if not args.no_http:
            with ServerProcess(str(path)) as server:
                client = boto3.client("connect", endpoint_url=server.url,
                                      region_name=SCOPE.region, aws_access_key_id="bench",
                                      aws_secret_access_key="bench")
                for name, call in cases(client, info, now).items():
                    rows[name]["http_ms"] = timed(call, args.rounds)
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
              "contacts": info["contacts"], "agents": args.agents,
              "on_contact": info["on_contact"], "load_seconds": info["load_seconds"],
              "rounds": args.rounds, "cases": rows}
    table = ["| call (median of rounds) | in-process ms | HTTP ms | scan ms | in-process / scan |",
             "|---|---|---|---|---|"]
    for name, row in rows.items():
        http = f"{row['http_ms']:.1f}" if "http_ms" in row else "-"
        ratio = row["in_process_ms"] / row["scan_ms"] if row["scan_ms"] else float("nan")
        table.append(f"| {name} | {row['in_process_ms']:.1f} | {http} | {row['scan_ms']:.1f} "
                     f"| {ratio:.1f} |")
    table.append(f"\n{info['contacts']:,} contacts over 60 days, {args.agents} agents "
                 f"Available ({info['on_contact']} on a contact).")
    write("metrics", result, "\n".join(table))


if __name__ == "__main__":
    main()
