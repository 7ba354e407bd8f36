"""What the proxy tests share: a connector's calls to each vendor (every operation, good and
refused), driven through any client, a transport that keeps what went over the wire, and an
upstream on a socket that answers with bytes of its own making.

The flows take their IDs and tokens from the answers, as a connector does, so that through a
proxy with a shadow they send the vendor's values and the shadow must translate them.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from mockservers.proxy import ProxyApp, create_proxy_app
from mockservers.testing import MockServer, SyncASGITransport
from tests.conftest import ACCOUNTS
from tests.data import KEEPIT_SUBJECT

VENDORS = ("quoparts", "xtra", "tsdigital", "keepit")
QP = "/quoparts/ws_quoparts.php"
XTRA_LOGIN = "/xtra/api/sync/v1/login"
XTRA_UPDATE = "/xtra/api/sync/v1/irs/update"
ITEMS = "/tsdigital/api/v3/items"
KEEPIT = "/keepit/api"
KEEPIT_QUERY = {"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"}

QP_USER, QP_PASSWORD = "alice", "Quo-S3cret-pw"
KEEPIT_HEADERS = {
    "username": "alice",
    "password": "Keep-S3cret-pw",
    "companyId": "7",
    "siteId": "3",
}
XTRA_KEYS = {"SyncPublicKey": "acme-public", "SyncSecretKey": "Xtra-S3cret-key"}
XTRA_USER, XTRA_PASSWORD = "mario", "Xtra-S3cret-pw"
SECRETS = (QP_PASSWORD, KEEPIT_HEADERS["password"], XTRA_KEYS["SyncSecretKey"], XTRA_PASSWORD)
"""The configured secrets (:data:`tests.conftest.ACCOUNTS`): none may reach a journal, a log or
a recording."""
TS_HEADERS = {"X-App-Name": "my-erp", "X-App-Version": "1.0"}

CUSTOMER = {"DES_NOM": "Rossi S.r.l.", "COD_PTA_IVA": "12345678901", "COD_CLI_ERP": "CLI001"}
ARTICLE = {"DES_RGR": "Filtro", "COD_ART_PVT": "1883037", "IMP_LST_PVT": 14.57, "QTA_DET_PVT": 1}
IDENTITY = {"FIDGroup": 2, "TypologyIds": [2], "Denomination": "Rossi S.r.l."}
DESTINATION = {"FIDGroup": 2, "TypologyIds": [9], "Denomination": "Magazzino", "Alias": "M"}


def quote(**header: str) -> dict[str, Any]:
    testata = {"COD_TGA": "TE001ST", "DES_VCL": "FORD B-Max", **header}
    return {"data": {"testata": testata, "articoli": [ARTICLE]}}


def keepit_customer(code: str, action: str = "I", **subjects: Any) -> dict[str, Any]:
    return {
        "action": action,
        "subjects": {"customerCode": code, **KEEPIT_SUBJECT, **subjects},
        "contacts": [{"contactType": "EMAIL", "value": f"{code.lower()}@example.it"}],
    }


@dataclass
class Issued:
    """Tokens the vendor issued during a flow: secrets too."""

    tokens: list[str] = field(default_factory=list)


def quoparts_flow(http: httpx.Client, issued: Issued, refusals: bool = True) -> None:
    """login (refused and) good, importCli (a new customer, a bad row, again), importPvt by the
    COD_CLI it got and by an unknown customer, no method, (a bad token).

    Without ``refusals``, no call sends a wrong secret (a recording masks secrets, so a replay
    cannot tell a wrong one from the right one)."""
    if refusals:
        http.get(QP, params={"login": "", "username": QP_USER, "password": "wrong-password"})
    login = http.get(QP, params={"login": "", "username": QP_USER, "password": QP_PASSWORD})
    token = login.json()["data"][0]["TOKEN"]
    issued.tokens.append(token)
    cli = {"importCli": "", "token": token}
    rows = http.post(QP, params=cli, json={"data": [CUSTOMER, {"COD_CLI_ERP": "BAD"}]})
    cod_cli = rows.json()["data"][0]["COD_CLI"]
    http.post(QP, params=cli, json={"data": [CUSTOMER]})
    pvt = {"importPvt": "", "token": token}
    http.post(QP, params=pvt, json=quote(COD_CLI=cod_cli))
    http.post(QP, params=pvt, json=quote(COD_CLI_ERP="NOBODY"))
    http.post(QP, params={"token": token}, json={"data": []})
    if refusals:
        http.post(QP, params={"importCli": "", "token": "not-a-token"}, json={"data": [CUSTOMER]})


def xtra_flow(http: httpx.Client, issued: Issued, refusals: bool = True) -> None:
    """login (refused and) good; the user's own identity by AccessToken (debug on); an insert
    with destinations and contacts, its update by the IDs it got, a duplicate key; a contact
    form; (wrong keys)."""
    if refusals:
        http.post(XTRA_LOGIN, json={"Username": XTRA_USER, "Password": "wrong-password"})
    login = http.post(XTRA_LOGIN, json={"Username": XTRA_USER, "Password": XTRA_PASSWORD})
    result = login.json()["result"]
    issued.tokens += [result["Token"], result["RefreshToken"]]
    own = {"AccessToken": result["Token"]}
    http.post(
        XTRA_UPDATE,
        params={"debug": "true"},
        headers=own,
        json=[{"ID": result["IRID"], "Surname": "Bianchi"}],
    )
    record = IDENTITY | {
        "ExternalKey": "EXT-1",
        "Destinations": [DESTINATION | {"ExternalKey": "D-1"}, DESTINATION],
        "Contacts": [{"ExternalKey": "C-1", "Value": "0131"}],
    }
    (first,) = http.post(XTRA_UPDATE, headers=XTRA_KEYS, json=[record]).json()["result"]["records"]
    change = {
        "ID": first["Item1"],
        "Denomination": "Rossi S.p.A.",
        "Destinations": [{"ID": first["Item5"]["D-1"], "City": "Asti"}],
        "Contacts": [{"ID": first["Item6"]["C-1"], "Value": "0131 1"}],
    }
    http.post(XTRA_UPDATE, headers=XTRA_KEYS, json=[change])
    http.post(XTRA_UPDATE, headers=XTRA_KEYS, json=[IDENTITY | {"ExternalKey": "EXT-1"}])
    form = {"EMail": "anna@example.it", "Surname": "Verdi", "Name": "Anna", "WebReasonID": 13}
    http.post(XTRA_UPDATE, params={"contactForm": "true"}, headers=XTRA_KEYS, json=[form])
    if refusals:
        wrong = XTRA_KEYS | {"SyncSecretKey": "wrong-secret"}
        http.post(XTRA_UPDATE, headers=wrong, json=[IDENTITY])


def tsdigital_flow(http: httpx.Client, issued: Issued, token: str, refusals: bool = True) -> None:
    """An item accepted, one refused for a missing header, (one for an unknown token)."""
    issued.tokens.append(token)
    bearer = {"Authorization": f"Bearer {token}", **TS_HEADERS}
    item = {"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}}
    http.post(ITEMS, headers=bearer, json=item)
    http.post(ITEMS, headers={"Authorization": f"Bearer {token}"}, json=item)
    if refusals:
        unknown = {"Authorization": "Bearer not-a-token", **TS_HEADERS}
        http.post(ITEMS, headers=unknown, json=item)


def keepit_flow(http: httpx.Client, issued: Issued, refusals: bool = True) -> None:
    """An insert, its update by the progId it got, a duplicate, an unknown alias, (a wrong
    password)."""
    first = http.post(
        KEEPIT,
        params=KEEPIT_QUERY,
        headers=KEEPIT_HEADERS,
        json={"subjectsRecords": [keepit_customer("C1")]},
    )
    prog_id = first.json()["insertedObjects"][0]["progId"]
    update = keepit_customer("C1", "U", progId=prog_id, city="Asti")
    http.post(
        KEEPIT, params=KEEPIT_QUERY, headers=KEEPIT_HEADERS, json={"subjectsRecords": [update]}
    )
    again = {"subjectsRecords": [keepit_customer("C1")]}
    http.post(KEEPIT, params=KEEPIT_QUERY, headers=KEEPIT_HEADERS, json=again)
    http.post(
        KEEPIT, params={**KEEPIT_QUERY, "cmd": "deleteClient"}, headers=KEEPIT_HEADERS, json={}
    )
    if refusals:
        wrong = KEEPIT_HEADERS | {"password": "wrong-password"}
        http.post(KEEPIT, params=KEEPIT_QUERY, headers=wrong, json=again)


def every_flow(http: httpx.Client, upstream: MockServer, refusals: bool = True) -> Issued:
    """Every vendor's flow; TS Digital's bearer minted on the upstream (as TS ID would)."""
    issued = Issued()
    quoparts_flow(http, issued, refusals)
    xtra_flow(http, issued, refusals)
    token = upstream.admin("POST", "/tsdigital/tokens", json={"kind": "user"})["token"]
    tsdigital_flow(http, issued, token, refusals)
    keepit_flow(http, issued, refusals)
    return issued


@contextmanager
def proxied(
    upstream: MockServer | WireUpstream,
    vendors: tuple[str, ...] = VENDORS,
    config: Any = ACCOUNTS,
    **options: Any,
) -> Iterator[tuple[ProxyApp, httpx.Client]]:
    """A proxy app in front of ``upstream`` for ``vendors``, and a client on it (in-process)."""
    app = create_proxy_app({v: upstream.base_url(v) for v in vendors}, config, **options)
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://proxy") as client:
        yield app, client


@dataclass
class Exchange:
    request: httpx.Request
    body: bytes
    response: httpx.Response
    raw: bytes


class _Raw(httpx.AsyncByteStream):
    """A body not read yet (httpx reads a ``ByteStream`` at once, and the proxy streams)."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.raw


class Capture(httpx.AsyncBaseTransport):
    """An HTTP transport that keeps each request as sent and each answer as received (raw); the
    request goes on with its extensions (a request ``target`` among them)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = b"".join([chunk async for chunk in request.stream])  # type: ignore[union-attr]
        sent = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=body,
            extensions=request.extensions,
        )
        response = await self.inner.handle_async_request(sent)
        raw = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
        await response.aclose()
        self.exchanges.append(Exchange(sent, body, response, raw))
        return httpx.Response(response.status_code, headers=response.headers, stream=_Raw(raw))

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Received:
    """A request as an upstream read it off its socket."""

    head: bytes
    """The request line and the headers, as they came."""
    body: bytes

    @property
    def request_line(self) -> list[bytes]:
        """``[method, target, version]``."""
        return self.head.split(b"\r\n", 1)[0].split(b" ")


class _Listening:
    """A socket on a free port of the loopback, for an upstream of the test's making: its URL,
    a vendor's base URL on it, and its close (which wakes a thread waiting in ``accept``)."""

    def __init__(self) -> None:
        self._over = threading.Event()
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def base_url(self, vendor: str) -> str:
        return f"{self.url}/{vendor}"

    def _stop_listening(self) -> None:
        self._over.set()
        self._socket.shutdown(socket.SHUT_RDWR)  # wakes the accept
        self._socket.close()


class WireUpstream(_Listening):
    """An upstream on a socket that answers every call with ``answer``, bytes of its own making
    (an HTTP/1.0 status line, a gzip body, a forward proxy's answer), or with what ``answer``
    makes of the request (a vendor that answers its login otherwise than the rest), and keeps
    each request as it came over the wire. One connection a call: it closes each after its
    answer; with ``hold``, only when the test is over (an answer cut short never ends); with
    ``trickle``, a space follows every ``trickle`` seconds until then (an answer never ends,
    and no wait for its next byte is long); with ``idle_close``, when the next request comes
    on it, unanswered (kept in ``dropped``): a server whose idle timeout ran out as the client
    reused the connection; or after ``idle_close`` bytes of an answer to it (a status line
    begun: a server that took the request, and went down while it answered)."""

    def __init__(
        self,
        answer: bytes | Callable[[Received], bytes],
        *,
        hold: bool = False,
        trickle: float = 0.0,
        idle_close: bool | bytes = False,
    ) -> None:
        self.answer = answer
        self.hold = hold
        self.trickle = trickle
        self.idle_close = idle_close
        self._open: socket.socket | None = None
        self.received: list[Received] = []
        self.dropped: list[Received] = []
        self.closed = threading.Semaphore(0)
        """Released as each connection is closed."""
        super().__init__()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> WireUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_listening()
        if self._open is not None:  # wakes a wait for a request that never comes
            with suppress(OSError):
                self._open.shutdown(socket.SHUT_RDWR)
        self._thread.join()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:  # shut down
                return
            with _released(self.closed), connection:  # released once it is closed
                self._open = connection
                received = _read_request(connection)
                self.received.append(received)
                answer = self.answer if isinstance(self.answer, bytes) else self.answer(received)
                try:
                    connection.sendall(answer)
                except OSError:  # the client gave up first (a deadline cut the connection)
                    continue
                if self.idle_close:
                    with suppress(OSError):  # the client may reset it rather than close it
                        if (again := _read_request(connection)).head:
                            self.dropped.append(again)
                            if isinstance(self.idle_close, bytes):
                                connection.sendall(self.idle_close)
                if self.hold:
                    self._over.wait()
                while self.trickle and not self._over.wait(self.trickle):
                    try:
                        connection.sendall(b" ")
                    except OSError:  # the client gave up
                        break


@contextmanager
def _released(semaphore: threading.Semaphore) -> Iterator[None]:
    """Release ``semaphore`` once the block is over (and the resources it opened closed)."""
    try:
        yield
    finally:
        semaphore.release()


class KeptAlive(_Listening):
    """An upstream on a socket that keeps each connection open between calls, as a vendor's
    server does, every connection served in a thread of its own: the ``n``th request, on
    whichever connection it comes, is answered ``answers[n]`` (bytes of the test's making);
    past them, or where one is None, it is held unanswered until the test is over (a vendor
    slow to answer). Every request is kept in ``received`` as it came."""

    def __init__(self, *answers: bytes | None) -> None:
        self.answers = answers
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._connections: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        super().__init__()
        self._accepting = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> KeptAlive:
        self._accepting.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_listening()
        self._accepting.join()
        with self._lock:
            for connection in self._connections:  # wakes a wait for the next request
                with suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:  # shut down
                return
            with self._lock:
                self._connections.append(connection)
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        with connection, suppress(OSError):
            while not self._over.is_set():
                received = _read_request(connection)
                if not received.head:  # the client closed it
                    return
                with self._lock:
                    self.received.append(received)
                    at = len(self.received) - 1
                answer = self.answers[at] if at < len(self.answers) else None
                if answer is None:
                    self._over.wait()
                    return
                connection.sendall(answer)


ROWS = b'{"errorCode":"0","error":"","data":[]}'
_JSON_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
ROWS_ANSWER = _JSON_HEAD + b"content-length: %d\r\n\r\n" % len(ROWS) + ROWS
"""A QuoParts answer of no rows, as a sandbox's socket sends it."""
STORED = ("alice", "s3cret-pass")
"""The credentials a user keeps in the upstream's URL (:func:`with_credentials`)."""


def with_credentials(upstream: WireUpstream) -> str:
    """``upstream``'s base URL for QuoParts with :data:`STORED` in it, as a user gives
    ``--upstream`` for a sandbox behind Basic authentication."""
    user, password = STORED
    return upstream.url.replace("http://", f"http://{user}:{password}@") + "/api"


def gzip_in_http_1_0(body: bytes) -> tuple[bytes, bytes]:
    """An answer as an old server sends it, in HTTP/1.0 with ``body`` gzipped; and the gzip."""
    packed = gzip.compress(body)
    head = b"HTTP/1.0 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n"
    return head + b"content-length: %d\r\n\r\n" % len(packed) + packed, packed


def _read_request(connection: socket.socket) -> Received:
    """One request's head, and its body by its ``Content-Length``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    fields = [line.partition(b":") for line in head.split(b"\r\n")[1:]]
    length = next((int(v) for k, _, v in fields if k.strip().lower() == b"content-length"), 0)
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return Received(head, body)


def dump(found: Any) -> str:
    """Anything as one text, to search it for secrets."""
    return json.dumps(found, default=str)


def answer(body: bytes, content_type: str = "application/json", *headers: str) -> bytes:
    """A vendor's whole answer on the wire: 200, ``body`` of ``content_type``, these headers,
    and the connection closed after it."""
    head = [
        "HTTP/1.1 200 OK",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *headers,
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def shown(tmp_path: Path, vendor: WireUpstream, *calls: dict[str, object]) -> tuple[str, str]:
    """The journal (every entry opened, with its curl line) and the recording, after these
    calls through a proxy in front of ``vendor``."""
    with proxied(vendor, ("quoparts",), record=tmp_path) as (_, http):
        for call in calls:
            http.request(**{"method": "GET", "url": QP, **call})  # type: ignore[arg-type]
        listed = http.get("/__admin/requests").json()
        opened = [http.get(f"/__admin/requests/{entry['id']}").json() for entry in listed]
    (recording,) = tmp_path.glob("*.har")
    return json.dumps(opened, ensure_ascii=False), recording.read_text("utf-8")
