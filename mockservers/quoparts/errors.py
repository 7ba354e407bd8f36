"""QuoParts errors: every one is the envelope ``{"errorCode", "error", "data": []}`` with the
document's own text; the kit's diagnosis travels beside it (``detail``), never inside.

HTTP status is 200 for every documented answer; only the kit's own limits (413) and injected
faults change it.
"""

from __future__ import annotations

from starlette.responses import Response

from mockservers.core.errors import VendorError
from mockservers.core.explain import FORMAT, MISSING, NOT_ALLOWED, OTHER, TYPE
from mockservers.core.http import JSONResponse

BAD_REQUEST = "100"
BAD_REQUEST_TEXT = "Richiesta errata"
NOT_ACCREDITED = "101"
NOT_ACCREDITED_TEXT = "Utente non Accreditato"
"""The document's answer to a wrong login, and to a token refused: each configurable on its
own (``login_error_*``, ``auth_error_*``), since a sandbox may word them apart."""
QUOTE_FAILED = "107"
QUOTE_FAILED_TEXT = "Errore durante la creazione del preventivo"

# A row of importCli refused: its own "error" is the place for details (in Italian).
ROW_PHRASES = {
    MISSING: "campo {field} obbligatorio",
    TYPE: "campo {field} di tipo non valido (atteso {expected})",
    NOT_ALLOWED: "campo {field} con valore non ammesso (ammessi {expected})",
    FORMAT: "campo {field} non valido",
    OTHER: "campo {field} non valido",
}


class QuoPartsError(VendorError):
    def __init__(self, code: str, message: str, status: int = 200, detail: str = "") -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.status = status
        self.detail = detail

    def response(self) -> Response:
        return envelope_error(self.code, self.message, self.status)


def envelope_error(code: str, message: str, status: int = 200) -> Response:
    return JSONResponse({"errorCode": code, "error": message, "data": []}, status_code=status)


def bad_request(detail: str = "", status: int = 200) -> QuoPartsError:
    """errorCode 100 "Richiesta errata", exactly as the document writes it."""
    return QuoPartsError(BAD_REQUEST, BAD_REQUEST_TEXT, status, detail)


def quote_failed(detail: str) -> QuoPartsError:
    """errorCode 107 "Errore durante la creazione del preventivo", exactly."""
    return QuoPartsError(QUOTE_FAILED, QUOTE_FAILED_TEXT, detail=detail)
