"""The id factory: random UUIDs, or a reproducible sequence of them from a seed."""

from __future__ import annotations

import random
import uuid


class Ids:
    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed) if seed is not None else None

    def uuid(self) -> str:
        if self._random is None:
            return str(uuid.uuid4())
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))
