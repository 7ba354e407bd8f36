"""TS Digital errors: every non-202 answer is the seed's shared body
``{"code", "message", "status", "subErrors", "timestamp"}`` with ``timestamp`` as
``dd-MM-yyyy HH:mm:ss`` (UTC, on the kit's clock)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.responses import Response

from mockservers.core.clock import Clock
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
from mockservers.core.phrases import status_phrase

# The seed's own words for each documented status, verbatim ("Risposte"); 500 is the document's
# example of `message`. Statuses the document does not describe use the reason phrase.
MESSAGES = {
    400: "Uno o più parametri forniti nella richiesta sono errati, o mancano dei parametri "
    "obbligatori.",
    401: "Il token autorizzativo è scaduto, invalido o non è stato specificato.",
    403: "Il token autorizzativo fornito è valido, ma l'utente non ha i permessi necessari a "
    "creare un item",
    413: "Il body della richiesta supera la dimensione massima consentita",
    500: "Errore interno del server",
    502: "Il server ha riscontrato un errore inaspettato nel comunicare con un servizio dal quale "
    "dipende per poter completare il processo (ad esempio, il servizio di auth non risulta essere "
    "disponibile)",
}

# One subErrors entry per violation of the request contract: the field, and in Italian what.
PHRASES = {
    MISSING: "Il campo {field} è obbligatorio",
    TYPE: "Il campo {field} deve essere di tipo {expected}",
    NOT_ALLOWED: "Il campo {field} ha un valore non ammesso (ammessi {expected})",
    TOO_LONG: "Il campo {field} supera la lunghezza massima",
    TOO_SHORT: "Il campo {field} ha troppo pochi elementi",
    OUT_OF_RANGE: "Il campo {field} è fuori dai limiti ammessi",
    FORMAT: "Il campo {field} non è nel formato atteso ({expected})",
    OTHER: "Il campo {field} non è valido",
}

SubError = dict[str, Any]


def sub_error(field: str, message: str) -> SubError:
    return {"field": field, "message": message}


def timestamp(clock: Clock) -> str:
    return clock.now().strftime("%d-%m-%Y %H:%M:%S")


class TsDigitalError(VendorError):
    """An error answer; ``timestamp`` is taken when the error is raised."""

    def __init__(
        self, status: int, sub_errors: list[SubError], stamp: str, detail: str = ""
    ) -> None:
        super().__init__(f"{status} {sub_errors!r:.200}")
        self.status = status
        self.sub_errors = sub_errors
        self.timestamp = stamp
        self.detail = detail

    def body(self) -> dict[str, Any]:
        return {
            "code": str(self.status),
            "message": MESSAGES.get(self.status, status_phrase(self.status)),
            "status": status_phrase(self.status),
            "subErrors": self.sub_errors,
            "timestamp": self.timestamp,
        }

    def response(self) -> Response:
        return JSONResponse(self.body(), status_code=self.status)


def error(
    clock: Clock, status: int, sub_errors: Iterable[SubError] = (), detail: str = ""
) -> TsDigitalError:
    return TsDigitalError(status, list(sub_errors), timestamp(clock), detail)
