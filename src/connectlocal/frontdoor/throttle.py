"""Throttling as Amazon Connect does it: a token bucket per account, region and operation at the
documented API quotas (``spec/throttling.json``, with its source and date), shared by every
worker process of a server.

"The throttling limits are defined for each API separately at the AWS account level, not for
the individual Amazon Connect instance" (API Reference, best practices). A bucket holds
``burst`` requests and refills at ``rate`` a second, on the machine's monotonic clock: request
rates are real time, whatever the service clock says.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import struct
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any

from . import json_file
from .shared import SharedMemory

log = logging.getLogger(__name__)

SLOTS = 4096  # (account, region, operation) buckets; past that, requests are let through
_SLOT = struct.Struct("<Qdd")  # key hash (0: free), tokens, last refill (monotonic seconds)


@dataclass(frozen=True)
class Limit:
    rate: float  # requests a second, steady state
    burst: float  # requests at once


@dataclass(frozen=True)
class Quotas:
    default: Limit
    operations: dict[str, Limit]
    source: str

    def limit(self, operation: str) -> Limit:
        return self.operations.get(operation, self.default)

    @classmethod
    def load(cls, spec: str) -> Quotas:
        """``aws`` (the documented defaults) or a JSON file of the same form with a team's raised
        quotas; operations it leaves out keep the documented ones."""
        text = resources.files("connectlocal.spec").joinpath("throttling.json").read_text()
        documented = cls._parse(json.loads(text), "the documented quotas")
        if spec == "aws":
            return documented
        document = json_file(spec, "throttle file")
        mine = cls._parse(document, spec, documented.default)
        return cls(mine.default, {**documented.operations, **mine.operations}, spec)

    @staticmethod
    def _parse(document: Any, name: str, default: Limit | None = None) -> Quotas:
        def limit(value: Any, where: str) -> Limit:
            if not isinstance(value, dict):
                raise ValueError(f"{name}: {where} must be {{\"rate\": N, \"burst\": N}}")
            rate, burst = value.get("rate"), value.get("burst")
            for label, number in (("rate", rate), ("burst", burst)):
                if (isinstance(number, bool) or not isinstance(number, int | float)
                        or not math.isfinite(number) or number <= 0):
                    raise ValueError(f"{name}: {where}.{label} must be a positive number")
            assert isinstance(rate, int | float) and isinstance(burst, int | float)
            if burst < 1:
                raise ValueError(f"{name}: {where}.burst must be at least 1")
            return Limit(float(rate), float(burst))

        if not isinstance(document, dict):
            raise ValueError(f"{name}: must be a JSON object with \"operations\"")
        base = limit(document["default"], "default") if "default" in document else default
        if base is None:
            raise ValueError(f"{name}: needs a \"default\" limit")
        operations = document.get("operations", {})
        if not isinstance(operations, dict):
            raise ValueError(f"{name}: \"operations\" must map operation names to limits")
        return Quotas(base, {op: limit(v, f"operations.{op}") for op, v in operations.items()},
                      str(document.get("source", name)))


class Throttle:
    """Token buckets in memory shared by the server's processes (made before they fork)."""

    def __init__(self, quotas: Quotas) -> None:
        self.quotas = quotas
        self._shared = SharedMemory(SLOTS * _SLOT.size)
        self._full_logged = False

    def allow(self, account: str, region: str, operation: str) -> bool:
        limit = self.quotas.limit(operation)
        key = int.from_bytes(hashlib.blake2b(f"{account}|{region}|{operation}".encode(),
                                             digest_size=8).digest(), "little") | 1
        now = time.monotonic()
        with self._shared.locked() as memory:
            for probe in range(SLOTS):
                offset = ((key + probe) % SLOTS) * _SLOT.size
                held, tokens, last = _SLOT.unpack_from(memory, offset)
                if held == 0:
                    _SLOT.pack_into(memory, offset, key, limit.burst - 1, now)
                    return True
                if held == key:
                    tokens = min(limit.burst, tokens + (now - last) * limit.rate)
                    allowed: bool = tokens >= 1
                    _SLOT.pack_into(memory, offset, key, tokens - 1 if allowed else tokens, now)
                    return allowed
        if not self._full_logged:
            log.warning("throttle: all %d buckets are in use; further keys are not throttled",
                        SLOTS)
            self._full_logged = True
        return True
