"""The floor under DescribeContact on this machine: an HTTP/1.1 protocol on uvloop + httptools
(connectlocal's own transport stack) that answers ``GET /contacts/<instance>/<contact>`` with
one SQLite primary-key lookup in the same store file and the stored document through orjson.
No routing, parsing, validation, caller, retention rules, view or error handling: what is left
of a request when the service does nothing but the lookup. Issue 6 quotes such a handler.

    python bench/bare_server.py STORE PORT WORKERS ACCOUNT REGION
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
import sqlite3
import sys

import httptools
import orjson
import uvloop

from connectlocal.store.sqlite import CONTACT_AND_ATTRIBUTES, READER_CACHE_KIB


class Bare(asyncio.Protocol):
    def __init__(self, db: sqlite3.Connection, scope: tuple[str, str]) -> None:
        self.db, self.scope = db, scope
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_url(self, url: bytes) -> None:
        self.url = url

    def on_message_complete(self) -> None:
        assert self.transport is not None
        _, _, instance, contact = self.url.decode().split("/")
        row = self.db.execute(CONTACT_AND_ATTRIBUTES, (*self.scope, instance, contact)).fetchone()
        if row is None:
            self.transport.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
            return
        body = orjson.dumps({"Contact": orjson.loads(row[0])})
        self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             b"content-length: %d\r\n\r\n%s" % (len(body), body))


def serve(path: str, sock: socket.socket, scope: tuple[str, str]) -> None:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute(f"PRAGMA cache_size=-{READER_CACHE_KIB}")  # connectlocal's reader cache
    gc.collect()
    gc.freeze()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        await loop.create_server(lambda: Bare(db, scope), sock=sock, backlog=2048)
        await asyncio.Event().wait()

    uvloop.run(main())


def main() -> None:
    path, port, workers, account, region = sys.argv[1:6]
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", int(port)))
    sock.listen(2048)
    if int(workers) == 1:
        serve(path, sock, (account, region))
        return
    children = []  # pre-forked, as connectlocal serve --workers does
    for _ in range(int(workers)):
        pid = os.fork()
        if pid == 0:
            serve(path, sock, (account, region))
            os._exit(0)
        children.append(pid)

    def stop(signum: int, _: object) -> None:
        for child in children:
            os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    for child in children:
        os.waitpid(child, 0)


if __name__ == "__main__":
    main()
