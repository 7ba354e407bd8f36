"""The async twin of the session helper, as an async connector's test uses it: every admin call
awaited over an ``httpx.AsyncClient`` (a test on an event loop had to make blocking ones), with
the same answers and the same failures as the sync helper, whose calls it shares."""

from __future__ import annotations

import asyncio
import inspect
import re
import textwrap
from typing import Any
from unittest import mock

import anyio
import httpx
import pytest
from starlette.applications import Starlette

from clients import AsyncQuoPartsClient
from mockservers import create_app
from mockservers.testing import (
    IN_PROCESS_URL,
    AsyncASGITransport,
    AsyncSession,
    CoverageTally,
    MockServer,
    Session,
    admin_client,
    async_admin_client,
)
from mockservers.testing import session as session_module
from tests.conftest import INNER_PYTEST
from tests.kit.test_sessions import Wall

pytest_plugins = ["pytester"]

WHEN = re.compile(r" at \S+ \[entry \w+(, session \w+)?\]")
"""When a journal entry was made, its id and its session's: all that tells two sessions' alike
calls apart."""
ROW = {"DES_NOM": "Rossi S.r.l.", "COD_PTA_IVA": "12345678901", "COD_CLI_ERP": "CLI01"}


@pytest.mark.anyio
async def test_an_async_session_on_the_shared_server(mockserver: MockServer) -> None:
    async with await mockserver.async_session(name="async job") as session:
        assert session.name == "async job" and repr(session).startswith("<AsyncSession ")
        url, account = session.base_url("quoparts"), session.credentials["quoparts"]
        async with AsyncQuoPartsClient(url, **account) as connector:
            await connector.import_customers([ROW])
            assert await session.assert_called(1, operation="importCli") == 1
            await session.assert_not_called(operation="importPvt")
            assert await session.count(vendor="quoparts") == 2
            await session.advance(3600)  # its token expires: refused, then a fresh login
            await connector.import_customers([ROW | {"COD_CLI_ERP": "CLI02"}])
        await session.assert_called(1, operation="importCli", error_code="101")
        assert "quoparts.token_expired" not in (await session.missed("quoparts"))["quoparts"]
        (customers,) = (await session.state("quoparts"))["tenants"].values()
        assert len(customers["customers"]) == 2
        assert (await session.info())["id"] == session.id
        assert mockserver.count(session=session.id) == 5  # the kit saw them in this session
    assert session.closed and mockserver.admin("GET", "/sessions") == []
    with pytest.raises(RuntimeError, match="closed"):
        await session.requests()
    await session.close()  # idempotent


@pytest.mark.anyio
async def test_async_with_opens_a_session_with_no_await_first(mockserver: MockServer) -> None:
    """``async with await server.async_session()`` was the only way, and the ``await`` easy to
    forget (a TypeError: a coroutine is no context manager); awaited, it is the session."""
    async with mockserver.async_session(name="job") as session:
        assert isinstance(session, AsyncSession) and session.name == "job"
        assert await session.count() == 0
    assert session.closed and mockserver.admin("GET", "/sessions") == []
    session = await mockserver.async_session()
    assert mockserver.admin("GET", f"/sessions/{session.id}")["id"] == session.id
    await session.close()
    assert mockserver.admin("GET", "/sessions") == []


@pytest.mark.anyio
async def test_a_failed_async_assertion_shows_the_near_misses_as_the_sync_one_does(
    mockserver: MockServer,
) -> None:
    expected = {"vendor": "quoparts", "operation": "importCli", "body": {"data": [{"X": 1}]}}
    failures = []
    with mockserver.session() as sync:
        async with await mockserver.async_session() as in_async:
            for session in (sync, in_async):
                account = session.credentials["quoparts"]
                async with AsyncQuoPartsClient(session.base_url("quoparts"), **account) as qp:
                    await qp.import_customers([ROW])
            with pytest.raises(AssertionError) as failed:
                sync.assert_called(**expected)
            failures.append(str(failed.value))
            with pytest.raises(AssertionError) as failed:
                await in_async.assert_called(**expected)
            failures.append(str(failed.value))
    sync_lines, async_lines = (WHEN.sub("", failure).splitlines() for failure in failures)
    assert async_lines == sync_lines and sync_lines[1] == "near misses, closest first:"


def _calls(session: Session | AsyncSession) -> list[tuple[str, Any]]:
    """The same admin calls on either twin (their answers, awaited on the async one)."""
    return [
        ("fault", session.fault(vendor="keepit", kind="status", status=500, times=1)),
        ("faults", session.faults()),
        ("token", session.tsdigital_token("app-key", ["items:create"], ttl_seconds=30)),
        ("expired", session.expire_tokens("tsdigital")),
        ("put_state", session.put_state("quoparts", {"tenants": {}})),
        ("verify", session.verify(0, vendor="xtra")),
        ("clear_faults", session.clear_faults()),
        ("clear_requests", session.clear_requests()),
        ("reset", session.reset("keepit")),
        ("coverage", session.coverage("keepit")),
        ("requests", session.requests(limit=5)),
    ]


@pytest.mark.anyio
async def test_the_twins_answer_alike(mockserver: MockServer) -> None:
    with mockserver.session() as sync:
        answered = dict(_calls(sync))
    async with await mockserver.async_session() as in_async:
        awaited = {name: await value for name, value in _calls(in_async)}
    assert isinstance(awaited.pop("token"), str) and isinstance(answered.pop("token"), str)
    for faults, session in ((answered["faults"], sync), (awaited["faults"], in_async)):
        assert [fault.pop("session") for fault in faults] == [session.id]
    assert awaited == answered and answered["expired"] == 1 and answered["fault"] == "fault-1"


@pytest.mark.anyio
async def test_an_async_session_in_process_sends_the_kits_admin_token() -> None:
    """``async_admin_client(app)``: the in-process twin of ``admin_client``, with the admin
    token the kit is configured with (beyond ASCII too)."""
    app = create_app({"kit": {"admin_token": "tök-Secret"}})
    admin = async_admin_client(app)
    session = await AsyncSession.open(admin, base_url=IN_PROCESS_URL, owns_client=True)
    async with session:
        account = session.credentials["quoparts"]
        transport = AsyncASGITransport(app)
        async with AsyncQuoPartsClient(
            session.base_url("quoparts"), **account, transport=transport
        ) as qp:
            await qp.login()
        await session.assert_called(operation="login")
    assert admin.is_closed
    refused = httpx.AsyncClient(transport=AsyncASGITransport(app), base_url=IN_PROCESS_URL)
    with pytest.raises(httpx.HTTPStatusError, match="answered 401"):
        await AsyncSession.open(refused, base_url=IN_PROCESS_URL, owns_client=True)
    assert refused.is_closed


@pytest.mark.anyio
async def test_a_cancelled_async_test_still_drops_its_session() -> None:
    """A timed-out test is cancelled, and under anyio or trio the cancellation holds until its
    scope ends: the session's own DELETE was cancelled too, and each such test left its session
    on the server (for its TTL) until the kit refused new ones, 429."""
    with MockServer({"kit": {"sessions": {"max": 5}}}) as server:
        for _ in range(5):
            with anyio.CancelScope() as timed_out:
                async with await server.async_session() as session:
                    timed_out.cancel()  # as a timeout does, in the middle of the test
                    await anyio.sleep(1)  # cancelled at once
            assert timed_out.cancelled_caught and session.closed
        assert server.admin("GET", "/sessions") == []
        async with await server.async_session() as sixth:
            assert await sixth.count() == 0


class CancelledOnTheWayBack(httpx.AsyncBaseTransport):
    """The kit opens the session, and the test is cancelled before it reads the answer."""

    def __init__(self, app: Starlette, test: anyio.CancelScope) -> None:
        self._inner = AsyncASGITransport(app)
        self._test = test

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.method == "POST":
            self._test.cancel()
            await anyio.lowlevel.checkpoint()
        return response


@pytest.mark.anyio
async def test_a_test_cancelled_as_its_session_opens_still_drops_it() -> None:
    app = create_app()
    with anyio.CancelScope() as test:
        admin = httpx.AsyncClient(
            transport=CancelledOnTheWayBack(app, test), base_url=IN_PROCESS_URL
        )
        async with await AsyncSession.open(admin, base_url=IN_PROCESS_URL, owns_client=True):
            await anyio.sleep(1)  # cancelled at once
    assert test.cancelled_caught
    async with async_admin_client(app) as admin:
        assert (await admin.get("/__admin/sessions")).json() == []


class PlainAsyncioCancel(httpx.AsyncBaseTransport):
    """The test's task is cancelled the plain asyncio way (``asyncio.timeout``, what
    pytest-asyncio tests use: it reaches past anyio's shield, and comes once) as the kit is
    sent ``method`` (``DELETE``: before it gets it) or answers it (``POST``: after)."""

    def __init__(self, app: Starlette, methods: str) -> None:
        self._inner = AsyncASGITransport(app)
        self._methods = methods.split("+")
        self._test = asyncio.current_task()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE" in self._methods:
            await self._cancel_the_test()
        response = await self._inner.handle_async_request(request)
        if request.method == "POST" in self._methods:
            await self._cancel_the_test()
        return response

    async def _cancel_the_test(self) -> None:
        assert self._test is not None
        self._test.cancel()
        await asyncio.sleep(0)


@pytest.mark.anyio
@pytest.mark.parametrize("methods", ["POST", "DELETE", "POST+DELETE"])
async def test_a_plain_asyncio_cancellation_still_drops_the_session(methods: str) -> None:
    """It stopped the drop halfway, and the session stayed on the kit for its TTL; one that
    came as the session opened lost it, and a second one stopped the drop that followed.
    The cancellation is raised once the drop is done."""
    app = create_app()
    transport = PlainAsyncioCancel(app, methods)
    admin = httpx.AsyncClient(transport=transport, base_url=IN_PROCESS_URL)
    with pytest.raises(asyncio.CancelledError):
        async with await AsyncSession.open(admin, base_url=IN_PROCESS_URL, owns_client=True):
            pass
    task = asyncio.current_task()
    assert task is not None
    assert [task.uncancel() for _ in methods.split("+")][-1] == 0
    assert admin.is_closed
    async with async_admin_client(app) as admin:
        assert (await admin.get("/__admin/sessions")).json() == []


class Hanging(httpx.AsyncBaseTransport):
    """A kit that answers until ``hang`` is set, then never again."""

    def __init__(self, app: Starlette) -> None:
        self._inner = AsyncASGITransport(app)
        self.hang = False
        self.calls: dict[str, int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls[request.method] = self.calls.get(request.method, 0) + 1
        if self.hang:
            await anyio.sleep_forever()
        return await self._inner.handle_async_request(request)


@pytest.mark.anyio
async def test_a_kit_that_no_longer_answers_cannot_hang_a_cancelled_tests_close(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The shield around the close is bounded: past it, ``TimeoutError``; the session is
    not closed, and a close once the kit answers again drops it."""
    transport = Hanging(create_app())
    admin = httpx.AsyncClient(transport=transport, base_url=IN_PROCESS_URL, timeout=None)
    session = await AsyncSession.open(admin, base_url=IN_PROCESS_URL, owns_client=True)
    transport.hang = True
    monkeypatch.setattr(session_module, "SHIELD_SECONDS", 0)  # rather than wait 10 s
    with anyio.CancelScope() as test:
        test.cancel()  # a timed-out test, closing its session
        with pytest.raises(TimeoutError):  # the close's bound, not the test's cancellation
            await session.close()
    assert not test.cancelled_caught and not session.closed and admin.is_closed
    transport.hang = False
    monkeypatch.undo()  # the 10 s bound again
    await session.close()  # on a client like the one it closed
    assert session.closed and transport.calls == {"POST": 1, "DELETE": 2}


@pytest.mark.anyio
async def test_closing_a_session_the_kit_let_expire_is_fine() -> None:
    """On either twin, with the coverage report on too: its read is refused (404), as the
    drop is, since the session is gone already."""
    wall = Wall()
    app = create_app(wall=wall)
    with admin_client(app) as http:
        async with async_admin_client(app) as async_http:
            sync = Session.open(http, base_url=IN_PROCESS_URL, ttl_seconds=60)
            in_async = await AsyncSession.open(async_http, base_url=IN_PROCESS_URL, ttl_seconds=60)
            sync.tally = in_async.tally = CoverageTally()
            wall.now += 61
            sync.close()
            await in_async.close()
    assert sync.closed and in_async.closed and not sync.tally


def test_each_async_call_is_a_coroutine_with_its_sync_twins_signature() -> None:
    """So ``mock``'s autospec makes an ``AsyncMock`` of it, and an IDE shows what it takes."""
    methods = {
        name: method
        for name, method in inspect.getmembers(Session, inspect.isfunction)
        if not name.startswith("_") and name != "base_url"
    }
    assert {"admin", "assert_called", "close", "count", "info", "reset"} <= set(methods)
    for name, method in methods.items():
        twin = getattr(AsyncSession, name)
        assert inspect.iscoroutinefunction(twin), name
        assert inspect.signature(twin) == inspect.signature(method), name
    stand_in = mock.create_autospec(AsyncSession, instance=True)
    assert isinstance(stand_in.assert_called, mock.AsyncMock)


class Recorded(AsyncSession):
    """A team's async session that logs each admin call it makes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[str] = []

    async def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        self.sent.append(f"{method} {path}")
        return await super().admin(method, path, **kwargs)


@pytest.mark.anyio
async def test_an_async_subclass_overriding_admin_sees_every_call_of_the_helpers() -> None:
    async with (
        async_admin_client(create_app()) as http,
        await Recorded.open(http, base_url=IN_PROCESS_URL) as session,
    ):
        assert await session.count(vendor="quoparts") == 0
        await session.assert_not_called(vendor="quoparts")
    assert session.sent == [
        "POST /requests/count",
        "POST /requests/verify",
        f"DELETE /sessions/{session.id}",
    ]


INNER_TESTS = """
    import anyio
    import httpx

    def test_in_an_async_session(mockserver):
        async def connector():
            async with await mockserver.async_session() as session:
                base = session.base_url("quoparts") + "/ws_quoparts.php"
                async with httpx.AsyncClient() as http:
                    await http.get(base, params={"login": "", "username": "x", "password": "y"})
                    account = session.credentials["quoparts"]
                    await http.get(base, params={"login": "", **account})
                await session.reset()  # what it met before still counts

        anyio.run(connector)
"""


def test_an_async_sessions_coverage_counts_in_the_plugins_report(
    pytester: pytest.Pytester,
) -> None:
    """Read as it closes and before its resets, as a sync session's is."""
    pytester.makepyfile(test_connector=textwrap.dedent(INNER_TESTS))
    result = pytester.runpytest_inprocess("--mockservers-coverage-vendors=quoparts", *INNER_PYTEST)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "quoparts: 2 of 14 documented situations met",
            "*met    1  quoparts.login_ok *",
            "*met    1  quoparts.login_refused *",
        ]
    )


FAILING_TESTS = """
    import anyio

    def test_in_a_session(mockserver_session):
        mockserver_session.assert_called(vendor="quoparts")

    def test_in_an_async_session(mockserver):
        async def connector():
            async with await mockserver.async_session() as session:
                await session.assert_called(vendor="quoparts")

        anyio.run(connector)
"""


def test_a_failed_assertion_points_at_the_tests_own_line(pytester: pytest.Pytester) -> None:
    """On either twin, not at the kit's frames that run the call."""
    pytester.makepyfile(test_connector=textwrap.dedent(FAILING_TESTS))
    result = pytester.runpytest_inprocess("--tb=long", *INNER_PYTEST)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            ">*mockserver_session.assert_called(*",
            "E*AssertionError: expected at least 1 call(s) *",
            "test_connector.py:4: AssertionError",
            ">*await session.assert_called(*",
            "E*AssertionError: expected at least 1 call(s) *",
            "test_connector.py:9: AssertionError",
        ]
    )
    assert "mockservers/testing/" not in result.stdout.str()
