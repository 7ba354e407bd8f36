"""A plain-Python model of KeepIT for one tenant: what every call must answer and leave behind.

It restates the kit's documented decisions (docs/assumptions/keepit.md), independently
of the fake's code: the call limit (a sliding window on the kit's clock; every authenticated call
that is let through counts; ``Retry-After`` = whole seconds until the oldest call leaves it); a
batch planned against the state before the call, then written record after record; per record
the first failing check decides (contract, missing customer on update, duplicates, mappings rules,
card barcodes); the code from the three arrays; updates merging subjects and sections; a
record's or element's fields named like the fake's own kept apart under ``sent``.
"""

from __future__ import annotations

import copy
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fuzz.plugins.keepit.records import (
    CARD_TAKEN,
    DUPLICATE,
    NOT_FOUND,
    NOT_IN_MAPPINGS,
    code_text,
    first_email,
)

SUCCESS = "Inserimento/Update riuscito con successo."
PARTIAL = (
    "Attenzione: inserimento/update eseguito solo in parte, "
    "verificare il messaggio di errore dei record ritornati."
)
DUPLICATES_ONLY = "Attenzione: esistono uno o più doppioni, inserimento/update non eseguito."
NOT_DONE = (
    "Errore: non è stato eseguito l'inserimento/update, "
    "verificare il messaggio di errore dei record ritornati."
)
UNIQUE_CLASH = "Errore: violazione di un vincolo di unicità, inserimento/update non eseguito."
BAD_CREDENTIALS = "Credenziali non valide."
CODE_TAKEN = "Il codice {} ({}/{}) è già associato a un altro cliente."

Key = tuple[str, ...]
CUSTOMER_FIELDS = frozenset({"progId", "created_at", "updated_at", "sent"})
"""The fields the fake adds to a customer; a record's field of one of these names is kept under
``sent``, never in their place (an update's beside those kept from before)."""
ELEMENT_FIELDS = frozenset({"progId", "sent"})
"""The fields the fake adds to a section's element; one of these names is kept under ``sent``."""


def apart(given: dict[str, Any], own: frozenset[str]) -> dict[str, Any]:
    """``given`` with its fields of the names in ``own`` under ``sent`` (when it has any)."""
    kept = {k: v for k, v in given.items() if k not in own}
    if sent := {k: v for k, v in given.items() if k in own}:
        kept["sent"] = sent
    return kept


def mapping_key(mapping: dict[str, Any]) -> Key:
    return ("map", mapping["system"], mapping["externalField"], code_text(mapping["externalCode"]))


def _pair(*names: str) -> Callable[[dict[str, Any]], Any]:
    def key(element: dict[str, Any]) -> Any:
        values = tuple(element.get(n) for n in names)
        return values if all(isinstance(v, str) and v for v in values) else None

    return key


def contact_key(contact: dict[str, Any]) -> Any:
    """Type and value; an e-mail's value as the duplicate check reads e-mails."""
    key = _pair("contactType", "value")(contact)
    if key is None or key[0] != "EMAIL":
        return key
    return (key[0], key[1].strip().lower())


# field in the request, key in insertedObjects (and sequence), match key on update, kept or replaced
SECTIONS: tuple[tuple[str, str, Callable[[dict[str, Any]], Any], bool], ...] = (
    ("mappings", "mapping", mapping_key, True),
    ("contacts", "contacts", contact_key, True),
    ("cards", "cards", _pair("cardBarcode"), False),
)


def unique_keys(customer: dict[str, Any]) -> list[Key]:
    """What no two customers share: system+customerCode, each e-mail, mapping tuple, barcode."""
    subjects = customer["subjects"]
    keys: list[Key] = [("code", subjects["system"], code_text(subjects["customerCode"]))]
    keys += [("email", e) for e in emails(customer)]
    keys += [mapping_key(m) for m in customer.get("mappings") or []]
    keys += [
        ("card", c["cardBarcode"]) for c in customer.get("cards") or [] if c.get("cardBarcode")
    ]
    return keys


def emails(customer: dict[str, Any]) -> list[str]:
    found = [c["value"] for c in customer.get("contacts") or [] if c.get("contactType") == "EMAIL"]
    found.append(customer["subjects"].get("email") or "")
    return [e.strip().lower() for e in found if e.strip()]


@dataclass
class Plan:
    kind: str  # ok, error, duplicate, conflict
    code: Any
    message: str = ""
    incoming: dict[str, Any] = field(default_factory=dict)
    prog_id: int | None = None  # the customer an update changes
    discarded: dict[int, Key] = field(default_factory=dict)  # place in the request -> key


@dataclass
class Answer:
    """What one call must get: HTTP status, code, message and the three arrays."""

    status: int
    code: int
    message: str
    inserted: list[dict[str, Any]] = field(default_factory=list)
    errors: list[tuple[Any, str]] = field(default_factory=list)
    duplicated: list[tuple[Any, str]] = field(default_factory=list)
    retry_after: int | None = None


@dataclass
class KeepItModel:
    start: datetime
    limit: int
    window: int
    tenant: str = "1/1"
    now: float = 0
    calls: deque[float] = field(default_factory=deque)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)

    # -- clock and the call limit -----------------------------------------------------------
    def advance(self, seconds: float) -> None:
        self.now += seconds

    def reset(self) -> None:
        """The vendor reset: customers, sequences and the call window back to start."""
        self.calls.clear()
        self.customers.clear()
        self.sequences.clear()

    def admit(self) -> Answer | None:
        """Count an authenticated call; the 429 answer when it is over the limit."""
        while self.calls and self.calls[0] <= self.now - self.window:
            self.calls.popleft()
        if len(self.calls) >= self.limit:
            wait = self.calls[0] + self.window - self.now
            message = f"Superato il limite di {self.limit} chiamate in {self.window:g} secondi."
            return Answer(429, 429, message, retry_after=max(1, math.ceil(wait)))
        self.calls.append(self.now)
        return None

    # -- insertClient_v3 --------------------------------------------------------------------
    def insert(self, records: list[dict[str, Any]], defects: list[str | None]) -> Answer:
        """The answer to one authenticated call with these records (``defects``: the contract
        message of each record that breaks it), the state updated."""
        refused = self.admit()
        if refused is not None:
            return refused
        owners = {k: pid for pid, c in self.customers.items() for k in unique_keys(c)}
        claimed: dict[Key, str | None] = {}
        plans = []
        for number, (record, defect) in enumerate(zip(records, defects, strict=True)):
            code = record["subjects"]["customerCode"]
            if defect is not None:
                plans.append(Plan("error", code, defect))
                continue
            plan = self._plan(number, record, lambda k: claimed.get(k, owners.get(k)))
            if plan.kind == "ok":
                me = str(plan.prog_id) if plan.prog_id else f"new:{number}"
                kept = unique_keys(self._preview(plan))
                if plan.prog_id:  # what the updated customer no longer holds is free after it
                    held = unique_keys(self.customers[str(plan.prog_id)])
                    claimed.update(dict.fromkeys([k for k in held if k not in kept]))
                claimed.update(dict.fromkeys(kept, me))
            plans.append(plan)
        conflicts = [(p.code, p.message) for p in plans if p.kind == "conflict"]
        if conflicts:
            return Answer(422, 422, UNIQUE_CLASH, errors=conflicts)
        answer = Answer(200, 200, SUCCESS)
        for plan in plans:
            if plan.kind == "ok":
                answer.inserted.append(self._write(plan))
            elif plan.kind == "duplicate":
                answer.duplicated.append((plan.code, plan.message))
            else:
                answer.errors.append((plan.code, plan.message))
        if answer.inserted and (answer.errors or answer.duplicated):
            answer.code, answer.message = 206, PARTIAL
        elif not answer.inserted and not answer.errors:
            answer.code, answer.message = 204, DUPLICATES_ONLY
        elif not answer.inserted:
            answer.status, answer.code, answer.message = 400, 400, NOT_DONE
        return answer

    def _plan(self, number: int, record: dict[str, Any], owner: Callable[[Key], Any]) -> Plan:
        subjects = record["subjects"]
        code = subjects["customerCode"]
        incoming = apart(copy.deepcopy(record), CUSTOMER_FIELDS)
        if "mappings" in incoming:
            incoming["mappings"] = [  # no system, or "": the subject's
                {"system": subjects["system"], **m}
                | ({} if m.get("system") else {"system": subjects["system"]})
                for m in incoming["mappings"]
            ]
        prog_id = None
        if record["action"] == "U":
            existing = self.customers.get(code_text(subjects["progId"]))
            if existing is None:
                return Plan("error", code, NOT_FOUND + code_text(subjects["progId"]))
            prog_id = existing["progId"]
        plan = Plan("ok", code, incoming=incoming, prog_id=prog_id)
        me = str(prog_id) if prog_id else f"new:{number}"

        def taken(key: Key) -> bool:
            return owner(key) not in (None, me)

        preview = self._preview(plan)
        if any(taken(k) for k in unique_keys(preview) if k[0] in ("code", "email")):
            return Plan("duplicate", code, DUPLICATE)
        mappings = incoming.get("mappings") or []
        if mappings:
            if code_text(code) not in {code_text(m["externalCode"]) for m in mappings}:
                return Plan("error", code, NOT_IN_MAPPINGS)
            held = [m for m in mappings if taken(mapping_key(m))]
            if held and prog_id is None:
                _, system, external_field, value = mapping_key(held[0])
                return Plan("error", code, CODE_TAKEN.format(value, system, external_field))
            incoming["mappings"] = [m for m in mappings if m not in held]
            plan.discarded = {i: mapping_key(m) for i, m in enumerate(mappings) if m in held}
        for card in incoming.get("cards") or []:
            if card.get("cardBarcode") and taken(("card", card["cardBarcode"])):
                return Plan("conflict", code, CARD_TAKEN.format(card["cardBarcode"]))
        return plan

    def _preview(self, plan: Plan) -> dict[str, Any]:
        stored = self.customers.get(str(plan.prog_id), {}) if plan.prog_id else {}
        incoming = plan.incoming
        preview = {"subjects": {**stored.get("subjects", {}), **incoming["subjects"]}}
        for name in ("contacts", "mappings", "cards"):
            preview[name] = (stored.get(name) or []) + (incoming.get(name) or [])
        return preview

    def _write(self, plan: Plan) -> dict[str, Any]:
        """Write one planned record into the customer as it is now (an earlier record of the
        same call may have changed it)."""
        prog_id = plan.prog_id or self._next("subjects")
        current = self.customers.get(str(prog_id), {})
        incoming = plan.incoming
        record = {**current, **{k: v for k, v in incoming.items() if k != "action"}}
        if "sent" in current and "sent" in incoming:
            record["sent"] = {**current["sent"], **incoming["sent"]}
        record["progId"] = prog_id
        record["subjects"] = {**current.get("subjects", {}), **incoming["subjects"]}
        record["subjects"]["progId"] = prog_id
        record.setdefault("created_at", self.timestamp())
        record["updated_at"] = self.timestamp()
        entry: dict[str, Any] = {"progId": prog_id, "customerCode": plan.code}
        reported = {}
        for name, sequence, _, _ in SECTIONS:
            if isinstance(incoming.get(name), list):
                merged, ids = self._merge(current.get(name) or [], incoming[name], sequence)
                record[name] = merged
                reported[sequence] = ids
        if plan.discarded:  # each received mapping has its progId: a discarded one, its holder's
            kept = iter(reported["mapping"])
            reported["mapping"] = [
                self._holding(plan.discarded[i]) if i in plan.discarded else next(kept)
                for i in range(len(reported["mapping"]) + len(plan.discarded))
            ]
        self.customers[str(prog_id)] = record
        entry["email"] = first_email(record)
        entry["sections"] = reported
        return entry

    def _holding(self, key: Key) -> int:
        """The progId of the mapping record another customer holds ``key`` with."""
        return next(
            m["progId"]
            for c in self.customers.values()
            for m in c.get("mappings") or []
            if mapping_key(m) == key
        )

    def _merge(
        self, stored: list[dict[str, Any]], elements: list[dict[str, Any]], sequence: str
    ) -> tuple[list[dict[str, Any]], list[int]]:
        _, _, match, keep = next(s for s in SECTIONS if s[1] == sequence)
        merged = copy.deepcopy(stored)
        where = {match(e): i for i, e in enumerate(merged) if match(e) is not None}
        ids = []
        for element in elements:
            key = match(element)
            index = where.get(key) if key is not None else None
            if index is None:
                merged.append({**apart(element, ELEMENT_FIELDS), "progId": self._next(sequence)})
                index = len(merged) - 1
                if key is not None:
                    where[key] = index
            elif not keep:
                merged[index] = {
                    **apart(element, ELEMENT_FIELDS),
                    "progId": merged[index]["progId"],
                }
            ids.append(merged[index]["progId"])
        return merged, ids

    # -- state ------------------------------------------------------------------------------
    def timestamp(self) -> str:
        moment = self.start + timedelta(seconds=self.now)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

    def state(self) -> dict[str, Any]:
        """The admin dump the fake must produce (``GET /__admin/state/keepit``)."""
        if not self.customers and not self.sequences:
            return {"tenants": {}}
        tenant = {"sequences": dict(self.sequences), "subjects": copy.deepcopy(self.customers)}
        return {"tenants": {self.tenant: tenant}}

    def _next(self, sequence: str) -> int:
        self.sequences[sequence] = self.sequences.get(sequence, 0) + 1
        return self.sequences[sequence]
