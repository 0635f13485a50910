"""Fault injection: rules that make matching requests fail with a modelled error, or answer
late, a given number of times or with a probability; shared by every worker process of a
server (``POST/GET/DELETE /_connectlocal/faults``, ``serve --faults FILE``, ``mock.faults``).

A rule: ``operation``, ``account``, ``region`` (each optional: any), ``error`` (an error shape
of the model, e.g. ``InternalServiceException``; its status is the model's unless ``status``
says otherwise), ``message``, ``probability`` (0-1, default 1), ``latency_ms`` (0-60,000; an
answer held back that long, which never holds up other requests), ``count`` (how many requests
it applies to; default: every one). A rule needs an error or a latency.
"""

from __future__ import annotations

import json
import random
import struct
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from .shared import SharedMemory

SIZE = 1 << 20  # bytes for the rules' JSON
_HEADER = struct.Struct("<QI")  # version, length of the JSON that follows
MAX_LATENCY_MS = 60_000
FIELDS = ("operation", "account", "region", "error", "status", "message", "probability",
          "latency_ms", "count")


@dataclass(frozen=True)
class Fault:
    """What a matching request gets: an error (code, status, message) and/or a delay."""

    error: str | None
    status: int | None
    message: str
    delay: float  # seconds


class FaultError(ValueError):
    """A rule that cannot be applied; the message says which member is wrong."""


@dataclass
class Rule:
    id: int
    operation: str | None = None
    account: str | None = None
    region: str | None = None
    error: str | None = None
    status: int | None = None
    message: str | None = None
    probability: float = 1.0
    latency_ms: int = 0
    count: int | None = None  # remaining; None: unlimited
    hits: int = 0

    def matches(self, operation: str, account: str, region: str) -> bool:
        return ((self.operation is None or self.operation == operation)
                and (self.account is None or self.account == account)
                and (self.region is None or self.region == region))


def check_rule(document: Any, rule_id: int, operations: frozenset[str],
               errors: dict[str, int]) -> Rule:
    """A rule from its JSON form, refused with a message naming what is wrong."""
    if not isinstance(document, dict):
        raise FaultError("a fault rule must be a JSON object")
    unknown = sorted(set(document) - set(FIELDS))
    if unknown:
        raise FaultError(f"unknown fault rule members {unknown}; known: {list(FIELDS)}")
    for name in ("operation", "account", "region", "error", "message"):
        if document.get(name) is not None and not isinstance(document[name], str):
            raise FaultError(f"{name} must be a string")
    operation, error = document.get("operation"), document.get("error")
    if operation is not None and operation not in operations:
        raise FaultError(f"operation {operation!r} is no operation of the Amazon Connect model")
    if error is not None and error not in errors:
        raise FaultError(f"error {error!r} is no error shape of the Amazon Connect model "
                         "(e.g. InternalServiceException, ThrottlingException)")
    status = document.get("status")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)
                               or not 400 <= status <= 599):
        raise FaultError("status must be an HTTP error status, 400 to 599")
    if status is not None and error is None:
        raise FaultError("status needs an error: the code the client sees")
    probability = document.get("probability", 1.0)
    if (isinstance(probability, bool) or not isinstance(probability, int | float)
            or not 0 <= probability <= 1):
        raise FaultError("probability must be a number from 0 to 1")
    latency = document.get("latency_ms", 0)
    if (isinstance(latency, bool) or not isinstance(latency, int)
            or not 0 <= latency <= MAX_LATENCY_MS):
        raise FaultError(f"latency_ms must be a whole number from 0 to {MAX_LATENCY_MS}")
    count = document.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                              or count < 1):
        raise FaultError("count must be a whole number of 1 or more (or absent: every request)")
    if error is None and latency == 0:
        raise FaultError("a fault rule needs an error or a latency_ms")
    return Rule(rule_id, operation, document.get("account"), document.get("region"), error,
                status if status is not None else (errors[error] if error else None),
                document.get("message"), float(probability), latency, count)


@cache
def _model_terms() -> tuple[frozenset[str], dict[str, int]]:
    """The model's operation names, and its error shapes with their statuses (read once: a
    mock makes a Service, and so rules of its own, for every test)."""
    from ..spec import service_model

    model = service_model()
    errors = {name: int(model.shape_for(name).metadata["error"]["httpStatusCode"])
              for name in model.shape_names if model.shape_for(name).metadata.get("exception")}
    return frozenset(model.operation_names), errors


class Faults:
    """The rules, in memory shared by the server's processes (made before they fork)."""

    def __init__(self, operations: frozenset[str], errors: dict[str, int],
                 seed: int | None = None) -> None:
        """``operations``: the model's operation names; ``errors``: its error shapes and
        their statuses (``for_model`` reads both)."""
        self.operations = operations
        self.errors = errors
        self._shared = SharedMemory(SIZE)
        self._version = -1
        self._rules: list[Rule] = []
        self._random = random.Random(seed)

    @classmethod
    def for_model(cls, seed: int | None = None) -> Faults:
        return cls(*_model_terms(), seed)

    # Reading and writing the shared document

    @staticmethod
    def _read(memory: Any) -> tuple[int, list[Rule]]:
        version, length = _HEADER.unpack_from(memory, 0)
        if not length:
            return version, []
        raw = json.loads(bytes(memory[_HEADER.size:_HEADER.size + length]))
        return version, [Rule(**r) for r in raw]

    @staticmethod
    def _write(memory: Any, version: int, rules: list[Rule]) -> None:
        data = json.dumps([asdict(r) for r in rules]).encode()
        if _HEADER.size + len(data) > SIZE:
            raise FaultError("too many fault rules (1 MiB of them at most)")
        memory[_HEADER.size:_HEADER.size + len(data)] = data
        _HEADER.pack_into(memory, 0, version + 1, len(data))

    def add(self, document: Any) -> dict[str, Any]:
        with self._shared.locked() as memory:
            version, rules = self._read(memory)
            next_id = max((r.id for r in rules), default=0) + 1
            rule = check_rule(document, next_id, self.operations, self.errors)
            self._write(memory, version, [*rules, rule])
        return asdict(rule)

    def list(self) -> list[dict[str, Any]]:
        with self._shared.locked() as memory:
            return [asdict(r) for r in self._read(memory)[1]]

    def clear(self) -> int:
        with self._shared.locked() as memory:
            version, rules = self._read(memory)
            self._write(memory, version, [])
        return len(rules)

    # On each request

    def any(self) -> bool:
        """Whether any rule is set (a request path that skips ``check`` must not then)."""
        version = _HEADER.unpack_from(self._shared.memory, 0)[0]
        if version != self._version:
            with self._shared.locked() as memory:
                self._version, self._rules = self._read(memory)
        return bool(self._rules)

    def check(self, operation: str, account: str, region: str) -> Fault | None:
        """The fault a request gets, if a rule takes it (its count goes down by one)."""
        version = _HEADER.unpack_from(self._shared.memory, 0)[0]
        if version != self._version:
            with self._shared.locked() as memory:
                self._version, self._rules = self._read(memory)
        for candidate in self._rules:
            if not candidate.matches(operation, account, region):
                continue
            if candidate.probability < 1 and self._random.random() >= candidate.probability:
                continue
            with self._shared.locked() as memory:
                version, rules = self._read(memory)
                rule = next((r for r in rules if r.id == candidate.id), None)
                if rule is None or rule.count == 0:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                rule.hits += 1
                self._write(memory, version, rules)
            return Fault(rule.error, rule.status,
                         rule.message or f"Injected fault {rule.id} (connectlocal faults)",
                         rule.latency_ms / 1000)
        return None
