"""``mockservers replay`` sends what a recording shows and compares what it gets: an answer whose
``Content-Encoding`` does not decode is compared as it came; no header the recording does not
show is added. The servers are stand-ins on a socket."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockservers.cli import main
from tests.proxying import WireUpstream


def _answer(body: bytes, content_type: str, *more: str) -> bytes:
    head = [f"content-type: {content_type}", f"content-length: {len(body)}", *more]
    return ("HTTP/1.1 200 OK\r\n" + "".join(f"{h}\r\n" for h in head) + "\r\n").encode() + body


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
