"""The kit: the services every vendor shares, one of each per app (clock, journal, faults,
store, sessions, coverage, config), and the vendors themselves; resetting a scope and opening
or forgetting a session across all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from mockservers.core import sessions
from mockservers.core.clears import Clears
from mockservers.core.clock import Clock, date_header
from mockservers.core.coverage import Coverage
from mockservers.core.faults import FaultRegistry
from mockservers.core.held import Held
from mockservers.core.journal import Journal
from mockservers.core.seeded import SeededConfig
from mockservers.core.sessions import Sessions
from mockservers.core.shadows import ShadowSummary
from mockservers.core.shared import Store

if TYPE_CHECKING:
    from mockservers.core.vendor import Vendor


@dataclass
class Kit:
    """The services every vendor shares, one of each per app, and the vendors themselves."""

    clock: Clock
    journal: Journal
    faults: FaultRegistry
    store: Store
    sessions: Sessions
    coverage: Coverage
    shadows: ShadowSummary
    config: SeededConfig
    """This process's config tables, and those the kit was seeded with (``core/seeded.py``)."""
    clears: Clears
    """When each scope's journal was last cleared and tokens dropped: what an entry this
    process held for later must meet (``unjournalled``)."""
    max_body_bytes: int
    max_json_depth: int
    max_state_bytes: int
    """The largest body of a state load (``PUT /__admin/state``): a fixture far larger than
    any vendor call; every other admin body is held to ``max_body_bytes``."""
    flush: Callable[[], None] = lambda: None
    """Make the writes of the request that just ran durable (``--state-file``); else a no-op."""
    kept_writes: Callable[[], int] = lambda: 0
    """How many writes the state file was given to keep so far (``--state-file``; else none):
    whether a call changed what the file keeps (the vendors' state, the clock)."""
    vendors: dict[str, Vendor] = field(default_factory=dict)
    forwarded: frozenset[str] = frozenset()
    """The vendors whose calls ``mockservers proxy`` forwards to the real service: the kit's
    fakes of them answer none of those calls (no fault of theirs is ever met)."""
    unjournalled: Held = field(default_factory=Held)
    """The journal entries of this process's calls a shared store kept nothing of (each the
    vendor's 503 the call was answered), oldest first, and how many it let go: journalled
    with the next call the store keeps, in the scope the store then says each call was of, but
    those of a session closed by then or of before a clear of their scope
    (``core/unjournalled.py``)."""
    date_header: bool = False
    """Whether the kit's answers carry a ``Date`` of its own, on its clock: only where the
    server adds none (``app.kit_dates``), else each answer would carry two."""

    def date(self, response: Response) -> float:
        """The clock of the current scope read as ``response`` is given, which dates it where
        the kit dates answers: one reading for its ``Date`` and its journal entry."""
        now = self.clock.time()
        if self.date_header:
            response.raw_headers.append(date_header(int(now)))
        return now

    def reset(self, scope: str | None = None, vendor: str | None = None) -> None:
        """Everything of one scope back to start (None: the global scope; a session's id):
        state and fixtures, tokens, windows, journal entries, faults, coverage and the clock.
        With ``vendor``, only that vendor's part (the clock is shared by the vendors, so it
        stays). The global scope is seeded again from this process's config: its tables' digests
        become the kit's."""
        if scope is None:
            self.config.seed(None if vendor is None else (vendor,))
        if vendor is None:
            if scope is None:
                self.clock.reset()
            else:
                session = self.sessions.get(scope)
                if session is not None:
                    self.sessions.update(session, clock_offset=0.0)
        self.coverage.clear(scope=scope, vendor=vendor)
        self.clear_journal(scope, vendor)
        self.clears.tokens(vendor)
        if vendor is None:
            self.faults.reset(scope)
        else:
            self.faults.clear(scope=scope, vendor=vendor)
        for name, found in self.vendors.items():
            if vendor is None or name == vendor:
                found.reset(scope)

    def clear_journal(self, scope: str | None, vendor: str | None = None) -> None:
        """One scope's journal entries (None: the global scope's), of one vendor or all, and
        those this process or another holds for later (``core/unjournalled.py``)."""
        self.journal.clear(scope=scope, vendor=vendor)
        self.clears.journal(scope, vendor)

    def start_afresh(self) -> None:
        """The whole kit as it starts: no session, no fault, the global scope's fixtures, and
        no clear made (the entries held for later go to the fresh kit's journal)."""
        for session_id in list(self.sessions.map):
            self.sessions.drop(session_id)
        self.reset()
        self.clears.clear()

    def open_session(self, ttl_seconds: float | None, name: str | None) -> sessions.Session:
        """A new session with fresh accounts on every vendor (their fixtures in place)."""

        def credentials(prefix: str) -> dict[str, dict[str, Any]]:
            return {n: v.session_credentials(prefix) for n, v in self.vendors.items()}

        session = self.sessions.create(credentials, ttl_seconds=ttl_seconds, name=name)
        for found in self.vendors.values():
            found.reset(session["id"])
        return session

    def forget_session(self, session_id: str) -> None:
        """Everything a dropped session held: its tenants, tokens, windows, journal, faults,
        coverage (called once the session itself is gone, so no fixture comes back), and the
        entries of its calls this process has yet to journal (and those of every process, whose
        tokens may be the session's)."""
        self.journal.clear(scope=session_id)
        self.unjournalled.forget(session_id)
        self.clears.forget(session_id)
        self.clears.tokens()
        self.faults.reset(session_id)
        self.coverage.clear(scope=session_id)
        for found in self.vendors.values():
            found.reset(session_id)
