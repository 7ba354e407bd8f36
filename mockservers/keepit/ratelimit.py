"""A sliding-window call counter on the kit's clock (never wall time)."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable

from mockservers.core.clock import Clock


class RateLimiter:
    """At most ``calls`` per ``window`` seconds per key; older calls leave the window."""

    def __init__(self, clock: Clock, calls: int, window: float) -> None:
        self.clock = clock
        self.calls = calls
        self.window = window
        self._seen: dict[Hashable, deque[float]] = {}

    def hit(self, key: Hashable) -> float | None:
        """Count a call: None when allowed, else the seconds until one is allowed again."""
        now = self.clock.time()
        times = self._seen.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.calls:
            return times[0] + self.window - now
        times.append(now)
        return None

    def reset(self) -> None:
        self._seen = {}
