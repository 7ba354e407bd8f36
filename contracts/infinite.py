"""Bodies holding a number past a double's range (``1e400``, a whole number of 400 digits).

JSON's grammar sets no range on numbers, but orjson, which reads every body, refuses one it
would read as an infinity (``number is infinity when parsed as double``), and stops there: the
rest of the body is not read. Such a body is read again, only then, by the standard library,
held to what orjson accepts (UTF-8, no ``NaN``, no lone surrogate) and reading the number as
orjson reads any other: a whole number within 64 bits exactly, any other as the nearest float,
here ±infinity (as PHP's ``json_decode`` and .NET read it). Each vendor then judges the
infinity as any number in that field; one in a field no contract lists is kept, and orjson
writes it back as ``null``.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

ORJSON_INTEGERS = range(-(2**63), 2**64)
"""The whole numbers orjson reads as written and can write."""

ORJSON_DIGITS = len(str(-(2**63)))
"""No whole number of more characters is within orjson's 64 bits."""

_PAST_DOUBLES = "number is infinity when parsed as double"
"""How orjson (3.x) starts the message of its refusal of such a number."""


def loads(body: bytes | str) -> Any:
    """``body`` read as the fakes read it: by orjson and, only when it refuses a number past a
    double's range, again with that number as ±infinity (:func:`read_past_doubles`);
    ``orjson.JSONDecodeError`` when it is not JSON."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as refusal:
        return read_past_doubles(body, refusal)


def read_past_doubles(body: bytes | str, refusal: orjson.JSONDecodeError) -> Any:
    """``body``, which orjson refused with ``refusal``, read with its numbers past a double's
    range as ±infinity; ``refusal`` raised again when it was for something else, and an
    ``orjson.JSONDecodeError`` of its own when the body is not JSON past that number."""
    if not refusal.msg.startswith(_PAST_DOUBLES):
        raise refusal
    try:
        text = body if isinstance(body, str) else body.decode("utf-8")
        value = json.loads(text, parse_int=_whole, parse_constant=_not_json)
    except json.JSONDecodeError as exc:
        raise orjson.JSONDecodeError(exc.msg, exc.doc, exc.pos) from None
    except (ValueError, RecursionError) as exc:  # not UTF-8, NaN, nested past Python's limit
        raise orjson.JSONDecodeError(str(exc) or type(exc).__name__, "", 0) from None
    if "\\u" in text and _lone_surrogate(value):
        raise orjson.JSONDecodeError("a string holds a lone surrogate", "", 0)
    return value


def _whole(digits: str) -> int | float:
    """A whole number as orjson reads it: exactly within 64 bits, else the nearest float (no
    limit on its digits: ``int`` refuses more than 4,300)."""
    if len(digits) <= ORJSON_DIGITS:
        number = int(digits)
        if number in ORJSON_INTEGERS:
            return number
    return float(digits)


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _lone_surrogate(value: Any) -> bool:
    """Whether a string in ``value`` (a name included) holds a surrogate alone, which an
    escape can write and orjson refuses (strings read from UTF-8 hold none)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
