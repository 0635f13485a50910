"""Instances: CreateInstance, DescribeInstance, ListInstances, DeleteInstance."""

from __future__ import annotations

from typing import Any

from .. import rules, views
from ..errors import IdempotencyException, InvalidRequestException
from ..models import Instance
from ..service import RequestContext
from ..store.base import Claim
from .common import fingerprint, page, require_instance
from .defaults import create_default_directory

NO_INSTANCE = ""  # client tokens of CreateInstance belong to no instance yet


def create_instance(
    ctx: RequestContext,
    *,
    IdentityManagementType: str,
    InboundCallsEnabled: bool,
    OutboundCallsEnabled: bool,
    InstanceAlias: str | None = None,
    DirectoryId: str | None = None,
    ClientToken: str | None = None,
    Tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    request = fingerprint({"IdentityManagementType": IdentityManagementType,
                           "InstanceAlias": InstanceAlias, "DirectoryId": DirectoryId,
                           "InboundCallsEnabled": InboundCallsEnabled,
                           "OutboundCallsEnabled": OutboundCallsEnabled, "Tags": Tags})
    if IdentityManagementType == "EXISTING_DIRECTORY":
        if not DirectoryId:
            raise InvalidRequestException(
                "DirectoryId is required when IdentityManagementType is EXISTING_DIRECTORY")
    elif not InstanceAlias:
        raise InvalidRequestException(
            f"InstanceAlias is required when IdentityManagementType is {IdentityManagementType}")
    with ctx.store.write(ctx.scope) as tx:
        if ClientToken:
            claim = tx.get_claim(NO_INSTANCE, ctx.operation, ClientToken,
                                 rules.token_cutoff(ctx.now))
            if claim is not None:
                if claim.fingerprint != request:
                    raise IdempotencyException(
                        f"ClientToken {ClientToken} was used for a different CreateInstance "
                        "request")
                existing = tx.get_instance(claim.resource_id)
                if existing is not None:
                    return {"Id": existing.id, "Arn": existing.arn}
        if InstanceAlias and tx.alias_in_use(InstanceAlias):
            raise InvalidRequestException(f"Instance alias {InstanceAlias} is already in use")
        instance_id = ctx.ids.uuid()
        instance = Instance(
            id=instance_id,
            arn=ctx.arn(f"instance/{instance_id}"),
            identity_management_type=IdentityManagementType,
            created_time=ctx.now,
            inbound_calls_enabled=InboundCallsEnabled,
            outbound_calls_enabled=OutboundCallsEnabled,
            alias=InstanceAlias,
            directory_id=DirectoryId,
            service_role=f"arn:aws:iam::{ctx.account}:role/aws-service-role/"
                         "connect.amazonaws.com/AWSServiceRoleForAmazonConnect",
            tags=Tags or {},
        )
        tx.put_instance(instance)
        create_default_directory(ctx, tx, instance_id, ctx.now)
        if ClientToken:
            tx.put_claim(NO_INSTANCE, ctx.operation, ClientToken, Claim(instance_id, request),
                         ctx.now, rules.token_cutoff(ctx.now))
    return {"Id": instance.id, "Arn": instance.arn}


def describe_instance(ctx: RequestContext, *, InstanceId: str) -> dict[str, Any]:
    with ctx.store.read(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
    return {"Instance": views.instance(instance)}


def list_instances(
    ctx: RequestContext, *, NextToken: str | None = None, MaxResults: int | None = None
) -> dict[str, Any]:
    with ctx.store.read(ctx.scope) as tx:
        instances = tx.list_instances(None, 100_000)
    shown, token = page(ctx, instances, lambda i: i.id, NextToken, MaxResults, default=10)
    return {"InstanceSummaryList": [views.instance_summary(i) for i in shown],
            "NextToken": token}


def delete_instance(
    ctx: RequestContext, *, InstanceId: str, ClientToken: str | None = None
) -> dict[str, Any]:
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        tx.delete_instance(instance.id)
    return {}
