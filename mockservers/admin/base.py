"""What every admin call goes through (:meth:`AdminBase.endpoint`): loopback or the admin
token, its body read within its limit and parsed, the scope it addresses found (the global one
or a session's), and its work run as one transaction of the kit's store. The endpoints are the
mixins beside it, gathered with the route table in :mod:`mockservers.admin.routes`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from contracts.infinite import read_past_doubles
from mockservers.core import sessions
from mockservers.core.adminapi import AdminCall, AdminError, AdminRoute
from mockservers.core.call import read_body
from mockservers.core.errors import KitError
from mockservers.core.http import JSONResponse, foreign_page, header_text, is_loopback, too_deep
from mockservers.core.kit import Kit
from mockservers.core.pipeline import GONE, UNPLANNED
from mockservers.core.sessions import EVERY
from mockservers.core.shared import StoreUnavailable
from mockservers.core.vendor import Vendor, log

Endpoint = Callable[[Request], Any]


SESSIONS = "/__admin/sessions"


class AdminBase:
    """The kit and its vendors, what each endpoint is wrapped in (:meth:`endpoint`), and what
    every endpoint looks up: a vendor by name, the scope a read looks at."""

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
                named = _named_session(request.query_params.getlist("session"), body, route)
                for name in route.reads:
                    await self.kit.store.fresh(name)
                result = await self.kit.store.run(lambda: self._run(route, call, named))
                if isinstance(result, AdminError):
                    raise result
                if isinstance(result, Response):
                    return result
                # Written here, inside: a result the encoder cannot write is the API's 500 too
                return JSONResponse(result, status_code=call.status)
            except AdminError as exc:
                return JSONResponse({"error": exc.message}, status_code=exc.status)
            except ClientDisconnect:  # nobody to answer: no traceback either
                return JSONResponse({"error": GONE}, status_code=400)
            except StoreUnavailable as exc:
                return JSONResponse({"error": str(exc)}, status_code=503)
            except Exception:  # a bug: the API's own shape all the same, not a bare text page
                log.exception("unplanned error in %s %s", route.method, route.path)
                return JSONResponse({"error": UNPLANNED}, status_code=500)

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

    def _run(self, route: AdminRoute, call: AdminCall, named: str | None) -> Any:
        """The endpoint's work, in the scope it addresses (``named``: the session's id, None
        for the global scope); its writes made durable. Sessions idle past their TTL go first:
        a whole-kit read must not count what they held."""
        self.kit.sessions.expire_idle()
        kept = self.kit.kept_writes()
        try:
            call.session = self._session(named, route)
            if call.session is not None and not call.watching:
                call.session = self.kit.sessions.touch(call.session)
            with sessions.scoped(call.session):
                result = route.handler(call)
        except AdminError as refused:
            # Returned, not raised: a shared store commits the writes of a work that returns
            # (the sessions just expired), and throws away those of one that raises.
            result = refused
        self._flush(route, kept)
        return result

    def _flush(self, route: AdminRoute, kept: int) -> None:
        """The call's writes made durable. When the state file cannot take what is pending (a
        full disk), a call that changed what the file keeps (``kept`` writes before it: a
        reset, a state PUT, a clock move) is answered 503 saying that its change stands and
        must not be made again; any other (a read, faults, tokens, sessions, the journal) is
        answered its own result: what it changed is kept nowhere but memory anyway."""
        try:
            self.kit.flush()
        except StoreUnavailable as exc:
            if route.method != "GET" and self.kit.kept_writes() != kept:
                raise StoreUnavailable(f"{exc}: {NOT_WRITTEN}") from exc

    def _session(self, session_id: str | None, route: AdminRoute) -> sessions.Session | None:
        """The live session a call names (None: the global scope); 404 for none live."""
        if session_id is None:
            return None
        if not route.scoped:
            raise AdminError(
                400,
                f"{route.method} {route.path} takes no session: it acts on the kit's sessions"
                f" (one of them: {SESSIONS}/{{session_id}})",
            )
        session = self.kit.sessions.get(session_id)
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

    def _scope(self, call: AdminCall) -> str | None:
        """The scope a read looks at: a session's, or the whole kit's."""
        return call.scope if call.session is not None else EVERY


MATCHER_BODIES = frozenset({("POST", "/__admin/requests/count")})
"""The calls whose whole body is a matcher: its ``"session"`` picks the calls counted (a filter,
as in a verify's ``matcher``), and the call's scope comes from ``?session=`` alone. Read as the
scope, a global count of a closed session's calls was a 404 where verify answered 0, and
counting a session's calls renewed its idle time."""


def _named_session(given: list[str], body: Any, route: AdminRoute) -> str | None:
    """The session a call names (None: none), as ``?session=`` or as ``"session"`` in its body
    (``null`` names none). Nothing is picked silently: a repeated ``?session=``, a query and a
    body naming two sessions, or a body's ``session`` that is no id is a 400."""
    if len(given) > 1:
        raise AdminError(
            400,
            f"?session= is given {len(given)} times ({', '.join(map(repr, given[:3]))}"
            f"{', …' if len(given) > 3 else ''}): give it once",
        )
    query = given[0] if given else None
    if not isinstance(body, dict) or (route.method, route.path) in MATCHER_BODIES:
        return query
    named = body.get("session")
    if named is None:
        return query
    if not isinstance(named, str):
        raise AdminError(400, "'session' must be a live session's id (a string) or null")
    if query is not None and query != named:
        raise AdminError(
            400,
            f"two sessions named: {query!r} in ?session= and {named!r} in the body;"
            " name one (or the same in both)",
        )
    return named


def _no_body(route: AdminRoute) -> str:
    """A call that takes no body refusing one: where its session goes instead."""
    where = ": its session goes as ?session=ID" if route.scoped else ""
    return f"{route.method} {route.path} takes no body{where}"


def _base(request: Request) -> str:
    """The server's own URL as the caller reached it (for curl lines)."""
    return f"{request.url.scheme}://{request.url.netloc}"


NOT_WRITTEN = (
    "the change took effect in memory and is written to the state file with the next request"
    " that succeeds: do not repeat it"
)
"""What an admin call's 503 adds when its change stands in memory but the state file (a full
disk) did not take it: a retry would make it twice (a second advance of the clock)."""

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
    except orjson.JSONDecodeError as refusal:
        try:  # the body read past such a number: said to be JSON only when it is
            read_past_doubles(raw, refusal)
        except orjson.JSONDecodeError as exc:
            raise AdminError(400, f"the body is not valid JSON: {exc}") from None
        said = f"a number past a double's range, which no admin field takes: {refusal}"
        raise AdminError(400, f"the body holds {said}") from None
    if value is None:  # not "no body": every admin body is an object
        raise AdminError(400, "the body must be a JSON object, not null")
    if len(raw) > 2 * depth and too_deep(value, depth):  # shorter cannot nest that deep
        raise AdminError(400, f"the body nests deeper than {depth} levels")
    return value
