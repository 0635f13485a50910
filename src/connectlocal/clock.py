"""The service clock: the system clock, or a set instant (frozen or ticking), read by every rule."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# The instants the API can express: a timestamp on the wire is a date of years 1 to 9999 (ISO
# 8601 without an expanded year, what every SDK's date type holds), in whole milliseconds.
EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
EARLIEST_SECONDS = EARLIEST.timestamp()
LATEST_SECONDS = LATEST.timestamp()
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def epoch_ms(at: datetime) -> int:
    """An aware instant in whole epoch milliseconds, rounded down, counted in integers (a
    float's ``timestamp() * 1000`` can fall one short)."""
    return (at - EPOCH) // _MILLISECOND


EARLIEST_MS, LATEST_MS = epoch_ms(EARLIEST), epoch_ms(LATEST)
# How fast a ticking clock may run (service seconds a system second): from a thousandth of
# real time to a day a second.
MIN_RATE, MAX_RATE = 0.001, 86_400.0
RANGE_TEXT = "0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z"


class ClockRangeError(ValueError):
    """A clock setting or move that would leave the instants the API can express."""


def later(at: datetime, delta: timedelta) -> datetime:
    """``at + delta``, or the latest instant when that is past it: an expiry or a bound
    computed from a clock set near the end of time stays an instant."""
    try:
        return min(at + delta, LATEST)
    except OverflowError:
        return LATEST if delta > timedelta(0) else EARLIEST


def earlier(at: datetime, delta: timedelta) -> datetime:
    """``at - delta``, or the earliest instant when that is before it."""
    try:
        return max(at - delta, EARLIEST)
    except OverflowError:
        return EARLIEST if delta > timedelta(0) else LATEST


def check_instant(seconds: float, what: str = "The clock") -> None:
    """Refuses epoch seconds outside what the API can express (ClockRangeError)."""
    if EARLIEST_SECONDS <= seconds <= LATEST_SECONDS:
        return
    if math.isnan(seconds):
        raise ClockRangeError(f"{what}: not a number of seconds")
    edge = ("past 9999-12-31T23:59:59.999Z, the latest" if seconds > LATEST_SECONDS
            else "before 0001-01-01T00:00:00.000Z, the earliest")
    raise ClockRangeError(f"{what} would take the clock {edge} instant the API can express "
                          f"(timestamps are {RANGE_TEXT})")


@dataclass(frozen=True)
class ClockSetting:
    """What the clock is set to: nothing (system time), or an instant at a system time."""

    instant: float | None = None  # epoch seconds the clock showed when set
    set_at: float | None = None  # system epoch seconds at that moment, when ticking
    # Service seconds per system second while ticking (``serve --simulate --speed 60``: a
    # minute a second); 1 is real time.
    rate: float = 1.0

    @property
    def ticking(self) -> bool:
        return self.instant is None or self.set_at is not None

    def seconds(self, system: float) -> float:
        """The epoch seconds the clock shows at system time ``system`` (not range-checked)."""
        if self.instant is None:
            return system
        if self.set_at is None:
            return self.instant
        return self.instant + (system - self.set_at) * self.rate

    def document(self) -> dict[str, float | None]:
        """What a store keeps of it (``ClockSetting(**document)`` reads it back); the rate
        only when it is not real time, so a store written by an older version reads the
        same."""
        kept: dict[str, float | None] = {"instant": self.instant, "set_at": self.set_at}
        if self.rate != 1.0:
            kept["rate"] = self.rate
        return kept

    def now(self, system: float) -> datetime:
        """The service time, in whole milliseconds: Amazon Connect's timestamps carry
        milliseconds, and the wire shows no more, so what is stored is what clients see.

        Never outside EARLIEST..LATEST: a clock ticking past the end of time stays at its
        last instant, and so does a setting stored out of range by an older version."""
        return EPOCH + self.now_ms(system) * _MILLISECOND

    def now_ms(self, system: float) -> int:
        """``now`` as whole epoch milliseconds, without making the datetime (a hot read)."""
        seconds = self.seconds(system)
        if not (EARLIEST_SECONDS <= seconds <= LATEST_SECONDS):  # NaN: LATEST
            return EARLIEST_MS if seconds < EARLIEST_SECONDS else LATEST_MS
        # The last whole millisecond at or before ``seconds``, counted in integers: far from
        # 1970 a float holds an instant to tens of microseconds, and the millisecond read
        # through fromtimestamp could fall one short (9999-12-31T23:59:59.999 read as .998).
        milliseconds = math.floor(seconds * 1000)
        if (milliseconds + 1) / 1000 <= seconds:
            milliseconds += 1
        return milliseconds


def system_time() -> float:
    return time.time()
