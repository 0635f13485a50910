"""The id factory: random UUIDs, or a reproducible sequence of them from a seed."""

from __future__ import annotations

import itertools
import random
import secrets
import uuid


class Ids:
    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed) if seed is not None else None

    def uuid(self) -> str:
        if self._random is None:
            return str(uuid.uuid4())
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))


class RequestIds:
    """Request ids (``x-amzn-RequestId``) shaped as AWS's are, UUID version 4 text: a random
    prefix per process and a counter. Unique without a random draw per request (``uuid4`` was
    ~5% of a DescribeContact, bench/README.md); nothing depends on their being unpredictable."""

    def __init__(self) -> None:
        bits = secrets.randbits(64)
        self._prefix = (f"{bits >> 32:08x}-{(bits >> 16) & 0xFFFF:04x}-4{(bits >> 4) & 0xFFF:03x}-"
                        f"{8 | (bits & 3):x}{secrets.randbits(12):03x}-")
        self._counter = itertools.count(secrets.randbits(40))

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter) & 0xFFFFFFFFFFFF:012x}"
