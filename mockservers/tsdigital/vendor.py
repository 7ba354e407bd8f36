"""The TS Digital fake: ``POST /api/v3/items`` (an assumed path), bearer tokens from the admin API,
202 with asynchronous processing settled lazily on the kit's clock."""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.responses import Response
from starlette.routing import Route

from mockservers.core.errors import KitError
from mockservers.core.faults import CORE_FAULT_KINDS
from mockservers.core.vendor import Call, Vendor, VendorRoute
from mockservers.tsdigital import responses
from mockservers.tsdigital.errors import sub_error
from mockservers.tsdigital.models import ITEMS, TsDigitalModel
from mockservers.tsdigital.settings import TsDigitalSettings
from mockservers.tsdigital.tokens import token_routes


class TsDigital(Vendor):
    name: ClassVar[str] = "tsdigital"
    title: ClassVar[str] = "TS Digital"
    operations: ClassVar[tuple[str, ...]] = ("createItem",)
    routes: ClassVar[tuple[VendorRoute, ...]] = (
        VendorRoute("/api/v3/items", "create_item", operation="createItem"),
    )
    collections: ClassVar[tuple[str, ...]] = (ITEMS,)
    settings_class = TsDigitalSettings
    model_class = TsDigitalModel
    fault_kinds: ClassVar[frozenset[str]] = CORE_FAULT_KINDS | responses.PROCESSING_FAILURE
    deferred_fault_kinds: ClassVar[frozenset[str]] = responses.PROCESSING_FAILURE

    def dump_state(self) -> dict[str, Any]:
        self.model.settle()
        return super().dump_state()

    def admin_routes(self) -> list[Route]:
        return token_routes(self.model)

    def create_item(self, call: Call) -> Response:
        return responses.create_item(self.model, call)

    def render_error(self, error: KitError, operation: str) -> Response:
        if error.kind == "malformed_json":
            status, problems = 400, [sub_error("body", error.detail)]
        else:  # too_large (413), an injected status, or an unplanned error (500)
            status, problems = error.status or 500, []
        return self.model.error(status, problems).response()

    def demo_lines(self) -> list[str]:
        # No "/__admin" here: the banner's admin line comes last and tools wait for it.
        return [
            'bearer tokens from the admin API: POST tsdigital/tokens {"kind": "user"}',
            "(kinds user, user-key, app-key, backoffice; grants items:create, special, "
            "studio:<studioId>)",
        ]
