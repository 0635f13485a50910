"""Memory the processes of one ``serve`` share: an anonymous shared mapping and a lock, made
before the workers are forked, so a token bucket or a fault's count is one for all of them."""

from __future__ import annotations

import mmap
import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class SharedMemory:
    """``size`` bytes every forked child sees and writes (MAP_SHARED), and a lock for them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.memory = mmap.mmap(-1, size)  # anonymous: MAP_SHARED | MAP_ANONYMOUS
        self._lock: Any = multiprocessing.get_context("fork").Lock()

    @contextmanager
    def locked(self) -> Iterator[mmap.mmap]:
        with self._lock:
            yield self.memory
