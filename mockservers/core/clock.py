"""The kit's one clock. Tokens, timestamps and processing delays all read it.

By default it follows wall time from the moment the app starts; ``advance`` moves it forward
(``POST /__admin/clock``) and ``reset`` brings it back to its start. ``frozen=True`` stops it,
so that only ``advance`` moves it (fully deterministic timestamps). It reads, and moves, to the
microsecond its text shows (``iso``): a rule never compares a fraction of one that no answer,
stored instant or other process shows.

A session has its own offset: inside a session's call (``sessions.CURRENT``) the clock reads
start + elapsed + that session's offset, so one test's ``advance`` never expires another's
tokens. The start, the global offset and the sessions live in shared maps, so every process of
one fake reads the same time.

A vendor call reads it once (``Clock.hold``, by the pipeline): its token check, rate limit,
written times, ``Date`` and journal entry all show the instant the call began, and the next
call reads the clock afresh (an ``advance`` between two calls is seen by the second).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from email.utils import formatdate
from functools import lru_cache

from mockservers.core import sessions
from mockservers.core.shared import SharedMap

LATEST = datetime(9000, 1, 1, tzinfo=UTC)
"""The latest instant the kit's clock may start at or be moved to: what time then adds (a token's
lifetime, a processing delay: at most 100 years each) still fits before the year 9999 ends,
past which no date can be written."""
LAST_WRITABLE = datetime(9999, 1, 1, tzinfo=UTC)
"""The latest instant a running clock may show and still date what it writes: a clock started
or moved up to ``LATEST`` runs on past it, and its state file keeps what it shows."""
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
"""The earliest clock start: the kit's instants are seconds since then, and the vendors' texts
(XTRA's ``requestTime``, ``yyyy-MM-dd HH:mm:ss``) write four-digit years."""

TICK = 1e-6
"""The clock's unit, a microsecond: the least time it reads or moves by, so the shortest
lifetime, delay or window that lasts at all."""


def _micros(epoch: float) -> tuple[int, int]:
    """An epoch as (whole seconds, microseconds), the microseconds rounded as ``fromtimestamp``
    rounds them (half to even, carried into the second)."""
    fraction, whole = math.modf(epoch)
    micros = round(fraction * 1e6)
    if micros >= 1_000_000:
        whole, micros = whole + 1, micros - 1_000_000
    elif micros < 0:
        whole, micros = whole - 1, micros + 1_000_000
    return int(whole), micros


def iso(epoch: float) -> str:
    """``datetime.fromtimestamp(epoch, UTC).isoformat()`` with ``Z`` for ``+00:00``, each second
    formatted once: the microseconds rounded as ``fromtimestamp`` rounds them (half to even,
    carried into the second), the date and time of day cached per second."""
    whole, micros = _micros(epoch)
    second = _iso_second(whole)
    return f"{second}.{micros:06d}Z" if micros else f"{second}Z"


def to_micros(epoch: float) -> float:
    """The instant ``iso(epoch)`` writes, in epoch seconds: what a reader of that text takes it
    for (``datetime.fromisoformat(...).timestamp()``, the same float). The kit's clock and the
    instants it keeps are rounded so: a rule then compares the instants an answer, the stored
    state or another process shows, never a fraction of a microsecond none of them shows."""
    if 0.0 <= epoch < _EXACT:  # every read of the clock: floats, no tuple, no big integers
        whole = epoch // 1.0
        return (whole * 1e6 + round((epoch - whole) * 1e6)) / 1e6
    whole, micros = _micros(epoch)
    return (whole * 1_000_000 + micros) / 1_000_000


_EXACT = 9e9
"""Below it (the year 2255), an instant's microseconds are a whole number under 2**53, which a
float holds exactly: ``to_micros`` sums them as floats, with the same result as in integers
(whose true division of numbers that small is a float division), and half the cost."""


@lru_cache(maxsize=64)
def _iso_second(epoch: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` of a whole second; raises as ``fromtimestamp`` does out of range."""
    return datetime.fromtimestamp(epoch, UTC).isoformat().removesuffix("+00:00")


@lru_cache(maxsize=64)
def _http_date(second: int) -> bytes:
    """The ``Date`` header's value (RFC 9110's IMF-fixdate) of a whole second."""
    return formatdate(second, usegmt=True).encode("ascii")


@lru_cache(maxsize=64)
def date_header(second: int) -> tuple[bytes, bytes]:
    """The ``Date`` header of an answer given in a whole second, as an ASGI header (one
    tuple a second, shared by the answers and the journal entries that keep them)."""
    return (b"date", _http_date(second))


def http_date(instant: float) -> bytes:
    """The ``Date`` header's value of an instant (epoch seconds) of the kit's clock."""
    return _http_date(int(instant))


_HELD: ContextVar[tuple[Clock, float] | None] = ContextVar("mockservers_clock_held", default=None)
"""The clock a call holds and the instant it read (``Clock.hold``); None outside a call."""


class Clock:
    def __init__(
        self,
        start: datetime | None = None,
        *,
        frozen: bool = False,
        shared: SharedMap | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._configured_start = start
        self.frozen = frozen
        self._wall = wall
        self._state = shared if shared is not None else SharedMap("clock")
        self.sessions: sessions.Sessions | None = None
        """Set by the app: a session's clock offset is kept with the session."""
        self.reset()
        self._own = dict(self._state.data)
        """The clock this process started on, before a shared store gave it the kit's."""

    def reset(self) -> None:
        """The global clock back to the start instant with no advance: the configured one; or,
        with none, now, to the microsecond (a running clock is never behind the wall: a start
        cut to the second read up to a second behind it, and a reset whose wall had a larger
        fraction than the last took the clock back), or for a frozen clock the instant it first
        stood at, a whole second (it only moves when advanced: a reset does not move it to the
        wall's time, and its instants read in whole seconds until an advance says otherwise).

        Only the global offset moves: the base every scope reads (``start`` + wall time elapsed
        since ``started_at``) is laid once, so a global reset leaves each session's clock where
        it was (a session's time is that base plus its own offset).
        """
        now = self._wall()
        state = self._state.data
        if self._configured_start is not None:
            target = self._configured_start.astimezone(UTC).timestamp()
        elif self.frozen:
            target = state.get("start", float(int(now)))
        else:
            target = now
        base = {"start": state.get("start", target), "started_at": state.get("started_at", now)}
        # The base is written again as it is (a shared store seeding a fresh kit takes what a
        # reset writes), and only the offset moves.
        self._state.put("start", base["start"])
        self._state.put("started_at", base["started_at"])
        self._state.put("offset", target - self._base(base, now))

    def _base(self, state: dict[str, float], now: float) -> float:
        elapsed = 0.0 if self.frozen else now - state["started_at"]
        return state["start"] + elapsed

    def reads(self, kept: dict[str, float]) -> float:
        """The instant the global clock shows now with the shared values ``kept`` (``start``,
        ``started_at``, ``offset``: those a state file kept), before they are put in."""
        return self._base(kept, self._wall()) + kept["offset"]

    def hold(self) -> Token[tuple[Clock, float] | None]:
        """Read the clock of the current scope once for the call that starts: until
        :meth:`release`, every reading of this clock in this context is that instant (a call's
        token check, written times, ``Date`` and journal entry agree, and the clock is read
        once instead of three or four times). Only a vendor call holds it, and nothing moves the
        clock inside one (``advance`` is the admin API's)."""
        return _HELD.set((self, self.time()))

    def release(self, held: Token[tuple[Clock, float] | None]) -> None:
        """The call is over: the clock is read afresh again."""
        _HELD.reset(held)

    def time(self) -> float:
        """Seconds since the epoch on the kit's clock (the current session's, if any), to the
        microsecond: the instant its text (``isoformat``) shows; inside a call, the instant the
        call read (:meth:`hold`)."""
        held = _HELD.get()
        if held is not None and held[0] is self:
            return held[1]
        state = self._state.data
        session = sessions.CURRENT.get()
        offset = state["offset"] if session is None else session["clock_offset"]
        # _base, inline (every call reads the clock, some twice); the same arithmetic.
        elapsed = 0.0 if self.frozen else self._wall() - state["started_at"]
        return to_micros(state["start"] + elapsed + offset)

    def from_own(self, instant: float) -> float:
        """What ``instant``, read on the clock this process started on, reads on the global
        clock as it is now: the same moment of the wall (a process that started without its
        shared store answered on its own clock until it read the kit's)."""
        own, kit = self._own, self._state.data
        moved = self._base(kit, 0.0) + kit["offset"] - self._base(own, 0.0) - own["offset"]
        return to_micros(instant + moved)

    def in_session(self, instant: float, session: sessions.Session) -> float:
        """What ``instant`` of the global clock reads on ``session``'s (each scope's clock is
        the same base moved by its own offset)."""
        return to_micros(instant - self._state.data["offset"] + session["clock_offset"])

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> datetime:
        """Move the current scope's clock forward (a session's, or the global one) by whole
        microseconds, the least move its text shows (``seconds`` rounded to one)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        seconds = to_micros(seconds)
        if self.time() + seconds > LATEST.timestamp():
            raise ValueError(f"the clock cannot move past {LATEST:%Y-%m-%d}")
        session = sessions.CURRENT.get()
        if session is None:
            self._state.put("offset", self._state.data["offset"] + seconds)
            return self.now()
        assert self.sessions is not None, "sessions are attached by the app"
        offset = self.sessions.fresh(session)["clock_offset"]
        updated = self.sessions.update(session, clock_offset=offset + seconds)
        sessions.CURRENT.set(updated)  # the rest of this call reads the moved clock
        return self.now()

    def isoformat(self) -> str:
        return iso(self.time())

    def http_date(self) -> bytes:
        """An answer's ``Date`` on the clock of the current scope, formatted once a second."""
        return _http_date(int(self.time()))
