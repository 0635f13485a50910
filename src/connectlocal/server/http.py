"""The HTTP/1.1 transport: an asyncio protocol on uvloop, parsing with httptools, answering
with the dispatcher. No web framework in between (bench/README.md measures why).

Reads are answered on the event loop (a store read takes microseconds), together at the end of
the loop turn they arrived in: run back to back, they find the store's pages still in the CPU
caches. Writes, which wait for a durable commit, and admin requests run in worker threads so
one fsync does not stall every reader. Responses go out in request order, pipelined or not.

A connection stops reading at the first request it cannot take (malformed, over a limit, too
slow) or after one that asks to close; what it owes before that is answered first, then the
refusal, then it closes (docs/design/serving.md: timeouts, limits and why each).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import os
import platform
import signal
import socket
import time
from collections import deque
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, NamedTuple

import httptools
import orjson

from ..dispatch import Dispatcher, HttpRequest
from ..protocol.serializer import Response
from .admin import Admin
from .process import stop_requested

log = logging.getLogger(__name__)

ADMIN_PREFIX = "/_connectlocal/"
SWEEP_SECONDS = 60.0
SHUTDOWN_GRACE = 5.0  # seconds a stopping server waits for the answers it owes
DEADLINE_SECONDS = 1.0  # how often flows' and routing's deadlines are looked for
ANSWERS_SECONDS = 1.0  # how often stored answers left pending by bulk loads are looked for
MAX_BODY = 10 * 1024 * 1024  # far above any Connect request; refuses a runaway upload
MAX_TARGET = 16 * 1024  # the request target (path and query): 414 beyond
MAX_HEAD = 64 * 1024  # the request line and header fields together: 431 beyond
MAX_HEADERS = 100  # header fields in one request: 431 beyond
MAX_PIPELINED = 64  # stop reading a connection this many answers behind
LINGER_QUIET = 2.0  # after closing its side, read and drop until the client is this quiet...
LINGER_MAX = 30.0  # ... or this long has passed
M_MMAP_THRESHOLD = -3  # <malloc.h>
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_REASONS = {s.value: s.phrase.encode() for s in HTTPStatus}
# Header field names as received → their lower-case text: clients send the same few names
# in every request. Bounded: a client inventing names fills it once, then they are decoded.
_HEADER_NAMES: dict[bytes, str] = {}
MAX_NAMES_KEPT = 512
_METHODS = {m.encode(): m for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")}
_STATUS_LINES = {code: b"HTTP/1.1 %d %s\r\n" % (code, reason) for code, reason in _REASONS.items()}


class Timeouts(NamedTuple):
    """Seconds a connection may take (docs/design/serving.md says why these defaults)."""

    head: float = 10.0  # from a connection's opening or a request's first byte to its blank line
    body: float = 30.0  # from the end of the head to the last byte of the body
    keep_alive: float = 5.0  # from the last answer to the next request's first byte


DEFAULT_TIMEOUTS = Timeouts()


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
    """What a connection needs: the dispatcher, the admin endpoints, the Date header, the
    reads waiting to be answered at the end of this turn of the event loop, and the open
    connections, whose deadlines it checks every ``tick`` seconds."""

    def __init__(self, dispatcher: Dispatcher, loop: asyncio.AbstractEventLoop,
                 timeouts: Timeouts = DEFAULT_TIMEOUTS) -> None:
        self.dispatcher = dispatcher
        self.admin = Admin(dispatcher)
        self.date = _Date()
        self.loop = loop
        self.timeouts = timeouts
        self.batch: list[tuple[Connection, HttpRequest, bool, bool]] = []
        self.connections: set[Connection] = set()
        # Deadlines are set from this coarse clock (read once per batch and per tick, not per
        # request) and checked a tick late, so none fires early.
        self.tick = min(1.0, max(0.01, min(timeouts) / 4))
        self.now = loop.time()
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._timer = self.loop.call_later(self.tick, self.expire)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def expire(self) -> None:
        """Acts on every connection whose deadline (and one tick more) has passed."""
        self.now = now = self.loop.time()
        late = now - self.tick
        for connection in [c for c in self.connections if 0.0 < c.deadline <= late]:
            connection.expire()
        self._timer = self.loop.call_later(self.tick, self.expire)

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
        if not batch:
            return
        self.now = self.loop.time()
        date, dispatcher = self.date(), self.dispatcher
        answers = []
        for connection, request, keep_alive, head in batch:
            try:
                response = dispatcher(request)
                answers.append((connection, encode_response(response, keep_alive, head, date),
                                keep_alive, response.delay))
            except Exception:  # the dispatcher answers its own failures; this is a last resort
                log.exception("answering a read failed")
                answers.append((connection, encode_response(_internal_error(), False, False,
                                                             date), False, 0.0))
        for connection, data, keep_alive, delay in answers:
            connection.deferred -= 1
            if delay or connection.queue:  # held back, or behind one that is: in order
                connection.hold(data, keep_alive, delay)
            else:
                connection.send(data, keep_alive)

    def routes_to_thread(self, request: HttpRequest) -> Callable[[HttpRequest], Response] | None:
        """The callable a request needs run off the event loop, or None for a loop read."""
        if request.path.startswith(ADMIN_PREFIX):
            return self.admin
        if request.method in ("GET", "HEAD"):
            return None
        return self.dispatcher


class _Refused(Exception):
    """Raised in a parser callback to stop parsing: the connection has queued its refusal."""


class Connection(asyncio.Protocol):
    """One client connection: requests parsed as they arrive and answered in order, until one
    it cannot take or one that asks to close (the module's docstring)."""

    def __init__(self, handler: Handler, loop: asyncio.AbstractEventLoop) -> None:
        self.handler = handler
        self.timeouts = handler.timeouts
        self.loop = loop
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        # Answers in request order (bytes, or a future that will give them), each with whether
        # the connection stays open after it.
        self.queue: deque[tuple[bytes | asyncio.Future[bytes], bool]] = deque()
        self.closing = False  # reads no more requests: answers what it owes, then closes
        self._close_after = False  # closes once it owes no answer (else: at a closing answer)
        self.paused = False
        self.deferred = 0  # reads of this connection in the handler's batch
        self.deadline = 0.0  # loop time at which ``expire`` acts; 0: none
        self.lingering = False  # its side closed, reading and dropping until the client closes
        self._in_message = False
        self._reading_head = True  # between two requests or in a request's head
        self._room = MAX_HEAD  # bytes a head may still take before it is refused
        self._peer_done = False
        self._linger_end = 0.0
        self._url = b""
        self._headers: dict[str, str] = {}
        self._count = self._head_size = 0
        self._host_twice = False
        self._body: list[bytes] = []
        self._size = 0

    # asyncio

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.handler.connections.add(self)
        self.deadline = self.handler.now + self.handler.timeouts.head

    def data_received(self, data: bytes) -> None:
        if self.closing:  # what follows a refused or closing request is read and dropped
            if self.lingering:
                self.deadline = min(self.handler.now + LINGER_QUIET, self._linger_end)
            return
        try:
            if not self._reading_head:
                self.parser.feed_data(data)
            elif len(data) <= self._room:
                self._room -= len(data)
                self.parser.feed_data(data)
            else:
                self._feed_head(data)
        except httptools.HttpParserUpgrade:
            # RFC 9110 §7.8: a server may ignore Upgrade; the request was answered as an
            # ordinary one, and the connection closes after it.
            self.close_when_answered()
        except httptools.HttpParserError as exc:
            if not self.closing:
                self._refuse(400, f"Malformed HTTP request: {exc}")

    def _feed_head(self, data: bytes) -> None:
        """Feeds a head in pieces no larger than the room it has left, so that a head over the
        limit is refused after at most MAX_HEAD bytes instead of being buffered whole (the
        parser collects each header field in memory)."""
        view = memoryview(data)
        while view and not self.closing:
            if not self._reading_head:
                self.parser.feed_data(view)
                return
            if self._room <= 0:
                self._refuse(431, f"Request header section larger than {MAX_HEAD} bytes")
                return
            piece, view = view[:self._room], view[self._room:]
            self._room -= len(piece)
            self.parser.feed_data(piece)

    def eof_received(self) -> bool:
        # The client sent all it will (a half-close): answer what it asked, then close.
        self._peer_done = True
        if self.lingering:
            return False
        self.closing = self._close_after = True
        return bool(self.queue or self.deferred)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.deadline = 0.0
        # The parser and this protocol hold each other: until the cyclic collector comes by,
        # only the connection's small state stays, not a body cut short.
        self._body = []
        self._headers = {}
        self.handler.connections.discard(self)
        for item, _ in self.queue:
            if isinstance(item, asyncio.Future):
                item.cancel()
        self.queue.clear()

    def expire(self) -> None:
        """The deadline passed: an idle connection closes; a request still arriving is
        answered 408 after the answers owed before it (RFC 9110 §15.5.9)."""
        self.deadline = 0.0
        if self.closing or not self._in_message:
            if self.transport is not None:
                self.transport.close()
        elif self._reading_head:
            self._refuse(408, f"The request head did not arrive within {self.timeouts.head:g} s")
        else:
            self._refuse(408, f"The request body did not arrive within {self.timeouts.body:g} s")

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._in_message = True
        self.deadline = self.handler.now + self.timeouts.head
        self._url = b""
        self._headers = {}
        self._count = self._head_size = 0
        self._size = 0  # the body list was emptied when the last request was taken

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > MAX_TARGET:
            self._refuse(414, f"Request target longer than {MAX_TARGET} bytes")
            raise _Refused

    def on_header(self, name: bytes, value: bytes) -> None:
        key = _HEADER_NAMES.get(name)
        if key is None:
            key = name.decode("latin-1").lower()
            if len(_HEADER_NAMES) < MAX_NAMES_KEPT:
                _HEADER_NAMES[name] = key
        text = value.decode("latin-1")
        self._count += 1
        self._head_size += len(name) + len(value)
        if key in self._headers:
            self._headers[key] = f"{self._headers[key]}, {text}"
            self._host_twice = self._host_twice or key == "host"
        else:
            self._headers[key] = text
        if self._count > MAX_HEADERS:
            self._refuse(431, f"More than {MAX_HEADERS} header fields")
            raise _Refused
        if self._head_size > MAX_HEAD:  # a head that came in one read with a body before it
            self._refuse(431, f"Request header section larger than {MAX_HEAD} bytes")
            raise _Refused

    def on_headers_complete(self) -> None:
        self._reading_head = False
        headers = self._headers
        if ("host" not in headers or self._host_twice) and (
                self._host_twice or self.parser.get_http_version() == "1.1"):
            # RFC 9112 §3.2: exactly one Host in an HTTP/1.1 request, or a 400.
            self._refuse(400, "An HTTP/1.1 request needs exactly one Host header")
            raise _Refused
        length = headers.get("content-length")
        if length is not None and int(length) > MAX_BODY:
            self._refuse(413, f"Request body of {int(length)} bytes is over the limit of "
                              f"{MAX_BODY} bytes ({MAX_BODY // 2**20} MiB)")
            raise _Refused
        if length is None and "transfer-encoding" not in headers:
            return  # no body: the request is complete
        self.deadline = self.handler.now + self.timeouts.body
        if length != "0" and headers.get("expect", "").lower() == "100-continue":
            # The body will be read: ask for it, after any answer owed before this request.
            self._answer_in_order(CONTINUE, True)

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > MAX_BODY:  # a chunked body: its length shows as it arrives
            self._refuse(413, f"Request body is over the limit of {MAX_BODY} bytes "
                              f"({MAX_BODY // 2**20} MiB)")
            raise _Refused
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._in_message = False
        self._reading_head = True
        self._room = MAX_HEAD
        self.deadline = 0.0
        raw = self.parser.get_method()
        method = _METHODS.get(raw) or raw.decode("ascii")
        target = self._url.decode("latin-1")
        path, _, query = target.partition("?")
        if self._body:
            body, self._body = b"".join(self._body), []
        else:
            body = b""
        request = HttpRequest(method, path, query, self._headers, body)
        keep_alive = self.parser.should_keep_alive() and "upgrade" not in self._headers
        if not keep_alive:
            self.closing = True  # what follows is not read (RFC 9112 §9.6)
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
            self._settle_later(future, *self._answer(call, request, keep_alive, head))
            return
        task: asyncio.Future[tuple[bytes, float]] = asyncio.ensure_future(asyncio.to_thread(
            self._answer, call, request, keep_alive, head))

        def settle(done: asyncio.Future[tuple[bytes, float]]) -> None:
            if future.cancelled():
                return
            if done.cancelled():
                future.cancel()
            elif done.exception() is not None:
                future.set_exception(done.exception())  # type: ignore[arg-type]
            else:
                self._settle_later(future, *done.result())

        task.add_done_callback(settle)

    # answering

    def _answer(self, call: Callable[[HttpRequest], Response], request: HttpRequest,
                keep_alive: bool, head: bool) -> tuple[bytes, float]:
        response = call(request)
        return encode_response(response, keep_alive, head, self.handler.date()), response.delay

    def _settle_later(self, future: asyncio.Future[bytes], data: bytes, delay: float) -> None:
        """The answer now, or after an injected latency without holding up the loop."""
        if not delay:
            future.set_result(data)
            return

        def settle() -> None:
            if not future.done():
                future.set_result(data)

        self.loop.call_later(delay, settle)

    def hold(self, data: bytes, keep_alive: bool, delay: float) -> None:
        """Queues an answer of the loop's batch behind this connection's pending ones."""
        future: asyncio.Future[bytes] = self.loop.create_future()
        self.queue.append((future, keep_alive))
        future.add_done_callback(lambda _: self._flush())
        self._settle_later(future, data, delay)

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
        if self.queue or self.deferred:
            return
        if not keep_alive or self._close_after:
            self._close()
        elif not self._in_message:
            self.deadline = self.handler.now + self.timeouts.keep_alive

    def _answer_in_order(self, data: bytes, keep_alive: bool) -> None:
        """Sends ``data`` after every answer owed before it on this connection."""
        if self.deferred:
            self.handler.answer_batch()
        if self.queue:
            self.queue.append((data, keep_alive))
        else:
            self.send(data, keep_alive)

    def _refuse(self, status: int, message: str) -> None:
        """Stops reading requests and answers ``status`` after the answers owed, then closes."""
        self.closing = True
        self.deadline = 0.0
        self._body = []
        body = orjson.dumps({"Message": message})
        response = Response(status, [("content-type", "application/json")], body)
        self._answer_in_order(encode_response(response, False, False, self.handler.date()),
                              False)

    def close_when_answered(self) -> None:
        self.closing = self._close_after = True
        if not (self.queue or self.deferred):
            self._close()

    def _close(self) -> None:
        """Closes once the answers are written. Unless the client has said it is done, only
        the sending side closes first (RFC 9112 §9.6): what the client still sends is read
        and dropped for a while, so the kernel does not reset the connection over unread
        data and throw away answers the client has not read yet."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if self._peer_done or not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()
        if self.paused:
            transport.resume_reading()
            self.paused = False
        self.closing = self.lingering = True
        self._linger_end = self.handler.now + LINGER_MAX
        self.deadline = self.handler.now + LINGER_QUIET


def _internal_error() -> Response:
    return Response(500, [("content-type", "application/json"),
                          ("x-amzn-errortype", "InternalServiceException")],
                    b'{"Message": "connectlocal failed on this request; see the server log"}')


async def serve_forever(dispatcher: Dispatcher, sock: socket.socket,
                        sweep_seconds: float = SWEEP_SECONDS,
                        timeouts: Timeouts = DEFAULT_TIMEOUTS, parent: int | None = None,
                        answers: bool = True) -> None:
    """Answers on ``sock`` until SIGTERM or SIGINT (or, given ``parent``, until that process
    is gone); sweeps retention every ``sweep_seconds``; with ``answers``, makes the stored
    DescribeContact answers that bulk loads left pending (one worker of several does)."""
    loop = asyncio.get_running_loop()
    handler = Handler(dispatcher, loop, timeouts)
    server = await loop.create_server(lambda: Connection(handler, loop), sock=sock,
                                      backlog=2048)
    handler.start()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if stop_requested():  # a signal came while the process started
        stop.set()

    async def sweep() -> None:
        service = dispatcher.service
        swept = float("-inf")
        while True:
            try:
                if loop.time() - swept >= sweep_seconds:
                    swept = loop.time()
                    await asyncio.to_thread(service.sweep)
                else:  # input timeouts, rings and wrap-up end on the second
                    await asyncio.to_thread(service.deadlines, service.now())
            except Exception:
                log.exception("retention sweep failed")
            await asyncio.sleep(min(sweep_seconds, DEADLINE_SECONDS))

    async def make_answers() -> None:
        store = dispatcher.service.store
        while True:
            try:
                made = await asyncio.to_thread(store.make_all_answers)
                if made:
                    log.info("made the stored DescribeContact answers of %d contacts", made)
            except Exception:
                log.exception("making stored DescribeContact answers failed")
            await asyncio.sleep(ANSWERS_SECONDS)

    async def watch_parent() -> None:
        while os.getppid() == parent:
            await asyncio.sleep(1.0)
        log.warning("the serve process %s is gone: this worker stops", parent)
        stop.set()

    tasks = [asyncio.create_task(sweep())]
    if answers:
        tasks.append(asyncio.create_task(make_answers()))
    if parent is not None:
        tasks.append(asyncio.create_task(watch_parent()))
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        handler.stop()
        server.close()
        # Requests being answered get their answers (for a while); idle connections close.
        for connection in list(handler.connections):
            connection.close_when_answered()
        end = loop.time() + SHUTDOWN_GRACE
        while loop.time() < end and any(c.queue or c.deferred for c in handler.connections):
            await asyncio.sleep(0.02)
        for connection in list(handler.connections):
            if connection.transport is not None:
                connection.transport.close()
        await server.wait_closed()


def _fixed_mmap_threshold() -> None:
    """Has glibc's malloc give every block over 128 KiB its own mapping, returned when freed.
    By default the threshold rises to the largest block freed (up to 32 MiB), so after a few
    bodies of megabytes they come from the heap and stay in RSS: 120 bodies of 10 MiB left
    ~20 MB more resident, none with the threshold fixed (docs/design/serving.md)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, 128 * 1024)


def run(dispatcher: Dispatcher, sock: socket.socket, **options: Any) -> None:
    """Runs the server on uvloop (the asyncio loop where uvloop is missing)."""
    # Everything built so far (the service model, the dispatcher's plans: ~110,000 objects)
    # lives as long as the server: out of the cyclic collector's sight, a collection walks
    # only what requests allocate (15% of a DescribeContact, bench/README.md).
    gc.collect()
    gc.freeze()
    _fixed_mmap_threshold()
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency except on Windows
        asyncio.run(serve_forever(dispatcher, sock, **options))
        return
    uvloop.run(serve_forever(dispatcher, sock, **options))
