"""What the proxy keeps of a connector's request, seen through its journal (the list, the opened
entry and its curl line) and its recording: no secret the request carried, however it carried
it. The upstream is a socket that answers with bytes of the test's making."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.proxying import QP, WireUpstream, proxied


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


def test_a_token_in_a_redirect_s_fragment_is_masked(tmp_path: Path) -> None:
    redirect = answer(b"", "Location: https://sandbox.example/cb#token=frag-T0ken-123&x=1")
    with (
        WireUpstream(redirect) as upstream,
        proxied(upstream, ("quoparts",), record=tmp_path) as (_, http),
    ):
        passed = http.get(QP, params={"login": ""})
        found = kept(http, tmp_path)
    assert passed.headers["location"].endswith("#token=frag-T0ken-123&x=1")
    assert "frag-T0ken-123" not in found and "#token=***&x=1" in found
