"""httpx transports that call an ASGI app in-process, as a socket would where a connector's
error handling is tested: the client's read timeout applies (``httpx.ReadTimeout``, a
``latency`` fault longer than it); a ``drop`` fault answers the status and headers the kit
started with, then fails the body's read with an ``httpx.RemoteProtocolError`` (over a
socket, uvicorn has sent them before the connection closes); and a request's ``target``
extension is the path and query the app gets. httpx's own ``ASGITransport`` waits a latency
out, lets the kit's ``DroppedConnection`` through and ignores ``target``
(``/quoparts/x/../ws_quoparts.php`` reached the app as ``/quoparts/ws_quoparts.php``).

``SyncASGITransport`` for sync clients and tests (httpx's is async-only): one event loop runs
in a background thread (an anyio blocking portal) for the transport's lifetime.
``AsyncASGITransport`` for async ones, on the caller's loop.

No server adds a ``Date`` here: the kit's app dates its answers on its own clock
(``kit_dates``), as under ``MockServer``.

With ``lifespan=True`` the transport also runs the app's lifespan, as a server would: startup
before the first request, shutdown on ``close()`` (an app on a shared store connects and lets
go of its connections there).

Neither crosses a fork: a process forked from the one that made the transport holds a copy of
the kit of its own, which the parent never sees, and the sync transport's loop thread is not in
it (a call waited for it for ever). A call there raises ``RuntimeError`` at once.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

import anyio
import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from mockservers.app import kit_dates
from mockservers.core.errors import DroppedConnection
from mockservers.core.inprocess import TargetASGITransport

_FORKED = (
    "an in-process kit does not cross a fork: the child holds its own copy; serve the kit over"
    " a socket (MockServer) to share it"
)


def _check_process(pid: int) -> None:
    """Raise ``RuntimeError`` in any process but ``pid`` (one forked from it)."""
    if os.getpid() != pid:
        raise RuntimeError(_FORKED)


class SyncASGITransport(httpx.BaseTransport):
    def __init__(
        self,
        app: Any,
        client: tuple[str, int] = ("127.0.0.1", 50000),
        *,
        lifespan: bool = False,
    ) -> None:
        self._app = app
        self._inner = TargetASGITransport(app=app, client=client)
        kit_dates(app)
        self._lifespan = lifespan
        self._pid = os.getpid()
        self._portal: BlockingPortal | None = None
        self._stop: weakref.finalize | None = None
        self._starting = threading.Lock()  # threads whose first calls meet start one loop

    def _ensure_portal(self) -> BlockingPortal:
        with self._starting:
            return self._portal or self._start_portal()

    def _start_portal(self) -> BlockingPortal:
        if self._portal is None:
            started = start_blocking_portal()
            portal = started.__enter__()
            running = None
            if self._lifespan:
                running = self._app.router.lifespan_context(self._app)
                portal.call(running.__aenter__)
            self._portal = portal
            # Stopped by close(), when the transport is collected, or else at the interpreter's
            # exit: a portal still running at finalisation hung the exit (its cleanup waits for
            # a loop thread that no longer runs), a test run that passed never ending.
            self._stop = weakref.finalize(self, _stop_portal, started, portal, running, self._pid)
        return self._portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """As over a socket: the client's read timeout applies (``httpx.ReadTimeout``), a
        ``drop`` fault's body fails to read (``RemoteProtocolError``), and the body stays
        encoded as the app sent it (httpx decodes it once, on reading)."""
        _check_process(self._pid)
        portal = self._ensure_portal()
        body = request.read()

        async def call() -> Answered:
            async_request = httpx.Request(
                request.method,
                request.url,
                headers=request.headers,
                content=body,
                extensions=request.extensions,
            )
            return await _as_over_a_socket(self._inner, async_request, request)

        status, headers, content = portal.call(call)
        body = content if isinstance(content, _Dropped) else _Body(content)
        return httpx.Response(status, headers=headers, stream=body, request=request)

    def close(self) -> None:
        if self._stop is not None:
            self._stop()  # runs once, whoever calls it first
            self._stop = None
            self._portal = None


class AsyncASGITransport(httpx.AsyncBaseTransport):
    """An async httpx transport that calls the app in-process, as a socket would (above)."""

    def __init__(self, app: Any, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self._inner = TargetASGITransport(app=app, client=client)
        self._pid = os.getpid()
        kit_dates(app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _check_process(self._pid)
        status, headers, content = await _as_over_a_socket(self._inner, request, request)
        body = content if isinstance(content, _Dropped) else httpx.ByteStream(content)
        return httpx.Response(status, headers=headers, stream=body)

    async def aclose(self) -> None:
        await self._inner.aclose()


Answered = tuple[int, list[tuple[bytes, bytes]], "bytes | _Dropped"]
"""An answer read whole: status, raw headers, the body as the app sent it (or, a ``drop``
fault's, a body whose read fails)."""


async def _as_over_a_socket(
    inner: TargetASGITransport, sent: httpx.Request, request: httpx.Request
) -> Answered:
    """The app's answer to ``sent``, read whole within the read timeout of ``request`` (the
    caller's own): ``httpx.ReadTimeout`` past it; for a dropped connection, the start the app
    sent and a body whose read fails, as a socket's does (response hooks and a stream see the
    status first). The body stays encoded as the app sent it (httpx decodes it once, on
    reading)."""
    read = (request.extensions.get("timeout") or {}).get("read")
    try:
        with anyio.fail_after(read) if read is not None else nullcontext():
            response = await inner.handle_async_request(sent)
            content = b"".join([chunk async for chunk in response.aiter_raw()])
    except TimeoutError:
        raise httpx.ReadTimeout(f"no answer within {read} s", request=request) from None
    except DroppedConnection as dropped:
        return dropped.status, dropped.headers, _Dropped(dropped.headers, request)
    return response.status_code, response.headers.raw, content


class _Body(httpx.SyncByteStream):
    """An answer's bytes as the app sent them, read (and decoded) by the client as from a
    socket: a response built on the bytes themselves decodes them at once."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    def __iter__(self) -> Iterator[bytes]:
        yield self.content


class _Dropped(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The body of an answer a ``drop`` fault cut off after its start: reading it raises
    ``httpx.RemoteProtocolError``, as httpx's read from a connection closed mid-answer does."""

    def __init__(self, headers: list[tuple[bytes, bytes]], request: httpx.Request) -> None:
        self.expected = next((v for k, v in headers if k.lower() == b"content-length"), b"?")
        self.request = request

    def __iter__(self) -> Iterator[bytes]:
        message = (  # httpcore's words
            "peer closed connection without sending complete message body (received 0 bytes,"
            f" expected {self.expected.decode('latin-1')})"
        )
        raise httpx.RemoteProtocolError(message, request=self.request)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self:  # raises, as the sync read does
            yield chunk


def _stop_portal(
    started: Any,
    portal: BlockingPortal,
    running: AbstractAsyncContextManager[Any] | None,
    pid: int,
) -> None:
    """The app's lifespan shut down (if the transport ran it), then the portal's loop; nothing
    in a forked process (closing, or exiting), which has no loop thread to wait for."""
    if os.getpid() != pid:
        return
    if running is not None:
        portal.call(running.__aexit__, None, None, None)
    started.__exit__(None, None, None)
