"""Every vendor's main write against hostile input: the vendor's own documented answer, never
a 5xx, never a hang; and no secret in the journal. Data-driven: one entry per vendor."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import contract
from fuzz.schema import api_operations, response_contract
from mockservers import create_app
from mockservers.core.pipeline import detail_header
from mockservers.testing import MockServer, SyncASGITransport


@dataclass
class Target:
    vendor: str
    operation: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    params: Callable[[httpx.Client], dict[str, str]] = lambda _: {}
    secrets: tuple[str, ...] = ()
    login: Callable[[httpx.Client], dict[str, str]] = lambda _: {}
    """Headers obtained per call (a freshly minted bearer token)."""

    def all_headers(self, http: httpx.Client, **extra: str) -> dict[str, str]:
        return self.headers | self.login(http) | extra


def _quoparts_token(http: httpx.Client) -> dict[str, str]:
    login = {"login": "", "username": "demo", "password": "demo"}
    token = http.get("/quoparts/ws_quoparts.php", params=login).json()["data"][0]["TOKEN"]
    return {"importCli": "", "token": token}


def _tsdigital_token(http: httpx.Client) -> dict[str, str]:
    minted = http.post("/__admin/tsdigital/tokens", json={"kind": "user"}).json()
    return {"Authorization": f"Bearer {minted['token']}"}


TARGETS = [
    Target("quoparts", "importCli", "/quoparts/ws_quoparts.php", params=_quoparts_token),
    Target(
        "xtra",
        "updateIdentities",
        "/xtra/api/sync/v1/irs/update",
        headers={"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"},
        secrets=("demo-secret",),
    ),
    Target(
        "keepit",
        "insertClient_v3",
        "/keepit/api",
        headers={"username": "demo", "password": "Pw-keepit-1", "companyId": "1", "siteId": "1"},
        params=lambda _: {"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"},
        secrets=("Pw-keepit-1",),
    ),
    Target(
        "tsdigital",
        "createItem",
        "/tsdigital/api/v3/items",
        headers={
            "X-App-Name": "hostile",
            "X-App-Version": "1.0",
            "Content-Type": "application/json",
        },
        login=_tsdigital_token,
    ),
]
CONFIG = {
    "kit": {"max_body_bytes": 64 * 1024},
    "keepit": {
        "rate_limit_calls": 10_000,
        "accounts": [
            {"username": "demo", "password": "Pw-keepit-1", "company_id": "1", "site_id": "1"}
        ],
        "demo_account": False,
    },
}
HUGE = "x" * 40_000
BODIES = {
    "broken-json": b'{"data": [',
    "invalid-utf8": b'{"a": "\xff\xfe"}',
    "deep": b"[" * 200 + b"]" * 200,
    "empty": b"",
    "null": b"null",
    "number": b"12",
    "string": b'"text"',
    "object-of-nulls": b'{"data": null, "subjectsRecords": null}',
    "array-of-nulls": b"[null, null]",
    "array-of-arrays": b"[[], [1]]",
    "huge-string-object": orjson.dumps({"data": [{"DES_NOM": HUGE}], "subjectsRecords": [HUGE]}),
    "huge-string-array": orjson.dumps([{"Denomination": HUGE, "ExternalKey": HUGE}]),
    "unknown-fields": orjson.dumps({"zzz": {"yyy": [1, 2, {"x": None}]}}),
    "over-the-limit": orjson.dumps({"data": ["y" * 70_000]}),
}


def _expected_schema(vendor: str, operation: str, status: int) -> str:
    """The contract the vendor's document names for that operation and status (its error body
    for a status the document does not list)."""
    declared = api_operations(vendor)[operation].definition.raw["responses"]
    checked = response_contract(vendor, operation, status) if str(status) in declared else None
    return checked.name if checked is not None else f"{vendor}/error.response"


@pytest.fixture(scope="module")
def http() -> httpx.Client:
    with httpx.Client(
        transport=SyncASGITransport(create_app(CONFIG)), base_url="http://t", timeout=30
    ) as client:
        yield client


@pytest.mark.parametrize("body", list(BODIES), ids=list(BODIES))
@pytest.mark.parametrize("target", TARGETS, ids=[t.vendor for t in TARGETS])
def test_hostile_bodies_get_the_vendors_own_answer(
    http: httpx.Client, target: Target, body: str
) -> None:
    response = http.post(
        target.path,
        params=target.params(http),
        headers=target.all_headers(http),
        content=BODIES[body],
    )
    assert response.status_code < 500, response.text[:300]
    if body == "over-the-limit":
        assert response.status_code == 413
    answer = response.json()
    name = _expected_schema(target.vendor, target.operation, response.status_code)
    assert contract(name).check(answer) == [], (name, answer)


@pytest.mark.parametrize("target", TARGETS, ids=[t.vendor for t in TARGETS])
def test_a_wrong_content_type_is_never_a_server_error(http: httpx.Client, target: Target) -> None:
    response = http.post(
        target.path,
        params=target.params(http),
        headers=target.all_headers(http, **{"Content-Type": "text/plain; charset=latin-1"}),
        content=b"[]",
    )
    assert response.status_code < 500
    name = _expected_schema(target.vendor, target.operation, response.status_code)
    assert contract(name).check(response.json()) == []


@pytest.mark.parametrize("target", TARGETS, ids=[t.vendor for t in TARGETS])
def test_duplicated_query_parameters_get_the_vendors_own_answer(
    http: httpx.Client, target: Target
) -> None:
    params: list[tuple[str, Any]] = []
    for key, value in target.params(http).items():
        params += [(key, value), (key, value)]
    response = http.post(target.path, params=params, headers=target.all_headers(http), json={})
    assert response.status_code < 500, response.text[:300]
    name = _expected_schema(target.vendor, target.operation, response.status_code)
    assert contract(name).check(response.json()) == [], (name, response.text[:300])


@pytest.mark.parametrize("target", TARGETS, ids=[t.vendor for t in TARGETS])
def test_bad_percent_encoding_in_the_url_gets_the_vendors_own_answer(
    http: httpx.Client, target: Target
) -> None:
    """``%zz`` is read as it is and bytes that are not UTF-8 once decoded as U+FFFD, in the
    query and in the path: the vendor's documented answer (a path it does not have: its 404)."""
    query = "&".join(f"{k}={v}" for k, v in target.params(http).items())
    headers = target.all_headers(http)
    answer = http.post(f"{target.path}?{query}&x=%zz&y=%ff%fe", headers=headers, json={})
    assert answer.status_code < 500
    name = _expected_schema(target.vendor, target.operation, answer.status_code)
    assert contract(name).check(answer.json()) == []
    unrouted = http.post(f"{target.path}%ff?{query}", headers=headers, json={})
    assert unrouted.status_code == 404
    assert contract(f"{target.vendor}/error.response").check(unrouted.json()) == []


@pytest.mark.parametrize("target", TARGETS, ids=[t.vendor for t in TARGETS])
def test_secrets_sent_by_callers_never_reach_the_journal(
    http: httpx.Client, target: Target
) -> None:
    http.delete("/__admin/requests")
    headers = target.all_headers(http)
    http.post(target.path, params=target.params(http), headers=headers, json={})
    journal = http.get("/__admin/requests", params={"vendor": target.vendor}).text
    assert journal != "[]"
    bearer = headers.get("Authorization", "").removeprefix("Bearer ")
    for secret in (*target.secrets, *([bearer] if bearer else [])):
        assert secret not in journal


@pytest.mark.parametrize("target", TARGETS, ids=[t.vendor for t in TARGETS])
def test_a_method_or_path_the_vendor_does_not_serve_gets_its_error_body(
    http: httpx.Client, target: Target
) -> None:
    wrong_method = http.request("PUT", target.path, headers=target.all_headers(http))
    assert wrong_method.status_code == 405
    # sorted: the same in every process (a set's order changed between --workers)
    allowed = "GET, HEAD, POST" if target.vendor == "quoparts" else "POST"
    assert wrong_method.headers["allow"] == allowed
    unknown_path = http.post(f"/{target.vendor}/no/such/path", json={})
    assert unknown_path.status_code == 404
    # Not Starlette's bare 307; XTRA's routes take one trailing slash, as ASP.NET Core's do
    slash_too_many = http.post(f"{target.path}{'//' if target.vendor == 'xtra' else '/'}", json={})
    assert slash_too_many.status_code == 404
    error_contract = contract(f"{target.vendor}/error.response")
    for answer in (wrong_method, unknown_path, slash_too_many):
        assert error_contract.check(answer.json()) == [], answer.json()


def test_paths_outside_the_vendors_are_plain_json_404(http: httpx.Client) -> None:
    response = http.get("/nope/ws.php")
    assert response.status_code == 404 and response.json() == {"error": "Not Found"}


def test_an_asterisk_request_target_is_a_plain_404(mockserver: MockServer) -> None:
    """``OPTIONS *`` (a server-wide probe) names no path: no vendor's, no traceback (a 500)."""
    address = urlsplit(mockserver.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(b"OPTIONS * HTTP/1.1\r\nHost: kit\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404") and orjson.loads(body) == {"error": "Not Found"}


@pytest.mark.parametrize(
    ("extra", "malformed"),
    [
        ({"NOTE": "flat"}, False),
        ({"NOTE": [1, {"k": None}]}, False),  # body, data, row, NOTE, {k}: exactly 5 levels
        ({"NOTE": [1, {"k": []}]}, True),  # one level more
        ({"NOTE": {"a": {"b": "c"}}}, False),
        ({"NOTE": {"a": {"b": {}}}}, True),
    ],
)
def test_json_nesting_is_counted_exactly_against_max_json_depth(
    extra: dict[str, Any], malformed: bool
) -> None:
    row = {"DES_NOM": "Rossi", "COD_PTA_IVA": "12345678901", "COD_CLI_ERP": "DEEP1", **extra}
    app = create_app({"kit": {"max_json_depth": 5}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        params = _quoparts_token(http)
        answer = http.post("/quoparts/ws_quoparts.php", params=params, json={"data": [row]})
    body = answer.json()
    if malformed:
        assert body == {"errorCode": "100", "error": "Richiesta errata", "data": []}
        assert "deeper than 5 levels" in answer.headers["X-Mockservers-Detail"]
    else:
        assert body["errorCode"] == "0" and body["data"][0]["COD_CLI"] == "000001", body


@pytest.mark.parametrize("depth", [250, 300, 1000])
def test_a_body_nested_past_every_limit_keeps_the_journal_readable(depth: int) -> None:
    """The fake refuses it; the journal keeps it, shown as text (as JSON, answers around it
    would pass orjson's 255 levels and the masking walk Python's recursion limit)."""
    body = b'{"password": "s3cret", "x": ' + b"[" * depth + b"]" * depth + b"}"
    app = create_app()
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        refused = http.post("/xtra/api/sync/v1/login", content=body)
        assert refused.status_code == 400
        (entry,) = http.get("/__admin/requests").json()
        assert isinstance(entry["request"], str) and "s3cret" not in entry["request"]
        assert http.get(f"/__admin/requests/{entry['id']}").status_code == 200
        missed = http.post(
            "/__admin/requests/verify", json={"matcher": {"vendor": "xtra", "body": {"x": 1}}}
        )
        assert missed.status_code == 200 and not missed.json()["ok"]
        assert missed.json()["near_misses"][0]["entry"]["request"] == entry["request"]


def test_a_long_diagnosis_is_cut_to_a_legal_header_value(http: httpx.Client) -> None:
    """The diagnosis is cut at its limit wherever that falls; a value ending in a space is not a
    legal header value (h11 refuses to send it and uvicorn drops the connection)."""
    params = _quoparts_token(http)
    cut_values = set()
    for digits in range(1, 40):  # moves the cut along the text, over spaces too
        rows = [{"DES_NOM": "x", "COD_PTA_IVA": 10**digits}] + [{"COD_PTA_IVA": 1}] * 30
        answer = http.post("/quoparts/ws_quoparts.php", params=params, json={"data": rows})
        value = answer.headers["X-Mockservers-Detail"]
        assert value == value.strip() and value.isascii() and value.isprintable(), value[-40:]
        cut_values.add(len(value))
    assert len(cut_values) > 1, "some diagnoses were cut on a space"


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(
    text=st.text(st.sampled_from(["a", " ", '"', "\\", "\n", "\x00", "è", "\U0001f600", "\ud800"])),
    length=st.integers(1_990, 2_010),
)
def test_the_detail_header_escapes_only_what_it_shows(text: str, length: int) -> None:
    """As the whole text escaped, then cut after the last whole escape that fits: it was cut
    inside one (``\\u00``), which no JSON reader takes back."""
    details = (text * (length // max(len(text), 1) + 1))[:length]
    shown = json.dumps(details)[1:-1][:2000]
    while not _json_string(shown):
        shown = shown[:-1]
    assert detail_header(details) == shown.strip()


def _json_string(escaped: str) -> bool:
    try:
        json.loads(f'"{escaped}"')
    except json.JSONDecodeError:
        return False
    return True


def _asgi_post(
    app: Any, path: str, query: str, chunks: list[bytes], length: int
) -> tuple[int, Any]:
    """One POST straight to the ASGI app, its body in several messages (as a server passes a
    large or slow body on): the status and the parsed answer."""
    messages = [
        {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
        for n, chunk in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(length).encode()),
        ],
        "client": ("127.0.0.1", 1),
    }

    async def call() -> None:
        await app(scope, receive, send)

    anyio.run(call)
    return sent[0]["status"], orjson.loads(sent[1]["body"])


def test_a_body_in_several_messages_is_read_whole_and_refused_over_the_limit() -> None:
    app = create_app({"kit": {"max_body_bytes": 4096}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        query = "&".join(f"{k}={v}" for k, v in _quoparts_token(http).items())
    body = orjson.dumps({"data": [{"COD_CLI_ERP": "PIECES", "DES_NOM": "Rossi S.r.l."}]})
    pieces = [body[:10], body[10:20], body[20:]]
    status, answer = _asgi_post(app, "/quoparts/ws_quoparts.php", query, pieces, len(body))
    assert (status, answer["errorCode"]) == (200, "0"), answer
    # Declared over the limit: refused before the rest is read, in the vendor's envelope.
    status, answer = _asgi_post(app, "/quoparts/ws_quoparts.php", query, [b"{", b"}"], 10**6)
    assert (status, answer["errorCode"]) == (413, "100")
    # Declared within it, but the pieces add up to more.
    status, answer = _asgi_post(app, "/quoparts/ws_quoparts.php", query, [b" " * 3000] * 2, 10)
    assert (status, answer["errorCode"]) == (413, "100")


def test_a_client_that_leaves_mid_body_is_journalled_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The body's first piece, then the client is gone: nothing can be answered, but the call
    shows in the journal, and no exception reaches the server (it logged a traceback)."""
    app = create_app()
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        query = b"cmd=insertClient_v3&appId=KEEPIT&applicationId=KEEPIT"
        anyio.run(_leave_mid_body, app, "/keepit/api", query)
        anyio.run(_leave_mid_body, app, "/__admin/faults", b"")  # the admin API: no traceback
        (entry,) = http.get("/__admin/requests").json()
    assert entry["operation"] == "insertClient_v3" and entry["status"] == 400
    assert "closed the connection before the whole body" in entry["detail"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def _leave_mid_body(app: Any, path: str, query: bytes) -> None:
    messages = [{"type": "http.request", "body": b'{"subjectsRecords": [', "more_body": True}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        pass

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"100")],
        "client": ("127.0.0.1", 1),
    }
    await app(scope, receive, send)


@pytest.mark.parametrize(
    ("path", "headers", "body", "detail"),
    [
        (
            "/keepit/api?cmd=insertClient_v3&appId=KEEPIT&applicationId=KEEPIT",
            {"username": "demo", "password": "nope-Secret", "companyId": "1", "siteId": "1"},
            {"subjectsRecords": []},
            "wrong password for 'demo' in company '1', site '1'",
        ),
        (
            "/keepit/api?cmd=insertClient_v3&appId=KEEPIT&applicationId=KEEPIT",
            {"username": "demo", "companyId": "1"},
            {"subjectsRecords": []},
            "missing or empty headers: password, siteId",
        ),
        (
            "/xtra/api/sync/v1/irs/update",
            {"SyncPublicKey": "demo-public", "SyncSecretKey": "nope-Secret"},
            [],
            "the SyncSecretKey is not the one of SyncPublicKey 'demo-public'",
        ),
        (
            "/xtra/api/sync/v1/irs/update",
            {"AccessToken": "nope-Secret"},
            [],
            "the token is unknown",
        ),
        ("/tsdigital/api/v3/items", {}, {}, "no Authorization header"),
        (
            "/tsdigital/api/v3/items",
            {"Authorization": "Bearer nope-Secret"},
            {},
            "the bearer token is unknown",
        ),
    ],
)
def test_a_refused_credential_says_why_and_never_what_it_was(
    http: httpx.Client, path: str, headers: dict[str, str], body: Any, detail: str
) -> None:
    """Every vendor's refusal of credentials carries the kit's diagnosis, as QuoParts's did:
    the client's ``.detail`` and the journal had nothing for KeepIT, XTRA and TS Digital."""
    answer = http.post(path, headers=headers, json=body)
    assert answer.status_code in (401, 403)
    assert answer.headers["x-mockservers-detail"] == detail
    (entry,) = http.get("/__admin/requests", params={"limit": 1}).json()
    assert entry["detail"] == detail and "nope-Secret" not in answer.headers["x-mockservers-detail"]


def test_header_credentials_are_read_as_a_server_reads_them() -> None:
    """Whitespace around a header value is not part of it (HTTP), and text beyond ASCII
    arrives as UTF-8: a configured "päss" is matched, a trailing tab is no wrong password."""
    accounts = [{"username": "shöp", "password": "päss", "company_id": "7", "site_id": "1"}]
    app = create_app({"keepit": {"accounts": accounts}, "kit": {"admin_token": "tök"}})
    query = {"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"}
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        for username, password in (("shöp", "päss\t"), ("demo", "demo "), ("demo", " demo")):
            headers = {"username": username.encode(), "password": password.encode()}
            answer = http.post(
                "/keepit/api",
                params=query,
                headers=headers | {"companyId": "7" if username != "demo" else "1", "siteId": "1"},
                json={"subjectsRecords": [{}]},
            )
            assert answer.status_code == 400 and answer.json()["code"] == 400, password
        xtra = {"SyncPublicKey": "demo-public ", "SyncSecretKey": "demo-secret\t"}
        assert http.post("/xtra/api/sync/v1/irs/update", headers=xtra, json=[]).status_code == 200
        assert http.get("/__admin/health", headers={"X-Admin-Token": "tök".encode()}).is_success


def test_a_call_accepted_at_the_deepest_configurable_nesting_can_be_verified() -> None:
    """``max_json_depth`` up to 200: what a fake accepts, its journal shows as JSON (a matcher
    on its body then works; shown as text past 128 levels, it never matched)."""
    deep: dict[str, Any] = {"x": 1}
    for _ in range(190):
        deep = {"n": deep}
    row = {"DES_NOM": "Rossi", "COD_PTA_IVA": "1", "COD_CLI_ERP": "DEEP", "NOTE": deep}
    app = create_app({"kit": {"max_json_depth": 200}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        answer = http.post(
            "/quoparts/ws_quoparts.php", params=_quoparts_token(http), json={"data": [row]}
        )
        assert answer.json()["data"][0]["errorCode"] == "0"
        matcher = {"operation": "importCli", "body": {"data": [{"COD_CLI_ERP": "DEEP"}]}}
        assert http.post("/__admin/requests/verify", json={"matcher": matcher}).json()["ok"]
