"""Hours of operation through boto3: created, updated, deleted, described and listed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ..conftest import client_for
from ..errors import expect_error


def _day(day: str, start: tuple[int, int], end: tuple[int, int]) -> dict[str, Any]:
    return {"Day": day, "StartTime": {"Hours": start[0], "Minutes": start[1]},
            "EndTime": {"Hours": end[0], "Minutes": end[1]}}


WEEKDAYS = [_day(d, (9, 0), (17, 30)) for d in
            ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")]


def _create(connect: Any, instance: Any, name: str = "Office", **extra: Any) -> str:
    hours_id: str = connect.create_hours_of_operation(
        InstanceId=instance["id"], Name=name, TimeZone="America/New_York",
        Config=WEEKDAYS, **extra)["HoursOfOperationId"]
    return hours_id


def test_hours_are_created_described_and_listed(connect: Any, instance: Any) -> None:
    created = connect.create_hours_of_operation(
        InstanceId=instance["id"], Name="Office", Description="Weekdays", TimeZone="Europe/Paris",
        Config=WEEKDAYS, Tags={"team": "front"})
    hours_id = created["HoursOfOperationId"]
    assert created["HoursOfOperationArn"] == f"{instance['arn']}/operating-hours/{hours_id}"
    hours = connect.describe_hours_of_operation(
        InstanceId=instance["id"], HoursOfOperationId=hours_id)["HoursOfOperation"]
    assert hours["HoursOfOperationId"] == hours_id
    assert hours["HoursOfOperationArn"] == created["HoursOfOperationArn"]
    assert hours["Name"] == "Office" and hours["Description"] == "Weekdays"
    assert hours["TimeZone"] == "Europe/Paris"
    assert hours["Config"] == WEEKDAYS
    assert hours["Tags"] == {"team": "front"}
    assert isinstance(hours["LastModifiedTime"], datetime)
    assert hours["LastModifiedRegion"] == "us-east-1"
    # By ARN too.
    by_arn = connect.describe_hours_of_operation(
        InstanceId=instance["id"], HoursOfOperationId=created["HoursOfOperationArn"])
    assert by_arn["HoursOfOperation"]["HoursOfOperationId"] == hours_id
    listed = connect.list_hours_of_operations(
        InstanceId=instance["id"])["HoursOfOperationSummaryList"]
    assert sorted(h["Name"] for h in listed) == ["Basic Hours", "Office"]
    mine = next(h for h in listed if h["Id"] == hours_id)
    assert mine["Arn"] == created["HoursOfOperationArn"]


def test_hours_with_no_config_are_kept_as_closed(connect: Any, instance: Any) -> None:
    hours_id = connect.create_hours_of_operation(
        InstanceId=instance["id"], Name="Closed", TimeZone="UTC",
        Config=[])["HoursOfOperationId"]
    hours = connect.describe_hours_of_operation(
        InstanceId=instance["id"], HoursOfOperationId=hours_id)["HoursOfOperation"]
    assert hours["Config"] == []


def test_hours_names_are_unique_per_instance(connect: Any, instance: Any) -> None:
    _create(connect, instance, "Office")
    expect_error(connect.create_hours_of_operation, "DuplicateResourceException", 409,
                 f"Hours of operation with name Office already exists in instance "
                 f"{instance['id']}", InstanceId=instance["id"], Name="Office",
                 TimeZone="UTC", Config=WEEKDAYS)
    expect_error(connect.create_hours_of_operation, "DuplicateResourceException", 409,
                 "Basic Hours already exists", InstanceId=instance["id"], Name="Basic Hours",
                 TimeZone="UTC", Config=WEEKDAYS)


def test_the_time_zone_must_be_one(connect: Any, instance: Any) -> None:
    expect_error(connect.create_hours_of_operation, "InvalidParameterException", 400,
                 "TimeZone 'Mars/Olympus_Mons' is not a valid time zone",
                 InstanceId=instance["id"], Name="Mars", TimeZone="Mars/Olympus_Mons",
                 Config=WEEKDAYS)
    hours_id = _create(connect, instance)
    expect_error(connect.update_hours_of_operation, "InvalidParameterException", 400,
                 "TimeZone 'Nowhere/EST' is not", InstanceId=instance["id"],
                 HoursOfOperationId=hours_id, TimeZone="Nowhere/EST")


def test_config_is_checked_against_the_model(server: Any, instance: Any) -> None:
    raw = client_for(server.url, parameter_validation=False)
    expect_error(raw.create_hours_of_operation, "InvalidParameterException", 400,
                 "Hours", InstanceId=instance["id"], Name="Late", TimeZone="UTC",
                 Config=[_day("MONDAY", (9, 0), (24, 0))])
    expect_error(raw.create_hours_of_operation, "InvalidParameterException", 400,
                 "Day", InstanceId=instance["id"], Name="Funday", TimeZone="UTC",
                 Config=[_day("FUNDAY", (9, 0), (17, 0))])
    expect_error(raw.create_hours_of_operation, "InvalidParameterException", 400,
                 "StartTime", InstanceId=instance["id"], Name="Half", TimeZone="UTC",
                 Config=[{"Day": "MONDAY", "EndTime": {"Hours": 1, "Minutes": 0}}])


def test_parent_hours_are_refused_as_not_simulated(connect: Any, instance: Any) -> None:
    parent = _create(connect, instance, "Parent")
    expect_error(connect.create_hours_of_operation, "InvalidParameterException", 400,
                 "not simulated", InstanceId=instance["id"], Name="Child", TimeZone="UTC",
                 Config=WEEKDAYS, ParentHoursOfOperationConfigs=[
                     {"HoursOfOperationId": parent}])


def test_hours_are_updated(connect: Any, instance: Any) -> None:
    hours_id = _create(connect, instance, "Office", Description="Weekdays")
    before = connect.describe_hours_of_operation(
        InstanceId=instance["id"], HoursOfOperationId=hours_id)["HoursOfOperation"]
    weekend = [_day("SATURDAY", (10, 0), (0, 0)), _day("SUNDAY", (22, 0), (6, 0))]
    connect.update_hours_of_operation(
        InstanceId=instance["id"], HoursOfOperationId=hours_id, Name="Weekend",
        TimeZone="Asia/Tokyo", Config=weekend)
    after = connect.describe_hours_of_operation(
        InstanceId=instance["id"], HoursOfOperationId=hours_id)["HoursOfOperation"]
    assert after["Name"] == "Weekend" and after["TimeZone"] == "Asia/Tokyo"
    assert after["Config"] == weekend
    assert after["Description"] == "Weekdays"  # not given: kept
    assert after["LastModifiedTime"] >= before["LastModifiedTime"]
    # Only what is given changes; an empty description clears it.
    connect.update_hours_of_operation(InstanceId=instance["id"], HoursOfOperationId=hours_id,
                                      Description="")
    cleared = connect.describe_hours_of_operation(
        InstanceId=instance["id"], HoursOfOperationId=hours_id)["HoursOfOperation"]
    assert "Description" not in cleared and cleared["Config"] == weekend
    # Keeping its own name is no conflict; taking another's is.
    connect.update_hours_of_operation(InstanceId=instance["id"], HoursOfOperationId=hours_id,
                                      Name="Weekend")
    expect_error(connect.update_hours_of_operation, "DuplicateResourceException", 409,
                 "Hours of operation with name Basic Hours already exists",
                 InstanceId=instance["id"], HoursOfOperationId=hours_id, Name="Basic Hours")


def test_hours_are_deleted_unless_a_queue_uses_them(connect: Any, instance: Any) -> None:
    hours_id = _create(connect, instance)
    connect.delete_hours_of_operation(InstanceId=instance["id"], HoursOfOperationId=hours_id)
    expect_error(connect.describe_hours_of_operation, "ResourceNotFoundException", 404,
                 f"Hours of operation not found: {hours_id}", InstanceId=instance["id"],
                 HoursOfOperationId=hours_id)
    expect_error(connect.delete_hours_of_operation, "ResourceNotFoundException", 404,
                 f"Hours of operation not found: {hours_id}", InstanceId=instance["id"],
                 HoursOfOperationId=hours_id)
    listed = connect.list_hours_of_operations(
        InstanceId=instance["id"])["HoursOfOperationSummaryList"]
    assert [h["Name"] for h in listed] == ["Basic Hours"]
    # Basic Hours are BasicQueue's.
    basic = listed[0]["Id"]
    expect_error(connect.delete_hours_of_operation, "InvalidRequestException", 400,
                 "cannot be deleted: queues use it (BasicQueue)", InstanceId=instance["id"],
                 HoursOfOperationId=basic)
    # The name of deleted hours is free again.
    _create(connect, instance)


def test_unknown_hours_and_instances(connect: Any, instance: Any) -> None:
    missing = str(uuid.uuid4())
    expect_error(connect.update_hours_of_operation, "ResourceNotFoundException", 404,
                 f"Hours of operation not found: {missing}", InstanceId=instance["id"],
                 HoursOfOperationId=missing, Name="X")
    expect_error(connect.create_hours_of_operation, "ResourceNotFoundException", 404,
                 f"Instance not found: {missing}", InstanceId=missing, Name="X",
                 TimeZone="UTC", Config=WEEKDAYS)
    expect_error(connect.delete_hours_of_operation, "ResourceNotFoundException", 404,
                 f"Instance not found: {missing}", InstanceId=missing,
                 HoursOfOperationId=missing)


def test_hours_are_tagged_like_other_resources(connect: Any, instance: Any) -> None:
    hours_id = _create(connect, instance)
    arn = f"{instance['arn']}/operating-hours/{hours_id}"
    connect.tag_resource(resourceArn=arn, tags={"k": "v"})
    assert connect.list_tags_for_resource(resourceArn=arn)["tags"] == {"k": "v"}
