"""The directory a new Amazon Connect instance comes with: Basic Hours, BasicQueue, the
Basic Routing Profile and the default flows, so contacts can reference them at once."""

from __future__ import annotations

from datetime import datetime

import orjson

from ..models import (
    AgentStatus,
    ContactFlow,
    HoursEntry,
    HoursOfOperation,
    MediaConcurrency,
    Queue,
    RoutingProfile,
    RoutingProfileQueue,
    SecurityProfile,
)
from ..service import RequestContext
from ..store.base import Tx

# The security profiles every instance starts with (Administrator Guide, "Default security
# profiles").
SECURITY_PROFILES = (
    ("Admin", "Grants full access to all functionality in Amazon Connect"),
    ("Agent", "Grants access to the Contact Control Panel"),
    ("CallCenterManager", "Grants access to user management, metrics and routing"),
    ("QualityAnalyst", "Grants access to metrics and call recordings"),
)
DEFAULT_AGENT_STATUSES = (("Available", "ROUTABLE", "Agent is available to take contacts"),
                          ("Offline", "OFFLINE", "Agent is offline"))
DAYS = ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")

# Name, type, and whether the flow puts the contact in the instance's BasicQueue.
DEFAULT_FLOWS = (
    ("Default inbound", "CONTACT_FLOW", True),
    ("Sample inbound flow (first contact experience)", "CONTACT_FLOW", True),
    ("Sample task flow", "CONTACT_FLOW", True),
    ("Default outbound", "OUTBOUND_WHISPER", False),
    ("Default queue transfer", "QUEUE_TRANSFER", True),
    ("Default agent transfer", "AGENT_TRANSFER", False),
    ("Default customer queue", "CUSTOMER_QUEUE", False),
    ("Default customer hold", "CUSTOMER_HOLD", False),
    ("Default agent hold", "AGENT_HOLD", False),
    ("Default customer whisper", "CUSTOMER_WHISPER", False),
    ("Default agent whisper", "AGENT_WHISPER", False),
)


def flow_content(ctx: RequestContext, queue_arn: str | None, set_queue: bool = True) -> str:
    """Flow language (version 2019-10-30) for a flow that queues to a queue, or just ends.
    Without ``set_queue`` it transfers to the working queue it is given (a queue transfer
    flow: TransferContact names the queue)."""
    if queue_arn is None:
        end = ctx.ids.uuid()
        actions = [{"Identifier": end, "Type": "EndFlowExecution", "Parameters": {},
                    "Transitions": {}}]
        return orjson.dumps({"Version": "2019-10-30", "StartAction": end, "Metadata": {},
                             "Actions": actions}).decode()
    target, transfer, disconnect = ctx.ids.uuid(), ctx.ids.uuid(), ctx.ids.uuid()
    actions = [
        {"Identifier": target, "Type": "UpdateContactTargetQueue",
         "Parameters": {"QueueId": queue_arn},
         "Transitions": {"NextAction": transfer,
                         "Errors": [{"NextAction": disconnect, "ErrorType": "NoMatchingError"}]}},
        {"Identifier": transfer, "Type": "TransferContactToQueue", "Parameters": {},
         "Transitions": {"NextAction": disconnect,
                         "Errors": [{"NextAction": disconnect, "ErrorType": "QueueAtCapacity"},
                                    {"NextAction": disconnect, "ErrorType": "NoMatchingError"}]}},
        {"Identifier": disconnect, "Type": "DisconnectParticipant", "Parameters": {},
         "Transitions": {}},
    ]
    if not set_queue:
        actions, target = actions[1:], transfer
    return orjson.dumps({"Version": "2019-10-30", "StartAction": target, "Metadata": {},
                         "Actions": actions}).decode()


def create_default_directory(ctx: RequestContext, tx: Tx, instance_id: str,
                             now: datetime) -> None:
    base = f"instance/{instance_id}"
    hours_id = ctx.ids.uuid()
    tx.put_resource(instance_id, HoursOfOperation(
        id=hours_id,
        arn=ctx.arn(f"{base}/operating-hours/{hours_id}"),
        name="Basic Hours",
        description="This is the default hours of operation",
        time_zone="UTC",
        config=[HoursEntry(day, (0, 0), (0, 0)) for day in DAYS],  # 00:00-00:00: all day
        last_modified_time=now,
        last_modified_region=ctx.region,
    ))
    queue_id = ctx.ids.uuid()
    queue_arn = ctx.arn(f"{base}/queue/{queue_id}")
    tx.put_resource(instance_id, Queue(
        id=queue_id,
        arn=queue_arn,
        name="BasicQueue",
        queue_type="STANDARD",
        hours_of_operation_id=hours_id,
        description="A simple, basic voice queue.",
        last_modified_time=now,
        last_modified_region=ctx.region,
    ))
    for name, flow_type, queues in DEFAULT_FLOWS:
        flow_id = ctx.ids.uuid()
        tx.put_resource(instance_id, ContactFlow(
            id=flow_id,
            arn=ctx.arn(f"{base}/contact-flow/{flow_id}"),
            name=name,
            type=flow_type,
            content=flow_content(ctx, queue_arn if queues else None,
                                 set_queue=flow_type != "QUEUE_TRANSFER"),
            description=f"{name} (created with the instance)",
            queue_id=queue_id if queues else None,
            last_modified_time=now,
            last_modified_region=ctx.region,
        ))
    profile_id = ctx.ids.uuid()
    tx.put_resource(instance_id, RoutingProfile(
        id=profile_id,
        arn=ctx.arn(f"{base}/routing-profile/{profile_id}"),
        name="Basic Routing Profile",
        description="Basic Routing Profile",
        default_outbound_queue_id=queue_id,
        media_concurrencies=[MediaConcurrency("VOICE", 1), MediaConcurrency("CHAT", 2),
                             MediaConcurrency("TASK", 10)],
        queue_ids=[queue_id],
        queue_configs=[RoutingProfileQueue(queue_id, channel, 1, 0)
                       for channel in ("VOICE", "CHAT", "TASK")],
        last_modified_time=now,
        last_modified_region=ctx.region,
        is_default=True,
    ))
    # The agent statuses every instance has: "Available" and "Offline" (Administrator Guide,
    # "About agent status"; ListAgentStatuses types them ROUTABLE and OFFLINE).
    for order, (name, status_type, description) in enumerate(DEFAULT_AGENT_STATUSES, 1):
        status_id = ctx.ids.uuid()
        tx.put_resource(instance_id, AgentStatus(
            id=status_id,
            arn=ctx.arn(f"{base}/agent-state/{status_id}"),
            name=name,
            type=status_type,
            description=description,
            display_order=order,
            last_modified_time=now,
            last_modified_region=ctx.region,
        ))
    for name, description in SECURITY_PROFILES:
        security_id = ctx.ids.uuid()
        tx.put_resource(instance_id, SecurityProfile(
            id=security_id,
            arn=ctx.arn(f"{base}/security-profile/{security_id}"),
            name=name,
            description=description,
            last_modified_time=now,
            last_modified_region=ctx.region,
        ))
