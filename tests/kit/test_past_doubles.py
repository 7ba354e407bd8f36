"""A number past a double's range (``1e400``, a whole number of 400 digits) in a body
(contracts/infinite.py): valid JSON, read as ±infinity; a listed field judged by its contract as
a whole number past its bounds, an unlisted one kept (written back as ``null``), on every store,
in the journal, its verdict and the state. Only a body that is not JSON past the number is
refused as malformed."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import orjson
import pytest

from contracts.infinite import read_past_doubles
from contracts.messages import verdict
from mockservers.testing import MockServer
from tests.conftest import ACCOUNTS, QP, qp_login
from tests.data import DEMO_KEEPIT_HEADERS, DEMO_XTRA_KEYS
from tests.kit.test_shadow import insert_identity, seed, the_shadow
from tests.proxying import KEEPIT, KEEPIT_QUERY, XTRA_KEYS, XTRA_LOGIN, XTRA_UPDATE, proxied

pytestmark = pytest.mark.every_store  # the same behaviour on every store

BIG = "1" + "0" * 400
"""A whole number past a double's range."""
HUGE = "1" + "0" * 5000
"""Past the 4,300 digits Python's ``int`` converts."""
PAST = ["1e400", "-1e400", BIG, HUGE]


def refused(text: str) -> orjson.JSONDecodeError:
    """What orjson said of ``text``."""
    with pytest.raises(orjson.JSONDecodeError) as caught:
        orjson.loads(text)
    return caught.value


def read(text: str) -> Any:
    return read_past_doubles(text.encode(), refused(text))


@pytest.mark.parametrize("written", PAST)
def test_a_number_past_a_double_s_range_reads_as_an_infinity(written: str) -> None:
    assert read(f'{{"a": [{written}, 1, 18446744073709551615, 1.5, "x"]}}') == {
        "a": [-math.inf if written.startswith("-") else math.inf, 1, 2**64 - 1, 1.5, "x"]
    }


def test_whole_numbers_past_64_bits_read_as_orjson_reads_them() -> None:
    """Beside the infinity, the body reads as orjson reads any: a float past 64 bits."""
    assert read(f"[{BIG}, 18446744073709551616, -9223372036854775808, -0]") == [
        math.inf,
        orjson.loads("18446744073709551616"),
        -(2**63),
        0,
    ]


@pytest.mark.parametrize(
    "text",
    [
        "[1e400,]",  # what orjson did not read past the number is held to JSON too
        "[1e400] x",
        "[1e400, NaN]",  # Python's reader takes these; orjson, the kit's, does not
        "[1e400, Infinity]",
        '[1e400, "\\ud800"]',
        '{"\\udc00": 1e400}',
    ],
)
def test_a_body_that_is_not_json_past_the_number_is_refused(text: str) -> None:
    with pytest.raises(orjson.JSONDecodeError):
        read(text)


def test_a_body_not_utf8_is_refused() -> None:
    with pytest.raises(orjson.JSONDecodeError):
        read_past_doubles(b'[1e400, "\xff"]', refused("[1e400]"))


def test_another_refusal_is_raised_again_as_it_is() -> None:
    refusal = refused("[1,]")
    with pytest.raises(orjson.JSONDecodeError) as caught:
        read_past_doubles(b"[1,]", refusal)
    assert caught.value is refusal


def test_the_verdict_judges_the_body_by_its_contract() -> None:
    """A journal entry's and the proxy's verdict: JSON, the unlisted field kept, the listed
    one out of an Int32's bounds (not "not JSON")."""

    def judged(record: str) -> list[str]:
        body = f'[{{"FIDGroup":1,"TypologyIds":[2],{record}}}]'.encode()
        found = verdict(
            "xtra", "updateIdentities", query=[], headers={}, body=body, status=200, answer=b""
        )
        return [said for said in found["request"] if "(headers)" not in said]

    assert judged('"Foo":1e400') == []
    assert judged('"ID":1e400') == [
        "xtra/updateIdentities.request: [0].ID: inf is greater than the maximum of 2147483647"
    ]


# Through HTTP: each vendor, a listed field and an unlisted one.


def put(template: str, *values: str) -> str:
    """``template`` (JSON with ``%`` where a value goes) with ``values`` in their places."""
    for value in values:
        template = template.replace("%", value, 1)
    return template


def quoparts(http: httpx.Client, operation: str, body: str) -> httpx.Response:
    params = {operation: "", "token": qp_login(http)}
    headers = {"Content-Type": "application/json"}
    return http.post(QP, params=params, content=body, headers=headers)


CUSTOMER = '{"DES_NOM":"R","COD_PTA_IVA":"1","COD_CLI_ERP":"C9"%}'


@pytest.mark.parametrize("number", PAST)
def test_quoparts_keeps_an_unlisted_field_and_refuses_a_listed_one(
    http: httpx.Client, number: str
) -> None:
    unlisted = quoparts(http, "importCli", put('{"data":[%]}', put(CUSTOMER, f',"NOTE":{number}')))
    assert unlisted.json()["data"][0]["errorCode"] == "0", unlisted.text
    listed = quoparts(
        http,
        "importCli",
        put('{"data":[{"DES_NOM":%,"COD_PTA_IVA":"1","COD_CLI_ERP":"C8"}]}', number),
    )
    assert listed.status_code == 200
    assert listed.json()["data"][0]["error"] == (
        "Richiesta errata: campo DES_NOM di tipo non valido (atteso stringa)"
    )
    assert listed.headers["x-mockservers-detail"].startswith(
        f"data[0]: data[0].DES_NOM: {number[:200]}"
    )
    quote = (
        '{"data":{"testata":{"COD_CLI_ERP":"C9","COD_TGA":"x","DES_VCL":"y"},'
        '"articoli":[{"DES_RGR":"a","COD_ART_PVT":"b","IMP_LST_PVT":%}]},"origine":%}'
    )
    assert quoparts(http, "importPvt", put(quote, number, number)).json()["errorCode"] == "0"
    state = http.get("/__admin/state/quoparts").json()
    (customer,) = state["tenants"]["demo"]["customers"].values()
    (kept,) = state["tenants"]["demo"]["quotes"].values()
    assert customer["NOTE"] is None  # an infinity, written back as JSON can: null
    assert kept["articoli"][0]["IMP_LST_PVT"] is None


def xtra(http: httpx.Client, body: str) -> httpx.Response:
    headers = DEMO_XTRA_KEYS | {"Content-Type": "application/json"}
    return http.post(XTRA_UPDATE, content=body, headers=headers)


@pytest.mark.parametrize("number", PAST)
def test_xtra_keeps_an_unlisted_field_and_an_int32_is_out_of_range(
    http: httpx.Client, number: str
) -> None:
    """As 1e300 or 2^64 would be: a whole number past an Int32's bounds, not another type."""
    record = xtra(http, put('[{"FIDGroup":1,"TypologyIds":[2],"Foo":%}]', number)).json()
    assert record["result"]["records"][0]["Item3"] is True, record
    answer = xtra(http, put('[{"ID":%,"FIDGroup":1,"TypologyIds":[2]}]', number))
    (record,) = answer.json()["result"]["records"]
    assert record["Item4"] == {
        "Code": "ER.IR.INVAL",
        "Message": "Richiesta non valida: campo ID fuori dai limiti ammessi",
    }
    (group,) = xtra(http, put('[{"FIDGroup":%,"TypologyIds":[2]}]', number)).json()["result"][
        "records"
    ]
    # The rule an identity's group must meet ("then": an integer) sets no bound: no integer
    assert "campo FIDGroup di tipo non valido (atteso intero)" in group["Item4"]["Message"]
    named = xtra(http, put('[{"FIDGroup":1,"TypologyIds":[2],"Name":%}]', number)).json()
    assert "campo Name di tipo non valido" in named["result"]["records"][0]["Item4"]["Message"]
    assert http.get("/__admin/state/xtra").status_code == 200


@pytest.mark.parametrize("number", PAST)
def test_an_access_token_s_scope_reads_such_an_id_as_another_identity(
    http: httpx.Client, number: str
) -> None:
    """As ``1e300`` or ``2147483648``: a whole number, past every bound, so not the token's own
    identity (nor user): the whole call is a 403, not a record's ER.IR.INVAL."""
    login = {"Username": "demo", "Password": "demo"}
    token = http.post(XTRA_LOGIN, json=login).json()["result"]["Token"]
    headers = {"AccessToken": token, "Content-Type": "application/json"}
    for body, whose in (
        (put('[{"ID":%,"Surname":"R"}]', number), "l'anagrafica 1"),
        (
            put('[{"ID":1,"Users":[{"ID":%,"Password":"p","ConfirmPassword":"p"}]}]', number),
            "l'utente 1",
        ),
    ):
        answer = http.post(XTRA_UPDATE, content=body, headers=headers)
        assert answer.status_code == 403, answer.text
        assert answer.json()["message"] == f"Con AccessToken si può aggiornare solo {whose}"


def keepit(http: httpx.Client, code: str, more: str = "") -> httpx.Response:
    record = put(
        '{"action":"I","subjects":{"customerCode":%,"system":"DW","subjectType":"FIDELITY",'
        '"subjectSubtype":"4","isCompany":"F","countryRegistration":"IT"%}}',
        code,
        more,
    )
    headers = DEMO_KEEPIT_HEADERS | {"Content-Type": "application/json"}
    body = put('{"subjectsRecords":[%]}', record)
    return http.post(KEEPIT, params=KEEPIT_QUERY, content=body, headers=headers)


@pytest.mark.parametrize("number", PAST)
def test_keepit_keeps_an_unlisted_field_and_a_customer_code_is_out_of_range(
    http: httpx.Client, number: str
) -> None:
    kept = keepit(http, '"C1"', f',"foo":{number}')
    assert kept.status_code == 200 and kept.json()["success"] is True, kept.text
    code = keepit(http, number)
    assert code.status_code == 400
    (entry,) = json.loads(code.text, parse_int=str, parse_float=str)["errorObjects"]
    assert entry["errorMessage"] == "Errore: customerCode fuori dai limiti ammessi."
    # echoed as sent, whatever its length or spelling (1e400 was echoed as read: null)
    assert entry["customerCode"] == number
    (kept,) = http.get("/__admin/state/keepit").json()["tenants"]["1/1"]["subjects"].values()
    assert kept["subjects"]["foo"] is None  # an infinity, written back as JSON can: null


def tsdigital(http: httpx.Client, body: str) -> httpx.Response:
    token = http.post("/__admin/tsdigital/tokens", json={"kind": "user"}).json()["token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "X-App-Name": "erp",
        "X-App-Version": "1",
        "Content-Type": "application/json",
    }
    return http.post("/tsdigital/api/v3/items", content=body, headers=headers)


@pytest.mark.parametrize("number", PAST)
def test_tsdigital_keeps_an_unlisted_field_and_a_date_is_out_of_range(
    http: httpx.Client, number: str
) -> None:
    base = '"identifier":{"vatNumber":"01234567890"}'
    kept = tsdigital(http, put('{"item":{"base":{%}},"foo":%}', base, number))
    assert kept.status_code == 202, kept.text
    dated = tsdigital(http, put('{"item":{"base":{%,"details":{"birthDate":%}}}}', base, number))
    assert dated.status_code == 400
    assert dated.json()["subErrors"] == [
        {
            "field": "item.base.details.birthDate",
            "message": "Il campo item.base.details.birthDate è fuori dai limiti ammessi",
        }
    ]
    assert http.get("/__admin/state/tsdigital").status_code == 200


def test_a_long_body_with_such_a_number_is_not_taken_for_one_nested_too_deep(
    http: httpx.Client,
) -> None:
    """The depth check walks a long body with jsonschema-rs, to which an infinity is of no
    JSON type: it nests no deeper for that."""
    rows = ",".join(put(CUSTOMER, f',"NOTE":1e400,"N":{n}') for n in range(100))
    answer = quoparts(http, "importCli", put('{"data":[%]}', rows))
    assert [row["errorCode"] for row in answer.json()["data"]] == ["0"] * 100


@pytest.mark.parametrize("body", ['{"data":[1e400,]}', '{"data":[1e400, NaN]}'])
def test_a_body_not_json_past_the_number_is_still_malformed(http: httpx.Client, body: str) -> None:
    answer = quoparts(http, "importCli", body)
    assert answer.json() == {"errorCode": "100", "error": "Richiesta errata", "data": []}
    assert answer.headers["x-mockservers-detail"].startswith("the body is not valid JSON")


def test_the_journal_shows_such_a_body_as_sent_its_secrets_masked(http: httpx.Client) -> None:
    headers = DEMO_XTRA_KEYS | {"Content-Type": "application/json"}
    body = '{"Username":"demo","Password":"demo","x":1e400}'
    assert http.post(XTRA_LOGIN, content=body, headers=headers).status_code == 200
    (listed,) = http.get("/__admin/requests", params={"limit": 1}).json()
    entry = http.get(f"/__admin/requests/{listed['id']}").json()
    assert entry["request"] == '{"Username":"demo","Password":"***","x":1e400}'
    assert entry["verdict"] == {"request": [], "response": []}


def test_a_body_matcher_reads_such_a_body_as_the_fake_read_it(http: httpx.Client) -> None:
    """Shown as text, such a body never matched a ``body`` matcher (``expected an object``):
    it is matched as the fake read it, its secrets masked as shown, and still shown as sent."""
    headers = DEMO_XTRA_KEYS | {"Content-Type": "application/json"}
    for note in ("1", "1e400", BIG):
        body = f'{{"Username":"demo","Password":"demo","Note":{note}}}'
        assert http.post(XTRA_LOGIN, content=body, headers=headers).is_success
    matcher = {"vendor": "xtra", "operation": "login", "body": {"Username": "demo"}}
    assert http.post("/__admin/requests/count", json=matcher).json() == {"count": 3}
    masked = matcher | {"body": {"Password": "***", "Note": 1}}
    assert http.post("/__admin/requests/count", json=masked).json() == {"count": 1}
    clear = matcher | {"body": {"Password": "demo"}}
    assert http.post("/__admin/requests/count", json=clear).json() == {"count": 0}
    missed = http.post(
        "/__admin/requests/verify", json={"matcher": matcher | {"body": {"Note": 2}}}
    )
    shown = [miss["entry"]["request"] for miss in missed.json()["near_misses"]]
    assert shown[:2] == [
        f'{{"Username":"demo","Password":"***","Note":{note}}}' for note in (BIG, "1e400")
    ]
    assert [miss["differences"] for miss in missed.json()["near_misses"]] == [
        ["body.Note: expected 2, got infinity (a number past a double's range)"],
        ["body.Note: expected 2, got infinity (a number past a double's range)"],
        ["body.Note: expected 2, got 1"],
    ]


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            '{"advance_seconds": 1e400}',
            "the body holds a number past a double's range, which no admin field takes",
        ),
        (
            '{"advance_seconds": 1e400,}',
            "the body is not valid JSON: Expecting property name enclosed in double quotes",
        ),
        ('{"advance_seconds": 1e400 garbage', "the body is not valid JSON: Expecting ','"),
    ],
)
def test_the_admin_api_says_what_it_does_not_take(http: httpx.Client, body: str, said: str) -> None:
    """A body not JSON past the number is told so, as any broken body: told of the number, a
    user who fixed it would then meet a second refusal."""
    answer = http.post("/__admin/clock", content=body)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(said)


@pytest.mark.parametrize("number", ["1e400", BIG])
def test_the_shadow_translates_an_id_beside_such_a_number_which_stays_as_written(
    number: str,
) -> None:
    """The shadow read such a body as no JSON, so asked the fake of the vendor's ID (an
    identity it does not have): now it is read as the fake reads it, the fake's ID written in
    the vendor's place and the number left as it was sent (a parse writes it ``null``)."""
    with MockServer(ACCOUNTS) as upstream:
        seed(upstream)
        with proxied(upstream, ("xtra",), shadow=True) as (app, http):
            vendor_id = insert_identity(http)
            headers = XTRA_KEYS | {"Content-Type": "application/json"}
            sent = put('[{"ID":%,"Denomination":"B","Foo":%}]', str(vendor_id), number)
            http.post(XTRA_UPDATE, headers=headers, content=sent)
            (latest,) = http.get("/__admin/requests", params={"limit": 1}).json()
            with the_shadow(app) as fake:
                asked, inserted_there = fake.get("/__admin/requests", params={"limit": 2}).json()
    fake_id = inserted_there["response"]["result"]["records"][0]["Item1"]
    assert fake_id != vendor_id  # the upstream's sequence was ahead
    assert asked["request"] == put('[{"ID":%,"Denomination":"B","Foo":%}]', str(fake_id), number)
    assert asked["response"]["result"]["records"][0]["Item3"] is True
    assert latest["shadow"] == []
