"""What a process holds of the calls a shared store kept nothing of (``core/held.py``), and the
clears an entry it held must meet (``core/clears.py``), as units: ``test_redis_store.py`` shows
them through HTTP, on a Redis that failed the calls' commits."""

from __future__ import annotations

import time

import pytest

from mockservers.core.clears import Clears
from mockservers.core.held import Held
from mockservers.core.journal import Journal
from mockservers.core.journal_entry import Entry
from mockservers.core.shared import SharedMap


def _entry(at: float, session: str | None = None) -> Entry:
    """The 503 of a QuoParts import answered at ``at`` (wall clock)."""
    call = (0.0, "quoparts", "importCli", "POST", "/", b"", [], 503, b"", b"", 1.0)
    return Entry(*call, session=session, at=at)


def test_past_its_bound_a_holding_lets_the_oldest_go_counted_by_scope_and_vendor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("mockservers.core.held.UNJOURNALLED", 2)
    held = Held()
    for at, session in ((1.0, "s1"), (2.0, None), (3.0, None), (4.0, "s1"), (5.0, None)):
        held.hold(held.take(), _entry(at, session))  # a call that took it all, and failed
    assert [entry.at for entry in held.entries] == [4.0, 5.0]
    assert held.let_go == {("s1", "quoparts"): (1, 1.0), (None, "quoparts"): (2, 3.0)}
    held.forget("s1")
    assert [entry.at for entry in held.entries] == [5.0]
    assert held.let_go == {(None, "quoparts"): (2, 3.0)}


def test_what_a_failed_call_took_is_held_again_before_what_failed_since() -> None:
    held = Held()
    held.hold(held.take(), _entry(1.0))
    owed = held.take()
    assert not held and [entry.at for entry in owed.entries] == [1.0]
    held.hold(held.take(), _entry(2.0))  # another call, failed meanwhile
    held.hold(owed, _entry(3.0))
    assert [entry.at for entry in held.entries] == [1.0, 2.0, 3.0]


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


def test_calls_counted_as_pushed_out_count_until_the_journal_is_cleared() -> None:
    journal = Journal()
    journal.pushed_out("s1", "quoparts", 3)
    journal.pushed_out(None, "xtra", 2)
    assert (journal.dropped("s1", "quoparts"), journal.dropped(None, "quoparts")) == (3, 0)
    assert journal.dropped() == 5
    journal.clear(scope="s1")
    assert journal.dropped() == 2
