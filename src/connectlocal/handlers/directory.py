"""The instance directory: queues, contact flows, routing profiles, hours of operation,
security profiles and users (agents), and the tags on them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from .. import views
from ..engine import flows
from ..errors import (
    DuplicateResourceException,
    InvalidContactFlowException,
    ResourceNotFoundException,
)
from ..models import (
    ContactFlow,
    HoursOfOperation,
    PhoneNumber,
    Queue,
    RoutingProfile,
    SecurityProfile,
    User,
)
from ..service import RequestContext
from ..store.base import Tx
from .common import page, require_instance

R = TypeVar("R")
ALL = 100_000  # a directory is small: read it whole, filter and page in memory

# How the model names each kind in messages.
_NOUN = {Queue: "Queue", ContactFlow: "Contact flow", RoutingProfile: "Routing profile",
         HoursOfOperation: "Hours of operation", SecurityProfile: "Security profile",
         User: "User"}
# The ARN path segment of each kind, as Amazon Connect writes its resource ARNs.
ARN_KINDS: dict[str, type[Any]] = {
    "queue": Queue, "contact-flow": ContactFlow, "routing-profile": RoutingProfile,
    "operating-hours": HoursOfOperation, "security-profile": SecurityProfile, "agent": User,
}


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


def list_security_profiles(
    ctx: RequestContext, *, InstanceId: str, NextToken: str | None = None,
    MaxResults: int | None = None,
) -> dict[str, Any]:
    shown, token = _list(ctx, InstanceId, SecurityProfile, lambda _: True, NextToken,
                         MaxResults)
    return {"SecurityProfileSummaryList": [views.security_profile_summary(p) for p in shown],
            "NextToken": token}


def _unique_name(tx: Tx, instance_id: str, kind: type[Any], name: str,
                 name_of: Callable[[Any], str] = lambda r: r.name) -> None:
    for existing in tx.list_resources(instance_id, kind, None, ALL):
        if name_of(existing) == name:
            raise DuplicateResourceException(
                f"{_NOUN[kind]} with name {name} already exists in instance {instance_id}")


def create_queue(
    ctx: RequestContext,
    *,
    InstanceId: str,
    Name: str,
    HoursOfOperationId: str,
    Description: str | None = None,
    OutboundCallerConfig: dict[str, Any] | None = None,
    OutboundEmailConfig: dict[str, Any] | None = None,
    MaxContacts: int | None = None,
    QuickConnectIds: list[str] | None = None,
    EmailAddressesConfig: list[dict[str, Any]] | None = None,
    Tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    if MaxContacts is not None and MaxContacts < 0:
        raise ctx.invalid("MaxContacts must be 0 or more")
    caller = OutboundCallerConfig or {}
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        _unique_name(tx, instance.id, Queue, Name)
        hours = require(tx, instance.id, HoursOfOperation, HoursOfOperationId)
        if caller.get("OutboundFlowId"):
            require(tx, instance.id, ContactFlow, caller["OutboundFlowId"])
        if QuickConnectIds:  # no quick connects exist in this service
            raise ResourceNotFoundException(
                f"Quick connect not found: {QuickConnectIds[0]} (instance {instance.id})")
        queue_id = ctx.ids.uuid()
        queue = Queue(
            id=queue_id,
            arn=ctx.arn(f"instance/{instance.id}/queue/{queue_id}"),
            name=Name,
            queue_type="STANDARD",
            hours_of_operation_id=hours.id,
            description=Description,
            max_contacts=MaxContacts,
            outbound_caller_id_name=caller.get("OutboundCallerIdName"),
            outbound_caller_id_number=caller.get("OutboundCallerIdNumberId"),
            outbound_flow_id=caller.get("OutboundFlowId"),
            last_modified_time=ctx.now,
            last_modified_region=ctx.region,
            tags=Tags or {},
        )
        tx.put_resource(instance.id, queue)
    return {"QueueArn": queue.arn, "QueueId": queue.id}


def update_queue_status(ctx: RequestContext, *, InstanceId: str, QueueId: str,
                        Status: str) -> dict[str, Any]:
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        queue = require(tx, instance.id, Queue, QueueId)
        if queue.queue_type != "STANDARD":
            raise ctx.invalid(f"Queue {queue.id} is an agent queue; only standard queues "
                              "have a status to change")
        queue.status = Status
        queue.last_modified_time, queue.last_modified_region = ctx.now, ctx.region
        tx.put_resource(instance.id, queue)
    return {}


def _flow_problems(content: str) -> tuple[list[str], dict[str, Any]]:
    """What is wrong with flow language content (Version 2019-10-30), and the parsed flow."""
    return flows.problems(content)


def _valid_flow(content: str) -> dict[str, Any]:
    found, parsed = _flow_problems(content)
    if found:
        raise InvalidContactFlowException(
            "The flow is not valid: " + "; ".join(found),
            problems=[{"message": p} for p in found])
    return parsed


def _flow_queue(tx: Tx, instance_id: str, flow: dict[str, Any]) -> str | None:
    """The queue a flow sets as the contact's target (UpdateContactTargetQueue), if any."""
    for action in flow.get("Actions", ()):
        if action.get("Type") == "UpdateContactTargetQueue":
            target = str((action.get("Parameters") or {}).get("QueueId") or "")
            if target and not target.startswith("$"):  # a dynamic one is found at run time
                return require(tx, instance_id, Queue, target).id
    return None


def create_contact_flow(
    ctx: RequestContext,
    *,
    InstanceId: str,
    Name: str,
    Type: str,
    Content: str,
    Description: str | None = None,
    Status: str | None = None,
    Tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    parsed = _valid_flow(Content)
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        _unique_name(tx, instance.id, ContactFlow, Name)
        flow_id = ctx.ids.uuid()
        flow = ContactFlow(
            id=flow_id,
            arn=ctx.arn(f"instance/{instance.id}/contact-flow/{flow_id}"),
            name=Name,
            type=Type,
            content=Content,
            status=Status or "PUBLISHED",
            description=Description,
            queue_id=_flow_queue(tx, instance.id, parsed),
            last_modified_time=ctx.now,
            last_modified_region=ctx.region,
            tags=Tags or {},
        )
        tx.put_resource(instance.id, flow)
    return {"ContactFlowId": flow.id, "ContactFlowArn": flow.arn,
            "FlowContentSha256": hashlib.sha256(Content.encode()).hexdigest()}


def update_contact_flow_content(ctx: RequestContext, *, InstanceId: str, ContactFlowId: str,
                                Content: str) -> dict[str, Any]:
    parsed = _valid_flow(Content)
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        flow = require(tx, instance.id, ContactFlow, ContactFlowId)
        flow.content = Content
        flow.queue_id = _flow_queue(tx, instance.id, parsed)
        flow.last_modified_time, flow.last_modified_region = ctx.now, ctx.region
        tx.put_resource(instance.id, flow)
    return {}


def create_user(
    ctx: RequestContext,
    *,
    Username: str,
    SecurityProfileIds: list[str],
    RoutingProfileId: str,
    InstanceId: str,
    Password: str | None = None,
    IdentityInfo: dict[str, Any] | None = None,
    PhoneConfig: dict[str, Any] | None = None,
    DirectoryUserId: str | None = None,
    HierarchyGroupId: str | None = None,
    Tags: dict[str, str] | None = None,
    **channel_configs: list[dict[str, Any]],
) -> dict[str, Any]:
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        managed = instance.identity_management_type
        if managed == "CONNECT_MANAGED" and not Password:
            raise ctx.invalid("A password is required for users of an instance that uses "
                              "Amazon Connect for identity management")
        if managed != "CONNECT_MANAGED" and Password:
            raise ctx.invalid(f"A password cannot be given for users of an instance whose "
                              f"identity management type is {managed}")
        identity = IdentityInfo or {}
        if managed in ("CONNECT_MANAGED", "SAML") and not (
                identity.get("FirstName") and identity.get("LastName")):
            raise ctx.invalid(f"IdentityInfo.FirstName and IdentityInfo.LastName are required "
                              f"for users of a {managed} instance")
        _unique_name(tx, instance.id, User, Username, lambda u: u.username)
        profile = require(tx, instance.id, RoutingProfile, RoutingProfileId)
        security = [require(tx, instance.id, SecurityProfile, s).id for s in SecurityProfileIds]
        if HierarchyGroupId:
            raise ResourceNotFoundException(
                f"Hierarchy group not found: {HierarchyGroupId} (instance {instance.id})")
        user_id = ctx.ids.uuid()
        base = f"instance/{instance.id}"
        user = User(
            id=user_id,
            arn=ctx.arn(f"{base}/agent/{user_id}"),
            username=Username,
            routing_profile_id=profile.id,
            security_profile_ids=security,
            identity_info=IdentityInfo,
            phone_config=PhoneConfig or {"PhoneType": "SOFT_PHONE", "AutoAccept": False,
                                         "AfterContactWorkTimeLimit": 0},
            directory_user_id=DirectoryUserId,
            channel_configs={k: v for k, v in channel_configs.items() if v is not None},
            last_modified_time=ctx.now,
            last_modified_region=ctx.region,
            tags=Tags or {},
        )
        tx.put_resource(instance.id, user)
        # Agent queues "are created automatically when you add an agent" (Administrator
        # Guide, "Queues: standard and agent"); a transfer to the user waits in it.
        tx.put_resource(instance.id, Queue(
            id=user_id,
            arn=ctx.arn(f"{base}/queue/agent/{user_id}"),
            name=Username,
            queue_type="AGENT",
            hours_of_operation_id=None,
            last_modified_time=ctx.now,
            last_modified_region=ctx.region,
        ))
    return {"UserId": user.id, "UserArn": user.arn}


def describe_user(ctx: RequestContext, *, UserId: str, InstanceId: str) -> dict[str, Any]:
    return {"User": views.user(_describe(ctx, InstanceId, User, UserId))}


def list_users(
    ctx: RequestContext, *, InstanceId: str, NextToken: str | None = None,
    MaxResults: int | None = None,
) -> dict[str, Any]:
    shown, token = _list(ctx, InstanceId, User, lambda _: True, NextToken, MaxResults)
    return {"UserSummaryList": [views.user_summary(u) for u in shown], "NextToken": token}


def _tagged(ctx: RequestContext, tx: Tx, arn: str) -> tuple[str, Any]:
    """The directory resource (or instance, or phone number) an ARN names, with the instance
    it is in."""
    if arn.startswith(ctx.arn("phone-number/")):
        for owner in tx.list_instances(None, ALL):
            number = tx.get_resource(owner.id, PhoneNumber, arn.rsplit("/", 1)[-1])
            if number is not None and number.arn == arn:
                return owner.id, number
        raise ResourceNotFoundException(f"Resource not found: {arn}")
    prefix = ctx.arn("instance/")
    parts = arn[len(prefix):].split("/") if arn.startswith(prefix) else []
    instance = tx.get_instance(parts[0]) if parts else None
    if instance is None or len(parts) not in (1, 3, 4):
        raise ResourceNotFoundException(f"Resource not found: {arn}")
    if len(parts) == 1:
        return instance.id, instance
    kind = ARN_KINDS.get(parts[1])
    found = tx.get_resource(instance.id, kind, parts[-1]) if kind else None
    if found is None or found.arn != arn:
        raise ResourceNotFoundException(f"Resource not found: {arn}")
    return instance.id, found


def _retag(ctx: RequestContext, arn: str, retag: Callable[[dict[str, str]], dict[str, str]],
           ) -> None:
    with ctx.store.write(ctx.scope) as tx:
        instance_id, resource = _tagged(ctx, tx, arn)
        resource.tags = retag(resource.tags)
        if resource.id == instance_id and resource.arn.endswith(f"instance/{instance_id}"):
            tx.put_instance(resource)
        else:
            tx.put_resource(instance_id, resource)


MAX_RESOURCE_TAGS = 50  # TagMap's max


def tag_resource(ctx: RequestContext, *, resourceArn: str,
                 tags: dict[str, str]) -> dict[str, Any]:
    def add(current: dict[str, str]) -> dict[str, str]:
        merged = {**current, **tags}
        if len(merged) > MAX_RESOURCE_TAGS:
            raise ctx.invalid(f"A resource can have at most {MAX_RESOURCE_TAGS} tags; "
                              f"{resourceArn} would have {len(merged)}")
        return merged

    _retag(ctx, resourceArn, add)
    return {}


def untag_resource(ctx: RequestContext, *, resourceArn: str,
                   tagKeys: list[str]) -> dict[str, Any]:
    _retag(ctx, resourceArn, lambda current: {k: v for k, v in current.items()
                                              if k not in tagKeys})
    return {}


def list_tags_for_resource(ctx: RequestContext, *, resourceArn: str) -> dict[str, Any]:
    with ctx.store.read(ctx.scope) as tx:
        _, resource = _tagged(ctx, tx, resourceArn)
    return {"tags": resource.tags}
