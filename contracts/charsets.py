"""A JSON body's bytes as an ASP.NET vendor reads them: its text in UTF-8, whatever it was sent in.

ASP.NET Core's System.Text.Json input formatter skips a UTF-8 byte order mark, and reads a body
whose ``Content-Type`` declares UTF-16 (``charset=utf-16``) through a transcoding stream. A body
contract marked ``x-charsets`` says its vendor reads its bodies so: :func:`utf8_json` gives the
bytes to parse, for the fake and the journal's verdict alike (and the text the journal masks of
any vendor's call, and learns its secrets from; another vendor's is shown as :func:`sent_text`,
its bytes parsed as sent; where those bytes are UTF-8 too, :func:`also_utf8`, the journal and
the recording look for secrets in them as well). What does not decode in the charset a
body declares reads as U+FFFD, as .NET's decoders read it: a lone surrogate inside a string is
one, and an odd length ends the text with one, which no JSON parse accepts. Left as sent, a
UTF-8 body of an odd length declared UTF-16 parsed, and was written.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator, Mapping

from contracts.loader import Contract

UTF8_BOM = codecs.BOM_UTF8
_UTF16 = {"utf-16": "utf-16-le", "utf-16-le": "utf-16-le", "utf-16-be": "utf-16-be"}
"""Each UTF-16 a ``charset`` may name (as Python's codecs name it) and the byte order it reads
without a byte order mark: .NET's ``utf-16`` (``Encoding.Unicode``) is little-endian."""
_SPELLINGS = {
    **dict.fromkeys(("utf-16", "utf16", "unicode", "ucs-2", "iso-10646-ucs-2"), "utf-16"),
    **dict.fromkeys(("utf-16le", "utf-16-le", "utf16le"), "utf-16-le"),
    **dict.fromkeys(("utf-16be", "utf-16-be", "utf16be"), "utf-16-be"),
}
"""Each spelling of a UTF-16 ``charset`` (lower case, ``-`` for ``_``) and its :data:`_UTF16`
name: a fixed table, for Python's ``codecs.lookup`` keeps every name it is asked for, a
client's too, for good. ``unicode``, ``ucs-2`` and ``iso-10646-ucs-2`` are .NET's names of
``Encoding.Unicode``."""
_BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}


def reads_charsets(checked: Contract | None) -> bool:
    """Whether a body contract is marked ``x-charsets``: its vendor reads a body as
    :func:`utf8_json` does."""
    return checked is not None and bool(checked.schema.get("x-charsets"))


def utf8_json(body: bytes, content_type: str) -> bytes:
    """``body`` as the UTF-8 its JSON is read from: without a leading UTF-8 byte order mark;
    in a UTF-16 the ``Content-Type`` declares (``utf-16``, ``utf-16le``, ``utf-16be``; a byte
    order mark, which is skipped, says its order where the charset does not), decoded, what
    does not decode as U+FFFD. Any other body as sent (every call's path: a look at its first
    bytes, and into the ``Content-Type`` only when it has parameters)."""
    read = _read_as(body, content_type)
    if read is None:
        return body
    skipped, codec = read
    if codec == "utf-8":
        return body[skipped:]
    return body[skipped:].decode(codec, "replace").encode("utf-8")


def sent_text(body: bytes, content_type: str) -> bytes:
    """``body``'s text in UTF-8, in the charset :func:`utf8_json` reads it in, its byte order
    mark kept (U+FEFF): what a vendor that parses the bytes as sent was sent, to read."""
    read = _read_as(body, content_type)
    if read is None or read[1] == "utf-8":
        return body
    return body.decode(read[1], "replace").encode("utf-8")


def also_utf8(body: bytes, content_type: str) -> bool:
    """Whether ``body``'s bytes as sent are UTF-8 text other than the text :func:`utf8_json`
    reads (a UTF-8 body labelled UTF-16: mojibake in it). Every vendor but XTRA reads a body
    as sent, whatever its label, so a secret is looked for, masked and learned in both
    readings: looked for in the mojibake alone, a password went in clear into the curl line and
    the recording. The bytes are looked at only where the ``Content-Type`` declares a UTF-16."""
    read = _read_as(body, content_type)
    return read is not None and read[1] != "utf-8" and is_utf8(body)


def is_utf8(body: bytes) -> bool:
    """Whether ``body`` is UTF-8 text."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def as_sent(text: bytes, body: bytes, content_type: str) -> bytes:
    """``text`` (UTF-8, as :func:`utf8_json` read ``body``, then changed: a secret masked) in
    the charset ``body`` was sent in, its byte order mark first."""
    read = _read_as(body, content_type)
    if read is None:
        return text
    skipped, codec = read
    return body[:skipped] + (text if codec == "utf-8" else text.decode("utf-8").encode(codec))


def _read_as(body: bytes, content_type: str) -> tuple[int, str] | None:
    """How :func:`utf8_json` reads a body: the length of the byte order mark it skips and the
    codec of the rest; None: as sent."""
    order = _utf16(content_type) if ";" in content_type else None
    if order is None:
        return (len(UTF8_BOM), "utf-8") if body[:3] == UTF8_BOM else None
    found = _BOMS.get(body[:2])
    if found is not None and (order == "utf-16" or _UTF16[order] == found):
        return 2, found
    return 0, _UTF16[order]


def content_type_of(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """The ``Content-Type`` of headers (by name, or pairs) in any case ("" without one)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return next((v for k, v in pairs if k.lower() == "content-type"), "")


def _utf16(content_type: str) -> str | None:
    """The UTF-16 a ``Content-Type`` declares (in a spelling of :data:`_SPELLINGS`), as
    :data:`_UTF16` names it; None for any other charset, or none."""
    charset = declared_charset(content_type)
    return None if charset is None else _SPELLINGS.get(charset.lower().replace("_", "-"))


def declared_charset(content_type: str) -> str | None:
    """The ``charset`` parameter of a ``Content-Type``, unquoted, as written; None without
    one (:func:`_parameters` reads them)."""
    for name, value in _parameters(content_type):
        if name == "charset":
            return value
    return None


_PARAMETER = re.compile(r'\s*([^\s;="]*)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^\s;"]*))?\s*(?:;|$)')
"""One parameter of a media type and the ``;`` after it: its name, ``=`` and its value, a
token or a quoted string (``\\`` escapes a character in it)."""


def _parameters(content_type: str) -> Iterator[tuple[str, str]]:
    """A ``Content-Type``'s parameters, each name in lower case with its value unquoted, as
    .NET's ``MediaTypeHeaderValue`` reads them: a quoted value is read whole, so a ``;`` or a
    ``charset=`` inside it is its text (``foo="a;charset=utf-16"`` declares no charset). The
    parameters stop where the header stops being one (an unclosed quote)."""
    at = content_type.find(";") + 1
    while 0 < at < len(content_type):
        found = _PARAMETER.match(content_type, at)
        if found is None or found.end() == at:
            return
        name, value = found.group(1), found.group(2) or ""
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        yield name.lower(), value
        at = found.end()
