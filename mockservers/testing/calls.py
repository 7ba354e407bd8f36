"""What each admin call of a scope asks the kit and makes of its answers, written once for the
sync and the async helpers (sans-IO, as the reference clients' calls are).

Each call is a generator, a *flow*: it yields the admin requests it needs, is sent the JSON
answer of each and returns its result. ``AdminScope`` runs a flow by sending each request
with its ``admin()`` over an ``httpx.Client``, ``AsyncAdminScope`` by awaiting its own over an
``httpx.AsyncClient`` (:mod:`mockservers.testing.scope`); each of their public methods runs one
flow of :class:`ScopeCalls`. A refused request raises out of ``admin()``, which ends the flow.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Any, TypeVar

import httpx

from mockservers.core.verify import check_bounds
from mockservers.testing.report import (
    CoverageTally,
    Report,
    SessionNames,
    dropped_note,
    matcher_text,
    sessions_named,
    taken_away,
    verify_failure,
)

T = TypeVar("T")


class AdminRequest:
    """One request of a flow, as ``admin(method, path, **options)`` sends it: ``path`` under
    ``/__admin``, ``options`` httpx's (``json``, ``params``)."""

    __slots__ = ("method", "options", "path")

    def __init__(self, method: str, path: str, **options: Any) -> None:
        self.method = method
        self.path = path
        self.options = options


Flow = Generator[AdminRequest, Any, T]
"""An admin call: yields its requests, is sent their JSON answers, returns its result."""


def answer(method: str, url: str, response: httpx.Response) -> Any:
    """The JSON of an admin answer; a refusal raises ``httpx.HTTPStatusError`` carrying the
    kit's ``{"error"}``."""
    if response.is_error:
        raise httpx.HTTPStatusError(
            f"{method} {url} answered {response.status_code}: {response.text}",
            request=response.request,
            response=response,
        )
    return response.json()


class ScopeCalls:
    """The admin calls of one scope (``session_id`` None: the global one), as flows."""

    session_id: str | None = None
    tally: CoverageTally | None = None
    """When set (the pytest plugin's ``--mockservers-coverage``), what this scope met is added
    here before the kit forgets it: a reset first adds what it takes away (a test's own reset
    would otherwise lose what it met before), and a session adds the rest as it closes."""

    def _in_scope(self, path: str, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The URL path of an admin call (``path`` under ``/__admin``) and its httpx options,
        addressed to this scope: a session's adds ``?session=``."""
        if self.session_id is not None:
            params = {**options.get("params", {}), "session": self.session_id}
            options = {**options, "params": params}
        return f"/__admin{path}", options

    def _reset(self, vendor: str | None) -> Flow[None]:
        before = (yield from self._coverage(None)) if self.tally is not None else None
        yield AdminRequest("POST", "/reset", json={"vendor": vendor} if vendor else {})
        if self.tally is not None and before is not None:
            self.tally.add(taken_away(before, (yield from self._coverage(None))))

    def _advance(self, seconds: float) -> Flow[str]:
        return (yield AdminRequest("POST", "/clock", json={"advance_seconds": seconds}))["now"]

    def _now(self) -> Flow[str]:
        return (yield AdminRequest("GET", "/clock"))["now"]

    def _requests(
        self, vendor: str | None, operation: str | None, limit: int | None
    ) -> Flow[list[dict[str, Any]]]:
        params = {"vendor": vendor, "operation": operation, "limit": limit}
        found = {k: v for k, v in params.items() if v is not None and v != ""}
        return (yield AdminRequest("GET", "/requests", params=found))

    def _clear_requests(self) -> Flow[None]:
        yield AdminRequest("DELETE", "/requests")

    def _count(self, matcher: dict[str, Any]) -> Flow[int]:
        return (yield AdminRequest("POST", "/requests/count", json=matcher))["count"]

    def _verify(
        self,
        count: int | None,
        at_least: int | None,
        at_most: int | None,
        matcher: dict[str, Any],
        bodies: bool = True,
    ) -> Flow[dict[str, Any]]:
        """The verify's answer; without ``bodies``, the entries it lists without theirs (an
        assertion's message shows none: five near misses of 2,000-row imports were 1.9 MB)."""
        check_bounds(count, at_least, at_most)  # ValueError: before any call
        body: dict[str, Any] = {"matcher": matcher}
        for key, value in (("count", count), ("at_least", at_least), ("at_most", at_most)):
            if value is not None:
                body[key] = value
        options = {} if bodies else {"params": {"bodies": "false"}}
        return (yield AdminRequest("POST", "/requests/verify", json=body, **options))

    def _assert_called(
        self,
        count: int | None,
        at_least: int | None,
        at_most: int | None,
        matcher: dict[str, Any],
    ) -> Flow[int]:
        """The number of matching calls, asserted. An upper bound (``count``, ``at_most``) fails
        rather than pass when the calls of the scope pushed out of the journal, had they
        matched, would break it."""
        __tracebackhide__ = True  # pytest: the failure is the test's line, not this one's
        result = yield from self._verify(count, at_least, at_most, matcher, bodies=False)
        if not result["ok"]:
            names = yield from self._session_names(sessions_named(result))
            raise AssertionError(verify_failure(matcher, result, names))
        seen, dropped = int(result["count"]), int(result.get("dropped", 0))
        bound = count if count is not None else at_most
        if bound is not None and seen + dropped > bound:
            most = "no call" if bound == 0 else f"no more than {bound} call{'s' * (bound != 1)}"
            raise AssertionError(
                f"cannot tell that {most} matched {matcher_text(matcher)}: "
                + dropped_note(dropped, matcher.get("vendor"))
            )
        return seen

    def _session_names(self, listed: set[str]) -> Flow[SessionNames]:
        """The names of the live sessions among ``listed``, for the global scope: its journal
        holds every session's calls, and the plugin names each test's session after the test.
        A session's own calls need no look-up (and the session endpoints refuse a session)."""
        if self.session_id is not None or not listed:
            return {}
        live = yield AdminRequest("GET", "/sessions")
        return {found["id"]: found.get("name") for found in live if found["id"] in listed}

    def _assert_not_called(self, matcher: dict[str, Any]) -> Flow[None]:
        __tracebackhide__ = True
        yield from self._assert_called(0, None, None, matcher)

    def _coverage(self, vendor: str | None) -> Flow[Report]:
        return (yield AdminRequest("GET", "/coverage", params={"vendor": vendor} if vendor else {}))

    def _missed(self, vendor: str | None) -> Flow[dict[str, list[str]]]:
        report = yield from self._coverage(vendor)
        return {
            name: [row["behaviour"] for row in rows if not row["met"]]
            for name, rows in report.items()
        }

    def _fault(self, spec: dict[str, Any]) -> Flow[str]:
        return (yield AdminRequest("POST", "/faults", json=spec))["id"]

    def _faults(self) -> Flow[list[dict[str, Any]]]:
        return (yield AdminRequest("GET", "/faults"))

    def _clear_faults(self) -> Flow[None]:
        yield AdminRequest("DELETE", "/faults")

    def _state(self, vendor: str) -> Flow[dict[str, Any]]:
        return (yield AdminRequest("GET", f"/state/{vendor}"))

    def _put_state(self, vendor: str, document: dict[str, Any]) -> Flow[dict[str, Any]]:
        return (yield AdminRequest("PUT", f"/state/{vendor}", json=document))

    def _expire_tokens(self, vendor: str) -> Flow[int]:
        return (yield AdminRequest("POST", f"/{vendor}/tokens/expire"))["expired"]

    def _tsdigital_token(
        self, kind: str, grants: Iterable[str], ttl_seconds: float | None
    ) -> Flow[str]:
        body: dict[str, Any] = {"kind": kind, "grants": list(grants)}
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        return (yield AdminRequest("POST", "/tsdigital/tokens", json=body))["token"]
