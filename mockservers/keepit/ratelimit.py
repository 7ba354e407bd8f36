"""A sliding-window call counter on the kit's clock (never wall time), on the kit's shared
windows: every process of one fake counts every call."""

from __future__ import annotations

from mockservers.core.clock import Clock
from mockservers.core.windows import Windows


class RateLimiter:
    """At most ``calls`` per ``window`` seconds per key; older calls leave the window.

    A key starts with the caller's tenant, so that a scope's windows can be reset alone."""

    def __init__(self, clock: Clock, calls: int, window: float, windows: Windows) -> None:
        self.clock = clock
        self.calls = calls
        self.window = window
        self._windows = windows

    def hit(self, key: str) -> float | None:
        """Count a call: None when allowed, else the seconds until one is allowed again."""
        now = self.clock.time()
        cutoff = now - self.window
        times = self._windows.times(key, cutoff)
        if len(times) >= self.calls:
            return times[0] + self.window - now
        self._windows.hit(key, now, cutoff)
        return None

    def reset(self, scope: str | None) -> None:
        self._windows.reset(scope)
