"""Writing a KeepIT record a batch planned: the subject merged into the customer as stored
now, each section merged by its rules with its progIds, the makeup, the unique-key index kept,
and the answer's entry with the progIds in the request's order.

An update writes into the call's own copy of its customer (``Draft``), made when the call first
writes it and changed in place by each of the call's records that update it: its subject and
sections merged into, where each section's elements sit, its unique keys counted. So a record
costs what it sends, not what the records before it gave the customer (4,000 updates of one
customer in one call copied and walked it 4,000 times: 17 s). The copy is the batch's record
(``core/batch.py``): the call's later records read it, the tenant gets it when the call ends,
and no one else holds it before then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockservers.core.batch import Batch
from mockservers.core.clock import Clock
from mockservers.core.coverage import met
from mockservers.core.records import SENT
from mockservers.core.state import TenantState
from mockservers.keepit import coverage
from mockservers.keepit.keys import (
    Key,
    KeyCounts,
    Owners,
    contact_keys,
    identity_of,
    section_keys,
    unique_keys,
)
from mockservers.keepit.planning import Plan
from mockservers.keepit.records import SUBJECTS
from mockservers.keepit.sections import (
    MAKEUP,
    MAKEUP_REPORTED,
    Where,
    first_email,
    given,
    mapping_key,
    sections_in,
)


@dataclass(slots=True)
class Draft:
    """A customer the call updates, as its records leave it: ``record``, the call's own copy of
    the stored customer, with ``subjects`` and each section the call merged into its own too."""

    record: dict[str, Any]
    subjects: dict[str, Any]
    keys: KeyCounts
    """Its unique keys, counted (``KeyCounts``)."""
    where: dict[str, Where | None] = field(default_factory=dict)
    """By field, each section the call merged into (its list is the draft's): where its
    elements sit by their match key (``Section.merge``)."""
    email: str | None = None
    """Its first EMAIL contact's value, once found (contacts are only ever added to)."""
    contacts_read: int = 0
    """How many of its contacts were looked at for it."""

    @classmethod
    def of(cls, stored: dict[str, Any]) -> Draft:
        return cls(dict(stored), dict(stored.get("subjects") or {}), KeyCounts(unique_keys(stored)))

    def update(
        self, tenant: TenantState, incoming: dict[str, Any], now: str
    ) -> tuple[dict[str, Any], list[Key], list[Key]]:
        """Merge ``incoming`` into the customer: the progIds the answer reports (its sections'
        and makeup's), and the unique keys the customer no longer holds and now holds."""
        record, subjects = self.record, self.subjects
        own = identity_of(subjects, [])
        sent = _sent(record, incoming)  # each read before the record takes incoming's fields
        makeup = record.get(MAKEUP)
        lists, added, reported = {}, {}, {}
        for section in sections_in(incoming):
            name = section.field
            merged = record[name] if name in self.where else list(record.get(name) or [])
            start = len(merged)
            where = self.where.get(name)
            reported[section.reported], self.where[name] = section.merge(
                tenant, merged, incoming[name], where
            )
            lists[name] = merged
            added[name] = merged[start:]
        record.update(incoming)
        record.update(lists)
        subjects.update(incoming["subjects"])
        subjects["progId"] = record["progId"]
        record["subjects"] = subjects
        if sent is not None:
            record[SENT] = sent
        _merge_makeup(tenant, record, incoming, makeup, reported)
        record.setdefault("created_at", now)
        record["updated_at"] = now
        gained = self.keys.gain([*identity_of(subjects, []), *_added_keys(added)])
        return reported, self.keys.lose(own), gained

    def first_email(self) -> str:
        """:func:`first_email` of the record, each contact looked at once in the call."""
        if self.email is None:
            contacts = self.record.get("contacts", [])
            for contact in contacts[self.contacts_read :]:
                if contact.get("contactType") == "EMAIL" and contact.get("value"):
                    self.email = str(contact["value"])
                    break
            self.contacts_read = len(contacts)
        if self.email is not None:
            return self.email
        return str(self.subjects.get("email") or "")


class Drafts:
    """The customers of a call's batch, each the call updates as its ``Draft``."""

    __slots__ = ("_drafts", "customers")

    def __init__(self, customers: Batch) -> None:
        self.customers = customers
        self._drafts: dict[str, Draft] = {}

    def of(self, name: str) -> Draft:
        """The customer ``name`` as the call's records leave it, the call's own copy."""
        draft = self._drafts.get(name)
        if draft is None:
            draft = self._drafts[name] = Draft.of(self.customers.get(name))
        return draft


def write(drafts: Drafts, index: Owners, plan: Plan, clock: Clock) -> dict[str, Any]:
    """Store an ``ok`` plan's customer, keep the tenant's index, and answer its entry of
    insertedObjects (its progId, its sections' and makeup's)."""
    # Write into the customer as stored now: an earlier record of the same call may have
    # updated it since it was planned (writing into the planned copy lost that update).
    customers = drafts.customers
    tenant = customers.tenant
    now = clock.isoformat()
    if not plan.existing:  # it holds the keys it was planned with
        name, record, entry = insert(tenant, plan.incoming, plan.customer_code, now)
        index.change((), [(key, name) for key in plan.keys])
        customers.put(name, record)
        return entry
    name = str(plan.existing.prog_id)
    draft = drafts.of(name)
    record = draft.record
    reported, lost, gained = draft.update(tenant, plan.incoming, now)
    if plan.discarded:
        reported["mapping"] = _in_place(customers, index, reported["mapping"], plan.discarded)
    # Merged into the customer as stored now: its keys are counted on the result.
    index.change([(key, name) for key in lost], [(key, name) for key in gained])
    customers.put(name, record)
    met(coverage.UPDATED)
    return _entry(record, plan.customer_code, draft.first_email(), reported)


def insert(
    tenant: TenantState, incoming: dict[str, Any], code: Any, now: str
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A new customer from ``incoming``: its name and record, for the caller to store and
    index, and its entry of insertedObjects."""
    record, reported = _inserted(tenant, incoming, now)
    name = str(record["progId"])
    met(coverage.INSERTED)
    return name, record, _entry(record, code, first_email(record), reported)


def _entry(
    record: dict[str, Any], code: Any, email: str, reported: dict[str, Any]
) -> dict[str, Any]:
    """A customer's entry of insertedObjects: its progId, its sections' and makeup's."""
    return {"progId": record["progId"], "customerCode": code, "email": email, **reported}


def _inserted(
    tenant: TenantState, incoming: dict[str, Any], now: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new customer from ``incoming``, and the progIds the answer reports."""
    prog_id = tenant.next(SUBJECTS)
    record = {**incoming, "progId": prog_id}
    record["subjects"] = {**incoming["subjects"], "progId": prog_id}
    record["created_at"] = record["updated_at"] = now
    reported: dict[str, Any] = {}
    for section in sections_in(incoming):
        merged: list[dict[str, Any]] = []
        reported[section.reported], _ = section.merge(tenant, merged, incoming[section.field])
        record[section.field] = merged
    _merge_makeup(tenant, record, incoming, None, reported)
    return record, reported


def _sent(record: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any] | None:
    """An update's ``sent`` merged into the customer's (None: the record's, if any, as sent)."""
    if SENT in incoming and isinstance(record.get(SENT), dict):
        return record[SENT] | incoming[SENT]
    return None


def _merge_makeup(
    tenant: TenantState,
    record: dict[str, Any],
    incoming: dict[str, Any],
    old: Any,
    reported: dict[str, Any],
) -> None:
    """The record's makeup, with the progId of the customer's ``old`` one, else a new one."""
    makeup = incoming.get(MAKEUP)
    if isinstance(makeup, dict):
        makeup_id = (old or {}).get("progId") or tenant.next(MAKEUP_REPORTED)
        record[MAKEUP] = {**given(makeup), "progId": makeup_id}
        reported[MAKEUP_REPORTED] = {"progId": makeup_id}


def _added_keys(added: dict[str, list[dict[str, Any]]]) -> list[Key]:
    """The unique keys of the elements an update added to its customer's sections (matched
    ones keep theirs: contacts and mappings stay as stored, a card keeps its barcode)."""
    return [*contact_keys(added), *section_keys(added)]


def _in_place(
    customers: Batch,
    index: Owners,
    kept: list[dict[str, Any]],
    discarded: list[tuple[int, Key]],
) -> list[dict[str, Any]]:
    """The progIds of an update's mappings in the request's order: the seed returns one for
    each element received, so a discarded one (its code belongs to another customer) is
    reported as that code's record, not left out (which shifted every progId after it)."""
    at = dict(discarded)
    others = iter(kept)
    return [
        {"progId": _code_record(customers, index, at[i])} if i in at else next(others)
        for i in range(len(kept) + len(at))
    ]


def _code_record(customers: Batch, index: Owners, key: Key) -> Any:
    """The progId of the mapping record that holds ``key`` (on the customer the index names)."""
    holder = customers.get(index.get(key, "")) or {}
    for mapping in holder.get("mappings") or []:
        if ("map", *mapping_key(mapping)) == key:
            return mapping.get("progId")
    return None
