"""Starts a real ``connectlocal serve`` subprocess on a free port, for end-to-end tests."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

READY = re.compile(r"listening on (http://\S+)")


class ServerProcess:
    def __init__(self, data: str, *extra: str, env: dict[str, str] | None = None) -> None:
        self.data = data
        self.extra = extra
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> ServerProcess:
        cmd = [sys.executable, "-m", "connectlocal.cli", "serve", "--port", "0",
               "--data", self.data, *self.extra]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=self.env)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        found = READY.search(line)
        if not found:
            rest = self.proc.stdout.read() if self.proc.poll() is not None else ""
            raise RuntimeError(f"server did not start: {line}{rest}")
        self.url = found.group(1)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()

    def admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/_connectlocal/{path}", data=data,
                                         method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def set_clock(self, now: str | None) -> None:
        status, body = self.admin("POST", "clock", {"now": now})
        assert status == 200, body


def tmp_db(tmp: Path) -> str:
    return str(tmp / "connect.db")
