"""Whether hours of operation are open at an instant: a weekly schedule read in its time zone.

Amazon Connect's reading (Administrator Guide, "Set the hours of operation and time zone for a
queue"): each entry opens a day at its start time and closes at its end time, in the hours'
time zone, daylight saving time applied ("adjusts automatically"). An end of 00:00 is
midnight at the end of the day ("To specify midnight, enter 12:00AM": 10:00AM to 12:00AM is
open 14 hours), so 00:00-00:00 is the whole day (the default Basic Hours). The guide says
nothing of other ends at or before the start; a time slice carries no date, and such an entry
has no reading but one running past midnight, so 22:00-06:00 on Monday is open from Monday
22:00 to Tuesday 06:00 (local wall-clock times). Open is start-inclusive, end-exclusive.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ..models import HoursEntry, HoursOfOperation

# In the order of datetime.weekday()
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
DAY_SECONDS = 24 * 3600


@cache
def time_zones() -> frozenset[str]:
    """The IANA time zone names hours of operation may use."""
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"not a time zone: {name}") from exc


def span(entry: HoursEntry) -> tuple[int, int]:
    """The seconds after its day's local midnight at which an entry opens and closes; the
    close is past DAY_SECONDS when it falls on the next day."""
    start = entry.start[0] * 3600 + entry.start[1] * 60
    end = entry.end[0] * 3600 + entry.end[1] * 60
    return start, end if end > start else end + DAY_SECONDS


def is_open(hours: HoursOfOperation, instant: datetime) -> bool:
    """Whether ``hours`` are open at ``instant`` (an aware datetime)."""
    if instant.tzinfo is None:
        raise ValueError("is_open needs an aware datetime (with a time zone)")
    local = instant.astimezone(zone(hours.time_zone))
    seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    today, yesterday = DAYS[local.weekday()], DAYS[(local.weekday() - 1) % 7]
    for entry in hours.config:
        start, end = span(entry)
        if entry.day == today and start <= seconds < end:
            return True
        if entry.day == yesterday and seconds + DAY_SECONDS < end:
            return True
    return False
