"""The store contract every backend implements; every call is scoped by (account, region).

Reads and writes go through a transaction object (``Tx``): ``store.read(scope)`` for a
consistent read, ``store.write(scope)`` for read-modify-write, committed when the block ends
without an exception. Nothing above ``store/`` knows SQL or which backend is in use.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from ..clock import ClockSetting
from ..models import Contact, Instance


class Scope(NamedTuple):
    account: str
    region: str


R = TypeVar("R")


@dataclass(frozen=True)
class Claim:
    """A ClientToken already used: the resource it made and the request it came with."""

    resource_id: str
    fingerprint: str


class Tx(ABC):
    """One transaction within one (account, region)."""

    scope: Scope

    # Instances
    @abstractmethod
    def get_instance(self, instance_id: str) -> Instance | None: ...
    @abstractmethod
    def list_instances(self, after: str | None, limit: int) -> list[Instance]: ...
    @abstractmethod
    def put_instance(self, instance: Instance) -> None: ...
    @abstractmethod
    def delete_instance(self, instance_id: str) -> None: ...
    @abstractmethod
    def alias_in_use(self, alias: str) -> bool:
        """Whether any instance of any account or region has this alias (it is a domain)."""

    # Directory resources (queues, flows, routing profiles, hours), by dataclass type
    @abstractmethod
    def get_resource(self, instance_id: str, kind: type[R], resource_id: str) -> R | None: ...
    @abstractmethod
    def list_resources(
        self, instance_id: str, kind: type[R], after: str | None, limit: int
    ) -> list[R]: ...
    @abstractmethod
    def put_resource(self, instance_id: str, resource: Any) -> None: ...

    # Contacts
    @abstractmethod
    def get_contact(self, instance_id: str, contact_id: str) -> Contact | None: ...
    @abstractmethod
    def put_contact(self, contact: Contact) -> None: ...
    def put_contacts(self, contacts: list[Contact]) -> None:
        """Many contacts at once (bulk loads); a backend may do it faster than one by one."""
        for contact in contacts:
            self.put_contact(contact)
    @abstractmethod
    def get_contact_and_attributes(
        self, instance_id: str, contact_id: str
    ) -> tuple[Contact, dict[str, str]] | None:
        """A contact with its chain's attributes, in one read (DescribeContact's path)."""
    @abstractmethod
    def last_updates(self, instance_id: str, contact_ids: list[str]) -> dict[str, datetime]:
        """The stored LastUpdateTimestamp of each of these contacts that exists."""
    @abstractmethod
    def list_contacts(self, instance_id: str, initiated_from: datetime,
                      initiated_to: datetime) -> list[Contact]:
        """The instance's contacts initiated within [from, to], in no particular order."""
    @abstractmethod
    def associated_contacts(self, instance_id: str, association_id: str) -> list[Contact]:
        """The contacts whose ContactAssociationId is this one (a contact is its own root)."""

    # User-defined contact attributes: one map per chain, under its InitialContactId
    @abstractmethod
    def get_attributes(self, instance_id: str, initial_contact_id: str) -> dict[str, str]: ...
    @abstractmethod
    def put_attributes(self, instance_id: str, initial_contact_id: str,
                       attributes: dict[str, str], touched: datetime) -> None:
        """Replaces the chain's attributes; ``touched`` (the newest initiation of a contact
        using them) only moves forward, and the retention sweep reads it."""
    def put_many_attributes(self, instance_id: str,
                            rows: list[tuple[str, dict[str, str], datetime]]) -> None:
        """``put_attributes`` for many chains at once (bulk loads)."""
        for initial_contact_id, attributes, touched in rows:
            self.put_attributes(instance_id, initial_contact_id, attributes, touched)

    # Idempotency tokens (unique per scope, instance, operation and token)
    @abstractmethod
    def get_claim(self, instance_id: str, operation: str, token: str,
                  since: datetime) -> Claim | None:
        """The claim of a token made at or after ``since``; an older one has expired."""
    @abstractmethod
    def put_claim(self, instance_id: str, operation: str, token: str, claim: Claim,
                  created: datetime, since: datetime) -> None:
        """Claims a token; an expired claim of it (made before ``since``) is replaced, a live
        one is a uniqueness violation (the backend's own error)."""


Watcher = Callable[[Scope, list[Contact]], None]


class Store(ABC):
    name: str
    location: str
    watchers: list[Watcher]

    def watch(self, watcher: Watcher) -> None:
        """Calls ``watcher(scope, contacts)`` after each committed write that put contacts one
        by one (the API's writes; bulk loads are not watched). It runs on the writing thread:
        it must be quick and must not raise."""
        self.watchers.append(watcher)

    @abstractmethod
    def read(self, scope: Scope) -> AbstractContextManager[Tx]: ...
    @abstractmethod
    def write(self, scope: Scope) -> AbstractContextManager[Tx]: ...

    def contact_and_attributes(self, scope: Scope, instance_id: str,
                               contact_id: str) -> tuple[Contact, dict[str, str]] | None:
        """``Tx.get_contact_and_attributes`` as a read of its own: DescribeContact's one
        statement, which a store may run without a transaction around it."""
        with self.read(scope) as tx:
            return tx.get_contact_and_attributes(instance_id, contact_id)

    @abstractmethod
    def get_clock(self) -> ClockSetting: ...
    @abstractmethod
    def set_clock(self, setting: ClockSetting) -> None: ...

    @abstractmethod
    def delete_contacts_initiated_before(self, cutoff: datetime) -> int:
        """Removes the contacts of every instance, in every scope, initiated before
        ``cutoff``, and chains' attributes untouched since; returns how many contacts."""

    @abstractmethod
    def delete_claims_before(self, cutoff: datetime) -> int:
        """Removes ClientToken claims made before ``cutoff`` (expired), in every scope."""

    @abstractmethod
    def count_contacts(self) -> int: ...
    @abstractmethod
    def reset(self) -> None:
        """Removes everything (every scope) and returns the clock to the system clock."""
    @abstractmethod
    def close(self) -> None: ...
