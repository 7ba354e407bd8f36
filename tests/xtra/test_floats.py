"""XTRA's look for a float before its body is walked (``responses._may_hold_float``): it may
answer yes for a body without one (the walk then changes nothing), never no for one with."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mockservers.xtra.responses import _may_hold_float

NUMBER_LIKE = st.text(alphabet="0123456789eE.-+:,[ x", max_size=12)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)  # JSON has neither
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | FLOATS | NUMBER_LIKE,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NUMBER_LIKE, inner, max_size=4),
    max_leaves=12,
)
SPACING = st.sampled_from([(",", ":"), (", ", ": "), (" ,\n", " :\t"), (",\r\n ", "\n:")])


def holds_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(holds_float(v) for v in value.values())
    return isinstance(value, list) and any(holds_float(v) for v in value)


@given(VALUES, SPACING, st.sampled_from(["", " ", "\n\t"]))
def test_a_body_holding_a_float_is_always_walked(value: Any, spacing: Any, lead: str) -> None:
    text = lead + json.dumps(value, separators=spacing)
    if holds_float(value):
        assert _may_hold_float(text.encode())


def test_strings_that_look_like_numbers_are_no_float() -> None:
    """The bench's keys (``X0x55e1...``), an e-mail, a decimal inside a text: not walked."""
    body = [{"ExternalKey": "X0x55e1c3a0-1", "Value": "x5e1@rossi.it", "Note": "1.5", "N": 12}]
    assert not _may_hold_float(json.dumps(body).encode())
    assert _may_hold_float(b"1e3") and _may_hold_float(b" -0.5")
