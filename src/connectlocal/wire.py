"""DescribeContact's answer for a contact, made when the contact is written (a bulk load's
contacts: afterwards, by the server) and kept in the store (issue 20): a materialized form
shared by every process and every store engine, not a cache. The ``answers`` table holds it
(docs/design/store.md); ``answer`` finishes it at a read.

A stored form is the exact body DescribeContact sends for the stored contact, without its
chain's attributes (kept in their own row and changed without touching the contact) and
without the closing ``}}``, behind a header: its format and the service-clock interval, in
epoch milliseconds, in which the read rules leave the contact as stored:

- ``settle``: an active contact with an expiry has ended, EXPIRED, from ``expires_at`` on;
- ``as_seen``: a scheduled task shows no QueueInfo before it enters its queue;
- retention: a contact is not found once it is more than 24 months old (the lower end of
  that month, a day early: any later read falls back), and never when initiated before
  2021-11-12 (no stored form at all).

Outside the interval (or with no stored form: a bulk load's contact whose answer the server
has not made yet, a contact the rules cannot bound) the read takes the generic path, which
applies the rules as DescribeContact always has. ``FORMAT`` changes whenever DescribeContact's
view or serializer changes what it sends for a contact: a stored form of another format is
not used.
"""

from __future__ import annotations

import math
import struct
from datetime import timedelta
from functools import cache

from botocore.model import OperationModel

from . import rules, views
from .clock import epoch_ms
from .models import Contact
from .protocol.serializer import ResponseSerializer
from .spec import service_model

FORMAT = 1
HEADER = struct.Struct("<Bqq")  # format, valid from (ms, inclusive), valid until (ms, exclusive)
HEAD = HEADER.size
_ALWAYS = -(2**62)
_ATTRIBUTES = b',"Attributes":'
_END = b"}}"


@cache
def _serializer() -> tuple[ResponseSerializer, OperationModel]:
    model = service_model()
    serializer = ResponseSerializer(model)
    op = model.operation_model("DescribeContact")
    serializer.prepare(op)
    return serializer, op


floor_ms = epoch_ms  # an instant in whole epoch milliseconds (the service clock's, at a read)


def stored_form(contact: Contact) -> bytes | None:
    """The stored form of ``contact`` (None when no read can use one)."""
    if contact.initiation_timestamp < rules.DESCRIBE_FLOOR:
        return None
    try:
        initiated = contact.initiation_timestamp
        years = rules.RETENTION_MONTHS // 12
        try:
            kept = initiated.replace(year=initiated.year + years)
        except ValueError:  # 29 February
            kept = initiated.replace(year=initiated.year + years, day=28)
        until = floor_ms(kept - timedelta(days=1))
    except (OverflowError, ValueError):  # the calendar's end
        return None
    if contact.active and contact.expires_at is not None:
        until = min(until, floor_ms(contact.expires_at))
    since = _ALWAYS
    if contact.scheduled_timestamp is not None and contact.queue is not None:
        since = math.ceil(contact.queue.enqueue_timestamp.timestamp() * 1000)
    if since >= until:
        return None
    serializer, op = _serializer()
    body = serializer.serialize(op, {"Contact": views.contact(contact, {})},
                                "-").body
    assert body.endswith(_END)
    return HEADER.pack(FORMAT, since, until) + body[:-2]


def answer(stored: bytes | None, attributes: bytes | None, now_ms: int) -> bytes | None:
    """DescribeContact's body from a stored form and its chain's attributes document at the
    service clock ``now_ms`` (``floor_ms``), or None when the generic path must answer.
    Rounded as they are (the interval's ends inward, the clock down), a read inside the
    interval is one where the rules leave the contact as stored."""
    if stored is None or len(stored) <= HEAD:
        return None
    form, since, until = HEADER.unpack_from(stored)
    if form != FORMAT or not since <= now_ms < until:
        return None
    if attributes is not None and len(attributes) > 2:  # not {}
        return b"".join((memoryview(stored)[HEAD:], _ATTRIBUTES, attributes, _END))
    return b"".join((memoryview(stored)[HEAD:], _END))
