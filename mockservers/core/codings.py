"""A request body's ``Content-Encoding`` undone (gzip, deflate), so that what the kit shows,
records and judges of a compressed request is its content, its secrets masked: compressed, a
password is no text a mask can find, and the bytes kept as they came (a recording's base64, a
curl line) gave it back whole to anyone who decompressed them.

The fakes still read a body as it comes, as PHP and ASP.NET do unless a server is set up to
decompress requests (no vendor fact says one is): a gzip body is theirs to refuse. Only what
the kit shows, records and judges of it reads its content.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

_WINDOWS = {"gzip": 31, "x-gzip": 31, "deflate": 15}
"""zlib's ``wbits`` for each coding read: gzip's header and trailer, or zlib's (HTTP's
``deflate``; a raw deflate stream, which some clients send for it, is read too)."""


_MEMBERS = 1000
"""The most gzip members a body is read in. Each is a stream of its own, empty ones decode to
nothing and a client sends one, or a few: a body of more is not read (as one that is not gzip),
rather than costing the server a stream each."""

_FIRST, _CHUNK = 64, 64 * 1024
"""The bytes a stream is first fed, and the most it is fed at once (see :func:`_stream`)."""


class Unreadable(ValueError):
    """A coding the kit does not undo, or bytes that are not in the coding they say."""


@dataclass(frozen=True)
class Decoded:
    """What of a body's content decodes within a limit."""

    body: bytes
    short: str = ""
    """Why ``body`` is only the start of the content ("": it is all of it)."""


@dataclass(frozen=True)
class Content:
    """A request's body as the kit reads it: its ``Content-Encoding`` undone, whole."""

    body: bytes | None
    """The content; None: it could not be read whole (``why``), and nothing of it is kept."""
    coding: str = ""
    """The codings undone, as the header names them ("": none)."""
    why: str = ""


def coding_of(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The codings a request's ``Content-Encoding`` lines name, in the order applied, lower
    case, ``identity`` left out; "" when none is left."""
    named = [
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"content-encoding"
        for token in value.decode("latin-1").split(",")
    ]
    return ", ".join(token for token in named if token and token != "identity")


def undone(body: bytes, coding: str, limit: int) -> Decoded:
    """``body`` with ``coding`` undone (the last applied first), at most ``limit`` bytes of it;
    :class:`Unreadable` for a coding the kit does not undo or bytes not in it."""
    decoded = Decoded(body)
    for token in reversed([t.strip() for t in coding.split(",") if t.strip()]):
        window = _WINDOWS.get(token)
        if window is None:
            raise Unreadable(f"{token} is no coding the kit decodes (gzip, deflate)")
        inner = _inflated(decoded.body, window, limit, token)
        decoded = Decoded(inner.body, decoded.short or inner.short)
    return decoded


def content_of(headers: Iterable[tuple[bytes, bytes]], body: bytes, limit: int) -> Content:
    """A request's body (``headers``: its header lines) as the kit reads it, within
    ``limit``: whole, or not at all."""
    coding = coding_of(headers)
    if not coding or not body:
        return Content(body)
    try:
        decoded = undone(body, coding, limit)
    except Unreadable as exc:
        return Content(None, coding, str(exc))
    if decoded.short:
        return Content(None, coding, decoded.short)
    return Content(decoded.body, coding)


def applied(body: bytes, coding: str) -> bytes:
    """``body`` in ``coding`` again (gzip, deflate, in the order named): what a replay sends
    of a content a recording kept decoded."""
    for token in (t.strip() for t in coding.split(",") if t.strip()):
        if token not in _WINDOWS:
            raise Unreadable(f"{token} is no coding the kit applies (gzip, deflate)")
        body = gzip.compress(body, mtime=0) if "gzip" in token else zlib.compress(body)
    return body


def _inflated(data: bytes, window: int, limit: int, token: str) -> Decoded:
    """One coding undone, at most ``limit`` bytes; gzip's members one after the other, at
    most :data:`_MEMBERS` of them."""
    view = memoryview(data)
    parts: list[bytes] = []
    size = at = members = 0
    while True:
        try:
            part, used, ended = _stream(view[at:], window, limit - size + 1)
        except zlib.error as exc:
            if window == 15 and not parts:  # a raw deflate stream, as some clients send one
                window = -15
                continue
            raise Unreadable(f"the bytes are not {token} ({exc})") from None
        size += len(part)
        parts.append(part)
        if size > limit:
            return Decoded(b"".join(parts)[:limit], f"its content is larger than {limit} bytes")
        if not ended:
            return Decoded(b"".join(parts), f"its {token} bytes end before its content does")
        at += used
        if at == len(data):
            return Decoded(b"".join(parts))
        if window != 31:
            raise Unreadable(f"bytes follow the end of its {token} content")
        members += 1
        if members == _MEMBERS:
            raise Unreadable(f"its {token} bytes hold more than {_MEMBERS} members")


def _stream(data: memoryview, window: int, room: int) -> tuple[bytes, int, bool]:
    """One compressed stream's content (at most ``room`` bytes), how many bytes of ``data``
    it took up, and whether it ended.

    ``data`` is fed a chunk at a time, from :data:`_FIRST` bytes doubling to :data:`_CHUNK`:
    what is fed past a stream's end, zlib copies (``unused_data``), so a body of many short
    streams costs no more than a few times its size."""
    stream = zlib.decompressobj(window)
    parts: list[bytes] = []
    used, step = 0, _FIRST
    while used < len(data) and room > 0 and not stream.eof:
        chunk = data[used : used + step]
        part = stream.decompress(chunk, room)
        parts.append(part)
        room -= len(part)
        used += len(chunk) - len(stream.unconsumed_tail) - len(stream.unused_data)
        step = min(2 * step, _CHUNK)
    return b"".join(parts), used, stream.eof
