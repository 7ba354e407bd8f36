"""Coverage of documented behaviours: which of the vendor's documented situations a connector
under test has met (token expiry, each error code, 202 then FAILED, 206 partial, 429...).

Each vendor declares a catalogue: every documented situation with a stable id and a
description taken from its document. Its code marks a situation with ``met(id)`` where it
decides it (a constant-time append to the call's list); the pipeline stores the list in the
journal entry and counts it, per scope, in a shared map, as the answer is sent. A situation
time decides (``Coverage.note``) is kept apart on the call's list, in ``settled``: it counts
once per item, and stands whatever the call's own answer became (a drop or malformed fault).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from mockservers.core.sessions import EVERY
from mockservers.core.shared import SharedMap


@dataclass(frozen=True, slots=True)
class Behaviour:
    id: str
    description: str


class Met(list[str]):
    """What the call being answered met, in order; and in ``settled``, what time decided while
    it ran (an item it settled FAILED), once per item."""

    settled: tuple[str, ...] = ()  # a class default: every call makes one, few settle anything


MET: ContextVar[Met | None] = ContextVar("mockservers_met", default=None)


def met(behaviour: Behaviour) -> None:
    """Mark a documented situation as met by the call being answered."""
    found = MET.get()
    if found is not None:
        found.append(behaviour.id)


_SEP = "\x1f"


class Coverage:
    """How often each behaviour was met, per scope (global or a session)."""

    def __init__(self, counters: SharedMap) -> None:
        self.counters = counters
        self._global_keys: dict[str, str] = {}
        """The global scope's counter key of each behaviour, made once: every call counts
        (a session's are made at each count: sessions come and go, catalogues stay)."""

    def count(
        self, behaviours: Collection[str], scope: str | None, settled: Iterable[str] = ()
    ) -> None:
        """Count what a call met (a situation met twice in one call: once) and what time
        decided while it ran (``settled``: each one, as each is an item)."""
        keys = self._global_keys if scope is None else {}
        counters = self.counters
        if len(behaviours) > 1:  # met twice in one call: counted once
            behaviours = dict.fromkeys(behaviours)
        for behaviour in (*behaviours, *settled) if settled else behaviours:
            key = keys.get(behaviour)
            if key is None:
                key = keys[behaviour] = (scope or "") + _SEP + behaviour
            counters.put(key, counters.data.get(key, 0) + 1)

    def report(
        self, catalogue: Iterable[Behaviour], scope: str | None = EVERY
    ) -> list[dict[str, Any]]:
        """Every behaviour of a catalogue with how often it was met in ``scope`` (None: the
        global scope; ``EVERY``: the whole kit)."""
        totals: dict[str, int] = {}
        for key, count in self.counters.items():
            owner, _, behaviour = key.partition(_SEP)
            if scope == EVERY or owner == (scope or ""):
                totals[behaviour] = totals.get(behaviour, 0) + count
        return [
            {"behaviour": b.id, "description": b.description, "met": totals.get(b.id, 0)}
            for b in catalogue
        ]

    def note(self, behaviour: Behaviour, scope: str | None) -> None:
        """Mark a situation that time decided for one item (TS Digital's FAILED): on the call
        being answered, when one is (it settled the item), among what it settled; else (a
        state or coverage read settled it) counted in ``scope`` at once, as no journal entry
        will carry it."""
        found = MET.get()
        if found is not None:
            found.settled += (behaviour.id,)
        else:
            self.count((), scope, (behaviour.id,))

    def clear(self, *, scope: str | None = None, vendor: str | None = None) -> None:
        """Forget what one scope met (None: the global scope), of one vendor or all (a
        behaviour's id starts with its vendor's name)."""
        prefix = (scope or "") + _SEP + (f"{vendor}." if vendor is not None else "")
        for key in [k for k in self.counters if k.startswith(prefix)]:
            self.counters.delete(key)
