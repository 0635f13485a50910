"""serve --workers: several processes answering on one port over one store."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from ..conftest import client_for, new_instance
from ..serverproc import ServerProcess


def test_workers_share_one_store(tmp_path: Path) -> None:
    server = ServerProcess(str(tmp_path / "w.db"), "--workers", "2").start()
    try:
        made = []
        for n in range(12):  # a new connection each: the kernel spreads them over workers
            client = client_for(server.url)
            instance = new_instance(client)
            task = client.start_task_contact(
                InstanceId=instance["id"], Name=f"w{n}",
                ContactFlowId=instance["flows"]["Default inbound"])["ContactId"]
            made.append((instance["id"], task))
        for instance_id, task in made:
            reader = client_for(server.url)
            contact = reader.describe_contact(InstanceId=instance_id, ContactId=task)["Contact"]
            assert contact["Id"] == task
        # A clock set through one worker reaches the others within their re-check interval.
        server.set_clock("2025-03-03T03:03:03Z")
        time.sleep(0.3)
        seen = {server.admin("GET", "clock")[1]["now"] for _ in range(10)}
        assert seen == {"2025-03-03T03:03:03.000Z"}
    finally:
        server.stop()
    url = urlparse(server.url)
    with socket.socket() as probe:  # every worker is gone with the parent
        assert probe.connect_ex((url.hostname, url.port)) != 0


def test_workers_need_a_file_store() -> None:
    done = subprocess.run([sys.executable, "-m", "connectlocal.cli", "serve", "--port", "0",
                           "--data", ":memory:", "--workers", "2"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "more than 1 needs a file store" in done.stderr
