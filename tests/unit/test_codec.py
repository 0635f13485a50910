"""Stored documents: every field round-trips, and defaults are left out of the document."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from connectlocal.models import (
    AgentInfo,
    Contact,
    Endpoint,
    HoursEntry,
    HoursOfOperation,
    NextContact,
    QueueInfo,
    Reference,
)
from connectlocal.store.codec import decode, encode

T = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def _minimal() -> Contact:
    return Contact(id="c", arn="arn:c", instance_id="i", channel="TASK", initiation_method="API",
                   initiation_timestamp=T, last_update_timestamp=T)


def test_defaults_are_not_stored() -> None:
    document = orjson.loads(encode(_minimal()))
    assert set(document) == {"id", "arn", "instance_id", "channel", "initiation_method",
                             "initiation_timestamp", "last_update_timestamp"}
    assert decode(Contact, encode(_minimal())) == _minimal()


def test_every_kind_of_field_round_trips() -> None:
    full = Contact(
        id="c", arn="arn:c", instance_id="i", channel="VOICE", initiation_method="TRANSFER",
        initiation_timestamp=T, last_update_timestamp=T, initial_contact_id="a",
        previous_contact_id="b", queue=QueueInfo("q", T), agent=AgentInfo("u", T, None),
        customer_endpoint=Endpoint("TELEPHONE_NUMBER", "+15555550100", "Cy"),
        references={"r": Reference("URL", "https://x", "AVAILABLE")},
        segment_attributes={"s": {"ValueString": "v"}}, tags={"t": "v"},
        next_contacts=[NextContact("n", T, "QUEUE")], total_pause_count=2,
        total_pause_seconds=30, queue_priority=5, disconnect_timestamp=T)
    assert decode(Contact, encode(full)) == full
    hours = HoursOfOperation(id="h", arn="arn:h", name="Basic", time_zone="UTC",
                             config=[HoursEntry("MONDAY", (9, 0), (17, 30))])
    assert decode(HoursOfOperation, encode(hours)) == hours
