"""Numbers as a body wrote them, for the vendors that echo a value as they received it.

orjson, which reads every body, reads and writes whole numbers from -2^63 to 2^64 - 1 exactly;
beyond, it reads a float (18446744073709551617 as 1.8446744073709552e+19, the number it reads
for 18446744073709551616 too), and a float keeps no trace of how it was written (``1e3`` is
``1000.0``). Where such a value is echoed, the body is read again by the standard library, and
only when orjson read a float there: a body without one is read once.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

ORJSON_INTEGERS = range(-(2**63), 2**64)
"""The whole numbers orjson reads as written and can write."""


def read_inexactly(value: Any) -> bool:
    """Whether orjson may have read ``value``, a whole number as written, as another number."""
    return isinstance(value, float) and abs(value) >= 2**63


def read_again(body: bytes, *, floats_as_written: bool = False) -> Any:
    """``body`` (JSON orjson has read) read by the standard library: whole numbers exactly and,
    with ``floats_as_written``, every other number as its text (``"1e3"``)."""
    return json.loads(body, parse_float=str if floats_as_written else None)


def as_json_number(value: Any) -> Any:
    """``value`` ready for orjson to write: a whole number beyond its 64 bits as its digits."""
    if isinstance(value, int) and value not in ORJSON_INTEGERS:
        return orjson.Fragment(str(value))
    return value
