"""The service a door talks to: its store, clock, id factory and account rules, and the
request context handed to every handler."""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from .clock import MAX_RATE, MIN_RATE, ClockSetting, check_instant, system_time
from .errors import ServiceError, invalid_input
from .frontdoor.faults import Faults
from .frontdoor.throttle import Throttle
from .ids import Ids
from .protocol.auth import Verifier
from .rules import retention_cutoff, settle, token_cutoff
from .store import Store
from .store.base import Paced, Scope

if TYPE_CHECKING:
    from .engine.lambdas import Lambdas

log = logging.getLogger(__name__)

DEFAULT_ACCOUNT = "123456789012"
_ACCOUNT_ID = re.compile(r"^[0-9]{12}\Z")


@dataclass
class Accounts:
    """Which account an access key id belongs to, and the secrets strict mode checks with.

    A configured key wins. A key id that is itself twelve digits is that account when
    ``numeric`` allows it (every such id with ``numeric=True``, as moto does; only the ids in
    ``numeric_ids`` otherwise); any other key is the default account.
    """

    default: str = DEFAULT_ACCOUNT
    keys: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    numeric: bool = True
    numeric_ids: frozenset[str] = frozenset()

    def for_key(self, access_key: str | None) -> str:
        if access_key is None:
            return self.default
        mapped = self.keys.get(access_key)
        if mapped is not None:
            return mapped
        if _ACCOUNT_ID.match(access_key) and (self.numeric or access_key in self.numeric_ids):
            return access_key
        return self.default

    @classmethod
    def parse(cls, text: str, default: str = DEFAULT_ACCOUNT) -> Accounts:
        """From the ``--accounts`` / ``CONNECTLOCAL_ACCOUNTS`` form: entries separated by commas
        or new lines (``@FILE`` reads them from a file; ``#`` starts a comment there), each
        ``KEY=ACCOUNT``, ``KEY:SECRET=ACCOUNT`` (the secret strict mode checks signatures
        with), ``ACCOUNT`` (that 12-digit id may be used as an access key id, in its own
        account) or ``*`` (every 12-digit key id is its own account, as in moto)."""
        if text.startswith("@"):
            try:
                with open(text[1:], encoding="utf-8") as handle:
                    text = "\n".join(line.partition("#")[0] for line in handle)
            except OSError as exc:
                raise ValueError(f"cannot read the accounts file {text[1:]}: "
                                 f"{exc.strerror}") from None
        keys: dict[str, str] = {}
        secrets: dict[str, str] = {}
        numeric_ids: set[str] = set()
        numeric = False
        for entry in filter(None, (p.strip() for p in text.replace("\n", ",").split(","))):
            if entry == "*":
                numeric = True
                continue
            if _ACCOUNT_ID.match(entry):
                numeric_ids.add(entry)
                continue
            identity, sep, account = entry.rpartition("=")
            key, has_secret, secret = identity.partition(":")
            if (not sep or not _ACCOUNT_ID.match(account.strip()) or not key.strip()
                    or (has_secret and not secret.strip())):
                raise ValueError("not KEY=ACCOUNT, KEY:SECRET=ACCOUNT, ACCOUNT or * "
                                 f"(ACCOUNT is 12 digits): {entry.partition(':')[0]!r}")
            keys[key.strip()] = account.strip()
            if has_secret:
                secrets[key.strip()] = secret.strip()
        return cls(default=default, keys=keys, secrets=secrets, numeric=numeric,
                   numeric_ids=frozenset(numeric_ids))


class Service:
    """Everything the handlers share. Holds no resource state: that lives in the store."""

    def __init__(self, store: Store, ids: Ids | None = None,
                 accounts: Accounts | None = None, strict: bool = False,
                 throttle: Throttle | None = None, faults: Faults | None = None,
                 admin_token: str | None = None, hosts: frozenset[str] = frozenset(),
                 lambdas: Lambdas | None = None, flow_log: str | None = None) -> None:
        self.store = store
        self.ids = ids or Ids()
        self.accounts = accounts or Accounts()
        # Strict SigV4 (protocol/auth.py) with the configured secrets; None: lenient.
        self.verifier = Verifier(self.accounts.secrets) if strict else None
        # Shared by a server's processes: made before they fork, handed to each one's Service.
        self.throttle = throttle
        self.faults = faults if faults is not None else Faults.for_model()
        # The admin endpoints' guard (server/admin.py): their token, and the host names the
        # server listens on besides IP addresses and localhost.
        self.admin_token = admin_token
        self.hosts = hosts
        # Where the Lambda functions flows invoke run (engine/lambdas.py), and a JSON Lines
        # file every flow-log record is appended to (serve --flow-log).
        self.lambdas = lambdas
        self.flow_log = flow_log

    def now(self) -> datetime:
        return self.store.get_clock().now(system_time())

    def now_ms(self) -> int:
        """``now()`` in whole epoch milliseconds (``wire.floor_ms(now())``), for hot reads."""
        return self.store.get_clock().now_ms(system_time())

    def set_clock(self, instant: datetime | None, ticking: bool = False,
                  rate: float = 1.0) -> None:
        """Sets the clock (None: the system clock); a ticking clock runs ``rate`` service
        seconds a second. ClockRangeError (a ValueError) for an instant the API cannot
        express; ValueError for a rate that is not a number from MIN_RATE to MAX_RATE."""
        if isinstance(rate, bool) or not isinstance(rate, int | float) \
                or not MIN_RATE <= rate <= MAX_RATE:
            raise ValueError(f"the clock's rate is a number of seconds a second from "
                             f"{MIN_RATE:g} to {MAX_RATE:g}, not {rate!r}")
        if instant is None:
            self.store.set_clock(ClockSetting())
            return
        if not isinstance(instant, datetime):
            raise TypeError(f"the clock is set to a datetime, not {type(instant).__name__}")
        try:
            seconds = instant.timestamp()
        except (OverflowError, ValueError):  # a naive instant at the calendar's edge
            seconds = math.nan
        check_instant(seconds, f"The clock set to {instant.isoformat()}")
        self.store.set_clock(ClockSetting(seconds, system_time() if ticking else None,
                                          float(rate) if ticking else 1.0))

    def sweep(self) -> int:
        """Ends the contacts whose expiry has passed (stored as ended, so that the CTR stream
        sees them end), deletes the contacts past retention at the service clock and expired
        ClientToken claims; returns how many contacts were deleted."""
        now = self.now()
        self._end_expired(now)
        self.deadlines(now)
        self.store.delete_claims_before(token_cutoff(now))
        removed = self.store.delete_contacts_initiated_before(retention_cutoff(now))
        if removed:
            log.info("retention sweep removed %d contacts", removed)
        return removed

    def _end_expired(self, now: datetime) -> None:
        from .engine import routing  # the engine builds on this module

        by_scope: dict[Scope, list[tuple[str, str]]] = {}
        for scope, instance_id, contact_id in self.store.expiring(now):
            by_scope.setdefault(scope, []).append((instance_id, contact_id))
        pace = Paced(first=500)  # writes of ~0.1 s each: other writers wait for one only
        for scope, keys in by_scope.items():
            done = 0

            def step(rows: int, scope: Scope = scope, keys: list[tuple[str, str]] = keys) -> int:
                nonlocal done
                chunk = keys[done:done + rows]
                if chunk:
                    with self.store.write(scope) as tx:
                        instances = set()
                        for instance_id, contact_id in chunk:
                            contact = tx.get_contact(instance_id, contact_id)
                            if contact is not None:
                                ended = settle(contact, now)
                                if ended is not contact:
                                    tx.put_contact(ended)
                                    instances.add(instance_id)
                        for instance_id in instances:  # their agents start wrapping up
                            routing.route(tx, instance_id, now)
                done += len(chunk)
                return len(chunk)

            pace.run(step)

    def deadlines(self, now: datetime) -> None:
        """What the service clock drives between requests, up to ``now``: flows waiting for
        customer input or a Wait time out (a flow may then queue the contact), then routing's
        rings time out, after-contact work ends and waiting contacts are offered. The server
        runs it every second, the sweep and a clock change at once."""
        from .engine.flows import resume_due  # the engine builds on this module

        resume_due(self, now)
        self.route_due(now)

    def route_due(self, now: datetime) -> None:
        """Routing at ``now`` where it has something to do: rings that timed out, after-contact
        work at its limit, contacts waiting in queues (a routing profile's delay ends)."""
        from .engine import routing  # the engine builds on this module

        for scope, instance_id in self.store.routing_due(now):
            with self.store.write(scope) as tx:
                routing.route(tx, instance_id, now)

    def advance_clock(self, seconds: float) -> None:
        """Moves the clock by ``seconds`` (back, when negative). ClockRangeError (a
        ValueError) when it would leave the instants the API can express; the clock is then
        left where it was."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise TypeError(f"the clock advances by a number of seconds, not {seconds!r}")
        try:
            step = float(seconds)
        except OverflowError:  # an int beyond any float
            step = math.inf if seconds > 0 else -math.inf
        current = self.store.get_clock()
        now = system_time()
        # From the instant the clock shows (kept in range), so that a setting stored out of
        # range by an older version can be moved back.
        shown = current.now(now).timestamp()
        moved = shown + step if math.isfinite(step) else step
        check_instant(moved, f"Advancing the clock by {seconds!r} seconds")
        # The system clock cannot be moved: a ticking copy of it is.
        self.store.set_clock(ClockSetting(moved, now if current.ticking else None,
                                          current.rate))


class RequestContext(NamedTuple):
    """What a handler knows of the request besides its parameters (a tuple: one is built per
    request, and a frozen dataclass's ``__init__`` cost ~1 µs of it)."""

    service: Service
    scope: Scope
    request_id: str
    operation: str
    now: datetime
    error_codes: frozenset[str] = frozenset()  # the errors the model lists for the operation

    @property
    def account(self) -> str:
        return self.scope.account

    @property
    def region(self) -> str:
        return self.scope.region

    @property
    def store(self) -> Store:
        return self.service.store

    @property
    def ids(self) -> Ids:
        return self.service.ids

    def invalid(self, message: str) -> ServiceError:
        return invalid_input(self.error_codes, message)

    def arn(self, resource: str) -> str:
        return f"arn:aws:connect:{self.region}:{self.account}:{resource}"
