"""``mockservers proxy`` and the web pages a browser on its machine opens: none may call the
real sandbox with the credentials of the upstream's URL, nor read its answers by DNS rebinding,
and no page the vendor serves through the proxy runs script on the proxy's (the admin API's)
origin. Connectors, with or without a browser, are not affected. The upstreams are stand-ins on
a socket; ``test_proxy_browser.py`` has a page of another site and a vendor's page try it in
a real browser."""

from __future__ import annotations

import base64
import json
import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from mockservers.core.pipeline import DETAIL_HEADER
from mockservers.proxy import create_proxy_app
from mockservers.testing import MockServer
from tests.proxying import QP, ROWS, ROWS_ANSWER, STORED, Received, WireUpstream, with_credentials
from tests.servers import serving

BASIC = b"authorization: basic " + base64.b64encode(":".join(STORED).encode()).lower()
"""The stored credentials as the upstream reads them (head lower-cased)."""
CONNECTOR = "http://localhost:3000"
"""A browser connector's origin, given with --cors-origin."""
TOKEN_CONFIG = {"kit": {"admin_token": "Adm1n-token"}}
"""A proxy with an admin token: it forwards every call."""


def _authorised(received: list[Received]) -> list[bytes]:
    """The targets the upstream was asked for with the stored credentials."""
    return [r.request_line[1] for r in received if BASIC in r.head.lower()]


def test_a_web_page_gets_no_call_to_the_sandbox_and_a_connector_every_call() -> None:
    """A DNS-rebinding page (its own host name, resolved to 127.0.0.1) read the sandbox's
    answers, and a page of another site posted a form to it, each with the credentials of
    --upstream: both get QuoParts' 403, saying why and what allows it, journalled, and nothing
    reaches the sandbox. A connector (no Origin, a loopback Host), a page of the proxy's own
    origin and a --cors-origin's page are forwarded as before."""
    with (
        WireUpstream(ROWS_ANSWER) as upstream,
        serving(
            "--upstream",
            f"quoparts={with_credentials(upstream)}",
            "--cors-origin",
            CONNECTOR,
            command="proxy",
        ) as proxy,
        httpx.Client(base_url=proxy.url) as http,
    ):
        port = proxy.url.rsplit(":", 1)[1]
        assert f"  CORS         {CONNECTOR}" in proxy.banner
        listing = {"listCli": "", "token": "x"}
        rebound = http.get(
            QP,
            params=listing,
            headers={"Host": f"evil.test:{port}", "Origin": f"http://evil.test:{port}"},
        )
        form = http.post(
            QP,
            params={"importCli": "", "token": "x"},
            content=b'{"data": [{"COD_CLI_ERP": "X"}]}',
            headers={"Origin": "http://evil.test", "Content-Type": "text/plain"},
        )
        refused = http.get("/__admin/requests").json()
        assert upstream.received == []  # neither reached the sandbox
        connector = http.get(QP, params=listing)
        own_page = http.get(QP, params=listing, headers={"Origin": proxy.url})
        named = http.get(QP, params=listing, headers={"Host": f"localhost:{port}"})
        browser = http.post(QP, params=listing, json={}, headers={"Origin": CONNECTOR})
    for answer in (rebound, form):
        assert answer.status_code == 403
        assert answer.json() == {"errorCode": "403", "error": "Forbidden", "data": []}
    assert f"a call for host 'evil.test:{port}'" in rebound.headers[DETAIL_HEADER]
    assert "a page from http://evil.test " in form.headers[DETAIL_HEADER]
    assert "--cors-origin ORIGIN" in form.headers[DETAIL_HEADER]
    assert "--admin-token" in rebound.headers[DETAIL_HEADER]
    assert [(e["source"], e["operation"], e["status"]) for e in refused] == [
        ("proxy", "importCli", 403),
        ("proxy", "unknown", 403),  # listCli: no operation of QuoParts' document
    ]
    assert refused[0]["detail"] == form.headers[DETAIL_HEADER]
    for answer in (connector, own_page, named, browser):
        assert answer.status_code == 200 and answer.content == ROWS
    assert _authorised(upstream.received) == [b"/api/ws_quoparts.php?listCli=&token=x"] * 4


def test_a_connector_naming_this_machine_any_way_is_forwarded_and_other_names_are_not() -> None:
    """The machine's host name (``/etc/hosts``: 127.0.0.1), ``0.0.0.0`` (what uvicorn prints
    for ``--host 0.0.0.0``), ``localhost.`` and IPv4's loopback in IPv6 were refused as a
    rebound page's: a connector on this machine calls the proxy by them. A name another site
    may serve pages under is still refused (with --admin-token it goes)."""
    this_machine = [socket.gethostname(), "0.0.0.0", "[::]", "localhost.", "[::ffff:127.0.0.1]"]
    others = ["host.docker.internal", "evil.test.", "192.0.2.1"]
    with WireUpstream(ROWS_ANSWER) as upstream:
        app = create_proxy_app({"quoparts": with_credentials(upstream)})
        with MockServer(app=app) as proxy, httpx.Client(base_url=proxy.url) as http:
            port = proxy.url.rsplit(":", 1)[1]
            listing = {"listCli": "", "token": "x"}
            answers = {
                name: http.get(QP, params=listing, headers={"Host": f"{name}:{port}"})
                for name in this_machine + others
            }
    assert {name: answers[name].status_code for name in this_machine} == dict.fromkeys(
        this_machine, 200
    )
    assert len(_authorised(upstream.received)) == len(this_machine)
    for name in others:
        assert answers[name].status_code == 403
        assert f"a call for host '{name}:{port}'" in answers[name].headers[DETAIL_HEADER]


def _raw_get(url: str, *host_lines: str) -> tuple[int, dict[str, str]]:
    """A GET of ``QP`` to the server at ``url`` with these ``Host``/``Origin`` lines, as sent
    on the wire (a client library sends one ``Host`` of its own): its status and headers."""
    address = urlsplit(url)
    head = [f"GET {QP}?login= HTTP/1.1", *host_lines, "Connection: close"]
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    status_line, *lines = received.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    fields = (line.partition(":") for line in lines)
    return int(status_line.split()[1]), {k.lower(): v.strip() for k, _, v in fields}


def test_two_hosts_or_a_host_that_is_no_host_and_port_is_refused_and_redirects_nowhere() -> None:
    """The rule read the last ``Host`` (and the name before any ``:``), the ``Location``
    rewrite the first, as sent: ``Host: evil.example`` then ``Host: 127.0.0.1`` reached the
    sandbox and its redirect pointed at ``http://evil.example``; so did ``127.0.0.1:1@evil
    .example``. Both are refused as a page's; with --admin-token, forwarded, the redirect
    names the address the proxy was called on."""

    def redirect(_: Received) -> bytes:
        to = f"{upstream.url}/api/ws_quoparts.php?login=&token=abc"
        return f"HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n".encode()

    two_hosts = ("Host: evil.example", "Host: 127.0.0.1")
    two_origins = ("Origin: http://127.0.0.1", "Origin: http://evil.test")
    with WireUpstream(redirect) as upstream:
        app = create_proxy_app({"quoparts": with_credentials(upstream)})
        with MockServer(app=app) as proxy:
            port = proxy.url.rsplit(":", 1)[1]
            refused = {
                "two": _raw_get(proxy.url, *two_hosts),
                "userinfo": _raw_get(proxy.url, "Host: 127.0.0.1:1@evil.example"),
                "origins": _raw_get(proxy.url, "Host: 127.0.0.1", *two_origins),
            }
            named = _raw_get(proxy.url, f"Host: localhost:{port}")
        app = create_proxy_app({"quoparts": upstream.base_url("api")}, TOKEN_CONFIG)
        with MockServer(app=app) as proxy:
            tokened = _raw_get(proxy.url, *two_hosts)
    for status, headers in refused.values():
        assert status == 403 and "--admin-token" in headers[DETAIL_HEADER.lower()]
    assert "a call with 2 Host headers" in refused["two"][1][DETAIL_HEADER.lower()]
    assert "'127.0.0.1:1@evil.example'" in refused["userinfo"][1][DETAIL_HEADER.lower()]
    assert "a call with 2 Origin headers" in refused["origins"][1][DETAIL_HEADER.lower()]
    location = f"http://localhost:{port}/quoparts/ws_quoparts.php?login=&token=abc"
    assert named[0] == 302 and named[1]["location"] == location
    assert tokened[0] == 302 and tokened[1]["location"].startswith(f"{proxy.url}/quoparts/")
    assert len(upstream.received) == 2  # the connector's call and the tokened one


def test_with_an_admin_token_the_proxy_forwards_every_call() -> None:
    """The token is the authority then, as for the admin API: the proxy may listen where other
    machines' connectors reach it, by any name."""
    with WireUpstream(ROWS_ANSWER) as upstream:
        app = create_proxy_app({"quoparts": with_credentials(upstream)}, TOKEN_CONFIG)
        with MockServer(app=app) as proxy, httpx.Client(base_url=proxy.url) as http:
            page = {"Host": "proxy.example:8000", "Origin": "http://evil.test"}
            answer = http.get(QP, params={"listCli": "", "token": "x"}, headers=page)
    assert answer.status_code == 200 and len(_authorised(upstream.received)) == 1


def test_a_page_the_vendor_serves_runs_no_script_on_the_proxy_s_origin(tmp_path: Path) -> None:
    """The proxy's origin is the admin API's: a vendor's page with a script (a help page that
    reflects its query) drove the admin API as its own origin. Every forwarded answer is
    sandboxed; the journal and the recording keep the vendor's headers as it sent them."""
    page = b"<title>help</title><script>fetch('/__admin/faults', {method: 'POST'})</script>"
    help_page = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n"
        b"content-security-policy: default-src 'self'\r\ncontent-length: %d\r\n\r\n%s"
        % (len(page), page)
    )
    with WireUpstream(help_page) as upstream:
        app = create_proxy_app({"quoparts": upstream.base_url("api")}, record=tmp_path)
        with MockServer(app=app) as proxy, httpx.Client(base_url=proxy.url) as http:
            answer = http.get("/quoparts/help.html", params={"q": "<script>"})
            (entry,) = http.get("/__admin/requests").json()
    assert answer.content == page
    policies = answer.headers.get_list("content-security-policy")
    assert policies == ["default-src 'self'", "sandbox"]  # the vendor's kept: both apply
    assert entry["response_headers"]["content-security-policy"] == "default-src 'self'"
    (recording,) = tmp_path.glob("quoparts-*.har")
    (recorded,) = json.loads(recording.read_text())["log"]["entries"]
    kept = [h["value"] for h in recorded["response"]["headers"]]
    assert "default-src 'self'" in kept and "sandbox" not in kept
