"""botocore's paginators work for every implemented operation the model paginates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore import xform_name

from connectlocal.spec import paginators

from ..conftest import implemented_operations


def test_every_paginated_operation_pages_with_the_sdk(connect: Any, instance: Any) -> None:
    task = connect.start_task_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        Name="paged", References={f"r{i}": {"Type": "STRING", "Value": str(i)}
                                  for i in range(3)})["ContactId"]
    connect.start_task_contact(InstanceId=instance["id"], Name="second",
                               ContactFlowId=instance["flows"]["Default inbound"])
    security = connect.list_security_profiles(
        InstanceId=instance["id"])["SecurityProfileSummaryList"][0]["Id"]
    routing = connect.list_routing_profiles(
        InstanceId=instance["id"])["RoutingProfileSummaryList"][0]["Id"]
    for name in ("pager1", "pager2"):
        connect.create_user(InstanceId=instance["id"], Username=name, Password="Passw0rd!",
                            IdentityInfo={"FirstName": "P", "LastName": "Ager"},
                            SecurityProfileIds=[security], RoutingProfileId=routing)
    hours = connect.list_hours_of_operations(
        InstanceId=instance["id"])["HoursOfOperationSummaryList"][0]["Id"]
    connect.create_queue(InstanceId=instance["id"], Name="Second", HoursOfOperationId=hours)
    for function in ("one", "two"):
        connect.associate_lambda_function(
            InstanceId=instance["id"],
            FunctionArn=f"arn:aws:lambda:us-east-1:123456789012:function:{function}")
    for number in connect.search_available_phone_numbers(
            InstanceId=instance["id"], PhoneNumberCountryCode="US", PhoneNumberType="DID",
            MaxResults=2)["AvailableNumbersList"]:
        connect.claim_phone_number(InstanceId=instance["id"], PhoneNumber=number["PhoneNumber"])
    now = datetime.now(UTC)
    five_minutes = now.replace(second=0, microsecond=0, minute=now.minute // 5 * 5)
    # Operation → its parameters and the fewest items it must page through.
    cases: dict[str, tuple[dict[str, Any], int]] = {
        "ListInstances": ({}, 1),
        "ListContactFlows": ({"InstanceId": instance["id"]}, 11),
        "ListQueues": ({"InstanceId": instance["id"]}, 4),
        "ListRoutingProfiles": ({"InstanceId": instance["id"]}, 1),
        "ListHoursOfOperations": ({"InstanceId": instance["id"]}, 1),
        "ListSecurityProfiles": ({"InstanceId": instance["id"]}, 4),
        "ListPhoneNumbers": ({"InstanceId": instance["id"]}, 2),
        "ListPhoneNumbersV2": ({"InstanceId": instance["id"]}, 2),
        "SearchAvailablePhoneNumbers": ({"InstanceId": instance["id"],
                                         "PhoneNumberCountryCode": "AU",
                                         "PhoneNumberType": "TOLL_FREE"}, 6),
        "ListUsers": ({"InstanceId": instance["id"]}, 2),
        "ListAgentStatuses": ({"InstanceId": instance["id"]}, 2),
        "GetMetricData": ({"InstanceId": instance["id"],
                           "StartTime": five_minutes - timedelta(minutes=5),
                           "EndTime": five_minutes + timedelta(minutes=5),
                           "Filters": {"Channels": ["TASK"]}, "Groupings": ["QUEUE"],
                           "HistoricalMetrics": [{"Name": "CONTACTS_QUEUED", "Unit": "COUNT",
                                                  "Statistic": "SUM"}]}, 1),
        "ListRoutingProfileQueues": ({"InstanceId": instance["id"],
                                      "RoutingProfileId": routing}, 3),
        "ListLambdaFunctions": ({"InstanceId": instance["id"]}, 2),
        "ListContactReferences": ({"InstanceId": instance["id"], "ContactId": task,
                                   "ReferenceTypes": ["STRING"]}, 3),
        "SearchContacts": ({"InstanceId": instance["id"], "TimeRange": {
            "Type": "INITIATION_TIMESTAMP", "StartTime": datetime(2021, 11, 12),
            "EndTime": datetime(2100, 1, 1)}}, 2),
    }
    paginated = set(implemented_operations()) & set(paginators())
    assert set(cases) == paginated, "every paginated operation has a case"
    for operation, (params, at_least) in cases.items():
        paginator = connect.get_paginator(xform_name(operation))
        result_key = paginators()[operation]["result_key"]
        page_size = {} if operation == "ListContactReferences" else {"PageSize": 1}
        pages = list(paginator.paginate(**params, PaginationConfig=page_size))
        items = [item for page in pages for item in page[result_key]]
        assert len(items) >= at_least, operation
        if page_size:
            assert len(pages) >= at_least, operation
        whole = paginator.paginate(**params).build_full_result()
        assert len(whole[result_key]) == len(items), operation

