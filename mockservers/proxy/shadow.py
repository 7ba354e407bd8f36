"""``--shadow``: every proxied call also goes to a built-in fake, and the two answers are compared.

The shadow is a second app (``create_app(config)``, the proxy's ``--config``), called in-process
(``core.inprocess.TargetASGITransport``): its state, tokens and journal never mix with the fakes
the proxy serves, and its accounts mirror the sandbox's (the config says so). It is asked for
the path the vendor got, dot segments and encoding kept (``/quoparts/x/../ws_quoparts.php``).

The vendor and the fake make up different tokens and IDs. Per vendor, a
:class:`~mockservers.core.generated.Translation` learns from each pair of answers which of the
fake's values stands for which of the vendor's (the vendor's TOKEN and the fake's, COD_CLI,
XTRA's Item1, KeepIT's progId...) and puts the fake's in the places of later requests that
carry the vendor's, so the fake is asked what the vendor was asked. A credential no call shows
being issued (TS Digital's bearer, from TS ID) is adopted by the fake's vendor first
(``Vendor.adopt_credentials``). Only the records both accepted teach it, each paired with its
own (:mod:`~mockservers.proxy.learning`). Generated values are then left out of the comparison.

The differences are added up per vendor, operation and field by the kit's
:class:`~mockservers.core.shadows.ShadowSummary` (``GET /__admin/shadow``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette

from mockservers.core import spliced
from mockservers.core.compare import Answer, Difference, differences
from mockservers.core.generated import Request, Translation
from mockservers.core.http import json_of
from mockservers.core.inprocess import TargetASGITransport
from mockservers.core.vendor import Vendor
from mockservers.proxy import learning
from mockservers.proxy.forward import unanswered
from mockservers.proxy.offload import large, off_loop

SHADOW_BASE = "http://shadow"


class Shadow:
    """The built-in fake beside the vendor, and what it has learned of the vendor's values."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.vendors = app.state.vendors
        self.translations = {
            name: Translation(
                v.generated,
                any_case=v.body_names_any_case,
                numbers_from_text=v.body_numbers_from_text,
            )
            for name, v in self.vendors.items()
        }
        self.client = httpx.AsyncClient(transport=TargetASGITransport(app), base_url=SHADOW_BASE)

    async def compare(
        self,
        vendor: str,
        method: str,
        path: bytes,
        query: bytes,
        headers: list[tuple[str, str]],
        body: bytes,
        upstream: Answer,
    ) -> list[Difference]:
        """Ask the fake what the vendor was asked (``path``: after the vendor's prefix, as the
        vendor got it); where its answer differs from ``upstream``. Then learn from the pair."""
        found = self.vendors[vendor]
        translation = self.translations[vendor]
        if large(len(body)):  # rewritten in a thread, while calls answered meanwhile learn
            translation = translation.copy()
        request, query, body = await off_loop(
            len(body), _rewritten, translation, query, headers, body, found.json_charsets
        )
        found.adopt_credentials({k.lower(): v for k, v in request.headers}, upstream.status)
        target = f"/{vendor}".encode() + path + b"?" * bool(query) + query
        sent = httpx.Request(
            method,
            httpx.URL(SHADOW_BASE).copy_with(raw_path=target),
            # As bytes, as they came: httpx would encode text as ASCII ("Città" was a 500).
            headers=[
                (k.encode("latin-1"), v.encode("latin-1"))
                for k, v in request.headers
                if k.lower() not in _RECOMPUTED
            ],
            content=body,
            extensions={"target": target},
        )
        timeout = self.client.timeout
        try:
            response = await self.client.send(sent)
        except Exception as exc:  # a drop fault in the fake's config, or a bug: still evidence
            return [Difference("status", upstream.status, f"no answer: {unanswered(exc, timeout)}")]
        fake = Answer(response.status_code, response.content, response.headers.get("content-type"))
        size = max(len(upstream.body), len(fake.body))
        result, first, second = await off_loop(size, _compared, upstream, fake, found)
        learning.learn(translation, found, first, second)  # here: a later rewrite reads it
        return result

    async def aclose(self) -> None:
        await self.client.aclose()


_RECOMPUTED = frozenset({"host", "content-length"})
"""Headers the fake's request gets anew (its body may have been rewritten)."""


def _compared(upstream: Answer, fake: Answer, vendor: Vendor) -> tuple[list[Difference], Any, Any]:
    """Where the fake's answer differs from the vendor's; both answers' JSON."""
    found = differences(upstream, fake, vendor.generated, vendor.answer_codes)
    return found, json_of(upstream.body), json_of(fake.body)


def _rewritten(
    translation: Translation,
    query: bytes,
    headers: list[tuple[str, str]],
    body: bytes,
    charsets: bool,
) -> tuple[Request, bytes, bytes]:
    """The request as the fake is asked it, its query and body: the vendor's values it carries
    replaced by the fake's, each where it stands, every other byte as the vendor got it
    (:mod:`~mockservers.core.spliced`), its body read as the vendor reads it (``charsets``:
    ``Vendor.json_charsets``). Its JSON body is read whole: the work a large request
    takes (see :func:`off_loop`)."""
    sent = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    request = Request.of(sent, headers, body, charsets=charsets)
    if translation.rewrite(request):
        query = spliced.query(query, sent, request.query)
        if request.body_json:
            body = spliced.json_body(body, request.body, request.read_as)
    return request, query, body
