"""Metrics: GetCurrentMetricData (real-time, from agents' states and waiting contacts) and
GetMetricDataV2 (historical, computed by the store over its contacts); the definitions are
in ``metrics/``."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..clock import epoch_ms
from ..engine import routing
from ..errors import ResourceNotFoundException
from ..metrics import current, historical
from ..models import AgentStatus, Queue, RoutingProfile, User
from ..service import RequestContext
from ..store.base import Aggregate, FactQuery, Tx
from .common import (
    INSTANCE_ARN,
    decode_token,
    encode_token,
    instance_id_of,
    require_instance,
)
from .directory import ALL

CURRENT_CHANNELS = ("VOICE", "CHAT", "TASK")  # "VOICE, CHAT, and TASK channels are supported."
CURRENT_GROUPINGS = ("QUEUE", "CHANNEL", "ROUTING_PROFILE")
DEFAULT_PAGE = 100


def _check_groupings(ctx: RequestContext, groupings: list[str], supported: Any) -> None:
    if len(groupings) != len(set(groupings)):
        raise ctx.invalid("Groupings names a grouping more than once")
    for grouping in groupings:
        if grouping not in supported:
            raise ctx.invalid(f"Grouping {grouping} is not supported by connectlocal; "
                              f"supported: {', '.join(supported)}")


def _threshold(ctx: RequestContext, name: str, comparison: Any, seconds: Any,
               comparisons: tuple[str, ...]) -> tuple[str, float]:
    """A threshold as the model documents it: "For ThresholdValue, enter any whole number
    from 1 to 604800 (inclusive), in seconds", compared LT (or, in V2, LTE)."""
    if comparison not in comparisons:
        raise ctx.invalid(f"The Threshold Comparison of metric {name} must be "
                          f"{' or '.join(comparisons)}")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) \
            or seconds != int(seconds) or not 1 <= seconds <= 604800:
        raise ctx.invalid(f"The ThresholdValue of metric {name} must be a whole number "
                          "from 1 to 604800")
    return str(comparison), float(seconds)


Wanted = list[tuple[historical.Definition, dict[str, Any], tuple[str, float] | None]]


def _plan(wanted: Wanted) -> tuple[list[Aggregate], list[tuple[int, int]]]:
    """The aggregates the store computes for the metrics, and where each metric's are."""
    aggregates: list[Aggregate] = []
    spans: list[tuple[int, int]] = []
    for definition, _, threshold in wanted:
        parts = definition.aggregates(threshold)
        spans.append((len(aggregates), len(parts)))
        aggregates.extend(parts)
    return aggregates, spans


def _collections(wanted: Wanted, spans: list[tuple[int, int]], values: list[float | None],
                 available: float | None = None) -> list[dict[str, Any]]:
    out = []
    for (definition, shown, _), (first, count) in zip(wanted, spans, strict=True):
        computed = definition.value(values[first:first + count])
        if definition.per_available_time:
            computed = (float(computed or 0) / available * definition.scale
                        if available else None)
        # "Metric value is null: The calculation cannot be performed due to divide by zero"
        out.append({"Metric": shown, **({"Value": computed} if computed is not None else {})})
    return out


def _page(ctx: RequestContext, results: list[Any], token: str | None,
          limit: int | None) -> tuple[list[Any], str | None]:
    start = int(decode_token(ctx, token)) if token else 0
    size = limit or DEFAULT_PAGE
    more = start + size < len(results)
    return results[start:start + size], encode_token(str(start + size)) if more else None


def _ids(values: list[str] | None) -> list[str]:
    """Filter values may be ids or ARNs ("You can include both resource IDs and resource ARNs
    in the same request")."""
    return list(dict.fromkeys(v.rsplit("/", 1)[-1] for v in values or ()))


# ------------------------------------------------------------------------- real-time metrics

def get_current_metric_data(
    ctx: RequestContext, *, InstanceId: str, Filters: dict[str, Any],
    CurrentMetrics: list[dict[str, Any]], Groupings: list[str] | None = None,
    NextToken: str | None = None, MaxResults: int | None = None,
    SortCriteria: list[dict[str, Any]] | None = None, within: Tx | None = None,
) -> dict[str, Any]:
    """The handler; ``within``: read in this transaction instead of one of its own (a flow's
    CheckMetricData and GetMetricData, engine/actions.py, inside the contact's write)."""
    groupings = list(Groupings or [])
    queue_filter, profile_filter = _ids(Filters.get("Queues")), _ids(
        Filters.get("RoutingProfiles"))
    channels = list(dict.fromkeys(Filters.get("Channels") or CURRENT_CHANNELS))
    for unsupported in ("RoutingStepExpressions", "AgentStatuses", "Subtypes",
                        "ValidationTestTypes"):
        if Filters.get(unsupported):
            raise ctx.invalid(f"The {unsupported} filter is not supported by connectlocal: it "
                              "holds no routing steps, agent-status dimensions or subtypes")
    if queue_filter and profile_filter:
        raise ctx.invalid("Filters cannot name both Queues and RoutingProfiles "
                          "(\"You cannot filter by both queue AND routing profile.\")")
    if not queue_filter and not profile_filter:
        raise ctx.invalid("Filters must name Queues or RoutingProfiles: metric data is "
                          "retrieved only for the resources associated with them")
    if "EMAIL" in channels:
        raise ctx.invalid("Channels: VOICE, CHAT, and TASK channels are supported")
    _check_groupings(ctx, groupings, CURRENT_GROUPINGS)
    wanted = []
    for metric in CurrentMetrics:
        name, unit = metric.get("Name"), metric.get("Unit")
        if metric.get("MetricId") and not name:
            raise ctx.invalid(f"MetricId {metric['MetricId']} names no metric connectlocal "
                              "has: custom metrics are not supported")
        if name in current.REFUSED:
            raise ctx.invalid(f"Metric {name} cannot be computed by connectlocal: it is "
                              f"{current.REFUSED[name]}")
        definition = current.DEFINITIONS.get(name or "")
        if definition is None:
            raise ctx.invalid(f"Metric {name} is not a real-time metric")
        if unit is not None and unit != definition.unit:
            raise ctx.invalid(f"The unit of metric {name} is {definition.unit}, not {unit}")
        if "ROUTING_PROFILE" in groupings and definition.of == "contacts" and not profile_filter:
            # "a routing profile filter is required for metrics CONTACTS_SCHEDULED,
            # CONTACTS_IN_QUEUE, and OLDEST_CONTACT_AGE"
            raise ctx.invalid(f"Grouping by ROUTING_PROFILE needs a RoutingProfiles filter for "
                              f"metric {name}")
        wanted.append((definition, metric))
    sort = SortCriteria[0] if SortCriteria else None
    if sort is not None and sort.get("SortByMetric") in ("SLOTS_ACTIVE", "SLOTS_AVAILABLE"):
        raise ctx.invalid(f"Sorting on {sort['SortByMetric']} is not supported")

    def read(tx: Tx) -> tuple[Any, ...]:
        instance = require_instance(ctx, tx, InstanceId)
        profiles = {p.id: p for p in tx.list_resources(instance.id, RoutingProfile, None, ALL)}
        # The queues named, or those the routing profiles named serve, read one by one (an
        # instance has an agent queue per user: 500 agents' took 10 ms to read).
        named = queue_filter or {q.queue_id for p in profiles.values() if p.id in profile_filter
                                 for q in routing.queue_configs(p)}
        queues = {q.id: q for q in (tx.get_resource(instance.id, Queue, queue_id)
                                    for queue_id in sorted(named)) if q is not None}
        for queue_id in queue_filter:
            if queue_id not in queues:
                raise ResourceNotFoundException(
                    f"Queue not found: {queue_id} (instance {instance.id})")
        for profile_id in profile_filter:
            if profile_id not in profiles:
                raise ResourceNotFoundException(
                    f"Routing profile not found: {profile_id} (instance {instance.id})")
        users = {u.id: u for u in tx.list_resources(instance.id, User, None, ALL)}
        statuses = {s.id: s for s in tx.list_resources(instance.id, AgentStatus, None, ALL)}
        states = tx.list_agent_states(instance.id)
        waiting = [c for c in tx.waiting_contacts(instance.id, datetime.max.replace(tzinfo=UTC))
                   if c.queue is not None]
        return profiles, queues, users, statuses, states, waiting

    if within is None:
        with ctx.store.read(ctx.scope) as tx:
            profiles, queues, users, statuses, states, waiting = read(tx)
    else:
        profiles, queues, users, statuses, states, waiting = read(within)
    now = ctx.now
    # (queue, channel) pairs each routing profile serves, within the filters.
    served: dict[str, set[tuple[str, str]]] = {}
    for profile in profiles.values():
        if profile_filter and profile.id not in profile_filter:
            continue
        served[profile.id] = {(q.queue_id, q.channel) for q in routing.queue_configs(profile)
                              if q.channel in channels and q.queue_id in queues
                              and (not queue_filter or q.queue_id in queue_filter)}

    def key(queue_id: str, channel: str, profile_id: str) -> tuple[str, ...]:
        parts = {"QUEUE": queue_id, "CHANNEL": channel, "ROUTING_PROFILE": profile_id}
        return tuple(parts[g] for g in groupings)

    agent_sets: dict[tuple[str, ...], dict[str, set[str]]] = defaultdict(
        lambda: defaultdict(set))
    sums: dict[tuple[str, ...], dict[str, dict[tuple[str, str], float]]] = defaultdict(
        lambda: defaultdict(dict))
    groups: set[tuple[str, ...]] = set()
    for state in states:
        user = users.get(state.user_id)
        if user is None or user.routing_profile_id not in served:
            continue
        status = statuses.get(state.status_id)
        status_type = status.type if status else routing.OFFLINE
        if status_type == routing.OFFLINE and not state.contacts:
            continue  # offline agents are in no real-time metric
        profile = profiles[user.routing_profile_id]
        doing = routing.activity(state, status_type)
        busy = [c for c in state.contacts if c.state in routing.BUSY]
        # What the agent counts for on a channel is the same in each of its queues:
        # counted once per channel (an agent of 5 queues on 3 channels: 3 samples, not 15).
        by_channel: dict[str, list[tuple[current.Definition, Any]]] = {}
        for queue_id, channel in served[user.routing_profile_id]:
            counts = by_channel.get(channel)
            if counts is None:
                on_channel = [c for c in busy if c.channel == channel]
                other = {c.channel for c in busy} - {channel}
                most = routing.concurrency(profile, channel)
                sample = current.AgentSample(
                    state, status_type, doing, channel,
                    active_slots=sum(1 for c in on_channel if c.state != routing.CONNECTING),
                    available_slots=(max(most - len(on_channel), 0)
                                     if routing.routable_state(status_type, state)
                                     and not other else 0),
                    acw_contacts=sum(1 for c in on_channel if c.state == routing.ENDED))
                counts = by_channel[channel] = [(d, d.agent(sample)) for d, _ in wanted
                                                if d.agent is not None]
            group = key(queue_id, channel, profile.id)
            groups.add(group)
            for definition, counted in counts:
                if definition.of == "agents":
                    if counted:
                        agent_sets[group][definition.name].add(state.user_id)
                else:
                    sums[group][definition.name][(state.user_id, channel)] = float(counted)
    contact_values: dict[tuple[str, ...], dict[str, list[float]]] = defaultdict(
        lambda: defaultdict(list))
    for contact in waiting:
        assert contact.queue is not None
        if contact.channel not in channels or contact.queue.queue_id not in queues:
            continue
        pair = (contact.queue.queue_id, contact.channel)
        if queue_filter and pair[0] not in queue_filter:
            continue
        owners = [p for p, pairs in served.items() if pair in pairs] if (
            profile_filter or "ROUTING_PROFILE" in groupings) else [""]
        for profile_id in owners:
            group = key(pair[0], pair[1], profile_id)
            groups.add(group)
            for definition, _ in wanted:
                if definition.contact is not None and definition.contact(contact, now):
                    age = (now - contact.queue.enqueue_timestamp).total_seconds()
                    contact_values[group][definition.name].append(age)

    def value_of(group: tuple[str, ...], name: str) -> float:
        definition = current.DEFINITIONS[name]
        if definition.of == "agents":
            return float(len(agent_sets[group][name]))
        if definition.of == "slots":
            return float(sum(sums[group][name].values()))
        ages = contact_values[group][name]
        if name == "OLDEST_CONTACT_AGE":
            oldest = max(ages, default=0.0)
            # "When you do not use groupings, Unit says SECONDS but the Value is returned in
            # MILLISECONDS."
            return float(round(oldest * 1000)) if not groupings else float(int(oldest))
        return float(len(ages))

    results = []
    for group in groups:
        dims: dict[str, Any] = {}
        for grouping, part in zip(groupings, group, strict=True):
            if grouping == "QUEUE":
                dims["Queue"] = {"Id": part, "Arn": queues[part].arn}
            elif grouping == "CHANNEL":
                dims["Channel"] = part
            else:
                dims["RoutingProfile"] = {"Id": part, "Arn": profiles[part].arn}
        results.append((group, {"Dimensions": dims, "Collections": [
            {"Metric": {"Name": d.name, "Unit": d.unit}, "Value": value_of(group, d.name)}
            for d, _ in wanted]}))
    # "By default resources are sorted based on AGENTS_ONLINE, DESCENDING."
    by, order = ((sort.get("SortByMetric"), sort.get("SortOrder", "DESCENDING")) if sort
                 else ("AGENTS_ONLINE", "DESCENDING"))
    results.sort(key=lambda r: r[0])
    results.sort(key=lambda r: value_of(r[0], str(by)), reverse=order == "DESCENDING")
    shown, token = _page(ctx, results, NextToken, MaxResults)
    return {"MetricResults": [r for _, r in shown], "NextToken": token,
            "DataSnapshotTime": now, "ApproximateTotalCount": len(results)}


# ------------------------------------------------------------------------ historical metrics

# GetMetricDataV2 filter and grouping keys this service's contact facts answer.
V2_KEYS = {"QUEUE": "queue_id", "CHANNEL": "channel", "AGENT": "agent_id",
           "INITIATION_METHOD": "method"}
# "Historical metrics are available for 3 months."
HISTORY = timedelta(days=93)
# IntervalDetails: "FIFTEEN_MIN: The difference between StartTime and EndTime must be less
# than 3 days. ... DAY ... WEEK ... TOTAL: ... less than 35 days."
PERIODS = {"FIFTEEN_MIN": (timedelta(minutes=15), timedelta(days=3)),
           "THIRTY_MIN": (timedelta(minutes=30), timedelta(days=3)),
           "HOUR": (timedelta(hours=1), timedelta(days=3)),
           "DAY": (timedelta(days=1), timedelta(days=35)),
           "WEEK": (timedelta(weeks=1), timedelta(days=35)),
           "TOTAL": (None, timedelta(days=35))}
MAX_FILTER_VALUES = 100


def _intervals(ctx: RequestContext, start: datetime, end: datetime, period: str,
               zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    step = PERIODS[period][0]
    if step is None:
        return [(start, end)]
    cuts = []
    local = start.astimezone(zone)
    if period in ("DAY", "WEEK"):
        # Days and weeks begin at local midnight of the TimeZone (a day across a clock
        # change is 23 or 25 hours long).
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if period == "WEEK":
            day -= timedelta(days=day.weekday())
        edge = day
        while edge < end:
            cuts.append(edge.astimezone(UTC))
            edge = (edge.replace(tzinfo=None) + step).replace(tzinfo=zone)
    else:
        seconds = step.total_seconds()
        first = datetime.fromtimestamp(start.timestamp() // seconds * seconds, UTC)
        edge = first
        while edge < end:
            cuts.append(edge)
            edge += step
    out = []
    for i, lo in enumerate(cuts):
        hi = cuts[i + 1] if i + 1 < len(cuts) else end
        lo, hi = max(lo, start), min(hi, end)
        if lo < hi:
            out.append((lo, hi))
    return out


def get_metric_data_v2(
    ctx: RequestContext, *, ResourceArn: str, StartTime: datetime, EndTime: datetime,
    Filters: list[dict[str, Any]], Metrics: list[dict[str, Any]],
    Interval: dict[str, Any] | None = None, Groupings: list[str] | None = None,
    NextToken: str | None = None, MaxResults: int | None = None,
) -> dict[str, Any]:
    found = INSTANCE_ARN.match(ResourceArn)
    if found is None:
        raise ctx.invalid(f"ResourceArn {ResourceArn} is not an Amazon Connect instance ARN")
    now = ctx.now
    if EndTime <= StartTime:
        raise ctx.invalid("EndTime must be later than StartTime")
    # The service clock counts whole milliseconds (what its timestamps carry): an EndTime in
    # its current millisecond, microseconds and all, is not later than now.
    if epoch_ms(EndTime) > epoch_ms(now):
        raise ctx.invalid(f"EndTime {EndTime.isoformat()} cannot be later than the current "
                          f"time ({now.isoformat()})")
    if StartTime < now - HISTORY:
        raise ctx.invalid("StartTime must be within the last 3 months: historical metrics "
                          "are available for 3 months")
    period = (Interval or {}).get("IntervalPeriod") or "TOTAL"
    zone_name = (Interval or {}).get("TimeZone") or "UTC"
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ctx.invalid(f"TimeZone {zone_name} is not a time zone") from None
    if EndTime - StartTime >= PERIODS[period][1]:
        raise ctx.invalid(f"With IntervalPeriod {period}, the difference between StartTime "
                          f"and EndTime must be less than {PERIODS[period][1].days} days")
    filters: dict[str, list[str]] = {}
    total_values = 0
    for given in Filters:
        name = given.get("FilterKey") or ""
        if given.get("StringCondition"):
            raise ctx.invalid("StringCondition filters are not supported by connectlocal")
        if name not in V2_KEYS:
            raise ctx.invalid(f"Filter key {name} is not supported by connectlocal; supported: "
                              f"{', '.join(V2_KEYS)}")
        values = given.get("FilterValues") or []
        total_values += len(values)
        column = V2_KEYS[name]
        filters[column] = filters.get(column, []) + (
            _ids(values) if name in ("QUEUE", "AGENT") else list(values))
    if total_values > MAX_FILTER_VALUES:
        # "Filter values: A maximum of 100 filter values are supported in a single request."
        raise ctx.invalid(f"The filters have {total_values} values; at most "
                          f"{MAX_FILTER_VALUES} are supported in a single request")
    groupings = list(Groupings or [])
    _check_groupings(ctx, groupings, V2_KEYS)
    wanted: Wanted = []
    for metric in Metrics:
        name = metric.get("Name") or ""
        definition = historical.DEFINITIONS.get(name)
        if definition is None:
            raise ctx.invalid(f"Metric {name or metric.get('MetricId')} cannot be computed by "
                              "connectlocal from the contacts it holds")
        if metric.get("MetricFilters"):
            raise ctx.invalid(f"MetricFilters of metric {name} are not supported by "
                              "connectlocal")
        thresholds = metric.get("Threshold") or []
        threshold = None
        if definition.threshold:
            if not thresholds:
                raise ctx.invalid(f"Metric {name} needs a Threshold")
            threshold = _threshold(ctx, name, thresholds[0].get("Comparison"),
                                   thresholds[0].get("ThresholdValue"), ("LT", "LTE"))
        elif thresholds:
            raise ctx.invalid(f"Metric {name} takes no Threshold")
        wanted.append((definition, {k: v for k, v in metric.items()
                                     if k in ("Name", "Threshold")}, threshold))

    occupancy = any(d.per_available_time for d, _, _ in wanted)
    if occupancy and (set(groupings) - {"AGENT"} or set(filters) - {"agent_id"}):
        # Occupancy is a measure of agents (valid groupings: routing profile, agent, agent
        # hierarchy); connectlocal answers it per agent or for all of them.
        raise ctx.invalid("Metric AGENT_OCCUPANCY can be grouped and filtered only by AGENT "
                          "in connectlocal")
    instance_id = instance_id_of(ctx, found.group("id"))
    intervals = _intervals(ctx, StartTime, EndTime, period, zone)
    aggregates, spans = _plan(wanted)
    query = FactQuery([(lo.timestamp(), hi.timestamp()) for lo, hi in intervals], filters,
                      [V2_KEYS[g] for g in groupings], aggregates)
    with ctx.store.read(ctx.scope) as tx:
        instance = tx.get_instance(instance_id)
        if instance is None or instance.arn != ResourceArn:
            raise ResourceNotFoundException(f"Instance not found: {ResourceArn}")
        rows = tx.facts(instance.id, query)
        # The ARNs of the groups' queues and agents, read one by one: an instance has an
        # agent queue per user, and a day's metrics took 12 ms reading 500 of each.
        arns: dict[tuple[str, str], str] = {}
        kinds: dict[str, type[Queue] | type[User]] = {"QUEUE": Queue, "AGENT": User}
        for grouping, kind in kinds.items():
            if grouping in groupings:
                at = groupings.index(grouping)
                for part in {key[at] or "" for _, key, _ in rows} - {""}:
                    resource = tx.get_resource(instance.id, kind, part)
                    if resource is not None:
                        arns[(grouping, part)] = resource.arn
        agents = set(filters.get("agent_id", ()))
        available = [{a: t for a, t in tx.status_seconds(
            instance.id, lo.timestamp(), hi.timestamp(), now.timestamp(),
            routing.ROUTABLE).items() if not agents or a in agents}
            for lo, hi in intervals] if occupancy else []
    results = []
    for index, key, values in rows:
        dims: dict[str, str] = {}
        for grouping, value in zip(groupings, key, strict=True):
            dims[grouping] = value or ""
            if (grouping, value or "") in arns:
                dims[f"{grouping}_ARN"] = arns[(grouping, value or "")]
        lo, hi = intervals[index]
        time_available = None
        if occupancy:
            time_available = (available[index].get(key[0] or "", 0.0) if groupings
                              else sum(available[index].values()))
        results.append({"Dimensions": dims,
                        "Collections": _collections(wanted, spans, values, time_available),
                        **({"MetricInterval": {"Interval": period, "StartTime": lo,
                                               "EndTime": hi}} if Interval else {})})
    shown, token = _page(ctx, results, NextToken, MaxResults)
    return {"MetricResults": shown, "NextToken": token}


# ------------------------------------------------------------------- GetMetricData (v1)

# StartTime: "The start time cannot be earlier than 24 hours before the time of the request";
# both "must be specified using a multiple of 5 minutes"; "The time range between the start
# and end time must be less than 24 hours."
V1_HISTORY = timedelta(hours=24)
V1_STEP = 300
V1_GROUPINGS = {"QUEUE": "queue_id", "CHANNEL": "channel"}


def get_metric_data(
    ctx: RequestContext, *, InstanceId: str, StartTime: datetime, EndTime: datetime,
    Filters: dict[str, Any], HistoricalMetrics: list[dict[str, Any]],
    Groupings: list[str] | None = None, NextToken: str | None = None,
    MaxResults: int | None = None,
) -> dict[str, Any]:
    now = ctx.now
    for name, instant in (("StartTime", StartTime), ("EndTime", EndTime)):
        if instant.timestamp() % V1_STEP:
            raise ctx.invalid(f"{name} must be a multiple of 5 minutes, such as 10:05 or 10:10")
    if EndTime <= StartTime:
        raise ctx.invalid("EndTime must be later than StartTime")
    if EndTime - StartTime >= V1_HISTORY:
        raise ctx.invalid("The time range between StartTime and EndTime must be less than "
                          "24 hours")
    if StartTime < now - V1_HISTORY:
        raise ctx.invalid("StartTime cannot be earlier than 24 hours before the time of the "
                          "request: historical metrics are available only for 24 hours")
    for unsupported in ("RoutingProfiles", "RoutingStepExpressions", "AgentStatuses",
                        "Subtypes", "ValidationTestTypes"):
        if Filters.get(unsupported):
            raise ctx.invalid(f"The {unsupported} filter is not valid for GetMetricData; "
                              "Filters take Queues and Channels")
    filters: dict[str, list[str]] = {}
    if Filters.get("Queues"):
        filters["queue_id"] = _ids(Filters["Queues"])
    if Filters.get("Channels"):
        if "EMAIL" in Filters["Channels"]:
            raise ctx.invalid("Channels: VOICE, CHAT, and TASK channels are supported")
        filters["channel"] = list(Filters["Channels"])
    if not filters:
        raise ctx.invalid("Filters must name Queues or Channels")
    groupings = list(Groupings or [])
    _check_groupings(ctx, groupings, V1_GROUPINGS)
    wanted: Wanted = []
    for metric in HistoricalMetrics:
        name = metric.get("Name") or ""
        if name not in historical.V1:
            raise ctx.invalid(f"Metric {name} cannot be computed by connectlocal from the "
                              "contacts it holds")
        base, unit, statistic = historical.V1[name]
        if metric.get("Unit") not in (None, unit):
            raise ctx.invalid(f"The unit of metric {name} is {unit}, not {metric['Unit']}")
        if metric.get("Statistic") not in (None, statistic):
            raise ctx.invalid(f"The statistic of metric {name} is {statistic}, not "
                              f"{metric['Statistic']}")
        definition = historical.DEFINITIONS[base]
        threshold = None
        if definition.threshold:
            given = metric.get("Threshold") or {}
            threshold = _threshold(ctx, name, given.get("Comparison"),
                                   given.get("ThresholdValue"), ("LT",))
        wanted.append((definition, {**metric, "Unit": unit, "Statistic": statistic},
                       threshold))
    aggregates, spans = _plan(wanted)
    query = FactQuery([(StartTime.timestamp(), EndTime.timestamp())], filters,
                      [V1_GROUPINGS[g] for g in groupings], aggregates)
    with ctx.store.read(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        queues = {q.id: q for q in tx.list_resources(instance.id, Queue, None, ALL)}
        for queue_id in filters.get("queue_id", []):
            if queue_id not in queues:
                raise ResourceNotFoundException(
                    f"Queue not found: {queue_id} (instance {instance.id})")
        rows = tx.facts(instance.id, query)
    results = []
    for _, key, values in rows:
        dims: dict[str, Any] = {}
        for grouping, part in zip(groupings, key, strict=True):
            if grouping == "QUEUE" and part in queues:
                dims["Queue"] = {"Id": part, "Arn": queues[part].arn}
            elif grouping == "CHANNEL":
                dims["Channel"] = part
        results.append({"Dimensions": dims, "Collections": _collections(wanted, spans, values)})
    shown, token = _page(ctx, results, NextToken, MaxResults)
    return {"MetricResults": shown, "NextToken": token}
