"""Fault injection: the next matching calls of a vendor misbehave in a chosen way."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

CORE_FAULT_KINDS = frozenset({"status", "latency", "drop", "malformed"})


class FaultSpecError(ValueError):
    """A fault description the admin API refuses (400)."""


@dataclass(slots=True)
class Fault:
    id: str
    vendor: str
    operation: str | None
    kind: str
    status: int | None = None
    latency_ms: int | None = None
    times: int | None = None
    probability: float = 1.0
    reason: str | None = None
    hits: int = 0

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class FaultRegistry:
    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self.reset()

    def reset(self) -> None:
        self._faults: list[Fault] = []
        self._next_id = 1
        self._random = random.Random(self._seed)

    def add(
        self, spec: dict[str, Any], *, vendors: dict[str, tuple[frozenset[str], frozenset[str]]]
    ) -> Fault:
        """Check ``spec`` against ``vendors`` (name -> (fault kinds, operations)); register it."""
        if not isinstance(spec, dict):
            raise FaultSpecError("the body must be a JSON object")
        vendor = spec.get("vendor")
        if not isinstance(vendor, str) or vendor not in vendors:
            raise FaultSpecError(f"unknown vendor {vendor!r}; one of {sorted(vendors)}")
        kinds, operations = vendors[vendor]
        operation = spec.get("operation")
        if operation is not None and (
            not isinstance(operation, str) or operation not in operations
        ):
            raise FaultSpecError(f"unknown operation {operation!r}; one of {sorted(operations)}")
        kind = spec.get("kind")
        if not isinstance(kind, str) or kind not in kinds:
            raise FaultSpecError(f"unknown kind {kind!r}; one of {sorted(kinds)}")
        status = _int_or_none(spec, "status", 100, 599)
        if kind == "status" and status is None:
            raise FaultSpecError("kind 'status' needs 'status' (100-599)")
        latency = _int_or_none(spec, "latency_ms", 0, 60_000)
        if kind == "latency" and latency is None:
            raise FaultSpecError("kind 'latency' needs 'latency_ms' (0-60000)")
        times = _int_or_none(spec, "times", 1, 10**9)
        probability = spec.get("probability", 1.0)
        if (
            isinstance(probability, bool)
            or not isinstance(probability, int | float)
            or not (0.0 <= probability <= 1.0)
        ):
            raise FaultSpecError("'probability' must be a number from 0 to 1")
        reason = spec.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise FaultSpecError("'reason' must be a string")
        fault = Fault(
            id=f"fault-{self._next_id}",
            vendor=vendor,
            operation=operation,
            kind=kind,
            status=status,
            latency_ms=latency,
            times=times,
            probability=float(probability),
            reason=reason,
        )
        self._next_id += 1
        self._faults.append(fault)
        return fault

    def take(
        self, vendor: str, operation: str, kinds: frozenset[str] = CORE_FAULT_KINDS
    ) -> Fault | None:
        """The first live fault matching this call, counted as used; None on the fast path."""
        if not self._faults:
            return None
        for fault in self._faults:
            if fault.vendor != vendor or fault.kind not in kinds:
                continue
            if fault.operation is not None and fault.operation != operation:
                continue
            if fault.probability < 1.0 and self._random.random() >= fault.probability:
                continue
            fault.hits += 1
            if fault.times is not None and fault.hits >= fault.times:
                self._faults.remove(fault)
            return fault
        return None

    def list(self) -> list[dict[str, Any]]:
        return [f.public() for f in self._faults]

    def clear(self, vendor: str | None = None) -> None:
        self._faults = [f for f in self._faults if vendor is not None and f.vendor != vendor]


def _int_or_none(spec: dict[str, Any], key: str, low: int, high: int) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():  # 500.0 is 500, as JSON Schema says
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not (low <= value <= high):
        raise FaultSpecError(f"'{key}' must be a whole number from {low} to {high}")
    return value
