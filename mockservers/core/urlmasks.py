"""A URL's secret parameters, those of its query and of its fragment (a sandbox that redirects
to ``cb#token=...``), masked, the rest of the URL kept byte for byte, and read out to be
learned: a request's target, a redirect's ``Location``, a string of a JSON body (``{"next":
"https://app/cb?token=..."}``), as the journal, the curl line and the recordings show it. A
URL is read as it stands, not parsed: a parser's normal form (a scheme in lower case, a line
end dropped) is not byte for byte, and one that refuses a URL (``http://[::1/cb?token=...``,
an IPv6 address never closed) made the proxy's journal of an answer redirecting there a 500.
The names that say a parameter is a secret are :mod:`mockservers.core.secretnames`'s, as for
the journal, HAR recordings and logs alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_plus

from mockservers.core.secretnames import MASK, SECRET_KEYS, secret_parameter

Found = list[tuple[str, int, int]]
"""Secret parameters: each one's name as written, and where its value starts and ends."""

_QUERY_PARAMETER = re.compile(r"[^&]+")
"""A parameter of a query: its parameters are split on ``&``."""
_FRAGMENT_PARAMETER = re.compile(r"[^&;]+")
"""A parameter of a fragment: its parameters are split on ``&`` or on ``;``."""


def _searches(pattern: str, flags: int = 0) -> dict[type, re.Pattern[Any]]:
    """A pattern, to search a text and a body's bytes."""
    return {str: re.compile(pattern, flags), bytes: re.compile(pattern.encode(), flags)}


_NAMES = {f"{key.replace('_', mark)}=" for key in SECRET_KEYS for mark in "_. +"}
_ASSIGNED = _searches(
    "=(?:"
    + "|".join(
        f"(?<={re.escape(name)})"
        for name in sorted(_NAMES)
        if not any(other != name and name.endswith(other) for other in _NAMES)
    )
    + ")",
    re.IGNORECASE,
)
"""A secret's name followed by ``=``, each ``=`` read with what comes before it (a search
that starts from each ``=``, not from each character; ``token=`` stands for
``access_token=``), its ``_`` spelt as PHP reads it too (``client.secret=``)."""
_INDEXED = {str: "]=", bytes: b"]="}
"""The end of a parameter's index, which PHP drops from its name (``password[]=``)."""
_URL_ESCAPE = _searches(r"%(?:[4-7][0-9a-fA-F]|2[0dDeE])")
"""A URL's escape of a letter, ``_``, ``-``, ``[``, ``]``, or of ``.`` and `` `` (which PHP
reads as ``_``): a secret's name may be spelt so (``acc%65ss_token=``)."""
_JSON_ESCAPE = _searches(r"\\u00[2-7][0-9a-fA-F]")
"""A JSON escape of a character a secret parameter's name or what is around it may be (an
ASCII letter, ``_``, ``-``, ``=``, ``&``...: ``\\u0026token=``, as .NET writes ``&``)."""
_MARKS = {str: ("?", "#", "\\u00"), bytes: (b"?", b"#", b"\\u00")}
"""Where a query or a fragment may open: a URL that has neither holds no parameter."""


def mask_url(url: str) -> str:
    """``url`` with the value of every secret parameter (:func:`_secret_parameters`) replaced
    by ``***`` (an empty one kept), the rest kept byte for byte; ``url`` itself when it holds
    none. Any text is read so, a URL or not."""
    if "?" not in url and "#" not in url:
        return url  # most strings: no query, no fragment
    if not _may_assign_a_secret(url):
        return url  # most URLs: no secret's name followed by "=", nor an escape that spells one
    return _masked(url, _secret_parameters(url))


def mask_query(query: str) -> str:
    """A query string with the value of every secret parameter replaced by ``***``; the rest
    kept byte for byte (order, repeats, escapes)."""
    return _masked(query, _secrets(query, 0, len(query), _QUERY_PARAMETER))


def url_secrets(url: str) -> list[tuple[str, str]]:
    """The secret parameters :func:`mask_url` masks, each one's name and value read as a
    form's (escapes undone, a ``+`` a space): what a recording learns of a URL."""
    found = _secret_parameters(url)
    return [(unquote_plus(name), unquote_plus(url[start:end])) for name, start, end in found]


def may_hold_secret_urls(text: str | bytes) -> bool:
    """Whether a JSON text may hold a string that is a URL with a secret parameter
    (:func:`mask_url`): it holds a ``?`` or a ``#``, and a secret's name followed by ``=``,
    or an escape that could spell one. Most bodies do not, and their strings are not read as
    URLs (a body of 20,000 links, each read so, took twice as long to show)."""
    kind = str if isinstance(text, str) else bytes
    if not any(mark in text for mark in _MARKS[kind]):  # type: ignore[operator]
        return False  # most bodies: no URL with a query or a fragment
    return _may_assign_a_secret(text) or _JSON_ESCAPE[kind].search(text) is not None  # type: ignore[arg-type]


def _may_assign_a_secret(text: str | bytes) -> bool:
    """Whether ``text`` holds a secret's name followed by ``=`` (or by an index, which PHP
    drops: ``password[]=``), or an escape that could spell one."""
    kind = str if isinstance(text, str) else bytes
    return (
        _INDEXED[kind] in text  # type: ignore[operator]
        or _ASSIGNED[kind].search(text) is not None  # type: ignore[arg-type]
        or _URL_ESCAPE[kind].search(text) is not None  # type: ignore[arg-type]
    )


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
    """The secret parameters of ``text[start:end]``, split as ``parameter`` says, those with
    a value (an empty one has nothing to hide: ``token=`` stays as sent)."""
    found = []
    for match in parameter.finditer(text, start, end):
        name, equals, value = match[0].partition("=")
        if equals and value and secret_parameter(unquote_plus(name)):
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


def header_url_secrets(name: str, value: str) -> list[tuple[str, str]]:
    """The secret parameters of the URL a header's value holds (:func:`_header_url`: an
    OAuth implicit flow's ``Location: https://app/cb#access_token=...``), as
    :func:`url_secrets` reads them; none for a header that holds no URL."""
    span = _header_url(name, value)
    return [] if span is None else url_secrets(value[span[0] : span[1]])
