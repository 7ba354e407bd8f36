"""The admin API under ``/__admin`` (WireMock's convention): health, reset, state, journal,
verification, clock, faults, tokens, sessions, coverage. JSON in, JSON out; a refused call
answers 400/404 with ``{"error"}``.

Every call addresses one scope: the global one, or a session (``?session=ID`` or ``"session"``
in the body), but for those on the sessions themselves (open one, list or drop them all), which
refuse a session. Writes act on that scope only, so a global reset never touches a session; reads of
the journal, the faults and coverage without ``session`` see the whole kit. Each call runs as one
transaction of the kit's store, like a vendor call.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from contracts import load_schema
from contracts.messages import verdict
from mockservers.core import har, sessions
from mockservers.core.adminapi import (
    MAX_SECONDS,
    MAX_SESSION_NAME,
    AdminCall,
    AdminError,
    AdminRoute,
    number,
)
from mockservers.core.call import read_body
from mockservers.core.clock import iso
from mockservers.core.curl import curl
from mockservers.core.errors import KitError
from mockservers.core.http import (
    JSONResponse,
    foreign_page,
    header_text,
    is_loopback,
    text_of,
    too_deep,
)
from mockservers.core.journal import Entry, brief, render, rendered, shown_array, shown_brief
from mockservers.core.kit import Kit
from mockservers.core.pipeline import GONE, UNPLANNED
from mockservers.core.route import UNKNOWN
from mockservers.core.secrets import mask_value
from mockservers.core.sessions import EVERY, SessionLimit
from mockservers.core.shared import StoreUnavailable
from mockservers.core.state import StateError
from mockservers.core.vendor import Vendor, log
from mockservers.core.verify import MatcherError, check_bounds, check_matcher, count, verify

Endpoint = Callable[[Request], Any]


MAX_CALLS: int = load_schema("admin/verifyRequests.request")["properties"]["count"]["maximum"]
"""The most calls a verify may ask for (its contract's bound: ``1e33`` was echoed back as a
34-digit expectation)."""


SESSIONS = "/__admin/sessions"


class Admin:
    def __init__(
        self, kit: Kit, admin_token: str | None, cors_origins: tuple[str, ...] = ()
    ) -> None:
        self.kit = kit
        self.vendors = kit.vendors
        self.admin_token = admin_token
        self.cors_origins = cors_origins

    # -- plumbing ---------------------------------------------------------------------------
    def endpoint(self, route: AdminRoute) -> Endpoint:
        """Loopback only unless an admin token is configured; then the token is required.
        A refused call answers ``{"error"}``, an unplanned error (a bug) too, with 500."""

        async def endpoint(request: Request) -> Response:
            response = await answer(request)
            response.raw_headers += ADMIN_HEADERS
            return response

        async def answer(request: Request) -> Response:
            try:
                self._authorise(request)
                raw = await self._body(request, route)
                body = _parse(raw, route.body, self.kit.max_json_depth + STATE_WRAPPING)
                call = AdminCall(
                    body,
                    request.query_params,
                    request.path_params,
                    base_url=_base(request),
                    watching=WATCH_HEADER in request.headers,
                    headers=request.headers,
                )
                for name in route.reads:
                    await self.kit.store.fresh(name)
                result = await self.kit.store.run(lambda: self._run(route, call))
                if isinstance(result, AdminError):
                    raise result
            except AdminError as exc:
                return JSONResponse({"error": exc.message}, status_code=exc.status)
            except ClientDisconnect:  # nobody to answer: no traceback either
                return JSONResponse({"error": GONE}, status_code=400)
            except StoreUnavailable as exc:
                return JSONResponse({"error": str(exc)}, status_code=503)
            except Exception:  # a bug: the API's own shape all the same, not a bare text page
                log.exception("unplanned error in %s %s", route.method, route.path)
                return JSONResponse({"error": UNPLANNED}, status_code=500)
            if isinstance(result, Response):
                return result
            return JSONResponse(result, status_code=call.status)

        return endpoint

    async def _body(self, request: Request, route: AdminRoute) -> bytes:
        """The call's body, within its limit (413 beyond; one declared beyond it is refused
        before any of it is read). A call that takes none refuses one (400), as a blank one is
        no body: its ``"session"`` would otherwise be ignored, the call acting on the global
        scope."""
        limit, key = (
            (self.kit.max_state_bytes, "max_state_bytes")
            if route.fixtures
            else (self.kit.max_body_bytes, "max_body_bytes")
        )
        try:
            raw = await read_body(request.receive, request.scope, limit)
        except KitError:
            if route.body == "none":
                raise AdminError(400, _no_body(route)) from None
            raise AdminError(413, f"the body is larger than {limit} bytes ([kit] {key})") from None
        if route.body == "none" and raw.strip():
            raise AdminError(400, _no_body(route))
        return raw

    def _run(self, route: AdminRoute, call: AdminCall) -> Any:
        """The endpoint's work, in the scope it addresses; its writes made durable. Sessions
        idle past their TTL go first: a whole-kit read must not count what they held."""
        self.kit.sessions.expire_idle()
        try:
            call.session = self._session(call, route)
            if call.session is not None and not call.watching:
                call.session = self.kit.sessions.touch(call.session)
            with sessions.scoped(call.session):
                result = route.handler(call)
        except AdminError as refused:
            # Returned, not raised: a shared store commits the writes of a work that returns
            # (the sessions just expired), and throws away those of one that raises.
            result = refused
        self.kit.flush()
        return result

    def _session(self, call: AdminCall, route: AdminRoute) -> sessions.Session | None:
        session_id = call.query.get("session")
        if session_id is None and isinstance(call.body, dict):
            session_id = call.body.get("session")
        if session_id is None:
            return None
        if not route.scoped:
            raise AdminError(
                400,
                f"{route.method} {route.path} takes no session: it acts on the kit's sessions"
                f" (one of them: {SESSIONS}/{{session_id}})",
            )
        session = self.kit.sessions.get(session_id) if isinstance(session_id, str) else None
        if session is None:
            raise AdminError(404, f"no live session {session_id!r}")
        return session

    def _authorise(self, request: Request) -> None:
        if self.admin_token:
            raw = request.headers.get("x-admin-token", "").encode("latin-1")
            given = header_text(raw).encode()  # read as a vendor reads a credential header
            if not secrets.compare_digest(given, self.admin_token.encode()):
                raise AdminError(401, "the admin API needs the X-Admin-Token header")
        elif not is_loopback(request.client.host if request.client else None):
            raise AdminError(
                403, "the admin API answers only on loopback unless --admin-token is set"
            )
        else:
            refused = foreign_page(request.scope, self.cors_origins)
            if refused is not None:
                raise AdminError(403, f"refused {refused}: set --admin-token to allow it")

    def vendor(self, name: Any) -> Vendor:
        vendor = self.vendors.get(name) if isinstance(name, str) else None
        if vendor is None:
            raise AdminError(404, f"unknown vendor {name!r}; one of {sorted(self.vendors)}")
        return vendor

    # -- health and reset -------------------------------------------------------------------
    def health(self, call: AdminCall) -> Any:
        return {
            "status": "ok",
            "vendors": sorted(self.vendors),
            "store": self.kit.store.describe(),
            "forwarded": sorted(self.kit.forwarded),
            "config_differs": self.kit.config.differs(),
        }

    def reset(self, call: AdminCall) -> Any:
        body = call.object_body(default={}, contract="admin/reset.request")
        name = body.get("vendor")
        if name is not None:
            self.vendor(name)
        self.kit.reset(call.scope, name)
        return {"reset": [name] if name is not None else sorted(self.vendors)}

    # -- state ------------------------------------------------------------------------------
    def get_state(self, call: AdminCall) -> Any:
        """The whole state; with ``?newest=N``, a look at it (the dashboard's), answered only
        when it changed since the ``If-None-Match`` given: a 304 costs neither the kit nor
        the page a record read again, where the panel fetched megabytes every second."""
        vendor = self.vendor(call.path["vendor"])
        newest = call.query.get("newest")
        if newest is None:
            return vendor.dump_state(call.scope)
        look = vendor.look_state(call.scope, _newest(newest))
        tag = {"etag": f'"{look.version()}"'}
        if tag["etag"] in _tags(call.headers.get("if-none-match", "")):
            return Response(status_code=304, headers=tag)
        return JSONResponse(look.document(mask_value), headers=tag)

    def put_state(self, call: AdminCall) -> Any:
        vendor = self.vendor(call.path["vendor"])
        document = call.body
        if isinstance(document, dict):  # another shape: the vendor's state error says which
            call.object_body(contract="admin/defs/state")  # a key beside "tenants" is named
            document = {k: v for k, v in document.items() if k != "session"}
        try:
            vendor.put_state(document, call.scope)
        except StateError as exc:
            raise AdminError(400, str(exc)) from None
        return vendor.dump_state(call.scope)

    # -- journal and verification -----------------------------------------------------------
    def _scope(self, call: AdminCall) -> str | None:
        """The scope a read looks at: a session's, or the whole kit's."""
        return call.scope if call.session is not None else EVERY

    def get_requests(self, call: AdminCall) -> Any:
        limit = call.query.get("limit")
        if limit is not None:
            if not (limit.isascii() and limit.isdigit()):
                raise AdminError(400, "limit must be a whole number")
            limit = limit.lstrip("0") or "0"  # leading zeros count for nothing
        bodies = _bodies(call)
        vendor = call.query.get("vendor") or None
        operation = call.query.get("operation") or None
        if vendor is not None:
            self.vendor(vendor)
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
            self.vendor(matcher["vendor"])
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

    # -- clock ------------------------------------------------------------------------------
    def get_clock(self, call: AdminCall) -> Any:
        return {"now": self.kit.clock.isoformat()}

    def move_clock(self, call: AdminCall) -> Any:
        body = call.object_body(contract="admin/advanceClock.request")
        seconds = number(body, "advance_seconds", 0, MAX_SECONDS, required=True)
        try:
            self.kit.clock.advance(seconds)
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        return {"now": self.kit.clock.isoformat()}

    # -- faults -----------------------------------------------------------------------------
    def add_fault(self, call: AdminCall) -> Any:
        spec = call.object_body(contract="admin/addFault.request")
        spec = {k: v for k, v in spec.items() if k != "session"}
        if isinstance(spec.get("vendor"), str) and spec["vendor"] in self.kit.forwarded:
            raise AdminError(
                400,
                f"{spec['vendor']}: its calls go to the real vendor (mockservers proxy): no"
                " fault of the kit reaches them",
            )
        known = {n: (v.fault_kinds, frozenset(v.operations)) for n, v in self.vendors.items()}
        fault = self.kit.faults.add(spec, vendors=known)
        call.status = 201
        return {"id": fault.id}

    def list_faults(self, call: AdminCall) -> Any:
        return self.kit.faults.list(self._scope(call))

    def clear_faults(self, call: AdminCall) -> Any:
        self.kit.faults.clear(scope=call.scope)
        return {"cleared": True}

    # -- tokens -----------------------------------------------------------------------------
    def expire_tokens(self, call: AdminCall) -> Any:
        call.object_body(default={}, contract="admin/expireTokens.request")
        return {"expired": self.vendor(call.path["vendor"]).expire_tokens(call.scope)}

    # -- sessions ---------------------------------------------------------------------------
    def create_session(self, call: AdminCall) -> Any:
        body = call.object_body(default={}, contract="admin/createSession.request")
        # under a second, a session would be gone before its first call
        ttl = number(body, "ttl_seconds", 1, MAX_SECONDS)
        name = body.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > MAX_SESSION_NAME):
            raise AdminError(
                400, f"'name' must be a string of at most {MAX_SESSION_NAME} characters"
            )
        try:
            session = self.kit.open_session(ttl, name)
        except SessionLimit as exc:
            raise AdminError(429, str(exc)) from None
        call.status = 201
        return self._public(session)

    def list_sessions(self, call: AdminCall) -> Any:
        return [self._public(s) for s in self.kit.sessions.all()]

    def get_session(self, call: AdminCall) -> Any:
        return self._public(self._named_session(call))

    def drop_session(self, call: AdminCall) -> Any:
        session = self._named_session(call)
        self.kit.sessions.drop(session["id"])
        return {"dropped": session["id"]}

    def drop_sessions(self, call: AdminCall) -> Any:
        dropped = [s["id"] for s in self.kit.sessions.all()]
        for session_id in dropped:
            self.kit.sessions.drop(session_id)
        return {"dropped": dropped}

    def _named_session(self, call: AdminCall) -> sessions.Session:
        session = self.kit.sessions.get(call.path["session_id"])
        if session is None:
            raise AdminError(404, f"no live session {call.path['session_id']!r}")
        return session

    def _public(self, session: sessions.Session) -> dict[str, Any]:
        with sessions.scoped(session):
            now = self.kit.clock.isoformat()
        return {
            "id": session["id"],
            "name": session["name"],
            "expires_at": iso(self.kit.sessions.expires_at(session)),
            "ttl_seconds": session["ttl_seconds"],
            "clock": now,
            "credentials": session["credentials"],
        }

    # -- coverage ---------------------------------------------------------------------------
    def coverage(self, call: AdminCall) -> Any:
        name = call.query.get("vendor") or None
        chosen = [self.vendor(name)] if name is not None else list(self.vendors.values())
        scope = self._scope(call)
        for vendor in chosen:
            vendor.catch_up(scope)  # what time settled (TS Digital's FAILED) counts too
        return {v.name: self.kit.coverage.report(v.behaviours, scope) for v in chosen}

    # -- the table --------------------------------------------------------------------------
    def table(self) -> list[AdminRoute]:
        a, J, S = AdminRoute, ("journal",), False
        routes = [
            a("/__admin/health", "GET", self.health),
            a("/__admin/reset", "POST", self.reset, "optional"),
            a("/__admin/state/{vendor}", "GET", self.get_state),
            a("/__admin/state/{vendor}", "PUT", self.put_state, "required", fixtures=True),
            a("/__admin/requests", "GET", self.get_requests, reads=J),
            a("/__admin/requests", "DELETE", self.clear_requests),
            a("/__admin/requests/count", "POST", self.count_requests, "required", J),
            a("/__admin/requests/verify", "POST", self.verify_requests, "required", J),
            # after count and verify, whose literal paths the pattern would otherwise take
            a("/__admin/requests/{entry_id}", "GET", self.get_request, reads=J),
            a("/__admin/clock", "GET", self.get_clock),
            a("/__admin/clock", "POST", self.move_clock, "required"),
            a("/__admin/faults", "POST", self.add_fault, "required"),
            a("/__admin/faults", "GET", self.list_faults),
            a("/__admin/faults", "DELETE", self.clear_faults),
            # the sessions themselves: no session narrows them (?session= is a 400)
            a(SESSIONS, "POST", self.create_session, "optional", scoped=S),
            a(SESSIONS, "GET", self.list_sessions, scoped=S),
            a(SESSIONS, "DELETE", self.drop_sessions, scoped=S),
            a("/__admin/sessions/{session_id}", "GET", self.get_session),
            a("/__admin/sessions/{session_id}", "DELETE", self.drop_session),
            a("/__admin/coverage", "GET", self.coverage),
        ]
        routes += self.kit.shadows.admin_routes(self.vendors)
        for vendor in self.vendors.values():
            routes += vendor.admin_routes()
        routes.append(a("/__admin/{vendor}/tokens/expire", "POST", self.expire_tokens, "optional"))
        return routes

    def routes(self) -> list[Route]:
        """One route per path, whatever its methods, so that a 405 names them all in ``Allow``."""
        by_path: dict[str, dict[str, Endpoint]] = {}
        for route in self.table():
            by_path.setdefault(route.path, {})[route.method] = self.endpoint(route)
        return [
            AdminPath(path, _by_method(methods), methods=list(methods))
            for path, methods in by_path.items()
        ]


class AdminPath(Route):
    """An admin path, claimed whatever the method: one it does not answer is its 405, with
    ``Allow``. Starlette's router takes a later route matching path and method over an earlier
    one matching the path only, so ``GET /__admin/requests/count`` was ``GET
    /__admin/requests/{entry_id}``'s, a 404 for no entry "count"."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        return (Match.FULL if match is Match.PARTIAL else match), child


def _by_method(endpoints: dict[str, Endpoint]) -> Endpoint:
    """One endpoint for a path that answers several methods (HEAD as GET)."""

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return endpoint


def _no_body(route: AdminRoute) -> str:
    """A call that takes no body refusing one: where its session goes instead."""
    where = ": its session goes as ?session=ID" if route.scoped else ""
    return f"{route.method} {route.path} takes no body{where}"


MAX_NEWEST: int = load_schema("admin/getState.query")["properties"]["newest"]["maximum"]
"""The most records of a collection a look at the state shows (its contract's bound)."""


def _newest(text: str) -> int:
    """A look's ``newest``: a whole number from 0 to ``MAX_NEWEST``."""
    digits = text.lstrip("0") or "0"
    short = len(digits) <= len(str(MAX_NEWEST))  # int() of 5,000 digits is refused
    if not (text.isascii() and text.isdigit() and short and int(digits) <= MAX_NEWEST):
        raise AdminError(400, f"newest must be a whole number from 0 to {MAX_NEWEST}")
    return int(digits)


def _tags(header: str) -> set[str]:
    """The entity tags an ``If-None-Match`` names (weak ones compared as strong: a look's tag
    is never weak)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


def _bodies(call: AdminCall) -> bool:
    """A journal read's or a verify's ``bodies`` (default true): false leaves them out, with
    the vendor's codes in the answer instead."""
    bodies = call.query.get("bodies", "true")
    if bodies not in ("true", "false"):
        raise AdminError(400, "bodies must be true or false")
    return bodies == "true"


def _judged(entry: Entry) -> dict[str, list[str]] | None:
    """The contracts' verdict on a journalled call, judged on what really travelled (a masked
    ``***`` would break a format) with every secret value of the exchange blotted out of the
    messages; None for a call that is no operation (an unknown alias, a path no route serves)."""
    if entry.operation == UNKNOWN:
        return None
    query = parse_qsl(entry.query.decode("latin-1"), keep_blank_values=True)
    headers = {k.decode("latin-1"): header_text(v) for k, v in entry.headers}  # as the fake
    secrets = har.secrets_of(
        url=f"{entry.path}?{entry.query.decode('latin-1')}",
        request_headers=list(headers.items()),
        request_body=entry.request_body,
        response_headers=[(k.decode("latin-1"), text_of(v)) for k, v in entry.response_headers],
        response_body=entry.response_body,
    )
    scrub = har.scrubber(secrets)
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
    return scrub(found)


def _base(request: Request) -> str:
    """The server's own URL as the caller reached it (for curl lines)."""
    return f"{request.url.scheme}://{request.url.netloc}"


ADMIN_HEADERS = [(b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]
"""On every admin answer: it may hold a session's passwords, a minted token or the state, which
no cache (a proxy's, the browser's) may keep, and its JSON is never to be read as a page."""

WATCH_HEADER = "x-mockservers-watch"
"""Sent by a page that polls: its reads do not renew a session's idle timer."""

STATE_WRAPPING = 8
"""Levels an admin body may nest beyond the vendors' ``max_json_depth``: a state document holds
records (as deep as the calls that stored them) in tenants and collections."""


def _parse(raw: bytes, body: str, depth: int) -> Any:
    if not raw.strip():
        if body == "required":
            raise AdminError(400, "a JSON body is required")
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise AdminError(400, f"the body is not valid JSON: {exc}") from None
    if value is None:  # not "no body": every admin body is an object
        raise AdminError(400, "the body must be a JSON object, not null")
    if len(raw) > 2 * depth and too_deep(value, depth):  # shorter cannot nest that deep
        raise AdminError(400, f"the body nests deeper than {depth} levels")
    return value
