"""The async twin of the session helper, as an async connector's test uses it: every admin call
awaited over an ``httpx.AsyncClient`` (a test on an event loop had to make blocking ones), with
the same answers and the same failures as the sync helper, whose calls it shares."""

from __future__ import annotations

import re
import textwrap
from typing import Any

import httpx
import pytest

from clients import AsyncQuoPartsClient
from mockservers import create_app
from mockservers.testing import (
    IN_PROCESS_URL,
    AsyncASGITransport,
    AsyncSession,
    MockServer,
    Session,
    async_admin_client,
)

pytest_plugins = ["pytester"]

WHEN = re.compile(r" at \S+ \[entry \w+\]")
"""When a journal entry was made, and its id: all that tells two sessions' alike calls apart."""
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
    quiet = ("-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest")
    result = pytester.runpytest_inprocess("--mockservers-coverage-vendors=quoparts", *quiet)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "quoparts: 2 of 13 documented situations met",
            "*met    1  quoparts.login_ok *",
            "*met    1  quoparts.login_refused *",
        ]
    )
