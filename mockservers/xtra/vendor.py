"""The XTRA/XOX fake: ``POST /api/sync/v1/login`` and ``POST /api/sync/v1/irs/update``."""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.responses import Response

from mockservers.core.errors import KitError
from mockservers.core.faults import CORE_FAULT_KINDS, Fault
from mockservers.core.http import status_phrase
from mockservers.core.vendor import Call, Vendor, VendorRoute
from mockservers.xtra import responses
from mockservers.xtra.errors import (
    INVALID,
    UNHANDLED,
    UNHANDLED_TEXT,
    XtraError,
    invalid,
)
from mockservers.xtra.models import ACTIVITIES, IDENTITIES, XtraModel, check_state
from mockservers.xtra.settings import XtraSettings


class Xtra(Vendor):
    name: ClassVar[str] = "xtra"
    title: ClassVar[str] = "XTRA/XOX"
    operations: ClassVar[tuple[str, ...]] = ("login", "updateIdentities")
    routes: ClassVar[tuple[VendorRoute, ...]] = (
        VendorRoute("/api/sync/v1/login", "login", operation="login"),
        VendorRoute("/api/sync/v1/irs/update", "update_identities", operation="updateIdentities"),
    )
    collections: ClassVar[tuple[str, ...]] = (IDENTITIES, ACTIVITIES)
    settings_class = XtraSettings
    model_class = XtraModel
    # document_error: in the next matching calls, every record's documents fail (ER.DOC.UNERR).
    fault_kinds: ClassVar[frozenset[str]] = CORE_FAULT_KINDS | {responses.DOCUMENT_FAULT}

    def load_state(self, document: Any) -> None:
        check_state(document)  # before anything is replaced: a refused document changes nothing
        super().load_state(document)

    def login(self, call: Call) -> Response:
        return responses.login(self.model, call)

    def update_identities(self, call: Call) -> Response:
        return responses.update_identities(self.model, call)

    def apply_fault(self, fault: Fault, call: Call) -> Response | None:
        """document_error does not answer for the handler: it marks the call (``call.fault``)."""
        return None

    def render_error(self, error: KitError, operation: str) -> Response:
        if error.kind == "malformed_json":
            return invalid(error.detail).response()
        if error.kind == "too_large":
            return XtraError(413, INVALID, f"Richiesta non valida: {error.detail}").response()
        status = error.status or 500
        if status >= 500:
            return XtraError(status, UNHANDLED, UNHANDLED_TEXT).response()
        if status in (401, 403):
            return self.model.forbidden(status_phrase(status)).response()
        return XtraError(status, INVALID, status_phrase(status)).response()

    def demo_lines(self) -> list[str]:
        if not self.settings.demo_account:
            return []
        return [
            "headers SyncPublicKey: demo-public, SyncSecretKey: demo-secret",
            "login: Username demo, Password demo (identity IRID 1)",
        ]
