"""A URL's secret parameters, those of its query and of its fragment (a sandbox that redirects
to ``cb#token=...``), masked, the rest of the URL kept byte for byte: a request's target, a
redirect's ``Location``. A URL is read as it stands, not parsed: a parser's normal form (a
scheme in lower case, a line end dropped) is not byte for byte, and one that refuses a URL
(``http://[::1/cb?token=...``, an IPv6 address never closed) made the proxy's journal of an
answer redirecting there a 500. The names that say a parameter is a secret are
:mod:`mockservers.core.secretnames`'s, as for the journal, HAR recordings and logs alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote_plus

from mockservers.core.secretnames import MASK, is_secret

Found = list[tuple[str, int, int]]
"""Secret parameters: each one's name as written, and where its value starts and ends."""

_QUERY_PARAMETER = re.compile(r"[^&]+")
"""A parameter of a query: its parameters are split on ``&``."""
_FRAGMENT_PARAMETER = re.compile(r"[^&;]+")
"""A parameter of a fragment: its parameters are split on ``&`` or on ``;``."""


def mask_url(url: str) -> str:
    """``url`` with the value of every secret parameter (:func:`_secret_parameters`) replaced
    by ``***``, the rest kept byte for byte; ``url`` itself when it holds none. Any text is
    read so, a URL or not."""
    if "=" not in url:  # most strings: no parameter
        return url
    return _masked(url, _secret_parameters(url))


def mask_query(query: str) -> str:
    """A query string with the value of every secret parameter replaced by ``***``; the rest
    kept byte for byte (order, repeats, escapes)."""
    return _masked(query, _secrets(query, 0, len(query), _QUERY_PARAMETER))


def _secret_parameters(url: str) -> Found:
    """The secret parameters of a URL: of its query (after its first ``?``, up to a ``#``),
    and of its fragment (after its first ``#``), a form (``token=...&x=1``, ``x=1;token=...``)
    or a hash router's route and its query (``/cb?token=...``), from the first ``?`` on (the
    route has no ``=``). A parameter is secret by its name, its escapes undone."""
    rest, hashed, fragment = url.partition("#")
    asked = rest.find("?")
    found = _secrets(url, asked + 1, len(rest), _QUERY_PARAMETER) if asked >= 0 else []
    if hashed:
        route, mark, _ = fragment.partition("?")
        start = len(rest) + 1 + (len(route) + 1 if mark and "=" not in route else 0)
        found += _secrets(url, start, len(url), _FRAGMENT_PARAMETER)
    return found


def _secrets(text: str, start: int, end: int, parameter: re.Pattern[str]) -> Found:
    """The secret parameters of ``text[start:end]``, split as ``parameter`` says."""
    found = []
    for match in parameter.finditer(text, start, end):
        name, equals, _ = match[0].partition("=")
        if equals and is_secret(unquote_plus(name)):
            found.append((name, match.start() + len(name) + 1, match.end()))
    return found


def _masked(text: str, found: Found) -> str:
    """``text`` with these values replaced by ``***``; ``text`` itself when there are none."""
    if not found:
        return text
    pieces, at = [], 0
    for _, start, end in found:
        pieces += (text[at:start], MASK)
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


_URL_HEADERS = frozenset({"location", "content-location", "refresh"})
_REFRESH_URL = re.compile(r"\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?", re.IGNORECASE)
"""What comes before a ``Refresh`` header's URL: a delay, then ``;`` or ``,``, and ``url=``."""


def _header_url(name: str, value: str) -> tuple[int, int] | None:
    """Where the URL stands in a header's value, for the headers whose value holds one: a
    ``Location``'s and a ``Content-Location``'s is the whole value, a ``Refresh``'s follows
    its delay (``5; url=https://...``, in quotes or not); None for any other header."""
    lowered = name.lower()
    if lowered not in _URL_HEADERS:
        return None
    if lowered != "refresh":
        return 0, len(value)
    head = _REFRESH_URL.match(value)  # (it matches any text)
    start, end = head.end() if head else 0, len(value.rstrip())
    if start < end and value[start] in "'\"":
        quote, start = value[start], start + 1
        if end > start and value[end - 1] == quote:
            end -= 1
    return start, end


def mask_header_urls(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers whose value holds a URL (:func:`_header_url`: a redirect's ``Location``) with
    the values of its secret parameters masked: a sandbox that redirects to ``?token=...``."""
    return [(name, _mask_header_url(name, value)) for name, value in pairs]


def _mask_header_url(name: str, value: str) -> str:
    span = _header_url(name, value)
    if span is None:
        return value
    start, end = span
    url = value[start:end]
    masked = mask_url(url)
    return value if masked is url else value[:start] + masked + value[end:]
