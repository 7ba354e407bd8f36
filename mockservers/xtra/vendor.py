"""The XTRA/XOX fake: ``POST /api/sync/v1/login`` and ``POST /api/sync/v1/irs/update``."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from starlette.responses import Response

from mockservers.core.call import Call
from mockservers.core.coverage import Behaviour, met
from mockservers.core.errors import KitError
from mockservers.core.faults import FaultKind
from mockservers.core.generated import Generated
from mockservers.core.listed import Listed
from mockservers.core.route import VendorRoute
from mockservers.core.vendor import Vendor
from mockservers.core.verify import Note
from mockservers.xtra import coverage, responses
from mockservers.xtra.auth import login_tenant
from mockservers.xtra.errors import (
    INVALID,
    INVALID_TEXT,
    NOT_AUTHORISED,
    UNHANDLED,
    UNHANDLED_TEXT,
    XtraError,
    invalid,
)
from mockservers.xtra.models import XtraModel
from mockservers.xtra.records import ACTIVITIES, IDENTITIES, SEQUENCE_NAMES
from mockservers.xtra.settings import DEMO_ACCOUNT, XtraSettings


class Xtra(Vendor):
    name: ClassVar[str] = "xtra"
    title: ClassVar[str] = "XTRA/XOX"
    routes: ClassVar[tuple[VendorRoute, ...]] = (
        VendorRoute("/api/sync/v1/login", {"login": responses.login}),
        VendorRoute("/api/sync/v1/irs/update", {"updateIdentities": responses.update_identities}),
    )
    # ASP.NET Core's routing: /xtra/api/Sync/v1/IRS/Update and .../irs/update/ are irs/update.
    paths_any_case: ClassVar[bool] = True
    json_charsets: ClassVar[bool] = True  # its JSON input: a UTF-8 BOM, a declared UTF-16
    # Its binders read "ID": "5" as 5 (the fake's AccessToken scope does too: auth.py).
    body_numbers_from_text: ClassVar[bool] = True
    collections: ClassVar[tuple[str, ...]] = (IDENTITIES, ACTIVITIES)
    sequences: ClassVar[tuple[str, ...]] = SEQUENCE_NAMES
    # Item1 is the identity's ID, Item5/Item6 map destinations/contacts to theirs; the login's
    # IRID and UserID are IDs too, sent back in an update of one's own identity and user.
    generated: ClassVar[tuple[Generated, ...]] = (
        Generated("result.Token", carried_by=("headers.accesstoken",)),
        Generated("result.RefreshToken"),
        Generated("result.TokenExpiration"),
        Generated("result.IRID", carried_by=("body.*.ID",)),
        Generated("result.UserID", carried_by=("body.*.Users.*.ID",)),
        Generated("result.records.*.Item1", carried_by=("body.*.ID",)),
        Generated("result.records.*.Item5.*", carried_by=("body.*.Destinations.*.ID",)),
        Generated("result.records.*.Item6.*", carried_by=("body.*.Contacts.*.ID",)),
        Generated("debug.*"),
        # Messages that quote an ID: the identity already holding a key, the caller's own.
        Generated("result.records.*.Item4.Message", inside=r"\(ID \d+\)"),
        Generated("message", inside=r"(?<=anagrafica )\d+|(?<=utente )\d+"),
    )
    # One record outcome per record sent, in order; Item3: true for one done.
    listed_records: ClassVar[Listed | None] = Listed(("result", "records"), accepted_by="Item3")
    settings_class = XtraSettings
    model_class = XtraModel
    # document_error: in the next matching calls, every record's documents fail (ER.DOC.UNERR);
    # record_error: the next matching records fail (ER.IR.UNERR), the call's others go through.
    # Only irs/update has records: a login never meets either.
    vendor_fault_kinds: ClassVar[tuple[FaultKind, ...]] = (
        FaultKind(responses.DOCUMENT_FAULT, operations=frozenset({"updateIdentities"})),
        FaultKind(responses.RECORD_FAULT, operations=frozenset({"updateIdentities"})),
    )
    behaviours: ClassVar[tuple[Behaviour, ...]] = coverage.BEHAVIOURS

    def tenant_of(self, call: Call) -> str | None:
        token = call.header(b"accesstoken")
        if token is not None:
            return self.model.tokens.tenant_of(token)
        account = self.model.named_account(call)
        if account is not None:
            return account.name
        if call.header(b"syncpublickey") is None and call.operation == "login":
            return login_tenant(self.model, call)
        return None

    @property
    def body_names_any_case(self) -> bool:
        return bool(self.settings.field_names_any_case)

    def session_credentials(self, prefix: str) -> dict[str, Any]:
        return {
            "public_key": f"{prefix}-public",
            "secret_key": secrets.token_urlsafe(16),
            "username": prefix,
            "password": secrets.token_urlsafe(12),
            "irid": 1,
        }

    @classmethod
    def demo_credentials(cls) -> dict[str, Any]:
        user = DEMO_ACCOUNT.users[0]
        return {
            "public_key": DEMO_ACCOUNT.public_key,
            "secret_key": DEMO_ACCOUNT.secret_key,
            "username": user.username,
            "password": user.password,
        }

    def render_error(self, error: KitError, operation: str) -> Response:
        if error.kind == "malformed_json":
            met(coverage.ER_IR_INVAL_CALL)
            return invalid("il corpo non è un JSON valido").response()
        if error.kind == "too_large":
            reason = f"{INVALID_TEXT}: il corpo supera la dimensione massima"
            return XtraError(413, INVALID, reason).response()
        # A documented code carries its documented description (the kit's account of the
        # error goes to the detail header); ER.AUTH is the kit's own code.
        status = error.status or 500
        if status >= 500:
            if status == 500 and error.kind in ("fault", "internal"):
                met(coverage.ER_IR_UNERR)
            return XtraError(status, UNHANDLED, UNHANDLED_TEXT).response()
        if status in (401, 403):
            return self.model.forbidden(NOT_AUTHORISED).response()
        return XtraError(status, INVALID, INVALID_TEXT).response()

    def answer_notes(self, response: Any) -> list[Note]:
        """The envelope's errorCode and message, then each record's Item4.Code and Message."""
        if not isinstance(response, dict):
            return []
        result = response.get("result")
        records = result.get("records") if isinstance(result, dict) else None
        notes = [(response.get("errorCode"), response.get("message"))]
        for record in records if isinstance(records, list) else ():
            item4 = record.get("Item4") if isinstance(record, dict) else None
            if isinstance(item4, dict):
                notes.append((item4.get("Code"), item4.get("Message")))
        return notes

    @classmethod
    def demo_lines(cls, settings: Any) -> list[str]:
        if not settings.demo_account:
            return []
        return [
            "headers SyncPublicKey: demo-public, SyncSecretKey: demo-secret",
            "login: Username demo, Password demo (identity IRID 1)",
        ]
