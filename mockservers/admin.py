"""The admin API under ``/__admin`` (WireMock's convention): health, reset, state, journal,
clock, faults, tokens. JSON in, JSON out; a refused call answers 400/404 with ``{"error"}``."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockservers.core.adminapi import AdminError, json_body
from mockservers.core.faults import FaultSpecError
from mockservers.core.http import JSONResponse
from mockservers.core.state import StateError
from mockservers.core.vendor import Kit, Vendor

Endpoint = Callable[[Request], Awaitable[Response]]


def _is_loopback(host: str | None) -> bool:
    if host in (None, "testclient"):  # in-process transports
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Admin:
    def __init__(self, kit: Kit, vendors: dict[str, Vendor], admin_token: str | None) -> None:
        self.kit = kit
        self.vendors = vendors
        self.admin_token = admin_token

    # -- plumbing ---------------------------------------------------------------------------
    def guarded(self, func: Callable[[Request], Awaitable[Any]]) -> Endpoint:
        """Loopback only unless an admin token is configured; then the token is required."""

        async def endpoint(request: Request) -> Response:
            try:
                self._authorise(request)
                result = await func(request)
                self.kit.flush()
            except AdminError as exc:
                return JSONResponse({"error": exc.message}, status_code=exc.status)
            return result if isinstance(result, Response) else JSONResponse(result)

        return endpoint

    def _authorise(self, request: Request) -> None:
        if self.admin_token:
            given = request.headers.get("x-admin-token", "")
            if not secrets.compare_digest(given.encode(), self.admin_token.encode()):
                raise AdminError(401, "the admin API needs the X-Admin-Token header")
        elif not _is_loopback(request.client.host if request.client else None):
            raise AdminError(
                403, "the admin API answers only on loopback unless --admin-token is set"
            )

    def vendor(self, name: str) -> Vendor:
        vendor = self.vendors.get(name)
        if vendor is None:
            raise AdminError(404, f"unknown vendor {name!r}; one of {sorted(self.vendors)}")
        return vendor

    # -- endpoints --------------------------------------------------------------------------
    async def health(self, request: Request) -> Any:
        return {"status": "ok", "vendors": sorted(self.vendors)}

    async def reset(self, request: Request) -> Any:
        body = await json_body(request, default={})
        if not isinstance(body, dict):
            raise AdminError(400, 'the body must be {} or {"vendor": V}')
        name = body.get("vendor")
        if name is None:
            self.kit.clock.reset()
            self.kit.journal.clear()
            self.kit.faults.reset()
            for vendor in self.vendors.values():
                vendor.reset()
            return {"reset": sorted(self.vendors)}
        vendor = self.vendor(name)
        vendor.reset()
        self.kit.journal.clear(name)
        self.kit.faults.clear(name)
        return {"reset": [name]}

    async def get_state(self, request: Request) -> Any:
        return self.vendor(request.path_params["vendor"]).dump_state()

    async def put_state(self, request: Request) -> Any:
        vendor = self.vendor(request.path_params["vendor"])
        document = await json_body(request)
        try:
            vendor.load_state(document)
        except StateError as exc:
            raise AdminError(400, str(exc)) from None
        return vendor.dump_state()

    async def get_requests(self, request: Request) -> Any:
        params = request.query_params
        limit = params.get("limit")
        if limit is not None and not limit.isdigit():
            raise AdminError(400, "limit must be a whole number")
        vendor = params.get("vendor") or None
        if vendor is not None:
            self.vendor(vendor)
        return self.kit.journal.query(
            vendor=vendor,
            operation=params.get("operation") or None,
            limit=int(limit) if limit is not None else None,
        )

    async def clear_requests(self, request: Request) -> Any:
        self.kit.journal.clear()
        return {"cleared": True}

    async def get_clock(self, request: Request) -> Any:
        return {"now": self.kit.clock.isoformat()}

    async def move_clock(self, request: Request) -> Any:
        body = await json_body(request)
        seconds = body.get("advance_seconds") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise AdminError(400, 'the body must be {"advance_seconds": N} with N >= 0')
        self.kit.clock.advance(seconds)
        return {"now": self.kit.clock.isoformat()}

    async def add_fault(self, request: Request) -> Any:
        spec = await json_body(request)
        known = {n: (v.fault_kinds, frozenset(v.operations)) for n, v in self.vendors.items()}
        try:
            fault = self.kit.faults.add(spec, vendors=known)
        except FaultSpecError as exc:
            raise AdminError(400, str(exc)) from None
        return JSONResponse({"id": fault.id}, status_code=201)

    async def list_faults(self, request: Request) -> Any:
        return self.kit.faults.list()

    async def clear_faults(self, request: Request) -> Any:
        self.kit.faults.clear()
        return {"cleared": True}

    async def expire_tokens(self, request: Request) -> Any:
        vendor = self.vendor(request.path_params["vendor"])
        return {"expired": vendor.expire_tokens()}

    def routes(self) -> list[Route]:
        g = self.guarded
        routes = [
            Route("/__admin/health", g(self.health), methods=["GET"]),
            Route("/__admin/reset", g(self.reset), methods=["POST"]),
            Route("/__admin/state/{vendor}", g(self.get_state), methods=["GET"]),
            Route("/__admin/state/{vendor}", g(self.put_state), methods=["PUT"]),
            Route("/__admin/requests", g(self.get_requests), methods=["GET"]),
            Route("/__admin/requests", g(self.clear_requests), methods=["DELETE"]),
            Route("/__admin/clock", g(self.get_clock), methods=["GET"]),
            Route("/__admin/clock", g(self.move_clock), methods=["POST"]),
            Route("/__admin/faults", g(self.add_fault), methods=["POST"]),
            Route("/__admin/faults", g(self.list_faults), methods=["GET"]),
            Route("/__admin/faults", g(self.clear_faults), methods=["DELETE"]),
        ]
        for vendor in self.vendors.values():
            for route in vendor.admin_routes():
                routes.append(
                    Route(route.path, g(route.endpoint), methods=list(route.methods or ()))
                )
        routes.append(
            Route("/__admin/{vendor}/tokens/expire", g(self.expire_tokens), methods=["POST"])
        )
        return routes
