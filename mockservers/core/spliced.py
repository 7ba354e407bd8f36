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
otherwise, or a body that is no UTF-8.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import orjson

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


def json_body(body: bytes, after: Any) -> bytes:
    """``body`` (JSON, as sent) made to read as ``after`` (its parse, some of its strings and
    whole numbers replaced): ``body`` itself when nothing was replaced; else each replaced
    value written anew where it stands, the rest of the text as it came; written again whole
    where that cannot be done (see the module's docstring)."""
    before = json_of(body)
    if before is NOT_JSON:
        return orjson.dumps(after)
    whole = orjson.dumps(after)
    if orjson.dumps(before) == whole:  # typed: 1, 1.0 and true are written apart
        return body
    replaced: dict[tuple[type, Any], Any] = {}
    if not _replacements(before, after, replaced):
        return whole
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return whole
    spliced = _spliced(text, replaced).encode("utf-8")
    read = json_of(spliced)
    return spliced if read is not NOT_JSON and orjson.dumps(read) == whole else whole


def _replacements(before: Any, after: Any, found: dict[tuple[type, Any], Any]) -> bool:
    """Gather in ``found`` each value ``before`` has where ``after`` has another (by its type
    and value: ``"5"`` and ``5`` are apart), with that other; False where the two differ
    otherwise (another shape, a value replaced that is no string or whole number, one value
    replaced two ways)."""
    if isinstance(before, dict):
        if not isinstance(after, dict) or list(before) != list(after):
            return False
        return all(_replacements(before[k], after[k], found) for k in before)
    if isinstance(before, list):
        if not isinstance(after, list) or len(before) != len(after):
            return False
        return all(_replacements(b, a, found) for b, a in zip(before, after, strict=True))
    if type(before) is type(after) and before == after:
        return True
    if isinstance(after, dict | list) or type(before) not in (str, int):
        return False
    key = (type(before), before)
    if key in found and orjson.dumps(found[key]) != orjson.dumps(after):
        return False
    found[key] = after
    return True


_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?')
"""A JSON string or number, whole: read from a text's start, one after another, never from
inside a string."""
_NAMED = re.compile(r"[ \t\r\n]*:")
"""What follows an object's name."""


def _spliced(text: str, replaced: dict[tuple[type, Any], Any]) -> str:
    """A JSON text with every string or whole number value (never a name) that ``replaced``
    has written as its replacement, the rest as it was."""
    pieces: list[str] = []
    at = 0
    for match in _TOKEN.finditer(text):
        token = match[0]
        if token[0] == '"':
            if _NAMED.match(text, match.end()):
                continue
            key: tuple[type, Any] = (str, json.loads(token) if "\\" in token else token[1:-1])
        elif token.lstrip("-").isdigit():
            key = (int, int(token))
        else:  # a fraction or an exponent: no whole number as parsed
            continue
        if key in replaced:
            pieces += (text[at : match.start()], orjson.dumps(replaced[key]).decode("utf-8"))
            at = match.end()
    return "".join(pieces) + text[at:]
