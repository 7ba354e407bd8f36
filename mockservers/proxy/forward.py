"""One call, forwarded to the real vendor as the connector sent it, and the vendor's answer.

Unchanged means: the method, the path under the vendor's prefix (as the client encoded it, dot
segments such as ``/a/../b`` kept: httpx's URL drops them, so the request target goes as
httpx's ``target`` extension), the query string byte for byte, every end-to-end header and the
body; only what belongs to one connection goes (the hop-by-hop headers of RFC 7230 §6.1, and
those ``Connection`` names) and ``Host`` becomes the upstream's, and ``Accept-Encoding`` names
only the codings the proxy can read (gzip, deflate): a ``br`` answer would pass through
unchecked, its JSON unseen. The same holds for the answer on its way back.

The request body is passed on as it arrives, chunk by chunk, and kept (the journal, the shadow
and the recording need it); past the kit's ``max_body_bytes`` the call stops with
:class:`TooLarge`. The answer is read the same way, within the same limit, before any of it goes
back (the verdict on it decides nothing, but the limit must be known before the status is).
The whole exchange, from the request's first byte to the answer's last, has a deadline
(``[kit.proxy] deadline_seconds``): the timeouts bound each wait alone, and an upstream that
trickles its answer a byte at a time would hold the call for as long as it liked.

Connections to the upstream are kept between calls (:data:`POOLED`); httpcore drops an idle one
the server has closed (its end readable) before it reuses it. A server may still close one just
as a call goes on it: an idempotent call (:data:`IDEMPOTENT`: QuoParts's login) that got not a
byte of answer there goes once more, on a connection of its own, its body as kept (the connector
would get a 502 the vendor never sent). Only a closed or reset connection: a call that timed out
waiting for its answer is a 502, the vendor may be working on it. A call that is not idempotent
(every vendor's POST, which writes) is never sent again (RFC 9110 §9.2.2: "A proxy MUST NOT
automatically retry non-idempotent requests"): the vendor may have applied it before it closed,
and the call went twice while the connector saw one; its 502 says it was not sent again
(:class:`NotResent`).
"""

from __future__ import annotations

import asyncio
import base64
import math
import ssl
import urllib.request
import weakref
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import httpx
from starlette.requests import ClientDisconnect
from starlette.types import Receive

from mockservers.core import learned
from mockservers.core.http import IDLE_CONNECTION_SECONDS
from mockservers.proxy.counting import Counted, counting, counting_transport

RawHeaders = list[tuple[bytes, bytes]]

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
"""RFC 7230 §6.1 (and the old ``Proxy-Connection``): one connection's business, never passed on."""

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
"""How long the upstream may take: to connect, and between two reads or writes."""

POOLED = httpx.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=IDLE_CONNECTION_SECONDS
)
"""httpx's limits, but an idle connection is given up before the upstream gives it up."""
FRESH = httpx.Limits(max_keepalive_connections=0)
"""A client whose every call opens a connection of its own (a retry's)."""

CLOSED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
"""httpx's errors for a connection the upstream closed or reset, the only failure of a reused
connection a call goes once more for. Never a timeout: a vendor slow to answer has the call,
and a POST sent again was written twice (the connector waiting twice the read timeout)."""

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
"""RFC 9110 §9.2.2's idempotent methods: the only calls sent once more after a reused connection
closed without a byte of answer."""

CA_HINT = " (a server with a CA of its own: --cacert FILE)"
"""What a certificate the kit could not verify calls for."""


class TooLarge(Exception):
    """The request's body past ``max_body_bytes``: the vendor's 413, nothing sent upstream."""


class AnswerTooLarge(TooLarge):
    """The upstream's answer past ``max_body_bytes``: the vendor's 502."""


class Overdue(Exception):
    """The exchange with the upstream not over within its deadline: the vendor's 502."""


class NotResent(httpx.TransportError):
    """A call that is not idempotent whose connection the upstream closed or reset before a byte
    of answer (the error that said so: its ``__cause__``): the vendor's 502, saying the call was
    not sent again and may have been applied."""


READABLE_CODINGS = frozenset({b"gzip", b"x-gzip", b"deflate", b"identity"})
"""The content codings the proxy decompresses to check and journal an answer."""


def readable_codings(headers: RawHeaders) -> RawHeaders:
    """``Accept-Encoding`` without the codings the proxy cannot read (``br``, ``zstd``); the
    connector still gets an answer it said it accepts."""
    kept: RawHeaders = []
    for name, value in headers:
        if name.lower() == b"accept-encoding":
            tokens = [t.strip() for t in value.split(b",")]
            readable = [t for t in tokens if t.split(b";")[0].strip().lower() in READABLE_CODINGS]
            value = b", ".join(readable) or b"identity"
        kept.append((name, value))
    return kept


def end_to_end(headers: Iterable[tuple[bytes, bytes]], *drop: str) -> RawHeaders:
    """``headers`` without the hop-by-hop ones, those the ``Connection`` header names, and
    ``drop`` (lower-case names)."""
    headers = list(headers)
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.decode("latin-1").split(",")
    }
    gone = HOP_BY_HOP | named | set(drop)
    return [(k, v) for k, v in headers if k.decode("latin-1").lower() not in gone]


class Body:
    """The request body, read from the ASGI messages as it comes and kept, within ``limit``."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive = receive
        self.limit = limit
        self.chunks: list[bytes] = []
        self.size = 0
        self.done = False

    async def stream(self) -> AsyncIterator[bytes]:
        while not self.done:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            self.size += len(chunk)
            if self.size > self.limit:
                raise TooLarge(f"the request body is larger than {self.limit} bytes")
            self.chunks.append(chunk)
            self.done = not message.get("more_body", False)
            if chunk:
                yield chunk

    async def read(self) -> bytes:
        async for _ in self.stream():
            pass
        return self.bytes

    @property
    def bytes(self) -> bytes:
        return b"".join(self.chunks)


@dataclass(frozen=True)
class Target:
    """Where one call goes upstream."""

    url: httpx.URL
    """What httpx connects to (its path without dot segments)."""
    raw: bytes
    """The request target sent: the upstream's base path, then the path and query as the
    connector sent them."""
    base: bytes
    """The upstream's base path, which ``raw`` starts with (``/api`` of
    ``https://vendor.example/api``): the vendor's prefix stands for it in the kit's URLs."""

    @property
    def extensions(self) -> dict[str, bytes]:
        """httpx's request extensions that send ``raw`` as the request target (none where the
        URL's own path is it)."""
        return {"target": self.raw} if self.raw != self.url.raw_path else {}

    @property
    def path(self) -> bytes:
        """The path sent after the upstream's base path, without the query: what follows the
        vendor's prefix in the kit's own URLs."""
        return self.raw.partition(b"?")[0].removeprefix(self.base)

    @property
    def shown(self) -> str:
        """The URL as sent, without user:password (a recording keeps no credential)."""
        return f"{self.url.scheme}://{self.url.netloc.decode('ascii')}{self.raw.decode('latin-1')}"


@dataclass
class Answer:
    """The upstream's answer: end-to-end headers, the body as received (``raw``, any
    ``Content-Encoding`` kept, for the client) and decoded (``body``, for everything else)."""

    status: int
    headers: RawHeaders
    raw: bytes
    body: bytes
    http_version: str

    def header(self, name: str) -> str:
        wanted = name.encode("latin-1")
        return next((v.decode("latin-1") for k, v in self.headers if k.lower() == wanted), "")


class Upstream:
    """One vendor's real service: its base URL, and HTTP clients per event loop (a client's
    connections belong to the loop that opened them)."""

    def __init__(
        self,
        vendor: str,
        base_url: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        deadline: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        trusted: ssl.SSLContext | None = None,
    ) -> None:
        self.vendor = vendor
        given = httpx.URL(base_url.rstrip("/"))
        self.base = given.copy_with(username=None, password=None)
        """The base URL without its user:password: every URL the proxy calls is made from it,
        and httpx logs each one (its request line showed the password in clear)."""
        self.credential = (given.username, given.password)
        """The base URL's user and password, escapes undone ("" where it has none)."""
        self.auth = httpx.BasicAuth(*self.credential) if any(self.credential) else None
        """Sent as HTTP Basic (UTF-8) on every call, as httpx sent a URL's own user:password:
        an ``Authorization`` that replaces a connector's."""
        self.timeout = timeout
        self.deadline = deadline
        """How long one call may take in all, in seconds (None: no deadline)."""
        self.transport = transport
        self.trusted = trusted
        """The SSL context to verify the upstream with (``--cacert``); None: httpx's."""
        self.as_sent = transport is not None or not _environment_proxy(self.base.scheme)
        """Whether the request target goes as the connector sent it (see :meth:`target`)."""
        self._clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[bool, httpx.AsyncClient]
        ]
        self._clients = weakref.WeakKeyDictionary()

    @property
    def shown(self) -> str:
        """The base URL without any user:password in it (what the journal and banner show)."""
        return str(self.base)

    @cached_property
    def secrets(self) -> list[str]:
        """The secret values of the base URL's user:password, sent as HTTP Basic (:attr:`auth`)
        on every call: learned as a connector's own ``Basic`` credential is (the header,
        its base64, ``user:password`` and the password), since no header the proxy was given
        holds them and a vendor's answer may quote them all the same."""
        if self.auth is None:
            return []
        credential = base64.b64encode(":".join(self.credential).encode()).decode("ascii")
        return learned.secrets_of(request_headers=[("Authorization", f"Basic {credential}")])

    def target(self, raw_path: bytes, query: bytes) -> Target:
        """Where a path under the vendor's prefix (encoded as the client sent it) and a query
        string go, kept byte for byte. Through a proxy named in the environment, they go as
        httpx's URL has them (dot segments dropped): httpcore hands the ``target`` extension
        on to the proxy's own request (a ``CONNECT`` would ask for the path). A target starts
        with ``/``: the bare prefix of a vendor whose base URL has no path is the vendor's ``/``
        (an empty target was a 502 the proxy caused itself, and ``?a=1`` went as ``GET ?a=1``)."""
        base_path = self.base.raw_path.split(b"?")[0].rstrip(b"/")
        path = base_path + raw_path
        raw = (path if path.startswith(b"/") else b"/" + path) + (b"?" + query if query else b"")
        url = self.base.copy_with(raw_path=raw)
        return Target(url, raw if self.as_sent else url.raw_path, base_path)

    def client(self, fresh: bool = False) -> httpx.AsyncClient:
        """The loop's client; ``fresh``: the one whose every call opens a connection of its own
        (a retry's)."""
        clients = self._clients.setdefault(asyncio.get_running_loop(), {})
        found = clients.get(fresh)
        if found is None:
            # No client defaults (User-Agent, Accept...): requests are built whole, and sent as
            # built. No redirect is followed: the connector sees the vendor's 3xx itself.
            limits, verify = FRESH if fresh else POOLED, self.trusted or True
            transport = self.transport
            if transport is None and self.as_sent:  # given one, httpx reads no proxy variable
                transport = counting_transport(verify=verify, limits=limits)
            found = httpx.AsyncClient(
                timeout=self.timeout, transport=transport, verify=verify, limits=limits
            )
            clients[fresh] = found
        return found

    async def send(
        self, method: str, target: Target, headers: RawHeaders, content: Body | bytes, limit: int
    ) -> Answer:
        """Send the request (``content``: the connector's body, passed on as it comes); the
        answer read within ``limit`` (:class:`AnswerTooLarge` beyond) and within the deadline
        (:class:`Overdue` past it)."""
        try:
            async with asyncio.timeout(self.deadline):
                return await self._send(method, target, headers, content, limit)
        except TimeoutError:
            raise Overdue(
                f"no whole answer within {self.deadline:g} s ([kit.proxy] deadline_seconds)"
            ) from None

    async def _send(
        self, method: str, target: Target, headers: RawHeaders, content: Body | bytes, limit: int
    ) -> Answer:
        def request(body: Any, trace: Any = None) -> httpx.Request:
            extensions: dict[str, Any] = {**target.extensions}
            if trace is not None:
                extensions["trace"] = trace
            return httpx.Request(
                method, target.url, headers=headers, content=body, extensions=extensions
            )

        used = _Connection()
        streamed = content.stream() if isinstance(content, Body) else content
        sent = request(streamed, used.trace)
        with counting(used.counted):
            try:
                response = await self.client().send(sent, auth=self.auth, stream=True)
            except httpx.TransportError as exc:
                if not (isinstance(exc, CLOSED) and used.unanswered):
                    raise
                if method.upper() not in IDEMPOTENT:
                    raise NotResent(
                        f"not sent again, as no {method.upper()} is (RFC 9110 9.2.2: it is not"
                        " idempotent): the vendor may or may not have applied it",
                        request=sent,
                    ) from exc
                if not used.reused:  # a connection of its own: the vendor dropped the call
                    raise
                # The upstream closed an idle connection as the proxy reused it: once more, on a
                # connection of its own, the body read whole (what was passed on of it is kept).
                again = content if isinstance(content, bytes) else await content.read()
                response = await self.client(fresh=True).send(
                    request(again), auth=self.auth, stream=True
                )
        try:
            chunks, size = [], 0
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size > limit:
                    raise AnswerTooLarge(f"the upstream's answer is larger than {limit} bytes")
                chunks.append(chunk)
        finally:
            await response.aclose()
        raw = b"".join(chunks)
        received = end_to_end(response.headers.raw)
        body = raw
        if response.headers.get("content-encoding"):
            body = decoded(response.status_code, received, raw, limit)
        return Answer(response.status_code, received, raw, body, response.http_version)

    async def aclose(self) -> None:
        for clients in list(self._clients.values()):
            for client in clients.values():
                await client.aclose()
        self._clients.clear()


class _Connection:
    """What httpcore's trace tells of the connection a request went on, and what the request
    wrote and read on it."""

    def __init__(self) -> None:
        self.connected = False
        self.sent = False
        self.counted = Counted()

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        self.connected |= event.endswith("connect_tcp.started")
        self.sent |= event.endswith("send_request_headers.started")

    @property
    def reused(self) -> bool:
        """Whether the request went on a connection an earlier one had opened."""
        return self.sent and not self.connected

    @property
    def unanswered(self) -> bool:
        """Whether the request was written and its connection failed before a byte of an
        answer came (closed or reset, :data:`CLOSED`: the byte counts cannot tell a timeout
        from a close): "HTTP/1.1 201 Cre" and closed is an answer begun, which
        httpcore calls "Server disconnected without sending a response" all the same. A call
        on connections that count nothing (a transport of the caller's, a proxy the
        environment names) is not known unanswered."""
        return self.counted.written > 0 and self.counted.read == 0


_TIME_LIMITS = (
    (httpx.ConnectTimeout, "connect", "no connection within"),
    (httpx.ReadTimeout, "read", "no byte within"),
    (httpx.WriteTimeout, "write", "no byte of the request taken within"),
    (httpx.PoolTimeout, "pool", "no free connection within"),
)
"""httpx's timeouts: which of the limits ran out (a ``httpx.Timeout`` field), and what it means."""


def unanswered(exc: Exception, timeout: httpx.Timeout) -> str:
    """Why a call got no answer (``exc``, raised under ``timeout``), after httpx's name for it:
    which time limit ran out and its value, or that the upstream closed or reset the
    connection (httpx says nothing of either), and whether the call was sent again."""
    if isinstance(exc, NotResent) and isinstance(exc.__cause__, Exception):
        return f"{unanswered(exc.__cause__, timeout).rstrip('.')}; {exc}"
    name = type(exc).__name__
    for kind, limit, words in _TIME_LIMITS:
        seconds = getattr(timeout, limit)
        if isinstance(exc, kind) and seconds is not None:  # (None: a transport's own limit)
            return f"{name}: {words} {seconds:g} s (the {limit} timeout)"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        said = f" ({exc})" if str(exc) else ""
        return f"{name}: the upstream closed or reset the connection{said}"
    return f"{name}: {exc}".rstrip(": ")


def with_hint(why: str) -> str:
    """Why a call failed, and for a certificate the kit could not verify, the option it needs."""
    return why + CA_HINT if "CERTIFICATE_VERIFY_FAILED" in why else why


def _environment_proxy(scheme: str) -> bool:
    """Whether httpx may send a call to a URL of ``scheme`` through a proxy the environment
    names (``HTTPS_PROXY``, ``ALL_PROXY``: it reads them with urllib's ``getproxies``), as far
    as the call can tell: ``NO_PROXY`` is not read (such a call loses only its dot segments)."""
    found = urllib.request.getproxies()
    return bool(found.get(scheme) or found.get("all"))


class _Pieces(httpx.SyncByteStream):
    """Bytes handed over a piece at a time: a response built on them decodes as it is read
    (one built on the bytes whole decodes them all at once)."""

    def __init__(self, raw: bytes, size: int = 16384) -> None:
        self.raw = raw
        self.size = size

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.raw), self.size):
            yield self.raw[start : start + self.size]


def decoded(status: int, headers: RawHeaders, raw: bytes, limit: float = math.inf) -> bytes:
    """The answer's body as the checks and the journal read it, decompressed within ``limit``
    (:class:`AnswerTooLarge` beyond: 194 KB of gzip unpacked to 200 MB); the bytes as sent when
    they cannot be decompressed (the connector gets them unchanged, and the checks find no
    JSON in them)."""
    response = httpx.Response(status, headers=headers, stream=_Pieces(raw))
    parts, size = [], 0
    try:
        for part in response.iter_bytes():
            size += len(part)
            if size > limit:
                raise AnswerTooLarge(f"the upstream's answer decompresses past {limit} bytes")
            parts.append(part)
    except httpx.DecodingError:
        return raw
    return b"".join(parts)
