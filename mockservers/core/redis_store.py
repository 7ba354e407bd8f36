"""``serve --store redis://HOST:PORT/DB``: every process of one fake keeps what the kit keeps in
one Redis, and acts as one fake.

How (see docs/architecture.md, "The shared store"):
- Each process keeps a full copy in memory (the replicated objects of ``core/shared.py``), so
  the vendors' rules run unchanged, at memory speed.
- A request's reads and writes run while the process holds the kit's lock in Redis (a list
  holding one token, taken with a blocking ``BLMOVE``: waiting processes queue in Redis, no
  polling). On taking it, the process replays the operations other processes committed since
  its copy's version (a capped stream ``log``), or reloads everything when it fell too far
  behind. The request's operations are then committed in one ``MULTI``: the data (hashes and
  lists, the durable copy), the log entry for the other processes, the new version, and the
  lock's release. The answer leaves only after that commit: an acknowledged write is in Redis.
- A process keeps the lock while more of its own requests are queued (up to ``batch`` of them),
  committing them together: one lock round trip and one commit for the batch. One task per
  process (the drainer) runs a batch's works back to back, with none of the process's HTTP work
  in between: the lock is held for the rules and the commit, not for parsing and answering.
- A process killed while holding the lock leaves a token Redis no longer sees a connection for:
  a waiter that times out asks Redis whether the holder's connection still exists, and when it
  does not, puts a new token (of a new generation, so the dead holder's one is worthless).
- When Redis cannot be reached, ``run`` raises :class:`StoreUnavailable` within the socket
  timeout: the vendor answers its 5xx body, nothing hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import math
import os
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

import hiredis
import orjson
import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError, ResponseError

from mockservers.core.journal import ANY_VENDOR, ENTRY_OVERHEAD, GLOBAL, Entry, Journal
from mockservers.core.shared import Recorder, SharedMap, Store, StoreUnavailable, masked_url
from mockservers.core.state import SEQUENCES, TenantState, VendorState
from mockservers.core.windows import Windows

T = TypeVar("T")
Op = tuple[str, str, tuple[Any, ...]]
_SEP = "\x1f"
LOG_LENGTH = 10_000
"""Log entries kept at most; a process further behind reloads everything."""
LOG_BYTES = 64 * 1024 * 1024
"""About the most the log keeps, in bytes: it keeps as many entries of the size of the newest as
fit (100-row imports on two workers wrote 450 KB entries: 10,000 of them were 4.5 GB of Redis's
memory, and an XRANGE to catch up a process that far behind one reply of that size)."""
BATCH = 64
"""Requests a process may commit under one hold of the lock (then it lets others in)."""
WAIT = 1.0
"""Seconds a waiter blocks for the lock before checking that its holder is still alive."""
LOCK_DEADLINE = 30.0
"""Seconds a call waits at most for the kit's lock held by a live process (paused, stuck),
then it gets the vendor's 503: a state load of a million customers holds it about 15 s."""
HASH_PIECE = 10_000
"""Fields of a hash read per ``HSCAN``: a tenant of millions of customers read with one
``HGETALL`` was one reply of gigabytes (3,000,000 customers: past the socket deadline, a minute
lost, the process never caught up), and a stall of Redis while it built it."""
SENT_PER_SECOND = 20e6
"""Bytes of commands Redis is given a second to answer, beyond the fixed deadline (it read and
applied about 50 MB a second here)."""

_CLAIM = """
local token = redis.call('LINDEX', KEYS[1], 0)
if not token then return {'none'} end
if token ~= redis.call('GET', KEYS[2]) then
  redis.call('DEL', KEYS[1])
  return {'stale'}
end
redis.call('SET', KEYS[3], token .. ':' .. ARGV[1])
local v = tonumber(redis.call('GET', KEYS[4]) or '0')
local kit = redis.call('GET', KEYS[5])
if not kit then return {'empty', v} end
if v < tonumber(ARGV[2]) then return {'gap', v, kit} end
return {'ok', v, kit}
"""
"""Take the lock's token (if this connection holds it) and say where the copy stands: 'ok' (the
log since the caller's version, read right after, brings it up to date, if the kit is the one
the copy holds), 'gap' (reload) or 'empty' (seed); with the kit's id. The log is not read here:
a value that passes through Lua is copied into it, about 1.5 µs a kilobyte."""

_RECOVER = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('LLEN', KEYS[2]) > 0 then return 0 end
local gen = redis.call('INCR', KEYS[1])
redis.call('DEL', KEYS[3])
if KEYS[4] then redis.call('DEL', KEYS[4]) end
redis.call('RPUSH', KEYS[2], gen)
return gen
"""

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
local drop = 0
local gone = {}
while count - drop > 1 and (count - drop > tonumber(ARGV[1]) or total > tonumber(ARGV[2])) do
  total = total - tonumber(redis.call('LINDEX', KEYS[2], drop) or '0')
  local vendor = redis.call('LINDEX', KEYS[5], drop) or ''
  gone[vendor] = (gone[vendor] or 0) + 1
  drop = drop + 1
end
if drop > 0 then
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
size and name them (ARGV[4]: what an entry counts for beside its bodies)."""

_INIT_LOCK = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], 1)
  redis.call('RPUSH', KEYS[2], 1)
end
return 1
"""

Command = tuple[Any, ...]


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

    def journal_append(self, appends: JournalAppends, entry: bytes, size: int, vendor: str) -> None:
        """Push a journal entry, its size and its vendor; the list is bounded once for the
        batch's entries (``_BOUND_JOURNAL``), when the batch ends or another command touches
        it."""
        pending = self._journals.setdefault(appends.keys.entries, appends)
        pending.entries.append(entry)
        pending.sizes.append(size)
        pending.vendors.append(vendor)

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


class RedisStore(Store):
    shared = True

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "mockservers",
        batch: int = BATCH,
        wait: float = WAIT,
        lock_deadline: float = LOCK_DEADLINE,
    ) -> None:
        super().__init__()
        self.url = url
        self._shown = masked_url(url)
        self.prefix = prefix
        self.batch_limit = batch
        self.wait = wait
        self.lock_deadline = lock_deadline
        self.version = 0
        self.on_empty: Callable[[], None] = lambda: None
        """Set by the app: put the fresh kit's fixtures back when Redis holds nothing."""
        self._ops: list[Op] = []
        self._named: list[Command] = []
        """Order-list entries a reload found missing (fields an earlier version of the kit
        wrote without naming them), added by the next commit of the same hold of the lock,
        before its writes: the next process to read the tenant reads it as this one did,
        without reading its hash whole again."""
        self._keys: dict[tuple[str, ...], str] = {}
        self._redis: aioredis.Redis | None = None
        self._linked: aioredis.Redis | None = None
        self._link: AbstractConnection | None = None
        self.holder = ""
        """How this process's lock connection is named in Redis (``held:<holder>``, the owner
        key): Redis's run id and the connection's client id. Client ids start again at 1 when
        Redis restarts, so the id alone could name a live stranger as a dead holder."""
        self._run_id = ""
        self._pending: deque[tuple[contextvars.Context, Callable[[], Any], asyncio.Future[Any]]]
        self._pending = deque()
        self._drainer: asyncio.Task[None] | None = None
        self._owned = False
        self._in_batch = 0
        self._dirty = False
        self._started = False
        self._starting = asyncio.Lock()
        self._scripts: dict[str, bytes] = {}
        self._kit: bytes | None = None
        """The id of the kit this process's copy holds (set when it seeds or reloads it)."""
        self._journal_read: dict[bytes, Entry] = {}
        """The journal's entries as the last reload read them, by their JSON in Redis."""
        self._may_hold = True
        """Whether the lock's token may be in this connection's list (unknown at start and
        after a failure); after a release it is not, and taking it needs no first look."""

    # -- keys -----------------------------------------------------------------------------
    def key(self, *parts: str) -> str:
        """A Redis key of this kit, from its parts (remembered: a call names the same few)."""
        found = self._keys.get(parts)
        if found is None:
            if len(self._keys) >= 4096:  # sessions come and go: keep the memory bounded
                self._keys.clear()
            found = self._keys[parts] = ":".join((self.prefix, *parts))
        return found

    def recorder(self) -> Recorder:
        return self._record

    def _record(self, name: str, operation: str, args: tuple[Any, ...]) -> None:
        self._ops.append((name, operation, args))

    def describe(self) -> str:
        return f"redis ({self._shown})"

    # -- connection -----------------------------------------------------------------------
    async def start(self) -> None:
        """Connect, once: the drainer and an admin read may both find the store unstarted."""
        async with self._starting:
            if not self._started:
                await self._connect()

    async def _connect(self) -> None:
        try:
            if self._redis is None:
                self._redis = aioredis.Redis.from_url(
                    self.url, socket_timeout=self.wait + 4, socket_connect_timeout=2
                )
            else:  # its idle connections may be of a Redis that restarted (reads keep theirs)
                await self._redis.connection_pool.disconnect(inuse_connections=False)
            # The drainer's own connection: the lock is taken and committed on it (and named
            # after it), while admin reads (``fresh``) use the other client's. It has no socket
            # timeout: each exchange has one deadline (a timer per reply cost more than the
            # reply, and a timed write runs in a task of its own).
            self._linked = aioredis.Redis.from_url(self.url, socket_connect_timeout=2)
            self._link = await self._linked.connection_pool.get_connection()
            client_id, info = await self._exchange(("CLIENT", "ID"), ("INFO", "server"))
            self._run_id = _run_id(info)
            self.holder = f"{self._run_id}-{client_id}"
            # Loaded once; EVALSHA then (a Redis that lost them: taking the lock reconnects
            # and loads them again).
            self._scripts = {
                name: (await self._redis.script_load(source)).encode()
                for name, source in (("claim", _CLAIM), ("recover", _RECOVER))
            }
            await self._redis.eval(_INIT_LOCK, 2, self.key("gen"), self.key("lock"))
        except (RedisError, OSError) as exc:
            await self._drop_link()
            raise StoreUnavailable(f"cannot reach Redis at {self.describe()}: {exc}") from None
        self._started = True
        self._dirty = True  # whatever this process built before starting: replaced by Redis's

    @property
    def _client(self) -> aioredis.Redis:
        """The client of every command but the drainer's exchanges (admin reads, reloads, the
        lock's recovery): made at the first start and kept until ``close``. A store never
        started, or closed, has none: the caller gets the store's error (the vendor's 5xx, an
        admin call's 503), not an assertion's 500."""
        if self._redis is None:
            raise StoreUnavailable(f"Redis at {self.describe()}: not connected")
        return self._redis

    async def close(self) -> None:
        """Stop: the drainer first finishes the works it holds (their writes committed, their
        callers answered), then the lock is given back and the connections closed. Closing
        under a drainer mid-exchange would fail its batch and could leave the lock's token
        with a connection that is gone."""
        drainer = self._drainer
        if drainer is not None and drainer is not asyncio.current_task():
            _, late = await asyncio.wait({drainer}, timeout=self.wait + 5)
            for task in late:  # Redis stopped answering: the callers get the store's error
                task.cancel()
                await asyncio.wait({task})
        if self._redis is not None and self._owned:
            await self._release()
        await self._drop_link()
        client, self._redis = self._redis, None
        if client is not None:
            with contextlib.suppress(RedisError, OSError):
                await client.aclose()

    async def _drop_link(self) -> None:
        """Close the drainer's connection (after a failure, what it still holds is unknown: a
        reply may come late); the next start makes a new one. The other client stays open:
        admin reads may be in flight on it, and closing it under them broke their reads
        halfway (a 500)."""
        linked, self._linked, self._link = self._linked, None, None
        self._started = False
        if linked is not None:
            with contextlib.suppress(RedisError, OSError):
                await linked.aclose()

    async def ping(self) -> None:
        """Reach Redis once (``serve`` checks before it starts serving)."""
        await self.start()
        await self.close()

    # -- transactions ---------------------------------------------------------------------
    async def run(self, work: Callable[[], T]) -> T:
        """Queue the work; the process's one drainer runs it in its turn, under the kit's lock,
        and the result comes back once the batch holding its writes is committed."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((contextvars.copy_context(), work, future))
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain())
        return await future  # type: ignore[no-any-return]

    async def _drain(self) -> None:
        """Run the queued works, batch after batch, until none is left. A batch runs in one go,
        with nothing else of this process in between (its HTTP work waits), so the lock is
        held for the vendors' rules and the commit only; then the batch's callers are answered.
        The lock is kept for the next batch while more works are queued, up to ``batch``
        works per hold, then left to the other processes."""
        try:
            while self._pending:
                batch: list[tuple[asyncio.Future[Any], Any]] = []
                try:
                    if not self._started:
                        await self.start()
                    if not self._owned:
                        await self._take_lock()
                    while self._pending and self._in_batch < self.batch_limit:
                        context, work, future = self._pending.popleft()
                        self._in_batch += 1
                        try:
                            batch.append((future, context.run(self._work, work)))
                        except Exception as exc:  # the caller's own failure, raised to it
                            future.set_exception(exc)
                    release = not self._pending or self._in_batch >= self.batch_limit
                    await self._commit(release=release)
                except StoreUnavailable as exc:  # unreachable, or holding what this kit cannot read
                    await self._failed(batch, exc)
                except asyncio.CancelledError:  # closing, and Redis did not answer in time
                    gone = StoreUnavailable(f"Redis at {self.describe()} did not answer")
                    self._fail_all(batch, gone)
                    raise
                except (RedisError, OSError) as exc:
                    await self._failed(
                        batch, StoreUnavailable(f"Redis at {self.describe()}: {exc}")
                    )
                except Exception as exc:  # a bug: still, no caller may wait for ever
                    await self._failed(batch, exc)
                else:
                    for future, result in batch:
                        if not future.done():
                            future.set_result(result)
        finally:
            self._drainer = None

    async def _failed(self, batch: list[tuple[asyncio.Future[Any], Any]], exc: Exception) -> None:
        """A batch Redis did not keep: the store starts afresh (``_fail``), and the callers get
        ``exc`` whatever closing the connection raises."""
        try:
            await self._fail()
        finally:
            self._fail_all(batch, exc)

    def _fail_all(self, batch: list[tuple[asyncio.Future[Any], Any]], exc: Exception) -> None:
        """The batch's writes were not kept: its callers, and those queued behind it, get the
        error (a caller that comes later tries Redis afresh)."""
        futures = [future for future, _ in batch]
        futures += [future for _, _, future in self._pending]
        self._pending.clear()
        for future in futures:
            if not future.done():
                future.set_exception(exc)

    def _work(self, work: Callable[[], T]) -> T:
        """Run one request's work; if it fails halfway, keep only the earlier requests'
        operations and bring the local copy back from Redis after the commit."""
        before = len(self._ops)
        try:
            return work()
        except BaseException:
            if len(self._ops) > before:
                del self._ops[before:]
                self._dirty = True
            raise

    async def _fail(self) -> None:
        """Redis failed us: the batch's operations are forgotten, the local copy counts as
        stale and the drainer's connection is dropped (the next call reconnects and reloads)."""
        self._ops = []
        self._owned = False
        self._dirty = True
        await self._drop_link()

    async def _take_lock(self) -> None:
        """Take the lock; if Redis dropped the connection while it was idle, or forgot the
        scripts (it restarted), once more on a new connection: nothing of the batch has run
        yet, so the calls need not fail."""
        try:
            await self._acquire()
        except (RedisConnectionError, NoScriptError):
            await self._fail()
            await self.start()
            await self._acquire()

    async def _acquire(self) -> None:
        """Take the kit's lock (waiting in Redis) and bring the local copy up to date."""
        held = self.key("held", self.holder)
        claim_keys = (
            held,
            self.key("gen"),
            self.key("owner"),
            self.key("version"),
            self.key("init"),
        )
        mine = -1 if self._dirty else self.version  # a dirty copy never matches: it reloads
        self._named = []  # a hold's own: one that never committed gave them to no one
        claiming: list[Command] = [
            ("EVALSHA", self._scripts["claim"], 5, *claim_keys, self.holder, mine)
        ]
        if mine >= 0:  # the log since this copy's version (a dirty copy reloads instead)
            claiming.append(("XRANGE", self.key("log"), f"{mine + 1}-1", "+"))
        # A watch set by an earlier try saw this process's own recovery move the generation:
        # dropped first, then set again (a claim that fails sets one in vain, harmlessly).
        claiming += [("UNWATCH",), self._fence()]
        replies: list[Any] = [[b"none"]]
        if self._may_hold:  # a failed call may have left the token with us
            replies = await self._exchange(*claiming)
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.lock_deadline
        while replies[0][0] == b"none":  # not holding it: wait for it in Redis, claim it at once
            if loop.time() > give_up:
                raise StoreUnavailable(await self._lock_not_released())
            wait: Command = ("BLMOVE", self.key("lock"), held, "LEFT", "LEFT", self.wait)
            replies = (await self._exchange(wait, *claiming))[1:]
            if replies[0][0] == b"none":
                await self._recover_dead_holder()
            elif replies[0][0] == b"stale":
                replies = [[b"none"]]
        status, version, *kit = replies[0]
        log = replies[1] if mine >= 0 else []
        same_kit = kit == [self._kit]  # a Redis emptied and seeded again counts from 0 again
        if status == b"ok" and mine >= 0 and same_kit and _continues(log, mine, int(version)):
            for _, fields in log:  # ops, its JSON, then "r", a record, for each record
                await self._replay(orjson.loads(fields[1]), iter(fields[3::2]))
            self.version = int(version)
        elif status == b"empty":
            await self._seed(int(version))
        else:  # behind what the log keeps, ahead of Redis (it lost data), another kit, dirty
            await self._reload(int(version))
            self._kit = kit[0] if kit else None
        self._owned = True
        self._in_batch = 0

    async def _recover_dead_holder(self) -> None:
        """The lock stayed taken for a whole wait: if its holder's connection is gone (a
        killed process, or a Redis restarted since), put a new token of a new generation. A
        holder that died between taking the token and claiming it (its connection dropped, or
        Redis had forgotten the claim script) left no owner: its token is found in its own list
        instead. A Redis emptied under the kit (``FLUSHDB``) lost the token itself: a new one
        is put, as at a first start (the next holder then finds no kit and seeds it)."""
        await self._client.eval(_INIT_LOCK, 2, self.key("gen"), self.key("lock"))
        keys: tuple[str, ...] = (self.key("gen"), self.key("lock"), self.key("owner"))
        owner = await self._client.get(self.key("owner"))
        if owner is not None:
            generation, _, client = owner.decode().partition(":")
            if not client or await self._alive(client):
                return
            keys += (self.key("held", client),)  # its list goes too: left, later scans walk it
        else:
            orphaned = await self._orphaned_token()
            if orphaned is None:
                return
            generation = (await self._client.get(self.key("gen")) or b"").decode()
            # Dropped in the script, with the new token put: a Redis that refused writes
            # between a DEL here and the script lost the token for good (every call a 503).
            keys += (orphaned,)
        await self._client.evalsha(self._scripts["recover"], len(keys), *keys, generation)

    async def _alive(self, holder: str) -> bool:
        """Whether a lock holder's connection is still open: of this Redis run, and listed."""
        run_id, _, client = holder.rpartition("-")
        if run_id != self._run_id or not client.isdigit():
            return False
        return bool(await self._client.execute_command("CLIENT", "LIST", "ID", client))

    async def _lock_not_released(self) -> str:
        """Why a call waited too long for the kit's lock: a live holder that never let go (a
        paused process, a debugger's breakpoint)."""
        owner = await self._client.get(self.key("owner"))
        holder = owner.decode().partition(":")[2] if owner else "no process"
        return (
            f"the kit's lock in Redis at {self.describe()} was not released within"
            f" {self.lock_deadline:.0f} s (held by {holder}, which Redis still sees connected)"
        )

    async def _orphaned_token(self) -> str | None:
        """A lock list of a connection that is gone, still holding a token (rare: scanned)."""
        async for raw in self._client.scan_iter(match=self.key("held", "*"), count=1000):
            key = raw.decode()
            client = key.rpartition(":")[2]
            if await self._client.llen(key) and not await self._alive(client):
                return key
        return None

    async def _release(self) -> None:
        """At close, on a connection of the pool: the drainer may still be mid-exchange."""
        pipe = self._client.pipeline(transaction=True)
        for command in self._release_commands():
            pipe.execute_command(*command)
        await pipe.execute()
        self._owned = False

    def _release_commands(self) -> list[Command]:
        """Give the lock's token back to the queue, and forget who held it."""
        held = self.key("held", self.holder)
        return [("LMOVE", held, self.key("lock"), "LEFT", "RIGHT"), ("DEL", self.key("owner"))]

    async def _commit(self, *, release: bool) -> None:
        """The batch's writes, the log entry and the release, between ``MULTI`` and ``EXEC``:
        one round trip, all or nothing; then wake the batch's requests."""
        ops, self._ops = self._ops, []
        writes = Writes()
        records: list[bytes] = []
        logged = self._write(writes, ops, records) if ops else []
        commands, self._named = self._named + writes.commands(), []
        version = self.version
        if ops:  # the entry other processes replay, under the version it brings them to
            version += 1
            replayed = orjson.dumps(logged)
            size = len(replayed) + sum(map(len, records))
            kept = max(1, min(LOG_LENGTH, LOG_BYTES // size))
            entry: list[Any] = ["XADD", self.key("log"), "MAXLEN", "~", kept]
            entry += (f"{version}-1", "ops", replayed)
            for packed in records:  # each record as its own field: replayed as it comes
                entry += ("r", packed)
            commands.append(tuple(entry))
            commands.append(("SET", self.key("version"), version))
        if release:
            commands += self._release_commands()
        if commands:
            fenced = [] if release else [self._fence()]  # the next commit's, while it holds
            replies = await self._exchange(("MULTI",), *commands, ("EXEC",), *fenced)
            applied = replies[len(commands) + 1]
            if applied is None:  # the generation moved since the fence: the lock was taken over
                raise StoreUnavailable(
                    f"this process lost the kit's lock in Redis at {self.describe()} (cut off"
                    " for longer than the deadline, another process took it over): nothing of"
                    " these calls was kept"
                )
            for reply in applied:
                if isinstance(reply, Exception):  # the rest was applied: reload, as on a failure
                    raise reply
        self.version = version
        if release:
            self._owned = False
            self._may_hold = False

    def _fence(self) -> Command:
        """``WATCH`` the lock's generation, while this process holds the lock: its next
        ``EXEC`` is then applied only if no one took the lock over in between (a recovery
        moves the generation). A commit Redis received but could not answer in time (it
        stalled) and applies later, after another process recovered the lock, would otherwise
        write records under IDs that process gave again."""
        return ("WATCH", self.key("gen"))

    async def _exchange(self, *commands: Command) -> list[Any]:
        """Send ``commands`` in one write and read their replies, in order. Packed by hiredis
        (in C), read by the client's parser: redis-py's own packing, in Python, cost a commit
        more than Redis's work on it. An error reply is raised once every reply is read; no
        reply within the deadline is a ``TimeoutError`` (the drainer then drops the
        connection). The deadline grows with what is sent: a state load of a million
        customers is a 290 MB commit, which Redis took 5.6 s to read and apply."""
        connection = self._link
        if connection is None:  # dropped by a failure: only a new start makes another
            raise StoreUnavailable(f"Redis at {self.describe()}: not connected")
        packed = b"".join(map(hiredis.pack_command, commands))
        deadline = self.wait + 4 + len(packed) / SENT_PER_SECOND  # BLMOVE waits up to ``wait``
        replies: list[Any] = []
        failure: Exception | None = None
        try:
            async with asyncio.timeout(deadline):
                await connection.send_packed_command(packed, check_health=False)
                for _ in commands:
                    try:
                        replies.append(await connection.read_response(timeout=math.inf))
                    except ResponseError as exc:
                        failure = failure or exc
                        replies.append(exc)
        except TimeoutError:
            raise TimeoutError(f"no answer within {deadline:.1f} s") from None
        if failure is not None:
            raise failure
        return replies

    # -- writing operations to Redis ------------------------------------------------------
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
        key = self.key("state", state.vendor, tenant)
        order = self.key("state-order", state.vendor, tenant)
        tenants = self.key("tenants", state.vendor)
        if operation in ("drop", "load"):
            pipe.delete(key)
            pipe.delete(order)
            pipe.srem(tenants, tenant)
            if operation == "drop":
                return (state.name, operation, args)
            fields: dict[str, str | bytes] = {}
            listed: list[str] = []  # its sequences, then its records in the tenant's order
            for collection, kept in args[1].items():  # records as their JSON already
                named = [f"{collection}{_SEP}{k}" for k in kept]
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
            field = f"{SEQUENCES}{_SEP}{args[1]}"
            pipe.hset(key, field, str(args[2]))
            if args[3]:
                pipe.append(order, (field,))
            return (state.name, operation, args[:3])
        prefix = f"{args[1]}{_SEP}"  # the collection's part of its records' fields
        if operation == "put":  # (tenant, collection, key, record, new?)
            field, packed = prefix + args[2], _json(args[3])
            pipe.hset(key, field, packed)
            records.append(packed)
            if args[4]:
                pipe.append(order, (field,))
            return (state.name, "records", (tenant, args[1], [args[2]]))
        put = args[2]  # put_many (tenant, collection, records, new keys)
        if put:
            mapping = {}
            for k, v in put.items():
                packed = _json(v)
                mapping[prefix + k] = packed
                records.append(packed)
            pipe.hset(key, mapping=mapping)
            pipe.append(order, [prefix + k for k in args[3]])
        return (state.name, "records", (tenant, args[1], list(put)))

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
            appends = JournalAppends(self._journal_keys(name), count, size)
            # Sized as the journal sizes an entry (its bodies, and the rest).
            measured = len(wire["request_body"]) + len(wire["response_body"]) + ENTRY_OVERHEAD
            pipe.journal_append(appends, _json(wire), measured, wire["vendor"])
            pipe.sadd(self.key("journals"), name)
            return
        vendor, scope = args
        name = scope or "global"
        if vendor is None:  # the scope's journal gone (a dropped session: for good)
            for key in self._journal_keys(name):
                pipe.delete(key)
            pipe.command("HDEL", self.key("journal-dropped"), name)  # an earlier version's count
            pipe.srem(self.key("journals"), name)
        else:  # keep the scope's other vendors' entries
            pipe.drop_vendor(self._journal_keys(name), vendor)

    def _journal_keys(self, name: str) -> JournalKeys:
        return JournalKeys(
            self.key("journal", name),
            self.key("journal-sizes", name),
            self.key("journal-bytes", name),
            self.key("journal-vendors", name),
            self.key("journal-dropped", name),
        )

    # -- reading: replaying the log, reloading everything ---------------------------------
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
        """Replace the whole local copy with Redis's (after a gap, at start, after a failure)."""
        for name, target in self.objects.items():
            if isinstance(target, SharedMap):
                data = {}
                async for piece in self._hash_pieces(self.key("map", name)):
                    data.update((k.decode(), orjson.loads(v)) for k, v in piece.items())
                target.replace(data)
            elif isinstance(target, VendorState):
                await self._reload_state(target)
            elif isinstance(target, Journal):
                await self._reload_journal(target)
            elif isinstance(target, Windows):
                await self._reload_windows(name, target)
        self.version = version
        self._dirty = False
        self._ops = []

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
                collection, _, record = name.partition(_SEP)
                if collection == SEQUENCES:
                    if record not in listed.sequences:
                        unlisted[name] = value
                elif record not in listed.collections.get(collection, ()):
                    unlisted[name] = value
        names = sorted(unlisted)
        sequences = [name for name in names if name.startswith(f"{SEQUENCES}{_SEP}")]
        records = [name for name in names if not name.startswith(f"{SEQUENCES}{_SEP}")]
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
        collection, _, key = field.partition(_SEP)
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
            raise StoreUnavailable(f"Redis at {self.describe()}: {exc}") from None
        return {field.decode(): orjson.loads(value) for field, value in found.items()}

    async def fresh(self, name: str) -> None:
        """The journal is not replayed from the log (each entry would travel to every process);
        an admin call that reads it reloads it from Redis first: every acknowledged call is
        there."""
        target = self.objects.get(name)
        if isinstance(target, Journal):
            try:
                if self._redis is None:  # a process whose first call is an admin read
                    await self.start()
                try:
                    await self._reload_journal(target)
                except RedisConnectionError:  # a connection Redis dropped (it restarted): once more
                    await self._client.connection_pool.disconnect(inuse_connections=False)
                    await self._reload_journal(target)
            except (RedisError, OSError) as exc:
                raise StoreUnavailable(f"Redis at {self.describe()}: {exc}") from None

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
            keys = self._journal_keys(name)
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
        self._dirty = False
        self.version = version
        await self._commit(release=False)
        # Its id: a process whose copy is of another kit (Redis was emptied and seeded again
        # while it was idle, its version counting from 0 again) reloads instead of replaying.
        self._kit = os.urandom(8).hex().encode()
        await self._client.set(self.key("init"), self._kit)


def _run_id(info: bytes) -> str:
    """Redis's run id (new at every start of the server), from ``INFO server``."""
    for line in info.decode().splitlines():
        if line.startswith("run_id:"):
            return line.partition(":")[2].strip()
    return ""


def _continues(log: list[Any], mine: int, version: int) -> bool:
    """Whether the log entries read from ``mine + 1`` bring a copy at ``mine`` to ``version``."""
    return version == mine or (len(log) == version - mine and log[0][0] == f"{mine + 1}-1".encode())


def _json(value: Any) -> bytes:
    """A value as the JSON Redis keeps (bytes: hiredis sends them as they are)."""
    return orjson.dumps(value, default=list)
