"""KeepIT state and rules, free of HTTP: accounts, the call limit, customers and their sections.

A batch is planned first and written after, so that a unique-constraint clash (HTTP 422), or
progIds that would pass 2^53 (the vendor's 500), refuses the whole call with nothing stored.
The write is all or nothing too, as the vendor's one database transaction a call: the call's
customers reach the tenant after its last record, and a failure before (a bug, the kit's 500)
leaves the customers and their unique-key index as they were (the progIds it took stay taken).
Each record's checks, in the order of VENDORS.md, are in ``planning.py``, its write in
``writing.py``; the unique keys and the tenant's index of them in ``keys.py``; a stored
customer, read without the model's state, in ``records.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockservers.core.batch import Batch
from mockservers.core.coverage import met
from mockservers.core.kit import Kit
from mockservers.core.sessions import in_scope
from mockservers.core.state import TenantState, VendorState
from mockservers.core.tokens import TokenStore
from mockservers.core.unique import UniqueIndex, listed
from mockservers.core.vendor import VendorModel
from mockservers.keepit import coverage
from mockservers.keepit.errors import call_error, rate_limited
from mockservers.keepit.keys import (
    Owners,
    held_keys,
    identity_keys,
    key_text,
    owners_of,
)
from mockservers.keepit.planning import (
    DUPLICATE,
    Holders,
    Plan,
    Planned,
    add_needs,
    ids_needed,
    incoming_of,
    lone_insert,
    plan_record,
)
from mockservers.keepit.ratelimit import RateLimiter
from mockservers.keepit.records import (
    SUBJECTS,
    check_customers,
    customer_code_of,
    highest_prog_ids,
)
from mockservers.keepit.settings import KeepItSettings
from mockservers.keepit.writing import Drafts, insert, write


def tenant_name(company: str, site: str) -> str:
    """A KeepIT tenant: one company and site (``companyId/siteId``)."""
    return f"{company}/{site}"


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
        self._owners: dict[str, Owners] = {}  # by tenant

    # -- accounts and the call limit ----------------------------------------------------------
    def authenticate(self, username: str, password: str, company: str, site: str) -> TenantState:
        """The caller's tenant (``companyId/siteId``) from the credentials its headers carry
        ("" for one not sent); 401 for missing or wrong credentials. Each authenticated call
        counts towards the limit; over it: 429."""
        expected = self.password_of(username, company, site)
        if (
            not (username and password and company and site)
            or expected is None
            or not secrets.compare_digest(expected.encode(), password.encode())
        ):
            met(coverage.UNAUTHORIZED)
            detail = _refusal(username, password, company, site, expected)
            raise call_error(401, self.settings.auth_error_message, detail=detail)
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
        account = self.kit.sessions.account(
            "keepit", company, username=username, company_id=company, site_id=site
        )
        return str(account["password"]) if account is not None else None

    # -- indexes ----------------------------------------------------------------------------
    def reset(self, scope: str | None) -> None:
        self.limiter.reset(scope)
        self._owners = {n: o for n, o in self._owners.items() if not in_scope(n, scope)}

    def rebuild_indexes(self) -> None:
        self._owners = {name: owners_of(tenant) for name, tenant in self.state.tenants.items()}

    def on_change(self, tenant: str, collection: str, key: str, old: Any, new: Any) -> None:
        self._index(tenant).change(held_keys(old, key), held_keys(new, key))

    def on_drop(self, tenant: str) -> None:
        self._owners.pop(tenant, None)

    def check_state(self, document: Any) -> None:
        """Refuse a document whose customers could not be indexed or updated (a malformed
        customer, one whose progId is not its key). Parsed only: which scope its tenants may
        belong to is the load's to check."""
        probe = VendorState(self.state.vendor, self.state.collection_names)
        for tenant in probe.parse(document).values():
            owners_of(tenant)  # a customer its keys cannot be read from is refused
            check_customers(tenant)

    def held_sequences(self, tenant: TenantState) -> dict[str, int]:
        """Customers by their key; each section's and the makeup's progIds inside them."""
        return highest_prog_ids(tenant)

    def clashes(self, tenants: Iterable[str]) -> list[str]:
        found: list[str] = []
        for name in tenants:
            index = self._owners.get(name)
            for key, holders in index.shared.items() if index is not None else ():
                found.append(
                    f"tenant {name!r}: {key_text(key)} is held by customers {listed(holders)}"
                )
        return found

    def _index(self, tenant: str) -> Owners:
        """The tenant's index (by name), a new empty one for a tenant not indexed yet."""
        index = self._owners.get(tenant)
        if index is None:
            index = self._owners[tenant] = UniqueIndex()
        return index

    # -- insertClient_v3 --------------------------------------------------------------------
    def insert_batch(
        self, tenant: TenantState, records: list[Any], failures: Mapping[int, str]
    ) -> BatchResult:
        """Plan every record, then write the good ones unless a unique constraint clashes. The
        customers the call updates are read once (``core/batch.py``): every plan reads one as
        the records before it planned it, each write as the records before it left it."""
        index = self._index(tenant.name)
        if lone_insert(records, failures):
            return self.insert_lone(tenant, index, records[0])
        holders = Holders(index)
        customers = Batch(tenant, SUBJECTS)
        planned = Planned(customers)
        plans: list[Plan] = []
        conflicts: list[dict[str, Any]] = []
        last = len(records) - 1
        for number, record in enumerate(records):
            if number in failures:
                invalid = [coverage.MANDATORY_FIELD]
                plan = Plan("error", customer_code_of(record), failures[number], behaviours=invalid)
            else:
                plan = plan_record(planned, number, record, holders)
                if plan.kind == "ok":
                    if number < last:  # the last record leaves its keys to no record after it
                        holders.claim(plan.keys, plan.me, plan.given_up)
                        planned.keep(plan)
                elif plan.kind == "conflict":
                    conflicts.append(plan.entry())
            plans.append(plan)
        if conflicts:
            return BatchResult(conflicts=conflicts)
        # At most one progId per byte of the body: counted only that near 2^53.
        tenant.check_room(lambda: ids_needed(plans), self.kit.max_body_bytes)
        inserted, errors, duplicated = [], [], []
        drafts = Drafts(customers)
        try:
            for plan in plans:
                for behaviour in plan.behaviours:
                    met(behaviour)
                if plan.kind == "ok":
                    inserted.append(write(drafts, index, plan, self.clock))
                elif plan.kind == "duplicate":
                    duplicated.append(plan.entry())
                else:
                    errors.append(plan.entry())
            customers.commit()  # after the last record: a call is one transaction
        except BaseException:
            self._reindex(tenant)
            raise
        return BatchResult(inserted, errors, duplicated)

    def insert_lone(
        self, tenant: TenantState, index: Owners, record: dict[str, Any]
    ) -> BatchResult:
        """A batch of one insert without mappings or cards (``lone_insert``), checked and written
        as ``insert_batch`` would, without a batch's bookkeeping: no record before it to plan
        against, none after it to claim keys for, nothing written before its one ``put``. A
        key stored customers hold (one or several) makes it a duplicate."""
        incoming = incoming_of(record)
        code = record["subjects"]["customerCode"]
        keys = identity_keys(incoming)
        if not index.keys().isdisjoint(keys):
            met(coverage.DUPLICATE_RECORD)
            return BatchResult(duplicated=[Plan("duplicate", code, DUPLICATE).entry()])
        tenant.check_room(lambda: add_needs({}, incoming, True), self.kit.max_body_bytes)
        now = self.clock.isoformat()
        try:
            name, stored, entry = insert(tenant, incoming, code, now)
            index.add_free(keys, name)
            tenant.put(SUBJECTS, name, stored)
        except BaseException:
            self._reindex(tenant)
            raise
        return BatchResult(inserted=[entry])

    def _reindex(self, tenant: TenantState) -> None:
        """The tenant's index read again from its stored customers, after a write that failed
        half-way (a bug): it had taken the keys of customers the call no longer stores."""
        self._owners[tenant.name] = owners_of(tenant)


def _refusal(username: str, password: str, company: str, site: str, expected: str | None) -> str:
    """Why the credentials were refused, for the detail header (never the password)."""
    sent = {"username": username, "password": password, "companyId": company, "siteId": site}
    missing = [name for name, value in sent.items() if not value]
    if missing:
        return f"missing or empty headers: {', '.join(missing)}"
    if expected is None:
        return f"no account {username!r} in company {company!r}, site {site!r}"
    return f"wrong password for {username!r} in company {company!r}, site {site!r}"
