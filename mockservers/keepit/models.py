"""KeepIT state and rules, free of HTTP: accounts, the call limit, customers and their sections.

A batch is planned first and written after, so that a unique-constraint clash (HTTP 422) refuses
the whole call with nothing stored. Each record is checked in the order of VENDORS.md: mandatory
fields and types (done by the caller against the contract), then — for an update — that the
customer exists, duplicates, the mappings rules, unique constraints; the first failing check
decides the record's outcome.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mockservers.core.coverage import Behaviour, met
from mockservers.core.sessions import in_scope
from mockservers.core.state import StateError, TenantState, VendorState
from mockservers.core.tokens import TokenStore
from mockservers.core.vendor import Kit, VendorModel
from mockservers.keepit import coverage
from mockservers.keepit.errors import call_error, rate_limited
from mockservers.keepit.ratelimit import RateLimiter
from mockservers.keepit.sections import (
    MAKEUP,
    MAKEUP_REPORTED,
    SECTIONS,
    code_text,
    emails,
    first_email,
    mapping_key,
    with_default_system,
)
from mockservers.keepit.settings import KeepItSettings

SUBJECTS = "subjects"  # keyed by the customer's progId, as a string
CREDENTIAL_HEADERS = ("username", "password", "companyId", "siteId")


def tenant_name(company: str, site: str) -> str:
    """A KeepIT tenant: one company and site (``companyId/siteId``)."""
    return f"{company}/{site}"


DUPLICATE = "The customer already exists."
NOT_IN_MAPPINGS = "Il customer code non è specificato nell'array mappings."

Key = tuple[str, ...]
Kind = Literal["ok", "error", "duplicate", "conflict"]


def not_found(prog_id: Any) -> str:
    return f"Nessun record trovato per:progId={code_text(prog_id)}"


def code_taken(mapping: dict[str, Any]) -> str:
    system, external_field, code = mapping_key(mapping)
    return f"Il codice {code} ({system}/{external_field}) è già associato a un altro cliente."


def card_taken(barcode: str) -> str:
    return f"Unique constraint error: la carta {barcode} è già associata a un altro cliente."


def customer_code_of(record: Any) -> Any:
    """The record's customerCode for errorObjects: as sent, or "" when it has none usable."""
    subjects = record.get("subjects") if isinstance(record, dict) else None
    code = subjects.get("customerCode") if isinstance(subjects, dict) else None
    return code if isinstance(code, str | int | float) and not isinstance(code, bool) else ""


def unique_keys(record: Mapping[str, Any]) -> list[Key]:
    """What no two customers of a tenant may share: (system, customerCode), each e-mail,
    each mapping tuple, each card barcode."""
    return identity_keys(record) + section_keys(record)


def identity_keys(record: Mapping[str, Any]) -> list[Key]:
    """The unique keys that tell who a customer is: (system, customerCode) and each e-mail."""
    subjects = record.get("subjects") or {}
    keys: list[Key] = [
        ("code", str(subjects.get("system", "")), code_text(subjects.get("customerCode", "")))
    ]
    keys += [("email", e) for e in emails(record)]
    return keys


def section_keys(record: Mapping[str, Any]) -> list[Key]:
    """The unique keys a customer holds in its sections: each mapping tuple, each card barcode."""
    keys: list[Key] = [("map", *mapping_key(m)) for m in record.get("mappings", [])]
    keys += [
        ("card", c["cardBarcode"])
        for c in record.get("cards", [])
        if isinstance(c.get("cardBarcode"), str) and c["cardBarcode"]
    ]
    return keys


@dataclass
class Plan:
    """What will happen to one record of a batch."""

    kind: Kind
    customer_code: Any
    message: str = ""
    incoming: dict[str, Any] = field(default_factory=dict)
    existing: dict[str, Any] | None = None
    behaviours: list[Behaviour] = field(default_factory=list)
    """The documented situations this record meets if the batch goes through (not on a 422)."""
    me: str = ""
    """Who the record is while planning: its progId on update, a placeholder on insert."""
    keys: list[Key] = field(default_factory=list)
    """The unique keys of the customer as it will be (an ``ok`` plan claims them)."""

    def entry(self) -> dict[str, Any]:
        return {"customerCode": self.customer_code, "errorMessage": self.message}


@dataclass
class BatchResult:
    inserted: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    duplicated: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)


class KeepItModel(VendorModel):
    tokens: TokenStore | None = None  # credentials travel in every call's headers: no tokens

    def __init__(self, settings: KeepItSettings, kit: Kit, state: VendorState) -> None:
        self.settings = settings
        self.kit = kit
        self.clock = kit.clock
        self.state = state
        self.credentials = settings.credentials()
        self.limiter = RateLimiter(
            kit.clock,
            settings.rate_limit_calls,
            settings.rate_limit_window_seconds,
            kit.store.windows("windows:keepit"),
        )
        self._owners: dict[str, dict[Key, str]] = {}  # tenant -> unique key -> progId

    # -- accounts and the call limit ----------------------------------------------------------
    def authenticate(self, headers: Mapping[str, str]) -> TenantState:
        """The caller's tenant (``companyId/siteId``); 401 for missing or wrong credentials.
        Each authenticated call counts towards the limit; over it: 429."""
        username, password, company, site = (headers.get(h) or "" for h in CREDENTIAL_HEADERS)
        expected = self.password_of(username, company, site)
        if (
            not (username and password and company and site)
            or expected is None
            or not secrets.compare_digest(expected.encode(), password.encode())
        ):
            met(coverage.UNAUTHORIZED)
            raise call_error(401, self.settings.auth_error_message)
        tenant = tenant_name(company, site)
        wait = self.limiter.hit(f"{tenant}\x1f{username}")
        if wait is not None:
            met(coverage.RATE_LIMITED)
            raise rate_limited(self.limiter.calls, self.limiter.window, wait)
        return self.state.tenant(tenant)

    def password_of(self, username: str, company: str, site: str) -> str | None:
        """The password of a configured account, or of a live session's account."""
        expected = self.credentials.get((username, company, site))
        if expected is not None:
            return expected
        session = self.kit.sessions.owner(company)
        account = session["credentials"]["keepit"] if session is not None else None
        if account and (account["username"], account["company_id"], account["site_id"]) == (
            username,
            company,
            site,
        ):
            return str(account["password"])
        return None

    # -- indexes ----------------------------------------------------------------------------
    def reset(self, scope: str | None) -> None:
        self.limiter.reset(scope)
        self._owners = {n: o for n, o in self._owners.items() if not in_scope(n, scope)}

    def rebuild_indexes(self) -> None:
        self._owners = {name: owners_of(tenant) for name, tenant in self.state.tenants.items()}

    def on_change(self, tenant: str, collection: str, key: str, old: Any, new: Any) -> None:
        index = self._index(self.state.tenant(tenant)) if tenant in self.state.tenants else None
        if index is None:
            self._owners.pop(tenant, None)
            return
        for unique in unique_keys(old) if old else ():
            if index.get(unique) == key:
                del index[unique]
        if new:
            index.update(dict.fromkeys(unique_keys(new), key))

    def check_state(self, document: Any) -> None:
        """Refuse a document whose customers could not be indexed (a malformed customer)."""
        probe = VendorState(self.state.vendor, self.state.collection_names)
        probe.load(document)
        for tenant in probe.tenants.values():
            owners_of(tenant)

    def _index(self, tenant: TenantState) -> dict[Key, str]:
        return self._owners.setdefault(tenant.name, {})

    # -- insertClient_v3 --------------------------------------------------------------------
    def insert_batch(
        self, tenant: TenantState, records: list[Any], failures: Mapping[int, str]
    ) -> BatchResult:
        """Plan every record, then write the good ones unless a unique constraint clashes."""
        index = self._index(tenant)
        claimed: dict[Key, str] = {}

        def owner(key: Key) -> str | None:
            return claimed.get(key, index.get(key))

        plans: list[Plan] = []
        for number, record in enumerate(records):
            if number in failures:
                invalid = [coverage.MANDATORY_FIELD]
                plan = Plan("error", customer_code_of(record), failures[number], behaviours=invalid)
                plans.append(plan)
                continue
            plan = self._plan(tenant, number, record, owner)
            if plan.kind == "ok":
                claimed.update(dict.fromkeys(plan.keys, plan.me))
            plans.append(plan)
        result = BatchResult()
        conflicts = [p.entry() for p in plans if p.kind == "conflict"]
        if conflicts:
            result.conflicts = conflicts
            return result
        for plan in plans:
            for behaviour in plan.behaviours:
                met(behaviour)
            if plan.kind == "ok":
                result.inserted.append(self._write(tenant, plan))
            elif plan.kind == "duplicate":
                result.duplicated.append(plan.entry())
            else:
                result.errors.append(plan.entry())
        return result

    def _plan(
        self, tenant: TenantState, number: int, record: dict[str, Any], owner: OwnerLookup
    ) -> Plan:
        subjects = record["subjects"]
        code = subjects["customerCode"]
        incoming = dict(record)
        if "mappings" in record:
            incoming["mappings"] = with_default_system(record["mappings"], subjects["system"])
        existing = None
        if record["action"] == "U":
            existing = tenant.get(SUBJECTS, code_text(subjects["progId"]))
            if existing is None:
                missing = [coverage.RECORD_NOT_FOUND]
                return Plan("error", code, not_found(subjects["progId"]), behaviours=missing)
        me = str(existing["progId"]) if existing else f"new:{number}"

        def others(keys: list[Key]) -> list[Key]:
            return [k for k in keys if owner(k) not in (None, me)]

        identity = identity_keys(_preview(existing, incoming))
        if others(identity):
            return Plan("duplicate", code, DUPLICATE, behaviours=[coverage.DUPLICATE_RECORD])
        behaviours: list[Behaviour] = []
        mappings = incoming.get("mappings") or []
        if mappings:
            if code_text(code) not in {code_text(m["externalCode"]) for m in mappings}:
                return Plan("error", code, NOT_IN_MAPPINGS, behaviours=[coverage.NOT_IN_MAPPINGS])
            taken = [m for m in mappings if others([("map", *mapping_key(m))])]
            if taken and existing is None:
                clash = [coverage.MAPPING_CODE_TAKEN]
                return Plan("error", code, code_taken(taken[0]), behaviours=clash)
            # On update, codes that already exist are discarded, new ones are added.
            incoming["mappings"] = [m for m in mappings if m not in taken]
            if taken:
                behaviours.append(coverage.MAPPING_CODE_DISCARDED)
        for card in incoming.get("cards") or []:
            barcode = card.get("cardBarcode")
            if isinstance(barcode, str) and barcode and others([("card", barcode)]):
                return Plan("conflict", code, card_taken(barcode))
        keys = identity + section_keys(_preview(existing, incoming))  # the mappings kept
        return Plan("ok", code, "", incoming, existing, behaviours, me, keys)

    def _write(self, tenant: TenantState, plan: Plan) -> dict[str, Any]:
        # Write into the customer as stored now: an earlier record of the same call may have
        # updated it since it was planned (writing into the planned copy lost that update).
        existing = tenant.get(SUBJECTS, str(plan.existing["progId"])) if plan.existing else {}
        incoming = plan.incoming
        prog_id = existing["progId"] if plan.existing else tenant.next(SUBJECTS)
        now = self.clock.isoformat()
        record = {**existing, **{k: v for k, v in incoming.items() if k != "action"}}
        record["progId"] = prog_id
        record["subjects"] = {**existing.get("subjects", {}), **incoming["subjects"]}
        record["subjects"]["progId"] = prog_id
        record.setdefault("created_at", now)
        record["updated_at"] = now
        reported: dict[str, Any] = {}
        for section in SECTIONS:
            if isinstance(incoming.get(section.field), list):
                stored = existing.get(section.field) or []
                merged, ids = section.merge(tenant, stored, incoming[section.field])
                record[section.field] = merged
                reported[section.reported] = [{"progId": i} for i in ids]
        if isinstance(incoming.get(MAKEUP), dict):
            old = existing.get(MAKEUP) or {}
            makeup_id = old.get("progId") or tenant.next(MAKEUP_REPORTED)
            record[MAKEUP] = {**incoming[MAKEUP], "progId": makeup_id}
            reported[MAKEUP_REPORTED] = {"progId": makeup_id}
        index = self._index(tenant)
        if plan.existing:
            for key in unique_keys(existing):
                index.pop(key, None)
        # An insert stores the customer it planned, so it holds the planned keys; an update
        # merged into the customer as stored now, so its keys are read from the result.
        keys = unique_keys(record) if plan.existing else plan.keys
        index.update(dict.fromkeys(keys, str(prog_id)))
        tenant.put(SUBJECTS, str(prog_id), record)
        met(coverage.UPDATED if plan.existing else coverage.INSERTED)
        return {
            "progId": prog_id,
            "customerCode": plan.customer_code,
            "email": first_email(record),
            **reported,
        }


OwnerLookup = Callable[[Key], "str | None"]


def _preview(existing: dict[str, Any] | None, incoming: dict[str, Any]) -> dict[str, Any]:
    """The customer as it would be after the record: enough to compute its unique keys (an
    insert's is the record itself)."""
    if existing is None:
        return incoming
    return {
        "subjects": {**existing.get("subjects", {}), **incoming["subjects"]},
        **{
            name: (existing.get(name) or []) + (incoming.get(name) or [])
            for name in ("contacts", "mappings", "cards")
        },
    }


def owners_of(tenant: TenantState) -> dict[Key, str]:
    """The unique-key index of a tenant, from its stored customers."""
    owners: dict[Key, str] = {}
    for prog_id, record in tenant.collections[SUBJECTS].items():
        try:
            owners.update(dict.fromkeys(unique_keys(record), str(prog_id)))
        except (AttributeError, TypeError) as exc:
            raise StateError(f"tenant {tenant.name!r}: customer {prog_id!r} is malformed") from exc
    return owners
