"""Bulk writes: many contacts in few transactions (CTR import, seeding, benchmarks), under the
rules the API keeps: the instance must exist in the scope, and contacts past the 24-month
retention or before 2021-11-12 are not stored unless asked."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import rules
from .errors import ResourceNotFoundException
from .handlers import directory, instances
from .models import Contact
from .service import RequestContext, Service
from .store.base import Scope, Staged, staged

BATCH = 20_000  # contacts added to a bulk load at a time


@contextmanager
def collector_paused() -> Iterator[None]:
    """Bulk work without Python's cyclic garbage collector. A batch keeps tens of thousands of
    records, contacts and documents alive, and every few hundred allocations the collector
    walked them all: a CTR import ran 40% faster without it (bench/README.md). What bulk work
    allocates holds no reference cycles, so reference counting frees all of it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class Loaded:
    stored: int = 0
    new: int = 0  # of them, contacts the store did not have
    past_retention: int = 0  # counted whether stored or not


def load_contacts(service: Service, scope: Scope, instance_id: str,
                  contacts: Iterable[Contact], *, keep_past_retention: bool = False,
                  batch: int = BATCH) -> Loaded:
    """Stores contacts of one instance as a bulk load (``Store.bulk_load``): a contact given
    twice, or already stored, keeps its newest LastUpdateTimestamp."""
    with service.store.read(scope) as tx:
        if tx.get_instance(instance_id) is None:
            raise ResourceNotFoundException(f"Instance not found: {instance_id}")
    now = service.now()
    loaded = Loaded()
    pending: list[Staged] = []
    with collector_paused(), service.store.bulk_load() as load:
        for contact in contacts:
            if not rules.describable(contact, now):
                loaded.past_retention += 1
                if not keep_past_retention:
                    continue
            pending.append(staged(contact))
            if len(pending) >= batch:
                load.add(scope, pending)
                pending = []
        if pending:
            load.add(scope, pending)
        new, merged = load.merge()
    loaded.stored, loaded.new = new + merged, new
    return loaded


def seed_instance(service: Service, scope: Scope, alias: str | None = None,
                  **options: Any) -> dict[str, Any]:
    """Creates an instance with its default directory (as CreateInstance does) and returns its
    id, ARN, and its flows, queues and security profiles by name."""

    def ctx(operation: str) -> RequestContext:
        return RequestContext(service, scope, "seed", operation, service.now())

    created = instances.create_instance(ctx("CreateInstance"), **{
        "IdentityManagementType": "CONNECT_MANAGED",
        "InstanceAlias": alias or f"seed-{service.ids.uuid()[:8]}",
        "InboundCallsEnabled": True, "OutboundCallsEnabled": True, **options})
    instance_id = created["Id"]
    flows = directory.list_contact_flows(ctx("ListContactFlows"), InstanceId=instance_id)
    queues = directory.list_queues(ctx("ListQueues"), InstanceId=instance_id)
    security = directory.list_security_profiles(ctx("ListSecurityProfiles"),
                                                InstanceId=instance_id)
    return {
        "id": instance_id, "arn": created["Arn"],
        "flows": {f["Name"]: f["Id"] for f in flows["ContactFlowSummaryList"]},
        "queues": {q["Name"]: q["Id"] for q in queues["QueueSummaryList"]},
        "security_profiles": {p["Name"]: p["Id"] for p in security["SecurityProfileSummaryList"]},
    }
