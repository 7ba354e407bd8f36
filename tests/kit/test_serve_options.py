"""``serve`` for teams: HTTPS with a local CA or given files, CORS for browser connectors, and
option combinations it refuses."""

from __future__ import annotations

import logging
import re
import socket
import ssl
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from contracts import contract
from mockservers import create_app
from mockservers.cli import main
from mockservers.logs import MaskAsgiMessages
from mockservers.testing import MockServer, SyncASGITransport
from mockservers.workers import listening_sockets, serving_sockets
from tests.conftest import QP
from tests.kit.test_docs import DOCS
from tests.servers import embedded, free_port, serve_refused, serving

ORIGIN = "http://localhost:3000"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type, authorization, x-app-name",
}


def test_self_signed_tls_is_verified_with_the_printed_ca_and_cors_answers_preflights(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "tls"
    args = ("--tls-self-signed", str(folder), "--cors-origin", ORIGIN)
    with serving(*args, scheme="https") as served:
        (line,) = [line for line in served.banner if "local CA" in line]
        ca = Path(line.rsplit(" ", 1)[1])
        assert ca == folder / "ca.pem"
        trusted = ssl.create_default_context(cafile=str(ca))
        with httpx.Client(base_url=served.url, verify=trusted) as http:
            assert http.get("/__admin/health").json()["status"] == "ok"
            preflight = http.options("/tsdigital/api/v3/items", headers=PREFLIGHT)
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == ORIGIN
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(served.url + "/__admin/health")  # the system's CAs do not know it


def test_given_certificate_files_serve_https(tmp_path: Path) -> None:
    from mockservers.serving import self_signed

    ca, cert, key = self_signed(tmp_path)
    args = ("--ssl-certfile", str(cert), "--ssl-keyfile", str(key))
    with serving(*args, scheme="https") as served:
        trusted = ssl.create_default_context(cafile=str(ca))
        assert httpx.get(served.url + "/__admin/health", verify=trusted).status_code == 200
        assert not [line for line in served.banner if "TLS" in line]  # it names 127.0.0.1


def _local_ca(folder: Path, *names: str, expired: bool = False) -> tuple[Path, Path, Path]:
    """A CA's ca.pem, and a certificate for ``names`` it issued with its key, written as
    ``--tls-self-signed`` writes them (``expired``: the certificate's last day was 2020-01-02)."""
    import trustme

    folder.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA()
    if expired:
        days = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 1, 2, tzinfo=UTC))
        issued = authority.issue_cert(*names, not_before=days[0], not_after=days[1])
    else:
        issued = authority.issue_cert(*names)
    ca, cert, key = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    authority.cert_pem.write_to_path(str(ca))
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    return ca, cert, key


def test_the_banner_names_the_hosts_a_given_certificate_is_for(tmp_path: Path) -> None:
    """It listed https://127.0.0.1:PORT/… for a certificate of fake.example.com, which every
    client that verifies it refuses there: the first URL a new operator copies failed."""
    ca, cert, key = _local_ca(tmp_path, "fake.example.com", "*.fake.example.com")
    args = ("--ssl-certfile", str(cert), "--ssl-keyfile", str(key))
    with serving(*args, scheme="https") as served:
        port = served.url.rsplit(":", 1)[1]
        (line,) = [line.split(None, 1)[1] for line in served.banner if "TLS" in line]
        assert line == (
            "the certificate names fake.example.com, *.fake.example.com, not 127.0.0.1: clients"
            f" that verify it reach the fake by such a name (https://fake.example.com:{port})"
        )
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(
                served.url + "/__admin/health", verify=ssl.create_default_context(cafile=str(ca))
            )


def test_the_local_ca_is_kept_between_starts(tmp_path: Path) -> None:
    from mockservers.serving import self_signed

    first = [path.read_bytes() for path in self_signed(tmp_path)]
    assert [path.read_bytes() for path in self_signed(tmp_path)] == first


@pytest.mark.parametrize("path", ["/quoparts/ws_quoparts.php", "/keepit/api", "/__admin/health"])
def test_cors_marks_answers_for_the_configured_origins_only(path: str) -> None:
    app = create_app({"kit": {"cors_origins": [ORIGIN]}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://m") as http:
        allowed = http.options(path, headers=PREFLIGHT)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == ORIGIN
        assert "POST" in allowed.headers["access-control-allow-methods"]
        other = http.options(path, headers={**PREFLIGHT, "Origin": "http://evil.example"})
        assert other.status_code == 400
        answer = http.get(path, headers={"Origin": ORIGIN})
        assert answer.headers["access-control-allow-origin"] == ORIGIN
        assert "X-Mockservers-Detail" in answer.headers["access-control-expose-headers"]


VENDOR_PATHS = {
    "quoparts": "/quoparts/ws_quoparts.php?importCli",
    "xtra": "/xtra/api/sync/v1/irs/update",
    "keepit": "/keepit/api?cmd=insertClient_v3",
    "tsdigital": "/tsdigital/api/v3/items",
}
ELSEWHERE = "http://evil.example"


@pytest.mark.parametrize("vendor", list(VENDOR_PATHS))
def test_a_refused_preflight_is_journalled_under_the_vendor(vendor: str) -> None:
    """The browser still reads a refusal (400, no Access-Control-Allow-Origin); the integrator
    finds it in the journal: the vendor, the path, the page's origin, the status, and why."""
    app = create_app({"kit": {"cors_origins": [ORIGIN]}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://m") as http:
        refused = http.options(VENDOR_PATHS[vendor], headers={**PREFLIGHT, "Origin": ELSEWHERE})
        (entry,) = http.get("/__admin/requests").json()
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert "Origin" in refused.headers["vary"]
    assert contract(f"{vendor}/error.response").check(refused.json()) == []
    assert (entry["vendor"], entry["operation"], entry["method"]) == (vendor, "unknown", "OPTIONS")
    assert (entry["path"], entry["status"]) == (VENDOR_PATHS[vendor].split("?")[0], 400)
    assert entry["headers"]["origin"] == ELSEWHERE
    assert entry["detail"] == (
        f"cors: a preflight from {ELSEWHERE}, not a --cors-origin ({ORIGIN}): the browser sends"
        " no POST call"
    )
    assert refused.headers["X-Mockservers-Detail"] == entry["detail"]


def test_a_refused_preflight_outside_the_vendors_is_json() -> None:
    app = create_app({"kit": {"cors_origins": [ORIGIN]}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://m") as http:
        refused = http.options("/__admin/health", headers={**PREFLIGHT, "Origin": ELSEWHERE})
        assert http.get("/__admin/requests").json() == []
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    assert refused.json()["error"].startswith(f"CORS: a preflight from {ELSEWHERE}")


def test_a_preflight_refused_for_its_method_is_journalled_too() -> None:
    """A configured origin asking for a method Starlette does not know (fetch allows any)."""
    app = create_app({"kit": {"cors_origins": [ORIGIN]}})
    custom = {**PREFLIGHT, "Access-Control-Request-Method": "FOO"}
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://m") as http:
        assert http.options("/keepit/api", headers=custom).status_code == 400
        (entry,) = http.get("/__admin/requests").json()
    assert entry["detail"] == (
        f"cors: a preflight from {ORIGIN} refused (Disallowed CORS method): the browser sends"
        " no FOO call"
    )


def test_a_call_from_a_refused_page_says_in_the_journal_that_the_page_cannot_read_it() -> None:
    """A QuoParts login is a plain GET: no preflight, the browser sends it, the kit answers and
    the browser hides the answer from the page. The journal says why."""
    app = create_app({"kit": {"cors_origins": [ORIGIN]}})
    login = {"login": "", "username": "demo", "password": "demo"}
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://m") as http:
        answered = http.get(QP, params=login, headers={"Origin": ELSEWHERE})
        allowed = http.get(QP, params=login, headers={"Origin": ORIGIN})
        refused_entry, allowed_entry = reversed(http.get("/__admin/requests").json())
    assert answered.json()["errorCode"] == "0"
    assert "access-control-allow-origin" not in answered.headers
    assert refused_entry["detail"] == (
        f"cors: a page from {ELSEWHERE}, not a --cors-origin ({ORIGIN}): the browser hides this"
        " answer from it"
    )
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert allowed_entry["detail"] is None


def test_a_configured_origin_may_reach_a_kit_on_a_private_network() -> None:
    """A public page calling a kit on a private address: the browser's Private Network Access
    preflight is allowed for a configured origin (it was refused: the page could not call)."""
    app = create_app({"kit": {"cors_origins": [ORIGIN]}})
    private = {**PREFLIGHT, "Access-Control-Request-Private-Network": "true"}
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://m") as http:
        allowed = http.options("/keepit/api", headers=private)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-private-network"] == "true"


def test_an_origin_is_taken_as_a_browser_writes_it() -> None:
    """The browser sends its origin in lower case, without its scheme's port, an IPv6 address
    compressed: ``http://MyApp.localhost:80`` started, and no preflight ever matched it. The
    banner shows each origin as it is compared, once."""
    origins = ("HTTP://MyApp.localhost:80", "http://[0:0::1]:3000", "http://myapp.localhost")
    origins += ("http://Bücher.example:3000",)  # an IDN host: the browser sends punycode
    sent = ("http://myapp.localhost", "http://[::1]:3000", "http://xn--bcher-kva.example:3000")
    with serving(*(arg for origin in origins for arg in ("--cors-origin", origin))) as served:
        (line,) = [line for line in served.banner if line.lstrip().startswith("CORS ")]
        assert line.split(None, 1)[1] == ", ".join(sent)
        for origin in sent:
            preflight = httpx.options(
                served.url + VENDOR_PATHS["tsdigital"], headers={**PREFLIGHT, "Origin": origin}
            )
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == origin


def test_without_cors_origins_no_cors_headers_are_sent() -> None:
    app = create_app()
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://m") as http:
        answer = http.get("/__admin/health", headers={"Origin": ORIGIN})
        assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "2"], "--workers above 1 needs --store"),
        (["--store", "redis://x/0", "--state-file", "s.db"], "exclusive"),
        (["--store", "memory://"], "a redis:// URL is expected"),
        # redis-py reads it as database 0: a typo would share another fake's database
        (["--store", "redis://127.0.0.1:6379/abc"], "the database is a number"),
        # not "percent-encode ... in a password": the port is the problem
        (["--store", "redis://127.0.0.1:99999/0"], "STORE): the port is a number from 1 to 65535"),
        # not a bare "Invalid IPv6 URL"
        (["--store", "redis://[::1/0"], "STORE): this URL cannot be read: write an IPv6 address"),
        # not "the port is a number": the address is the problem
        (["--store", "redis://::1:6379/0"], "STORE): this URL cannot be read: write an IPv6 a"),
        (["--store", "redis://kit:pw@::1/0"], "STORE): this URL cannot be read: write an IPv6 a"),
        (["--ssl-certfile", "a.pem"], "go together"),
        (["--tls-self-signed", "d", "--ssl-certfile", "a", "--ssl-keyfile", "b"], "not both"),
        (["--port", "99999"], "a port is a number from 1 to 65535"),  # not 99999 % 65536
        (["--log-level", "loud"], "invalid choice: 'loud'"),
        (["--cors-origin", "localhost:3000"], '"localhost:3000" is not an origin'),
        # they started and never matched: a browser's Origin has neither
        (["--cors-origin", "http://a:99999"], "--cors-origin: http://a:99999: a port is a number"),
        (["--cors-origin", "http://user@host"], "names no user: give http://host, without the"),
        (["--ssl-certfile", "missing.pem", "--ssl-keyfile", "missing.key"], "no such file"),
    ],
)
def test_serve_refuses_option_combinations_that_cannot_work(args: list[str], message: str) -> None:
    done = serve_refused(*args)
    assert done.returncode == 2 and message in done.stderr
    assert "Traceback" not in done.stderr


def test_an_origin_refused_never_shows_its_password() -> None:
    """A deploy token in an origin's user (a URL copied whole) was printed with the refusal."""
    done = serve_refused("--cors-origin", "https://deploy:S3cretTok@app.example.com/")
    assert done.returncode == 2, done.stderr
    assert '"https://***@app.example.com/" is not an origin' in done.stderr
    assert "S3cretTok" not in done.stderr + done.stdout


UNSENDABLE_TOKENS = [
    ("S3cret-tok\n", "leading or trailing whitespace"),  # a secret file's last line
    (" S3cret-tok", "leading or trailing whitespace"),
    ("S3cret-tok\t", "leading or trailing whitespace"),
    ("S3cret\x01tok", "a control character"),
]


@pytest.mark.parametrize("command", ["serve", "proxy"])
@pytest.mark.parametrize(("token", "said"), UNSENDABLE_TOKENS)
def test_an_admin_token_no_call_could_send_is_refused_at_start(
    command: str,
    token: str,
    said: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """HTTP strips the whitespace around a header's value, and no header carries a control
    character: a token with either was taken, and every admin call was a 401 for ever (the
    image's HEALTHCHECK failed before it sent a thing). Refused from the option and from the
    environment alike, saying why, never showing the token."""
    args = [command, "--port", str(free_port())]
    if command == "proxy":
        args += ["--upstream", "quoparts=http://127.0.0.1:9"]
    monkeypatch.delenv("MOCKSERVERS_ADMIN_TOKEN", raising=False)
    assert main([*args, "--admin-token", token]) == 2
    monkeypatch.setenv("MOCKSERVERS_ADMIN_TOKEN", token)
    assert main(args) == 2
    for message in capsys.readouterr().err.splitlines():
        assert message.startswith("mockservers: --admin-token (or MOCKSERVERS_ADMIN_TOKEN): ")
        assert said in message and "S3cret" not in message


def test_an_admin_token_from_the_environment_or_the_config_file_is_checked_by_serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real process given ``MOCKSERVERS_ADMIN_TOKEN=$'tok\\n'`` (a token read from a file,
    its newline kept) exits 2 at once; so does one whose config file sets such a token."""
    monkeypatch.setenv("MOCKSERVERS_ADMIN_TOKEN", "tok\n")
    done = serve_refused()
    assert done.returncode == 2 and "leading or trailing whitespace" in done.stderr
    monkeypatch.delenv("MOCKSERVERS_ADMIN_TOKEN")
    config = tmp_path / "kit.toml"
    config.write_text('[kit]\nadmin_token = "tok\\n"\n')
    done = serve_refused("--config", str(config))
    assert done.returncode == 2 and "[kit] admin_token: the admin token has leading" in done.stderr
    assert "Traceback" not in done.stderr


def _encrypted_copy(key: Path, folder: Path) -> Path:
    """``key`` encrypted with a pass phrase, as ``openssl req -newkey`` writes one by default."""
    from cryptography.hazmat.primitives import serialization

    loaded = serialization.load_pem_private_key(key.read_bytes(), None)
    encrypted = folder / "key.pem"
    encrypted.write_bytes(
        loaded.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"abcd"),
        )
    )
    return encrypted


def test_serve_refuses_tls_files_it_cannot_serve_before_saying_it_serves(tmp_path: Path) -> None:
    """A key of another certificate, a damaged file, a half-kept local CA: a clear message
    (the local CA's own key is not kept, so its files are refused, not silently replaced).
    An encrypted key is refused without asking its pass phrase: OpenSSL asked twice, then
    serve said ``TLS: [Errno 22] Invalid argument``; on a terminal, uvicorn asked again after
    the banner, calls waiting."""
    from mockservers.serving import self_signed

    ca, cert, key = self_signed(tmp_path / "good")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "ca.pem").write_bytes(ca.read_bytes())
    encrypted = _encrypted_copy(key, tmp_path)
    mixed = _local_ca(tmp_path / "mixed", "localhost", "127.0.0.1")[0]
    mixed.write_bytes(ca.read_bytes())  # another local CA's ca.pem beside them
    elsewhere = _local_ca(tmp_path / "elsewhere", "fake.example.com")[1]
    expired = _local_ca(tmp_path / "expired", "localhost", "127.0.0.1", expired=True)[1]
    new_ca = "to make a new local CA (clients must then trust the new ca.pem)"
    cases = {
        f"TLS: --ssl-keyfile {encrypted} is encrypted: give an unencrypted key (openssl pkey"
        f" -in {encrypted} -out {tmp_path / 'key.plain.pem'})": [
            *("--ssl-certfile", str(cert), "--ssl-keyfile", str(encrypted))
        ],
        f"TLS: the key {key} does not match the certificate {ca} (it is another certificate's"
        " key)": [*("--ssl-certfile", str(ca), "--ssl-keyfile", str(key))],
        "not a PEM certificate and its private key": [
            *("--ssl-certfile", str(key), "--ssl-keyfile", str(cert))
        ],
        "holds ca.pem but not all of": ["--tls-self-signed", str(tmp_path / "half")],
        "not a directory": ["--tls-self-signed", str(ca)],
        f"TLS: {mixed.parent}/server.pem was not issued by {mixed}: every client would refuse"
        f" it; remove {mixed.parent} {new_ca}": ["--tls-self-signed", str(mixed.parent)],
        f"TLS: {elsewhere} does not name localhost and 127.0.0.1 (it names fake.example.com)": [
            "--tls-self-signed",
            str(elsewhere.parent),
        ],
        f"TLS: {expired} expired on 2020-01-02": ["--tls-self-signed", str(expired.parent)],
    }
    for message, args in cases.items():
        command = [sys.executable, "-m", "mockservers.cli", "serve", *args]
        done = subprocess.run(  # no terminal to ask a pass phrase on, as in CI
            command,
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
        assert done.stdout == ""  # refused before the banner
        assert "pass phrase" not in done.stderr
    assert [p.name for p in (tmp_path / "half").iterdir()] == ["ca.pem"]  # left as it was


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("MOCKSERVERS_WORKERS", "abc", "not 'abc' (--workers or MOCKSERVERS_WORKERS)"),
        ("MOCKSERVERS_WORKERS", "0", "not '0' (--workers or MOCKSERVERS_WORKERS)"),
        ("MOCKSERVERS_STORE", "memory://", "--store (or MOCKSERVERS_STORE): a redis:// URL"),
        ("MOCKSERVERS_ADMIN_TOKEN", "tok\n", "--admin-token (or MOCKSERVERS_ADMIN_TOKEN): "),
    ],
)
def test_a_value_from_the_environment_is_checked_as_the_option_s_naming_the_variable(
    variable: str, value: str, said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    done = serve_refused()
    assert done.returncode == 2 and said in done.stderr, done.stderr


def test_an_empty_environment_variable_counts_as_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``MOCKSERVERS_STORE=`` (a compose file's, a CI secret not set) was taken as a store URL,
    refused beside --state-file, and ``MOCKSERVERS_WORKERS=`` as --workers '': an empty admin
    token already counted as none."""
    for variable in ("MOCKSERVERS_STORE", "MOCKSERVERS_WORKERS", "MOCKSERVERS_ADMIN_TOKEN"):
        monkeypatch.setenv(variable, "")
    path = tmp_path / "kit.db"
    with serving("--state-file", str(path)) as served:
        assert f"(store: memory, kept in {path}, workers: 1)" in served.banner[0]
        assert httpx.get(f"{served.url}/__admin/health").status_code == 200  # no token asked
    monkeypatch.setenv("MOCKSERVERS_STORE", "memory://")
    done = serve_refused("--state-file", str(path))
    assert done.returncode == 2
    assert "--store (or MOCKSERVERS_STORE) and --state-file are exclusive" in done.stderr


@pytest.mark.parametrize(
    ("args", "token"),
    [
        ((), "envtok"),  # the environment over the file
        (("--admin-token", "flagtok"), "flagtok"),  # the option over both
        (("--admin-token", ""), "envtok"),  # given empty: not given (the file's was taken)
    ],
)
def test_an_option_wins_over_its_environment_variable_which_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], token: str
) -> None:
    """The rule docs/configuration.md states; ``--cors-origin`` adds to the file's origins."""
    config = tmp_path / "kit.toml"
    config.write_text('[kit]\nadmin_token = "filetok"\ncors_origins = ["http://file.example"]\n')
    monkeypatch.setenv("MOCKSERVERS_ADMIN_TOKEN", "envtok")
    cors = ("--cors-origin", "http://flag.example")
    with serving("--config", str(config), *args, *cors) as served:
        assert "http://file.example, http://flag.example" in "\n".join(served.banner)
        for tried in ("filetok", "envtok", "flagtok"):
            health = httpx.get(f"{served.url}/__admin/health", headers={"X-Admin-Token": tried})
            assert health.status_code == (200 if tried == token else 401), tried


ACCESS_LOG = """
import logging, uvicorn
from mockservers import logs
uvicorn.Config(lambda *a: None, log_level="warning", access_log=True)  # serve's logging set-up
logs.install(access_log=True)
logging.getLogger("uvicorn.access").info(
    '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/q.php?login=&password=pw", "1.1", 200
)
"""


FROZEN_2031 = '[kit.clock]\nstart = "2031-01-01T00:00:00Z"\nfrozen = true\n'
FROZEN_CONFIG = {"kit": {"clock": {"start": "2031-01-01T00:00:00Z", "frozen": True}}}


def assert_dated_by_the_kit(url: str) -> None:
    """Each answer, a vendor's and the admin API's, carries one ``Date``: the kit's clock's,
    moved with it (uvicorn's was the wall's, beside bodies on the kit's clock). A new
    connection for each call: with workers, each may answer."""
    expected = ["Wed, 01 Jan 2031 00:00:00 GMT"]
    for _ in range(4):
        login = httpx.get(url + QP, params={"login": "", "username": "demo", "password": "demo"})
        assert login.headers.get_list("date") == expected
    assert httpx.post(url + "/__admin/clock", json={"advance_seconds": 86400}).status_code == 200
    expected = ["Thu, 02 Jan 2031 00:00:00 GMT"]
    for _ in range(4):
        assert httpx.get(url + "/__admin/clock").headers.get_list("date") == expected
        items = httpx.post(url + "/tsdigital/api/v3/items", json={})  # no token: a 401
        assert items.json()["timestamp"] == "02-01-2031 00:00:00"
        assert items.headers.get_list("date") == expected


def test_serve_dates_its_answers_on_the_kit_s_clock(tmp_path: Path) -> None:
    config = tmp_path / "kit.toml"
    config.write_text(FROZEN_2031)
    with serving("--config", str(config)) as served:
        assert_dated_by_the_kit(served.url)


def test_an_app_embedded_under_uvicorn_s_defaults_answers_with_one_date() -> None:
    """uvicorn adds its own Date, the wall's: the kit added its clock's beside it, two on every
    answer, which httpx joins into one value that reads as the wall's time. The kit dates its
    answers only where it is told the server adds none."""
    with embedded(create_app(FROZEN_CONFIG)) as url:
        for path in (QP + "?login=&username=demo&password=demo", "/__admin/clock", "/nowhere"):
            (date,) = httpx.get(url + path).headers.get_list("date")
            assert "2031" not in date  # uvicorn's, as before the kit had a Date of its own
    with embedded(create_app(FROZEN_CONFIG, date_header=True), date_header=False) as url:
        for path in (QP + "?login=&username=demo&password=demo", "/__admin/clock", "/nowhere"):
            assert httpx.get(url + path).headers.get_list("date") == [
                "Wed, 01 Jan 2031 00:00:00 GMT"
            ]


def test_a_mock_server_dates_its_own_answers_and_leaves_another_app_s_to_uvicorn() -> None:
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def page(request: object) -> Response:
        return Response("ok")

    with MockServer(FROZEN_CONFIG) as server:
        assert httpx.get(server.url + "/__admin/clock").headers.get_list("date") == [
            "Wed, 01 Jan 2031 00:00:00 GMT"
        ]
    with MockServer(app=Starlette(routes=[Route("/", page)])) as server:
        assert len(httpx.get(server.url).headers.get_list("date")) == 1  # uvicorn's


def test_access_log_lines_show_at_the_default_log_level() -> None:
    """``--access-log`` alone (the level stays warning): each request's line, secrets masked."""
    done = subprocess.run(
        [sys.executable, "-c", ACCESS_LOG], capture_output=True, text=True, timeout=30
    )
    assert '"GET /q.php?login=&password=*** HTTP/1.1" 200' in done.stdout, done.stderr


def test_a_port_in_use_is_refused_before_the_banner_even_by_another_serve_s_workers() -> None:
    """A socket with SO_REUSEPORT (another ``serve --workers``) let new workers join it: two
    fakes, each answering half the calls. And a port in use printed the whole banner first."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(OSError):
            listening_sockets("127.0.0.1", port, 2)
        done = serve_refused("--port", str(port))
    assert done.returncode == 2 and "cannot listen on" in done.stderr
    assert "serving on" not in done.stdout and "Traceback" not in done.stderr


def _names(*addresses: str) -> Callable[..., list[tuple]]:
    """A getaddrinfo that names ``addresses`` for any host."""

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    return getaddrinfo


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:  # a container without IPv6
        return False
    return True


needs_ipv6 = pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine has no ::1")


def _assert_listens_as_localhost(sockets: list[socket.socket], reuse_port: int) -> int:
    """``sockets`` are one process's for a ``localhost`` naming 127.0.0.1 and ::1: one for
    each, on one port (which it returns), the IPv6 one IPv6 only; each takes a connection."""
    assert [s.family for s in sockets] == [socket.AF_INET, socket.AF_INET6]
    (port,) = {s.getsockname()[1] for s in sockets}
    for address in ("127.0.0.1", "::1"):
        socket.create_connection((address, port), timeout=5).close()
    assert sockets[1].getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1
    assert {s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) for s in sockets} == {reuse_port}
    return port


@needs_ipv6
def test_one_process_listens_on_every_address_its_host_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--host localhost`` where the system names 127.0.0.1 and ::1: a client that tries ::1
    first (Node, a browser) is answered there too, as when uvicorn bound the name itself; an
    address the system cannot assign (no IPv6 in a container) is left out."""
    monkeypatch.setattr(socket, "getaddrinfo", _names("127.0.0.1", "::1", "::2"))
    sockets = serving_sockets("localhost", 0)
    try:
        _assert_listens_as_localhost(sockets, reuse_port=0)
    finally:
        for sock in sockets:
            sock.close()
    monkeypatch.setattr(socket, "getaddrinfo", _names("::2"))
    with pytest.raises(OSError):
        serving_sockets("nowhere", 0)


@needs_ipv6
def test_each_worker_listens_on_the_addresses_one_process_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--host localhost --workers 2`` bound 127.0.0.1 alone: a client trying ::1 first was
    refused, which ``--host localhost`` without workers answers. Each worker now gets one
    ``SO_REUSEPORT`` socket for each address, the same ones, IPv6 only as without workers."""
    monkeypatch.setattr(socket, "getaddrinfo", _names("127.0.0.1", "::1", "::2"))
    groups = listening_sockets("localhost", 0, 2)
    try:
        assert len(groups) == 2
        assert len({_assert_listens_as_localhost(group, reuse_port=1) for group in groups}) == 1
    finally:
        for sock in (sock for group in groups for sock in group):
            sock.close()


@needs_ipv6
@pytest.mark.parametrize("workers", [False, True], ids=["one process", "workers"])
def test_host_unspecified_ipv6_is_ipv6_only_with_workers_or_without(
    workers: bool, request: pytest.FixtureRequest
) -> None:
    """``--host ::`` takes IPv6 connections only, as docs/deploy.md says: with ``--workers``
    it took IPv4 ones too (its sockets were dual-stack), without them not."""
    store = ["--workers", "2", "--store", request.getfixturevalue("redis_url")] if workers else []
    with serving("--host", "::", "--admin-token", "tok", *store) as served:
        port = int(served.url.rsplit(":", 1)[1])
        assert served.banner[0].startswith(f"mockservers serving on http://[::]:{port} ")
        for _ in range(4):  # a new connection each time: with workers, each may answer
            health = httpx.get(
                f"http://[::1]:{port}/__admin/health", headers={"X-Admin-Token": "tok"}
            )
            assert health.status_code == 200
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5)


def test_the_trace_log_shows_the_asgi_messages_without_a_secret() -> None:
    """``--log-level trace`` logs each call's scope: its query and headers, masked."""
    with serving("--log-level", "trace") as served:
        query = {"login": "", "username": "demo", "password": "Wrong-S3cret-pw"}
        headers = {"SyncSecretKey": "Xtra-S3cret-key"}
        httpx.get(f"{served.url}/quoparts/ws_quoparts.php", params=query, headers=headers)
    log = served.process.stderr.read()
    assert "ASGI [" in log and "password=***" in log
    assert "Wrong-S3cret-pw" not in log and "Xtra-S3cret-key" not in log


def test_the_trace_log_masks_a_secret_in_a_redirect_url() -> None:
    """A proxied sandbox that redirects to a URL with a password: the answer's headers, as the
    trace log shows them, are masked as the journal's are."""
    record = logging.LogRecord(
        "uvicorn.asgi",
        5,
        "",
        0,
        "%s [%d] Send %s",
        (
            "HTTP",
            1,
            {
                "type": "http.response.start",
                "headers": [(b"location", b"/q.php?login=&password=Quo-S3cret-pw")],
            },
        ),
        None,
    )
    assert MaskAsgiMessages().filter(record)
    assert "Quo-S3cret-pw" not in record.getMessage() and "password=***" in record.getMessage()


def test_every_serve_option_is_in_the_configuration_page_s_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """docs/configuration.md lists serve's options together, one line each: an option added to
    the command alone would be found in no table (they were spread over three pages)."""
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    options = set(re.findall(r"^  (--[a-z-]+)", capsys.readouterr().out, re.MULTILINE))
    page = (DOCS / "configuration.md").read_text("utf-8")
    listed = re.findall(r"^\| `(--[a-z-]+)", page, re.MULTILINE)
    assert sorted(listed) == sorted(options)
