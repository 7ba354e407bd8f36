"""QuoParts errors: every one is the envelope ``{"errorCode", "error", "data": []}``.

HTTP status is 200 for every documented answer; only the kit's own limits (413) and injected
faults change it.
"""

from __future__ import annotations

from starlette.responses import Response

from mockservers.core.errors import VendorError
from mockservers.core.http import JSONResponse

BAD_REQUEST = "100"
BAD_REQUEST_TEXT = "Richiesta errata"
QUOTE_FAILED = "107"
QUOTE_FAILED_TEXT = "Errore durante la creazione del preventivo"


class QuoPartsError(VendorError):
    def __init__(self, code: str, message: str, status: int = 200) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.status = status

    def response(self) -> Response:
        return envelope_error(self.code, self.message, self.status)


def envelope_error(code: str, message: str, status: int = 200) -> Response:
    return JSONResponse({"errorCode": code, "error": message, "data": []}, status_code=status)


def bad_request(detail: str = "", status: int = 200) -> QuoPartsError:
    """errorCode 100 "Richiesta errata", with what was wrong after a colon."""
    text = f"{BAD_REQUEST_TEXT}: {detail}" if detail else BAD_REQUEST_TEXT
    return QuoPartsError(BAD_REQUEST, text, status)


def quote_failed(detail: str) -> QuoPartsError:
    return QuoPartsError(QUOTE_FAILED, f"{QUOTE_FAILED_TEXT}: {detail}")
