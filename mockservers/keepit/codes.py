"""KeepIT codes a body writes as JSON numbers (``customerCode``, a mapping's ``externalCode``),
judged as written where the JSON reader's double hides it.

orjson reads a number written with a fraction or an exponent as a double: ``9007199254740993.0``
as 9007199254740992.0, ``1.0000000000000001`` as 1.0, ``1e-400`` as 0.0, each a whole number
the contract takes, and another customer's code. Such a code is taken only when, exactly as
written, it is a whole number below 2^53 in magnitude (``12.0``, ``1e3``), which a double holds
exactly; otherwise it is ``di tipo non valido`` (not whole) or ``fuori dai limiti ammessi``
(2^53 or more). A whole number past 64 bits without a fraction is read exactly, as before, for
the contract to refuse. Only a call holding a code read as a float reads its body again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from contracts import Violation
from mockservers.core.numbers import read_as_written, read_inexactly
from mockservers.keepit.records import RECORDS, customer_code_of

EXACT_DIGITS = 16
"""2^53 has 16 digits: a whole number of more is past it."""
EXACT_LIMIT = 2**53
_CUSTOMER_CODE = ("subjects", "customerCode")


@dataclass
class WrittenCodes:
    """The records as the rules read them, and what their codes as written add."""

    records: list[Any]
    echoed: dict[int, orjson.Fragment] = field(default_factory=dict)
    """By record number: its customerCode as written, for its errorObjects entry if refused."""
    faults: dict[int, list[Violation]] = field(default_factory=dict)
    """By record number: the codes the contract takes as read but not as written."""


def read_codes(records: list[Any], body: bytes) -> WrittenCodes:
    """``records`` (the body's, as orjson read them) with their codes judged as written: a
    customerCode past 64 bits replaced by its exact value (the contract refuses it)."""
    floating = [number for number, record in enumerate(records) if _holds_float_code(record)]
    if not floating:
        return WrittenCodes(records)
    written = read_as_written(body)[RECORDS]
    found = WrittenCodes(list(records))  # the call's parsed body stays as read
    for number in floating:
        record, as_written = records[number], written[number]
        faults = []
        code = customer_code_of(record)
        if isinstance(code, float):
            text = customer_code_of(as_written)
            found.echoed[number] = orjson.Fragment(text)
            if read_inexactly(code):
                subjects = record["subjects"] | {"customerCode": _code_of_text(text)}
                found.records[number] = {**record, "subjects": subjects}
            faults.append(_fault(_CUSTOMER_CODE, code, text))
        for index, mapping in _mappings(record):
            value = mapping.get("externalCode")
            if type(value) is float:
                text = as_written["mappings"][index]["externalCode"]
                faults.append(_fault(("mappings", index, "externalCode"), value, text))
        if any(faults):
            found.faults[number] = [fault for fault in faults if fault is not None]
    return found


def _code_of_text(text: str) -> int | float:
    """A customerCode orjson read inexactly, from its ``text``: a whole number exactly (the
    contract judges it out of range), one of more digits than Python converts (4,300), which is
    far past a double's range, as infinity; one with an exponent or a fraction as a float, as
    orjson read it."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def _holds_float_code(record: Any) -> bool:
    """Whether orjson read a code of ``record`` as a float (a lone insert's only extra cost)."""
    if not isinstance(record, dict):
        return False
    subjects, mappings = record.get("subjects"), record.get("mappings")
    if isinstance(subjects, dict) and type(subjects.get("customerCode")) is float:
        return True
    if not mappings or not isinstance(mappings, list):
        return False
    return any(isinstance(m, dict) and type(m.get("externalCode")) is float for m in mappings)


def _mappings(record: Any) -> list[tuple[int, dict[str, Any]]]:
    mappings = record.get("mappings") if isinstance(record, dict) else None
    if not isinstance(mappings, list):
        return []
    return [(index, m) for index, m in enumerate(mappings) if isinstance(m, dict)]


def _fault(path: tuple[str | int, ...], read: float, text: str) -> Violation | None:
    """The code written ``text``, read as ``read``, when the contract takes it (a whole number
    within 64 bits) but not as written: no whole number, or one of 2^53 or more."""
    if not (read.is_integer() and abs(read) < 2**63):
        return None  # not whole as read, an infinity, past 64 bits: the contract refuses it
    _, digits, exponent = Decimal(text).as_tuple()
    assert isinstance(exponent, int)  # a JSON number is finite
    read_as = f"a JSON reader reads it as {read!r}, another code"
    if exponent < 0 and any(digits[exponent:]):
        message = f"{text} is not a whole number as written ({read_as})"
        return Violation(path, message, "type", ["string", "integer"], read)
    if (any(digits) and len(digits) + exponent > EXACT_DIGITS) or abs(int(read)) >= EXACT_LIMIT:
        message = (
            f"{text} is a whole number of 2^53 or more written with a fraction or an exponent,"
            f" which a double does not hold exactly ({read_as})"
        )
        return Violation(path, message, "exclusiveMaximum", EXACT_LIMIT, read)
    return None
