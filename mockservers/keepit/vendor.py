"""The 4WS.KeepIT fake: ``POST /api?cmd=<alias>``; the only alias served is insertClient_v3."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from starlette.responses import Response

from mockservers.core.call import Call, Query
from mockservers.core.coverage import Behaviour, met
from mockservers.core.errors import KitError
from mockservers.core.generated import Generated
from mockservers.core.listed import Listed
from mockservers.core.phrases import status_phrase
from mockservers.core.route import VendorRoute
from mockservers.core.vendor import Vendor
from mockservers.core.verify import Note
from mockservers.keepit import coverage, responses
from mockservers.keepit.errors import NOT_DONE, bad_request, call_error, rate_limited
from mockservers.keepit.models import KeepItModel, tenant_name
from mockservers.keepit.records import SEQUENCE_NAMES, SUBJECTS
from mockservers.keepit.settings import DEMO_ACCOUNT, KeepItSettings

INSERT_CLIENT = "insertClient_v3"

# A status fault of the fake's own refusals of a call: its message, and the situation it meets.
_REFUSALS = {
    400: (NOT_DONE, coverage.REFUSED),
    422: (responses.UNIQUE_CLASH, coverage.UNIQUE_CONSTRAINT),
}


def alias_of(query: Query) -> str | None:
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
    # 204 (duplicates: nothing written) and 206 (in part) are answered HTTP 200 too.
    done_codes: ClassVar[frozenset[str]] = frozenset({"200"})
    sequences: ClassVar[tuple[str, ...]] = SEQUENCE_NAMES
    # The customer's progId comes back in an update; each section's progIds and makeup's too.
    generated: ClassVar[tuple[Generated, ...]] = (
        Generated(
            "insertedObjects.*.progId", carried_by=("body.subjectsRecords.*.subjects.progId",)
        ),
        Generated("insertedObjects.**.progId"),
    )
    # The customers inserted or updated alone (the others are in errorObjects and
    # duplicatedObjects, without a progId), each with the customerCode it was sent with.
    listed_records: ClassVar[Listed | None] = Listed(("insertedObjects",), paired_by="customerCode")
    settings_class = KeepItSettings
    model_class = KeepItModel
    behaviours: ClassVar[tuple[Behaviour, ...]] = coverage.BEHAVIOURS

    def tenant_of(self, call: Call) -> str | None:
        company, site = call.header_values(b"companyid", b"siteid")
        return tenant_name(company, site) if company and site else None

    def session_credentials(self, prefix: str) -> dict[str, Any]:
        return {
            "username": prefix,
            "password": secrets.token_urlsafe(12),
            "company_id": prefix,
            "site_id": "1",
        }

    @classmethod
    def demo_credentials(cls) -> dict[str, Any]:
        return dict(DEMO_ACCOUNT)

    def render_error(self, error: KitError, operation: str) -> Response:
        if error.kind == "malformed_json":
            met(coverage.REFUSED)
            return bad_request("Errore: il body non è un JSON valido.").response()
        if error.kind == "too_large":
            return call_error(413, "Errore: la richiesta supera la dimensione massima.").response()
        status = error.status or 500
        if status == 401:  # a status fault: the credentials' refusal, its (configured) message
            met(coverage.UNAUTHORIZED)
            return call_error(401, self.settings.auth_error_message).response()
        if status == 429:  # a status fault: the call limit's own 429, at its longest wait
            met(coverage.RATE_LIMITED)
            limiter = self.model.limiter
            return rate_limited(limiter.calls, limiter.window, limiter.window).response()
        if error.kind == "fault" and status in _REFUSALS:  # the fake's own 400 or 422 body
            message, behaviour = _REFUSALS[status]
            met(behaviour)
            return call_error(status, message).response()
        if status == 500 and error.kind in ("fault", "internal"):
            met(coverage.SERVER_ERROR)
        return call_error(status, status_phrase(status)).response()

    def answer_notes(self, response: Any) -> list[Note]:
        """The answer's ``code`` (200, 204, 206, 400, 401, 422, 429, 500) and ``message``."""
        if not isinstance(response, dict):
            return []
        return [(response.get("code"), response.get("message"))]

    @classmethod
    def demo_lines(cls, settings: Any) -> list[str]:
        if not settings.demo_account:
            return []
        return ["headers username: demo, password: demo, companyId: 1, siteId: 1"]
