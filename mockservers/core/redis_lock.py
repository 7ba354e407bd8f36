"""How a ``RedisStore`` runs calls under the kit's lock in Redis: the drainer that runs a
process's queued calls in batches, taking the lock (and bringing the local copy up to date
first), committing each batch in one ``MULTI`` with the lock's release, finding and replacing a
lock whose holder died, and the one exchange of commands with Redis on the drainer's own
connection; with the Lua scripts that take and recover the lock's token.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
from collections.abc import Callable
from typing import Any, TypeVar

import hiredis
import orjson
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError, ResponseError

from mockservers.core.redis_writes import Command, Writes
from mockservers.core.shared import StoreUnavailable

T = TypeVar("T")
LOG_LENGTH = 10_000
"""Log entries kept at most; a process further behind reloads everything."""
LOG_BYTES = 64 * 1024 * 1024
"""About the most the log keeps, in bytes: it keeps as many entries of the size of the newest as
fit (100-row imports on two workers wrote 450 KB entries: 10,000 of them were 4.5 GB of Redis's
memory, and an XRANGE to catch up a process that far behind one reply of that size)."""
SENT_PER_SECOND = 20e6
"""Bytes of commands Redis is given a second to answer, beyond the fixed deadline (it read and
applied about 50 MB a second here)."""

CLAIM = """
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

RECOVER = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('LLEN', KEYS[2]) > 0 then return 0 end
local gen = redis.call('INCR', KEYS[1])
redis.call('DEL', KEYS[3])
if KEYS[4] then redis.call('DEL', KEYS[4]) end
redis.call('RPUSH', KEYS[2], gen)
return gen
"""

INIT_LOCK = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], 1)
  redis.call('RPUSH', KEYS[2], 1)
end
return 1
"""


class Locking:
    """The drainer, the kit's lock and the commit: a part of ``RedisStore`` (``redis_store.py``),
    whose ``__init__`` sets the state used here."""

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
                        await self._open()
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
            await self._open()
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
        await self._client.eval(INIT_LOCK, 2, self.key("gen"), self.key("lock"))
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


def _continues(log: list[Any], mine: int, version: int) -> bool:
    """Whether the log entries read from ``mine + 1`` bring a copy at ``mine`` to ``version``."""
    return version == mine or (len(log) == version - mine and log[0][0] == f"{mine + 1}-1".encode())
