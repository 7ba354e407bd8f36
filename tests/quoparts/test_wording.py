"""QuoParts: every error path answers in the document's words, and the kit's diagnosis travels in
X-Mockservers-Detail and the journal.

The document gives three texts: ``"Richiesta errata"`` (100), ``"Utente non Accreditato"`` (101,
configurable) and ``"Errore durante la creazione del preventivo"`` (107); a top-level error
carries exactly one of them. Only an importCli row's ``error`` is a place for details: there the
kit writes ``"Richiesta errata: "`` and the fields at fault in Italian (``ROW_PHRASES``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from mockservers import create_app
from mockservers.testing import SyncASGITransport
from tests.conftest import QP, qp_login
from tests.wording import DETAIL, assert_detail, assert_vendor_words

BAD_REQUEST = "Richiesta errata"
NOT_ACCREDITED = "Utente non Accreditato"
QUOTE_FAILED = "Errore durante la creazione del preventivo"
TOKEN = "<token>"  # a query value replaced by a fresh demo token
NO_BODY = object()

CUSTOMER = {"DES_NOM": "Rossi S.r.l.", "COD_PTA_IVA": "12345678901", "COD_CLI_ERP": "CLI001"}
HEADER = {"COD_TGA": "AB123CD", "DES_VCL": "Fiat Panda"}
ARTICLE = {"DES_RGR": "Filtro olio", "COD_ART_PVT": "1883037"}


def top(code: str, text: str) -> dict[str, Any]:
    """A top-level QuoParts error, exactly as the document shows it."""
    return {"errorCode": code, "error": text, "data": []}


def row_refused(detail: str, erp: str = "CLI001") -> dict[str, Any]:
    """importCli with its one row refused: errorCode 100, the document's text, the detail."""
    row = {"errorCode": "100", "error": f"{BAD_REQUEST}: {detail}", "COD_CLI_ERP": erp}
    return {"errorCode": "0", "error": "", "data": [row]}


def quote(articles: list[Any] | None = None, **testata: Any) -> dict[str, Any]:
    return {"data": {"testata": HEADER | testata, "articoli": articles or [ARTICLE]}}


@dataclass(frozen=True)
class Case:
    """One request and the whole answer it gets."""

    method: str
    params: dict[str, str]
    answer: dict[str, Any]
    detail: tuple[str, ...]
    """What the detail header names (the journal holds the same text)."""
    body: Any = NO_BODY
    raw: bytes | None = None
    advance: float = 0
    """Seconds the kit's clock moves between the login and the call."""
    customers: list[dict[str, Any]] = field(default_factory=list)
    """Imported before the call."""


def login(answer: dict[str, Any], detail: tuple[str, ...], **params: str) -> Case:
    return Case("GET", {"login": ""} | params, answer, detail)


def cli(answer: dict[str, Any], detail: tuple[str, ...], **request: Any) -> Case:
    return Case("POST", {"importCli": "", "token": TOKEN}, answer, detail, **request)


def pvt(answer: dict[str, Any], detail: tuple[str, ...], **request: Any) -> Case:
    return Case("POST", {"importPvt": "", "token": TOKEN}, answer, detail, **request)


E100, E101, E107 = top("100", BAD_REQUEST), top("101", NOT_ACCREDITED), top("107", QUOTE_FAILED)
WITH_CODE = HEADER | {"COD_CLI": "000001"}
CASES = [
    # -- login and dispatch -----------------------------------------------------------------
    pytest.param(
        login(E101, ("wrong username or password",), username="demo", password="nope"),
        id="login-wrong-password-101",
    ),
    pytest.param(
        login(E101, ("wrong username or password",), username="ghost", password="demo"),
        id="login-unknown-user-101",
    ),
    pytest.param(login(E100, ("query", "username"), password="demo"), id="login-no-username-100"),
    pytest.param(
        login(E100, ("query", "password"), username="demo", password=""),
        id="login-empty-password-100",
    ),
    pytest.param(
        Case("GET", {"login": "x", "username": "demo", "password": "demo"}, E100, ("login",)),
        id="login-flag-with-a-value-100",
    ),
    pytest.param(  # the flag is checked before the token (this one is valid)
        Case("POST", {"importCli": "1", "token": TOKEN}, E100, ("importCli",), body={"data": []}),
        id="importCli-flag-with-a-value-100",
    ),
    pytest.param(
        Case("POST", {"importPvt": "x", "token": "1.2"}, E100, ("importPvt",), body={}),
        id="importPvt-flag-with-a-value-100",
    ),
    pytest.param(Case("GET", {}, E100, ("no method flag",)), id="no-method-100"),
    pytest.param(
        Case("POST", {"deleteCli": "", "token": TOKEN}, E100, ("no method flag",)),
        id="unknown-method-100",
    ),
    # -- tokens -----------------------------------------------------------------------------
    pytest.param(
        Case("POST", {"importCli": ""}, E101, ("token",), body={"data": []}),
        id="importCli-no-token-101",
    ),
    pytest.param(
        Case("POST", {"importCli": "", "token": "1.2"}, E101, ("token",), body={"data": []}),
        id="importCli-unknown-token-101",
    ),
    pytest.param(
        pvt(E101, ("expired",), body=quote(COD_CLI="000001"), advance=3600),
        id="importPvt-expired-token-101",
    ),
    # -- importCli: the body as a whole -----------------------------------------------------
    pytest.param(cli(E100, ("not valid JSON",), raw=b"{not json"), id="importCli-malformed-100"),
    pytest.param(cli(E100, ("not valid JSON",), raw=b""), id="importCli-empty-body-100"),
    pytest.param(cli(E100, ("not valid JSON",), raw=b"\xff\xfe{}"), id="importCli-bad-utf8-100"),
    pytest.param(
        cli(E100, ("deeper than 64",), raw=b"[" * 100 + b"]" * 100), id="importCli-too-deep-100"
    ),
    pytest.param(
        cli(E100, ("not a JSON object",), body=[CUSTOMER]), id="importCli-body-an-array-100"
    ),
    pytest.param(cli(E100, ("data",), body={}), id="importCli-data-missing-100"),
    pytest.param(cli(E100, ("data",), body={"data": CUSTOMER}), id="importCli-data-an-object-100"),
    # -- importCli: a row refused on its own, its error in Italian --------------------------
    pytest.param(
        cli(
            row_refused("campo DES_NOM obbligatorio"),
            ("data[0].DES_NOM", "required"),
            body={"data": [{k: v for k, v in CUSTOMER.items() if k != "DES_NOM"}]},
        ),
        id="importCli-row-field-missing",
    ),
    pytest.param(
        cli(
            row_refused("campo COD_PTA_IVA obbligatorio"),
            ("data[0].COD_PTA_IVA",),
            body={"data": [CUSTOMER | {"COD_PTA_IVA": ""}]},
        ),
        id="importCli-row-field-empty",
    ),
    pytest.param(
        cli(
            row_refused("campo COD_CLI_ERP obbligatorio", erp=""),
            ("data[0].COD_CLI_ERP",),
            body={"data": [CUSTOMER | {"COD_CLI_ERP": ""}]},
        ),
        id="importCli-row-erp-code-empty-echoed-empty",
    ),
    pytest.param(
        cli(
            row_refused("campo DES_NOM di tipo non valido (atteso stringa)"),
            ("data[0].DES_NOM", "None"),
            body={"data": [CUSTOMER | {"DES_NOM": None}]},
        ),
        id="importCli-row-field-null",
    ),
    pytest.param(
        cli(
            row_refused("campo DES_CTA di tipo non valido (atteso stringa)"),
            ("data[0].DES_CTA",),
            body={"data": [CUSTOMER | {"DES_CTA": 20121}]},
        ),
        id="importCli-row-field-wrong-type",
    ),
    pytest.param(
        cli(
            row_refused("campo FLG_ATV con valore non ammesso (ammessi '0', '1')"),
            ("data[0].FLG_ATV",),
            body={"data": [CUSTOMER | {"FLG_ATV": "2"}]},
        ),
        id="importCli-row-value-not-admitted",
    ),
    pytest.param(
        cli(  # one phrase per field: a number is of the wrong type before it is not '0' or '1'
            row_refused("campo FLG_ATV di tipo non valido (atteso stringa)"),
            ("data[0].FLG_ATV",),
            body={"data": [CUSTOMER | {"FLG_ATV": 1}]},
        ),
        id="importCli-row-enum-field-wrong-type",
    ),
    pytest.param(
        cli(  # the fields in the order of the document's table
            row_refused(
                "campo DES_NOM di tipo non valido (atteso stringa); "
                "campo COD_PTA_IVA di tipo non valido (atteso stringa)"
            ),
            ("data[0].COD_PTA_IVA", "data[0].DES_NOM"),
            body={"data": [CUSTOMER | {"DES_NOM": 1, "COD_PTA_IVA": 2}]},
        ),
        id="importCli-row-two-fields",
    ),
    pytest.param(
        cli(  # missing or of the wrong type, each field once, in the table's order
            row_refused(
                "campo DES_NOM obbligatorio; campo COD_PTA_IVA di tipo non valido (atteso "
                "stringa); campo FLG_ATV di tipo non valido (atteso stringa)"
            ),
            ("data[0]",),
            body={"data": [{"FLG_ATV": 1, "COD_PTA_IVA": 2, "COD_CLI_ERP": "CLI001"}]},
        ),
        id="importCli-row-three-fields-table-order",
    ),
    pytest.param(
        cli(
            row_refused("la riga deve essere un oggetto JSON", erp=""),
            ("data[0]", "'object'"),
            body={"data": ["Rossi S.r.l."]},
        ),
        id="importCli-row-not-an-object",
    ),
    # -- importPvt: 100 for a request the document does not admit ---------------------------
    pytest.param(pvt(E100, ("not valid JSON",), raw=b'{"data": '), id="importPvt-malformed-100"),
    pytest.param(pvt(E100, ("body", "'object'"), body=[]), id="importPvt-body-an-array-100"),
    pytest.param(pvt(E100, ("data",), body={}), id="importPvt-data-missing-100"),
    pytest.param(
        pvt(E100, ("data.testata",), body={"data": {"articoli": [ARTICLE]}}),
        id="importPvt-testata-missing-100",
    ),
    pytest.param(
        pvt(E100, ("data.articoli",), body={"data": {"testata": WITH_CODE, "articoli": []}}),
        id="importPvt-articoli-empty-100",
    ),
    pytest.param(
        pvt(E100, ("data.articoli",), body={"data": {"testata": WITH_CODE}}),
        id="importPvt-articoli-missing-100",
    ),
    pytest.param(pvt(E100, ("COD_CLI",), body=quote()), id="importPvt-no-customer-code-100"),
    pytest.param(
        pvt(E100, ("COD_CLI",), body=quote(COD_CLI="", COD_CLI_ERP=None)),
        id="importPvt-customer-codes-empty-and-null-100",
    ),
    pytest.param(
        pvt(E100, ("COD_CLI",), body=quote(COD_CLI=15)), id="importPvt-COD_CLI-a-number-100"
    ),
    pytest.param(
        pvt(
            E100,
            ("COD_TGA",),
            body={"data": {"testata": {"COD_CLI": "1", "DES_VCL": "x"}, "articoli": [ARTICLE]}},
        ),
        id="importPvt-COD_TGA-missing-100",
    ),
    pytest.param(
        pvt(E100, ("DES_VCL",), body=quote(COD_CLI="000001", DES_VCL="")),
        id="importPvt-DES_VCL-empty-100",
    ),
    pytest.param(
        pvt(
            E100,
            ("data.articoli[0].IMP_LST_PVT",),
            body=quote([ARTICLE | {"IMP_LST_PVT": "14.57"}], COD_CLI="000001"),
        ),
        id="importPvt-price-a-string-100",
    ),
    pytest.param(
        pvt(
            E100,
            ("data.articoli[0].QTA_DET_PVT",),
            body=quote([ARTICLE | {"QTA_DET_PVT": "1"}], COD_CLI="000001"),
        ),
        id="importPvt-quantity-a-string-100",
    ),
    pytest.param(
        pvt(
            E100,
            ("data.articoli[0].COD_ART_PVT",),
            body=quote([{"DES_RGR": "Filtro olio"}], COD_CLI="000001"),
        ),
        id="importPvt-article-code-missing-100",
    ),
    # -- importPvt: 107 for a customer that does not exist ----------------------------------
    pytest.param(
        pvt(
            E107,
            ("no customer with COD_CLI 000099 nor COD_CLI_ERP NOPE",),
            body=quote(COD_CLI="000099", COD_CLI_ERP="NOPE"),
            customers=[CUSTOMER],
        ),
        id="importPvt-unknown-COD_CLI-and-unknown-erp-code-107",
    ),
    pytest.param(
        pvt(E107, ("no customer with COD_CLI_ERP NOPE",), body=quote(COD_CLI_ERP="NOPE")),
        id="importPvt-unknown-COD_CLI_ERP-107",
    ),
    pytest.param(
        pvt(E107, ("COD_CLI_ERP NOPE",), body=quote(COD_CLI="", COD_CLI_ERP="NOPE")),
        id="importPvt-COD_CLI-empty-counts-as-not-given-107",
    ),
    pytest.param(
        pvt(E107, ("COD_CLI_ERP NOPE",), body=quote(COD_CLI=None, COD_CLI_ERP="NOPE")),
        id="importPvt-COD_CLI-null-counts-as-not-given-107",
    ),
]


def send(http: httpx.Client, case: Case) -> httpx.Response:
    token = qp_login(http)
    for customer in case.customers:
        imported = http.post(
            QP, params={"importCli": "", "token": token}, json={"data": [customer]}
        )
        assert imported.json()["data"][0]["errorCode"] == "0"
    if case.advance:
        http.post("/__admin/clock", json={"advance_seconds": case.advance})
    params = {k: token if v == TOKEN else v for k, v in case.params.items()}
    if case.raw is not None:
        return http.request(case.method, QP, params=params, content=case.raw)
    if case.body is not NO_BODY:
        return http.request(case.method, QP, params=params, json=case.body)
    return http.request(case.method, QP, params=params)


@pytest.mark.parametrize("case", CASES)
def test_error_paths_answer_in_the_documents_words(http: httpx.Client, case: Case) -> None:
    response = send(http, case)
    assert response.status_code == 200
    body = response.json()
    assert body == case.answer
    assert_vendor_words(body)
    assert_detail(http, response, *case.detail)


def test_the_configured_auth_error_is_answered_exactly() -> None:
    config = {"quoparts": {"auth_error_code": "102", "auth_error_message": "Token non valido"}}
    with httpx.Client(transport=SyncASGITransport(create_app(config)), base_url="http://t") as http:
        response = http.post(QP, params={"importCli": "", "token": "nope"}, json={"data": []})
        assert response.json() == top("102", "Token non valido")
        assert_detail(http, response, "token")


def test_the_kits_limits_keep_the_envelope_and_the_documented_text() -> None:
    with httpx.Client(
        transport=SyncASGITransport(create_app({"kit": {"max_body_bytes": 256}})),
        base_url="http://t",
    ) as http:
        token = qp_login(http)
        response = http.post(
            QP, params={"importCli": "", "token": token}, json={"data": [CUSTOMER] * 10}
        )
        assert response.status_code == 413
        assert response.json() == E100
        assert_detail(http, response, "larger than 256 bytes")


@pytest.mark.parametrize(
    ("status", "phrase"),
    [(500, "Internal Server Error"), (502, "Bad Gateway")],
    ids=["fault-500", "fault-502"],
)
def test_injected_status_faults_keep_the_envelope(
    http: httpx.Client, status: int, phrase: str
) -> None:
    """The document gives no text for these: the envelope carries the status and its phrase."""
    token = qp_login(http)
    fault = {"vendor": "quoparts", "kind": "status", "status": status, "times": 1}
    fault_id = http.post("/__admin/faults", json=fault).json()["id"]
    response = http.post(QP, params={"importCli": "", "token": token}, json={"data": []})
    assert response.status_code == status
    assert response.json() == top(str(status), phrase)
    assert_vendor_words(response.json())
    assert_detail(http, response, "injected status fault", fault_id)


@pytest.mark.parametrize(
    ("method", "path", "status", "phrase"),
    [
        ("POST", "/quoparts/ws_quoparts.php/other", 404, "Not Found"),
        ("PUT", QP, 405, "Method Not Allowed"),
    ],
    ids=["unknown-path-404", "method-not-allowed-405"],
)
def test_routing_errors_under_the_prefix_name_method_and_path(
    http: httpx.Client, method: str, path: str, status: int, phrase: str
) -> None:
    response = http.request(method, path)
    assert response.status_code == status
    assert response.json() == top(str(status), phrase)
    assert_detail(http, response, f"{method} {path}", journalled=False)


def test_the_detail_header_is_absent_from_a_successful_call(http: httpx.Client) -> None:
    response = http.post(
        QP, params={"importCli": "", "token": qp_login(http)}, json={"data": [CUSTOMER]}
    )
    assert response.json()["data"][0]["errorCode"] == "0"
    assert DETAIL not in response.headers
