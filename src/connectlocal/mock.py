"""mock_connect(): the service in-process for unit tests, answering botocore's ``before-send``
event for ``connect`` with the full wire path (the HTTP request botocore built → dispatcher →
the HTTP response botocore parses).

How it hooks in (docs/design/mock.md): botocore gives every client its own copy of its
session's event emitter, so a handler registered after a client exists never reaches it, and
moto registers its own ``before-send`` handler at import. While a mock is active, the emitter's
dispatch (``HierarchicalEmitter._emit``) is wrapped so that ``before-send.connect.*`` is
answered here first, for clients made before or after ``start()``; every other event and
service goes through untouched. Nothing is patched at import; the last ``stop()`` restores it.
"""

from __future__ import annotations

import functools
import inspect
import io
import os
import threading
import time
import unittest
from collections.abc import Callable, Iterator
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.credentials import Credentials
from botocore.hooks import HierarchicalEmitter

from .bulk import seed_instance
from .clock import RANGE_TEXT, ClockRangeError
from .dispatch import Dispatcher, HttpRequest
from .frontdoor.faults import Faults
from .frontdoor.throttle import Quotas, Throttle
from .protocol.timestamps import parse_iso
from .server.admin import Admin
from .service import DEFAULT_ACCOUNT, Accounts, Service
from .store import open_store
from .store.base import Scope

F = TypeVar("F", bound=Callable[..., Any])
EVENT = "before-send.connect."
SIGN_EVENT = "before-sign.connect."
# Set while a mock runs when the environment has none, so that plain ``boto3.client("connect")``
# can sign requests and find a region; restored by stop().
FAKE_ENVIRONMENT = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "us-east-1"}

_lock = threading.RLock()
_active: list[mock_connect] = []
_original_emit: Callable[..., Any] | None = None


class _RawBody(io.BytesIO):
    """The body of a response as botocore's AWSResponse reads it (``raw.stream()``)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        data = self.getvalue()
        if data:
            yield data


def _answer(**_: Any) -> None:
    """Stands for this module in the (handler, response) list botocore reads."""


def _emit(self: HierarchicalEmitter, event_name: str, kwargs: dict[str, Any],
          stop_on_response: bool = False) -> list[tuple[Any, Any]]:
    if event_name.startswith(EVENT):
        request = kwargs.get("request")
        with _lock:
            mocks = list(reversed(_active))
        for mock in mocks:
            if isinstance(request, AWSPreparedRequest) and mock.answers(request):
                return [(_answer, mock.respond(request))]
    elif event_name.startswith(SIGN_EVENT) and _active:
        _sign_without_credentials(kwargs)
    assert _original_emit is not None
    result: list[tuple[Any, Any]] = _original_emit(self, event_name, kwargs, stop_on_response)
    return result


def _sign_without_credentials(kwargs: dict[str, Any]) -> None:
    """A client made before start() in an environment without credentials has none; sign its
    requests with fake ones (botocore's per-request ``request_credentials``) instead of
    failing with NoCredentialsError."""
    signer, request = kwargs.get("request_signer"), kwargs.get("request")
    if signer is None or request is None or getattr(signer, "_credentials", True) is not None:
        return
    signing = request.context.setdefault("signing", {})
    signing.setdefault("request_credentials", Credentials(
        FAKE_ENVIRONMENT["AWS_ACCESS_KEY_ID"], FAKE_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"]))


def _call_with_method(function: Callable[..., Any], test: Any, method: Any) -> None:
    """Calls a class's setup_method/teardown_method as pytest would: with the test method
    when it takes one."""
    if len(inspect.signature(function).parameters) > 1:
        function(test, method)
    else:
        function(test)


def _lower_headers(headers: Any) -> dict[str, str]:
    """A request's headers as the dispatcher takes them: lower-case names, str values."""
    # botocore's HeadersDict builds a case-insensitive key object on every lookup; reading
    # its underlying dict once is several times cheaper per request (a benchmark hot spot).
    raw = getattr(headers, "_dict", None)
    pairs = ((str(k), v) for k, v in raw.items()) if isinstance(raw, dict) else headers.items()
    return {k.lower(): v.decode() if isinstance(v, bytes) else str(v) for k, v in pairs}


def _instant(text: str) -> datetime:
    try:
        return parse_iso(text)
    except (ValueError, OverflowError):
        raise ClockRangeError(f"not an ISO 8601 instant from {RANGE_TEXT}: {text!r}") from None


class mock_connect:  # named like moto's mock_aws, as users expect
    """A fresh in-memory Amazon Connect for a test.

    Use it as a decorator, bare (``@mock_connect``) or called (``@mock_connect(clock=...)``), on
    functions, coroutine functions, classes and ``unittest.TestCase``s; as a context manager
    (reentrant: the outermost ``with`` ends it); or with ``start()`` / ``stop()`` (idempotent:
    a started mock stays the same service until the first ``stop()``). Every botocore
    ``connect`` client, in any region, is answered by it; with ``endpoint_url`` only requests
    to that URL's host are. ``clock`` fixes the service clock (ISO 8601 or a datetime);
    ``ticking=True`` lets it run on from there. ``lambdas`` maps Lambda function ARNs to
    where they run: a Python callable ``(event, context)`` or a target as ``serve --lambda``
    takes (engine/lambdas.py).
    """

    def __new__(cls, target: Any = None, /, **options: Any) -> Any:
        # Bare ``@mock_connect`` hands the decorated function or class to the constructor, as
        # ``@mock_aws`` does in moto: answer with it decorated by a mock of default options.
        if target is None:
            return super().__new__(cls)
        if not callable(target):
            raise TypeError("mock_connect takes keyword options only, or decorates a function "
                            f"or class (got {type(target).__name__})")
        return cls(**options)(target)

    def __init__(self, target: None = None, /, *, clock: str | datetime | None = None,
                 ticking: bool = False, accounts: dict[str, str | tuple[str, str]] | None = None,
                 default_account: str | None = None, endpoint_url: str | None = None,
                 auth: str = "lenient", throttle: str | None = None,
                 lambdas: dict[str, str | Callable[..., Any]] | None = None,
                 data: str = ":memory:") -> None:
        self._data = data  # a store location, as serve --data (a PostgreSQL URL to share one)
        from .engine.lambdas import Lambdas

        self._lambdas = Lambdas(lambdas)  # a bad target fails here, not when a flow runs
        if auth not in ("lenient", "strict"):
            raise ValueError(f"auth must be 'lenient' or 'strict', not {auth!r}")
        self._strict = auth == "strict"
        # "aws" (the documented API quotas) or a quotas file, as serve --throttle.
        self._quotas = Quotas.load(throttle) if throttle else None
        self._clock = parse_iso(clock) if isinstance(clock, str) else clock
        self._ticking = ticking
        # accounts: {KEY: ACCOUNT} or {KEY: (SECRET, ACCOUNT)}; secrets are what strict mode
        # checks signatures with. A 12-digit key id is its own account, as in moto.
        keys: dict[str, str] = {}
        secrets: dict[str, str] = {}
        for key, value in (accounts or {}).items():
            if isinstance(value, tuple):
                secrets[key], keys[key] = value
            else:
                keys[key] = value
        self._accounts = Accounts(default=default_account or DEFAULT_ACCOUNT, keys=keys,
                                  secrets=secrets)
        self._host = urlsplit(endpoint_url).netloc if endpoint_url else None
        self._saved_environment: dict[str, str | None] = {}
        self._service: Service | None = None
        self._dispatcher: Dispatcher | None = None
        self._started = False  # by start(), until stop()
        self._depth = 0  # open ``with`` blocks

    # The handle a test uses

    @property
    def service(self) -> Service:
        if self._service is None:
            raise RuntimeError("mock_connect is not started")
        return self._service

    @property
    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            raise RuntimeError("mock_connect is not started")
        return self._dispatcher

    @property
    def faults(self) -> Faults:
        """The fault rules (``add({...})``, ``list()``, ``clear()``), as /_connectlocal/faults."""
        return self.service.faults

    def set_clock(self, instant: str | datetime | None, ticking: bool = False) -> None:
        """Sets the service clock (None: back to the system clock); sweeps retention.
        ValueError for an instant outside 0001-01-01 .. 9999-12-31T23:59:59.999Z."""
        when = _instant(instant) if isinstance(instant, str) else instant
        self.service.set_clock(when, ticking=ticking)
        self.service.sweep()

    def advance(self, seconds: float) -> None:
        """Moves the service clock forward (back, when negative); sweeps retention.
        ValueError when that would leave the instants the API can express."""
        self.service.advance_clock(seconds)
        self.service.sweep()

    def admin(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        """Calls a ``/_connectlocal/`` admin endpoint in-process (as the server would)."""
        target, _, query = path.partition("?")
        response = Admin(self.dispatcher)(HttpRequest(
            method, "/_connectlocal/" + target.removeprefix("/_connectlocal/").lstrip("/"),
            query, {"content-type": "application/json"} if body else {}, body))
        return response.status, response.body

    def flow_logs(self, contact_id: str, *, region: str = "us-east-1",
                  account: str | None = None) -> list[dict[str, Any]]:
        """The flow-log records of a contact, oldest first (Amazon Connect's shape)."""
        with self.service.store.read(Scope(account or self.service.accounts.default,
                                           region)) as tx:
            return tx.get_flow_logs(contact_id)

    def customer_input(self, instance_id: str, contact_id: str, *, dtmf: str | None = None,
                       text: str | None = None, region: str = "us-east-1",
                       account: str | None = None) -> dict[str, Any]:
        """The customer presses keys or sends a message to a waiting GetParticipantInput."""
        from .engine.flows import customer_input

        return customer_input(self.service, Scope(account or self.service.accounts.default,
                                                  region), instance_id, contact_id,
                              dtmf=dtmf, text=text)

    def create_instance(self, alias: str | None = None, *, region: str = "us-east-1",
                        account: str | None = None, **options: Any) -> dict[str, Any]:
        """Seeds an instance with its default directory in one call: its id and ARN, and its
        flows, queues and security profiles by name."""
        scope = Scope(account or self.service.accounts.default, region)
        return seed_instance(self.service, scope, alias, **options)

    # Life

    def start(self) -> mock_connect:
        """Starts the mock; on a started one it does nothing (the same service goes on)."""
        with _lock:
            self._begin()
            self._started = True
        return self

    def stop(self) -> None:
        """Stops the mock, however often it was started or entered; stopped, it does nothing."""
        with _lock:
            self._started, self._depth = False, 0
            self._end()

    def __enter__(self) -> mock_connect:
        with _lock:
            self._begin()
            self._depth += 1
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        with _lock:
            self._depth = max(0, self._depth - 1)
            if not self._depth and not self._started:
                self._end()

    def _begin(self) -> None:
        """A fresh service answering from now on; nothing if this mock is already answering."""
        global _original_emit
        if self in _active:
            return
        service = Service(open_store(self._data), accounts=self._accounts, strict=self._strict,
                          throttle=Throttle(self._quotas) if self._quotas else None,
                          lambdas=self._lambdas)
        if self._clock is not None:
            service.set_clock(self._clock, ticking=self._ticking)
        self._service, self._dispatcher = service, Dispatcher(service)
        if not _active:
            _original_emit = HierarchicalEmitter._emit
            HierarchicalEmitter._emit = _emit
        _active.append(self)
        for key, value in FAKE_ENVIRONMENT.items():
            if not os.environ.get(key):
                self._saved_environment[key] = os.environ.get(key)
                os.environ[key] = value

    def _end(self) -> None:
        """No longer answering: botocore restored with the last mock, the environment put back."""
        if self not in _active:
            return
        _active.remove(self)
        if not _active and _original_emit is not None:
            HierarchicalEmitter._emit = _original_emit
        for key, previous in self._saved_environment.items():
            if previous is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = previous
        self._saved_environment.clear()
        if self._service is not None:
            self._service.store.close()
        self._service = self._dispatcher = None

    def __call__(self, target: F) -> F:
        """Decorates a test function, coroutine function or class (each test, fresh)."""
        if isinstance(target, type):
            return self._decorate_class(target)  # type: ignore[return-value]
        if inspect.iscoroutinefunction(target):
            @functools.wraps(target)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self._copy():
                    return await target(*args, **kwargs)
            return run_async  # type: ignore[return-value]

        @functools.wraps(target)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._copy():
                return target(*args, **kwargs)
        return run  # type: ignore[return-value]

    def _copy(self) -> mock_connect:
        """A new mock with the same options: each decorated call gets a fresh service."""
        twin: mock_connect = mock_connect.__new__(mock_connect)
        twin.__dict__.update(self.__dict__, _saved_environment={}, _service=None,
                             _dispatcher=None, _started=False, _depth=0)
        return twin

    def _decorate_class(self, cls: type) -> type:
        if issubclass(cls, unittest.TestCase):
            # A fresh service from setUp to the last cleanup, so setUp can seed it and
            # tearDown still reach it; a cleanup runs even when setUp fails (unittest's rule).
            original_setup = cls.setUp

            def setUp(test: Any) -> None:  # unittest's name
                mock = self._copy().start()
                test.addCleanup(mock.stop)
                test._connectlocal_mock = mock
                original_setup(test)

            setattr(cls, "setUp", setUp)  # noqa: B010 - replacing a method on purpose
            return cls
        if callable(getattr(cls, "setup_method", None)):
            # pytest's xunit-style class: a fresh service from setup_method to
            # teardown_method (which pytest skips when setup_method fails: stop it then).
            original_setup = cls.setup_method  # type: ignore[attr-defined]
            original_teardown = getattr(cls, "teardown_method", None)

            # pytest passes the test method only to a setup_method that takes it.
            def setup_method(test: Any, method: Any = None) -> None:  # pytest's name
                mock = self._copy().start()
                test._connectlocal_mock = mock
                try:
                    _call_with_method(original_setup, test, method)
                except BaseException:
                    mock.stop()
                    raise

            def teardown_method(test: Any, method: Any = None) -> None:  # pytest's name
                try:
                    if original_teardown is not None:
                        _call_with_method(original_teardown, test, method)
                finally:
                    test._connectlocal_mock.stop()

            setattr(cls, "setup_method", setup_method)  # noqa: B010
            setattr(cls, "teardown_method", teardown_method)  # noqa: B010
            return cls
        for name, member in list(vars(cls).items()):
            if name.startswith("test") and callable(member):
                setattr(cls, name, self(member))
        return cls

    # The wire

    def answers(self, request: AWSPreparedRequest) -> bool:
        return self._host is None or urlsplit(request.url).netloc == self._host

    def respond(self, request: AWSPreparedRequest) -> AWSResponse:
        url = urlsplit(request.url)
        body = request.body
        if body is None:
            data = b""
        elif isinstance(body, bytes | bytearray):
            data = bytes(body)
        elif isinstance(body, str):
            data = body.encode()
        else:  # a file-like body
            data = body.read()
            if isinstance(data, str):
                data = data.encode()
        headers = _lower_headers(request.headers)
        if "host" not in headers:  # what the HTTP client would send (and SigV4 signed)
            default_port = {"http": 80, "https": 443}.get(url.scheme)
            headers["host"] = (url.hostname or "" if url.port in (None, default_port)
                               else url.netloc)
        response = self.dispatcher(HttpRequest(request.method or "GET", url.path or "/",
                                               url.query, headers, data))
        if response.delay:  # an injected latency: this caller's thread waits, no one else's
            time.sleep(response.delay)
        return AWSResponse(request.url, response.status, dict(response.headers),
                           _RawBody(response.body))
