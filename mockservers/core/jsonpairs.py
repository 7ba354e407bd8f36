"""Every value a JSON text gives a name, those its parse drops included.

An object may give a name twice, in two spellings too (``"Pass\\u0077ord"`` reads as
``"Password"``); a parse keeps the last value, and nothing made of the parse shows the first.
These read the text itself: the values a parse drops (:func:`dropped`), and the text with the
values of some names replaced where they stand (:func:`replaced_values`), in any spelling of
the names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
"""A JSON string, whole: read from a text's start, one string after another, never from
inside one."""
_COLON = re.compile(r"[ \t\r\n]*:[ \t\r\n]*")
"""What follows a name: a string followed so is an object's name, never a value."""
_DECODER = json.JSONDecoder()


def dropped(text: str | bytes) -> list[tuple[str, Any]]:
    """Each value an object in a JSON text gives a name it gives again later (the one a parse
    drops), with that name; none for a text Python's reader refuses (a number of more than
    4,300 digits)."""
    found: list[tuple[str, Any]] = []

    def kept(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        last = {key: at for at, (key, _) in enumerate(pairs)}
        if len(last) < len(pairs):  # a name given twice (rare): the earlier values
            found.extend(pair for at, pair in enumerate(pairs) if last[pair[0]] != at)
        return dict(pairs)

    try:
        json.loads(text, object_pairs_hook=kept)
    except (ValueError, RecursionError):
        return []
    return found


def replaced_values(text: str, named: Callable[[str], bool], by: str) -> str:
    """A JSON text with the value of every name ``named`` says (read with its escapes undone),
    ``null`` and ``""`` aside, replaced by ``by``, where it stands; the rest kept as it is. Raises
    ``ValueError`` for a text Python's reader refuses."""
    pieces: list[str] = []
    at = 0  # where the text not yet copied starts; no string before it is read again
    for string in _STRING.finditer(text):
        colon = _COLON.match(text, string.end())
        if string.start() < at or colon is None:
            continue
        name = string[0][1:-1]
        if not named(json.loads(string[0]) if "\\" in name else name):
            continue
        value, end = _DECODER.raw_decode(text, colon.end())
        if value is not None and value != "":  # null and "": nothing to hide
            pieces += (text[at : colon.end()], by)
            at = end
    return "".join(pieces) + text[at:] if pieces else text
