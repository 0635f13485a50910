"""The ``/_connectlocal/`` admin endpoints: health, and the service clock.

    GET  /_connectlocal/health  → {"status", "version", "store", "operations": [...]}
    GET  /_connectlocal/clock   → {"now", "set", "ticking"}
    POST /_connectlocal/clock   ← {"now": ISO8601 | null, "ticking": bool} | {"advance_seconds": N}
    POST /_connectlocal/reset   → {"status": "reset"}: every account's data gone, system clock
    POST /_connectlocal/events  ← {"event": "arrive" | "ring" | "accept" | "hold" | "disconnect" |
                                   "after_contact_work" | "follow", "instance_id", ...}
    POST /_connectlocal/ctr     ← {"records": [[source, position, record], ...],
                                   "keep_past_retention": bool} → the import's counts
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import orjson

from .. import __version__
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


class Admin:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.service = dispatcher.service
        self._routes = {
            ("GET", "health"): self.health,
            ("GET", "clock"): self.clock,
            ("POST", "clock"): self.set_clock,
            ("POST", "reset"): self.reset,
            ("POST", "ctr"): self.import_records,
            ("POST", "events"): self.event,
        }

    def __call__(self, request: HttpRequest) -> Response:
        name = request.path.removeprefix("/_connectlocal/").strip("/")
        route = self._routes.get((request.method, name))
        try:
            if route is None:
                known = ", ".join(f"{m} /_connectlocal/{n}" for m, n in self._routes)
                raise AdminError(404, f"No admin endpoint {request.method} {request.path}; "
                                      f"there are: {known}")
            return _json(200, route(request))
        except AdminError as error:
            return _json(error.status, {**error.extra, "error": error.message})
        except StoreUnavailable as exc:
            return _json(503, {"store": "unavailable", "error": str(exc)})
        except Exception:
            log.exception("admin %s %s failed", request.method, request.path)
            return _json(500, {"error": "internal error (see the server log)"})

    def health(self, _: HttpRequest) -> dict[str, Any]:
        store = self.service.store
        try:
            store.check()
        except StoreUnavailable as exc:
            raise AdminError(503, str(exc), {"status": "store unavailable",
                                             "store": "unavailable"}) from None
        return {
            "status": "ok",
            "version": __version__,
            "store": {"kind": store.name, "location": store.location},
            "operations": self.dispatcher.implemented,
        }

    def clock(self, _: HttpRequest) -> dict[str, Any]:
        setting = self.service.store.get_clock()
        return {"now": to_iso(self.service.now()), "set": setting.instant is not None,
                "ticking": setting.ticking}

    def set_clock(self, request: HttpRequest) -> dict[str, Any]:
        try:
            body = orjson.loads(request.body or b"{}")
        except orjson.JSONDecodeError as exc:
            raise AdminError(400, f"The body is not JSON: {exc}") from None
        if not isinstance(body, dict) or not ({"now", "advance_seconds"} & body.keys()):
            raise AdminError(400, 'Send {"now": "2025-01-01T00:00:00Z"}, {"now": null} '
                                  'or {"advance_seconds": 60}')
        if "advance_seconds" in body:
            seconds = body["advance_seconds"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                raise AdminError(400, "advance_seconds must be a number")
            self.service.advance_clock(float(seconds))
        else:
            now = body["now"]
            ticking = body.get("ticking", False)
            if not isinstance(ticking, bool):
                raise AdminError(400, "ticking must be true or false")
            if now is None:
                self.service.set_clock(None)
            elif isinstance(now, str):
                try:
                    self.service.set_clock(parse_iso(now), ticking=ticking)
                except ValueError:
                    raise AdminError(400, f"now is not an ISO 8601 instant: {now!r}") from None
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
        who = caller(request.headers, {})
        account, region = body.get("account"), body.get("region")
        if account is not None and not (isinstance(account, str) and re.fullmatch(
                r"\d{12}", account)):
            raise AdminError(400, "account must be a 12-digit account id")
        if region is not None and not (isinstance(region, str) and re.fullmatch(
                r"[a-z]{2}(-[a-z]+){1,2}-\d", region)):
            raise AdminError(400, "region must be a region name like us-east-1")
        scope = Scope(account or self.service.accounts.for_key(who.access_key),
                      region or who.region)
        try:
            return apply(self.service, scope, body)
        except (EventError, ValueError, KeyError) as exc:
            raise AdminError(400, str(exc)) from None
