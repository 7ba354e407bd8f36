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


def _ats(journal: Journal, limit: int | None = None) -> list[float]:
    return [entry.at for entry in journal.matching(limit=limit)]


def test_an_entry_journalled_late_is_listed_and_pushed_out_by_its_time() -> None:
    """A process held its 503s until its next call a shared store kept, and appended them then:
    listed newer than the calls answered after them, ``limit`` left those out, and the bound
    pushed those out before the older 503s. Each is placed by the moment it was answered,
    where the memory store (which journals every call at once) would have it: pushed out at
    once when it is older than everything a full journal keeps."""
    journal = Journal(max_entries=3)
    for at in (1.0, 2.0, 4.0, 5.0):
        journal.record(_entry(at))
    journal.record_late(_entry(3.0))
    assert _ats(journal) == [5.0, 4.0, 3.0] and journal.dropped() == 2
    assert _ats(journal, limit=2) == [5.0, 4.0]
    journal.record_late(_entry(0.5))
    assert _ats(journal) == [5.0, 4.0, 3.0] and journal.dropped() == 3
    same_moment = _entry(4.0)
    journal.record_late(same_moment)  # after the one answered at the same moment
    assert _ats(journal) == [5.0, 4.0, 4.0] and journal.dropped() == 4
    assert journal.matching()[1] is same_moment


def test_another_process_places_the_entries_it_replays_and_reads_back_by_their_time() -> None:
    """What the process that journalled them tells the others (its store's operations), and
    what a shared store hands back in the order it was given (a process that starts, or
    reloads): the same journal, in time order."""
    told: list[tuple[str, tuple[object, ...]]] = []
    journal = Journal()
    journal.record_op = lambda _name, operation, args: told.append((operation, args))
    journal.record(_entry(1.0))
    journal.record(_entry(3.0, "s1"))
    journal.record(_entry(4.0))
    journal.record_late(_entry(2.0))
    journal.record_late(_entry(2.5, "s1"))
    other, reloaded = Journal(), Journal()
    for operation, args in told:
        other.apply(operation, args)
    reloaded.replace([Entry.from_wire(args[0]) for _, args in told], {})
    for copy in (journal, other, reloaded):
        assert _ats(copy) == [4.0, 3.0, 2.5, 2.0, 1.0]
        assert [entry.at for entry in copy.entries(None)] == [4.0, 2.0, 1.0]
        assert [entry.at for entry in copy.entries("s1")] == [3.0, 2.5]
