"""Admin work a cancelled or interrupted test must still finish (opening or dropping its
session), bounded.

anyio's shielded scope holds off anyio's and trio's cancellations until the work is done. A
plain asyncio cancellation (``asyncio.timeout``, ``asyncio.wait_for``, ``task.cancel()``, what
pytest-asyncio tests use) is thrown into the task whatever its scopes say, and it comes once:
so on asyncio the work runs as a task of its own, out of the cancellation's reach, and the
cancellation is raised when the work is over.

A sync test is interrupted by an exception a signal's handler raises in the main thread
(Ctrl-C's ``KeyboardInterrupt``, a timeout plugin's failure): there the work runs on a worker
thread, out of its reach, and what it did is undone once it is over (:func:`sheltered`).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
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


def sheltered(work: Callable[[], T], undo: Callable[[T], object]) -> T:
    """``work()``, run by a worker thread when called on the main thread, the only one a
    signal's handler raises in: when the caller is interrupted meanwhile, the interruption is
    raised at once and ``undo(result)`` runs as soon as the work is done (the caller will never
    see the result), on that worker, which the interpreter waits for as it exits. Elsewhere,
    ``work()`` as it is."""
    if threading.current_thread() is not threading.main_thread():
        return work()
    context = contextvars.copy_context()  # the caller's context vars (a tracer's span…)
    future = _workers().submit(context.run, work)
    try:
        return future.result()
    except BaseException:
        future.add_done_callback(functools.partial(_undone, context, undo))
        raise


def _undone(context: contextvars.Context, undo: Callable[[T], object], done: Future[T]) -> None:
    """``undo`` what a work abandoned by its caller did, if it did it."""
    if not done.cancelled() and done.exception() is None:
        context.run(undo, done.result())


_pool: tuple[int, ThreadPoolExecutor] | None = None


def _workers() -> ThreadPoolExecutor:
    """The workers :func:`sheltered` runs its work on (a thread started each time cost a
    session 1.5 ms of wall time, as much as all the rest), made again in a forked process,
    which has none of its parent's threads. Only the main thread asks: no lock."""
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), ThreadPoolExecutor(2, thread_name_prefix="mockservers-admin"))
    return _pool[1]
