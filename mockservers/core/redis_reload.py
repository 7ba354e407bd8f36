"""How a ``RedisStore`` brings its local copy up to date from Redis: replaying the log entries
the other processes committed, reloading everything (after a gap, at start, after a failure)
piece by piece, seeding a Redis that holds nothing of the kit; and the admin reads that go to
Redis (``kept``, ``fresh``: the journal is read from Redis, never replayed).
"""

from __future__ import annotations

import ast
import os
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from mockservers.core.journal import ANY_VENDOR, GLOBAL, Journal
from mockservers.core.journal_entry import Entry
from mockservers.core.redis_writes import SEP, Writes
from mockservers.core.shared import SharedMap, StoreUnavailable
from mockservers.core.state import SEQUENCES, TenantState, VendorState
from mockservers.core.windows import Windows

_PIPELINED = re.compile(r"Command # \d+ \(.*\) of pipeline caused error: \((.*),\)", re.S)


def said(exc: BaseException) -> str:
    """What Redis said, as a person reads it: redis-py rewrites the error of a pipelined command
    into ``Command # 1 (HGETALL <key>) of pipeline caused error: ('<what Redis said>',)``,
    which quotes the kit's own keys and a Python tuple."""
    text = str(exc)
    pipelined = _PIPELINED.fullmatch(text)
    if pipelined:
        try:
            return str(ast.literal_eval(pipelined.group(1)))
        except (ValueError, SyntaxError):
            return text
    return text


HASH_PIECE = 10_000
"""Fields of a hash read per ``HSCAN``: a tenant of millions of customers read with one
``HGETALL`` was one reply of gigabytes (3,000,000 customers: past the socket deadline, a minute
lost, the process never caught up), and a stall of Redis while it built it."""


class Reloading:
    """Replaying, reloading and seeding the local copy, and the admin reads: a part of
    ``RedisStore`` (``redis_store.py``), whose ``__init__`` sets the state used here."""

    async def _replay(self, ops: list[Any], records: Iterator[bytes]) -> None:
        for name, operation, args in ops:
            target = self.objects.get(name)
            if isinstance(target, VendorState) and operation == "records":
                self._check_collection(target, args[0], args[1])
                target.apply_packed(args[0], args[1], [(key, next(records)) for key in args[2]])
            elif isinstance(target, VendorState) and operation == "reload":
                await self._reload_state(target, only=args[0])
            elif target is not None:
                target.apply(operation, tuple(args))

    async def _reload(self, version: int) -> None:
        """Replace the whole local copy with Redis's (after a gap, at start, after a failure).
        The maps are read first and replaced together: a reload that fails halfway leaves the
        clock either this process's own or the kit's, and ``loaded_at`` says which."""
        maps: dict[SharedMap, dict[str, Any]] = {}
        for name, target in self.objects.items():
            if isinstance(target, SharedMap):
                data = maps[target] = {}
                async for piece in self._hash_pieces(self.key("map", name)):
                    data.update((k.decode(), orjson.loads(v)) for k, v in piece.items())
        for target, data in maps.items():
            target.replace(data)
        self._loaded()
        for name, target in self.objects.items():
            if isinstance(target, VendorState):
                await self._reload_state(target)
            elif isinstance(target, Journal):
                await self._reload_journal(target)
            elif isinstance(target, Windows):
                await self._reload_windows(name, target)
        self.version = version
        self._dirty = False
        self._ops = []

    def _loaded(self) -> None:
        """This process's copy (its clock) is the kit's from now on, if it was not yet."""
        self.loaded_at = min(self.loaded_at, time.time())

    async def _reload_state(self, state: VendorState, only: str | None = None) -> None:
        """Replace the local copy of a vendor's tenants (or of one tenant) with Redis's. The
        records stay as Redis hands them over, packed already: a reload runs under the lock,
        and parsing and packing a million customers again held every process up for seconds."""
        members = (
            [only]
            if only is not None
            else [
                m.decode() for m in await self._client.smembers(self.key("tenants", state.vendor))
            ]
        )
        tenants: dict[str, TenantState] = {}
        for name in members:
            tenants[name] = await self._read_tenant(state, name)
        if only is not None:
            state.replace(tenants[only])
            return
        state.tenants = tenants
        if state.on_reload is not None:
            state.on_reload()

    async def _read_tenant(self, state: VendorState, name: str) -> TenantState:
        """A tenant as Redis keeps it, read in pieces of ``HASH_PIECE`` fields, each kept as it
        comes (the whole hash and list held at once beside the tenant built from them took half
        as much memory again, and up to twice the time, under the lock): the fields its order
        list names, in that order (a hash has no order of its own), each piece's values asked
        for by name. A hash holding more fields than the list names (an earlier version of the
        kit kept no list, or named no sequences in it) is read whole for them."""
        key = self.key("state", state.vendor, name)
        tenant = TenantState(state, name)
        async for fields in self._list_pieces(self.key("state-order", state.vendor, name)):
            for field, value in zip(fields, await self._client.hmget(key, fields), strict=True):
                if value is not None:
                    self._keep(state, tenant, field.decode(), value)
        held = len(tenant.sequences) + sum(map(len, tenant.collections.values()))
        if await self._client.hlen(key) > held:
            return await self._with_unlisted(state, tenant, key)
        return tenant

    async def _with_unlisted(
        self, state: VendorState, listed: TenantState, key: str
    ) -> TenantState:
        """The tenant with the fields its hash holds and its order list does not name: its
        records first, by name (their order is lost, and the hash hands them in an order that
        changes as it grows: two processes listed them differently for good), then
        ``listed``'s. The list is given their names (``_named``)."""
        unlisted: dict[str, bytes] = {}
        async for piece in self._hash_pieces(key):
            for field, value in piece.items():
                name = field.decode()
                collection, _, record = name.partition(SEP)
                if collection == SEQUENCES:
                    if record not in listed.sequences:
                        unlisted[name] = value
                elif record not in listed.collections.get(collection, ()):
                    unlisted[name] = value
        names = sorted(unlisted)
        sequences = [name for name in names if name.startswith(f"{SEQUENCES}{SEP}")]
        records = [name for name in names if not name.startswith(f"{SEQUENCES}{SEP}")]
        tenant = TenantState(state, listed.name) if records else listed
        tenant.sequences = listed.sequences
        for name in sequences + records:
            self._keep(state, tenant, name, unlisted[name])
        if records:
            for collection, kept in listed.collections.items():
                for record, packed in kept.packed().items():
                    tenant.collections[collection].put_packed(record, packed)
        order = self.key("state-order", state.vendor, listed.name)
        backwards = records[::-1]  # LPUSH puts each value first in turn: the last goes first
        for start in range(0, len(backwards), Writes.CHUNK):
            self._named.append(("LPUSH", order, *backwards[start : start + Writes.CHUNK]))
        for start in range(0, len(sequences), Writes.CHUNK):
            self._named.append(("RPUSH", order, *sequences[start : start + Writes.CHUNK]))
        return tenant

    def _keep(self, state: VendorState, tenant: TenantState, field: str, value: bytes) -> None:
        """One field of a tenant's hash into the tenant: a sequence, or a record as it is."""
        collection, _, key = field.partition(SEP)
        if collection == SEQUENCES:
            tenant.sequences[key] = int(value)
        else:
            self._check_collection(state, tenant.name, collection)
            tenant.collections[collection].put_packed(key, value)

    def _check_collection(self, state: VendorState, tenant: str, collection: str) -> None:
        """Refuse records of a collection the vendor does not have: another version of the kit
        wrote them. The calls get the vendor's 5xx naming it, and nothing of them is kept."""
        if collection not in state.collection_names:
            raise StoreUnavailable(
                f"Redis at {self.describe()} holds {state.vendor} records this version of the"
                f" kit cannot read: collection {collection!r} of tenant {tenant!r}"
            )

    async def _hash_pieces(self, key: str) -> AsyncIterator[dict[bytes, bytes]]:
        """A hash's fields, ``HASH_PIECE`` at a time (a field may come twice: Redis may be
        resizing the hash; nothing of the kit writes it meanwhile, the lock is held)."""
        cursor = 0
        while True:
            cursor, piece = await self._client.hscan(key, cursor, count=HASH_PIECE)
            yield piece
            if cursor == 0:
                return

    async def _list_pieces(self, key: str) -> AsyncIterator[list[bytes]]:
        """A list's values, ``HASH_PIECE`` at a time (under the lock: nothing writes it)."""
        start = 0
        while True:
            piece = await self._client.lrange(key, start, start + HASH_PIECE - 1)
            if piece:
                yield piece
            if len(piece) < HASH_PIECE:
                return
            start += HASH_PIECE

    async def _reload_windows(self, name: str, windows: Windows) -> None:
        windows.data = {}
        for member in await self._client.smembers(self.key("windows", name)):
            key = member.decode()
            scored = await self._client.zrange(
                self.key("window", name, key), 0, -1, withscores=True
            )
            windows.data[key] = deque(score for _, score in scored)

    async def kept(self, name: str) -> dict[str, Any]:
        try:
            found = await self._client.hgetall(self.key("map", name))
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"Redis at {self.describe()}: {said(exc)}") from None
        return {field.decode(): orjson.loads(value) for field, value in found.items()}

    async def fresh(self, name: str) -> None:
        """The journal is not replayed from the log (each entry would travel to every process);
        an admin call that reads it reloads it from Redis first: every acknowledged call is
        there."""
        target = self.objects.get(name)
        if isinstance(target, Journal):
            try:
                if self._redis is None:  # a process whose first call is an admin read
                    await self._open()
                try:
                    await self._reload_journal(target)
                except RedisConnectionError:  # a connection Redis dropped (it restarted): once more
                    await self._client.connection_pool.disconnect(inuse_connections=False)
                    await self._reload_journal(target)
            except (RedisError, OSError) as exc:
                raise StoreUnavailable(f"Redis at {self.describe()}: {said(exc)}") from None

    async def _reload_journal(self, journal: Journal) -> None:
        """Read every scope's entries, then replace the local journal in one go: two reloads
        at once (admin reads, the drainer's) must not both append after one reset. An entry
        the previous read already made is kept as it was, with its rendering: the dashboard
        reads the journal every second, and parsing and rendering 200 entries of 100-row
        imports again took 0.1 to 0.2 s of CPU a read."""
        client = self._client
        reads = client.pipeline(transaction=True)  # the lists and their counts of one moment
        reads.hgetall(self.key("journal-dropped"))  # an earlier version's counts, by scope
        scopes = [scope.decode() for scope in await client.smembers(self.key("journals"))]
        for name in scopes:
            keys = self._journal_keys[name]
            reads.lrange(keys.entries, 0, -1)
            reads.hgetall(keys.dropped)
        earlier, *found = await reads.execute()
        lists, counts = found[::2], found[1::2]
        wire = [raw for entries in lists for raw in entries]
        known = self._journal_read
        read = {raw: known.get(raw) or Entry.from_wire(orjson.loads(raw)) for raw in wire}
        dropped: dict[str, dict[str, int]] = {}
        for name, by_vendor in zip(scopes, counts, strict=True):
            dropped[name] = {vendor.decode(): int(n) for vendor, n in by_vendor.items()}
        for name, n in earlier.items():  # whose calls they were is not known
            dropped.setdefault(name.decode(), {})[ANY_VENDOR] = int(n)
        by_scope = {(GLOBAL if name == "global" else name): n for name, n in dropped.items()}
        journal.replace((read[raw] for raw in wire), by_scope)
        self._journal_read = read

    async def _seed(self, version: int) -> None:
        """Redis holds nothing of this kit (a first start, or it lost its data): it gets a
        fresh kit's state, the fixtures the kit starts with (``on_empty`` puts them back)."""
        self._ops = []
        self.on_empty()
        self._loaded()
        self._dirty = False
        self.version = version
        await self._commit(release=False)
        # Its id: a process whose copy is of another kit (Redis was emptied and seeded again
        # while it was idle, its version counting from 0 again) reloads instead of replaying.
        self._kit = os.urandom(8).hex().encode()
        await self._client.set(self.key("init"), self._kit)
