"""The benchmark harness, end to end at a tiny size: every script runs and writes its results.
It proves the harness works (issue 6 asks CI for that); it asserts no figure."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _bench(script: str, results: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args], capture_output=True, text=True,
        env={**os.environ, "CONNECTLOCAL_BENCH_RESULTS": str(results)}, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    name = {"serve.py": "serve", "ctr_import.py": "ctr_import", "simulate.py": "simulate",
            "mock_calls.py": "mock_calls", "flows.py": "flows", "postgres.py": "postgres",
            "metrics.py": "metrics"}[script]
    if "--http" in args:
        name = "postgres_http"
    elif "--scaling" in args:
        name = "serve_scaling"
    elif "--writes" in args:
        name = "serve_writes"
    assert (results / f"{name}.md").read_text().startswith("|")
    result: dict[str, Any] = json.loads((results / f"{name}.json").read_text())
    return result


def _load_tools_or_skip() -> None:
    """wrk and nginx come from Debian's packages; CI (.ci/run) installs them. A test installs
    nothing: without them the serve harness is skipped, saying so."""
    missing = [t for t in ("wrk", "nginx")
               if shutil.which(t) is None and not Path(f"/usr/sbin/{t}").exists()]
    if missing:
        pytest.skip(f"{' and '.join(missing)} missing: `apt-get install wrk nginx-light` "
                    "(.ci/run does) to run the serve harness")


def test_serve_harness_runs(tmp_path: Path) -> None:
    _load_tools_or_skip()
    tiny = ("--contacts", "300", "--duration", "1", "--warm-up", "0", "--connections", "4",
            "--work", str(tmp_path / "work"))
    served = _bench("serve.py", tmp_path, *tiny, "--no-moto")
    assert {r["server"] for r in served["runs"]} == {"connectlocal", "bare lookup", "nginx"}
    assert all(r["errors"] == 0 for r in served["runs"])
    # Fair by construction: the run says where each side ran, and each server's CPU per
    # request is there to lead the table (a figure, not asserted).
    assert "cores" in served and isinstance(served["pinned"], bool)
    assert all("cpu_us_per_request" in r and r["requests"] > 0 for r in served["runs"])
    scaling = _bench("serve.py", tmp_path, *tiny, "--scaling", "--sizes", "100,300")
    assert [r["contacts"] for r in scaling["rows"]] == [100, 300]
    writes = _bench("serve.py", tmp_path, *tiny, "--writes")
    assert [r["operation"] for r in writes["rows"]] == ["StartTaskContact", "CreateContact"]
    assert all(r["errors"] == 0 for r in writes["rows"])


def test_import_simulate_and_mock_harnesses_run(tmp_path: Path) -> None:
    imported = _bench("ctr_import.py", tmp_path, "--records", "500")
    assert imported["records"] == 500 and imported["counts"]["skipped"] == 0
    simulated = _bench("simulate.py", tmp_path, "--days", "0.2", "--agents", "3")
    assert simulated["contacts"] > 0
    mocked = _bench("mock_calls.py", tmp_path, "--calls", "20", "--rounds", "1")
    assert set(mocked["rounds"]) == {"connectlocal", "moto", "ceiling"}


def test_metrics_harness_runs(tmp_path: Path) -> None:
    measured = _bench("metrics.py", tmp_path, "--contacts", "500", "--agents", "20",
                      "--on-contact", "5", "--rounds", "1")
    assert measured["contacts"] == 500 and len(measured["cases"]) == 5
    assert all({"in_process_ms", "http_ms", "scan_ms"} <= set(row)
               for row in measured["cases"].values())


def test_flows_harness_runs(tmp_path: Path) -> None:
    flows = _bench("flows.py", tmp_path, "--calls", "5", "--rounds", "1")
    assert set(flows["rounds"]) == {"serve_default", "serve_flow", "mock_default", "mock_flow"}


def test_postgres_harness_runs(tmp_path: Path, pg_database: str) -> None:
    server = pg_database.rsplit("/", 1)[0]  # the fixture's server (it makes its own database)
    compared = _bench("postgres.py", tmp_path, "--records", "300", "--seconds", "0.2",
                      "--server", server)
    assert set(compared["results"]) == {"sqlite", "postgresql"}


def test_postgres_http_harness_runs(tmp_path: Path, pg_database: str) -> None:
    missing = [tool for tool in ("wrk", "pgbench") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} missing: `apt-get install wrk postgresql-client` "
                    "(.ci/run installs wrk; pgbench comes with PostgreSQL)")
    server = pg_database.rsplit("/", 1)[0]
    compared = _bench("postgres.py", tmp_path, "--http", "--records", "300", "--duration", "1",
                      "--warm-up", "0", "--connections", "2", "--threads", "1",
                      "--server", server)
    assert [(r["store"], r["processes"], r["operation"]) for r in compared["rows"]] == [
        (store, n, operation) for store in ("sqlite", "postgresql") for n in (1, 2)
        for operation in ("DescribeContact", "StartTaskContact")] + [
        ("postgresql", 0, "pgbench SELECT")]
    assert all(r["errors"] == 0 and r["requests"] > 0 for r in compared["rows"])
    assert set(compared["import_records_per_second"]) == {"sqlite", "postgresql"}
