"""The instance directory: queues, contact flows, routing profiles, hours of operation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .. import views
from ..errors import ResourceNotFoundException
from ..models import ContactFlow, HoursOfOperation, Queue, RoutingProfile
from ..service import RequestContext
from ..store.base import Tx
from .common import page, require_instance

R = TypeVar("R")
ALL = 100_000  # a directory is small: read it whole, filter and page in memory

# How the model names each kind in messages.
_NOUN = {Queue: "Queue", ContactFlow: "Contact flow", RoutingProfile: "Routing profile",
         HoursOfOperation: "Hours of operation"}


def require(tx: Tx, instance_id: str, kind: type[R], resource_id: str) -> R:
    """A directory resource of the instance, by id or by its ARN."""
    key = resource_id.rsplit("/", 1)[-1] if resource_id.startswith("arn:") else resource_id
    found = tx.get_resource(instance_id, kind, key)
    if found is None:
        raise ResourceNotFoundException(
            f"{_NOUN.get(kind, kind.__name__)} not found: {resource_id} "
            f"(instance {instance_id})")
    return found


def _describe(ctx: RequestContext, instance_ref: str, kind: type[R], resource_id: str) -> R:
    with ctx.store.read(ctx.scope) as tx:
        instance = require_instance(ctx, tx, instance_ref)
        return require(tx, instance.id, kind, resource_id)


def _list(
    ctx: RequestContext, instance_ref: str, kind: type[R], keep: Callable[[R], bool],
    token: str | None, limit: int | None,
) -> tuple[list[R], str | None]:
    with ctx.store.read(ctx.scope) as tx:
        instance = require_instance(ctx, tx, instance_ref)
        items = [r for r in tx.list_resources(instance.id, kind, None, ALL) if keep(r)]
    return page(ctx, items, lambda r: r.id, token, limit)  # type: ignore[attr-defined]


def describe_queue(ctx: RequestContext, *, InstanceId: str, QueueId: str) -> dict[str, Any]:
    return {"Queue": views.queue(_describe(ctx, InstanceId, Queue, QueueId))}


def list_queues(
    ctx: RequestContext, *, InstanceId: str, QueueTypes: list[str] | None = None,
    NextToken: str | None = None, MaxResults: int | None = None,
) -> dict[str, Any]:
    shown, token = _list(ctx, InstanceId, Queue,
                         lambda q: not QueueTypes or q.queue_type in QueueTypes,
                         NextToken, MaxResults)
    return {"QueueSummaryList": [views.queue_summary(q) for q in shown], "NextToken": token}


def describe_contact_flow(
    ctx: RequestContext, *, InstanceId: str, ContactFlowId: str
) -> dict[str, Any]:
    return {"ContactFlow": views.contact_flow(
        _describe(ctx, InstanceId, ContactFlow, ContactFlowId))}


def list_contact_flows(
    ctx: RequestContext, *, InstanceId: str, ContactFlowTypes: list[str] | None = None,
    NextToken: str | None = None, MaxResults: int | None = None,
) -> dict[str, Any]:
    shown, token = _list(ctx, InstanceId, ContactFlow,
                         lambda f: not ContactFlowTypes or f.type in ContactFlowTypes,
                         NextToken, MaxResults)
    return {"ContactFlowSummaryList": [views.contact_flow_summary(f) for f in shown],
            "NextToken": token}


def describe_routing_profile(
    ctx: RequestContext, *, InstanceId: str, RoutingProfileId: str
) -> dict[str, Any]:
    profile = _describe(ctx, InstanceId, RoutingProfile, RoutingProfileId)
    instance_id = profile.arn.split("/")[1]
    return {"RoutingProfile": views.routing_profile(profile, instance_id)}


def list_routing_profiles(
    ctx: RequestContext, *, InstanceId: str, NextToken: str | None = None,
    MaxResults: int | None = None,
) -> dict[str, Any]:
    shown, token = _list(ctx, InstanceId, RoutingProfile, lambda _: True, NextToken, MaxResults)
    return {"RoutingProfileSummaryList": [views.routing_profile_summary(r) for r in shown],
            "NextToken": token}


def describe_hours_of_operation(
    ctx: RequestContext, *, InstanceId: str, HoursOfOperationId: str
) -> dict[str, Any]:
    return {"HoursOfOperation": views.hours(
        _describe(ctx, InstanceId, HoursOfOperation, HoursOfOperationId))}


def list_hours_of_operations(
    ctx: RequestContext, *, InstanceId: str, NextToken: str | None = None,
    MaxResults: int | None = None,
) -> dict[str, Any]:
    shown, token = _list(ctx, InstanceId, HoursOfOperation, lambda _: True, NextToken,
                         MaxResults)
    return {"HoursOfOperationSummaryList": [views.hours_summary(h) for h in shown],
            "NextToken": token}
