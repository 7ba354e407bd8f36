"""The endpoint of a forwarded prefix: one call to the real vendor and back, and what the proxy
makes of it on the way.

In order: the request goes to the upstream (``forward.py``); the shadow fake gets the same
call and the two answers are compared (``shadow.py``, with ``--shadow``); request and answer
are judged against the contracts (``contracts.messages.verdict``); the journal entry and the
shadow's count are kept as one transaction of the kit's store; the exchange is recorded
(``record.py``, with ``--record``); the answer goes back to the connector as the vendor sent
it (given a ``Date`` when it came without one, as a proxy adds one; the vendor's own URLs and
cookie paths made the proxy's, ``reverse.py``; no ``Content-Length`` on an answer that has no
body; ``Content-Security-Policy: sandbox``, below). The work on a large answer runs off the
event loop (``offload.py``). An upstream that does not answer (or answers beyond the limit, or
past the deadline) gets the vendor's 502, a request body beyond the limit its 413, a web
page's call the proxy will not forward (``ProxyApp``) its 403, each journalled as the proxy's
answer.

The proxy's origin is the admin API's: a page of the vendor's (a help page, a reflected
script) served through it could drive the admin API as its own origin. Every forwarded answer
is sandboxed (a browser runs no script of it, and gives it an origin of its own); connectors
ignore the header, and the journal and the recording keep the vendor's headers as they came.

Violation messages, differences and details are scrubbed of the exchange's secret values (the
journal masks by name; a message quoting a body would not be masked by name); a 502's detail of
every secret the proxy remembers too (``known.py``: httpcore's error may quote an earlier
answer).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime
from functools import cached_property
from time import perf_counter
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from contracts.messages import verdict
from mockservers.core import compare, har, learned
from mockservers.core.call import CallHeaders, parse_query
from mockservers.core.codings import Content, coding_of, content_of
from mockservers.core.compare import Difference
from mockservers.core.errors import KitError
from mockservers.core.http import declared_beyond, host_of
from mockservers.core.journal_entry import Entry
from mockservers.core.kit import Kit
from mockservers.core.pipeline import DETAIL_HEADER, detail_header
from mockservers.core.route import UNKNOWN
from mockservers.core.shadows import ShadowSummary
from mockservers.core.shared import StoreUnavailable
from mockservers.core.vendor import Vendor
from mockservers.proxy.forward import (
    Answer,
    AnswerTooLarge,
    Body,
    Overdue,
    TooLarge,
    Upstream,
    end_to_end,
    readable_codings,
    unanswered,
    with_hint,
)
from mockservers.proxy.known import Known
from mockservers.proxy.offload import off_loop
from mockservers.proxy.record import HarFolder
from mockservers.proxy.reverse import Reverse
from mockservers.proxy.shadow import Shadow

SANDBOXED = (b"content-security-policy", b"sandbox")
"""What every forwarded answer carries: no script of it runs on the proxy's (the admin API's)
origin."""


class Call:
    """One call under a forwarded prefix, as the connector sent it."""

    def __init__(
        self, vendor: Vendor, upstream: Upstream, scope: Scope, receive: Receive, limit: int
    ) -> None:
        self.started_at, self.started = datetime.now(UTC), perf_counter()
        self.vendor = vendor
        self.upstream = upstream
        self.scope = scope
        prefix = f"/{vendor.name}"
        raw_path: bytes = scope.get("raw_path") or quote(scope["path"]).encode("latin-1")
        self.query: bytes = scope["query_string"]
        self.operation = operation_of(vendor, scope["path"], raw_path, self.query)
        self.headers: list[tuple[bytes, bytes]] = scope["headers"]
        self.sent_headers = readable_codings(end_to_end(self.headers, "host", "expect"))
        self.target = upstream.target(_after_prefix(raw_path, prefix), self.query)
        self.body = Body(receive, limit)

    @property
    def method(self) -> str:
        return self.scope["method"]

    def content(self) -> Body | bytes:
        """What goes upstream: the body (passed on as it arrives), or nothing when there is
        none."""
        if declared_beyond(self.headers, self.body.limit):
            raise TooLarge(f"the request body is larger than {self.body.limit} bytes")
        found = CallHeaders(self.headers)
        if found.get("content-length", "") not in ("", "0") or "transfer-encoding" in found:
            return self.body
        return b""

    @property
    def origin(self) -> str:
        """The proxy's origin as the connector addressed it (its ``Host``, read as the loopback
        rule reads it: ``host_of``); the address it was called on without a ``Host`` it can
        read."""
        scope = self.scope
        host = host_of(self.headers)
        if not host:
            name, port = scope.get("server") or ("127.0.0.1", 80)
            host = f"[{name}]:{port}" if ":" in name else f"{name}:{port}"
        return f"{scope['scheme']}://{host}"

    @cached_property
    def readable(self) -> Content:
        """The request's body as the kit reads it, its ``Content-Encoding`` undone within the
        body limit: what is learned, judged and recorded of it (once the body is read)."""
        return content_of(self.headers, self.body.bytes, self.body.limit)

    @property
    def work(self) -> int:
        """How much reading the request is, in bytes: a compressed body's content may be far
        larger than its bytes (up to the limit)."""
        return self.body.limit if coding_of(self.headers) else self.body.size

    def parts(self, answer: Answer | None = None) -> dict[str, Any]:
        """The exchange as :func:`mockservers.core.learned.found_in` reads it for secrets
        (without an answer, the request alone)."""
        return {
            "url": self.target.shown,
            "request_headers": _text(self.sent_headers),
            "request_body": self.readable.body,
            "response_headers": _text(answer.headers) if answer is not None else [],
            "response_body": answer.body if answer is not None else None,
        }

    def found(self, answer: Answer | None = None) -> learned.Found:
        """The exchange's named secrets, read once for the values to blot out
        (:meth:`secrets`) and what the proxy remembers (``Known.learn``)."""
        return learned.found_in(**self.parts(answer))

    def secrets(self, found: learned.Found) -> list[str]:
        """The exchange's secret values: those it carries by name, and the upstream URL's
        credentials (sent as HTTP Basic by the proxy, in no header the connector gave)."""
        return learned.values(found) + self.upstream.secrets

    def verdict(self, status: int, answer: bytes, secrets: list[str]) -> dict[str, list[str]]:
        """The contracts' verdict on this call and the vendor's answer to it, these secret
        values blotted out of it (before a long message is cut: a secret the cut split would
        keep most of its characters)."""
        scrub = learned.scrubber(secrets)
        read = self.readable
        found = verdict(
            self.vendor.name,
            self.operation,
            query=parse_qsl(self.query.decode("latin-1"), keep_blank_values=True),
            headers=CallHeaders(self.headers),
            body=read.body,
            status=status,
            answer=answer,
            blot=scrub,
            vendor_answered=True,
        )
        found = scrub(found)  # the rest of it: a query value a message quotes whole
        if read.body is None:
            found["request"].append(
                f"{self.vendor.name}: its body in {read.coding} is not judged: {read.why}"
            )
        if self.method == "HEAD":  # the answer to a HEAD has no body (RFC 9110, 9.3.2)
            found["response"] = []
        if self.operation == UNKNOWN:  # no contract to judge it by: say so, not "it meets"
            found["request"].append(
                f"{self.vendor.name}: no operation of its document at this path and query"
            )
        return found

    def entry(self, **answered: Any) -> Entry:
        scope = self.scope
        return Entry(
            time=self.vendor.clock.time(),
            vendor=self.vendor.name,
            operation=self.operation,
            method=self.method,
            path=scope["path"],
            raw_path=scope.get("raw_path"),
            query=self.query,
            headers=self.headers,
            request_body=self.body.bytes,
            duration_ms=(perf_counter() - self.started) * 1000,
            **answered,
        )

    def exchange(self, **answered: Any) -> dict[str, Any]:
        """The exchange with the upstream, as a recording keeps it: the request's body as the
        kit reads it (never bytes no mask could read)."""
        read = self.readable
        return {
            "method": self.method,
            "url": self.target.shown,
            "request_headers": _text(self.sent_headers),
            "request_body": read.body,
            "request_body_size": self.body.size,
            "request_coding": read.coding,
            "request_withheld": read.why,
            "started": self.started_at,
            **answered,
        }


class Forwarding:
    """The endpoint of one forwarded vendor."""

    def __init__(
        self,
        kit: Kit,
        vendor: Vendor,
        upstream: Upstream,
        summary: ShadowSummary,
        shadow: Shadow | None,
        recordings: HarFolder | None,
        known: Known,
    ) -> None:
        self.kit = kit
        self.vendor = vendor
        self.upstream = upstream
        self.summary = summary
        self.known = known
        """The secrets the proxy remembers, across exchanges (shared by every vendor's)."""
        self.shadow = shadow
        self.recordings = recordings
        self.reverse = Reverse(upstream.base, f"/{vendor.name}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call = Call(self.vendor, self.upstream, scope, receive, self.kit.max_body_bytes)
        limit = self.kit.max_body_bytes
        try:
            answer = await self.upstream.send(
                call.method, call.target, call.sent_headers, call.content(), limit
            )
        except ClientDisconnect:
            return
        except AnswerTooLarge as exc:
            await self._refuse(call, KitError("upstream", str(exc), 502), scope, send)
        except TooLarge as exc:
            await self._refuse(call, KitError("too_large", str(exc), 413), scope, send)
        except (httpx.RequestError, Overdue) as exc:
            reason = with_hint(f"{self.upstream.shown}: {unanswered(exc, self.upstream.timeout)}")
            await self._refuse(call, KitError("upstream", reason, 502), scope, send)
        else:
            await self._pass_on(call, answer, send)

    async def _pass_on(self, call: Call, answer: Answer, send: Send) -> None:
        """The vendor's answer: compared, judged, journalled, recorded, then passed back."""
        found = None
        if self.shadow is not None:
            found = await self.shadow.compare(
                self.vendor.name,
                call.method,
                call.target.path,
                call.query,
                _text(call.sent_headers),
                call.body.bytes,
                compare.Answer(answer.status, answer.body, answer.header("content-type")),
            )
        size = max(len(answer.body), call.work)  # a large request is as much work
        entry = await off_loop(size, self._judged, call, answer, found)
        await self._keep(entry, entry.shadow)
        if self.recordings is not None:
            await self._record(
                call,
                entry,
                status=answer.status,
                response_headers=_text(answer.headers),
                response_body=answer.body,
                response_body_size=len(answer.raw),
                request_http_version=har.request_version(answer.http_version),
                response_http_version=answer.http_version,
                duration_ms=entry.duration_ms,
            )
        headers = [*self.reverse.headers(self._dated(answer), call.origin), SANDBOXED]
        body = answer.raw
        if not _has_body(answer.status):  # its Content-Length is the 200's it stands for
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            body = b""
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _judged(self, call: Call, answer: Answer, found: list[Difference] | None) -> Entry:
        """The journal entry of a forwarded call, judged, its secrets scrubbed and its bodies
        cut to the journal's bound: the work a large answer takes (see :func:`off_loop`)."""
        named = call.found(answer)
        secrets = call.secrets(named)
        self.known.learn(named)
        differences = None
        if found is not None:
            differences = learned.scrub([d.as_json("upstream", "fake") for d in found], secrets)
        entry = call.entry(
            status=answer.status,
            response_body=learned.scrub_bytes(answer.body, secrets, answer.header("content-type")),
            response_headers=learned.scrub_headers(answer.headers, secrets),
            source="upstream",
            verdict=call.verdict(answer.status, answer.body, secrets),
            shadow=differences,
        )
        self.kit.journal.fit(entry)
        return entry

    async def refuse_page(self, scope: Scope, receive: Receive, send: Send, reason: str) -> None:
        """A web page's call (``reason``: ``foreign_page``'s), answered without being sent
        upstream, where the vendor's credentials and its answers would be the page's."""
        call = Call(self.vendor, self.upstream, scope, receive, self.kit.max_body_bytes)
        detail = (
            f"refused {reason}: not forwarded to the upstream, as a web page's call (a browser"
            " connector's origin is allowed with --cors-origin ORIGIN; --admin-token lets"
            " every call through)"
        )
        await self._refuse(call, KitError("foreign_page", detail, 403), scope, send)

    async def _refuse(self, call: Call, error: KitError, scope: Scope, send: Send) -> None:
        """The proxy's own answer, in the vendor's error body: 413 for a request body over the
        limit and 403 for a web page's call (nothing sent upstream, the body unread), 502 when
        the upstream did not answer, or too much."""
        if error.kind == "upstream":  # the upstream may have failed before reading it all
            with suppress(TooLarge, ClientDisconnect):
                await call.body.read()
        response = self.vendor.render_error(error, call.operation)
        self.kit.date(response)  # the proxy's own answer: on the kit's clock
        entry = await off_loop(call.work, self._refused, call, error, response)
        detail = entry.detail
        await self._keep(entry, None)
        if self.recordings is not None and error.kind == "upstream":
            await self._record(
                call,
                entry,
                status=0,
                response_headers=[],
                response_body=None,
                duration_ms=entry.duration_ms,
                comment=f"no answer from the upstream: {detail}",
            )
        await response(scope, _disconnected, send)

    def _refused(self, call: Call, error: KitError, response: Response) -> Entry:
        """The journal entry of a call the proxy answered itself (``response``, given the
        detail header here), the request judged when it went whole: the work a large request
        takes (see :func:`off_loop`)."""
        named = call.found()
        secrets = call.secrets(named)
        self.known.learn(named)
        # httpcore's error may quote an earlier answer's bytes, an earlier call's secrets in it
        detail = self.known.scrub(learned.scrub(error.detail, secrets))
        response.headers[DETAIL_HEADER] = detail_header(detail)
        judged = None
        if error.kind == "upstream":  # the request went whole: it can be judged
            request = call.verdict(response.status_code, b"", secrets)["request"]
            judged = {"request": request, "response": []}
        return call.entry(
            status=response.status_code,
            response_body=bytes(response.body),
            response_headers=response.raw_headers,
            source="proxy",
            verdict=judged,
            detail=detail,
            body_unread=error.kind in ("too_large", "foreign_page"),
        )

    def _dated(self, answer: Answer) -> list[tuple[bytes, bytes]]:
        """The upstream's headers as they came, its ``Date`` too. Where the kit dates answers
        (its server adds no ``Date``) one without a ``Date`` gets the kit's clock's, as a proxy
        adds one (RFC 9110 6.6.1); where the server adds its own, the upstream's goes, so that
        the answer carries one."""
        others = [(name, value) for name, value in answer.headers if name.lower() != b"date"]
        if not self.kit.date_header:
            return others
        if len(others) < len(answer.headers):
            return answer.headers
        return [*others, (b"date", self.kit.clock.http_date())]

    async def _keep(self, entry: Entry, differences: list[dict[str, Any]] | None) -> None:
        """The journal entry and the shadow's count, as one transaction of the kit's store."""
        kit = self.kit

        def keep() -> None:
            kit.journal.record(entry)
            if differences is not None:
                self.summary.count(entry.vendor, entry.operation, differences)
            kit.flush()

        if not kit.store.shared:
            keep()
            return
        # The store may be down: the vendor answered, so the connector still gets its answer.
        with suppress(StoreUnavailable):
            await kit.store.run(keep)

    async def _record(self, call: Call, entry: Entry, **answered: Any) -> None:
        """Record the exchange with the upstream, beside its journal entry (``entry``)."""
        assert self.recordings is not None
        await self.recordings.add(
            vendor=self.vendor.name,
            operation=call.operation,
            upstream=self.upstream.shown,
            kept=self.upstream.secrets,
            journalled=entry,
            **call.exchange(**answered),
        )


def operation_of(vendor: Vendor, path: str, raw_path: bytes, query: bytes) -> str:
    """The operation a call under the vendor's prefix (``path``: in full, ``raw_path`` as
    sent) invokes, as the fake would name it (XTRA's paths in any case too)."""
    route = vendor.route_at(path, raw_path)
    return UNKNOWN if route is None else route.operation_for(parse_query(query))


def _has_body(status: int) -> bool:
    """Whether an answer of this status has a body (RFC 9110 6.4.1: not a 1xx, 204 or 304)."""
    return status >= 200 and status not in (204, 304)


def _text(headers: Any) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]


async def _disconnected() -> Message:
    return {"type": "http.disconnect"}


def _after_prefix(raw_path: bytes, prefix: str) -> bytes:
    """The raw path after the vendor's prefix, kept as the connector encoded it, however it
    encoded the prefix itself (``/quop%61rts/...`` is routed as ``/quoparts/...``). The prefix
    is ASCII: each of its characters is one raw byte, or three (``%XX``)."""
    if raw_path.startswith(prefix.encode()):
        return raw_path[len(prefix) :]
    at = 0
    for _ in prefix:
        at += 3 if raw_path[at : at + 1] == b"%" else 1
    return raw_path[at:]
