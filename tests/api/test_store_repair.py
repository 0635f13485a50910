"""A store written by an older version with values that broke reads is repaired when it is
opened (store version 4): nulls stored inside maps. A clock setting stored out of range (by an
older process sharing the file) reads as the nearest instant the API can express."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from connectlocal.store.sqlite import SCHEMA_VERSION

from ..conftest import client_for, new_instance
from ..errors import expect_error
from ..serverproc import ServerProcess

pytestmark = pytest.mark.http_only  # the store file of a server process, opened again


def _search(client: Any, instance: dict[str, Any]) -> list[dict[str, Any]]:
    found = client.search_contacts(
        InstanceId=instance["id"], TimeRange={"Type": "INITIATION_TIMESTAMP",
                                              "StartTime": "2021-11-12T00:00:00Z",
                                              "EndTime": "2099-01-01T00:00:00Z"})
    contacts: list[dict[str, Any]] = found["Contacts"]
    return contacts


def _break_as_version_3_did(path: Path, instance_id: str, contact_id: str) -> None:
    """What StartTaskContact, TagContact and TagResource stored before version 4 refused them:
    nulls inside maps."""
    db = sqlite3.connect(path)
    with db:
        (raw,) = db.execute("SELECT doc FROM contacts WHERE instance_id=? AND contact_id=?",
                            (instance_id, contact_id)).fetchone()
        doc = orjson.loads(raw)
        doc["segment_attributes"] = {"k": None, "connect:Subtype": {"ValueString": "t"},
                                     "m": {"ValueMap": {"a": None, "b": {"ValueString": "v"}},
                                           "ValueString": None}}
        doc["tags"] = {"kept": "v", "gone": None}
        db.execute("UPDATE contacts SET doc=? WHERE contact_id=?",
                   (orjson.dumps(doc), contact_id))
        (raw,) = db.execute("SELECT doc FROM instances WHERE instance_id=?",
                            (instance_id,)).fetchone()
        doc = orjson.loads(raw)
        doc["tags"] = {"team": "a", "gone": None}
        db.execute("UPDATE instances SET doc=? WHERE instance_id=?",
                   (orjson.dumps(doc), instance_id))
        db.execute("INSERT OR REPLACE INTO attributes VALUES ('123456789012', 'us-east-1', ?, "
                   "?, 1.9e9, ?)", (instance_id, contact_id,
                                    orjson.dumps({"a": "1", "b": None})))
        db.execute("UPDATE meta SET value='3' WHERE key='schema_version'")
    db.close()


def test_a_version_3_store_with_null_map_values_is_read_after_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    server = ServerProcess(str(path)).start()
    try:
        client = client_for(server.url)
        server.set_clock("2025-06-01T00:00:00Z")
        instance = new_instance(client)
        contact_id = client.start_task_contact(
            InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
            Name="old")["ContactId"]
    finally:
        server.stop()
    _break_as_version_3_did(path, instance["id"], contact_id)

    server = ServerProcess(str(path)).start()
    try:
        client = client_for(server.url)
        server.set_clock("2025-06-02T00:00:00Z")
        contact = client.describe_contact(InstanceId=instance["id"],
                                          ContactId=contact_id)["Contact"]
        assert contact["SegmentAttributes"] == {
            "connect:Subtype": {"ValueString": "t"},
            "m": {"ValueMap": {"b": {"ValueString": "v"}}}}
        assert contact["Tags"] == {"kept": "v"}
        assert contact["Attributes"] == {"a": "1"}
        (found,) = _search(client, instance)
        assert found["Id"] == contact_id and found["Tags"] == {"kept": "v"}
        assert found["SegmentAttributes"] == {"connect:Subtype": {"ValueString": "t"}}
        assert client.get_contact_attributes(
            InstanceId=instance["id"], InitialContactId=contact_id)["Attributes"] == {"a": "1"}
        assert client.list_tags_for_resource(
            resourceArn=instance["arn"])["tags"] == {"team": "a"}
        # An older process sharing the file moves the clock a day past 9999 (it did not
        # refuse that): this one reads the last instant, answers, and can move it back.
        db = sqlite3.connect(path)
        with db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('clock', ?)",
                       (orjson.dumps({"instant": 253402387200.0, "set_at": None}).decode(),))
        db.close()
        time.sleep(0.5)  # a clock set by another process is read again within 0.25 s
        assert server.admin("GET", "clock")[1]["now"] == "9999-12-31T23:59:59.999Z"
        # Past 24 months of retention: not found, an answer as at any other instant.
        expect_error(client.describe_contact, "ResourceNotFoundException", 404,
                     f"Contact not found: {contact_id}", InstanceId=instance["id"],
                     ContactId=contact_id)
        assert _search(client, instance) == []
        status, body = server.admin("POST", "clock", {"advance_seconds": -86400})
        assert status == 200 and body["now"] == "9999-12-30T23:59:59.999Z", body
    finally:
        server.stop()
    db = sqlite3.connect(path)
    version = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    assert version == (SCHEMA_VERSION,)
    db.close()
