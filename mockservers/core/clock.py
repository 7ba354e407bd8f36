"""The kit's one clock. Tokens, timestamps and processing delays all read it.

By default it follows wall time from the moment the app starts; ``advance`` moves it forward
(``POST /__admin/clock``) and ``reset`` brings it back to its start. ``frozen=True`` stops it,
so that only ``advance`` moves it (fully deterministic timestamps).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._configured_start = start
        self.frozen = frozen
        self.reset()

    def reset(self) -> None:
        """Back to the start instant (the configured one, or now) with no advance."""
        start = self._configured_start or datetime.now(UTC).replace(microsecond=0)
        self._start = start.astimezone(UTC)
        self._start_epoch = self._start.timestamp()
        self._anchor = time.monotonic()
        self._offset = 0.0

    def time(self) -> float:
        """Seconds since the epoch on the kit's clock."""
        elapsed = 0.0 if self.frozen else time.monotonic() - self._anchor
        return self._start_epoch + elapsed + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        try:
            datetime.fromtimestamp(self.time() + seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError("the clock cannot move past the year 9999") from None
        self._offset += seconds
        return self.now()

    def isoformat(self) -> str:
        return self.now().isoformat().replace("+00:00", "Z")

    def after(self, seconds: float) -> datetime:
        return self.now() + timedelta(seconds=seconds)
