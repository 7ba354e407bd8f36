"""KeepIT errors and their bodies.

The seed's response structure (``success``, ``code``, ``message`` and the three record arrays)
for every answer, a call refused as a whole too (413, 500, any injected status), its arrays then
empty; but 401 and 429, whose ``{"success": false, "code", "message"}`` VENDORS.md fixes. An
unknown alias is ``{"success": false, "message"}``.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from mockservers.core.errors import VendorError
from mockservers.core.http import JSONResponse

NOT_DONE = (
    "Errore: non è stato eseguito l'inserimento/update, "
    "verificare il messaggio di errore dei record ritornati."
)


class KeepItError(VendorError):
    def __init__(
        self,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(f"{status} {body.get('message')}")
        self.status = status
        self.body = body
        self.headers = headers
        self.detail = detail

    def response(self) -> Response:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


def envelope(
    success: bool,
    code: int,
    message: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    inserted: list[dict[str, Any]] | None = None,
    duplicated: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "success": success,
        "code": code,
        "message": message,
        "errorObjects": errors or [],
        "insertedObjects": inserted or [],
        "duplicatedObjects": duplicated or [],
    }


_SHORT = frozenset({401, 429})
"""The call-level refusals whose body VENDORS.md fixes without the arrays."""


def call_error(
    status: int, message: str, headers: dict[str, str] | None = None, detail: str = ""
) -> KeepItError:
    """The call refused as a whole: the seed's structure with its three arrays empty (a
    connector reads ``errorObjects`` on every answer), ``{"success": false, "code", "message"}``
    for 401 and 429."""
    if status in _SHORT:
        body = {"success": False, "code": status, "message": message}
    else:
        body = envelope(False, status, message)
    return KeepItError(status, body, headers, detail)


def bad_request(message: str) -> KeepItError:
    """The body as a whole is unusable (not JSON, no subjectsRecords): HTTP 400 envelope."""
    return KeepItError(400, envelope(False, 400, message))


def not_found(cmd: str) -> KeepItError:
    return KeepItError(404, {"success": False, "message": f"No alias found for '{cmd}'"})


def rate_limited(calls: int, window: float, wait: float) -> KeepItError:
    """The call limit's 429 (a ``status`` fault of 429's too, waiting the whole window), its
    ``Retry-After`` the seconds to wait, whole, at least 1. Its message in Italian, the window's
    decimals after a comma (``2,5``), a limit or window of 1 in the singular."""
    seconds = _written(window)
    message = (
        f"Superato il limite di {calls} {'chiamata' if calls == 1 else 'chiamate'}"
        f" in {seconds.replace('.', ',')} {'secondo' if window == 1 else 'secondi'}."
    )
    detail = f"{calls} call{'' if calls == 1 else 's'} in the last {seconds} s of the kit's clock"
    return call_error(429, message, {"Retry-After": str(max(1, math.ceil(wait)))}, detail)


def _written(seconds: float) -> str:
    """A number of seconds as a person writes it: a whole one as an integer, another with all
    its decimals (``{:g}`` wrote 1234567 as ``1.23457e+06``)."""
    if float(seconds).is_integer():
        return str(int(seconds))
    return format(Decimal(repr(float(seconds))), "f")
