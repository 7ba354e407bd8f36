"""The request pipeline every vendor route runs through, once for all vendors: body limits and
JSON parsing, the session a call belongs to, faults, the journal and coverage, catching vendor
errors, the kit's diagnosis in the ``X-Mockservers-Detail`` header; and it runs a call's reads
and writes as one transaction of the kit's store.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Mapping
from functools import cached_property, partial
from time import perf_counter
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mockservers.core import sessions, unjournalled
from mockservers.core.call import Call, parse_query, read_body
from mockservers.core.coverage import MET, Met
from mockservers.core.errors import DroppedConnection, KitError, VendorError
from mockservers.core.faults import Fault
from mockservers.core.journal_entry import Entry
from mockservers.core.route import UNKNOWN, Paths, VendorRoute
from mockservers.core.sessions import owner_id
from mockservers.core.shared import StoreUnavailable

log = logging.getLogger("mockservers")
DETAIL_HEADER = "X-Mockservers-Detail"
_DETAIL_LIMIT = 2000


_WHOLE_ESCAPES = re.compile(r"(?:[^\\]|\\u[0-9a-fA-F]{4}|\\[^u])*")
"""JSON-escaped text, escape by escape: matched up to a cut, it ends on the last whole one."""


def detail_header(details: str) -> str:
    """The ``X-Mockservers-Detail`` value: printable ASCII whatever the request held (non-ASCII
    and quotes JSON-escaped), at most 2000 characters, cut after the last whole escape that
    fits (half of one, ``\\u00``, is no JSON), stripped: a header value may not end in a
    space (h11 refuses to send it, and uvicorn then drops the connection instead of answering).
    Only the characters that can show are escaped (each is one or more): the details of 100,000
    refused rows run to megabytes."""
    escaped = json.dumps(details[:_DETAIL_LIMIT])[1:-1]
    if len(escaped) > _DETAIL_LIMIT:
        escaped = _WHOLE_ESCAPES.match(escaped, 0, _DETAIL_LIMIT)[0]  # type: ignore[index]
    return escaped.strip()


INJECTED_STATUS = "an injected status fault"
"""What the detail of a status fault's answer says: of the kit's own answers, the one that
stands for the vendor's (the fuzz harness judges it; a 502 the proxy made, it does not)."""

GONE = "the client closed the connection before the whole body arrived (nothing answered)"
UNPLANNED = "an unplanned error in the fake (a bug)"
CORS_NOTE = "mockservers.cors"
"""The scope's key for what the CORS layer found of a call from a page whose origin it does not
allow: the call is answered, and the journal says why the page cannot read the answer."""
_MISHANDLED = {
    "drop": "the connection was closed with no complete answer (an injected drop fault, {})",
    "malformed": "the answer's body was cut in half (an injected malformed fault, {})",
}
"""What a fault did to an answer that the journal's entry would not show otherwise: the
connector read none of it, so the call meets no documented situation."""


class Pipeline:
    """The pipeline's part of ``Vendor`` (``vendor.py``), its base: it runs on what the vendor
    sets (``name``, ``routes``, ``paths_any_case``, ``json_charsets``, ``kit``, ``clock``,
    ``model``) and calls its hooks (``tenant_of``, ``render_error``)."""

    def paths(self) -> dict[str, VendorRoute]:
        """Each route by its full path (``/<vendor><path>``): the app's shortcut to ``handle``."""
        return {f"/{self.name}{route.path}": route for route in self.routes}

    @cached_property
    def _routes(self) -> Paths[VendorRoute]:
        found: Paths[VendorRoute] = Paths()
        for path, route in self.paths().items():
            found.add(path, route, any_case=self.paths_any_case)
        return found

    def route_at(self, path: str, raw_path: bytes | None = None) -> VendorRoute | None:
        """The route a full path (``raw_path``: as sent) reaches, as the app finds it (in any
        case, with one trailing slash, for a vendor whose ``paths_any_case``); None: no
        route's."""
        return self._routes.get(path, raw_path)

    def starlette_routes(self) -> list[Route]:
        return [
            Route(
                f"/{self.name}{route.path}",
                self._endpoint(route),
                methods=list(route.methods),
                name=f"{self.name}:{route.path}",
            )
            for route in self.routes
        ]

    def _endpoint(self, route: VendorRoute) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return await self.handle(request.scope, request.receive, route)

        return endpoint

    async def handle(self, scope: Scope, receive: Receive, route: VendorRoute) -> Response:
        """The answer to one call of ``route``, straight from the ASGI scope (no Starlette
        request: this is every call's path)."""
        started = perf_counter()
        kit = self.kit
        query = parse_query(scope["query_string"])
        operation = route.operation_for(query)
        body = b""
        refused: KitError | None = None
        try:
            body = await read_body(receive, scope, kit.max_body_bytes)
        except KitError as exc:
            refused = exc
        except ClientDisconnect:  # journalled all the same: a connector that gave up mid-body
            refused = KitError("disconnected", GONE, status=400)
        call = Call(scope, self.name, operation, body, kit, query, self.json_charsets)
        cors = scope.get(CORS_NOTE)
        if cors is not None:
            call.explain(cors)
        if not kit.store.shared:
            response, fault = self._answer(call, route, refused, started)
        else:
            work = partial(self._answer, call, route, refused, started)
            response, fault = await self._in_store(work, call, started)
        if fault is not None and fault.kind == "latency":
            await asyncio.sleep((fault.latency_ms or 0) / 1000)
        return response

    def _answer(
        self, call: Call, route: VendorRoute, refused: KitError | None, started: float
    ) -> tuple[Response, Fault | None]:
        """Everything a call reads and writes, in one go (one transaction of the store): whose
        call it is, its fault, the vendor's answer, the journal entry and coverage."""
        kit = self.kit
        tenant = self.tenant_of(call)
        session = kit.sessions.owner(tenant) if tenant is not None else None
        if session is not None:
            session = kit.sessions.touch(session)
        met = Met()
        # Plain context-variable tokens rather than a context manager: this is every call's path.
        in_session = sessions.CURRENT.set(session) if session is not None else None
        held = kit.clock.hold()  # one reading of the scope's clock for the whole call
        try:
            met_token = MET.set(met)
            try:
                fault = kit.faults.take(self.name, call.operation)
                response, detail = self._respond(call, route, refused, fault)
            finally:
                MET.reset(met_token)
            details = detail
            if call.details:
                details = "; ".join([*call.details, detail] if detail else call.details)
            if fault is not None and fault.kind in _MISHANDLED:  # the journal says what happened
                said = _MISHANDLED[fault.kind].format(fault.id)
                details = f"{details}; {said}" if details else said
                # The connector read no answer (none, or one cut in half): it met nothing, but
                met.clear()  # what settling decided stands (met.settled)
            if details:
                response.headers[DETAIL_HEADER] = detail_header(details)
            if fault is not None and fault.kind == "malformed":
                response = _malformed(response)
            elif fault is not None and fault.kind == "drop":  # journalled as it goes out
                response = _DroppedResponse(response)
            scope = session["id"] if session is not None else None
            if fault is not None and fault.kind == "latency":  # the answer waits after this
                started -= (fault.latency_ms or 0) / 1000
            answered = kit.date(response)  # on the clock of the call's scope
            try:
                kit.flush()
            except StoreUnavailable as exc:  # the state file did not take the writes (yet)
                if fault is not None:  # the 503 took the place of what it did to the answer
                    kit.faults.give_back(fault)
                error = KitError("store", str(exc), status=503)
                response, entry = self._not_kept(error, call, started, tenant, session, met)
                kit.journal.record(entry)
                if met.settled:  # its items settled in memory, kept with the next commit
                    kit.coverage.count((), scope, met.settled)
                return response, None
            unread = refused is not None and refused.kind == "too_large"
            behaviours = [*met, *met.settled] if met.settled else met
            entry = self._entry(
                call, response, answered, started, details, scope, tenant, behaviours
            )
            entry.body_unread = unread
            entry.answer_dropped = isinstance(response, _DroppedResponse)
            kit.journal.record(entry)
            if behaviours:
                kit.coverage.count(met, scope, met.settled)
        finally:
            kit.clock.release(held)
            if in_session is not None:
                sessions.CURRENT.reset(in_session)
        return response, fault

    async def refuse(
        self, scope: Scope, error: KitError, headers: Mapping[str, str] | None = None
    ) -> Response:
        """The answer to a call refused before any endpoint of this vendor (a path it does not
        have, a method its path does not allow: ``routing``; a page's origin CORS does not
        allow: ``cors``), in the vendor's own error body. It is journalled as ``unknown`` with
        the detail ``routing: ...`` or ``cors: ...``: a connector's wrong URL or refused page
        shows in the journal like any other call."""
        started = perf_counter()
        query = parse_query(scope["query_string"])  # whose call it is may be there
        call = Call(scope, self.name, UNKNOWN, b"", self.kit, query)
        detail = "; ".join(filter(None, (f"{error.kind}: {error.detail}", scope.get(CORS_NOTE))))

        def answer() -> tuple[Response, None]:
            tenant = self.tenant_of(call)
            session = self.kit.sessions.owner(tenant) if tenant is not None else None
            if session is not None:
                session = self.kit.sessions.touch(session)
            with sessions.scoped(session):  # on the session's clock, as its other calls
                response = self.render_error(error, UNKNOWN)
                response.headers.update(headers or {})  # a 405's Allow, journalled with it
                response.headers[DETAIL_HEADER] = detail_header(detail)
                answered = self.kit.date(response)
                scope = session["id"] if session is not None else None
                entry = self._entry(call, response, answered, started, detail, scope, tenant, [])
                self.kit.journal.record(entry)
            return response, None

        if not self.kit.store.shared:
            return answer()[0]
        return (await self._in_store(answer, call, started))[0]

    async def _in_store(
        self, work: Callable[[], tuple[Response, Fault | None]], call: Call, started: float
    ) -> tuple[Response, Fault | None]:
        """Run a call's ``work`` as one transaction of the shared store, journalling first the
        calls this process answered without the store (``core/unjournalled.py``). When the store
        keeps nothing of it (unreachable, or a bug), the vendor's error body, journalled with
        the next commit that goes through."""
        kit = self.kit
        owed = kit.unjournalled.take()

        def kept() -> tuple[Response, Fault | None]:
            unjournalled.journal(kit, owed)
            return work()

        try:
            return await kit.store.run(kept if owed else work)
        except StoreUnavailable as exc:  # nothing of this call was kept
            error = KitError("store", str(exc), status=503)
        except Exception:  # a bug in the store: nothing kept, the vendor's body all the same
            error = self._unplanned(call.operation)
        tenant = self.tenant_of(call)  # whose call, as far as this process's copy knows
        session = kit.sessions.map.get(owner_id(tenant))
        response, entry = self._not_kept(error, call, started, tenant, session)
        kit.unjournalled.hold(owed, entry)
        return response, None

    def _respond(
        self, call: Call, route: VendorRoute, refused: KitError | None, fault: Fault | None
    ) -> tuple[Response, str]:
        """The vendor's answer and the kit's diagnosis of it."""
        operation = call.operation
        try:
            if refused is not None:
                raise refused
            if fault is not None and fault.kind == "status":
                raise KitError("fault", f"{INJECTED_STATUS} ({fault.id})", fault.status)
            return route.endpoint(operation)(self.model, call), ""
        except VendorError as exc:
            return exc.response(), exc.detail
        except KitError as exc:
            return self.render_error(exc, operation), exc.detail
        except Exception:
            error = self._unplanned(operation)
            return self.render_error(error, operation), error.detail

    def _unplanned(self, operation: str) -> KitError:
        """An exception nothing planned for (a bug), logged with its traceback, as the error
        the caller gets: HTTP 500 in the vendor's own body, never the server's bare page."""
        log.exception("unplanned error in %s %s", self.name, operation)
        return KitError("internal", UNPLANNED, status=500)

    def _not_kept(
        self,
        error: KitError,
        call: Call,
        started: float,
        tenant: str | None,
        session: sessions.Session | None,
        met: Met | None = None,
    ) -> tuple[Response, Entry]:
        """The vendor's error body for a call the store did not keep, with the diagnosis that
        ``_answer`` adds to the others, and its journal entry: what the connector was answered.
        It met none of the situations the rules' answer would have; only what time settled
        while it ran (``met.settled``), which memory keeps (a state file that did not take it
        commits it with the next call)."""
        response = self.render_error(error, call.operation)
        response.headers[DETAIL_HEADER] = detail_header(error.detail)
        scope = session["id"] if session is not None else None
        settled = list(met.settled) if met is not None else []
        with sessions.scoped(session):  # on the clock of the call's scope
            answered = self.kit.date(response)
            entry = self._entry(
                call, response, answered, started, error.detail, scope, tenant, settled
            )
        return response, entry

    def _entry(
        self,
        call: Call,
        response: Response,
        answered: float,
        started: float,
        detail: str,
        scope: str | None,
        tenant: str | None,
        met: list[str],
    ) -> Entry:
        """The journal entry of a call and its answer, given at ``answered`` (the kit's clock, as
        ``Kit.date`` read it)."""
        scope_ = call.scope
        # Positional, in the order of Entry's fields: half the cost of keywords, on every call.
        return Entry(
            answered,
            self.name,
            call.operation,
            scope_["method"],
            scope_["path"],
            scope_["query_string"],
            scope_["headers"],
            response.status_code,
            call.body,
            bytes(getattr(response, "body", b"")),
            (perf_counter() - started) * 1000,
            detail,
            scope,
            tenant,
            met,
            response.raw_headers,
            scope_.get("raw_path"),
        )


def _malformed(response: Response) -> Response:
    """The same answer with its body cut in half: a truncated, unparseable JSON."""
    body = bytes(getattr(response, "body", b""))
    cut = body[: max(1, len(body) // 2)] if body else b"{"
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return Response(cut, status_code=response.status_code, headers=headers)


class _DroppedResponse(Response):
    """The start of ``answer``, then a failure: the server closes the connection with no
    complete answer. The status line ``200`` and the answer's ``Content-Type``, its
    ``Content-Length`` (the whole body's, which never comes) and the kit's detail go out (the
    kit's ``Date`` too, added as it dates answers); the body does not."""

    def __init__(self, answer: Response) -> None:
        super().__init__(b"", status_code=200)
        kept = (b"content-type", b"content-length", DETAIL_HEADER.lower().encode())
        self.raw_headers = [(k, v) for k, v in answer.raw_headers if k.lower() in kept]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = self.raw_headers
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        raise DroppedConnection("connection dropped by an injected fault", 200, headers)
