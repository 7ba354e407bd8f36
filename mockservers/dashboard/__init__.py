"""The dashboard: one page for people at ``GET /__admin/ui``, over the admin API.

The page, its scripts (ES modules) and its stylesheet are files of this package, served as they
are: no build step, no framework, nothing fetched from another host. ``CSP`` tells the browser
so as well: everything from this origin, no inline script.

The page itself holds no data: it reads everything through the admin API, with the same rules
as any other caller. So with an admin token configured the shell answers any caller (a person on
another machine needs it to type the token in), and every data call it makes sends the token as
``X-Admin-Token``; without a token the shell, like the admin API, answers loopback only, and
no web page of another site (``foreign_page``: a DNS-rebinding page names its own host).

What is written into the page is the kit's catalogue (each vendor's name, title, operations,
fault kinds, each kind with the operations it reaches, and whether it issues tokens), for the
filters, the fault form and the tokens' buttons:
the same facts as the public OpenAPI documents and the admin API's checks; the admin
contract's limits its fields hold to (a session's name); and what the kit takes for a field
left empty, which the field's placeholder shows (the tenant of a minted TS Digital token).
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from mockservers.core.adminapi import MAX_SESSION_NAME
from mockservers.core.http import JSONResponse, foreign_page, is_loopback
from mockservers.core.vendor import Vendor

PATH = "/__admin/ui"
"""Where the page is; its files are under ``PATH/<name>``."""

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
"""What the page may load and where it may connect: its own origin only, no inline script."""

_MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css"}
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # A kit upgraded in place serves its new page at once.
    "Cache-Control": "no-cache",
}
_CATALOGUE_MARK = "<!--catalogue-->"
LIMITS = {"session_name": MAX_SESSION_NAME}
"""The admin contract's bounds the page's fields hold to, as the page reads them."""


def catalogue(vendors: Iterable[Vendor]) -> list[dict[str, Any]]:
    """What the page needs to know of each vendor (filters, the fault form, the tokens' buttons),
    in serve's order: with each fault kind the operations it reaches, so that the form offers
    no other; ``tokens``, whether its model keeps tokens ``POST /__admin/{vendor}/tokens/expire``
    could expire (KeepIT's credentials travel in every call: it has none)."""
    return [
        {
            "name": v.name,
            "title": v.title,
            "operations": list(v.operations),
            "fault_kinds": sorted(v.fault_kinds),
            "fault_operations": {
                name: [o for o in v.operations if kind.operations is None or o in kind.operations]
                for name, kind in sorted(v.fault_kinds.items())
            },
            "tokens": v.model.tokens is not None,
        }
        for v in vendors
    ]


def defaults(vendors: Iterable[Vendor]) -> dict[str, Any]:
    """What the kit takes for a field of the page left empty, in the global scope: the tenant
    of a TS Digital token minted without one (its config's ``default_tenant``; a session's
    tokens are its own tenant's, which the page reads in its credentials)."""
    tenant = next(
        (getattr(v.settings, "default_tenant", None) for v in vendors if v.name == "tsdigital"),
        None,
    )
    return {"mint_tenant": tenant}


def page(vendors: Iterable[Vendor]) -> bytes:
    """The page with the kit's catalogue, the admin contract's limits (a field's
    ``maxlength``) and the defaults of its fields (their placeholders) in JSON data blocks
    (data, not script: the CSP allows it; ``<`` escaped so the JSON cannot close the element)."""
    vendors = list(vendors)
    block = (
        _data_block("catalogue", catalogue(vendors))
        + _data_block("limits", LIMITS)
        + _data_block("defaults", defaults(vendors))
    )
    html = _read("ui.html")
    if _CATALOGUE_MARK not in html:
        raise RuntimeError(f"ui.html has lost its {_CATALOGUE_MARK} mark")
    return html.replace(_CATALOGUE_MARK, block).encode("utf-8")


def _data_block(name: str, value: Any) -> str:
    data = orjson.dumps(value).decode().replace("<", "\\u003c")
    return f'<script type="application/json" id="{name}">{data}</script>'


def assets() -> dict[str, tuple[bytes, str]]:
    """Every script and stylesheet of the page: name -> (content, media type)."""
    found = {}
    for item in resources.files(__package__).iterdir():
        media_type = _MEDIA_TYPES.get(item.name[item.name.rfind(".") :])
        if media_type is not None:
            found[item.name] = (item.read_bytes(), media_type)
    return found


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text("utf-8")


def routes(
    vendors: Iterable[Vendor], admin_token: str | None, cors_origins: tuple[str, ...]
) -> list[Route]:
    """``GET PATH`` (the page) and ``GET PATH/{asset}`` (its files), read once, now; ``PATH/``,
    as people type it, is sent to the page (served there, its relative links would miss).
    ``cors_origins``: the pages of other sites the admin API takes calls from."""
    shell = page(vendors)
    files = assets()

    def refused(request: Request) -> Response | None:
        if admin_token:
            return None
        if not is_loopback(request.client.host if request.client else None):
            error = "the dashboard answers only on loopback unless --admin-token is set"
        elif (reason := foreign_page(request.scope, cors_origins)) is not None:
            error = f"refused {reason}: set --admin-token to allow it"
        else:
            return None
        return JSONResponse({"error": error}, status_code=403)

    async def ui(request: Request) -> Response:
        return refused(request) or Response(shell, media_type="text/html", headers=_HEADERS)

    async def asset(request: Request) -> Response:
        if (refusal := refused(request)) is not None:
            return refusal
        found = files.get(request.path_params["asset"])
        if found is None:
            return JSONResponse({"error": "no such file of the dashboard"}, status_code=404)
        content, media_type = found
        return Response(content, media_type=media_type, headers=_HEADERS)

    async def to_page(request: Request) -> Response:
        return refused(request) or RedirectResponse(PATH, status_code=307)

    return [
        Route(PATH, ui, methods=["GET"]),
        Route(PATH + "/", to_page, methods=["GET"]),
        Route(PATH + "/{asset}", asset, methods=["GET"]),
    ]
