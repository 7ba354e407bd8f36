"""A journal entry as the admin API shows it: every secret masked whatever the body's shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mockservers.core import har
from mockservers.core.journal import mask_text
from mockservers.testing import MockServer

LOGIN = "/xtra/api/sync/v1/login"
XTRA_KEYS = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
SECRET = "SuperSecretValue123"


@pytest.fixture
def http(accounts_server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=accounts_server.url, timeout=10) as client:
        yield client


@pytest.mark.parametrize(
    "sent",
    [
        {"files": {"Username": (None, "demo"), "Password": (None, SECRET)}},
        {"content": f"{{'Username': 'demo', 'Password': '{SECRET}'}}".encode()},
        {"content": f"<Login><User>demo</User><Password>{SECRET}</Password></Login>".encode()},
        {"content": f'<Login User="demo" Password="{SECRET}"/>'.encode()},
    ],
    ids=["multipart", "python-dict", "xml-element", "xml-attribute"],
)
def test_a_password_in_a_body_of_any_shape_is_masked_wherever_the_call_shows(
    http: httpx.Client, sent: dict[str, Any]
) -> None:
    """Only JSON, a JSON-like ``"password": ...`` and a form's ``password=...`` were masked:
    an XTRA login sent as multipart, as a Python dict or as XML showed the password in the
    list, the opened entry, its curl line, and a recording."""
    request = http.build_request("POST", LOGIN, headers=XTRA_KEYS, **sent)
    request.read()  # a multipart body is a stream: read, it can be recorded too
    answer = http.send(request)
    listed = http.get("/__admin/requests")
    (entry,) = listed.json()
    opened = http.get(f"/__admin/requests/{entry['id']}")
    assert SECRET not in listed.text and SECRET not in opened.text
    assert "***" in entry["request"] and "***" in opened.json()["curl"]
    recorded = har.entry(
        method="POST",
        url=str(request.url),
        request_headers=list(request.headers.items()),
        request_body=request.content,
        status=answer.status_code,
        response_headers=[],
        response_body=answer.content,
        started=datetime.now(UTC),
        duration_ms=1,
    )
    shown = json.dumps(recorded)
    assert SECRET not in shown and "***" in recorded["request"]["postData"]["text"]


@pytest.mark.parametrize(
    "text, masked",
    [
        ("{'Password': None, \"token\": null}", "{'Password': None, \"token\": null}"),
        ("<Password/><Token a='1'>t-1</Token>", "<Password/><Token a='1'>***</Token>"),
        ("<x:Token><![CDATA[a]b]]></x:Token>", "<x:Token>***</x:Token>"),
        ("atteso 'Bearer <token>'", "atteso 'Bearer <token>'"),  # prose, no tag after it
        ("<tokens>t</tokens> token=1", "<tokens>t</tokens> token=1"),
        (
            'Content-Disposition: form-data; name="FileBase64"; filename="a.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n%PDF\r\n1\r\n--b--",
            'Content-Disposition: form-data; name="FileBase64"; filename="a.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n***\r\n--b--",
        ),
    ],
)
def test_secret_shapes_in_text_that_is_not_json(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_a_preview_cut_inside_a_secret_element_masks_it_to_its_end() -> None:
    """A body longer than the journal's preview may be cut in a file's contents."""
    assert mask_text("<Doc><FileBase64>JVBERi0", cut=True) == "<Doc><FileBase64>***"
