"""``mockservers replay`` sends the bytes a recording shows and compares the bytes it gets: a
body that is no UTF-8 (Latin-1 with its charset, or bytes that are no text) is recorded and
sent again as it went; an answer whose ``Content-Encoding`` does not decode is compared as it
came; no header the recording does not show is added. The servers are stand-ins on a socket."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import pytest

from contracts import contract
from mockservers.cli import main
from tests.proxying import Received, WireUpstream, proxied

LATIN_1 = "text/xml; charset=iso-8859-1"
FORM = "application/x-www-form-urlencoded; charset=iso-8859-1"
BINARY = bytes(range(256))


def _answer(body: bytes, content_type: str, *more: str) -> bytes:
    """An answer, saying that the stand-in closes the connection after it (as it does): a
    client that reused it raced the close (a replay's second call: "no answer: ReadError")."""
    head = [f"content-type: {content_type}", f"content-length: {len(body)}", *more]
    head.append("connection: close")
    return ("HTTP/1.1 200 OK\r\n" + "".join(f"{h}\r\n" for h in head) + "\r\n").encode() + body


def _sandbox(city: str) -> WireUpstream:
    """A vendor answering its XML in Latin-1, or bytes that are no text."""

    def answer(received: Received) -> bytes:
        if received.request_line[1].endswith(b"/binary"):
            return _answer(BINARY, "application/octet-stream")
        return _answer(f"<r><m>{city}</m></r>".encode("latin-1"), LATIN_1)

    return WireUpstream(answer)


def test_bodies_that_are_no_utf_8_are_recorded_and_replayed_as_they_went(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A recording kept bodies as UTF-8 text with replacement characters: a replay sent other
    bytes than the connector had ("città" in Latin-1 went as three bytes of U+FFFD), and an
    answer that changed only there compared equal."""
    form = "città=più".encode("latin-1")
    with _sandbox("Città") as vendor:
        with proxied(vendor, ("xtra",), record=tmp_path) as (_, http):
            http.post("/xtra/form", content=form, headers={"Content-Type": FORM})
            http.post("/xtra/binary", content=b"\xff\xfe\x00raw")
        (recording,) = tmp_path.glob("*.har")
        args = ["replay", str(recording), "--base-url", vendor.base_url("xtra")]
        assert main(args) == 0, capsys.readouterr().out
    document = json.loads(recording.read_text("utf-8"))
    assert contract("har/har").check(document) == []
    text, binary = (entry for entry in document["log"]["entries"])
    assert text["request"]["postData"] == {"mimeType": FORM, "text": "città=più"}
    assert text["response"]["content"]["text"] == "<r><m>Città</m></r>"
    posted, answered = binary["request"]["postData"], binary["response"]["content"]
    assert (posted["_encoding"], answered["encoding"]) == ("base64", "base64")
    assert base64.b64decode(answered["text"]) == BINARY
    sent = [received.body for received in vendor.received]
    assert sent == [form, b"\xff\xfe\x00raw"] * 2  # recorded, then replayed
    with _sandbox("Cittè") as changed:
        args = ["replay", str(recording), "--base-url", changed.base_url("xtra")]
        assert main(args) == 1
    assert 'body: "<r><m>Città</m></r>" (recorded) vs "<r><m>Cittè</m></r>"' in (
        capsys.readouterr().out
    )


def _recording(folder: Path, answer: dict[str, object], headers: list[dict[str, str]]) -> Path:
    """A HAR file of one GET of QuoParts's login, answered ``answer`` (its ``content``)."""
    entry = {
        "_vendor": "quoparts",
        "request": {
            "method": "GET",
            "url": "http://elsewhere/quoparts/ws_quoparts.php?login=",
            "headers": headers,
        },
        "response": {"status": 200, "content": answer},
    }
    recording = folder / "other.har"
    recording.write_text(json.dumps({"log": {"entries": [entry]}}), "utf-8")
    return recording


def test_an_answer_whose_coding_does_not_decode_is_compared_as_it_came(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A gzip answer that is no gzip was reported as "no answer: DecodingError (--timeout)";
    the proxy passes such an answer on as it came, and that is what its recording holds."""
    broken = b"not gzip at all"
    answer = _answer(broken, "text/plain", "content-encoding: gzip")
    recorded = {"mimeType": "text/plain", "text": broken.decode()}
    recording = _recording(tmp_path, recorded, [])
    with WireUpstream(answer) as vendor:
        args = ["replay", str(recording), "--base-url", vendor.base_url("quoparts")]
        assert main(args) == 0
    assert "every answer the same" in capsys.readouterr().out


def test_a_replay_sends_the_headers_the_recording_shows_and_no_others(tmp_path: Path) -> None:
    """The replay's HTTP client added its own User-Agent, Accept, Accept-Encoding and
    Connection: a call the connector never sent."""
    headers = [{"name": "X-Client", "value": "erp"}, {"name": "Accept", "value": "text/xml"}]
    recording = _recording(tmp_path, {"mimeType": "application/json", "text": "{}"}, headers)
    answer = _answer(b"{}", "application/json")
    with WireUpstream(answer) as vendor:
        main(["replay", str(recording), "--base-url", vendor.base_url("quoparts")])
    (received,) = vendor.received
    lines = received.head.decode("latin-1").split("\r\n")[1:]
    sent = sorted(line.partition(":")[0].lower() for line in lines)
    assert sent == ["accept", "host", "x-client"]
    assert "accept: text/xml" in received.head.decode("latin-1").lower()


@pytest.mark.parametrize("codec", ["hex", "base64", "rot13", "zlib"])
def test_a_charset_that_names_no_text_encoding_is_passed_on_recorded_and_replayed(
    tmp_path: Path, codec: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``charset=hex`` (a codec of bytes to bytes Python knows) was taken for a text encoding:
    decoding a body in it raised LookupError, and the connector got a 500 with ``--record``
    or ``--shadow`` for an answer the vendor gave; ``replay`` crashed on it."""
    content_type = f"application/json; charset={codec}"
    body = b'{"Username": "mario", "Password": "Xtra-S3cret-pw"}'
    login = "/xtra/api/sync/v1/login"
    answer = '{"result": "città"}'.encode()
    with WireUpstream(_answer(answer, content_type)) as vendor:
        for options in ({"record": tmp_path}, {"shadow": True}):
            with proxied(vendor, ("xtra",), **options) as (_, http):
                got = http.post(login, content=body, headers={"Content-Type": content_type})
            assert (got.status_code, got.content) == (200, answer)
        (recording,) = tmp_path.glob("*.har")
        args = ["replay", str(recording), "--base-url", vendor.base_url("xtra")]
        assert main(args) == 0, capsys.readouterr().out
    assert "Xtra-S3cret-pw" not in recording.read_text("utf-8")
    assert [received.request_line[1] for received in vendor.received] == [
        b"/xtra/api/sync/v1/login"
    ] * 3  # recorded, shadowed, replayed


def test_a_compressed_request_is_replayed_in_its_coding_its_password_filled_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recording keeps a gzip body decoded (masked: its bytes kept the password); a replay
    fills the password in and sends it in gzip again. One the proxy could not decode, which
    the recording does not keep, is not sent again."""
    monkeypatch.setenv("MOCKSERVERS_REPLAY_PASSWORD", "Replay-pw-1")
    login = {"Username": "mario", "Password": "Gz-S3cret-pw"}
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    path = "/xtra/api/sync/v1/login"
    with WireUpstream(_answer(b'{"statusCode": 200}', "application/json")) as vendor:
        with proxied(vendor, ("xtra",), record=tmp_path) as (_, http):
            http.post(path, content=gzip.compress(json.dumps(login).encode()), headers=headers)
            http.post(path, content=b"Password=x", headers=headers | {"Content-Encoding": "br"})
        (recording,) = tmp_path.glob("*.har")
        assert main(["replay", str(recording), "--base-url", vendor.base_url("xtra")]) == 0
    assert "Gz-S3cret-pw" not in recording.read_text("utf-8")
    assert len(vendor.received) == 3  # two recorded, one replayed
    replayed = vendor.received[2]
    assert b"\r\ncontent-encoding: gzip\r\n" in replayed.head.lower()
    assert json.loads(gzip.decompress(replayed.body)) == login | {"Password": "Replay-pw-1"}
    assert "#2 login POST /api/sync/v1/login: not sent (its body was not recorded: " in (
        capsys.readouterr().out
    )


def test_a_replay_sends_the_recorded_query_and_body_only_filled_in_values_written_anew(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A replay wrote every query and JSON body again whole: a Latin-1 ``%E0`` went as
    ``%EF%BF%BD``, the flag ``login`` as ``login=``, ``%20`` as ``+``, ``@`` as ``%40``,
    ``1e3`` as ``1000.0``, ``14.570`` as ``14.57``, a name given twice once. Only the password
    it fills in (masked in the recording) is written anew."""
    query = "login&username=Citt%E0&x=a%20b&mail=a@b.it&password=Quo-pw-123&y=%7e"
    body = b'{"n": 1e3, "z": -0, "p": 14.570, "k": "a", "k": "b"}'
    target = f"/quoparts/ws_quoparts.php?{query}".encode()
    rows = _answer(b'{"errorCode": "0", "error": "", "data": []}', "application/json")
    with WireUpstream(rows) as vendor:
        with proxied(vendor, ("quoparts",), record=tmp_path) as (_, http):
            json_type = {"Content-Type": "application/json"}
            http.post("/", content=body, headers=json_type, extensions={"target": target})
        (recording,) = tmp_path.glob("*.har")
        args = ["replay", str(recording), "--base-url", vendor.base_url("quoparts")]
        assert main([*args, "--password", "Quo-pw-123"]) == 0, capsys.readouterr().out
    assert "Quo-pw-123" not in recording.read_text("utf-8")
    connector, replayed = vendor.received
    assert replayed.request_line == connector.request_line
    assert connector.request_line[1] == target
    assert replayed.body == connector.body == body
