"""engine.hours.is_open: a weekly schedule read in its time zone, midnight, overnight, DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from connectlocal.engine.hours import is_open
from connectlocal.models import HoursEntry, HoursOfOperation

NY = ZoneInfo("America/New_York")


def _hours(tz: str, *entries: tuple[str, tuple[int, int], tuple[int, int]]) -> HoursOfOperation:
    return HoursOfOperation(id="h", arn="arn:h", name="h", time_zone=tz,
                            config=[HoursEntry(d, s, e) for d, s, e in entries])


WEEKDAYS_9_TO_5 = _hours("America/New_York", *[
    (d, (9, 0), (17, 0)) for d in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")])


@pytest.mark.parametrize(("local", "expected"), [
    (datetime(2025, 6, 2, 9, 0, tzinfo=NY), True),  # Monday, opening minute
    (datetime(2025, 6, 2, 8, 59, 59, tzinfo=NY), False),
    (datetime(2025, 6, 2, 16, 59, 59, tzinfo=NY), True),
    (datetime(2025, 6, 2, 17, 0, tzinfo=NY), False),  # closing time is closed
    (datetime(2025, 6, 7, 12, 0, tzinfo=NY), False),  # Saturday
    (datetime(2025, 6, 6, 12, 0, tzinfo=NY), True),  # Friday
])
def test_start_inclusive_end_exclusive_on_listed_days(local: datetime, expected: bool) -> None:
    assert is_open(WEEKDAYS_9_TO_5, local) is expected


def test_the_instant_is_read_in_the_hours_time_zone() -> None:
    # 13:30 UTC on a June Monday is 09:30 in New York (EDT, UTC-4): open; 12:30 UTC is 08:30.
    assert is_open(WEEKDAYS_9_TO_5, datetime(2025, 6, 2, 13, 30, tzinfo=UTC))
    assert not is_open(WEEKDAYS_9_TO_5, datetime(2025, 6, 2, 12, 30, tzinfo=UTC))
    # Monday 02:00 in Tokyo is still Sunday 13:00 in New York: closed.
    tokyo = datetime(2025, 6, 2, 2, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert not is_open(WEEKDAYS_9_TO_5, tokyo)
    # Friday 22:00 UTC-8 is Saturday 01:00 in New York: closed, the day is read locally.
    assert not is_open(WEEKDAYS_9_TO_5, datetime(2025, 6, 6, 22, 0,
                                                 tzinfo=timezone(timedelta(hours=-8))))


def test_daylight_saving_time_moves_the_hours_in_utc() -> None:
    # 09:00 New York is 14:00 UTC in winter (EST) and 13:00 UTC in summer (EDT).
    assert not is_open(WEEKDAYS_9_TO_5, datetime(2025, 1, 6, 13, 30, tzinfo=UTC))
    assert is_open(WEEKDAYS_9_TO_5, datetime(2025, 1, 6, 14, 30, tzinfo=UTC))
    assert is_open(WEEKDAYS_9_TO_5, datetime(2025, 7, 7, 13, 30, tzinfo=UTC))
    # The Monday after the spring change (Sunday 9 March 2025) opens at 13:00 UTC.
    assert is_open(WEEKDAYS_9_TO_5, datetime(2025, 3, 10, 13, 0, tzinfo=UTC))
    assert not is_open(WEEKDAYS_9_TO_5, datetime(2025, 3, 7, 13, 30, tzinfo=UTC))


def test_an_end_of_midnight_closes_at_the_end_of_the_day() -> None:
    # "10:00AM to 12:00AM ... open for 14 hours" (Administrator Guide).
    hours = _hours("UTC", ("MONDAY", (10, 0), (0, 0)))
    assert is_open(hours, datetime(2025, 6, 2, 10, 0, tzinfo=UTC))
    assert is_open(hours, datetime(2025, 6, 2, 23, 59, 59, tzinfo=UTC))
    assert not is_open(hours, datetime(2025, 6, 3, 0, 0, tzinfo=UTC))  # Tuesday
    assert not is_open(hours, datetime(2025, 6, 2, 9, 59, tzinfo=UTC))
    assert not is_open(hours, datetime(2025, 6, 2, 0, 30, tzinfo=UTC))  # Monday morning


def test_midnight_to_midnight_is_the_whole_day() -> None:
    hours = _hours("Europe/London", ("SUNDAY", (0, 0), (0, 0)))
    sunday = datetime(2025, 6, 1, tzinfo=ZoneInfo("Europe/London"))
    assert all(is_open(hours, sunday + timedelta(minutes=m)) for m in range(0, 24 * 60, 7))
    assert not is_open(hours, sunday + timedelta(days=1))
    assert not is_open(hours, sunday - timedelta(seconds=1))


def test_an_end_before_the_start_runs_into_the_next_day() -> None:
    # Friday 22:00 to 06:00: open Friday night and Saturday morning, not Friday morning.
    hours = _hours("America/Chicago", ("FRIDAY", (22, 0), (6, 0)))
    chicago = ZoneInfo("America/Chicago")
    assert is_open(hours, datetime(2025, 6, 6, 22, 0, tzinfo=chicago))
    assert is_open(hours, datetime(2025, 6, 7, 5, 59, tzinfo=chicago))  # Saturday
    assert not is_open(hours, datetime(2025, 6, 7, 6, 0, tzinfo=chicago))
    assert not is_open(hours, datetime(2025, 6, 6, 3, 0, tzinfo=chicago))  # Friday morning
    assert not is_open(hours, datetime(2025, 6, 7, 23, 0, tzinfo=chicago))  # Saturday night
    # Saturday's overnight entry runs into Sunday: the week wraps around.
    weekend = _hours("UTC", ("SATURDAY", (20, 0), (2, 0)))
    assert is_open(weekend, datetime(2025, 6, 8, 1, 0, tzinfo=UTC))  # Sunday
    # Sunday's into Monday.
    sunday = _hours("UTC", ("SUNDAY", (20, 0), (2, 0)))
    assert is_open(sunday, datetime(2025, 6, 9, 1, 0, tzinfo=UTC))  # Monday


def test_an_overnight_span_across_a_clock_change_keeps_local_times() -> None:
    # Saturday 8 March 2025 22:00 to 06:00 in New York; the clocks jump at 02:00 Sunday.
    hours = _hours("America/New_York", ("SATURDAY", (22, 0), (6, 0)))
    assert is_open(hours, datetime(2025, 3, 9, 5, 59, tzinfo=NY))
    assert not is_open(hours, datetime(2025, 3, 9, 6, 0, tzinfo=NY))
    assert not is_open(hours, datetime(2025, 3, 9, 10, 0, tzinfo=UTC))  # 06:00 EDT


def test_several_entries_a_day_and_none() -> None:
    lunch = _hours("UTC", ("MONDAY", (8, 0), (11, 0)), ("MONDAY", (12, 0), (17, 0)))
    assert is_open(lunch, datetime(2025, 6, 2, 10, 0, tzinfo=UTC))
    assert not is_open(lunch, datetime(2025, 6, 2, 11, 30, tzinfo=UTC))
    assert is_open(lunch, datetime(2025, 6, 2, 12, 0, tzinfo=UTC))
    assert not is_open(_hours("UTC"), datetime(2025, 6, 2, 12, 0, tzinfo=UTC))


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        is_open(WEEKDAYS_9_TO_5, datetime(2025, 6, 2, 12, 0))
