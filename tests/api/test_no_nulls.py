"""``null`` never goes on the wire: AWS leaves a member with no value out, at any depth. SDKs
drop nulls when they parse, so these tests read the raw JSON body each response carried (the
bytes before botocore parses them) over a broad set of operations, and walk all of it."""

from __future__ import annotations

import json
from typing import Any

from ..conftest import client_for, new_agent, new_instance
from ..serverproc import ServerProcess


def _nulls(value: Any, path: str = "$") -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{path}[{i}]")]
    return []


class _Bodies:
    """Every raw response body a client receives, by operation."""

    def __init__(self, client: Any) -> None:
        self.seen: list[tuple[str, Any]] = []
        client.meta.events.register("after-call.connect.*", self._record)

    def _record(self, http_response: Any, model: Any, **_: Any) -> None:
        raw = http_response.content
        self.seen.append((model.name, json.loads(raw) if raw else {}))


def test_no_response_carries_a_null(server: ServerProcess) -> None:
    client = client_for(server.url)
    bodies = _Bodies(client)
    instance = new_instance(client)
    iid = instance["id"]
    agent = new_agent(client, instance)
    flow = instance["flows"]["Default inbound"]
    basic = instance["queues"]["BasicQueue"]
    hours = client.list_hours_of_operations(InstanceId=iid)["HoursOfOperationSummaryList"]
    # A queue whose outbound caller config has only some of its members.
    queue = client.create_queue(InstanceId=iid, Name="Partial caller config",
                                HoursOfOperationId=hours[0]["Id"],
                                OutboundCallerConfig={"OutboundCallerIdName": "Acme"})["QueueId"]
    client.describe_queue(InstanceId=iid, QueueId=queue)
    client.describe_queue(InstanceId=iid, QueueId=basic)
    voice = client.start_outbound_voice_contact(
        InstanceId=iid, ContactFlowId=flow, DestinationPhoneNumber="+15555550100",
        SourcePhoneNumber="+15555550199")["ContactId"]
    chat = client.start_chat_contact(InstanceId=iid, ContactFlowId=flow,
                                     ParticipantDetails={"DisplayName": "Jane"})["ContactId"]
    task = client.start_task_contact(
        InstanceId=iid, ContactFlowId=flow, Name="Refund",
        References={"link": {"Type": "URL", "Value": "https://example.com"}})["ContactId"]
    client.update_contact(InstanceId=iid, ContactId=task, References={
        "scan": {"Type": "ATTACHMENT", "Value": "https://example.com/scan.pdf",
                 "Status": "APPROVED"}})
    client.update_contact_attributes(InstanceId=iid, InitialContactId=task,
                                     Attributes={"k": "v"})
    client.tag_contact(InstanceId=iid, ContactId=task, Tags={"t": "v"})
    for contact in (voice, chat, task):
        client.describe_contact(InstanceId=iid, ContactId=contact)
    client.list_contact_references(InstanceId=iid, ContactId=task,
                                   ReferenceTypes=["ATTACHMENT", "URL"])
    client.get_contact_attributes(InstanceId=iid, InitialContactId=task)
    client.list_associated_contacts(InstanceId=iid, ContactId=task)
    client.stop_contact(InstanceId=iid, ContactId=voice)
    client.describe_contact(InstanceId=iid, ContactId=voice)
    client.search_contacts(InstanceId=iid, TimeRange={
        "Type": "INITIATION_TIMESTAMP", "StartTime": "2020-01-01T00:00:00Z",
        "EndTime": "2100-01-01T00:00:00Z"})
    client.describe_instance(InstanceId=iid)
    client.list_instances()
    for listing, key, describe, arg in (
            ("list_contact_flows", "ContactFlowSummaryList", "describe_contact_flow",
             "ContactFlowId"),
            ("list_routing_profiles", "RoutingProfileSummaryList", "describe_routing_profile",
             "RoutingProfileId"),
            ("list_hours_of_operations", "HoursOfOperationSummaryList",
             "describe_hours_of_operation", "HoursOfOperationId"),
            ("list_users", "UserSummaryList", "describe_user", "UserId"),
            ("list_queues", "QueueSummaryList", "describe_queue", "QueueId")):
        first = getattr(client, listing)(InstanceId=iid)[key][0]["Id"]
        getattr(client, describe)(InstanceId=iid, **{arg: first})
    client.list_security_profiles(InstanceId=iid)
    client.describe_user(InstanceId=iid, UserId=agent)
    client.list_tags_for_resource(resourceArn=instance["arn"])
    operations = {name for name, _ in bodies.seen}
    assert len(operations) >= 25, sorted(operations)
    found = [(name, path) for name, body in bodies.seen for path in _nulls(body)]
    assert found == []
