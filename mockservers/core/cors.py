"""CORS for connectors that run in a browser (``--cors-origin``), with refusals a person can find.

Starlette's middleware answers preflights and marks answers for the configured origins. A page
from another origin is refused by the browser, which shows the page no reason; so here the
kit says it where the integrator looks, the journal (and the dashboard):

- a preflight Starlette refuses (such an origin; a method it does not know, ``FOO``) keeps what
  the browser reads (a 400 without ``Access-Control-Allow-Origin``, Starlette's ``Vary`` and
  ``Access-Control-*`` headers) but answers in the vendor's error body and is journalled under
  that vendor, as ``unknown`` with the detail ``cors: ...`` (outside a vendor's prefix: the
  kit's ``{"error"}``, unjournalled);
- a call sent without a preflight (a QuoParts login is a plain GET) is answered as usual, and
  its entry's detail says the browser hides that answer from the page.

A configured origin may also reach a kit on a private network from a public page: a Private
Network Access preflight is allowed (the origin was named, so it is trusted).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from mockservers.core.errors import KitError
from mockservers.core.http import JSONResponse
from mockservers.core.pipeline import CORS_NOTE, DETAIL_HEADER
from mockservers.core.vendor import Vendor, vendor_of


class KitCORS(CORSMiddleware):
    """Starlette's CORS for ``origins``, each refusal journalled under the vendor called."""

    def __init__(self, app: ASGIApp, origins: tuple[str, ...], vendors: Mapping[str, Vendor]):
        super().__init__(
            app,
            allow_origins=list(origins),
            allow_methods=["*"],
            allow_headers=["*"],
            allow_private_network=True,
            expose_headers=[DETAIL_HEADER, "Retry-After"],
            max_age=600,
        )
        self.origins = origins
        self.vendors = vendors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Starlette's own steps, with a refused preflight journalled and a call from a page
        not allowed noted."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.simple_response(scope, receive, send, request_headers=headers)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            response = self.preflight_response(request_headers=headers)
            if response.status_code != 200:
                response = await self._refused(scope, headers, origin, response)
            await response(scope, receive, send)
            return
        if not self.is_allowed_origin(origin):
            scope[CORS_NOTE] = (
                f"cors: a page from {origin}, not a --cors-origin ({self._allowed}): the browser"
                " hides this answer from it"
            )
        await self.simple_response(scope, receive, send, request_headers=headers)

    @property
    def _allowed(self) -> str:
        return ", ".join(self.origins)

    async def _refused(
        self, scope: Scope, headers: Headers, origin: str, refusal: Response
    ) -> Response:
        """Starlette's refusal of a preflight (its status and CORS headers, what the browser
        reads) in the vendor's error body, journalled."""
        kept = {
            name: value
            for name, value in refusal.headers.items()
            if name not in ("content-length", "content-type")
        }
        method = headers["access-control-request-method"]
        if self.is_allowed_origin(origin):  # a method Starlette does not know (FOO)
            why = f"{origin} refused ({bytes(refusal.body).decode()})"
        else:
            why = f"{origin}, not a --cors-origin ({self._allowed})"
        reason = f"a preflight from {why}: the browser sends no {method} call"
        vendor = vendor_of(self.vendors, scope["path"])
        if vendor is None:
            return JSONResponse({"error": f"CORS: {reason}"}, refusal.status_code, headers=kept)
        error = KitError("cors", reason, status=refusal.status_code)
        return await vendor.refuse(scope, error, kept)
