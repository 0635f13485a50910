"""The service clock: the system clock, or a set instant (frozen or ticking), read by every rule."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class ClockSetting:
    """What the clock is set to: nothing (system time), or an instant at a system time."""

    instant: float | None = None  # epoch seconds the clock showed when set
    set_at: float | None = None  # system epoch seconds at that moment, when ticking

    @property
    def ticking(self) -> bool:
        return self.instant is None or self.set_at is not None

    def now(self, system: float) -> datetime:
        """The service time, in whole milliseconds: Amazon Connect's timestamps carry
        milliseconds, and the wire shows no more, so what is stored is what clients see."""
        if self.instant is None:
            seconds = system
        else:
            seconds = self.instant + (system - self.set_at if self.set_at is not None else 0.0)
        stamp = datetime.fromtimestamp(seconds, UTC)
        return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def system_time() -> float:
    return time.time()
