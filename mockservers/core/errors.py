"""Errors raised by the shared pipeline; each vendor renders them in its own body."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from starlette.responses import Response

KitErrorKind = Literal[
    "malformed_json",  # not JSON, invalid UTF-8, or a JSON nesting deeper than the limit
    "too_large",  # body over max_body_bytes (HTTP 413)
    "fault",  # an injected status fault
    "routing",  # a path under the vendor's prefix it does not serve (404), or a method (405)
    "cors",  # a browser's preflight refused (its origin not a --cors-origin): 400
    "internal",  # an exception nobody planned: a bug, rendered as the vendor's 500
    "store",  # the shared store cannot be reached: the vendor's 503, nothing kept
    "upstream",  # behind ``mockservers proxy``: the real vendor did not answer (502)
    "foreign_page",  # behind ``mockservers proxy``: a web page's call, not forwarded (403)
]


class KitError(Exception):
    """A failure the pipeline detects before or around a vendor handler."""

    def __init__(self, kind: KitErrorKind, detail: str = "", status: int | None = None) -> None:
        super().__init__(detail or kind)
        self.kind = kind
        self.detail = detail
        self.status = status


class VendorError(Exception):
    """Base of every vendor's own errors: knows how to render itself in that vendor's body.

    ``detail`` is the kit's diagnosis (which field, which rule), for the ``X-Mockservers-Detail``
    header and the journal; the body carries only what the vendor's document says.
    """

    detail: str = ""

    def response(self) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError


class DroppedConnection(Exception):
    """Raised by a ``drop`` fault after the response has started: the server closes the socket.
    ``status`` and ``headers`` are the start it sent, what a client over a socket has read when
    the connection closes (the in-process transports answer with them, then fail the body)."""

    def __init__(
        self, message: str, status: int = 200, headers: Sequence[tuple[bytes, bytes]] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = list(headers)
