"""The vendor base class and the request pipeline every vendor route runs through.

A vendor package provides a ``Vendor`` subclass with its routes (as data), a settings dataclass,
its state collections and how it renders the kit's errors. The pipeline does the rest, once for
all vendors: body limits and JSON parsing, faults, the journal, catching vendor errors.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from time import perf_counter
from typing import Any, ClassVar

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mockservers.core.clock import Clock
from mockservers.core.errors import DroppedConnection, KitError, VendorError
from mockservers.core.faults import CORE_FAULT_KINDS, Fault, FaultRegistry
from mockservers.core.http import too_deep
from mockservers.core.journal import Entry, Journal
from mockservers.core.settings import settings_from
from mockservers.core.state import VendorState
from mockservers.core.tokens import TokenStore

log = logging.getLogger("mockservers")
DETAIL_HEADER = "X-Mockservers-Detail"
_DETAIL_LIMIT = 2000


@dataclass
class Kit:
    """The services every vendor shares, one of each per app."""

    clock: Clock
    journal: Journal
    faults: FaultRegistry
    max_body_bytes: int
    max_json_depth: int
    flush: Callable[[], None] = lambda: None
    """Make the writes of the request that just ran durable (``--state-file``); else a no-op."""


class Call:
    """One request as a vendor endpoint sees it: body already read within the limit."""

    __slots__ = ("_json", "body", "details", "kit", "operation", "request", "vendor")

    def __init__(
        self, request: Request, vendor: str, operation: str, body: bytes, kit: Kit
    ) -> None:
        self.request = request
        self.vendor = vendor
        self.operation = operation
        self.body = body
        self.kit = kit
        self.details: list[str] = []
        self._json: Any = _UNSET

    def explain(self, detail: str) -> None:
        """Add the kit's diagnosis of this call (which field, which rule): it goes to the
        ``X-Mockservers-Detail`` header and the journal, never into the vendor's body."""
        self.details.append(detail)

    def take_fault(self, kind: str) -> Fault | None:
        """A vendor-specific fault of ``kind`` matching this call, used up now: a vendor asks
        when the fault applies (so that, say, a refused call does not use it up)."""
        return self.kit.faults.take(self.vendor, self.operation, frozenset((kind,)))

    @property
    def query(self) -> Any:
        return self.request.query_params

    @property
    def headers(self) -> Any:
        return self.request.headers

    @property
    def client_ip(self) -> str:
        client = self.request.client
        return client.host if client else ""

    def json(self) -> Any:
        """The body parsed as JSON; ``KitError('malformed_json')`` when it is not."""
        if self._json is _UNSET:
            try:
                value = orjson.loads(self.body)
            except orjson.JSONDecodeError as exc:
                raise KitError("malformed_json", f"the body is not valid JSON: {exc}") from None
            limit = self.kit.max_json_depth
            # Each level takes at least two bytes ("[]"): a short body cannot be too deep.
            if len(self.body) > 2 * limit and too_deep(value, limit):
                raise KitError("malformed_json", f"the JSON nests deeper than {limit} levels")
            self._json = value
        return self._json


_UNSET = object()
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
    select: Callable[[QueryParams], str | None] | None = None
    unknown: Endpoint | None = None

    def operation_for(self, query: QueryParams) -> str:
        if self.select is None:
            return next(iter(self.operations))
        return self.select(query) or UNKNOWN

    def endpoint(self, operation: str) -> Endpoint:
        found = self.operations.get(operation, self.unknown)
        assert found is not None, f"{self.path}: no endpoint for {operation!r}"
        return found


class VendorModel:
    """Base of a vendor's state and rules (its ``models.py``), built from (settings, clock,
    state). The hooks do nothing unless a model has something to do."""

    tokens: TokenStore | None = None

    def reset(self) -> None:
        """Back to start, beside the state the vendor has already emptied (tokens, windows,
        fixtures)."""

    def rebuild_indexes(self) -> None:
        """Rebuild derived indexes from the state (after a state load)."""

    def check_state(self, document: Any) -> None:
        """Refuse (``StateError``) a state document the rules could not use, before anything is
        replaced."""


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
    settings_class: ClassVar[type[Any]]
    model_class: ClassVar[Callable[..., VendorModel]]
    vendor_fault_kinds: ClassVar[frozenset[str]] = frozenset()
    """The vendor's own fault kinds: accepted by the admin API, taken by the vendor's endpoints
    through ``call.take_fault(kind)`` when they apply."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "routes" in cls.__dict__:
            cls.operations = tuple(op for route in cls.routes for op in route.operations)

    def __init__(self, kit: Kit, section: dict[str, Any] | None = None) -> None:
        self.kit = kit
        self.clock = kit.clock
        self.state = VendorState(self.name, self.collections)
        self.configure(section or {})
        self.reset()

    @property
    def fault_kinds(self) -> frozenset[str]:
        return CORE_FAULT_KINDS | self.vendor_fault_kinds

    # -- hooks for subclasses -------------------------------------------------------------
    def configure(self, section: dict[str, Any]) -> None:
        """Read the vendor's config table (``ConfigError`` for a bad one) and build the model."""
        self.settings = settings_from(self.settings_class, section, self.name)
        self.model = self.model_class(self.settings, self.clock, self.state)

    def reset(self) -> None:
        """State, tokens and windows back to start (demo fixtures included)."""
        self.state.reset()
        self.model.reset()

    def expire_tokens(self) -> int:
        tokens = self.model.tokens
        return tokens.expire_all() if tokens is not None else 0

    def dump_state(self) -> dict[str, Any]:
        return self.state.dump()

    def load_state(self, document: Any) -> None:
        """Replace the state (``PUT /__admin/state``); a document the model refuses changes
        nothing."""
        self.model.check_state(document)
        self.state.load(document)
        self.model.rebuild_indexes()

    def render_error(self, error: KitError, operation: str) -> Response:
        """Render a kit-level error (bad JSON, too large, injected status, bug) the vendor's way."""
        raise NotImplementedError

    def demo_lines(self) -> list[str]:
        """What ``mockservers serve`` prints about this vendor's demo credentials."""
        return []

    def admin_routes(self) -> list[Route]:
        """Vendor-specific admin endpoints under ``/__admin/<vendor>/``."""
        return []

    # -- the pipeline ---------------------------------------------------------------------
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
            return await self.handle(request, route)

        return endpoint

    async def handle(self, request: Request, route: VendorRoute) -> Response:
        started = perf_counter()
        kit = self.kit
        operation = route.operation_for(request.query_params)
        fault = kit.faults.take(self.name, operation)
        body = b""
        call: Call | None = None
        detail = ""
        try:
            if fault is not None and fault.kind == "latency":
                await asyncio.sleep((fault.latency_ms or 0) / 1000)
            body = await _read_body(request, kit.max_body_bytes)
            call = Call(request, self.name, operation, body, kit)
            if fault is not None and fault.kind == "status":
                raise KitError("fault", f"an injected status fault ({fault.id})", fault.status)
            response = route.endpoint(operation)(self.model, call)
            kit.flush()
        except VendorError as exc:
            response, detail = exc.response(), exc.detail
        except KitError as exc:
            response, detail = self.render_error(exc, operation), exc.detail
        except Exception:
            log.exception("unplanned error in %s %s", self.name, operation)
            error = KitError("internal", "an unplanned error in the fake (a bug)", status=500)
            response, detail = self.render_error(error, operation), error.detail
        details = "; ".join(
            [*(call.details if call is not None else ()), *([detail] * bool(detail))]
        )
        if details:
            response.headers[DETAIL_HEADER] = _header_text(details)
        if fault is not None and fault.kind == "malformed":
            response = _malformed(response)
        self._record(request, operation, body, response, started, details)
        if fault is not None and fault.kind == "drop":
            return _DroppedResponse()
        return response

    def unrouted(self, request: Request, status: int, reason: str) -> Response:
        """The answer to a call no route of this vendor serves (a path it does not have, a method
        its path does not allow), in the vendor's own error body. It is journalled as
        ``unknown`` with the detail ``routing: ...``: a connector's wrong URL shows in the
        journal like any other call."""
        started = perf_counter()
        detail = f"routing: {reason}"
        response = self.render_error(KitError("routing", reason, status=status), UNKNOWN)
        response.headers[DETAIL_HEADER] = _header_text(detail)
        self._record(request, UNKNOWN, b"", response, started, detail)
        return response

    def _record(
        self,
        request: Request,
        operation: str,
        body: bytes,
        response: Response,
        started: float,
        detail: str,
    ) -> None:
        scope = request.scope
        self.kit.journal.record(
            Entry(
                time=self.clock.isoformat(),
                vendor=self.name,
                operation=operation,
                method=scope["method"],
                path=scope["path"],
                query=scope["query_string"],
                headers=scope["headers"],
                status=response.status_code,
                request_body=body,
                response_body=bytes(getattr(response, "body", b"")),
                duration_ms=(perf_counter() - started) * 1000,
                detail=detail,
            )
        )


def _header_text(detail: str) -> str:
    """Printable ASCII whatever the request held: non-ASCII and quotes JSON-escaped."""
    return json.dumps(detail)[1:-1][:_DETAIL_LIMIT]


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise KitError("too_large", f"the body is larger than {limit} bytes", status=413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise KitError("too_large", f"the body is larger than {limit} bytes", status=413)
        chunks.append(chunk)
    return b"".join(chunks)


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
