"""What the four reference clients share, as a connector's test meets it: a kit session's
credentials are each client's keyword arguments as they are, and an answer a client cannot read
is that vendor's error (``except QuoPartsError`` catches it) as well as ``InvalidResponse``."""

from __future__ import annotations

import ast
import asyncio
import copy
import importlib
import inspect
import pickle
import socket
import ssl
import subprocess
import sys
import threading
import typing
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette

import clients
from clients import (
    AsyncKeepItClient,
    AsyncQuoPartsClient,
    AsyncTsDigitalClient,
    AsyncXtraClient,
    ContractViolation,
    InvalidResponse,
    KeepItClient,
    KeepItError,
    KeepItInvalidResponse,
    QuoPartsClient,
    QuoPartsError,
    QuoPartsInvalidResponse,
    RecordMessage,
    TsDigitalClient,
    TsDigitalError,
    TsDigitalInvalidResponse,
    VendorClientError,
    XtraClient,
    XtraError,
    XtraInvalidResponse,
)
from contracts import Violation
from mockservers.testing import IN_PROCESS_URL, AsyncASGITransport, Session, SyncASGITransport
from tests.coverage_kit import DEMO
from tests.data import keepit_customer, xtra_login, xtra_record, xtra_updated
from tests.servers import free_port, serving

ROW = {"DES_NOM": "Rossi S.r.l.", "COD_PTA_IVA": "12345678901", "COD_CLI_ERP": "CLI01"}
ITEM = {"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}}
APP = {"app_name": "my-erp", "app_version": "1.0"}


def test_quoparts_clients_take_a_sessions_credentials(mockserver_session: Session) -> None:
    session = mockserver_session
    url, account = session.base_url("quoparts"), session.credentials["quoparts"]
    with QuoPartsClient(url, **account) as sync:
        assert sync.import_customers([ROW])[0].ok

    async def twin() -> None:
        async with AsyncQuoPartsClient(url, **account) as client:
            assert (await client.import_customers([ROW | {"COD_CLI_ERP": "CLI02"}]))[0].ok

    anyio.run(twin)
    session.assert_called(2, operation="importCli", error_code="0")


INSERT = {"ExternalKey": "K1", "FIDGroup": 1, "TypologyIds": [2]}


def test_xtra_clients_take_a_sessions_credentials_and_keep_its_irid(
    mockserver_session: Session,
) -> None:
    """The credentials carry ``irid``, which the constructor refused (a TypeError), and a key
    pair beside the login, which an insert needs (it went with the AccessToken: 403)."""
    session = mockserver_session
    url, account = session.base_url("xtra"), session.credentials["xtra"]
    form = {"EMail": "anna@example.it", "Surname": "Rossi", "Name": "Anna", "WebReasonID": 13}
    with XtraClient(url, **account) as sync:
        assert sync.irid == account["irid"]
        (own,) = sync.update_identities([{"ID": sync.irid, "City": "Valenza"}])
        assert own.ok and own.id == account["irid"]
        (contact,) = sync.update_identities([form], contact_form=True)  # with the key pair
        assert contact.ok
        (inserted,) = sync.update_identities([INSERT])  # with the key pair: no 403 ER.AUTH
        assert inserted.ok

    async def twin() -> None:
        async with AsyncXtraClient(url, **account) as client:
            assert client.irid == account["irid"]
            (own,) = await client.update_identities([{"ID": client.irid, "City": "Asti"}])
            assert own.ok

    anyio.run(twin)
    session.assert_called(2, operation="updateIdentities", headers={"AccessToken": "***"})
    keyed = {"SyncPublicKey": account["public_key"]}
    session.assert_called(
        1, operation="updateIdentities", query={"contactForm": "true"}, headers=keyed
    )
    session.assert_called(1, operation="updateIdentities", body=[INSERT], headers=keyed)


def test_keepit_clients_take_a_sessions_credentials(mockserver_session: Session) -> None:
    session = mockserver_session
    url, account = session.base_url("keepit"), session.credentials["keepit"]
    with KeepItClient(url, **account) as sync:
        assert sync.insert_customers([keepit_customer("C1")]).code == 200

    async def twin() -> None:
        async with AsyncKeepItClient(url, **account) as client:
            assert (await client.insert_customers([keepit_customer("C2")])).code == 200

    anyio.run(twin)
    session.assert_called(2, operation="insertClient_v3", error_code=200)


def test_tsdigital_clients_take_a_sessions_credentials_and_keep_its_tenant(
    mockserver_session: Session,
) -> None:
    session = mockserver_session
    url, account = session.base_url("tsdigital"), session.credentials["tsdigital"]
    token = session.tsdigital_token()
    with TsDigitalClient(url, token, **APP, **account) as sync:
        assert sync.tenant == account["tenant"]
        first = sync.create_item(ITEM)

    async def twin() -> str:
        async with AsyncTsDigitalClient(url, token, **APP, **account) as client:
            assert client.tenant == account["tenant"]
            return await client.create_item(ITEM)

    second = anyio.run(twin)
    items = session.state("tsdigital")["tenants"][account["tenant"]]["items"]
    assert {first, second} <= set(items)


CLIENTS: dict[str, tuple[type[Any], type[Any], Callable[[Any], Any]]] = {
    "quoparts": (QuoPartsClient, AsyncQuoPartsClient, lambda client: client.login()),
    "xtra": (
        XtraClient,
        AsyncXtraClient,
        lambda client: client.update_identities([{"ID": 1, "City": "Valenza"}]),
    ),
    "keepit": (
        KeepItClient,
        AsyncKeepItClient,
        lambda client: client.insert_customers([keepit_customer("C1")]),
    ),
    "tsdigital": (TsDigitalClient, AsyncTsDigitalClient, lambda client: client.create_item(ITEM)),
}
"""Per vendor, its sync and async client and one call (a coroutine on the async one)."""

VENDOR_ERRORS: dict[str, type[VendorClientError]] = {
    "quoparts": QuoPartsError,
    "xtra": XtraError,
    "keepit": KeepItError,
    "tsdigital": TsDigitalError,
}


def _demo(vendor: str, app: Starlette) -> dict[str, Any]:
    """The vendor's demo account as its clients' keyword arguments (a token for TS Digital)."""
    if vendor != "tsdigital":
        return DEMO[vendor]
    with httpx.Client(transport=SyncASGITransport(app), base_url=IN_PROCESS_URL) as admin:
        token = admin.post("/__admin/tsdigital/tokens", json={"kind": "user"}).json()["token"]
    return {"token": token, **APP, **DEMO[vendor]}


@pytest.mark.parametrize("vendor", list(VENDOR_ERRORS))
def test_an_answer_a_client_cannot_read_is_the_vendors_error(vendor: str, app: Starlette) -> None:
    """A connector's ``except QuoPartsError`` let a malformed answer through: InvalidResponse
    was no vendor's error. Sync and async, each is now both."""
    with httpx.Client(transport=SyncASGITransport(app), base_url=IN_PROCESS_URL) as admin:
        admin.post("/__admin/faults", json={"vendor": vendor, "kind": "malformed", "times": 2})
    sync_client, async_client, call = CLIENTS[vendor]
    url, account = f"{IN_PROCESS_URL}/{vendor}", _demo(vendor, app)
    with (
        sync_client(url, **account, transport=SyncASGITransport(app)) as client,
        pytest.raises(VENDOR_ERRORS[vendor]) as caught,
    ):
        call(client)
    assert isinstance(caught.value, InvalidResponse) and "not JSON" in str(caught.value)

    async def twin() -> None:
        async with async_client(url, **account, transport=AsyncASGITransport(app)) as client:
            with pytest.raises(VENDOR_ERRORS[vendor]) as caught:
                await call(client)
            assert isinstance(caught.value, InvalidResponse)

    anyio.run(twin)


@pytest.mark.parametrize("vendor", list(VENDOR_ERRORS))
def test_a_dropped_connection_is_httpx_s_error_not_the_vendors(vendor: str, app: Starlette) -> None:
    """What docs/clients.md tells a connector to catch beside the vendor's error: no answer
    came, so there is no vendor code to carry."""
    with httpx.Client(transport=SyncASGITransport(app), base_url=IN_PROCESS_URL) as admin:
        admin.post("/__admin/faults", json={"vendor": vendor, "kind": "drop", "times": 1})
    sync_client, _, call = CLIENTS[vendor]
    url, account = f"{IN_PROCESS_URL}/{vendor}", _demo(vendor, app)
    with (
        sync_client(url, **account, transport=SyncASGITransport(app)) as client,
        pytest.raises(httpx.TransportError) as caught,
    ):
        call(client)
    assert not isinstance(caught.value, VendorClientError)


GATEWAY_PAGE = {"text": "<html>busy</html>", "headers": {"content-type": "text/html"}}


def test_keepit_waits_out_its_own_429_only_not_a_page_it_cannot_read() -> None:
    """Now that an unreadable answer is a KeepItError, its status must not make the client
    wait and send the records again: only KeepIT's own 429 says to."""
    waits: list[float] = []
    transport = httpx.MockTransport(lambda request: httpx.Response(429, **GATEWAY_PAGE))
    account = {"username": "u", "password": "p", "company_id": 1, "site_id": 1}
    client = KeepItClient(
        "http://k", **account, transport=transport, retry_rate_limited=True, sleep=waits.append
    )
    with client, pytest.raises(KeepItInvalidResponse):
        client.insert_customers([keepit_customer("C1")])
    assert waits == []


def test_xtra_logs_in_again_on_its_own_403_only_not_a_page_it_cannot_read() -> None:
    """A 403 XTRA did not write is no expired token: no second login, the page is raised."""
    logins: list[httpx.Request] = []
    updates = iter(
        [
            httpx.Response(200, json=xtra_updated(xtra_record())),
            httpx.Response(403, **GATEWAY_PAGE),
        ]
    )

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            logins.append(request)
            return httpx.Response(200, json=xtra_login("t1"))
        return next(updates)

    user = {"username": "demo", "password": "demo"}
    with XtraClient("http://x", **user, transport=httpx.MockTransport(answer)) as client:
        assert client.update_identities([{"ID": 1, "City": "Valenza"}])[0].ok
        with pytest.raises(XtraInvalidResponse):
            client.update_identities([{"ID": 1, "City": "Asti"}])
    assert len(logins) == 1


def test_a_transport_that_raises_stop_iteration_fails_the_call_not_returns_none() -> None:
    """A stub transport (``MockTransport(lambda r: next(answers))``) that runs out raised
    StopIteration inside the client's loop, which took it for the flow's end: the call
    returned None, as if the vendor had answered nothing."""
    login = {"errorCode": "0", "error": "", "data": [{"TOKEN": "t1"}]}
    answers = iter([httpx.Response(200, json=login)])
    transport = httpx.MockTransport(lambda request: next(answers))
    with (
        QuoPartsClient("http://q", username="u", password="p", transport=transport) as client,
        pytest.raises(StopIteration),
    ):
        client.import_customers([ROW])


@pytest.mark.parametrize(
    ("vendor", "credential"),
    [("xtra", "secret_key"), ("keepit", "password"), ("tsdigital", "token")],
)
def test_a_credential_httpx_cannot_send_is_refused_without_quoting_it(
    vendor: str, credential: str, app: Starlette
) -> None:
    """httpx sends header values as ASCII: a password "pàss" passed the clients' check and
    failed in httpx with a ``UnicodeEncodeError`` whose repr quoted it."""
    sync, _, call = CLIENTS[vendor]
    account = _demo(vendor, app) | {credential: "pàss-SECRET"}
    with (
        sync(f"{IN_PROCESS_URL}/{vendor}", **account, transport=SyncASGITransport(app)) as client,
        pytest.raises(ContractViolation) as refused,
    ):
        call(client)
    assert "SECRET" not in repr(refused.value) and "SECRET" not in str(refused.value)
    assert [violation.keyword for violation in refused.value.violations] == ["pattern"]
    with httpx.Client(transport=SyncASGITransport(app), base_url=IN_PROCESS_URL) as admin:
        assert admin.get("/__admin/requests", params={"vendor": vendor}).json() == []


BLANK_ENDED = [
    ("xtra", "secret_key", "SECRET-key "),
    ("xtra", "secret_key", "\tSECRET-key"),
    ("keepit", "password", "SECRET-pass "),
    ("keepit", "password", " SECRET-pass"),
    ("keepit", "password", "SECRET-pass\t"),
    ("tsdigital", "token", "SECRET-token "),
]
"""A credential as read from a file or an environment variable with a stray space or tab at
one end (a token's leading one falls inside ``Bearer <token>``, where HTTP keeps it)."""


@pytest.mark.parametrize("validate", [True, False], ids=["validating", "not-validating"])
@pytest.mark.parametrize(("vendor", "credential", "value"), BLANK_ENDED)
def test_a_credential_with_a_blank_at_either_end_is_refused_without_quoting_it(
    vendor: str, credential: str, value: str, validate: bool
) -> None:
    """HTTP strips a header value's leading and trailing whitespace, and h11 (under httpx)
    refuses to send one that has it: the clients' own check let it through, and the call
    raised httpx's ``LocalProtocolError: Illegal header value b'SECRET-pass '``, quoting the
    password. A real socket (which an in-process transport is not) shows it: it listens, and
    no connection is ever made to it."""
    sync, _, call = CLIENTS[vendor]
    account = {"token": "t", **APP} if vendor == "tsdigital" else DEMO[vendor]
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        url = f"http://127.0.0.1:{listening.getsockname()[1]}/{vendor}"
        account = account | {credential: value, "validate": validate, "timeout": 5.0}
        with sync(url, **account) as client, pytest.raises(ContractViolation) as refused:
            call(client)
        listening.setblocking(False)
        with pytest.raises(BlockingIOError):
            listening.accept()
    assert "SECRET" not in repr(refused.value) and "SECRET" not in str(refused.value)
    assert "which HTTP strips" in str(refused.value)
    assert [violation.keyword for violation in refused.value.violations] == ["pattern"]


MARKED = "PRIVATE-9f3"
"""A value of a user's data, which no message of a refused request may quote."""


def _keepit_marked() -> dict[str, Any]:
    record = keepit_customer("C1")
    record["subjects"] |= {"sex": MARKED, "province": MARKED, "birthday": MARKED}
    return record | {"action": MARKED}


MARKED_CALLS: dict[str, Callable[[Any], Any]] = {
    "quoparts": lambda client: client.import_customers(
        [ROW | {"FLG_ATV": MARKED, "COD_CAP": [MARKED], "DES_NOM": ""}]
    ),
    "xtra": lambda client: client.update_identities(
        [{"ID": 0, "FIDGroup": MARKED, "IdentityDocuments": [{"ID": 1, "ReleaseDate": MARKED}]}]
    ),
    "keepit": lambda client: client.insert_customers([_keepit_marked()]),
    "tsdigital": lambda client: client.create_item(
        {"item": {"base": [MARKED]}, "studioId": "", "noKeys": MARKED}
    ),
}
"""Per vendor, a call whose body breaks several kinds of rule with a user's values: a value
not among those allowed, a date or pattern it does not follow, a length, a wrong type."""


@pytest.mark.parametrize("vendor", list(MARKED_CALLS))
def test_a_refused_request_names_fields_and_rules_never_a_value(vendor: str) -> None:
    """The validator's English quotes the value it refuses (``'PRIVATE-9f3' is not one of
    ['M', 'F', '']``, ``studioId: '' should not be valid under {'const': ''}``): a user's
    data in logs and CI output. docs/clients.md: the message names the fields and the rules
    broken, never a value."""
    sync, _, _ = CLIENTS[vendor]
    account = {"token": "t", **APP} if vendor == "tsdigital" else DEMO[vendor]
    with (
        sync(f"http://{vendor}.invalid", **account, transport=_REFUSE) as client,
        pytest.raises(ContractViolation) as refused,
    ):
        MARKED_CALLS[vendor](client)
    text, violations = str(refused.value), refused.value.violations
    assert len(violations) >= 3 and len({v.keyword for v in violations}) >= 2
    assert MARKED not in text and "''" not in text
    assert all(MARKED not in v.message and v.pointer in text for v in violations)


_REFUSE = httpx.MockTransport(lambda request: pytest.fail("a refused request was sent"))


STANDALONE_CLIENT = """
import logging, sys, httpx
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
from clients import QuoPartsClient

def answer(request):
    token = [{"TOKEN": "Token-S3cret"}] if "login" in request.url.params else []
    return httpx.Response(200, json={"errorCode": "0", "error": "", "data": token})

transport = httpx.MockTransport(answer)
with QuoPartsClient("https://quoparts.example", "demo", "Pass-S3cret", transport=transport) as qp:
    qp.import_customers([])
print("mockservers imported:", "mockservers" in sys.modules)
"""


def test_a_client_without_the_kit_keeps_the_password_and_token_out_of_httpx_s_log() -> None:
    """QuoParts sends both in the query, and httpx logs each request's URL at INFO: only the
    kit's ``serve``, ``proxy`` and ``MockServer`` masked it, so a connector calling a real
    sandbox (or a fake in another process) logged them."""
    done = subprocess.run(
        [sys.executable, "-c", STANDALONE_CLIENT], capture_output=True, text=True, timeout=30
    )
    assert "mockservers imported: False" in done.stdout, done.stderr
    assert "password=***" in done.stdout and "token=***" in done.stdout, done.stdout
    assert "S3cret" not in done.stdout + done.stderr


def test_the_kit_s_logging_takes_the_clients_filter_without_httpx_and_every_client() -> None:
    """``serve`` imports the clients' log filter at start: importing the clients whole with it
    (httpx among them) cost every start about 50 ms and 6 MB."""
    probe = (
        "import sys, mockservers.logs\n"
        "print(sorted(m for m in ('httpx', 'clients.quoparts') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_the_clients_package_lists_each_name_alike_for_imports_types_and_star() -> None:
    """``clients/__init__.py`` names its exports three times: imported for type checkers,
    in ``__all__`` and in the table its lazy ``__getattr__`` reads. A name missing from one
    list would be unknown to type checkers, left out of ``import *``, or an AttributeError."""
    tree = ast.parse(Path(clients.__file__).read_text("utf-8"))
    typed = {
        alias.asname or alias.name: node.module
        for block in tree.body
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert typed == clients._MODULES
    assert sorted(clients.__all__) == sorted(set(clients.__all__)) == sorted(typed)
    for name, module in typed.items():
        assert getattr(clients, name) is getattr(importlib.import_module(module), name)


ERRORS = [
    QuoPartsError(200, "101", "Utente non Accreditato", detail="login: wrong password"),
    QuoPartsInvalidResponse(502, None, "the answer is not JSON (24 bytes, text/html)"),
    XtraError(200, "ER.AUTH", "Non autorizzato", status_code=403, detail="AccessToken expired"),
    XtraInvalidResponse(200, None, "irs/update answer has no records"),
    KeepItError(429, 429, "Too many", [RecordMessage("C1", "busy")], 60.0, detail="window"),
    KeepItInvalidResponse(429, None, "the answer is not JSON (17 bytes, text/html)"),
    TsDigitalError(400, "400", "Bad Request", [{"field": "x"}], "01-12-2026 10:00:00"),
    TsDigitalInvalidResponse(202, None, "a 202 without an id: an empty object"),
    ContractViolation(
        "keepit/insertClient_v3.request",
        [Violation(("subjectsRecords",), "[] should be non-empty", "minItems", 1, [])],
    ),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda error: type(error).__name__)
def test_an_error_survives_pickle_and_deepcopy(error: Exception) -> None:
    """A connector run in a process pool (or Celery, or xdist) sends its exceptions back
    pickled: unpickling called ``__init__`` with the error's text alone, a TypeError that
    broke the pool instead of giving the vendor's error."""
    for again in (pickle.loads(pickle.dumps(error)), copy.deepcopy(error)):
        assert type(again) is type(error) and str(again) == str(error)
        assert vars(again) == vars(error) and again.args == error.args


def _insert_nothing() -> Any:
    client = KeepItClient("http://127.0.0.1:9/keepit", **DEMO["keepit"])
    return client.insert_customers([])  # refused before sending: no records


def test_a_contract_violation_raised_in_a_process_pool_reaches_the_caller() -> None:
    """Unpickled with its text alone, the error every validating client raises before
    sending was a TypeError in the pool's thread: the caller got BrokenProcessPool, and so did
    every job after it."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1) as pool:
        with pytest.raises(ContractViolation) as refused:
            pool.submit(_insert_nothing).result(timeout=60)
        assert pool.submit(abs, -1).result(timeout=60) == 1
    assert refused.value.contract == "keepit/insertClient_v3.request"
    assert [v.pointer for v in refused.value.violations] == ["subjectsRecords"]


def _outcomes(vendor: str, url: str, account: dict[str, Any], **options: Any) -> list[Any]:
    """What the vendor's call gives with its sync client and with its async one, both built
    with ``options``: None where it succeeded, else the exception it raised."""
    sync_client, async_client, call = CLIENTS[vendor]

    def sync() -> None:
        with sync_client(url, **account, **options) as client:
            call(client)

    async def twin() -> None:
        async with async_client(url, **account, **options) as client:
            await call(client)

    outcomes: list[Any] = []
    for run in (sync, lambda: anyio.run(twin)):
        try:
            run()
        except Exception as exc:
            outcomes.append(exc)
        else:
            outcomes.append(None)
    return outcomes


def _all(outcomes: list[Any], kind: type[Exception], text: str = "") -> bool:
    return all(isinstance(outcome, kind) and text in str(outcome) for outcome in outcomes)


def test_every_client_takes_httpx_s_headers_and_timeout() -> None:
    """A vendor's WAF that wants a User-Agent, a sandbox slow to connect: a client took only
    ``transport`` and a float ``timeout`` (its hint refused httpx's per-phase Timeout)."""
    seen: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503, text="busy")

    options = {
        "headers": {"User-Agent": "my-connector/1.0"},
        "timeout": httpx.Timeout(20.0, connect=2.5),
        "transport": httpx.MockTransport(refuse),
    }
    for vendor, (sync_client, async_client, _) in CLIENTS.items():
        account = DEMO[vendor] | ({"token": "t", **APP} if vendor == "tsdigital" else {})
        outcomes = _outcomes(vendor, f"http://{vendor}.example", account, **options)
        assert _all(outcomes, VendorClientError), outcomes
        for kind in (sync_client, async_client):
            assert typing.get_type_hints(kind.__init__)["timeout"] == float | httpx.Timeout
    assert len(seen) == 2 * len(CLIENTS)
    assert {request.headers["user-agent"] for request in seen} == {"my-connector/1.0"}
    assert {request.extensions["timeout"]["connect"] for request in seen} == {2.5}


def test_every_client_verifies_a_self_signed_kit_with_its_ca_and_keeps_env_proxies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/deploy.md said to give ``serve --tls-self-signed``'s CA to the clients with
    ``verify=``, which they did not take; the only way in, a transport of one's own, dropped
    the environment's proxy without a word."""
    with serving("--tls-self-signed", str(tmp_path), scheme="https") as served:
        trusted = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        token = httpx.post(
            f"{served.url}/__admin/tsdigital/tokens", json={"kind": "user"}, verify=trusted
        ).json()["token"]
        for vendor in CLIENTS:
            account = DEMO[vendor] | ({"token": token, **APP} if vendor == "tsdigital" else {})
            url = f"{served.url}/{vendor}"
            assert _outcomes(vendor, url, account, verify=trusted) == [None, None]
            unknown = _outcomes(vendor, url, account)  # the system's CAs do not know the kit's
            assert _all(unknown, httpx.ConnectError, "CERTIFICATE_VERIFY_FAILED"), unknown
        closed = f"http://127.0.0.1:{free_port()}"  # a proxy that refuses every connection
        for name in ("https_proxy", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
            monkeypatch.delenv(name.upper(), raising=False)
        url, account = f"{served.url}/quoparts", DEMO["quoparts"]
        given = _outcomes("quoparts", url, account, verify=trusted, proxy=closed)
        assert _all(given, httpx.ConnectError), given
        monkeypatch.setenv("HTTPS_PROXY", closed)
        proxied = _outcomes("quoparts", url, account, verify=trusted)  # kept with verify=
        assert _all(proxied, httpx.ConnectError), proxied
        direct = _outcomes("quoparts", url, account, verify=trusted, trust_env=False)
        assert direct == [None, None]


@pytest.mark.parametrize(
    "kind",
    [kind for sync, twin, _ in CLIENTS.values() for kind in (sync, twin)],
    ids=lambda kind: kind.__name__,
)
def test_every_public_method_of_a_client_says_what_it_does(kind: type[Any]) -> None:
    """``help(QuoPartsClient)`` and an editor showed nothing for most operations (login,
    import_customers, update_identities, insert_customers) nor for close."""
    public = [name for name, _ in inspect.getmembers(kind, inspect.isfunction) if name[0] != "_"]
    assert public and [name for name in public if not getattr(kind, name).__doc__] == []


def _gzip_said_plain_sent(request: httpx.Request) -> httpx.Response:
    """An answer saying gzip with a plain body (as a stream: httpx decodes it as it reads)."""
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    return httpx.Response(200, headers=headers, stream=httpx.ByteStream(b'{"statusCode": 200}'))


@pytest.mark.parametrize("vendor", list(VENDOR_ERRORS))
def test_a_body_contradicting_its_content_encoding_is_the_vendors_invalid_response(
    vendor: str,
) -> None:
    """httpx's DecodingError came out of every client: neither the vendor's error nor an
    ``httpx.TransportError``, the two families docs/clients.md tells a connector to catch."""
    account = DEMO[vendor] | ({"token": "t", **APP} if vendor == "tsdigital" else {})
    transport = httpx.MockTransport(_gzip_said_plain_sent)
    outcomes = _outcomes(vendor, f"http://{vendor}.example", account, transport=transport)
    assert _all(outcomes, VENDOR_ERRORS[vendor], "Content-Encoding says (gzip)"), outcomes
    assert _all(outcomes, InvalidResponse)
    assert all(outcome.status == 200 for outcome in outcomes)


class _HeldAnswers:
    """A tiny QuoParts on a socket that reads each call and answers only once released: a
    vendor that never answers, for as long as a test likes."""

    LOGIN = b'{"errorCode": "0", "error": "", "data": [{"TOKEN": "T1"}]}'
    ANSWER = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        + f"Content-Length: {len(LOGIN)}\r\n\r\n".encode()
        + LOGIN
    )

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.released = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed: the test is over
                return
            with connection:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += connection.recv(4096) or b"\r\n\r\n"
                self.released.wait()
                with suppress(OSError):  # a caller that gave up has closed its end
                    connection.sendall(self.ANSWER)

    def __enter__(self) -> _HeldAnswers:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept (a close alone does not)
        self.listener.close()
        self.thread.join(timeout=30)


@pytest.mark.anyio
async def test_a_deadline_around_an_async_call_bounds_it_whole_and_the_client_goes_on() -> None:
    """docs/clients.md said ``timeout`` was "for each call": it bounds each wait of each
    request (httpx's meaning), and its recipe for a deadline on the whole call is this one."""
    with _HeldAnswers() as vendor:
        async with AsyncQuoPartsClient(vendor.url, "demo", "demo", timeout=30.0) as qp:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):  # not httpx's ReadTimeout, 30 s later
                    await qp.login()
            vendor.released.set()
            assert await qp.login() == "T1"  # the client stays usable


def test_a_deadline_around_a_sync_call_stops_the_wait_not_the_call() -> None:
    """The sync recipe of docs/clients.md: a call in a thread, waited for until a deadline; the
    call itself goes on (a vendor may still take it in charge)."""
    pool = ThreadPoolExecutor(1)
    with (
        _HeldAnswers() as vendor,
        QuoPartsClient(vendor.url, "demo", "demo", timeout=30.0) as qp,
    ):
        call = pool.submit(qp.login)
        with pytest.raises(TimeoutError):
            call.result(timeout=0.2)
        assert not call.done()
        vendor.released.set()
        assert call.result(timeout=30) == "T1"
    pool.shutdown()


@pytest.mark.parametrize("sync", [True, False], ids=["sync", "async"])
def test_a_client_gives_up_an_idle_connection_before_the_fakes_do(sync: bool) -> None:
    """httpx keeps one 5 s, as long as uvicorn: a call after a 5 s pause could go out on a
    connection the fake was closing, and fail with "Server disconnected"."""
    kind = clients.QuoPartsClient if sync else clients.AsyncQuoPartsClient
    client = kind("http://127.0.0.1:1/quoparts", "u", "p")
    pool = client._http._transport._pool  # httpx keeps it private
    assert pool._keepalive_expiry < 5  # uvicorn's timeout_keep_alive
