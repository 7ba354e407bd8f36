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


def apart(given: dict[str, Any], own: Set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``given``'s fields named like none of the kit's (``own``, from :func:`kit_fields`), and
    those named like one: the record keeps the first beside the kit's fields and the second
    under ``sent`` (:func:`keep_sent`). The usual call gives none of them: ``given`` itself."""
    if own.isdisjoint(given):
        return given, {}
    mine = {name: value for name, value in given.items() if name not in own}
    return mine, {name: value for name, value in given.items() if name in own}


def keep_sent(record: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """``record`` with the given fields its own names hid under ``sent``, if any."""
    if sent:
        record[SENT] = sent
    return record
