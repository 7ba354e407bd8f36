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
the case's failed check; a target that can no longer send (its budget spent, no answer to the
run's first request, the server's call limit it cannot wait out, a 502 the kit's proxy made
because the vendor did not answer it) raises :class:`Stopped` instead, and says why in
:attr:`Target.stop_reason`. The answer that stopped it goes to no check.
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
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import httpx

from fuzz.deadline import Call, Deadline
from fuzz.dispatch import RealRequest
from mockservers.core.pipeline import DETAIL_HEADER, INJECTED_STATUS

if TYPE_CHECKING:
    from fuzz.plugins import VendorPlugin

Clock = Callable[[], float]
Sleep = Callable[[float], None]

RETRIES = 3
"""How many times the harness resends a request answered 429 it can wait out (a usable
``Retry-After``, or the vendor's call window); still 429 after them, the run stops."""
LONGEST_WAIT = 300
"""The longest ``Retry-After`` (seconds) the harness waits; a server asking more stops the run."""
LIMITED_IN_A_ROW = 3
"""How many answers 429 in a row, of any kind, stop the run when the last could not be waited
out (no usable ``Retry-After``, no call window known): sent again at once, each next case only
kept the server's window full."""
_SECONDS = re.compile(r"[0-9]+")


class Stopped(Exception):
    """The target sends nothing more (:attr:`Target.stop_reason` says why)."""


def made_by_the_kit(response: httpx.Response) -> str | None:
    """The reason of a 502 the kit made itself in front of the vendor (``X-Mockservers-Detail``:
    its proxy got no answer, or none in time, or too much); ``None`` for any other answer, a
    fake's injected status fault included (there the fake is the vendor, and its answer is
    judged)."""
    if response.status_code != 502:
        return None
    detail = response.headers.get(DETAIL_HEADER)
    return detail if detail and INJECTED_STATUS not in detail else None


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
    """The whole seconds an answer's ``Retry-After`` asks to wait: a number of seconds, or an
    HTTP-date less the answer's ``Date`` (the wall clock's time without one), rounded up.
    ``None`` without one it can read (none, a malformed value, a date no calendar holds) or
    asking for less than a second (0, a date gone by): no wait it can take as given."""
    value = response.headers.get("Retry-After", "").strip()
    if _SECONDS.fullmatch(value):
        seconds = int(value)
    else:
        when = _http_date(value)
        now = _http_date(response.headers.get("Date", "")) or datetime.now(UTC)
        seconds = math.ceil((when - now).total_seconds()) if when is not None else 0
    return seconds if seconds >= 1 else None


def _http_date(value: str) -> datetime | None:
    """An HTTP-date (RFC 9110: IMF-fixdate, or the obsolete RFC 850 and asctime forms), in UTC;
    ``None`` for anything else, a date out of any calendar's range included."""
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


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
    ``retries``: a 429 with a usable ``Retry-After`` (:func:`retry_after`, up to
    :data:`LONGEST_WAIT`), or without one for a vendor whose plug-in knows its call window
    (``window_seconds``: KeepIT's), is waited out through ``sleep`` and the same request sent
    again, up to that many times; the waited-out 429 never reaches the checks (each attempt
    counts against the budget, and goes to ``record``). The target stops, :attr:`limited`,
    and the answer goes to no check, when a 429 is still the answer after them, asks to wait
    longer than :data:`LONGEST_WAIT`, or is the :data:`LIMITED_IN_A_ROW`-th in a row and
    cannot be waited out (the ones before it are judged): going on would only keep the
    server's window full. The in-process suites keep ``retries=0``: there a 429 is an answer
    to judge, and nothing stops.

    A 502 the kit's proxy made (:func:`made_by_the_kit`) stops the target too: the vendor did
    not answer, and no case can tell anything about it. Before any answer of the vendor's,
    that is :attr:`unreachable`, as a first request without an answer is; later,
    :attr:`lost`.

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
        self.printed = 0
        """The requests a dry run printed instead of sending them."""
        self.kept = 0
        """The records the vendor said it stored, in every answer counted so far (those of an
        operation an interrupt cut short included: they stay in the sandbox all the same)."""
        self.answered = 0
        """Calls that got an answer (its status line at least)."""
        self.halted: str | None = None
        """Why the target stopped before its budget did (see :attr:`stop_reason`)."""
        self.unreachable = False
        """The run's first request got no answer (or only the kit's 502): the server is not
        there to be fuzzed."""
        self.limited = False
        """Stopped by the server's call limit: the run could not finish."""
        self.lost = False
        """Stopped by a 502 of the kit's proxy after the vendor had answered: the run could not
        finish."""
        self.limited_in_a_row = 0
        """The answers 429 in a row, up to the latest answer."""

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

    @property
    def incomplete(self) -> bool:
        """Stopped before its end for a reason of the server's (its call limit, the vendor
        behind the kit's proxy gone): what ran is no verdict on the whole."""
        return self.limited or self.lost

    def send(self, request: RealRequest) -> httpx.Response | None:
        """Send ``request``; ``None`` in a dry run (the request is echoed instead, ``shown``).
        :class:`Stopped` when the answer stops the target (see the class)."""
        if self.dry_run:
            self.echo(self.shown(request))
            self.printed += 1
            return None
        attempt = 0
        while True:
            response = self._send_once(request)
            detail = made_by_the_kit(response)
            if detail is not None:
                self._stop_lost(detail)
            if response.status_code != 429:
                self.limited_in_a_row = 0
                return response
            self.limited_in_a_row += 1
            if self.retries == 0:  # in-process: a 429 is an answer to judge
                return response
            wait, windowed = self._wait_for(response)
            if wait is None:
                if self.limited_in_a_row >= LIMITED_IN_A_ROW:
                    self._stop_limited(
                        f"answered 429 {self.limited_in_a_row} times in a row, the last without "
                        "a Retry-After it could wait out"
                    )
                return response
            if attempt == self.retries:
                self.politeness.still_limited += 1
                self._stop_limited(f"still answered 429 after {self.retries} retries")
            attempt += 1
            self.sleep(wait)  # counted once over: an interrupt during it waited nothing out
            self.politeness.retry_waits.append(wait)
            self.politeness.window_waits += windowed

    def _wait_for(self, response: httpx.Response) -> tuple[int | None, bool]:
        """How long to wait before sending again a request answered 429 (``None``: it cannot be
        waited out): its ``Retry-After``; without a usable one, the vendor's call window when
        its plug-in knows it (then ``True``). One longer than :data:`LONGEST_WAIT` stops the
        target at once."""
        wait = retry_after(response)
        if wait is not None and wait > LONGEST_WAIT:
            asked = response.headers["Retry-After"].strip()
            self._stop_limited(
                f"answered 429 asking to wait {wait:,} s (Retry-After: {asked}), longer than "
                f"the {LONGEST_WAIT} s the harness waits"
            )
        window = self.plugin.window_seconds
        if wait is None and window is not None:
            return math.ceil(window), True
        return wait, False

    def _stop_limited(self, why: str) -> None:
        """Stop: the server's call limit is not one the harness can wait out."""
        self.limited = True
        self.halted = (
            f"{why} ({self.politeness.waited_seconds} s waited in all): others may be calling "
            "with the same credentials; try later, or a lower --rate-limit"
        )
        raise Stopped(self.halted)

    def _stop_lost(self, detail: str) -> None:
        """Stop: the kit's proxy in front of the vendor answered 502 itself."""
        made = f"502 made by the kit, not the vendor: {self.blot(detail)}"
        self.halted = f"cannot reach {self.base_url}: {made}"
        if self.answered:
            self.lost = True
        else:
            self.unreachable = True
        raise Stopped(self.halted)

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
        if made_by_the_kit(response) is None:  # the kit's 502 is no answer of the vendor's
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
