"""The Lambda functions an instance's flows may invoke: AssociateLambdaFunction,
ListLambdaFunctions, DisassociateLambdaFunction."""

from __future__ import annotations

from typing import Any

from ..engine.lambdas import LAMBDA_ARN
from ..errors import (
    ResourceConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
)
from ..models import LambdaFunction
from ..service import RequestContext
from .common import page, require_instance

ALL = 100_000
MAX_FUNCTIONS = 50  # Amazon Connect service quotas: "Lambda functions per instance: 50"


def associate_lambda_function(ctx: RequestContext, *, InstanceId: str, FunctionArn: str,
                              ClientToken: str | None = None) -> dict[str, Any]:
    if not LAMBDA_ARN.match(FunctionArn):
        raise ctx.invalid(f"FunctionArn {FunctionArn} is not a Lambda function ARN")
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        if tx.get_resource(instance.id, LambdaFunction, FunctionArn) is not None:
            raise ResourceConflictException(
                f"Lambda function {FunctionArn} is already associated with instance "
                f"{instance.id}")
        if len(tx.list_resources(instance.id, LambdaFunction, None, ALL)) >= MAX_FUNCTIONS:
            raise ServiceQuotaExceededException(
                f"Instance {instance.id} already has {MAX_FUNCTIONS} Lambda functions, the "
                "most it can have")
        tx.put_resource(instance.id, LambdaFunction(FunctionArn, ctx.now))
    return {}


def disassociate_lambda_function(ctx: RequestContext, *, InstanceId: str, FunctionArn: str,
                                 ClientToken: str | None = None) -> dict[str, Any]:
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        if tx.get_resource(instance.id, LambdaFunction, FunctionArn) is None:
            raise ResourceNotFoundException(
                f"Lambda function {FunctionArn} is not associated with instance {instance.id}")
        tx.delete_resource(instance.id, LambdaFunction, FunctionArn)
    return {}


def list_lambda_functions(ctx: RequestContext, *, InstanceId: str,
                          NextToken: str | None = None,
                          MaxResults: int | None = None) -> dict[str, Any]:
    with ctx.store.read(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        found = tx.list_resources(instance.id, LambdaFunction, None, ALL)
    shown, token = page(ctx, found, lambda f: f.id, NextToken, MaxResults, default=25)
    return {"LambdaFunctions": [f.id for f in shown], "NextToken": token}
