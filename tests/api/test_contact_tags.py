"""TagContact and UntagContact: tags show in DescribeContact; the model's limits hold."""

from __future__ import annotations

import uuid
from typing import Any

from ..errors import expect_error


def _task(connect: Any, instance: Any) -> str:
    contact_id: str = connect.start_task_contact(
        InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
        Name="tagged")["ContactId"]
    return contact_id


def test_tags_appear_and_go(connect: Any, instance: Any) -> None:
    contact_id = _task(connect, instance)
    before = connect.describe_contact(InstanceId=instance["id"], ContactId=contact_id)["Contact"]
    assert "Tags" not in before
    connect.tag_contact(InstanceId=instance["id"], ContactId=contact_id,
                        Tags={"team": "billing", "priority": "high"})
    tagged = connect.describe_contact(InstanceId=instance["id"], ContactId=contact_id)["Contact"]
    assert tagged["Tags"] == {"team": "billing", "priority": "high"}
    assert tagged["LastUpdateTimestamp"] >= before["LastUpdateTimestamp"]
    connect.untag_contact(InstanceId=instance["id"], ContactId=contact_id,
                          TagKeys=["priority", "absent"])
    untagged = connect.describe_contact(InstanceId=instance["id"],
                                        ContactId=contact_id)["Contact"]
    assert untagged["Tags"] == {"team": "billing"}


def test_ended_contacts_can_be_tagged(connect: Any, instance: Any) -> None:
    contact_id = _task(connect, instance)
    connect.stop_contact(InstanceId=instance["id"], ContactId=contact_id)
    connect.tag_contact(InstanceId=instance["id"], ContactId=contact_id, Tags={"qa": "done"})
    contact = connect.describe_contact(InstanceId=instance["id"], ContactId=contact_id)["Contact"]
    assert contact["Tags"] == {"qa": "done"}


def test_tag_limits(connect: Any, instance: Any) -> None:
    contact_id = _task(connect, instance)
    six = {f"k{i}": "v" * 256 for i in range(6)}
    connect.tag_contact(InstanceId=instance["id"], ContactId=contact_id, Tags=six)
    expect_error(connect.tag_contact, "InvalidParameterException", 400,
                 f"A contact can have at most 6 tags; contact {contact_id} would have 7",
                 InstanceId=instance["id"], ContactId=contact_id, Tags={"k6": "v"})
    expect_error(connect.tag_contact, "InvalidParameterException", 400,
                 "Member must have length less than or equal to 6",
                 InstanceId=instance["id"], ContactId=contact_id,
                 Tags={f"n{i}": "v" for i in range(7)})
    expect_error(connect.tag_contact, "InvalidParameterException", 400,
                 "Member must have length less than or equal to 256",
                 InstanceId=instance["id"], ContactId=contact_id, Tags={"k0": "v" * 257})
    expect_error(connect.tag_contact, "InvalidParameterException", 400,
                 "Value 'aws:owner' at 'Tags.key' failed to satisfy constraint: Member must "
                 "satisfy regular expression pattern",
                 InstanceId=instance["id"], ContactId=contact_id, Tags={"aws:owner": "me"})
    expect_error(connect.tag_contact, "InvalidParameterException", 400,
                 "Member must have length less than or equal to 128",
                 InstanceId=instance["id"], ContactId=contact_id, Tags={"k" * 129: "v"})


def test_tagging_an_unknown_contact(connect: Any, instance: Any) -> None:
    missing = str(uuid.uuid4())
    expect_error(connect.tag_contact, "ResourceNotFoundException", 404,
                 f"Contact not found: {missing}", InstanceId=instance["id"], ContactId=missing,
                 Tags={"a": "b"})
    expect_error(connect.untag_contact, "ResourceNotFoundException", 404,
                 f"Contact not found: {missing}", InstanceId=instance["id"], ContactId=missing,
                 TagKeys=["a"])
