"""Writing a KeepIT record a batch planned: the subject merged into the customer as stored
now, each section merged by its rules with its progIds, the makeup, the unique-key index kept,
and the answer's entry with the progIds in the request's order.
"""

from __future__ import annotations

from typing import Any

from mockservers.core.batch import Batch
from mockservers.core.clock import Clock
from mockservers.core.coverage import met
from mockservers.core.records import SENT
from mockservers.keepit import coverage
from mockservers.keepit.keys import Key, Owners, held_keys
from mockservers.keepit.planning import Plan
from mockservers.keepit.records import SUBJECTS
from mockservers.keepit.sections import (
    MAKEUP,
    MAKEUP_REPORTED,
    first_email,
    given,
    mapping_key,
    sections_in,
)


def write(customers: Batch, index: Owners, plan: Plan, clock: Clock) -> dict[str, Any]:
    """Store an ``ok`` plan's customer, keep the tenant's index, and answer its entry of
    insertedObjects (its progId, its sections' and makeup's)."""
    # Write into the customer as stored now: an earlier record of the same call may have
    # updated it since it was planned (writing into the planned copy lost that update).
    # A new record, never a change to the customer read: the plans hold it.
    tenant = customers.tenant
    if plan.existing:
        existing = customers.get(str(plan.existing.prog_id))
        prog_id = existing["progId"]
    else:
        existing = {}
        prog_id = tenant.next(SUBJECTS)
    now = clock.isoformat()
    incoming = plan.incoming
    record = {**existing, **incoming, "progId": prog_id}
    if SENT in incoming and isinstance(existing.get(SENT), dict):  # an update's: merged too
        record[SENT] = existing[SENT] | incoming[SENT]
    record["subjects"] = {
        **(existing.get("subjects") or {}),
        **incoming["subjects"],
        "progId": prog_id,
    }
    record.setdefault("created_at", now)
    record["updated_at"] = now
    reported: dict[str, Any] = {}
    for section in sections_in(incoming):
        stored = existing.get(section.field) or []
        merged, prog_ids = section.merge(tenant, stored, incoming[section.field])
        record[section.field] = merged
        reported[section.reported] = prog_ids
    if plan.discarded:
        reported["mapping"] = _in_place(customers, index, reported["mapping"], plan.discarded)
    makeup = incoming.get(MAKEUP)
    if isinstance(makeup, dict):
        old = existing.get(MAKEUP) or {}
        makeup_id = old.get("progId") or tenant.next(MAKEUP_REPORTED)
        record[MAKEUP] = {**given(makeup), "progId": makeup_id}
        reported[MAKEUP_REPORTED] = {"progId": makeup_id}
    # An insert stores the customer it planned, so it holds the planned keys; an update
    # merged into the customer as stored now, so its keys are read from the result.
    name = str(prog_id)
    if plan.existing:
        index.change(held_keys(existing, name), held_keys(record, name))
    else:
        index.change((), [(key, name) for key in plan.keys])
    customers.put(name, record)
    met(coverage.UPDATED if plan.existing else coverage.INSERTED)
    return {
        "progId": prog_id,
        "customerCode": plan.customer_code,
        "email": first_email(record),
        **reported,
    }


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
