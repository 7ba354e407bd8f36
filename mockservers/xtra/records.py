"""XTRA's records, as rules free of the model's state: the identity and activity collections,
an identity's sub-records and their sequences, IDs and keys, the check of a state document, the
IDs a call may take, a record's items merged into a stored identity, and a record's outcome
(Item1..Item6).
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from mockservers.core.coverage import met
from mockservers.core.state import SEQUENCES, StateError, TenantState, highest_id
from mockservers.xtra import coverage
from mockservers.xtra.errors import RecordError
from mockservers.xtra.settings import INT32_MAX, INT32_MIN

IDENTITIES = "identities"  # keyed by str(ID)
ACTIVITIES = "activities"  # CRM activities recorded by contact-form calls, keyed by str(ID)

SUB_RECORDS = ("Destinations", "Contacts", "IdentityDocuments", "Users")
SUB_RECORD_SEQUENCES = {
    "Destinations": "destination",
    "Contacts": "contact",
    "IdentityDocuments": "document",
    "Users": "user",
}
"""The sequence each sub-record's IDs come from (one per account)."""
SEQUENCE_NAMES = ("identity", *SUB_RECORD_SEQUENCES.values(), "activity")
# Contact-form columns that describe the CRM activity, not the identity.
ACTIVITY_FIELDS = (
    "CRMMessage",
    "WebReasonID",
    "WebFormKey",
    "CRMTermsConditions",
    "CRMMarketingConsent",
    "CRMPrivacyMarketing",
    "BOPCode",
)
EMAIL_TYPOLOGY = 2  # Telefono, Email, Web, Pec, Fax, Cellulare -> 1..6


def is_id(value: Any) -> bool:
    """An XTRA ID: a JSON integer (``true`` is not 1 here)."""
    return isinstance(value, int) and not isinstance(value, bool)


def stored_id(value: Any) -> bool:
    """An ID a stored record may hold: 1 to Int32's largest (a state document with a larger
    one would have the fake answer IDs its own contract refuses)."""
    return is_id(value) and 1 <= value <= INT32_MAX


def indexed_key(identity: dict[str, Any]) -> str | None:
    """The ExternalKey an identity is found by: non-empty text (an ERP that has no key for a
    customer often sends ``""``, which names no one: two such inserts are two identities)."""
    key = identity.get("ExternalKey")
    return key if isinstance(key, str) and key else None


def identity_key(record: dict[str, Any], contact_form: bool) -> str | None:
    """Item2: the ExternalKey sent, or for a contact form the built ``EMail_Surname_Name``."""
    if contact_form:
        email, surname, name = (record.get(k) for k in ("EMail", "Surname", "Name"))
        if isinstance(email, str) and isinstance(surname, str) and isinstance(name, str):
            return f"{email}_{surname}_{name}"
        return None
    key = record.get("ExternalKey")
    return key if isinstance(key, str) else None


RecordFault = Callable[[dict[str, Any]], RecordError | None]
"""The error a vendor fault makes of a record that passed every check (None: it is written)."""


@dataclass(slots=True)
class Outcome:
    """One record's answer: the tuple Item1..Item6."""

    id: int
    key: str | None
    error: RecordError | None = None
    destinations: dict[str, int | None] = field(default_factory=dict)
    contacts: dict[str, int | None] = field(default_factory=dict)

    def render(self) -> dict[str, Any]:
        return {
            "Item1": self.id,
            "Item2": self.key,
            "Item3": self.error is None,
            "Item4": self.error.item4() if self.error else None,
            "Item5": self.destinations,
            "Item6": self.contacts,
        }


DOCUMENT_PAIR = ("FIDDocumentTypology", "Number")
"""What tells an identity's documents apart (``ER.DOC.EXISTS``)."""
NO_NUMBER = (None, "")
"""A document's Number that names none: null, or ``""`` (an ERP writes a missing one so, as it
does a missing ExternalKey): documents without a number never clash."""


def document_pair(
    document: dict[str, Any], stored: tuple[Any, Any] = (None, None)
) -> tuple[Any, Any]:
    """A document's ``DOCUMENT_PAIR``; for an update, ``stored`` (the pair its document holds)
    with the fields sent on top, as ``merge`` writes them."""
    return document.get("FIDDocumentTypology", stored[0]), document.get("Number", stored[1])


def check_state(document: Any) -> None:
    """Refuse (``StateError``) a state document whose identities the rules could not use:
    each identity an object whose ``ID`` is its key, each sub-record an object with an ``ID``
    no other of its list holds; IDs and sequences within Int32: every ID ``held_sequences``
    raises a sequence to (the activities' keys too), so that every dump loads back."""
    tenants = document.get("tenants") if isinstance(document, dict) else None
    for name, tenant in (tenants if isinstance(tenants, dict) else {}).items():
        sequences = tenant.get(SEQUENCES, {}) if isinstance(tenant, dict) else {}
        for sequence, value in (sequences if isinstance(sequences, dict) else {}).items():
            if is_id(value) and value > INT32_MAX:
                raise StateError(f"tenant {name!r}: sequence {sequence!r} is beyond Int32")
        activities = tenant.get(ACTIVITIES, {}) if isinstance(tenant, dict) else {}
        for key in activities if isinstance(activities, dict) else {}:
            if highest_id((key,)) > INT32_MAX:
                raise StateError(f"tenant {name!r}, activity {key!r}: beyond Int32")
        identities = tenant.get(IDENTITIES, {}) if isinstance(tenant, dict) else {}
        identities = identities if isinstance(identities, dict) else {}
        for key, identity in identities.items():
            where = f"tenant {name!r}, identity {key!r}"
            if not isinstance(identity, dict) or not stored_id(identity.get("ID")):
                raise StateError(
                    f"{where}: must be an object whose ID is its key, from 1 to 2^31-1"
                )
            if key != str(identity["ID"]):
                raise StateError(f"{where}: must be an object whose ID is its key")
            for sub in SUB_RECORDS:
                wrong = _unusable_sub_records(identity.get(sub, []))
                if wrong:
                    raise StateError(f"{where}: {sub} {wrong}")
            for document in identity.get("IdentityDocuments") or []:  # compared as pairs
                if any(isinstance(document.get(f), list | dict) for f in DOCUMENT_PAIR):
                    raise StateError(
                        f"{where}: each IdentityDocuments' FIDDocumentTypology and Number"
                        " must be a plain value"
                    )
            external = identity.get("ExternalKey")
            names = [user.get("Username") for user in identity.get("Users") or []]
            if not all(isinstance(v, str | None) for v in (external, *names)):
                raise StateError(f"{where}: ExternalKey and each user's Username must be text")


def _unusable_sub_records(items: Any) -> str:
    """What of an identity's sub-record list the rules could not use, if anything: an item not
    an object with an ID, or an ID two items share (an update, a login, finds one by its ID:
    the other's password logged in as it, and an update wrote only the last)."""
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and stored_id(i.get("ID")) for i in items
    ):
        return "must be a list of objects with an ID (1 to 2^31-1)"
    seen: set[int] = set()
    for item in items:
        if item["ID"] in seen:
            return f"holds ID {item['ID']} more than once"
        seen.add(item["ID"])
    return ""


def failed(record: dict[str, Any], contact_form: bool, error: RecordError) -> Outcome:
    """A refused record's outcome (Item3 false, Item4 its error): every refusal ends here."""
    behaviour = coverage.RECORD_ERRORS.get(error.code)
    if behaviour is not None:
        met(behaviour)
    return Outcome(_echoed_id(record.get("ID")), identity_key(record, contact_form), error)


def _echoed_id(value: Any) -> int:
    """A refused record's Item1: the ID it was sent with, as .NET read it into an Int32 (an
    integral number, ``1.0`` too); 0 for one it could not read, as for an insert."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if is_id(value) and INT32_MIN <= value <= INT32_MAX else 0


def ids_needed(
    records: list[dict[str, Any]], contact_form: bool, keys: Mapping[str, int]
) -> dict[str, int]:
    """The most IDs of each sequence ``records`` may take: an identity for each record without
    an ID whose key names no identity (``keys``: the account's ExternalKeys), a sub-record for
    each item without an ID, and for a contact form an e-mail contact and a CRM activity
    (counted before the records are checked: one that fails counts all the same). A record
    that names an ID may change its identity's key, which a later record may then insert
    under: with one in the call, every record without an ID counts."""
    needs: dict[str, int] = {}
    without_id = unknown = 0
    renames = False
    for record in records:
        if is_id(record.get("ID")):
            renames = True
        else:
            without_id += 1
            key = identity_key(record, contact_form)
            if not key or key not in keys:
                unknown += 1
        for name, sequence in SUB_RECORD_SEQUENCES.items():
            items = record.get(name)
            if isinstance(items, list):
                new = sum(not (isinstance(i, dict) and is_id(i.get("ID"))) for i in items)
                needs[sequence] = needs.get(sequence, 0) + new
    needs["identity"] = without_id if renames else unknown
    if contact_form:
        needs["contact"] = needs.get("contact", 0) + len(records)
        needs["activity"] = len(records)
    return needs


@cache
def not_stored(ignored: frozenset[str], contact_form: bool) -> frozenset[str]:
    """The columns of a record that are not the identity's own: its ID, its sub-records, the
    columns the context ignores and (contact form) those of the CRM activity."""
    return frozenset({"ID", *SUB_RECORDS, *ignored, *(ACTIVITY_FIELDS if contact_form else ())})


class Items:
    """One of an identity's sub-record lists as a call writes it (``items``), and each item's
    place by its ID, and for its contacts the places of its Email contacts by their value: each
    built the first time it is looked up, then kept as items are added and replaced (records
    adding to one identity take linear time). ``owned``: the list is the call's own copy, which
    its writes change in place."""

    __slots__ = ("_at", "_emails", "items", "owned")

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.owned = False
        self._at: dict[Any, int] | None = None
        self._emails: dict[str, list[int]] | None = None

    def place(self, item_id: Any) -> int | None:
        """The place of the item with ID ``item_id``, None for none."""
        at = self._at
        if at is None:
            at = self._at = {item["ID"]: place for place, item in enumerate(self.items)}
        return at.get(item_id)

    def email(self, value: str) -> int | None:
        """The place of the first Email contact whose Value is ``value``, None for none."""
        emails = self._emails
        if emails is None:
            emails = self._emails = {}
            for place, item in enumerate(self.items):
                _index_email(emails, item, place)
        places = emails.get(value)
        return places[0] if places else None

    def append(self, item: dict[str, Any]) -> None:
        self.items.append(item)
        place = len(self.items) - 1
        if self._at is not None:
            self._at[item["ID"]] = place
        if self._emails is not None:
            _index_email(self._emails, item, place)

    def replace(self, place: int, item: dict[str, Any]) -> None:
        """Put ``item``, the updated copy of the item at ``place`` (its ID kept), there."""
        old, self.items[place] = self.items[place], item
        emails = self._emails
        if emails is not None:
            value = _email_of(old)
            if value is not None:
                emails[value].remove(place)
            _index_email(emails, item, place)


def _email_of(contact: dict[str, Any]) -> str | None:
    """The value of an Email contact (``EMAIL_TYPOLOGY``), None for another item."""
    value = contact.get("Value")
    if contact.get("FIDContactTypology") == EMAIL_TYPOLOGY and isinstance(value, str):
        return value
    return None


def _index_email(emails: dict[str, list[int]], item: dict[str, Any], place: int) -> None:
    """Add ``item``'s place to the places of its e-mail, in the list's order."""
    value = _email_of(item)
    if value is not None:
        insort(emails.setdefault(value, []), place)


def merge(
    tenant: TenantState, stored: Items, items: list[dict[str, Any]] | None, sequence: str
) -> dict[str, int | None]:
    """Apply a record's ``items`` to the identity's ``stored`` list (insert without ID, update
    with an ID the identity has), new IDs from ``sequence``; return the Item5/Item6 map. The
    list changes in place, its items never: an updated one is replaced by its updated copy
    (the caller's copy of the list may share them with the identity as it was stored).

    Keys are the item's ExternalKey, or its index in the request when it has none (``""``
    names none, as for an identity); a value is None when the item names an ID the identity
    does not have (not imported).
    """
    outcome: dict[str, int | None] = {}
    if not items:
        return outcome
    for index, item in enumerate(items):
        key = item.get("ExternalKey")
        label = key if isinstance(key, str) and key else str(index)
        item_id = item.get("ID")
        if is_id(item_id):
            place = stored.place(item_id)
            if place is not None:
                stored.replace(place, {**stored.items[place], **item})
            outcome[label] = item_id if place is not None else None
            continue
        new = {**item, "ID": tenant.next(sequence)}
        stored.append(new)
        outcome[label] = new["ID"]
    return outcome


def email_contact(tenant: TenantState, contacts: Items, email: str) -> int:
    """The contact-form EMail as an Email contact of the identity (reused when already there:
    the first that holds it)."""
    place = contacts.email(email)
    if place is not None:
        return contacts.items[place]["ID"]
    contact = {
        "ID": tenant.next("contact"),
        "FIDContactTypology": EMAIL_TYPOLOGY,
        "Value": email,
        "Default": not contacts.items,
    }
    contacts.append(contact)
    return contact["ID"]
