"""``mockservers proxy``: calls forwarded unchanged both ways, checked against the contracts and
journalled with the verdict, an upstream that does not answer turned into the vendor's 502, no
secret anywhere. The upstream is a second kit instance on a socket."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from clients import logs as client_logs
from contracts import contract
from mockservers import logs as kit_logs
from mockservers.core.secretnames import MASK
from mockservers.proxy import create_proxy_app
from mockservers.proxy.forward import HOP_BY_HOP
from mockservers.testing import MockServer, SyncASGITransport
from tests.conftest import ACCOUNTS
from tests.proxying import (
    CUSTOMER,
    QP,
    QP_PASSWORD,
    QP_USER,
    ROWS_ANSWER,
    SECRETS,
    XTRA_LOGIN,
    XTRA_PASSWORD,
    XTRA_USER,
    Capture,
    WireUpstream,
    dump,
    every_flow,
    gzip_in_http_1_0,
    proxied,
)
from tests.servers import embedded, free_port, serving

FROZEN = {"kit": {"clock": {"start": "2031-01-01T00:00:00Z", "frozen": True}}}
SANDBOXED = ("content-security-policy", "sandbox")
"""What the proxy adds to every forwarded answer."""
KIT_DATE = ["Wed, 01 Jan 2031 00:00:00 GMT"]
"""The ``Date`` of the kit's clock under ``FROZEN``."""


@pytest.fixture
def upstream() -> Iterator[MockServer]:
    with MockServer(ACCOUNTS) as server:
        yield server


def _pairs(headers: httpx.Headers, *drop: str) -> list[tuple[str, str]]:
    gone = HOP_BY_HOP | set(drop)
    return [(k.lower(), v) for k, v in headers.multi_items() if k.lower() not in gone]


def test_every_operation_of_every_vendor_passes_through_byte_for_byte(
    upstream: MockServer,
) -> None:
    """What the connector sent is what the vendor got, and what the vendor answered is what
    the connector got: method, path, query, headers (less hop-by-hop ones, Host rewritten) and
    body; status, headers and body bytes, the proxy's sandbox policy after them."""
    sent: list[tuple[httpx.Request, httpx.Response]] = []
    capture = Capture()
    with proxied(upstream, transport=capture) as (_, http):
        http.event_hooks["response"] = [lambda r: sent.append((r.request, r)) or r.read()]
        every_flow(http, upstream)
    assert len(sent) == len(capture.exchanges) == 24
    operations = set()
    for (request, response), wire in zip(sent, capture.exchanges, strict=True):
        assert wire.request.method == request.method
        assert wire.request.url.raw_path == request.url.raw_path  # the same layout upstream
        assert wire.request.url.host == "127.0.0.1" and wire.request.url.port is not None
        assert sorted(_pairs(wire.request.headers, "host")) == sorted(
            _pairs(request.headers, "host")
        )
        assert wire.body == request.content
        assert response.status_code == wire.response.status_code
        assert response.content == wire.raw
        assert _pairs(response.headers) == [*_pairs(wire.response.headers), SANDBOXED]
        operations.add((request.url.path, request.url.params.get("cmd", "")))
    entries = upstream.requests()
    assert {(e["vendor"], e["operation"]) for e in entries} == {
        ("quoparts", "login"),
        ("quoparts", "importCli"),
        ("quoparts", "importPvt"),
        ("quoparts", "unknown"),
        ("xtra", "login"),
        ("xtra", "updateIdentities"),
        ("tsdigital", "createItem"),
        ("keepit", "insertClient_v3"),
        ("keepit", "unknown"),
    }


def test_each_call_is_journalled_with_its_verdict_and_who_answered(upstream: MockServer) -> None:
    with proxied(upstream, vendors=("quoparts",)) as (_, http):
        http.get(QP, params={"login": "", "username": QP_USER, "password": QP_PASSWORD})
        http.post(QP, params={"importPvt": "", "token": "x"}, json={"data": {"testata": {}}})
        http.post(
            "/keepit/api?cmd=insertClient_v3&appId=KEEPIT&applicationId=KEEPIT",
            headers={"username": "demo", "password": "demo", "companyId": "1", "siteId": "1"},
            json={"subjectsRecords": []},
        )
        journal = http.get("/__admin/requests").json()
        assert http.get("/quoparts/openapi.json").json()["openapi"] == "3.1.0"  # the kit's
    assert contract("admin/listRequests.response").check(journal) == []
    keepit, pvt, login = journal
    assert (keepit["source"], keepit["verdict"], keepit["shadow"]) == ("fake", None, None)
    assert (login["source"], login["operation"]) == ("upstream", "login")
    assert login["verdict"] == {"request": [], "response": []}
    assert login["query"]["password"] == MASK and login["response"]["data"][0]["TOKEN"] == MASK
    assert pvt["verdict"]["response"] == []  # "101" is on the contract
    assert any("'articoli' is a required property" in v for v in pvt["verdict"]["request"])


def test_a_fault_for_a_forwarded_vendor_is_refused_not_listed_in_vain(
    upstream: MockServer,
) -> None:
    """Its calls go to the real vendor: the page said a fault was added, and no call met it."""
    with proxied(upstream, vendors=("quoparts",)) as (_, http):
        assert http.get("/__admin/health").json()["forwarded"] == ["quoparts"]  # told, to ask
        fault = {"kind": "status", "status": 503}
        refused = http.post("/__admin/faults", json={"vendor": "quoparts", **fault})
        assert refused.status_code == 400 and "real vendor" in refused.json()["error"]
        assert http.post("/__admin/faults", json={"vendor": "keepit", **fault}).status_code == 201


def test_a_malformed_answer_planted_upstream_is_flagged(upstream: MockServer) -> None:
    upstream.fault(vendor="xtra", operation="login", kind="malformed")
    with proxied(upstream, vendors=("xtra",)) as (_, http):
        answer = http.post(XTRA_LOGIN, json={"Username": XTRA_USER, "Password": XTRA_PASSWORD})
        (entry,) = http.get("/__admin/requests").json()
    assert answer.text == upstream.requests()[0]["response"]  # cut short, passed on as it is
    (problem,) = entry["verdict"]["response"]
    assert problem.startswith("xtra/login.response: not JSON")


def test_off_contract_answers_are_flagged_and_no_message_quotes_a_secret(
    upstream: MockServer,
) -> None:
    """A code the contract forbids (a sandbox answering a code that is not digits), and a
    customer planted in the upstream's state with codes off their patterns: the violation
    quotes the whole answer, its generated password included, which must not show."""
    odd = _vendor_like(b'{"errorCode": "E101", "error": "Token scaduto", "data": []}')
    with odd, proxied(odd, vendors=("quoparts",)) as (_, http):
        http.post(QP, params={"importCli": "", "token": "expired"}, json={"data": []})
        (entry,) = http.get("/__admin/requests").json()
    assert entry["verdict"]["request"] == []
    assert entry["verdict"]["response"] == [
        "quoparts/importCli.response: errorCode: 'E101' does not match '^[0-9]+$'"
    ]
    with proxied(upstream, vendors=("quoparts",)) as (_, http):
        login = http.get(QP, params={"login": "", "username": QP_USER, "password": QP_PASSWORD})
        token = login.json()["data"][0]["TOKEN"]
        customer = {"DES_NOM": "Rossi", "COD_PTA_IVA": "1", "COD_CLI_ERP": "CLI9"}
        http.post(QP, params={"importCli": "", "token": token}, json={"data": [customer]})
        state = upstream.state("quoparts")
        state["tenants"][QP_USER]["customers"]["CLI9"] |= {"COD_CLI": "X1", "COD_PWD": "pw-Secret"}
        upstream.admin("PUT", "/state/quoparts", json=state)
        again = http.post(QP, params={"importCli": "", "token": token}, json={"data": [customer]})
        assert again.json()["data"][0]["COD_PWD"] == "pw-Secret"
        entry = http.get("/__admin/requests", params={"limit": 1}).json()[0]
    assert "pw-Secret" not in dump(entry)
    assert entry["verdict"]["response"] == [
        "quoparts/importCli.response: data[0].COD_CLI: 'X1' does not match '^[0-9]{6,}$'",
        "quoparts/importCli.response: data[0].COD_PWD: '***' does not match '^[A-Z0-9]{6}$'",
    ]


def test_a_secret_a_long_message_quotes_where_it_is_cut_is_blotted_whole() -> None:
    """A long message was cut in its middle before the secrets were blotted out of it: a
    password the cut split kept all but one of its characters in the journal."""
    from contracts.messages import VERDICT_MESSAGE_CHARS

    # The answer, an array where an object goes, is quoted whole: "['" and then its padding.
    start = VERDICT_MESSAGE_CHARS // 2 - len("['") - 3  # the cut falls inside the password
    body = f'["{"x" * start}{{password}}", "{"y" * 2 * VERDICT_MESSAGE_CHARS}"]'.encode()
    with _vendor_like(body) as odd, proxied(odd, vendors=("quoparts",)) as (_, http):
        http.get(QP, params={"login": "", "username": QP_USER, "password": QP_PASSWORD})
        (entry,) = http.get("/__admin/requests").json()
    (message,) = entry["verdict"]["response"]
    assert "characters cut" in message and QP_PASSWORD[3:] not in message
    assert message.split(" …(")[0].endswith("x***")  # not even its start


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("failure", ["refused", "timeout"])
def test_an_upstream_that_does_not_answer_gets_each_vendors_502(failure: str) -> None:
    """Connection refused (nothing listens) or a read timeout (it listens, never answers):
    the vendor's own error body with 502, journalled as the proxy's answer."""
    from mockservers.proxy import create_proxy_app
    from mockservers.testing import SyncASGITransport

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1] if failure == "timeout" else _closed_port()
        base = f"http://127.0.0.1:{port}"
        vendors = ("quoparts", "xtra", "tsdigital", "keepit")
        # Connecting to a listening socket is at once, but not within 0.1 s on a busy machine.
        timeout = httpx.Timeout(0.1, connect=10)
        app = create_proxy_app({v: f"{base}/{v}" for v in vendors}, FROZEN, timeout=timeout)
        with httpx.Client(transport=SyncASGITransport(app), base_url="http://proxy") as http:
            answers = {
                "quoparts": http.get(
                    QP, params={"login": "", "username": "demo", "password": "pw"}
                ),
                "xtra": http.post(XTRA_LOGIN, json={"Username": "demo", "Password": "pw"}),
                "tsdigital": http.post("/tsdigital/api/v3/items", json={}),
                "keepit": http.post("/keepit/api?cmd=insertClient_v3", json={}),
            }
            journal = {e["vendor"]: e for e in http.get("/__admin/requests").json()}
    reason = {
        "refused": "ConnectError: All connection attempts failed",
        "timeout": "ReadTimeout: no byte within 0.1 s (the read timeout)",
    }[failure]
    for vendor, answer in answers.items():
        assert answer.status_code == 502, vendor
        assert contract(f"{vendor}/error.response").check(answer.json()) == [], vendor
        assert answer.headers.get_list("date") == KIT_DATE, vendor  # the proxy's own answer
        entry = journal[vendor]
        assert (entry["status"], entry["source"], entry["shadow"]) == (502, "proxy", None)
        assert reason in entry["detail"] and reason in answer.headers["x-mockservers-detail"]
        assert entry["verdict"]["response"] == []
    assert "pw" not in journal["quoparts"]["detail"]
    # the request was read whole, and judged, even when nothing could take it
    assert journal["xtra"]["request"] == {"Username": "demo", "Password": MASK}
    assert journal["xtra"]["verdict"] == {"request": [], "response": []}


def test_an_answer_that_never_ends_is_cut_at_the_call_s_deadline(tmp_path: Path) -> None:
    """An upstream that sends part of its answer and then nothing, or a byte now and then:
    the timeouts bound each wait alone (100 bytes at one a second took 1m39s), the call's
    deadline bounds it all. The connector gets the vendor's 502 with the reason."""
    config = {"kit": {"proxy": {"deadline_seconds": 0.2}}, **ACCOUNTS}
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n"
    with (
        WireUpstream(head + b'{"errorCode": ', hold=True) as upstream,
        proxied(upstream, ("quoparts",), config=config, record=tmp_path) as (_, http),
    ):
        answer = http.get(QP, params={"login": "", "username": QP_USER, "password": QP_PASSWORD})
        (entry,) = http.get("/__admin/requests").json()
    assert answer.status_code == 502
    assert contract("quoparts/error.response").check(answer.json()) == []
    detail = answer.headers["x-mockservers-detail"]
    assert "no whole answer within 0.2 s ([kit.proxy] deadline_seconds)" in detail
    assert (entry["source"], entry["status"], entry["detail"]) == ("proxy", 502, detail)
    (recording,) = tmp_path.glob("*.har")
    (recorded,) = json.loads(recording.read_text("utf-8"))["log"]["entries"]
    assert recorded["response"]["status"] == 0 and detail in recorded["comment"]


def test_a_body_over_the_limit_is_refused_with_413_and_never_sent(upstream: MockServer) -> None:
    config = {"kit": {"max_body_bytes": 1000, **FROZEN["kit"]}, **ACCOUNTS}
    with proxied(upstream, vendors=("keepit",), config=config) as (_, http):
        answer = http.post("/keepit/api?cmd=insertClient_v3", content=b"{" + b" " * 2000 + b"}")
        (entry,) = http.get("/__admin/requests").json()
        # One entry read alone says the same (it judged the kept preview of the body).
        alone = http.get(f"/__admin/requests/{entry['id']}").json()
        small = http.post("/keepit/api?cmd=insertClient_v3", content=b"{" + b" " * 900 + b"}")
    assert answer.status_code == 413 and answer.json()["code"] == 413
    assert answer.headers.get_list("date") == KIT_DATE  # the proxy's own answer
    assert (entry["source"], entry["status"], entry["verdict"]) == ("proxy", 413, None)
    assert (alone["verdict"], alone["body_unread"]) == (None, True)  # an operation, unread
    assert small.status_code == 401  # within the limit: the vendor's own answer
    assert [e["status"] for e in upstream.requests()] == [401]


NO_DATE = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
"""An upstream's answer without a ``Date`` (a server with no clock may send none)."""
DATED = NO_DATE.replace(b"\r\n\r\n", b"\r\ndate: Mon, 01 Jan 2001 00:00:00 GMT\r\n\r\n")


def test_a_forwarded_answer_keeps_the_vendor_s_date_and_gets_the_kit_s_without_one() -> None:
    """A proxy forwarding an answer without a Date adds one (RFC 9110 6.6.1): it went on
    without any. The vendor's own Date passes unchanged."""
    for sent, expected in ((NO_DATE, KIT_DATE), (DATED, ["Mon, 01 Jan 2001 00:00:00 GMT"])):
        with WireUpstream(sent) as upstream, proxied(upstream, config=FROZEN) as (_, http):
            answer = http.post("/keepit/api?cmd=insertClient_v3", json={})
            assert (answer.status_code, answer.headers.get_list("date")) == (200, expected)


def test_a_proxy_embedded_under_uvicorn_s_defaults_answers_with_one_date() -> None:
    """uvicorn adds its own Date there: the vendor's would be a second one."""
    with WireUpstream(DATED) as upstream:
        config = {"kit": {"max_body_bytes": 1000, **FROZEN["kit"]}}
        app = create_proxy_app({"keepit": upstream.base_url("keepit")}, config)
        with embedded(app) as url:
            forwarded = httpx.post(url + "/keepit/api?cmd=insertClient_v3", json={})
            refused = httpx.post(url + "/keepit/api?cmd=insertClient_v3", content=b"x" * 2000)
            kit = httpx.get(url + "/xtra/openapi.json")
    assert (forwarded.status_code, refused.status_code, kit.status_code) == (200, 413, 200)
    for answer in (forwarded, refused, kit):
        (date,) = answer.headers.get_list("date")
        assert "2001" not in date and "2031" not in date  # uvicorn's, the wall's time


def test_an_answer_over_the_limit_is_a_502(upstream: MockServer) -> None:
    """The upstream's answer is read within the kit's limit: beyond, the connector gets the
    vendor's 502, never a cut answer."""
    config = {"kit": {"max_body_bytes": 1200}, **ACCOUNTS}
    rows = [{"DES_NOM": "R", "COD_PTA_IVA": "1", "COD_CLI_ERP": f"C{i}"} for i in range(15)]
    with proxied(upstream, vendors=("quoparts",), config=config) as (_, http):
        login = http.get(QP, params={"login": "", "username": QP_USER, "password": QP_PASSWORD})
        token = login.json()["data"][0]["TOKEN"]
        answer = http.post(QP, params={"importCli": "", "token": token}, json={"data": rows})
        entry = http.get("/__admin/requests").json()[0]
    assert answer.status_code == 502 and answer.json()["errorCode"] == "502"
    assert entry["source"] == "proxy" and "larger than 1200 bytes" in entry["detail"]


UPSTREAM_PASSWORD = "Up-S3cret-pw"
"""The password of a sandbox behind Basic authentication, given in ``--upstream``'s URL."""


def test_no_secret_reaches_the_journal_or_a_log(
    upstream: MockServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Nor the ``--upstream`` URL's own user:password, which httpx's request line showed in
    clear (``GET http://user:...@host/...``) while it masked the query."""
    caplog.set_level(logging.DEBUG)
    # TS Digital's connector sends its own Authorization (a bearer): no Basic in front of it.
    behind_basic = {"quoparts", "xtra", "keepit"}
    upstreams = {
        vendor: upstream.base_url(vendor).replace(
            "http://", f"http://acme:{UPSTREAM_PASSWORD}@" if vendor in behind_basic else "http://"
        )
        for vendor in ("quoparts", "xtra", "tsdigital", "keepit")
    }
    app = create_proxy_app(upstreams, ACCOUNTS, shadow=True)
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://proxy") as http:
        issued = every_flow(http, upstream)
        journal = http.get("/__admin/requests").json()
        summary = http.get("/__admin/shadow").json()
    found = dump(journal) + dump(summary) + caplog.text
    for secret in (*SECRETS, *issued.tokens, UPSTREAM_PASSWORD):
        assert secret not in found
    assert "HTTP Request: POST" in caplog.text  # httpx did log its request lines, masked


@pytest.mark.parametrize("kind", [client_logs.MaskRequestLines, kit_logs.MaskRequestLines])
def test_httpx_s_request_line_shows_a_url_s_user_and_password_as_stars(
    kind: type[logging.Filter],
) -> None:
    """As a store's URL is shown (``***@host``): the proxy's and a replay's calls go to a URL
    that may carry them, and only the query was masked."""
    url = httpx.URL("http://acme:Up-S3cret-pw@127.0.0.1:8080/a@b/x?login=&password=Quo-pw")
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, 'HTTP Request: %s %s "%s %d %s"',
        ("GET", url, "HTTP/1.1", 200, "OK"), None,
    )  # fmt: skip
    kind().filter(record)
    assert record.getMessage() == (
        'HTTP Request: GET http://***@127.0.0.1:8080/a@b/x?login=&password=*** "HTTP/1.1 200 OK"'
    )


def test_the_proxy_command_forwards_and_refuses_bad_options(upstream: MockServer) -> None:
    url = upstream.base_url("quoparts")
    with serving("--upstream", f"quoparts={url}", "--shadow", command="proxy") as proxy:
        banner = "\n".join(proxy.banner)
        assert f"{proxy.url}/quoparts -> {url}, compared with the built-in fake" in banner
        assert f"{proxy.url}/keepit (the kit's fake)" in banner
        login = httpx.get(
            proxy.url + QP, params={"login": "", "username": QP_USER, "password": QP_PASSWORD}
        )
        assert login.json()["errorCode"] == "0"
        dates = [value for name, value in login.headers.raw if name.lower() == b"date"]
        assert len(dates) == 1  # the upstream's Date, not a second one of the proxy's
        kit_fake = httpx.post(proxy.url + "/tsdigital/api/v3/items", json={})
        assert kit_fake.status_code == 401 and len(kit_fake.headers.get_list("date")) == 1
        assert httpx.get(f"{proxy.url}/__admin/shadow").json()["quoparts"]["login"]["compared"]
    from mockservers.cli import main

    assert main(["proxy", "--upstream", "quoparts"]) == 2
    assert main(["proxy", "--upstream", "nobody=http://x"]) == 2
    bad_urls = ("http://h:notaport/x", "http://[::1", "http://", "ftp://host")
    for bad in (*bad_urls, "http://h/quoparts?apikey=K1", "http://h/quoparts#x"):  # never sent
        assert main(["proxy", "--upstream", f"quoparts={bad}"]) == 2
    assert main(["proxy", "--upstream", f"quoparts={url}", "--upstream", "quoparts=http://x"]) == 2


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("quoparts=http://acme:Up-S3cret-pw@h:notaport/x", "'quoparts=http://***@h:notaport/x'"),
        ("quoparts=ftp://acme:Up-S3cret-pw@host", "'quoparts=ftp://***@host'"),
        ("acme:Up-S3cret-pw@host", "'***@host'"),
        ("quoparts=http://acme:Up-S3cret-pw@h/q?x=1", "'quoparts=http://***@h/q?x=1'"),
        ("quoparts=http://acme:Up-S3cret-pw@h/q#x", "'quoparts=http://***@h/q#x'"),
    ],
)
def test_an_upstream_refused_at_start_is_quoted_without_its_password(
    given: str, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refused ``--upstream`` was quoted whole on stderr, a sandbox's Basic password with it
    (in a CI log)."""
    from mockservers.cli import main

    assert main(["proxy", "--upstream", given]) == 2
    said = capsys.readouterr().err
    assert f"--upstream {shown}: " in said and "Up-S3cret-pw" not in said


def test_a_recording_folder_the_proxy_cannot_make_is_refused_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file where the folder goes: the error alone was printed (``mockservers: [Errno 17]
    File exists: '/etc/hostname'``), not saying that it was ``--record``'s folder."""
    from mockservers.cli import main

    taken = tmp_path / "notes.txt"
    taken.write_text("")
    for folder, why in ((taken, "File exists"), (taken / "har", "Not a directory")):
        port = str(free_port())
        args = ["proxy", "--port", port, "--upstream", "quoparts=http://127.0.0.1:9"]
        assert main([*args, "--record", str(folder)]) == 2
        said = capsys.readouterr()
        assert said.err.startswith(
            f"mockservers: --record {folder}: cannot make the recording folder: [Errno "
        )
        assert why in said.err and said.out == ""  # refused before the banner


def test_a_percent_encoded_prefix_reaches_the_vendor_s_own_path(upstream: MockServer) -> None:
    """``/quop%61rts/...`` is routed as ``/quoparts/...``: the rest of the path goes upstream as
    sent, after the prefix however it was encoded (it was cut by the decoded prefix's length)."""
    with proxied(upstream, vendors=("quoparts",)) as (_, http):
        login = http.get(
            "/quop%61rts/ws_quoparts.php",
            params={"login": "", "username": QP_USER, "password": QP_PASSWORD},
        )
        (entry,) = http.get("/__admin/requests").json()
    assert login.status_code == 200 and login.json()["errorCode"] == "0"
    assert entry["operation"] == "login" and entry["verdict"] == {"request": [], "response": []}


def test_a_secret_of_the_wrong_type_is_masked_in_the_verdict(upstream: MockServer) -> None:
    """A password sent as a list or an object is still a password: the contract's message
    quotes it, and the journal must not."""
    with proxied(upstream, vendors=("xtra",)) as (_, http):
        for password in (["Leaky-pw-2468"], {"v": "Leaky-pw-1357"}):
            http.post(XTRA_LOGIN, json={"Username": XTRA_USER, "Password": password})
        journal = http.get("/__admin/requests").json()
    assert all(entry["verdict"]["request"] for entry in journal)  # the wrong type is reported
    assert "Leaky-pw" not in dump(journal)


def test_cookies_are_masked_in_the_journal(upstream: MockServer) -> None:
    with proxied(upstream, vendors=("quoparts",)) as (_, http):
        http.get(
            QP,
            params={"login": "", "username": QP_USER, "password": QP_PASSWORD},
            headers={"Cookie": "PHPSESSID=sess-Secret-1", "Proxy-Authorization": "Basic cHc6cHc="},
        )
        (entry,) = http.get("/__admin/requests").json()
    assert entry["headers"]["cookie"] == MASK
    assert entry["headers"]["proxy-authorization"] == MASK


def test_the_answer_to_a_head_is_not_judged_by_its_missing_body(upstream: MockServer) -> None:
    with proxied(upstream, vendors=("quoparts",)) as (_, http):
        http.head(QP, params={"login": "", "username": QP_USER, "password": QP_PASSWORD})
        (entry,) = http.get("/__admin/requests").json()
    assert entry["method"] == "HEAD" and entry["verdict"]["response"] == []


def _vendor_like(body: bytes, **headers: str) -> MockServer:
    """An upstream answering every call with ``body`` and ``headers`` (a real vendor's oddity)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def answer(request: Request) -> Response:
        sent = request.query_params.get("password", "")
        echoed = {k: v.replace("{password}", sent) for k, v in headers.items()}
        return Response(body.replace(b"{password}", sent.encode()), headers=echoed)

    routes = [Route("/quoparts/{path:path}", answer, methods=["GET", "POST"])]
    return MockServer(app=Starlette(routes=routes))


def test_a_status_the_document_never_gives_and_an_unknown_call_are_flagged(
    upstream: MockServer,
) -> None:
    """A QuoParts answer is HTTP 200: a 503 is off the document, whatever its body, and so is a
    413, which only the kit's own fakes answer (a body over its limit): the vendor's passed,
    and the 503's verdict read "(200, 413)". A call that names no operation has no contract,
    which is no "meets its contracts"."""
    for status in (503, 413):
        upstream.fault(vendor="quoparts", operation="login", kind="status", status=status, times=1)
    with proxied(upstream, vendors=("quoparts",)) as (_, http):
        http.get(QP, params={"login": "", "username": QP_USER, "password": QP_PASSWORD})
        http.get(QP, params={"login": "", "username": QP_USER, "password": QP_PASSWORD})
        http.get(QP, params={"deleteAll": ""})
        http.get(QP, params={"login": "", "username": QP_USER})
        no_password, unknown, too_large, refused = http.get("/__admin/requests").json()
    assert no_password["verdict"]["request"] == [
        "quoparts/login.query: (query): 'password' is a required property"
    ]
    for answered, status in ((refused, 503), (too_large, 413)):
        assert answered["status"] == status
        assert answered["verdict"]["response"] == [
            f"quoparts/login: status {status} is no answer its document gives (200)"
        ]
    assert unknown["verdict"]["request"] == [
        "quoparts: no operation of its document at this path and query"
    ]


def test_the_vendor_is_asked_only_for_codings_the_proxy_can_read() -> None:
    """A connector that accepts brotli (a browser, curl --compressed): the vendor is asked for
    gzip or deflate only, or a br answer would pass unchecked, its JSON unseen."""
    capture = Capture()
    with MockServer() as upstream, proxied(upstream, transport=capture) as (_, http):
        login = {"login": "", "username": "demo", "password": "demo"}
        for accepted, asked in (("br, gzip;q=0.8, zstd", "gzip;q=0.8"), ("br", "identity")):
            http.get(QP, params=login, headers={"Accept-Encoding": accepted})
            assert capture.exchanges[-1].request.headers["accept-encoding"] == asked
        (entry, _) = http.get("/__admin/requests").json()
    assert entry["verdict"] == {"request": [], "response": []}


def test_a_compressed_answer_is_held_to_the_limit_and_a_broken_one_passed_on() -> None:
    """194 KB of gzip unpacking to 200 MB went through (a gigabyte of memory, a 233 MB
    recording); a body that is not the gzip it says was turned into a 502."""
    import gzip

    bomb = gzip.compress(b" " * (17 * 1024 * 1024))
    login = {"login": "", "username": "demo", "password": "demo"}
    gzipped = {"content-encoding": "gzip"}
    with _vendor_like(bomb, **gzipped) as upstream, proxied(upstream, ("quoparts",)) as (_, http):
        refused = http.get(QP, params=login)
    assert refused.status_code == 502
    assert "decompresses past" in refused.headers["X-Mockservers-Detail"]
    broken = b"not gzip at all"
    with (
        _vendor_like(broken, **gzipped) as upstream,
        proxied(upstream, ("quoparts",)) as (_, http),
        http.stream("GET", QP, params=login) as passed,
    ):
        assert passed.status_code == 200
        assert b"".join(passed.iter_raw()) == broken  # as the vendor sent it


def test_a_secret_the_vendor_echoes_is_blotted_out_of_the_journal() -> None:
    echoing = b'{"errorCode": "101", "error": "Password errata: {password}", "data": []}'
    json_type = {"content-type": "application/json"}
    with _vendor_like(echoing, **json_type) as upstream, proxied(upstream, ("quoparts",)) as pair:
        http = pair[1]
        params = {"login": "", "username": "demo", "password": "Quo-S3cret-pw"}
        assert "Quo-S3cret-pw" in http.get(QP, params=params).text  # passed on unchanged
        journal = http.get("/__admin/requests").text
    assert "Quo-S3cret-pw" not in journal and "Password errata: ***" in journal


@pytest.mark.parametrize("sent_as", ["form", "multipart"])
def test_a_password_sent_in_a_form_or_a_part_is_blotted_out_where_the_vendor_echoes_it(
    tmp_path: Path, sent_as: str
) -> None:
    """Only JSON bodies' secrets were learned: a form's ``password=...`` or a multipart part
    named ``password`` was masked where it was sent, and clear where the vendor echoed it."""
    echoing = b'{"errorCode": "101", "error": "Password errata: hunter22xyz", "data": []}'
    json_type = {"content-type": "application/json"}
    fields = {"username": "acme", "password": "hunter22xyz"}
    sent = (
        {"data": fields}
        if sent_as == "form"
        else {"files": {k: (None, v) for k, v in fields.items()}}
    )
    with (
        _vendor_like(echoing, **json_type) as upstream,
        proxied(upstream, ("quoparts",), record=tmp_path) as (_, http),
    ):
        http.post(QP, params={"login": ""}, **sent)
        (entry,) = http.get("/__admin/requests").json()
    (recording,) = tmp_path.glob("*.har")
    assert entry["response"]["error"] == "Password errata: ***"
    for kept in (dump(entry), recording.read_text("utf-8")):
        assert "hunter22xyz" not in kept and "Password errata: ***" in kept


def test_a_day_of_logins_leaves_the_recording_and_the_shadow_the_latest_tokens(
    upstream: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every token of the day was kept: by the recording, which searched every later entry for
    each of them (a call took 42 ms after 8,000 logins), and by the shadow. Each keeps the
    latest (four here) and the recording the password too, however many logins come; the token
    in use still reaches the shadow as its own, and no secret reaches the recording."""
    from functools import partial

    from mockservers.core import blotting, generated, har
    from mockservers.proxy import shadow

    monkeypatch.setattr(har, "Memory", partial(blotting.Memory, kept=4))
    monkeypatch.setattr(shadow, "Translation", partial(generated.Translation, kept=4))
    login = {"login": "", "username": QP_USER, "password": QP_PASSWORD}
    with proxied(upstream, ("quoparts",), shadow=True, record=tmp_path) as (app, http):
        tokens = [http.get(QP, params=login).json()["data"][0]["TOKEN"] for _ in range(12)]
        http.post(QP, params={"importCli": "", "token": tokens[-1]}, json={"data": [CUSTOMER]})
        (latest,) = http.get("/__admin/requests", params={"limit": 1}).json()
    assert (latest["operation"], latest["shadow"]) == ("importCli", [])
    assert app.shadow is not None
    assert len(app.shadow.translations["quoparts"].values["query.token"]) == 4
    (recorder,) = app.forwarding["quoparts"].recordings._recorders.values()  # type: ignore[union-attr]
    assert len(recorder.memory) == 4 + 1
    (recording,) = tmp_path.glob("*.har")
    text = recording.read_text("utf-8")
    assert not [secret for secret in (QP_PASSWORD, *tokens) if secret in text]


def test_a_secret_in_a_redirect_s_url_is_masked_in_the_journal_and_the_recording(
    tmp_path: Path,
) -> None:
    """A sandbox that redirects to a URL with the password it was sent, or with a token."""
    headers = {
        "location": "/quoparts/ws_quoparts.php?login=&username=demo&password={password}",
        "content-location": "/elsewhere?token=RedirTok999888&x=1",
    }
    with (
        _vendor_like(b"", **headers) as upstream,
        proxied(upstream, ("quoparts",), record=tmp_path) as (_, http),
    ):
        params = {"login": "", "username": "demo", "password": "Quo-S3cret-pw"}
        assert "Quo-S3cret-pw" in http.get(QP, params=params).headers["location"]
        journal = http.get("/__admin/requests").text
    (recording,) = tmp_path.glob("*.har")
    for kept in (journal, recording.read_text("utf-8")):
        assert "Quo-S3cret-pw" not in kept and "RedirTok999888" not in kept
        assert "token=***&x=1" in kept


def test_a_recording_gives_sizes_and_versions_as_they_went_over_the_wire(tmp_path: Path) -> None:
    """HAR's ``bodySize`` is the body as transferred (gzip here), ``content.size`` decoded and
    ``content.compression`` the difference (the decoded size stood for both); each side's
    ``httpVersion`` is its own (an HTTP/1.0 server's answer gave the request its version)."""
    answer = json.dumps({"errorCode": "0", "error": "", "data": [CUSTOMER] * 20}).encode()
    sent, packed = gzip_in_http_1_0(answer)
    with (
        WireUpstream(sent) as upstream,
        proxied(upstream, ("quoparts",), record=tmp_path) as (_, http),
    ):
        got = http.post(QP, params={"importCli": "", "token": "t"}, json={"data": [CUSTOMER]})
    assert got.json()["data"][0] == CUSTOMER  # the connector's answer, decoded by its client
    (received,) = upstream.received
    (recording,) = tmp_path.glob("*.har")
    document = json.loads(recording.read_text("utf-8"))
    assert contract("har/har").check(document) == []
    (entry,) = document["log"]["entries"]
    request, response = entry["request"], entry["response"]
    assert request["httpVersion"].encode() == received.request_line[2] == b"HTTP/1.1"
    assert request["bodySize"] == len(received.body) > 0
    assert response["httpVersion"] == "HTTP/1.0"
    assert response["bodySize"] == len(packed)
    assert response["content"]["size"] == len(answer) > len(packed)
    assert response["content"]["compression"] == len(answer) - len(packed)
    assert json.loads(response["content"]["text"]) == json.loads(answer)


def test_a_recording_is_on_the_wall_clock_and_names_its_journal_entry_and_kit_time(
    tmp_path: Path,
) -> None:
    """The journal's ``time`` is the kit's clock's (here frozen before midnight, for the
    shadow's fakes), the recording's ``startedDateTime`` the wall's, as the vendor's ``Date``
    and logs are: nothing lined up a recorded exchange with its journal entry. ``_journal``
    does (the frozen clock gives every entry the same time: its id too)."""
    config = {**ACCOUNTS, "kit": {"clock": {"start": "2025-03-14T23:59:58Z", "frozen": True}}}
    calls = [{"login": "", "username": "acme", "password": "pw-123456"}, {"login": ""}]
    before = datetime.now(UTC)
    with (
        WireUpstream(ROWS_ANSWER) as upstream,
        proxied(upstream, ("quoparts",), config, record=tmp_path) as (_, http),
    ):
        for params in calls:
            http.get(QP, params=params)
        journal = http.get("/__admin/requests").json()[::-1]  # oldest first
    after = datetime.now(UTC)
    (recording,) = tmp_path.glob("*.har")
    document = json.loads(recording.read_text("utf-8"))
    assert contract("har/har").check(document) == []
    recorded = document["log"]["entries"]
    assert [e["_journal"] for e in recorded] == [
        {"id": entry["id"], "time": "2025-03-14T23:59:58Z"} for entry in journal
    ]
    assert [e["time"] for e in journal] == ["2025-03-14T23:59:58Z"] * 2
    for entry in recorded:
        started = datetime.fromisoformat(entry["startedDateTime"])
        assert before - timedelta(seconds=1) <= started <= after
    assert recording.name == f"quoparts-{before:%Y-%m-%d}.har" or before.date() != after.date()


def test_a_path_with_dot_segments_reaches_the_vendor_as_the_connector_sent_it(
    upstream: MockServer, tmp_path: Path
) -> None:
    """httpx drops ``.`` and ``..`` segments from a URL's path: the vendor got
    ``/quoparts/ws_quoparts.php`` where the connector sent ``/quoparts/x/../ws_quoparts.php``
    (and the login's answer where it would have answered 404)."""
    from mockservers.proxy import create_proxy_app

    query = f"login=&username={QP_USER}&password={QP_PASSWORD}"
    target = f"/quoparts/x/../ws_quoparts.php?{query}".encode()
    app = create_proxy_app(
        {"quoparts": upstream.base_url("quoparts")}, ACCOUNTS, transport=Capture(), record=tmp_path
    )
    with MockServer(app=app) as proxy, httpx.Client(trust_env=False) as http:
        direct = http.get(upstream.url, extensions={"target": target})
        forwarded = http.get(proxy.url, extensions={"target": target})
    assert (forwarded.status_code, forwarded.content) == (direct.status_code, direct.content)
    assert [e["path"] for e in upstream.requests()] == ["/quoparts/x/../ws_quoparts.php"] * 2
    (recording,) = tmp_path.glob("*.har")
    (entry,) = json.loads(recording.read_text("utf-8"))["log"]["entries"]
    assert entry["request"]["url"] == upstream.url + target.decode().replace(QP_PASSWORD, MASK)


@pytest.mark.parametrize(
    "base", ["https://vendor.example", "https://vendor.example/api/v1/", "http://h/quoparts"]
)
def test_what_follows_a_vendors_prefix_is_what_follows_the_upstreams_base_path(
    monkeypatch: pytest.MonkeyPatch, base: str
) -> None:
    """The kit's ``/quoparts/x/../a.php`` goes to ``<base path>/x/../a.php``: the shadow fake
    is asked for ``/quoparts`` and what the vendor got after its base path."""
    from mockservers.proxy.forward import Upstream

    for name in (
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    target = Upstream("quoparts", base).target(b"/x/../a.php", b"login=")
    assert target.raw == httpx.URL(base).raw_path.rstrip(b"/") + b"/x/../a.php?login="
    assert target.path == b"/x/../a.php"
    assert target.extensions == {"target": target.raw}


def test_the_bare_prefix_reaches_an_upstream_given_without_a_path(tmp_path: Path) -> None:
    """``--upstream quoparts=http://host`` (the docs' own example has no path): ``/quoparts``
    went as an empty request target, a 502 the proxy caused itself, and ``/quoparts?a=1`` as
    ``GET ?a=1``. The vendor's ``/`` stands for its prefix, in the recording too, and a replay
    sends the same (it goes through the same target)."""
    from mockservers.proxy import create_proxy_app
    from mockservers.proxy.forward import Upstream
    from mockservers.testing import SyncASGITransport

    ok = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
    with WireUpstream(ok) as upstream:
        app = create_proxy_app({"quoparts": upstream.url}, record=tmp_path)
        with httpx.Client(transport=SyncASGITransport(app), base_url="http://proxy") as http:
            statuses = [http.get(t).status_code for t in ("/quoparts", "/quoparts?a=1")]
    assert statuses == [200, 200]
    assert [r.request_line[1] for r in upstream.received] == [b"/", b"/?a=1"]
    (recording,) = tmp_path.glob("*.har")
    entries = json.loads(recording.read_text("utf-8"))["log"]["entries"]
    assert [e["request"]["url"] for e in entries] == [f"{upstream.url}/", f"{upstream.url}/?a=1"]
    for base in ("http://h", "http://h/"):
        assert Upstream("replayed", base).target(b"", b"a=1").raw == b"/?a=1"


def test_through_a_proxy_the_environment_names_a_call_goes_as_that_proxy_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A forward proxy (``HTTP_PROXY``) reads the request line's absolute URL: handed the path
    alone (httpcore gives the ``target`` extension to the proxy's request too), it could not
    tell the host; there, dot segments go as httpx's URL has them."""
    from mockservers.proxy import create_proxy_app

    ok = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
    with WireUpstream(ok) as forward_proxy:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)
        app = create_proxy_app({"quoparts": "http://vendor.invalid/quoparts"})
        target = b"/quoparts/x/../ws_quoparts.php?login="
        with MockServer(app=app) as proxy, httpx.Client(trust_env=False) as http:
            answer = http.get(proxy.url, extensions={"target": target})
    assert answer.status_code == 200
    (received,) = forward_proxy.received
    assert received.request_line == [
        b"GET",
        b"http://vendor.invalid/quoparts/ws_quoparts.php?login=",
        b"HTTP/1.1",
    ]
