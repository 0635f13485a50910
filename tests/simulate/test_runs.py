"""``simulate`` run again into the same store or server adds to the instance and says so; a
simulation ends whatever its probabilities (a chain ends after TransferContact's 11
transfers)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectlocal.handlers.updates import MAX_TRANSFERS
from connectlocal.models import CALLBACK, QUEUE_TRANSFER, TRANSFER, Instance
from connectlocal.simulate import Profile, Simulator
from connectlocal.store import open_store

from ..serverproc import ServerProcess
from .test_end_to_end import _stored

pytestmark = pytest.mark.http_only
END = datetime(2026, 11, 20, 12, tzinfo=UTC)


def simulate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "connectlocal.cli", "simulate", "--quiet",
                           *args], capture_output=True, text=True, timeout=120)


def _said(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("simulated ")]
    return line


def test_the_readme_example_twice_adds_to_its_instance(tmp_path: Path) -> None:
    # The README's example, smaller: no --end, so each run is a period of its own.
    example = ["--days", "0.05", "--agents", "5", "--rate", "200", "--seed", "7"]
    first = simulate(*example, "--data", str(tmp_path / "sim.db"))
    assert "into a new instance simulated-7 (" in _said(first)
    second = simulate(*example, "--data", str(tmp_path / "sim.db"))
    assert "into the existing instance simulated-7 (" in _said(second)
    assert _said(second).endswith(": added")
    instance_id = first.stdout.strip()
    assert second.stdout.strip() == instance_id
    store = open_store(str(tmp_path / "sim.db"))
    try:
        assert store.count_contacts() == _stored(first.stderr) + _stored(second.stderr)
    finally:
        store.close()


def test_the_same_seed_and_period_make_the_same_contacts(tmp_path: Path) -> None:
    same = ["--days", "0.05", "--agents", "3", "--rate", "100", "--seed", "4",
            "--end", END.isoformat(), "--data", str(tmp_path / "sim.db")]
    first, second = simulate(*same), simulate(*same)
    assert _stored(first.stderr) > 0 and _stored(second.stderr) == 0
    assert f"{_stored(first.stderr):,} were stored already" in second.stderr
    assert "existing instance simulated-4" in _said(second)


def test_an_alias_taken_in_another_account_gives_a_fresh_one(tmp_path: Path) -> None:
    data = str(tmp_path / "sim.db")
    common = ["--days", "0.02", "--agents", "2", "--seed", "5", "--data", data]
    elsewhere = simulate(*common, "--account", "111111111111")
    assert "new instance simulated-5 (" in _said(elsewhere)
    here = simulate(*common)
    assert "new instance simulated-5-2 (" in _said(here)
    assert here.stdout != elsewhere.stdout


def test_twice_into_a_running_server(tmp_path: Path) -> None:
    with ServerProcess(str(tmp_path / "remote.db"), "--clock",
                       "2026-11-21T00:00:00Z") as server:
        runs = [simulate("--endpoint", server.url, "--days", "0.05", "--agents", "3",
                         "--seed", "9", "--end", end.isoformat())
                for end in (END, END - timedelta(days=1))]
    assert "into a new instance" in _said(runs[0])
    assert "into the existing instance" in _said(runs[1]) and _said(runs[1]).endswith("added")
    assert runs[0].stdout == runs[1].stdout
    assert _stored(runs[0].stderr) > 0 and _stored(runs[1].stderr) > 0  # both new contacts


def _chains(contacts: list[object]) -> dict[str, int]:
    """Transfers in each chain, by its initial contact."""
    counts: dict[str, int] = {}
    for contact in contacts:
        root = contact.chain_root
        counts.setdefault(root, 0)
        if contact.initiation_method in (TRANSFER, QUEUE_TRANSFER):
            counts[root] += 1
    return counts


def test_every_contact_transferred_still_ends() -> None:
    instance = Instance(id="i-1", arn="arn:aws:connect:us-east-1:123456789012:instance/i-1",
                        identity_management_type="CONNECT_MANAGED", created_time=END,
                        inbound_calls_enabled=True, outbound_calls_enabled=True)
    # Every answered contact is transferred, every customer who gives up asks for a callback,
    # and customers give up at once: without a limit, chains would never end.
    profile = Profile(rate_per_hour=60, transfer_probability=1.0, callback_probability=1.0,
                      patience_seconds=1.0)
    contacts = list(Simulator(instance, "q-1", ["a-1", "a-2"], profile, seed=3).run(
        END - timedelta(hours=6), END))
    chains = _chains(contacts)
    assert chains and max(chains.values()) == MAX_TRANSFERS
    assert any(c.initiation_method == CALLBACK for c in contacts)
    assert all(c.disconnect_timestamp is not None for c in contacts)


def test_transfer_probability_one_from_the_command_line(tmp_path: Path) -> None:
    done = simulate("--transfer-probability", "1.0", "--callback-probability", "1.0",
                    "--days", "0.1", "--agents", "3", "--data", str(tmp_path / "sim.db"))
    assert done.returncode == 0, done.stderr
    store = open_store(str(tmp_path / "sim.db"))
    try:
        assert store.count_contacts() == _stored(done.stderr) > 0
    finally:
        store.close()
