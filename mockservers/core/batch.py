"""One call's reads and writes of a tenant's collection: each record parsed once, packed once.

A collection keeps its records packed (``packed.py``): a read parses a record's JSON, a write
packs it again, each in proportion to the record's size. A call whose records all touch one
stored record (each adding contacts to one XTRA identity, updating one KeepIT customer) read
and wrote it once per record, and the record grew as the call went: 400 such records cost
seconds, while every other caller of the kit's one event loop waited.

A :class:`Batch` reads each record from the tenant at most once and keeps what the call's
records write, which the records after them read: they see each other's writes, as when each
was put at once. The records written go to the tenant when the call ends, in the order they
were first written (a new key comes last, as ``put`` places it). A record read from the
tenant is never changed in place: a write copies what it changes and puts the copy, which is
the call's own until the call ends (a vendor may merge the call's later records into it, as
KeepIT's ``Draft`` does).

Used as a context manager (XTRA), the batch writes its records to the tenant also when the
call raises half-way (a bug): each record written before the failure is kept, as when it was
put at once. A call that is one transaction at the vendor (KeepIT) calls :meth:`Batch.commit`
after its last record instead: a failure before it leaves the tenant as it was.
"""

from __future__ import annotations

from typing import Any

from mockservers.core.state import TenantState


class Batch:
    """The records of one collection of ``tenant`` that a call reads and writes."""

    __slots__ = ("_collection", "_records", "_written", "tenant")

    def __init__(self, tenant: TenantState, collection: str) -> None:
        self.tenant = tenant
        self._collection = collection
        self._records: dict[str, Any] = {}
        """Each key the call read or wrote, with its record as the call left it (None: none)."""
        self._written: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        """The record under ``key`` as the call left it, None for none (read, never change)."""
        records = self._records
        if key in records:
            return records[key]
        record = records[key] = self.tenant.get(self._collection, key)
        return record

    def put(self, key: str, record: Any) -> None:
        """``record`` under ``key`` for the call's later reads, and for the tenant as the call
        ends (``record`` is the call's from then on: the tenant's copy is never changed)."""
        self._records[key] = self._written[key] = record

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """The records written, to the tenant: also after an exception (a bug), as each record
        written before it was kept when it was put at once."""
        self.commit()

    def commit(self) -> None:
        """The records written so far, to the tenant, in the order they were first written."""
        tenant, collection = self.tenant, self._collection
        written, self._written = self._written, {}
        for key, record in written.items():
            tenant.put(collection, key, record)
