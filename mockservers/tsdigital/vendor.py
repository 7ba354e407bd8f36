"""The TS Digital fake: ``POST /api/v3/items`` (an assumed path), bearer tokens from the admin API,
202 with asynchronous processing settled lazily on the kit's clock."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from starlette.responses import Response

from mockservers.core.adminapi import AdminRoute
from mockservers.core.call import Call
from mockservers.core.coverage import Behaviour, met
from mockservers.core.errors import KitError
from mockservers.core.faults import FaultKind
from mockservers.core.generated import Generated
from mockservers.core.route import VendorRoute
from mockservers.core.vendor import Vendor
from mockservers.core.verify import Note
from mockservers.tsdigital import coverage, responses
from mockservers.tsdigital.errors import sub_error
from mockservers.tsdigital.models import ITEMS, TsDigitalModel, bearer
from mockservers.tsdigital.settings import TsDigitalSettings
from mockservers.tsdigital.tokens import token_routes


class TsDigital(Vendor):
    name: ClassVar[str] = "tsdigital"
    title: ClassVar[str] = "TS Digital"
    routes: ClassVar[tuple[VendorRoute, ...]] = (
        VendorRoute("/api/v3/items", {"createItem": responses.create_item}),
    )
    collections: ClassVar[tuple[str, ...]] = (ITEMS,)
    sequences: ClassVar[tuple[str, ...]] = (ITEMS,)  # the items' numbers
    # The bearer token is not generated here: it comes from TS ID (see adopt_credentials).
    generated: ClassVar[tuple[Generated, ...]] = (Generated("id"), Generated("timestamp"))
    settings_class = TsDigitalSettings
    model_class = TsDigitalModel
    # processing_failure: the next accepted item(s) end FAILED (taken only once one is accepted),
    # with the fault's reason.
    vendor_fault_kinds: ClassVar[tuple[FaultKind, ...]] = (
        FaultKind(responses.PROCESSING_FAILURE, frozenset({"reason"})),
    )
    behaviours: ClassVar[tuple[Behaviour, ...]] = coverage.BEHAVIOURS

    def catch_up(self, scope: str | None) -> None:
        self.model.settle_scope(scope)

    def tenant_of(self, call: Call) -> str | None:
        scheme, value = bearer(responses.authorization(call))
        return self.model.tokens.tenant_of(value) if scheme == "bearer" else None

    def session_credentials(self, prefix: str) -> dict[str, Any]:
        return {"tenant": prefix}

    def adopt_credentials(self, headers: Mapping[str, str], status: int) -> None:
        """The bearer comes from TS ID, never from a call the shadow sees. A token TS Digital
        accepted (any answer but 401) and the shadow does not hold live is made live, with the
        configured ``shadow_token_kind`` and grants; one it refused is made expired."""
        scheme, value = bearer(headers.get("authorization") or "")
        tokens = self.model.tokens
        live = tokens.lookup(value) is not None if value else False
        if scheme != "bearer" or not value or live == (status != 401):
            return
        settings = self.settings
        tokens.adopt(
            value,
            settings.default_tenant,
            settings.token_ttl_seconds if status != 401 else 0,
            kind=settings.shadow_token_kind,
            grants=sorted(set(settings.shadow_token_grants)),
        )

    def admin_routes(self) -> list[AdminRoute]:
        return token_routes(self.model)

    def render_error(self, error: KitError, operation: str) -> Response:
        if error.kind == "malformed_json":
            met(coverage.INVALID_BODY)
            status, problems = 400, [sub_error("body", "Il body non è un JSON valido")]
        else:  # too_large (413), an injected status, or an unplanned error (500)
            status, problems = error.status or 500, []
            if status in coverage.SERVER_FAULTS and error.kind in ("fault", "internal"):
                met(coverage.SERVER_FAULTS[status])
        return self.model.error(status, problems).response()

    def answer_notes(self, response: Any) -> list[Note]:
        """The error body's ``code`` (the HTTP status as text) and ``message``; a 202 has
        none."""
        if not isinstance(response, dict):
            return []
        return [(response.get("code"), response.get("message"))]

    @classmethod
    def demo_lines(cls, settings: Any) -> list[str]:
        # The path in full: read literally, "tsdigital/tokens" was a 404 under /tsdigital. Tools
        # wait for the banner's line labelled "admin", not for the first "/__admin".
        return [
            'bearer tokens from the admin API: POST /__admin/tsdigital/tokens {"kind": "user"}',
            "(kinds user, user-key, app-key, backoffice; grants items:create, special, "
            "studio:<studioId>)",
        ]
