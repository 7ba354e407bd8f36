"""A request's query string and JSON body with some of their values replaced (a shadow's
translation of the vendor's values into the fake's, a replay's refill of what a recording
masked), every other byte as it came.

Read and written again whole, a request changed where nothing was replaced: a Latin-1 ``%E0``
decoded as UTF-8 became ``%EF%BF%BD``, a flag ``login`` became ``login=``, ``1e3`` became
``1000.0``, ``14.570`` became ``14.57``, a name given twice lost its first value; and the
answers then differed for what the kit itself had changed. So only a replaced value is written
anew, where it stands. A JSON body is still written again whole (``orjson``) where a replaced
value cannot be told apart in its text: the same value left as it was elsewhere in the body
(a ``"5"`` replaced in one place, kept in another), two values written alike replaced
otherwise. A body the vendor reads in another charset (a UTF-8 byte order mark, a declared
UTF-16) is read and written back in it.

The replaced values are searched for as they are usually written, not found by walking every
string and number of the text (a Python loop: 425 ms for 1.4 MB); every token is read only
where a value is written otherwise (an escape) or too many were replaced to search for. Either
way the result is read back, and written whole unless it reads as intended.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import orjson

from contracts.charsets import as_sent, utf8_json
from contracts.infinite import ORJSON_DIGITS
from mockservers.core.http import NOT_JSON, json_of

Pairs = list[tuple[str, str]]


def query(raw: bytes, before: Pairs, after: Pairs) -> bytes:
    """``raw`` (a query string as sent) with every field whose pair ``after`` changes from
    ``before`` (its fields as ``parse_qsl`` reads them, blank values kept) written anew, its
    name as it came and its value percent-encoded as UTF-8; every other byte as it came."""
    if before == after:
        return raw
    fields = raw.split(b"&")
    if sum(1 for field in fields if field) != len(before) or len(before) != len(after):
        raise ValueError("the pairs are not those of this query")
    changed = iter(zip(before, after, strict=True))
    written = []
    for field in fields:
        if field:  # parse_qsl passes over an empty field ("a=1&&b=2")
            (old_name, old), (name, value) = next(changed)
            if (old_name, old) != (name, value):
                kept = field.partition(b"=")[0] if name == old_name else _quoted(name)
                field = kept + b"=" + _quoted(value)
        written.append(field)
    return b"&".join(written)


def _quoted(text: str) -> bytes:
    return quote(text, safe="").encode("ascii")


def json_body(body: bytes, after: Any, content_type: str = "") -> bytes:
    """``body`` (JSON, as sent with ``content_type``) made to read as ``after`` (its parse,
    some of its strings and whole numbers replaced): ``body`` itself when nothing was
    replaced; else each replaced value written anew where it stands, the rest of the text as
    it came; written again whole where that cannot be done (see the module's docstring). A
    body the vendor reads in another charset (a UTF-8 byte order mark, a declared UTF-16:
    :func:`contracts.charsets.utf8_json`) is read so and written back in it, its mark kept."""
    text = utf8_json(body, content_type)
    written = _json_text(text, after)
    if written is text:
        return body
    return written if text is body else as_sent(written, body, content_type)


def _json_text(text: bytes, after: Any) -> bytes:
    """:func:`json_body` of a UTF-8 JSON text."""
    before = json_of(text, past_doubles=True)
    whole = orjson.dumps(after)
    if before is NOT_JSON:
        return whole
    if orjson.dumps(before) == whole:  # typed: 1, 1.0 and true are written apart
        return text
    replaced: dict[tuple[type, Any], Any] = {}
    places: Counter[tuple[type, Any]] = Counter()
    if not _replacements(before, after, replaced, places):
        return whole
    found: Counter[tuple[type, Any]] = Counter()
    written = _literally(text, replaced, found) if len(replaced) <= MANY else None
    if written is not None and _reads_as(written, whole):
        return written
    # Spelt otherwise somewhere (an escape: "\u0043\u0039" is "C9"; unless a value was found
    # in more places than it is replaced in, kept as it was in one), or too many values to
    # search for: every token read.
    if written is None or (b"\\" in text and not found - places):
        written = _token_by_token(text, replaced)
        if _reads_as(written, whole):
            return written
    return whole


def _reads_as(text: bytes, whole: bytes) -> bool:
    """Whether a spliced text reads as the value ``whole`` writes."""
    read = json_of(text, past_doubles=True)
    return read is not NOT_JSON and orjson.dumps(read) == whole


MANY = 2_000
"""Past so many values replaced, a body is read token by token: a pattern of them all takes
longer to make than the reading (160,000 IDs: 2.5 s)."""


def _replacements(
    before: Any, after: Any, found: dict[tuple[type, Any], Any], places: Counter[Any]
) -> bool:
    """Gather in ``found`` each value ``before`` has where ``after`` has another (by its type
    and value: ``"5"`` and ``5`` are apart), with that other, and in ``places`` how many
    times it is replaced; False where the two differ otherwise (another shape, a value
    replaced that is no string or whole number, one value replaced two ways)."""
    if isinstance(before, dict):
        if not isinstance(after, dict) or list(before) != list(after):
            return False
        # (Equal parts passed over: a 1 that became 1.0 or true is not gathered, and the
        # splice then reads otherwise than ``after``: written whole.)
        return all(
            before[k] == after[k] or _replacements(before[k], after[k], found, places)
            for k in before
        )
    if isinstance(before, list):
        if not isinstance(after, list) or len(before) != len(after):
            return False
        pairs = zip(before, after, strict=True)
        return all(b == a or _replacements(b, a, found, places) for b, a in pairs)
    if type(before) is type(after) and before == after:
        return True
    if isinstance(after, dict | list) or type(before) not in (str, int):
        return False
    key = (type(before), before)
    if key in found and orjson.dumps(found[key]) != orjson.dumps(after):
        return False
    found[key] = after
    places[key] += 1
    return True


def _literally(
    text: bytes, replaced: dict[tuple[type, Any], Any], found: Counter[Any]
) -> bytes | None:
    """``text`` with each replaced value found as written the usual ways (a whole number's
    digits, ``-0`` for 0 too; a string as orjson writes it, or with every character beyond
    ASCII escaped) written anew, where it stands as a value (never a name, never inside a
    string or another number), counted in ``found``; None where the values cannot make one
    pattern. Only where those spellings stand is the text read: a body of megabytes is
    searched, not walked."""
    spellings = {
        spelling: (key, orjson.dumps(new))
        for key, new in replaced.items()
        for spelling in _spelt(*key)
    }
    try:
        search = re.compile(_alternation(spellings)).search
    except (RecursionError, re.error):  # values nested too deep for a pattern
        return None
    pieces: list[bytes] = []
    at = checked = quotes = 0
    match = search(text)
    while match is not None:
        start, end = match.span()
        inside, dangling = _quotes(text, checked, start)
        quotes, checked, on = quotes + inside, start - dangling, start + 1
        if quotes % 2 == 0 and _a_value(text, start, end):  # (an odd count: inside a string)
            key, written = spellings[match[0]]
            pieces += (text[at:start], written)
            found[key] += 1
            at = on = end
        match = search(text, on)
    return b"".join(pieces) + text[at:]


def _spelt(kind: type, value: Any) -> set[bytes]:
    """How a JSON text usually writes a value (:func:`_literally`)."""
    if kind is int:
        return {str(value).encode("ascii"), b"-0"} if value == 0 else {str(value).encode("ascii")}
    return {orjson.dumps(value), json.dumps(value).encode("ascii")}


def _alternation(words: Iterable[bytes]) -> bytes:
    """A pattern matching any of ``words`` (JSON strings and whole numbers) as a tree of
    their common beginnings (an alternation of thousands of words is tried word by word at
    each place of the text), a word's first byte only where a value may begin, a number
    only whole."""
    tree: dict[Any, Any] = {}
    for word in words:
        node = tree
        for byte in word:
            node = node.setdefault(byte, {})
        node[None] = {}
    ways = []
    for first, node in tree.items():
        start = re.escape(bytes([first]))
        ends = _NUMBER_ENDS if first != _QUOTE else b""
        # (After the first byte: a look behind at every place of the text would be slow.)
        ways.append(start + b"(?<![^" + _OPENS + b"]" + start + b")" + _branches(node, ends))
    return b"|".join(ways)


def _branches(node: dict[Any, Any], ends: bytes) -> bytes:
    """The pattern of a tree's node: a run of bytes with one way on, then its ways; where a
    word ends there (``None``), ``ends`` may follow instead."""
    run = b""
    while len(node) == 1 and None not in node:  # one way on: a literal run
        ((byte, node),) = node.items()
        run += re.escape(bytes([byte]))
    ways = [
        re.escape(bytes([b])) + _branches(child, ends) for b, child in node.items() if b is not None
    ]
    if None in node:
        ways.append(ends)
    return run if len(ways) == 1 and not ways[0] else run + b"(?:" + b"|".join(ways) + b")"


_QUOTE = 34
_OPENS = rb"\[,: \t\r\n"
"""What stands right before a value, outside a string (or the text's start)."""
_NUMBER_ENDS = rb"(?![0-9.eE])"
"""No more of a number after a whole number's digits."""
_NAMED = re.compile(rb"[ \t\r\n]*:")
"""What follows an object's name."""


def _quotes(text: bytes, start: int, end: int) -> tuple[int, int]:
    """How many of the quotes of ``text[start:end]`` open or close a string (``start``
    outside any escape), and 1 where its last byte is a backslash escaping the next (``end``
    is then inside an escape), else 0."""
    part = text[start:end]
    if b"\\" not in part:
        return part.count(b'"'), 0
    part = part.replace(b"\\\\", b"")  # an escaped backslash: gone, the others then pair
    return part.count(b'"') - part.count(b'\\"'), int(part.endswith(b"\\"))


def _a_value(text: bytes, start: int, end: int) -> bool:
    """Whether a spelling found outside any string stands there as a value: a number (the
    pattern saw to it that it is whole), or a string that is no object's name."""
    return text[start] != _QUOTE or _NAMED.match(text, end) is None


_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?')
"""A JSON string or number, whole: read from a text's start, one after another, never from
inside a string."""


def _token_by_token(text: bytes, replaced: dict[tuple[type, Any], Any]) -> bytes:
    """A JSON text with every string or whole number value (never a name) that ``replaced``
    has written as its replacement, however it is spelt (``"\\u0043\\u0039"`` is ``"C9"``),
    the rest as it was: every token read."""
    written = {key: orjson.dumps(new) for key, new in replaced.items()}
    strings = any(kind is str for kind, _ in replaced)
    pieces: list[bytes] = []
    at = 0
    for match in _TOKEN.finditer(text):
        token = match[0]
        if token[0] == _QUOTE:
            if not strings or _NAMED.match(text, match.end()):
                continue
            key: tuple[type, Any] = (
                str,
                json.loads(token) if b"\\" in token else token[1:-1].decode(),
            )
        # No replaced whole number is longer (the kit reads them of 64 bits at most): a longer
        # one is not converted (past 4,300 digits Python refuses to).
        elif token.lstrip(b"-").isdigit() and len(token) <= ORJSON_DIGITS:
            key = (int, int(token))
        else:  # a fraction or an exponent: no whole number as parsed
            continue
        if key in written:
            pieces += (text[at : match.start()], written[key])
            at = match.end()
    return b"".join(pieces) + text[at:]
