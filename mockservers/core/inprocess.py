"""httpx's in-process ASGI transport, giving the app the request target a call names.

Over a socket, httpx sends the ``target`` extension as the request line's target: that is how
the proxy sends a path with ``.``/``..`` segments as the connector wrote it (httpx's URL drops
them). httpx's ``ASGITransport`` ignores the extension and builds the scope from the URL, so an
app called in-process (the proxy's shadow fake, the testing transports) was asked for another
path than the one sent. :class:`TargetASGITransport` builds it from the target, as uvicorn does.
"""

from __future__ import annotations

from urllib.parse import unquote

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send


class TargetASGITransport(httpx.ASGITransport):
    """``httpx.ASGITransport``, with the scope's ``raw_path``, ``path`` and ``query_string``
    taken from a request's ``target`` extension when it has one (an origin-form target:
    ``/path?query``)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = request.extensions.get("target")
        if not (isinstance(target, bytes) and target.startswith(b"/")):
            return await super().handle_async_request(request)
        inner = httpx.ASGITransport(
            _as_sent(self.app, target), self.raise_app_exceptions, self.root_path, self.client
        )
        return await inner.handle_async_request(request)


def _as_sent(app: ASGIApp, target: bytes) -> ASGIApp:
    """``app``, called with the path and query of ``target`` (the path percent-decoded as
    uvicorn decodes it)."""
    raw_path, _, query = target.partition(b"?")
    path = unquote(raw_path.decode("latin-1"))

    async def called(scope: Scope, receive: Receive, send: Send) -> None:
        sent = {**scope, "raw_path": raw_path, "path": path, "query_string": query}
        await app(sent, receive, send)

    return called
