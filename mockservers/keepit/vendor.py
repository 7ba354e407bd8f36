"""The 4WS.KeepIT fake: ``POST /api?cmd=<alias>``; the only alias served is insertClient_v3."""

from __future__ import annotations

from typing import ClassVar

from starlette.datastructures import QueryParams
from starlette.responses import Response

from mockservers.core.errors import KitError
from mockservers.core.http import status_phrase
from mockservers.core.vendor import Vendor, VendorRoute
from mockservers.keepit import responses
from mockservers.keepit.errors import bad_request, call_error
from mockservers.keepit.models import SUBJECTS, KeepItModel
from mockservers.keepit.settings import KeepItSettings

INSERT_CLIENT = "insertClient_v3"


def alias_of(query: QueryParams) -> str | None:
    return INSERT_CLIENT if query.get("cmd") == INSERT_CLIENT else None


class KeepIt(Vendor):
    name: ClassVar[str] = "keepit"
    title: ClassVar[str] = "4WS.KeepIT"
    routes: ClassVar[tuple[VendorRoute, ...]] = (
        VendorRoute(
            "/api",
            {INSERT_CLIENT: responses.insert_client},
            select=alias_of,
            unknown=responses.unknown_alias,
        ),
    )
    collections: ClassVar[tuple[str, ...]] = (SUBJECTS,)
    settings_class = KeepItSettings
    model_class = KeepItModel

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
