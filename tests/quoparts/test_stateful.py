"""QuoParts model-based test: the reference client against the fake, step by step, checked
against a plain-Python model; and proof that it catches a broken client and a broken fake."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pytest

from clients.base import Flow
from clients.quoparts import CustomerResult, QuoPartsClient
from fuzz import suite
from fuzz.plugins.quoparts.machine import QuoPartsMachine
from mockservers.quoparts import models
from tests.machines import find_bug

pytestmark = pytest.mark.fuzz


def test_client_and_fake_agree_with_the_model() -> None:
    suite.run_machine("quoparts")


class SloppyClient(QuoPartsClient):
    """A test double: checks the rows, then sends FLG_ATV as a number (the contract says string)."""

    def _import_customers(self, rows: Iterable[dict[str, Any]]) -> Flow[list[CustomerResult]]:
        rows = list(rows)
        payload = {"data": [{**row, "FLG_ATV": int(row.get("FLG_ATV", "1"))} for row in rows]}
        body = yield from self._authed("importCli", payload)
        return [CustomerResult(str(r["COD_CLI_ERP"]), True, "0", "") for r in body["data"]]


class SloppyClientMachine(QuoPartsMachine):
    client_class = SloppyClient


def test_a_client_that_breaks_its_request_contract_is_caught() -> None:
    with pytest.raises(AssertionError, match=r"request contract broken by POST .*importCli") as e:
        find_bug(SloppyClientMachine)
    # Which row and which flag come first depends on the profile's examples (deep: random).
    broken = r"quoparts/importCli\.request: data\[\d+\]\.FLG_ATV: [01] is not of type 'string'"
    assert re.search(broken, str(e.value)), e.value


def test_a_fake_with_the_wrong_flg_atv_default_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    original = models.QuoPartsModel.upsert_customers

    def inactive_by_default(self, tenant, rows, *plain):  # type: ignore[no-untyped-def]
        return original(self, tenant, [{"FLG_ATV": "0", **row} for row in rows], *plain)

    monkeypatch.setattr(models.QuoPartsModel, "upsert_customers", inactive_by_default)
    with pytest.raises(AssertionError, match=r"state differs from the model: .*/FLG_ATV: fake '0'"):
        find_bug(QuoPartsMachine)


def test_a_fake_where_cod_cli_erp_wins_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    original = models.QuoPartsModel.find_customer

    def erp_first(self, tenant, header):  # type: ignore[no-untyped-def]
        if "COD_CLI_ERP" in header:
            header = {k: v for k, v in header.items() if k != "COD_CLI"}
        return original(self, tenant, header)

    monkeypatch.setattr(models.QuoPartsModel, "find_customer", erp_first)
    # Either the exchange differs (a quote refused or accepted against the model) or the quote
    # lands on the other customer: which comes first depends on the generated data, and that
    # shifts with any source change (Hypothesis draws constants from the project's code).
    caught = r"on the wire .*importPvt.*the model expects|state differs from the model: .*/quotes/"
    with pytest.raises(AssertionError, match=caught):
        find_bug(QuoPartsMachine)


def test_a_fake_whose_codes_hide_a_row_s_field_of_the_same_name_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(models, "set_apart", lambda given, own: given)
    hidden = r"state differs from the model: .*/customers/.*/sent: fake .<absent>."
    with pytest.raises(AssertionError, match=hidden):
        find_bug(QuoPartsMachine)
