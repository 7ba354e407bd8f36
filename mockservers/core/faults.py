"""Fault injection: the next matching calls of a vendor misbehave in a chosen way.

A fault belongs to the scope it was added in (a session, or the global scope) and hits only
that scope's calls. Faults live in a shared map, matched in the order they were added; a
``probability`` below 1 draws from a random sequence seeded by ``[kit] seed`` and indexed by a
shared counter, so every process of one fake draws the same sequence.

Each scope numbers its faults and counts its draws on its own (``fault-1``… and draw 0… in
every session), so what one test's faults do never depends on another's draws, and resetting a
scope starts both again (as a whole-kit reset did before sessions).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from mockservers.core import sessions
from mockservers.core.adminapi import AdminError, number
from mockservers.core.shared import SharedMap


@dataclass(frozen=True, slots=True)
class FaultKind:
    """A kind of fault: the optional fields it reads, and the operations it can hit (None:
    every operation of its vendor). A fault that sends another field, or names an operation
    its kind never reaches, is refused: it would not do what it says."""

    name: str
    options: frozenset[str] = frozenset()
    operations: frozenset[str] | None = None


CORE_KINDS = (
    FaultKind("status", frozenset({"status"})),
    FaultKind("latency", frozenset({"latency_ms"})),
    FaultKind("drop"),
    FaultKind("malformed"),
)
CORE_FAULT_KINDS = frozenset(kind.name for kind in CORE_KINDS)
_OPTIONS = ("status", "latency_ms", "reason")
"""The fields only some kinds read (``times`` and ``probability`` apply to every kind)."""


class FaultSpecError(AdminError):
    """A fault description the admin API refuses (400)."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


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
    session: str | None = None
    hits: int = 0

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


_FIELDS = tuple(f.name for f in fields(Fault))


class FaultRegistry:
    def __init__(
        self, seed: int = 0, shared: SharedMap | None = None, meta: SharedMap | None = None
    ) -> None:
        self._seed = seed
        self._faults = shared if shared is not None else SharedMap("faults")
        self._meta = meta if meta is not None else SharedMap("faults:meta")
        if "next_id" not in self._meta:
            self._meta.put("next_id", 1)
            self._meta.put("draws", 0)

    def reset(self, scope: str | None = None) -> None:
        """Every fault of one scope gone, its ids and draws from the start (a scope's reset)."""
        self.clear(scope=scope)
        if scope is None:
            self._meta.put("next_id", 1)
            self._meta.put("draws", 0)
        else:
            self._meta.delete(_counter("next_id", scope))
            self._meta.delete(_counter("draws", scope))

    def add(
        self,
        spec: dict[str, Any],
        *,
        vendors: Mapping[str, tuple[Mapping[str, FaultKind], frozenset[str]]],
    ) -> Fault:
        """Check ``spec`` against ``vendors`` (name -> (fault kinds by name, operations));
        register it in the current scope."""
        if not isinstance(spec, dict):
            raise FaultSpecError("the body must be a JSON object")
        vendor = spec.get("vendor")
        if vendor is None:
            raise FaultSpecError(f"'vendor' is required; one of {sorted(vendors)}")
        if not isinstance(vendor, str) or vendor not in vendors:
            raise FaultSpecError(f"unknown vendor {vendor!r}; one of {sorted(vendors)}")
        kinds, operations = vendors[vendor]
        operation = spec.get("operation")
        if operation is not None and (
            not isinstance(operation, str) or operation not in operations
        ):
            raise FaultSpecError(f"unknown operation {operation!r}; one of {sorted(operations)}")
        kind = spec.get("kind")
        if kind is None:  # "unknown kind None" read as a kind of that name
            raise FaultSpecError(f"'kind' is required; one of {sorted(kinds)}")
        if not isinstance(kind, str) or kind not in kinds:
            raise FaultSpecError(f"unknown kind {kind!r}; one of {sorted(kinds)}")
        _check_kind(kinds[kind], spec, operation)
        # An error status only: the body is the vendor's error body, which a success or a
        # redirect would contradict (TS Digital's 202 is its success, with no id).
        status = number(spec, "status", 400, 599, whole=True)
        if kind == "status" and status is None:
            raise FaultSpecError("kind 'status' needs 'status' (400-599)")
        latency = number(spec, "latency_ms", 0, 60_000, whole=True)
        if kind == "latency" and latency is None:
            raise FaultSpecError("kind 'latency' needs 'latency_ms' (0-60000)")
        times = number(spec, "times", 1, 10**9, whole=True)
        probability = 1.0  # when absent; a null is refused, as the contract says
        if "probability" in spec:
            probability = number(spec, "probability", 0, 1, required=True)
        reason = spec.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise FaultSpecError("'reason' must be a string")
        scope = sessions.current_id()
        counter = _counter("next_id", scope)
        serial = self._meta.get(counter, 1)
        self._meta.put(counter, serial + 1)
        fault = Fault(
            id=f"fault-{serial}",
            vendor=vendor,
            operation=operation,
            kind=kind,
            status=status,
            latency_ms=latency,
            times=times,
            probability=float(probability),
            reason=reason,
            session=scope,
        )
        self._faults.put(_key(fault.id, scope), asdict(fault))
        return fault

    def armed(self) -> bool:
        """Whether any fault is held, in any scope: when none is, ``take`` finds none. A vendor
        that would ask record by record (XTRA's own faults) asks this once a call instead."""
        return bool(self._faults.data)

    def take(
        self, vendor: str, operation: str, kinds: frozenset[str] = CORE_FAULT_KINDS
    ) -> Fault | None:
        """The first live fault of the current scope matching this call, counted as used;
        None on the fast path (no faults at all)."""
        if not self._faults.data:
            return None
        scope = sessions.current_id()
        matching = [
            data
            for data in self._faults.values()
            if data["vendor"] == vendor
            and data["kind"] in kinds
            and data["session"] == scope
            and data["operation"] in (None, operation)
        ]
        for data in _in_order(matching):  # sorted once matched: few, whatever the others
            if data["probability"] < 1.0 and self._draw(scope) >= data["probability"]:
                continue
            data = {**data, "hits": data["hits"] + 1}
            key = _key(data["id"], scope)
            if data["times"] is not None and data["hits"] >= data["times"]:
                self._faults.delete(key)
            else:
                self._faults.put(key, data)
            return Fault(**{name: data[name] for name in _FIELDS})
        return None

    def give_back(self, fault: Fault) -> None:
        """Undo ``take``'s use of ``fault``: its hit uncounted, and the fault back if that hit
        used it up (a call whose answer was not the fault's, but the store's 503). Its draw,
        when it has a probability, stays drawn."""
        kept = asdict(fault) | {"hits": fault.hits - 1}
        self._faults.put(_key(fault.id, fault.session), kept)

    def _draw(self, scope: str | None) -> float:
        """The scope's next number of the seeded sequence (shared, so every process draws in
        turn; per scope, so a session draws the same sequence whatever the others do)."""
        counter = _counter("draws", scope)
        index = self._meta.get(counter, 0)
        self._meta.put(counter, index + 1)
        return random.Random(f"{self._seed}:{index}").random()

    def list(self, scope: str | None = sessions.EVERY) -> list[dict[str, Any]]:
        """The faults of one scope (None: the global one), or of every scope."""
        return [
            Fault(**{n: d[n] for n in _FIELDS}).public()
            for d in _in_order(self._faults.values())
            if scope == sessions.EVERY or d["session"] == scope
        ]

    def clear(self, *, scope: str | None = None, vendor: str | None = None) -> None:
        """Clear the faults of one scope (None: the global one), of one vendor or all."""
        for key, data in list(self._faults.items()):
            if data["session"] == scope and (vendor is None or data["vendor"] == vendor):
                self._faults.delete(key)


def _check_kind(kind: FaultKind, spec: dict[str, Any], operation: str | None) -> None:
    """Refuse a field ``kind`` does not read, and an operation it never reaches (a null field
    is an absent one)."""
    unused = [name for name in _OPTIONS if spec.get(name) is not None]
    unused = [name for name in unused if name not in kind.options]
    if unused:
        fields = " or ".join(repr(name) for name in unused)
        raise FaultSpecError(f"kind {kind.name!r} does not use {fields}: it would be ignored")
    if operation is not None and kind.operations is not None and operation not in kind.operations:
        raise FaultSpecError(
            f"kind {kind.name!r} never reaches {operation!r}: it applies to"
            f" {sorted(kind.operations)} only"
        )


def _in_order(faults: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Faults in the order they were added (the first that matches is the one a call meets),
    whatever order the store hands them back in (a shared store's reload has none)."""
    return sorted(
        faults, key=lambda data: (int(data["id"].rpartition("-")[2]), data["session"] or "")
    )


def _key(fault_id: str, scope: str | None) -> str:
    """A fault's key in the shared map: its id, prefixed by its session's (ids repeat across
    scopes)."""
    return fault_id if scope is None else f"{scope}/{fault_id}"


def _counter(name: str, scope: str | None) -> str:
    return name if scope is None else f"{name}:{scope}"
