"""Phone numbers through boto3: searched, claimed, described, listed, given a flow, released."""

from __future__ import annotations

import re
import uuid
from typing import Any

from ..conftest import client_for, new_instance
from ..errors import expect_error

E164 = re.compile(r"^\+[1-9]\d{1,14}$")


def _claim(connect: Any, instance: Any, country: str = "US", kind: str = "DID",
           **extra: Any) -> dict[str, Any]:
    number = connect.search_available_phone_numbers(
        TargetArn=instance["arn"], PhoneNumberCountryCode=country, PhoneNumberType=kind,
        MaxResults=1)["AvailableNumbersList"][0]["PhoneNumber"]
    claimed: dict[str, Any] = connect.claim_phone_number(
        TargetArn=instance["arn"], PhoneNumber=number, **extra)
    return {**claimed, "PhoneNumber": number}


def test_search_offers_fictional_e164_numbers_the_same_each_time(connect: Any,
                                                                 instance: Any) -> None:
    def search(**params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = connect.search_available_phone_numbers(
            **params)["AvailableNumbersList"]
        return found

    us_did = search(TargetArn=instance["arn"], PhoneNumberCountryCode="US",
                    PhoneNumberType="DID")
    assert len(us_did) == 10  # MaxResults is at most 10, the default
    for n in us_did:
        assert E164.match(n["PhoneNumber"])
        # NANP's fictional lines: +1 NPA 555-0100..0199
        assert re.match(r"^\+1[2-9]\d\d55501\d\d$", n["PhoneNumber"]), n
        assert n["PhoneNumberCountryCode"] == "US" and n["PhoneNumberType"] == "DID"
    assert search(InstanceId=instance["id"], PhoneNumberCountryCode="US",
                  PhoneNumberType="DID") == us_did
    toll_free = search(TargetArn=instance["arn"], PhoneNumberCountryCode="US",
                       PhoneNumberType="TOLL_FREE", MaxResults=3)
    assert len(toll_free) == 3
    assert all(re.match(r"^\+18\d\d55501\d\d$", n["PhoneNumber"]) for n in toll_free)
    gb = search(TargetArn=instance["arn"], PhoneNumberCountryCode="GB",
                PhoneNumberType="DID", PhoneNumberPrefix="+44207946")
    assert gb and all(n["PhoneNumber"].startswith("+442079460") for n in gb)
    # No fictional range, no numbers: nothing real is ever offered.
    assert search(TargetArn=instance["arn"], PhoneNumberCountryCode="DE",
                  PhoneNumberType="DID") == []
    assert search(TargetArn=instance["arn"], PhoneNumberCountryCode="US",
                  PhoneNumberType="UIFN") == []


def test_search_pages_through_every_number_once(connect: Any, instance: Any) -> None:
    pages = connect.get_paginator("search_available_phone_numbers").paginate(
        TargetArn=instance["arn"], PhoneNumberCountryCode="US", PhoneNumberType="DID",
        PhoneNumberPrefix="+1206", PaginationConfig={"PageSize": 7})
    numbers = [n["PhoneNumber"] for p in pages for n in p["AvailableNumbersList"]]
    assert len(numbers) == len(set(numbers)) == 100  # 555-0100 to 555-0199
    assert set(numbers) == {f"+120655501{i:02d}" for i in range(100)}


def test_search_needs_a_target_and_a_plus_in_the_prefix(connect: Any, instance: Any) -> None:
    expect_error(connect.search_available_phone_numbers, "InvalidParameterException", 400,
                 "You must enter InstanceId or TargetArn", PhoneNumberCountryCode="US",
                 PhoneNumberType="DID")
    expect_error(connect.search_available_phone_numbers, "InvalidParameterException", 400,
                 "PhoneNumberPrefix 1206 must contain +", TargetArn=instance["arn"],
                 PhoneNumberCountryCode="US", PhoneNumberType="DID", PhoneNumberPrefix="1206")
    missing = instance["arn"].rsplit("/", 1)[0] + f"/{uuid.uuid4()}"
    expect_error(connect.search_available_phone_numbers, "InvalidParameterException", 400,
                 f"Instance not found: {missing}", TargetArn=missing,
                 PhoneNumberCountryCode="US", PhoneNumberType="DID")


def test_a_number_is_claimed_described_and_listed(connect: Any, instance: Any) -> None:
    claimed = _claim(connect, instance, PhoneNumberDescription="Main line",
                     Tags={"team": "front"})
    number_id = claimed["PhoneNumberId"]
    assert claimed["PhoneNumberArn"] == instance["arn"].split(":instance/")[0] + \
        f":phone-number/{number_id}"
    summary = connect.describe_phone_number(
        PhoneNumberId=number_id)["ClaimedPhoneNumberSummary"]
    assert summary == {
        "PhoneNumberId": number_id, "PhoneNumberArn": claimed["PhoneNumberArn"],
        "PhoneNumber": claimed["PhoneNumber"], "PhoneNumberCountryCode": "US",
        "PhoneNumberType": "DID", "PhoneNumberDescription": "Main line",
        "TargetArn": instance["arn"], "InstanceId": instance["id"], "Tags": {"team": "front"},
        "PhoneNumberStatus": {"Status": "CLAIMED"},
    }
    by_arn = connect.describe_phone_number(PhoneNumberId=claimed["PhoneNumberArn"])
    assert by_arn["ClaimedPhoneNumberSummary"]["PhoneNumberId"] == number_id
    listed = connect.list_phone_numbers_v2(InstanceId=instance["id"])
    assert listed["ListPhoneNumbersSummaryList"] == [{
        "PhoneNumberId": number_id, "PhoneNumberArn": claimed["PhoneNumberArn"],
        "PhoneNumber": claimed["PhoneNumber"], "PhoneNumberCountryCode": "US",
        "PhoneNumberType": "DID", "TargetArn": instance["arn"], "InstanceId": instance["id"],
        "PhoneNumberDescription": "Main line"}]
    v1 = connect.list_phone_numbers(InstanceId=instance["id"])["PhoneNumberSummaryList"]
    assert v1 == [{"Id": number_id, "Arn": claimed["PhoneNumberArn"],
                   "PhoneNumber": claimed["PhoneNumber"], "PhoneNumberType": "DID",
                   "PhoneNumberCountryCode": "US"}]
    # A claimed number is no longer offered.
    offered = connect.search_available_phone_numbers(
        InstanceId=instance["id"], PhoneNumberCountryCode="US", PhoneNumberType="DID",
        PhoneNumberPrefix=claimed["PhoneNumber"][:6], MaxResults=10)
    pages = [offered]
    while pages[-1].get("NextToken"):
        pages.append(connect.search_available_phone_numbers(
            InstanceId=instance["id"], PhoneNumberCountryCode="US", PhoneNumberType="DID",
            PhoneNumberPrefix=claimed["PhoneNumber"][:6], NextToken=pages[-1]["NextToken"]))
    shown = {n["PhoneNumber"] for p in pages for n in p["AvailableNumbersList"]}
    assert len(shown) == 99 and claimed["PhoneNumber"] not in shown


def test_numbers_are_listed_by_filter_and_across_instances(connect: Any) -> None:
    first, second = new_instance(connect), new_instance(connect)
    a = _claim(connect, first, "US", "DID")
    b = _claim(connect, first, "GB", "TOLL_FREE")
    c = _claim(connect, second, "US", "TOLL_FREE")

    def listed(**params: Any) -> set[str]:
        return {n["PhoneNumberId"] for n in connect.list_phone_numbers_v2(
            **params)["ListPhoneNumbersSummaryList"]}

    everywhere = listed()  # no target: every instance of the account in the region
    assert {a["PhoneNumberId"], b["PhoneNumberId"], c["PhoneNumberId"]} <= everywhere
    assert listed(TargetArn=first["arn"]) == {a["PhoneNumberId"], b["PhoneNumberId"]}
    assert listed(InstanceId=second["id"]) == {c["PhoneNumberId"]}
    assert listed(InstanceId=first["id"], PhoneNumberCountryCodes=["GB"]) == {
        b["PhoneNumberId"]}
    assert listed(InstanceId=first["id"], PhoneNumberTypes=["DID"]) == {a["PhoneNumberId"]}
    assert listed(InstanceId=first["id"], PhoneNumberPrefix="+44") == {b["PhoneNumberId"]}
    assert listed(InstanceId=first["id"], PhoneNumberTypes=["SHARED"]) == set()
    v1 = connect.list_phone_numbers(InstanceId=first["id"], PhoneNumberTypes=["TOLL_FREE"])
    assert [n["Id"] for n in v1["PhoneNumberSummaryList"]] == [b["PhoneNumberId"]]
    # Pages of one.
    pages = list(connect.get_paginator("list_phone_numbers_v2").paginate(
        InstanceId=first["id"], PaginationConfig={"PageSize": 1}))
    assert [len(p["ListPhoneNumbersSummaryList"]) for p in pages] == [1, 1]
    pages = list(connect.get_paginator("list_phone_numbers").paginate(
        InstanceId=first["id"], PaginationConfig={"PageSize": 1}))
    assert [len(p["PhoneNumberSummaryList"]) for p in pages] == [1, 1]
    expect_error(connect.list_phone_numbers_v2, "InvalidParameterException", 400,
                 "The NextToken is not valid", InstanceId=first["id"], NextToken="bogus")


def test_claiming_what_is_not_available(connect: Any, instance: Any) -> None:
    claimed = _claim(connect, instance)
    expect_error(connect.claim_phone_number, "InvalidParameterException", 400,
                 f"PhoneNumber {claimed['PhoneNumber']} is not available to claim: it is "
                 f"claimed already (PhoneNumberId {claimed['PhoneNumberId']})",
                 TargetArn=instance["arn"], PhoneNumber=claimed["PhoneNumber"])
    expect_error(connect.claim_phone_number, "InvalidParameterException", 400,
                 "PhoneNumber +12025550123 is not available to claim",
                 TargetArn=instance["arn"], PhoneNumber="+12025550123")
    expect_error(connect.claim_phone_number, "InvalidParameterException", 400,
                 "You must enter InstanceId or TargetArn", PhoneNumber="+12065550100")


def test_claiming_to_what_does_not_exist(connect: Any, instance: Any) -> None:
    region_arn = instance["arn"].split(":instance/")[0]
    group = f"{region_arn}:traffic-distribution-group/{uuid.uuid4()}"
    expect_error(connect.claim_phone_number, "ResourceNotFoundException", 404,
                 f"Traffic distribution group not found: {group}", TargetArn=group,
                 PhoneNumber="+12065550100")
    missing = str(uuid.uuid4())
    expect_error(connect.claim_phone_number, "ResourceNotFoundException", 404,
                 f"Instance not found: {missing}", InstanceId=missing,
                 PhoneNumber="+12065550100")
    expect_error(connect.claim_phone_number, "ResourceNotFoundException", 404,
                 "Instance not found", TargetArn=f"{region_arn}:instance/{missing}",
                 PhoneNumber="+12065550100")
    other = new_instance(connect)
    expect_error(connect.claim_phone_number, "InvalidParameterException", 400,
                 "name different instances", TargetArn=instance["arn"],
                 InstanceId=other["id"], PhoneNumber="+12065550100")


def test_a_claim_retried_with_its_token_is_the_same_claim(connect: Any, instance: Any) -> None:
    token = str(uuid.uuid4())
    first = _claim(connect, instance, ClientToken=token)
    again = connect.claim_phone_number(TargetArn=instance["arn"],
                                       PhoneNumber=first["PhoneNumber"], ClientToken=token)
    assert again["PhoneNumberId"] == first["PhoneNumberId"]
    expect_error(connect.claim_phone_number, "IdempotencyException", 409,
                 f"ClientToken {token} was already used for a different ClaimPhoneNumber",
                 TargetArn=instance["arn"], PhoneNumber="+12065550199", ClientToken=token)


def test_a_flow_is_associated_and_disassociated(connect: Any, instance: Any) -> None:
    claimed = _claim(connect, instance)
    number_id = claimed["PhoneNumberId"]
    inbound = connect.list_contact_flows(InstanceId=instance["id"], ContactFlowTypes=[
        "CONTACT_FLOW"])["ContactFlowSummaryList"][0]["Id"]
    connect.associate_phone_number_contact_flow(
        PhoneNumberId=number_id, InstanceId=instance["id"], ContactFlowId=inbound)
    queue_flows = connect.list_contact_flows(InstanceId=instance["id"],
                                             ContactFlowTypes=["CUSTOMER_QUEUE"])
    queue_flow = queue_flows["ContactFlowSummaryList"][0]["Id"]
    expect_error(connect.associate_phone_number_contact_flow, "InvalidParameterException", 400,
                 f"Contact flow {queue_flow} is of type CUSTOMER_QUEUE",
                 PhoneNumberId=number_id, InstanceId=instance["id"], ContactFlowId=queue_flow)
    missing = str(uuid.uuid4())
    expect_error(connect.associate_phone_number_contact_flow, "ResourceNotFoundException", 404,
                 f"Contact flow not found: {missing}", PhoneNumberId=number_id,
                 InstanceId=instance["id"], ContactFlowId=missing)
    expect_error(connect.associate_phone_number_contact_flow, "ResourceNotFoundException", 404,
                 f"Phone number not found: {missing}", PhoneNumberId=missing,
                 InstanceId=instance["id"], ContactFlowId=inbound)
    other = new_instance(connect)
    expect_error(connect.associate_phone_number_contact_flow, "ResourceNotFoundException", 404,
                 f"Phone number {number_id} is not claimed to instance {other['id']}",
                 PhoneNumberId=number_id, InstanceId=other["id"],
                 ContactFlowId=other["flows"][next(iter(other["flows"]))])
    connect.disassociate_phone_number_contact_flow(PhoneNumberId=number_id,
                                                   InstanceId=instance["id"])
    connect.disassociate_phone_number_contact_flow(PhoneNumberId=number_id,
                                                   InstanceId=instance["id"])  # no flow: fine
    expect_error(connect.disassociate_phone_number_contact_flow, "ResourceNotFoundException",
                 404, f"Phone number {number_id} is not claimed to instance {other['id']}",
                 PhoneNumberId=number_id, InstanceId=other["id"])


def test_a_number_is_released(connect: Any, instance: Any) -> None:
    claimed = _claim(connect, instance)
    number_id = claimed["PhoneNumberId"]
    token = str(uuid.uuid4())
    connect.release_phone_number(PhoneNumberId=number_id, ClientToken=token)
    connect.release_phone_number(PhoneNumberId=number_id, ClientToken=token)  # a retry
    expect_error(connect.describe_phone_number, "ResourceNotFoundException", 404,
                 f"Phone number not found: {number_id}", PhoneNumberId=number_id)
    expect_error(connect.release_phone_number, "ResourceNotFoundException", 404,
                 f"Phone number not found: {number_id}", PhoneNumberId=number_id)
    assert connect.list_phone_numbers_v2(
        InstanceId=instance["id"])["ListPhoneNumbersSummaryList"] == []
    other = _claim(connect, instance)
    expect_error(connect.release_phone_number, "IdempotencyException", 409,
                 f"ClientToken {token} was already used for a different ReleasePhoneNumber "
                 "request", PhoneNumberId=other["PhoneNumberId"], ClientToken=token)
    assert connect.describe_phone_number(PhoneNumberId=other["PhoneNumberId"])


def test_deleting_the_instance_releases_its_numbers(connect: Any) -> None:
    instance = new_instance(connect)
    claimed = _claim(connect, instance)
    connect.delete_instance(InstanceId=instance["id"])
    expect_error(connect.describe_phone_number, "ResourceNotFoundException", 404,
                 "Phone number not found", PhoneNumberId=claimed["PhoneNumberId"])


def test_numbers_are_per_account_and_region(server: Any, connect: Any, instance: Any) -> None:
    claimed = _claim(connect, instance)
    elsewhere = client_for(server.url, region="eu-west-2")
    expect_error(elsewhere.describe_phone_number, "ResourceNotFoundException", 404,
                 "Phone number not found", PhoneNumberId=claimed["PhoneNumberId"])


def test_numbers_are_tagged(connect: Any, instance: Any) -> None:
    claimed = _claim(connect, instance, Tags={"a": "1"})
    arn = claimed["PhoneNumberArn"]
    connect.tag_resource(resourceArn=arn, tags={"b": "2"})
    assert connect.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1", "b": "2"}
    connect.untag_resource(resourceArn=arn, tagKeys=["a"])
    summary = connect.describe_phone_number(
        PhoneNumberId=claimed["PhoneNumberId"])["ClaimedPhoneNumberSummary"]
    assert summary["Tags"] == {"b": "2"}
    gone = arn.rsplit("/", 1)[0] + f"/{uuid.uuid4()}"
    expect_error(connect.tag_resource, "ResourceNotFoundException", 404,
                 f"Resource not found: {gone}", resourceArn=gone, tags={"c": "3"})
