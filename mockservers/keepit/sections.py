"""The sub-record sections of a KeepIT customer: how each is keyed, merged on update, reported.

Each stored element keeps its fields as received plus the ``progId`` the fake gave it, drawn from
the tenant's sequence for that section (one sequence per section, like one table per section).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockservers.core.state import TenantState

Element = dict[str, Any]
MatchKey = Callable[[Element], Any]


def code_text(value: Any) -> str:
    """A code compared as a string: ``12345``, ``12345.0`` and ``"12345"`` are the same code."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _nonempty(*fields: str) -> MatchKey:
    def key(element: Element) -> Any:
        values = tuple(element.get(f) for f in fields)
        return values if all(isinstance(v, str) and v for v in values) else None

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
        self, tenant: TenantState, stored: list[Element], elements: list[Element]
    ) -> tuple[list[Element], list[int]]:
        """The merged list and the progIds of the received elements, in their order (an insert
        merges into nothing, which also folds repeated elements of one request together)."""
        merged = list(stored)
        where: dict[Any, int] = {}
        if self.match is not None:
            where = {self.match(e): i for i, e in enumerate(merged) if self.match(e) is not None}
        prog_ids: list[int] = []
        for element in elements:
            key = self.match(element) if self.match is not None else None
            index = where.get(key) if key is not None else None
            if index is None:
                merged.append({**element, "progId": tenant.next(self.reported)})
                index = len(merged) - 1
                if key is not None:
                    where[key] = index
            elif not self.keep:
                merged[index] = {**element, "progId": merged[index].get("progId")}
            prog_ids.append(merged[index].get("progId"))
        return merged, prog_ids


SECTIONS: tuple[Section, ...] = (
    Section("mappings", "mapping", mapping_key, keep=True),
    Section("contacts", "contacts", _nonempty("contactType", "value"), keep=True),
    Section("privacy", "privacy", _nonempty("privacyType")),
    Section("cards", "cards", _nonempty("cardBarcode")),
    Section("subjectDestinations", "destinations", _nonempty("destinationCode")),
    Section("commercialDivisions", "commercialDivisions"),
    Section("subjectSources", "sources"),
    Section("actions", "actions"),
)
MAKEUP = "subjectMakeup"
MAKEUP_REPORTED = "makeup"


def with_default_system(mappings: list[Element], system: Any) -> list[Element]:
    """Mappings without ``system`` take the subject's (the document: 'homonym attribute')."""
    return [m if "system" in m else {"system": system, **m} for m in mappings]


def emails(record: dict[str, Any]) -> list[str]:
    """The customer's e-mails, normalised: EMAIL contacts first, then ``subjects.email``."""
    found = [
        c["value"]
        for c in record.get("contacts", [])
        if c.get("contactType") == "EMAIL" and isinstance(c.get("value"), str)
    ]
    main = record.get("subjects", {}).get("email")
    if isinstance(main, str):
        found.append(main)
    return [e.strip().lower() for e in found if e.strip()]


def first_email(record: dict[str, Any]) -> str:
    for contact in record.get("contacts", []):
        if contact.get("contactType") == "EMAIL" and contact.get("value"):
            return str(contact["value"])
    return str(record.get("subjects", {}).get("email") or "")
