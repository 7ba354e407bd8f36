"""The sub-record sections of a KeepIT customer: how each is keyed, merged on update, reported.

Each stored element keeps its fields as received plus the ``progId`` the fake gave it, drawn from
the tenant's sequence for that section (one sequence per section, like one table per section);
a ``progId`` the element was sent with is kept under ``sent`` (KeepIT matches elements by what
they hold, never by one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mockservers.core.records import kit_fields, set_apart
from mockservers.core.state import TenantState

Element = dict[str, Any]
MatchKey = Callable[[Element], Any]
Where = dict[Any, int]
"""A section's elements by their match key: the place of the last element holding each."""
ELEMENT_FIELDS = kit_fields("progId")
"""The fields the kit adds to a stored element or makeup."""


def given(element: Element) -> Element:
    """``element`` ready for the kit's ``progId``: itself, or (one that sent a ``progId`` or a
    ``sent``) a copy with those under ``sent`` (the element is the call's)."""
    if ELEMENT_FIELDS.isdisjoint(element):
        return element
    return set_apart(dict(element), ELEMENT_FIELDS)


def code_text(value: Any) -> str:
    """A code compared as a string: ``12345``, ``12345.0`` and ``"12345"`` are the same code."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _contact_key(element: Element) -> Any:
    """A contact's type and value; an e-mail's value compared as the duplicate check compares
    e-mails (trimmed, in lower case): ``B@X.IT`` updating a customer who holds ``b@x.it`` is
    that contact, not a second one."""
    kind, value = element.get("contactType"), element.get("value")
    if not (isinstance(kind, str) and kind and isinstance(value, str) and value):
        return None
    return (kind, value.strip().lower() if kind == "EMAIL" else value)


def _nonempty(*fields: str) -> MatchKey:
    def key(element: Element) -> Any:
        values = []
        for name in fields:
            value = element.get(name)
            if not (isinstance(value, str) and value):
                return None
            values.append(value)
        return tuple(values)

    return key


def mapping_key(element: Element) -> tuple[str, str, str]:
    """The discriminant of a code: system - externalField - externalCode."""
    return (
        str(element.get("system", "")),
        str(element.get("externalField", "")),
        code_text(element.get("externalCode", "")),
    )


@dataclass(frozen=True)
class Section:
    """``field``: name in the request; ``reported``: key in insertedObjects; ``sequence``: the
    tenant sequence for its progIds. On update an element whose ``match`` key equals a stored
    element's is ``keep`` (the stored one stays: mappings, contacts) or replaces it in place
    (same progId); elements with no match are added."""

    field: str
    reported: str
    match: MatchKey | None = None
    keep: bool = False

    def merge(
        self,
        tenant: TenantState,
        merged: list[Element],
        elements: list[Element],
        where: Where | None = None,
    ) -> tuple[list[dict[str, int]], Where | None]:
        """Merge the received ``elements`` into ``merged``, in place (a list of the call's own:
        an insert's new one, an update's copy of the stored one). Returns the progIds of the
        received elements in their order as the answer reports them, and ``where``: each
        element's place by its match key, built when first needed (stored elements to match,
        or several received to fold: an insert merges into nothing, which also folds repeated
        elements of one request together) and kept for the call's next merge into ``merged``.
        """
        match = self.match
        if where is None and match is not None and (merged or len(elements) > 1):
            where = {}
            for index, element in enumerate(merged):
                key = match(element)
                if key is not None:
                    where[key] = index
        reported: list[dict[str, int]] = []
        for received in elements:
            element = given(received)
            # Keys matter only with something to match or fold (``where``).
            key = match(element) if where is not None and match is not None else None
            index = where.get(key) if where is not None and key is not None else None
            if index is None:
                prog_id = tenant.next(self.reported)
                if where is not None and key is not None:
                    where[key] = len(merged)
                merged.append({**element, "progId": prog_id})
            else:
                prog_id = merged[index].get("progId")
                if not self.keep:
                    merged[index] = {**element, "progId": prog_id}
            reported.append({"progId": prog_id})
        return reported, where


SECTIONS: tuple[Section, ...] = (
    Section("mappings", "mapping", mapping_key, keep=True),
    Section("contacts", "contacts", _contact_key, keep=True),
    Section("privacy", "privacy", _nonempty("privacyType")),
    Section("cards", "cards", _nonempty("cardBarcode")),
    Section("subjectDestinations", "destinations", _nonempty("destinationCode")),
    Section("commercialDivisions", "commercialDivisions"),
    Section("subjectSources", "sources"),
    Section("actions", "actions"),
)
_BY_FIELD = tuple((section.field, section) for section in SECTIONS)
MAKEUP = "subjectMakeup"
MAKEUP_REPORTED = "makeup"


def sections_in(record: dict[str, Any]) -> list[Section]:
    """The sections a record sends as lists, in the order of ``SECTIONS`` (that of the answer)."""
    return [s for name, s in _BY_FIELD if name in record and isinstance(record[name], list)]


def with_default_system(mappings: list[Element], system: Any) -> list[Element]:
    """Mappings without ``system`` (absent, or ``""``: not valorised, as elsewhere in the
    document) take the subject's (the document: 'homonym attribute')."""
    return [
        m if m.get("system") not in (None, "") else {"system": system, **m} | {"system": system}
        for m in mappings
    ]


def emails(record: dict[str, Any]) -> list[str]:
    """The customer's e-mails, normalised: EMAIL contacts first, then ``subjects.email``."""
    found = contact_emails(record)
    _add_email(found, record.get("subjects", {}).get("email"))
    return found


def contact_emails(record: Mapping[str, Any]) -> list[str]:
    """The e-mails of the customer's EMAIL contacts, normalised."""
    found: list[str] = []
    for contact in record.get("contacts", ()):
        if contact.get("contactType") == "EMAIL":
            _add_email(found, contact.get("value"))
    return found


def subject_email(subjects: Mapping[str, Any]) -> list[str]:
    """``subjects.email`` normalised, when it is an e-mail (none or one)."""
    found: list[str] = []
    _add_email(found, subjects.get("email"))
    return found


def _add_email(found: list[str], value: Any) -> None:
    """Add ``value`` trimmed and in lower case, unless it is not a string or is blank."""
    if isinstance(value, str) and (text := value.strip()):
        found.append(text.lower())


def first_email(record: dict[str, Any]) -> str:
    for contact in record.get("contacts", []):
        if contact.get("contactType") == "EMAIL" and contact.get("value"):
            return str(contact["value"])
    return str(record.get("subjects", {}).get("email") or "")
