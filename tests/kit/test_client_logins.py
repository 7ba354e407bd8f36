"""Calls that share a client share its login: many calls that find its token expired at once
make one login between them, not one each, sync calls in threads as gathered async ones."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette

from clients import AsyncQuoPartsClient, AsyncXtraClient, QuoPartsClient, XtraClient
from mockservers.testing import IN_PROCESS_URL, AsyncASGITransport, SyncASGITransport

CALLS = 10
USER = {"username": "demo", "password": "demo"}
ROW = {"DES_NOM": "Rossi S.r.l.", "COD_PTA_IVA": "12345678901"}

VENDORS: dict[str, tuple[type[Any], type[Any], str, Callable[[Any, int], Any]]] = {
    "quoparts": (
        QuoPartsClient,
        AsyncQuoPartsClient,
        "importCli",
        lambda client, n: client.import_customers([ROW | {"COD_CLI_ERP": f"CLI{n}"}]),
    ),
    "xtra": (
        XtraClient,
        AsyncXtraClient,
        "/irs/update",
        lambda client, n: client.update_identities([{"ID": 1, "City": f"Città {n}"}]),
    ),
}
"""Per vendor: its sync and async client, what names its call in a request (QuoParts's query
parameter, XTRA's path), and the call (a coroutine on the async client)."""


def _is_call(vendor: str, request: httpx.Request) -> bool:
    named = VENDORS[vendor][2]
    return named in request.url.params or request.url.path.endswith(named)


class _SyncGate(httpx.BaseTransport):
    """Holds each of the first :data:`CALLS` calls until all have come: they all go out with
    the token the client held, before any is refused."""

    def __init__(self, inner: httpx.BaseTransport, vendor: str) -> None:
        self.inner, self.vendor = inner, vendor
        self.held = 0
        self.counting = threading.Lock()
        self.barrier = threading.Barrier(CALLS, timeout=30)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.counting:
            gated = _is_call(self.vendor, request) and self.held < CALLS
            self.held += gated
        if gated:
            self.barrier.wait()
        return self.inner.handle_request(request)


class _AsyncGate(httpx.AsyncBaseTransport):
    """:class:`_SyncGate` for an async client."""

    def __init__(self, inner: httpx.AsyncBaseTransport, vendor: str) -> None:
        self.inner, self.vendor = inner, vendor
        self.held = 0
        self.all_in = anyio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if _is_call(self.vendor, request) and self.held < CALLS:
            self.held += 1
            if self.held == CALLS:
                self.all_in.set()
            await self.all_in.wait()
        return await self.inner.handle_async_request(request)


def _expire_tokens(http: httpx.Client) -> None:
    http.post("/__admin/clock", json={"advance_seconds": 3600}).raise_for_status()


def _logins(http: httpx.Client, vendor: str) -> int:
    journal = http.get("/__admin/requests", params={"vendor": vendor}).json()
    return sum(entry["operation"] == "login" for entry in journal)


@pytest.mark.parametrize("vendor", list(VENDORS))
def test_threads_that_find_the_token_expired_make_one_login(
    vendor: str, app: Starlette, http: httpx.Client
) -> None:
    """Each thread refused set the token aside and logged in: ten logins, each dropping the
    token the one before had got."""
    sync_client, _, _, call = VENDORS[vendor]
    transport = _SyncGate(SyncASGITransport(app), vendor)
    with sync_client(f"{IN_PROCESS_URL}/{vendor}", **USER, transport=transport) as client:
        client.login()
        _expire_tokens(http)
        with ThreadPoolExecutor(CALLS) as pool:
            done = list(pool.map(lambda n: call(client, n), range(CALLS)))
    assert len(done) == CALLS and transport.held == CALLS
    assert _logins(http, vendor) == 2  # the first, and one after the expiry


@pytest.mark.parametrize("vendor", list(VENDORS))
@pytest.mark.anyio
async def test_gathered_calls_that_find_the_token_expired_make_one_login(
    vendor: str, app: Starlette, http: httpx.Client
) -> None:
    _, async_client, _, call = VENDORS[vendor]
    transport = _AsyncGate(AsyncASGITransport(app), vendor)
    async with async_client(f"{IN_PROCESS_URL}/{vendor}", **USER, transport=transport) as client:
        await client.login()
        _expire_tokens(http)
        async with anyio.create_task_group() as calls:
            for n in range(CALLS):
                calls.start_soon(call, client, n)
    assert transport.held == CALLS
    assert _logins(http, vendor) == 2


class _LoginWatch(httpx.AsyncBaseTransport):
    """Counts the logins in flight at once, and holds the first login after :meth:`arm`
    until the test releases it."""

    def __init__(self, inner: httpx.AsyncBaseTransport, vendor: str) -> None:
        self.inner, self.vendor = inner, vendor
        self.in_flight = self.most_in_flight = 0
        self.armed = False
        self.held = anyio.Event()
        self.release = anyio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        is_login = "login" in request.url.params or request.url.path.endswith("/login")
        self.in_flight += is_login
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if is_login and self.armed:
                self.armed = False
                self.held.set()
                await self.release.wait()
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= is_login


@pytest.mark.parametrize("vendor", list(VENDORS))
@pytest.mark.anyio
async def test_a_login_asked_for_waits_for_the_one_a_call_is_making(
    vendor: str, app: Starlette, http: httpx.Client
) -> None:
    """Two overlapping logins: the later replaces the earlier's token at the vendor, and the
    call that made the earlier one could keep and send a token already replaced."""
    _, async_client, _, call = VENDORS[vendor]
    transport = _LoginWatch(AsyncASGITransport(app), vendor)
    async with async_client(f"{IN_PROCESS_URL}/{vendor}", **USER, transport=transport) as client:
        await client.login()
        _expire_tokens(http)
        transport.armed = True
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(call, client, 1)
            await transport.held.wait()  # the call was refused and is logging in
            tasks.start_soon(client.login)
            await anyio.wait_all_tasks_blocked()
            transport.release.set()
    assert transport.most_in_flight == 1
    assert _logins(http, vendor) == 3
