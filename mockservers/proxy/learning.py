"""What a shadow or a replay learns from a pair of answers to one request: the generated values
of the records both services accepted, each record paired with its own.

A batch answer lists its records, and the two services may take them otherwise: one refuses a
record the other accepts (a sandbox holding a customer from before the proxy started, a fault,
a rule the fake decides otherwise). A refused record's ID is no value either service made up for
that record (XTRA's ``Item1`` is the ID sent, or 0 for an insert), and learning it sent a later
update of the vendor's record to the fake as ID 0, or as another record's. And where an answer
lists only the records it accepted (KeepIT's ``insertedObjects``), pairing them by place paired
one customer of the vendor's with another of the fake's.

Per vendor, :data:`RECORDS` says where its answer lists its records, how an entry says it was
accepted, and how the two answers' entries pair; :func:`learn` keeps the pairs both accepted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mockservers.core.generated import Translation
from mockservers.core.vendor import Vendor


@dataclass(frozen=True)
class Listed:
    """Where an answer lists its records, one entry each: ``path`` (keys from the root);
    ``accepted_by``, the entry's field that is ``true`` for a record accepted (``""``: the list
    holds the accepted ones alone); ``paired_by``, the entry's field that names its record in
    both answers (``""``: both list every record, in the request's order)."""

    path: tuple[str, ...]
    accepted_by: str = ""
    paired_by: str = ""

    def learnable(self, first: Any, second: Any) -> tuple[Any, Any]:
        """The two answers with their lists cut to the pairs of entries both accepted, side by
        side (each answer copied where it changes)."""
        one, other = _listed(first, self.path), _listed(second, self.path)
        if one is None or other is None:
            return first, second
        kept = [(a, b) for a, b in self._pairs(one, other) if self._accepted(a, b)]
        return (
            _with(first, self.path, [a for a, _ in kept]),
            _with(second, self.path, [b for _, b in kept]),
        )

    def _pairs(self, one: list[Any], other: list[Any]) -> Iterator[tuple[Any, Any]]:
        """Entries side by side: by place, or each with the one naming the same record (the
        n-th of a name with the other's n-th: a record sent twice is listed twice)."""
        if not self.paired_by:
            yield from zip(one, other, strict=False)
            return
        waiting: dict[str, list[Any]] = {}
        for entry in other:
            waiting.setdefault(self._name(entry), []).append(entry)
        for entry in one:
            same = waiting.get(self._name(entry))
            if same:
                yield entry, same.pop(0)

    def _name(self, entry: Any) -> str:
        """The record an entry names, as written (``"2134"`` is not ``2134``)."""
        return repr(entry.get(self.paired_by) if isinstance(entry, dict) else None)

    def _accepted(self, *entries: Any) -> bool:
        if not self.accepted_by:
            return True
        return all(isinstance(e, dict) and e.get(self.accepted_by) is True for e in entries)


RECORDS: dict[str, Listed] = {
    # One record outcome per record sent, in order; Item3: true for one done.
    "xtra": Listed(("result", "records"), accepted_by="Item3"),
    # The customers inserted or updated alone (the others are in errorObjects and
    # duplicatedObjects, without a progId), each with the customerCode it was sent with.
    "keepit": Listed(("insertedObjects",), paired_by="customerCode"),
}
"""The vendors whose answers list records a service may refuse one by one. QuoParts's rows
need none: a refused row has no ``COD_CLI`` to learn."""


def learn(translation: Translation, vendor: Vendor, first: Any, second: Any) -> None:
    """Teach ``translation`` the values of ``first`` (one service's answer, parsed JSON) that
    ``second`` (the other's to the same request) gives in their places: only those of records
    both accepted, and where either answer refuses something, only values not known yet
    (``Translation.learn``'s ``refused``)."""
    refused = bool(vendor.answer_refusals(first) or vendor.answer_refusals(second))
    listed = RECORDS.get(vendor.name)
    if listed is not None:
        first, second = listed.learnable(first, second)
    translation.learn(first, second, refused=refused)


def _listed(answer: Any, path: tuple[str, ...]) -> list[Any] | None:
    for key in path:
        answer = answer.get(key) if isinstance(answer, dict) else None
    return answer if isinstance(answer, list) else None


def _with(answer: Any, path: tuple[str, ...], entries: list[Any]) -> Any:
    """``answer`` with ``entries`` at ``path``, the objects on the way copied."""
    if not path:
        return entries
    head, rest = path[0], path[1:]
    return {**answer, head: _with(answer[head], rest, entries)}
