"""QuoParts through HTTP: every seed example, every error code, tokens on the kit's clock."""

from __future__ import annotations

import re

import httpx
import orjson
import pytest

from contracts import contract
from mockservers import create_app
from mockservers.quoparts import responses
from mockservers.testing import SyncASGITransport
from tests.conftest import QP, qp_call, qp_login

pytestmark = pytest.mark.every_store  # the same behaviour on every store

SEED_CUSTOMER = {
    "DES_NOM": "Rossi S.r.l.",
    "DES_IND": "Via Roma 123",
    "DES_CTA": "Milano",
    "COD_PRN": "MI",
    "COD_CAP": "20121",
    "COD_EML": "info@rossisrl.it",
    "COD_PTA_IVA": "12345678901",
    "FLG_ATV": "1",
    "COD_CLI_ERP": "CLI001",
}
SEED_QUOTE = {
    "data": {
        "testata": {
            "COD_CLI": "000015",
            "COD_CLI_ERP": "CLI001",
            "COD_TGA": "TE001ST",
            "DES_VCL": "FORD B-Max 1.6 Ti-VCT Benzina",
        },
        "articoli": [
            {
                "DES_RGR": "Filtro olio",
                "COD_ART_PVT": "1883037",
                "DES_ART_PVT": "Filtro olio motore",
                "IMP_LST_PVT": 14.57,
                "QTA_DET_PVT": 1,
            }
        ],
    }
}
HEADER = {"COD_TGA": "AB123CD", "DES_VCL": "Fiat Panda"}
ARTICLE = {"DES_RGR": "Filtro olio", "COD_ART_PVT": "1883037"}


def assert_contract(name: str, body: object) -> None:
    assert contract(name).check(body) == []


# -- login ---------------------------------------------------------------------------------
def test_login_seed_example_gives_a_token_shaped_like_the_seed(http: httpx.Client) -> None:
    response = http.get(QP, params={"login": "", "username": "demo", "password": "demo"})
    assert response.status_code == 200
    body = response.json()
    assert_contract("quoparts/login.response", body)
    assert body["errorCode"] == "0" and body["error"] == ""
    token = body["data"][0]["TOKEN"]
    integer, _, fraction = token.partition(".")
    assert integer.isdigit() and fraction.isdigit()


def test_login_with_wrong_password_is_101_at_http_200(http: httpx.Client) -> None:
    response = http.get(QP, params={"login": "", "username": "demo", "password": "nope"})
    assert response.status_code == 200
    assert response.json() == {"errorCode": "101", "error": "Utente non Accreditato", "data": []}


def test_login_with_unknown_user_is_101(http: httpx.Client) -> None:
    body = http.get(QP, params={"login": "", "username": "ghost", "password": "demo"}).json()
    assert body["errorCode"] == "101"


def test_login_without_username_is_a_malformed_request(http: httpx.Client) -> None:
    response = http.get(QP, params={"login": "", "password": "demo"})
    assert response.json() == {"errorCode": "100", "error": "Richiesta errata", "data": []}
    assert "'username' is a required property" in response.headers["X-Mockservers-Detail"]


def test_a_new_login_keeps_earlier_tokens_valid(http: httpx.Client) -> None:
    first, second = qp_login(http), qp_login(http)
    assert first != second
    for token in (first, second):
        assert qp_call(http, "importCli", token, {"data": []}).json()["errorCode"] == "0"


def test_no_method_or_unknown_method_is_100(http: httpx.Client) -> None:
    for params in ({}, {"deleteCli": ""}):
        response = http.get(QP, params=params)
        assert response.status_code == 200
        assert response.json()["errorCode"] == "100"
        assert_contract("quoparts/error.response", response.json())


def test_every_method_flag_is_answered_on_get_and_post_alike(http: httpx.Client) -> None:
    """The flags and parameters are read from the query whatever the verb: the document's
    verbs are not the only ones."""
    login = http.post(QP, params={"login": "", "username": "demo", "password": "demo"})
    token = login.json()["data"][0]["TOKEN"]
    imported = http.request(
        "GET", QP, params={"importCli": "", "token": token}, json={"data": [SEED_CUSTOMER]}
    ).json()
    assert (imported["errorCode"], imported["data"][0]["COD_CLI"]) == ("0", "000001")
    assert list(http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]) == [
        "CLI001"
    ]
    journal = http.get("/__admin/requests", params={"vendor": "quoparts"}).json()
    assert [(e["method"], e["operation"]) for e in journal] == [
        ("GET", "importCli"),
        ("POST", "login"),
    ]


def test_a_form_body_is_not_read_for_flags_or_parameters(http: httpx.Client) -> None:
    """Every flag and parameter is read from the query only (where the document puts them): a
    POST form body's username, password, token or flag is not read, as it would be by a PHP
    script reading $_REQUEST."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def sent(query: dict[str, str], body: str) -> tuple[str, str, str]:
        answer = http.post(QP, params=query, content=body, headers=form)
        assert answer.status_code == 200
        assert_contract("quoparts/error.response", answer.json())
        said = answer.json()
        return said["errorCode"], said["error"], answer.headers["X-Mockservers-Detail"]

    assert sent({"login": ""}, "username=demo&password=demo") == (
        "100",
        "Richiesta errata",
        "query: password: 'password' is a required property;"
        " username: 'username' is a required property",
    )
    token = qp_login(http)
    assert sent({"importCli": ""}, f"token={token}") == (
        "101",
        "Utente non Accreditato",
        "the token is missing",
    )
    assert sent({}, "login=&username=demo&password=demo") == (
        "100",
        "Richiesta errata",
        "no method flag in the query: login, importCli or importPvt",
    )


def test_a_password_spelt_as_php_also_reads_it_is_masked_in_the_journal(
    http: httpx.Client,
) -> None:
    """PHP reads ``password[]``, ``password[0]`` and `` password`` (a leading space) as
    ``$_GET['password']``: the journal showed each in clear, in its target, its query and its
    curl line."""
    spellings = ["password[]", "password%5B0%5D", "+password", "%20password"]
    for n, spelling in enumerate(spellings):
        http.get(f"{QP}?login=&username=demo&{spelling}=Qp-S3cret-{n}")
    journal = http.get("/__admin/requests", params={"vendor": "quoparts"}).json()
    opened = [http.get(f"/__admin/requests/{entry['id']}").text for entry in journal]
    assert len(journal) == len(spellings)
    assert "Qp-S3cret" not in orjson.dumps(journal).decode() + "".join(opened)
    assert {tuple(entry["query"].values()) for entry in journal} == {("", "demo", "***")}


# -- tokens on the clock ---------------------------------------------------------------------
def test_token_expires_after_3600_seconds_of_the_kits_clock(http: httpx.Client) -> None:
    token = qp_login(http)
    http.post("/__admin/clock", json={"advance_seconds": 3599})
    assert qp_call(http, "importCli", token, {"data": []}).json()["errorCode"] == "0"
    http.post("/__admin/clock", json={"advance_seconds": 1})
    body = qp_call(http, "importCli", token, {"data": []}).json()
    assert body == {"errorCode": "101", "error": "Utente non Accreditato", "data": []}


@pytest.mark.parametrize("token", [None, "", "12345.678"])
def test_missing_or_unknown_token_is_101(http: httpx.Client, token: str | None) -> None:
    params = {"importCli": ""} | ({"token": token} if token is not None else {})
    body = http.post(QP, params=params, json={"data": [SEED_CUSTOMER]}).json()
    assert body["errorCode"] == "101"


def test_admin_expire_makes_every_token_refused(http: httpx.Client) -> None:
    token = qp_login(http)
    assert http.post("/__admin/quoparts/tokens/expire").json() == {"expired": 1}
    assert qp_call(http, "importPvt", token, SEED_QUOTE).json()["errorCode"] == "101"


def test_token_lifetime_and_auth_error_are_configurable() -> None:
    app = create_app(
        {"quoparts": {"token_ttl_seconds": 60, "auth_error_code": "102", "auth_error_message": "X"}}
    )
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        token = qp_login(http)
        http.post("/__admin/clock", json={"advance_seconds": 60})
        body = qp_call(http, "importCli", token, {"data": []}).json()
        assert body == {"errorCode": "102", "error": "X", "data": []}
        # The setting is the token's error: a wrong password keeps the document's answer...
        refused = http.get(QP, params={"login": "", "username": "demo", "password": "bad"})
        assert refused.json() == {"errorCode": "101", "error": "Utente non Accreditato", "data": []}
    # ... unless configured on its own (a sandbox that words the two apart)
    app = create_app({"quoparts": {"login_error_code": "103", "login_error_message": "Login"}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        refused = http.get(QP, params={"login": "", "username": "demo", "password": "bad"})
        assert refused.json() == {"errorCode": "103", "error": "Login", "data": []}
        expired = qp_call(http, "importCli", "1.2", {"data": []}).json()
        assert expired == {"errorCode": "101", "error": "Utente non Accreditato", "data": []}


# -- importCli ---------------------------------------------------------------------------------
def test_import_cli_seed_example(http: httpx.Client) -> None:
    response = qp_call(http, "importCli", qp_login(http), {"data": [SEED_CUSTOMER]})
    assert response.status_code == 200
    body = response.json()
    assert_contract("quoparts/importCli.response", body)
    assert body["errorCode"] == "0" and body["error"] == ""
    (row,) = body["data"]
    assert row["errorCode"] == "0" and row["error"] == "" and row["COD_CLI_ERP"] == "CLI001"
    assert row["COD_CLI"] == "000001" and row["COD_USR"] == "M00001"
    assert len(row["COD_PWD"]) == 6 and row["COD_PWD"].isalnum() and row["COD_PWD"].isupper()


def test_import_cli_reimport_updates_and_returns_the_same_codes(http: httpx.Client) -> None:
    token = qp_login(http)
    first = qp_call(http, "importCli", token, {"data": [SEED_CUSTOMER]}).json()["data"][0]
    changed = SEED_CUSTOMER | {"DES_CTA": "Torino"}
    again = qp_call(http, "importCli", token, {"data": [changed]}).json()["data"][0]
    assert {k: again[k] for k in ("COD_CLI", "COD_USR", "COD_PWD")} == {
        k: first[k] for k in ("COD_CLI", "COD_USR", "COD_PWD")
    }
    customers = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
    assert list(customers) == ["CLI001"]
    assert customers["CLI001"]["DES_CTA"] == "Torino"


def test_import_cli_codes_are_a_per_account_sequence(http: httpx.Client) -> None:
    token = qp_login(http)
    rows = [SEED_CUSTOMER | {"COD_CLI_ERP": f"E{i}"} for i in range(3)]
    data = qp_call(http, "importCli", token, {"data": rows}).json()["data"]
    assert [r["COD_CLI"] for r in data] == ["000001", "000002", "000003"]
    assert [r["COD_USR"] for r in data] == ["M00001", "M00002", "M00003"]


def test_import_cli_the_same_erp_code_twice_in_one_call_is_one_customer(
    http: httpx.Client,
) -> None:
    token = qp_login(http)
    rows = [
        SEED_CUSTOMER,
        SEED_CUSTOMER | {"DES_CTA": 7},  # refused: it must not take a code
        SEED_CUSTOMER | {"DES_CTA": "Torino"},
        SEED_CUSTOMER | {"COD_CLI_ERP": "CLI002"},
    ]
    data = qp_call(http, "importCli", token, {"data": rows}).json()["data"]
    assert [(r["errorCode"], r.get("COD_CLI")) for r in data] == [
        ("0", "000001"),
        ("100", None),
        ("0", "000001"),
        ("0", "000002"),
    ]
    assert data[2]["COD_PWD"] == data[0]["COD_PWD"] != data[3]["COD_PWD"]
    later = qp_call(http, "importCli", token, {"data": [SEED_CUSTOMER | {"COD_CLI_ERP": "C3"}]})
    assert later.json()["data"][0]["COD_CLI"] == "000003"  # no gap left by the duplicate
    state = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]
    assert state["customers"]["CLI001"]["DES_CTA"] == "Torino"  # the later row wins
    assert state["sequences"]["COD_CLI"] == 3
    quote = {"data": {"testata": HEADER | {"COD_CLI": "000002"}, "articoli": [ARTICLE]}}
    assert qp_call(http, "importPvt", token, quote).json()["errorCode"] == "0"


def test_import_cli_flg_atv_defaults_to_1_and_unknown_fields_are_kept(http: httpx.Client) -> None:
    row = {k: v for k, v in SEED_CUSTOMER.items() if k != "FLG_ATV"} | {"EXTRA_FIELD": "kept"}
    qp_call(http, "importCli", qp_login(http), {"data": [row]})
    stored = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]["CLI001"]
    assert stored["FLG_ATV"] == "1"
    assert stored["EXTRA_FIELD"] == "kept"
    assert stored["COD_PTA_IVA"] == "12345678901"  # the vendor's own names, as received


def test_import_cli_keeps_a_row_s_fields_named_like_its_codes_apart(http: httpx.Client) -> None:
    """The kit's codes took their place: the COD_CLI an ERP sent was lost."""
    clashing = {"COD_CLI": "ERP-9", "COD_PWD": "segreta"}
    answer = qp_call(http, "importCli", qp_login(http), {"data": [SEED_CUSTOMER | clashing]})
    assert answer.json()["data"][0]["COD_CLI"] == "000001"
    state = http.get("/__admin/state/quoparts").json()
    stored = state["tenants"]["demo"]["customers"]["CLI001"]
    assert stored["COD_CLI"] == "000001" and stored["sent"] == clashing
    assert {k: stored[k] for k in SEED_CUSTOMER} == SEED_CUSTOMER
    assert http.put("/__admin/state/quoparts", json=state).json() == state


def test_import_cli_rows_fail_independently(http: httpx.Client) -> None:
    rows = [
        SEED_CUSTOMER,
        {"DES_NOM": "Senza partita IVA", "COD_CLI_ERP": "CLI002"},
        SEED_CUSTOMER | {"COD_CLI_ERP": "CLI003", "DES_NOM": 42},
        "not an object",
        SEED_CUSTOMER | {"COD_CLI_ERP": "CLI004"},
    ]
    body = qp_call(http, "importCli", qp_login(http), {"data": rows}).json()
    assert_contract("quoparts/importCli.response", body)
    assert body["errorCode"] == "0"
    codes = [(r["COD_CLI_ERP"], r["errorCode"]) for r in body["data"]]
    assert codes == [
        ("CLI001", "0"),
        ("CLI002", "100"),
        ("CLI003", "100"),
        ("", "100"),
        ("CLI004", "0"),
    ]
    assert "COD_PTA_IVA" in body["data"][1]["error"]
    assert "DES_NOM" in body["data"][2]["error"]
    assert "COD_CLI" not in body["data"][1]
    stored = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
    assert sorted(stored) == ["CLI001", "CLI004"]


def test_import_cli_repeated_broken_rows_are_each_answered_as_alone(http: httpx.Client) -> None:
    """A connector's broken rows sent over and over (each explained once): every row gets the
    error it gets alone, and the detail names each by its place, in the body's order (data[2]
    before data[10])."""
    token = qp_login(http)
    broken = [
        {"DES_NOM": 1, "COD_PTA_IVA": "1", "COD_CLI_ERP": "A"},
        {"DES_NOM": "x", "COD_PTA_IVA": "1", "COD_CLI_ERP": "B", "FLG_ATV": "x"},
        "not an object",
    ]
    alone = [qp_call(http, "importCli", token, {"data": [row]}) for row in broken]
    rows = [broken[i % 3] for i in range(12)]
    rows[5] = SEED_CUSTOMER
    response = qp_call(http, "importCli", token, {"data": rows})
    answered = response.json()["data"]
    assert answered[5]["errorCode"] == "0"
    refused = [i for i in range(12) if i != 5]
    assert [answered[i] for i in refused] == [alone[i % 3].json()["data"][0] for i in refused]
    said = [alone[i % 3].headers["X-Mockservers-Detail"] for i in range(3)]
    assert response.headers["X-Mockservers-Detail"] == "; ".join(
        said[i % 3].replace("data[0]", f"data[{i}]") for i in refused
    )


WRITTEN = [
    "18446744073709551617",
    "18446744073709551616",
    "12345678901234567890123",
    "-18446744073709551617",
    "1.0",
    "1e3",
    "1000.0",
    "-0",
    "-7",
    "42",
    '"S2"',
]
"""Codes as a body writes them: beyond 64 bits, floats however spelt, small numbers, text."""


def import_written(http: httpx.Client, codes: list[str]) -> httpx.Response:
    """importCli of one row refused for its DES_NOM per code, its COD_CLI_ERP written so."""
    rows = [f'{{"DES_NOM": 1, "COD_PTA_IVA": "1", "COD_CLI_ERP": {code}}}' for code in codes]
    body = f'{{"data": [{", ".join(rows)}]}}'
    return http.post(QP, params={"importCli": "", "token": qp_login(http)}, content=body)


def test_import_cli_echoes_a_refused_row_s_code_as_written(http: httpx.Client) -> None:
    """COD_CLI_ERP is 'ricevuto in input', and a connector matches the answer's rows by it:
    each refused row's comes back as its body wrote it (18446744073709551617 came back as
    1.8446744073709552e+19, the same as 18446744073709551616's, 1e3 as 1000.0, -0 as 0)."""
    data = import_written(http, WRITTEN).json()["data"]
    assert [row["COD_CLI_ERP"] for row in data] == [code.strip('"') for code in WRITTEN]
    assert {row["errorCode"] for row in data} == {"100"}


def test_import_cli_s_detail_quotes_a_refused_row_s_code_as_written(http: httpx.Client) -> None:
    """The kit's diagnosis quoted what orjson read: 1.8446744073709552e+19 is not of type
    'string' for 18446744073709551617 (and for 18446744073709551616), 1000.0 for 1e3, 0 for
    -0, while the row's error echoed the code as written."""
    codes = ["18446744073709551617", "18446744073709551616", "1e3", "-0", "5.0", "-0.0", "7"]
    detail = import_written(http, codes).headers["X-Mockservers-Detail"]
    quoted = re.findall(r"data\[\d+\]\.COD_CLI_ERP: (\S+) is not of type 'string'", detail)
    assert quoted == codes
    assert detail.count("DES_NOM: 1 is not of type 'string'") == len(codes)


def test_import_cli_reads_the_body_once_without_a_float_code(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a refused row's float or 0 code sends the body to be read again (a 0 may have been
    written -0): whole numbers within 64 bits and text are echoed from the first read."""
    monkeypatch.setattr(responses, "read_as_written", None)  # a read again would fail the call
    data = import_written(http, ["-7", "42", "18446744073709551615", '"S2"']).json()["data"]
    assert [row["COD_CLI_ERP"] for row in data] == ["-7", "42", "18446744073709551615", "S2"]


@pytest.mark.parametrize(
    "payload",
    [{}, {"data": {"DES_NOM": "x"}}, {"data": "x"}, [SEED_CUSTOMER], "data", None],
    ids=["no-data", "data-object", "data-string", "array-body", "string-body", "null-body"],
)
def test_import_cli_bad_envelope_is_top_level_100(http: httpx.Client, payload: object) -> None:
    response = qp_call(http, "importCli", qp_login(http), payload)
    assert response.status_code == 200
    assert response.json()["errorCode"] == "100"
    assert response.json()["data"] == []


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b"\xff\xfe{}", b"[" * 100 + b"]" * 100],
    ids=["broken", "empty", "utf8", "deep"],
)
def test_malformed_bodies_are_100_never_500(http: httpx.Client, raw: bytes) -> None:
    token = qp_login(http)
    for method in ("importCli", "importPvt"):
        response = http.post(QP, params={method: "", "token": token}, content=raw)
        assert response.status_code == 200
        assert response.json()["errorCode"] == "100"


def test_huge_strings_are_stored_not_a_500(http: httpx.Client) -> None:
    row = SEED_CUSTOMER | {"DES_NOM": "R" * 1_000_000}
    body = qp_call(http, "importCli", qp_login(http), {"data": [row]}).json()
    assert body["data"][0]["errorCode"] == "0"


def test_body_over_the_limit_is_413_with_the_quoparts_envelope() -> None:
    app = create_app({"kit": {"max_body_bytes": 1024}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        response = qp_call(http, "importCli", qp_login(http), {"data": [SEED_CUSTOMER] * 50})
        assert response.status_code == 413
        assert response.json()["errorCode"] == "100"


# -- importPvt ---------------------------------------------------------------------------------
def _seed_customer_000015(http: httpx.Client) -> None:
    """The seed's quote names COD_CLI 000015 / CLI001: load that customer as a fixture."""
    state = {
        "tenants": {
            "demo": {
                "sequences": {"COD_CLI": 15},
                "customers": {
                    "CLI001": SEED_CUSTOMER
                    | {"COD_CLI": "000015", "COD_USR": "M00015", "COD_PWD": "O8HMER"}
                },
                "quotes": {},
            }
        }
    }
    assert http.put("/__admin/state/quoparts", json=state).status_code == 200


def test_import_pvt_seed_example_gives_the_seed_answer(http: httpx.Client) -> None:
    _seed_customer_000015(http)
    response = qp_call(http, "importPvt", qp_login(http), SEED_QUOTE)
    assert response.status_code == 200
    assert response.json() == {"errorCode": "0", "error": "", "data": [{"COD_DOC": "000001"}]}
    quote = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["quotes"]["000001"]
    assert quote["COD_CLI"] == "000015"
    assert quote["articoli"][0]["IMP_LST_PVT"] == 14.57


def test_import_pvt_keeps_data_s_other_fields_on_the_quote_and_the_kit_s_apart(
    http: httpx.Client,
) -> None:
    """They were dropped: only testata and articoli were kept. A field named like one the kit
    adds to a quote is kept under sent; a field beside data is the call's, not the quote's."""
    token = qp_login(http)
    qp_call(http, "importCli", token, {"data": [SEED_CUSTOMER]})
    data = {"testata": HEADER | {"COD_CLI_ERP": "CLI001"}, "articoli": [ARTICLE]}
    clashing = {"COD_DOC": "ERP-7", "created_at": "ieri", "sent": True}
    body = {"data": data | {"note": "urgente"} | clashing, "origine": "ERP"}
    assert qp_call(http, "importPvt", token, body).json()["data"] == [{"COD_DOC": "000001"}]
    state = http.get("/__admin/state/quoparts").json()
    quote = state["tenants"]["demo"]["quotes"]["000001"]
    assert quote["note"] == "urgente" and quote["sent"] == clashing
    assert quote["COD_DOC"] == "000001" and quote["created_at"] != "ieri"
    assert (quote["testata"], quote["articoli"]) == (data["testata"], data["articoli"])
    assert "origine" not in quote
    assert http.put("/__admin/state/quoparts", json=state).json() == state


def test_import_pvt_by_erp_code_alone(http: httpx.Client) -> None:
    token = qp_login(http)
    qp_call(http, "importCli", token, {"data": [SEED_CUSTOMER]})
    body = qp_call(
        http,
        "importPvt",
        token,
        {"data": {"testata": HEADER | {"COD_CLI_ERP": "CLI001"}, "articoli": [ARTICLE]}},
    ).json()
    assert body["data"] == [{"COD_DOC": "000001"}]


def test_import_pvt_finds_by_cod_cli_every_customer_loaded_or_imported(
    http: httpx.Client,
) -> None:
    token = qp_login(http)
    _seed_customer_000015(http)  # a state loaded through the admin API

    def quote_for(cod_cli: str) -> str:
        header = HEADER | {"COD_CLI": cod_cli}
        answer = qp_call(
            http, "importPvt", token, {"data": {"testata": header, "articoli": [ARTICLE]}}
        )
        return str(answer.json()["errorCode"])

    def import_one(erp: str) -> str:
        row = SEED_CUSTOMER | {"COD_CLI_ERP": erp}
        return str(qp_call(http, "importCli", token, {"data": [row]}).json()["data"][0]["COD_CLI"])

    assert import_one("E16") == "000016"
    assert [quote_for(code) for code in ("000015", "000016", "000017")] == ["0", "0", "107"]
    assert import_one("E17") == "000017"
    assert import_one("E16") == "000016"  # an update: still found under its code
    assert [quote_for(code) for code in ("000017", "000016", "000015")] == ["0", "0", "0"]


def test_the_seed_s_examples_run_in_order_on_a_fresh_fake_create_the_quote(
    http: httpx.Client,
) -> None:
    """The seed's importCli example gives CLI001 the code 000001; its importPvt example sends
    COD_CLI 000015 with COD_CLI_ERP CLI001. COD_CLI is looked up first ('prioritariamente') and
    finds no one, so CLI001 is: the quote was a 107."""
    token = qp_login(http)
    imported = qp_call(http, "importCli", token, {"data": [SEED_CUSTOMER]}).json()
    assert imported["data"][0]["COD_CLI"] == "000001"
    response = qp_call(http, "importPvt", token, SEED_QUOTE)
    assert response.json() == {"errorCode": "0", "error": "", "data": [{"COD_DOC": "000001"}]}
    quote = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["quotes"]["000001"]
    assert (quote["COD_CLI"], quote["COD_CLI_ERP"]) == ("000001", "CLI001")
    assert quote["testata"]["COD_CLI"] == "000015"  # the quote as sent
    entry = http.get("/__admin/requests", params={"operation": "importPvt"}).json()[0]
    assert "quoparts.quote_customer_by_erp_fallback" in entry["behaviours"]


def test_import_pvt_cod_cli_wins_over_cod_cli_erp_when_both_find_a_customer(
    http: httpx.Client,
) -> None:
    token = qp_login(http)
    rows = [SEED_CUSTOMER, SEED_CUSTOMER | {"COD_CLI_ERP": "CLI002"}]  # 000001, 000002
    qp_call(http, "importCli", token, {"data": rows})
    header = HEADER | {"COD_CLI": "000002", "COD_CLI_ERP": "CLI001"}
    body = qp_call(http, "importPvt", token, {"data": {"testata": header, "articoli": [ARTICLE]}})
    assert body.json()["data"] == [{"COD_DOC": "000001"}]
    quote = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["quotes"]["000001"]
    assert (quote["COD_CLI"], quote["COD_CLI_ERP"]) == ("000002", "CLI002")


def test_import_pvt_neither_code_finding_a_customer_is_107_naming_both(
    http: httpx.Client,
) -> None:
    token = qp_login(http)
    qp_call(http, "importCli", token, {"data": [SEED_CUSTOMER]})  # COD_CLI 000001
    header = HEADER | {"COD_CLI": "000099", "COD_CLI_ERP": "NOPE"}
    response = qp_call(
        http, "importPvt", token, {"data": {"testata": header, "articoli": [ARTICLE]}}
    )
    body = response.json()
    assert body == {
        "errorCode": "107",
        "error": "Errore durante la creazione del preventivo",
        "data": [],
    }
    detail = "no customer with COD_CLI 000099 nor COD_CLI_ERP NOPE"
    assert response.headers["X-Mockservers-Detail"] == detail
    assert_contract("quoparts/importPvt.response", body)


def test_without_the_fallback_an_unknown_cod_cli_is_107_whatever_cod_cli_erp_names() -> None:
    app = create_app({"quoparts": {"cod_cli_erp_fallback": False}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        token = qp_login(http)
        qp_call(http, "importCli", token, {"data": [SEED_CUSTOMER]})
        response = qp_call(http, "importPvt", token, SEED_QUOTE)
        assert response.json()["errorCode"] == "107"
        assert response.headers["X-Mockservers-Detail"] == (
            "no customer with COD_CLI 000015 (COD_CLI_ERP not looked up: cod_cli_erp_fallback"
            " is off)"
        )
        by_erp = {"testata": HEADER | {"COD_CLI_ERP": "CLI001"}, "articoli": [ARTICLE]}
        answer = qp_call(http, "importPvt", token, {"data": by_erp}).json()
        assert answer["data"] == [{"COD_DOC": "000001"}]  # COD_CLI_ERP alone still finds it


def test_import_pvt_unknown_customer_is_107(http: httpx.Client) -> None:
    response = qp_call(
        http,
        "importPvt",
        qp_login(http),
        {"data": {"testata": HEADER | {"COD_CLI_ERP": "NOPE"}, "articoli": [ARTICLE]}},
    )
    body = response.json()
    assert body == {
        "errorCode": "107",
        "error": "Errore durante la creazione del preventivo",
        "data": [],
    }
    assert response.headers["X-Mockservers-Detail"] == "no customer with COD_CLI_ERP NOPE"


@pytest.mark.parametrize("empty", ["", None])
def test_import_pvt_an_empty_cod_cli_beside_cod_cli_erp_finds_the_customer(
    http: httpx.Client, empty: str | None
) -> None:
    """ERP serializers send "" (or null) for a code they do not have."""
    token = qp_login(http)
    qp_call(http, "importCli", token, {"data": [SEED_CUSTOMER]})
    header = HEADER | {"COD_CLI": empty, "COD_CLI_ERP": "CLI001"}
    body = qp_call(
        http, "importPvt", token, {"data": {"testata": header, "articoli": [ARTICLE]}}
    ).json()
    assert body == {"errorCode": "0", "error": "", "data": [{"COD_DOC": "000001"}]}


NO_CUSTOMER_CODE = "data.testata: one of COD_CLI and COD_CLI_ERP is required (non-empty)"


@pytest.mark.parametrize(
    ("codes", "detail"),
    [
        ({"COD_CLI": "", "COD_CLI_ERP": ""}, NO_CUSTOMER_CODE),
        ({"COD_CLI": None}, NO_CUSTOMER_CODE),
        ({}, NO_CUSTOMER_CODE),
        (
            {"COD_CLI": 15},
            f"{NO_CUSTOMER_CODE}; data.testata.COD_CLI: 15 is not of type 'string', 'null'",
        ),
        (
            {"COD_CLI_ERP": 15},
            f"{NO_CUSTOMER_CODE}; data.testata.COD_CLI_ERP: 15 is not of type 'string', 'null'",
        ),
        (
            {"COD_CLI": "", "COD_CLI_ERP": ["CLI001"]},
            f"{NO_CUSTOMER_CODE}; data.testata.COD_CLI_ERP: ['CLI001'] is not of type"
            " 'string', 'null'",
        ),
        (
            {"COD_CLI": "000001", "COD_CLI_ERP": 15},
            "data.testata.COD_CLI_ERP: 15 is not of type 'string', 'null'",
        ),
    ],
)
def test_import_pvt_s_customer_code_faults_are_100_each_named_once(
    http: httpx.Client, codes: dict[str, object], detail: str
) -> None:
    """errorCode 100. Neither code usable (blank, null, absent, of another type): the detail
    says one of the two is required (it named COD_CLI alone, as if COD_CLI_ERP were no
    alternative); a code of the wrong type is named once (it was twice, against the choice's
    type and the field's), beside a usable one too."""
    response = qp_call(
        http,
        "importPvt",
        qp_login(http),
        {"data": {"testata": HEADER | codes, "articoli": [ARTICLE]}},
    )
    assert response.json() == {"errorCode": "100", "error": "Richiesta errata", "data": []}
    assert response.headers["X-Mockservers-Detail"] == detail


@pytest.mark.parametrize("code", ["18446744073709551617", "1e3", "-0", "2.50"])
def test_import_pvt_s_detail_quotes_a_numeric_customer_code_as_written(
    http: httpx.Client, code: str
) -> None:
    """A COD_CLI sent as a number is refused (100), and the kit's diagnosis quoted the number
    orjson read (1.8446744073709552e+19, 1000.0, 0, 2.5), not the one the connector sent."""
    quote = {"data": {"testata": HEADER, "articoli": [ARTICLE]}}
    body = orjson.dumps(quote).replace(b'"testata":{', f'"testata":{{"COD_CLI":{code},'.encode())
    params = {"importPvt": "", "token": qp_login(http)}
    response = http.post(QP, params=params, content=body)
    assert response.json() == {"errorCode": "100", "error": "Richiesta errata", "data": []}
    detail = response.headers["X-Mockservers-Detail"]
    assert f"data.testata.COD_CLI: {code} is not of type 'string'" in detail


@pytest.mark.parametrize(
    ("testata", "articoli"),
    [
        (HEADER | {"COD_CLI": "000001"}, []),
        (HEADER | {"COD_CLI": "000001"}, None),
        (HEADER, [ARTICLE]),
        ({"COD_CLI": "000001", "DES_VCL": "Panda"}, [ARTICLE]),
        (HEADER | {"COD_CLI": "000001"}, [ARTICLE | {"IMP_LST_PVT": "14.57"}]),
        (HEADER | {"COD_CLI": "000001"}, [ARTICLE | {"QTA_DET_PVT": "1"}]),
        (HEADER | {"COD_CLI": "000001"}, [{"DES_RGR": "x"}]),
    ],
    ids=[
        "no-articles",
        "articles-missing",
        "no-customer-code",
        "no-targa",
        "price-as-string",
        "qty-as-string",
        "article-no-code",
    ],
)
def test_import_pvt_bad_requests_are_100(
    http: httpx.Client, testata: dict[str, object], articoli: list[object] | None
) -> None:
    token = qp_login(http)
    qp_call(http, "importCli", token, {"data": [SEED_CUSTOMER]})
    data: dict[str, object] = {"testata": testata}
    if articoli is not None:
        data["articoli"] = articoli
    response = qp_call(http, "importPvt", token, {"data": data})
    assert response.status_code == 200
    assert response.json()["errorCode"] == "100"
    assert_contract("quoparts/importPvt.response", response.json())
    assert http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["quotes"] == {}


# -- tenants -------------------------------------------------------------------------------------
def test_accounts_keep_their_data_apart() -> None:
    app = create_app({"quoparts": {"accounts": [{"username": "acme", "password": "pw"}]}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        demo, acme = qp_login(http), qp_login(http, "acme", "pw")
        qp_call(http, "importCli", demo, {"data": [SEED_CUSTOMER]})
        body = qp_call(
            http, "importCli", acme, {"data": [SEED_CUSTOMER | {"COD_CLI_ERP": "A1"}]}
        ).json()
        assert body["data"][0]["COD_CLI"] == "000001"  # acme's own sequence
        quote = {"data": {"testata": HEADER | {"COD_CLI_ERP": "CLI001"}, "articoli": [ARTICLE]}}
        assert qp_call(http, "importPvt", acme, quote).json()["errorCode"] == "107"
        tenants = http.get("/__admin/state/quoparts").json()["tenants"]
        assert list(tenants["demo"]["customers"]) == ["CLI001"]
        assert list(tenants["acme"]["customers"]) == ["A1"]


def test_an_import_whose_codes_would_pass_2_53_writes_nothing(http: httpx.Client) -> None:
    """The import takes every new customer's COD_CLI before it writes any (only a state
    document sets the sequence near 2^53): past it, the vendor's 500 and nothing kept; one
    new customer still fits."""
    document = {"tenants": {"demo": {"sequences": {"COD_CLI": 2**53 - 1}}}}
    assert http.put("/__admin/state/quoparts", json=document).status_code == 200
    before = http.get("/__admin/state/quoparts").json()
    token = qp_login(http)
    rows = [SEED_CUSTOMER | {"COD_CLI_ERP": code} for code in ("N1", "N2")]
    refused = qp_call(http, "importCli", token, {"data": rows})
    assert refused.status_code == 500 and refused.json()["data"] == []
    assert http.get("/__admin/state/quoparts").json() == before
    (imported,) = qp_call(http, "importCli", token, {"data": rows[:1]}).json()["data"]
    assert imported["COD_CLI"] == str(2**53)


def test_a_customer_past_2_24_gets_a_password_no_earlier_one_has(http: httpx.Client) -> None:
    """The sequence a state document sets past 2^24: customer 2^24 + 1 took customer 1's
    COD_PWD, one login for two customers; the first customers keep theirs."""
    token = qp_login(http)
    (first,) = qp_call(http, "importCli", token, {"data": [SEED_CUSTOMER]}).json()["data"]
    assert first["COD_PWD"] == "75A611"
    state = http.get("/__admin/state/quoparts").json()
    state["tenants"]["demo"]["sequences"]["COD_CLI"] = 2**24
    assert http.put("/__admin/state/quoparts", json=state).status_code == 200
    rows = [SEED_CUSTOMER | {"COD_CLI_ERP": "CLI002"}]
    answer = qp_call(http, "importCli", token, {"data": rows}).json()
    assert contract("quoparts/importCli.response").check(answer) == []
    (later,) = answer["data"]
    assert (later["COD_CLI"], later["COD_PWD"]) == ("16777217", "GDXUR4")
