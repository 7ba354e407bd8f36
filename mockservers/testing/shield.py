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
import logging
import os
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import anyio
import sniffio

T = TypeVar("T")
log = logging.getLogger("mockservers")


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
    see the result), on that worker, if the process still runs then (it does not wait for it
    to exit). Elsewhere,
    ``work()`` as it is."""
    if threading.current_thread() is not threading.main_thread():
        return work()
    outcome: _Outcome[T] = _Outcome(work)
    try:  # an interruption anywhere in here, even as the work is handed over, undoes it
        _workers().submit(outcome.run)
        while not outcome.done.wait(_HEARING):
            pass
        return outcome.result()
    except BaseException:
        outcome.abandon(undo)
        raise


class _Outcome(Generic[T]):
    """A sheltered work, what it gave, and who undoes it once its caller is gone."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work
        self._context = contextvars.copy_context()  # the caller's (a tracer's span…)
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._value: Any = None
        self._error: BaseException | None = None
        self._undo: Callable[[T], object] | None = None

    def run(self) -> None:
        """The work, on a worker; then its undoing, when its caller is gone meanwhile."""
        try:
            value = self._context.run(self._work)
        except BaseException as exc:
            self._error = exc
            self.done.set()
            return
        with self._lock:
            self._value = value
            self.done.set()
            undo = self._undo
        if undo is not None:
            self._undoing(undo, value)

    def abandon(self, undo: Callable[[T], object]) -> None:
        """The caller is gone: ``undo`` what the work did, now if it is over, else as it ends
        (never, if it never began or failed)."""
        with self._lock:
            if not self.done.is_set():
                self._undo = undo
                return
        if self._error is None:
            self._undoing(undo, self._value)

    def _undoing(self, undo: Callable[[T], object], value: T) -> None:
        try:
            self._context.run(undo, value)
        except Exception:  # on a worker, nobody would hear of it
            log.warning("could not undo what an interrupted call did", exc_info=True)

    def result(self) -> T:
        if self._error is not None:
            raise self._error
        return self._value


_HEARING = 0.05
"""How long the caller waits at a time for a sheltered work: a signal that comes just before
a wait begins is heard only once that wait ends (CPython runs handlers when a wait is
interrupted, and that one was not), so that Ctrl-C waited for the whole call."""


class _Workers:
    """The daemon threads :func:`sheltered` runs its work on. Daemons: the interpreter does
    not wait for them as it exits, where a pool's threads held a process interrupted in an
    open against a kit that never answers for the client's whole timeout, or for ever without
    one (the session it may open then stays until its TTL). One starts when none is idle, so
    a work stuck so holds up no other; an idle one is reused (a thread started for each work
    cost a session 1.5 ms of wall time, as much as all the rest)."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        """Threads waiting for a job, less the jobs queued for them."""

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            start = self._idle == 0
            if not start:
                self._idle -= 1
        self._jobs.put(job)
        if start:
            threading.Thread(target=self._serve, name="mockservers-admin", daemon=True).start()

    def _serve(self) -> None:
        while True:
            self._jobs.get()()
            with self._lock:
                self._idle += 1


_pool: tuple[int, _Workers] | None = None


def _workers() -> _Workers:
    """The workers, made again in a forked process, which has none of its parent's threads.
    Only the main thread asks: no lock."""
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), _Workers())
    return _pool[1]
