"""importCli's plain bodies, read with one walk (``quoparts/plain.py``): the closed shape accepts
only bodies that the contract and the depth limit both accept, and the limit still applies."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs
import pytest

from contracts import contract, load_schema
from contracts.closed import closed_schema
from mockservers import create_app
from mockservers.core.http import too_deep
from mockservers.quoparts.plain import PLAIN_DEPTH
from mockservers.testing import SyncASGITransport
from tests.conftest import QP, qp_login

ROW = {"DES_NOM": "Rossi S.r.l.", "COD_PTA_IVA": "12345678901", "COD_CLI_ERP": "CLI001"}
FULL_ROW = ROW | {
    "DES_IND": "Via Roma 123",
    "DES_CTA": "Milano",
    "COD_PRN": "MI",
    "COD_CAP": "20121",
    "COD_EML": "info@rossisrl.it",
    "FLG_ATV": "0",
}
PLAIN = [{"data": []}, {"data": [ROW]}, {"data": [FULL_ROW, ROW | {"COD_CLI_ERP": "CLI002"}]}]
NOT_PLAIN = [
    {"data": [ROW | {"NOTE": "a field the table does not list"}]},  # accepted, not plain
    {"data": [ROW | {"NOTE": {"a": [{"b": []}]}}]},
    {"data": [ROW | {"COD_CLI": "000001"}]},  # a code the fake makes, set apart
    {"data": [ROW], "page": 1},
    {"data": [ROW | {"FLG_ATV": "2"}]},  # refused rows
    {"data": [{"DES_NOM": "Rossi", "COD_PTA_IVA": "1"}]},
    {"data": [ROW | {"DES_NOM": ""}]},
    {"data": [ROW | {"COD_CAP": 20121}]},
    {"data": [ROW, "not a row"]},
    {"data": ROW},
    {"rows": [ROW]},
    [ROW],
    "data",
    None,
]


@pytest.fixture(scope="module")
def closed() -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(closed_schema("quoparts/importCli.request"))


@pytest.mark.parametrize("body", PLAIN)
def test_a_plain_body_passes_the_contract_within_three_levels(
    closed: jsonschema_rs.Validator, body: Any
) -> None:
    assert closed.is_valid(body)
    assert contract("quoparts/importCli.request").check(body) == []
    assert not too_deep(body, PLAIN_DEPTH)


@pytest.mark.parametrize("body", NOT_PLAIN)
def test_anything_else_is_left_to_the_contract_and_the_depth_check(
    closed: jsonschema_rs.Validator, body: Any
) -> None:
    assert not closed.is_valid(body)


def test_the_closed_rows_are_the_contracts_rows_of_text() -> None:
    """The shape the one walk relies on: ``data`` holds ``defs/customer`` rows, whose fields are
    all text (a row of them nests no deeper), and the closed schema keeps every rule of both."""
    body = load_schema("quoparts/importCli.request")
    row = load_schema("quoparts/defs/customer")
    assert body["properties"]["data"]["items"] == {"$ref": "defs/customer.json"}
    assert {field["type"] for field in row["properties"].values()} == {"string"}
    closed = closed_schema("quoparts/importCli.request")
    assert closed["required"] == body["required"]
    items = closed["properties"]["data"]["items"]
    assert {k: v for k, v in items.items() if k != "additionalProperties"} == {
        k: v for k, v in row.items() if k != "$schema"
    }
    assert closed["additionalProperties"] is False and items["additionalProperties"] is False


@pytest.mark.parametrize(("limit", "refused"), [(1, True), (2, True), (3, False), (64, False)])
def test_a_plain_body_is_held_to_a_depth_limit_below_its_own(limit: int, refused: bool) -> None:
    app = create_app({"kit": {"max_json_depth": limit}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        token = qp_login(http)
        answer = http.post(QP, params={"importCli": "", "token": token}, json={"data": [ROW]})
    body = answer.json()
    if refused:
        assert body == {"errorCode": "100", "error": "Richiesta errata", "data": []}
        assert f"deeper than {limit} levels" in answer.headers["X-Mockservers-Detail"]
    else:
        assert body["errorCode"] == "0" and body["data"][0]["COD_CLI"] == "000001", body


def test_a_malformed_body_gets_the_kits_own_refusal() -> None:
    app = create_app()
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        token = qp_login(http)
        answer = http.post(QP, params={"importCli": "", "token": token}, content=b'{"data": [')
    assert answer.json() == {"errorCode": "100", "error": "Richiesta errata", "data": []}
    assert "not valid JSON" in answer.headers["X-Mockservers-Detail"]
