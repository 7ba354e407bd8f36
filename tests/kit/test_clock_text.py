"""The kit's instants as text: ``iso`` is ``datetime.isoformat`` with ``Z``, only cheaper, and
must stay equal to it to the microsecond (answers, tokens and the admin clock show it)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from mockservers.core.clock import Clock, iso, to_micros


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
    8_999_999_999.999999,  # to_micros's float sums end at 9e9 (core/clock.py's _EXACT)
    9_000_000_000.000003,
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


def _read_back(epoch: float) -> float:
    """The instant a reader of ``iso(epoch)`` takes (another process, a restart)."""
    return datetime.fromisoformat(iso(epoch).replace("Z", "+00:00")).timestamp()


@pytest.mark.parametrize("epoch", EDGES)
def test_to_micros_is_the_instant_iso_writes(epoch: float) -> None:
    assert to_micros(epoch) == _read_back(epoch)
    assert iso(to_micros(epoch)) == iso(epoch)


def test_to_micros_is_the_instant_iso_writes_on_random_instants() -> None:
    draw = random.Random(11)
    for _ in range(20_000):
        epoch = draw.uniform(0, 4_102_444_800) + draw.choice((0, 0.5e-6, draw.random()))
        assert to_micros(epoch) == _read_back(epoch), epoch
        assert iso(to_micros(epoch)) == iso(epoch), epoch


def test_to_micros_is_the_instant_iso_writes_either_side_of_its_float_sums() -> None:
    """Below 9e9 ``to_micros`` adds up floats, above it integers: the same instants either way."""
    draw = random.Random(13)
    for _ in range(5_000):
        epoch = draw.uniform(8.9e9, 9.1e9) + draw.choice((0, 0.5e-6, draw.random()))
        assert to_micros(epoch) == _read_back(epoch), epoch


def test_the_clock_reads_the_microsecond_its_text_shows() -> None:
    """A wall of nanoseconds: the clock read a fraction of a microsecond past its text, and a
    rule decided on an instant no answer showed."""
    wall = [1_774_745_100.0]
    clock = Clock(wall=lambda: wall[0])
    for fraction in (0.0000004, 0.0000006, 0.9999996, 0.25):
        wall[0] = 1_774_745_100.0 + fraction
        assert clock.time() == _read_back(clock.time())
        assert iso(clock.time()) == clock.isoformat()


def test_an_advance_moves_the_clock_by_whole_microseconds() -> None:
    start = datetime(2026, 3, 29, 0, 45, tzinfo=UTC)
    clock = Clock(start, frozen=True)
    assert clock.advance(29.9999995).isoformat() == "2026-03-29T00:45:30+00:00"  # half to even
    assert clock.time() == start.timestamp() + 30
    for _ in range(3):  # less than half a microsecond each: never a move
        clock.advance(0.0000004)
    assert clock.isoformat() == "2026-03-29T00:45:30Z"
