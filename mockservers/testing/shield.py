"""Admin work a cancelled test must still finish (opening or dropping its session), bounded.

anyio's shielded scope holds off anyio's and trio's cancellations until the work is done. A
plain asyncio cancellation (``asyncio.timeout``, ``asyncio.wait_for``, ``task.cancel()``, what
pytest-asyncio tests use) is thrown into the task whatever its scopes say, and it comes once:
so on asyncio the work runs as a task of its own, out of the cancellation's reach, and the
cancellation is raised when the work is over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
import sniffio

T = TypeVar("T")


async def shielded(
    seconds: float,
    work: Callable[[], Awaitable[T]],
    undo: Callable[[T], Awaitable[object]] | None = None,
) -> T:
    """``work()``, run to its end though the caller is cancelled meanwhile; ``TimeoutError``
    past ``seconds``. When a plain asyncio cancellation came in meanwhile, ``undo(result)``
    runs as shielded (the caller will never see the result) and the cancellation is raised."""
    with anyio.fail_after(seconds, shield=True) as scope:
        if sniffio.current_async_library() != "asyncio":
            return await work()
        result, cancelled = await _finished(asyncio.ensure_future(work()), scope)
        if cancelled is not None:
            if undo is not None:  # a second cancellation stopped the drop halfway
                await _finished(asyncio.ensure_future(undo(result)), scope)
            raise cancelled
        return result


async def _finished(
    task: asyncio.Future[T], scope: anyio.CancelScope
) -> tuple[T, asyncio.CancelledError | None]:
    """``task``'s result, awaited through the caller's cancellations, and the last of them
    (None: there was none); past the scope's deadline the task is stopped, its own cleanup
    done, and the cancellation raised (``fail_after`` makes it ``TimeoutError``)."""
    cancelled: asyncio.CancelledError | None = None
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError as exc:
            if scope.cancel_called:  # the bound, not the caller: stop the work
                task.cancel()
                with anyio.CancelScope(shield=True):
                    await asyncio.wait([task])
                raise
            cancelled = exc
    return task.result(), cancelled
