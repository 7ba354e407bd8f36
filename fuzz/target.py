"""Where generated requests go: an httpx client on a base URL, with a budget and a dry-run mode.

The active target is kept in a context variable while a suite or the harness runs, so that
vendor-aware checks (plain Schemathesis checks, with no room for extra arguments) can ask the
vendor plug-in what it knows, such as which tokens it was given.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx

from fuzz.dispatch import RealRequest

if TYPE_CHECKING:
    from fuzz.plugins import VendorPlugin


class BudgetExhausted(Exception):
    """The request budget is spent; nothing more is sent."""


class Target:
    """Sends real requests for one vendor, counted against ``budget``; ``dry_run`` sends none."""

    def __init__(
        self,
        plugin: VendorPlugin,
        base_url: str,
        client: httpx.Client,
        *,
        budget: int | None = None,
        dry_run: bool = False,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.plugin = plugin
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.budget = budget
        self.dry_run = dry_run
        self.echo = echo or (lambda line: None)
        self.sent = 0

    @property
    def exhausted(self) -> bool:
        return self.budget is not None and self.sent >= self.budget

    def send(self, request: RealRequest) -> httpx.Response | None:
        """Send ``request``; ``None`` in a dry run (the request is echoed as ``curl`` instead)."""
        if self.dry_run:
            self.echo(request.as_curl())
            return None
        if self.exhausted:
            raise BudgetExhausted(f"request budget of {self.budget} spent")
        self.sent += 1
        started = time.perf_counter()
        response = self.client.send(request.to_httpx())
        if not hasattr(response, "_elapsed"):  # in-process transports never set it; checks read it
            response.elapsed = timedelta(seconds=time.perf_counter() - started)
        return response


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
