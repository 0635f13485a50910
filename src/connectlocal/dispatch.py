"""The one core every door calls: HTTP request in, HTTP response out.

route → parse → validate → handler → serialize, with every failure answered as the
modelled error Amazon Connect would send. Only this module and ``protocol/`` know HTTP.
CORS (preflights and the headers of answers to a browser) and the access log live here, so
that every transport shares them; the ``/_connectlocal/`` admin endpoints never come here.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from botocore.model import OperationModel

from . import errors, wire
from .handlers import discover
from .ids import RequestIds
from .protocol.auth import caller_of, credential_in
from .protocol.parser import MalformedRequest, RequestParser
from .protocol.router import Router
from .protocol.serializer import JSON, Response, ResponseSerializer
from .protocol.validator import Check, Validator, describe
from .service import RequestContext, Service
from .spec import service_model
from .store.base import Scope, StoreConflict, StoreUnavailable

log = logging.getLogger(__name__)
# One line per API request at info: request id, operation, status, milliseconds.
access_log = logging.getLogger("connectlocal.access")

# CORS as AWS's JSON services answer a browser (what API Gateway-fronted services such as
# Amazon Connect send; aws-sdk-js-v3 #1590 is Connect's preflight admitting the SDK's headers):
# any origin, the response headers an SDK reads exposed, a preflight's requested headers
# allowed. No credentials mode: SigV4 travels in headers, not cookies.
CORS_EXPOSE = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"
CORS_ALLOW_HEADERS = ("Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,"
                      "X-Amz-Content-Sha256,X-Amz-User-Agent,amz-sdk-invocation-id,"
                      "amz-sdk-request")
CORS_MAX_AGE = "172800"
HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH")
# DescribeContact's path with both labels plain ids: nothing for the parser and the validator
# to do (an id is a valid InstanceId and ContactId; the generic path refuses an instance id of
# another shape, which a CTR import can store), and none of it is percent-encoded.
_ID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_DESCRIBE_CONTACT = re.compile(f"/contacts/({_ID})/({_ID})")
MAX_SCOPES_KEPT = 1024


class HttpRequest(NamedTuple):
    """A request as a transport hands it over (a tuple: one is built per request)."""

    method: str
    path: str  # raw: still percent-encoded, without the query string
    query: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes


class Dispatcher:
    """Built once per service: every route, parser plan, validator and handler up front."""

    def __init__(self, service: Service) -> None:
        self.service = service
        model = service_model()
        self.model = model
        self.router = Router(model)
        self.parser = RequestParser()
        self.serializer = ResponseSerializer(model)
        validator = Validator()
        self._checks: dict[str, Check | None] = {}
        self._error_codes: dict[str, frozenset[str]] = {}
        for name in model.operation_names:
            op = model.operation_model(name)
            self.parser.prepare(op)
            self.serializer.prepare(op)
            self._checks[name] = validator.check_for(op.input_shape) if op.input_shape else None
            self._error_codes[name] = frozenset(e.name for e in op.error_shapes)
        self.handlers: dict[str, Callable[..., dict[str, Any]]] = discover(model)
        self._debug = log.isEnabledFor(logging.DEBUG)
        self._access = access_log.isEnabledFor(logging.INFO)
        self._request_id = RequestIds()
        # The scope of each credential scope seen (accounts are fixed for a service's life).
        self._scopes: dict[str | None, Scope] = {}
        # No strict signatures and no throttling (fixed for a service's life; fault rules
        # can change at any time and are checked per request).
        self._plain_door = service.verifier is None and service.throttle is None

    @property
    def implemented(self) -> list[str]:
        return sorted(self.handlers)

    def __call__(self, request: HttpRequest) -> Response:
        # Checked once at start-up: with the access log off, a request pays for no clock read.
        if not self._access:
            return self._cors(request, self._answer(request)[0])
        started = time.perf_counter()
        response, request_id, operation = self._answer(request)
        response = self._cors(request, response)
        access_log.info("%s %s %d %.1fms", request_id, operation, response.status,
                        (time.perf_counter() - started) * 1000)
        return response

    def _cors(self, request: HttpRequest, response: Response) -> Response:
        """The CORS headers of an answer to a browser (a request with an Origin)."""
        if "origin" in request.headers:
            response.headers.append(("access-control-allow-origin", "*"))
            response.headers.append(("access-control-expose-headers", CORS_EXPOSE))
        return response

    def _preflight(self, request: HttpRequest, request_id: str) -> Response:
        """A browser's OPTIONS before a cross-origin call: 200 with the methods that path has,
        or the modelled error when no operation answers there."""
        methods = [m for m in HTTP_METHODS if self.router.match(m, request.path) is not None]
        if not methods:
            return self.serializer.serialize_error(errors.UnknownOperationException(
                f"No Amazon Connect operation answers {request.path}"), request_id)
        asked = request.headers.get("access-control-request-headers")
        return Response(200, [
            ("x-amzn-requestid", request_id),
            ("content-type", "application/json"),
            ("access-control-allow-methods", ",".join(methods)),
            ("access-control-allow-headers", asked or CORS_ALLOW_HEADERS),
            ("access-control-max-age", CORS_MAX_AGE),
        ], b"")

    def _stored_answer(self, request: HttpRequest, request_id: str) -> Response | None:
        """DescribeContact answered from the contact's stored answer (connectlocal.wire), or
        None for the generic path. Only when nothing at the front door acts on the request
        (no strict signatures, throttling or fault rules; the caller's credentials as the
        generic path reads them) and the stored answer holds at the service clock: anything
        else, errors included, goes the generic way, which answers it as it always has."""
        service = self.service
        if request.query or not self._plain_door or service.faults.any():
            return None
        found = _DESCRIBE_CONTACT.fullmatch(request.path)
        if found is None:
            return None
        instance_id, contact_id = found.groups()
        try:
            scope = self._scope_of(credential_in(request.headers, {}))
        except errors.ServiceError:
            return None
        stored = service.store.wire_and_attributes(scope, instance_id, contact_id)
        if stored is None:
            return None
        body = wire.answer(stored[0], stored[1], service.now_ms())
        if body is None:
            return None
        if self._debug:
            log.debug("%s DescribeContact -> 200 (stored)", request_id)
        return Response(200, [("x-amzn-requestid", request_id), ("content-type", JSON)], body)

    def _scope_of(self, credential: str | None) -> Scope:
        """The account (``--accounts``) and region of a credential scope's requests, read once
        per credential scope (``caller_of``: ServiceError for one naming no AWS region)."""
        scope = self._scopes.get(credential)
        if scope is None:
            who = caller_of(credential)
            scope = Scope(self.service.accounts.for_key(who.access_key), who.region)
            if len(self._scopes) >= MAX_SCOPES_KEPT:
                self._scopes.clear()
            self._scopes[credential] = scope
        return scope

    def _unavailable(self, exc: StoreUnavailable, request_id: str, operation: str) -> Response:
        log.error("%s %s: %s", request_id, operation, exc)
        return self.serializer.serialize_error(
            errors.InternalServiceException(
                f"store unavailable: connectlocal cannot reach its store (request id "
                f"{request_id}); retry when it is back"), request_id)

    def _answer(self, request: HttpRequest) -> tuple[Response, str, str]:
        """The response, its request id and the operation's name ("-" when none matched)."""
        request_id = self._request_id()
        if request.method == "GET" and request.path.startswith("/contacts/"):
            try:
                stored = self._stored_answer(request, request_id)
            except StoreUnavailable as exc:  # as the generic path would answer, at once
                return self._unavailable(exc, request_id, "DescribeContact"), request_id, \
                    "DescribeContact"
            if stored is not None:
                return stored, request_id, "DescribeContact"
        if request.method == "OPTIONS":
            return self._preflight(request, request_id), request_id, "OPTIONS"
        op: OperationModel | None = None
        delay = 0.0
        try:
            query = parse_qs(request.query, keep_blank_values=True) if request.query else {}
            service = self.service
            if service.verifier is None:
                scope = self._scope_of(credential_in(request.headers, query))
            else:  # strict: AWS's front door checks the signature before anything else
                who = service.verifier.verify(request.method, request.path, request.query,
                                              query, request.headers, request.body,
                                              service.now())
                scope = Scope(service.accounts.for_key(who.access_key), who.region)
            # HEAD is GET without the body (RFC 9110); the transport drops the body.
            method = "GET" if request.method == "HEAD" else request.method
            match = self.router.match(method, request.path)
            if match is None:
                raise errors.UnknownOperationException(
                    f"No Amazon Connect operation answers {request.method} {request.path}"
                )
            op = match.operation
            if service.throttle is not None and not service.throttle.allow(
                    scope.account, scope.region, op.name):
                raise errors.throttled(self._error_codes[op.name])
            fault = service.faults.check(op.name, scope.account, scope.region)
            if fault is not None:
                delay = fault.delay
                if fault.error is not None:
                    assert fault.status is not None
                    raise errors.InjectedFault(fault.error, fault.status, fault.message)
            handler = self.handlers.get(op.name)
            if handler is None:
                raise errors.InvalidRequestException(
                    f"connectlocal does not implement {op.name} yet "
                    "(GET /_connectlocal/health lists the operations it implements)"
                )
            try:
                params = self.parser.parse(op, match.labels, query, request.headers, request.body)
            except MalformedRequest as exc:
                raise errors.invalid_input(self._error_codes[op.name], str(exc)) from None
            check = self._checks[op.name]
            if check is not None:
                problems: list[str] = []
                check(params, "", problems)
                if problems:
                    raise errors.invalid_input(self._error_codes[op.name], describe(problems))
            ctx = RequestContext(
                service=service,
                scope=scope,
                request_id=request_id,
                operation=op.name,
                now=service.now(),
                error_codes=self._error_codes[op.name],
            )
            result = _run(handler, ctx, params)
            response = self.serializer.serialize(op, result, request_id)
        except errors.ServiceError as error:
            log.info("%s %s -> %s: %s", request_id, op.name if op else "-", error.code,
                     error.message)
            answer = self.serializer.serialize_error(error, request_id)
            answer.delay = delay
            return answer, request_id, op.name if op else "-"
        except StoreUnavailable as exc:  # the store's server is down or unreachable
            name = op.name if op else "-"
            return self._unavailable(exc, request_id, name), request_id, name
        except StoreConflict as exc:  # chosen to break a deadlock CONFLICT_TRIES times
            log.warning("%s %s: %s (%d times)", request_id, op.name if op else "-", exc,
                        CONFLICT_TRIES)
            return self.serializer.serialize_error(errors.InternalServiceException(
                f"The store ended this request's transaction to break a deadlock "
                f"{CONFLICT_TRIES} times; nothing of it was written. Send it again."),
                request_id), request_id, op.name if op else "-"
        except Exception:
            log.exception("%s %s failed", request_id, op.name if op else "-")
            return self.serializer.serialize_error(
                errors.InternalServiceException(
                    f"connectlocal failed on this request (request id {request_id}); "
                    "this is a defect, please report it with the server log"
                ),
                request_id,
            ), request_id, op.name if op else "-"
        response.delay = delay
        if self._debug:  # checked once: a disabled log call is a measurable cost per request
            log.debug("%s %s -> %d", request_id, op.name, response.status)
        return response, request_id, op.name


CONFLICT_TRIES = 3  # runs of a request whose write the store ends to break a deadlock


def _run(handler: Callable[..., Any], ctx: RequestContext, params: dict[str, Any]) -> Any:
    """The handler's answer, run again when the store ended its write to break a deadlock
    (nothing of it was written; a Lambda function a flow invoked before it is invoked
    again)."""
    for _ in range(CONFLICT_TRIES - 1):
        try:
            return handler(ctx, **params)
        except StoreConflict:
            log.info("%s %s: a deadlock ended its write; running it again", ctx.request_id,
                     ctx.operation)
    return handler(ctx, **params)  # the last try: its StoreConflict is answered
