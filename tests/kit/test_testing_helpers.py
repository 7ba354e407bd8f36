"""The testing helpers as a connector's test suite uses them: the shipped fixtures
(``mockserver``, ``mockserver_session``), ``Session``, assertions that fail with the near misses,
coverage, and the pytest plugin's ``mockservers_config`` and ``--mockservers-coverage`` (run in
an inner pytest, with and without xdist)."""

from __future__ import annotations

import inspect
import logging
import re
import subprocess
import sys
import textwrap
from datetime import datetime
from typing import Any
from unittest import mock

import httpx
import orjson
import pytest

from clients.keepit import KeepItClient
from clients.quoparts import QuoPartsClient
from mockservers import create_app
from mockservers.testing import (
    IN_PROCESS_URL,
    AdminScope,
    AsyncASGITransport,
    MockServer,
    Session,
    SyncASGITransport,
    admin_client,
)
from mockservers.testing.report import verify_failure
from tests.conftest import INNER_PYTEST, qp_call, qp_login
from tests.data import keepit_customer
from tests.kit.test_serve_options import assert_dated_by_the_kit

pytest_plugins = ["pytester"]

ROW = {"DES_NOM": "Rossi S.r.l.", "COD_PTA_IVA": "12345678901", "COD_CLI_ERP": "CLI01"}


def _seconds(instant: str) -> float:
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).timestamp()


def quoparts(session: Session) -> QuoPartsClient:
    account = session.credentials["quoparts"]
    return QuoPartsClient(session.base_url("quoparts"), account["username"], account["password"])


def test_assert_called_passes_and_counts(mockserver_session: Session) -> None:
    with quoparts(mockserver_session) as client:
        client.import_customers([ROW])
    session = mockserver_session
    assert session.assert_called(vendor="quoparts", operation="importCli") == 1
    username = session.credentials["quoparts"]["username"]
    assert session.assert_called(1, operation="login", query={"username": username}) == 1
    assert session.count(vendor="quoparts") == 2
    session.assert_called(at_least=2, at_most=2, vendor="quoparts")
    session.assert_not_called(operation="importPvt")


def test_assert_called_reads_xtra_s_names_as_xtra_does(mockserver_session: Session) -> None:
    """XTRA binds query and body names, and its flags' values, whatever their case: a test
    asserting a call in the contracts' spelling failed on the call the fake had taken."""
    session = mockserver_session
    account = session.credentials["xtra"]
    keys = {"SyncPublicKey": account["public_key"], "SyncSecretKey": account["secret_key"]}
    form = {"email": "a@b.it", "surname": "Rossi", "name": "Anna", "webreasonid": 13}
    with httpx.Client(base_url=session.base_url("xtra"), headers=keys) as xtra:
        xtra.post("/api/sync/v1/irs/update?CONTACTFORM=True", json=[form])
    contact_form = {"vendor": "xtra", "query": {"contactForm": "true"}}
    assert session.assert_called(1, **contact_form, body=[{"EMail": "a@b.it"}]) == 1
    with pytest.raises(AssertionError, match=r'query\.contactForm: expected "false", got "True"'):
        session.assert_called(vendor="xtra", query={"contactForm": "false"})


def test_contradictory_bounds_fail_before_any_call(mockserver_session: Session) -> None:
    """``assert_called(1, at_least=5)`` passed on one call: ``count`` won, silently."""
    with quoparts(mockserver_session) as client:
        client.import_customers([ROW])
    session = mockserver_session
    for bounds in ({"at_least": 5}, {"at_most": 0}):
        with pytest.raises(ValueError, match="'count' is an exact number of calls"):
            session.assert_called(1, **bounds, operation="importCli")
        with pytest.raises(ValueError, match="'count' is an exact number of calls"):
            session.verify(1, **bounds, operation="importCli")
    with pytest.raises(ValueError, match="'at_least' is more than 'at_most'"):
        session.assert_called(at_least=2, at_most=1, operation="importCli")


def test_assert_called_fails_with_the_near_misses(mockserver_session: Session) -> None:
    with quoparts(mockserver_session) as client:
        client.import_customers([ROW])
    with pytest.raises(AssertionError) as failure:
        mockserver_session.assert_called(
            vendor="quoparts", operation="importCli", body={"data": [{"COD_CLI_ERP": "CLI001"}]}
        )
    lines = str(failure.value).splitlines()
    assert lines[0] == (
        'expected at least 1 call(s) matching {"body":{"data":[{"COD_CLI_ERP":"CLI001"}]},'
        '"operation":"importCli","vendor":"quoparts"}, found 0'
    )
    assert lines[1] == "near misses, closest first:"
    assert lines[2].startswith("  1. quoparts importCli (POST /quoparts/ws_quoparts.php) -> 200")
    assert lines[3] == '       body.data[0].COD_CLI_ERP: expected "CLI001", got "CLI01"'
    assert lines[4].startswith("  2. quoparts login (GET /quoparts/ws_quoparts.php) -> 200")
    assert lines[5:] == [
        "       operation: expected importCli, got login",
        "       body: expected an object, got null",
    ]


def test_a_failed_assertion_on_a_large_import_stays_a_page(mockserver_session: Session) -> None:
    """A 2,000-row import that missed on every row: the message held 10,007 lines, 655,379
    characters, each near miss with all its differences."""
    rows = [ROW | {"COD_CLI_ERP": f"C{n}"} for n in range(2000)]
    with quoparts(mockserver_session) as client:
        client.import_customers(rows)
    wanted = {"data": [{"COD_CLI_ERP": f"X{n}", "DES_NOM": "Bianchi"} for n in range(2000)]}
    with pytest.raises(AssertionError) as failure:
        mockserver_session.assert_called(operation="importCli", body=wanted)
    lines = str(failure.value).splitlines()
    assert lines[2].startswith("  1. quoparts importCli (POST /quoparts/ws_quoparts.php)")
    assert lines[3:5] == [
        '       body.data[0].COD_CLI_ERP: expected "X0", got "C0"',
        '       body.data[0].DES_NOM: expected "Bianchi", got "Rossi S.r.l."',
    ]
    assert lines[22:24] == [
        '       body.data[9].DES_NOM: expected "Bianchi", got "Rossi S.r.l."',
        "       … and 3980 more differences",
    ]
    assert lines[24].startswith("  2. quoparts login ") and len(lines) == 27


def test_a_near_miss_the_vendor_refused_at_http_200_says_so(mockserver_session: Session) -> None:
    """QuoParts refuses an expired token with HTTP 200 and errorCode 101: the near miss read
    "-> 200", as if only the row had differed and the call had gone through."""
    session = mockserver_session
    with httpx.Client(base_url=session.base_url("quoparts")) as http:
        login = {"login": "", **session.credentials["quoparts"]}
        token = http.get("/ws_quoparts.php", params=login).json()["data"][0]["TOKEN"]
        session.advance(3600)  # the token expires; the connector does not log in again
        http.post(
            "/ws_quoparts.php", params={"importCli": "", "token": token}, json={"data": [ROW]}
        )
    record = {"FIDGroup": 2, "TypologyIds": [2], "ExternalKey": "E1"}
    account = session.credentials["xtra"]
    keys = {"SyncPublicKey": account["public_key"], "SyncSecretKey": account["secret_key"]}
    with httpx.Client(base_url=session.base_url("xtra"), headers=keys) as xtra:
        xtra.post("/api/sync/v1/irs/update", json=[record, record, {"ID": 99999}])
        xtra.post("/api/sync/v1/irs/update", headers={"SyncSecretKey": "wrong"}, json=[])
    with pytest.raises(AssertionError) as failure:
        row = {"data": [{"COD_CLI_ERP": "C2"}]}
        session.assert_called(vendor="quoparts", operation="importCli", body=row)
    lines = str(failure.value).splitlines()
    assert lines[2].startswith(
        '  1. quoparts importCli (POST /quoparts/ws_quoparts.php) -> 200 error_code 101 "Utente'
        ' non Accreditato" at '
    )
    assert lines[3] == '       body.data[0].COD_CLI_ERP: expected "C2", got "CLI01"'
    assert " login (GET /quoparts/ws_quoparts.php) -> 200 at " in lines[4]  # errorCode 0: done
    with pytest.raises(AssertionError) as failure:
        session.assert_not_called(vendor="xtra")
    refused, records = str(failure.value).splitlines()[2:]
    assert '-> 403 error_code ER.AUTH "SyncPublicKey/SyncSecretKey mancanti o non validi" at' in (
        refused
    )
    assert (  # the first code with its message, cut short; the others by their code
        '-> 200 error_code ER.IR.EXISTS "Anagrafica già trovata: ExternalKey E1 (ID 2)", '
        "ER.IR.NOFOUND at "
    ) in records
    keepit = session.credentials["keepit"]
    headers = {"username": keepit["username"], "password": keepit["password"]}
    headers |= {"companyId": keepit["company_id"], "siteId": keepit["site_id"]}
    query = {"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"}
    with httpx.Client(base_url=session.base_url("keepit"), headers=headers) as http:
        assert http.post("/api", params=query, json={"subjectsRecords": [{}]}).status_code == 400
    with pytest.raises(AssertionError) as failure:
        session.assert_not_called(vendor="keepit")
    assert "(POST /keepit/api) -> 400 at " in str(failure.value)  # code 400 says nothing more


class Measured(Session):
    """A session that keeps the size of each verify answer it fetches."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.verified: list[int] = []

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        found = super().admin(method, path, **kwargs)
        if path == "/requests/verify":
            self.verified.append(len(orjson.dumps(found)))
        return found


def test_a_failed_assertion_fetches_the_calls_it_lists_without_their_bodies() -> None:
    """Its message shows no body, yet it fetched each call it lists whole: 1.9 MB for five
    near misses of 2,000-row imports. The message is the one the whole answer makes."""
    with (
        admin_client(create_app()) as http,
        Measured.open(http, base_url=IN_PROCESS_URL) as session,
    ):
        account = session.credentials["quoparts"]
        token = qp_login(http, account["username"], account["password"])
        for batch in range(5):
            rows = [ROW | {"COD_CLI_ERP": f"C{batch}-{n}"} for n in range(2000)]
            qp_call(http, "importCli", token, {"data": rows})
        wanted = {"data": [{"COD_CLI_ERP": f"X{n}", "DES_NOM": "Bianchi"} for n in range(2000)]}
        matcher = {"operation": "importCli", "body": wanted}
        whole = session.verify(**matcher)
        with pytest.raises(AssertionError) as failure:
            session.assert_called(**matcher)
        assert str(failure.value) == verify_failure(matcher, whole)
        assert len(str(failure.value).splitlines()) == 112
        with pytest.raises(AssertionError) as failure:
            session.assert_not_called(vendor="quoparts")
        matched = session.verify(0, vendor="quoparts")
        assert str(failure.value) == verify_failure({"vendor": "quoparts"}, matched)
    whole_size, asserted, not_called, matched_size = session.verified
    assert whole_size > 1_500_000 and matched_size > 1_500_000  # verify() answers it all
    assert asserted < 15_000 and not_called < 15_000


def test_too_few_matches_show_the_calls_that_matched_and_the_near_misses(
    mockserver_session: Session,
) -> None:
    """'found 1' named only the calls that did not match: the one that did was nowhere."""
    with quoparts(mockserver_session) as client:
        client.import_customers([ROW])
    with pytest.raises(AssertionError) as failure:
        mockserver_session.assert_called(2, vendor="quoparts", operation="importCli")
    lines = str(failure.value).splitlines()
    assert lines[0].endswith(", found 1") and "exactly 2" in lines[0]
    assert lines[1] == "calls that matched, newest first:"
    assert lines[2].startswith("  1. quoparts importCli (POST /quoparts/ws_quoparts.php) -> 200")
    assert lines[3] == "near misses, closest first:"
    assert lines[4].startswith("  1. quoparts login (GET /quoparts/ws_quoparts.php) -> 200")


def test_a_failed_assertion_names_the_session_of_each_call_it_lists() -> None:
    """On the global scope, a call another test's session made (one left open) was listed as
    if the global scope had made it: each line names its session, with its name while it is
    live; a call of the global scope names none."""
    missing = {"operation": "importCli", "body": {"data": [{"COD_CLI_ERP": "X"}]}}

    def listed(scope: AdminScope) -> list[str]:
        with pytest.raises(AssertionError) as failure:
            scope.assert_called(**missing)
        calls = [line for line in str(failure.value).splitlines() if re.match(r"  \d+\. ", line)]
        return [line.rsplit(" [", 1)[1] for line in calls]

    with MockServer() as server:
        leaked = server.session(name="tests/test_other.py::test_leaky")
        with quoparts(leaked) as client:
            client.import_customers([ROW])
        with httpx.Client(base_url=server.url) as http:
            qp_login(http)
        on_the_global_scope, in_the_session = listed(server), listed(leaked)
        leaked.close()
        after_it_closed = listed(server)
    ids = [line.split(",")[0].rstrip("]") for line in on_the_global_scope]
    named = f'session {leaked.id} "tests/test_other.py::test_leaky"]'
    assert on_the_global_scope == [f"{ids[0]}, {named}", f"{ids[1]}]", f"{ids[2]}, {named}"]
    assert in_the_session == [f"{ids[0]}, session {leaked.id}]", f"{ids[2]}, session {leaked.id}]"]
    assert after_it_closed == [f"{ids[1]}]"]  # dropped with its session: the global one's


def test_a_failed_assertion_never_prints_a_secret_it_was_given(
    mockserver_session: Session,
) -> None:
    password = mockserver_session.credentials["quoparts"]["password"]
    with quoparts(mockserver_session) as client:
        client.login()
    with pytest.raises(AssertionError) as failure:
        mockserver_session.assert_called(2, operation="login", query={"password": password})
    assert password not in str(failure.value)
    assert '"query":{"password":"***"}' in str(failure.value).splitlines()[0]


def test_a_failed_assertion_masks_a_form_body_s_secret(mockserver_session: Session) -> None:
    """A form's password was printed in clear in the message's first line and difference."""
    session = mockserver_session
    account = session.credentials["quoparts"]
    with httpx.Client(base_url=session.base_url("quoparts")) as http:
        form = {"username": "demo", "password": account["password"]}
        http.post("/ws_quoparts.php", params={"login": "", **account}, data=form)
    with pytest.raises(AssertionError) as failure:
        session.assert_called(operation="login", body="username=other&password=hunter2")
    lines = str(failure.value).splitlines()
    assert "hunter2" not in str(failure.value) and account["password"] not in str(failure.value)
    assert '"body":"username=other&password=***"' in lines[0]
    assert lines[3:] == [
        '       body: expected "username=other&password=***", got "username=demo&password=***"'
    ]


def test_a_failed_assertion_masks_the_secrets_of_a_part_the_call_lacks(
    mockserver_session: Session,
) -> None:
    """A matcher's object or element the call has no place for is shown whole in the
    difference: the password inside it was shown in clear."""
    session = mockserver_session
    secret = "Sup3rS3cretPassw0rd"
    with KeepItClient(session.base_url("keepit"), **session.credentials["keepit"]) as client:
        client.insert_customers([keepit_customer("C1")])
    for matcher, difference in [
        (
            {"data": [{"COD_CLI_ERP": "C1", "PASSWORD": secret}]},
            'body.data: expected [{"COD_CLI_ERP":"C1","PASSWORD":"***"}], missing',
        ),
        (
            {"subjectsRecords": [{}, {"subjects": {"Password": secret}}]},
            'body.subjectsRecords[1]: expected {"subjects":{"Password":"***"}}, missing',
        ),
    ]:
        with pytest.raises(AssertionError) as failure:
            session.assert_called(vendor="keepit", body=matcher)
        message = str(failure.value)
        assert secret not in message
        assert message.splitlines()[3:] == [f"       {difference}"]


def test_a_failed_assertion_masks_the_headers_the_journal_masks(
    mockserver_session: Session,
) -> None:
    """A cookie sent is masked in the journal; the one a matcher expects showed in clear in
    the message's first line and in its differences."""
    session = mockserver_session
    account = session.credentials["quoparts"]
    with httpx.Client(base_url=session.base_url("quoparts")) as http:
        sent = {"Cookie": "sid=SENTCOOKIE123"}
        http.get("/ws_quoparts.php", params={"login": "", **account}, headers=sent)
    expected = {"Cookie": "sid=TOPSECRETCOOKIE", "Proxy-Authorization": "Basic UFJPWFlTRUNSRVQ="}
    with pytest.raises(AssertionError) as failure:
        session.assert_called(operation="login", headers=expected)
    message = str(failure.value)
    assert "TOPSECRETCOOKIE" not in message and "UFJPWFlTRUNSRVQ" not in message
    assert "SENTCOOKIE123" not in message
    lines = message.splitlines()
    assert '"headers":{"Cookie":"***","Proxy-Authorization":"***"}' in lines[0]
    assert lines[3:] == [
        "       headers.cookie: masked in the journal, never matches a clear-text value",
        "       headers.proxy-authorization: expected a secret value (not shown), missing",
    ]


def test_assert_not_called_fails_listing_what_matched(mockserver_session: Session) -> None:
    with quoparts(mockserver_session) as client:
        client.login()
        client.login()
    with pytest.raises(AssertionError) as failure:
        mockserver_session.assert_not_called(operation="login")
    lines = str(failure.value).splitlines()
    assert lines[0].startswith("expected exactly 0 call(s) matching") and "found 2" in lines[0]
    assert lines[1] == "calls that matched, newest first:"
    assert len(lines) == 4 and all(" quoparts login " in line for line in lines[2:])


def test_calls_the_bounded_journal_pushed_out_are_never_counted_as_not_made() -> None:
    """The session keeps its 3 newest calls: the first login is gone, so no assertion may
    conclude it was never made, and a count says what it cannot include."""
    server = MockServer({"kit": {"sessions": {"journal_max_entries": 3}}})
    with server, server.session() as session, quoparts(session) as client:
        client.import_customers([ROW | {"COD_CLI_ERP": "BAD-0"}])
        for n in range(3):
            client.import_customers([ROW | {"COD_CLI_ERP": f"OK-{n}"}])
        assert session.count(operation="importCli") == 3
        assert session.verify(4, operation="importCli")["dropped"] == 2
        bad = {"data": [{"COD_CLI_ERP": "BAD-0"}]}
        with pytest.raises(AssertionError, match="no longer holds 2 older call"):
            session.assert_not_called(operation="importCli", body=bad)
        with pytest.raises(AssertionError, match="no longer holds 2 older call"):
            session.assert_called(4, operation="importCli")
        # An upper bound the calls still seen meet may be broken by one pushed out.
        for bounds in ({"count": 0}, {"at_most": 0}, {"at_most": 1}):
            with pytest.raises(
                AssertionError, match=r"cannot tell that no (call|more than 1 call) "
            ):
                session.assert_called(**bounds, operation="importCli", body=bad)
        assert session.assert_called(at_least=1, operation="importCli") == 3  # a lower bound met
        assert session.assert_called(at_most=5, operation="importCli") == 3  # 3 + 2 dropped ≤ 5
        session.clear_requests()  # a fresh start: nothing pushed out any more
        session.assert_not_called(operation="importCli", body=bad)


def test_a_vendor_reset_forgets_the_calls_of_that_vendor_pushed_out() -> None:
    """A session flooded with KeepIT inserts, then reset for KeepIT: QuoParts was never
    called, yet its negative assertion failed, 'cannot tell', for the KeepIT calls dropped."""
    server = MockServer({"kit": {"sessions": {"journal_max_entries": 3}}})
    with server, server.session() as session:
        with KeepItClient(session.base_url("keepit"), **session.credentials["keepit"]) as keepit:
            for n in range(5):
                keepit.insert_customers([keepit_customer(f"K{n}")])
        with quoparts(session) as client:
            client.login()
        assert session.verify(1, operation="login") == {"ok": True, "count": 1, "dropped": 3}
        session.assert_not_called(vendor="xtra")  # the calls pushed out were none of XTRA's
        first = {"subjectsRecords": [{"subjects": {"customerCode": "K0"}}]}  # pushed out
        with pytest.raises(
            AssertionError, match=re.escape("no longer holds 3 older call(s) to keepit ")
        ):
            session.assert_not_called(vendor="keepit", body=first)
        session.reset("keepit")
        assert session.verify(0, vendor="keepit") == {"ok": True, "count": 0}
        session.assert_not_called(vendor="keepit")
        session.assert_not_called(operation="importCli")  # every vendor: none dropped left


def test_a_failed_assertion_on_a_number_beyond_64_bits_shows_the_matcher(
    mockserver_session: Session,
) -> None:
    """Writing the message of a failed assertion raised TypeError (orjson's 64 bits) for a
    matcher holding a KeepIT customerCode the vendor refuses, and showed no near miss."""
    big = {"subjectsRecords": [{"subjects": {"customerCode": 2**64 + 1}}]}
    with quoparts(mockserver_session) as client:
        client.login()
    with pytest.raises(AssertionError, match=str(2**64 + 1)):
        mockserver_session.assert_called(vendor="keepit", body=big)
    with pytest.raises(AssertionError, match=str(2**64 + 1)):
        mockserver_session.assert_called(count=2, body=big)


def test_an_unmet_expectation_in_an_empty_session_says_so(mockserver_session: Session) -> None:
    with pytest.raises(AssertionError, match="no call in this scope's journal to compare with"):
        mockserver_session.assert_called(vendor="keepit")


def test_each_test_gets_its_own_session_on_the_shared_server(
    mockserver: MockServer, mockserver_session: Session
) -> None:
    with mockserver.session(name="another job") as other:
        assert other.id != mockserver_session.id
        assert other.base_url("xtra") == mockserver_session.base_url("xtra")
        with quoparts(other) as client:
            client.import_customers([ROW])
        before = mockserver_session.now()
        other.advance(3600)
        other.fault(vendor="quoparts", kind="status", status=500)
        assert _seconds(mockserver_session.now()) - _seconds(before) < 60  # not 3600
        assert mockserver_session.requests() == [] and mockserver_session.faults() == []
        assert mockserver_session.state("quoparts") == {"tenants": {}}
        assert list(other.state("quoparts")["tenants"]) == [f"ms-{other.id}"]
        with quoparts(mockserver_session) as client:
            assert client.import_customers([ROW])[0].customer_code == "000001"  # its own
        assert other.coverage("quoparts")["quoparts"][0]["met"] == 1  # login_ok
        assert other.missed("quoparts")["quoparts"][0] == "quoparts.login_refused"
    assert other.closed
    with pytest.raises(httpx.HTTPStatusError):
        Session.open(httpx.Client(base_url=mockserver.url), base_url="x", ttl_seconds=0)
    assert [s["id"] for s in mockserver.admin("GET", "/sessions")] == [mockserver_session.id]


def test_a_server_not_started_says_so_whatever_is_asked_of_it() -> None:
    """``count()`` and ``session()`` failed on an ``assert`` (an ``AttributeError`` under
    ``python -O``), and ``base_url("quoparts")`` answered ``/quoparts``, a relative URL."""
    server = MockServer()
    asked = [
        server.count,
        server.session,
        server.async_session,
        lambda: server.base_url("quoparts"),
        lambda: server.requests(limit=1),
    ]
    for ask in asked:
        with pytest.raises(RuntimeError, match=r"^start the server first \(use it as a context"):
            ask()
    with server:
        assert server.base_url("quoparts") == f"{server.url}/quoparts"
    for ask in asked[:3]:  # stopped: nothing answers
        with pytest.raises(RuntimeError, match="start the server first"):
            ask()


def test_a_session_opens_on_a_client_without_a_base_url() -> None:
    """``Session.open(httpx.Client(), base_url=server.url)`` failed with httpx's
    ``UnsupportedProtocol``: its admin calls now go under ``base_url``; with no absolute URL
    either side, it says so."""
    import anyio

    from mockservers.testing import AsyncSession

    async def in_async(url: str) -> int:
        async with await AsyncSession.open(httpx.AsyncClient(), base_url=url) as session:
            return await session.count()

    with MockServer() as server:
        with Session.open(httpx.Client(), base_url=server.url + "/", owns_client=True) as plain:
            with quoparts(plain) as client:
                client.login()
            assert plain.count(operation="login") == 1
            assert [s["id"] for s in server.admin("GET", "/sessions")] == [plain.id]
        assert anyio.run(in_async, server.url) == 0
        assert server.admin("GET", "/sessions") == []  # both dropped
        with pytest.raises(ValueError, match="the client has no base_url, and base_url ''"):
            Session.open(httpx.Client(), base_url="")


def test_a_negative_journal_limit_says_what_it_may_be(mockserver_session: Session) -> None:
    with pytest.raises(httpx.HTTPStatusError) as refused:
        mockserver_session.requests(limit=-1)
    assert refused.value.response.json() == {"error": "limit must be a whole number from 0"}


def test_session_helpers_cover_reset_tokens_and_state(mockserver_session: Session) -> None:
    session = mockserver_session
    with quoparts(session) as client:
        client.import_customers([ROW])
    assert session.expire_tokens("quoparts") == 1
    assert len(session.requests(limit=1)) == 1 and session.requests(limit=0) == []
    token = session.tsdigital_token("app-key", ["items:create"], ttl_seconds=30)
    assert len(token) > 10
    document = session.state("quoparts")
    session.reset()
    assert session.state("quoparts") == {"tenants": {}} and session.requests() == []
    assert session.put_state("quoparts", document) == document
    assert session.info()["id"] == session.id
    session.close()
    session.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        session.requests()


def test_a_fault_without_its_kind_is_refused_saying_it_is_required(
    mockserver_session: Session,
) -> None:
    with pytest.raises(httpx.HTTPStatusError) as refused:
        mockserver_session.fault(vendor="keepit", status=500, times=1)
    assert refused.value.response.status_code == 400
    assert refused.value.response.json() == {
        "error": "'kind' is required; one of ['drop', 'latency', 'malformed', 'status']"
    }
    assert mockserver_session.faults() == []


INNER_CONFTEST = """
    import pytest

    @pytest.fixture(scope="session")
    def mockservers_config():
        return {"quoparts": {"token_ttl_seconds": 60}}
"""
INNER_TESTS = """
    import httpx

    def login(base, account):
        url = base + "/ws_quoparts.php"
        return httpx.get(url, params={"login": "", **account}).json()

    def test_in_a_session(mockserver_session):
        base = mockserver_session.base_url("quoparts")
        token = login(base, mockserver_session.credentials["quoparts"])["data"][0]["TOKEN"]
        mockserver_session.advance(60)  # the configured lifetime: the token is gone
        body = httpx.post(
            base + "/ws_quoparts.php", params={"importCli": "", "token": token}, json={}
        ).json()
        assert body["errorCode"] == "101"

    def test_globally(mockserver):
        assert login(mockserver.base_url("quoparts"), {"username": "x", "password": "y"})[
            "errorCode"
        ] == "101"

    def test_globally_again(mockserver):  # the reset before it must not lose the test above
        assert login(mockserver.base_url("quoparts"), {"username": "demo", "password": "demo"})[
            "errorCode"
        ] == "0"

    def test_in_process(mockservers_app):
        assert mockservers_app.state.config.vendors == {"quoparts": {"token_ttl_seconds": 60}}

    def test_that_resets_itself(mockserver, mockserver_session):  # what it met still counts
        refused = login(mockserver.base_url("quoparts"), {"username": "x", "password": "z"})
        assert refused["errorCode"] == "101"
        mockserver.reset()
        base = mockserver_session.base_url("quoparts")
        assert login(base, mockserver_session.credentials["quoparts"])["errorCode"] == "0"
        mockserver_session.reset()
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist"])
def test_the_plugin_configures_its_fixtures_and_reports_coverage(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    pytester.makeconftest(textwrap.dedent(INNER_CONFTEST))
    pytester.makepyfile(test_connector=textwrap.dedent(INNER_TESTS))
    result = pytester.runpytest_inprocess("--mockservers-coverage", *INNER_PYTEST, *workers)
    result.assert_outcomes(passed=5)
    output = result.stdout.str()
    assert "mockservers coverage: documented situations met / missed" in output
    result.stdout.fnmatch_lines(
        [
            "quoparts: 3 of 14 documented situations met",
            "*met    3  quoparts.login_ok *",
            "*met    2  quoparts.login_refused *",
            "*met    1  quoparts.token_expired *",
            "*MISSED    quoparts.quote_created *",
            "tsdigital: 0 of 18 documented situations met",
        ]
    )


def test_the_coverage_report_shows_the_vendors_it_is_given_only(pytester: pytest.Pytester) -> None:
    """A project that connects to one vendor read three vendors' misses."""
    pytester.makeconftest(textwrap.dedent(INNER_CONFTEST))
    pytester.makepyfile(test_connector=textwrap.dedent(INNER_TESTS))
    result = pytester.runpytest_inprocess(
        "--mockservers-coverage-vendors=quoparts, keepit", *INNER_PYTEST
    )
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(
        [
            "keepit: 0 of 17 documented situations met",
            "*MISSED    keepit.success *",
            "quoparts: 3 of 14 documented situations met",
            "*met    1  quoparts.token_expired *",
        ]
    )
    output = result.stdout.str()
    assert "tsdigital" not in output and "xtra" not in output


def test_a_coverage_filter_naming_no_vendor_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing(mockservers_app):\n    pass\n")
    result = pytester.runpytest_inprocess(
        "--mockservers-coverage-vendors=quoparts,sap", *INNER_PYTEST
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--mockservers-coverage-vendors: 'sap' is no vendor (xtra, tsdigital, keepit, quoparts)*"]
    )


def test_the_plain_coverage_flag_before_the_paths_still_reports_every_vendor(
    pytester: pytest.Pytester,
) -> None:
    """``pytest --mockservers-coverage tests/`` is how the report has always been asked for."""
    pytester.makepyfile(test_nothing="def test_nothing(mockservers_app):\n    pass\n")
    result = pytester.runpytest_inprocess(
        "--mockservers-coverage", "test_nothing.py", *INNER_PYTEST
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["keepit: 0 of 17 *", "quoparts: 0 of 14 *", "xtra: 0 of 19 *"])


def test_without_the_option_no_report_is_printed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing(mockservers_app):\n    pass\n")
    result = pytester.runpytest_inprocess(*INNER_PYTEST)
    result.assert_outcomes(passed=1)
    assert "mockservers coverage" not in result.stdout.str()


def test_a_process_that_never_closes_its_in_process_transport_still_exits() -> None:
    """The transport's loop thread outlived the interpreter's finalisation and the exit waited
    for it for ever: a test run that had passed hung until CI killed it."""
    script = (
        "from clients.quoparts import QuoPartsClient\n"
        "from mockservers import create_app\n"
        "from mockservers.testing import SyncASGITransport\n"
        "transport = SyncASGITransport(create_app(), lifespan=True)\n"
        "client = QuoPartsClient('http://m/quoparts', 'demo', 'demo', transport=transport)\n"
        "assert client.login()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], timeout=60, capture_output=True)
    assert done.returncode == 0, done.stderr


QP_LOGIN = {"login": "", "username": "demo", "password": "demo"}


def test_in_process_timeouts_and_drops_are_what_httpx_raises_over_a_socket() -> None:
    """A connector's except httpx.TimeoutException / TransportError branches could not be
    tested in-process: a latency fault outlasting the timeout simply answered late, and a
    drop raised the kit's own exception."""
    from mockservers import create_app
    from mockservers.testing import SyncASGITransport

    transport = SyncASGITransport(create_app())
    with httpx.Client(transport=transport, base_url="http://m", timeout=0.2) as http:
        fault = {"vendor": "quoparts", "kind": "latency", "latency_ms": 5000, "times": 1}
        http.post("/__admin/faults", json=fault)
        with pytest.raises(httpx.ReadTimeout):
            http.get("/quoparts/ws_quoparts.php", params=QP_LOGIN)
        http.post("/__admin/faults", json={"vendor": "quoparts", "kind": "drop", "times": 1})
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/quoparts/ws_quoparts.php", params=QP_LOGIN)
        assert http.get("/quoparts/ws_quoparts.php", params=QP_LOGIN).json()["errorCode"] == "0"


def test_a_drop_fault_starts_the_answer_then_fails_its_body_in_process_as_over_a_socket() -> None:
    """Over a socket uvicorn has sent ``200 OK`` and the headers when the connection drops: a
    response hook saw the status, then the body's read failed. In-process, the send itself
    failed and no hook ran: a connector's logging of answers behaved otherwise under test."""
    import anyio

    from mockservers import create_app
    from mockservers.testing import AsyncASGITransport, SyncASGITransport

    def sync_run(http: httpx.Client) -> tuple[list[int], int, str]:
        seen: list[int] = []
        http.event_hooks["response"] = [lambda response: seen.append(response.status_code)]
        http.post("/__admin/faults", json={"vendor": "quoparts", "kind": "drop", "times": 2})
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/quoparts/ws_quoparts.php", params=QP_LOGIN)
        with (
            http.stream("GET", "/quoparts/ws_quoparts.php", params=QP_LOGIN) as streamed,
            pytest.raises(httpx.RemoteProtocolError) as failed,
        ):
            streamed.read()
        return seen, streamed.status_code, str(failed.value)

    async def async_run(http: httpx.AsyncClient) -> tuple[list[int], int, str]:
        seen: list[int] = []

        async def hook(response: httpx.Response) -> None:
            seen.append(response.status_code)

        http.event_hooks["response"] = [hook]
        await http.post("/__admin/faults", json={"vendor": "quoparts", "kind": "drop", "times": 2})
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get("/quoparts/ws_quoparts.php", params=QP_LOGIN)
        async with http.stream("GET", "/quoparts/ws_quoparts.php", params=QP_LOGIN) as streamed:
            with pytest.raises(httpx.RemoteProtocolError) as failed:
                await streamed.aread()
        return seen, streamed.status_code, str(failed.value)

    async def in_async() -> tuple[list[int], int, str]:
        transport = AsyncASGITransport(create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://m") as http:
            return await async_run(http)

    with MockServer() as server, httpx.Client(base_url=server.url) as http:
        over_a_socket = sync_run(http)
    with httpx.Client(transport=SyncASGITransport(create_app()), base_url="http://m") as http:
        in_process = sync_run(http)
    assert over_a_socket[:2] == ([201, 200, 200], 200)  # the fault's 201, then two drops
    assert in_process == over_a_socket and anyio.run(in_async) == over_a_socket
    with httpx.Client(transport=SyncASGITransport(create_app()), base_url="http://m") as http:
        whole = http.get("/quoparts/ws_quoparts.php", params=QP_LOGIN)  # as it comes whole
    promised = whole.headers["content-length"]  # the length of the answer the drop cut off
    assert f"received 0 bytes, expected {promised}" in over_a_socket[2]


def test_an_async_connector_in_process_meets_timeouts_and_drops_as_over_a_socket() -> None:
    """httpx's own ASGITransport waited a 5 s latency fault out past a 0.2 s timeout, and let
    the kit's DroppedConnection through: an async connector's error handling untestable."""
    import anyio

    from clients.quoparts import AsyncQuoPartsClient
    from mockservers import create_app
    from mockservers.testing import AsyncASGITransport

    app = create_app()

    async def connector() -> None:
        transport = AsyncASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://m", timeout=0.2) as http:
            fault = {"vendor": "quoparts", "kind": "latency", "latency_ms": 5000, "times": 1}
            await http.post("/__admin/faults", json=fault)
            with pytest.raises(httpx.ReadTimeout):
                await http.get("/quoparts/ws_quoparts.php", params=QP_LOGIN)
            drop = {"vendor": "quoparts", "kind": "drop", "times": 1}
            await http.post("/__admin/faults", json=drop)
            with pytest.raises(httpx.RemoteProtocolError):
                await http.get("/quoparts/ws_quoparts.php", params=QP_LOGIN)
        client = AsyncQuoPartsClient(
            "http://m/quoparts", "demo", "demo", transport=AsyncASGITransport(app)
        )
        async with client:
            customers = await client.import_customers([ROW])
        assert customers[0].ok

    anyio.run(connector)


def test_threads_whose_first_calls_meet_share_one_loop_and_a_body_is_decoded_once() -> None:
    """Each thread's first call started an event loop of its own (eleven left running after
    close), and a gzip answer was decoded twice."""
    import gzip
    import threading

    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from mockservers.testing import SyncASGITransport

    packed = gzip.compress(b'{"ok": true}')

    async def zipped(request: object) -> Response:
        return Response(packed, headers={"content-encoding": "gzip"}, media_type="application/json")

    def loops() -> set[int | None]:
        return {t.ident for t in threading.enumerate() if t.name.startswith("asyncio-portal")}

    earlier = loops()
    transport = SyncASGITransport(Starlette(routes=[Route("/", zipped)]))
    answers: list[object] = []

    def call() -> None:
        answers.append(httpx.Client(transport=transport, base_url="http://m").get("/").json())

    threads = [threading.Thread(target=call) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [{"ok": True}] * 12
    started = loops() - earlier
    transport.close()
    assert len(started) == 1


def test_the_helpers_send_the_admin_token_the_kit_is_configured_with() -> None:
    """A team's kit.toml sets an admin token: every helper sends it (each was a 401), beyond
    ASCII too (httpx refused it as text)."""
    config = {"kit": {"admin_token": "tök-Secret"}}
    with admin_client(create_app(config)) as in_process:
        assert in_process.get("/__admin/health").status_code == 200
        Session.open(in_process, base_url=IN_PROCESS_URL).close()
    with MockServer(config) as server:
        server.reset()
        server.advance(60)
        with server.session() as session, quoparts(session) as client:
            client.login()
            session.assert_called(operation="login")
        assert httpx.get(f"{server.url}/__admin/health").status_code == 401  # others: no token


def test_the_mock_server_dates_its_answers_on_the_kit_s_clock() -> None:
    with MockServer(
        {"kit": {"clock": {"start": "2031-01-01T00:00:00Z", "frozen": True}}}
    ) as server:
        assert_dated_by_the_kit(server.url)


def test_a_call_to_a_wrong_path_shows_in_the_session_it_names(mockserver_session: Session) -> None:
    """The most common connector bug, a wrong base URL: a QuoParts login sent without the
    .php is the session's (it was journalled in the global scope, invisible to the test)."""
    session = mockserver_session
    account = session.credentials["quoparts"]
    httpx.get(f"{session.base_url('quoparts')}/ws_quoparts", params={"login": "", **account})
    (entry,) = session.requests()
    assert (entry["operation"], entry["status"]) == ("unknown", 404)
    session.assert_called(vendor="quoparts", operation="unknown")


def test_a_call_still_waiting_out_a_latency_fault_at_stop_logs_no_traceback() -> None:
    """The test ended before the fault's delay (its client timed out): stopping cancels the
    call, which is expected, not an error to show under the next test."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    uvicorn_errors = logging.getLogger("uvicorn.error")  # where uvicorn says it
    try:
        with MockServer() as server:
            uvicorn_errors.addHandler(handler)  # once started: its logging set-up is done
            server.fault(vendor="quoparts", operation="login", kind="latency", latency_ms=5000)
            with pytest.raises(httpx.ReadTimeout):
                url = f"{server.url}/quoparts/ws_quoparts.php"
                httpx.get(url, params={"login": ""}, timeout=0.2)
    finally:
        uvicorn_errors.removeHandler(handler)
    assert any("graceful shutdown" in r.getMessage() for r in records)  # it did cancel
    assert [r.getMessage() for r in records if r.exc_info] == []


def test_a_stub_admin_transport_that_runs_out_fails_the_call() -> None:
    """A test of the user's own that stubs the admin API with answers it runs out of: the call
    raises their ``StopIteration``, which was read as the end of the call (``count()`` None,
    ``assert_called()`` passing)."""
    opened = {"id": "s1", "expires_at": "2025-01-01T00:00:00Z", "credentials": {}}
    answers = iter([httpx.Response(201, json=opened)])
    stub = httpx.MockTransport(lambda request: next(answers))
    session = Session.open(httpx.Client(transport=stub, base_url=IN_PROCESS_URL), base_url="")
    with pytest.raises(StopIteration):
        session.count(vendor="quoparts")
    with pytest.raises(StopIteration):
        session.assert_called(vendor="quoparts")


def test_the_admin_calls_are_plain_methods(mockserver: MockServer) -> None:
    """As a suite uses them beyond calling them: through the class, specced by ``mock``'s
    autospec, read by ``help()`` and by an IDE (each was an object of the kit's own)."""
    assert AdminScope.count(mockserver, vendor="quoparts") == 0
    signature = inspect.signature(mockserver.assert_called, eval_str=True)
    assert list(signature.parameters) == ["count", "at_least", "at_most", "matcher"]
    assert signature.return_annotation is int
    stand_in = mock.create_autospec(Session, instance=True)
    stand_in.count.return_value = 2
    assert stand_in.count(vendor="quoparts") == 2
    with pytest.raises(TypeError):
        stand_in.count("quoparts")  # a matcher is keywords only, as on a real session
    assert "How many journalled calls match" in (Session.count.__doc__ or "")


class Recorded(Session):
    """A team's session that logs each admin call it makes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[str] = []

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        self.sent.append(f"{method} {path}")
        return super().admin(method, path, **kwargs)


def test_a_subclass_overriding_admin_sees_every_call_of_the_helpers() -> None:
    with (
        admin_client(create_app()) as http,
        Recorded.open(http, base_url=IN_PROCESS_URL) as session,
    ):
        session.advance(60)
        assert session.count(vendor="quoparts") == 0
        session.assert_not_called(vendor="quoparts")
        assert session.missed("quoparts")["quoparts"]
    assert session.sent == [
        "POST /clock",
        "POST /requests/count",
        "POST /requests/verify",
        "GET /coverage",
        f"DELETE /sessions/{session.id}",
    ]


DOTTED = b"/quoparts/x/../ws_quoparts.php?login=&username=x&password=y"


def test_an_in_process_client_sends_the_request_target_it_names() -> None:
    """httpx's ``target`` extension, as over a socket: a path with dot segments reaches the app
    as written (httpx's own in-process transport gave it the URL's, the segments dropped)."""
    app = create_app()
    with httpx.Client(transport=SyncASGITransport(app), base_url=IN_PROCESS_URL) as http:
        http.get("/", extensions={"target": DOTTED})
        (entry,) = http.get("/__admin/requests").json()
    assert entry["path"] == "/quoparts/x/../ws_quoparts.php"
    assert entry["query"] == {"login": "", "username": "x", "password": "***"}


@pytest.mark.anyio
async def test_an_async_in_process_client_sends_the_request_target_it_names() -> None:
    app = create_app()
    async with httpx.AsyncClient(
        transport=AsyncASGITransport(app), base_url=IN_PROCESS_URL
    ) as http:
        await http.get("/", extensions={"target": DOTTED})
        (entry,) = (await http.get("/__admin/requests")).json()
    assert entry["path"] == "/quoparts/x/../ws_quoparts.php"


def test_the_helpers_give_up_an_idle_connection_before_the_server_does() -> None:
    """Both kept one for 5 s: a fixture's reset sent on a connection uvicorn was closing
    failed with "Server disconnected without sending a response"."""
    with MockServer() as server:
        assert server._admin is not None and server._server is not None
        client = server._admin._client
        pool = client._transport._pool  # type: ignore[attr-defined]  # httpx keeps it private
        assert pool._keepalive_expiry < server._server.config.timeout_keep_alive
