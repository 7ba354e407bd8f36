"""A body whose ``Content-Type`` declares UTF-16 but whose bytes are UTF-8 (a connector's wrong
label): its password is found in both readings, so neither the journal (its body, its curl
line), nor the recording (its ``postData``, base64 or not), nor a vendor's echo of it shows it,
on ``serve`` and through the proxy alike. Read only as UTF-16, the body was mojibake in which
no mask found the password: the curl line and the recording carried it in clear, the journal
carried it in a text that gave it back once encoded as UTF-16, and a vendor's echo of it was
never blotted out."""

from __future__ import annotations

import base64
import binascii
import json
import re
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

from mockservers import create_app
from mockservers.testing import IN_PROCESS_URL, SyncASGITransport
from tests.conftest import ACCOUNTS
from tests.proxying import (
    KEEPIT,
    KEEPIT_HEADERS,
    KEEPIT_QUERY,
    XTRA_LOGIN,
    Received,
    WireUpstream,
    proxied,
)

PASSWORD = "u16UpperPw92"


class Call(NamedTuple):
    """A vendor's call carrying :data:`PASSWORD` in its JSON body, under the name ``secret``."""

    vendor: str
    url: str
    params: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]
    secret: str


CALLS = [
    Call(
        "xtra",
        XTRA_LOGIN,
        {},
        {},
        {"Username": "mario", "Password": PASSWORD},
        "Password",
    ),
    Call(
        "keepit",
        KEEPIT,
        KEEPIT_QUERY,
        KEEPIT_HEADERS,
        {"subjectsRecords": [], "password": PASSWORD},
        "password",
    ),
]
LABELS = [
    ("application/json; charset=utf-16", b""),
    ("application/json; charset=utf-16le", b""),
    ("application/json; charset=UTF-16BE", b""),
    ("text/plain; charset=utf-16", b""),
    ("application/json; charset=utf-16", b" "),  # an odd length
    ("application/json; charset=utf-16", b"\xef\xbb\xbf"),  # after a UTF-8 BOM
]
LABEL_IDS = ["utf-16", "utf-16le", "utf-16be", "text-plain", "odd-length", "utf-8-bom"]


def sent(http: httpx.Client, call: Call, content_type: str, pad: bytes) -> httpx.Response:
    """``call`` with its body in UTF-8 (``pad`` before it: a BOM, or a space that makes its
    length odd), labelled ``content_type``."""
    body = json.dumps(call.body).encode()
    body = pad + body if pad.startswith(b"\xef") else body + pad
    headers = {**call.headers, "Content-Type": content_type}
    return http.post(call.url, params=call.params, headers=headers, content=body)


def holds_password(text: str) -> bool:
    """Whether ``text`` gives :data:`PASSWORD` back: in clear, in a mojibake that is its UTF-8
    read as UTF-16 (either byte order), or in a base64 (a recorded body's bytes)."""
    readings = [text]
    for codec in ("utf-16-le", "utf-16-be"):
        readings.append(text.encode(codec, "surrogatepass").decode("latin-1"))
    for blob in re.findall(r"[A-Za-z0-9+/]{16,}={0,2}", text):
        try:
            readings.append(base64.b64decode(blob).decode("latin-1"))
        except (binascii.Error, ValueError):
            continue
    return any(PASSWORD in reading for reading in readings)


def masked(call: Call, curl: str) -> bool:
    """Whether a curl line sends ``call``'s password masked, where it stood."""
    return re.search(rf'"{call.secret}": ?"\*\*\*"', curl) is not None


def opened(http: httpx.Client) -> list[dict[str, Any]]:
    """Every journal entry, opened (its curl line and verdict)."""
    listed = http.get("/__admin/requests").json()
    return [http.get(f"/__admin/requests/{entry['id']}").json() for entry in listed]


@pytest.mark.parametrize("call", CALLS, ids=[call.vendor for call in CALLS])
@pytest.mark.parametrize(("content_type", "pad"), LABELS, ids=LABEL_IDS)
def test_serve_masks_the_password_in_the_journal_and_its_curl_line(
    call: Call, content_type: str, pad: bytes
) -> None:
    with httpx.Client(
        transport=SyncASGITransport(create_app(ACCOUNTS)), base_url=IN_PROCESS_URL
    ) as http:
        sent(http, call, content_type, pad)
        (entry,) = opened(http)
    assert not holds_password(json.dumps(entry, ensure_ascii=False))
    assert masked(call, entry["curl"])


def echoing(received: Received) -> bytes:
    """A vendor refusing a call with an error that quotes the password it read in its body,
    as sent (UTF-8), where no name says what it is."""
    sent = json.loads(received.body.decode("utf-8-sig"))
    password = sent.get("Password") or sent.get("password")
    body = json.dumps({"errorCode": "ER.AUTH", "message": f"Password errata: {password}"}).encode()
    head = "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nConnection: close\r\n"
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


@pytest.mark.parametrize("call", CALLS, ids=[call.vendor for call in CALLS])
@pytest.mark.parametrize(("content_type", "pad"), LABELS, ids=LABEL_IDS)
def test_the_proxy_masks_the_password_and_blots_out_the_vendor_s_echo_of_it(
    tmp_path: Path, call: Call, content_type: str, pad: bytes
) -> None:
    with (
        WireUpstream(echoing) as upstream,
        proxied(upstream, (call.vendor,), record=tmp_path, shadow=True) as (_, http),
    ):
        answered = sent(http, call, content_type, pad)
        journal = opened(http)
        shadow = http.get("/__admin/shadow").json()
    assert answered.status_code == 403 and PASSWORD in upstream.received[0].body.decode()
    ((entry,), (recording,)) = journal, tmp_path.glob("*.har")
    assert entry["response"]["message"] == "Password errata: ***"
    assert masked(call, entry["curl"])
    for kept in (json.dumps(journal), json.dumps(shadow), recording.read_text("utf-8")):
        assert not holds_password(kept)
    (recorded,) = json.loads(recording.read_text("utf-8"))["log"]["entries"]
    assert "***" in recorded["request"]["postData"]["text"] or base64.b64decode(
        recorded["request"]["postData"]["text"]
    ).count(b"***")
