"""The HTTP/1.1 transport: an asyncio protocol on uvloop, parsing with httptools, answering
with the dispatcher. No web framework in between (bench/README.md measures why).

Reads are answered on the event loop (a store read takes microseconds), together at the end of
the loop turn they arrived in: run back to back, they find the store's pages still in the CPU
caches. Writes, which wait for a durable commit, and admin requests run in worker threads so
one fsync does not stall every reader. Responses go out in request order, pipelined or not.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
import time
from collections import deque
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

import httptools
import orjson

from ..dispatch import Dispatcher, HttpRequest
from ..protocol.serializer import Response
from .admin import Admin

log = logging.getLogger(__name__)

ADMIN_PREFIX = "/_connectlocal/"
SWEEP_SECONDS = 60.0
ROUTING_SECONDS = 1.0  # how often routing's deadlines are looked for between sweeps
MAX_BODY = 10 * 1024 * 1024  # far above any Connect request; refuses a runaway upload
MAX_PIPELINED = 64  # stop reading a connection this many answers behind
_REASONS = {s.value: s.phrase.encode() for s in HTTPStatus}
_STATUS_LINES = {code: b"HTTP/1.1 %d %s\r\n" % (code, reason) for code, reason in _REASONS.items()}


class _Date:
    """The Date header, formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = b""

    def __call__(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._value = formatdate(now, usegmt=True).encode()
        return self._value


def encode_response(response: Response, keep_alive: bool, head: bool, date: bytes) -> bytes:
    parts = [_STATUS_LINES.get(response.status) or b"HTTP/1.1 %d %s\r\n" % (
        response.status, _REASONS.get(response.status, b"Unknown")), b"date: ", date]
    for name, value in response.headers:
        parts.append(f"\r\n{name}: {value}".encode("latin-1"))
    parts.append(b"\r\ncontent-length: %d\r\n" % len(response.body))
    if not keep_alive:
        parts.append(b"connection: close\r\n")
    parts.append(b"\r\n")
    if not head:
        parts.append(response.body)
    return b"".join(parts)


class Handler:
    """What a connection needs: the dispatcher, the admin endpoints, the Date header, and the
    reads waiting to be answered at the end of this turn of the event loop."""

    def __init__(self, dispatcher: Dispatcher, loop: asyncio.AbstractEventLoop) -> None:
        self.dispatcher = dispatcher
        self.admin = Admin(dispatcher)
        self.date = _Date()
        self.loop = loop
        self.batch: list[tuple[Connection, HttpRequest, bool, bool]] = []

    def defer(self, connection: Connection, request: HttpRequest, keep_alive: bool,
              head: bool) -> None:
        """Answers a read once every connection with data in this turn of the loop has been
        read: the reads then run back to back, and their answers go out after them. Between
        two reads the network stack and the rest of a request had pushed the store's B-tree
        pages out of the CPU caches (docs/design/serving.md)."""
        if not self.batch:
            self.loop.call_soon(self.answer_batch)
        self.batch.append((connection, request, keep_alive, head))

    def answer_batch(self) -> None:
        batch, self.batch = self.batch, []
        date, dispatcher = self.date(), self.dispatcher
        answers = []
        for connection, request, keep_alive, head in batch:
            try:
                answers.append((connection, encode_response(dispatcher(request), keep_alive,
                                                            head, date), keep_alive))
            except Exception:  # the dispatcher answers its own failures; this is a last resort
                log.exception("answering a read failed")
                answers.append((connection, encode_response(_internal_error(), False, False,
                                                             date), False))
        for connection, data, keep_alive in answers:
            connection.deferred -= 1
            connection.send(data, keep_alive)

    def routes_to_thread(self, request: HttpRequest) -> Callable[[HttpRequest], Response] | None:
        """The callable a request needs run off the event loop, or None for a loop read."""
        if request.path.startswith(ADMIN_PREFIX):
            return self.admin
        if request.method in ("GET", "HEAD"):
            return None
        return self.dispatcher


class Connection(asyncio.Protocol):
    def __init__(self, handler: Handler, loop: asyncio.AbstractEventLoop) -> None:
        self.handler = handler
        self.loop = loop
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        # Answers in request order (bytes, or a future that will give them), each with whether
        # the connection stays open after it.
        self.queue: deque[tuple[bytes | asyncio.Future[bytes], bool]] = deque()
        self.closing = False
        self.paused = False
        self.deferred = 0  # reads of this connection in the handler's batch
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._size = 0

    # asyncio

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(400, "Upgrade is not supported")
        except httptools.HttpParserError as exc:
            self._fail(400, f"Malformed HTTP request: {exc}")

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        for item, _ in self.queue:
            if isinstance(item, asyncio.Future):
                item.cancel()
        self.queue.clear()

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = {}
        self._body = []
        self._size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        self._headers[key] = f"{self._headers[key]}, {text}" if key in self._headers else text

    def on_headers_complete(self) -> None:
        if self._headers.get("expect", "").lower() == "100-continue" and self.transport:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > MAX_BODY:
            raise httptools.HttpParserError("request body too large")
        self._body.append(body)

    def on_message_complete(self) -> None:
        method = self.parser.get_method().decode("ascii")
        target = self._url.decode("latin-1")
        path, _, query = target.partition("?")
        request = HttpRequest(method, path, query, self._headers, b"".join(self._body))
        keep_alive = self.parser.should_keep_alive()
        head = method == "HEAD"
        offload = self.handler.routes_to_thread(request)
        if offload is None and not self.queue:
            self.deferred += 1
            self.handler.defer(self, request, keep_alive, head)
            return
        if self.deferred:  # what comes after them waits for them
            self.handler.answer_batch()
        # Requests of one connection run in order: one behind a pending write starts when
        # that write is done, so it sees it.
        future: asyncio.Future[bytes] = self.loop.create_future()
        call = offload or self.handler.dispatcher
        behind = self.queue[-1][0] if self.queue else None
        if isinstance(behind, asyncio.Future) and not behind.done():
            behind.add_done_callback(
                lambda _: self._start(future, call, offload is not None, request, keep_alive,
                                      head))
        else:
            self._start(future, call, offload is not None, request, keep_alive, head)
        self.queue.append((future, keep_alive))
        future.add_done_callback(lambda _: self._flush())
        if len(self.queue) >= MAX_PIPELINED and self.transport and not self.paused:
            self.transport.pause_reading()
            self.paused = True

    def _start(self, future: asyncio.Future[bytes], call: Callable[[HttpRequest], Response],
               in_thread: bool, request: HttpRequest, keep_alive: bool, head: bool) -> None:
        if future.cancelled():
            return
        if not in_thread:
            future.set_result(self._answer(call, request, keep_alive, head))
            return
        task = asyncio.ensure_future(asyncio.to_thread(
            self._answer, call, request, keep_alive, head))

        def settle(done: asyncio.Future[bytes]) -> None:
            if future.cancelled():
                return
            if done.cancelled():
                future.cancel()
            elif done.exception() is not None:
                future.set_exception(done.exception())  # type: ignore[arg-type]
            else:
                future.set_result(done.result())

        task.add_done_callback(settle)

    # answering

    def _answer(self, call: Callable[[HttpRequest], Response], request: HttpRequest,
                keep_alive: bool, head: bool) -> bytes:
        return encode_response(call(request), keep_alive, head, self.handler.date())

    def _flush(self) -> None:
        while self.queue:
            first, keep_alive = self.queue[0]
            if isinstance(first, asyncio.Future):
                if not first.done():
                    return
                if first.cancelled():
                    self.queue.popleft()
                    continue
                exc = first.exception()
                if exc is not None:
                    log.error("request failed off the loop", exc_info=exc)
                    data = encode_response(_internal_error(), False, False, self.handler.date())
                    keep_alive = False
                else:
                    data = first.result()
            else:
                data = first
            self.queue.popleft()
            self.send(data, keep_alive)
        if self.paused and self.transport:
            self.transport.resume_reading()
            self.paused = False

    def send(self, data: bytes, keep_alive: bool) -> None:
        if self.transport is None:
            return
        self.transport.write(data)
        if not keep_alive:
            self.transport.close()

    def _fail(self, status: int, message: str) -> None:
        if self.transport is None:
            return
        body = orjson.dumps({"Message": message})
        response = Response(status, [("content-type", "application/json")], body)
        self.transport.write(encode_response(response, False, False, self.handler.date()))
        self.transport.close()


def _internal_error() -> Response:
    return Response(500, [("content-type", "application/json"),
                          ("x-amzn-errortype", "InternalServiceException")],
                    b'{"Message": "connectlocal failed on this request; see the server log"}')


async def serve_forever(dispatcher: Dispatcher, sock: socket.socket,
                        sweep_seconds: float = SWEEP_SECONDS) -> None:
    """Answers on ``sock`` until SIGTERM or SIGINT; sweeps retention every ``sweep_seconds``."""
    loop = asyncio.get_running_loop()
    handler = Handler(dispatcher, loop)
    server = await loop.create_server(lambda: Connection(handler, loop), sock=sock,
                                      backlog=2048)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def sweep() -> None:
        service = dispatcher.service
        swept = float("-inf")
        while True:
            try:
                if loop.time() - swept >= sweep_seconds:
                    swept = loop.time()
                    await asyncio.to_thread(service.sweep)
                else:  # rings time out and wrap-up ends on the second (engine/routing.py)
                    await asyncio.to_thread(service.route_due, service.now())
            except Exception:
                log.exception("retention sweep failed")
            await asyncio.sleep(min(sweep_seconds, ROUTING_SECONDS))

    sweeper = asyncio.create_task(sweep())
    try:
        await stop.wait()
    finally:
        sweeper.cancel()
        server.close()
        await server.wait_closed()


def run(dispatcher: Dispatcher, sock: socket.socket, **options: Any) -> None:
    """Runs the server on uvloop (the asyncio loop where uvloop is missing)."""
    # Everything built so far (the service model, the dispatcher's plans: ~110,000 objects)
    # lives as long as the server: out of the cyclic collector's sight, a collection walks
    # only what requests allocate (15% of a DescribeContact, bench/README.md).
    gc.collect()
    gc.freeze()
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency except on Windows
        asyncio.run(serve_forever(dispatcher, sock, **options))
        return
    uvloop.run(serve_forever(dispatcher, sock, **options))
