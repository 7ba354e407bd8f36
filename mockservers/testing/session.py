"""``Session``: one test's own corner of a shared server (``POST /__admin/sessions``), and its
async twin ``AsyncSession``.

A session holds fresh accounts on every vendor (``.credentials``); calls made with them belong
to it, and so do its state, tokens, rate-limit windows, journal, faults, clock and coverage.
Every admin call of a session addresses it, so tests that share one server — threads, xdist
workers, CI jobs — never see each other's effects.

```python
with server.session() as session:
    qp = session.credentials["quoparts"]
    client = QuoPartsClient(session.base_url("quoparts"), **qp)
    client.import_customers([...])
    session.assert_called(vendor="quoparts", operation="importCli", body={"data": [...]})

async with server.async_session() as session:       # a test on an event loop
    ...
    await session.assert_called(vendor="quoparts", operation="importCli")
```
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Generator, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx

from mockservers.testing.calls import AdminRequest, Flow, ScopeCalls, answer
from mockservers.testing.perprocess import PerProcess
from mockservers.testing.scope import AdminScope, AsyncAdminScope
from mockservers.testing.shield import sheltered, shielded

C = TypeVar("C", httpx.Client, httpx.AsyncClient)

SESSIONS = "/__admin/sessions"

SHIELD_SECONDS = 10
"""How long an async session's opening or closing may take, shielded from the test's
cancellation: a cancelled (timed-out) test still drops its session, or learns of one the kit
opened, and a kit that no longer answers raises ``TimeoutError`` after this rather than hang."""


def _opening(ttl_seconds: float | None, name: str | None) -> dict[str, Any]:
    """The body of ``POST /__admin/sessions``."""
    body: dict[str, Any] = {}
    if ttl_seconds is not None:
        body["ttl_seconds"] = ttl_seconds
    if name is not None:
        body["name"] = name
    return body


def admin_root(client: httpx.Client | httpx.AsyncClient, base_url: str) -> str:
    """What a session's admin paths go under: nothing when ``client`` has a base URL of its
    own, else ``base_url`` (a plain ``httpx.Client()`` failed with ``UnsupportedProtocol``);
    ``ValueError`` when neither is an absolute URL."""
    if client.base_url.is_absolute_url:
        return ""
    if httpx.URL(base_url).is_absolute_url:
        return base_url.rstrip("/")
    raise ValueError(
        f"the client has no base_url, and base_url {base_url!r} is not an absolute URL: give"
        " the server's URL (a MockServer's .url, http://127.0.0.1:8000) as one or the other"
    )


class SessionCalls(ScopeCalls, Generic[C]):
    """What a session is, whichever client it talks through."""

    def __init__(
        self, client: C, data: dict[str, Any], *, base_url: str, owns_client: bool = False
    ) -> None:
        self._client = PerProcess(client)  # a forked process talks through a client of its own
        self._owns_client = owns_client
        self._base = base_url.rstrip("/")
        self._root = admin_root(client, base_url)
        self.session_id = data["id"]
        self.id: str = data["id"]
        self.name: str | None = data.get("name")
        self.expires_at: str = data["expires_at"]
        self.credentials: dict[str, dict[str, Any]] = data["credentials"]
        """Per vendor, the session's own account: ``quoparts`` {username, password}, ``xtra``
        {public_key, secret_key, username, password, irid}, ``keepit`` {username, password,
        company_id, site_id}, ``tsdigital`` {tenant} (tokens: ``tsdigital_token()``); each the
        keyword arguments of that vendor's reference client."""
        self.closed = False
        """True once the kit dropped the session, or said it was gone (expired): a close that
        failed short of that leaves it False, and the next ``close()`` tries again."""
        self._counted = False  # with a tally: what it met was added (a retried close adds none)

    def _in_scope(self, path: str, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        url, options = super()._in_scope(path, options)
        return self._root + url, options

    def _admin_client(self) -> C:
        if self.closed:
            raise RuntimeError(f"session {self.id} is closed")
        return self._client.get()

    def base_url(self, vendor: str) -> str:
        """A vendor's base URL (the same for every session: its credentials tell them apart)."""
        return f"{self._base}/{vendor}"

    def _info(self) -> Flow[dict[str, Any]]:
        return (yield AdminRequest("GET", f"/sessions/{self.id}"))

    def _dropping(self) -> Flow[None]:
        """Drop the session and everything it holds, unless it is closed; with a tally, add
        what it met first, once. Run it in :meth:`_dropped`."""
        if self.closed:
            return
        if self.tally is not None and not self._counted:
            self.tally.add((yield from self._coverage(None)))
            self._counted = True
        yield AdminRequest("DELETE", f"/sessions/{self.id}")

    @contextmanager
    def _dropped(self) -> Iterator[None]:
        """Around a drop: the session is closed once it went through, or once the kit said
        the session was gone already (404: it let it expire, which is fine). Any other
        failure (the kit unreachable, a timeout, an interruption) leaves it open, for a
        retried ``close()`` (the fixture's, after the test's own) to drop it: it stayed on
        the kit for its TTL, counted against ``[kit.sessions] max``."""
        try:
            yield
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code != 404:
                raise
        self.closed = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}{' ' + repr(self.name) if self.name else ''}>"


class Session(SessionCalls[httpx.Client], AdminScope):
    """A live session of the kit, closed (dropped with all it holds) by ``close()``."""

    @classmethod
    def open(
        cls,
        client: httpx.Client,
        *,
        base_url: str,
        ttl_seconds: float | None = None,
        name: str | None = None,
        owns_client: bool = False,
    ) -> Session:
        """A new session on the kit ``client`` talks to (``base_url``: where vendors are
        served, e.g. the server's URL). ``owns_client``: close the client with the session.
        A test interrupted meanwhile (Ctrl-C, a timeout plugin's signal) is interrupted at
        once, and a session the kit opened all the same is dropped as its answer comes."""

        def opened() -> dict[str, Any]:
            try:
                url = admin_root(client, base_url) + SESSIONS
                return answer("POST", url, client.post(url, json=_opening(ttl_seconds, name)))
            except BaseException:
                if owns_client:
                    client.close()
                raise

        def dropped(data: dict[str, Any]) -> None:
            cls(client, data, base_url=base_url, owns_client=owns_client).close()

        data = sheltered(opened, undo=dropped)
        return cls(client, data, base_url=base_url, owns_client=owns_client)

    def info(self) -> dict[str, Any]:
        """The session as the kit describes it now (``expires_at`` moves as it is used)."""
        return self._run(self._info())

    def close(self) -> None:
        """Drop the session and everything it holds. Idempotent; an expired session is gone
        already, which is fine. One that failed (the kit out of reach) may be called again:
        it tries again, on a client like the one it closed."""
        try:
            with self._dropped():
                self._run(self._dropping())
        finally:
            client = self._client.to_close(self._owns_client)
            if client is not None:
                client.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncSession(SessionCalls[httpx.AsyncClient], AsyncAdminScope):
    """The async twin of :class:`Session`: the same calls, awaited, over an
    ``httpx.AsyncClient``; ``async with`` closes it."""

    @classmethod
    async def open(
        cls,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        ttl_seconds: float | None = None,
        name: str | None = None,
        owns_client: bool = False,
    ) -> AsyncSession:
        """A new session on the kit ``client`` talks to (as :meth:`Session.open`). A test
        cancelled meanwhile gets the session all the same (its ``async with`` drops it); under
        a plain asyncio cancellation, which comes once, the session is dropped at once."""

        async def opened() -> dict[str, Any]:
            url = admin_root(client, base_url) + SESSIONS
            return answer("POST", url, await client.post(url, json=_opening(ttl_seconds, name)))

        async def dropped(data: dict[str, Any]) -> None:
            await cls(client, data, base_url=base_url)._run_async_drop()

        try:
            data = await shielded(SHIELD_SECONDS, opened, undo=dropped)
        except BaseException:
            if owns_client:
                await client.aclose()
            raise
        return cls(client, data, base_url=base_url, owns_client=owns_client)

    async def info(self) -> dict[str, Any]:
        """:meth:`Session.info`, awaited."""
        return await self._run(self._info())

    async def close(self) -> None:
        """Drop the session and everything it holds. Idempotent. Shielded: a cancelled test's
        ``async with`` still drops its session (a cancellation holds until its scope ends, under
        anyio and trio, and stopped the drop too; a plain asyncio one, ``asyncio.timeout``,
        stopped it halfway)."""
        await shielded(SHIELD_SECONDS, self._closing)

    async def _closing(self) -> None:
        try:
            await self._run_async_drop()
        finally:
            client = self._client.to_close(self._owns_client)
            if client is not None:
                await client.aclose()

    async def _run_async_drop(self) -> None:
        with self._dropped():
            await self._run(self._dropping())

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class AsyncSessionOpening:
    """A session about to open, as ``MockServer.async_session()`` gives it: in ``async with``,
    the session, dropped at the block's end; awaited, the session (``await session.close()``
    drops it)."""

    def __init__(self, opening: Callable[[], Coroutine[Any, Any, AsyncSession]]) -> None:
        self._opening = opening
        self._session: AsyncSession | None = None

    def __await__(self) -> Generator[Any, None, AsyncSession]:
        return self._opening().__await__()

    async def __aenter__(self) -> AsyncSession:
        self._session = await self._opening()
        return self._session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
