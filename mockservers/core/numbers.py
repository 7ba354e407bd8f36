"""Numbers as a body wrote them, for the vendors that echo a value as they received it.

orjson, which reads every body, reads and writes whole numbers from -2^63 to 2^64 - 1 exactly;
beyond, it reads a float (18446744073709551617 as 1.8446744073709552e+19, the number it reads
for 18446744073709551616 too), a float keeps no trace of how it was written (``1e3`` is
``1000.0``), and a 0 none of a minus sign (``-0`` is ``0``). Where such a value is echoed, the
body is read again by the standard library, and only when orjson read one there: a body without
one is read once.
"""

from __future__ import annotations

import json
import re
from typing import Any

SPELT_WHOLE = re.compile(r"[+-]?[0-9]+")
"""A whole number written as text, as ASP.NET's binders read one where a body's field is a
number (``"2"`` is 2, ``"+2"`` too: Newtonsoft converts it, System.Text.Json's web defaults
allow it)."""


def read_inexactly(value: Any) -> bool:
    """Whether orjson may have read ``value``, a whole number as written, as another number."""
    return isinstance(value, float) and abs(value) >= 2**63


def read_otherwise(value: Any) -> bool:
    """Whether orjson may have read ``value``, a number as written, with another spelling: a
    float (``1e3``, ``1.00``, a whole number beyond 64 bits) or a 0 (``-0``)."""
    return isinstance(value, float) or (value == 0 and type(value) is int)


def read_as_written(body: bytes) -> Any:
    """``body`` (JSON the kit has read) read again by the standard library, every number as its
    text (``"1e3"``, ``"-0"``)."""
    return json.loads(body, parse_float=str, parse_int=str)
