"""``mockservers proxy``: the vendor's answers as the connector must get them through a proxy on a
socket. A 304 keeps the connector's connection. The upstreams are stand-ins on a socket,
answering bytes of their own making."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from mockservers.proxy import create_proxy_app
from mockservers.testing import MockServer
from tests.proxying import QP, Received, WireUpstream

LOGIN = {"login": "", "username": "demo", "password": "demo"}


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
