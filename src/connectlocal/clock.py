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
        if self.instant is None:
            return datetime.fromtimestamp(system, UTC)
        elapsed = system - self.set_at if self.set_at is not None else 0.0
        return datetime.fromtimestamp(self.instant + elapsed, UTC)


def system_time() -> float:
    return time.time()
