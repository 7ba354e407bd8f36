"""QuoParts: the rows of one importCli call that name the same customers. A stored customer
keeps its codes for every row that names it, the last row is what is stored, and a row costs
no more for a larger stored customer: 100 rows naming one customer of 60,000 fields parsed it
once per row (3.7 s, every other caller of the kit waiting)."""

from __future__ import annotations

import json

import httpx
import pytest

from mockservers import create_app
from mockservers.testing import SyncASGITransport
from tests.batches import counted, in_order
from tests.conftest import QP, qp_call, qp_login

ROW = {"DES_NOM": "Rossi", "COD_PTA_IVA": "1"}


def codes(erp: str, number: int, password: str) -> dict[str, str]:
    """A customer's codes, as an answer row gives them."""
    return {
        "COD_CLI_ERP": erp,
        "COD_CLI": f"{number:06d}",
        "COD_USR": f"M{number:05d}",
        "COD_PWD": password,
    }


@pytest.mark.every_store
def test_rows_naming_a_customer_twice_keep_its_codes_and_store_the_last(
    http: httpx.Client,
) -> None:
    token = qp_login(http)
    qp_call(http, "importCli", token, {"data": [ROW | {"COD_CLI_ERP": "P1", "x": 1}]})
    qp_call(http, "importCli", token, {"data": [ROW | {"COD_CLI_ERP": "P2"}]})
    rows = [
        ROW | {"COD_CLI_ERP": "P1", "DES_NOM": "a"},
        ROW | {"COD_CLI_ERP": "P3"},
        ROW | {"COD_CLI_ERP": "P1", "DES_NOM": "b", "FLG_ATV": "0"},
        ROW | {"COD_CLI_ERP": "P2", "COD_CLI": "mine"},
        ROW | {"COD_CLI_ERP": "P3", "DES_NOM": "c"},
    ]
    answer = qp_call(http, "importCli", token, {"data": rows}).json()
    p1, p2, p3 = codes("P1", 1, "75A611"), codes("P2", 2, "2C2CC2"), codes("P3", 3, "E4B2B3")
    accepted = {"errorCode": "0", "error": ""}
    assert answer["data"] == [accepted | row for row in (p1, p3, p1, p2, p3)]
    tenant = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]
    assert tenant["sequences"] == {"COD_CLI": 3}
    assert in_order(tenant["customers"]) == in_order(
        {
            "P1": {"DES_NOM": "b", "COD_PTA_IVA": "1", "COD_CLI_ERP": "P1", "FLG_ATV": "0"}
            | {k: p1[k] for k in ("COD_CLI", "COD_USR", "COD_PWD")},
            "P2": ROW
            | {"COD_CLI_ERP": "P2", "sent": {"COD_CLI": "mine"}, "FLG_ATV": "1"}
            | {k: p2[k] for k in ("COD_CLI", "COD_USR", "COD_PWD")},
            "P3": {"DES_NOM": "c", "COD_PTA_IVA": "1", "COD_CLI_ERP": "P3", "FLG_ATV": "1"}
            | {k: p3[k] for k in ("COD_CLI", "COD_USR", "COD_PWD")},
        }
    )


def test_a_row_costs_no_more_for_a_larger_customer(monkeypatch: pytest.MonkeyPatch) -> None:
    """100 rows naming one stored customer of 5,000 fields read it once."""
    app = create_app()
    fields = {f"k{n}": "" for n in range(5000)}
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers") as http:
        token = qp_login(http)
        qp_call(http, "importCli", token, {"data": [ROW | {"COD_CLI_ERP": "P1", **fields}]})
        stored = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]["P1"]
    size = len(json.dumps(stored, separators=(",", ":")).encode())
    rows = {"data": [ROW | {"COD_CLI_ERP": "P1", "DES_NOM": f"n{n}"} for n in range(100)]}
    params = {"importCli": "", "token": token}
    response, work = counted(monkeypatch, app, "POST", QP, params=params, json=rows)
    assert [row["COD_CLI"] for row in response.json()["data"]] == ["000001"] * 100
    assert work.parsed == size  # read once
