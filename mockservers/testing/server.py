"""``MockServer``: the kit under uvicorn on a free loopback port, in a background thread.

```python
with MockServer() as server:
    client = QuoPartsClient(server.base_url("quoparts"), "demo", "demo")
    server.advance(3600)          # expire tokens through the kit's clock
    server.requests(vendor="quoparts")
    with server.session() as session:   # a test's own accounts, clock, faults, journal
        ...
    async with server.async_session() as session:   # the same, awaited
        ...
```

The server's own admin methods address the global scope; its reads without a session (the
journal, ``count``/``verify``, faults, coverage) see the whole kit, sessions included.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from clients.tls import verify_for
from mockservers import logs
from mockservers.app import SERVER_OPTIONS, create_app, kit_dates
from mockservers.config import Config
from mockservers.core.http import IDLE_CONNECTION_SECONDS
from mockservers.testing.perprocess import PerProcess
from mockservers.testing.report import CoverageTally
from mockservers.testing.scope import AdminScope
from mockservers.testing.session import AsyncSession, AsyncSessionOpening, Session

STOP_GRACE_SECONDS = 1
"""How long ``stop`` lets calls in flight finish before it cancels them."""

NOT_STARTED = "start the server first (use it as a context manager or call start())"


def admin_headers(app: Starlette) -> dict[str, bytes]:
    """``X-Admin-Token`` with the kit's admin token, when it has one: as UTF-8 bytes, as the
    kit reads it (httpx would encode text as ASCII, and refuse ``tök``)."""
    config = getattr(app.state, "config", None)  # an app of the kit's has one
    token = config.admin_token if config is not None else None
    return {"X-Admin-Token": token.encode()} if token else {}


class MockServer(AdminScope):
    """The kit on a free loopback port. Its methods act on the global scope; ``session()``
    opens a session on it."""

    def __init__(
        self, config: Config | dict[str, Any] | None = None, *, app: Starlette | None = None
    ) -> None:
        self.app = app if app is not None else create_app(config)
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._admin: PerProcess[httpx.Client] | None = None
        self.url = ""
        self.closed_sessions: CoverageTally | None = None
        """When set (the pytest plugin's ``--mockservers-coverage``), each session opened by
        ``session()`` or ``async_session()`` adds its coverage here as it closes (closing
        forgets it on the server)."""

    def start(self) -> MockServer:
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on connections whose socket says
        # TCP, and without it each answer's body waited ~40 ms for the client's delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)  # connections queue from now on, even before uvicorn accepts
        self._socket = sock
        port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        # A test ends with calls still in flight (a latency fault outlasting the client's
        # timeout): stop waits a second for them, not serve's ten.
        options = {**SERVER_OPTIONS, "timeout_graceful_shutdown": STOP_GRACE_SECONDS}
        if not kit_dates(self.app):  # an app of someone else's: uvicorn's Date stays
            del options["date_header"]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", **options)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="mockserver"
        )
        logs.install()
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the mock server did not start")
            time.sleep(0.005)
        self._admin = PerProcess(httpx.Client(**self._client_options()))
        return self

    def _client_options(self) -> dict[str, Any]:
        """What a client of the admin API is built with, sync or async: the server's URL, the
        kit's admin token (a team's ``kit.toml`` sets one: every helper was a 401) and, the URL
        being plain http, the TLS context every such client shares (httpx built one for each,
        loading certifi's CA bundle: 90 % of what a session cost)."""
        return {
            "base_url": self.url,
            "timeout": 10,
            "headers": admin_headers(self.app),
            "verify": verify_for(self.url),
            # An idle connection given up before the server's keep-alive ends: a call on one
            # the server was closing failed with "Server disconnected" (a fixture's reset).
            "limits": httpx.Limits(keepalive_expiry=IDLE_CONNECTION_SECONDS),
        }

    def stop(self) -> None:
        """Stop serving, and close the kit's state file (``create_app(state_file=...)``): the
        server runs no lifespan, whose end would close it, and another kit may then open the
        file (a restart in place). A kit with a state file is started once."""
        client = self._admin.to_close(True) if self._admin is not None else None
        if client is not None:
            client.close()
        self._admin = None  # an admin call or a session after this: NOT_STARTED
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        state_file = getattr(self.app.state, "state_file", None)
        if state_file is not None:
            state_file.close()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _admin_client(self) -> httpx.Client:
        return self._started().get()

    def _started(self) -> PerProcess[httpx.Client]:
        """The admin client of a running server; ``RuntimeError`` before ``start()`` or after
        ``stop()`` (an ``assert`` was an ``AttributeError`` under ``python -O``)."""
        if self._admin is None:
            raise RuntimeError(NOT_STARTED)
        return self._admin

    def base_url(self, vendor: str) -> str:
        """A vendor's base URL on this server (``RuntimeError`` before ``start()``: it was a
        bare ``/quoparts``, which a client took for a relative URL)."""
        if not self.url:
            raise RuntimeError(NOT_STARTED)
        return f"{self.url}/{vendor}"

    def session(self, *, ttl_seconds: float | None = None, name: str | None = None) -> Session:
        """A new session on this server: fresh accounts on every vendor, its own state, tokens,
        windows, journal, faults and clock. Close it (or use it as a context manager) to drop
        it; it has its own HTTP client, so threads may each drive one."""
        self._started()
        session = Session.open(
            httpx.Client(**self._client_options()),
            base_url=self.url,
            ttl_seconds=ttl_seconds,
            name=name,
            owns_client=True,
        )
        session.tally = self.closed_sessions  # its resets and its closing count what it met
        return session

    def async_session(
        self, *, ttl_seconds: float | None = None, name: str | None = None
    ) -> AsyncSessionOpening:
        """The async twin of :meth:`session`, for a test on an event loop: the same session,
        its admin calls awaited. ``async with server.async_session() as session`` drops it at
        the block's end; ``session = await server.async_session()`` leaves that to ``await
        session.close()``."""
        self._started()
        return AsyncSessionOpening(lambda: self._open_async_session(ttl_seconds, name))

    async def _open_async_session(
        self, ttl_seconds: float | None, name: str | None
    ) -> AsyncSession:
        session = await AsyncSession.open(
            httpx.AsyncClient(**self._client_options()),
            base_url=self.url,
            ttl_seconds=ttl_seconds,
            name=name,
            owns_client=True,
        )
        session.tally = self.closed_sessions
        return session
