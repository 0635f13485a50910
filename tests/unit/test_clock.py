"""The service clock: set, ticking, and in whole milliseconds as the wire shows them."""

from __future__ import annotations

from datetime import UTC, datetime

from connectlocal.clock import ClockSetting


def test_system_time_is_cut_to_milliseconds() -> None:
    assert ClockSetting().now(1_700_000_000.1234567) == datetime(
        2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)


def test_a_set_clock_ticks_from_where_it_was_set() -> None:
    frozen = ClockSetting(instant=1_000.0005)
    assert frozen.now(5_000.0) == datetime.fromtimestamp(1_000, UTC)
    ticking = ClockSetting(instant=1_000.0, set_at=5_000.0)
    assert ticking.now(5_002.5009) == datetime(1970, 1, 1, 0, 16, 42, 500000, tzinfo=UTC)
