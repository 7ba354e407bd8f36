"""XTRA errors: whole-call errors are the envelope with statusCode = HTTP status; per-record
errors are ``Item4`` of one record and never fail the call."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from mockservers.core.errors import VendorError
from mockservers.core.explain import (
    FORMAT,
    MISSING,
    NOT_ALLOWED,
    OTHER,
    OUT_OF_RANGE,
    TOO_LONG,
    TOO_SHORT,
    TYPE,
)
from mockservers.core.http import JSONResponse

INVALID = "ER.IR.INVAL"
NOT_FOUND = "ER.IR.NOFOUND"
EXISTS = "ER.IR.EXISTS"
INSERT_FAILED = "ER.IR.INS"
UNHANDLED = "ER.IR.UNERR"
DOC_EXISTS = "ER.DOC.EXISTS"
DOC_NOT_IMPORTED = "ER.DOC.RNOIMPORT"
DOC_UNHANDLED = "ER.DOC.UNERR"

INVALID_TEXT = "Richiesta non valida"
UNHANDLED_TEXT = "Eccezione non gestita"
DOC_UNHANDLED_TEXT = "Eccezione non gestita nell'importazione dei documenti"
# ER.AUTH is the kit's code (the document lists none for authorisation): the contract's example.
NOT_AUTHORISED = "Non autorizzato"

# A record or a call refused for its content: the message names the field, in Italian.
PHRASES = {
    MISSING: "campo {field} obbligatorio",
    TYPE: "campo {field} di tipo non valido (atteso {expected})",
    NOT_ALLOWED: "campo {field} con valore non ammesso (ammessi {expected})",
    TOO_LONG: "campo {field} troppo lungo",
    TOO_SHORT: "campo {field} con troppo pochi elementi",
    OUT_OF_RANGE: "campo {field} fuori dai limiti ammessi",
    FORMAT: "campo {field} non nel formato atteso ({expected})",
    OTHER: "campo {field} non valido",
}


def envelope(
    status: int,
    code: str | None,
    message: str | None,
    result: Any,
    debug: dict[str, str] | None = None,
) -> Response:
    """The XTRA envelope; the HTTP status always equals ``statusCode``."""
    body: dict[str, Any] = {
        "statusCode": status,
        "errorCode": code,
        "message": message,
        "result": result,
    }
    if debug is not None:
        body["debug"] = debug
    return JSONResponse(body, status_code=status)


class XtraError(VendorError):
    """A whole-call error: 400 ER.IR.INVAL, 403 auth, 500 ER.IR.UNERR."""

    def __init__(self, status: int, code: str, message: str, detail: str = "") -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail

    def response(self) -> Response:
        return envelope(self.status, self.code, self.message, None)


def invalid(reason: str = "", detail: str = "") -> XtraError:
    """400 ER.IR.INVAL: "Richiesta non valida", with the reason in Italian when there is one
    and the kit's diagnosis as ``detail``."""
    message = f"{INVALID_TEXT}: {reason}" if reason else INVALID_TEXT
    return XtraError(400, INVALID, message, detail)


class RecordError(Exception):
    """One record's failure: becomes its ``Item3 = false`` and ``Item4 = {Code, Message}``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message

    def item4(self) -> dict[str, str]:
        return {"Code": self.code, "Message": self.message}
