"""``create_app``: one Starlette app serving every vendor under its prefix, plus the admin API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import cache
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from contracts import ADMIN
from contracts.openapi import openapi, openapi_bytes
from mockservers.admin import Admin
from mockservers.config import Config, ConfigError
from mockservers.core import apidocs
from mockservers.core.clock import Clock
from mockservers.core.faults import FaultRegistry
from mockservers.core.http import JSONResponse
from mockservers.core.journal import Journal
from mockservers.core.persistence import StateFile
from mockservers.core.vendor import Kit, Vendor
from mockservers.vendors import VENDOR_CLASSES

SERVER_OPTIONS: dict[str, Any] = {
    # Header sections up to 1 MiB reach the vendors (who answer the vendor's way); beyond that
    # the HTTP layer closes the connection, as a real front server would refuse them.
    "h11_max_incomplete_event_size": 1 << 20,
    "timeout_graceful_shutdown": 10,
}
"""uvicorn settings shared by ``mockservers serve`` and ``MockServer``."""


@cache
def _docs_page(name: str) -> bytes:
    """The document's page for people, rendered on first use (once per process)."""
    return apidocs.render(openapi(name)).encode("utf-8")


def _document_routes(name: str, prefix: str) -> list[Route]:
    """``{prefix}/openapi.json`` and its page ``{prefix}/docs``, open to every caller."""
    document = openapi_bytes(name)

    async def json_document(request: Request) -> Response:
        return Response(document, media_type="application/json")

    async def page(request: Request) -> Response:
        headers = {"Content-Security-Policy": apidocs.CSP}
        return Response(_docs_page(name), media_type="text/html", headers=headers)

    return [
        Route(f"{prefix}/openapi.json", json_document, methods=["GET"]),
        Route(f"{prefix}/docs", page, methods=["GET"]),
    ]


def _http_errors(vendors: dict[str, Vendor]) -> Callable[[Request, Exception], Any]:
    """404 and 405 under a vendor's prefix answer in that vendor's error body (a client parses
    one shape) and are journalled; elsewhere — the admin API, unknown prefixes — a plain JSON
    ``{"error"}``."""

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = request.scope["path"]
        vendor = vendors.get(path.split("/", 2)[1])
        if vendor is None or exc.status_code not in (404, 405):
            return JSONResponse(
                {"error": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        reason = f"{request.method} {path}: {exc.detail}"
        response = vendor.unrouted(request, exc.status_code, reason)
        response.headers.update(exc.headers or {})
        return response

    return handler


def _open_state_file(path: str, kit: Kit, vendors: dict[str, Vendor]) -> StateFile:
    """Restore each vendor from the file (a vendor new to it keeps its fresh state) and record
    every write from now on."""
    store = StateFile(path)
    documents, known = store.documents(), store.vendors()
    for name, vendor in vendors.items():
        if name in known:
            vendor.load_state(documents.get(name, {"tenants": {}}))
        store.attach(vendor.state)
        if name not in known:
            store.replace(name, vendor.dump_state())
    store.flush()
    kit.flush = store.flush
    return store


def _closing(store: StateFile | None) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if store is not None:
                store.close()

    return lifespan


class KitApp(Starlette):
    """Starlette with one shortcut: a request for a vendor's exact path goes straight to its
    endpoint, skipping the router's pattern matching and per-route wrappers (the hot path of
    every fake). Everything else — admin, OpenAPI, 404/405 — goes through Starlette as usual."""

    def __init__(self, *, vendor_routes: list[Route], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.exact = {route.path: route for route in vendor_routes if "{" not in route.path}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            route = self.exact.get(scope["path"])
            if route is not None and route.methods and scope["method"] in route.methods:
                scope["app"] = self
                response = await route.endpoint(Request(scope, receive))
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(
    config: Config | dict[str, Any] | None = None, *, state_file: str | None = None
) -> Starlette:
    """The whole kit as one ASGI app. ``config``: a :class:`Config`, a TOML-shaped dict, or None.

    ``state_file``: restore state from that file at start and keep every acknowledged write there.
    """
    if config is None:
        config = Config()
    elif isinstance(config, dict):
        config = Config.from_dict(config)
    kit = Kit(
        clock=Clock(config.clock_start, frozen=config.clock_frozen),
        journal=Journal(config.journal_max_entries, config.journal_max_bytes),
        faults=FaultRegistry(config.seed),
        max_body_bytes=config.max_body_bytes,
        max_json_depth=config.max_json_depth,
    )
    vendors: dict[str, Vendor] = {
        cls.name: cls(kit, config.vendors.get(cls.name)) for cls in VENDOR_CLASSES
    }
    unknown = set(config.vendors) - set(vendors)
    if unknown:
        raise ConfigError(f"unknown config tables {sorted(unknown)}; vendors: {sorted(vendors)}")
    store = _open_state_file(state_file, kit, vendors) if state_file is not None else None
    admin = Admin(kit, vendors, config.admin_token)
    vendor_routes = [route for vendor in vendors.values() for route in vendor.starlette_routes()]
    documents = [r for name in vendors for r in _document_routes(name, f"/{name}")]
    documents += _document_routes(ADMIN, "/__admin")
    routes = vendor_routes + documents + admin.routes()
    app = KitApp(
        vendor_routes=vendor_routes,
        routes=routes,
        exception_handlers={HTTPException: _http_errors(vendors)},
        lifespan=_closing(store),
    )
    app.state.kit = kit
    app.state.vendors = vendors
    app.state.config = config
    return app
