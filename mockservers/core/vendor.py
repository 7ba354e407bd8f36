"""The vendor base class and the request pipeline every vendor route runs through.

A vendor package provides a ``Vendor`` subclass with its routes (as data), a settings dataclass,
its state collections and how it renders the kit's errors. The pipeline does the rest, once for
all vendors: body limits and JSON parsing, faults, the journal, catching vendor errors.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter
from typing import Any, ClassVar, Protocol

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mockservers.config import settings_from
from mockservers.core.clock import Clock
from mockservers.core.errors import DroppedConnection, KitError, VendorError
from mockservers.core.faults import CORE_FAULT_KINDS, Fault, FaultRegistry
from mockservers.core.http import too_deep
from mockservers.core.journal import Entry, Journal
from mockservers.core.state import VendorState
from mockservers.core.tokens import TokenStore

log = logging.getLogger("mockservers")


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
    """One request as a vendor handler sees it: body already read within the limit."""

    __slots__ = ("_json", "body", "fault", "kit", "operation", "request")

    def __init__(self, request: Request, operation: str, body: bytes, kit: Kit) -> None:
        self.request = request
        self.operation = operation
        self.body = body
        self.kit = kit
        self.fault: Fault | None = None
        self._json: Any = _UNSET

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
Handler = Callable[[Call], Response]


@dataclass(frozen=True)
class VendorRoute:
    """A vendor route, relative to its prefix; ``operation`` None: ``operation_for`` decides."""

    path: str
    handler: str
    methods: tuple[str, ...] = ("POST",)
    operation: str | None = None


class VendorModel(Protocol):
    """A vendor's state and rules (its ``models.py``), built from (settings, clock, state)."""

    tokens: TokenStore | None

    def reset(self) -> None: ...

    def rebuild_indexes(self) -> None: ...


class Vendor:
    """Base of the four fakes. Subclasses set the class attributes and implement the hooks.

    ``settings_class`` is the dataclass of the vendor's config table and ``model_class`` its
    model; the base builds both, resets the model with the state, expires its tokens and has it
    rebuild its indexes after a state load.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    operations: ClassVar[tuple[str, ...]]
    routes: ClassVar[tuple[VendorRoute, ...]]
    collections: ClassVar[tuple[str, ...]]
    settings_class: ClassVar[type[Any]]
    model_class: ClassVar[Callable[..., VendorModel]]
    fault_kinds: ClassVar[frozenset[str]] = CORE_FAULT_KINDS
    deferred_fault_kinds: ClassVar[frozenset[str]] = frozenset()
    """Kinds the pipeline leaves alone: the vendor takes them itself, when they apply (e.g. only
    once a request is accepted), so a refused call does not use them up."""

    def __init__(self, kit: Kit, section: dict[str, Any] | None = None) -> None:
        self.kit = kit
        self.clock = kit.clock
        self.state = VendorState(self.name, self.collections)
        self._pipeline_fault_kinds = self.fault_kinds - self.deferred_fault_kinds
        self.configure(section or {})
        self.reset()

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

    def on_state_loaded(self) -> None:
        """Rebuild derived indexes after ``PUT /__admin/state``."""
        self.model.rebuild_indexes()

    def dump_state(self) -> dict[str, Any]:
        return self.state.dump()

    def load_state(self, document: Any) -> None:
        self.state.load(document)
        self.on_state_loaded()

    def operation_for(self, request: Request, route: VendorRoute) -> str:
        """The operation a request invokes (query-dispatched vendors override this)."""
        return route.operation or route.handler

    def render_error(self, error: KitError, operation: str) -> Response:
        """Render a kit-level error (bad JSON, too large, injected status, bug) the vendor's way."""
        raise NotImplementedError

    def demo_lines(self) -> list[str]:
        """What ``mockservers serve`` prints about this vendor's demo credentials."""
        return []

    def admin_routes(self) -> list[Route]:
        """Vendor-specific admin endpoints under ``/__admin/<vendor>/``."""
        return []

    def apply_fault(self, fault: Fault, call: Call) -> Response | None:
        """Handle a vendor-specific fault kind; return a response to short-circuit."""
        return None

    # -- the pipeline ---------------------------------------------------------------------
    def starlette_routes(self) -> list[Route]:
        return [
            Route(
                f"/{self.name}{route.path}",
                self._endpoint(route),
                methods=list(route.methods),
                name=f"{self.name}:{route.handler}",
            )
            for route in self.routes
        ]

    def _endpoint(self, route: VendorRoute) -> Callable[[Request], Any]:
        handler: Handler = getattr(self, route.handler)

        async def endpoint(request: Request) -> Response:
            return await self.handle(request, route, handler)

        return endpoint

    async def handle(self, request: Request, route: VendorRoute, handler: Handler) -> Response:
        started = perf_counter()
        kit = self.kit
        operation = self.operation_for(request, route)
        fault = kit.faults.take(self.name, operation, self._pipeline_fault_kinds)
        body = b""
        try:
            if fault is not None and fault.kind == "latency":
                await asyncio.sleep((fault.latency_ms or 0) / 1000)
            body = await _read_body(request, kit.max_body_bytes)
            call = Call(request, operation, body, kit)
            call.fault = fault
            response = None
            if fault is not None:
                response = self._fault_response(fault, call, operation)
            if response is None:
                response = handler(call)
            kit.flush()
        except VendorError as exc:
            response = exc.response()
        except KitError as exc:
            response = self.render_error(exc, operation)
        except Exception:
            log.exception("unplanned error in %s %s", self.name, operation)
            response = self.render_error(KitError("internal", status=500), operation)
        if fault is not None and fault.kind == "malformed":
            response = _malformed(response)
        self._record(request, operation, body, response, started)
        if fault is not None and fault.kind == "drop":
            return _DroppedResponse()
        return response

    def _fault_response(self, fault: Fault, call: Call, operation: str) -> Response | None:
        if fault.kind == "status":
            return self.render_error(KitError("fault", status=fault.status), operation)
        if fault.kind in CORE_FAULT_KINDS:
            return None
        return self.apply_fault(fault, call)

    def _record(
        self, request: Request, operation: str, body: bytes, response: Response, started: float
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
            )
        )


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
