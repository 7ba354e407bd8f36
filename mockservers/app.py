"""``create_app``: one Starlette app serving every vendor under its prefix, plus the admin API."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import cache
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts import ADMIN
from contracts.openapi import openapi, openapi_bytes
from mockservers import dashboard, logs
from mockservers.admin import ADMIN_HEADERS, Admin
from mockservers.config import Config, ConfigError
from mockservers.core import apidocs, seeded
from mockservers.core.clears import Clears
from mockservers.core.clock import Clock
from mockservers.core.cors import KitCORS
from mockservers.core.coverage import Coverage
from mockservers.core.errors import KitError
from mockservers.core.faults import FaultRegistry
from mockservers.core.handshake import answered_as_get
from mockservers.core.http import JSONResponse, closing_unread
from mockservers.core.journal import Journal
from mockservers.core.kit import Kit
from mockservers.core.persistence import StateFile, StateFileError
from mockservers.core.phrases import status_phrase
from mockservers.core.route import Paths, VendorRoute
from mockservers.core.seeded import SeededConfig
from mockservers.core.sessions import Sessions
from mockservers.core.settings import settings_from
from mockservers.core.shadows import ShadowSummary
from mockservers.core.shared import Store, StoreUnavailable
from mockservers.core.state import StateError
from mockservers.core.vendor import Vendor, log, vendor_of
from mockservers.vendors import VENDOR_CLASSES

SERVER_OPTIONS: dict[str, Any] = {
    "timeout_graceful_shutdown": 10,
    "date_header": False,
}
"""uvicorn settings shared by ``mockservers serve`` (its workers too), ``mockservers proxy``
and ``MockServer``. No ``Date`` of uvicorn's, the wall's time: the kit dates its answers on
its own clock there (``kit_dates``)."""


def kit_dates(app: Any) -> bool:
    """Have an app of the kit (``create_app``'s, ``create_proxy_app``'s) date its answers on
    the kit's clock, for a server that adds no ``Date`` of its own (``SERVER_OPTIONS``, an
    in-process transport): True; False for any other app, whose server's ``Date`` must stay."""
    kit = getattr(getattr(app, "state", None), "kit", None)
    if not isinstance(kit, Kit):
        return False
    kit.date_header = True
    return True


@cache
def _docs_page(name: str) -> bytes:
    """The document's page for people, rendered on first use (once per process)."""
    return apidocs.render(openapi(name)).encode("utf-8")


def _document_routes(name: str, prefix: str) -> list[Route]:
    """``{prefix}/openapi.json`` and its page ``{prefix}/docs``, open to every caller."""
    document = openapi_bytes(name)

    async def json_document(request: Request) -> Response:
        return Response(document, media_type="application/json")

    async def page(request: Request) -> Response:
        headers = {"Content-Security-Policy": apidocs.CSP}
        return Response(_docs_page(name), media_type="text/html", headers=headers)

    return [
        Route(f"{prefix}/openapi.json", json_document, methods=["GET"]),
        Route(f"{prefix}/docs", page, methods=["GET"]),
    ]


def _http_errors(vendors: dict[str, Vendor]) -> Callable[[Request, Exception], Any]:
    """404 and 405 under a vendor's prefix answer in that vendor's error body (a client parses
    one shape) and are journalled; elsewhere — the admin API, unknown prefixes — a plain JSON
    ``{"error"}``, under ``/__admin`` with the headers of every admin answer."""

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.headers and "Allow" in exc.headers:  # a set's order: it changed per process
            allowed = sorted(m.strip() for m in exc.headers["Allow"].split(","))
            exc.headers["Allow"] = ", ".join(allowed)
        path = request.scope["path"]
        vendor = vendor_of(vendors, path)
        if vendor is None or exc.status_code not in (404, 405):
            response = JSONResponse(
                {"error": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
            if path == "/__admin" or path.startswith("/__admin/"):
                response.raw_headers += ADMIN_HEADERS
            return response
        return await _refused_route(vendor, request.scope, exc.status_code, exc.headers)

    return handler


async def _refused_route(
    vendor: Vendor, scope: Scope, status: int, headers: Mapping[str, str] | None
) -> Response:
    """A 404 or 405 under the vendor's prefix, in its error body and journalled (a connector's
    wrong URL shows in the journal like any other call)."""
    reason = f"{scope['method']} {scope['path']}: {status_phrase(status)}"
    return await vendor.refuse(scope, KitError("routing", reason, status=status), headers)


def _open_state_file(path: str, kit: Kit) -> StateFile:
    """Restore each vendor and the clock from the file (a vendor new to it keeps its fresh
    state; a clock it kept for another ``[kit.clock]`` starts afresh) and record every write
    from now on."""
    store = StateFile(path)
    digest = kit.config.digests["kit.clock"]  # of the [kit.clock] table
    try:  # before any write: a file refused stays as it was
        documents, known = store.documents(), store.vendors()
        kept_clock = store.kept_clock(digest, kit.clock.reads)
        for name, vendor in kit.vendors.items():
            if name in known:
                document = documents.get(name, {"tenants": {}})
                try:
                    vendor.load_state(document, source=f"the state file {path}")
                except StateError as exc:
                    raise StateFileError(f"state file {path}: {name} state: {exc}") from exc
        store.start_writing()
    except StateFileError:
        store.close()
        raise
    for name, vendor in kit.vendors.items():
        store.attach(vendor.state)
        if name not in known:
            store.keep_all(vendor.state)
    store.keep_clock(kit.store.map("clock"), digest, kept_clock)
    store.flush()
    kit.flush = store.flush
    kit.kept_writes = lambda: store.writes
    return store


def _lifespan(
    kit: Kit, state: StateFile | None
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    store = kit.store

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Served by uvicorn itself (docs/testing.md "Serving the app yourself"), the access
        # log is on by default: mask its query strings, as ``serve`` does. Once uvicorn has set
        # up its logging (it has by the lifespan), and once per process.
        logs.install()
        try:
            await store.start()
            kit.config.differs(await store.kept(seeded.MAP))  # said in the log when it does
        except StoreUnavailable as exc:
            # Served all the same: the calls get the vendor's 503 until Redis is back, then the
            # store connects by itself. A worker ``serve --workers`` replaces while Redis is
            # down must not stop the whole fake (``serve`` checks Redis once, before any
            # worker starts, and refuses to start without it).
            log.warning("%s: calls answer 503 until it is back", exc)
        try:
            yield
        finally:
            await store.close()
            if state is not None:
                state.close()

    return lifespan


class KitApp(Starlette):
    """Starlette with one shortcut: a request for a vendor's path goes straight to the vendor's
    pipeline, skipping the router's pattern matching, per-route wrappers and request object
    (the hot path of every fake), or with a method the path does not allow to the vendor's
    405. A vendor on ASP.NET Core (``paths_any_case``) is reached by its paths in any case and
    with one trailing slash too, as its routing matches them; the journal keeps the path as
    sent. Everything else — admin, OpenAPI, a 404 — goes through Starlette as usual.

    With ``cors_origins``, CORS answers preflights and marks answers for those origins, in front
    of everything (connectors that run in a browser); a refused page is journalled.

    Where the kit dates its answers (``Kit.date_header``), every answer's ``Date`` is on the
    kit's clock, as its body's times are: a vendor's on the clock of the call's scope (its
    pipeline sets it), any other on the global one."""

    def __init__(
        self,
        *,
        kit: Kit,
        vendors: list[Vendor],
        cors_origins: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # A path with a slash too many is a path the vendor does not serve: its 404, in its
        # body and journalled (a redirect would hide the connector's wrong URL).
        self.router.redirect_slashes = False
        paths: Paths[tuple[Vendor, VendorRoute]] = Paths()
        for vendor in vendors:
            for path, route in vendor.paths().items():
                paths.add(path, (vendor, route), any_case=vendor.paths_any_case)
        # Every call looks its path up as written, in the dict itself, then in other spellings
        self.exact = paths.exact
        self.other_spelling = paths.get_folded
        self.kit = kit
        self.entry: ASGIApp = self.dispatch
        if cors_origins:
            self.entry = KitCORS(self.dispatch, cors_origins, {v.name: v for v in vendors})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await answered_as_get(self, scope, receive, send)
            return
        if scope["type"] == "http":
            receive, send = closing_unread(scope, receive, send)
            if self.kit.date_header:
                path = scope["path"]
                found = self.exact.get(path) or self.other_spelling(path, scope.get("raw_path"))
                if found is None or scope["method"] not in found[1].allows:
                    send = dated(send, self.kit.clock)
        await self.entry(scope, receive, send)

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            found = self.exact.get(path) or self.other_spelling(path, scope.get("raw_path"))
            if found is not None:
                scope["app"] = self
                vendor, route = found
                if scope["method"] in route.allows:
                    response = await vendor.handle(scope, receive, route)
                else:  # as Starlette's route would refuse it, in any spelling of the path
                    allowed = {"Allow": ", ".join(sorted(route.allows))}
                    response = await _refused_route(vendor, scope, 405, allowed)
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def dated(send: Send, clock: Clock) -> Send:
    """``send``, giving an answer without a ``Date`` the global scope's (the admin API, the
    documents and pages, a preflight; a vendor's answers carry their own)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = message.get("headers", ())
            if not any(name.lower() == b"date" for name, _ in headers):
                message = {**message, "headers": [*headers, (b"date", clock.http_date())]}
        await send(message)

    return sending


def build_kit(config: Config, store: Store, wall: Callable[[], float] = time.time) -> Kit:
    """The kit's services, each keeping what it keeps in ``store``, and the vendors on them;
    ``wall`` is the wall clock the kit's clock and the sessions' idle time follow. ``config``'s
    tables are refused as ``check_vendor_tables`` refuses them."""
    tables: dict[str, Any] = config.shared_tables()
    tables.update(
        (name, seeded.shared_values(found)) for name, found in check_vendor_tables(config).items()
    )
    clock = Clock(
        config.clock_start, frozen=config.clock_frozen, shared=store.map("clock"), wall=wall
    )
    journal = Journal(
        config.journal_max_entries,
        config.journal_max_bytes,
        session_max_entries=config.session_journal_max_entries,
        session_max_bytes=config.session_journal_max_bytes,
    )
    journal.record_op = store.recorder()
    store.register(journal)
    sessions = Sessions(
        store.map("sessions"),
        max_sessions=config.sessions_max,
        default_ttl=config.session_ttl_seconds,
        wall=wall,
    )
    clock.sessions = sessions
    kit = Kit(
        clock=clock,
        journal=journal,
        faults=FaultRegistry(config.seed, store.map("faults"), store.map("faults:meta")),
        store=store,
        sessions=sessions,
        coverage=Coverage(store.map("coverage")),
        shadows=ShadowSummary(store.map("shadow")),
        config=SeededConfig(tables, store.map(seeded.MAP)),
        clears=Clears(store.map("clears")),
        max_body_bytes=config.max_body_bytes,
        max_json_depth=config.max_json_depth,
        max_state_bytes=config.max_state_bytes,
    )
    sessions.on_drop = kit.forget_session
    kit.vendors = {cls.name: cls(kit, config.vendors.get(cls.name)) for cls in VENDOR_CLASSES}
    return kit


def check_vendor_tables(config: Config) -> dict[str, Any]:
    """Refuse what no vendor would run with: a table of no vendor, a key or a value its
    settings refuse (``ConfigError``, naming it); else each vendor's settings. ``serve
    --workers`` checks this before it starts the workers, which each build the vendors again."""
    names = [cls.name for cls in VENDOR_CLASSES]
    unknown = set(config.vendors) - set(names)
    if unknown:
        raise ConfigError(f"unknown config tables {sorted(unknown)}; vendors: {sorted(names)}")
    return {
        cls.name: settings_from(cls.settings_class, config.vendors.get(cls.name), cls.name)
        for cls in VENDOR_CLASSES
    }


def create_app(
    config: Config | dict[str, Any] | None = None,
    *,
    state_file: str | None = None,
    store: Store | None = None,
    wall: Callable[[], float] | None = None,
    date_header: bool = False,
) -> Starlette:
    """The whole kit as one ASGI app. ``config``: a :class:`Config`, a TOML-shaped dict, or None.

    ``state_file``: restore state from that file at start and keep every acknowledged write there.
    ``store``: where the kit keeps everything (default: this process's memory).
    ``wall``: the wall clock, seconds since the epoch (default ``time.time``): what sessions
    idle on and what the kit's clock follows. Tests pass a fake one to expire a session's TTL
    without sleeping.
    ``date_header``: every answer carries a ``Date`` on the kit's clock (as its body's times
    are), for a server that adds none of its own (uvicorn with ``date_header=False``); the
    default leaves the ``Date`` to the server, the wall's time. ``MockServer``, the testing
    transports and ``serve`` turn it on (``kit_dates``).

    The app holds ``state_file`` until its lifespan ends (a server's shutdown, a transport's
    with ``lifespan=True``) or ``MockServer.stop()``: another kit opening it meanwhile, in this
    process or another, is refused (``StateFileError``).
    """
    if config is None:
        config = Config()
    elif isinstance(config, dict):
        config = Config.from_dict(config)
    store = store or Store()
    kit = build_kit(config, store, wall or time.time)
    kit.date_header = date_header
    for vendor in kit.vendors.values():
        vendor.reset()  # the global scope's fixtures (demo accounts)
    store.on_empty = kit.start_afresh  # a shared store holding nothing gets a fresh kit
    state = _open_state_file(state_file, kit) if state_file is not None else None
    store.state_file = state_file
    vendors = kit.vendors
    admin = Admin(kit, config.admin_token, config.cors_origins)
    vendor_routes = [route for vendor in vendors.values() for route in vendor.starlette_routes()]
    documents = [r for name in vendors for r in _document_routes(name, f"/{name}")]
    documents += _document_routes(ADMIN, "/__admin")
    ui = dashboard.routes(vendors.values(), config.admin_token, config.cors_origins)
    routes = vendor_routes + documents + ui + admin.routes()
    app = KitApp(
        kit=kit,
        vendors=list(vendors.values()),
        routes=routes,
        exception_handlers={HTTPException: _http_errors(vendors)},
        lifespan=_lifespan(kit, state),
        cors_origins=config.cors_origins,
    )
    app.state.kit = kit
    app.state.vendors = vendors
    app.state.config = config
    app.state.state_file = state  # closed by the lifespan's end, or MockServer.stop()
    return app
