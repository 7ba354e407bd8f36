"""The kit over a real socket where HTTP itself is at stake: a client that waits for ``100
Continue`` before it sends its body is told of a refusal first, and the connection stays in step."""

from __future__ import annotations

import socket
from contextlib import ExitStack
from urllib.parse import urlsplit

import orjson
import pytest

from contracts import contract
from mockservers.proxy import create_proxy_app
from mockservers.testing import MockServer

OVER = 10**9
"""A declared length over every default limit."""
PATHS = {
    "quoparts": "/quoparts/ws_quoparts.php?importCli&token=t",
    "xtra": "/xtra/api/sync/v1/irs/update",
    "keepit": "/keepit/api?cmd=insertClient_v3&appId=KEEPIT&applicationId=KEEPIT",
    "tsdigital": "/tsdigital/api/v3/items",
}


def _connect(server: MockServer) -> socket.socket:
    address = urlsplit(server.url)
    return socket.create_connection((address.hostname, address.port), timeout=10)


def _head(method: str, target: str, length: int | str, *extra: str) -> bytes:
    lines = [
        f"{method} {target} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Content-Length: {length}",
        "Expect: 100-continue",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a blocking read: a server
    waiting for a body that never comes fails the test with a timeout)."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def _answer(received: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = received.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines)
    return status, headers, body


WEBSOCKET = (
    "Host: 127.0.0.1",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
)
"""A browser's WebSocket handshake."""
QP_LOGIN = "/quoparts/ws_quoparts.php?login=&username=demo&password=demo"


def test_a_websocket_handshake_is_answered_as_the_plain_get_it_also_is(
    mockserver: MockServer,
) -> None:
    """No vendor serves a WebSocket: its server answers the ``GET`` as any other, a path that
    takes no ``GET`` with its 405, one it does not serve with its 404. Each was uvicorn's bare
    403, never journalled."""
    targets = (QP_LOGIN, "/xtra/api/sync/v1/login", "/keepit/nowhere")
    answers = {target.split("/")[1]: _handshake(mockserver, target) for target in targets}
    status, _, body = answers["quoparts"]
    assert status == "HTTP/1.1 200 OK" and orjson.loads(body)["data"][0]["TOKEN"]
    status, headers, body = answers["xtra"]
    assert status == "HTTP/1.1 405 Method Not Allowed" and headers["allow"] == "post"
    assert contract("xtra/error.response").check(orjson.loads(body)) == []
    status, _, body = answers["keepit"]
    assert status == "HTTP/1.1 404 Not Found"
    assert contract("keepit/error.response").check(orjson.loads(body)) == []
    journal = [(e["vendor"], e["method"], e["status"]) for e in mockserver.requests()]
    assert sorted(journal) == [
        ("keepit", "GET", 404),
        ("quoparts", "GET", 200),
        ("xtra", "GET", 405),
    ]


def test_behind_the_proxy_a_websocket_handshake_goes_upstream_as_a_plain_get(
    mockserver: MockServer,
) -> None:
    """The fake answered it, for the prefix the proxy forwards: never the upstream's answer."""
    proxy_app = create_proxy_app({"quoparts": mockserver.base_url("quoparts")})
    with MockServer(app=proxy_app) as proxy:
        status, _, body = _handshake(proxy, QP_LOGIN)
        (entry,) = proxy.requests(vendor="quoparts")
    assert status == "HTTP/1.1 200 OK" and orjson.loads(body)["data"][0]["TOKEN"]
    assert (entry["source"], entry["status"]) == ("upstream", 200)
    (sent,) = mockserver.requests(vendor="quoparts")
    assert "upgrade" not in sent["headers"]  # hop by hop: a plain GET upstream


def _handshake(server: MockServer, target: str) -> tuple[str, dict[str, str], bytes]:
    """The answer to a WebSocket handshake for ``target``."""
    with _connect(server) as sock:
        sock.sendall(("\r\n".join([f"GET {target} HTTP/1.1", *WEBSOCKET]) + "\r\n\r\n").encode())
        return _answer(_until_closed(sock))


@pytest.mark.parametrize("vendor", list(PATHS))
def test_a_body_declared_over_the_limit_is_refused_before_it_is_sent(
    mockserver: MockServer, vendor: str
) -> None:
    """The refusal comes first, not ``100 Continue``: the client never uploads the body; the
    connection then closes (kept open, the client's next request would be read as the body it
    held back)."""
    with _connect(mockserver) as sock:
        sock.sendall(_head("POST", PATHS[vendor], OVER))
        status, headers, body = _answer(_until_closed(sock))
    assert status == "HTTP/1.1 413 Request Entity Too Large"
    assert headers["connection"] == "close"
    assert contract(f"{vendor}/error.response").check(orjson.loads(body)) == []
    (entry,) = mockserver.requests(vendor=vendor)
    assert entry["status"] == 413 and "larger than" in entry["detail"]
    # Nothing of the body was read: no verdict on it (it was judged an empty body).
    assert mockserver.admin("GET", f"/requests/{entry['id']}")["verdict"] is None


@pytest.mark.parametrize(
    ("method", "target", "limit"),
    [
        ("PUT", "/__admin/state/quoparts", "max_state_bytes"),
        ("POST", "/__admin/faults", "max_body"),
    ],
)
def test_an_admin_body_declared_over_its_limit_is_refused_before_it_is_sent(
    mockserver: MockServer, method: str, target: str, limit: str
) -> None:
    with _connect(mockserver) as sock:
        sock.sendall(_head(method, target, 2**31))  # 2 GiB: over a state load's 1 GiB too
        status, headers, body = _answer(_until_closed(sock))
    assert status == "HTTP/1.1 413 Request Entity Too Large"
    assert headers["connection"] == "close" and limit in orjson.loads(body)["error"]


def test_a_body_within_the_limit_is_asked_for_and_answered(mockserver: MockServer) -> None:
    body = b'{"Username": "demo", "Password": "demo"}'
    target = "/xtra/api/sync/v1/login"
    with _connect(mockserver) as sock:
        keys = ("SyncPublicKey: demo-public", "SyncSecretKey: demo-secret")
        sock.sendall(_head("POST", target, len(body), *keys, "Connection: close"))
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        status, _, answer = _answer(_until_closed(sock))
    assert status == "HTTP/1.1 200 OK", answer
    assert orjson.loads(answer)["result"]["Username"] == "demo"


@pytest.mark.parametrize(
    ("padded", "proxied"),
    [("0" * 17 + "40", False), ("0" * 40 + "40", False), ("0" * 17 + "40", True)],
)
def test_a_content_length_with_leading_zeros_is_read_as_its_value(
    mockserver: MockServer, padded: str, proxied: bool
) -> None:
    """RFC 9110: ``Content-Length = 1*DIGIT``; uvicorn reads ``0…040`` as 40, and so must the
    limit check (past 18 digits it took any length for one over every limit: a 413). The proxy
    passes the header on as sent, which its HTTP client writes up to 20 digits."""
    body = b'{"Username": "demo", "Password": "demo"}'
    assert len(body) == int(padded)
    keys = ("SyncPublicKey: demo-public", "SyncSecretKey: demo-secret", "Connection: close")
    with ExitStack() as servers:
        server = mockserver
        if proxied:
            proxy_app = create_proxy_app({"xtra": mockserver.base_url("xtra")})
            server = servers.enter_context(MockServer(app=proxy_app))
        sock = servers.enter_context(_connect(server))
        sock.sendall(_head("POST", "/xtra/api/sync/v1/login", padded, *keys))
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        status, _, answer = _answer(_until_closed(sock))
    assert status == "HTTP/1.1 200 OK", answer
    assert orjson.loads(answer)["result"]["Username"] == "demo"


def test_an_admin_body_s_content_length_with_leading_zeros_is_read_as_its_value(
    mockserver: MockServer,
) -> None:
    with _connect(mockserver) as sock:
        sock.sendall(_head("POST", "/__admin/reset", "0" * 30 + "2", "Connection: close"))
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"{}")
        status, _, answer = _answer(_until_closed(sock))
    assert status == "HTTP/1.1 200 OK", answer


@pytest.mark.parametrize(
    "target", ["/quoparts/openapi.json", "/__admin/health", "/keepit/no/such/path"]
)
def test_a_call_refused_before_its_body_is_read_closes_the_connection(
    mockserver: MockServer, target: str
) -> None:
    """A method the path does not answer, a path no route serves: answered at once, and the
    connection closes rather than read the next request as the body."""
    with _connect(mockserver) as sock:
        sock.sendall(_head("POST", target, 10))
        status, headers, _ = _answer(_until_closed(sock))
    assert status.split(" ")[1] in ("404", "405") and headers["connection"] == "close"


def test_a_connection_whose_body_was_read_stays_open(mockserver: MockServer) -> None:
    """Only a call whose body was never asked for closes: a keep-alive client's next call on
    the same connection is answered."""
    with _connect(mockserver) as sock:
        for _ in range(2):
            sock.sendall(_head("POST", "/__admin/reset", 2))
            assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
            sock.sendall(b"{}")
            status, headers, _ = _answer(sock.recv(65536))
            assert status == "HTTP/1.1 200 OK" and "connection" not in headers


def test_the_proxy_refuses_a_body_declared_over_the_limit_before_it_is_sent(
    mockserver: MockServer,
) -> None:
    """Behind ``mockservers proxy`` too: the vendor's 413 first, nothing forwarded."""
    proxy_app = create_proxy_app({"keepit": mockserver.base_url("keepit")})
    with MockServer(app=proxy_app) as proxy, _connect(proxy) as sock:
        sock.sendall(_head("POST", PATHS["keepit"], OVER))
        status, headers, _ = _answer(_until_closed(sock))
        (entry,) = proxy.requests(vendor="keepit")
    assert status == "HTTP/1.1 413 Request Entity Too Large" and headers["connection"] == "close"
    assert (entry["source"], entry["status"]) == ("proxy", 413)
    assert mockserver.requests() == []


@pytest.mark.parametrize(
    "request_head",
    [
        "POST /keepit/api HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3",  # which one?
        "POST /keepit/api HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked",
        "POST /keepit/api HTTP/1.1\r\nContent-Length: two",
        "GET /quoparts/ws_quoparts.php?login&username=\xe9 HTTP/1.1",  # not percent-encoded
        f"GET /quoparts/ws_quoparts.php?login&{'x' * 70_000} HTTP/1.1",  # over 64 KiB
    ],
)
def test_a_request_that_cannot_be_read_is_the_http_layer_s_own_400(
    mockserver: MockServer, request_head: str
) -> None:
    """Refused by uvicorn's parser before any vendor or the journal sees it (as documented: a
    body framed two ways is how requests are smuggled): a 400, the connection closed, never a
    500; the server goes on answering."""
    with _connect(mockserver) as sock:
        sock.sendall(f"{request_head}\r\nHost: 127.0.0.1\r\n\r\n{{}}".encode("latin-1"))
        status, headers, body = _answer(_until_closed(sock))
    assert (status, body) == ("HTTP/1.1 400 Bad Request", b"Invalid HTTP request received.")
    assert headers["connection"] == "close"
    assert mockserver.requests() == []
