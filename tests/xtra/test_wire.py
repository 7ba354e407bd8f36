"""XTRA/XOX as ASP.NET Core reads a call off the wire: its paths in any case and with one
trailing slash, as its routing matches them, and its body after a UTF-8 BOM or in the UTF-16 its
Content-Type declares, as its JSON input reads it; the journal keeps the call as sent, names its
operation, judges it and masks it as for the contracts' spelling in UTF-8. Other vendors read
paths and bodies only as written."""

from __future__ import annotations

import encodings
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockservers import create_app
from mockservers.core.route import folded
from mockservers.testing import IN_PROCESS_URL, MockServer, SyncASGITransport
from tests.conftest import ACCOUNTS, QP, qp_login
from tests.proxying import XTRA_KEYS, proxied

LOGIN = "/xtra/api/sync/v1/login"
UPDATE = "/xtra/api/sync/v1/irs/update"
KEYS = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
CITY = [{"ID": 1, "City": "Valenza"}]


def identity_updated(http: httpx.Client, response: httpx.Response, city: str) -> dict[str, Any]:
    """Assert the call updated identity 1 to ``city`` (its answer and the state say so); its
    journal entry."""
    assert response.status_code == 200, response.json()
    (outcome,) = response.json()["result"]["records"]
    assert (outcome["Item1"], outcome["Item3"]) == (1, True)
    state = http.get("/__admin/state/xtra").json()["tenants"]["demo"]["identities"]["1"]
    assert state["City"] == city
    return journalled(http)


def journalled(http: httpx.Client) -> dict[str, Any]:
    """The journal's last XTRA entry, opened (with its verdict)."""
    (entry, *_) = http.get("/__admin/requests", params={"vendor": "xtra"}).json()
    return http.get(f"/__admin/requests/{entry['id']}").json()


def met(http: httpx.Client, behaviour: str) -> int:
    found = http.get("/__admin/coverage", params={"vendor": "xtra"}).json()["xtra"]
    return next(b["met"] for b in found if b["behaviour"] == behaviour)


@pytest.mark.parametrize(
    "path",
    [
        f"{UPDATE}/",
        "/xtra/api/Sync/v1/IRS/Update",
        "/xtra/API/sync/v1/irs/update",
        "/xtra/Api/Sync/V1/Irs/Update/",
    ],
)
def test_irs_update_answers_in_any_case_and_with_a_trailing_slash(
    http: httpx.Client, path: str
) -> None:
    """Each was 404 ER.IR.INVAL: a connector written against ASP.NET, which matches them, got
    "Richiesta non valida" for a call the vendor answers."""
    response = http.post(path, json=CITY, headers=KEYS)
    entry = identity_updated(http, response, "Valenza")
    assert (entry["path"], entry["operation"]) == (path, "updateIdentities")
    assert entry["verdict"] == {"request": [], "response": []}
    assert met(http, "xtra.updated") == 1
    count = http.post("/__admin/requests/count", json={"operation": "updateIdentities"})
    assert count.json() == {"count": 1}


@pytest.mark.parametrize("path", ["/xtra/api/sync/v1/Login", "/xtra/API/SYNC/V1/LOGIN/"])
def test_login_answers_in_any_case_and_with_a_trailing_slash(http: httpx.Client, path: str) -> None:
    response = http.post(path, json={"Username": "demo", "Password": "demo"})
    assert response.status_code == 200, response.json()
    token = response.json()["result"]["Token"]
    own = http.post(UPDATE, json=CITY, headers={"AccessToken": token})
    assert own.status_code == 200
    entry = http.get("/__admin/requests", params={"operation": "login"}).json()[0]
    assert (entry["path"], entry["status"]) == (path, 200)
    assert met(http, "xtra.login_ok") == 1


@pytest.mark.parametrize(
    "path",
    [
        f"{UPDATE}//",  # one trailing slash, not two
        f"{UPDATE}/x",
        "/XTRA/api/sync/v1/irs/update",  # the prefix is the kit's, not the vendor's
        "/xtra/api/sync/v1/irs/updat\N{CYRILLIC SMALL LETTER IE}",
    ],
)
def test_a_path_no_route_matches_in_any_case_stays_a_404(http: httpx.Client, path: str) -> None:
    response = http.post(path, json=CITY, headers=KEYS)
    assert response.status_code == 404
    if path.startswith("/xtra/"):
        assert response.json()["errorCode"] == "ER.IR.INVAL"


ENCODED_SLASH = [f"{LOGIN}%2F", "/xtra/api/sync/v1/Login%2f", "/xtra/api/Sync/v1/irs%2Fupdate"]
"""Paths ASP.NET Core leaves with ``%2F`` encoded, no separator: no route's."""


@pytest.mark.parametrize("path", ENCODED_SLASH)
def test_an_encoded_slash_is_no_separator_of_another_spelling(
    http: httpx.Client, path: str
) -> None:
    """The path was folded as decoded, ``login%2F`` read as ``login/``: the login answered."""
    response = http.post(path, json={"Username": "demo", "Password": "demo"}, headers=KEYS)
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "errorCode": "ER.IR.INVAL",
        "message": "Richiesta non valida",
        "result": None,
    }
    entry = journalled(http)
    assert (entry["operation"], entry["status"]) == ("unknown", 404)
    assert met(http, "xtra.login_ok") == 0


def test_through_a_proxy_an_encoded_slash_names_no_operation() -> None:
    with MockServer(ACCOUNTS) as upstream, proxied(upstream, ("xtra",)) as (_, http):
        for path in ENCODED_SLASH:
            response = http.post(path, json={"Username": "demo", "Password": "demo"})
            assert response.status_code == 404
            entry = http.get("/__admin/requests").json()[0]
            assert (entry["operation"], entry["status"]) == ("unknown", 404)


def test_another_method_on_any_spelling_is_the_vendor_s_405(http: httpx.Client) -> None:
    """A spelling other than the contracts' was a 404 to a GET, where the route is a 405."""
    for path in (UPDATE, "/xtra/api/Sync/v1/IRS/Update/"):
        response = http.get(path, headers=KEYS)
        assert response.status_code == 405 and response.headers["allow"] == "POST"
        assert response.json()["errorCode"] == "ER.IR.INVAL"
        assert response.headers["x-mockservers-detail"] == (
            f"routing: GET {path}: Method Not Allowed"
        )
        entry = journalled(http)
        assert (entry["path"], entry["operation"], entry["status"]) == (path, "unknown", 405)


@pytest.mark.parametrize(
    "path",
    [
        "/quoparts/WS_QUOPARTS.php",
        "/quoparts/ws_quoparts.php/",
        "/keepit/API",
        "/tsdigital/api/v3/items/",
    ],
)
def test_other_vendors_paths_match_only_as_written(http: httpx.Client, path: str) -> None:
    assert http.post(path, json={}).status_code == 404


def test_folded_keeps_the_prefix_and_goes_no_further_than_ascii() -> None:
    assert folded("/xtra/API/Sync/") == "/xtra/api/sync"
    assert folded("/XTRA/api") == "/XTRA/api"
    assert folded("/xtra/") == "/xtra/"
    assert folded("/xtra/\N{KELVIN SIGN}") is None  # Python's lower makes it a "k"; .NET not
    assert folded("/xtra") is None


def test_through_a_proxy_a_spelling_is_named_its_operation_and_goes_as_sent() -> None:
    """The proxy named a call to ``/xtra/api/Sync/v1/IRS/Update`` ``unknown``, its verdict
    "no operation", though the vendor answered it as irs/update."""
    path = "/xtra/api/Sync/v1/IRS/Update/"
    with MockServer(ACCOUNTS) as upstream, proxied(upstream, ("xtra",)) as (_, http):
        response = http.post(path, json=[{"ID": 59990, "City": "Valenza"}], headers=XTRA_KEYS)
        assert response.status_code == 200
        (entry,) = http.get("/__admin/requests").json()
        (sent,) = upstream.requests(vendor="xtra")
    assert (entry["path"], entry["operation"]) == (path, "updateIdentities")
    assert entry["verdict"] == {"request": [], "response": []}
    assert sent["path"] == path


# -- charsets: as ASP.NET Core's System.Text.Json input reads a body --------------------------
BODY = '[{"ID": 1.0, "City": "Città"}]'
"""An ID written as a float (an integer all the same) and a city beyond ASCII: read from the
text, not from the bytes as sent."""


def sent(http: httpx.Client, body: bytes, content_type: str, path: str = UPDATE) -> httpx.Response:
    keys = KEYS if path == UPDATE else {}
    return http.post(path, content=body, headers={**keys, "Content-Type": content_type})


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xef\xbb\xbf" + BODY.encode(), "application/json; charset=utf-8"),
        (b"\xef\xbb\xbf" + BODY.encode(), "application/json"),
        (BODY.encode("utf-16"), "application/json; charset=utf-16"),  # its BOM, little-endian
        (b"\xfe\xff" + BODY.encode("utf-16-be"), "application/json; charset=UTF-16"),
        (BODY.encode("utf-16-le"), "application/json; charset=utf-16"),  # .NET's: LE
        (BODY.encode("utf-16-le"), "application/json; charset=utf-16le"),
        (b"\xfe\xff" + BODY.encode("utf-16-be"), 'application/json; charset="utf-16BE"'),
        (BODY.encode("utf-16-be"), "application/json;charset=utf-16be"),
        (BODY.encode("utf-16-le"), "application/json; charset= UTF_16_LE"),
        (BODY.encode("utf-16-be"), "application/json; charset=utf16be"),
        (BODY.encode("utf-16-le"), "application/json; charset=unicode"),  # .NET's names
        (BODY.encode("utf-16"), 'application/json; charset="UCS-2"'),
        (BODY.encode("utf-16-le"), 'application/json; a="x;charset=y"; charset=utf-16'),
        (BODY.encode("utf-16-le"), r'application/json; a="\"; charset=y"; charset=utf-16'),
    ],
    ids=[
        *("bom", "bom-no-charset", "utf-16", "utf-16-be-bom", "utf-16-no-bom", "le", "be-bom"),
        *("be", "underscores", "utf16be", "unicode", "ucs-2", "after-a-quoted", "escaped-quote"),
    ],
)
def test_a_bom_or_a_declared_utf_16_is_read_as_its_text(
    http: httpx.Client, body: bytes, content_type: str
) -> None:
    """Each was 400 "il corpo non è un JSON valido": orjson read the bytes as sent."""
    response = sent(http, body, content_type)
    entry = identity_updated(http, response, "Città")
    assert entry["request"] == [{"ID": 1.0, "City": "Città"}] and entry["request_format"] == "json"
    assert entry["verdict"] == {"request": [], "response": []}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (BODY.encode("utf-16"), "application/json"),  # UTF-16 is read only where declared
        (BODY.encode("utf-16-be"), "application/json; charset=utf-16"),  # read as LE
        (BODY.encode("utf-16-le")[:-1], "application/json; charset=utf-16"),  # an odd length
        (b"\xef\xbb\xbf" + BODY.encode(), "application/json; charset=utf-16"),
        (BODY.encode(), "application/json; charset=utf-16"),  # UTF-8 of an odd length
        (b"\xef\xbb\xbf\xef\xbb\xbf" + BODY.encode(), "application/json"),  # one BOM, not two
        # a charset inside another parameter's quoted value is its text: no charset (.NET's
        # MediaTypeHeaderValue), UTF-8
        (BODY.encode("utf-16-le"), 'application/json; foo="a;charset=utf-16"'),
        (BODY.encode("utf-16-le"), 'application/json; foo="a\\";charset=utf-16"'),
        (BODY.encode("utf-16-le"), 'application/json; foo="a;charset=utf-16'),  # unclosed
    ],
    ids=[
        *("undeclared", "be-as-le", "odd-length", "utf-8-as-utf-16", "odd-utf-8-as-utf-16"),
        *("two-boms", "quoted-charset", "quoted-escaped", "unclosed-quote"),
    ],
)
def test_a_body_that_is_no_json_in_its_charset_stays_a_400(
    http: httpx.Client, body: bytes, content_type: str
) -> None:
    response = sent(http, body, content_type)
    assert response.status_code == 400
    assert response.json()["message"] == "Richiesta non valida: il corpo non è un JSON valido"


def test_a_lone_surrogate_in_a_utf_16_string_reads_as_a_replacement_character(
    http: httpx.Client,
) -> None:
    """As .NET's decoder reads it: the rest of the body is JSON, and is written."""
    body = '[{"ID": 1, "City": "Citt\ud800"}]'.encode("utf-16-le", "surrogatepass")
    response = sent(http, body, "application/json; charset=utf-16")
    assert identity_updated(http, response, "Citt\ufffd")["request"][0]["City"] == "Citt\ufffd"


def test_another_charset_is_read_as_sent_and_left_out_of_python_s_codec_cache(
    http: httpx.Client,
) -> None:
    """Each charset was looked up in Python's codecs, which keep every name asked for: 4,000
    charsets of 7 KB held 28 MB for good; and a NUL one was a ValueError."""
    before = set(encodings._cache)
    for charset in (*(f"x-{'a' * 100}-{n}" for n in range(200)), "utf-8", "latin-1"):
        response = sent(http, BODY.encode(), f"application/json; charset={charset}")
        assert response.status_code == 200, (charset, response.text)
    assert set(encodings._cache) == before
    assert sent(http, BODY.encode(), "application/json; charset=\x00").status_code == 200
    response = sent(http, BODY.encode("utf-16-le"), "application/json; charset=utf-32")
    assert response.json()["message"] == "Richiesta non valida: il corpo non è un JSON valido"


def test_a_utf_16_login_logs_in_and_its_password_is_masked_everywhere() -> None:
    """Its password was no UTF-8 a mask could find: the journal showed it, NUL byte after NUL
    byte, and so did the curl line."""
    password = ACCOUNTS["xtra"]["accounts"][0]["users"][0]["password"]
    login = json.dumps({"Username": "mario", "Password": password})
    with httpx.Client(
        transport=SyncASGITransport(create_app(ACCOUNTS)), base_url=IN_PROCESS_URL
    ) as http:
        for body, content_type in (
            (login.encode("utf-16"), "application/json; charset=utf-16"),
            (login.encode("utf-16-be"), "application/json; charset=utf-16be"),
            (b"\xef\xbb\xbf" + login.encode(), "application/json"),
        ):
            response = sent(http, body, content_type, LOGIN)
            assert response.status_code == 200, response.json()
            assert response.json()["result"]["IRID"] == 59990
            entry = journalled(http)
            assert entry["request"] == {"Username": "mario", "Password": "***"}
            assert entry["verdict"] == {"request": [], "response": []}
            curl = entry["curl"].replace("\\x00", "")  # a UTF-16 body's NUL bytes
            assert password not in curl and '"Password":"***"' in curl
        matcher = {"operation": "login", "body": {"Username": "mario"}}
        assert http.post("/__admin/requests/count", json=matcher).json() == {"count": 3}


LEAKED = json.dumps({"Username": "u1", "Password": "Zq9-very-SECRET-pw"})
"""A login's body sent to irs/update: refused, its verdict quoting the object it read."""


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (LEAKED.encode("utf-16-le"), "application/json; charset=utf-16"),
        (b"\xfe\xff" + LEAKED.encode("utf-16-be"), "application/json; charset=utf-16"),
        (LEAKED.encode(), "application/json"),
    ],
    ids=["utf-16", "utf-16-be-bom", "utf-8"],
)
def test_the_verdict_masks_a_password_in_its_charset(
    http: httpx.Client, body: bytes, content_type: str
) -> None:
    """The password was learned from the bytes as sent, no JSON in UTF-16, while the verdict
    read the text: it quoted the password in clear."""
    assert sent(http, body, content_type).status_code == 400
    (violation,) = journalled(http)["verdict"]["request"]
    assert "Zq9-very-SECRET-pw" not in violation
    assert "'Password': '***'" in violation and "is not of type 'array'" in violation


def test_through_a_proxy_the_verdict_masks_a_utf_16_password() -> None:
    headers = {**XTRA_KEYS, "Content-Type": "application/json; charset=utf-16"}
    with MockServer(ACCOUNTS) as upstream, proxied(upstream, ("xtra",)) as (_, http):
        response = http.post(UPDATE, content=LEAKED.encode("utf-16-le"), headers=headers)
        assert response.status_code == 400
        (violation,) = journalled(http)["verdict"]["request"]
    assert "Zq9-very-SECRET-pw" not in violation and "'Password': '***'" in violation


def test_other_vendors_read_the_bytes_as_sent(http: httpx.Client) -> None:
    """QuoParts (PHP's json_decode) refuses a BOM: its own "Richiesta errata"."""
    token = qp_login(http)
    body = b'\xef\xbb\xbf{"data": []}'
    answer = http.post(QP, params={"importCli": "", "token": token}, content=body)
    assert answer.json()["errorCode"] == "100"


def test_through_a_proxy_and_in_its_recording_a_charset_is_left_out_of_the_codec_cache(
    tmp_path: Path,
) -> None:
    """The proxy, its recording and the curl line read a body in the charset it declares: each
    name was looked up in Python's codecs, which keep every name they did not find, so a
    connector sending a new charset at each call grew the proxy for good."""
    with (
        MockServer(ACCOUNTS) as upstream,
        proxied(upstream, ("xtra",), record=tmp_path / "rec") as (_, http),
    ):
        sent(http, BODY.encode(), "application/json; charset=x-warm-up")
        before = set(encodings._cache)
        for n in range(100):
            response = sent(http, BODY.encode(), f"application/json; charset=x-{'a' * 100}-{n}")
            assert response.status_code == 200, response.text
        entry = http.get("/__admin/requests").json()[0]
        assert http.get(f"/__admin/requests/{entry['id']}").json()["curl"]
        assert set(encodings._cache) == before
