"""Per-tenant state that dumps to JSON and loads back exactly.

A vendor keeps each tenant's data in named collections of JSON records plus named sequences.
Every write goes through ``put``/``put_many`` or ``next``/``reserve`` (and whole tenants through
``reset``/``load``), each reported to the store's recorder as an operation on the vendor's state
(``put``, ``put_many``, ``seq``, ``drop``, ``load``): that is what lets the kit keep writes in a
state file or share them between processes without knowing any vendor. Records travel as the
collection keeps them, their JSON bytes: a ``put`` or ``put_many`` carries the bytes it packed,
and a ``load`` the tenant as ``TenantState.packed_dump`` gives it; a store writes them as they
are, never packing a record again. A
``put`` says whether its key is new, a ``put_many`` which of its keys are: a collection lists its
records in the order their keys first came in (records are never removed one by one), and a
shared store keeps that order for a process that reads the tenant back.

A look (``VendorState.look``) is what a person reads: each collection's count and newest
records, taken as kept, not parsed, so that naming an unchanged one again costs nothing.

Tenants belong to a scope: a session's tenants are named after it (``ms-<id>…``), the others
are global. Resets and loads act on one scope and leave the others alone.

Every collection keeps its records as compact JSON
(:class:`~mockservers.core.packed.PackedRecords`): the same mapping to the rules, a third of the
memory of dicts and nothing for the garbage collector to trace, however many records a
long-running fake holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import orjson

from mockservers.core.errors import KitError
from mockservers.core.packed import PackedRecords
from mockservers.core.sessions import in_scope
from mockservers.core.shared import Recorder

SEQUENCES = "sequences"
LARGEST_ID = 2**53
"""The largest value a sequence reaches: a whole number every JSON reader keeps exactly (a
state document's sequences and IDs are checked against it, and the kit never gives more, so a
dump always loads again)."""

ChangeHook = Callable[[str, str, str, Any, Any], None]
"""(tenant, collection, key, old record, new record) after another process's write: how a
model keeps its derived indexes in step."""


class StateError(ValueError):
    """A state document that does not have the vendor's shape (PUT /__admin/state → 400)."""


class TenantState:
    __slots__ = ("_owner", "collections", "name", "sequences")

    def __init__(self, owner: VendorState, name: str) -> None:
        self._owner = owner
        self.name = name
        self.sequences: dict[str, int] = {}
        self.collections: dict[str, PackedRecords] = {
            c: PackedRecords() for c in owner.collection_names
        }

    def next(self, sequence: str) -> int:
        """The next value of a per-tenant sequence, starting at 1; never repeats."""
        held = self.sequences.get(sequence)
        value = (held or 0) + 1
        if value > LARGEST_ID:
            raise self._exhausted(sequence)
        self.sequences[sequence] = value
        self._owner.recorded("seq", (self.name, sequence, value, held is None))
        return value

    def reserve(self, sequence: str, count: int) -> int:
        """Take ``count`` consecutive values of a sequence at once (a bulk insert); the first."""
        held = self.sequences.get(sequence)
        first = (held or 0) + 1
        if count > 0:
            last = first + count - 1
            if last > LARGEST_ID:
                raise self._exhausted(sequence)
            self.sequences[sequence] = last
            self._owner.recorded("seq", (self.name, sequence, last, held is None))
        return first

    def hold(self, sequence: str, value: int) -> None:
        """The sequence raised to ``value`` if it is below: a record written with that ID
        (a fixture) never has it given again, as a state load makes sure of its records'."""
        held = self.sequences.get(sequence, 0)
        if held < value:
            self.reserve(sequence, value - held)

    def check_room(
        self,
        needs: Callable[[], Mapping[str, int]],
        at_most: int,
        largest: int = LARGEST_ID,
        named: str = "2^53",
    ) -> None:
        """Refuse, as ``next`` past ``largest`` would (``named`` in the refusal), a call that
        may take more values of a sequence than are left up to ``largest``. A call that takes
        values one at a time as it writes asks first: refused half-way, it would leave what it
        had written. ``at_most`` bounds the values the call takes in all: while that many
        cannot reach ``largest`` (only a state document sets a sequence that near its end),
        the call's ``needs`` (sequence -> how many at most) are not even counted."""
        sequences = self.sequences
        if (max(sequences.values()) if sequences else 0) + at_most <= largest:
            return
        for sequence, count in needs().items():
            if count and sequences.get(sequence, 0) + count > largest:
                raise self._exhausted(sequence, named)

    def _exhausted(self, sequence: str, named: str = "2^53") -> KitError:
        """Past 2^53 (only a state document that set a sequence near it gets there), or past
        a vendor's own bound: the vendor's 500, nothing given, so that the state still dumps
        and loads."""
        detail = f"tenant {self.name!r}: sequence {sequence!r} would pass {named}"
        return KitError("internal", detail, status=500)

    def get(self, collection: str, key: str) -> Any:
        return self.collections[collection].get(key)

    def put(self, collection: str, key: str, record: Any) -> None:
        packed, added = self.collections[collection].put(key, record)
        self._owner.recorded("put", (self.name, collection, key, packed, added))

    def put_many(self, collection: str, records: dict[str, Any]) -> None:
        kept = self.collections[collection]
        added = kept.new_keys(records) if self._owner.record is not None else []
        packed = kept.put_many(records)
        self._owner.recorded("put_many", (self.name, collection, packed, added))

    def values(self, collection: str) -> Iterator[Any]:
        return iter(self.collections[collection].values())

    def count(self, collection: str) -> int:
        return len(self.collections[collection])

    def empty(self) -> bool:
        return not self.sequences and not any(self.collections.values())

    def dump(self) -> dict[str, Any]:
        """The sequences by name, each collection's records in the order their keys came in."""
        collections = {name: records.unpacked() for name, records in self.collections.items()}
        return {SEQUENCES: dict(sorted(self.sequences.items())), **collections}

    def packed_dump(self) -> dict[str, Any]:
        """``dump``'s shape with each record as its JSON bytes (what a store writes as is)."""
        collections = {name: records.packed() for name, records in self.collections.items()}
        return {SEQUENCES: dict(self.sequences), **collections}


class VendorState:
    """All tenants of one vendor. Collections are declared up front; tenants appear on first use."""

    def __init__(self, vendor: str, collections: tuple[str, ...]) -> None:
        self.vendor = vendor
        self.name = f"state:{vendor}"
        self.collection_names = collections
        self.record: Recorder | None = None
        self.on_change: ChangeHook | None = None
        self.follows_puts = True
        """Whether ``on_change`` hears of each record another process puts (parsed for it); a
        model whose indexes catch up by themselves hears only of dropped tenants."""
        self.on_drop: Callable[[str], None] | None = None
        """Forget what the model derives from a tenant another process dropped (a reset, or a
        load that replaces it): one call, however many records the tenant held."""
        self.on_reload: Callable[[], None] | None = None
        """Rebuild the model's derived indexes after the whole state was reloaded."""
        self.held_sequences: Callable[[TenantState], dict[str, int]] | None = None
        """The highest value of each sequence a loaded tenant's records hold: its sequences are
        raised to them, so that a fixture written without them never has its IDs given again."""
        self.tenants: dict[str, TenantState] = {}

    def recorded(self, operation: str, args: tuple[Any, ...]) -> None:
        if self.record is not None:
            self.record(self.name, operation, args)

    def tenant(self, name: str) -> TenantState:
        state = self.tenants.get(name)
        if state is None:
            state = self.tenants[name] = TenantState(self, name)
        return state

    def scope_tenants(self, scope: str | None) -> list[str]:
        return [name for name in self.tenants if in_scope(name, scope)]

    def reset(self, scope: str | None = None) -> None:
        """Every tenant of ``scope`` (None: the global tenants) gone."""
        for name in self.scope_tenants(scope):
            del self.tenants[name]
            self.recorded("drop", (name,))

    def dump(self, scope: str | None = None) -> dict[str, Any]:
        """The scope's tenants, by name; one that holds nothing (no record, no sequence) is no
        tenant: a call that only looked one up made it, and a shared store does not keep it.
        By name, not in the order this process met them: another process (or this one after
        a reload) meets them in another order."""
        tenants = self.tenants
        return {
            "tenants": {
                name: tenants[name].dump()
                for name in sorted(tenants)
                if in_scope(name, scope) and not tenants[name].empty()
            }
        }

    def look(self, scope: str | None, newest: int) -> Look:
        """What a person looks at (the dashboard): the scope's tenants as ``dump`` lists them,
        each collection's count and its ``newest`` records (the last whose keys came in),
        newest first, as kept."""
        tenants = self.tenants
        return Look(
            tuple(
                (
                    name,
                    tuple(sorted(tenant.sequences.items())),
                    tuple(
                        (collection, len(records), records.newest(newest))
                        for collection, records in tenant.collections.items()
                    ),
                )
                for name in sorted(tenants)
                if in_scope(name, scope) and not (tenant := tenants[name]).empty()
            )
        )

    def load(self, document: Any, scope: str | None = None) -> None:
        """Replace the tenants of ``scope`` with the document's (the shape ``dump`` produces);
        a document naming a tenant of another scope is refused, and nothing changes."""
        tenants = self.parse(document)
        foreign = [name for name in tenants if not in_scope(name, scope)]
        if foreign:
            where = "a session" if scope is None else "another scope"
            raise StateError(f"tenant {foreign[0]!r} belongs to {where}")
        self.reset(scope)
        for name, tenant in tenants.items():
            self.tenants[name] = tenant
            self.recorded("load", (name, tenant.packed_dump()))

    def parse(self, document: Any) -> dict[str, TenantState]:
        """The tenants of a state document, checked for the vendor's shape."""
        if not isinstance(document, dict) or not isinstance(document.get("tenants"), dict):
            raise StateError('the state must be an object {"tenants": {NAME: {...}}}')
        tenants: dict[str, TenantState] = {}
        for name, data in document["tenants"].items():
            if not isinstance(data, dict):
                raise StateError(f"tenant {name!r}: must be an object")
            unknown = set(data) - {SEQUENCES, *self.collection_names}
            if unknown:
                raise StateError(f"tenant {name!r}: unknown collections {sorted(unknown)}")
            tenant = TenantState(self, name)
            sequences = data.get(SEQUENCES, {})
            if not isinstance(sequences, dict) or not all(map(_sequence_value, sequences.values())):
                raise StateError(
                    f"tenant {name!r}: sequences must map names to whole numbers from 0 to 2^53"
                )
            tenant.sequences = dict(sequences)
            for collection in self.collection_names:
                records = data.get(collection, {})
                if not isinstance(records, dict):
                    raise StateError(f"tenant {name!r}: {collection!r} must be an object")
                tenant.collections[collection] = PackedRecords(records)
            if self.held_sequences is not None:
                for sequence, held in self.held_sequences(tenant).items():
                    if held > LARGEST_ID:
                        raise StateError(
                            f"tenant {name!r}: an ID of sequence {sequence!r} is beyond 2^53"
                        )
                    if tenant.sequences.get(sequence, 0) < held:
                        tenant.sequences[sequence] = held
            tenants[name] = tenant
        return tenants

    def apply(self, operation: str, args: tuple[Any, ...]) -> None:
        """Replay another process's sequence move or dropped tenant (the model told of the drop,
        ``on_drop``); records come through ``apply_packed``, a loaded tenant through
        ``replace``."""
        if operation == "drop":
            self.tenants.pop(args[0], None)
            if self.on_drop is not None:
                self.on_drop(args[0])
            return
        if operation == "seq":
            self.tenant(args[0]).sequences[args[1]] = args[2]
        else:
            raise ValueError(f"{self.name}: unknown operation {operation!r}")

    def replace(self, tenant: TenantState) -> None:
        """Replay a tenant another process loaded whole (as the store keeps it): the one it
        replaces dropped, then the model told of each record, if it follows puts."""
        self.apply("drop", (tenant.name,))
        self.tenants[tenant.name] = tenant
        if self.on_change is None or not self.follows_puts:
            return
        for collection, records in tenant.collections.items():
            for key, new in records.items():
                self.on_change(tenant.name, collection, key, None, new)

    def apply_packed(
        self, tenant: str, collection: str, items: Iterable[tuple[str, bytes]]
    ) -> None:
        """Replay records another process put, as it packed them: kept as they come, parsed
        only for a model that follows every put."""
        records = self.tenant(tenant).collections[collection]
        if self.on_change is None or not self.follows_puts:
            for key, packed in items:
                records.put_packed(key, packed)
            return
        for key, packed in items:
            old = records.get(key)
            records.put_packed(key, packed)
            self.on_change(tenant, collection, key, old, orjson.loads(packed))


Kept = tuple[tuple[str, bytes], ...]
"""Records as a collection keeps them: (key, JSON) pairs."""
TenantLook = tuple[str, tuple[tuple[str, int], ...], tuple[tuple[str, int, Kept], ...]]
"""A tenant in a look: its name, its sequences, and per collection its name, its count and the
records shown."""


class Look:
    """A look at one scope's state (``VendorState.look``), no record parsed yet."""

    __slots__ = ("tenants",)

    def __init__(self, tenants: tuple[TenantLook, ...]) -> None:
        self.tenants = tenants

    def version(self) -> str:
        """16 hex digits that change whenever what the look shows does. Read off the records'
        JSON as kept, never parsed: Python keeps a bytes object's hash once computed, so an
        unchanged state costs next to nothing to name again, however large its records (six
        XTRA identities holding 3.6 MB documents each). The hash is salted per process:
        another process may name the same look otherwise, which only costs its reader a fresh
        copy."""
        return f"{hash(self.tenants) & 0xFFFF_FFFF_FFFF_FFFF:016x}"

    def document(self, shown: Callable[[Any], Any]) -> dict[str, Any]:
        """``{"tenants": {NAME: {"sequences": {...}, COLLECTION: {"count": N, "newest": [[KEY,
        RECORD], ...]}}}}``, each record as ``shown`` gives it (masked, for people)."""

        def collection(count: int, records: Kept) -> dict[str, Any]:
            newest = [[key, shown(orjson.loads(packed))] for key, packed in records]
            return {"count": count, "newest": newest}

        return {
            "tenants": {
                name: {SEQUENCES: dict(sequences), **{c: collection(n, r) for c, n, r in kept}}
                for name, sequences, kept in self.tenants
            }
        }


_ID_DIGITS = len(str(LARGEST_ID))


def _sequence_value(value: Any) -> bool:
    """A sequence's value as a document may give it: a whole number a JSON reader keeps exactly."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= LARGEST_ID


def check_sequence_names(document: Any, known: tuple[str, ...], vendor: str) -> None:
    """Refuse (``StateError``) a document that sets a sequence the vendor does not use: it
    would be kept and shown back, and no call would ever read it. Only a document a user
    gives is checked so: state an earlier version kept (a state file, Redis) loads as it did."""
    tenants = document.get("tenants") if isinstance(document, dict) else None
    for name, tenant in (tenants if isinstance(tenants, dict) else {}).items():
        sequences = tenant.get(SEQUENCES) if isinstance(tenant, dict) else None
        unknown = sorted(set(sequences) - set(known)) if isinstance(sequences, dict) else []
        if unknown:
            raise StateError(
                f"tenant {name!r}: unknown sequences {unknown} ({vendor} keeps {', '.join(known)})"
            )


def highest_id(values: Iterable[Any]) -> int:
    """The highest of the whole-number IDs among ``values`` (keys as digits, or integers), 0
    when there is none: what a model's ``held_sequences`` reads off its records. Digits too
    many to be at most 2^53 count as ``LARGEST_ID + 1`` (not converted: a key of thousands of
    digits is past what ``int`` reads)."""
    highest = 0
    for value in values:
        if isinstance(value, str) and value.isascii() and value.isdigit():
            digits = value.lstrip("0")
            value = int(digits or "0") if len(digits) <= _ID_DIGITS else LARGEST_ID + 1
        if isinstance(value, int) and not isinstance(value, bool) and value > highest:
            highest = value
    return highest
