"""``create_proxy_app``: the kit in front of real vendors, on the URL layout of ``serve``.

A vendor given an upstream (``{"quoparts": "https://dev.quoparts.it"}``) has every call under
its prefix forwarded unchanged (``forward.py``); the answer goes back unchanged, and meanwhile
the call is checked against the contracts and journalled with the verdict, compared with a
shadow fake (``shadow.py``, with ``shadow=True``) and recorded as HAR (``record.py``, with
``record=DIR``). The other vendors are answered by the kit's own fakes, as ``serve`` answers
them. The admin API, the OpenAPI documents and the docs pages are the kit's, for every vendor,
plus ``/__admin/shadow``.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any
from urllib.parse import quote

import httpx
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from contracts.messages import verdict
from mockservers import logs
from mockservers.admin import Admin
from mockservers.app import create_app
from mockservers.config import Config, ConfigError
from mockservers.core import compare, har
from mockservers.core.errors import KitError
from mockservers.core.journal import Entry
from mockservers.core.shared import StoreUnavailable
from mockservers.core.vendor import (
    DETAIL_HEADER,
    UNKNOWN,
    CallHeaders,
    Vendor,
    detail_header,
    parse_query,
)
from mockservers.proxy.forward import (
    DEFAULT_TIMEOUT,
    AnswerTooLarge,
    Body,
    TooLarge,
    Upstream,
    end_to_end,
)
from mockservers.proxy.record import HarFolder
from mockservers.proxy.shadow import Shadow, Summary

KIT_PAGES = frozenset({"/openapi.json", "/docs"})
"""Paths under a forwarded prefix that stay the kit's: the contract's document and its page."""


def create_proxy_app(
    upstreams: Mapping[str, str],
    config: Config | dict[str, Any] | None = None,
    *,
    shadow: bool = False,
    record: str | Path | None = None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ProxyApp:
    """The proxy as one ASGI app. ``upstreams``: vendor -> the real service's base URL;
    ``config`` configures the served fakes and the shadow alike (``serve --config``);
    ``transport``: the HTTP transport to the upstreams (tests)."""
    config = Config.from_dict(config) if isinstance(config, dict) else config or Config()
    kit_app = create_app(config)
    vendors: dict[str, Vendor] = kit_app.state.vendors
    unknown = sorted(set(upstreams) - set(vendors))
    if unknown:
        raise ConfigError(f"--upstream: unknown vendors {unknown}; vendors: {sorted(vendors)}")
    logs.mask_request_lines()
    return ProxyApp(
        kit_app,
        {
            name: Upstream(name, url, timeout=timeout, transport=transport)
            for name, url in upstreams.items()
        },
        shadow=Shadow(create_app(config)) if shadow else None,
        recordings=HarFolder(record) if record is not None else None,
    )


class ProxyApp:
    """Forwarded prefixes and ``/__admin/shadow`` here; everything else to the kit's app
    (whose ``state``, ``router`` and lifespan this app shares)."""

    def __init__(
        self,
        kit_app: Starlette,
        upstreams: dict[str, Upstream],
        *,
        shadow: Shadow | None = None,
        recordings: HarFolder | None = None,
    ) -> None:
        self.kit_app = kit_app
        self.kit = kit_app.state.kit
        self.vendors: dict[str, Vendor] = kit_app.state.vendors
        self.upstreams = upstreams
        self.shadow = shadow
        self.recordings = recordings
        self.summary = Summary(self.kit.store.map("shadow"))
        admin = Admin(self.kit, kit_app.state.config.admin_token)
        self._admin = {
            route.method: admin.endpoint(route) for route in self.summary.admin_routes(self.vendors)
        }

    @property
    def state(self) -> Any:
        return self.kit_app.state

    @property
    def router(self) -> Any:
        return self.kit_app.router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path == "/__admin/shadow":
                await self._admin_call(scope, receive, send)
                return
            name, _, rest = path[1:].partition("/")
            upstream = self.upstreams.get(name)
            if upstream is not None and f"/{rest}" not in KIT_PAGES:
                await self.forward(upstream, scope, receive, send)
                return
        elif scope["type"] == "lifespan":
            send = self._closing(send)
        await self.kit_app(scope, receive, send)

    def _closing(self, send: Send) -> Send:
        """Close the HTTP clients when the server shuts down, after the kit's own shutdown."""

        async def sending(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.aclose()
            await send(message)

        return sending

    async def aclose(self) -> None:
        for upstream in self.upstreams.values():
            await upstream.aclose()
        if self.shadow is not None:
            await self.shadow.aclose()

    async def _admin_call(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        endpoint = self._admin.get(method)
        if endpoint is None:
            allow = ", ".join(sorted(self._admin))
            answer = Response(status_code=405, headers={"Allow": allow})
        else:
            answer = await endpoint(Request(scope, receive))
        await answer(scope, receive, send)

    # -- one forwarded call ------------------------------------------------------------------
    async def forward(self, upstream: Upstream, scope: Scope, receive: Receive, send: Send) -> None:
        started_at, started = datetime.now(UTC), perf_counter()
        vendor = self.vendors[upstream.vendor]
        prefix = f"/{vendor.name}"
        raw_path: bytes = scope.get("raw_path") or quote(scope["path"]).encode("latin-1")
        query: bytes = scope["query_string"]
        operation = operation_of(vendor, scope["path"][len(prefix) :], query)
        received: list[tuple[bytes, bytes]] = scope["headers"]
        body = Body(receive, self.kit.max_body_bytes)
        url = upstream.url(raw_path[len(prefix) :], query)
        call = _Call(vendor, operation, scope, started, started_at)
        try:
            declared = CallHeaders(received).get("content-length", "")
            if declared.isdigit() and int(declared) > body.limit:
                raise TooLarge(f"the request body is larger than {body.limit} bytes")
            content = body.stream() if _has_body(received) else await body.read()
            sent = end_to_end(received, "host", "expect")
            request, answer = await upstream.send(
                scope["method"], url, sent, content, self.kit.max_body_bytes
            )
        except ClientDisconnect:
            return
        except AnswerTooLarge as exc:
            error = KitError("upstream", str(exc), 502)
            await self._refused(call, body, error, send, url, upstream)
            return
        except TooLarge as exc:
            error = KitError("too_large", str(exc), 413)
            await self._refused(call, body, error, send, url, None)
            return
        except httpx.RequestError as exc:
            reason = f"{upstream.shown}: {type(exc).__name__}: {exc}".rstrip(": ")
            await self._refused(call, body, KitError("upstream", reason, 502), send, url, upstream)
            return
        call.body = body.bytes
        secrets = har.secrets_of(
            url=str(request.url),
            request_headers=_text_pairs(request.headers.raw),
            request_body=call.body,
            response_headers=_text_pairs(answer.headers),
            response_body=answer.body,
        )
        differences = None
        if self.shadow is not None:
            found = await self.shadow.compare(
                vendor.name,
                scope["method"],
                scope["path"],
                query,
                _text_pairs(sent),
                call.body,
                compare.Answer(answer.status, answer.body, answer.header("content-type")),
            )
            differences = har.scrub([d.as_json("upstream", "fake") for d in found], secrets)
        checked = verdict(
            vendor.name,
            operation,
            query=dict(parse_query(query)),
            headers=CallHeaders(received),
            body=call.body,
            status=answer.status,
            answer=answer.body,
        )
        entry = call.entry(
            status=answer.status,
            response_body=answer.body,
            response_headers=answer.headers,
            source="upstream",
            verdict=har.scrub(checked, secrets),
            shadow=differences,
        )
        await self._keep(entry, differences)
        if self.recordings is not None:
            self.recordings.add(
                vendor=vendor.name,
                operation=operation,
                upstream=upstream.shown,
                method=scope["method"],
                url=_shown_url(request.url),
                request_headers=_text_pairs(request.headers.raw),
                request_body=call.body,
                status=answer.status,
                response_headers=_text_pairs(answer.headers),
                response_body=answer.body,
                http_version=answer.http_version,
                started=started_at,
                duration_ms=entry.duration_ms,
            )
        await send(
            {"type": "http.response.start", "status": answer.status, "headers": answer.headers}
        )
        await send({"type": "http.response.body", "body": answer.raw})

    async def _refused(
        self,
        call: _Call,
        body: Body,
        error: KitError,
        send: Send,
        url: httpx.URL,
        upstream: Upstream | None,
    ) -> None:
        """The proxy's own answer, in the vendor's error body: 413 for a request body over the
        limit (nothing sent), 502 when the upstream did not answer (or answered too much)."""
        vendor, scope = call.vendor, call.scope
        call.body = body.bytes
        secrets = har.secrets_of(
            url=str(url),
            request_headers=_text_pairs(scope["headers"]),
            request_body=call.body,
        )
        detail = har.scrub(error.detail, secrets)
        response = vendor.render_error(error, call.operation)
        response.headers[DETAIL_HEADER] = detail_header(detail)
        checked = None
        if error.kind == "upstream":  # the request went whole: it can be judged
            found = verdict(
                vendor.name,
                call.operation,
                query=dict(parse_query(scope["query_string"])),
                headers=CallHeaders(scope["headers"]),
                body=call.body,
                status=response.status_code,
                answer=b"",
            )
            checked = {"request": har.scrub(found["request"], secrets), "response": []}
        entry = call.entry(
            status=response.status_code,
            response_body=bytes(response.body),
            response_headers=response.raw_headers,
            source="proxy",
            verdict=checked,
            detail=detail,
        )
        await self._keep(entry, None)
        if upstream is not None and self.recordings is not None:
            self.recordings.add(
                vendor=vendor.name,
                operation=call.operation,
                upstream=upstream.shown,
                method=scope["method"],
                url=_shown_url(url),
                request_headers=_text_pairs(end_to_end(scope["headers"], "host", "expect")),
                request_body=call.body,
                status=0,
                response_headers=[],
                response_body=None,
                started=call.started_at,
                duration_ms=entry.duration_ms,
                comment=f"no answer from the upstream: {detail}",
            )
        await response(scope, _no_receive, send)

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


class _Call:
    """What the journal entry of a forwarded call needs, gathered as the call goes."""

    def __init__(
        self, vendor: Vendor, operation: str, scope: Scope, started: float, started_at: datetime
    ) -> None:
        self.vendor = vendor
        self.operation = operation
        self.scope = scope
        self.started = started
        self.started_at = started_at
        self.body = b""

    def entry(self, **answered: Any) -> Entry:
        scope = self.scope
        return Entry(
            time=self.vendor.clock.time(),
            vendor=self.vendor.name,
            operation=self.operation,
            method=scope["method"],
            path=scope["path"],
            query=scope["query_string"],
            headers=scope["headers"],
            request_body=self.body,
            duration_ms=(perf_counter() - self.started) * 1000,
            **answered,
        )


def operation_of(vendor: Vendor, path: str, query: bytes) -> str:
    """The operation a call under the vendor's prefix invokes, as the fake would name it."""
    for route in vendor.routes:
        if route.path == path:
            return route.operation_for(parse_query(query))
    return UNKNOWN


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    found = CallHeaders(headers)
    return found.get("content-length", "0") not in ("", "0") or "transfer-encoding" in found


def _text_pairs(headers: Any) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]


def _shown_url(url: httpx.URL) -> str:
    """The URL without user:password (a recording keeps no credential)."""
    return str(url.copy_with(username=None, password=None)) if url.userinfo else str(url)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
