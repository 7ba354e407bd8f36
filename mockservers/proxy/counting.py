"""The bytes each call to an upstream read off its connection: whether the vendor had begun to
answer a call whose connection then failed (``HTTP/1.1 201 Cre`` and closed), which httpcore's
error does not tell ("Server disconnected without sending a response" either way), and which
decides whether the call may go once more (:meth:`~mockservers.proxy.forward.Upstream.send`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx


@dataclass
class Counted:
    """What one call wrote and read on the connections it went on."""

    written: int = 0
    read: int = 0


_CALL: ContextVar[Counted | None] = ContextVar("mockservers_upstream_call", default=None)
"""The call the running task sends: httpcore reads and writes in the task of the request."""


@contextmanager
def counting(counted: Counted) -> Iterator[None]:
    """Count what the running task's calls write and read, while in it, into ``counted``."""
    token = _CALL.set(counted)
    try:
        yield
    finally:
        _CALL.reset(token)


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self.stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = await self.stream.read(max_bytes, timeout)
        if (counted := _CALL.get()) is not None:
            counted.read += len(data)
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if (counted := _CALL.get()) is not None:
            counted.written += len(buffer)
        await self.stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self.stream.aclose()

    async def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self.stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self.stream.get_extra_info(info)


class _Backend(httpcore.AsyncNetworkBackend):
    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self.backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(
            await self.backend.connect_tcp(host, port, timeout, local_address, socket_options)
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self.backend.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


def counting_transport(**options: Any) -> httpx.AsyncHTTPTransport:
    """httpx's transport (``options`` as it takes them) on connections that count what each
    call writes and reads. httpx passes httpcore no network backend: its pool is given one."""
    transport = httpx.AsyncHTTPTransport(**options)
    pool = transport._pool
    pool._network_backend = _Backend(pool._network_backend)
    return transport
