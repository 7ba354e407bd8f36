"""The clears an entry a process held for want of its shared store must meet
(``core/clears.py``), as units: ``test_redis_store.py`` shows them through HTTP, on a Redis that
failed the calls' commits."""

from __future__ import annotations

import time

from mockservers.core.clears import Clears
from mockservers.core.shared import SharedMap


def test_a_clear_counts_for_the_entries_of_before_it_of_its_scope_and_its_vendor() -> None:
    clears = Clears(SharedMap("clears"))
    before = time.time()
    clears.journal("s1", "xtra")
    clears.tokens("xtra")
    after = time.time() + 1
    assert clears.journal_since(before, "s1", "xtra")
    assert not clears.journal_since(after, "s1", "xtra")
    assert not clears.journal_since(before, "s1", "quoparts")
    assert not clears.journal_since(before, None, "xtra")
    assert clears.tokens_since(before, "xtra")
    assert not clears.tokens_since(before, "keepit")
    clears.journal(None)
    clears.tokens()
    assert clears.journal_since(before, None, "quoparts") and clears.tokens_since(before, "keepit")
    clears.forget("s1")
    assert not clears.journal_since(before, "s1", "xtra")
