"""A sliding-window call counter on the kit's clock (never wall time).

The windows live in a shared map, so every process of one fake counts every call. A window is
a queue kept as map entries: ``key`` holds its bounds ``{"head", "next"}`` and ``key␞n`` the
time of its n-th counted call. A call writes one time and the bounds, and deletes the times
that left the window: constant work however many calls the window holds (a window kept as one
list was rewritten whole on every call, which a configured limit of millions made slow).
"""

from __future__ import annotations

from mockservers.core.clock import Clock
from mockservers.core.sessions import in_scope
from mockservers.core.shared import SharedMap

_AT = "\x1e"


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
        seen = self._seen
        bounds = seen.get(key)
        head, after = (bounds["head"], bounds["next"]) if bounds else (0, 0)
        first = head
        while head < after and seen[f"{key}{_AT}{head}"] <= now - self.window:
            seen.delete(f"{key}{_AT}{head}")
            head += 1
        if after - head >= self.calls:
            if head != first:
                seen.put(key, {"head": head, "next": after})
            return seen[f"{key}{_AT}{head}"] + self.window - now
        seen.put(f"{key}{_AT}{after}", now)
        seen.put(key, {"head": head, "next": after + 1})
        return None

    def reset(self, scope: str | None) -> None:
        for key in [k for k in self._seen if in_scope(k, scope)]:
            self._seen.delete(key)
