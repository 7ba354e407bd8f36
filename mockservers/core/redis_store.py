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
import math
from collections import deque
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import AuthenticationError, RedisError

from mockservers.core.journal_entry import Entry
from mockservers.core.redis_lock import CLAIM, INIT_LOCK, RECOVER, Locking
from mockservers.core.redis_reload import Reloading, said
from mockservers.core.redis_url import check_query
from mockservers.core.redis_writes import Command, Op, Remembered, Writing
from mockservers.core.shared import Recorder, Store, StoreUnavailable, masked_url

BATCH = 64
"""Requests a process may commit under one hold of the lock (then it lets others in)."""
WAIT = 1.0
"""Seconds a waiter blocks for the lock before checking that its holder is still alive."""
LOCK_DEADLINE = 30.0
"""Seconds a call waits at most for the kit's lock held by a live process (paused, stuck),
then it gets the vendor's 503: a state load of a million customers holds it about 15 s."""


class RedisStore(Locking, Reloading, Writing, Store):
    """The kit's store in Redis (see the module's docstring): its keys, connections and state
    here; the lock, the drainer and the commit in ``redis_lock.py``, the operations as Redis
    writes in ``redis_writes.py``, replaying and reloading in ``redis_reload.py``."""

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
        check_query(url)  # redis-py would raise TypeError at the first connect
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
        self._keys = Remembered(self._name_key)
        self._tenant_keys = Remembered(self._name_tenant_keys)
        self._journal_keys = Remembered(self._name_journal_keys)
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
        self.loaded_at = math.inf  # until the first reload or seed (``redis_reload.py``)
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
        return self._keys[parts]

    def _name_key(self, parts: tuple[str, ...]) -> str:
        return ":".join((self.prefix, *parts))

    def recorder(self) -> Recorder:
        return self._record

    def _record(self, name: str, operation: str, args: tuple[Any, ...]) -> None:
        self._ops.append((name, operation, args))

    def describe(self) -> str:
        return f"redis ({self._shown})"

    # -- connection -----------------------------------------------------------------------
    async def start(self) -> None:
        """Connect and read the kit, under its lock as a call's reload does (a Redis holding
        nothing of it is seeded): a process holds the kit's clock, state and sessions before
        its first call, so that it answers on the kit's clock should Redis stop before that
        call."""
        await self._open()
        await self.run(_nothing)

    async def _open(self) -> None:
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
                for name, source in (("claim", CLAIM), ("recover", RECOVER))
            }
            await self._redis.eval(INIT_LOCK, 2, self.key("gen"), self.key("lock"))
        except (RedisError, OSError) as exc:
            await self._drop_link()
            raise StoreUnavailable(
                f"cannot reach Redis at {self.describe()}: {self._refusal(exc)}"
            ) from None
        self._started = True
        self._dirty = True  # whatever this process built before starting: replaced by Redis's

    def _refusal(self, exc: BaseException) -> str:
        """Why Redis refused this process: a Redis that asks for a password the URL does not
        give answers its handshake in protocol terms (``HELLO must be called with the client
        already authenticated…``), which never says "password"."""
        given = self._redis is not None and self._redis.connection_pool.connection_kwargs.get(
            "password"
        )
        if isinstance(exc, AuthenticationError) and not given:
            return (
                f"Redis asks for a password ({exc}): give it in the URL, "
                "redis://:PASSWORD@HOST:PORT/DB or ?password=, or in MOCKSERVERS_STORE"
            )
        return said(exc)

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
        """Reach Redis once (``serve`` checks before it starts serving; its workers read the
        kit)."""
        await self._open()
        await self.close()


def _nothing() -> None:
    """The work of a start: taking the lock brings the copy up to date, and nothing is written."""


def _run_id(info: bytes) -> str:
    """Redis's run id (new at every start of the server), from ``INFO server``."""
    for line in info.decode().splitlines():
        if line.startswith("run_id:"):
            return line.partition(":")[2].strip()
    return ""
