"""Admin calls written once for the sync and the async helpers (sans-IO, as the reference
clients are): each call is a generator, a *flow*, that yields the HTTP requests it needs, is
sent their answers and returns its result. Only running a flow differs: ``SyncCalls`` sends with
an ``httpx.Client``, ``AsyncCalls`` awaits an ``httpx.AsyncClient``.

``admin_call`` makes a flow a method of both: on a sync scope it returns the result, on an async
one a coroutine (``await session.count(...)``), and type checkers see each as such.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Generator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

import httpx

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True)
class AdminRequest:
    """One HTTP request of a flow: its path from the kit's root, and httpx's options."""

    method: str
    path: str
    options: dict[str, Any] = field(default_factory=dict)


Flow = Generator[AdminRequest, httpx.Response, T]
"""An admin call: yields its requests, is sent their answers, returns its result."""


def answer(request: AdminRequest, response: httpx.Response) -> Any:
    """The JSON of an admin call's answer; a refusal raises ``httpx.HTTPStatusError`` carrying
    the kit's ``{"error"}``."""
    if response.is_error:
        raise httpx.HTTPStatusError(
            f"{request.method} {request.path} answered {response.status_code}: {response.text}",
            request=response.request,
            response=response,
        )
    return response.json()


def run(client: httpx.Client, flow: Flow[T]) -> T:
    """Send each request of ``flow`` with ``client``; its result."""
    __tracebackhide__ = True  # pytest: a failed assertion shows the test's line, not these
    with closing(flow):  # a request that raises ends the flow there (its ``finally`` runs)
        response: Any = None  # what starts a flow, as ``next`` would
        while True:
            try:
                request = flow.send(response)
            except StopIteration as done:  # the flow's end; a transport's own goes through
                return done.value
            response = client.request(request.method, request.path, **request.options)


async def run_async(client: httpx.AsyncClient, flow: Flow[T]) -> T:
    """Send each request of ``flow`` with ``client``, awaited; its result."""
    __tracebackhide__ = True
    with closing(flow):
        response: Any = None
        while True:
            try:
                request = flow.send(response)
            except StopIteration as done:
                return done.value
            response = await client.request(request.method, request.path, **request.options)


class SyncCalls:
    """Runs a scope's flows with the ``httpx.Client`` that ``_admin_client()`` gives."""

    def _admin_client(self) -> httpx.Client:
        raise NotImplementedError

    def _run(self, flow: Flow[T]) -> T:
        __tracebackhide__ = True
        return run(self._admin_client(), flow)


class AsyncCalls:
    """Runs a scope's flows with the ``httpx.AsyncClient`` that ``_admin_client()`` gives."""

    def _admin_client(self) -> httpx.AsyncClient:
        raise NotImplementedError

    async def _run(self, flow: Flow[T]) -> T:
        __tracebackhide__ = True
        return await run_async(self._admin_client(), flow)


class admin_call(Generic[P, T]):
    """A flow as a method of sync and async scopes alike; ``.flow`` is the flow itself, for
    other flows to ``yield from``."""

    def __init__(self, flow: Callable[Concatenate[Any, P], Flow[T]]) -> None:
        self.flow = flow
        self.__doc__ = flow.__doc__
        self.__name__ = flow.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.__name__ = name  # ``admin = admin_call(_call)`` is ``admin`` in help()

    @overload
    def __get__(self, scope: None, owner: type) -> admin_call[P, T]: ...
    @overload
    def __get__(self, scope: SyncCalls, owner: type) -> Callable[P, T]: ...
    @overload
    def __get__(self, scope: AsyncCalls, owner: type) -> Callable[P, Coroutine[Any, Any, T]]: ...
    def __get__(self, scope: Any, owner: type) -> Any:
        if scope is None:
            return self
        flow = self.flow

        @functools.wraps(flow)
        def call(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            return scope._run(flow(scope, *args, **kwargs))

        call.__name__ = self.__name__
        return call
