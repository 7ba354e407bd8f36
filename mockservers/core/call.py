"""A call as a vendor endpoint sees it (``Call``: its body, query, headers, parsed JSON, the
kit's diagnosis of it) and how the pipeline reads it from ASGI: the body within the limit
(``read_body``), the query (``parse_query``), the headers by name (``CallHeaders``).
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope

from contracts.charsets import utf8_json
from contracts.infinite import loads
from mockservers.core.errors import KitError
from mockservers.core.faults import Fault
from mockservers.core.http import declared_beyond, too_deep
from mockservers.core.kit import Kit

Query = dict[str, str]
"""A call's query: blank values kept, a repeated key's last value wins (as Starlette's
``QueryParams`` reads by key)."""


class CallHeaders(dict[str, str]):
    """Request headers by lower-case name; a repeated header's first value (as Starlette's
    ``Headers.get``). ASGI servers send the names in lower case already."""

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        super().__init__()
        # header_text, spelt out: XTRA and TS Digital read their headers on every call, and a
        # call per value cost a third of the whole (a TS Digital call's six: 25,000 against
        # 17,000 instructions).
        for name, value in reversed(raw):  # the first of a repeated header's values wins
            value = value.strip(b" \t")
            try:
                text = value.decode()
            except UnicodeDecodeError:
                text = value.decode("latin-1")
            self[name.decode("latin-1")] = text

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return dict.get(self, key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return dict.__getitem__(self, key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and dict.__contains__(self, key.lower())


class Call:
    """One request as a vendor endpoint sees it: body already read within the limit."""

    __slots__ = (
        "_headers",
        "_json",
        "_raw_headers",
        "_utf8",
        "body",
        "charsets",
        "details",
        "kit",
        "operation",
        "query",
        "scope",
        "vendor",
    )

    def __init__(
        self,
        scope: Scope,
        vendor: str,
        operation: str,
        body: bytes,
        kit: Kit,
        query: Query,
        charsets: bool = False,
    ) -> None:
        self.scope = scope
        self.query = query
        self._headers: CallHeaders | None = None
        self._raw_headers: dict[bytes, bytes] | None = None
        self.vendor = vendor
        self.operation = operation
        self.body = body
        self.kit = kit
        self.details: list[str] | None = None  # most calls get no diagnosis: no list for them
        self._json: Any = _UNSET
        self.charsets = charsets  # read as an ASP.NET vendor reads it (``json_bytes``)
        self._utf8: bytes | None = None

    def explain(self, detail: str) -> None:
        """Add the kit's diagnosis of this call (which field, which rule): it goes to the
        ``X-Mockservers-Detail`` header and the journal, never into the vendor's body."""
        if self.details is None:
            self.details = []
        self.details.append(detail)

    def take_fault(self, kind: str) -> Fault | None:
        """A vendor-specific fault of ``kind`` matching this call, used up now: a vendor asks
        when the fault applies (so that, say, a refused call does not use it up)."""
        return self.kit.faults.take(self.vendor, self.operation, _kinds(kind))

    @property
    def headers(self) -> CallHeaders:
        """The request headers, names without case (read once into a dict: a vendor looks at
        several per call)."""
        if self._headers is None:
            self._headers = CallHeaders(self.scope["headers"])
        return self._headers

    def header_values(self, *names: bytes) -> list[str]:
        """The values of the named headers (lower-case names), "" for one not sent; a repeated
        header's first value. Only these are decoded: cheaper than ``headers`` for a vendor
        that reads a few on every call (KeepIT's credentials)."""
        raw = self._raw_headers
        if raw is None:
            raw = self._raw_headers = dict(reversed(self.scope["headers"]))
        # header_text, spelt out as ``header`` does: two calls per value were about 8,000
        # instructions of every KeepIT call (six values)
        values = []
        for name in names:
            value = raw.get(name, b"").strip(b" \t")
            try:
                values.append(value.decode())
            except UnicodeDecodeError:
                values.append(value.decode("latin-1"))
        return values

    def header(self, name: bytes) -> str | None:
        """One header's value (lower-case name), None when it was not sent; a repeated
        header's first value (``header_values``, for a vendor that tells an empty header from
        a missing one: XTRA's AccessToken decides when sent)."""
        raw = self._raw_headers
        if raw is None:
            raw = self._raw_headers = dict(reversed(self.scope["headers"]))
        value = raw.get(name)
        if value is None:
            return None
        value = value.strip(b" \t")  # header_text, spelt out as CallHeaders does (hot path)
        try:
            return value.decode()
        except UnicodeDecodeError:
            return value.decode("latin-1")

    @property
    def client_ip(self) -> str:
        client = self.scope.get("client")
        return client[0] if client else ""

    @property
    def json_bytes(self) -> bytes:
        """The bytes the body's JSON is read from: the body as sent or, for a vendor that reads
        ``charsets`` as ASP.NET does, in UTF-8, a UTF-8 BOM skipped and a declared UTF-16
        decoded (``contracts.charsets.utf8_json``)."""
        if not self.charsets:
            return self.body
        if self._utf8 is None:
            self._utf8 = utf8_json(self.body, self.header(b"content-type") or "")
        return self._utf8

    def json(self) -> Any:
        """The body parsed as JSON (``json_bytes``); ``KitError('malformed_json')`` when it is
        not."""
        if self._json is _UNSET:
            text = self.json_bytes
            try:
                value = loads(text)  # a number past a double's range as ±infinity
            except orjson.JSONDecodeError as exc:
                raise KitError("malformed_json", f"the body is not valid JSON: {exc}") from None
            limit = self.kit.max_json_depth
            if _may_nest_deeper(text, limit) and too_deep(value, limit):
                raise KitError("malformed_json", f"the JSON nests deeper than {limit} levels")
            self._json = value
        return self._json


_UNSET = object()
_COUNTED_BELOW = 4096
"""Bodies shorter than this have their brackets counted before the depth check."""


def _may_nest_deeper(body: bytes, limit: int) -> bool:
    """Whether the depth check must walk the parsed body. Each level opens a bracket, so a body
    with no more brackets than the limit (counted in native code, strings included) cannot be
    too deep; on a long body counting costs about as much as the check itself (12 against
    17 µs for a 100-row QuoParts import), so a long one is simply checked."""
    if len(body) >= _COUNTED_BELOW:
        return True
    return body.count(b"{") + body.count(b"[") > limit


@cache
def _kinds(kind: str) -> frozenset[str]:
    return frozenset((kind,))


async def read_body(receive: Receive, scope: Scope, limit: int) -> bytes:
    """The body, read from the ASGI messages, at most ``limit`` bytes (``KitError`` 413). One
    declared longer is refused before any of it is read: uvicorn answers ``Expect:
    100-continue`` on the first ``receive``, so such a client is told before it sends the body,
    not after. A one-message body costs one ``receive``."""
    if declared_beyond(scope["headers"], limit):
        raise _too_large(limit)
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientDisconnect()
    chunk = message.get("body", b"")
    if not message.get("more_body", False):
        if len(chunk) > limit:
            raise _too_large(limit)
        return chunk
    chunks = [chunk]
    size = len(chunk)
    while message.get("more_body", False):
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> KitError:
    return KitError("too_large", f"the body is larger than {limit} bytes", status=413)


def parse_query(raw: bytes) -> Query:
    """The query string as a plain dict, without ``parse_qsl``'s unquoting when nothing is
    quoted (every call's path)."""
    text = raw.decode("latin-1")
    if "%" in text or "+" in text:
        return dict(parse_qsl(text, keep_blank_values=True))
    query: Query = {}  # a plain loop: half the cost of a comprehension over a generator
    for part in text.split("&"):
        if part:
            key, _, value = part.partition("=")
            query[key] = value
    return query
