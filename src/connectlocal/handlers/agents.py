"""Agents: agent statuses (ListAgentStatuses, Create/Describe/UpdateAgentStatus), an agent's
status and what routing has given it (PutUserStatus, GetCurrentUserData), and the routing
profiles that say which queues an agent serves (CreateRoutingProfile, ListRoutingProfileQueues,
Associate/DisassociateRoutingProfileQueues, UpdateRoutingProfileConcurrency,
UpdateUserRoutingProfile)."""

from __future__ import annotations

from typing import Any

from .. import views
from ..engine import routing
from ..errors import DuplicateResourceException, InvalidRequestException, LimitExceededException
from ..models import (
    AgentState,
    AgentStatus,
    MediaConcurrency,
    Queue,
    RoutingProfile,
    RoutingProfileQueue,
    User,
)
from ..service import RequestContext
from ..store.base import Tx
from .common import page, require_instance
from .directory import ALL, require

# Service quotas: "Agent statuses per instance: 50"; "Queues per routing profile: 50".
MAX_AGENT_STATUSES = 50
MAX_PROFILE_QUEUES = 50
CHANNELS = ("VOICE", "CHAT", "TASK")


def _statuses(tx: Tx, instance_id: str) -> list[AgentStatus]:
    return tx.list_resources(instance_id, AgentStatus, None, ALL)


def list_agent_statuses(
    ctx: RequestContext, *, InstanceId: str, NextToken: str | None = None,
    MaxResults: int | None = None, AgentStatusTypes: list[str] | None = None,
) -> dict[str, Any]:
    with ctx.store.read(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        found = [s for s in _statuses(tx, instance.id)
                 if not AgentStatusTypes or s.type in AgentStatusTypes]
    shown, token = page(ctx, found, lambda s: s.id, NextToken, MaxResults)
    return {"AgentStatusSummaryList": [views.agent_status_summary(s) for s in shown],
            "NextToken": token}


def describe_agent_status(ctx: RequestContext, *, InstanceId: str,
                          AgentStatusId: str) -> dict[str, Any]:
    with ctx.store.read(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        return {"AgentStatus": views.agent_status(_status(tx, instance.id, AgentStatusId))}


def _status(tx: Tx, instance_id: str, status_id: str) -> AgentStatus:
    return require(tx, instance_id, AgentStatus, status_id)


def _unique_status_name(tx: Tx, instance_id: str, name: str, other_than: str = "") -> None:
    if any(s.name == name and s.id != other_than for s in _statuses(tx, instance_id)):
        raise DuplicateResourceException(
            f"Agent status with name {name} already exists in instance {instance_id}")


def create_agent_status(
    ctx: RequestContext, *, InstanceId: str, Name: str, State: str,
    Description: str | None = None, DisplayOrder: int | None = None,
    Tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        _unique_status_name(tx, instance.id, Name)
        if len(_statuses(tx, instance.id)) >= MAX_AGENT_STATUSES:
            raise LimitExceededException(
                f"Instance {instance.id} already has {MAX_AGENT_STATUSES} agent statuses, "
                "the most it can have")
        status_id = ctx.ids.uuid()
        status = AgentStatus(
            id=status_id, arn=ctx.arn(f"instance/{instance.id}/agent-state/{status_id}"),
            name=Name, type="CUSTOM", state=State, description=Description,
            display_order=DisplayOrder, last_modified_time=ctx.now,
            last_modified_region=ctx.region, tags=Tags or {})
        tx.put_resource(instance.id, status)
    return {"AgentStatusARN": status.arn, "AgentStatusId": status.id}


def update_agent_status(
    ctx: RequestContext, *, InstanceId: str, AgentStatusId: str, Name: str | None = None,
    Description: str | None = None, State: str | None = None,
    DisplayOrder: int | None = None, ResetOrderNumber: bool | None = None,
) -> dict[str, Any]:
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        status = _status(tx, instance.id, AgentStatusId)
        if State is not None and State != status.state and status.type != "CUSTOM":
            # "You can't disable the Available and Offline statuses" (the two an instance
            # is created with).
            raise InvalidRequestException(
                f"Agent status {status.name} is of type {status.type}: only custom agent "
                "statuses can be enabled or disabled")
        if Name is not None:
            _unique_status_name(tx, instance.id, Name, status.id)
            status.name = Name
        if Description is not None:
            status.description = Description
        if State is not None:
            status.state = State
        if ResetOrderNumber:
            status.display_order = None
        elif DisplayOrder is not None:
            status.display_order = DisplayOrder
        status.last_modified_time, status.last_modified_region = ctx.now, ctx.region
        tx.put_resource(instance.id, status)
    return {}


def put_user_status(ctx: RequestContext, *, UserId: str, InstanceId: str,
                    AgentStatusId: str) -> dict[str, Any]:
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        user = require(tx, instance.id, User, UserId)
        status = _status(tx, instance.id, AgentStatusId)
        if status.state != "ENABLED":
            raise InvalidRequestException(
                f"Agent status {status.name} is disabled: it cannot be set")
        state = tx.get_agent_state(instance.id, user.id) or AgentState(
            user.id, "", ctx.now, ctx.now)
        was_routable = _routable_type(tx, instance.id, state) and state.missed_at is None
        busy = any(c.state in routing.BUSY for c in state.contacts)
        if busy:
            # "If the agent is currently handling a contact, this sets the agent's next
            # status" (PutUserStatus).
            state.next_status_id = status.id
        else:
            routing.set_status(tx, instance.id, state, status.id, status, ctx.now)
            if status.type == routing.ROUTABLE and not was_routable:
                state.idle_since = ctx.now
        tx.put_agent_state(instance.id, state, None)
        routing.route(tx, instance.id, ctx.now)
    return {}


def _routable_type(tx: Tx, instance_id: str, state: AgentState) -> bool:
    status = tx.get_resource(instance_id, AgentStatus, state.status_id) if state.status_id \
        else None
    return status is not None and status.type == routing.ROUTABLE


def _ids(values: list[str] | None) -> set[str]:
    return {v.rsplit("/", 1)[-1] for v in values or ()}


def get_current_user_data(
    ctx: RequestContext, *, InstanceId: str, Filters: dict[str, Any],
    NextToken: str | None = None, MaxResults: int | None = None,
) -> dict[str, Any]:
    kinds = [k for k in ("Queues", "RoutingProfiles", "Agents", "UserHierarchyGroups")
             if Filters.get(k)]
    if len(kinds) > 1:
        # "A maximum of one filter can be passed from queues, routing profiles, agents, and
        # user hierarchy groups."
        raise ctx.invalid(f"Only one of Queues, RoutingProfiles, Agents and "
                          f"UserHierarchyGroups can be given; the filter has {', '.join(kinds)}")
    states_wanted = set((Filters.get("ContactFilter") or {}).get("ContactStates") or ())
    with ctx.store.read(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        users = {u.id: u for u in tx.list_resources(instance.id, User, None, ALL)}
        profiles = {p.id: p for p in tx.list_resources(instance.id, RoutingProfile, None, ALL)}
        queues = {q.id: q for q in tx.list_resources(instance.id, Queue, None, ALL)}
        statuses = {s.id: s for s in _statuses(tx, instance.id)}
        found = []
        for state in tx.list_agent_states(instance.id):
            user = users.get(state.user_id)
            if user is None:
                continue
            status = statuses.get(state.status_id)
            if (status is None or status.type == routing.OFFLINE) and not state.contacts:
                continue  # an agent who is offline has no current data
            profile = profiles.get(user.routing_profile_id)
            if Filters.get("Agents") and user.id not in _ids(Filters["Agents"]):
                continue
            if Filters.get("RoutingProfiles") and user.routing_profile_id not in _ids(
                    Filters["RoutingProfiles"]):
                continue
            if Filters.get("Queues") and not (profile and _ids(Filters["Queues"]) & {
                    q.queue_id for q in routing.queue_configs(profile)}):
                continue
            if Filters.get("UserHierarchyGroups"):
                continue  # this service has no hierarchy groups
            if states_wanted and not any(c.state in states_wanted for c in state.contacts):
                continue
            found.append((user, profile, status, state))
    shown, token = page(ctx, found, lambda f: f[0].id, NextToken, MaxResults)
    data = [_user_data(user, profile, status, state, queues,
                       statuses.get(state.next_status_id or ""))
            for user, profile, status, state in shown]
    return {"UserDataList": data, "NextToken": token, "ApproximateTotalCount": len(found)}


def _user_data(user: User, profile: RoutingProfile | None, status: AgentStatus | None,
               state: AgentState, queues: dict[str, Queue],
               next_status: AgentStatus | None) -> dict[str, Any]:
    busy = [c for c in state.contacts if c.state in routing.BUSY]
    active = {ch: sum(1 for c in busy if c.channel == ch) for ch in CHANNELS}
    most = {ch: routing.concurrency(profile, ch) if profile else 0 for ch in CHANNELS}
    open_for = status is not None and status.type == routing.ROUTABLE \
        and state.missed_at is None
    available = {ch: (most[ch] - active[ch]
                      if open_for and not ({c.channel for c in busy} - {ch}) else 0)
                 for ch in CHANNELS}
    return {
        "User": {"Id": user.id, "Arn": user.arn},
        "RoutingProfile": {"Id": profile.id, "Arn": profile.arn} if profile else None,
        "Status": {"StatusStartTimestamp": state.status_start,
                   "StatusArn": status.arn if status else None,
                   "StatusName": status.name if status else None},
        "AvailableSlotsByChannel": available,
        "MaxSlotsByChannel": most,
        "ActiveSlotsByChannel": active,
        "Contacts": [{
            "ContactId": c.contact_id, "Channel": c.channel,
            "InitiationMethod": c.initiation_method, "AgentContactState": c.state,
            "StateStartTimestamp": c.since, "ConnectedToAgentTimestamp": c.connected,
            "Queue": ({"Id": c.queue_id, "Arn": queues[c.queue_id].arn}
                      if c.queue_id in queues else None),
        } for c in state.contacts],
        "NextStatus": next_status.name if next_status else None,
    }


# ------------------------------------------------------------------------ routing profiles

def _queue_configs(ctx: RequestContext, tx: Tx, instance_id: str,
                   given: list[dict[str, Any]]) -> list[RoutingProfileQueue]:
    configs = []
    for config in given:
        reference = config["QueueReference"]
        queue = require(tx, instance_id, Queue, reference["QueueId"])
        if queue.queue_type != "STANDARD":
            raise ctx.invalid(f"Queue {queue.id} is an agent queue; routing profiles serve "
                              "standard queues")
        configs.append(RoutingProfileQueue(queue.id, reference["Channel"], config["Priority"],
                                           config["Delay"]))
    return configs


def _set_queues(ctx: RequestContext, profile: RoutingProfile,
                configs: list[RoutingProfileQueue]) -> None:
    if len({c.queue_id for c in configs}) > MAX_PROFILE_QUEUES:
        raise LimitExceededException(
            f"A routing profile can serve at most {MAX_PROFILE_QUEUES} queues")
    profile.queue_configs = configs
    profile.queue_ids = list(dict.fromkeys(c.queue_id for c in configs))
    profile.last_modified_time, profile.last_modified_region = ctx.now, ctx.region


def _concurrencies(ctx: RequestContext, given: list[dict[str, Any]]) -> list[MediaConcurrency]:
    seen = [m["Channel"] for m in given]
    if len(seen) != len(set(seen)):
        raise ctx.invalid("MediaConcurrencies names a channel more than once")
    for m in given:
        if m.get("Concurrency") is None:
            raise ctx.invalid(f"MediaConcurrencies: the {m['Channel']} channel needs a "
                              "Concurrency")
        # MediaConcurrency.Concurrency: "Valid Range for VOICE: Minimum value of 1. Maximum
        # value of 1. Valid Range for CHAT: ... 1 ... 10. Valid Range for TASK: ... 1 ... 10."
        if m["Channel"] == "VOICE" and m["Concurrency"] != 1:
            raise ctx.invalid("The concurrency of the VOICE channel must be 1")
    return [MediaConcurrency(m["Channel"], m["Concurrency"]) for m in given]


def create_routing_profile(
    ctx: RequestContext, *, InstanceId: str, Name: str, Description: str,
    DefaultOutboundQueueId: str, MediaConcurrencies: list[dict[str, Any]],
    QueueConfigs: list[dict[str, Any]] | None = None,
    ManualAssignmentQueueConfigs: list[dict[str, Any]] | None = None,
    Tags: dict[str, str] | None = None, AgentAvailabilityTimer: str | None = None,
) -> dict[str, Any]:
    if ManualAssignmentQueueConfigs:
        raise ctx.invalid("ManualAssignmentQueueConfigs are not supported by connectlocal")
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        if any(p.name == Name for p in tx.list_resources(instance.id, RoutingProfile, None,
                                                           ALL)):
            raise DuplicateResourceException(
                f"Routing profile with name {Name} already exists in instance {instance.id}")
        outbound = require(tx, instance.id, Queue, DefaultOutboundQueueId)
        profile_id = ctx.ids.uuid()
        profile = RoutingProfile(
            id=profile_id,
            arn=ctx.arn(f"instance/{instance.id}/routing-profile/{profile_id}"),
            name=Name, description=Description, default_outbound_queue_id=outbound.id,
            media_concurrencies=_concurrencies(ctx, MediaConcurrencies), tags=Tags or {})
        _set_queues(ctx, profile, _queue_configs(ctx, tx, instance.id, QueueConfigs or []))
        tx.put_resource(instance.id, profile)
    return {"RoutingProfileArn": profile.arn, "RoutingProfileId": profile.id}


def list_routing_profile_queues(
    ctx: RequestContext, *, InstanceId: str, RoutingProfileId: str,
    NextToken: str | None = None, MaxResults: int | None = None,
) -> dict[str, Any]:
    with ctx.store.read(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        profile = require(tx, instance.id, RoutingProfile, RoutingProfileId)
        queues = {q.id: q for q in tx.list_resources(instance.id, Queue, None, ALL)}
    configs = [c for c in routing.queue_configs(profile) if c.queue_id in queues]
    shown, token = page(ctx, configs, lambda c: f"{c.queue_id}/{c.channel}", NextToken,
                        MaxResults)
    return {
        "RoutingProfileQueueConfigSummaryList": [{
            "QueueId": c.queue_id, "QueueArn": queues[c.queue_id].arn,
            "QueueName": queues[c.queue_id].name, "Priority": c.priority, "Delay": c.delay,
            "Channel": c.channel} for c in shown],
        "NextToken": token,
        "LastModifiedTime": profile.last_modified_time,
        "LastModifiedRegion": profile.last_modified_region,
    }


def _change_profile(ctx: RequestContext, instance_ref: str, profile_id: str,
                    change: Any) -> None:
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, instance_ref)
        profile = require(tx, instance.id, RoutingProfile, profile_id)
        change(tx, instance.id, profile)
        profile.last_modified_time, profile.last_modified_region = ctx.now, ctx.region
        tx.put_resource(instance.id, profile)
        routing.route(tx, instance.id, ctx.now)  # who can be offered what has changed


def associate_routing_profile_queues(
    ctx: RequestContext, *, InstanceId: str, RoutingProfileId: str,
    QueueConfigs: list[dict[str, Any]] | None = None,
    ManualAssignmentQueueConfigs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    if ManualAssignmentQueueConfigs:
        raise ctx.invalid("ManualAssignmentQueueConfigs are not supported by connectlocal")

    def associate(tx: Tx, instance_id: str, profile: RoutingProfile) -> None:
        added = _queue_configs(ctx, tx, instance_id, QueueConfigs or [])
        keys = {(c.queue_id, c.channel) for c in added}
        kept = [c for c in routing.queue_configs(profile) if (c.queue_id, c.channel) not in keys]
        _set_queues(ctx, profile, kept + added)

    _change_profile(ctx, InstanceId, RoutingProfileId, associate)
    return {}


def disassociate_routing_profile_queues(
    ctx: RequestContext, *, InstanceId: str, RoutingProfileId: str,
    QueueReferences: list[dict[str, Any]] | None = None,
    ManualAssignmentQueueReferences: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    def disassociate(tx: Tx, instance_id: str, profile: RoutingProfile) -> None:
        gone = {(r["QueueId"].rsplit("/", 1)[-1], r["Channel"]) for r in QueueReferences or []}
        current = routing.queue_configs(profile)
        unknown = gone - {(c.queue_id, c.channel) for c in current}
        if unknown:
            queue_id, channel = sorted(unknown)[0]
            raise ctx.invalid(f"Queue {queue_id} is not associated with routing profile "
                              f"{profile.id} for the {channel} channel")
        _set_queues(ctx, profile, [c for c in current if (c.queue_id, c.channel) not in gone])

    _change_profile(ctx, InstanceId, RoutingProfileId, disassociate)
    return {}


def update_routing_profile_concurrency(
    ctx: RequestContext, *, InstanceId: str, RoutingProfileId: str,
    MediaConcurrencies: list[dict[str, Any]],
) -> dict[str, Any]:
    def update(_: Tx, __: str, profile: RoutingProfile) -> None:
        profile.queue_configs = routing.queue_configs(profile)
        profile.media_concurrencies = _concurrencies(ctx, MediaConcurrencies)

    _change_profile(ctx, InstanceId, RoutingProfileId, update)
    return {}


def update_user_routing_profile(ctx: RequestContext, *, RoutingProfileId: str, UserId: str,
                                InstanceId: str) -> dict[str, Any]:
    with ctx.store.write(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        user = require(tx, instance.id, User, UserId)
        user.routing_profile_id = require(tx, instance.id, RoutingProfile, RoutingProfileId).id
        user.last_modified_time, user.last_modified_region = ctx.now, ctx.region
        tx.put_resource(instance.id, user)
        routing.route(tx, instance.id, ctx.now)
    return {}
