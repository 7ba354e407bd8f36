"""The reason phrases in the vendors' error bodies are the kit's own table, Python 3.11's (RFC
7231's, but RFC 2616's for 413, 414 and 416), as the status line uvicorn writes on it, whatever
Python runs the kit: 3.13's ``HTTPStatus`` says "Content Too Large" for 413 and "Unprocessable
Content" for 422, and an error body changed its ``status`` with the interpreter."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from http import HTTPStatus

import httpx
import pytest

from mockservers import create_app
from mockservers.core.phrases import PHRASES, status_phrase
from mockservers.testing import MockServer, SyncASGITransport
from tests.conftest import QP

PYTHON_3_13 = {
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "Content Too Large",
    HTTPStatus.REQUEST_URI_TOO_LONG: "URI Too Long",
    HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE: "Range Not Satisfiable",
    HTTPStatus.UNPROCESSABLE_ENTITY: "Unprocessable Content",
}
"""The phrases Python 3.13 renamed after RFC 9110."""
ITEMS = "/tsdigital/api/v3/items"


@pytest.fixture
def python_3_13(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``HTTPStatus`` with Python 3.13's phrases, whichever Python runs the tests."""
    for status, phrase in PYTHON_3_13.items():
        monkeypatch.setattr(status, "phrase", phrase)
    yield


def test_the_table_spells_the_renamed_phrases_as_python_3_11_does() -> None:
    """RFC 7231's 422, RFC 2616's 413, 414 and 416 (RFC 7231 says "Payload Too Large", "URI
    Too Long", "Range Not Satisfiable")."""
    assert PHRASES[413] == "Request Entity Too Large"
    assert PHRASES[414] == "Request-URI Too Long"
    assert PHRASES[416] == "Requested Range Not Satisfiable"
    assert PHRASES[422] == "Unprocessable Entity"


def test_every_error_status_python_names_is_in_the_table() -> None:
    """A fault may inject any status from 400 to 599: none falls back to Python's phrase."""
    assert {int(status) for status in HTTPStatus if status >= 400} <= set(PHRASES)
    assert all(400 <= status <= 599 for status in PHRASES)


def test_a_status_outside_the_table_has_python_s_phrase_or_the_fallback() -> None:
    assert status_phrase(202) == "Accepted"
    assert status_phrase(599) == "Error" and status_phrase(599, "") == ""


@pytest.mark.usefixtures("python_3_13")
def test_ts_digital_413_and_422_say_python_3_11_s_phrases_on_any_python() -> None:
    app = create_app({"kit": {"max_body_bytes": 256}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        minted = http.post("/__admin/tsdigital/tokens", json={"kind": "user"}).json()
        headers = {"Authorization": f"Bearer {minted['token']}", "X-App-Name": "t"}
        headers["X-App-Version"] = "1.0"
        too_large = http.post(ITEMS, json={"padding": "x" * 300}, headers=headers)
        assert too_large.status_code == 413
        assert too_large.json()["status"] == "Request Entity Too Large"
        fault = {"vendor": "tsdigital", "kind": "status", "status": 422, "times": 1}
        assert http.post("/__admin/faults", json=fault).status_code == 201
        refused = http.post(ITEMS, json={"item": {"base": {}}}, headers=headers).json()
        assert refused["status"] == refused["message"] == "Unprocessable Entity"


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="3.13's status line is RFC 9110's")
def test_a_ts_digital_body_says_the_phrase_of_the_status_line_uvicorn_writes() -> None:
    """On the wire, over a socket: uvicorn's status line takes ``HTTPStatus``'s phrase."""
    server = MockServer({"kit": {"max_body_bytes": 256}})
    with server, httpx.Client(base_url=server.url, timeout=30) as http:
        minted = http.post("/__admin/tsdigital/tokens", json={"kind": "user"}).json()
        headers = {"Authorization": f"Bearer {minted['token']}", "X-App-Name": "t"}
        headers["X-App-Version"] = "1.0"
        answers = [http.post(ITEMS, json={"padding": "x" * 300}, headers=headers)]
        for status in (414, 416, 422):
            fault = {"vendor": "tsdigital", "kind": "status", "status": status, "times": 1}
            assert http.post("/__admin/faults", json=fault).status_code == 201
            answers.append(http.post(ITEMS, json={"item": {"base": {}}}, headers=headers))
    assert [answer.status_code for answer in answers] == [413, 414, 416, 422]
    for answer in answers:
        assert answer.json()["status"] == answer.reason_phrase == PHRASES[answer.status_code]


@pytest.mark.usefixtures("python_3_13")
def test_quoparts_injected_422_and_keepit_413_say_the_rfc_7231_phrases_on_any_python(
    http: httpx.Client,
) -> None:
    """KeepIT's 422 fault says the fake's own unique-constraint text, so its 413 fault
    stands for the renamed phrases there."""
    for vendor, status in (("quoparts", 422), ("keepit", 413)):
        fault = {"vendor": vendor, "kind": "status", "status": status, "times": 1}
        assert http.post("/__admin/faults", json=fault).status_code == 201
    quoparts = http.get(QP, params={"login": "", "username": "demo", "password": "demo"})
    assert quoparts.status_code == 422 and quoparts.json()["error"] == "Unprocessable Entity"
    keepit = http.post(
        "/keepit/api",
        params={"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"},
        headers={"username": "demo", "password": "demo", "companyId": "1", "siteId": "1"},
        json={"subjectsRecords": []},
    )
    assert keepit.status_code == 413 and keepit.json()["message"] == "Request Entity Too Large"
