"""The client-compatibility scenario for aiobotocore: drives a running connectlocal at argv[1]
and prints what the client gave back, as JSON (run in its own environment, with its own
botocore: tests/clients/test_clients.py)."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from typing import Any

from aiobotocore.session import get_session


def _type(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _type(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return "datetime" if value.tzinfo is not None else "naive datetime"
    return type(value).__name__


async def scenario(endpoint: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    session = get_session()
    async with session.create_client(
            "connect", endpoint_url=endpoint, region_name="ap-southeast-2",
            aws_access_key_id="AKIDASYNC", aws_secret_access_key="secret") as client:
        instance = await client.create_instance(
            IdentityManagementType="CONNECT_MANAGED", InstanceAlias=f"aio-{id(out)}",
            InboundCallsEnabled=True, OutboundCallsEnabled=True)
        out["instance"] = {"Id": instance["Id"], "Arn": instance["Arn"]}
        flows = await client.list_contact_flows(InstanceId=instance["Id"])
        inbound = next(f["Id"] for f in flows["ContactFlowSummaryList"]
                       if f["Name"] == "Default inbound")
        task = await client.start_task_contact(
            InstanceId=instance["Id"], ContactFlowId=inbound, Name="From aiobotocore",
            Attributes={"customer": "42"})
        chat = await client.start_chat_contact(
            InstanceId=instance["Id"], ContactFlowId=inbound,
            ParticipantDetails={"DisplayName": "Cy"})
        voice = await client.start_outbound_voice_contact(
            InstanceId=instance["Id"], ContactFlowId=inbound,
            DestinationPhoneNumber="+15555550100", SourcePhoneNumber="+15555550199")
        created = await client.create_contact(
            InstanceId=instance["Id"], Channel="TASK", InitiationMethod="API", Name="Created")
        out["started"] = [task["ContactId"], chat["ContactId"], voice["ContactId"],
                          created["ContactId"]]
        described = await client.describe_contact(InstanceId=instance["Id"],
                                                  ContactId=task["ContactId"])
        contact = described["Contact"]
        out["describe"] = {"types": _type(contact),
                           "values": json.loads(json.dumps(contact, default=str)),
                           "status": described["ResponseMetadata"]["HTTPStatusCode"]}
        paginator = client.get_paginator("search_contacts")
        out["search"] = {"pages": 0, "ids": [], "totalCounts": []}
        async for page in paginator.paginate(
                InstanceId=instance["Id"],
                TimeRange={"Type": "INITIATION_TIMESTAMP", "StartTime": datetime(2021, 11, 12),
                           "EndTime": datetime(2100, 1, 1)},
                PaginationConfig={"PageSize": 2}):
            out["search"]["pages"] += 1
            out["search"]["totalCounts"].append(page["TotalCount"])
            out["search"]["ids"].extend(c["Id"] for c in page["Contacts"])
        try:
            await client.describe_contact(InstanceId=instance["Id"],
                                          ContactId="11111111-1111-4111-8111-111111111111")
            out["error"] = None
        except client.exceptions.ResourceNotFoundException as error:
            out["error"] = {"typed": True, "code": error.response["Error"]["Code"],
                            "message": error.response["Error"]["Message"],
                            "status": error.response["ResponseMetadata"]["HTTPStatusCode"]}
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(scenario(sys.argv[1]))))
