"""The QuoParts fake: one URL, ``ws_quoparts.php``, the method chosen by a query parameter."""

from __future__ import annotations

from typing import ClassVar

from starlette.requests import Request
from starlette.responses import Response

from mockservers.core.errors import KitError
from mockservers.core.http import status_phrase
from mockservers.core.vendor import Call, Vendor, VendorRoute
from mockservers.quoparts import responses
from mockservers.quoparts.errors import bad_request, envelope_error
from mockservers.quoparts.models import CUSTOMERS, QUOTES, QuoPartsModel
from mockservers.quoparts.settings import QuoPartsSettings

# Checked in this order, as a PHP if/elseif chain would.
_METHODS = {
    "login": responses.login,
    "importCli": responses.import_customers,
    "importPvt": responses.import_quote,
}


class QuoParts(Vendor):
    name: ClassVar[str] = "quoparts"
    title: ClassVar[str] = "QuoParts"
    operations: ClassVar[tuple[str, ...]] = ("login", "importCli", "importPvt")
    routes: ClassVar[tuple[VendorRoute, ...]] = (
        VendorRoute("/ws_quoparts.php", "dispatch", methods=("GET", "POST")),
    )
    collections: ClassVar[tuple[str, ...]] = (CUSTOMERS, QUOTES)
    settings_class = QuoPartsSettings
    model_class = QuoPartsModel

    def operation_for(self, request: Request, route: VendorRoute) -> str:
        query = request.query_params
        for method in _METHODS:
            if method in query:
                return method
        return "unknown"

    def dispatch(self, call: Call) -> Response:
        handler = _METHODS.get(call.operation, responses.unknown_method)
        return handler(self.model, call)

    def render_error(self, error: KitError, operation: str) -> Response:
        if error.kind == "malformed_json":
            return bad_request(error.detail).response()
        if error.kind == "too_large":
            return bad_request(error.detail, status=413).response()
        status = error.status or 500
        return envelope_error(str(status), status_phrase(status), status)

    def demo_lines(self) -> list[str]:
        return ["login: username demo, password demo"] if self.settings.demo_account else []
