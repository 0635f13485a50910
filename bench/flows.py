"""Contacts per second through a 10-action flow with one in-process Python Lambda (issue 16's
benchmark), beside StartTaskContact in the default inbound flow (2 actions: set the queue,
transfer), through ``connectlocal serve`` and through ``mock_connect()``, in one run:

    .venv/bin/python bench/flows.py [--calls N] [--rounds R]

Rounds interleave the four; the best round of each is reported, with the ratios. One boto3
client calls StartTaskContact back to back. Writes bench/results/flows.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from flow_lambda import handler
from report import write

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


def _rate(call: Callable[[], Any], calls: int) -> float:
    for _ in range(min(50, calls)):
        call()
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return calls / (time.perf_counter() - start)


def _pair(client: Any, calls: int) -> tuple[float, float]:
    iid, default, ten = _setup(client)
    check = client.start_task_contact(InstanceId=iid, Name="check", ContactFlowId=ten)
    attributes = client.get_contact_attributes(InstanceId=iid,
                                               InitialContactId=check["ContactId"])
    assert attributes["Attributes"]["tier"] == "gold", attributes
    plain = _rate(lambda: client.start_task_contact(InstanceId=iid, Name="t",
                                                    ContactFlowId=default), calls)
    flowed = _rate(lambda: client.start_task_contact(InstanceId=iid, Name="t",
                                                     ContactFlowId=ten), calls)
    return plain, flowed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rounds: dict[str, list[float]] = {"serve_default": [], "serve_flow": [],
                                      "mock_default": [], "mock_flow": []}
    here = Path(__file__).parent
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PYTHONPATH": os.pathsep.join([str(here), *sys.path])}
        with ServerProcess(str(Path(tmp) / "bench.db"), "--lambda",
                           f"{ARN}=python:flow_lambda:handler", env=env) as server:
            http = boto3.client("connect", endpoint_url=server.url, region_name="us-east-1",
                                aws_access_key_id="a", aws_secret_access_key="b",
                                config=Config(retries={"max_attempts": 1}))
            for _ in range(args.rounds):
                plain, flowed = _pair(http, args.calls)
                rounds["serve_default"].append(plain)
                rounds["serve_flow"].append(flowed)
                with mock_connect(lambdas={ARN: handler}):
                    client = boto3.client("connect", region_name="us-east-1")
                    plain, flowed = _pair(client, args.calls)
                rounds["mock_default"].append(plain)
                rounds["mock_flow"].append(flowed)
    best = {name: max(rates) for name, rates in rounds.items()}
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "versions": {"connectlocal": __version__},
        "calls_per_round": args.calls, "rounds": rounds, "best": best,
        "serve_ratio": best["serve_flow"] / best["serve_default"],
        "mock_ratio": best["mock_flow"] / best["mock_default"],
    }
    table = "\n".join([
        "| StartTaskContact through | default inbound flow (2 actions) | 10-action flow + "
        "Python Lambda | ratio |",
        "|---|---|---|---|",
        f"| connectlocal serve (1 worker, SQLite file) | {best['serve_default']:,.0f}/s | "
        f"{best['serve_flow']:,.0f}/s | {result['serve_ratio']:.2f}x |",
        f"| mock_connect() (in memory) | {best['mock_default']:,.0f}/s | "
        f"{best['mock_flow']:,.0f}/s | {result['mock_ratio']:.2f}x |",
        "",
        f"Best of {args.rounds} interleaved rounds of {args.calls} calls, one boto3 client "
        f"({result['when']}).",
    ])
    write("flows", result, table)


if __name__ == "__main__":
    main()
