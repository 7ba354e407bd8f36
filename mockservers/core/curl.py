"""The curl line of a journalled call: a shell command that sends it again as it was sent.

Built from what the journal keeps, not from the entry as shown: the path with its
percent-escapes, the query string and every header line as received, the body's bytes; only
the secrets are masked (``***``), for the reader to put back. Every word is quoted for a POSIX
shell, but text holding control characters or bytes that are not UTF-8, which goes as bash's
``$'...'`` (bash, zsh) so that it survives a copy and paste. A body holding a NUL byte cannot
be a shell word: the shell ends it there.

A body sent in a ``Content-Encoding`` (gzip, deflate) goes decoded, masked, without that
header: its bytes as they came would keep a password no mask can find (and curl compresses no
request body). One that does not decode within the limit is left out, a comment saying so; so
is one the kit refused unread (``body_unread``: over ``max_body_bytes``), which it never kept.
"""

from __future__ import annotations

import re
import shlex

from contracts.charsets import as_sent
from mockservers.core.codings import content_of
from mockservers.core.journal_entry import Entry
from mockservers.core.journal_shown import (
    content_type,
    masked_as_utf8,
    request_text,
    sent_target,
)
from mockservers.core.secretnames import secret_header
from mockservers.core.secrets import masked_bytes

_NOT_REPEATED = frozenset(
    {b"host", b"content-length", b"connection", b"accept-encoding", b"user-agent"}
)
"""Headers curl writes itself (the host from the URL, the length from the body) or that would
change what comes back (a compressed answer), left out of the line."""

_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
"""Characters a shell word in single quotes would carry unseen (controls, the marks that turn
the text around it), or a copy would change (a carriage return), and the stand-ins for bytes
that are not UTF-8."""


AS_SENT = ("--globoff", "--path-as-is")
"""The URL as it is: ``[a]`` and ``{1,2}`` (PHP's ``filter[a]=1``) not curl's globs, which made
two calls of one or none, and ``x/../`` not folded into another path."""


def curl(entry: Entry, base_url: str, limit: int) -> str:
    """A shell command that sends the journalled call again, secrets still masked (``***``):
    copy it, put the secrets back, run it. A HEAD goes as ``--head`` (with ``-X HEAD`` curl
    waits for a body that never comes), without a body, which curl cannot send with one.
    ``limit``: the kit's ``max_body_bytes``, how large a compressed body's content may be to
    go in the line."""
    url = base_url.rstrip("/").encode() + sent_target(entry)
    head = entry.method == "HEAD"
    method = ["--head"] if head else ["-X", shell_word(entry.method.encode())]
    parts = ["curl", "-sS", *method, shell_word(url), *AS_SENT]
    if entry.body_unread:
        return " ".join([*parts, *_headers(entry, ""), _unread(entry, limit)])
    read = content_of(entry.headers, entry.request_body, limit)
    parts += _headers(entry, read.coding)
    if read.body and not head:
        sent = {name.lower() for name, _ in entry.headers}
        if b"content-type" not in sent:
            parts += ["-H", shell_word(b"Content-Type:")]  # curl would add a form's type
        # --data-raw: a body starting with @ is text, not a file of the reader's to upload.
        parts += ["--data-raw", shell_word(_masked(entry, read.body))]
    if read.body is None:
        size = len(entry.request_body)
        parts.append(_comment(f"its body ({size} bytes in {read.coding}) left out: {read.why}"))
    return " ".join(parts)


def _headers(entry: Entry, coding: str) -> list[str]:
    """The ``-H`` words of the call's header lines, secrets masked; without the
    ``Content-Encoding`` of a body that goes decoded (``coding``)."""
    parts = []
    for name, value in entry.headers:
        if name.lower() in _NOT_REPEATED or (coding and name.lower() == b"content-encoding"):
            continue
        value = b"***" if value and secret_header(name.decode("latin-1")) else value
        # "Name:" would tell curl to leave the header out; "Name;" sends it empty.
        parts += ["-H", shell_word(name + (b": " + value if value else b";"))]
    if all(name.lower() != b"accept" for name, _ in entry.headers):
        parts += ["-H", shell_word(b"Accept:")]  # curl would add its own, */*
    return parts


def _unread(entry: Entry, limit: int) -> str:
    """The comment ending the line of a call whose body was refused unread: the line cannot
    send it (run as it is, it would meet the vendor's refusal of a missing body, not the
    413), so it says how large it was said to be, and why the kit has none of it."""
    declared = [v.strip() for n, v in entry.headers if n.lower() == b"content-length"]
    size = f" ({int(declared[0])} bytes by its Content-Length)" if _digits(declared) else ""
    # The fake's 413 and the proxy's; the proxy's 403 to a web page reads no body either.
    why = f"over max_body_bytes ({limit})" if entry.status == 413 else f"with a {entry.status}"
    return _comment(f"its body{size} was refused unread, {why}: not kept, so not sent")


def _digits(values: list[bytes]) -> bool:
    """Whether ``values`` (a call's ``Content-Length`` lines) give one length, in digits."""
    return len(set(values)) == 1 and values[0].isdigit()


def _comment(text: str) -> str:
    """``text`` as a shell comment to the line's end, on that one line."""
    return _CONTROL.sub("?", f"# {text}")


def _masked(entry: Entry, body: bytes) -> bytes:
    """``body`` with every secret masked where it is read (:func:`request_text`: a UTF-16
    password is no UTF-8 a mask can find), in the charset it was sent in; and in its bytes
    read as UTF-8, where they read otherwise (:func:`masked_as_utf8`)."""
    body = masked_as_utf8(entry, body)
    text = request_text(entry, body)
    if text is body:
        return masked_bytes(body)
    masked = masked_bytes(text)
    return body if masked == text else as_sent(masked, body, content_type(entry.headers))


def shell_word(value: bytes) -> str:
    """``value`` quoted as one word for a POSIX shell, byte for byte; with control characters
    or bytes that are not UTF-8, as bash's ``$'...'`` on one line, those written ``\\r``,
    ``\\n``, ``\\t`` or ``\\xHH``."""
    text = value.decode("utf-8", "surrogateescape")
    if not _CONTROL.search(text):
        return shlex.quote(text)
    return "$'" + "".join(map(_escaped, text)) + "'"


_ESCAPES = {"\r": "\\r", "\n": "\\n", "\t": "\\t", "\\": "\\\\", "'": "\\'"}


def _escaped(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if _CONTROL.match(char):
        return "".join(f"\\x{byte:02x}" for byte in char.encode("utf-8", "surrogateescape"))
    return char
