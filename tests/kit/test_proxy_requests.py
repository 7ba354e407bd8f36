"""What the proxy keeps of a connector's request, seen through its journal (the list, the opened
entry and its curl line) and its recording: no secret the request carried, however it carried
it. The upstream is a socket that answers with bytes of the test's making."""

from __future__ import annotations

import base64
import gzip
import json
import logging
import zlib
from pathlib import Path

import httpx
import pytest

from contracts import contract
from mockservers.core.secretnames import MASK
from mockservers.proxy import create_proxy_app
from mockservers.testing import SyncASGITransport
from tests.proxying import (
    QP,
    ROWS_ANSWER,
    STORED,
    XTRA_LOGIN,
    KeptAlive,
    Received,
    WireUpstream,
    proxied,
    with_credentials,
)

HAR = contract("har/har")


def answer(body: bytes, *headers: str, status: int = 200) -> bytes:
    """An upstream's answer: ``body`` as JSON, with these header lines."""
    lines = [
        f"HTTP/1.1 {status} X",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def kept(http: httpx.Client, folder: Path) -> str:
    """Everything the proxy kept of its calls: the journal listed, each entry opened (with its
    curl line), and the recording."""
    listed = http.get("/__admin/requests")
    opened = [http.get(f"/__admin/requests/{e['id']}").text for e in listed.json()]
    recordings = [path.read_text("utf-8") for path in sorted(folder.glob("*.har"))]
    return "\n".join([listed.text, *opened, *recordings])


def test_a_basic_credential_s_password_the_vendor_echoes_is_blotted_out(tmp_path: Path) -> None:
    echo = answer(b'{"errorCode": "100", "error": "wrong password hunter22xyz", "data": []}')
    with (
        WireUpstream(echo) as upstream,
        proxied(upstream, ("quoparts",), record=tmp_path) as (_, http),
    ):
        passed = http.get(QP, params={"login": ""}, auth=("mario", "hunter22xyz"))
        found = kept(http, tmp_path)
    assert "hunter22xyz" in passed.text  # the connector gets the vendor's answer unchanged
    assert "hunter22xyz" not in found and "wrong password ***" in found


def test_the_upstream_url_s_credentials_the_vendor_echoes_are_blotted_out(tmp_path: Path) -> None:
    """The user:password of ``--upstream`` goes as HTTP Basic, which the proxy adds itself: it
    was never learned, and a sandbox quoting the request's head left it in clear in the journal
    and the recording, where a connector's own Basic credential was blotted out."""
    user, password = STORED
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()

    def quoting(received: Received) -> bytes:
        quoted = json.dumps({"errorCode": "101", "error": received.head.decode(), "data": []})
        return answer(quoted.encode(), "Connection: close")

    with WireUpstream(quoting) as upstream:
        app = create_proxy_app({"quoparts": with_credentials(upstream)}, record=tmp_path)
        with httpx.Client(transport=SyncASGITransport(app), base_url="http://proxy") as http:
            passed = http.get(QP, params={"login": ""})
            found = kept(http, tmp_path)
    assert f"Basic {basic}" in passed.text  # the connector gets the vendor's answer unchanged
    for secret in (basic, f"{user}:{password}", password):
        assert secret not in found, secret
    assert "Authorization: ***" in found


def test_the_upstream_url_s_credentials_go_as_basic_and_into_no_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """httpx's request line showed the ``--upstream`` URL's user:password in clear: the URL
    the proxy calls holds none, and the credential goes as the same ``Authorization`` it went
    as before (the connector's own replaced, as httpx's Basic auth replaced it)."""
    caplog.set_level(logging.DEBUG)
    user, password = STORED
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    with WireUpstream(ROWS_ANSWER) as upstream:
        app = create_proxy_app({"quoparts": with_credentials(upstream)})
        with httpx.Client(transport=SyncASGITransport(app), base_url="http://proxy") as http:
            passed = http.get(QP, params={"login": ""}, headers={"Authorization": "Basic eDp5"})
    assert passed.status_code == 200
    (received,) = upstream.received
    authorizations = [
        line for line in received.head.split(b"\r\n") if line.lower().startswith(b"authorization:")
    ]
    assert authorizations == [f"Authorization: Basic {basic}".encode()]
    assert password not in caplog.text
    assert f"HTTP Request: GET {upstream.url}/api/ws_quoparts.php" in caplog.text


@pytest.mark.parametrize(
    ("fragment", "masked"),
    [
        ("token=frag-T0ken-123&x=1", "token=***&x=1"),
        ("/cb?token=frag-T0ken-123", "/cb?token=***"),  # a hash router's route and query
        ("x=1;token=frag-T0ken-123", "x=1;token=***"),
    ],
)
def test_a_token_in_a_redirect_s_fragment_is_masked(
    tmp_path: Path, fragment: str, masked: str
) -> None:
    redirect = answer(b"", f"Location: https://sandbox.example/cb#{fragment}")
    with (
        WireUpstream(redirect) as upstream,
        proxied(upstream, ("quoparts",), record=tmp_path) as (_, http),
    ):
        passed = http.get(QP, params={"login": ""})
        found = kept(http, tmp_path)
    assert passed.headers["location"].endswith(f"#{fragment}")
    assert "frag-T0ken-123" not in found and f"#{masked}" in found


LOGIN = {"Username": "mario", "Password": "Gz-S3cret-pw"}
ECHO = answer(b'{"statusCode": 401, "message": "Password Gz-S3cret-pw errata"}', status=401)
PACKED = {"gzip": gzip.compress, "deflate": zlib.compress}


@pytest.mark.parametrize("coding", PACKED)
def test_a_compressed_request_is_read_masked_and_judged_as_its_content(
    tmp_path: Path, coding: str
) -> None:
    """A gzip body was kept as it came: the recording's base64 and the curl line's bytes gave
    the password back to anyone who decompressed them, nothing was learned from it (the
    vendor's echo stayed), and the contracts judged the compressed bytes (no JSON)."""
    packed = PACKED[coding](json.dumps(LOGIN).encode())
    headers = {"Content-Type": "application/json", "Content-Encoding": coding}
    with (
        WireUpstream(ECHO) as upstream,
        proxied(upstream, ("xtra",), record=tmp_path) as (_, http),
    ):
        http.post(XTRA_LOGIN, content=packed, headers=headers)
        found = kept(http, tmp_path)
        (listed,) = http.get("/__admin/requests").json()
        entry = http.get(f"/__admin/requests/{listed['id']}").json()
    assert upstream.received[0].body == packed  # the vendor gets it as it came
    assert "Gz-S3cret-pw" not in found and "Password *** errata" in found
    assert (entry["request"], entry["request_format"]) == (LOGIN | {"Password": MASK}, "json")
    assert entry["verdict"]["request"] == []  # a login as the contract wants it
    assert entry["curl"].endswith("""--data-raw '{"Username":"mario","Password":"***"}'""")
    assert "content-encoding" not in entry["curl"].lower()  # it goes decoded
    document = json.loads(next(tmp_path.glob("*.har")).read_text("utf-8"))
    assert HAR.check(document) == []
    request = document["log"]["entries"][0]["request"]
    assert request["bodySize"] == len(packed)
    posted = request["postData"]
    assert json.loads(posted.pop("text")) == LOGIN | {"Password": MASK}  # its content, masked
    assert posted == {"mimeType": "application/json", "_coding": coding}


@pytest.mark.parametrize("case", ["unknown coding", "not gzip", "past the limit"])
def test_a_compressed_request_that_cannot_be_read_whole_is_kept_nowhere(
    tmp_path: Path, case: str
) -> None:
    """What cannot be decoded cannot be masked: neither the journal nor the recording keeps
    it, and its body is not judged; the vendor still gets it as it came. A content past the
    body limit is not judged or recorded either; the journal shows its start, masked, as it
    shows the start of a long text."""
    plain = b"Username=mario&Password=Gz-S3cret-pw"
    body, coding = {
        "unknown coding": (plain, "br"),
        "not gzip": (plain, "gzip"),
        "past the limit": (gzip.compress(plain + b" " * 10_000), "gzip"),
    }[case]
    config = {"kit": {"max_body_bytes": 4096}}
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": coding}
    with (
        WireUpstream(ECHO) as upstream,
        proxied(upstream, ("xtra",), config, record=tmp_path) as (_, http),
    ):
        http.post(XTRA_LOGIN, content=body, headers=headers)
        found = kept(http, tmp_path)
        (listed,) = http.get("/__admin/requests").json()
        entry = http.get(f"/__admin/requests/{listed['id']}").json()
    assert upstream.received[0].body == body
    assert "Gz-S3cret-pw" not in found.replace("Password Gz-S3cret-pw errata", "")
    assert base64.b64encode(body).decode() not in found
    note = f"({len(body)} bytes in {coding}, not shown: "
    if case == "past the limit":
        assert entry["request"].startswith("Username=mario&Password=***   ")
    else:
        assert entry["request"].startswith(note) and entry["request_format"] == "text"
    assert entry["verdict"]["request"][-1].startswith(f"xtra: its body in {coding} is not judged")
    assert f"# its body ({len(body)} bytes in {coding}) left out: " in entry["curl"]
    posted = json.loads(next(tmp_path.glob("*.har")).read_text("utf-8"))["log"]["entries"][0]
    assert posted["request"]["postData"]["text"] == ""
    assert posted["request"]["postData"]["_withheld"] is True


def test_a_502_quoting_an_earlier_answer_shows_none_of_the_proxy_s_secrets() -> None:
    """A vendor whose ``Content-Length`` fell short (characters counted, not bytes) left the
    rest of its answer on the connection, quoting the first call's password; the next call read
    it as its status line, and its 502's detail quoted it, scrubbed of the second call's
    secrets only, in ``X-Mockservers-Detail`` and the journal. The quote stays, blotted out."""
    echo = "Password errata: Earlier-S3cret per l'utente è bloccato".encode()
    short = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
    short += b"Content-Length: 17\r\n\r\n" + echo
    with KeptAlive(short, ROWS_ANSWER) as upstream, proxied(upstream, ("quoparts",)) as (_, http):
        first = {"login": "", "username": "demo", "password": "Earlier-S3cret"}
        http.get(QP, params=first)
        later = http.get(QP, params={"login": "", "username": "other", "password": "Later-pw-1"})
        listed = http.get("/__admin/requests?limit=1").json()
        opened = http.get(f"/__admin/requests/{listed[0]['id']}").text
    assert later.status_code == 502
    detail = later.headers["x-mockservers-detail"]
    assert "illegal status line" in detail and "*** per l" in detail
    assert "Earlier-S3cret" not in detail + json.dumps(listed) + opened
