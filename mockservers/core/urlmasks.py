"""URLs with the values of their secret parameters masked, the rest kept byte for byte: those
of the query and of the fragment (a sandbox that redirects to ``cb#token=...``), and those of
headers whose value is a URL (a redirect's ``Location``). The names that say a parameter is a
secret are :mod:`mockservers.core.secretnames`'s, as for the journal, HAR recordings and logs alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from mockservers.core.secretnames import MASK, is_secret


def mask_url(url: str) -> str:
    """``url`` with the value of every secret query parameter replaced by ``***``, and of every
    secret parameter of its fragment (:func:`_mask_fragment`: a sandbox that redirects to
    ``cb#token=...``); the rest of the URL is kept byte for byte."""
    parts = urlsplit(url)
    if not parts.query and "=" not in parts.fragment:
        return url
    return urlunsplit(
        parts._replace(query=mask_query(parts.query), fragment=_mask_fragment(parts.fragment))
    )


def mask_query(query: str) -> str:
    """A query string with the value of every secret parameter replaced by ``***``; the rest
    kept byte for byte (order, repeats, escapes)."""
    segments = []
    for segment in query.split("&"):
        name, sep, _ = segment.partition("=")
        segments.append(f"{name}={MASK}" if sep and is_secret(unquote_plus(name)) else segment)
    return "&".join(segments)


_FRAGMENT_PARAMETER = re.compile(r"[^&;]+")
"""A parameter of a fragment: its parameters are split on ``&`` or on ``;``."""


def _mask_fragment(fragment: str) -> str:
    """A fragment with its secret parameters masked: a form (``token=...&x=1``,
    ``x=1;token=...``), or a hash router's route and its query (``/cb?token=...``), from the
    first ``?`` on (the route has no ``=``)."""
    route, mark, query = fragment.partition("?")
    if not mark or "=" in route:
        route, mark, query = "", "", fragment
    masked = _FRAGMENT_PARAMETER.sub(lambda parameter: mask_query(parameter[0]), query)
    return route + mark + masked


_URL_HEADERS = frozenset({"location", "content-location", "refresh"})


def mask_header_urls(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers whose value is a URL (a redirect's ``Location``) with the values of their secret
    query parameters masked: a sandbox that redirects to ``?token=...``."""
    return [(k, mask_url(v) if k.lower() in _URL_HEADERS else v) for k, v in pairs]
