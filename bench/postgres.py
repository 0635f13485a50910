"""SQLite against PostgreSQL in one run: CTR import records/s into each, then DescribeContact
and StartTaskContact calls/s through the handlers (the store's share of a request, without
HTTP), beside each engine's floor: a bare single-row SELECT by primary key on the same table.

    .venv/bin/python bench/postgres.py [--records N] [--seconds S] [--server URL]

``--server`` is a PostgreSQL server (default postgresql://postgres@127.0.0.1:5432); the run
makes a database of its own there and drops it. One thread, one process: the engines' cost
per call, not a server's throughput (bench/serve.py measures that, for SQLite). The lead
figure is CPU per call: this process's plus every PostgreSQL process's (SQLite's engine runs
in this process; PostgreSQL's in its backends). Where the machine has two cores, this process
and the PostgreSQL processes are pinned to the same one while measuring (put back after), so
both engines work on equal terms. Writes bench/results/postgres.{json,md}.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from ctr_import import INSTANCE, write_records
from report import write

from connectlocal import __version__
from connectlocal.bulk import seed_instance
from connectlocal.ctrfiles import import_paths
from connectlocal.handlers import contacts
from connectlocal.service import RequestContext, Service
from connectlocal.store import open_store
from connectlocal.store.base import Scope

SCOPE = Scope("123456789012", "us-east-1")
INSTANCE_ID = INSTANCE.rsplit("/", 1)[1]


def _postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (postmaster, backends, workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _postgres_cpu() -> float:
    """CPU seconds the PostgreSQL server has used: its live processes', and those of the
    backends that have ended (a postmaster's cutime and cstime), so a backend that closes
    during a measurement still counts."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in _postgres_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if Path(f"/proc/{fields[1]}/comm").exists() and \
                Path(f"/proc/{fields[1]}/comm").read_text().strip() != "postgres":
            total += int(fields[13]) + int(fields[14])  # the postmaster: ended children's
    return total / ticks


@contextmanager
def one_core(pids: list[int]) -> Iterator[None]:
    """This process and ``pids`` on core 1 (or as they are, on a machine of one core)."""
    if (os.cpu_count() or 1) < 2:
        yield
        return
    before = {}
    for pid in [0, *pids]:
        with suppress(ProcessLookupError):  # a backend may end meanwhile
            before[pid] = os.sched_getaffinity(pid)
            os.sched_setaffinity(pid, {1})
    try:
        yield
    finally:
        for pid, cores in before.items():
            with suppress(ProcessLookupError):
                os.sched_setaffinity(pid, cores)


def timed(seconds: float, call: Callable[[], Any]) -> tuple[float, float, float]:
    """(calls/s, p50 µs, CPU µs per call) of ``call`` repeated for ``seconds``; the CPU is
    this process's and every PostgreSQL process's."""
    engines = _postgres_pids()
    took: list[float] = []
    with one_core(engines):
        cpu = time.process_time() + _postgres_cpu()
        began = time.perf_counter()
        while (now := time.perf_counter()) - began < seconds:
            call()
            took.append(time.perf_counter() - now)
        elapsed = time.perf_counter() - began
        cpu = time.process_time() + _postgres_cpu() - cpu
    return len(took) / elapsed, statistics.median(took) * 1e6, cpu / len(took) * 1e6


def measure(data: str, source: Path, ids: list[str], seconds: float) -> dict[str, float]:
    store = open_store(data)
    service = Service(store)
    try:
        began = time.perf_counter()
        import_paths(service, [str(source)])
        imported = len(ids) / (time.perf_counter() - began)
        rng = random.Random(1)

        def ctx(operation: str) -> RequestContext:
            return RequestContext(service, SCOPE, "bench", operation, service.now())

        describe, describe_p50, describe_cpu = timed(seconds, lambda: contacts.describe_contact(
            ctx("DescribeContact"), InstanceId=INSTANCE_ID, ContactId=rng.choice(ids)))
        seeded = seed_instance(service, SCOPE, f"bench-{secrets.token_hex(3)}")
        flow = seeded["flows"]["Sample task flow"]
        start, start_p50, start_cpu = timed(seconds, lambda: contacts.start_task_contact(
            ctx("StartTaskContact"), InstanceId=seeded["id"], ContactFlowId=flow, Name="b"))
    finally:
        store.close()
    return {"import_records_per_second": imported, "describe_per_second": describe,
            "describe_p50_us": describe_p50, "describe_cpu_us": describe_cpu,
            "start_task_per_second": start, "start_task_p50_us": start_p50,
            "start_task_cpu_us": start_cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    name = f"connectlocal_bench_{secrets.token_hex(4)}"
    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "ctrs.jsonl"
            write_records(source, args.records, 0.0)
            ids = [line.split('"ContactId": "', 1)[1][:36] for line in source.open()]
            sqlite_path = str(Path(tmp) / "bench.db")
            results = {"sqlite": measure(sqlite_path, source, ids, args.seconds),
                       "postgresql": measure(f"{args.server}/{name}", source, ids,
                                             args.seconds)}
            rng = random.Random(2)
            lite = sqlite3.connect(sqlite_path)
            sqlite_floor, sqlite_floor_p50, sqlite_floor_cpu = timed(
                args.seconds, lambda: lite.execute(
                    "SELECT doc FROM contacts WHERE account=? AND region=? AND instance_id=? "
                    "AND contact_id=?", (*SCOPE, INSTANCE_ID, rng.choice(ids))).fetchone())
            lite.close()
        with psycopg.connect(f"{args.server}/{name}", autocommit=True) as db:
            pg_floor, pg_floor_p50, pg_floor_cpu = timed(args.seconds, lambda: db.execute(
                "SELECT doc FROM contacts WHERE account=%s AND region=%s AND instance_id=%s AND "
                "contact_id=%s", (*SCOPE, INSTANCE_ID, rng.choice(ids)), prepare=True).fetchone())
    finally:
        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    results["sqlite"].update(floor_per_second=sqlite_floor, floor_p50_us=sqlite_floor_p50,
                             floor_cpu_us=sqlite_floor_cpu)
    results["postgresql"].update(floor_per_second=pg_floor, floor_p50_us=pg_floor_p50,
                                 floor_cpu_us=pg_floor_cpu)
    for r in results.values():
        r["describe_over_floor_cpu"] = r["describe_cpu_us"] / r["floor_cpu_us"]
    rows = "\n".join(
        f"| {engine} | {r['describe_cpu_us']:,.0f} µs ({r['describe_per_second']:,.0f}/s) | "
        f"{r['floor_cpu_us']:,.0f} µs ({r['floor_per_second']:,.0f}/s) | "
        f"{r['describe_over_floor_cpu']:.2f}x | {r['start_task_cpu_us']:,.0f} µs "
        f"({r['start_task_per_second']:,.0f}/s) | {r['import_records_per_second']:,.0f} |"
        for engine, r in results.items())
    table = ("| store | DescribeContact: CPU per call (rate) | bare PK SELECT | DescribeContact "
             "over its floor (CPU) | StartTaskContact | CTR import records/s |\n"
             "|---|---|---|---|---|---|\n" + rows +
             f"\n\n{args.records:,} contacts; one thread; handlers called directly (no HTTP); "
             "CPU: this process and every PostgreSQL process, pinned to one core together.")
    write("postgres", {"when": datetime.now(UTC).isoformat(timespec="seconds"),
                       "connectlocal": __version__, "records": args.records,
                       "seconds": args.seconds, "results": results}, table)


if __name__ == "__main__":
    main()
