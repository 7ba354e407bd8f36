"""How a ``RedisStore`` commit writes to Redis: the operations a batch of calls recorded, turned
into the commands of Redis's durable copy (a hash per shared map and per tenant, with its order
list; a sorted set per call window; a bounded list per journal scope) and into the log entry the
other processes replay; and ``Writes``, the buffer that gathers a commit's commands and merges
what it can, with the Lua scripts that bound a journal's list and drop a vendor's entries from
it. Nothing here talks to Redis: the commit (``redis_lock.py``) sends what this builds.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Hashable, Sequence
from typing import Any, NamedTuple, TypeVar

import orjson

from mockservers.core.journal import GLOBAL, Journal
from mockservers.core.journal_bounds import ENTRY_OVERHEAD, wire_size
from mockservers.core.shared import SharedMap
from mockservers.core.state import SEQUENCES, VendorState
from mockservers.core.windows import Windows

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Op = tuple[str, str, tuple[Any, ...]]
SEP = "\x1f"
"""Between a collection's (or ``sequences``') name and a record's key in a tenant hash's fields."""

_DROP_VENDOR = """
local sizes = redis.call('LRANGE', KEYS[2], 0, -1)
local kept, kept_sizes, kept_vendors, total = {}, {}, {}, 0
for i, raw in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local vendor = cjson.decode(raw)['vendor'] or ''
  if vendor ~= ARGV[1] then
    kept[#kept + 1] = raw
    kept_sizes[#kept_sizes + 1] = sizes[i] or '0'
    kept_vendors[#kept_vendors + 1] = vendor
    total = total + tonumber(sizes[i] or '0')
  end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])
for k = 1, #kept, 500 do
  redis.call('RPUSH', KEYS[1], unpack(kept, k, math.min(k + 499, #kept)))
  redis.call('RPUSH', KEYS[2], unpack(kept_sizes, k, math.min(k + 499, #kept)))
  redis.call('RPUSH', KEYS[4], unpack(kept_vendors, k, math.min(k + 499, #kept)))
end
redis.call('SET', KEYS[3], total)
redis.call('HDEL', KEYS[5], ARGV[1])
return 1
"""
"""Keep a journal list's entries of the other vendors (an admin reset of one vendor), with
their sizes, their vendors and their total, and forget how many of the vendor's calls the list
pushed out (KEYS[5])."""

_BOUND_JOURNAL = """
local count = redis.call('LLEN', KEYS[1])
local unsized = count - redis.call('LLEN', KEYS[2])
if unsized > 0 then
  -- entries an earlier version pushed without their sizes: sized once, at the head
  local sizes, added = {}, 0
  for i, raw in ipairs(redis.call('LRANGE', KEYS[1], 0, unsized - 1)) do
    local entry = cjson.decode(raw)
    sizes[i] = string.len(entry['request_body'] or '')
      + string.len(entry['response_body'] or '') + tonumber(ARGV[4])
    added = added + sizes[i]
  end
  for i = #sizes, 1, -1 do redis.call('LPUSH', KEYS[2], sizes[i]) end
  redis.call('INCRBY', KEYS[3], added)
end
local unnamed = count - redis.call('LLEN', KEYS[5])
if unnamed > 0 then
  -- entries an earlier version pushed without their vendors: named once, at the head
  local vendors = {}
  for i, raw in ipairs(redis.call('LRANGE', KEYS[1], 0, unnamed - 1)) do
    vendors[i] = cjson.decode(raw)['vendor'] or ''
  end
  for i = #vendors, 1, -1 do redis.call('LPUSH', KEYS[5], vendors[i]) end
end
local total = redis.call('INCRBY', KEYS[3], ARGV[3])
local most, budget = tonumber(ARGV[1]), tonumber(ARGV[2])
local drop, sizes, at = 0, {}, 1
while count - drop > 1 and (count - drop > most or total > budget) do
  if at > #sizes then  -- the next sizes, as many as the count bound drops (32 at least)
    sizes = redis.call('LRANGE', KEYS[2], drop, drop + math.max(count - drop - most, 32) - 1)
    at = 1
  end
  total = total - tonumber(sizes[at] or '0')
  at = at + 1
  drop = drop + 1
end
if drop > 0 then
  local gone = {}
  local vendors = redis.call('LRANGE', KEYS[5], 0, drop - 1)
  for i = 1, drop do
    local vendor = vendors[i] or ''
    gone[vendor] = (gone[vendor] or 0) + 1
  end
  redis.call('LTRIM', KEYS[1], drop, -1)
  redis.call('LTRIM', KEYS[2], drop, -1)
  redis.call('LTRIM', KEYS[5], drop, -1)
  redis.call('SET', KEYS[3], total)
  for vendor, n in pairs(gone) do redis.call('HINCRBY', KEYS[4], vendor, n) end
end
return drop
"""
"""Bound a journal list as one process bounds its journal: at most ARGV[1] entries and about
ARGV[2] bytes (sizes as the journal measures them, in a list beside it, their total in
KEYS[3]; ARGV[3] the bytes just pushed), the oldest dropped first, the newest always kept; how
many were dropped is counted by vendor (KEYS[4], a hash of the scope; the vendors in a list
beside the entries, KEYS[5]). The entries never pass through the script, only their sizes and
vendors; but for those of a list an earlier version kept without sizes or vendors, read once to
size and name them (ARGV[4]: what an entry counts for beside its bodies). The sizes and vendors
of the entries dropped are read a piece at a time (``LRANGE``): a ``redis.call`` each, two for
each entry a batch pushed out, was half the script's cost."""

Command = tuple[Any, ...]


class Remembered(dict[K, V]):
    """Values made from their keys once, then looked up (``store[key]``): the Redis keys a
    commit names, the same few for every call of a batch. Bounded: past ``LIMIT`` entries it
    starts again (sessions, and their tenants and journals, come and go)."""

    LIMIT = 4096

    def __init__(self, make: Callable[[K], V]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: K) -> V:
        if len(self) >= self.LIMIT:
            self.clear()
        value = self[key] = self.make(key)
        return value


class Writes:
    """The Redis commands of one commit, sent between ``MULTI`` and ``EXEC``. A set membership
    or a list trim asked for several times in a batch is sent once, the fields a batch sets in
    one hash go in one ``HSET`` (a tenant's records and sequences: one command for the batch,
    not two per call), the values a batch appends to one list (``append``: a tenant's new
    keys) in one ``RPUSH``, and so do the values it pushes onto one list in a row. Large
    commands are cut in pieces of ``CHUNK`` values."""

    CHUNK = 1000

    def __init__(self) -> None:
        self._commands: list[list[Any]] = []
        self._members: set[tuple[str, str]] = set()
        self._hashes: dict[str, dict[str, str | bytes]] = {}
        self._appends: dict[str, list[str]] = {}
        self._journals: dict[str, JournalAppends] = {}

    def command(self, *words: Any) -> None:
        self._commands.append(list(words))

    def commands(self) -> list[Command]:
        """Every command of the batch, in order (journal pushes at the end of their run, with
        their bound); then its set memberships."""
        for key in list(self._hashes):
            self._flush_hash(key)
        for key, values in self._appends.items():
            self.rpush(key, *values)
        self._appends = {}
        for key in list(self._journals):
            self._flush_journal(key)
        found: list[Command] = [tuple(words) for words in self._commands]
        found += [("SADD", key, member) for key, member in sorted(self._members)]
        return found

    def hset(
        self, key: str, field: str | None = None, value: str | bytes = "", *, mapping: Any = None
    ) -> None:
        """Set fields of a hash: kept until the batch's commands (a later value of a field
        wins, as a later ``HSET`` would), or until another command on that hash."""
        fields = self._hashes.get(key)
        if fields is None:
            fields = self._hashes[key] = {}
        if mapping is None:
            fields[field] = value  # type: ignore[index]
        else:
            fields.update(mapping)

    def _flush_hash(self, key: str) -> None:
        items = list(self._hashes.pop(key, {}).items())
        for start in range(0, len(items), self.CHUNK):
            words: list[Any] = ["HSET", key]
            for field, value in items[start : start + self.CHUNK]:
                words += (field, value)
            self._commands.append(words)

    def append(self, key: str, values: Sequence[str]) -> None:
        """Push ``values`` at the end of a list: kept until the batch's commands (nothing of
        the batch reads or trims the list meanwhile), or until the list is deleted."""
        if values:
            found = self._appends.get(key)
            if found is None:
                self._appends[key] = list(values)
            else:
                found += values

    def hdel(self, key: str, field: str) -> None:
        self._flush_hash(key)
        self.command("HDEL", key, field)

    def delete(self, key: str) -> None:
        self._hashes.pop(key, None)  # whatever the batch set in it goes with it
        self._appends.pop(key, None)
        self._flush_journal(key)
        self.command("DEL", key)

    def sadd(self, key: str, member: str) -> None:
        self._members.add((key, member))

    def srem(self, key: str, member: str) -> None:
        self._members.discard((key, member))
        self.command("SREM", key, member)

    def rpush(self, key: str, *values: str | bytes) -> None:
        last = self._commands[-1] if self._commands else None
        if last is not None and last[0] == "RPUSH" and last[1] == key and len(last) < self.CHUNK:
            last += values  # the same list, nothing in between: one command
            return
        for start in range(0, len(values), self.CHUNK):
            self._commands.append(["RPUSH", key, *values[start : start + self.CHUNK]])

    def journal_appends(
        self, keys: JournalKeys, max_entries: int, max_bytes: int
    ) -> JournalAppends:
        """Where the batch pushes a scope's journal entries, their sizes and their vendors
        (``JournalAppends.add``); the list is bounded once for the batch's entries
        (``_BOUND_JOURNAL``), when the batch ends or another command touches it."""
        pending = self._journals.get(keys.entries)
        if pending is None:
            pending = self._journals[keys.entries] = JournalAppends(keys, max_entries, max_bytes)
        return pending

    def _flush_journal(self, key: str) -> None:
        pending = self._journals.pop(key, None)
        if pending is None:
            return
        keys = pending.keys
        self.rpush(keys.entries, *pending.entries)
        self.rpush(keys.sizes, *map(str, pending.sizes))
        self.rpush(keys.vendors, *pending.vendors)
        self.command(
            "EVAL",
            _BOUND_JOURNAL,
            5,
            keys.entries,
            keys.sizes,
            keys.total,
            keys.dropped,
            keys.vendors,
            pending.max_entries,
            pending.max_bytes,
            sum(pending.sizes),
            ENTRY_OVERHEAD,
        )

    def zremrangebyscore(self, key: str, low: Any, high: Any) -> None:
        self.command("ZREMRANGEBYSCORE", key, low, repr(high) if isinstance(high, float) else high)

    def zadd(self, key: str, members: dict[str, float]) -> None:
        words: list[Any] = ["ZADD", key]
        for member, score in members.items():
            words += [repr(score), member]
        self._commands.append(words)

    def drop_vendor(self, keys: JournalKeys, vendor: str) -> None:
        """Remove one vendor's entries from a journal list, its sizes and their total, and its
        count of the vendor's calls pushed out (``EVAL``: a script inside ``MULTI`` that Redis
        forgot would fail alone, after the rest was applied)."""
        self._flush_journal(keys.entries)
        self.command(
            "EVAL",
            _DROP_VENDOR,
            5,
            keys.entries,
            keys.sizes,
            keys.total,
            keys.vendors,
            keys.dropped,
            vendor,
        )


class TenantKeys(NamedTuple):
    """A tenant in Redis: its hash (records and sequences), the order list naming its fields,
    and the set of its vendor's tenants."""

    state: str
    order: str
    tenants: str


class JournalKeys(NamedTuple):
    """A scope's journal in Redis: its entries, their sizes and their vendors (three lists side
    by side), their sizes' total, and a hash of how many calls of each vendor it pushed out."""

    entries: str
    sizes: str
    total: str
    vendors: str
    dropped: str


@dataclasses.dataclass
class JournalAppends:
    """One scope's journal entries pushed in a batch, and where and how its list is bounded."""

    keys: JournalKeys
    max_entries: int
    max_bytes: int
    entries: list[bytes] = dataclasses.field(default_factory=list)
    sizes: list[int] = dataclasses.field(default_factory=list)
    vendors: list[str] = dataclasses.field(default_factory=list)

    def add(self, entry: bytes, size: int, vendor: str) -> None:
        self.entries.append(entry)
        self.sizes.append(size)
        self.vendors.append(vendor)


class Writing:
    """The operations of a commit as Redis writes: a part of ``RedisStore``
    (``redis_store.py``), using its ``objects`` and ``key``."""

    def _write(self, pipe: Writes, ops: list[Op], records: list[bytes]) -> list[Op]:
        """Each operation's effect on the durable copy, as commands; and what other processes
        replay (a whole tenant loaded travels as 'reload it from Redis', the records a call
        puts as their keys, their JSON going to ``records``)."""
        logged: list[Op] = []
        for name, operation, args in ops:
            target = self.objects[name]
            if isinstance(target, SharedMap):
                self._write_map(pipe, name, operation, args)
                logged.append((name, operation, args))
            elif isinstance(target, VendorState):
                logged.append(self._write_state(pipe, target, operation, args, records))
            elif isinstance(target, Journal):  # read from Redis when asked for (``fresh``)
                self._write_journal(pipe, target, operation, args)
            elif isinstance(target, Windows):
                self._write_window(pipe, name, operation, args)
                logged.append((name, operation, args))
        return self._latest_only(logged)

    def _latest_only(self, logged: list[Op]) -> list[Op]:
        """The batch's operations less the values a later operation of the batch sets again (a
        sequence's value, a shared map's key): each call moves its tenant's sequence and a coverage
        counter, and replaying every step cost the other processes more than the call's records.
        An operation that empties or replaces the object (a map's ``delete``/``clear``, a tenant's
        ``drop``/``reload``) keeps the values set before it."""
        kept: list[Op] = []
        set_later: set[tuple[Any, ...]] = set()
        for op in reversed(logged):
            name, operation, args = op
            if operation == "seq":  # (tenant, sequence, value)
                key: tuple[Any, ...] = (name, args[0], args[1])
            elif operation == "put" and isinstance(self.objects[name], SharedMap):
                key = (name, args[0])
            else:
                if operation in ("delete", "clear", "drop", "reload"):
                    set_later = {k for k in set_later if k[0] != name}
                kept.append(op)
                continue
            if key not in set_later:
                set_later.add(key)
                kept.append(op)
        kept.reverse()
        return kept

    def _write_window(self, pipe: Writes, name: str, operation: str, args: tuple[Any, ...]) -> None:
        """A window is a sorted set of call times (members unique, scores the times)."""
        key = self.key("window", name, args[0])
        if operation == "hit":
            pipe.zremrangebyscore(key, "-inf", args[2])
            pipe.zadd(key, {f"{args[1]!r}:{os.urandom(4).hex()}": args[1]})
            pipe.sadd(self.key("windows", name), args[0])
        else:
            pipe.delete(key)
            pipe.srem(self.key("windows", name), args[0])

    def _write_map(self, pipe: Any, name: str, operation: str, args: tuple[Any, ...]) -> None:
        key = self.key("map", name)
        if operation == "put":
            pipe.hset(key, args[0], _json(args[1]))
        elif operation == "delete":
            pipe.hdel(key, args[0])
        else:
            pipe.delete(key)

    def _write_state(
        self,
        pipe: Any,
        state: VendorState,
        operation: str,
        args: tuple[Any, ...],
        records: list[bytes],
    ) -> Op:
        tenant = args[0]
        key, order, tenants = self._tenant_keys[state.vendor, tenant]
        if operation in ("drop", "load"):
            pipe.delete(key)
            pipe.delete(order)
            pipe.srem(tenants, tenant)
            if operation == "drop":
                return (state.name, operation, args)
            fields: dict[str, str | bytes] = {}
            listed: list[str] = []  # its sequences, then its records in the tenant's order
            for collection, kept in args[1].items():  # records as their JSON already
                named = [f"{collection}{SEP}{k}" for k in kept]
                if collection == SEQUENCES:
                    fields.update(zip(named, map(str, kept.values()), strict=True))
                else:
                    fields.update(zip(named, kept.values(), strict=True))
                listed += named
            pipe.sadd(tenants, tenant)
            if fields:
                pipe.hset(key, mapping=fields)
                pipe.append(order, listed)
            return (state.name, "reload", (tenant,))
        pipe.sadd(tenants, tenant)
        if operation == "seq":  # (tenant, sequence, value, new?)
            field = f"{SEQUENCES}{SEP}{args[1]}"
            pipe.hset(key, field, str(args[2]))
            if args[3]:
                pipe.append(order, (field,))
            return (state.name, operation, args[:3])
        # Records come as the collection keeps them (their JSON): written as they are.
        prefix = f"{args[1]}{SEP}"  # the collection's part of its records' fields
        if operation == "put":  # (tenant, collection, key, JSON, new?)
            field, packed = prefix + args[2], args[3]
            pipe.hset(key, field, packed)
            records.append(packed)
            if args[4]:
                pipe.append(order, (field,))
            return (state.name, "records", (tenant, args[1], [args[2]]))
        put = args[2]  # put_many (tenant, collection, JSON by key, new keys)
        if put:
            pipe.hset(key, mapping={prefix + k: packed for k, packed in put.items()})
            records += put.values()
            pipe.append(order, [prefix + k for k in args[3]])
        return (state.name, "records", (tenant, args[1], list(put)))

    def _name_tenant_keys(self, vendor_tenant: tuple[str, str]) -> TenantKeys:
        """A tenant's keys (looked up in ``_tenant_keys``, made here once)."""
        vendor, tenant = vendor_tenant
        return TenantKeys(
            self.key("state", vendor, tenant),
            self.key("state-order", vendor, tenant),
            self.key("tenants", vendor),
        )

    def _write_journal(
        self, pipe: Any, journal: Journal, operation: str, args: tuple[Any, ...]
    ) -> None:
        if operation == "append":
            wire = args[0]
            scope = wire["session"] or GLOBAL
            name = scope or "global"
            if scope == GLOBAL:
                count, size = journal.max_entries, journal.max_bytes
            else:
                count, size = journal.session_max_entries, journal.session_max_bytes
            appends = pipe.journal_appends(self._journal_keys[name], count, size)
            if not appends.entries:  # the batch's first entry of the scope
                pipe.sadd(self.key("journals"), name)
            # Sized as the journal sized it (its bodies, target, header lines, and the rest).
            appends.add(_json(wire), wire_size(wire), wire["vendor"])
            return
        vendor, scope = args[:2]
        name = scope or "global"
        if operation == "pushed_out":  # read by a reload as the list's own count
            pipe.command("HINCRBY", self._journal_keys[name].dropped, vendor, args[2])
            pipe.sadd(self.key("journals"), name)
            return
        if vendor is None:  # the scope's journal gone (a dropped session: for good)
            for key in self._journal_keys[name]:
                pipe.delete(key)
            pipe.command("HDEL", self.key("journal-dropped"), name)  # an earlier version's count
            pipe.srem(self.key("journals"), name)
        else:  # keep the scope's other vendors' entries
            pipe.drop_vendor(self._journal_keys[name], vendor)

    def _name_journal_keys(self, name: str) -> JournalKeys:
        """A scope's journal keys (looked up in ``_journal_keys``, made here once)."""
        return JournalKeys(
            self.key("journal", name),
            self.key("journal-sizes", name),
            self.key("journal-bytes", name),
            self.key("journal-vendors", name),
            self.key("journal-dropped", name),
        )


def _json(value: Any) -> bytes:
    """A value as the JSON Redis keeps (bytes: hiredis sends them as they are)."""
    return orjson.dumps(value, default=list)
