"""A contract violation in a vendor's own words.

The contracts explain a refusal in the validator's English (``'item' is a required property``):
that is the kit's diagnosis, for the ``X-Mockservers-Detail`` header and the journal. A vendor
body names the field in Italian, in that vendor's style. Each vendor keeps a *phrasebook*: one
template per kind of problem below, with ``{field}`` (the path as the vendor spells it) and
``{expected}`` (the admitted type, values, length or format, in Italian) to fill in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from contracts import Contract, Violation
from mockservers.core.findmany import Finder
from mockservers.core.numbers import read_otherwise
from mockservers.core.secretnames import MASK, is_secret
from mockservers.core.secrets import secret_values

MISSING = "missing"  # absent, or an empty string where a value is mandatory
TYPE = "type"  # a JSON type the field does not admit (null included)
NOT_ALLOWED = "not_allowed"  # not among the admitted values
TOO_LONG = "too_long"  # longer than the maximum length
TOO_SHORT = "too_short"  # an array with fewer elements than required
OUT_OF_RANGE = "out_of_range"  # a number beyond its limits
FORMAT = "format"  # a date, a UUID, a pattern the value does not follow
OTHER = "other"  # anything else: a rule, a combination of fields

_KIND = {
    "required": MISSING,
    "type": TYPE,
    "enum": NOT_ALLOWED,
    "const": NOT_ALLOWED,
    "maxLength": TOO_LONG,
    "maxItems": TOO_LONG,
    "minItems": TOO_SHORT,
    "minimum": OUT_OF_RANGE,
    "maximum": OUT_OF_RANGE,
    "exclusiveMinimum": OUT_OF_RANGE,
    "exclusiveMaximum": OUT_OF_RANGE,
    "multipleOf": OUT_OF_RANGE,
    "format": FORMAT,
    "pattern": FORMAT,
}
_TYPES = {
    "string": "stringa",
    "integer": "intero",
    "number": "numero",
    "boolean": "booleano",
    "array": "array",
    "object": "oggetto",
    "null": "null",
}
_FORMATS = {"date": "data AAAA-MM-GG", "date-time": "data e ora ISO 8601", "uuid": "UUID"}

T = TypeVar("T")

Phrasebook = Mapping[str, str]
"""kind -> template with ``{field}`` and ``{expected}``; ``OTHER`` is the fallback."""


def kind_of(violation: Violation) -> str:
    """What is wrong, as one of the kinds above (``""`` where a value is due is missing: the
    contracts give ``minLength`` only to fields they require; an optional field that may not be
    empty says ``not: {const: ""}``, a wrong value)."""
    if violation.keyword == "minLength" and violation.instance == "":
        return MISSING
    if violation.keyword == "minLength":
        return FORMAT
    return _KIND.get(violation.keyword, OTHER)


_BASIC = {MISSING: 0, TYPE: 1}
"""A missing field, then one of the wrong type: what a message names first (a wrong type says
more than the values it is not among: ``FLG_ATV: 1`` is of the wrong type before it is not
'0' or '1'; and a message cut to a few fields must not leave out a missing one)."""


def basic_first(violation: Violation) -> int:
    """A sort key: the most basic faults first; sorting is stable, so among the others the
    contract's order (by path) stays."""
    return _BASIC.get(kind_of(violation), len(_BASIC))


def field_path(violation: Violation, root: str = "") -> str:
    """``contacts[1].value``: the offending value's path, the missing field itself for a
    ``required`` one; ``root`` when the whole document is at fault."""
    pointer = violation.pointer
    if violation.missing:
        pointer = f"{pointer}.{violation.missing}" if pointer else violation.missing
    return pointer or root


def expected(violation: Violation) -> str:
    """What the contract admits, in Italian: a type, the values, a length, a format."""
    value = violation.expected
    kind = kind_of(violation)
    if kind == TYPE:
        names = value if isinstance(value, list) else [value]
        return " o ".join(_TYPES.get(str(name), str(name)) for name in names)
    if kind == NOT_ALLOWED:
        values = value if isinstance(value, list) else [value]
        return ", ".join(_quoted(v) for v in values)
    if kind == FORMAT and violation.keyword == "format":
        return _FORMATS.get(str(value), str(value))
    return str(value) if isinstance(value, str | int | float) else ""


def _quoted(value: Any) -> str:
    """An admitted value as JSON spells it: ``'F'``, ``1``, ``true``, ``null``."""
    if value is None:
        return "null"
    return f"'{value}'" if isinstance(value, str) else str(value).lower()


def phrase(violation: Violation, book: Phrasebook, field: str | None = None) -> str:
    """The violation in the vendor's words (``field`` overrides the path it names)."""
    template = book.get(kind_of(violation), book[OTHER])
    name = field if field is not None else field_path(violation)
    return template.format(field=name, expected=expected(violation))


def diagnosis(violations: list[Violation], root: str = "body") -> str:
    """The kit's own account (the validator's words, with paths), for the detail header."""
    return _joined((field_path(v, root), _message(v)) for v in violations[:5])


def diagnoses(violations: list[Violation]) -> Callable[[str], str]:
    """:func:`diagnosis` of a row's violations (paths within the row) for each place in a body
    the row is at (``data[3]``, whose name is no secret's): a row sent thousands of times has
    its messages read once."""
    said = [(_within(v), _message(v)) for v in violations[:5]]
    return lambda place: _joined((place + path, message) for path, message in said)


def refused_by_index(
    checked: Contract, items: list[Any], work: Callable[[list[Violation], int], T]
) -> dict[int, T]:
    """What ``work(violations, first_index)`` makes of each item of ``items`` that breaks
    ``checked`` (a vendor's diagnosis and error), by index: worked out once for equal items
    and shared by each of them, as a broken connector sends one bad row thousands of times."""
    refused: dict[int, T] = {}
    for violations, indices in checked.check_each(items):
        refused.update(dict.fromkeys(indices, work(violations, indices[0])))
    return refused


def misquoted(violations: list[Violation]) -> bool:
    """Whether a violation's message may quote a number otherwise than its body wrote it: the
    validator quotes the value orjson read (``1000.0`` for ``1e3``, ``0`` for ``-0``)."""
    return any(read_otherwise(violation.instance) for violation in violations)


def as_written(violations: list[Violation], written: Any) -> list[Violation]:
    """``violations`` of a value, each quoting the number it is about as the body wrote it:
    ``written`` is that value read with every number as its text (``core/numbers.py``). Under a
    secret's name the number is masked, however written."""
    return [_as_written(violation, written) for violation in violations]


def _as_written(violation: Violation, written: Any) -> Violation:
    """The violation with its message's opening quote of the value (every message of a value's
    own fault opens with it: ``1000.0 is not of type 'string'``) as ``written`` has it."""
    if not read_otherwise(violation.instance) or _under_secret(violation):
        return violation
    read = repr(violation.instance)
    if not violation.message.startswith(read):
        return violation
    for part in violation.path:  # the same places: both reads took the same text
        written = written[part]
    message = written + violation.message[len(read) :]
    v = violation  # built as ``Violation.at`` builds one: dataclasses.replace takes twice as long
    return Violation(v.path, message, v.keyword, v.expected, v.instance, v.missing)


def _joined(said: Iterable[tuple[str, str]]) -> str:
    return "; ".join(f"{path}: {message}"[:300] for path, message in said)


def _within(violation: Violation) -> str:
    """The field path as it goes on from a place: ``.DES_NOM``, ``[1].value``."""
    parts = (*violation.path, violation.missing) if violation.missing else violation.path
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)


def _message(violation: Violation) -> str:
    """The validator's message without the secret values it quotes (``Password: ['x'] is not
    of type 'string'``): the detail header goes to the journal, which shows no secret. They
    are found all at once: a message quoting 12,000 rows, each with its password, took 10 s
    to read once per password."""
    under = secret_values(violation.instance, _under_secret(violation))
    quoted = {repr(value) for value in under if value != ""}  # '' hides nothing: quoted as is
    if not quoted:
        return violation.message
    return Finder(tuple(quoted)).replaced(violation.message, MASK)


def _under_secret(violation: Violation) -> bool:
    return any(isinstance(part, str) and is_secret(part) for part in violation.path)
