"""The journal entries of the calls a shared store kept nothing of (``Kit.unjournalled``): each
the vendor's 503 its connector was answered, which the process that answered it holds until a
commit of its goes through, and then journals.

The process's own copy of the store is not reloaded while the store is unreachable: a session
may have been closed since the call, by this process or another, and its journal with it.
"""

from __future__ import annotations

from mockservers.core.journal import Entry
from mockservers.core.kit import UNJOURNALLED, Kit


def hold(kit: Kit, owed: list[Entry], entry: Entry) -> None:
    """Hold ``entry`` for the next commit, with the ``owed`` entries a commit that failed was
    to journal (before the calls that failed since they were taken); the oldest beyond
    ``UNJOURNALLED`` are let go."""
    kit.unjournalled[:0] = owed
    kit.unjournalled.append(entry)
    del kit.unjournalled[: max(0, len(kit.unjournalled) - UNJOURNALLED)]


def journal(kit: Kit, owed: list[Entry]) -> None:
    """Journal the ``owed`` entries in the transaction of a call the store keeps (its state
    fresh), but those of a session that no longer lives (its journal went with it)."""
    for entry in owed:
        if entry.session is None or kit.sessions.get(entry.session) is not None:
            kit.journal.record(entry)
