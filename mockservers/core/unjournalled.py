"""Journalling the entries of the calls a shared store kept nothing of, which the process that
answered them holds (``core/held.py``): each the vendor's 503 its connector was answered,
journalled with the process's next call the store keeps, as the memory store would show it had
it journalled the call at once: in the scope the store says the call was of, and nowhere once
a clear of that scope came after the call (it would have taken the entry) or that scope is a
session closed since.

The process's own copy of the store could not say whose call it was: it is not reloaded while
the store is unreachable, so it may not know a token another process issued, nor that a session
has been closed since. The entry carries the call's credentials (its query, headers and body),
from which the vendor works out its tenant again from the store's fresh state. Nor could it
date the call on the kit's clock when it had not read it yet (it started without the store):
such an entry is dated again, on the kit's clock as it is when journalled.
"""

from __future__ import annotations

from dataclasses import replace

from mockservers.core.call import Call, parse_query
from mockservers.core.clock import http_date
from mockservers.core.held import Held
from mockservers.core.journal_entry import Entry
from mockservers.core.kit import Kit
from mockservers.core.sessions import owner_id

UNASSIGNED = "whose call this was is unknown (no tenant the store holds goes with its credentials)"
"""Added to the detail of an entry journalled in the global scope for want of knowing its own."""


def journal(kit: Kit, owed: Held) -> None:
    """Journal what is ``owed`` in the transaction of a call the store keeps (its state fresh):
    each entry in the scope of its call's tenant, those let go counted as pushed out of the
    scope they were taken for; none in a session gone, or of before a clear of its scope."""
    for entry in owed.entries:
        assigned = _assigned(kit, entry)
        if assigned is not None:
            kit.journal.record_late(assigned)
    for (scope, vendor), (count, at) in owed.let_go.items():
        if _journals(kit, scope, vendor, at):
            kit.journal.pushed_out(scope, vendor, count)


def _journals(kit: Kit, scope: str | None, vendor: str, at: float) -> bool:
    """Whether an entry of ``vendor`` answered at ``at`` has a journal of ``scope`` to go to:
    the session lives, and no clear of the scope's journal (or of its vendor's part) came
    since."""
    if scope is not None and kit.sessions.get(scope) is None:
        return False
    return not kit.clears.journal_since(at, scope, vendor)


def _assigned(kit: Kit, entry: Entry) -> Entry | None:
    """``entry`` with the tenant and session the store's state says its call was of (else what
    the answering process's copy said); None when the memory store would have journalled it
    nowhere by now. A copy: should this commit fail too, the entry is held as it was, to be
    assigned again.

    A call whose credentials go with no tenant the store holds is the global scope's, its
    detail saying whose it was is unknown (the memory store journals a call with a token it
    does not hold there too); unless tokens of its vendor were dropped since (a reset, a
    session closed): its token was then likely one of them, and its journal went with them."""
    call = Call(
        {"headers": entry.headers, "query_string": entry.query},
        entry.vendor,
        entry.operation,
        entry.request_body,
        kit,
        parse_query(entry.query),
    )
    tenant = kit.vendors[entry.vendor].tenant_of(call) or entry.tenant
    if tenant is None and kit.clears.tokens_since(entry.at, entry.vendor):
        return None
    session_id = owner_id(tenant)
    if not _journals(kit, session_id, entry.vendor, entry.at):
        return None
    if entry.at < kit.store.loaded_at:  # answered before the process read the kit's clock
        entry = _dated(entry, kit.clock.from_own(entry.time))
    if tenant is None:
        detail = f"{entry.detail}; {UNASSIGNED}" if entry.detail else UNASSIGNED
        return replace(entry, detail=detail)
    session = kit.sessions.get(session_id)
    if entry.session is None and session is not None:  # it was dated on the global clock
        entry = _dated(entry, kit.clock.in_session(entry.time, session))
    return replace(entry, tenant=tenant, session=session_id)


def _dated(entry: Entry, time: float) -> Entry:
    """``entry`` dated ``time``: its time and its ``Date`` header."""
    headers = [(k, http_date(time) if k == b"date" else v) for k, v in entry.response_headers]
    return replace(entry, time=time, response_headers=headers)
