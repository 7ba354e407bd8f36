"""Where generated requests go: an httpx client on a base URL, with a budget and a dry-run mode,
and the manners a shared sandbox asks for: a pace (``--rate-limit``) and patience with a 429.

The active target is kept in a context variable while a suite or the harness runs, so that
vendor-aware checks (plain Schemathesis checks, with no room for extra arguments) can ask the
vendor plug-in what it knows, such as which tokens it was given.

Time goes through two injectable callables, ``clock`` (seconds, monotonic) and ``sleep``, so
that tests move a fake's clock instead of waiting on the wall.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx

from fuzz.dispatch import RealRequest

if TYPE_CHECKING:
    from fuzz.plugins import VendorPlugin

Clock = Callable[[], float]
Sleep = Callable[[float], None]

RETRIES = 3
"""How many times the harness resends a request answered 429 with a usable ``Retry-After``."""
LONGEST_WAIT = 300
"""A ``Retry-After`` longer than this (seconds) is not waited out: the answer goes to the checks."""
_SECONDS = re.compile(r"[0-9]+")


class BudgetExhausted(Exception):
    """The request budget is spent; nothing more is sent."""


@dataclass(frozen=True)
class Exchange:
    """One request as it went on the wire and its answer (``None``: no complete answer, then
    ``error`` says why), for a recorder such as the harness's HAR file."""

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
    still_limited: int = 0

    @property
    def waited_seconds(self) -> int:
        return sum(self.retry_waits)


class Target:
    """Sends real requests for one vendor, counted against ``budget``; ``dry_run`` sends none.

    ``rate`` (requests per second) paces every request, the login and each retry included.
    ``retries``: a 429 with a usable ``Retry-After`` (:func:`retry_after`) is waited out through
    ``sleep`` and the same request sent again, up to that many times; the waited-out 429 never
    reaches the checks (each attempt counts against the budget, and goes to ``record``). The
    in-process suites keep ``retries=0``: there a 429 is an answer to judge.

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
        self.sent = 0

    @property
    def exhausted(self) -> bool:
        return self.budget is not None and self.sent >= self.budget

    def send(self, request: RealRequest) -> httpx.Response | None:
        """Send ``request``; ``None`` in a dry run (the request is echoed as ``curl`` instead)."""
        if self.dry_run:
            self.echo(request.as_curl())
            return None
        attempt = 0
        while True:
            response = self._send_once(request)
            wait = retry_after(response)
            if wait is None:
                return response
            if attempt == self.retries:
                self.politeness.still_limited += int(self.retries > 0)
                return response
            attempt += 1
            self.politeness.retry_waits.append(wait)
            self.sleep(wait)

    def _send_once(self, request: RealRequest) -> httpx.Response:
        if self.exhausted:
            raise BudgetExhausted(f"request budget of {self.budget} spent")
        if self.pacer is not None:
            self.pacer.wait()
        self.sent += 1
        wire = request.to_httpx()
        started_at = datetime.now(UTC)
        started = time.perf_counter()
        try:
            response = self.client.send(wire)
        except httpx.TransportError as exc:
            self._record(wire, None, started_at, started, f"{type(exc).__name__}: {exc}")
            raise
        if not hasattr(response, "_elapsed"):  # in-process transports never set it; checks read it
            response.elapsed = timedelta(seconds=time.perf_counter() - started)
        self._record(wire, response, started_at, started, None)
        return response

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
