"""The unique keys of a KeepIT customer, and a tenant's index of who holds each.

No two customers of a tenant may share a key: (system, customerCode), each e-mail, each mapping
tuple, each card barcode. The index is the model's, never stored: built from the stored
customers, then kept by each write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mockservers.core.state import StateError, TenantState
from mockservers.core.unique import UniqueIndex
from mockservers.keepit.records import SUBJECTS
from mockservers.keepit.sections import (
    code_text,
    contact_emails,
    emails,
    mapping_key,
    subject_email,
)

Key = tuple[str, ...]
Owners = UniqueIndex[Key, str]
"""A tenant's unique keys -> the progId (as text) of the customer holding each."""
KEY_FIELDS = ("customerCode", "system", "email")
"""The subject's fields a customer's unique keys are read from."""
KEYED_SECTIONS = ("contacts", "mappings", "cards")
"""The sections a customer's unique keys are read from (EMAIL contacts, mappings, cards)."""


def unique_keys(record: Mapping[str, Any]) -> list[Key]:
    """What no two customers of a tenant may share: (system, customerCode), each e-mail,
    each mapping tuple, each card barcode."""
    return identity_keys(record) + section_keys(record)


def identity_keys(record: Mapping[str, Any]) -> list[Key]:
    """The unique keys that tell who a customer is: (system, customerCode) and each e-mail."""
    keys = [_code_key(record.get("subjects") or {})]
    for email in emails(record):
        keys.append(("email", email))
    return keys


def identity_of(subjects: Mapping[str, Any], contacts: list[Key]) -> list[Key]:
    """:func:`identity_keys` of a customer read in parts: ``subjects``, its subject's key
    fields, and ``contacts``, its EMAIL contacts' keys (:func:`contact_keys`)."""
    return [_code_key(subjects), *contacts, *(("email", e) for e in subject_email(subjects))]


def contact_keys(record: Mapping[str, Any]) -> list[Key]:
    """The unique keys of a customer's EMAIL contacts (its e-mails but ``subjects.email``)."""
    return [("email", email) for email in contact_emails(record)]


def _code_key(subjects: Mapping[str, Any]) -> Key:
    return ("code", str(subjects.get("system", "")), code_text(subjects.get("customerCode", "")))


def section_keys(record: Mapping[str, Any]) -> list[Key]:
    """The unique keys a customer holds in its sections: each mapping tuple, each card barcode."""
    keys: list[Key] = []
    for mapping in record.get("mappings", ()):
        keys.append(("map", *mapping_key(mapping)))
    for card in record.get("cards", ()):
        barcode = card.get("cardBarcode")
        if isinstance(barcode, str) and barcode:
            keys.append(("card", barcode))
    return keys


def held_keys(record: Any, prog_id: str) -> list[tuple[Key, str]]:
    """A customer's unique keys, each held by its progId (none for no customer)."""
    return [(key, prog_id) for key in unique_keys(record)] if record else []


class KeyCounts:
    """A customer's unique keys, each with how many of its parts hold it (an e-mail in
    ``subjects.email`` and in a contact: two). A call's updates of the customer only add keys
    (contacts, mappings and cards are never taken away), but for those of its code and its
    ``subjects.email``: each update counts what it changes, never the customer again."""

    __slots__ = ("_counts",)

    def __init__(self, keys: Iterable[Key] = ()) -> None:
        self._counts: dict[Key, int] = {}
        self.gain(keys)

    def __contains__(self, key: Key) -> bool:
        return key in self._counts

    def gain(self, keys: Iterable[Key]) -> list[Key]:
        """Each of ``keys`` held by one more part; those not held before, each once."""
        counts = self._counts
        new = []
        for key in keys:
            held = counts.get(key, 0)
            if not held:
                new.append(key)
            counts[key] = held + 1
        return new

    def lose(self, keys: Iterable[Key]) -> list[Key]:
        """Each of ``keys`` (held) held by one part less; those no longer held."""
        counts = self._counts
        gone = []
        for key in keys:
            left = counts[key] - 1
            if left:
                counts[key] = left
            else:
                del counts[key]
                gone.append(key)
        return gone


def owners_of(tenant: TenantState) -> Owners:
    """The unique-key index of a tenant, from its stored customers, in their order."""
    owners: Owners = UniqueIndex()
    for prog_id, record in tenant.collections[SUBJECTS].items():
        owners.change((), [(key, prog_id) for key in _keys_of(tenant, prog_id, record)])
    return owners


def _keys_of(tenant: TenantState, prog_id: str, record: Any) -> list[Key]:
    """A stored customer's unique keys; a customer they cannot be read from is refused."""
    try:
        return unique_keys(record)
    except (AttributeError, TypeError) as exc:
        raise StateError(f"tenant {tenant.name!r}: customer {prog_id!r} is malformed") from exc


_KEY_NAMES = {
    "code": "the customerCode (system/code)",
    "email": "the e-mail",
    "map": "the mapping (system/externalField/externalCode)",
    "card": "the card",
}
"""What each kind of unique key is, as a warning names it."""


def key_text(key: Key) -> str:
    """A unique key as a warning names it: its kind, then its parts (``the card 'B1'``)."""
    return f"{_KEY_NAMES[key[0]]} {'/'.join(key[1:])!r}"
