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

from mockservers.core.adminapi import MAX_SECONDS, AdminError, json_body
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

    def vendor(self, name: object) -> Vendor:
        vendor = self.vendors.get(name) if isinstance(name, str) else None
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
        if limit is not None and not (limit.isascii() and limit.isdigit()):
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
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 <= seconds <= MAX_SECONDS
        ):
            raise AdminError(
                400, f'the body must be {{"advance_seconds": N}} with 0 <= N <= {MAX_SECONDS:.0f}'
            )
        try:
            self.kit.clock.advance(seconds)
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
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
        """One route per path, whatever its methods, so that a 405 names them all in ``Allow``."""
        g = self.guarded
        endpoints: list[tuple[str, str, Endpoint]] = [
            ("/__admin/health", "GET", g(self.health)),
            ("/__admin/reset", "POST", g(self.reset)),
            ("/__admin/state/{vendor}", "GET", g(self.get_state)),
            ("/__admin/state/{vendor}", "PUT", g(self.put_state)),
            ("/__admin/requests", "GET", g(self.get_requests)),
            ("/__admin/requests", "DELETE", g(self.clear_requests)),
            ("/__admin/clock", "GET", g(self.get_clock)),
            ("/__admin/clock", "POST", g(self.move_clock)),
            ("/__admin/faults", "POST", g(self.add_fault)),
            ("/__admin/faults", "GET", g(self.list_faults)),
            ("/__admin/faults", "DELETE", g(self.clear_faults)),
        ]
        for vendor in self.vendors.values():
            for route in vendor.admin_routes():
                for method in route.methods or ():
                    if method != "HEAD":
                        endpoints.append((route.path, method, g(route.endpoint)))
        endpoints.append(("/__admin/{vendor}/tokens/expire", "POST", g(self.expire_tokens)))
        by_path: dict[str, dict[str, Endpoint]] = {}
        for path, method, endpoint in endpoints:
            by_path.setdefault(path, {})[method] = endpoint
        return [
            Route(path, _by_method(methods), methods=list(methods))
            for path, methods in by_path.items()
        ]


def _by_method(endpoints: dict[str, Endpoint]) -> Endpoint:
    """One endpoint for a path that answers several methods (HEAD as GET)."""

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return endpoint
