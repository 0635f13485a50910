"""Contacts per second through a 10-action flow with one in-process Python Lambda (issue 16's
benchmark), beside StartTaskContact in the default inbound flow (2 actions: set the queue,
transfer), through ``connectlocal serve`` and through ``mock_connect()``, in one run:

    .venv/bin/python bench/flows.py [--calls N] [--rounds R]

Rounds interleave the four. The server is pinned to core 0 and this process (the boto3
client, and the mock) to core 1 where the machine has two. The lead figure is CPU per call:
the server process's for serve, this process's for the mock (client included); ratios are
taken within one round (the median round's). One boto3 client calls StartTaskContact back to
back. Writes bench/results/flows.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import boto3
from botocore.config import Config
from flow_lambda import handler
from report import write
from serve import _cpu_seconds

from connectlocal import __version__, mock_connect
from connectlocal.testing import ServerProcess

ARN = "arn:aws:lambda:us-east-1:123456789012:function:bench"


def _flow(queue_arn: str) -> str:
    def act(ident: str, kind: str, parameters: dict[str, Any], after: str | None,
            **extra: Any) -> dict[str, Any]:
        transitions: dict[str, Any] = {"NextAction": after} if after else {}
        transitions.update(extra)
        return {"Identifier": ident, "Type": kind, "Parameters": parameters,
                "Transitions": transitions}

    gold = [{"NextAction": "tag", "Condition": {"Operator": "Equals", "Operands": ["gold"]}}]
    actions = [
        act("1", "UpdateContactAttributes", {"Attributes": {"n": "1", "who": "$.Name"}}, "2"),
        act("2", "UpdateFlowAttributes", {"FlowAttributes": {"step": {"Value": "2"}}}, "3"),
        act("3", "Compare", {"ComparisonValue": "$.Attributes.n"}, None, Conditions=[
            {"NextAction": "4", "Condition": {"Operator": "Equals", "Operands": ["1"]}}],
            Errors=[{"NextAction": "4", "ErrorType": "NoMatchingCondition"}]),
        act("4", "InvokeLambdaFunction", {"LambdaFunctionARN": ARN,
                                          "InvocationTimeLimitSeconds": "8",
                                          "LambdaInvocationAttributes": {"n": "$.Attributes.n"}},
            "5", Errors=[{"NextAction": "queue", "ErrorType": "NoMatchingError"}]),
        act("5", "UpdateContactAttributes", {"Attributes": {"tier": "$.External.tier"}}, "6"),
        act("6", "Compare", {"ComparisonValue": "$.External.tier"}, None, Conditions=gold,
            Errors=[{"NextAction": "tag", "ErrorType": "NoMatchingCondition"}]),
        act("tag", "TagContact", {"Tags": {"tier": "$.External.tier"}}, "data"),
        act("data", "UpdateContactData", {"Description": "tier $.External.tier"}, "queue"),
        act("queue", "UpdateContactTargetQueue", {"QueueId": queue_arn}, "go"),
        act("go", "TransferContactToQueue", {}, None),
    ]
    assert len(actions) == 10
    return json.dumps({"Version": "2019-10-30", "StartAction": "1", "Actions": actions})


def _setup(client: Any) -> tuple[str, str, str]:
    iid = client.create_instance(IdentityManagementType="CONNECT_MANAGED",
                                 InstanceAlias=f"bench-{time.monotonic_ns()}",
                                 InboundCallsEnabled=True, OutboundCallsEnabled=True)["Id"]
    flows = {f["Name"]: f["Id"] for f in
             client.list_contact_flows(InstanceId=iid)["ContactFlowSummaryList"]}
    queue = client.list_queues(InstanceId=iid, QueueTypes=["STANDARD"])["QueueSummaryList"][0]
    client.associate_lambda_function(InstanceId=iid, FunctionArn=ARN)
    ten = client.create_contact_flow(InstanceId=iid, Name="ten", Type="CONTACT_FLOW",
                                     Content=_flow(queue["Arn"]))["ContactFlowId"]
    return iid, flows["Default inbound"], ten


class Rate(NamedTuple):
    per_second: float
    cpu_us: float  # CPU per call: the server's (serve) or this process's (the mock)


def _rate(call: Callable[[], Any], calls: int, server: int | None) -> Rate:
    for _ in range(min(50, calls)):
        call()
    cpu = (lambda: _cpu_seconds([server])) if server else time.process_time
    start, used = time.perf_counter(), cpu()
    for _ in range(calls):
        call()
    return Rate(calls / (time.perf_counter() - start), (cpu() - used) / calls * 1e6)


def _pair(client: Any, calls: int, server: int | None = None) -> tuple[Rate, Rate]:
    iid, default, ten = _setup(client)
    check = client.start_task_contact(InstanceId=iid, Name="check", ContactFlowId=ten)
    attributes = client.get_contact_attributes(InstanceId=iid,
                                               InitialContactId=check["ContactId"])
    assert attributes["Attributes"]["tier"] == "gold", attributes
    plain = _rate(lambda: client.start_task_contact(InstanceId=iid, Name="t",
                                                    ContactFlowId=default), calls, server)
    flowed = _rate(lambda: client.start_task_contact(InstanceId=iid, Name="t",
                                                     ContactFlowId=ten), calls, server)
    return plain, flowed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rounds: dict[str, list[Rate]] = {"serve_default": [], "serve_flow": [],
                                     "mock_default": [], "mock_flow": []}
    here = Path(__file__).parent
    pinned = (os.cpu_count() or 1) >= 2
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PYTHONPATH": os.pathsep.join([str(here), *sys.path])}
        with ServerProcess(str(Path(tmp) / "bench.db"), "--lambda",
                           f"{ARN}=python:flow_lambda:handler", env=env) as server:
            assert server.proc is not None
            if pinned:  # the server on one core, the load (and the mock) on the other
                os.sched_setaffinity(server.proc.pid, {0})
                os.sched_setaffinity(0, {1})
            http = boto3.client("connect", endpoint_url=server.url, region_name="us-east-1",
                                aws_access_key_id="a", aws_secret_access_key="b",
                                config=Config(retries={"max_attempts": 1}))
            for _ in range(args.rounds):
                plain, flowed = _pair(http, args.calls, server.proc.pid)
                rounds["serve_default"].append(plain)
                rounds["serve_flow"].append(flowed)
                with mock_connect(lambdas={ARN: handler}):
                    client = boto3.client("connect", region_name="us-east-1")
                    plain, flowed = _pair(client, args.calls)
                rounds["mock_default"].append(plain)
                rounds["mock_flow"].append(flowed)

    def median_round(door: str) -> tuple[Rate, Rate, float]:
        """The round whose CPU ratio (flow over default) is the median, and that ratio."""
        def ratio(pair: tuple[Rate, Rate]) -> float:
            # CPU is read in clock ticks (10 ms): a tiny run (the smoke test) may read none.
            return pair[1].cpu_us / pair[0].cpu_us if pair[0].cpu_us else math.inf

        pairs = sorted(zip(rounds[f"{door}_default"], rounds[f"{door}_flow"], strict=True),
                       key=ratio)
        plain, flowed = pairs[len(pairs) // 2]
        return plain, flowed, ratio((plain, flowed))

    serve_plain, serve_flowed, serve_ratio = median_round("serve")
    mock_plain, mock_flowed, mock_ratio = median_round("mock")
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "pinned": pinned},
        "versions": {"connectlocal": __version__},
        "calls_per_round": args.calls,
        "rounds": {name: [r._asdict() for r in rates] for name, rates in rounds.items()},
        "serve_cpu_ratio": serve_ratio, "mock_cpu_ratio": mock_ratio,
    }

    def row(door: str, plain: Rate, flowed: Rate, ratio: float) -> str:
        return (f"| {door} | {plain.cpu_us:,.0f} µs ({plain.per_second:,.0f}/s) | "
                f"{flowed.cpu_us:,.0f} µs ({flowed.per_second:,.0f}/s) | {ratio:.2f}x |")

    table = "\n".join([
        "| StartTaskContact through | default inbound flow (2 actions): CPU per call (rate) "
        "| 10-action flow + Python Lambda | CPU ratio |",
        "|---|---|---|---|",
        row("connectlocal serve (1 worker, SQLite file; server CPU)", serve_plain,
            serve_flowed, serve_ratio),
        row("mock_connect() (in memory; CPU of client and mock)", mock_plain, mock_flowed,
            mock_ratio),
        "",
        f"The median of {args.rounds} interleaved rounds of {args.calls} calls, one boto3 "
        f"client, {'server on core 0 and client on core 1' if pinned else 'unpinned'} "
        f"({result['when']}).",
    ])
    write("flows", result, table)


if __name__ == "__main__":
    main()
