"""Hours of operation an API call creates, changes and deletes (describing and listing them is
the directory's, ``directory.py``)."""

from __future__ import annotations

from typing import Any

from ..engine.hours import time_zones
from ..errors import InvalidRequestException
from ..models import HoursEntry, HoursOfOperation, Queue
from ..service import RequestContext
from .common import require_instance
from .directory import ALL, _unique_name, require


def _time_zone(ctx: RequestContext, name: str) -> str:
    # The model leaves TimeZone a free string; Amazon Connect offers the IANA zones
    # (Administrator Guide, "Set the hours of operation": "Choose Time zone").
    if name not in time_zones():
        raise ctx.invalid(f"TimeZone '{name}' is not a valid time zone: use an IANA time zone "
                          "name such as America/New_York or UTC")
    return name


def _config(config: list[dict[str, Any]]) -> list[HoursEntry]:
    def hm(slice_: dict[str, int]) -> tuple[int, int]:
        return slice_["Hours"], slice_["Minutes"]

    return [HoursEntry(c["Day"], hm(c["StartTime"]), hm(c["EndTime"])) for c in config]


def create_hours_of_operation(
    ctx: RequestContext,
    *,
    InstanceId: str,
    Name: str,
    TimeZone: str,
    Config: list[dict[str, Any]],
    Description: str | None = None,
    ParentHoursOfOperationConfigs: list[dict[str, Any]] | None = None,
    Tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    _time_zone(ctx, TimeZone)
    if ParentHoursOfOperationConfigs:
        raise ctx.invalid("ParentHoursOfOperationConfigs: hours of operation that inherit "
                          "from parent hours are not simulated by connectlocal")
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        _unique_name(tx, instance.id, HoursOfOperation, Name)
        hours_id = ctx.ids.uuid()
        hours = HoursOfOperation(
            id=hours_id,
            arn=ctx.arn(f"instance/{instance.id}/operating-hours/{hours_id}"),
            name=Name,
            time_zone=TimeZone,
            config=_config(Config),
            description=Description,
            last_modified_time=ctx.now,
            last_modified_region=ctx.region,
            tags=Tags or {},
        )
        tx.put_resource(instance.id, hours)
    return {"HoursOfOperationId": hours.id, "HoursOfOperationArn": hours.arn}


def update_hours_of_operation(
    ctx: RequestContext,
    *,
    InstanceId: str,
    HoursOfOperationId: str,
    Name: str | None = None,
    Description: str | None = None,
    TimeZone: str | None = None,
    Config: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    if TimeZone is not None:
        _time_zone(ctx, TimeZone)
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        hours = require(tx, instance.id, HoursOfOperation, HoursOfOperationId)
        if Name is not None and Name != hours.name:
            _unique_name(tx, instance.id, HoursOfOperation, Name)
            hours.name = Name
        if Description is not None:  # UpdateHoursOfOperationDescription may be empty: cleared
            hours.description = Description or None
        if TimeZone is not None:
            hours.time_zone = TimeZone
        if Config is not None:
            hours.config = _config(Config)
        hours.last_modified_time, hours.last_modified_region = ctx.now, ctx.region
        tx.put_resource(instance.id, hours)
    return {}


def delete_hours_of_operation(
    ctx: RequestContext, *, InstanceId: str, HoursOfOperationId: str
) -> dict[str, Any]:
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        hours = require(tx, instance.id, HoursOfOperation, HoursOfOperationId)
        # A queue must have hours of operation (CreateQueue requires HoursOfOperationId), so
        # hours a queue uses cannot go.
        users = sorted(q.name for q in tx.list_resources(instance.id, Queue, None, ALL)
                       if q.hours_of_operation_id == hours.id)
        if users:
            raise InvalidRequestException(
                f"Hours of operation {hours.id} cannot be deleted: queues use it "
                f"({', '.join(users)}); give them other hours first")
        tx.delete_resource(instance.id, HoursOfOperation, hours.id)
    return {}
