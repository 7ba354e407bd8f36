"""What one process holds of the calls a shared store kept nothing of (``Kit.unjournalled``):
their journal entries, until a commit of its goes through (``core/unjournalled.py`` journals
them), within a bound past which the oldest are let go, and counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mockservers.core.journal_entry import Entry

UNJOURNALLED = 1000
"""The entries one process holds at most; the oldest beyond are let go, counted as pushed out
of the journal of the scope the process took each call for."""

Scoped = tuple[str | None, str]
"""A scope (None: the global one) and a vendor."""


@dataclass
class Held:
    """A process's entries of calls the store kept nothing of, oldest first, and how many of
    them it let go beyond ``UNJOURNALLED``."""

    entries: list[Entry] = field(default_factory=list)
    let_go: dict[Scoped, tuple[int, float]] = field(default_factory=dict)
    """By the scope the process took each call for and its vendor: how many were let go, and
    when the newest was answered (``Entry.at``)."""

    def __bool__(self) -> bool:
        return bool(self.entries or self.let_go)

    def take(self) -> Held:
        """What is held, to be journalled with a call (and held again should it fail); this
        holds nothing then. Each call owns what it took: another call of the process may take
        or hold meanwhile."""
        if not self:  # every call on a shared store asks: no new holding for nothing
            return _NOTHING
        taken = Held(self.entries, self.let_go)
        self.entries, self.let_go = [], {}
        return taken

    def hold(self, owed: Held, entry: Entry) -> None:
        """Hold ``entry`` for the next commit, with what a commit that failed was to journal
        (``owed``: before the calls that failed since it was taken); the oldest entries beyond
        ``UNJOURNALLED`` are let go."""
        self.entries[:0] = owed.entries
        self.entries.append(entry)
        for key, (count, at) in owed.let_go.items():
            self._count(key, count, at)
        excess = len(self.entries) - UNJOURNALLED
        if excess > 0:
            for gone in self.entries[:excess]:
                self._count((gone.session, gone.vendor), 1, gone.at)
            del self.entries[:excess]

    def forget(self, session_id: str) -> None:
        """Let go of a closed session's entries (uncounted: its journal went with it)."""
        self.entries = [entry for entry in self.entries if entry.session != session_id]
        self.let_go = {key: n for key, n in self.let_go.items() if key[0] != session_id}

    def _count(self, key: Scoped, count: int, at: float) -> None:
        before, newest = self.let_go.get(key, (0, at))
        self.let_go[key] = (before + count, max(newest, at))


_NOTHING = Held()
"""What a call takes when nothing is held (read only)."""
