"""Simulated contacts per second: a month of traffic for 100 agents (the defaults of
``connectlocal simulate``: 200 arrivals an hour) into an empty SQLite store, through the
command itself.

    .venv/bin/python bench/simulate.py [--days 30] [--agents 100] [--rate 200]

Writes bench/results/simulate.{json,md}.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from report import write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--rate", type=float, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "connectlocal.cli", "simulate", "--quiet", "--data",
             str(Path(tmp) / "sim.db"), "--days", str(args.days), "--agents",
             str(args.agents), "--rate", str(args.rate)],
            capture_output=True, text=True, check=True)
        seconds = time.perf_counter() - started
    stored = int(done.stderr.split(" stored in ")[0].rsplit(" ", 1)[1].replace(",", ""))
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "days": args.days,
              "agents": args.agents, "rate_per_hour": args.rate, "contacts": stored,
              "seconds": seconds, "contacts_per_second": stored / seconds}
    table = ("| days | agents | arrivals/h | contacts | seconds (whole command) | contacts/s |\n"
             "|---|---|---|---|---|---|\n"
             f"| {args.days:g} | {args.agents} | {args.rate:g} | {stored:,} | {seconds:.1f} | "
             f"{stored / seconds:,.0f} |")
    write("simulate", result, table)


if __name__ == "__main__":
    main()
