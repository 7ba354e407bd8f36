"""A sliding-window call counter on the kit's clock (never wall time).

The windows live in a shared map (one entry per caller, the times of its calls in the window),
so every process of one fake counts every call.
"""

from __future__ import annotations

from mockservers.core.clock import Clock
from mockservers.core.sessions import in_scope
from mockservers.core.shared import SharedMap


class RateLimiter:
    """At most ``calls`` per ``window`` seconds per key; older calls leave the window.

    A key starts with the caller's tenant, so that a scope's windows can be reset alone."""

    def __init__(self, clock: Clock, calls: int, window: float, shared: SharedMap) -> None:
        self.clock = clock
        self.calls = calls
        self.window = window
        self._seen = shared

    def hit(self, key: str) -> float | None:
        """Count a call: None when allowed, else the seconds until one is allowed again."""
        now = self.clock.time()
        times = [t for t in self._seen.get(key, ()) if t > now - self.window]
        if len(times) >= self.calls:
            return times[0] + self.window - now
        times.append(now)
        self._seen.put(key, times)
        return None

    def reset(self, scope: str | None) -> None:
        for key in [k for k in self._seen if in_scope(k, scope)]:
            self._seen.delete(key)
