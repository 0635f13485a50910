"""In-process calls per second through boto3, in one run (issue 8's benchmark):

  connectlocal  mock_connect() answering describe_contact (the whole service path)
  moto          mock_aws() answering describe_instance (the peer)
  ceiling       the same boto3 client answered by a before-send handler that returns the same
                DescribeContact response without any service (boto3's own cost per call)

    .venv/bin/python bench/mock_calls.py [--calls N] [--rounds R]

Rounds interleave the three so that machine noise hits each alike; the best round of each is
reported, with the ratios computed from those. Writes bench/results/mock_calls.{json,md}.
"""

from __future__ import annotations

import argparse
import io
import platform
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore
from botocore.awsrequest import AWSResponse
from report import write

from connectlocal import __version__, mock_connect


class _Raw(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def _rate(call: Callable[[], Any], calls: int) -> float:
    for _ in range(min(200, calls)):
        call()
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return calls / (time.perf_counter() - start)


def _connectlocal(calls: int, captured: dict[str, Any]) -> float:
    with mock_connect() as mock:
        seeded = mock.create_instance("bench")
        client = boto3.client("connect", region_name="us-east-1")
        contact = client.start_task_contact(
            InstanceId=seeded["id"], ContactFlowId=seeded["flows"]["Default inbound"],
            Name="bench", Attributes={"customer": "42"})["ContactId"]
        params = {"InstanceId": seeded["id"], "ContactId": contact}
        if not captured:
            respond = mock.respond

            def keep(request: Any) -> AWSResponse:
                response = respond(request)
                captured.update(body=response.content, headers=dict(response.headers),
                                params=params)
                return response

            mock.respond = keep  # type: ignore[method-assign]
            client.describe_contact(**params)
            mock.respond = respond  # type: ignore[method-assign]
        return _rate(lambda: client.describe_contact(**params), calls)


def _moto(calls: int) -> float:
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("connect", region_name="us-east-1")
        instance = client.create_instance(IdentityManagementType="CONNECT_MANAGED",
                                          InstanceAlias="bench", InboundCallsEnabled=True,
                                          OutboundCallsEnabled=True)["Id"]
        return _rate(lambda: client.describe_instance(InstanceId=instance), calls)


def _ceiling(calls: int, captured: dict[str, Any]) -> float:
    client = boto3.client("connect", region_name="us-east-1", aws_access_key_id="a",
                          aws_secret_access_key="b")
    body, headers = captured["body"], captured["headers"]
    client.meta.events.register(
        "before-send.connect",
        lambda request, **_: AWSResponse(request.url, 200, headers, _Raw(body)))
    return _rate(lambda: client.describe_contact(**captured["params"]), calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    captured: dict[str, Any] = {}
    rounds: dict[str, list[float]] = {"connectlocal": [], "moto": [], "ceiling": []}
    for _ in range(args.rounds):
        rounds["connectlocal"].append(_connectlocal(args.calls, captured))
        rounds["moto"].append(_moto(args.calls))
        rounds["ceiling"].append(_ceiling(args.calls, captured))
    best = {name: max(rates) for name, rates in rounds.items()}
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or
                    platform.machine()},
        "versions": {"connectlocal": __version__, "botocore": botocore.__version__,
                     "moto": __import__("moto").__version__},
        "calls_per_round": args.calls, "rounds": rounds, "best": best,
        "ratio_to_moto": best["connectlocal"] / best["moto"],
        "ratio_to_ceiling": best["connectlocal"] / best["ceiling"],
    }
    table = "\n".join([
        "| client answered by | operation | calls/s (best of rounds) |",
        "|---|---|---|",
        f"| connectlocal mock_connect | DescribeContact | {best['connectlocal']:,.0f} |",
        f"| moto mock_aws | DescribeInstance | {best['moto']:,.0f} |",
        f"| canned before-send (ceiling) | DescribeContact | {best['ceiling']:,.0f} |",
        "",
        f"connectlocal / moto: **{result['ratio_to_moto']:.2f}x**; connectlocal / ceiling: "
        f"**{result['ratio_to_ceiling']:.2f}x** ({args.rounds} rounds of {args.calls} calls, "
        f"{result['when']}).",
    ])
    write("mock_calls", result, table)


if __name__ == "__main__":
    main()
