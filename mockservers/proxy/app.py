"""``create_proxy_app``: the kit in front of real vendors, on the URL layout of ``serve``.

A vendor given an upstream (``{"quoparts": "https://dev.quoparts.it"}``) has every call under
its prefix forwarded unchanged, judged, journalled, compared with a shadow fake (``shadow=True``)
and recorded (``record=DIR``): ``endpoint.py``. The other vendors are answered by the kit's own
fakes, as ``serve`` answers them. The admin API, the OpenAPI documents and the docs pages are
the kit's, for every vendor, plus ``/__admin/shadow``.

Without an admin token, a browser on this machine is a caller the proxy trusts as the admin
API does: a page of another site would have its calls forwarded with the credentials of the
upstream's URL, and a DNS-rebinding page would read the answers. So a loopback call under a
forwarded prefix is held to the admin API's rule (``foreign_page``: a loopback ``Host``, no
other site's ``Origin``) and refused otherwise, in the vendor's body, without reaching the
upstream.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.types import Message, Receive, Scope, Send

from mockservers import logs
from mockservers.app import create_app
from mockservers.config import Config, ConfigError
from mockservers.core.handshake import answered_as_get
from mockservers.core.http import closing_unread, foreign_page, is_loopback
from mockservers.core.vendor import Vendor
from mockservers.proxy.endpoint import Forwarding
from mockservers.proxy.forward import DEFAULT_TIMEOUT, Upstream
from mockservers.proxy.known import Known
from mockservers.proxy.record import HarFolder
from mockservers.proxy.shadow import Shadow

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
    trusted: ssl.SSLContext | None = None,
    date_header: bool = False,
) -> ProxyApp:
    """The proxy as one ASGI app. ``upstreams``: vendor -> the real service's base URL;
    ``config`` configures the served fakes and the shadow alike (``serve --config``);
    ``transport``: the HTTP transport to the upstreams (tests); ``trusted``: the SSL context
    to verify them with (``--cacert``), else httpx's; ``date_header``: as
    ``create_app``'s, and a forwarded answer that came without a ``Date`` gets the kit's (a
    proxy adds one, RFC 9110 6.6.1), one that came with one keeps it."""
    config = Config.from_dict(config) if isinstance(config, dict) else config or Config()
    kit_app = create_app(config, date_header=date_header)
    kit_app.state.kit.forwarded = frozenset(upstreams)
    vendors: dict[str, Vendor] = kit_app.state.vendors
    unknown = sorted(set(upstreams) - set(vendors))
    if unknown:
        raise ConfigError(f"--upstream: unknown vendors {unknown}; vendors: {sorted(vendors)}")
    logs.mask_request_lines()
    return ProxyApp(
        kit_app,
        {
            name: Upstream(
                name,
                url,
                timeout=timeout,
                deadline=config.proxy_deadline_seconds,
                transport=transport,
                trusted=trusted,
            )
            for name, url in upstreams.items()
        },
        shadow=Shadow(create_app(config)) if shadow else None,
        recordings=HarFolder(record) if record is not None else None,
    )


class ProxyApp:
    """Forwarded prefixes here; everything else to the kit's app
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
        self.upstreams = upstreams
        self.shadow = shadow
        self.recordings = recordings
        self.summary = self.kit.shadows
        config: Config = kit_app.state.config
        self.admin_token = config.admin_token
        self.cors_origins = config.cors_origins
        vendors: dict[str, Vendor] = kit_app.state.vendors
        known = Known(secret for upstream in upstreams.values() for secret in upstream.secrets)
        self.forwarding = {
            name: Forwarding(
                self.kit, vendors[name], upstream, self.summary, shadow, recordings, known
            )
            for name, upstream in upstreams.items()
        }

    @property
    def state(self) -> Any:
        return self.kit_app.state

    @property
    def router(self) -> Any:
        return self.kit_app.router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # forwarded, or answered, as the plain GET it also is
            await answered_as_get(self, scope, receive, send)
            return
        if scope["type"] == "http":
            path: str = scope["path"]
            name, _, rest = path[1:].partition("/")
            endpoint = self.forwarding.get(name)
            if endpoint is not None and f"/{rest}" not in KIT_PAGES:
                receive, send = closing_unread(scope, receive, send)
                refused = self._foreign(scope)
                if refused is None:
                    await endpoint(scope, receive, send)
                else:
                    await endpoint.refuse_page(scope, receive, send, refused)
                return
        elif scope["type"] == "lifespan":
            send = self._closing(send)
        await self.kit_app(scope, receive, send)

    def _foreign(self, scope: Scope) -> str | None:
        """Why a forwarded call is refused as a web page's, where the admin API would refuse it
        (no admin token, a caller on loopback), or None: it goes upstream."""
        client = scope.get("client")
        if self.admin_token or not is_loopback(client[0] if client else None):
            return None
        return foreign_page(scope, self.cors_origins)

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
        if self.recordings is not None:
            self.recordings.close()
