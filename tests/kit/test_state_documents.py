"""``PUT /__admin/state``: a fixture written by hand, without its sequences, never has its IDs
given again (the next write would have replaced a loaded record); a document the rules could
not use is a 400 that changes nothing, never a later 500; a session's state round-trips."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import orjson
import pytest

from mockservers.tsdigital.models import item_uuid
from tests.conftest import qp_call, qp_login
from tests.data import keepit_customer
from tests.xtra import test_http as xtra

KEEPIT = "/keepit/api"
KEEPIT_QUERY = {"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"}
KEEPIT_HEADERS = {"username": "demo", "password": "demo", "companyId": "1", "siteId": "1"}
XTRA_KEYS = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
CODES = {"COD_USR": "M00001", "COD_PWD": "ABC123"}


def put(http: httpx.Client, vendor: str, document: Any) -> httpx.Response:
    return http.put(f"/__admin/state/{vendor}", json=document)


def state(http: httpx.Client, vendor: str) -> dict[str, Any]:
    return http.get(f"/__admin/state/{vendor}").json()["tenants"]


def keepit(http: httpx.Client, *records: dict[str, Any]) -> dict[str, Any]:
    answer = http.post(
        KEEPIT, params=KEEPIT_QUERY, headers=KEEPIT_HEADERS, json={"subjectsRecords": records}
    )
    return answer.json()


def test_quoparts_codes_continue_after_those_a_fixture_holds(http: httpx.Client) -> None:
    customer = {"COD_CLI_ERP": "CLI001", "DES_NOM": "Rossi", "COD_CLI": "000007", **CODES}
    quote = {"COD_DOC": "000004", "COD_CLI": "000007", "COD_CLI_ERP": "CLI001"}
    fixture = {"customers": {"CLI001": customer}, "quotes": {"000004": quote}}
    assert put(http, "quoparts", {"tenants": {"demo": fixture}}).status_code == 200
    token = qp_login(http)
    row = {"COD_CLI_ERP": "CLI002", "DES_NOM": "Bianchi", "COD_PTA_IVA": "1"}
    (answer,) = qp_call(http, "importCli", token, {"data": [row]}).json()["data"]
    assert answer["COD_CLI"] == "000008"
    testata = {"COD_CLI": "000007", "COD_TGA": "X", "DES_VCL": "Y"}
    pvt = {"data": {"testata": testata, "articoli": [{"DES_RGR": "a", "COD_ART_PVT": "b"}]}}
    assert qp_call(http, "importPvt", token, pvt).json()["data"] == [{"COD_DOC": "000005"}]
    stored = state(http, "quoparts")["demo"]
    assert stored["quotes"]["000005"]["COD_CLI_ERP"] == "CLI001"  # the customer it named
    assert stored["quotes"]["000004"] == quote and stored["customers"]["CLI001"] == customer


def test_keepit_progids_continue_after_those_a_fixture_holds(http: httpx.Client) -> None:
    subject = keepit_customer("F1")["subjects"] | {"progId": 3}
    email = {"contactType": "EMAIL", "value": "f1@test.it", "progId": 9}
    fixture = {"subjects": {"3": {"progId": 3, "subjects": subject, "contacts": [email]}}}
    assert put(http, "keepit", {"tenants": {"1/1": fixture}}).status_code == 200
    contacts = [{"contactType": "EMAIL", "value": "f2@test.it"}]
    answer = keepit(http, keepit_customer("F2", contacts=contacts))
    assert answer["insertedObjects"][0]["progId"] == 4
    assert answer["insertedObjects"][0]["contacts"] == [{"progId": 10}]
    assert set(state(http, "keepit")["1/1"]["subjects"]) == {"3", "4"}
    again = keepit(http, keepit_customer("F1"))
    assert again["code"] == 204  # still the loaded customer's, not lost


def test_xtra_ids_continue_after_those_a_fixture_holds(http: httpx.Client) -> None:
    identity = {
        "ID": 5,
        "FIDGroup": 2,
        "TypologyIds": [2],
        "Denomination": "Rossi",
        "Contacts": [{"ID": 40, "FIDContactTypology": 2, "Value": "a@b.it"}],
        "Destinations": [],
        "IdentityDocuments": [],
        "Users": [],
    }
    assert put(http, "xtra", {"tenants": {"demo": {"identities": {"5": identity}}}}).status_code
    record = {"FIDGroup": 2, "TypologyIds": [2], "Denomination": "Bianchi"}
    record["Contacts"] = [{"FIDContactTypology": 2, "Value": "c@d.it"}]
    answer = http.post("/xtra/api/sync/v1/irs/update", headers=XTRA_KEYS, json=[record]).json()
    (written,) = answer["result"]["records"]
    assert written["Item1"] == 6 and list(written["Item6"].values()) == [41]


def test_tsdigital_ids_skip_one_a_fixture_holds(http: httpx.Client) -> None:
    taken = item_uuid("demo/1")
    item = {"id": taken, "status": "CREATED", "item": {"base": {}}}
    assert put(http, "tsdigital", {"tenants": {"demo": {"items": {taken: item}}}}).status_code
    minted = http.post("/__admin/tsdigital/tokens", json={"kind": "user"}).json()["token"]
    headers = {"Authorization": f"Bearer {minted}", "X-App-Name": "erp", "X-App-Version": "1"}
    body = {"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}}
    created = http.post("/tsdigital/api/v3/items", headers=headers, json=body)
    assert created.status_code == 202 and created.json()["id"] != taken
    assert state(http, "tsdigital")["demo"]["items"][taken] == item


def subjects(*customers: dict[str, Any]) -> dict[str, Any]:
    """KeepIT customers keyed by their progIds, from 1."""
    return {"subjects": {str(n): {"progId": n, **c} for n, c in enumerate(customers, 1)}}


def customer(code: str, **subject: str) -> dict[str, Any]:
    return {"subjects": {"customerCode": code, "system": "DW", **subject}}


EMAIL = {"contactType": "EMAIL", "value": "A@B.IT", "progId": 1}


@pytest.mark.parametrize(
    ("vendor", "tenant"),
    [
        ("quoparts", {"sequences": {"COD_CLI": -2}}),
        ("quoparts", {"sequences": {"COD_CLI": 2**64 - 1}}),
        ("quoparts", {"customers": {"E1": {"COD_CLI_ERP": "E1", "COD_CLI": "000001"}}}),
        ("quoparts", {"customers": {"E1": "x"}}),
        ("quoparts", {"customers": {"E1": {"COD_CLI_ERP": "E2", "COD_CLI": "1", **CODES}}}),
        ("quoparts", {"quotes": {"000001": 1}}),
        ("keepit", {"subjects": {"1": {"subjects": {"customerCode": "C1"}}}}),
        ("keepit", {"subjects": {"1": {"progId": 2, "subjects": {"customerCode": "C1"}}}}),
        ("xtra", {"identities": {"1": {"ID": True, "Contacts": []}}}),
        # indexed as text by the process that loads it, then a 500 in every other process
        ("xtra", {"identities": {"2": {"ID": 2, "ExternalKey": ["k"]}}}),
        ("xtra", {"identities": {"2": {"ID": 2, "Users": [{"ID": 5, "Username": 7}]}}}),
        # IDs a sequence would have to pass 2^53 for (the dump would not load again), and
        # digits too many for int() at all
        ("quoparts", {"customers": {"E": {"COD_CLI_ERP": "E", "COD_CLI": "9" * 20, **CODES}}}),
        ("quoparts", {"quotes": {"9" * 5000: {}}}),
        ("keepit", {"subjects": {"9" * 5000: {"progId": 1}}}),
        ("keepit", {"subjects": {"01": {"progId": 1}}}),  # listed, never found by progId 1
        ("xtra", {"identities": {"2": {"ID": 2, "Users": [{"ID": 2**53 + 1}]}}}),
        # XTRA's IDs are Int32: the fake would answer an Item1 its own contract refuses
        ("xtra", {"identities": {"3000000000": {"ID": 3000000000}}}),
        ("xtra", {"identities": {"2": {"ID": 2, "Contacts": [{"ID": 2**31}]}}}),
        ("xtra", {"sequences": {"identity": 2**31}}),
        # the activity sequence raised past Int32: every contact form a 500, and the dump
        # (and a state file holding it) refused at the next load
        ("xtra", {"activities": {"2147483648": {"ID": 2147483648}}}),
        # parts of a stored customer an update could not merge into (a 500 on the next call)
        ("keepit", {"subjects": {"1": {"progId": 1, "privacy": [1]}}}),
        ("keepit", {"subjects": {"1": {"progId": 1, "subjectMakeup": "x"}}}),
        ("keepit", {"subjects": {"1": {"progId": 1, "subjectDestinations": [None]}}}),
        ("xtra", [1]),
    ],
)
def test_a_document_the_rules_could_not_use_is_400_and_changes_nothing(
    http: httpx.Client, vendor: str, tenant: Any
) -> None:
    """Each of these was accepted (or a plain 500), and a later call answered 500 (or gave IDs
    like -00002)."""
    name = "1/1" if vendor == "keepit" else "demo"
    before = state(http, vendor)
    tenants = {name: tenant} if isinstance(tenant, dict) else tenant
    response = put(http, vendor, {"tenants": tenants})
    assert response.status_code == 400 and "error" in response.json()
    assert state(http, vendor) == before


def user(number: int, name: str = "u") -> dict[str, Any]:
    return {"ID": number, "Username": name, "Password": "p", "Email": f"{name}@x.it"}


def identity(number: int, key: str | None = None, *users: dict[str, Any]) -> dict[str, Any]:
    return {"ID": number, "ExternalKey": key, "Users": list(users)}


@pytest.mark.parametrize(
    ("vendor", "tenant"),
    [
        ("xtra", {"identities": {str(n): identity(n, "K") for n in (2, 3)}}),
        ("xtra", {"identities": {"2": identity(2, None, user(1), user(2))}}),
        ("keepit", subjects(customer("C"), customer("C"))),
        (
            "keepit",
            subjects(customer("C1", email="a@b.it"), customer("C2") | {"contacts": [EMAIL]}),
        ),
    ],
)
def test_a_value_the_vendor_keeps_unique_held_twice_is_taken_and_its_dump_loads_back(
    http: httpx.Client, vendor: str, tenant: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The vendor never gives one value to two records, but a state an earlier version of the
    kit took may: refused, its own dump did not load back, nor a state file holding it. Taken,
    with a warning naming the clash; look-ups find the last holder in the records' order, on
    every process alike (``tests/kit/test_store_parity.py``)."""
    name = "1/1" if vendor == "keepit" else "demo"
    with caplog.at_level(logging.WARNING, logger="mockservers"):
        assert put(http, vendor, {"tenants": {name: tenant}}).status_code == 200
    (warned,) = caplog.records
    assert f"PUT /__admin/state/{vendor} gives values the vendor keeps unique" in warned.message
    assert "is held by" in warned.message
    dumped = http.get(f"/__admin/state/{vendor}").content
    assert put(http, vendor, orjson.loads(dumped)).status_code == 200
    assert http.get(f"/__admin/state/{vendor}").content == dumped


def test_the_last_holder_of_a_value_held_twice_is_the_one_found(http: httpx.Client) -> None:
    """Last in the records' order: the document's (XTRA's identities, then each one's users)."""
    identities = {str(n): identity(n, "K", user(n)) for n in (3, 2)}
    assert put(http, "xtra", {"tenants": {"demo": {"identities": identities}}}).status_code == 200
    found = xtra.one(http, xtra.NEW | {"ExternalKey": "K"})
    assert "(ID 2)" in found["Item4"]["Message"]
    login = xtra.login(http, "u", "p")
    assert (login["IRID"], login["UserID"]) == (2, 2)


def with_email(record: dict[str, Any], email: str, **subject: Any) -> dict[str, Any]:
    return record | {"subjects": record["subjects"] | {"email": email, **subject}}


def test_a_keepit_value_every_holder_gave_up_earlier_in_the_call_is_free(
    http: httpx.Client,
) -> None:
    """Both holders of a shared e-mail move to new ones, then a third customer takes it, in one
    call: it was refused as a duplicate (the second holder's update named the first as holding
    it still), though the same record alone in the next call was taken."""
    tenant = subjects(customer("C1", email="a@x.it"), customer("C2", email="a@x.it"))
    assert put(http, "keepit", {"tenants": {"1/1": tenant}}).status_code == 200
    answer = keepit(
        http,
        with_email(keepit_customer("C1", "U"), "c@x.it", progId=1),
        with_email(keepit_customer("C2", "U"), "d@x.it", progId=2),
        with_email(keepit_customer("C3"), "a@x.it"),
    )
    assert answer["duplicatedObjects"] == []
    assert [row["customerCode"] for row in answer["insertedObjects"]] == ["C1", "C2", "C3"]


def test_identities_without_a_key_may_be_many(http: httpx.Client) -> None:
    """An ERP with no key for a customer sends "", which names no one: two identities without
    one are no shared key."""
    identities = {str(n): {"ID": n, "ExternalKey": key} for n, key in ((2, ""), (3, ""), (4, None))}
    assert put(http, "xtra", {"tenants": {"demo": {"identities": identities}}}).status_code == 200


def test_a_session_s_keepit_state_round_trips(http: httpx.Client) -> None:
    session = http.post("/__admin/sessions", json={}).json()
    account = session["credentials"]["keepit"]
    headers = {"username": account["username"], "password": account["password"]}
    headers |= {"companyId": account["company_id"], "siteId": account["site_id"]}
    http.post(
        KEEPIT,
        params=KEEPIT_QUERY,
        headers=headers,
        json={"subjectsRecords": [keepit_customer("S1")]},
    )
    params = {"session": session["id"]}
    document = http.get("/__admin/state/keepit", params=params).json()
    assert document["tenants"]
    again = http.put("/__admin/state/keepit", params=params, json=document)
    assert again.status_code == 200 and again.json() == document


def test_a_sequence_never_passes_2_53_so_every_dump_loads_again(http: httpx.Client) -> None:
    """A document may set a sequence to 2^53; the next ID would be one no JSON reader keeps
    exactly: the call is refused (the vendor's 500), nothing is given, the dump loads again."""
    full = {"tenants": {"demo": {"sequences": {"COD_CLI": 2**53}}}}
    assert put(http, "quoparts", full).status_code == 200
    token = qp_login(http)
    row = {"COD_CLI_ERP": "CLI1", "DES_NOM": "Rossi", "COD_PTA_IVA": "1"}
    answer = qp_call(http, "importCli", token, {"data": [row]})
    assert answer.json()["errorCode"] != "0"
    dumped = http.get("/__admin/state/quoparts").json()
    assert dumped["tenants"]["demo"]["customers"] == {}
    assert put(http, "quoparts", dumped).status_code == 200


def test_a_state_document_nesting_past_the_limit_is_400_not_kept(http: httpx.Client) -> None:
    """It was stored, then every state read answered 500 (orjson writes 255 levels at most)."""
    before = state(http, "quoparts")
    deep: Any = []
    for _ in range(250):
        deep = [deep]
    document = {"tenants": {"demo": {"quotes": {"000001": {"x": deep}}}}}
    response = put(http, "quoparts", document)
    assert response.status_code == 400 and "deeper than 72 levels" in response.json()["error"]
    assert state(http, "quoparts") == before
