"""The service clock: set, ticking, in whole milliseconds as the wire shows them, and never
outside the instants the API can express."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from connectlocal.clock import (
    EARLIEST,
    EARLIEST_SECONDS,
    LATEST,
    LATEST_SECONDS,
    ClockRangeError,
    ClockSetting,
    check_instant,
    earlier,
    later,
)
from connectlocal.mock import mock_connect
from connectlocal.rules import retention_cutoff, token_cutoff
from connectlocal.wire import floor_ms


def test_system_time_is_cut_to_milliseconds() -> None:
    assert ClockSetting().now(1_700_000_000.1234567) == datetime(
        2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)


def test_a_set_clock_ticks_from_where_it_was_set() -> None:
    frozen = ClockSetting(instant=1_000.0005)
    assert frozen.now(5_000.0) == datetime.fromtimestamp(1_000, UTC)
    ticking = ClockSetting(instant=1_000.0, set_at=5_000.0)
    assert ticking.now(5_002.5009) == datetime(1970, 1, 1, 0, 16, 42, 500000, tzinfo=UTC)


def test_a_setting_out_of_range_reads_as_the_nearest_instant() -> None:
    # Stored by an older version, or a clock that ticked past the end of time.
    assert ClockSetting(instant=1e20).now(0.0) == LATEST
    assert ClockSetting(instant=LATEST_SECONDS, set_at=0.0).now(10.0) == LATEST
    assert ClockSetting(instant=-1e20).now(0.0) == EARLIEST
    assert ClockSetting(instant=math.nan).now(0.0) == LATEST
    # The edges themselves, to the millisecond (a float near 2.5e11 is not exact).
    assert ClockSetting(instant=LATEST_SECONDS).now(0.0) == LATEST
    assert ClockSetting(instant=EARLIEST_SECONDS).now(0.0) == EARLIEST


def test_instants_outside_the_api_are_refused() -> None:
    check_instant(LATEST_SECONDS)
    check_instant(EARLIEST_SECONDS)
    with pytest.raises(ClockRangeError, match=r"past 9999-12-31T23:59:59\.999Z, the latest"):
        check_instant(LATEST_SECONDS + 0.001)
    with pytest.raises(ClockRangeError, match=r"before 0001-01-01T00:00:00\.000Z, the earliest"):
        check_instant(EARLIEST_SECONDS - 1)
    with pytest.raises(ClockRangeError, match="not a number of seconds"):
        check_instant(math.nan)


def test_arithmetic_at_the_edges_saturates() -> None:
    assert later(LATEST - timedelta(days=1), timedelta(days=7)) == LATEST
    assert later(LATEST, timedelta(minutes=2**31 - 1)) == LATEST
    assert later(EARLIEST, timedelta(days=1)) == EARLIEST + timedelta(days=1)
    assert earlier(EARLIEST + timedelta(days=1), timedelta(days=7)) == EARLIEST
    assert token_cutoff(EARLIEST) == EARLIEST
    assert retention_cutoff(datetime(2, 6, 1, tzinfo=UTC)) == EARLIEST
    assert retention_cutoff(datetime(3, 6, 1, tzinfo=UTC)) == datetime(1, 6, 1, tzinfo=UTC)
    assert retention_cutoff(LATEST) == datetime(9997, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)


def test_the_mock_refuses_a_clock_the_api_cannot_express() -> None:
    with mock_connect(clock="9999-12-31T00:00:00Z") as mock:
        with pytest.raises(ValueError, match=r"past 9999-12-31T23:59:59\.999Z"):
            mock.advance(10**12)
        with pytest.raises(ValueError, match=r"past 9999-12-31T23:59:59\.999Z"):
            mock.advance(86400)
        with pytest.raises(ValueError, match="not a number of seconds"):
            mock.advance(math.nan)
        assert mock.service.now() == datetime(9999, 12, 31, tzinfo=UTC)  # not moved
        with pytest.raises(ValueError, match="not an ISO 8601 instant from 0001-01-01"):
            mock.set_clock("10000-01-01T00:00:00Z")
        with pytest.raises(ValueError, match="not an ISO 8601 instant from 0001-01-01"):
            mock.set_clock("9999-12-31T23:30:00-01:00")
        mock.set_clock("0001-01-01T00:00:00Z")
        with pytest.raises(ValueError, match=r"before 0001-01-01T00:00:00\.000Z"):
            mock.advance(-1)
        with pytest.raises(ValueError, match="past 9999"):
            mock.advance(10**400)  # beyond any float
        mock.advance(60)
        assert mock.service.now() == datetime(1, 1, 1, 0, 1, tzinfo=UTC)


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                 st.floats(min_value=EARLIEST_SECONDS - 10, max_value=LATEST_SECONDS + 10),
                 st.integers(min_value=-10**12, max_value=10**12).map(lambda ms: ms / 1000)),
       st.one_of(st.none(), st.floats(min_value=-1e11, max_value=1e11)),
       st.sampled_from([None, 1_700_000_000.0]), st.sampled_from([1.0, 60.0, 0.5]))
@example(1.005, None, None, 1.0)  # 1.005 * 1000 is 1004.999...: floor alone falls one short
def test_now_in_milliseconds_is_now(system: float, instant: float | None, set_at: float | None,
                                    rate: float) -> None:
    """The hot read's whole milliseconds (``now_ms``) are the last millisecond at or before
    the clock's instant (as floats compare it: -0.001 is millisecond -1), and the instant
    ``now`` shows; past the ends of
    time (NaN too) the nearest end, wherever the clock is: set, ticking at a rate."""
    setting = ClockSetting(instant, set_at if instant is not None else None, rate)
    seconds, ms = setting.seconds(system), setting.now_ms(system)
    if EARLIEST_SECONDS <= seconds <= LATEST_SECONDS:
        assert ms / 1000 <= seconds < (ms + 1) / 1000
    else:
        assert ms == floor_ms(EARLIEST if seconds < EARLIEST_SECONDS else LATEST)
    assert floor_ms(setting.now(system)) == ms
