"""Helpers the handlers share: id checks, instance lookup, page tokens, ClientToken claims."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import orjson

from ..errors import ResourceNotFoundException
from ..models import Instance
from ..service import RequestContext
from ..store.base import Tx

T = TypeVar("T")

# \Z, not $ (which also takes a final newline); [0-9], not \d (which takes any digit).
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
# An instance ARN, whole (the API's InstanceId and ResourceArn, a CTR's InstanceARN).
INSTANCE_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):connect:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):"
    r"instance/(?P<id>[0-9a-f-]{36})\Z")
DEFAULT_PAGE = 100


def is_uuid(value: str) -> bool:
    return _UUID.match(value) is not None


def instance_id_of(ctx: RequestContext, value: str) -> str:
    """The instance id from an id or an instance ARN; malformed ones are refused."""
    if is_uuid(value):
        return value
    arn = INSTANCE_ARN.match(value)
    if arn is not None:
        return arn.group("id")
    raise ctx.invalid(f"InstanceId '{value}' is not a valid instance id or instance ARN")


def require_instance(ctx: RequestContext, tx: Tx, value: str) -> Instance:
    instance = tx.get_instance(instance_id_of(ctx, value))
    if instance is None:
        raise ResourceNotFoundException(f"Instance not found: {value}")
    return instance


def check_id(ctx: RequestContext, what: str, value: str) -> str:
    """A contact id (named by the member that carries it) must be a UUID."""
    if not is_uuid(value):
        raise ctx.invalid(f"{what} '{value}' is not a valid contact id")
    return value


def page(
    ctx: RequestContext,
    items: Sequence[T],
    key: Callable[[T], str],
    next_token: str | None,
    max_results: int | None,
    default: int = DEFAULT_PAGE,
) -> tuple[list[T], str | None]:
    """One page of items sorted by key, with an opaque token naming the last key shown."""
    after = decode_token(ctx, next_token) if next_token else None
    ordered = sorted(items, key=key)
    if after is not None:
        ordered = [i for i in ordered if key(i) > after]
    size = max_results or default
    shown = ordered[:size]
    more = len(ordered) > size
    return shown, (encode_token(key(shown[-1])) if more and shown else None)


def encode_token(after: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"after": after})).decode()


def decode_token(ctx: RequestContext, token: str) -> str:
    try:
        value = orjson.loads(base64.urlsafe_b64decode(token.encode()))["after"]
        if isinstance(value, str):
            return value
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        pass
    raise ctx.invalid("The NextToken is not valid: it was not returned by this operation")


def fingerprint(params: dict[str, Any]) -> str:
    """A digest of a request's parameters, to tell a retry from a different request."""
    return hashlib.sha256(orjson.dumps(params, option=orjson.OPT_SORT_KEYS,
                                       default=str)).hexdigest()
