"""Sliding windows of call times (rate limits), replicated by operations.

Each key holds the times of its calls still in the window, oldest first. A call records one
operation, ``hit(key, now, cutoff)``: drop the times at or before ``cutoff``, append ``now``;
every copy replays it and ends with the same window. So a hit costs O(1) amortised however long
the window, and a shared store sends one number per call, not the window (Redis keeps each
window as a sorted set).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from mockservers.core.sessions import in_scope
from mockservers.core.shared import Recorder


class Windows:
    """Per key, the times of the calls in its window (a replicated object)."""

    def __init__(self, name: str, record: Recorder | None = None) -> None:
        self.name = name
        self.record = record
        self.data: dict[str, deque[float]] = {}

    def times(self, key: str, cutoff: float) -> deque[float]:
        """The key's call times after ``cutoff``, oldest first."""
        times = self.data.get(key)
        if times is None:
            return deque()
        while times and times[0] <= cutoff:
            times.popleft()
        return times

    def hit(self, key: str, now: float, cutoff: float) -> None:
        self._hit(key, now, cutoff)
        if self.record is not None:
            self.record(self.name, "hit", (key, now, cutoff))

    def _hit(self, key: str, now: float, cutoff: float) -> None:
        times = self.times(key, cutoff)
        times.append(now)
        self.data[key] = times

    def drop(self, key: str) -> None:
        if self.data.pop(key, None) is not None and self.record is not None:
            self.record(self.name, "drop", (key,))

    def reset(self, scope: str | None) -> None:
        for key in [k for k in self.data if in_scope(k, scope)]:
            self.drop(key)

    def apply(self, operation: str, args: tuple[Any, ...]) -> None:
        if operation == "hit":
            self._hit(args[0], args[1], args[2])
        elif operation == "drop":
            self.data.pop(args[0], None)
        else:
            raise ValueError(f"{self.name}: unknown operation {operation!r}")
