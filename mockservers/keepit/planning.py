"""Planning a KeepIT batch: what each record will do, decided before anything is written.

Each record is checked in the order of VENDORS.md: mandatory fields and types (done by the
caller against the contract), then — for an update — that the customer exists, duplicates, the
mappings rules, unique constraints; the first failing check decides the record's outcome. A
record is planned against the unique keys the batch's earlier records claimed, else those the
tenant's stored customers hold (``Holders``); an update, against its customer as the batch's
earlier records planned it, else as stored (``Planned``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mockservers.core.batch import Batch
from mockservers.core.coverage import Behaviour
from mockservers.core.records import set_apart
from mockservers.keepit import coverage
from mockservers.keepit.keys import (
    KEY_FIELDS,
    Key,
    KeyCounts,
    Owners,
    contact_keys,
    identity_keys,
    identity_of,
    section_keys,
    unique_keys,
)
from mockservers.keepit.records import CUSTOMER_FIELDS, SUBJECTS
from mockservers.keepit.sections import (
    MAKEUP,
    MAKEUP_REPORTED,
    code_text,
    mapping_key,
    sections_in,
    with_default_system,
)

DUPLICATE = "The customer already exists."
NOT_IN_MAPPINGS = "Il customer code non è specificato nell'array mappings."

Kind = Literal["ok", "error", "duplicate", "conflict"]


def not_found(prog_id: Any) -> str:
    return f"Nessun record trovato per:progId={code_text(prog_id)}"


def code_taken(mapping: dict[str, Any]) -> str:
    system, external_field, code = mapping_key(mapping)
    return f"Il codice {code} ({system}/{external_field}) è già associato a un altro cliente."


def card_taken(barcode: str) -> str:
    return f"Unique constraint error: la carta {barcode} è già associata a un altro cliente."


@dataclass
class Plan:
    """What will happen to one record of a batch."""

    kind: Kind
    customer_code: Any
    message: str = ""
    incoming: dict[str, Any] = field(default_factory=dict)
    """The record to store, without its ``action`` (mappings with their system, those kept)."""
    existing: Held | None = None
    """An update's customer as the record was planned against it (``Planned``: as the batch's
    earlier records left it, or as stored); the write reads the stored one again."""
    behaviours: list[Behaviour] = field(default_factory=list)
    """The documented situations this record meets if the batch goes through (not on a 422)."""
    me: str = ""
    """Who the record is while planning: its progId on update, a placeholder on insert."""
    keys: list[Key] = field(default_factory=list)
    """The unique keys an ``ok`` plan claims: an insert's customer's, those an update's
    customer does not hold yet (it holds the others already)."""
    discarded: list[tuple[int, Key]] = field(default_factory=list)
    """The request's mappings an update discards as another customer's code: their places in
    the request and their keys, reported in place (the answer has a progId for each; one of
    the customer's own is merged into the one stored, and answers its progId)."""
    after: Held | None = None
    """An ``ok`` update's customer as the record leaves it, for the batch's records after it."""
    given_up: list[Key] = field(default_factory=list)
    """The unique keys an ``ok`` update's customer holds no more: only its (system,
    customerCode) and subjects.email may go (its sections' keys stay), unless another of its
    parts holds the same (an EMAIL contact's e-mail)."""

    def entry(self) -> dict[str, Any]:
        return {"customerCode": self.customer_code, "errorMessage": self.message}


class Holders:
    """Who holds each unique key while a batch is planned: what its earlier records claimed,
    else the tenant's stored customers (``me`` is a record's own name, see ``Plan.me``). A key
    a state document gave to several customers has several holders: each may keep it."""

    __slots__ = ("claimed", "index")

    def __init__(self, index: Owners) -> None:
        self.index = index
        self.claimed: dict[Key, tuple[str, ...]] = {}
        """The keys an earlier record of the batch claimed or gave up: their holders from then
        on (none: free)."""

    def holders(self, key: Key) -> tuple[str, ...]:
        """Who holds ``key`` now: as the batch's earlier records left it, else as stored."""
        held = self.claimed.get(key)
        if held is not None:
            return held
        shared = self.index.shared.get(key)
        if shared is not None:
            return tuple(shared)
        found = self.index.get(key)
        return () if found is None else (found,)

    def taken(self, keys: list[Key], me: str) -> bool:
        """Whether a customer other than ``me`` holds one of ``keys`` and ``me`` does not (one
        of several holders a state document left may keep its key)."""
        for key in keys:
            held = self.holders(key)
            if held and me not in held:
                return True
        return False

    def holds_any(self, mappings: list[dict[str, Any]], me: str) -> bool:
        """Whether ``me`` holds one of ``mappings`` already: stored, or claimed by an earlier
        record of the batch (an update re-sending its own code, which the seed discards)."""
        return any(me in self.holders(("map", *mapping_key(m))) for m in mappings)

    def claim(self, keys: list[Key], me: str, given_up: Sequence[Key] = ()) -> None:
        """``me`` holds ``keys`` from now on, beside their other holders, and no longer
        ``given_up`` (an update that renames a customer frees its old code for the records
        after it, unless another holds it too)."""
        claimed = self.claimed
        for key in given_up:
            claimed[key] = tuple(holder for holder in self.holders(key) if holder != me)
        for key in keys:
            held = self.holders(key)
            if me not in held:
                claimed[key] = (*held, me)


@dataclass(slots=True)
class Held:
    """A customer as far as its unique keys are read: its progId, its subject's key fields, the
    keys those give it (``own``: its code and subjects.email) and all its keys counted (those
    of its EMAIL contacts, mappings and cards too: sections an update adds to, never takes
    from). An update counts the keys it changes and checks those its customer does not hold
    yet (it holds the others): a customer updated 4,000 times in one call is not walked again
    for each record. The counts are the customer's as the batch's records planned it so far:
    the ``Held`` an ``ok`` update leaves shares them with the one it was planned against."""

    prog_id: Any
    subjects: dict[str, Any]
    own: list[Key]
    keys: KeyCounts

    @classmethod
    def stored(cls, customer: dict[str, Any]) -> Held:
        """A stored customer's parts (``Planned`` keeps them as each ``ok`` update leaves them)."""
        subjects = _key_fields(customer.get("subjects") or {})
        own = identity_of(subjects, [])
        return cls(customer["progId"], subjects, own, KeyCounts(unique_keys(customer)))


class Planned:
    """The customers a batch's updates are planned against: each as the batch's earlier records
    planned it (its keys in parts, ``Held``), else as stored. Planned against the stored
    customer, a second update of it in the call read back what the first had changed: the
    e-mail the first gave up, which a record between them may have taken (the second was
    refused as a duplicate, and freed that e-mail from its new holder)."""

    __slots__ = ("customers", "updated")

    def __init__(self, customers: Batch) -> None:
        self.customers = customers
        self.updated: dict[str, Held] = {}
        """By progId (as text): the customers the batch's ``ok`` updates leave, as planned."""

    def get(self, prog_id: str) -> Held | None:
        """The customer ``prog_id`` as the batch's records planned so far leave it (None: none)."""
        planned = self.updated.get(prog_id)
        if planned is not None:
            return planned
        stored = self.customers.get(prog_id)
        return None if stored is None else Held.stored(stored)

    def keep(self, plan: Plan) -> None:
        """An ``ok`` plan's customer, for the records after it. An insert's is not kept: no
        record of the call can update it, since the connector cannot know the progId it will
        get (docs/assumptions/keepit.md)."""
        if plan.after is not None:
            self.updated[plan.me] = plan.after


def plan_record(customers: Planned, number: int, record: dict[str, Any], holders: Holders) -> Plan:
    """What will happen to ``record``, the ``number``-th of its batch, checked in order against
    the customers as the records before it planned them and the keys ``holders`` says are
    taken."""
    subjects = record["subjects"]
    code = subjects["customerCode"]
    incoming = incoming_of(record)
    existing = None
    if record["action"] == "U":
        existing = customers.get(code_text(subjects["progId"]))
        if existing is None:
            missing = [coverage.RECORD_NOT_FOUND]
            return Plan("error", code, not_found(subjects["progId"]), behaviours=missing)
    me = str(existing.prog_id) if existing else f"new:{number}"
    if existing is None:
        identity = unheld = identity_keys(incoming)
    else:  # the record's subject fields over the customer's, its contacts after the customer's
        key_fields = existing.subjects | _key_fields(incoming["subjects"])
        own = identity_of(key_fields, [])
        identity = [*own, *contact_keys(incoming)]
        # A key it holds is its own (it is among the key's holders): only the others can be
        # another customer's.
        unheld = [key for key in identity if key not in existing.keys]
    if holders.taken(unheld, me):
        return Plan("duplicate", code, DUPLICATE, behaviours=[coverage.DUPLICATE_RECORD])
    behaviours: list[Behaviour] = []
    discarded: list[tuple[int, Key]] = []
    mappings = incoming.get("mappings") or []
    if mappings:
        if code_text(code) not in {code_text(m["externalCode"]) for m in mappings}:
            return Plan("error", code, NOT_IN_MAPPINGS, behaviours=[coverage.NOT_IN_MAPPINGS])
        held = [m for m in mappings if holders.taken([("map", *mapping_key(m))], me)]
        if held and existing is None:
            clash = [coverage.MAPPING_CODE_TAKEN]
            return Plan("error", code, code_taken(held[0]), behaviours=clash)
        # On update, codes that already exist are discarded, new ones are added.
        incoming["mappings"] = [m for m in mappings if m not in held]
        if held:
            discarded = [(i, ("map", *mapping_key(m))) for i, m in enumerate(mappings) if m in held]
        if held or (existing and holders.holds_any(mappings, me)):  # its own: kept stored
            behaviours.append(coverage.MAPPING_CODE_DISCARDED)
    for card in incoming.get("cards") or []:
        barcode = card.get("cardBarcode")
        if isinstance(barcode, str) and barcode and holders.taken([("card", barcode)], me):
            return Plan("conflict", code, card_taken(barcode))
    if existing is None:
        keys = identity + section_keys(incoming)  # the mappings kept
        return Plan("ok", code, "", incoming, None, behaviours, me, keys, discarded)
    counts = existing.keys
    gained = counts.gain([*identity, *section_keys(incoming)])
    given_up = counts.lose(existing.own)  # after the gain: a key it keeps is not let go
    after = Held(existing.prog_id, key_fields, own, counts)
    return Plan(
        "ok", code, "", incoming, existing, behaviours, me, gained, discarded, after, given_up
    )


def incoming_of(record: dict[str, Any]) -> dict[str, Any]:
    """The customer ``record`` sends, to store: without its ``action`` (what to do, not what
    to store), the kit's own fields set apart, mappings with their system."""
    incoming = dict(record)
    del incoming["action"]
    if not CUSTOMER_FIELDS.isdisjoint(incoming):  # the usual record has none
        set_apart(incoming, CUSTOMER_FIELDS)
    if "mappings" in record:
        incoming["mappings"] = with_default_system(record["mappings"], record["subjects"]["system"])
    return incoming


def lone_insert(records: list[Any], failures: Mapping[int, str]) -> bool:
    """Whether a batch is one valid insert without mappings or cards (a connector's usual call
    of one new customer): then the duplicate check is the only rule ``plan_record`` applies
    to it, against the stored customers alone (``KeepItModel.insert_lone``)."""
    if len(records) != 1 or failures:
        return False
    record = records[0]
    return record["action"] == "I" and "mappings" not in record and "cards" not in record


def ids_needed(plans: list[Plan]) -> dict[str, int]:
    """The most progIds of each sequence the batch's writes may take: one for each customer
    inserted, each element of its sections, each makeup (an element or a makeup an update
    matches keeps its own). The write takes them one at a time: a sequence that ran out
    half-way (past 2^53: only a state document sets one near it) left the customers before
    it written, so the batch asks first."""
    needs: dict[str, int] = {}
    for plan in plans:
        if plan.kind == "ok":
            add_needs(needs, plan.incoming, not plan.existing)
    return needs


def add_needs(needs: dict[str, int], incoming: dict[str, Any], new: bool) -> dict[str, int]:
    """``needs`` counting what storing ``incoming`` may take (``new``: as a new customer)."""
    if new:
        needs[SUBJECTS] = needs.get(SUBJECTS, 0) + 1
    for section in sections_in(incoming):
        needs[section.reported] = needs.get(section.reported, 0) + len(incoming[section.field])
    if isinstance(incoming.get(MAKEUP), dict):
        needs[MAKEUP_REPORTED] = needs.get(MAKEUP_REPORTED, 0) + 1
    return needs


def _key_fields(subjects: Mapping[str, Any]) -> dict[str, Any]:
    """A subject's fields its customer's unique keys are read from."""
    return {name: subjects[name] for name in KEY_FIELDS if name in subjects}
