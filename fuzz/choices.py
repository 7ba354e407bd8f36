"""The choices a plug-in makes for one case, each taking its options about as often.

Hypothesis draws its simplest value (0, ``False``, a list's first element) far more often than
the others: drawn alone, a plug-in's choice leaned to its first option (KeepIT's, keeping the
generated credentials, had 42 and 54 of 100 positive cases answered 401 where up to a quarter
were meant; TS Digital sent its first minted token with 64 to 79 of 100). Each draw is offset
by a checksum of the case as generated: the same case makes the same choices, in this run
(Hypothesis replays a case to shrink it, and shrinks the draws) and in the next with the same
seed. docs/fuzzing.md gives the shares measured before and after.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from hypothesis import strategies as st
from schemathesis import Case

T = TypeVar("T")


class Choices:
    """The choices for ``case``, drawn with ``draw``. Made before the plug-in changes the case:
    what it puts in (XTRA's AccessToken, a new one each run) must not move the choices."""

    def __init__(self, draw: Callable[[Any], Any], case: Case) -> None:
        self.draw = draw
        self.checksum = _checksum(case)

    def one_of(self, options: Sequence[T], name: str = "") -> T:
        """One of ``options``. ``name`` tells apart the choices made for one case: each is
        offset by the checksum followed by its name, so that two do not always fall together."""
        drawn: int = self.draw(st.integers(0, len(options) - 1))
        return options[(drawn + zlib.crc32(name.encode(), self.checksum)) % len(options)]


def _checksum(case: Case) -> int:
    """The CRC32 of the case's headers, query and body: it differs from one generated case to
    the next, and is the same for the same case in any run."""
    generated = [case.headers, case.query, case.body]
    return zlib.crc32(json.dumps(generated, default=_plain).encode())


def _plain(value: Any) -> Any:
    """What JSON writes for ``value``: the headers (a ``CaseInsensitiveDict``) as a dict, anything
    else as its type's name, never an object's address (an absent body is ``NotSet``)."""
    return dict(value) if isinstance(value, Mapping) else type(value).__name__
