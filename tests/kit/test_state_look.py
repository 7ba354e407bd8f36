"""``GET /__admin/state/{vendor}?newest=N``: a look at the state as a person reads it (the
dashboard's State panel, every second): each collection's count and newest records in order,
secrets masked, and nothing sent again while it has not changed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import qp_call, qp_login

CODES = {"COD_CLI": "000001", "COD_USR": "M00001", "COD_PWD": "ABC123"}
LOOK = "/__admin/state/quoparts"


def customers(*keys: str) -> dict[str, Any]:
    """A QuoParts state of the demo tenant's customers, in the order of ``keys``."""
    records = {key: {"COD_CLI_ERP": key, "DES_NOM": f"Firm {key}", **CODES} for key in keys}
    return {"tenants": {"demo": {"customers": records}}}


def look(
    http: httpx.Client, newest: int = 100, since: str | None = None, **params: str
) -> httpx.Response:
    """A look at the demo tenant's QuoParts state; ``since``: the ETag of the last one read."""
    headers = {"If-None-Match": since} if since is not None else {}
    return http.get(LOOK, params={"newest": str(newest), **params}, headers=headers)


def test_a_look_lists_the_newest_records_newest_first_whatever_their_keys(
    http: httpx.Client,
) -> None:
    """Keys that look like numbers ("42", as a connector's COD_CLI_ERP often is) came first in
    a JSON object as a browser parses it: the page drew E120…E21 and left "42" out."""
    keys = [f"E{n}" for n in range(1, 121)] + ["42"]
    assert http.put(LOOK, json=customers(*keys)).status_code == 200
    answer = look(http, 100)
    assert answer.status_code == 200
    collection = answer.json()["tenants"]["demo"]["customers"]
    assert collection["count"] == 121
    shown = [key for key, _ in collection["newest"]]
    assert shown == ["42", *[f"E{n}" for n in range(120, 21, -1)]]
    assert answer.json()["tenants"]["demo"]["quotes"] == {"count": 0, "newest": []}
    assert answer.json()["tenants"]["demo"]["sequences"] == {"COD_CLI": 1}


def test_a_look_masks_secrets_as_the_journal_does_and_the_whole_read_keeps_them(
    http: httpx.Client,
) -> None:
    token = qp_login(http)
    row = {"DES_NOM": "Rossi", "COD_PTA_IVA": "123", "COD_CLI_ERP": "CLI001"}
    (made,) = qp_call(http, "importCli", token, {"data": [row]}).json()["data"]
    ((key, record),) = look(http).json()["tenants"]["demo"]["customers"]["newest"]
    assert key == "CLI001" and record["COD_PWD"] == "***" and record["DES_NOM"] == "Rossi"
    whole = http.get(LOOK).json()["tenants"]["demo"]["customers"]["CLI001"]
    assert whole["COD_PWD"] == made["COD_PWD"] != "***"  # fixtures to load back: kept


@pytest.mark.every_store
def test_an_unchanged_look_is_not_sent_again(http: httpx.Client) -> None:
    """The panel downloaded the whole state every second: 151 MB in 10 s for an XTRA state
    of six 3.6 MB documents nobody changed."""
    assert http.put(LOOK, json=customers("CLI001")).status_code == 200
    first = look(http)
    tag = first.headers["etag"]
    again = look(http, since=tag)
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    assert look(http, since=f'"other", W/{tag}').status_code == 304

    # What the look shows changed: a record, a count, how many it shows, the scope.
    assert http.put(LOOK, json=customers("CLI001", "CLI002")).status_code == 200
    changed = look(http, since=tag)
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert changed.json()["tenants"]["demo"]["customers"]["count"] == 2
    tag = changed.headers["etag"]
    assert look(http, 1, since=tag).status_code == 200
    session = http.post("/__admin/sessions", json={}).json()["id"]
    elsewhere = look(http, session=session, since=tag)
    assert elsewhere.status_code == 200 and elsewhere.json() == {"tenants": {}}
    assert http.post("/__admin/reset", json={"vendor": "quoparts"}).status_code == 200
    assert look(http, since=tag).json() == {"tenants": {}}


def test_the_whole_read_is_as_it_was(http: httpx.Client) -> None:
    """No ``newest``: the document PUT takes back, keyed by record, and no ETag."""
    document = customers("E1", "42")
    assert http.put(LOOK, json=document).status_code == 200
    answer = http.get(LOOK)
    assert answer.json()["tenants"]["demo"]["customers"] == document["tenants"]["demo"]["customers"]
    assert "etag" not in answer.headers


@pytest.mark.parametrize("newest", ["", "-1", "1001", "1e3", "ten", "٣", "9" * 5000])
def test_a_look_s_newest_is_a_whole_number_up_to_its_bound(http: httpx.Client, newest: str) -> None:
    answer = http.get(LOOK, params={"newest": newest})
    assert answer.status_code == 400
    assert answer.json() == {"error": "newest must be a whole number from 0 to 1000"}


def test_a_look_of_none_counts_the_records_and_shows_none(http: httpx.Client) -> None:
    assert http.put(LOOK, json=customers("A", "B")).status_code == 200
    for newest in ("0", "000"):
        shown = http.get(LOOK, params={"newest": newest}).json()["tenants"]["demo"]["customers"]
        assert shown == {"count": 2, "newest": []}
