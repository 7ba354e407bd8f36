"""Per-tenant state that dumps to JSON and loads back exactly.

A vendor keeps each tenant's data in named collections of JSON records plus named sequences.
Every write goes through ``put``/``put_many`` or ``next``/``reserve``, which is what lets the kit
persist writes (the ``--state-file`` journal) without knowing any vendor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

SEQUENCES = "sequences"

ChangeListener = Callable[[str, str, str, str, Any], None]
"""(vendor, tenant, collection or ``sequences``, key, value) for each write."""

ReplaceListener = Callable[[str, dict[str, Any]], None]
"""(vendor, whole dump) when a vendor's state is reset or replaced."""


class StateError(ValueError):
    """A state document that does not have the vendor's shape (PUT /__admin/state → 400)."""


class TenantState:
    __slots__ = ("_listener", "_vendor", "collections", "name", "sequences")

    def __init__(
        self, vendor: str, name: str, collections: tuple[str, ...], listener: ChangeListener | None
    ) -> None:
        self._vendor = vendor
        self._listener = listener
        self.name = name
        self.sequences: dict[str, int] = {}
        self.collections: dict[str, dict[str, Any]] = {c: {} for c in collections}

    def next(self, sequence: str) -> int:
        """The next value of a per-tenant sequence, starting at 1; never repeats."""
        return self.reserve(sequence, 1)

    def reserve(self, sequence: str, count: int) -> int:
        """Take ``count`` consecutive values of a sequence at once (a bulk insert); the first."""
        first = self.sequences.get(sequence, 0) + 1
        if count > 0:
            last = self.sequences[sequence] = first + count - 1
            if self._listener:
                self._listener(self._vendor, self.name, SEQUENCES, sequence, last)
        return first

    def get(self, collection: str, key: str) -> Any:
        return self.collections[collection].get(key)

    def put(self, collection: str, key: str, record: Any) -> None:
        self.collections[collection][key] = record
        if self._listener:
            self._listener(self._vendor, self.name, collection, key, record)

    def put_many(self, collection: str, records: dict[str, Any]) -> None:
        self.collections[collection].update(records)
        if self._listener:
            for key, record in records.items():
                self._listener(self._vendor, self.name, collection, key, record)

    def values(self, collection: str) -> Iterator[Any]:
        return iter(self.collections[collection].values())

    def count(self, collection: str) -> int:
        return len(self.collections[collection])

    def dump(self) -> dict[str, Any]:
        return {SEQUENCES: dict(self.sequences), **self.collections}


class VendorState:
    """All tenants of one vendor. Collections are declared up front; tenants appear on first use."""

    def __init__(self, vendor: str, collections: tuple[str, ...]) -> None:
        self.vendor = vendor
        self.collection_names = collections
        self.listener: ChangeListener | None = None
        self.on_replace: ReplaceListener | None = None
        self.tenants: dict[str, TenantState] = {}

    def tenant(self, name: str) -> TenantState:
        state = self.tenants.get(name)
        if state is None:
            state = self.tenants[name] = TenantState(
                self.vendor, name, self.collection_names, self.listener
            )
        return state

    def reset(self) -> None:
        self.tenants = {}
        self._replaced()

    def _replaced(self) -> None:
        if self.on_replace:
            self.on_replace(self.vendor, self.dump())

    def dump(self) -> dict[str, Any]:
        return {"tenants": {name: t.dump() for name, t in self.tenants.items()}}

    def load(self, document: Any) -> None:
        """Replace every tenant with the document's (the shape ``dump`` produces)."""
        if not isinstance(document, dict) or not isinstance(document.get("tenants"), dict):
            raise StateError('the state must be an object {"tenants": {NAME: {...}}}')
        tenants: dict[str, TenantState] = {}
        for name, data in document["tenants"].items():
            if not isinstance(data, dict):
                raise StateError(f"tenant {name!r}: must be an object")
            unknown = set(data) - {SEQUENCES, *self.collection_names}
            if unknown:
                raise StateError(f"tenant {name!r}: unknown collections {sorted(unknown)}")
            tenant = TenantState(self.vendor, name, self.collection_names, self.listener)
            sequences = data.get(SEQUENCES, {})
            if not isinstance(sequences, dict) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in sequences.values()
            ):
                raise StateError(f"tenant {name!r}: sequences must map names to integers")
            tenant.sequences = dict(sequences)
            for collection in self.collection_names:
                records = data.get(collection, {})
                if not isinstance(records, dict):
                    raise StateError(f"tenant {name!r}: {collection!r} must be an object")
                tenant.collections[collection] = dict(records)
            tenants[name] = tenant
        self.tenants = tenants
        self._replaced()
