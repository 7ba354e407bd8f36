"""A stored record keeps what a call gave beside the fields the kit adds to it (ids, codes,
statuses, times). A given field named like one of the kit's own is kept too, apart: under
``sent``, which holds only those, so that neither hides the other."""

from __future__ import annotations

from collections.abc import Set
from typing import Any

SENT = "sent"
"""The key of a record's given fields that the kit's own fields would have hidden."""


def kit_fields(*names: str) -> frozenset[str]:
    """The names of the fields the kit adds to a record, ``sent`` among them."""
    return frozenset((*names, SENT))


def set_apart(given: dict[str, Any], own: Set[str]) -> dict[str, Any]:
    """``given`` (in place), its fields named like the kit's (``own``, from :func:`kit_fields`)
    moved under ``sent``: ready for the kit's own fields. The usual call gives none of them."""
    if not own.isdisjoint(given):
        clashing = [name for name in given if name in own]
        given[SENT] = {name: given.pop(name) for name in clashing}
    return given
