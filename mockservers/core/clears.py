"""When each scope's journal was last cleared, and each vendor's tokens last dropped, on the wall
clock of ``Entry.at``: what tells the entry of a call a shared store kept nothing of, journalled
with a later call (``core/unjournalled.py``), that a clear came after the call and would have
taken it, had it been journalled at once.

A shared map, so that a clear by any process counts: one key per scope (``global`` or a live
session's id) and ``tokens``, each ``{vendor or "*": when}``.
"""

from __future__ import annotations

import time

from mockservers.core.shared import SharedMap

_GLOBAL = "global"
_TOKENS = "tokens"
_EVERY_VENDOR = "*"


class Clears:
    """The clears a call's entry held for later must meet (their times are ``time.time``'s, as
    ``Entry.at`` is, not the kit's clock, which moves back at a reset)."""

    def __init__(self, store: SharedMap) -> None:
        self._marks = store

    def journal(self, scope: str | None, vendor: str | None = None) -> None:
        """One scope's journal (None: the global one's) was cleared now, of ``vendor`` only or
        whole."""
        self._mark(scope or _GLOBAL, vendor)

    def tokens(self, vendor: str | None = None) -> None:
        """``vendor``'s tokens (None: every vendor's) were dropped now in some scope: a reset,
        a session gone."""
        self._mark(_TOKENS, vendor)

    def forget(self, session_id: str) -> None:
        """A session is gone, and every entry of its calls with it."""
        self._marks.delete(session_id)

    def clear(self) -> None:
        """No clear ever made: the kit as it starts."""
        self._marks.clear()

    def journal_since(self, at: float, scope: str | None, vendor: str) -> bool:
        """Whether the journal of ``scope`` (None: the global one), or its ``vendor``'s part,
        was cleared at or after ``at``."""
        return self._since(scope or _GLOBAL, at, vendor)

    def tokens_since(self, at: float, vendor: str) -> bool:
        """Whether tokens of ``vendor`` were dropped in some scope at or after ``at``."""
        return self._since(_TOKENS, at, vendor)

    def _mark(self, key: str, vendor: str | None) -> None:
        marks = {} if vendor is None else self._marks.get(key, {})
        self._marks.put(key, {**marks, vendor or _EVERY_VENDOR: time.time()})

    def _since(self, key: str, at: float, vendor: str) -> bool:
        marks = self._marks.get(key)
        if marks is None:
            return False
        return max(marks.get(_EVERY_VENDOR, 0.0), marks.get(vendor, 0.0)) >= at
