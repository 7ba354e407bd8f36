"""The vendor base class and the request pipeline every vendor route runs through.

A vendor package provides a ``Vendor`` subclass with its routes (as data), a settings dataclass,
its state collections and how it renders the kit's errors. The pipeline does the rest, once for
all vendors: body limits and JSON parsing, the session a call belongs to, faults, the journal
and coverage, catching vendor errors; and it runs a call's reads and writes as one transaction
of the kit's store.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from time import perf_counter
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mockservers.core import sessions
from mockservers.core.adminapi import AdminRoute
from mockservers.core.clock import Clock
from mockservers.core.coverage import MET, Behaviour, Coverage
from mockservers.core.errors import DroppedConnection, KitError, VendorError
from mockservers.core.faults import CORE_KINDS, Fault, FaultKind, FaultRegistry
from mockservers.core.generated import Generated
from mockservers.core.http import declared_beyond, header_text, too_deep
from mockservers.core.journal import Entry, Journal
from mockservers.core.seeded import SeededConfig
from mockservers.core.sessions import Sessions
from mockservers.core.settings import settings_from
from mockservers.core.shadows import ShadowSummary
from mockservers.core.shared import Store, StoreUnavailable
from mockservers.core.state import TenantState, VendorState, check_sequence_names
from mockservers.core.tokens import TokenStore
from mockservers.core.verify import Note, code_list, refusals

log = logging.getLogger("mockservers")
CLASHES_SHOWN = 5
"""Values held twice a warning names at most (then how many more)."""
DETAIL_HEADER = "X-Mockservers-Detail"
_DETAIL_LIMIT = 2000


Query = dict[str, str]
"""A call's query: blank values kept, a repeated key's last value wins (as Starlette's
``QueryParams`` reads by key)."""


def detail_header(details: str) -> str:
    """The ``X-Mockservers-Detail`` value: printable ASCII whatever the request held (non-ASCII
    and quotes JSON-escaped), at most 2000 characters, stripped: a header value may not end in a
    space (h11 refuses to send it, and uvicorn then drops the connection instead of answering)."""
    return json.dumps(details)[1:-1][:_DETAIL_LIMIT].strip()


@dataclass
class Kit:
    """The services every vendor shares, one of each per app, and the vendors themselves."""

    clock: Clock
    journal: Journal
    faults: FaultRegistry
    store: Store
    sessions: Sessions
    coverage: Coverage
    shadows: ShadowSummary
    config: SeededConfig
    """This process's config tables, and those the kit was seeded with (``core/seeded.py``)."""
    max_body_bytes: int
    max_json_depth: int
    max_state_bytes: int
    """The largest body of a state load (``PUT /__admin/state``): a fixture far larger than
    any vendor call; every other admin body is held to ``max_body_bytes``."""
    flush: Callable[[], None] = lambda: None
    """Make the writes of the request that just ran durable (``--state-file``); else a no-op."""
    vendors: dict[str, Vendor] = field(default_factory=dict)
    forwarded: frozenset[str] = frozenset()
    """The vendors whose calls ``mockservers proxy`` forwards to the real service: the kit's
    fakes of them answer none of those calls (no fault of theirs is ever met)."""
    date_header: bool = False
    """Whether the kit's answers carry a ``Date`` of its own, on its clock: only where the
    server adds none (``app.kit_dates``), else each answer would carry two."""

    def date(self, response: Response) -> None:
        """Date ``response`` on the clock of the current scope, where the kit dates answers."""
        if self.date_header:
            response.raw_headers.append((b"date", self.clock.http_date()))

    def reset(self, scope: str | None = None, vendor: str | None = None) -> None:
        """Everything of one scope back to start (None: the global scope; a session's id):
        state and fixtures, tokens, windows, journal entries, faults, coverage and the clock.
        With ``vendor``, only that vendor's part (the clock is shared by the vendors, so it
        stays). The global scope is seeded again from this process's config: its tables' digests
        become the kit's."""
        if scope is None:
            self.config.seed(None if vendor is None else (vendor,))
        if vendor is None:
            if scope is None:
                self.clock.reset()
            else:
                session = self.sessions.get(scope)
                if session is not None:
                    self.sessions.update(session, clock_offset=0.0)
        self.coverage.clear(scope=scope, vendor=vendor)
        self.journal.clear(scope=scope, vendor=vendor)
        if vendor is None:
            self.faults.reset(scope)
        else:
            self.faults.clear(scope=scope, vendor=vendor)
        for name, found in self.vendors.items():
            if vendor is None or name == vendor:
                found.reset(scope)

    def start_afresh(self) -> None:
        """The whole kit as it starts: no session, no fault, the global scope's fixtures."""
        for session_id in list(self.sessions.map):
            self.sessions.drop(session_id)
        self.reset()

    def open_session(self, ttl_seconds: float | None, name: str | None) -> sessions.Session:
        """A new session with fresh accounts on every vendor (their fixtures in place)."""

        def credentials(prefix: str) -> dict[str, dict[str, Any]]:
            return {n: v.session_credentials(prefix) for n, v in self.vendors.items()}

        session = self.sessions.create(credentials, ttl_seconds=ttl_seconds, name=name)
        for found in self.vendors.values():
            found.reset(session["id"])
        return session

    def forget_session(self, session_id: str) -> None:
        """Everything a dropped session held: its tenants, tokens, windows, journal, faults,
        coverage (called once the session itself is gone, so no fixture comes back)."""
        self.journal.clear(scope=session_id)
        self.faults.reset(session_id)
        self.coverage.clear(scope=session_id)
        for found in self.vendors.values():
            found.reset(session_id)


class CallHeaders(dict[str, str]):
    """Request headers by lower-case name; a repeated header's first value (as Starlette's
    ``Headers.get``). ASGI servers send the names in lower case already."""

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        super().__init__({k.decode("latin-1"): header_text(v) for k, v in reversed(raw)})

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return dict.get(self, key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return dict.__getitem__(self, key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and dict.__contains__(self, key.lower())


class Call:
    """One request as a vendor endpoint sees it: body already read within the limit."""

    __slots__ = (
        "_headers",
        "_json",
        "_raw_headers",
        "body",
        "details",
        "kit",
        "operation",
        "query",
        "scope",
        "vendor",
    )

    def __init__(
        self,
        scope: Scope,
        vendor: str,
        operation: str,
        body: bytes,
        kit: Kit,
        query: Query,
    ) -> None:
        self.scope = scope
        self.query = query
        self._headers: CallHeaders | None = None
        self._raw_headers: dict[bytes, bytes] | None = None
        self.vendor = vendor
        self.operation = operation
        self.body = body
        self.kit = kit
        self.details: list[str] | None = None  # most calls get no diagnosis: no list for them
        self._json: Any = _UNSET

    def explain(self, detail: str) -> None:
        """Add the kit's diagnosis of this call (which field, which rule): it goes to the
        ``X-Mockservers-Detail`` header and the journal, never into the vendor's body."""
        if self.details is None:
            self.details = []
        self.details.append(detail)

    def take_fault(self, kind: str) -> Fault | None:
        """A vendor-specific fault of ``kind`` matching this call, used up now: a vendor asks
        when the fault applies (so that, say, a refused call does not use it up)."""
        return self.kit.faults.take(self.vendor, self.operation, _kinds(kind))

    @property
    def headers(self) -> CallHeaders:
        """The request headers, names without case (read once into a dict: a vendor looks at
        several per call)."""
        if self._headers is None:
            self._headers = CallHeaders(self.scope["headers"])
        return self._headers

    def header_values(self, *names: bytes) -> list[str]:
        """The values of the named headers (lower-case names), "" for one not sent; a repeated
        header's first value. Only these are decoded: cheaper than ``headers`` for a vendor
        that reads a few on every call (KeepIT's credentials)."""
        raw = self._raw_headers
        if raw is None:
            raw = self._raw_headers = dict(reversed(self.scope["headers"]))
        return [header_text(raw.get(name, b"")) for name in names]

    @property
    def client_ip(self) -> str:
        client = self.scope.get("client")
        return client[0] if client else ""

    def json(self) -> Any:
        """The body parsed as JSON; ``KitError('malformed_json')`` when it is not."""
        if self._json is _UNSET:
            try:
                value = orjson.loads(self.body)
            except orjson.JSONDecodeError as exc:
                raise KitError("malformed_json", f"the body is not valid JSON: {exc}") from None
            limit = self.kit.max_json_depth
            if _may_nest_deeper(self.body, limit) and too_deep(value, limit):
                raise KitError("malformed_json", f"the JSON nests deeper than {limit} levels")
            self._json = value
        return self._json


GONE = "the client closed the connection before the whole body arrived (nothing answered)"
UNPLANNED = "an unplanned error in the fake (a bug)"
CORS_NOTE = "mockservers.cors"
"""The scope's key for what the CORS layer found of a call from a page whose origin it does not
allow: the call is answered, and the journal says why the page cannot read the answer."""
_MISHANDLED = {
    "drop": "the connection was closed with no complete answer (an injected drop fault, {})",
    "malformed": "the answer's body was cut in half (an injected malformed fault, {})",
}
"""What a fault did to an answer that the journal's entry would not show otherwise."""
_UNSET = object()
_COUNTED_BELOW = 4096
"""Bodies shorter than this have their brackets counted before the depth check."""


def _may_nest_deeper(body: bytes, limit: int) -> bool:
    """Whether the depth check must walk the parsed body. Each level opens a bracket, so a body
    with no more brackets than the limit (counted in native code, strings included) cannot be
    too deep; on a long body counting costs about as much as the check itself (12 against
    17 µs for a 100-row QuoParts import), so a long one is simply checked."""
    if len(body) >= _COUNTED_BELOW:
        return True
    return body.count(b"{") + body.count(b"[") > limit


@cache
def _kinds(kind: str) -> frozenset[str]:
    return frozenset((kind,))


Endpoint = Callable[[Any, Call], Response]
"""``(model, call) -> Response``: a vendor's ``responses`` function."""
UNKNOWN = "unknown"
"""The operation of a call whose query names none of its path's operations."""


@dataclass(frozen=True)
class VendorRoute:
    """A vendor path, relative to its prefix, holding its endpoints (as Starlette's ``Route``).

    A path serves one operation, or several told apart by the query (QuoParts's flags, KeepIT's
    ``cmd``): then ``select`` names the operation a query invokes, and a query naming none is
    answered by ``unknown`` (journalled as the operation ``unknown``).
    """

    path: str
    operations: Mapping[str, Endpoint]
    methods: tuple[str, ...] = ("POST",)
    select: Callable[[Query], str | None] | None = None
    unknown: Endpoint | None = None

    def operation_for(self, query: Query) -> str:
        if self.select is None:
            return next(iter(self.operations))
        return self.select(query) or UNKNOWN

    def endpoint(self, operation: str) -> Endpoint:
        found = self.operations.get(operation, self.unknown)
        assert found is not None, f"{self.path}: no endpoint for {operation!r}"
        return found


class VendorModel:
    """Base of a vendor's state and rules (its ``models.py``), built from (settings, kit,
    state). The hooks do nothing unless a model has something to do."""

    tokens: TokenStore | None = None
    follows_puts: ClassVar[bool] = True
    """Whether ``on_change`` hears of every record another process puts (each one parsed for
    it); False for a model whose indexes catch up by themselves, told only of tenants dropped
    (``on_drop``)."""

    def reset(self, scope: str | None) -> None:
        """One scope back to start, once the vendor has emptied its tenants: tokens, windows
        and derived indexes of that scope gone, its fixtures (demo or session accounts) back."""

    def rebuild_indexes(self) -> None:
        """Rebuild derived indexes from the state (after a state load or a full catch-up)."""

    def on_change(self, tenant: str, collection: str, key: str, old: Any, new: Any) -> None:
        """Another process wrote this record: keep derived indexes in step."""

    def on_drop(self, tenant: str) -> None:
        """Another process dropped this tenant (a reset, or a load replacing it): forget what
        the indexes hold of it."""

    def check_state(self, document: Any) -> None:
        """Refuse (``StateError``) a state document the rules could not use, before anything is
        replaced."""

    def check_given(self, document: Any) -> None:
        """Refuse (``StateError``) what a state document a user gives (``PUT /__admin/state``)
        may not hold, though state an earlier version kept may, and loads (``lenient``)."""

    def lenient(self, document: Any) -> list[str]:
        """What of a kept state document (a state file at start) ``check_given`` would refuse,
        and the rules read their own way all the same, one line for each (logged)."""
        return []

    def clashes(self, tenants: Iterable[str]) -> list[str]:
        """What of the values the vendor keeps unique these tenants hold twice or more (only a
        state document, or a state an earlier version kept, can), one line for each, naming
        its holders: look-ups find the last of them in the records' order
        (``core/unique.py``)."""
        return []

    def held_sequences(self, tenant: TenantState) -> dict[str, int]:
        """The highest value of each sequence the records of a loaded tenant hold (its
        sequences are raised to them). Records may be malformed here: skip what is not an ID."""
        return {}


class Vendor:
    """Base of the four fakes. Subclasses set the class attributes and implement the hooks.

    ``settings_class`` is the dataclass of the vendor's config table and ``model_class`` its
    model; the base builds both, resets the model with the state, expires its tokens and has it
    rebuild its indexes after a state load.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    routes: ClassVar[tuple[VendorRoute, ...]]
    operations: ClassVar[tuple[str, ...]]
    """Derived from ``routes``."""
    collections: ClassVar[tuple[str, ...]]
    sequences: ClassVar[tuple[str, ...]]
    """The names of the per-tenant sequences the model takes IDs from: a state document a
    user puts may set no other."""
    settings_class: ClassVar[type[Any]]
    model_class: ClassVar[Callable[..., VendorModel]]
    vendor_fault_kinds: ClassVar[tuple[FaultKind, ...]] = ()
    """The vendor's own fault kinds: accepted by the admin API, taken by the vendor's endpoints
    through ``call.take_fault(kind)`` when they apply."""
    behaviours: ClassVar[tuple[Behaviour, ...]] = ()
    """The catalogue of the vendor's documented situations (coverage)."""
    done_codes: ClassVar[frozenset[str]] = frozenset()
    """The codes in an answer (``answer_codes``) that say the call was done in full (QuoParts
    errorCode 0, KeepIT code 200); any other is a refusal of the call or of part of it."""
    generated: ClassVar[tuple[Generated, ...]] = ()
    """The values the vendor makes up in its answers (IDs, codes, tokens, timestamps) and the
    places a request sends them back: never compared by a proxy's shadow or a replay, and
    translated for the second service (``mockservers.core.generated``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "routes" in cls.__dict__:
            cls.operations = tuple(op for route in cls.routes for op in route.operations)

    def __init__(self, kit: Kit, section: dict[str, Any] | None = None) -> None:
        self.kit = kit
        self.clock = kit.clock
        self.state = VendorState(self.name, self.collections)
        self.state.record = kit.store.recorder()
        kit.store.register(self.state)
        self.configure(section or {})
        self.state.on_change = self.model.on_change
        self.state.follows_puts = self.model.follows_puts
        self.state.on_drop = self.model.on_drop
        self.state.on_reload = self._reloaded
        self._clashes_told: list[str] = []
        self.state.held_sequences = self.model.held_sequences

    @property
    def fault_kinds(self) -> dict[str, FaultKind]:
        """Every kind of fault the vendor takes, by name: the core ones and its own."""
        return {kind.name: kind for kind in (*CORE_KINDS, *self.vendor_fault_kinds)}

    # -- hooks for subclasses -------------------------------------------------------------
    def configure(self, section: dict[str, Any]) -> None:
        """Read the vendor's config table (``ConfigError`` for a bad one) and build the model."""
        self.settings = settings_from(self.settings_class, section, self.name)
        self.model = self.model_class(self.settings, self.kit, self.state)

    def reset(self, scope: str | None = None) -> None:
        """One scope's state, tokens and windows back to start (its fixtures included)."""
        self.state.reset(scope)
        self.model.reset(scope)

    def expire_tokens(self, scope: str | None = None) -> int:
        tokens = self.model.tokens
        return tokens.expire(scope) if tokens is not None else 0

    def catch_up(self, scope: str | None) -> None:
        """Bring state that time changes up to the clock of ``scope`` (``EVERY``: each scope on
        its own clock) before someone reads it: a state dump, a coverage report."""

    def dump_state(self, scope: str | None = None) -> dict[str, Any]:
        self.catch_up(scope)
        return self.state.dump(scope)

    def load_state(self, document: Any, scope: str | None = None, *, source: str) -> None:
        """Replace one scope's state (a state file at start; ``put_state``'s document); a document
        the model refuses changes nothing. One it takes that holds a value the vendor keeps
        unique twice is logged, naming ``source`` (where the document came from)."""
        self.model.check_state(document)
        self.state.load(document, scope)
        self.model.rebuild_indexes()
        for line in self.model.lenient(document):
            log.warning("%s: %s: %s", self.name, source, line)
        self._warn_clashes(source, self.model.clashes(self.state.scope_tenants(scope)))

    def put_state(self, document: Any, scope: str | None = None) -> None:
        """``load_state`` for a document a user gives (``PUT /__admin/state``): a sequence the
        vendor does not use is refused too, and what ``check_given`` refuses, where state an
        earlier version kept loads as is."""
        check_sequence_names(document, self.sequences, self.name)
        self.model.check_given(document)
        self.load_state(document, scope, source=f"PUT /__admin/state/{self.name}")

    def _reloaded(self) -> None:
        """The whole state was read back from the shared store: indexes rebuilt, clashes told
        once (a process reloads on every reset or load another one makes: the same clashes
        are not logged again each time)."""
        self.model.rebuild_indexes()
        found = self.model.clashes(self.state.tenants)
        if found != self._clashes_told:
            self._clashes_told = found
            self._warn_clashes(f"the state read back from {self.kit.store.describe()}", found)

    def _warn_clashes(self, source: str, found: list[str]) -> None:
        if not found:
            return
        shown = "; ".join(found[:CLASHES_SHOWN])
        if len(found) > CLASHES_SHOWN:
            shown += f"; and {len(found) - CLASHES_SHOWN} more"
        log.warning(
            "%s: %s gives values the vendor keeps unique to more than one record (a state"
            " document, or an earlier version of the kit, wrote them); a look-up finds the last"
            " one named, the last in the records' order: %s",
            self.name,
            source,
            shown,
        )

    def tenant_of(self, call: Call) -> str | None:
        """The tenant a call addresses, read from its credentials without checking them: whose
        call it is (its session, its journal entry)."""
        return None

    def session_credentials(self, prefix: str) -> dict[str, Any]:
        """Fresh credentials of a new session's account on this vendor; every identifier starts
        with ``prefix`` (``ms-<session id>``)."""
        raise NotImplementedError

    def render_error(self, error: KitError, operation: str) -> Response:
        """Render a kit-level error (bad JSON, too large, injected status, bug) the vendor's way."""
        raise NotImplementedError

    @classmethod
    def demo_lines(cls, settings: Any) -> list[str]:
        """What ``mockservers serve`` prints about this vendor's demo credentials."""
        return []

    @classmethod
    def demo_lines_for(cls, section: dict[str, Any] | None) -> list[str]:
        """The banner lines for this vendor's config table (no app needed)."""
        return cls.demo_lines(settings_from(cls.settings_class, section, cls.name))

    def admin_routes(self) -> list[AdminRoute]:
        """Vendor-specific admin endpoints under ``/__admin/<vendor>/``."""
        return []

    def answer_notes(self, response: Any) -> list[Note]:
        """The vendor's codes in an answer body, in order, each with the message beside it. By
        default the top-level ``errorCode`` or ``code`` and its ``error`` or ``message``, where
        most vendors put them; a vendor with codes elsewhere says so."""
        if not isinstance(response, dict):
            return []
        message = response.get("error") or response.get("message")
        found = (response.get(name) for name in ("errorCode", "code"))
        return [(value, message) for value in found if value is not None][:1]

    def answer_codes(self, response: Any) -> list[str]:
        """The vendor's codes in an answer body, as text, each once (for ``error_code`` in a
        matcher, and a shadow's or a replay's ``error code``)."""
        return code_list(code for code, _ in self.answer_notes(response))

    def answer_refusals(self, response: Any) -> list[dict[str, str | None]]:
        """``[{"code", "message"}]``: the codes in an answer body that say the vendor refused the
        call or part of it (all but ``done_codes``), each once with its message: what a failed
        assertion shows beside a call answered HTTP 200 all the same."""
        return refusals(self.answer_notes(response), self.done_codes)

    def adopt_credentials(self, headers: Mapping[str, str], status: int) -> None:
        """A shadow fake (behind ``mockservers proxy --shadow``) is about to answer a call whose
        credentials may have been issued elsewhere, by the vendor's identity service rather
        than by a login the shadow also saw: make them what the vendor found them, judging by
        its answer (``status``). ``headers`` by lower-case name. Most vendors need nothing
        (accounts come from the config, tokens from logins)."""

    @classmethod
    def demo_credentials(cls) -> dict[str, Any]:
        """The demo account's credentials, named as ``mockservers fuzz`` takes them
        (``username``, ``password``, ``public_key``, ``secret_key``, ``company_id``,
        ``site_id``): what a replay sends where a recording shows a masked secret."""
        return {}

    # -- the pipeline ---------------------------------------------------------------------
    def paths(self) -> dict[str, VendorRoute]:
        """Each route by its full path (``/<vendor><path>``): the app's shortcut to ``handle``."""
        return {f"/{self.name}{route.path}": route for route in self.routes}

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
        call = Call(scope, self.name, operation, body, kit, query)
        cors = scope.get(CORS_NOTE)
        if cors is not None:
            call.explain(cors)
        if not kit.store.shared:
            try:
                response, fault = self._answer(call, route, refused, started)
            except StoreUnavailable as exc:  # the state file did not take the writes (yet)
                return self._not_kept(KitError("store", str(exc), status=503), operation)
        else:
            try:
                answered = await kit.store.run(lambda: self._answer(call, route, refused, started))
            except StoreUnavailable as exc:  # nothing of this call was kept
                return self._not_kept(KitError("store", str(exc), status=503), operation)
            except Exception:  # a bug in the store: nothing kept, the vendor's body all the same
                return self._not_kept(self._unplanned(operation), operation)
            response, fault = answered
        if fault is not None and fault.kind == "latency":
            await asyncio.sleep((fault.latency_ms or 0) / 1000)
        if fault is not None and fault.kind == "drop":
            return _DroppedResponse()
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
        met: list[str] = []
        # Plain context-variable tokens rather than a context manager: this is every call's path.
        in_session = sessions.CURRENT.set(session) if session is not None else None
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
                if fault.kind == "drop":  # the connector saw no answer: it met nothing
                    met.clear()
            if details:
                response.headers[DETAIL_HEADER] = detail_header(details)
            if fault is not None and fault.kind == "malformed":
                response = _malformed(response)
            scope = session["id"] if session is not None else None
            if fault is not None and fault.kind == "latency":  # the answer waits after this
                started -= (fault.latency_ms or 0) / 1000
            kit.date(response)  # on the clock of the call's scope
            unread = refused is not None and refused.kind == "too_large"
            self._record(call, response, started, details, scope, tenant, met, unread)
            if met:
                kit.coverage.count(met, scope)
            kit.flush()
        finally:
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

        def answer() -> Response:
            tenant = self.tenant_of(call)
            session = self.kit.sessions.owner(tenant) if tenant is not None else None
            if session is not None:
                session = self.kit.sessions.touch(session)
            with sessions.scoped(session):  # on the session's clock, as its other calls
                response = self.render_error(error, UNKNOWN)
                response.headers.update(headers or {})  # a 405's Allow, journalled with it
                response.headers[DETAIL_HEADER] = detail_header(detail)
                self.kit.date(response)
                scope = session["id"] if session is not None else None
                self._record(call, response, started, detail, scope, tenant, [])
            return response

        if not self.kit.store.shared:
            return answer()
        try:
            return await self.kit.store.run(answer)
        except StoreUnavailable as exc:
            return self._not_kept(KitError("store", str(exc), status=503), UNKNOWN)
        except Exception:
            return self._not_kept(self._unplanned(UNKNOWN), UNKNOWN)

    def _respond(
        self, call: Call, route: VendorRoute, refused: KitError | None, fault: Fault | None
    ) -> tuple[Response, str]:
        """The vendor's answer and the kit's diagnosis of it."""
        operation = call.operation
        try:
            if refused is not None:
                raise refused
            if fault is not None and fault.kind == "status":
                raise KitError("fault", f"an injected status fault ({fault.id})", fault.status)
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

    def _not_kept(self, error: KitError, operation: str) -> Response:
        """The vendor's error body for a call the store could not run (nothing of it kept),
        with the diagnosis that ``_answer`` adds to the others."""
        response = self.render_error(error, operation)
        response.headers[DETAIL_HEADER] = detail_header(error.detail)
        self.kit.date(response)  # whose call: unknown, the global scope's
        return response

    def _record(
        self,
        call: Call,
        response: Response,
        started: float,
        detail: str,
        scope: str | None,
        tenant: str | None,
        met: list[str],
        body_unread: bool = False,
    ) -> None:
        scope_ = call.scope
        # Positional, in the order of Entry's fields: half the cost of keywords, on every call.
        entry = Entry(
            self.clock.time(),
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
        entry.body_unread = body_unread
        self.kit.journal.record(entry)


async def read_body(receive: Receive, scope: Scope, limit: int) -> bytes:
    """The body, read from the ASGI messages, at most ``limit`` bytes (``KitError`` 413). One
    declared longer is refused before any of it is read: uvicorn answers ``Expect:
    100-continue`` on the first ``receive``, so such a client is told before it sends the body,
    not after. A one-message body costs one ``receive``."""
    if declared_beyond(scope["headers"], limit):
        raise _too_large(limit)
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientDisconnect()
    chunk = message.get("body", b"")
    if not message.get("more_body", False):
        if len(chunk) > limit:
            raise _too_large(limit)
        return chunk
    chunks = [chunk]
    size = len(chunk)
    while message.get("more_body", False):
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> KitError:
    return KitError("too_large", f"the body is larger than {limit} bytes", status=413)


def vendor_of(vendors: Mapping[str, Vendor], path: str) -> Vendor | None:
    """The vendor whose prefix ``path`` is under (``/keepit/...``), or None."""
    return vendors.get(path.split("/", 2)[1]) if path.startswith("/") else None  # "*"


def parse_query(raw: bytes) -> Query:
    """The query string as a plain dict, without ``parse_qsl``'s unquoting when nothing is
    quoted (every call's path)."""
    text = raw.decode("latin-1")
    if "%" in text or "+" in text:
        return dict(parse_qsl(text, keep_blank_values=True))
    query: Query = {}  # a plain loop: half the cost of a comprehension over a generator
    for part in text.split("&"):
        if part:
            key, _, value = part.partition("=")
            query[key] = value
    return query


def _malformed(response: Response) -> Response:
    """The same answer with its body cut in half: a truncated, unparseable JSON."""
    body = bytes(getattr(response, "body", b""))
    cut = body[: max(1, len(body) // 2)] if body else b"{"
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return Response(cut, status_code=response.status_code, headers=headers)


class _DroppedResponse(Response):
    """Starts a response, then fails: the server closes the connection with no complete answer."""

    def __init__(self) -> None:
        super().__init__(b"", status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
            }
        )
        raise DroppedConnection("connection dropped by an injected fault")
