"""``create_app``: one Starlette app serving every vendor under its prefix, plus the admin API."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contracts.openapi import openapi_bytes
from mockservers.admin import Admin
from mockservers.config import Config, ConfigError
from mockservers.core.clock import Clock
from mockservers.core.faults import FaultRegistry
from mockservers.core.http import JSONResponse
from mockservers.core.journal import Journal
from mockservers.core.vendor import Kit, Vendor
from mockservers.vendors import VENDOR_CLASSES


def _openapi_route(vendor: str) -> Route:
    document = openapi_bytes(vendor)

    async def endpoint(request: Request) -> Response:
        return Response(document, media_type="application/json")

    return Route(f"/{vendor}/openapi.json", endpoint, methods=["GET"])


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


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
    if state_file is not None:
        raise ValueError("--state-file is not available yet in this build")
    admin = Admin(kit, vendors, config.admin_token)
    routes: list[Route] = admin.routes()
    for vendor in vendors.values():
        routes.extend(vendor.starlette_routes())
        routes.append(_openapi_route(vendor.name))
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    app.state.kit = kit
    app.state.vendors = vendors
    app.state.config = config
    return app
