"""The upstream's own URLs and cookie paths in an answer, turned into the proxy's.

A vendor that redirects to its own URL (``Location: https://sandbox.example/api/login``), or
sets a cookie for its own path (``Path=/api``) or host (``Domain=sandbox.example``), would
send the connector out of the proxy, or have its cookie never sent back to the proxy's
``/<vendor>/...``. As a reverse proxy does (Apache's ``ProxyPassReverse`` and
``ProxyPassReverseCookiePath``), what names a place under the upstream's base URL names the
same place under the vendor's prefix on the proxy:

- a ``Location`` or ``Content-Location`` on the upstream's origin under its base path
  becomes the proxy's URL, as the connector addressed the proxy (its ``Host``); one
  root-relative under the base path, the proxy's path. Relative ones (``next.php``) and
  other URLs stay as they are.
- a ``Set-Cookie``'s ``Path`` under the base path becomes the prefix's; a ``Domain`` that
  the upstream's host is in goes, so that the cookie is the proxy host's.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

RawHeaders = list[tuple[bytes, bytes]]

_URLS = frozenset({b"location", b"content-location"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Reverse:
    """The rewriting of one vendor's answers: its upstream's ``base`` URL, its ``prefix`` on
    the proxy (``/quoparts``)."""

    def __init__(self, base: httpx.URL, prefix: str) -> None:
        self.scheme = base.scheme
        self.host = base.host.lower()
        self.port = base.port or _DEFAULT_PORTS.get(base.scheme)
        # Encoded, as the upstream's own URLs spell it (``/sand%20box``, not ``/sand box``).
        self.path = base.raw_path.decode("ascii").partition("?")[0].rstrip("/")
        self.prefix = prefix

    def headers(self, headers: RawHeaders, origin: str) -> RawHeaders:
        """``headers`` as the connector gets them; ``origin``: the proxy's, as the connector
        addressed it (``http://127.0.0.1:8000``)."""
        found = []
        for name, value in headers:
            lower = name.lower()
            if lower in _URLS:
                value = self.location(value.decode("latin-1"), origin).encode("latin-1")
            elif lower == b"set-cookie":
                value = self.cookie(value.decode("latin-1")).encode("latin-1")
            found.append((name, value))
        return found

    def location(self, url: str, origin: str) -> str:
        """A URL of the upstream's as the proxy's; any other as it is."""
        if url.startswith("/") and not url.startswith("//"):
            rest = self._under(url)
            return url if rest is None else self.prefix + rest
        try:
            parts = urlsplit(url)
            port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower() or self.scheme)
        except ValueError:  # a port that is no number
            return url
        same = (
            (parts.scheme.lower() or self.scheme) == self.scheme
            and (parts.hostname or "") == self.host
            and port == self.port
        )
        if not parts.netloc or not same:
            return url
        rest = self._under(url[url.index("//") + 2 + len(parts.netloc) :] or "/")
        return url if rest is None else origin + self.prefix + rest

    def cookie(self, value: str) -> str:
        """A ``Set-Cookie`` value with its ``Path`` under the base path the prefix's, and
        without a ``Domain`` the upstream's host is in."""
        pair, *attributes = value.split(";")
        kept = [pair]
        for attribute in attributes:
            name, _, given = attribute.partition("=")
            given = given.strip()
            if name.strip().lower() == "path":
                rest = self._under(given)
                if rest is not None:
                    attribute = f"{name}={self.prefix + rest if rest != '/' else self.prefix}"
            elif name.strip().lower() == "domain" and self._covers(given):
                continue
            kept.append(attribute)
        return ";".join(kept)

    def _under(self, target: str) -> str | None:
        """What follows the base path in a root-relative ``target`` (its path's rest, query,
        fragment); None when the target is not under it (``/apix`` is not under ``/api``)."""
        if not target.startswith(self.path):
            return None
        rest = target[len(self.path) :]
        return rest if not rest or rest[0] in "/?#" else None

    def _covers(self, domain: str) -> bool:
        """Whether a cookie's ``Domain`` is the upstream's host, or a domain it is in."""
        domain = domain.lstrip(".").lower()
        return bool(domain) and (self.host == domain or self.host.endswith("." + domain))
