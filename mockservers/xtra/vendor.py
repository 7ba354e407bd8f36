"""The XTRA/XOX fake: ``POST /api/sync/v1/login`` and ``POST /api/sync/v1/irs/update``."""

from __future__ import annotations

from typing import ClassVar

from starlette.responses import Response

from mockservers.core.errors import KitError
from mockservers.core.vendor import Vendor, VendorRoute
from mockservers.xtra import responses
from mockservers.xtra.errors import (
    INVALID,
    INVALID_TEXT,
    NOT_AUTHORISED,
    UNHANDLED,
    UNHANDLED_TEXT,
    XtraError,
    invalid,
)
from mockservers.xtra.models import ACTIVITIES, IDENTITIES, XtraModel
from mockservers.xtra.settings import XtraSettings


class Xtra(Vendor):
    name: ClassVar[str] = "xtra"
    title: ClassVar[str] = "XTRA/XOX"
    routes: ClassVar[tuple[VendorRoute, ...]] = (
        VendorRoute("/api/sync/v1/login", {"login": responses.login}),
        VendorRoute("/api/sync/v1/irs/update", {"updateIdentities": responses.update_identities}),
    )
    collections: ClassVar[tuple[str, ...]] = (IDENTITIES, ACTIVITIES)
    settings_class = XtraSettings
    model_class = XtraModel
    # document_error: in the next matching calls, every record's documents fail (ER.DOC.UNERR).
    vendor_fault_kinds: ClassVar[frozenset[str]] = frozenset({responses.DOCUMENT_FAULT})

    def render_error(self, error: KitError, operation: str) -> Response:
        if error.kind == "malformed_json":
            return invalid("il corpo non è un JSON valido").response()
        if error.kind == "too_large":
            reason = f"{INVALID_TEXT}: il corpo supera la dimensione massima"
            return XtraError(413, INVALID, reason).response()
        # A documented code carries its documented description (the kit's account of the
        # error goes to the detail header); ER.AUTH is the kit's own code.
        status = error.status or 500
        if status >= 500:
            return XtraError(status, UNHANDLED, UNHANDLED_TEXT).response()
        if status in (401, 403):
            return self.model.forbidden(NOT_AUTHORISED).response()
        return XtraError(status, INVALID, INVALID_TEXT).response()

    def demo_lines(self) -> list[str]:
        if not self.settings.demo_account:
            return []
        return [
            "headers SyncPublicKey: demo-public, SyncSecretKey: demo-secret",
            "login: Username demo, Password demo (identity IRID 1)",
        ]
