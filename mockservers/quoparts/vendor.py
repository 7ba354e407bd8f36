"""The QuoParts fake: one URL, ``ws_quoparts.php``, the method chosen by a query parameter."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from starlette.responses import Response

from mockservers.core.call import Call, Query
from mockservers.core.coverage import Behaviour, met
from mockservers.core.errors import KitError
from mockservers.core.generated import Generated
from mockservers.core.phrases import status_phrase
from mockservers.core.route import UNKNOWN, VendorRoute
from mockservers.core.vendor import Vendor
from mockservers.core.verify import Note
from mockservers.quoparts import coverage, responses
from mockservers.quoparts.errors import bad_request, envelope_error
from mockservers.quoparts.models import CUSTOMERS, QUOTES, SEQUENCE_NAMES, QuoPartsModel
from mockservers.quoparts.settings import DEMO_ACCOUNT, QuoPartsSettings

# Checked in this order, as a PHP if/elseif chain would.
_METHODS = {
    "login": responses.login,
    "importCli": responses.import_customers,
    "importPvt": responses.import_quote,
}


_MALFORMED = {"importCli": coverage.IMPORT_CLI_REFUSED, "importPvt": coverage.QUOTE_REFUSED}
"""A body that is not JSON: the "100" of the operation that read it."""


def method_of(query: Query) -> str | None:
    """The first method flag present in the query (its value does not matter)."""
    for method in _METHODS:  # a loop, not next() over a generator: every call's path
        if method in query:
            return method
    return None


class QuoParts(Vendor):
    name: ClassVar[str] = "quoparts"
    title: ClassVar[str] = "QuoParts"
    routes: ClassVar[tuple[VendorRoute, ...]] = (
        VendorRoute(
            "/ws_quoparts.php",
            _METHODS,
            methods=("GET", "POST"),
            select=method_of,
            unknown=responses.unknown_method,
        ),
    )
    collections: ClassVar[tuple[str, ...]] = (CUSTOMERS, QUOTES)
    done_codes: ClassVar[frozenset[str]] = frozenset({"0"})  # every refusal is HTTP 200 too
    sequences: ClassVar[tuple[str, ...]] = SEQUENCE_NAMES
    generated: ClassVar[tuple[Generated, ...]] = (
        Generated("data.*.TOKEN", carried_by=("query.token",)),
        Generated("data.*.COD_CLI", carried_by=("body.data.testata.COD_CLI",)),
        Generated("data.*.COD_USR"),
        Generated("data.*.COD_PWD"),
        Generated("data.*.COD_DOC"),
    )
    settings_class = QuoPartsSettings
    model_class = QuoPartsModel
    behaviours: ClassVar[tuple[Behaviour, ...]] = coverage.BEHAVIOURS

    def tenant_of(self, call: Call) -> str | None:
        if call.operation == "login":
            return call.query.get("username")
        owner = self.model.tokens.tenant_of(call.query.get("token"))
        if owner is None and call.operation == UNKNOWN:
            # A wrong path or method (a login sent to ws_quoparts without .php): whoever it
            # names, so that it shows in that session's journal.
            return call.query.get("username")
        return owner

    def session_credentials(self, prefix: str) -> dict[str, Any]:
        return {"username": prefix, "password": secrets.token_urlsafe(12)}

    @classmethod
    def demo_credentials(cls) -> dict[str, Any]:
        return dict(DEMO_ACCOUNT)

    def render_error(self, error: KitError, operation: str) -> Response:
        if error.kind == "malformed_json":
            met(_MALFORMED.get(operation, coverage.IMPORT_CLI_REFUSED))
            return bad_request().response()
        if error.kind == "too_large":
            return bad_request(status=413).response()
        status = error.status or 500
        return envelope_error(str(status), status_phrase(status), status)

    def answer_notes(self, response: Any) -> list[Note]:
        """The envelope's errorCode, then each row's (importCli answers one per customer),
        each with the ``error`` beside it."""
        if not isinstance(response, dict):
            return []
        rows = response.get("data")
        found = [response, *(rows if isinstance(rows, list) else ())]
        return [
            (part.get("errorCode"), part.get("error")) for part in found if isinstance(part, dict)
        ]

    @classmethod
    def demo_lines(cls, settings: Any) -> list[str]:
        return ["login: username demo, password demo"] if settings.demo_account else []
