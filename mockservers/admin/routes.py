"""The admin API's route table (:class:`Admin`): every endpoint of the mixins with its path,
method and what it takes, in one place, and the Starlette routes made of it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from mockservers.admin.base import SESSIONS, Endpoint
from mockservers.admin.controls import ControlEndpoints
from mockservers.admin.journal import JournalEndpoints
from mockservers.admin.sessions import SessionEndpoints
from mockservers.admin.state import StateEndpoints
from mockservers.core.adminapi import AdminRoute


class Admin(ControlEndpoints, StateEndpoints, JournalEndpoints, SessionEndpoints):
    """The admin API: the endpoints of each concern, and their routes in one table
    (:meth:`table`)."""

    def table(self) -> list[AdminRoute]:
        a, J, S = AdminRoute, ("journal",), False
        routes = [
            a("/__admin/health", "GET", self.health),
            a("/__admin/reset", "POST", self.reset, "optional"),
            a("/__admin/state/{vendor}", "GET", self.get_state),
            a("/__admin/state/{vendor}", "PUT", self.put_state, "required", fixtures=True),
            a("/__admin/requests", "GET", self.get_requests, reads=J),
            a("/__admin/requests", "DELETE", self.clear_requests),
            a("/__admin/requests/count", "POST", self.count_requests, "required", J),
            a("/__admin/requests/verify", "POST", self.verify_requests, "required", J),
            # after count and verify, whose literal paths the pattern would otherwise take
            a("/__admin/requests/{entry_id}", "GET", self.get_request, reads=J),
            a("/__admin/clock", "GET", self.get_clock),
            a("/__admin/clock", "POST", self.move_clock, "required"),
            a("/__admin/faults", "POST", self.add_fault, "required"),
            a("/__admin/faults", "GET", self.list_faults),
            a("/__admin/faults", "DELETE", self.clear_faults),
            # the sessions themselves: no session narrows them (?session= is a 400)
            a(SESSIONS, "POST", self.create_session, "optional", scoped=S),
            a(SESSIONS, "GET", self.list_sessions, scoped=S),
            a(SESSIONS, "DELETE", self.drop_sessions, scoped=S),
            a("/__admin/sessions/{session_id}", "GET", self.get_session),
            a("/__admin/sessions/{session_id}", "DELETE", self.drop_session),
            a("/__admin/coverage", "GET", self.coverage),
        ]
        routes += self.kit.shadows.admin_routes(self.vendors)
        for vendor in self.vendors.values():
            routes += vendor.admin_routes()
        routes.append(a("/__admin/{vendor}/tokens/expire", "POST", self.expire_tokens, "optional"))
        return routes

    def routes(self) -> list[Route]:
        """One route per path, whatever its methods, so that a 405 names them all in ``Allow``."""
        by_path: dict[str, dict[str, Endpoint]] = {}
        for route in self.table():
            by_path.setdefault(route.path, {})[route.method] = self.endpoint(route)
        return [
            AdminPath(path, _by_method(methods), methods=list(methods))
            for path, methods in by_path.items()
        ]


class AdminPath(Route):
    """An admin path, claimed whatever the method: one it does not answer is its 405, with
    ``Allow``. Starlette's router takes a later route matching path and method over an earlier
    one matching the path only, so ``GET /__admin/requests/count`` was ``GET
    /__admin/requests/{entry_id}``'s, a 404 for no entry "count"."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        return (Match.FULL if match is Match.PARTIAL else match), child


def _by_method(endpoints: dict[str, Endpoint]) -> Endpoint:
    """One endpoint for a path that answers several methods (HEAD as GET)."""

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return endpoint
