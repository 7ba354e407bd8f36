"""One TLS context for every client of a plain http URL.

httpx builds an ``ssl.SSLContext`` for every client it makes, loading certifi's CA bundle each
time (about 10 ms of CPU), whether or not the client ever speaks TLS. A client of an
``http://`` URL (a kit on the loopback, a test's session) never does: it is given one context,
built once for the process, in place of its own. It is httpx's default one, so a TLS connection
made through it all the same would be verified as httpx verifies.
"""

from __future__ import annotations

import ssl
import threading

import httpx

_shared: ssl.SSLContext | None = None
_making = threading.Lock()


def shared_context() -> ssl.SSLContext:
    """The context clients of plain http URLs share, built on first use."""
    global _shared
    if _shared is None:
        with _making:
            if _shared is None:
                _shared = httpx.create_ssl_context()
    return _shared


def verify_for(
    url: str | httpx.URL, verify: ssl.SSLContext | str | bool = True, cert: object = None
) -> ssl.SSLContext | str | bool:
    """``verify`` as httpx takes it for a client of ``url``: as given, unless it is httpx's
    default (True, without a client certificate) and ``url`` is plain http, which never
    negotiates TLS: then :func:`shared_context`."""
    plain = str(url)[:7].lower() == "http://"  # read as text: a URL httpx refuses fails later
    if verify is not True or cert is not None or not plain:
        return verify
    return shared_context()
