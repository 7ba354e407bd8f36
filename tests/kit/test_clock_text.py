"""The kit's instants as text: ``iso`` is ``datetime.isoformat`` with ``Z``, only cheaper, and
must stay equal to it to the microsecond (answers, tokens and the admin clock show it)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from mockservers.core.clock import iso


def _reference(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


EDGES = [
    0.0,
    1.0,
    0.5,
    1e-7,
    4.9999995e-7,
    0.9999995,
    1_700_000_000.0,
    1_700_000_000.0000005,
    1_700_000_000.9999996,
    1_764_547_200.123456,
    253_402_300_799.0,
    -1.5,
    -0.0000005,
]


@pytest.mark.parametrize("epoch", EDGES)
def test_iso_matches_isoformat_at_the_edges(epoch: float) -> None:
    assert iso(epoch) == _reference(epoch)


def test_iso_matches_isoformat_on_random_instants() -> None:
    draw = random.Random(7)
    for _ in range(20_000):
        epoch = draw.uniform(0, 4_102_444_800) + draw.choice((0, 0.5e-6, draw.random()))
        assert iso(epoch) == _reference(epoch), epoch


def test_iso_refuses_what_isoformat_refuses() -> None:
    with pytest.raises((OverflowError, OSError, ValueError)):
        _reference(1e20)
    with pytest.raises((OverflowError, OSError, ValueError)):
        iso(1e20)
