"""QuoParts state machine: the reference client against the fake, checked against the model.

Rules: log in; let the clock run (across the token lifetime); import customers (new and re-imported
COD_CLI_ERP, optional FLG_ATV, extra fields, a COD_CLI of the row's own); import a partial batch
with bad rows through a client that does not validate; try bad rows through the validating client
(refused before anything is sent); import quotes by COD_CLI, COD_CLI_ERP or both, for existing and
unknown customers. After every call: the exchanges on the wire meet the contracts and are the ones
the model predicts (a refused token, a new login, the operation); after every step the fake's admin
state dump equals the model's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import rule

from clients.base import ContractViolation
from clients.quoparts import QuoPartsClient, QuoPartsError
from fuzz.plugins.quoparts.model import OK, QUOTE_FAILED, QuoPartsModel, Row
from fuzz.stateful import START, ClientMachine, Raised

USERNAME = PASSWORD = "demo"
ERP_CODES = ("CLI001", "CLI002", "CLI003", "CLI004")
REQUIRED = ("DES_NOM", "COD_PTA_IVA", "COD_CLI_ERP")

words = st.text(st.sampled_from("abcdefghilmnoprstuvzABCDEFGHILMNOPRSTUVZ àèìòù.-'"), min_size=1)
digits = st.text(st.sampled_from("0123456789"), min_size=1, max_size=11)

customers = st.fixed_dictionaries(
    {"DES_NOM": words, "COD_PTA_IVA": digits, "COD_CLI_ERP": st.sampled_from(ERP_CODES)},
    optional={
        "FLG_ATV": st.sampled_from(["0", "1"]),
        "DES_CTA": words,
        "COD_PRN": st.sampled_from(["MI", "RM", "TO"]),
        "COD_EML": st.just("info@example.it"),
        "NOTE_INTERNE": words,  # a field the document does not list: kept as given
        "COD_CLI": digits,  # one named like a code the fake makes: kept apart, as given
    },
)
good_rows = customers.map(Row)


def _break(fields: dict[str, Any], defect: str) -> Row:
    broken = dict(fields)
    rule_name, _, name = defect.partition(" ")
    if rule_name == "missing":
        broken.pop(name)
    elif rule_name == "empty":
        broken[name] = ""
    elif defect == "FLG_ATV 2":
        broken["FLG_ATV"] = "2"
    else:  # "number COD_PTA_IVA"
        broken["COD_PTA_IVA"] = 12345678901
    return Row(broken, defect)


DEFECTS = (
    *(f"missing {name}" for name in REQUIRED),
    *(f"empty {name}" for name in REQUIRED),
    "FLG_ATV 2",
    "number COD_PTA_IVA",
)
bad_rows = st.builds(_break, customers, st.sampled_from(DEFECTS))
mixed_batches = st.lists(st.one_of(good_rows, bad_rows), min_size=1, max_size=4).filter(
    lambda rows: any(row.defect for row in rows)
)
articles = st.lists(
    st.fixed_dictionaries(
        {"DES_RGR": words, "COD_ART_PVT": digits},
        optional={
            "DES_ART_PVT": words,
            "IMP_LST_PVT": st.integers(0, 100_000).map(lambda cents: cents / 100),
            "QTA_DET_PVT": st.integers(1, 20),
        },
    ),
    min_size=1,
    max_size=3,
)


class QuoPartsMachine(ClientMachine):
    vendor: ClassVar[str] = "quoparts"
    client_class: ClassVar[type[QuoPartsClient]] = QuoPartsClient

    def __init__(self) -> None:
        super().__init__()
        self.client = self.client_class(
            self.base_url, USERNAME, PASSWORD, transport=self.transport()
        )
        self.lenient = QuoPartsClient(
            self.base_url,
            USERNAME,
            PASSWORD,
            validate=False,
            transport=self.transport(strict=False),
        )
        self.model = QuoPartsModel(USERNAME, datetime.fromisoformat(START))

    def teardown(self) -> None:
        self.client.close()
        self.lenient.close()
        super().teardown()

    # -- rules ------------------------------------------------------------------------------
    @rule()
    def login(self) -> None:
        result = self.call(self.client.login)
        assert not isinstance(result, Raised), result
        self.expect_wire(self.model.login("client"))

    @rule(seconds=st.sampled_from([1, 600, 3599, 3600, 3601, 7200]))
    def clock_runs(self, seconds: int) -> None:
        self.advance(seconds)
        self.model.advance(seconds)

    @rule(rows=st.lists(good_rows, min_size=1, max_size=4))
    def import_customers(self, rows: list[Row]) -> None:
        result = self.call(lambda: self.client.import_customers([row.fields for row in rows]))
        self.expect_wire(self.model.authed("client", "importCli", OK))
        self.expect_rows(result, self.model.import_customers(rows))

    @rule(rows=mixed_batches)
    def import_partial_batch(self, rows: list[Row]) -> None:
        result = self.call(lambda: self.lenient.import_customers([row.fields for row in rows]))
        self.expect_wire(self.model.authed("lenient", "importCli", OK))
        self.expect_rows(result, self.model.import_customers(rows))

    @rule(rows=mixed_batches)
    def bad_rows_never_leave_the_client(self, rows: list[Row]) -> None:
        result = self.call(lambda: self.client.import_customers([row.fields for row in rows]))
        assert isinstance(result, Raised), f"a batch with bad rows was accepted: {result}"
        assert isinstance(result.error, ContractViolation), result
        assert self.last_exchanges == [], "the client sent a request it knew was invalid"

    @rule(data=st.data(), by=st.sampled_from(["COD_CLI", "COD_CLI_ERP", "both"]), items=articles)
    def import_quote(self, data: st.DataObject, by: str, items: list[dict[str, Any]]) -> None:
        header: dict[str, Any] = {"COD_TGA": "AB123CD", "DES_VCL": "FIAT Panda 1.2"}
        if by in ("COD_CLI", "both"):
            known = sorted(c["COD_CLI"] for c in self.model.customers.values())
            header["COD_CLI"] = data.draw(st.sampled_from([*known, "999999"]), label="COD_CLI")
        if by in ("COD_CLI_ERP", "both"):
            known = sorted(self.model.customers)
            header["COD_CLI_ERP"] = data.draw(st.sampled_from([*known, "NOPE"]), label="ERP")
        result = self.call(lambda: self.client.import_quote(header, items))
        expected = self.model.import_quote(header, items)
        if expected == QUOTE_FAILED:
            self.expect_wire(self.model.authed("client", "importPvt", QUOTE_FAILED))
            assert isinstance(result, Raised), f"expected errorCode 107, got COD_DOC {result}"
            assert isinstance(result.error, QuoPartsError), result
            assert result.error.code == QUOTE_FAILED, result
        else:
            self.expect_wire(self.model.authed("client", "importPvt", OK))
            assert result == expected, f"COD_DOC {result!r}, the model expects {expected!r}"

    # -- expectations -----------------------------------------------------------------------
    def expect_wire(self, expected: list[tuple[str, str]]) -> None:
        sent = [
            (operation, exchange.response.json().get("errorCode"))
            for operation, exchange in zip(self.wire_operations(), self.last_exchanges, strict=True)
        ]
        assert sent == expected, f"on the wire {sent}, the model expects {expected}"

    def expect_rows(self, result: Any, outcomes: list[dict[str, Any]]) -> None:
        assert not isinstance(result, Raised), result
        got = [
            {
                "errorCode": r.error_code,
                "COD_CLI_ERP": r.erp_code,
                "COD_CLI": r.customer_code,
                "COD_USR": r.username,
            }
            for r in result
        ]
        want = [
            {"COD_CLI": None, "COD_USR": None, **{k: v for k, v in o.items() if k != "COD_PWD"}}
            for o in outcomes
        ]
        assert got == want, f"importCli answered {got}, the model expects {want}"
        for row in result:
            if row.ok:
                known = self.model.learn_password(row.erp_code, row.password)
                assert known in (None, row.password), f"COD_PWD of {row.erp_code} changed"
