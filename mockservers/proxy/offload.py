"""The work a large answer takes, off the event loop.

Judging, masking, comparing and recording an answer read its JSON whole, in Python: for an
answer of 12 MB that held the event loop for seconds, and every other call through the proxy
waited (the fakes it serves too). From :data:`LARGE` bytes on, that work runs in a thread;
below, in place (a thread would cost a small answer more than the work). So does a large
request's: its judging, and with ``--shadow`` its reading for the fake (``shadow.py``).

A thread frees the loop between Python's steps, not during one: orjson holds the interpreter
while it parses, and a 12 MB body's parse (0.3 s) still holds up the loop as long.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

LARGE = 1024 * 1024
"""The body size (decoded) from which an answer's work runs in a thread."""


def large(size: int) -> bool:
    """Whether the work on a body of ``size`` bytes runs in a thread."""
    return size >= LARGE


async def off_loop(size: int, work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` for an answer of ``size`` bytes: in a thread when it is large."""
    if not large(size):
        return work(*args)
    return await asyncio.to_thread(work, *args)
