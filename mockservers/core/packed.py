"""How a vendor's collection keeps its records: each as its compact JSON.

A QuoParts customer kept as a dict of strings takes about 1.4 KB; as its JSON, under 400
bytes. A fake that takes thousands of 100-row imports grows by those bytes on every call, and
fresh memory is the cost that grows (the kernel zeroes every new page; on some virtual machines
a page the host has not backed yet costs several times more). Packed, the same import touches a
third of the pages and the heap stays small. And a fake that holds records for long has no
record dicts for the garbage collector to trace: with 100,000 TS Digital items a full collection
took 324 ms as dicts, and takes nothing packed (docs/performance.md).

Reading gives a new dict each time: a change to it is kept only when it is put back, which is
how every write reaches the store's recorder anyway. A put hands the recorder the bytes it kept,
which a store writes as they are: a record is packed once, here. A record whose JSON is made
already can be put as an ``orjson.Fragment`` of it: kept as those bytes, nothing parsed or
serialised again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, KeysView, Mapping, MutableMapping
from itertools import islice
from typing import Any

import orjson


def pack(record: Any) -> bytes:
    """The record's JSON, in a bytes object of its own size.

    ``orjson.dumps`` writes into a 1 KB buffer and shrinks it in place at the end; kept for
    good, each shrunk buffer would pin a kilobyte of the C heap between the smaller blocks
    around it (three times the page faults of a 100-row import). A join of two parts is a
    copy (a one-part join returns the part itself) into Python's own allocator, at its size:
    about 0.07 µs.
    """
    return b"".join((orjson.dumps(record), b""))


class PackedRecords(MutableMapping[str, Any]):
    """key -> record, like a dict, with every record stored by :func:`pack`."""

    __slots__ = ("_packed",)

    def __init__(self, records: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()) -> None:
        self._packed: dict[str, bytes] = {}
        self.update(records)

    def __getitem__(self, key: str) -> Any:
        return orjson.loads(self._packed[key])

    def get(self, key: str, default: Any = None) -> Any:
        packed = self._packed.get(key)
        return default if packed is None else orjson.loads(packed)

    def __setitem__(self, key: str, record: Any) -> None:
        self._packed[key] = pack(record)

    def put(self, key: str, record: Any) -> tuple[bytes, bool]:
        """Keep ``record`` under ``key``: its JSON as kept (what a store writes, not packed
        again), and whether the key is new (it then comes last: the records keep the order
        their keys first came in, which a shared store keeps too)."""
        packed = self._packed
        new = key not in packed
        kept = packed[key] = pack(record)
        return kept, new

    def put_many(self, records: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, bytes]:
        """Keep each of ``records``: their JSON as kept, by key (what a store writes as is)."""
        pairs = records.items() if isinstance(records, Mapping) else records
        kept = {key: pack(record) for key, record in pairs}
        self._packed.update(kept)
        return kept

    def new_keys(self, records: Iterable[str]) -> list[str]:
        """The keys of ``records`` not kept yet, in their order."""
        packed = self._packed
        return [key for key in records if key not in packed]

    def kept(self, key: str) -> bytes | None:
        """The record under ``key`` as kept, its JSON (None when there is none): the same bytes
        object until the record is put again, which tells its writer that nothing changed it."""
        return self._packed.get(key)

    def put_packed(self, key: str, packed: bytes) -> None:
        """Keep a record packed elsewhere (another process's write, as Redis hands it over)."""
        self._packed[key] = packed

    def __delitem__(self, key: str) -> None:
        del self._packed[key]

    def __contains__(self, key: object) -> bool:
        return key in self._packed

    def __iter__(self) -> Iterator[str]:
        return iter(self._packed)

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._packed)

    def __len__(self) -> int:
        return len(self._packed)

    def keys(self) -> KeysView[str]:
        return self._packed.keys()  # a real dict view: set operations stay in C

    def update(self, records: Any = (), /) -> None:  # type: ignore[override]
        self.put_many(records)

    def packed(self) -> dict[str, bytes]:
        """Every record as kept, its JSON (a copy of the mapping; the bytes never change)."""
        return dict(self._packed)

    def newest(self, count: int) -> tuple[tuple[str, bytes], ...]:
        """The ``count`` records whose keys came in last, newest first, as kept: ``(key, JSON)``
        (nothing parsed, nothing else read)."""
        return tuple(islice(reversed(self._packed.items()), count))

    def unpacked(self) -> dict[str, Any]:
        """Every record, as a plain dict (a state dump)."""
        return {key: orjson.loads(packed) for key, packed in self._packed.items()}
