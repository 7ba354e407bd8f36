"""``mockservers proxy``: the vendor's answers as the connector must get them through a proxy on a
socket. A 304 keeps the connector's connection, a redirect or a cookie of the vendor's stays on
the proxy (and one naming a URL no parser reads gets no 500), a connection the vendor closed as the
proxy reused it costs an idempotent call no 502 (and a POST is never sent twice), a sandbox's own
CA can be trusted, and a large answer does not hold up the other calls. The upstreams are
stand-ins on a socket, answering bytes of their own making."""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockservers.proxy import create_proxy_app
from mockservers.testing import MockServer, SyncASGITransport
from tests.proxying import QP, ROWS_ANSWER, KeptAlive, Received, WireUpstream
from tests.servers import embedded, serving

LOGIN = {"login": "", "username": "demo", "password": "demo"}
SHORT_READS = httpx.Timeout(0.2, connect=10)
"""A read timeout a held answer runs out soon."""


def _http(status: str, body: bytes = b"", *headers: tuple[str, str]) -> bytes:
    """An answer's bytes: ``status`` as ``304 Not Modified``, its headers as given."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return f"HTTP/1.1 {status}\r\n{head}\r\n".encode("latin-1") + body


OK = _http("200 OK", b"{}", ("content-type", "application/json"), ("content-length", "2"))


def _by_path(answers: dict[str, bytes]) -> Callable[[Received], bytes]:
    """A stand-in's answer by the path it is asked for (``OK`` for any other)."""
    return lambda received: answers.get(received.request_line[1].decode().split("?")[0], OK)


def _on(ports: set[int], response: httpx.Response) -> httpx.Response:
    """``response``, its connection's own port (the connector's side) added to ``ports``."""
    ports.add(response.extensions["network_stream"].get_extra_info("client_addr")[1])
    return response


def test_an_answer_without_a_body_keeps_the_connector_s_connection() -> None:
    """A 304 may give the Content-Length of the 200 it stands for: passed on, the server found
    no body of that length ("Exception in ASGI application") and closed the connection. A
    HEAD's Content-Length passes as it came."""
    not_modified = _http("304 Not Modified", b"", ("etag", '"v1"'), ("content-length", "555"))
    no_content = _http("204 No Content", b"", ("content-length", "0"))
    head = _http("200 OK", b"", ("content-type", "application/json"), ("content-length", "12345"))
    answers = {"/quoparts/cached": not_modified, "/quoparts/gone": no_content, QP: head}
    with WireUpstream(_by_path(answers)) as upstream:
        app = create_proxy_app({"quoparts": upstream.base_url("quoparts")})
        with MockServer(app=app) as proxy, httpx.Client(base_url=proxy.url) as http:
            ports: set[int] = set()  # the connector's connections the answers came on
            cached = _on(ports, http.get("/quoparts/cached", headers={"If-None-Match": '"v1"'}))
            gone = _on(ports, http.delete("/quoparts/gone"))
            headed = _on(ports, http.head(QP, params=LOGIN))
            after = _on(ports, http.get("/quoparts/other"))
    assert (cached.status_code, cached.headers["etag"]) == (304, '"v1"')
    assert "content-length" not in cached.headers and "content-length" not in gone.headers
    assert (gone.status_code, after.status_code) == (204, 200)
    assert (headed.headers["content-length"], headed.content) == ("12345", b"")
    assert len(ports) == 1


def test_the_vendor_s_redirects_and_cookies_stay_on_the_proxy() -> None:
    """A redirect to the vendor's own URL sent the connector past the proxy, and a cookie for
    the vendor's base path was never sent back to the proxy's ``/<vendor>/...``: both name the
    proxy's, as a reverse proxy's ``ProxyPassReverse`` does; other places stay as they are."""

    def answer(received: Received) -> bytes:
        place = received.request_line[1].decode().removeprefix("/sandbox/api/")
        locations = {
            "absolute": f"{upstream.url}/sandbox/api/next.php?a=1",
            "rooted": "/sandbox/api/next.php",
            "relative": "next.php",
            "beside": "/sandbox/apix/next.php",
            "elsewhere": "https://other.example/sandbox/api/next.php",
        }
        if place in locations:
            return _http("302 Found", b"", ("location", locations[place]), ("content-length", "0"))
        if place == "cookies":
            return _http(
                "200 OK",
                b"{}",
                ("set-cookie", "sid=S3ss10nId; path=/sandbox/api; HttpOnly"),
                ("set-cookie", "lang=it; Domain=127.0.0.1; Path=/sandbox/api/x"),
                ("set-cookie", "site=1; Path=/"),
                ("content-length", "2"),
            )
        return OK

    with WireUpstream(answer) as upstream:
        app = create_proxy_app({"quoparts": f"{upstream.url}/sandbox/api"})
        with MockServer(app=app) as proxy, httpx.Client(base_url=proxy.url) as http:
            moved = {
                p: http.get(f"/quoparts/{p}").headers["location"] for p in ("rooted", "absolute")
            }
            kept = {
                p: http.get(f"/quoparts/{p}").headers["location"]
                for p in ("relative", "beside", "elsewhere")
            }
            followed = http.get("/quoparts/absolute", follow_redirects=True)
            cookies = http.get("/quoparts/cookies").headers.get_list("set-cookie")
            http.get("/quoparts/echo")
    assert moved == {
        "rooted": "/quoparts/next.php",
        "absolute": f"{proxy.url}/quoparts/next.php?a=1",
    }
    assert kept == {
        "relative": "next.php",
        "beside": "/sandbox/apix/next.php",
        "elsewhere": "https://other.example/sandbox/api/next.php",
    }
    assert followed.status_code == 200
    assert upstream.received[-3].request_line[1] == b"/sandbox/api/next.php?a=1"
    assert cookies == [
        "sid=S3ss10nId; path=/quoparts; HttpOnly",
        "lang=it; Path=/quoparts/x",
        "site=1; Path=/",
    ]
    sent_back = upstream.received[-1].head.lower()
    assert b"cookie: " in sent_back and b"sid=s3ss10nid" in sent_back


def test_an_answer_naming_a_url_no_parser_reads_is_passed_on_and_journalled_masked(
    tmp_path: Path,
) -> None:
    """``Content-Location: http://[::1/cb?token=...``, an IPv6 address never closed: the URL
    parser refused it as its token was masked for the journal, and the connector got a 500 for
    the vendor's answer."""
    url = "http://[::1/cb?token=Redir-T0k-999&x=1"
    page = _http(
        "200 OK",
        b"{}",
        ("content-location", url),
        ("refresh", f"5; url={url}"),
        ("content-length", "2"),
    )
    with WireUpstream(page) as upstream:
        app = create_proxy_app({"quoparts": upstream.base_url("quoparts")}, record=tmp_path)
        with MockServer(app=app) as proxy, httpx.Client(base_url=proxy.url) as http:
            got = http.get("/quoparts/page")
            listed = http.get("/__admin/requests").json()
    assert (got.status_code, got.headers.get("content-location")) == (200, url)
    (entry,) = listed
    masked = "http://[::1/cb?token=***&x=1"
    assert entry["response_headers"]["content-location"] == masked
    assert entry["response_headers"]["refresh"] == f"5; url={masked}"
    (recording,) = tmp_path.glob("*.har")
    assert "Redir-T0k-999" not in recording.read_text("utf-8")


def test_an_idempotent_call_the_vendor_closed_as_the_proxy_reused_it_is_tried_again() -> None:
    """The vendor closes an idle connection just as the proxy sends the next call on it (its
    idle timeout): the connector got a 502 the vendor never sent. A GET (QuoParts's login)
    goes once more, on a connection of its own."""
    with WireUpstream(OK, idle_close=True) as upstream:
        app = create_proxy_app({"quoparts": upstream.base_url("quoparts")})
        with MockServer(app=app) as proxy, httpx.Client(base_url=proxy.url) as http:
            first = http.get(QP, params={**LOGIN, "n": "1"})
            second = http.get(QP, params={**LOGIN, "n": "2"})
            journal = http.get("/__admin/requests").json()
    assert (first.status_code, second.status_code) == (200, 200)
    assert [r.request_line[1][-3:] for r in upstream.received] == [b"n=1", b"n=2"]
    assert [r.request_line[1][-3:] for r in upstream.dropped] == [b"n=2"]
    assert [e["source"] for e in journal] == ["upstream", "upstream"]


def test_a_post_the_vendor_closed_unanswered_on_a_reused_connection_is_not_sent_again() -> None:
    """Every vendor's POST writes (an import, an insert): sent once more, a vendor that had
    applied it before it closed the connection (a worker that crashed after its commit) got
    it twice, while the connector and the journal saw one call. RFC 9110 §9.2.2: "A proxy
    MUST NOT automatically retry non-idempotent requests". Its 502 says so."""
    with WireUpstream(OK, idle_close=True) as upstream:
        app = create_proxy_app({"keepit": upstream.base_url("keepit")})
        with MockServer(app=app) as proxy, httpx.Client(base_url=proxy.url) as http:
            first = http.post("/keepit/api?cmd=insertClient_v3", json={"n": 1})
            second = http.post("/keepit/api?cmd=insertClient_v3", json={"n": 2})
            journal = http.get("/__admin/requests").json()
    assert (first.status_code, second.status_code) == (200, 502)
    assert [json.loads(r.body) for r in upstream.received] == [{"n": 1}]
    assert [json.loads(r.body) for r in upstream.dropped] == [{"n": 2}]  # once, not again
    detail = second.headers["x-mockservers-detail"]
    assert detail == journal[0]["detail"]
    assert detail.endswith(
        "Server disconnected without sending a response; not sent again, as no POST is"
        " (RFC 9110 9.2.2: it is not idempotent): the vendor may or may not have applied it"
    )


def test_a_post_goes_on_a_fresh_connection_where_the_vendor_closed_the_idle_one() -> None:
    """The vendor closed the connection after its answer (an idle timeout that ran out before
    the next call): the next POST is not sent on it, so it is answered, not refused for a
    close the proxy could have seen."""
    with WireUpstream(OK) as upstream:  # closes each connection after its answer
        app = create_proxy_app({"keepit": upstream.base_url("keepit")})
        with MockServer(app=app) as proxy, httpx.Client(base_url=proxy.url) as http:
            first = http.post("/keepit/api?cmd=insertClient_v3", json={"n": 1})
            assert upstream.closed.acquire(timeout=10)
            second = http.post("/keepit/api?cmd=insertClient_v3", json={"n": 2})
    assert (first.status_code, second.status_code) == (200, 200)
    assert [json.loads(r.body) for r in upstream.received] == [{"n": 1}, {"n": 2}]


def test_a_base_path_with_an_encoded_character_is_rewritten_as_the_vendor_spells_it() -> None:
    """The base path was compared decoded (``/sand box/api``) with the vendor's own URLs,
    which spell it encoded: no redirect nor cookie path under it was ever rewritten."""
    answer = _http(
        "302 Found",
        b"",
        ("location", "/sand%20box/api/next.php"),
        ("set-cookie", "sid=S3ss10nId; Path=/sand%20box/api"),
        ("content-length", "0"),
    )
    with WireUpstream(answer) as upstream:
        app = create_proxy_app({"quoparts": f"{upstream.url}/sand%20box/api"})
        with MockServer(app=app) as proxy, httpx.Client(base_url=proxy.url) as http:
            moved = http.get("/quoparts/login")
    assert (moved.headers["location"], moved.headers["set-cookie"]) == (
        "/quoparts/next.php",
        "sid=S3ss10nId; Path=/quoparts",
    )
    assert upstream.received[0].request_line[1] == b"/sand%20box/api/login"


def test_a_call_the_vendor_began_to_answer_on_a_reused_connection_is_not_sent_again() -> None:
    """The vendor took the call (a POST that inserts) and sent part of its status line before
    the connection dropped: httpcore says "Server disconnected without sending a response"
    all the same, and the call went twice. Only a call that read not a byte goes again."""
    with WireUpstream(OK, idle_close=b"HTTP/1.1 201 Cre") as upstream:
        app = create_proxy_app({"keepit": upstream.base_url("keepit")})
        with MockServer(app=app) as proxy, httpx.Client(base_url=proxy.url) as http:
            first = http.post("/keepit/api?cmd=insertClient_v3", json={"n": 1})
            second = http.post("/keepit/api?cmd=insertClient_v3", json={"n": 2})
    assert (first.status_code, second.status_code) == (200, 502)
    assert [json.loads(r.body) for r in upstream.received] == [{"n": 1}]
    assert [json.loads(r.body) for r in upstream.dropped] == [{"n": 2}]  # once, not again


def test_a_call_that_timed_out_on_a_reused_connection_is_not_sent_again() -> None:
    """The vendor took the call on a connection an earlier call had opened, and was slower to
    answer than the read timeout: the timeout was taken for a connection the vendor closed, so
    the import went once more on a connection of its own (written twice at the vendor) and the
    connector waited twice the timeout for its 502. A vendor slow to answer has the call."""
    with KeptAlive(ROWS_ANSWER) as upstream:  # the login answered, the import never
        app = create_proxy_app({"quoparts": upstream.base_url("quoparts")}, timeout=SHORT_READS)
        with httpx.Client(transport=SyncASGITransport(app), base_url="http://proxy") as http:
            login = http.get(QP, params=LOGIN)
            imported = http.post(QP, params={"importCli": "", "token": "T0k"}, json={"data": []})
            journal = http.get("/__admin/requests").json()
        sent = [r.request_line[0] for r in upstream.received]
    assert (login.status_code, imported.status_code) == (200, 502)
    assert imported.headers["x-mockservers-detail"].endswith(
        "ReadTimeout: no byte within 0.2 s (the read timeout)"
    )
    assert sent == [b"GET", b"POST"]  # the import once
    assert [e["source"] for e in journal] == ["proxy", "upstream"]


def test_a_new_connection_closed_unanswered_is_a_502_at_once() -> None:
    """Only a reused connection is tried again: a vendor that drops a call on a connection of
    its own dropped it for a reason, and is not sent it twice."""
    with WireUpstream(b"") as upstream:
        app = create_proxy_app({"keepit": upstream.base_url("keepit")})
        with MockServer(app=app) as proxy, httpx.Client(base_url=proxy.url) as http:
            answer = http.post("/keepit/api?cmd=insertClient_v3", json={})
    assert answer.status_code == 502
    detail = answer.headers["x-mockservers-detail"]
    assert "Server disconnected" in detail and "not sent again, as no POST is" in detail
    assert len(upstream.received) == 1


def test_a_502_says_which_time_limit_ran_out_or_that_the_vendor_reset_the_connection() -> None:
    """The detail named only httpx's exception ("ReadError", "ConnectTimeout"), which says
    nothing of the limit or of what the vendor did. A vendor that resets the connection after
    reading the call; one whose accept queue is full (a connection never completes)."""
    with socket.create_server(("127.0.0.1", 0)) as resetting:
        thread = threading.Thread(target=_reset_one, args=(resetting,), daemon=True)
        thread.start()
        vendor = f"http://127.0.0.1:{resetting.getsockname()[1]}"
        reset = _detail(vendor)
        thread.join()
    with socket.socket() as full:
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        url = f"http://127.0.0.1:{full.getsockname()[1]}"
        waiting = [socket.socket() for _ in range(3)]  # more than its queue holds
        for client in waiting:
            client.setblocking(False)
            client.connect_ex(full.getsockname())
        try:
            unconnected = _detail(url, httpx.Timeout(5, connect=0.2))
        finally:
            for client in waiting:
                client.close()
    assert reset == f"{vendor}/quoparts: ReadError: the upstream closed or reset the connection"
    assert unconnected == (
        f"{url}/quoparts: ConnectTimeout: no connection within 0.2 s (the connect timeout)"
    )


def _reset_one(server: socket.socket) -> None:
    """Take one call, read it, and reset the connection (no answer)."""
    connection, _ = server.accept()
    connection.recv(65536)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def _detail(url: str, timeout: httpx.Timeout | None = None) -> str:
    """The detail of the 502 a proxy in front of ``url`` answers a QuoParts login with."""
    options = {"timeout": timeout} if timeout is not None else {}
    app = create_proxy_app({"quoparts": f"{url}/quoparts"}, **options)
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://proxy") as http:
        answer = http.get(QP, params=LOGIN)
    assert answer.status_code == 502
    return answer.headers["x-mockservers-detail"]


def test_a_sandbox_with_a_ca_of_its_own_is_trusted_with_cacert(tmp_path: Path) -> None:
    """``replay`` and ``fuzz`` took ``--cacert``, the proxy did not: every call to such a
    sandbox was a 502, which did not say what to give."""
    from mockservers.app import create_app
    from mockservers.serving import self_signed

    ca, cert, key = self_signed(tmp_path)
    tls = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    with embedded(create_app(), **tls) as url:
        sandbox = url.replace("http://", "https://") + "/quoparts"
        app = create_proxy_app({"quoparts": sandbox})
        with MockServer(app=app) as proxy:
            refused = httpx.get(proxy.url + QP, params=LOGIN)
        with serving(
            "--upstream", f"quoparts={sandbox}", "--cacert", str(ca), command="proxy"
        ) as served:
            trusted = httpx.get(served.url + QP, params=LOGIN)
    assert refused.status_code == 502
    detail = refused.headers["x-mockservers-detail"]
    assert "CERTIFICATE_VERIFY_FAILED" in detail and "--cacert FILE" in detail
    assert trusted.status_code == 200 and trusted.json()["errorCode"] == "0"


def _a_small_call_while_held(
    proxy: MockServer,
    large_call: Callable[[], httpx.Response],
    held: threading.Event,
    answered: threading.Event,
) -> tuple[httpx.Response, httpx.Response]:
    """``large_call`` sent from a thread; once the proxy holds it (``held``), a small login
    through the proxy, then ``answered`` lets the large one go. The two answers."""
    large: list[httpx.Response] = []
    caller = threading.Thread(target=lambda: large.append(large_call()))
    caller.start()
    assert held.wait(timeout=20)
    small = httpx.get(proxy.url + QP, params=LOGIN, timeout=20)
    answered.set()
    caller.join()
    return small, large[0]


@pytest.mark.parametrize("large_side", ["answer", "request"])
def test_a_large_exchange_is_judged_while_other_calls_are_answered(
    monkeypatch: pytest.MonkeyPatch, large_side: str
) -> None:
    """An answer of 12 MB was judged, masked and journalled on the event loop: every other
    call through the proxy waited seconds; a request of 12 MB still was, its answer small.
    Here the large exchange's verdict waits until a small call has been answered: on the
    event loop, that call could never be."""
    from mockservers.proxy import endpoint
    from mockservers.proxy.offload import LARGE

    rows = json.dumps([{"COD_CLI": f"{n:06d}"} for n in range(LARGE // 20)]).encode()
    big = _http(
        "200 OK", rows, ("content-type", "application/json"), ("content-length", str(len(rows)))
    )
    judging, answered = threading.Event(), threading.Event()
    waited: list[bool] = []
    judge = endpoint.verdict

    def slow_verdict(*args: object, body: bytes, answer: bytes, **kwargs: object) -> object:
        if max(len(body), len(answer)) >= LARGE:
            judging.set()
            waited.append(answered.wait(timeout=20))
        return judge(*args, body=body, answer=answer, **kwargs)  # type: ignore[arg-type]

    def call() -> httpx.Response:
        if large_side == "answer":
            return httpx.get(proxy.url + "/quoparts/big")
        return httpx.post(proxy.url + "/quoparts/small", content=rows, timeout=20)

    monkeypatch.setattr(endpoint, "verdict", slow_verdict)
    with WireUpstream(_by_path({"/quoparts/big": big})) as upstream:
        app = create_proxy_app({"quoparts": upstream.base_url("quoparts")})
        with MockServer(app=app) as proxy:
            small, large = _a_small_call_while_held(proxy, call, judging, answered)
    assert small.status_code == 200 and waited == [True]
    assert large.status_code == 200
    assert large.content == (rows if large_side == "answer" else b"{}")


def test_a_large_request_is_read_for_the_shadow_while_other_calls_are_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With ``--shadow``, a request of 12 MB was read whole (its JSON parsed, the vendor's
    values in it put in the fake's) on the event loop, before its call went to the fake: every
    other call through the proxy waited. Here that reading waits until a small call, shadowed
    too, has been answered: on the event loop, that call could never be."""
    from mockservers.core.generated import Request
    from mockservers.proxy import shadow
    from mockservers.proxy.offload import LARGE

    rows = json.dumps([{"COD_CLI": f"{n:06d}"} for n in range(LARGE // 20)]).encode()
    reading, answered = threading.Event(), threading.Event()
    waited: list[bool] = []

    class SlowRequest(Request):
        @classmethod
        def of(  # type: ignore[override]
            cls, query: object, headers: object, body: bytes, **options: Any
        ) -> Request:
            if len(body) >= LARGE:
                reading.set()
                waited.append(answered.wait(timeout=20))
            return super().of(query, headers, body, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(shadow, "Request", SlowRequest)
    with WireUpstream(OK) as upstream:
        app = create_proxy_app({"quoparts": upstream.base_url("quoparts")}, shadow=True)
        with MockServer(app=app) as proxy:

            def post() -> httpx.Response:
                return httpx.post(proxy.url + "/quoparts/small", content=rows, timeout=20)

            small, large = _a_small_call_while_held(proxy, post, reading, answered)
            journal = httpx.get(proxy.url + "/__admin/requests").json()
    assert small.status_code == 200 and waited == [True]
    assert large.status_code == 200 and large.content == b"{}"
    assert [e["shadow"] is not None for e in journal] == [True, True]  # both were compared
