"""The ASGI application: Connect API requests to the dispatcher, ``/_connectlocal/`` to admin.

Reads are answered on the event loop (a store read takes microseconds); writes, which wait
for a durable commit, run in a worker thread so one fsync does not stall every reader.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ..dispatch import Dispatcher, HttpRequest
from ..protocol.serializer import Response
from .admin import Admin

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ADMIN_PREFIX = "/_connectlocal/"
SWEEP_SECONDS = 60.0


class App:
    def __init__(self, dispatcher: Dispatcher, sweep_seconds: float = SWEEP_SECONDS) -> None:
        self.dispatcher = dispatcher
        self.admin = Admin(dispatcher)
        self.sweep_seconds = sweep_seconds
        self._sweeper: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1")
        request = HttpRequest(
            method=scope["method"],
            path=path,
            query=scope["query_string"].decode("latin-1"),
            headers={k.decode("latin-1").lower(): v.decode("latin-1")
                     for k, v in scope["headers"]},
            body=b"".join(chunks),
        )
        if path.startswith(ADMIN_PREFIX):
            response = await asyncio.to_thread(self.admin, request)
        elif request.method in ("GET", "HEAD"):
            response = self.dispatcher(request)
        else:
            response = await asyncio.to_thread(self.dispatcher, request)
        await _send(send, response)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._sweeper = asyncio.create_task(self._sweep_forever())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._sweeper is not None:
                    self._sweeper.cancel()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.dispatcher.service.sweep)
            except Exception:
                log.exception("retention sweep failed")
            await asyncio.sleep(self.sweep_seconds)


async def _send(send: Send, response: Response) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
