"""The ``/_connectlocal/`` admin endpoints: health, and the service clock.

    GET  /_connectlocal/health  → {"status", "version", "store", "operations": [...]}
    GET  /_connectlocal/clock   → {"now", "set", "ticking", "rate"}
    POST /_connectlocal/clock   ← {"now": ISO8601 | null, "ticking": bool, "rate": N} |
                                  {"advance_seconds": N} | {"rate": N} (runs on from now)
    POST /_connectlocal/reset   → {"status": "reset"}: every account's data gone, system clock
    POST /_connectlocal/events  ← {"event": "arrive" | "ring" | "accept" | "hold" | "disconnect" |
                                   "after_contact_work" | "follow", "instance_id", ...}
                                 | {"event": "customer_input", "instance_id", "contact_id",
                                    "dtmf": "1#" | "text": "..."}: for a waiting
                                   GetParticipantInput (engine/flows.py)
    GET  /_connectlocal/flow-logs?contact_id=ID → {"records": [flow-log records, oldest first]}
    POST /_connectlocal/ctr     ← {"records": [[source, position, record], ...],
                                   "keep_past_retention": bool} → the import's counts
    GET  /_connectlocal/faults  → {"faults": [rule, ...]}
    POST /_connectlocal/faults  ← a rule (frontdoor/faults.py) → the rule with its id
    DELETE /_connectlocal/faults → {"cleared": N}

A web page must not reach them (a cross-site form POST to ``reset``, DNS rebinding): requests
with an ``Origin`` (or a cross-site ``Sec-Fetch-Site``), a ``Host`` that is no address of
this server, or a body that is not ``application/json`` are refused (403). With
``serve --admin-token`` every endpoint but health wants the token in
``x-connectlocal-admin-token``, and health names the store's file only to a caller with it.
In strict mode (``--auth strict``) the endpoints that change a contact's data (events, ctr)
must be signed like an API call, and act on the signer's account only.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
import uuid
from typing import Any

import orjson

from .. import __version__
from ..adminclient import TOKEN_HEADER
from ..clock import MAX_RATE, MIN_RATE, RANGE_TEXT, ClockRangeError
from ..dispatch import Dispatcher, HttpRequest
from ..protocol.serializer import Response
from ..protocol.timestamps import parse_iso, to_iso
from ..store.base import StoreUnavailable

log = logging.getLogger(__name__)


class AdminError(Exception):
    def __init__(self, status: int, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra or {}


def _json(status: int, document: Any) -> Response:
    return Response(status, [("content-type", "application/json"),
                             ("x-amzn-requestid", str(uuid.uuid4()))], orjson.dumps(document))




def _host_name(host: str) -> str:
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class Admin:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.service = dispatcher.service
        # What x-connectlocal-admin-token must say (None: no token), and the host names the
        # server listens on besides IP addresses and localhost (always its own: DNS
        # rebinding needs a name).
        self.token = self.service.admin_token
        self.hosts = frozenset(h.lower() for h in self.service.hosts)
        self._routes = {
            ("GET", "health"): self.health,
            ("GET", "clock"): self.clock,
            ("POST", "clock"): self.set_clock,
            ("POST", "reset"): self.reset,
            ("POST", "ctr"): self.import_records,
            ("POST", "events"): self.event,
            ("GET", "faults"): self.list_faults,
            ("POST", "faults"): self.add_fault,
            ("DELETE", "faults"): self.clear_faults,
            ("GET", "flow-logs"): self.flow_logs,
        }

    def __call__(self, request: HttpRequest) -> Response:
        name = request.path.removeprefix("/_connectlocal/").strip("/")
        route = self._routes.get((request.method, name))
        try:
            self._guard(request, name)
            if route is None:
                known = ", ".join(f"{m} /_connectlocal/{n}" for m, n in self._routes)
                raise AdminError(404, f"No admin endpoint {request.method} {request.path}; "
                                      f"there are: {known}")
            return _json(200, route(request))
        except AdminError as error:
            return _json(error.status, {**error.extra, "error": error.message})
        except StoreUnavailable as exc:
            log.error("admin %s %s: %s", request.method, request.path, exc)
            return _json(503, {"store": "unavailable",
                               "error": "the store cannot be reached (the server log says why)"})
        except Exception:
            log.exception("admin %s %s failed", request.method, request.path)
            return _json(500, {"error": "internal error (see the server log)"})

    def _has_token(self, request: HttpRequest) -> bool:
        given = request.headers.get(TOKEN_HEADER)
        return (self.token is not None and given is not None
                and hmac.compare_digest(given.encode(), self.token.encode()))

    def _guard(self, request: HttpRequest, name: str) -> None:
        """Refuses what a web page could send: another site's Origin, a rebound Host name, a
        form's content type; and, with a token configured, a request without it."""
        headers = request.headers
        origin = headers.get("origin")
        if origin is not None:
            raise AdminError(403, f"The admin endpoints do not answer web pages (Origin: "
                                  f"{origin[:100]})")
        if headers.get("sec-fetch-site", "none") not in ("none", "same-origin"):
            raise AdminError(403, "The admin endpoints do not answer web pages "
                                  f"(Sec-Fetch-Site: {headers['sec-fetch-site'][:40]})")
        host = headers.get("host")
        if host is not None:
            named = _host_name(host.strip()).lower()
            if not (_is_ip(named) or named == "localhost" or named.endswith(".localhost")
                    or named in self.hosts):
                raise AdminError(403, f"Host {host[:100]!r} is not an address of this server "
                                      "(the admin endpoints refuse other names: DNS "
                                      "rebinding)")
        if request.method in ("POST", "PUT", "DELETE", "PATCH"):
            kind = headers.get("content-type", "").partition(";")[0].strip().lower()
            if (kind or request.body) and kind != "application/json":
                raise AdminError(403, "The admin endpoints take application/json bodies only "
                                      f"(Content-Type: {kind or 'none'})")
        if self.token is not None and name != "health" and not self._has_token(request):
            raise AdminError(403, f"This server wants its admin token in {TOKEN_HEADER}")

    def _signed_account(self, request: HttpRequest) -> str | None:
        """In strict mode, the account of the request's valid signature (refused without
        one); None in the default mode, where admin requests name their account freely."""
        verifier = self.service.verifier
        if verifier is None or self._has_token(request):
            return None
        from urllib.parse import parse_qs

        from ..errors import FrontDoorError

        try:
            who = verifier.verify(request.method, request.path, request.query,
                                  parse_qs(request.query, keep_blank_values=True),
                                  request.headers, request.body, self.service.now())
        except FrontDoorError as error:
            raise AdminError(error.status, f"{error.code}: {error.message}") from None
        return self.service.accounts.for_key(who.access_key)

    def health(self, request: HttpRequest) -> dict[str, Any]:
        store = self.service.store
        try:
            store.check()
        except StoreUnavailable as exc:  # where the store is, only with the admin token
            log.error("health: %s", exc)
            raise AdminError(503, str(exc) if self._has_token(request) else
                             "the store cannot be reached (the server log says why)",
                             {"status": "store unavailable", "store": "unavailable"}) from None
        described: dict[str, Any] = {"kind": store.name}
        if self._has_token(request):
            described["location"] = store.location
        return {
            "status": "ok",
            "version": __version__,
            "store": described,
            "operations": self.dispatcher.implemented,
        }

    def list_faults(self, _: HttpRequest) -> dict[str, Any]:
        return {"faults": self.service.faults.list()}

    def add_fault(self, request: HttpRequest) -> dict[str, Any]:
        from ..frontdoor.faults import FaultError

        try:
            body = orjson.loads(request.body or b"{}")
            return self.service.faults.add(body)
        except orjson.JSONDecodeError as exc:
            raise AdminError(400, f"The body is not JSON: {exc}") from None
        except FaultError as exc:
            raise AdminError(400, str(exc)) from None

    def clear_faults(self, _: HttpRequest) -> dict[str, Any]:
        return {"cleared": self.service.faults.clear()}

    def clock(self, _: HttpRequest) -> dict[str, Any]:
        setting = self.service.store.get_clock()
        return {"now": to_iso(self.service.now()), "set": setting.instant is not None,
                "ticking": setting.ticking, "rate": setting.rate}

    def set_clock(self, request: HttpRequest) -> dict[str, Any]:
        try:
            body = orjson.loads(request.body or b"{}")
        except orjson.JSONDecodeError as exc:
            raise AdminError(400, f"The body is not JSON: {exc}") from None
        if not isinstance(body, dict) or not ({"now", "advance_seconds", "rate"}
                                              & body.keys()):
            raise AdminError(400, 'Send {"now": "2025-01-01T00:00:00Z"}, {"now": null}, '
                                  '{"advance_seconds": 60} or {"rate": 60}')
        rate = body.get("rate", 1.0)
        if isinstance(rate, bool) or not isinstance(rate, int | float) \
                or not MIN_RATE <= rate <= MAX_RATE:
            raise AdminError(400, f"rate must be a number of seconds a second from "
                                  f"{MIN_RATE:g} to {MAX_RATE:g}")
        if "advance_seconds" in body and "rate" in body:
            raise AdminError(400, "rate is set with now (or alone), not with advance_seconds")
        if "now" not in body and "advance_seconds" not in body:
            # The clock runs on from the instant it shows, ``rate`` seconds a second.
            self.service.set_clock(self.service.now(), ticking=True, rate=rate)
        elif "advance_seconds" in body:
            seconds = body["advance_seconds"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                raise AdminError(400, "advance_seconds must be a number")
            try:
                self.service.advance_clock(seconds)
            except ClockRangeError as exc:
                raise AdminError(400, f"{exc}; the clock was not moved") from None
        else:
            now = body["now"]
            ticking = body.get("ticking", "rate" in body)
            if not isinstance(ticking, bool):
                raise AdminError(400, "ticking must be true or false")
            if "rate" in body and not ticking:
                raise AdminError(400, "rate is for a ticking clock (a frozen one does not run)")
            if now is None:
                self.service.set_clock(None)
            elif isinstance(now, str):
                try:
                    instant = parse_iso(now)
                except (ValueError, OverflowError):
                    # 10000-01-01, or 9999-12-31T23:00:00-05:00 (past the end in UTC).
                    raise AdminError(400, f"now is not an ISO 8601 instant from {RANGE_TEXT} "
                                          f"(the instants the API can express): {now!r}") from None
                try:
                    self.service.set_clock(instant, ticking=ticking, rate=rate)
                except ClockRangeError as exc:
                    raise AdminError(400, str(exc)) from None
            else:
                raise AdminError(400, "now must be an ISO 8601 string or null")
        self.service.sweep()
        return self.clock(request)

    def reset(self, _: HttpRequest) -> dict[str, Any]:
        """A fresh service without a restart (the pytest plugin's per-test server)."""
        self.service.store.reset()
        log.info("store reset")
        return {"status": "reset"}

    def import_records(self, request: HttpRequest) -> dict[str, Any]:
        """CTRs into the running server (``connectlocal import --endpoint``)."""
        from ..ctrfiles import Importer

        try:
            body = orjson.loads(request.body or b"{}")
        except orjson.JSONDecodeError as exc:
            raise AdminError(400, f"The body is not JSON: {exc}") from None
        items = body.get("records") if isinstance(body, dict) else None
        if not isinstance(items, list) or not all(
                isinstance(i, list) and len(i) == 3 for i in items):
            raise AdminError(400, 'Send {"records": [[source, position, record], ...]}')
        signer = self._signed_account(request)
        if signer is not None:
            for _, _, record in items:
                arn = record.get("InstanceARN") if isinstance(record, dict) else None
                if isinstance(arn, str) and arn.count(":") >= 5 and arn.split(":")[4] != signer:
                    raise AdminError(403, f"Account {signer} cannot import records of another "
                                          f"account ({arn[:120]})")
        importer = Importer(self.service, bool(body.get("keep_past_retention")))
        return importer.load((str(s), str(p), r) for s, p, r in items).as_dict()

    def event(self, request: HttpRequest) -> dict[str, Any]:
        """A contact-center event on one contact (events.py), in the caller's scope."""
        from ..events import EventError, apply
        from ..protocol.auth import caller
        from ..store.base import Scope

        try:
            body = orjson.loads(request.body or b"{}")
        except orjson.JSONDecodeError as exc:
            raise AdminError(400, f"The body is not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise AdminError(400, "The body must be a JSON object")
        from ..errors import ServiceError

        try:
            who = caller(request.headers, {})
        except ServiceError as error:
            raise AdminError(400, error.message) from None
        account, region = body.get("account"), body.get("region")
        if account is not None and not (isinstance(account, str) and re.fullmatch(
                r"\d{12}", account)):
            raise AdminError(400, "account must be a 12-digit account id")
        if region is not None and not (isinstance(region, str) and re.fullmatch(
                r"[a-z]{2}(-[a-z]+){1,2}-\d", region)):
            raise AdminError(400, "region must be a region name like us-east-1")
        signer = self._signed_account(request)
        if signer is not None and account is not None and account != signer:
            raise AdminError(403, f"Account {signer} cannot change account {account}'s contacts")
        scope = Scope(signer or account or self.service.accounts.for_key(who.access_key),
                      region or who.region)
        try:
            if body.get("event") == "customer_input":
                return self._customer_input(scope, body)
            return apply(self.service, scope, body)
        except (EventError, ValueError, KeyError) as exc:
            raise AdminError(400, str(exc)) from None

    def _customer_input(self, scope: Any, body: dict[str, Any]) -> dict[str, Any]:
        from ..engine.flows import customer_input

        dtmf, text = body.get("dtmf"), body.get("text")
        if (dtmf is None) == (text is None) or not isinstance(dtmf or text, str):
            raise AdminError(400, 'customer_input takes one of "dtmf": "1#" or "text": "..."')
        instance_id, contact_id = body.get("instance_id"), body.get("contact_id")
        if not isinstance(instance_id, str) or not isinstance(contact_id, str):
            raise AdminError(400, "customer_input needs instance_id and contact_id")
        if isinstance(dtmf, str) and not re.fullmatch(r"[0-9*#]{1,64}", dtmf):
            raise AdminError(400, "dtmf is the keys pressed: 0-9, * and #")
        return customer_input(self.service, scope, instance_id, contact_id, dtmf=dtmf,
                              text=text)

    def flow_logs(self, request: HttpRequest) -> dict[str, Any]:
        """The flow-log records of a contact (in the caller's scope)."""
        from urllib.parse import parse_qs

        from ..protocol.auth import caller
        from ..store.base import Scope

        query = parse_qs(request.query)
        contact_id = (query.get("contact_id") or [""])[0]
        if not contact_id:
            raise AdminError(400, "Send GET /_connectlocal/flow-logs?contact_id=ID")
        who = caller(request.headers, {})
        account = (query.get("account") or [""])[0]
        region = (query.get("region") or [""])[0]
        scope = Scope(account or self.service.accounts.for_key(who.access_key),
                      region or who.region)
        with self.service.store.read(scope) as tx:
            return {"records": tx.get_flow_logs(contact_id)}
