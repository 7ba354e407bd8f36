"""QuoParts coverage: every documented situation of the catalogue, provoked through HTTP, is
reported met by ``GET /__admin/coverage`` (globally and in a session)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockservers.quoparts import QuoParts
from mockservers.quoparts import coverage as c
from tests.coverage_kit import Scenario, Tester, check_catalogue, check_scenario

QP = "/quoparts/ws_quoparts.php"
ROW = {"DES_NOM": "Rossi S.r.l.", "COD_PTA_IVA": "12345678901", "COD_CLI_ERP": "CLI001"}
ARTICLE = {"DES_RGR": "Filtro olio", "COD_ART_PVT": "1883037", "IMP_LST_PVT": 14.57}


def login(t: Tester, password: str | None = None) -> httpx.Response:
    account = t.creds("quoparts")
    params = {"login": "", "username": account["username"]}
    return t.http.get(QP, params=params | {"password": password or account["password"]})


def token(t: Tester) -> str:
    body = login(t).json()
    assert body["errorCode"] == "0", body
    return body["data"][0]["TOKEN"]


def call(t: Tester, method: str, token: str | None, payload: Any = None, **kw: Any) -> Any:
    params = {method: ""} | ({"token": token} if token is not None else {})
    return t.http.post(QP, params=params, json=payload, **kw).json()


def quote(testata: dict[str, Any], articoli: list[Any] | None = None) -> dict[str, Any]:
    header = {"COD_TGA": "TE001ST", "DES_VCL": "FORD B-Max"} | testata
    return {"data": {"testata": header, "articoli": [ARTICLE] if articoli is None else articoli}}


def login_ok(t: Tester) -> None:
    assert login(t).json()["errorCode"] == "0"


def login_refused(t: Tester) -> None:
    assert login(t, password="wrong").json()["errorCode"] == "101"


def login_bad_request(t: Tester) -> None:
    params = {"login": "", "username": t.creds("quoparts")["username"]}  # no password
    assert t.http.get(QP, params=params).json()["errorCode"] == "100"


def token_expired(t: Tester) -> None:
    value = token(t)
    t.scope.advance(3600)
    assert call(t, "importCli", value, {"data": [ROW]})["errorCode"] == "101"


def token_invalid(t: Tester) -> None:
    assert call(t, "importCli", "12345.678", {"data": [ROW]})["errorCode"] == "101"


def unknown_method(t: Tester) -> None:
    answer = t.http.post(QP, params={"exportCli": "", "token": token(t)}, json={})
    assert answer.json()["errorCode"] == "100"


def import_cli_inserted(t: Tester) -> None:
    answer = call(t, "importCli", token(t), {"data": [ROW]})
    assert answer["data"][0]["COD_CLI"] == "000001"


def import_cli_updated(t: Tester) -> None:
    value = token(t)
    first = call(t, "importCli", value, {"data": [ROW]})["data"][0]
    again = call(t, "importCli", value, {"data": [ROW | {"DES_NOM": "Rossi SpA"}]})["data"][0]
    assert again["COD_CLI"] == first["COD_CLI"]


def import_cli_row_error(t: Tester) -> None:
    rows = [ROW, {"DES_NOM": "Senza partita IVA", "COD_CLI_ERP": "CLI002"}]
    answer = call(t, "importCli", token(t), {"data": rows})
    assert [row["errorCode"] for row in answer["data"]] == ["0", "100"]


def import_cli_refused(t: Tester) -> None:
    value = token(t)
    assert call(t, "importCli", value, {"clienti": [ROW]})["errorCode"] == "100"
    malformed = t.http.post(QP, params={"importCli": "", "token": value}, content=b"{oops")
    assert malformed.json()["errorCode"] == "100"


def quote_created(t: Tester) -> None:
    value = token(t)
    call(t, "importCli", value, {"data": [ROW]})
    answer = call(t, "importPvt", value, quote({"COD_CLI_ERP": "CLI001"}))
    assert answer["data"] == [{"COD_DOC": "000001"}]


def quote_customer_not_found(t: Tester) -> None:
    answer = call(t, "importPvt", token(t), quote({"COD_CLI": "999999"}))
    assert answer["errorCode"] == "107"


def quote_customer_by_erp_fallback(t: Tester) -> None:
    value = token(t)
    call(t, "importCli", value, {"data": [ROW]})  # COD_CLI 000001
    answer = call(t, "importPvt", value, quote({"COD_CLI": "000015", "COD_CLI_ERP": "CLI001"}))
    assert answer["data"] == [{"COD_DOC": "000001"}]


def quote_refused(t: Tester) -> None:
    answer = call(t, "importPvt", token(t), quote({"COD_CLI_ERP": "CLI001"}, articoli=[]))
    assert answer["errorCode"] == "100"


SCENARIOS: dict[str, Scenario] = {
    c.LOGIN_OK.id: login_ok,
    c.LOGIN_REFUSED.id: login_refused,
    c.LOGIN_BAD_REQUEST.id: login_bad_request,
    c.TOKEN_EXPIRED.id: token_expired,
    c.TOKEN_INVALID.id: token_invalid,
    c.UNKNOWN_METHOD.id: unknown_method,
    c.IMPORT_CLI_INSERTED.id: import_cli_inserted,
    c.IMPORT_CLI_UPDATED.id: import_cli_updated,
    c.IMPORT_CLI_ROW_ERROR.id: import_cli_row_error,
    c.IMPORT_CLI_REFUSED.id: import_cli_refused,
    c.QUOTE_CREATED.id: quote_created,
    c.QUOTE_CUSTOMER_BY_ERP_FALLBACK.id: quote_customer_by_erp_fallback,
    c.QUOTE_CUSTOMER_NOT_FOUND.id: quote_customer_not_found,
    c.QUOTE_REFUSED.id: quote_refused,
}


def test_every_catalogued_situation_has_a_scenario() -> None:
    check_catalogue(QuoParts, SCENARIOS)


NAMES_NO_SESSION = {c.TOKEN_INVALID.id}
"""An unknown token names no session: such a call belongs to the global scope."""


@pytest.mark.parametrize("behaviour", list(SCENARIOS))
def test_the_scenario_meets_its_situation(behaviour: str) -> None:
    named = behaviour not in NAMES_NO_SESSION
    check_scenario("quoparts", behaviour, SCENARIOS[behaviour], names_session=named)


def test_expiry_is_told_from_an_unknown_token_on_every_retry(http: httpx.Client) -> None:
    """An expired token stays expired (it is not forgotten at the first refusal)."""
    value = http.get(QP, params={"login": "", "username": "demo", "password": "demo"}).json()
    http.post("/__admin/clock", json={"advance_seconds": 3600})
    for _ in range(2):
        call_ = http.post(QP, params={"importCli": "", "token": value["data"][0]["TOKEN"]}, json={})
        assert call_.json()["errorCode"] == "101"
    entries = http.get("/__admin/requests", params={"operation": "importCli"}).json()
    assert [e["behaviours"] for e in entries] == [[c.TOKEN_EXPIRED.id]] * 2
