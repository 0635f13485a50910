"""A real ``connectlocal serve`` in a subprocess on a free port, for tests of code that needs
a URL (the AWS CLI, another process); the pytest plugin's ``connectlocal_server`` uses it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from typing import Any

from . import adminclient

READY = re.compile(r"listening on (http://\S+)")


class ServerProcess:
    """``ServerProcess(data).start()``; ``.url``, ``.admin()``, ``.set_clock()``, ``.reset()``,
    ``.stop()``. ``data`` is a SQLite path or ``:memory:``."""

    def __init__(self, data: str, *extra: str, env: dict[str, str] | None = None,
                 admin_token: str | None = None) -> None:
        self.data = data
        self.admin_token = admin_token
        self.extra = (*extra, "--admin-token", admin_token) if admin_token else extra
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
        headers = adminclient.headers(self.admin_token or "")
        request = urllib.request.Request(f"{self.url}/_connectlocal/{path}", data=data,
                                         method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def set_clock(self, now: str | None, ticking: bool = False) -> None:
        status, body = self.admin("POST", "clock", {"now": now, "ticking": ticking})
        if status != 200:
            raise RuntimeError(f"setting the clock failed: {body}")

    def reset(self) -> None:
        status, body = self.admin("POST", "reset")
        if status != 200:
            raise RuntimeError(f"resetting the server failed: {body}")

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
