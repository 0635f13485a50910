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

    .venv/bin/python bench/postgres.py --http [--records N] [--duration S] [--connections C]

``--http``: the same against ``connectlocal serve`` processes over HTTP under wrk, for each
store with 1 and 2 processes (``--workers``): DescribeContact of random imported contacts and
StartTaskContact, beside PostgreSQL's own ``pgbench -n -M prepared`` single-row SELECT by key
on the same contacts table, with as many clients, as the floor. The lead figure is CPU per
request: the server processes' and this database's PostgreSQL backends' (with the WAL writer,
checkpointer and background writer), over the measured window, per request; wrk and pgbench
(the load) are not counted. Servers, backends and the load share the machine's cores, so the
rates are shared-core figures, to be compared only within one run. Writes
bench/results/postgres_http.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from ctr_import import INSTANCE, write_records
from report import write
from serve import AUTH, LUA_GET, LUA_PUT, _family, free_port

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
        store.make_all_answers()  # as a server would, before DescribeContact is measured
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
    parser.add_argument("--http", action="store_true",
                        help="connectlocal serve under wrk, beside pgbench (see above)")
    parser.add_argument("--duration", type=int, default=10, help="--http: seconds a run")
    parser.add_argument("--warm-up", type=int, default=2, help="--http: unmeasured seconds")
    parser.add_argument("--connections", type=int, default=16,
                        help="--http: wrk connections and pgbench clients")
    parser.add_argument("--threads", type=int, default=2, help="--http: wrk/pgbench threads")
    args = parser.parse_args()
    if args.http:
        http_main(args)
        return
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


# ----------------------------------------------------------------------------- --http

# The request scripts and the process helpers are bench/serve.py's.
# pgbench draws integers: the n-th contact's id comes from a small table by its key, inside
# the one statement (so the floor is two key lookups, one round trip, a prepared statement).
PGBENCH_SQL = """\\set n random(1, {count})
SELECT c.doc FROM contacts c WHERE c.account = '{account}' AND c.region = '{region}' AND
  c.instance_id = '{instance}' AND c.contact_id = (SELECT contact_id FROM bench_ids WHERE n = :n);
"""
SHARED_WRITERS = ("walwriter", "checkpointer", "background writer")


def _cpu_of(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _engine_pids(database: str) -> list[int]:
    """The PostgreSQL processes working for ``database``: its backends (their process title
    names it) and the shared writers; not other databases' backends (other work on the
    machine)."""
    found = []
    for pid in _postgres_pids():
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, UnicodeDecodeError):
            continue
        if f" {database} " in title or any(w in title for w in SHARED_WRITERS):
            found.append(pid)
    return found


class CpuWindow:
    """CPU seconds the processes ``pick()`` names use between ``start()`` and ``stop()``,
    sampled every 0.1 s: one that starts inside the window counts whole, one that ends
    inside it up to its last sample (pgbench's backends end with it)."""

    def __init__(self, pick: Callable[[], list[int]]) -> None:
        self._pick = pick
        self._base: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _sample(self) -> None:
        for pid in self._pick():
            cpu = _cpu_of(pid)
            if cpu is not None:
                self._last[pid] = cpu
                self._base.setdefault(pid, 0.0)

    def _watch(self) -> None:
        while not self._done.wait(0.1):
            self._sample()

    def start(self) -> CpuWindow:
        for pid in self._pick():
            cpu = _cpu_of(pid)
            if cpu is not None:
                self._base[pid] = self._last[pid] = cpu
        self._thread.start()
        return self

    def stop(self) -> float:
        self._sample()
        self._done.set()
        self._thread.join()
        return float(sum(self._last[pid] - self._base[pid] for pid in self._last))


@contextmanager
def _serve(data: str, workers: int) -> Iterator[tuple[str, list[int]]]:
    """``connectlocal serve --workers N`` over ``data``: its URL and processes."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "connectlocal.cli", "serve", "--port",
                             str(port), "--data", data, "--workers", str(workers)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"connectlocal serve did not start: {line}{proc.stdout.read()}")
        deadline = time.monotonic() + 15
        while len(_family(proc.pid)) < (workers + 1 if workers > 1 else 1) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        # Forked workers open the store and build the service after listening: ready once
        # their processes have used no CPU for 0.3 s (a run must not measure their start).
        last, idle = -1.0, 0
        while idle < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
            used = sum(_cpu_of(pid) or 0.0 for pid in _family(proc.pid))
            idle, last = (idle + 1 if used == last else 0), used
        yield f"http://127.0.0.1:{port}", _family(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _run_load(command: list[str], warm: list[str] | None, env: dict[str, str],
              pick: Callable[[], list[int]]) -> tuple[str, float]:
    """The load's output and the CPU ``pick()``'s processes used while it ran (after an
    unmeasured warm-up)."""
    if warm:
        subprocess.run(warm, capture_output=True, env={**os.environ, **env}, check=True)
    window = CpuWindow(pick).start()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env},
                          check=True)
    return done.stdout, window.stop()


def _wrk(url: str, script: str, env: dict[str, str], args: argparse.Namespace,
         pick: Callable[[], list[int]]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    load = ["wrk", f"-t{args.threads}", f"-c{args.connections}", "--latency", "-s", lua.name,
            url]
    try:
        out, cpu = _run_load([*load[:3], f"-d{args.duration}s", *load[3:]],
                             [*load[:3], f"-d{args.warm_up}s", *load[3:]] if args.warm_up
                             else None, env, pick)
    finally:
        os.unlink(lua.name)
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    return {"requests": requests, "per_second": rate,
            "cpu_us": cpu / max(requests, 1) * 1e6,
            "p50_ms": (float(p50.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[p50.group(2)]
                       if p50 else float("nan")),
            "errors": int(failed.group(1)) if failed else 0}


def _pgbench(url: str, database: str, count: int, args: argparse.Namespace) -> dict[str, float]:
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("DROP TABLE IF EXISTS bench_ids")
        db.execute("CREATE TABLE bench_ids (n int PRIMARY KEY, contact_id text NOT NULL)")
        found = db.execute("SELECT contact_id FROM contacts WHERE instance_id=%s ORDER BY "
                           "contact_id LIMIT %s", (INSTANCE_ID, count)).fetchall()
        with db.cursor().copy("COPY bench_ids FROM STDIN") as copy:
            for n, (contact_id,) in enumerate(found, 1):
                copy.write_row((n, contact_id))
        db.execute("ANALYZE bench_ids")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SQL.format(count=count, account=SCOPE.account, region=SCOPE.region,
                                        instance=INSTANCE_ID))
    load = ["pgbench", "-n", "-M", "prepared", "-f", script.name, "-c", str(args.connections),
            "-j", str(args.threads)]
    try:
        out, cpu = _run_load([*load, "-T", str(args.duration), url],
                             [*load, "-T", str(args.warm_up), url] if args.warm_up else None,
                             {}, lambda: _engine_pids(database))
    finally:
        os.unlink(script.name)
    requests = int(re.search(r"transactions actually processed: (\d+)",  # type: ignore[union-attr]
                             out).group(1))
    rate = float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    return {"requests": requests, "per_second": rate, "cpu_us": cpu / max(requests, 1) * 1e6,
            "p50_ms": float(latency.group(1)) if latency else float("nan"), "errors": 0}


def http_main(args: argparse.Namespace) -> None:
    for tool in ("wrk", "pgbench"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: apt-get install "
                     f"{'wrk' if tool == 'wrk' else 'postgresql-client'}")
    name = f"connectlocal_bench_{secrets.token_hex(4)}"
    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    pg_url = f"{args.server}/{name}"
    rows: list[dict[str, Any]] = []
    imports: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "ctrs.jsonl"
            write_records(source, args.records, 0.0)
            ids = Path(tmp) / "ids.txt"
            ids.write_text("".join(line.split('"ContactId": "', 1)[1][:36] + "\n"
                                   for line in source.open()))
            for engine, data in (("sqlite", str(Path(tmp) / "bench.db")),
                                 ("postgresql", pg_url)):
                store = open_store(data)
                service = Service(store)
                try:
                    began = time.perf_counter()
                    import_paths(service, [str(source)])
                    imports[engine] = args.records / (time.perf_counter() - began)
                    store.make_all_answers()  # before the servers, which would make them
                    seeded = seed_instance(service, SCOPE, f"bench-{secrets.token_hex(3)}")
                finally:
                    store.close()
                start_body = json.dumps({"InstanceId": seeded["id"], "Name": "bench",
                                         "ContactFlowId": seeded["flows"]["Default inbound"]})
                for workers in (1, 2):
                    with _serve(data, workers) as (url, servers):
                        def pick(servers: list[int] = servers,
                                 engine: str = engine) -> list[int]:
                            return servers + (_engine_pids(name) if engine == "postgresql"
                                              else [])

                        for operation, script, env in (
                                ("DescribeContact", LUA_GET,
                                 {"BENCH_IDS": str(ids), "BENCH_AUTH": AUTH,
                                  "BENCH_PREFIX": f"/contacts/{INSTANCE_ID}/"}),
                                ("StartTaskContact", LUA_PUT,
                                 {"BENCH_AUTH": AUTH, "BENCH_PREFIX": "/contact/task",
                                  "BENCH_BODY": start_body})):
                            print(f"{engine}, {workers} process(es): {operation}", flush=True)
                            rows.append({"store": engine, "processes": workers,
                                         "operation": operation,
                                         **_wrk(url, script, env, args, pick)})
            print("postgresql: pgbench single-row SELECT", flush=True)
            rows.append({"store": "postgresql", "processes": 0, "operation": "pgbench SELECT",
                         **_pgbench(pg_url, name, args.records, args)})
    finally:
        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    floor = rows[-1]["cpu_us"]
    for row in rows:
        row["cpu_over_pgbench"] = row["cpu_us"] / floor if floor else float("nan")
    table = ("| store | server processes | operation | CPU per request | over pgbench's "
             "(CPU) | req/s (shared cores) | p50 | non-2xx |\n|---|---|---|---|---|---|---|---|\n"
             + "\n".join(
                 f"| {r['store']} | {r['processes'] or 'pgbench'} | {r['operation']} | "
                 f"{r['cpu_us']:,.0f} µs | {r['cpu_over_pgbench']:.1f}x | "
                 f"{r['per_second']:,.0f} | {r['p50_ms']:.2f} ms | {r['errors']} |"
                 for r in rows)
             + "\n\n| store | CTR import records/s |\n|---|---|\n"
             + "\n".join(f"| {engine} | {rate:,.0f} |" for engine, rate in imports.items())
             + f"\n\n{args.records:,} contacts; wrk -t{args.threads} -c{args.connections} and "
             f"pgbench -c{args.connections} -j{args.threads}, {args.duration} s a run after "
             f"{args.warm_up} s unmeasured, on {os.cpu_count()} cores shared by the servers, "
             "PostgreSQL and the load: CPU per request is the servers' and this database's "
             "PostgreSQL processes' (backends, WAL writer, checkpointer, background writer) "
             "over the run; rates are shared-core figures, compared within this run only.")
    write("postgres_http", {"when": datetime.now(UTC).isoformat(timespec="seconds"),
                            "connectlocal": __version__, "records": args.records,
                            "duration": args.duration, "connections": args.connections,
                            "cpus": os.cpu_count(), "rows": rows, "import_records_per_second":
                            imports}, table)


if __name__ == "__main__":
    main()
