"""The 4WS.KeepIT fake: ``POST /api?cmd=<alias>``; the only alias served is insertClient_v3."""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response

from mockservers.core.errors import KitError
from mockservers.core.http import status_phrase
from mockservers.core.state import VendorState
from mockservers.core.vendor import Call, Vendor, VendorRoute
from mockservers.keepit import responses
from mockservers.keepit.errors import bad_request, call_error, not_found
from mockservers.keepit.models import SUBJECTS, KeepItModel, owners_of
from mockservers.keepit.settings import KeepItSettings

INSERT_CLIENT = "insertClient_v3"


class KeepIt(Vendor):
    name: ClassVar[str] = "keepit"
    title: ClassVar[str] = "4WS.KeepIT"
    operations: ClassVar[tuple[str, ...]] = (INSERT_CLIENT,)
    routes: ClassVar[tuple[VendorRoute, ...]] = (VendorRoute("/api", "dispatch"),)
    collections: ClassVar[tuple[str, ...]] = (SUBJECTS,)
    settings_class = KeepItSettings
    model_class = KeepItModel

    def load_state(self, document: Any) -> None:
        """Refuse (400, nothing changed) a document whose customers cannot be indexed."""
        probe = VendorState(self.name, self.collections)
        probe.load(document)
        for tenant in probe.tenants.values():
            owners_of(tenant)
        super().load_state(document)

    def operation_for(self, request: Request, route: VendorRoute) -> str:
        return INSERT_CLIENT if request.query_params.get("cmd") == INSERT_CLIENT else "unknown"

    def dispatch(self, call: Call) -> Response:
        if call.operation != INSERT_CLIENT:
            raise not_found(call.query.get("cmd", ""))
        return responses.insert_client(self.model, call)

    def render_error(self, error: KitError, operation: str) -> Response:
        if error.kind == "malformed_json":
            return bad_request("Errore: il body non è un JSON valido.").response()
        if error.kind == "too_large":
            return call_error(413, "Errore: la richiesta supera la dimensione massima.").response()
        status = error.status or 500
        return call_error(status, status_phrase(status)).response()

    def demo_lines(self) -> list[str]:
        if not self.settings.demo_account:
            return []
        return ["headers username: demo, password: demo, companyId: 1, siteId: 1"]
