"""Amazon Connect's data rules for contacts, read against the service clock.

From the DescribeContact reference: "Contact information remains available in Amazon Connect
for 24 months, and then it is deleted. Only data from November 12, 2021, and later is returned
by this API."
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from .models import Contact, QueueInfo

RETENTION_MONTHS = 24
DESCRIBE_FLOOR = datetime(2021, 11, 12, tzinfo=UTC)


def retention_cutoff(now: datetime) -> datetime:
    """Contacts initiated before this instant are past retention (24 calendar months ago)."""
    years = RETENTION_MONTHS // 12
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February → 28 February
        return now.replace(year=now.year - years, day=28)


def describable(contact: Contact, now: datetime) -> bool:
    initiated = contact.initiation_timestamp
    return initiated >= DESCRIBE_FLOOR and initiated >= retention_cutoff(now)


def settle(contact: Contact, now: datetime) -> Contact:
    """The contact as it stands at ``now``: what time alone does to it, applied.

    A scheduled task enters its flow's queue at its ScheduledTimestamp; a contact past its
    expiry (chat duration, CreateContact's ExpiryDurationInMinutes) has ended, EXPIRED.
    """
    changed = contact
    if (changed.scheduled_timestamp is not None and changed.queue is not None
            and changed.queue.enqueue_timestamp > now):
        changed = replace(changed, queue=None)
    if changed.active and changed.expires_at is not None and changed.expires_at <= now:
        changed = replace(changed, disconnect_timestamp=changed.expires_at,
                          disconnect_reason="EXPIRED",
                          last_update_timestamp=max(changed.last_update_timestamp,
                                                    changed.expires_at))
    return changed


def enqueue(queue_id: str | None, at: datetime) -> QueueInfo | None:
    return QueueInfo(queue_id, at) if queue_id else None
