"""Who holds each value a vendor keeps unique (an XTRA ExternalKey or Username, a KeepIT
customer code, e-mail, mapping or card): a model's index, never stored.

The vendor's rules never give one value to two records, but a state document, or the state an
earlier version of the kit kept (a state file, Redis), may hold one twice. Such a value names
the last of its holders in the collection's order, the order every store lists the records in:
a process that followed every update and one that read the state back find the same holder
(an index that kept whichever holder it met last found the one that process had written
last). A record that holds such a value is not refused it because another holds it too.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Generic, TypeVar

Value = TypeVar("Value", bound=Hashable)
Holder = TypeVar("Holder", bound=Hashable)


class UniqueIndex(dict[Value, Holder], Generic[Value, Holder]):
    """value -> the holder a look-up finds; ``shared``: for a value several records hold, its
    holders in the collection's order (the last of them is the one found)."""

    __slots__ = ("shared",)

    def __init__(self) -> None:
        super().__init__()
        self.shared: dict[Value, list[Holder]] = {}

    def change(
        self, old: Sequence[tuple[Value, Holder]], new: Sequence[tuple[Value, Holder]]
    ) -> None:
        """A record's values, each with its holder (the record, or its part that holds it), as
        they were (``old``: none for a new record) and as they are now, in the record's order.
        A holder that keeps a value keeps its place among the value's holders; one that gains
        it comes last (a new record: the vendor gives no record a value another holds)."""
        if not old:
            for value, holder in new:
                self._add(value, holder)
            return
        kept = set(old).intersection(new)
        for value, holder in old:
            if (value, holder) not in kept:
                self._drop(value, holder)
        for value, holder in new:
            if (value, holder) not in kept:
                self._add(value, holder)

    def add_free(self, values: Iterable[Value], holder: Holder) -> None:
        """``values``, none of which any record holds (the caller checked), now held by
        ``holder``: what ``change((), ...)`` does with them, in one native update (its
        look-ups are for values records hold, several of them perhaps)."""
        self.update(dict.fromkeys(values, holder))

    def holds(self, value: Value, holder: Holder) -> bool:
        """Whether ``holder`` holds ``value`` (found by it, or one of several holders)."""
        return self.get(value) == holder or holder in self.shared.get(value, ())

    def _add(self, value: Value, holder: Holder) -> None:
        holders = self.shared.get(value)
        if holders is not None:
            if holder in holders:  # a record that names the value twice
                return
            holders.append(holder)
        else:
            found = self.get(value)
            if found is not None and found != holder:
                self.shared[value] = [found, holder]
        self[value] = holder

    def _drop(self, value: Value, holder: Holder) -> None:
        holders = self.shared.get(value)
        if holders is None:
            if self.get(value) == holder:
                del self[value]
            return
        if holder in holders:
            holders.remove(holder)
        if len(holders) == 1:
            del self.shared[value]
        self[value] = holders[-1]


def listed(holders: Iterable[str]) -> str:
    """``a, b and c``: a shared value's holders as a warning names them, the one look-ups find
    last."""
    *first, last = holders
    return f"{', '.join(first)} and {last}"
