"""A KeepIT customer as stored, read without the model's state: its collection, the sequences
its progIds come from, the fields the kit adds, the customerCode an answer names it by, the
progIds a tenant's customers hold and the check of a state document's customers.
"""

from __future__ import annotations

from typing import Any

import orjson

from mockservers.core.records import kit_fields
from mockservers.core.state import LARGEST_ID, StateError, TenantState, highest_id
from mockservers.keepit.sections import MAKEUP, MAKEUP_REPORTED, SECTIONS

RECORDS = "subjectsRecords"  # the request body's list of records
SUBJECTS = "subjects"  # keyed by the customer's progId, as a string
SEQUENCE_NAMES = (SUBJECTS, *(section.reported for section in SECTIONS), MAKEUP_REPORTED)
"""Where progIds come from: the customers', each section's, the makeups'."""
CUSTOMER_FIELDS = kit_fields("progId", "created_at", "updated_at")
"""The fields the kit adds to a stored customer: a record's field of one of these names is kept
under ``sent``, out of the way of the kit's own (``subjects.progId`` is the record's key)."""


def customer_code_of(record: Any) -> Any:
    """The record's customerCode for errorObjects: as sent (a whole number's digits as an
    ``orjson.Fragment`` beyond 64 bits), or "" when it has none usable."""
    subjects = record.get("subjects") if isinstance(record, dict) else None
    code = subjects.get("customerCode") if isinstance(subjects, dict) else None
    usable = isinstance(code, str | int | float | orjson.Fragment) and not isinstance(code, bool)
    return code if usable else ""


def highest_prog_ids(tenant: TenantState) -> dict[str, int]:
    """The highest progId of each sequence a tenant's customers hold: the customers' by their
    key, each section's and the makeup's inside them."""
    held = {SUBJECTS: highest_id(tenant.collections[SUBJECTS])}
    for record in tenant.collections[SUBJECTS].values():
        if not isinstance(record, dict):
            continue
        for section in SECTIONS:
            elements = record.get(section.field)
            if isinstance(elements, list):
                found = highest_id(e.get("progId") for e in elements if isinstance(e, dict))
                held[section.reported] = max(held.get(section.reported, 0), found)
        makeup = record.get(MAKEUP)
        if isinstance(makeup, dict):
            found = highest_id([makeup.get("progId")])
            held[MAKEUP_REPORTED] = max(held.get(MAKEUP_REPORTED, 0), found)
    return held


def check_customers(tenant: TenantState) -> None:
    """Refuse a state document's tenant with a customer an update could not find, merge into
    or answer for: one whose progId is not its key, or with a part ``_unusable_part`` or a
    value ``_unusable_key`` names."""
    for key, record in tenant.collections[SUBJECTS].items():
        prog_id = record.get("progId")
        if not _is_prog_id(prog_id, key):
            raise StateError(
                f"tenant {tenant.name!r}: customer {key!r} must hold its key as progId"
            )
        wrong = _unusable_part(record) or _unusable_key(record)
        if wrong:
            raise StateError(f"tenant {tenant.name!r}: customer {key!r}: {wrong}")


def _is_prog_id(value: Any, key: str) -> bool:
    """Whether ``value`` is a progId and ``key`` its text (``"01"`` would be listed, never
    found by progId 1)."""
    return isinstance(value, int) and not isinstance(value, bool) and str(value) == key


def _unusable_part(record: dict[str, Any]) -> str:
    """What of a stored customer an update could not merge into or answer for, if anything:
    its ``subjects`` not an object, a section not a list of objects, its makeup not an object
    (``null``, ``{}`` or absent is an empty part), an element or the makeup without a progId
    (an update matching it answers the progId it holds)."""
    if not isinstance(record.get("subjects") or {}, dict):
        return "subjects must be an object"
    for section in SECTIONS:
        elements = record.get(section.field) or []
        if not isinstance(elements, list):
            return f"{section.field} must be a list of objects"
        for number, element in enumerate(elements):
            if not isinstance(element, dict):
                return f"{section.field} must be a list of objects"
            if not _stored_prog_id(element.get("progId")):
                return f"{section.field}[{number}] {_NO_PROG_ID}"
    makeup = record.get(MAKEUP) or {}
    if not isinstance(makeup, dict):
        return f"{MAKEUP} must be an object"
    if makeup and not _stored_prog_id(makeup.get("progId")):
        return f"{MAKEUP} {_NO_PROG_ID}"
    return ""


_NO_PROG_ID = "must hold its progId, a whole number from 1 to 2^53"


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _whole(value: Any) -> bool:
    """A string or a whole number, as the contract gives ``customerCode`` and ``externalCode``
    (``1.0`` is 1)."""
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, str | int) and not isinstance(value, bool)


_TYPES = {_text: "a string", _whole: "a string or a whole number"}
_SUBJECT_KEYS = (("customerCode", _whole), ("system", _text), ("email", _text))
_ELEMENT_KEYS = {
    "mappings": (("system", _text), ("externalField", _text), ("externalCode", _whole)),
    "cards": (("cardBarcode", _text),),
}
"""A customer's fields its unique keys (or its answer's ``email``) are read from, each with
the types its contract gives it."""


def _unusable_key(record: dict[str, Any]) -> str:
    """A field a customer's unique keys (or its answer's ``email``) are read from, given
    (``null`` too) but of no type its contract gives it, if any: the keys and the answer
    held its Python text (``{'a': 1}``) for it. The parts are usable (``_unusable_part``)."""
    subjects = record.get("subjects") or {}
    for name, usable in _SUBJECT_KEYS:
        if name in subjects and not usable(subjects[name]):
            return f"subjects.{name} must be {_TYPES[usable]}"
    for section, fields in _ELEMENT_KEYS.items():
        for number, element in enumerate(record.get(section) or []):
            for name, usable in fields:
                if name in element and not usable(element[name]):
                    return f"{section}[{number}].{name} must be {_TYPES[usable]}"
    for number, contact in enumerate(record.get("contacts") or []):
        if contact.get("contactType") == "EMAIL" and not _text(contact.get("value", "")):
            return f"contacts[{number}].value must be a string (an EMAIL's)"
    return ""


def _stored_prog_id(value: Any) -> bool:
    """A progId the kit could have given: what the answer reports (a JSON integer: ``true`` is
    not 1 here)."""
    return type(value) is int and 1 <= value <= LARGEST_ID
