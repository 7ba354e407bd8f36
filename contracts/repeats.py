"""The detailed walk of a body that repeats itself: equal items of an array are walked once.

A broken connector sends one invalid row thousands of times, and the jsonschema package walks
each (about 50 µs a row). Here an array's items are grouped by their JSON (``key``), the first of
each group is walked, and each error found there stands for the same error at every equal
item. That is the plain walk's answer: an item's errors depend only on the item and on the
schema it is walked with. Two places would tell the difference, and are not left to chance:
an ``anyOf``/``oneOf`` keeps its branches' errors and picks the branch with the fewest
(``loader._leaves``), so a walk that met repeated items inside one is done again plainly; and
``prefixItems`` walks items by position, so an array under it is walked item by item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from itertools import product
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend

JsonPath = tuple[str | int, ...]


def key(value: Any, default: Any) -> Any:
    """``value`` as a dict key, equal for equal JSON values: its ``repr`` tells ``1`` from
    ``1.0`` and ``true`` and keeps the keys' order, which a message quoting the value shows.
    ``default`` (a key of its own) for a value it cannot write (an integer of more than 4,300
    digits)."""
    try:
        return repr(value)
    except (ValueError, RecursionError):
        return default


class _Repeats:
    """What one walk met: each array's groups of equal items, and each error found at the first
    of a group, with the arrays it was found through (an error in a repeated row's repeated
    sub-item was found through both)."""

    __slots__ = ("arrays", "found")

    def __init__(self) -> None:
        self.arrays: dict[int, tuple[list[Any], dict[int, list[int]] | None]] = {}
        self.found: dict[int, tuple[ValidationError, set[int]]] = {}

    def groups(self, array: list[Any]) -> dict[int, list[int]] | None:
        """The first index of each group of equal items -> the group's indices; None when no
        two items are equal. Worked out once per array and walk."""
        known = self.arrays.get(id(array))
        if known is None:
            groups: dict[Any, list[int]] = {}
            for index, item in enumerate(array):
                groups.setdefault(key(item, index), []).append(index)
            same = {each[0]: each for each in groups.values()}
            known = self.arrays[id(array)] = (array, same if len(same) < len(array) else None)
        return known[1]

    def note(self, error: ValidationError, array: list[Any]) -> None:
        found = self.found.get(id(error))
        if found is None:
            self.found[id(error)] = (error, {id(array)})
        else:
            found[1].add(id(array))

    def in_a_branch(self, errors: list[ValidationError]) -> bool:
        """Whether an error found at the first of a group is among an ``anyOf``'s or a
        ``oneOf``'s branch errors (counted there: the others are missing from the count)."""
        pending = [sub for error in errors for sub in error.context]
        while pending:
            sub = pending.pop()
            if id(sub) in self.found:
                return True
            pending.extend(sub.context)
        return False


_WALK: ContextVar[_Repeats | None] = ContextVar("contracts_repeats", default=None)
_ITEMS = Draft202012Validator.VALIDATORS["items"]


def _items(
    validator: Validator, items: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """The ``items`` keyword, walking the first of each group of equal items only."""
    repeats = _WALK.get()
    if (
        repeats is None
        or items is False
        or "prefixItems" in schema
        or not validator.is_type(instance, "array")
        or (groups := repeats.groups(instance)) is None
    ):
        yield from _ITEMS(validator, items, instance, schema)
        return
    for first in groups:
        for error in validator.descend(instance=instance[first], schema=items, path=first):
            repeats.note(error, instance)
            yield error


Walker = extend(Draft202012Validator, {"items": _items})
"""Draft 2020-12, whose ``items`` walks equal items once inside :func:`walk`."""

Copies = Callable[[JsonPath], Iterator[JsonPath]]


def walk(validator: Any, instance: Any) -> list[tuple[ValidationError, Copies | None]]:
    """The plain walk's errors (``validator``: a :data:`Walker`), each with what gives the
    paths it stands for (a path found at the first of equal items -> that path at each of
    them, the first included); None for an error that stands for itself."""
    repeats = _Repeats()
    token = _WALK.set(repeats)
    try:
        errors = list(validator.iter_errors(instance))
    finally:
        _WALK.reset(token)
    if not repeats.found:
        return [(error, None) for error in errors]
    if repeats.in_a_branch(errors):
        return [(error, None) for error in validator.iter_errors(instance)]

    def copies(through: set[int]) -> Copies:
        def paths(path: JsonPath) -> Iterator[JsonPath]:
            choices: list[Sequence[str | int]] = []
            node = instance
            for part in path:
                groups = repeats.arrays[id(node)][1] if id(node) in through else None
                choices.append((part,) if groups is None else groups[part])  # type: ignore[index]
                node = node[part]
            return product(*choices)

        return paths

    return [
        (error, copies(found[1]) if (found := repeats.found.get(id(error))) else None)
        for error in errors
    ]
