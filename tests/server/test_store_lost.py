"""A server whose PostgreSQL goes away while it serves: requests are answered
InternalServiceException "store unavailable" (never a hang), health says so, and it serves
again once the database is back. A proxy of the test's own stands between them and is cut."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from ..conftest import client_for, new_instance
from ..errors import expect_error
from ..serverproc import ServerProcess


class Proxy:
    """TCP from a local port to PostgreSQL; ``cut()`` closes every connection and refuses new
    ones (accepts and closes them) until ``restore()``."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.open = False
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def proxied(pg_database: str) -> Iterator[tuple[Proxy, ServerProcess]]:
    parts = urlsplit(pg_database)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    server = ServerProcess(f"postgresql://{parts.username}@127.0.0.1:{proxy.port}"
                           f"{parts.path}?schema=lost").start()
    yield proxy, server
    server.stop()
    proxy.close()


def test_a_lost_database_is_store_unavailable_until_it_is_back(
        proxied: tuple[Proxy, ServerProcess]) -> None:
    proxy, server = proxied
    client = client_for(server.url)
    instance = new_instance(client)
    contact_id = client.start_task_contact(
        InstanceId=instance["id"], Name="kept",
        ContactFlowId=instance["flows"]["Sample task flow"])["ContactId"]
    proxy.cut()
    began = time.monotonic()
    expect_error(client.describe_contact, "InternalServiceException", 500, "store unavailable",
                 InstanceId=instance["id"], ContactId=contact_id)
    expect_error(client.start_task_contact, "InternalServiceException", 500,
                 "store unavailable", InstanceId=instance["id"], Name="lost",
                 ContactFlowId=instance["flows"]["Sample task flow"])
    assert time.monotonic() - began < 15  # answered, not hung
    status, body = server.admin("GET", "health")
    assert status == 503 and body["store"] == "unavailable"
    proxy.restore()
    deadline = time.monotonic() + 20
    while True:
        try:
            described = client.describe_contact(InstanceId=instance["id"],
                                                ContactId=contact_id)["Contact"]
            break
        except client.exceptions.InternalServiceException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert described["Name"] == "kept"
    status, body = server.admin("GET", "health")
    assert status == 200 and body["status"] == "ok"
