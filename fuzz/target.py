"""Where generated requests go: an httpx client on a base URL, with a budget and a dry-run mode,
and the manners a shared sandbox asks for: a pace (``--rate-limit``) and patience with a 429.

The active target is kept in a context variable while a suite or the harness runs, so that
vendor-aware checks (plain Schemathesis checks, with no room for extra arguments) can ask the
vendor plug-in what it knows, such as which tokens it was given.

Time goes through two injectable callables, ``clock`` (seconds, monotonic) and ``sleep``, so
that tests move a fake's clock instead of waiting on the wall. ``timeout`` (``--timeout``) is a
real call's own limit, on the wall's time (``fuzz.deadline``).

A call that gets no whole answer (a dropped connection, no answer in time, a body whose
``Content-Encoding`` does not decode) raises :class:`CallFailed`, which the runner turns into
the case's failed check; a target that can no longer send (its budget spent, the server still
answering 429 after the retries, no answer to the run's first request) raises
:class:`Stopped` instead, and says why in :attr:`Target.stop_reason`.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx

from fuzz.deadline import Call, Deadline
from fuzz.dispatch import RealRequest

if TYPE_CHECKING:
    from fuzz.plugins import VendorPlugin

Clock = Callable[[], float]
Sleep = Callable[[float], None]

RETRIES = 3
"""How many times the harness resends a request answered 429 it can wait out (a usable
``Retry-After``, or the vendor's call window); still 429 after them, the run stops."""
LONGEST_WAIT = 300
"""A ``Retry-After`` longer than this (seconds) is not a wait the harness takes as given."""
_SECONDS = re.compile(r"[0-9]+")


class Stopped(Exception):
    """The target sends nothing more (:attr:`Target.stop_reason` says why)."""


class CallFailed(Exception):
    """A call that got no whole answer: ``check`` is the check it fails (``transport``: no
    answer; ``content_encoding``: an answer whose body does not decode, ``response``), and
    ``status`` the status seen (0: none); the message says why."""

    def __init__(
        self, check: str, status: int, message: str, response: httpx.Response | None = None
    ) -> None:
        super().__init__(message)
        self.check = check
        self.status = status
        self.response = response


@dataclass(frozen=True)
class Exchange:
    """One request as it went on the wire and its answer (``None``: no complete answer, then
    ``error`` says why; with ``error``, an answer whose body could not be read), for a recorder
    such as the harness's HAR file."""

    request: httpx.Request
    response: httpx.Response | None
    started: datetime
    duration_ms: float
    error: str | None = None


class Pacer:
    """At most ``rate`` requests per second: each request waits for its slot, one every
    ``1/rate`` seconds (a token bucket holding a single token, so there is never a burst)."""

    def __init__(self, rate: float, clock: Clock, sleep: Sleep) -> None:
        if not rate > 0:
            raise ValueError("the rate must be a positive number of requests per second")
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self._next: float | None = None
        self.waited = 0.0

    def wait(self) -> None:
        """Sleep until this request's slot. The slot is computed, not re-read from the clock,
        so a clock that sleeping does not move (a test's) still gets the right waits."""
        now = self.clock()
        slot = now if self._next is None else max(now, self._next)
        if slot > now:
            self.sleep(slot - now)
            self.waited += slot - now
        self._next = slot + self.interval


def retry_after(response: httpx.Response) -> int | None:
    """The seconds a 429 asks to wait, when they can be waited out: a ``Retry-After`` in whole
    seconds, from 1 to :data:`LONGEST_WAIT`. ``None`` for any other answer (an HTTP-date, 0, a
    malformed value: the checks judge those)."""
    if response.status_code != 429:
        return None
    value = response.headers.get("Retry-After", "").strip()
    if not _SECONDS.fullmatch(value):
        return None
    seconds = int(value)
    return seconds if 1 <= seconds <= LONGEST_WAIT else None


@dataclass
class Politeness:
    """What the target did to stay within the server's limits, for the harness's summary."""

    retry_waits: list[int] = field(default_factory=list)
    window_waits: int = 0
    """How many of them had no usable ``Retry-After``: the vendor's call window was waited."""
    still_limited: int = 0

    @property
    def waited_seconds(self) -> int:
        return sum(self.retry_waits)


class Target:
    """Sends real requests for one vendor, counted against ``budget``; ``dry_run`` sends none.

    ``rate`` (requests per second) paces every request, the login and each retry included.
    ``retries``: a 429 with a usable ``Retry-After`` (:func:`retry_after`), or without one for
    a vendor whose plug-in knows its call window (``window_seconds``: KeepIT's), is waited out
    through ``sleep`` and the same request sent again, up to that many times; the waited-out
    429 never reaches the checks (each attempt counts against the budget, and goes to
    ``record``). Still 429 after them, the answer goes to the checks and the target stops:
    going on would only keep the server's window full. The in-process suites keep
    ``retries=0``: there a 429 is an answer to judge.

    ``timeout``: how long each call may take, its answer read whole (``fuzz.deadline``).
    ``blot``: what every text the run shows goes through (the run's secrets blotted out).
    ``shown``: how a dry run prints a request (as ``curl``, as it would be sent by default).

    ``shared``: others may call the server with the same credentials (any real sandbox), so an
    oracle cannot know how full the server's call windows are.
    """

    def __init__(
        self,
        plugin: VendorPlugin,
        base_url: str,
        client: httpx.Client,
        *,
        budget: int | None = None,
        dry_run: bool = False,
        echo: Callable[[str], None] | None = None,
        rate: float | None = None,
        retries: int = 0,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        record: Callable[[Exchange], None] | None = None,
        shared: bool = False,
        timeout: float | None = None,
        blot: Callable[[str], str] | None = None,
        shown: Callable[[RealRequest], str] = RealRequest.as_curl,
    ) -> None:
        self.plugin = plugin
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.budget = budget
        self.dry_run = dry_run
        self.echo = echo or (lambda line: None)
        self.pacer = Pacer(rate, clock, sleep) if rate is not None else None
        self.retries = retries
        self.clock = clock
        self.sleep = sleep
        self.record = record
        self.shared = shared
        self.politeness = Politeness()
        self.deadline = Deadline(timeout)
        self.blot = blot or (lambda text: text)
        self.shown = shown
        self.sent = 0
        self.answered = 0
        """Calls that got an answer (its status line at least)."""
        self.halted: str | None = None
        """Why the target stopped before its budget did (see :attr:`stop_reason`)."""
        self.unreachable = False
        """The run's first request got no answer: the server is not there to be fuzzed."""

    @property
    def exhausted(self) -> bool:
        return self.budget is not None and self.sent >= self.budget

    @property
    def stop_reason(self) -> str | None:
        """Why nothing more is sent, if so."""
        if self.halted is not None:
            return self.halted
        return f"request budget of {self.budget} reached" if self.exhausted else None

    @property
    def stopped(self) -> bool:
        return self.stop_reason is not None

    def send(self, request: RealRequest) -> httpx.Response | None:
        """Send ``request``; ``None`` in a dry run (the request is echoed instead, ``shown``)."""
        if self.dry_run:
            self.echo(self.shown(request))
            return None
        attempt = 0
        while True:
            response = self._send_once(request)
            wait, windowed = self._wait_for(response)
            if wait is None:
                return response
            if attempt == self.retries:
                if self.retries > 0:
                    self.politeness.still_limited += 1
                    self.halted = (
                        f"still answered 429 after {self.retries} retries "
                        f"({self.politeness.waited_seconds} s waited in all): others may be "
                        "calling with the same credentials; try later, or a lower --rate-limit"
                    )
                return response
            attempt += 1
            self.sleep(wait)  # counted once over: an interrupt during it waited nothing out
            self.politeness.retry_waits.append(wait)
            self.politeness.window_waits += windowed

    def _wait_for(self, response: httpx.Response) -> tuple[int | None, bool]:
        """How long to wait before sending again (``None``: no wait, the answer stands): a
        429's ``Retry-After``; without a usable one, the vendor's call window when its plug-in
        knows it (then ``True``)."""
        wait = retry_after(response)
        window = self.plugin.window_seconds
        if wait is None and response.status_code == 429 and window is not None:
            return math.ceil(window), True
        return wait, False

    def _send_once(self, request: RealRequest) -> httpx.Response:
        if self.stop_reason is not None:
            raise Stopped(self.stop_reason)
        if self.pacer is not None:
            self.pacer.wait()
        self.sent += 1
        wire = request.to_httpx()
        started_at = datetime.now(UTC)
        started = time.perf_counter()
        with self.deadline.watch(wire) as call:
            try:
                response = self._receive(wire, call)
            except CallFailed as failed:
                self._record(wire, failed.response, started_at, started, str(failed))
                raise
            except BaseException:  # an interrupt: the call is recorded if it went out
                self._interrupted(wire, call.sent, started_at, started)
                raise
        if not hasattr(response, "_elapsed"):  # in-process transports never set it; checks read it
            response.elapsed = timedelta(seconds=time.perf_counter() - started)
        self._record(wire, response, started_at, started, None)
        return response

    def _receive(self, wire: httpx.Request, call: Call) -> httpx.Response:
        """Send ``wire`` and read its answer whole; :class:`CallFailed` when none comes (or
        not in time), or its body does not decode."""
        try:
            response = self.client.send(wire, stream=True)
        except httpx.RequestError as exc:
            raise CallFailed("transport", 0, self._no_answer(exc, call.expired)) from None
        self.answered += 1
        try:
            response.read()
        except httpx.DecodingError as exc:  # an answer, its body in no coding it names
            coding = response.headers.get("content-encoding", "")
            why = f"HTTP {response.status_code} with a body that is not {coding!r}"
            failed = f"{why}: {type(exc).__name__}: {exc}"
            raise CallFailed("content_encoding", response.status_code, failed, response) from None
        except httpx.RequestError as exc:
            raise CallFailed("transport", 0, self._no_answer(exc, call.expired)) from None
        finally:
            response.close()
        return response

    def _no_answer(self, exc: httpx.RequestError, expired: bool) -> str:
        """Why a call got no whole answer; the run's first one also stops the target."""
        limit = self.deadline.seconds
        if limit is not None and (expired or isinstance(exc, httpx.TimeoutException)):
            why = f"no whole answer within {limit:g} s (--timeout)"
        else:
            why = f"{type(exc).__name__}: {exc}"
        if "CERTIFICATE_VERIFY_FAILED" in why:
            why += " (a server with a CA of its own: --cacert FILE)"
        if not self.answered and self.halted is None:
            self.unreachable = True
            self.halted = f"cannot reach {self.base_url}: {why}"
        return why

    def _interrupted(
        self, wire: httpx.Request, sent: bool, started_at: datetime, started: float
    ) -> None:
        """The call in flight when the run was interrupted: recorded if its request went out
        (it may have changed the server's data), otherwise not counted as sent."""
        if sent:
            self._record(wire, None, started_at, started, "interrupted before its answer came")
        else:
            self.sent -= 1

    def _record(
        self,
        wire: httpx.Request,
        response: httpx.Response | None,
        started_at: datetime,
        started: float,
        error: str | None,
    ) -> None:
        if self.record is not None:
            elapsed_ms = (time.perf_counter() - started) * 1000
            self.record(Exchange(wire, response, started_at, elapsed_ms, error))


_ACTIVE: ContextVar[Target | None] = ContextVar("fuzz_target", default=None)


def active() -> Target | None:
    """The target of the running suite or harness, if any."""
    return _ACTIVE.get()


@contextmanager
def activated(target: Target) -> Iterator[Target]:
    token = _ACTIVE.set(target)
    try:
        yield target
    finally:
        _ACTIVE.reset(token)
