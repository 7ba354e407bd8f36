"""The work a large answer takes, off the event loop.

Judging, masking, comparing and recording an answer read its JSON whole, in Python: for an
answer of 12 MB that held the event loop for seconds, and every other call through the proxy
waited (the fakes it serves too). From :data:`LARGE` bytes on, that work runs in a thread;
below, in place (a thread would cost a small answer more than the work).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

LARGE = 1024 * 1024
"""The body size (decoded) from which an answer's work runs in a thread."""


async def off_loop(size: int, work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` for an answer of ``size`` bytes: in a thread when it is large."""
    if size < LARGE:
        return work(*args)
    return await asyncio.to_thread(work, *args)
