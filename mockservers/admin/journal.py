"""The admin endpoints on the journal: the calls listed, one shown (with the contracts' verdict
and a curl line), cleared, and counted or verified against a matcher."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import Response

from contracts import load_schema
from contracts.messages import verdict
from mockservers.admin.base import AdminBase
from mockservers.core import learned
from mockservers.core.adminapi import AdminCall, AdminError, number
from mockservers.core.curl import curl
from mockservers.core.http import header_text, text_of
from mockservers.core.journal_entry import Entry
from mockservers.core.journal_shown import brief, render, rendered, shown_array, shown_brief
from mockservers.core.route import UNKNOWN
from mockservers.core.verify import MatcherError, check_bounds, check_matcher, count, verify

MAX_CALLS: int = load_schema("admin/verifyRequests.request")["properties"]["count"]["maximum"]
"""The most calls a verify may ask for (its contract's bound: ``1e33`` was echoed back as a
34-digit expectation)."""


class JournalEndpoints(AdminBase):
    """``/__admin/requests``, one entry, and its ``count`` and ``verify``."""

    def get_requests(self, call: AdminCall) -> Any:
        limit = call.query.get("limit")
        if limit is not None:
            if not (limit.isascii() and limit.isdigit()):
                raise AdminError(400, "limit must be a whole number from 0")
            limit = limit.lstrip("0") or "0"  # leading zeros count for nothing
        bodies = _bodies(call)
        vendor = call.query.get("vendor") or None
        operation = call.query.get("operation") or None
        if vendor is not None:
            self._check_vendor(vendor)
        if operation is not None:
            self._check_operation(operation, vendor)
        found = self.kit.journal.matching(
            vendor=vendor,
            operation=operation,
            # more digits than any journal has entries (int() refuses 4300): every entry
            limit=int(limit) if limit is not None and len(limit) <= 18 else None,
            scope=self._scope(call),
        )
        codes = None if bodies else self._codes
        return Response(shown_array(found, codes), media_type="application/json")

    def get_request(self, call: AdminCall) -> Any:
        """One journal entry, with the contracts' verdict on it and a curl line to repeat it;
        with ``bodies=false``, as the list without bodies shows it (whether the journal still
        holds it, without judging and sending its bodies again: the dashboard's poll asks)."""
        bodies = _bodies(call)
        entry = self.kit.journal.find(call.path["entry_id"])
        if entry is None or (call.session is not None and entry.session != call.scope):
            where = " in this session" if call.session is not None else ""
            raise AdminError(404, f"no journal entry {call.path['entry_id']!r}{where}")
        if not bodies:
            return Response(shown_brief(entry, self._codes), media_type="application/json")
        rendered = render(entry)
        # A proxied call comes with its own, null when the proxy refused its body over the
        # limit. The fake's own 413 for one keeps none of it: judged, it would be an empty
        # body (a 413 fault's call, even one that sent no body, is judged as any other).
        if rendered["verdict"] is None and entry.source == "fake" and not entry.body_unread:
            rendered["verdict"] = _judged(entry)
        rendered["body_unread"] = entry.body_unread  # why a call of an operation has no verdict
        rendered["curl"] = curl(entry, call.base_url, self.kit.max_body_bytes)
        return rendered

    def clear_requests(self, call: AdminCall) -> Any:
        self.kit.clear_journal(call.scope)
        return {"cleared": True}

    def _matched(
        self, matcher: Any, call: AdminCall
    ) -> tuple[dict[str, Any], Iterator[dict[str, Any]], dict[str, int]]:
        """The matcher checked, the entries it is matched against (each rendered as it is
        read), and ``{"dropped": N}`` when
        the journal has pushed calls out that it could match: of that scope, of the matcher's
        vendor when it names one (none: ``{}``)."""
        try:
            matcher = check_matcher(matcher)
        except MatcherError as exc:
            raise AdminError(400, str(exc)) from None
        if "vendor" in matcher:
            self._check_vendor(matcher["vendor"])
        if "operation" in matcher:
            self._check_operation(matcher["operation"], matcher.get("vendor"))
        scope = self._scope(call)
        if "session" in matcher and call.session is None:  # in a session: a filter, no scope
            scope = matcher["session"]
        dropped = self.kit.journal.dropped(scope, matcher.get("vendor"))
        return (
            matcher,
            rendered(self.kit.journal.matching(scope=scope)),
            ({"dropped": dropped} if dropped else {}),
        )

    def _check_vendor(self, vendor: str) -> None:
        """A 400 for a vendor the kit does not have, as for the matcher's other bad values: the
        path was right, its filter is not (a 404 read as a wrong URL)."""
        if vendor not in self.vendors:
            raise AdminError(400, f"unknown vendor {vendor!r}; one of {sorted(self.vendors)}")

    def _check_operation(self, operation: str, vendor: str | None) -> None:
        """A 400 for an operation the vendor (every vendor, without one) does not have: a
        misspelt one would match nothing, silently."""
        named = self.vendors.values() if vendor is None else [self.vendors[vendor]]
        known = sorted({UNKNOWN, *(o for each in named for o in each.operations)})
        if operation not in known:
            raise AdminError(400, f"unknown operation {operation!r}; one of {known}")

    def _codes(self, entry: dict[str, Any]) -> list[str]:
        vendor = self.vendors.get(entry["vendor"])
        return vendor.answer_codes(entry.get("response")) if vendor is not None else []

    def _listed(self, result: dict[str, Any], bodies: bool) -> dict[str, Any]:
        """A verify's answer, each entry it lists with ``refusals``: the vendor's codes that
        say it refused the call (QuoParts and XTRA refuse many at HTTP 200, so the status
        alone made a refused call look like one that went through). Without ``bodies``, each
        as the list without bodies shows it, its refusals read from the whole entry first."""

        def shown(entry: dict[str, Any]) -> dict[str, Any]:
            vendor = self.vendors.get(entry["vendor"])
            found = vendor.answer_refusals(entry.get("response")) if vendor is not None else []
            return (entry if bodies else brief(entry, self._codes)) | {"refusals": found}

        for miss in result.get("near_misses", ()):
            miss["entry"] = shown(miss["entry"])
        if "matches" in result:
            result["matches"] = [shown(entry) for entry in result["matches"]]
        return result

    def count_requests(self, call: AdminCall) -> Any:
        matcher, entries, dropped = self._matched(call.object_body(), call)
        return {"count": count(matcher, entries, self._codes), **dropped}

    def verify_requests(self, call: AdminCall) -> Any:
        """The verdict; with ``bodies=false``, the entries it lists without their bodies (the
        differences, found on the whole entries, say the same)."""
        bodies = _bodies(call)
        body = call.object_body(contract="admin/verifyRequests.request")
        matcher, entries, dropped = self._matched(body.get("matcher", {}), call)
        bounds = {}
        for key, name in (("count", "exactly"), ("at_least", "at_least"), ("at_most", "at_most")):
            bound = number(body, key, 0, MAX_CALLS, whole=True)
            if bound is not None:
                bounds[name] = bound
        try:
            check_bounds(**bounds)
        except MatcherError as exc:
            raise AdminError(400, str(exc)) from None
        return self._listed(verify(matcher, entries, self._codes, **bounds), bodies) | dropped


def _bodies(call: AdminCall) -> bool:
    """A journal read's or a verify's ``bodies`` (default true): false leaves them out, with
    the vendor's codes in the answer instead."""
    bodies = call.query.get("bodies", "true")
    if bodies not in ("true", "false"):
        raise AdminError(400, "bodies must be true or false")
    return bodies == "true"


NO_ANSWER = (
    "no answer: a drop fault closed the connection after the status line and headers, before"
    " the body; the connector got no answer for a contract to judge"
)
"""A dropped call's verdict on its answer (``Entry.answer_dropped``): not the status and an
empty body judged as though the connector had read them."""


def _judged(entry: Entry) -> dict[str, list[str]] | None:
    """The contracts' verdict on a journalled call, judged on what really travelled (a masked
    ``***`` would break a format) with every secret value of the exchange blotted out of the
    messages; None for a call that is no operation (an unknown alias, a path no route serves).
    A dropped call's request is judged, its answer is :data:`NO_ANSWER`."""
    if entry.operation == UNKNOWN:
        return None
    query = parse_qsl(entry.query.decode("latin-1"), keep_blank_values=True)
    headers = {k.decode("latin-1"): header_text(v) for k, v in entry.headers}  # as the fake
    secrets = learned.secrets_of(
        url=f"{entry.path}?{entry.query.decode('latin-1')}",
        request_headers=list(headers.items()),
        request_body=entry.request_body,
        response_headers=[(k.decode("latin-1"), text_of(v)) for k, v in entry.response_headers],
        response_body=entry.response_body,
    )
    scrub = learned.scrubber(secrets)
    found = verdict(
        entry.vendor,
        entry.operation,
        query=query,
        headers=headers,
        body=entry.request_body,
        status=entry.status,
        answer=entry.response_body,
        blot=scrub,
    )
    if entry.answer_dropped:
        found["response"] = [NO_ANSWER]
    return scrub(found)
