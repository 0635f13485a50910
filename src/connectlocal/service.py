"""The service a door talks to: its store, clock, id factory and account rules, and the
request context handed to every handler."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from .clock import ClockSetting, system_time
from .errors import ServiceError, invalid_input
from .ids import Ids
from .rules import retention_cutoff, settle, token_cutoff
from .store import Store
from .store.base import Scope

if TYPE_CHECKING:
    from .engine.lambdas import Lambdas

log = logging.getLogger(__name__)

DEFAULT_ACCOUNT = "123456789012"
_ACCOUNT_ID = re.compile(r"^\d{12}$")
EXPIRED_PER_TRANSACTION = 1_000  # contacts the sweep ends in one write


@dataclass
class Accounts:
    """Which account an access key id belongs to.

    A configured mapping wins; a key id that is itself twelve digits is that account (as in
    moto); any other key is the default account.
    """

    default: str = DEFAULT_ACCOUNT
    keys: dict[str, str] = field(default_factory=dict)

    def for_key(self, access_key: str | None) -> str:
        if access_key is None:
            return self.default
        mapped = self.keys.get(access_key)
        if mapped is not None:
            return mapped
        return access_key if _ACCOUNT_ID.match(access_key) else self.default

    @classmethod
    def parse(cls, text: str, default: str = DEFAULT_ACCOUNT) -> Accounts:
        """From ``KEY=ACCOUNT,KEY=ACCOUNT`` (the ``CONNECTLOCAL_ACCOUNTS`` form)."""
        keys: dict[str, str] = {}
        for pair in filter(None, (p.strip() for p in text.split(","))):
            key, sep, account = pair.partition("=")
            if not sep or not _ACCOUNT_ID.match(account.strip()):
                raise ValueError(f"not KEY=ACCOUNT (12 digits): {pair!r}")
            keys[key.strip()] = account.strip()
        return cls(default=default, keys=keys)


class Service:
    """Everything the handlers share. Holds no resource state: that lives in the store."""

    def __init__(self, store: Store, ids: Ids | None = None,
                 accounts: Accounts | None = None, lambdas: Lambdas | None = None,
                 flow_log: str | None = None) -> None:
        self.store = store
        self.ids = ids or Ids()
        self.accounts = accounts or Accounts()
        # Where the Lambda functions flows invoke run (engine/lambdas.py), and a JSON Lines
        # file every flow-log record is appended to (serve --flow-log).
        self.lambdas = lambdas
        self.flow_log = flow_log

    def now(self) -> datetime:
        return self.store.get_clock().now(system_time())

    def set_clock(self, instant: datetime | None, ticking: bool = False) -> None:
        if instant is None:
            self.store.set_clock(ClockSetting())
        else:
            self.store.set_clock(
                ClockSetting(instant.timestamp(), system_time() if ticking else None)
            )

    def sweep(self) -> int:
        """Ends the contacts whose expiry has passed (stored as ended, so that the CTR stream
        sees them end), deletes the contacts past retention at the service clock and expired
        ClientToken claims; returns how many contacts were deleted."""
        from .engine.flows import resume_due

        now = self.now()
        self._end_expired(now)
        resume_due(self, now)  # customer input and Wait timeouts
        self.store.delete_claims_before(token_cutoff(now))
        removed = self.store.delete_contacts_initiated_before(retention_cutoff(now))
        if removed:
            log.info("retention sweep removed %d contacts", removed)
        return removed

    def _end_expired(self, now: datetime) -> None:
        by_scope: dict[Scope, list[tuple[str, str]]] = {}
        for scope, instance_id, contact_id in self.store.expiring(now):
            by_scope.setdefault(scope, []).append((instance_id, contact_id))
        for scope, keys in by_scope.items():
            for start in range(0, len(keys), EXPIRED_PER_TRANSACTION):
                with self.store.write(scope) as tx:
                    for instance_id, contact_id in keys[start:start + EXPIRED_PER_TRANSACTION]:
                        contact = tx.get_contact(instance_id, contact_id)
                        if contact is not None:
                            ended = settle(contact, now)
                            if ended is not contact:
                                tx.put_contact(ended)

    def advance_clock(self, seconds: float) -> None:
        current = self.store.get_clock()
        if current.instant is None:
            # The system clock cannot be moved: move a ticking copy of it.
            now = system_time()
            self.store.set_clock(ClockSetting(now + seconds, now))
        else:
            self.store.set_clock(ClockSetting(current.instant + seconds, current.set_at))


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
