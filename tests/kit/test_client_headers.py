"""The headers a reference client is given (``headers=``, docs/clients.md's HTTP options) go
with every call, and the client's own win over them: its credentials, and the JSON body's
``Content-Type``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import h11
import httpx
import pytest

from clients import KeepItClient, QuoPartsClient, TsDigitalClient, XtraClient
from clients.base import header_fault
from tests.data import (
    keepit_customer,
    quoparts_answer,
    quoparts_customer,
    xtra_record,
    xtra_updated,
)

ROW = {"DES_NOM": "Rossi S.r.l.", "COD_PTA_IVA": "12345678901", "COD_CLI_ERP": "CLI001"}


def _answer(request: httpx.Request) -> httpx.Response:
    """A vendor's answer to each call the test makes, as its contract has it."""
    if "login" in request.url.params:
        return httpx.Response(200, json=quoparts_answer({"TOKEN": "T"}))
    if "importCli" in request.url.params:
        return httpx.Response(200, json=quoparts_answer(quoparts_customer()))
    if request.url.host == "x":
        return httpx.Response(200, json=xtra_updated(xtra_record()))
    if request.url.host == "k":
        return httpx.Response(200, json={"success": True, "code": 200, "message": "ok"})
    return httpx.Response(202, json={"id": "a1"})


CLIENTS: dict[str, Callable[[httpx.MockTransport, dict[str, str]], Any]] = {
    "quoparts": lambda t, h: QuoPartsClient("http://q", "demo", "demo", transport=t, headers=h),
    "xtra": lambda t, h: XtraClient(
        "http://x", public_key="p", secret_key="s", transport=t, headers=h
    ),
    "keepit": lambda t, h: KeepItClient(
        "http://k", username="u", password="p", company_id=1, site_id=1, transport=t, headers=h
    ),
    "tsdigital": lambda t, h: TsDigitalClient(
        "http://t", "tok", app_name="erp", app_version="1", transport=t, headers=h
    ),
}
CALLS: dict[str, Callable[[Any], Any]] = {
    "quoparts": lambda client: client.import_customers([ROW]),
    "xtra": lambda client: client.update_identities([{"ID": 1}]),
    "keepit": lambda client: client.insert_customers([keepit_customer("C1")]),
    "tsdigital": lambda client: client.create_item(
        {"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}}
    ),
}


@pytest.mark.parametrize("vendor", list(CLIENTS))
def test_a_json_body_is_sent_as_json_whatever_content_type_the_client_was_given(
    vendor: str,
) -> None:
    """``headers={"Content-Type": "text/plain"}`` replaced httpx's ``application/json`` on
    every JSON body (TS Digital refused it with a 400); the documents say the client's own
    headers win. The other headers given still go."""
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return _answer(request)

    given = {"Content-Type": "text/plain", "User-Agent": "my-erp/1.2"}
    with CLIENTS[vendor](httpx.MockTransport(answer), given) as client:
        assert CALLS[vendor](client)
    posted = [request for request in sent if request.method == "POST"]
    assert posted, "no JSON body was sent"
    assert [r.headers["Content-Type"] for r in posted] == ["application/json"] * len(posted)
    assert all(r.headers["User-Agent"] == "my-erp/1.2" for r in sent)


@pytest.mark.parametrize(
    "value",
    ["s3cret", "s3 cr\tet", "", "s3cret ", "\ts3cret", " ", "s3cret\n", "s3\r\ncret", "s3\x00cret"],
    ids=repr,
)
def test_the_clients_refuse_a_header_value_as_h11_would(value: str) -> None:
    """h11 (httpx's HTTP/1.1) refuses a value with a space or tab at either end, a line break
    or a control character with ``LocalProtocolError: Illegal header value``, quoting it: a
    password. The clients' own check refuses each first, in words that quote nothing, and
    lets through what h11 sends (a space or tab inside)."""
    try:
        h11.Request(method="POST", target="/", headers=[("Host", "h"), ("Password", value)])
    except h11.LocalProtocolError:
        assert header_fault(value) is not None
    else:
        assert header_fault(value) is None
