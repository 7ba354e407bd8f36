"""The admin calls of one scope, for tests: the global one (``MockServer``) or a session's.

Every method is one admin call; a session's adds ``session`` to it, so its reads see only its
own calls and its writes (reset, clock, faults, state) touch nothing else. ``assert_called`` and
``assert_not_called`` turn ``POST /__admin/requests/verify`` into an ``AssertionError`` whose
message shows the near misses (see :mod:`mockservers.testing.report`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from mockservers.testing.report import (
    CoverageTally,
    dropped_note,
    matcher_text,
    taken_away,
    verify_failure,
)


class AdminScope:
    """Admin calls addressed to one scope (``session_id`` None: the global scope)."""

    session_id: str | None = None
    tally: CoverageTally | None = None
    """When set (the pytest plugin's ``--mockservers-coverage``), a reset first adds here what
    it takes away: a test's own reset would otherwise lose what it met before."""

    def _admin_client(self) -> httpx.Client:
        raise NotImplementedError

    # -- plumbing -------------------------------------------------------------------------
    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        """One admin call (``path`` under ``/__admin``) in this scope; its JSON answer. A
        refused call raises ``httpx.HTTPStatusError`` carrying the kit's ``{"error"}``."""
        if self.session_id is not None:
            kwargs["params"] = {**kwargs.get("params", {}), "session": self.session_id}
        response = self._admin_client().request(method, f"/__admin{path}", **kwargs)
        if response.is_error:
            raise httpx.HTTPStatusError(
                f"{method} /__admin{path} answered {response.status_code}: {response.text}",
                request=response.request,
                response=response,
            )
        return response.json()

    # -- reset, clock -----------------------------------------------------------------------
    def reset(self, vendor: str | None = None) -> None:
        """This scope back to start: state, tokens, windows, journal, faults, coverage and
        clock (with ``vendor``: that vendor's part; the clock stays)."""
        before = self.coverage() if self.tally is not None else None
        self.admin("POST", "/reset", json={"vendor": vendor} if vendor else {})
        if self.tally is not None and before is not None:
            self.tally.add(taken_away(before, self.coverage()))

    def advance(self, seconds: float) -> str:
        """Move this scope's clock forward (tokens expire, TS Digital items settle)."""
        return self.admin("POST", "/clock", json={"advance_seconds": seconds})["now"]

    def now(self) -> str:
        """This scope's clock, ISO-8601."""
        return self.admin("GET", "/clock")["now"]

    # -- journal and verification -----------------------------------------------------------
    def requests(
        self, vendor: str | None = None, operation: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """The journal, newest first (secrets masked)."""
        params = {"vendor": vendor, "operation": operation, "limit": limit}
        found = {k: v for k, v in params.items() if v is not None and v != ""}
        return self.admin("GET", "/requests", params=found)

    def clear_requests(self) -> None:
        self.admin("DELETE", "/requests")

    def count(self, **matcher: Any) -> int:
        """How many journalled calls match (``vendor``, ``operation``, ``status``,
        ``error_code``, ``tenant``, ``session``; ``query``, ``headers``, ``body`` partially)."""
        return self.admin("POST", "/requests/count", json=matcher)["count"]

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
        body: dict[str, Any] = {"matcher": matcher}
        for key, value in (("count", count), ("at_least", at_least), ("at_most", at_most)):
            if value is not None:
                body[key] = value
        return self.admin("POST", "/requests/verify", json=body)

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
        default: at least one). Returns how many matched."""
        __tracebackhide__ = True  # pytest: the failure is the test's line, not this one's
        result = self.verify(count, at_least=at_least, at_most=at_most, **matcher)
        if not result["ok"]:
            raise AssertionError(verify_failure(matcher, result))
        return int(result["count"])

    def assert_not_called(self, **matcher: Any) -> None:
        """Fail (``AssertionError`` listing the calls that matched) if any call matches, or if
        the journal has pushed calls of this scope out: one of them may have matched."""
        __tracebackhide__ = True
        result = self.verify(0, **matcher)
        if not result["ok"]:
            raise AssertionError(verify_failure(matcher, result))
        if result.get("dropped"):
            raise AssertionError(
                f"cannot tell that no call matched {matcher_text(matcher)}: "
                + dropped_note(int(result["dropped"]))
            )

    # -- coverage -------------------------------------------------------------------------
    def coverage(self, vendor: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """Per vendor, every documented situation with how often this scope met it
        (``{"behaviour", "description", "met"}``)."""
        return self.admin("GET", "/coverage", params={"vendor": vendor} if vendor else {})

    def missed(self, vendor: str | None = None) -> dict[str, list[str]]:
        """Per vendor, the ids of the documented situations this scope has not met."""
        return {
            name: [row["behaviour"] for row in rows if not row["met"]]
            for name, rows in self.coverage(vendor).items()
        }

    # -- faults, state, tokens ------------------------------------------------------------
    def fault(self, **spec: Any) -> str:
        """Make this scope's next matching calls misbehave (``vendor``, ``operation``, ``kind``,
        ``status``, ``latency_ms``, ``times``, ``probability``, ``reason``); the fault's id."""
        return self.admin("POST", "/faults", json=spec)["id"]

    def faults(self) -> list[dict[str, Any]]:
        return self.admin("GET", "/faults")

    def clear_faults(self) -> None:
        self.admin("DELETE", "/faults")

    def state(self, vendor: str) -> dict[str, Any]:
        """This scope's state of one vendor: ``{"tenants": {...}}``."""
        return self.admin("GET", f"/state/{vendor}")

    def put_state(self, vendor: str, document: dict[str, Any]) -> dict[str, Any]:
        """Replace this scope's state of one vendor (fixtures); the state as stored."""
        return self.admin("PUT", f"/state/{vendor}", json=document)

    def expire_tokens(self, vendor: str) -> int:
        """Expire this scope's live tokens of one vendor now; how many there were."""
        return self.admin("POST", f"/{vendor}/tokens/expire")["expired"]

    def tsdigital_token(
        self, kind: str = "user", grants: Iterable[str] = (), ttl_seconds: float | None = None
    ) -> str:
        """A TS Digital bearer token of this scope (a session's tenant, or the default one)."""
        body: dict[str, Any] = {"kind": kind, "grants": list(grants)}
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        return self.admin("POST", "/tsdigital/tokens", json=body)["token"]
