"""Amazon Connect's data rules for contacts, read against the service clock.

From the DescribeContact reference: "Contact information remains available in Amazon Connect
for 24 months, and then it is deleted. Only data from November 12, 2021, and later is returned
by this API."
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from .clock import EARLIEST, earlier
from .models import Contact, Instance, QueueInfo

RETENTION_MONTHS = 24
# ClientToken: "The token is valid for 7 days after creation." (StartTaskContact and others)
CLIENT_TOKEN_LIFE = timedelta(days=7)
DESCRIBE_FLOOR = datetime(2021, 11, 12, tzinfo=UTC)


def retention_cutoff(now: datetime) -> datetime:
    """Contacts initiated before this instant are past retention (24 calendar months ago;
    none, at a clock set in the first two years of the calendar)."""
    years = RETENTION_MONTHS // 12
    if now.year - years < EARLIEST.year:
        return EARLIEST
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February → 28 February
        return now.replace(year=now.year - years, day=28)


def token_cutoff(now: datetime) -> datetime:
    """ClientTokens claimed before this instant have expired: they can be used again."""
    return earlier(now, CLIENT_TOKEN_LIFE)


def earliest_describable(now: datetime) -> datetime:
    """Contacts initiated before this instant cannot be described at ``now``: past
    retention, or before 2021-11-12."""
    return max(DESCRIBE_FLOOR, retention_cutoff(now))


def describable(contact: Contact, now: datetime) -> bool:
    return contact.initiation_timestamp >= earliest_describable(now)


def settle(contact: Contact, now: datetime) -> Contact:
    """The contact as it stands at ``now``: a contact past its expiry (chat duration,
    CreateContact's ExpiryDurationInMinutes) has ended, EXPIRED. Safe to store back."""
    expiry = contact.expires_at
    if contact.active and expiry is not None and expiry <= now:
        contact = replace(contact)
        end(contact, expiry, "EXPIRED")
    return contact


def as_seen(contact: Contact, now: datetime) -> Contact:
    """The contact as the read APIs show it at ``now``: a scheduled task enters its flow's
    queue at its ScheduledTimestamp, so before then it has no QueueInfo. Not to be stored."""
    if waiting_for_schedule(contact, now):
        return replace(contact, queue=None)
    return contact


def waiting_for_schedule(contact: Contact, now: datetime) -> bool:
    return (contact.scheduled_timestamp is not None and contact.queue is not None
            and contact.queue.enqueue_timestamp > now)


def end(contact: Contact, at: datetime, reason: str) -> None:
    """Disconnects the contact at ``at``; a pause in progress ends with it."""
    resume(contact, at)
    contact.disconnect_timestamp = at
    contact.disconnect_reason = reason
    contact.last_update_timestamp = max(contact.last_update_timestamp, at)


def resume(contact: Contact, at: datetime) -> None:
    """Ends a pause in progress, adding its whole seconds to TotalPauseDurationInSeconds."""
    if contact.paused_at is not None:
        contact.total_pause_seconds += int((at - contact.paused_at).total_seconds())
        contact.paused_at = None


def enqueue(queue_id: str | None, at: datetime) -> QueueInfo | None:
    return QueueInfo(queue_id, at) if queue_id else None


def begin(instance: Instance, contact_id: str, channel: str, method: str, at: datetime,
          **fields: Any) -> Contact:
    """A contact initiated at ``at``; the first of its chain unless ``fields`` say otherwise
    (its ContactAssociationId is its own id)."""
    return Contact(id=contact_id, arn=f"{instance.arn}/contact/{contact_id}",
                   instance_id=instance.id, channel=channel, initiation_method=method,
                   initiation_timestamp=at, last_update_timestamp=at,
                   **{"contact_association_id": contact_id, **fields})


def following(previous: Contact) -> dict[str, Any]:
    """The chain fields of a contact that comes after ``previous``."""
    return {
        "previous_contact_id": previous.id,
        "initial_contact_id": previous.initial_contact_id or previous.id,
        "contact_association_id": previous.contact_association_id or previous.id,
    }
