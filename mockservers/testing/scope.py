"""The admin calls of one scope, for tests: the global one (``MockServer``) or a session's.

Every method is one admin call; a session's adds ``session`` to it, so its reads see only its
own calls and its writes (reset, clock, faults, state) touch nothing else. ``assert_called`` and
``assert_not_called`` turn ``POST /__admin/requests/verify`` into an ``AssertionError`` whose
message shows the near misses (see :mod:`mockservers.testing.report`).

``AdminScope`` sends them over an ``httpx.Client``, ``AsyncAdminScope`` awaits them over an
``httpx.AsyncClient``. Each method of either runs a flow of :mod:`mockservers.testing.calls`,
where what a call asks and makes of the answer is written once; every request goes through
``admin()``, which a subclass may override.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import closing
from typing import Any, TypeVar

import httpx

from mockservers.testing.calls import Flow, ScopeCalls, answer
from mockservers.testing.report import Report

T = TypeVar("T")


class AdminScope(ScopeCalls):
    """The admin calls of one scope over the ``httpx.Client`` that ``_admin_client()`` gives."""

    def _admin_client(self) -> httpx.Client:
        raise NotImplementedError

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        """One admin call (``path`` under ``/__admin``, ``kwargs`` httpx's) in this scope; its
        JSON answer. A refused call raises ``httpx.HTTPStatusError`` carrying the kit's
        ``{"error"}``. Every helper of the scope sends its requests with it."""
        url, options = self._in_scope(path, kwargs)
        return answer(method, url, self._admin_client().request(method, url, **options))

    def _run(self, flow: Flow[T]) -> T:
        """The flow's result, each request it yields sent with :meth:`admin`."""
        __tracebackhide__ = True  # pytest: a failed assertion shows the test's line, not these
        with closing(flow):  # a request that raises ends the flow there (its ``finally`` runs)
            reply: Any = None  # what starts a flow, as ``next`` would
            while True:
                try:
                    request = flow.send(reply)
                except StopIteration as done:  # the flow's end; a transport's own goes through
                    return done.value
                reply = self.admin(request.method, request.path, **request.options)

    # -- reset, clock -----------------------------------------------------------------------
    def reset(self, vendor: str | None = None) -> None:
        """This scope back to start: state, tokens, windows, journal, faults, coverage and
        clock (with ``vendor``: that vendor's part; the clock stays)."""
        self._run(self._reset(vendor))

    def advance(self, seconds: float) -> str:
        """Move this scope's clock forward (tokens expire, TS Digital items settle)."""
        return self._run(self._advance(seconds))

    def now(self) -> str:
        """This scope's clock, ISO-8601."""
        return self._run(self._now())

    # -- journal and verification -----------------------------------------------------------
    def requests(
        self, vendor: str | None = None, operation: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """The journal, newest first (secrets masked)."""
        return self._run(self._requests(vendor, operation, limit))

    def clear_requests(self) -> None:
        self._run(self._clear_requests())

    def count(self, **matcher: Any) -> int:
        """How many journalled calls match (``vendor``, ``operation``, ``status``,
        ``error_code``, ``tenant``, ``session``; ``query``, ``headers``, ``body`` partially)."""
        return self._run(self._count(matcher))

    def verify(
        self,
        count: int | None = None,
        *,
        at_least: int | None = None,
        at_most: int | None = None,
        **matcher: Any,
    ) -> dict[str, Any]:
        """The verification's answer, as the admin API gives it (never raises on a miss):
        ``{"ok", "count"}`` and, when not ok, ``"expected"``, ``"near_misses"`` (closest
        first, each ``{"entry", "differences"}``) and, when too many matched, ``"matches"``.
        With no bound: at least one call."""
        return self._run(self._verify(count, at_least, at_most, matcher))

    def assert_called(
        self,
        count: int | None = None,
        *,
        at_least: int | None = None,
        at_most: int | None = None,
        **matcher: Any,
    ) -> int:
        """Fail (``AssertionError``, the near misses in its message) unless the calls matching
        ``matcher`` number ``count`` exactly, or are within ``at_least``/``at_most`` (by
        default: at least one). An upper bound also fails when calls of this scope the journal
        pushed out would break it, had they matched. Returns how many matched."""
        __tracebackhide__ = True
        return self._run(self._assert_called(count, at_least, at_most, matcher))

    def assert_not_called(self, **matcher: Any) -> None:
        """Fail (``AssertionError`` listing the calls that matched) if any call matches, or if
        the journal has pushed calls of this scope out: one of them may have matched."""
        __tracebackhide__ = True
        self._run(self._assert_not_called(matcher))

    # -- coverage -------------------------------------------------------------------------
    def coverage(self, vendor: str | None = None) -> Report:
        """Per vendor, every documented situation with how often this scope met it
        (``{"behaviour", "description", "met"}``)."""
        return self._run(self._coverage(vendor))

    def missed(self, vendor: str | None = None) -> dict[str, list[str]]:
        """Per vendor, the ids of the documented situations this scope has not met."""
        return self._run(self._missed(vendor))

    # -- faults, state, tokens ------------------------------------------------------------
    def fault(self, **spec: Any) -> str:
        """Make this scope's next matching calls misbehave (``vendor``, ``operation``, ``kind``,
        ``status``, ``latency_ms``, ``times``, ``probability``, ``reason``); the fault's id."""
        return self._run(self._fault(spec))

    def faults(self) -> list[dict[str, Any]]:
        return self._run(self._faults())

    def clear_faults(self) -> None:
        self._run(self._clear_faults())

    def state(self, vendor: str) -> dict[str, Any]:
        """This scope's state of one vendor: ``{"tenants": {...}}``."""
        return self._run(self._state(vendor))

    def put_state(self, vendor: str, document: dict[str, Any]) -> dict[str, Any]:
        """Replace this scope's state of one vendor (fixtures); the state as stored."""
        return self._run(self._put_state(vendor, document))

    def expire_tokens(self, vendor: str) -> int:
        """Expire this scope's live tokens of one vendor now; how many there were."""
        return self._run(self._expire_tokens(vendor))

    def tsdigital_token(
        self, kind: str = "user", grants: Iterable[str] = (), ttl_seconds: float | None = None
    ) -> str:
        """A TS Digital bearer token of this scope (a session's tenant, or the default one)."""
        return self._run(self._tsdigital_token(kind, grants, ttl_seconds))


class AsyncAdminScope(ScopeCalls):
    """The twin of :class:`AdminScope` over the ``httpx.AsyncClient`` that ``_admin_client()``
    gives: the same calls, each awaited (``await scope.count(vendor="quoparts")``), with the
    same answers and failures."""

    def _admin_client(self) -> httpx.AsyncClient:
        raise NotImplementedError

    async def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`AdminScope.admin`, awaited."""
        url, options = self._in_scope(path, kwargs)
        return answer(method, url, await self._admin_client().request(method, url, **options))

    async def _run(self, flow: Flow[T]) -> T:
        """The flow's result, each request it yields sent with :meth:`admin`, awaited."""
        __tracebackhide__ = True
        with closing(flow):
            reply: Any = None
            while True:
                try:
                    request = flow.send(reply)
                except StopIteration as done:
                    return done.value
                reply = await self.admin(request.method, request.path, **request.options)

    async def reset(self, vendor: str | None = None) -> None:
        """:meth:`AdminScope.reset`, awaited."""
        await self._run(self._reset(vendor))

    async def advance(self, seconds: float) -> str:
        """:meth:`AdminScope.advance`, awaited."""
        return await self._run(self._advance(seconds))

    async def now(self) -> str:
        """:meth:`AdminScope.now`, awaited."""
        return await self._run(self._now())

    async def requests(
        self, vendor: str | None = None, operation: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """:meth:`AdminScope.requests`, awaited."""
        return await self._run(self._requests(vendor, operation, limit))

    async def clear_requests(self) -> None:
        await self._run(self._clear_requests())

    async def count(self, **matcher: Any) -> int:
        """:meth:`AdminScope.count`, awaited."""
        return await self._run(self._count(matcher))

    async def verify(
        self,
        count: int | None = None,
        *,
        at_least: int | None = None,
        at_most: int | None = None,
        **matcher: Any,
    ) -> dict[str, Any]:
        """:meth:`AdminScope.verify`, awaited."""
        return await self._run(self._verify(count, at_least, at_most, matcher))

    async def assert_called(
        self,
        count: int | None = None,
        *,
        at_least: int | None = None,
        at_most: int | None = None,
        **matcher: Any,
    ) -> int:
        """:meth:`AdminScope.assert_called`, awaited."""
        __tracebackhide__ = True
        return await self._run(self._assert_called(count, at_least, at_most, matcher))

    async def assert_not_called(self, **matcher: Any) -> None:
        """:meth:`AdminScope.assert_not_called`, awaited."""
        __tracebackhide__ = True
        await self._run(self._assert_not_called(matcher))

    async def coverage(self, vendor: str | None = None) -> Report:
        """:meth:`AdminScope.coverage`, awaited."""
        return await self._run(self._coverage(vendor))

    async def missed(self, vendor: str | None = None) -> dict[str, list[str]]:
        """:meth:`AdminScope.missed`, awaited."""
        return await self._run(self._missed(vendor))

    async def fault(self, **spec: Any) -> str:
        """:meth:`AdminScope.fault`, awaited."""
        return await self._run(self._fault(spec))

    async def faults(self) -> list[dict[str, Any]]:
        return await self._run(self._faults())

    async def clear_faults(self) -> None:
        await self._run(self._clear_faults())

    async def state(self, vendor: str) -> dict[str, Any]:
        """:meth:`AdminScope.state`, awaited."""
        return await self._run(self._state(vendor))

    async def put_state(self, vendor: str, document: dict[str, Any]) -> dict[str, Any]:
        """:meth:`AdminScope.put_state`, awaited."""
        return await self._run(self._put_state(vendor, document))

    async def expire_tokens(self, vendor: str) -> int:
        """:meth:`AdminScope.expire_tokens`, awaited."""
        return await self._run(self._expire_tokens(vendor))

    async def tsdigital_token(
        self, kind: str = "user", grants: Iterable[str] = (), ttl_seconds: float | None = None
    ) -> str:
        """:meth:`AdminScope.tsdigital_token`, awaited."""
        return await self._run(self._tsdigital_token(kind, grants, ttl_seconds))
