"""The fuzz view's virtual paths: a case of /ws_quoparts.php/<method> goes to the real URL, and
back."""

from __future__ import annotations

import pytest

from fuzz.dispatch import RealRequest, operation_for, real_request
from fuzz.schema import api_operations, document

BASE = "http://127.0.0.1:8000/quoparts"


def test_a_case_goes_to_the_real_path_with_the_dispatch_parameter_first() -> None:
    case = api_operations("quoparts")["importCli"].Case(query={"token": "T"}, body={"data": []})
    request = real_request(case, BASE).to_httpx()
    assert str(request.url) == f"{BASE}/ws_quoparts.php?importCli=&token=T"
    assert request.content == b'{"data":[]}'
    assert request.headers["content-type"] == "application/json"


def test_a_generated_parameter_named_like_another_method_is_dropped() -> None:
    case = api_operations("quoparts")["importPvt"].Case(query={"token": "T", "login": "x"})
    assert real_request(case, BASE).params == [("importPvt", ""), ("token", "T")]


@pytest.mark.parametrize(
    ("method", "query", "operation"),
    [
        ("GET", "login=&username=a&password=b", "login"),
        ("POST", "importCli=&token=T", "importCli"),
        ("POST", "token=T&importPvt=", "importPvt"),
        ("POST", "token=T", None),
    ],
)
def test_a_real_request_maps_back_to_its_operation(
    method: str, query: str, operation: str | None
) -> None:
    url = f"{BASE}/ws_quoparts.php?{query}"
    assert operation_for(document("quoparts"), method, url, "/quoparts") == operation


def test_a_body_that_is_not_utf8_is_reproducible_in_the_shell() -> None:
    case = api_operations("quoparts")["importCli"].Case(query={"token": "T"}, body={"data": []})
    request = real_request(case, BASE)
    broken = type(request)(request.method, request.url, request.params, {}, b"\xff'{")
    assert broken.as_curl().endswith("--data-raw $'\\xff\\'{'")


def test_a_header_given_as_bytes_is_sent_as_they_are_and_shown_as_text() -> None:
    """The TS Digital plug-in sends the admin token as UTF-8 bytes, as the kit reads it."""
    request = RealRequest("POST", f"{BASE}/x", [], {"X-Admin-Token": "tök".encode()})
    assert (b"X-Admin-Token", "tök".encode()) in request.to_httpx().headers.raw
    assert request.as_curl().endswith("-H 'X-Admin-Token: tök'")
