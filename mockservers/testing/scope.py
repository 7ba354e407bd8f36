"""The admin calls of one scope, for tests: the global one (``MockServer``) or a session's.

Every method is one admin call; a session's adds ``session`` to it, so its reads see only its
own calls and its writes (reset, clock, faults, state) touch nothing else. ``assert_called`` and
``assert_not_called`` turn ``POST /__admin/requests/verify`` into an ``AssertionError`` whose
message shows the near misses (see :mod:`mockservers.testing.report`).

Each call is written once, as a flow (:mod:`mockservers.testing.calls`): ``AdminScope`` runs
them with an ``httpx.Client``, ``AsyncAdminScope`` awaits them with an ``httpx.AsyncClient``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mockservers.testing.calls import AdminRequest, AsyncCalls, Flow, SyncCalls, admin_call, answer
from mockservers.testing.report import (
    CoverageTally,
    Report,
    dropped_note,
    matcher_text,
    taken_away,
    verify_failure,
)


class ScopeCalls:
    """Admin calls addressed to one scope (``session_id`` None: the global scope), as flows."""

    session_id: str | None = None
    tally: CoverageTally | None = None
    """When set (the pytest plugin's ``--mockservers-coverage``), what this scope met is added
    here before the kit forgets it: a reset first adds what it takes away (a test's own reset
    would otherwise lose what it met before), and a session adds the rest as it closes."""

    # -- plumbing -------------------------------------------------------------------------
    def _call(self, method: str, path: str, **options: Any) -> Flow[Any]:
        """One admin call (``path`` under ``/__admin``) in this scope; its JSON answer. A
        refused call raises ``httpx.HTTPStatusError`` carrying the kit's ``{"error"}``."""
        if self.session_id is not None:
            options["params"] = {**options.get("params", {}), "session": self.session_id}
        request = AdminRequest(method, f"/__admin{path}", options)
        return answer(request, (yield request))

    admin = admin_call(_call)

    # -- reset, clock -----------------------------------------------------------------------
    @admin_call
    def reset(self, vendor: str | None = None) -> Flow[None]:
        """This scope back to start: state, tokens, windows, journal, faults, coverage and
        clock (with ``vendor``: that vendor's part; the clock stays)."""
        before = (yield from ScopeCalls.coverage.flow(self)) if self.tally is not None else None
        yield from self._call("POST", "/reset", json={"vendor": vendor} if vendor else {})
        if self.tally is not None and before is not None:
            self.tally.add(taken_away(before, (yield from ScopeCalls.coverage.flow(self))))

    @admin_call
    def advance(self, seconds: float) -> Flow[str]:
        """Move this scope's clock forward (tokens expire, TS Digital items settle)."""
        return (yield from self._call("POST", "/clock", json={"advance_seconds": seconds}))["now"]

    @admin_call
    def now(self) -> Flow[str]:
        """This scope's clock, ISO-8601."""
        return (yield from self._call("GET", "/clock"))["now"]

    # -- journal and verification -----------------------------------------------------------
    @admin_call
    def requests(
        self, vendor: str | None = None, operation: str | None = None, limit: int | None = None
    ) -> Flow[list[dict[str, Any]]]:
        """The journal, newest first (secrets masked)."""
        params = {"vendor": vendor, "operation": operation, "limit": limit}
        found = {k: v for k, v in params.items() if v is not None and v != ""}
        return (yield from self._call("GET", "/requests", params=found))

    @admin_call
    def clear_requests(self) -> Flow[None]:
        yield from self._call("DELETE", "/requests")

    @admin_call
    def count(self, **matcher: Any) -> Flow[int]:
        """How many journalled calls match (``vendor``, ``operation``, ``status``,
        ``error_code``, ``tenant``, ``session``; ``query``, ``headers``, ``body`` partially)."""
        return (yield from self._call("POST", "/requests/count", json=matcher))["count"]

    @admin_call
    def verify(
        self,
        count: int | None = None,
        *,
        at_least: int | None = None,
        at_most: int | None = None,
        **matcher: Any,
    ) -> Flow[dict[str, Any]]:
        """The verification's answer, as the admin API gives it (never raises on a miss):
        ``{"ok", "count"}`` and, when not ok, ``"expected"``, ``"near_misses"`` (closest
        first, each ``{"entry", "differences"}``) and, when too many matched, ``"matches"``.
        With no bound: at least one call."""
        body: dict[str, Any] = {"matcher": matcher}
        for key, value in (("count", count), ("at_least", at_least), ("at_most", at_most)):
            if value is not None:
                body[key] = value
        return (yield from self._call("POST", "/requests/verify", json=body))

    @admin_call
    def assert_called(
        self,
        count: int | None = None,
        *,
        at_least: int | None = None,
        at_most: int | None = None,
        **matcher: Any,
    ) -> Flow[int]:
        """Fail (``AssertionError``, the near misses in its message) unless the calls matching
        ``matcher`` number ``count`` exactly, or are within ``at_least``/``at_most`` (by
        default: at least one). Returns how many matched."""
        __tracebackhide__ = True  # pytest: the failure is the test's line, not this one's
        verify = ScopeCalls.verify.flow
        result = yield from verify(self, count, at_least=at_least, at_most=at_most, **matcher)
        if not result["ok"]:
            raise AssertionError(verify_failure(matcher, result))
        return int(result["count"])

    @admin_call
    def assert_not_called(self, **matcher: Any) -> Flow[None]:
        """Fail (``AssertionError`` listing the calls that matched) if any call matches, or if
        the journal has pushed calls of this scope out: one of them may have matched."""
        __tracebackhide__ = True
        result = yield from ScopeCalls.verify.flow(self, 0, **matcher)
        if not result["ok"]:
            raise AssertionError(verify_failure(matcher, result))
        if result.get("dropped"):
            raise AssertionError(
                f"cannot tell that no call matched {matcher_text(matcher)}: "
                + dropped_note(int(result["dropped"]))
            )

    # -- coverage -------------------------------------------------------------------------
    @admin_call
    def coverage(self, vendor: str | None = None) -> Flow[Report]:
        """Per vendor, every documented situation with how often this scope met it
        (``{"behaviour", "description", "met"}``)."""
        params = {"vendor": vendor} if vendor else {}
        return (yield from self._call("GET", "/coverage", params=params))

    @admin_call
    def missed(self, vendor: str | None = None) -> Flow[dict[str, list[str]]]:
        """Per vendor, the ids of the documented situations this scope has not met."""
        report = yield from ScopeCalls.coverage.flow(self, vendor)
        return {
            name: [row["behaviour"] for row in rows if not row["met"]]
            for name, rows in report.items()
        }

    # -- faults, state, tokens ------------------------------------------------------------
    @admin_call
    def fault(self, **spec: Any) -> Flow[str]:
        """Make this scope's next matching calls misbehave (``vendor``, ``operation``, ``kind``,
        ``status``, ``latency_ms``, ``times``, ``probability``, ``reason``); the fault's id."""
        return (yield from self._call("POST", "/faults", json=spec))["id"]

    @admin_call
    def faults(self) -> Flow[list[dict[str, Any]]]:
        return (yield from self._call("GET", "/faults"))

    @admin_call
    def clear_faults(self) -> Flow[None]:
        yield from self._call("DELETE", "/faults")

    @admin_call
    def state(self, vendor: str) -> Flow[dict[str, Any]]:
        """This scope's state of one vendor: ``{"tenants": {...}}``."""
        return (yield from self._call("GET", f"/state/{vendor}"))

    @admin_call
    def put_state(self, vendor: str, document: dict[str, Any]) -> Flow[dict[str, Any]]:
        """Replace this scope's state of one vendor (fixtures); the state as stored."""
        return (yield from self._call("PUT", f"/state/{vendor}", json=document))

    @admin_call
    def expire_tokens(self, vendor: str) -> Flow[int]:
        """Expire this scope's live tokens of one vendor now; how many there were."""
        return (yield from self._call("POST", f"/{vendor}/tokens/expire"))["expired"]

    @admin_call
    def tsdigital_token(
        self, kind: str = "user", grants: Iterable[str] = (), ttl_seconds: float | None = None
    ) -> Flow[str]:
        """A TS Digital bearer token of this scope (a session's tenant, or the default one)."""
        body: dict[str, Any] = {"kind": kind, "grants": list(grants)}
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        return (yield from self._call("POST", "/tsdigital/tokens", json=body))["token"]


class AdminScope(ScopeCalls, SyncCalls):
    """The admin calls of one scope over an ``httpx.Client`` (``_admin_client()``)."""


class AsyncAdminScope(ScopeCalls, AsyncCalls):
    """The same calls over an ``httpx.AsyncClient``, each awaited:
    ``await scope.count(vendor="quoparts")``."""
