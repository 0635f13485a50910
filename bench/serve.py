"""DescribeContact over HTTP under wrk, beside nginx (the ceiling), moto_server (the peer) and a
bare lookup server (bench/bare_server.py: the same store, one SELECT and nothing else: the floor
of this machine), in one run (issues 6 and 20). Also the scaling run and the write paths.

Fair by construction (issue 20): every server gets the same CPU. The machine's cores are cut in
two: the servers run pinned (``taskset``) on the first half, one worker per core each
(connectlocal ``--workers N``, the bare floor N processes, nginx ``worker_processes N``,
moto_server its one process), and wrk on the rest (one thread per core, 64 connections). Server
CPU is read from /proc (utime + stime of the server's processes) over exactly the measured
window, and the report leads with server CPU microseconds per request. A machine that cannot
pin (one core, no taskset) is said so in the output, and no ratio is drawn as if it had been.

    .venv/bin/python bench/serve.py                  # 100,000 contacts, all four servers
    .venv/bin/python bench/serve.py --scaling        # p50 and req/s at 10k and 1M (--huge: 10M)
    .venv/bin/python bench/serve.py --writes         # StartTaskContact and CreateContact req/s

wrk and nginx come from Debian's packages and are installed if missing (apt-get); moto_server
from the ``bench`` extra (``make bench`` installs it). Stores are built once per size under
``--work`` (default /tmp/connectlocal-bench) through the service's bulk path and reused.
Results: bench/results/serve*.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from report import write

from connectlocal import __version__
from connectlocal.bulk import load_contacts, seed_instance
from connectlocal.models import API, TASK, Contact, QueueInfo
from connectlocal.service import Service
from connectlocal.store import open_store
from connectlocal.store.base import Scope
from connectlocal.store.sqlite import PAGE_SIZE, SCHEMA_VERSION

SCOPE = Scope("123456789012", "us-east-1")
# A store kept under --work is reused only when the current code would make the same file.
STORE_FORMAT = f"schema {SCHEMA_VERSION}, {PAGE_SIZE}-byte pages"
AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/connect/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)
LUA_GET = """
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local prefix = os.getenv("BENCH_PREFIX")
local headers = {["Authorization"] = os.getenv("BENCH_AUTH"), ["X-Amz-Date"] = "20261122T000000Z"}
request = function()
  local path = prefix
  if #ids > 0 then path = prefix .. ids[math.random(#ids)] end
  return wrk.format("GET", path, headers)
end
"""
LUA_PUT = """
local headers = {["Authorization"] = os.getenv("BENCH_AUTH"), ["X-Amz-Date"] = "20261122T000000Z",
                 ["Content-Type"] = "application/json"}
local path, body = os.getenv("BENCH_PREFIX"), os.getenv("BENCH_BODY")
request = function() return wrk.format("PUT", path, headers, body) end
"""


@dataclass
class Run:
    server: str
    operation: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_seconds: float
    rss_mb: float
    requests: int = 0
    cpu_us_per_request: float = float("nan")


@dataclass(frozen=True)
class Cores:
    """Where the servers and wrk run: ``server`` and ``load`` are CPU lists for taskset, or
    None each when the machine cannot pin (then ``why`` says so)."""

    server: tuple[int, ...] | None
    load: tuple[int, ...] | None
    why: str = ""

    @property
    def pinned(self) -> bool:
        return self.server is not None

    @property
    def workers(self) -> int:
        return len(self.server) if self.server else 1

    @property
    def threads(self) -> int:
        return len(self.load) if self.load else 1

    def server_cmd(self, cmd: list[str]) -> list[str]:
        return _pin(self.server, cmd)

    def load_cmd(self, cmd: list[str]) -> list[str]:
        return _pin(self.load, cmd)

    def describe(self) -> str:
        if not self.pinned:
            return f"not pinned ({self.why}): servers and wrk share the cores"
        return (f"servers on CPU {_cpu_list(self.server)}, {self.workers} worker(s) each; "
                f"wrk on CPU {_cpu_list(self.load)}, {self.threads} thread(s)")


def _pin(cpus: tuple[int, ...] | None, cmd: list[str]) -> list[str]:
    return ["taskset", "-c", _cpu_list(cpus), *cmd] if cpus else cmd


def _cpu_list(cpus: tuple[int, ...] | None) -> str:
    return ",".join(str(c) for c in cpus or ())


def plan_cores() -> Cores:
    """The first half of the cores this process may use for the servers, the rest for wrk."""
    try:
        usable = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return Cores(None, None, "no CPU affinity on this platform")
    if shutil.which("taskset") is None:
        return Cores(None, None, "taskset is missing")
    if len(usable) < 2:
        return Cores(None, None, f"{len(usable)} core")
    half = len(usable) // 2
    return Cores(tuple(usable[:half]), tuple(usable[half:]))


# ----------------------------------------------------------------------------- tools


def ensure_tools(need_moto: bool) -> None:
    missing = [pkg for tool, pkg in (("wrk", "wrk"), ("nginx", "nginx-light"))
               if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists()]
    if missing:
        print(f"installing {', '.join(missing)} (apt-get)")
        subprocess.run(["apt-get", "install", "-y", "-q", *missing], check=True,
                       stdout=subprocess.DEVNULL)
    if need_moto and _moto_server() is None:
        sys.exit("moto_server is missing: `make bench` installs the bench extra")


def _moto_server() -> str | None:
    local = Path(sys.executable).with_name("moto_server")
    return str(local) if local.exists() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def _cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the processes, with their waited-for children's (cutime, cstime)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        except FileNotFoundError:
            pass
    return total / ticks


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def _await_workers(pid: int, workers: int) -> None:
    """A pre-forking server listens before it forks: wait for its workers, so that their CPU
    time and RSS are counted."""
    deadline = time.time() + 10
    while workers > 1 and len(_family(pid)) <= workers and time.time() < deadline:
        time.sleep(0.05)


def _family(pid: int) -> list[int]:
    """The process and its descendants (nginx's and the pre-forked servers' workers)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = task / "children"
        try:
            for child in children.read_text().split():
                found += _family(int(child))
        except (FileNotFoundError, ProcessLookupError):
            pass
    return list(dict.fromkeys(found))


# ----------------------------------------------------------------------------- load


def wrk(url: str, script: str, env: dict[str, str], args: argparse.Namespace,
        pids: list[int], server: str, operation: str) -> Run:
    cores: Cores = args.cores
    threads = args.threads or cores.threads
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    try:
        # Unmeasured first: every server starts measured in its steady state (caches filled,
        # lazy set-up done).
        if args.warm_up:
            subprocess.run(cores.load_cmd(["wrk", f"-t{threads}", f"-c{args.connections}",
                                           f"-d{args.warm_up}s", "-s", lua.name, url]),
                           capture_output=True, env={**os.environ, **env}, check=True)
        # The server's CPU over exactly wrk's window: read just before wrk starts and as soon
        # as it ends (the server is idle outside it).
        before = _cpu_seconds(pids)
        done = subprocess.run(
            cores.load_cmd(["wrk", f"-t{threads}", f"-c{args.connections}",
                            f"-d{args.duration}s", "--latency", "-s", lua.name, url]),
            capture_output=True, text=True, env={**os.environ, **env}, check=True)
        cpu = _cpu_seconds(pids) - before
    finally:
        os.unlink(lua.name)
    out = done.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    count = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: .*", out)
    if socket_errors:
        print("  wrk:", socket_errors.group(0))
    return Run(server, operation, rate, _percentile(out, "50%"), _percentile(out, "99%"),
               int(errors.group(1)) if errors else 0, cpu, _rss_mb(pids), count,
               cpu * 1e6 / count if count and cpu else float("nan"))


def _percentile(out: str, which: str) -> float:
    found = re.search(rf"^\s+{re.escape(which)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if found is None:
        return float("nan")
    value, unit = float(found.group(1)), found.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


# ----------------------------------------------------------------------------- stores


def build_store(path: Path, contacts: int) -> dict[str, Any]:
    """A store with one instance and ``contacts`` contacts, made through the bulk path."""
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        cached: dict[str, Any] = json.loads(meta.read_text())
        if cached.get("format") == STORE_FORMAT:
            return cached
        print(f"rebuilding {path}: made by an older store format")
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    print(f"building a store of {contacts:,} contacts in {path}")
    service = Service(open_store(str(path)))
    seeded = seed_instance(service, SCOPE, f"bench-{contacts}")
    queue = seeded["queues"]["BasicQueue"]
    rng = random.Random(contacts)
    now = datetime.now(UTC)
    base = f"{seeded['arn']}/contact/"
    sample: list[str] = []

    def generate() -> Iterator[Contact]:
        for n in range(contacts):
            contact_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            if n % max(1, contacts // 10_000) == 0:
                sample.append(contact_id)
            started = now - timedelta(seconds=rng.uniform(60, 60 * 86400))
            yield Contact(id=contact_id, arn=base + contact_id, instance_id=seeded["id"],
                          channel=TASK, initiation_method=API, initiation_timestamp=started,
                          last_update_timestamp=started, contact_association_id=contact_id,
                          name=f"bench task {n}", queue=QueueInfo(queue, started))

    started_at = time.perf_counter()
    loaded = load_contacts(service, SCOPE, seeded["id"], generate())
    seconds = time.perf_counter() - started_at
    # The stored DescribeContact answers a server would make in the background (while being
    # measured): made here, outside the load's time.
    service.store.make_all_answers()
    service.store.close()
    # Fold the WAL into the file, so the size is the store's.
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ids = path.with_suffix(".ids")
    ids.write_text("\n".join(sample) + "\n")
    info = {"format": STORE_FORMAT,
            "instance": seeded["id"], "flow": seeded["flows"]["Default inbound"],
            "contacts": loaded.stored, "ids": str(ids), "load_seconds": seconds,
            "bytes": _size(path), "bytes_per_contact": _size(path) / loaded.stored}
    meta.write_text(json.dumps(info))
    print(f"  {loaded.stored:,} contacts in {seconds:.1f} s "
          f"({loaded.stored / seconds:,.0f}/s), {info['bytes_per_contact']:.0f} bytes each")
    return info


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


# ----------------------------------------------------------------------------- servers


@contextmanager
def _process(cmd: list[str], port: int, cores: Cores) -> Iterator[tuple[str, int]]:
    """A server process answering on ``port`` on the servers' cores, stopped when the block
    ends. taskset execs the server, so the pid is the server's."""
    proc = subprocess.Popen(cores.server_cmd(cmd), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        _wait_port(port)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _warm(path: Path) -> None:
    """Reads the store's files once, so that the OS page cache holds them as it would for a
    server that has been answering for a while (random DescribeContacts over 10,000,000
    contacts touch all 11 GB; the machine has the memory). Without it a store just built
    measures the disk: its build pushed parts of it out of the cache."""
    for part in sorted(path.parent.glob(path.name + "*")):
        with part.open("rb") as handle:
            while handle.read(1 << 23):
                pass


@contextmanager
def connectlocal(data: Path | str, cores: Cores,
                 extra: tuple[str, ...] = ()) -> Iterator[tuple[str, int]]:
    if data != ":memory:":
        _warm(Path(data))
    port = free_port()
    workers = _workers(extra, cores.workers)
    if not any(a == "--workers" or a.startswith("--workers=") for a in extra):
        extra = ("--workers", str(workers), *extra)
    with _process([sys.executable, "-m", "connectlocal.cli", "serve", "--port", str(port),
                   "--data", str(data), *extra], port, cores) as (url, pid):
        _await_workers(pid, workers)
        yield url, pid


@contextmanager
def bare(data: Path, workers: int, cores: Cores) -> Iterator[tuple[str, int]]:
    """bench/bare_server.py: one lookup per request and nothing else, on the same store."""
    _warm(data)
    port = free_port()
    with _process([sys.executable, str(Path(__file__).with_name("bare_server.py")), str(data),
                   str(port), str(workers), *SCOPE], port, cores) as (url, pid):
        _await_workers(pid, workers)
        yield url, pid


def _workers(serve_args: Sequence[str], default: int) -> int:
    """The worker processes ``connectlocal serve`` is given (--workers N, else one per core of
    the servers' half)."""
    for n, arg in enumerate(serve_args):
        if arg == "--workers" and n + 1 < len(serve_args):
            return int(serve_args[n + 1])
        if arg.startswith("--workers="):
            return int(arg.split("=", 1)[1])
    return default


@contextmanager
def nginx(body: bytes, workers: int, cores: Cores) -> Iterator[tuple[str, int]]:
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    root.chmod(0o755)  # nginx's workers run as an unprivileged user
    (root / "contact.json").write_bytes(body)
    (root / "contact.json").chmod(0o644)
    conf = root / "nginx.conf"
    conf.write_text(f"""
worker_processes {workers};
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  default_type application/json;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    location / {{ root {root}; try_files /contact.json =404; }}
  }}
}}
""")
    try:
        with _process(["nginx", "-c", str(conf), "-p", str(root)], port, cores) as running:
            yield running
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def moto(cores: Cores) -> Iterator[tuple[str, int]]:
    port = free_port()
    with _process([_moto_server() or "moto_server", "-p", str(port)], port, cores) as running:
        yield running


def _describe_body(url: str, info: dict[str, Any]) -> bytes:
    import urllib.request

    contact = Path(info["ids"]).read_text().split()[0]
    request = urllib.request.Request(f"{url}/contacts/{info['instance']}/{contact}",
                                     headers={"Authorization": AUTH})
    with urllib.request.urlopen(request) as response:
        return response.read()  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------- runs


def main_run(args: argparse.Namespace) -> dict[str, Any]:
    store = Path(args.work) / f"contacts-{args.contacts}.db"
    info = build_store(store, args.contacts)
    env = {"BENCH_IDS": info["ids"], "BENCH_AUTH": AUTH,
           "BENCH_PREFIX": f"/contacts/{info['instance']}/"}
    cores: Cores = args.cores
    workers = _workers(args.serve_args, cores.workers)
    runs: list[Run] = []
    with connectlocal(store, cores, tuple(args.serve_args)) as (url, pid):
        body = _describe_body(url, info)
        print(f"connectlocal DescribeContact ({len(body)} bytes)")
        runs.append(wrk(url, LUA_GET, env, args, _family(pid), "connectlocal",
                        "DescribeContact"))
    with bare(store, workers, cores) as (url, pid):
        print(f"bare lookup server ({workers} worker{'s' if workers > 1 else ''}): the floor")
        runs.append(wrk(url, LUA_GET, env, args, _family(pid), "bare lookup",
                        "one SELECT, orjson"))
    with nginx(body, workers, cores) as (url, pid):
        print("nginx static file of the same size")
        empty = Path(args.work) / "no-ids"
        empty.write_text("")
        runs.append(wrk(url, LUA_GET, {**env, "BENCH_IDS": str(empty), "BENCH_PREFIX": "/"},
                        args, _family(pid), "nginx", "static file"))
    if not args.no_moto:
        with moto(cores) as (url, pid):
            import boto3

            client = boto3.client("connect", endpoint_url=url, region_name="us-east-1",
                                  aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x")
            instance = client.create_instance(
                IdentityManagementType="CONNECT_MANAGED", InstanceAlias="bench",
                InboundCallsEnabled=True, OutboundCallsEnabled=True)["Id"]
            print("moto_server DescribeInstance")
            empty = Path(args.work) / "no-ids"
            runs.append(wrk(url, LUA_GET, {**env, "BENCH_IDS": str(empty),
                                           "BENCH_PREFIX": f"/instance/{instance}"},
                            args, _family(pid), "moto_server", "DescribeInstance"))
    ours = runs[0]
    by = {r.server: r for r in runs}
    return {
        "contacts": info["contacts"], "bytes_per_contact": info["bytes_per_contact"],
        "response_bytes": len(body), "runs": [asdict(r) for r in runs],
        "pinned": cores.pinned, "cores": cores.describe(), "workers": workers,
        # CPU per request: ours over the floor's (issue 20 asks for at most 1.3x).
        "cpu_ratio_to_bare": ours.cpu_us_per_request / by["bare lookup"].cpu_us_per_request,
        "ratio_to_nginx": ours.requests_per_second / by["nginx"].requests_per_second,
        "ratio_to_bare": ours.requests_per_second / by["bare lookup"].requests_per_second,
        "ratio_to_moto": (ours.requests_per_second / by["moto_server"].requests_per_second
                          if "moto_server" in by else None),
    }


def scaling_run(args: argparse.Namespace) -> dict[str, Any]:
    sizes = [int(n) for n in args.sizes.split(",")] + ([10_000_000] if args.huge else [])
    rows = []
    for size in sizes:
        path = Path(args.work) / f"contacts-{size}.db"
        info = build_store(path, size)
        env = {"BENCH_IDS": info["ids"], "BENCH_AUTH": AUTH,
               "BENCH_PREFIX": f"/contacts/{info['instance']}/"}
        with connectlocal(path, args.cores, tuple(args.serve_args)) as (url, pid):
            print(f"connectlocal DescribeContact, {size:,} contacts")
            run = wrk(url, LUA_GET, env, args, _family(pid), "connectlocal", "DescribeContact")
        rows.append({"contacts": size, "bytes_per_contact": info["bytes_per_contact"],
                     "store_bytes": info["bytes"], "load_per_second":
                     info["contacts"] / info["load_seconds"], **asdict(run)})
    smallest = rows[0]["p50_ms"]
    # wrk reports 0.00us for a run too short to time (the smoke test's tiny sizes): no ratio.
    ratio = rows[-1]["p50_ms"] / smallest if smallest else float("nan")
    return {"rows": rows, "p50_ratio_largest_to_smallest": ratio, "cores": args.cores.describe()}


def writes_run(args: argparse.Namespace) -> dict[str, Any]:
    rows = []
    for operation, path, body in (
            ("StartTaskContact", "/contact/task", {"Name": "bench"}),
            ("CreateContact", "/contact/create-contact",
             {"Channel": "TASK", "InitiationMethod": "API", "Name": "bench"})):
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "w.db"
            service = Service(open_store(str(data)))
            seeded = seed_instance(service, SCOPE, "bench-writes")
            service.store.close()
            document = {"InstanceId": seeded["id"], **body}
            if operation == "StartTaskContact":
                document["ContactFlowId"] = seeded["flows"]["Default inbound"]
            with connectlocal(data, args.cores, tuple(args.serve_args)) as (url, pid):
                print(f"connectlocal {operation} (a durable write each)")
                run = wrk(url, LUA_PUT, {"BENCH_AUTH": AUTH, "BENCH_PREFIX": path,
                                         "BENCH_BODY": json.dumps(document)},
                          args, _family(pid), "connectlocal", operation)
            rows.append(asdict(run))
    return {"rows": rows, "cores": args.cores.describe()}


def _table(result: dict[str, Any], kind: str) -> str:
    if kind == "serve":
        lines = ["| server | operation | server CPU µs/request | req/s | p50 ms | p99 ms | "
                 "non-2xx | server CPU s | RSS MB |", "|---|---|---|---|---|---|---|---|---|"]
        for r in result["runs"]:
            lines.append(f"| {r['server']} | {r['operation']} | "
                         f"{r['cpu_us_per_request']:.1f} | {r['requests_per_second']:,.0f} "
                         f"| {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} | "
                         f"{r['cpu_seconds']:.1f} | {r['rss_mb']:.0f} |")
        moto_ratio = result["ratio_to_moto"]
        cpu_ratio = result["cpu_ratio_to_bare"]
        ratios = (f"connectlocal / bare lookup, CPU per request **{cpu_ratio:.2f}x**"
                  f" (req/s {result['ratio_to_bare']:.2f}x); connectlocal / nginx req/s "
                  f"**{result['ratio_to_nginx']:.2f}x**"
                  + (f", connectlocal / moto req/s **{moto_ratio:.0f}x**" if moto_ratio else ""))
        if not result["pinned"]:
            ratios = ("no ratio of req/s is drawn: the servers were not pinned and shared their "
                      "cores with wrk (CPU per request: connectlocal / bare lookup "
                      f"{cpu_ratio:.2f}x)")
        lines += ["", f"{result['contacts']:,} contacts stored ({result['bytes_per_contact']:.0f}"
                  f" bytes each); response {result['response_bytes']} bytes; "
                  f"{result['cores']}.", "", ratios + "."]
        return "\n".join(lines)
    if kind == "scaling":
        lines = ["| contacts | server CPU µs/request | req/s | p50 ms | p99 ms | bytes/contact | "
                 "bulk load/s | RSS MB |", "|---|---|---|---|---|---|---|---|"]
        for r in result["rows"]:
            lines.append(f"| {r['contacts']:,} | {r['cpu_us_per_request']:.1f} | "
                         f"{r['requests_per_second']:,.0f} | "
                         f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['bytes_per_contact']:.0f} "
                         f"| {r['load_per_second']:,.0f} | {r['rss_mb']:.0f} |")
        lines += ["", f"p50 at the largest / p50 at the smallest: "
                  f"**{result['p50_ratio_largest_to_smallest']:.2f}x**; {result['cores']}."]
        return "\n".join(lines)
    lines = ["| operation | server CPU µs/request | req/s | p50 ms | p99 ms | non-2xx |",
             "|---|---|---|---|---|---|"]
    for r in result["rows"]:
        lines.append(f"| {r['operation']} | {r['cpu_us_per_request']:.0f} | "
                     f"{r['requests_per_second']:,.0f} | {r['p50_ms']:.2f} "
                     f"| {r['p99_ms']:.2f} | {r['errors']} |")
    lines += ["", f"{result['cores']}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=0,
                        help="wrk threads (default: one per core of wrk's half)")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(),
                                                       "connectlocal-bench"))
    parser.add_argument("--warm-up", type=int, default=3,
                        help="seconds of unmeasured load before each measured run")
    parser.add_argument("--scaling", action="store_true")
    parser.add_argument("--sizes", default="10000,100000",
                        help="contacts stored in each --scaling run, comma-separated")
    parser.add_argument("--huge", action="store_true", help="add 10M contacts to --scaling")
    parser.add_argument("--writes", action="store_true")
    parser.add_argument("--no-moto", action="store_true")
    parser.add_argument("--serve-args", nargs=argparse.REMAINDER, default=[],
                        help="extra arguments for connectlocal serve (last)")
    args = parser.parse_args()
    Path(args.work).mkdir(parents=True, exist_ok=True)
    args.cores = plan_cores()
    print(args.cores.describe())
    ensure_tools(need_moto=not (args.no_moto or args.scaling or args.writes))
    kind = "scaling" if args.scaling else "writes" if args.writes else "serve"
    result = (scaling_run if args.scaling else writes_run if args.writes else main_run)(args)
    result["meta"] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "connectlocal": __version__, "python": platform.python_version(),
        "cpus": os.cpu_count(), "cores": args.cores.describe(),
        "wrk": f"-t{args.threads or args.cores.threads} -c{args.connections} "
               f"-d{args.duration}s", "serve_args": args.serve_args}
    name = {"serve": "serve", "scaling": "serve_scaling", "writes": "serve_writes"}[kind]
    write(name, result, _table(result, kind))


if __name__ == "__main__":
    main()
