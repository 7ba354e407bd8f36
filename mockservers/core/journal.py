"""The request journal: bounded by count and bytes, per scope, newest first.

Its entries (``journal_entry.py``) are masked and rendered when read (``journal_shown.py``), and
cut to fit their scope's bound as they are added (``journal_bounds.py``).
"""

from __future__ import annotations

from bisect import insort
from collections import deque
from collections.abc import Iterable, Mapping
from operator import attrgetter
from typing import Any

from mockservers.core.journal_bounds import (
    ENTRY_OVERHEAD,
    HEADER_OVERHEAD,
    HEADERS_KEPT,
    cut_to_fit,
    lines_size,
)
from mockservers.core.journal_entry import Entry
from mockservers.core.sessions import EVERY
from mockservers.core.shared import Recorder

ANY_VENDOR = ""
"""The vendor of pushed-out calls whose vendor is not known (a shared store's count, kept by an
earlier version per scope only): no vendor's reset clears them, and every vendor counts them."""


_AT = attrgetter("at")


class _Log:
    """One scope's entries, oldest first (by ``Entry.at``), within its bounds."""

    __slots__ = ("bytes", "dropped", "entries", "max_bytes", "max_entries")

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.entries: deque[Entry] = deque()
        self.bytes = 0
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.dropped: dict[str, int] = {}
        """Entries pushed out to keep within the bounds, by vendor, since the scope's journal
        was cleared (a vendor's count: since that vendor's entries were)."""

    def append(self, entry: Entry) -> None:
        """Add ``entry`` last: a call this process journals as it answers it, the newest."""
        # Entry.size, spelt out: this is every call's path. A plain loop is the quickest way
        # to add up the header lines (a third of a µs for ten of them; sum() or b"".join()
        # over them take half as long again).
        headers = entry.headers
        head = HEADER_OVERHEAD * len(headers)
        for name, value in headers:
            head += len(name) + len(value)
        size = (
            len(entry.request_body)
            + len(entry.response_body)
            + len(entry.path)
            + len(entry.raw_path or b"")
            + len(entry.query)
            + head
            + ENTRY_OVERHEAD
        )
        if size > self.max_bytes or head > HEADERS_KEPT:  # rare: keep the entry, cut to fit
            size = cut_to_fit(entry, head, self.max_bytes)
        entry.size = size
        entries = self.entries
        entries.append(entry)
        self.bytes += size
        while len(entries) > self.max_entries or self.bytes > self.max_bytes:  # _bound, spelt out
            gone = entries.popleft()
            self.bytes -= gone.size
            self.dropped[gone.vendor] = self.dropped.get(gone.vendor, 0) + 1

    def place(self, entry: Entry) -> None:
        """Add ``entry`` where its ``at`` puts it, after those of the same moment: a call
        another process journalled, or one journalled late (``core/unjournalled.py``), which
        may be older than entries here. Past the bounds the oldest go first, maybe itself."""
        entries = self.entries
        if not entries or entry.at >= entries[-1].at:  # the newest, as nearly always
            self.append(entry)
            return
        entry.size = cut_to_fit(entry, lines_size(entry.headers), self.max_bytes)  # as append
        self.bytes += entry.size
        insort(entries, entry, key=_AT)
        self._bound()

    def _bound(self) -> None:
        """Push out the oldest entries until the log is within its bounds, counted."""
        entries = self.entries
        while len(entries) > self.max_entries or self.bytes > self.max_bytes:
            gone = entries.popleft()
            self.bytes -= gone.size
            self.dropped[gone.vendor] = self.dropped.get(gone.vendor, 0) + 1

    def drop_vendor(self, vendor: str) -> None:
        self.entries = deque(e for e in self.entries if e.vendor != vendor)
        self.bytes = sum(e.size for e in self.entries)
        self.dropped.pop(vendor, None)

    def dropped_of(self, vendor: str | None) -> int:
        """How many calls of ``vendor`` (None: of every vendor) were pushed out; calls whose
        vendor is not known count for every vendor."""
        if vendor is None:
            return sum(self.dropped.values())
        return self.dropped.get(vendor, 0) + self.dropped.get(ANY_VENDOR, 0)


GLOBAL = ""
"""The journal's key for the global scope (a session's entries are kept under its id)."""


class Journal:
    """The request journal, kept per scope: the global one and each session's, each bounded by
    entries and bytes, so a busy session never pushes another's entries out."""

    name = "journal"

    def __init__(
        self,
        max_entries: int = 1000,
        max_bytes: int = 8 * 1024 * 1024,
        *,
        session_max_entries: int = 1000,
        session_max_bytes: int = 2 * 1024 * 1024,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.session_max_entries = session_max_entries
        self.session_max_bytes = session_max_bytes
        self.record_op: Recorder | None = None
        self._logs: dict[str, _Log] = {}

    def _log(self, scope: str) -> _Log:
        log = self._logs.get(scope)
        if log is None:
            if scope == GLOBAL:
                log = _Log(self.max_entries, self.max_bytes)
            else:
                log = _Log(self.session_max_entries, self.session_max_bytes)
            self._logs[scope] = log
        return log

    def fit(self, entry: Entry) -> None:
        """Cut the entry to fit its scope's bound now, as :meth:`record` would: the masking
        that takes may then run off the event loop (an entry no one else holds yet)."""
        bound = self.session_max_bytes if entry.session else self.max_bytes
        cut_to_fit(entry, lines_size(entry.headers), bound)

    def record(self, entry: Entry) -> None:
        """Add a call's entry to its scope's journal, each scope within its own bounds: one
        they leave no room for (``max_entries = 0``) is pushed out at once, and counted."""
        scope = entry.session or GLOBAL
        log = self._logs.get(scope)  # _log, spelt out for every call's path
        if log is None:
            log = self._log(scope)
        log.append(entry)
        if self.record_op is not None:
            self.record_op(self.name, "append", (entry.to_wire(),))

    def record_late(self, entry: Entry) -> None:
        """Add the entry of a call answered before some already journalled (one a shared store
        kept nothing of, ``core/unjournalled.py``) where its time puts it: readers list the
        journal newest first, and its bounds push out the oldest."""
        self._log(entry.session or GLOBAL).place(entry)
        if self.record_op is not None:  # the other processes place each entry they replay
            self.record_op(self.name, "append", (entry.to_wire(),))

    def pushed_out(self, scope: str | None, vendor: str, count: int) -> None:
        """Count ``count`` calls of ``vendor`` as pushed out of one scope's journal (None: the
        global one's) though they never were in it: entries of calls a shared store kept
        nothing of, which the process holding them let go (``core/unjournalled.py``)."""
        self._pushed_out(vendor, scope or GLOBAL, count)
        if self.record_op is not None:
            self.record_op(self.name, "pushed_out", (vendor, scope or GLOBAL, count))

    def _pushed_out(self, vendor: str, scope: str, count: int) -> None:
        dropped = self._log(scope).dropped
        dropped[vendor] = dropped.get(vendor, 0) + count

    def clear(self, *, scope: str | None = None, vendor: str | None = None) -> None:
        """Clear one scope's entries (None: the global scope's), of one vendor or all."""
        self._clear(vendor, scope or GLOBAL)
        if self.record_op is not None:
            self.record_op(self.name, "clear", (vendor, scope or GLOBAL))

    def _clear(self, vendor: str | None, scope: str) -> None:
        if vendor is None:
            self._logs.pop(scope, None)
        elif scope in self._logs:
            self._logs[scope].drop_vendor(vendor)

    def apply(self, operation: str, args: tuple[Any, ...]) -> None:
        if operation == "append":
            entry = Entry.from_wire(args[0])  # placed: maybe a call journalled late
            self._log(entry.session or GLOBAL).place(entry)
        elif operation == "clear":
            self._clear(args[0], args[1])
        elif operation == "pushed_out":
            self._pushed_out(args[0], args[1], args[2])
        else:
            raise ValueError(f"journal: unknown operation {operation!r}")

    def replace(self, entries: Iterable[Entry], dropped: Mapping[str, Mapping[str, int]]) -> None:
        """Hold these entries (oldest first, each in its scope's log), and nothing else: a
        shared store's reload, which hands back the entries it still knows, renderings kept,
        and how many each scope has dropped, by vendor (the store bounds its lists as a log
        does)."""
        self._logs = {}
        for scope, counts in dropped.items():  # a scope with none left counts them too
            self._log(scope).dropped = dict(counts)
        for entry in entries:  # re-bounded here as the store bounded them: adding to the count
            self._log(entry.session or GLOBAL).place(entry)  # the store's are in commit order

    def __len__(self) -> int:
        return sum(len(log.entries) for log in self._logs.values())

    def dropped(self, scope: str | None = EVERY, vendor: str | None = None) -> int:
        """How many calls of ``vendor`` (None: of any) one scope's journal (None: the global
        one's), or every scope's, has pushed out to keep within its bounds: calls no count
        can include any more."""
        if scope == EVERY:
            return sum(log.dropped_of(vendor) for log in self._logs.values())
        log = self._logs.get(scope or GLOBAL)
        return log.dropped_of(vendor) if log is not None else 0

    @property
    def bytes(self) -> int:
        return sum(log.bytes for log in self._logs.values())

    def entries(self, scope: str | None = EVERY) -> list[Entry]:
        """One scope's entries (None: the global scope), or every scope's, newest first."""
        if scope == EVERY:
            logs = list(self._logs.values())
        else:
            found = self._logs.get(scope or GLOBAL)
            logs = [found] if found is not None else []
        if len(logs) == 1:
            return list(reversed(logs[0].entries))
        return sorted((e for log in logs for e in log.entries), key=lambda e: e.at, reverse=True)

    def find(self, entry_id: str) -> Entry | None:
        for log in self._logs.values():
            for entry in log.entries:
                if entry.id == entry_id:
                    return entry
        return None

    def matching(
        self,
        vendor: str | None = None,
        operation: str | None = None,
        limit: int | None = None,
        scope: str | None = EVERY,
    ) -> list[Entry]:
        """Matching entries, newest first (``limit``: at most that many, 0 none)."""
        out: list[Entry] = []
        if limit is not None and limit <= 0:
            return out
        for entry in self.entries(scope):
            if vendor and entry.vendor != vendor:
                continue
            if operation and entry.operation != operation:
                continue
            out.append(entry)
            if limit is not None and len(out) >= limit:
                break
        return out
