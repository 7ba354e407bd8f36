"""What a shadow or a replay learns from a pair of answers to one request: the generated values
of the records both services accepted, each record paired with its own.

A batch answer lists its records, and the two services may take them otherwise: one refuses a
record the other accepts (a sandbox holding a customer from before the proxy started, a fault,
a rule the fake decides otherwise). A refused record's ID is no value either service made up for
that record (XTRA's ``Item1`` is the ID sent, or 0 for an insert), and learning it sent a later
update of the vendor's record to the fake as ID 0, or as another record's. And where an answer
lists only the records it accepted (KeepIT's ``insertedObjects``), pairing them by place paired
one customer of the vendor's with another of the fake's.

Each vendor whose answers list records a service may refuse one by one says where, how an entry
says it was accepted, and how the two answers' entries pair (``Vendor.listed_records``, a
:class:`~mockservers.core.listed.Listed`); :func:`learn` keeps the pairs both accepted.
"""

from __future__ import annotations

from typing import Any

from mockservers.core.generated import Translation
from mockservers.core.vendor import Vendor


def learn(translation: Translation, vendor: Vendor, first: Any, second: Any) -> None:
    """Teach ``translation`` the values of ``first`` (one service's answer, parsed JSON) that
    ``second`` (the other's to the same request) gives in their places: only those of records
    both accepted, and where either answer refuses something, only values not known yet
    (``Translation.learn``'s ``refused``)."""
    refused = bool(vendor.answer_refusals(first) or vendor.answer_refusals(second))
    listed = vendor.listed_records
    if listed is not None:
        first, second = listed.learnable(first, second)
    translation.learn(first, second, refused=refused)
