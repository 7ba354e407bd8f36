"""``mockservers proxy --record DIR`` and ``mockservers replay FILE.har``: one HAR 1.2 file per
vendor and day, holding no secret; sent again to a fresh fake it finds no difference (the
masked secrets refilled, the fake's own IDs translated), to a changed one it reports them."""

from __future__ import annotations

import copy
import json
import socket
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from contracts import contract
from mockservers.cli import main
from mockservers.cli.parser import build_parser
from mockservers.cliargs import CREDENTIAL_FLAGS, credentials
from mockservers.core.secretnames import MASK
from mockservers.proxy import create_proxy_app
from mockservers.proxy.replay import FROM_OPTIONS, OVERRIDES
from mockservers.testing import MockServer, SyncASGITransport
from tests.conftest import ACCOUNTS
from tests.proxying import (
    CUSTOMER,
    KEEPIT_HEADERS,
    QP,
    QP_PASSWORD,
    QP_USER,
    SECRETS,
    VENDORS,
    XTRA_KEYS,
    XTRA_LOGIN,
    XTRA_PASSWORD,
    XTRA_UPDATE,
    Issued,
    WireUpstream,
    every_flow,
    proxied,
)

HAR = contract("har/har")
CREDENTIALS = {
    "quoparts": ["--username", QP_USER, "--password", QP_PASSWORD],
    "xtra": ["--secret-key", XTRA_KEYS["SyncSecretKey"], "--password", XTRA_PASSWORD],
    "keepit": ["--password", KEEPIT_HEADERS["password"]],
    "tsdigital": [],
}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Path], Issued]:
    """Every vendor's flow through a recording proxy (no wrong secret: a recording masks
    secrets, so a replay sends the right ones)."""
    folder = tmp_path_factory.mktemp("har")
    with MockServer(ACCOUNTS) as upstream, proxied(upstream, record=folder) as (_, http):
        issued = every_flow(http, upstream, refusals=False)
    return {path.name.split("-")[0]: path for path in folder.glob("*.har")}, issued


def test_a_recording_is_one_har_file_per_vendor_and_day_without_a_secret(
    recorded: tuple[dict[str, Path], Issued],
) -> None:
    files, issued = recorded
    assert set(files) == set(VENDORS)
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    for vendor, path in files.items():
        assert path.name == f"{vendor}-{today}.har"
        text = path.read_text("utf-8")
        document = json.loads(text)
        assert HAR.check(document) == []
        assert {e["_vendor"] for e in document["log"]["entries"]} == {vendor}
        for secret in (*SECRETS, *issued.tokens):
            assert secret not in text, (vendor, secret)
    entries = json.loads(files["quoparts"].read_text("utf-8"))["log"]["entries"]
    assert [e["_operation"] for e in entries][:3] == ["login", "importCli", "importCli"]
    assert entries[0]["request"]["url"].endswith(f"username={QP_USER}&password=***")


def test_the_day_s_file_is_continued_by_a_proxy_started_again(tmp_path: Path) -> None:
    login = {"login": "", "username": "demo", "password": "demo"}
    with MockServer() as upstream:
        for _ in range(2):
            with proxied(upstream, ("quoparts",), record=tmp_path) as (_, http):
                http.get(QP, params=login)
    (path,) = tmp_path.glob("*.har")
    assert len(json.loads(path.read_text("utf-8"))["log"]["entries"]) == 2


def test_a_torn_file_of_the_day_is_moved_aside_each_time_never_over_another(
    tmp_path: Path,
) -> None:
    """A proxy killed mid-write leaves a file that is no HAR: the next start keeps it aside,
    and a second such file the same day does not replace the first."""
    login = {"login": "", "username": "demo", "password": "demo"}
    with MockServer() as upstream:
        for torn in (b'{"log": {"entries": [', b'{"log": '):
            with proxied(upstream, ("quoparts",), record=tmp_path) as (_, http):
                http.get(QP, params=login)
            (path,) = tmp_path.glob("*.har")
            path.write_bytes(torn)
        with proxied(upstream, ("quoparts",), record=tmp_path) as (_, http):
            http.get(QP, params=login)
    aside = sorted(p.read_bytes() for p in tmp_path.glob("*.har.unreadable*"))
    assert aside == [b'{"log": ', b'{"log": {"entries": [']


def test_a_recording_that_cannot_be_written_never_costs_the_connector_its_answer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The folder gone (a file in its place, a full disk): the vendor's answer still reaches
    the connector (it was a bare 500, the login already served upstream), the failure is
    logged, and the exchange is written with the file's next write (only those not written:
    a written entry is the file's, not kept in memory as well)."""
    login = {"login": "", "username": "demo", "password": "demo"}
    folder = tmp_path / "recordings"
    with MockServer() as upstream, proxied(upstream, ("quoparts",), record=folder) as (_, http):
        first = http.get(QP, params=login)
        (path,) = folder.glob("*.har")
        path.unlink()
        folder.rmdir()
        folder.write_text("not a folder")
        second = http.get(QP, params=login)
        assert second.status_code == 200 and second.json()["errorCode"] == "0"
        assert "cannot write the recording" in caplog.text
        folder.unlink()
        http.get(QP, params=login)
    assert first.status_code == 200
    assert len(json.loads(path.read_text("utf-8"))["log"]["entries"]) == 2  # after the removal


@pytest.mark.parametrize("vendor", VENDORS)
def test_replaying_against_a_fresh_fake_finds_no_difference_and_restores_the_state(
    vendor: str, recorded: tuple[dict[str, Path], Issued], capsys: pytest.CaptureFixture[str]
) -> None:
    files, _ = recorded
    with MockServer(ACCOUNTS) as fresh:
        if vendor == "quoparts":  # the fresh fake's codes differ from the recorded ones
            token = httpx.get(
                fresh.url + QP, params={"login": "", "username": QP_USER, "password": QP_PASSWORD}
            ).json()["data"][0]["TOKEN"]
            other = CUSTOMER | {"COD_CLI_ERP": "OTHER"}
            httpx.post(
                fresh.url + QP, params={"importCli": "", "token": token}, json={"data": [other]}
            )
        args = ["replay", str(files[vendor]), "--base-url", fresh.base_url(vendor)]
        assert main([*args, *CREDENTIALS[vendor]]) == 0, capsys.readouterr().out
        state = fresh.state(vendor)["tenants"]
    assert "every answer the same" in capsys.readouterr().out
    if vendor == "quoparts":
        (quote,) = state[QP_USER]["quotes"].values()
        assert quote["COD_CLI_ERP"] == "CLI001" and quote["COD_CLI"] == "000002"
    if vendor == "keepit":
        (customer,) = state["7/3"]["subjects"].values()
        assert customer["subjects"]["city"] == "Asti"


def test_replay_reads_its_credentials_from_the_environment(
    recorded: tuple[dict[str, Path], Issued],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given only as options, a sandbox password was in ``ps`` and ``/proc/PID/cmdline`` for
    any user of the machine, as fuzz's was."""
    files, _ = recorded
    flags = dict(zip(CREDENTIALS["xtra"][::2], CREDENTIALS["xtra"][1::2], strict=True))
    for flag, value in flags.items():
        monkeypatch.setenv("MOCKSERVERS_REPLAY_" + flag[2:].replace("-", "_").upper(), value)
    with MockServer(ACCOUNTS) as fresh:
        args = ["replay", str(files["xtra"]), "--base-url", fresh.base_url("xtra")]
        assert main(args) == 0, capsys.readouterr().out
        assert "every answer the same" in capsys.readouterr().out
        monkeypatch.setenv("MOCKSERVERS_REPLAY_PASSWORD", "")  # empty: unset
        assert main(args) != 0


def test_replaying_against_a_changed_fake_reports_the_differences(
    recorded: tuple[dict[str, Path], Issued], capsys: pytest.CaptureFixture[str]
) -> None:
    files, _ = recorded
    changed = {"keepit": ACCOUNTS["keepit"] | {"success_message": "1 record inseriti/aggiornati"}}
    with MockServer(changed) as other:
        args = ["replay", str(files["keepit"]), "--base-url", other.base_url("keepit")]
        assert main([*args, *CREDENTIALS["keepit"]]) == 1
    out = capsys.readouterr().out
    difference = (
        '    body.message: "Inserimento/Update riuscito con successo." (recorded) vs '
        '"1 record inseriti/aggiornati" (replayed)'
    )
    assert out.count(difference) == 2  # the insert and the update; the 204 and 404 are alike
    assert out.count(": 1 differences") == 2
    assert out.rstrip().endswith("2 answered otherwise")


def test_replay_usage_problems_exit_2(
    tmp_path: Path, recorded: tuple[dict[str, Path], Issued]
) -> None:
    files, _ = recorded
    assert main(["replay", str(tmp_path / "none.har"), "--base-url", "http://x"]) == 2
    for broken in ("{}", '{"log": {"entries": [{}]}}', '{"log": {"entries": "abc"}}'):
        (tmp_path / "not.har").write_text(broken)  # no HAR, or entries without their parts
        assert main(["replay", str(tmp_path / "not.har"), "--base-url", "http://x"]) == 2
    mixed = json.loads(files["quoparts"].read_text("utf-8"))
    mixed["log"]["entries"] += json.loads(files["keepit"].read_text("utf-8"))["log"]["entries"]
    (tmp_path / "mixed.har").write_text(json.dumps(mixed))
    assert main(["replay", str(tmp_path / "mixed.har"), "--base-url", "http://x"]) == 2
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/quoparts"
    assert main(["replay", str(files["quoparts"]), "--base-url", closed]) == 2
    for wrong in ("ftp://x/quoparts", "notaurl"):  # each exchange was a difference, exit 1
        assert main(["replay", str(files["quoparts"]), "--base-url", wrong]) == 2


def test_every_credential_option_reaches_the_replay_by_the_name_it_reads() -> None:
    """replay takes the credential options fuzz takes, and hands each one's value on (its own
    list of their names was kept apart from the options: one added there would parse, and the
    replay would never send it)."""
    given = [part for flag, _ in CREDENTIAL_FLAGS for part in (flag, f"value of {flag}")]
    args = build_parser().parse_args(["replay", "x.har", "--base-url", "http://x", *given])
    passed = credentials(args)
    assert {flag for flag, _ in CREDENTIAL_FLAGS} == {"--" + n.replace("_", "-") for n in passed}
    assert all(value == f"value of --{name.replace('_', '-')}" for name, value in passed.items())
    assert {*FROM_OPTIONS.values(), *OVERRIDES.values(), "token"} <= passed.keys()


def test_a_proxy_on_a_port_in_use_says_so_before_it_makes_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = str(holder.getsockname()[1])
        record = tmp_path / "recordings"
        args = ["proxy", "--port", port, "--upstream", "quoparts=http://x", "--record"]
        assert main([*args, str(record)]) == 2
    printed = capsys.readouterr()
    assert "cannot listen on" in printed.err and "mockservers proxy on" not in printed.out
    assert not record.exists()


def test_a_header_value_beyond_ascii_is_replayed_as_the_bytes_first_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A recording keeps header bytes read as Latin-1 (byte for byte); a replay sends those
    bytes again, where it crashed on anything but ASCII (the journal shows them as UTF-8)."""
    with MockServer(ACCOUNTS) as upstream:
        with proxied(upstream, vendors=("quoparts",), record=tmp_path) as (_, http):
            http.get(
                QP,
                params={"login": "", "username": QP_USER, "password": QP_PASSWORD},
                headers={"X-Client": "Città".encode()},
            )
        (recording,) = tmp_path.glob("*.har")
        with MockServer(ACCOUNTS) as fresh:
            args = ["replay", str(recording), "--base-url", fresh.base_url("quoparts")]
            assert main([*args, *CREDENTIALS["quoparts"]]) == 0, capsys.readouterr().out
            (entry,) = fresh.requests()
    assert entry["headers"]["x-client"] == "Città"


def test_a_path_with_dot_segments_is_replayed_as_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The proxy sends and records ``/quoparts/x/../ws_quoparts.php`` as the connector wrote it;
    a replay sent ``/quoparts/ws_quoparts.php`` (a login, where the vendor had answered 404),
    so a fake that answers exactly as the vendor did answered otherwise."""
    query = f"login=&username={QP_USER}&password={QP_PASSWORD}"
    target = f"/quoparts/x/../ws_quoparts.php?{query}".encode()
    with MockServer(ACCOUNTS) as upstream:
        with proxied(upstream, vendors=("quoparts",), record=tmp_path) as (_, http):
            http.get("/", extensions={"target": target})
        (recording,) = tmp_path.glob("*.har")
        with MockServer(ACCOUNTS) as fresh:
            args = ["replay", str(recording), "--base-url", fresh.base_url("quoparts")]
            assert main([*args, *CREDENTIALS["quoparts"]]) == 0, capsys.readouterr().out
            (entry,) = fresh.requests()
    assert entry["path"] == "/quoparts/x/../ws_quoparts.php"
    assert "every answer the same" in capsys.readouterr().out


def _one_call(
    folder: Path, url: str, vendor: str = "quoparts", headers: list[dict[str, str]] | None = None
) -> Path:
    """A HAR file of one GET of ``url`` (answered 404), as another tool may write it."""
    entry = {
        "_vendor": vendor,
        "request": {"method": "GET", "url": url, "headers": headers or []},
        "response": {"status": 404, "content": {"text": "", "mimeType": "application/json"}},
    }
    recording = folder / "other.har"
    recording.write_text(json.dumps({"log": {"entries": [entry]}}), "utf-8")
    return recording


def test_a_path_beyond_ascii_in_a_har_from_elsewhere_is_sent_percent_encoded(
    tmp_path: Path,
) -> None:
    """Another tool's HAR may hold a URL's text decoded: it goes as UTF-8, percent-encoded (as
    httpx writes a URL), not as bytes no request line may hold."""
    recording = _one_call(tmp_path, "http://elsewhere/quoparts/città.php")
    with MockServer(ACCOUNTS) as fresh:
        main(["replay", str(recording), "--base-url", fresh.base_url("quoparts")])
        (sent,) = fresh.requests()
    assert sent["path"] == "/quoparts/città.php"


def test_through_a_proxy_the_environment_names_a_replay_goes_as_that_proxy_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the proxy's own calls (``Upstream.target``): a forward proxy reads the request line's
    absolute URL, so there dot segments go resolved (handed the bare path, it could not tell
    the host)."""
    recording = _one_call(tmp_path, "http://vendor.invalid/quoparts/x/../ws_quoparts.php?login=")
    ok = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
    with WireUpstream(ok) as forward_proxy:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)
        main(["replay", str(recording), "--base-url", "http://vendor.invalid/quoparts"])
    (received,) = forward_proxy.received
    assert received.request_line[:2] == [
        b"GET",
        b"http://vendor.invalid/quoparts/ws_quoparts.php?login=",
    ]


def test_an_answer_sent_a_byte_at_a_time_is_cut_at_the_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--timeout`` bounds each call whole: httpx's own timeouts bound each wait alone, so an
    answer of 100,000 bytes sent one every 0.05 s held the replay for more than an hour."""
    recording = _one_call(tmp_path, "http://elsewhere/quoparts/ws_quoparts.php?login=")
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n"
    with WireUpstream(head, trickle=0.05) as slow:
        args = ["replay", str(recording), "--base-url", slow.base_url("quoparts")]
        assert main([*args, "--timeout", "0.3"]) == 1
    assert 'status: 404 (recorded) vs "no answer: timed out (--timeout 0.3 s)"' in (
        capsys.readouterr().out
    )


def test_a_masked_authorization_of_another_vendor_is_left_out_even_given_a_token(
    tmp_path: Path,
) -> None:
    """``--token`` is TS Digital's bearer: a QuoParts recording's masked Authorization had it
    sent to QuoParts."""
    masked = [{"name": "Authorization", "value": MASK}]
    recording = _one_call(
        tmp_path, "http://elsewhere/quoparts/ws_quoparts.php?login=", headers=masked
    )
    with MockServer(ACCOUNTS) as fresh:
        url = fresh.base_url("quoparts")
        main(["replay", str(recording), "--base-url", url, "--token", "ts-bearer-ABCDEF"])
        (sent,) = fresh.requests()
    assert "ts-bearer-ABCDEF" not in json.dumps(sent)
    assert not any(name.lower() == "authorization" for name in sent["headers"])


def test_a_bearer_that_cannot_be_minted_for_want_of_a_ca_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mint that never reached the server said "give --token", hiding the certificate."""
    from tests.servers import serving

    masked = [{"name": "Authorization", "value": MASK}]
    with serving("--tls-self-signed", str(tmp_path / "tls"), scheme="https") as served:
        url = f"{served.url}/tsdigital"
        recording = _one_call(tmp_path, f"{url}/api/v3/items", "tsdigital", masked)
        assert main(["replay", str(recording), "--base-url", url]) == 2
    said = capsys.readouterr().err
    assert f"cannot reach {served.url}" in said and "--cacert FILE" in said
    assert "give --token" not in said


@pytest.mark.parametrize("timeout", ["-1", "0", "soon"])
def test_a_timeout_that_is_no_time_limit_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], timeout: str
) -> None:
    """-1 was a traceback, 0 a misleading "cannot reach"."""
    recording = tmp_path / "any.har"
    recording.write_text("{}")
    with pytest.raises(SystemExit) as usage:
        main(["replay", str(recording), "--base-url", "http://127.0.0.1:9", "--timeout", timeout])
    assert usage.value.code == 2
    assert "seconds above 0" in capsys.readouterr().err


def test_a_recording_grows_in_place_instead_of_being_rewritten(tmp_path: Path) -> None:
    """The whole file was rewritten on every exchange: each call slower as the day's file grew
    (2.7 s a call at 233 MB), and under load the proxy answered 502 to a vendor that was up."""
    login = {"login": "", "username": "demo", "password": "demo"}
    with MockServer() as upstream, proxied(upstream, ("quoparts",), record=tmp_path) as (_, http):
        http.get(QP, params=login)
        (path,) = tmp_path.glob("*.har")
        first = path.stat().st_ino
        for _ in range(3):
            http.get(QP, params=login)
    assert path.stat().st_ino == first  # written into, not replaced
    document = json.loads(path.read_text("utf-8"))
    assert HAR.check(document) == []
    entries = document["log"]["entries"]
    assert len(entries) == 4 and all(
        "demo" not in e["request"]["url"].split("password=")[1] for e in entries
    )


def test_a_replay_never_prints_a_secret_it_filled_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A vendor that echoes the password: the recording blots it out, the replayed answer
    showed it (in a CI log) and counted it as a difference."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def echo(request: Request) -> JSONResponse:
        sent = request.query_params.get("password", "")
        return JSONResponse({"errorCode": "101", "error": f"Password errata: {sent}", "data": []})

    app = Starlette(routes=[Route("/quoparts/ws_quoparts.php", echo)])
    secret = "Quo-S3cret-pw"
    with MockServer(app=app) as vendor:
        with proxied(vendor, ("quoparts",), record=tmp_path) as (_, http):
            http.get(QP, params={"login": "", "username": "demo", "password": secret})
        (recording,) = tmp_path.glob("*.har")
        args = ["replay", str(recording), "--base-url", vendor.base_url("quoparts")]
        assert main([*args, "--username", "demo", "--password", secret]) == 0
    assert secret not in capsys.readouterr().out


def test_a_recording_behind_basic_auth_replays_with_the_base_url_s_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The proxy sends ``--upstream``'s user:password as HTTP Basic; replay refused them in
    ``--base-url``, so a sandbox behind Basic auth could not be replayed against. They go as
    the proxy sends them, and neither the password nor the URL's is in the report."""
    import base64

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    credential = "Basic " + base64.b64encode(b"acme:Up-S3cret-pw").decode()

    async def guarded(request: Request) -> JSONResponse:
        got = request.headers.get("authorization", "")
        error = "" if got == credential else f"Accesso negato: {got}"
        return JSONResponse({"errorCode": "0" if not error else "1", "error": error, "data": []})

    app = Starlette(routes=[Route("/quoparts/ws_quoparts.php", guarded)])
    with MockServer(app=app) as vendor:
        url = vendor.base_url("quoparts").replace("http://", "http://acme:Up-S3cret-pw@")
        recording_app = create_proxy_app({"quoparts": url}, record=tmp_path)
        with httpx.Client(transport=SyncASGITransport(recording_app), base_url="http://p") as http:
            assert http.get(QP, params={"login": ""}).json()["errorCode"] == "0"
        (recording,) = tmp_path.glob("*.har")
        assert main(["replay", str(recording), "--base-url", url]) == 0
        wrong = url.replace("Up-S3cret-pw", "Wrong-S3cret-pw")
        assert main(["replay", str(recording), "--base-url", wrong]) == 1
    out = capsys.readouterr().out
    shown = url.replace("acme:Up-S3cret-pw@", "***@")
    assert f"against {shown}: every answer the same" in out
    assert "S3cret-pw" not in out and base64.b64encode(b"acme:Wrong").decode()[:8] not in out


def test_a_replay_blots_out_a_password_the_vendor_echoes_php_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PHP's JSON writes ``/`` as ``\\/``: the replayed refusal quoting the password was a
    difference the report printed with the password in it."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    secret = "pass/word+1234"
    refusal = b'{"errorCode":"100","error":"Password errata: pass\\/word+1234","data":[]}'
    issued = b'{"errorCode":"0","error":"","data":[{"TOKEN":"tok-123456789"}]}'
    answers = iter([issued, refusal])

    async def vendor(_: object) -> Response:
        return Response(next(answers), media_type="application/json")

    app = Starlette(routes=[Route("/quoparts/ws_quoparts.php", vendor)])
    with MockServer(app=app) as server:
        with proxied(server, ("quoparts",), record=tmp_path) as (_, http):
            http.get(QP, params={"login": "", "username": "demo", "password": "whatever-pw"})
        (recording,) = tmp_path.glob("*.har")
        monkeypatch.setenv("MOCKSERVERS_REPLAY_PASSWORD", secret)
        args = ["replay", str(recording), "--base-url", server.base_url("quoparts")]
        assert main([*args, "--username", "demo"]) == 1
    out = capsys.readouterr().out
    assert '"Password errata: ***" (replayed)' in out and "word+1234" not in out


def test_a_replay_given_a_username_reports_no_difference_for_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--username (no secret) was blotted out of the replayed answers as if it were one: the
    login answer's Username showed as a difference."""
    user = "mario.rossi"  # long enough to be blotted (shorter values never are)
    accounts = copy.deepcopy(ACCOUNTS)
    accounts["xtra"]["accounts"][0]["users"][0]["username"] = user
    with MockServer(accounts) as upstream:
        with proxied(upstream, ("xtra",), config=accounts, record=tmp_path) as (_, http):
            http.post(XTRA_LOGIN, json={"Username": user, "Password": XTRA_PASSWORD})
        (recording,) = tmp_path.glob("*.har")
        with MockServer(accounts) as fresh:
            args = ["replay", str(recording), "--base-url", fresh.base_url("xtra")]
            given = [*CREDENTIALS["xtra"], "--username", user]
            assert main([*args, *given]) == 0, capsys.readouterr().out


def test_a_recorded_xtra_id_sent_as_text_is_replayed_as_the_replayed_server_s_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """XTRA reads ``"ID": "70000"`` as the ID 70000: under an AccessToken, the recorded
    sandbox's own identity, refused as malformed (``ER.IR.INVAL``). Replayed as recorded, it
    named another identity than the fresh fake's own, a whole-call 403. It goes as that
    server's own IRID, as text, as the recorded number does."""
    sandbox = copy.deepcopy(ACCOUNTS)
    sandbox["xtra"]["accounts"][0]["users"][0]["irid"] = 70000
    with (
        MockServer(sandbox) as upstream,
        proxied(upstream, ("xtra",), record=tmp_path) as (_, http),
    ):
        login = http.post(XTRA_LOGIN, json={"Username": "mario", "Password": XTRA_PASSWORD})
        result = login.json()["result"]
        own = {"AccessToken": result["Token"]}
        for irid in (result["IRID"], str(result["IRID"])):
            http.post(XTRA_UPDATE, headers=own, json=[{"ID": irid, "Surname": "R"}])
    (recording,) = tmp_path.glob("*.har")
    with MockServer(ACCOUNTS) as fresh:
        args = ["replay", str(recording), "--base-url", fresh.base_url("xtra")]
        assert main([*args, *CREDENTIALS["xtra"]]) == 0, capsys.readouterr().out
        (as_text, as_number, _) = fresh.requests("xtra")
    assert "every answer the same" in capsys.readouterr().out
    assert as_number["request"] == [{"ID": 59990, "Surname": "R"}]
    assert as_text["request"] == [{"ID": "59990", "Surname": "R"}]
    assert as_text["status"] == 200 and "ER.IR.INVAL" in json.dumps(as_text["response"])
