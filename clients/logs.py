"""Credentials kept out of the log: httpx logs each request's URL at INFO (``HTTP Request: GET
https://...?password=...``), and QuoParts sends its password and token in the query.

Every client adds :class:`MaskRequestLines` to httpx's logger when it is built; the kit's own
logging (``mockservers.logs``) builds on the same filter with all the secret names it knows."""

from __future__ import annotations

import logging
from urllib.parse import unquote_plus, urlsplit, urlunsplit

MASK = "***"
SECRET_PARAMETERS = frozenset({"password", "token"})
"""The query parameters a client sends a credential in (QuoParts's login and calls)."""


def mask_url(url: str) -> str:
    """``url`` with the value of each secret query parameter replaced by ``***``; the rest
    kept as it is."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    segments = []
    for segment in parts.query.split("&"):
        name, sep, _ = segment.partition("=")
        secret = sep and unquote_plus(name).lower() in SECRET_PARAMETERS
        segments.append(f"{name}={MASK}" if secret else segment)
    return urlunsplit(parts._replace(query="&".join(segments)))


def mask_userinfo(url: str) -> str:
    """``url`` with a ``user:password@`` before its host shown as ``***@``; the rest kept as
    it is. httpx writes a URL's userinfo percent-encoded, so the host starts after the last
    ``@`` before the path (an ``@`` in the path is no userinfo)."""
    scheme, found, rest = url.partition("://")
    if not found:
        return url
    end = min((rest.find(mark) for mark in "/?#" if mark in rest), default=len(rest))
    userinfo, at, _ = rest[:end].rpartition("@")
    return f"{scheme}://{MASK}@{rest[len(userinfo) + 1 :]}" if at else url


class MaskRequestLines(logging.Filter):
    """httpx logs ``HTTP Request: METHOD URL "..."`` with the URL (query included) as the
    second argument; the line shows :meth:`mask`'s URL instead, any ``user:password@`` in
    it as ``***@``."""

    def mask(self, url: str) -> str:
        return mask_url(url)

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 2 and not isinstance(args[1], int | float):
            record.args = (args[0], mask_userinfo(self.mask(str(args[1]))), *args[2:])
        return True


def mask_request_lines() -> None:
    """The filter on httpx's logger, once per process (the kit's, a subclass, counts)."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, MaskRequestLines) for f in logger.filters):
        logger.addFilter(MaskRequestLines())
