"""Where a batch answer lists its records, one entry each, and how two services' answers to one
request pair their entries: what a shadow or a replay learns generated values from
(``mockservers.proxy.learning``), keeping only the records both services accepted. A vendor
declares it on its class (``Vendor.listed_records``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


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
