"""XTRA/XOX through HTTP: a body's field names bind whatever their case, as ASP.NET's JSON
binding matches them; the last of two spellings wins; ``field_names_any_case = false`` binds
only the contracts' spellings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockservers import create_app
from mockservers.testing import SyncASGITransport

pytestmark = pytest.mark.every_store

LOGIN = "/xtra/api/sync/v1/login"
UPDATE = "/xtra/api/sync/v1/irs/update"
KEYS = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
FORM = {"Surname": "Rossi", "Name": "Anna", "WebReasonID": 13}


def one(http: httpx.Client, record: dict[str, Any], **params: str) -> dict[str, Any]:
    response = http.post(UPDATE, json=[record], headers=KEYS, params=params)
    assert response.status_code == 200, response.json()
    (outcome,) = response.json()["result"]["records"]
    return outcome


def stored(http: httpx.Client, outcome: dict[str, Any]) -> dict[str, Any]:
    identities = http.get("/__admin/state/xtra").json()["tenants"]["demo"]["identities"]
    return identities[str(outcome["Item1"])]


def verdict(http: httpx.Client) -> list[str]:
    """The journal's verdict on the request of the last call."""
    (entry, *_) = http.get("/__admin/requests", params={"vendor": "xtra"}).json()
    return http.get(f"/__admin/requests/{entry['id']}").json()["verdict"]["request"]


def test_a_record_s_names_bind_in_any_case(http: httpx.Client) -> None:
    """``VatNumber`` was stored as an unknown column beside ``Vatnumber``; ``fidgroup`` made
    an insert without FIDGroup."""
    outcome = one(
        http, {"externalKey": "L2", "fidgroup": 1, "TYPOLOGYIDS": [2], "VatNumber": "IT1"}
    )
    assert (outcome["Item2"], outcome["Item3"]) == ("L2", True)
    identity = stored(http, outcome)
    assert identity["Vatnumber"] == "IT1" and identity["FIDGroup"] == 1
    assert not {"VatNumber", "fidgroup", "externalKey"} & set(identity)
    assert verdict(http) == []


def test_a_contact_form_s_required_names_bind_in_any_case(http: httpx.Client) -> None:
    """``Email`` for ``EMail`` was ER.IR.INVAL "campo EMail obbligatorio"."""
    outcome = one(http, FORM | {"Email": "anna@x.it", "crmMessage": "Ciao"}, contactForm="true")
    assert (outcome["Item2"], outcome["Item3"]) == ("anna@x.it_Rossi_Anna", True)
    assert stored(http, outcome)["EMail"] == "anna@x.it"
    (activity,) = http.get("/__admin/state/xtra").json()["tenants"]["demo"]["activities"].values()
    assert activity["CRMMessage"] == "Ciao"
    assert verdict(http) == []


def test_sub_records_names_bind_in_any_case(http: httpx.Client) -> None:
    destination = {"fidGroup": 2, "typologyIds": [9], "denomination": "Nord", "ALIAS": "N"}
    file = {"extension": ".pdf", "filename": "ID.pdf", "fileBase64": "eA=="}
    document = {"fidDocumentTypology": 1, "number": "7", "files": [file]}
    user = {"username": "anna", "email": "a@x.it", "password": "pw", "confirmPassword": "pw"}
    record = {
        "FIDGroup": 2,
        "TypologyIds": [2],
        "destinations": [destination],
        "Contacts": [{"externalkey": "TEL", "value": "1"}],
        "IdentityDocuments": [document],
        "USERS": [user],
    }
    outcome = one(http, record)
    assert outcome["Item3"] is True, outcome["Item4"]
    assert outcome["Item6"] == {"TEL": 1}  # keyed by the bound ExternalKey
    identity = stored(http, outcome)
    assert identity["Destinations"][0]["Alias"] == "N"
    assert identity["IdentityDocuments"][0]["Files"] == [
        {"Extension": ".pdf", "FileName": "ID.pdf", "FileBase64": "eA=="}
    ]
    assert identity["Users"][0]["Username"] == "anna"
    logged = http.post(LOGIN, json={"username": "anna", "PASSWORD": "pw"})  # the login's too
    assert logged.status_code == 200 and logged.json()["result"]["Username"] == "anna"


def test_a_session_s_user_logs_in_under_any_spelling(http: httpx.Client) -> None:
    """The login's tenant is found by its bound Username: a session's user was looked for in
    the accounts outside the session (403 Credenziali non valide)."""
    xtra = http.post("/__admin/sessions", json={}).json()["credentials"]["xtra"]
    logged = http.post(LOGIN, json={"userName": xtra["username"], "password": xtra["password"]})
    assert logged.status_code == 200, logged.json()
    assert logged.json()["result"]["IRID"] == xtra["irid"]


def test_two_spellings_of_one_field_are_one_field_the_last_wins(http: httpx.Client) -> None:
    """As ASP.NET sets the property again for each, and as a query name sent twice."""
    first = one(http, FORM | {"EMail": "a@x.it", "Email": "b@x.it"}, contactForm="true")
    assert first["Item2"] == "b@x.it_Rossi_Anna"
    second = one(http, FORM | {"email": "b@x.it", "EMail": "a@x.it"}, contactForm="true")
    assert second["Item2"] == "a@x.it_Rossi_Anna"
    record = {"FIDGroup": 1, "TypologyIds": [2], "vatnumber": "1", "Vatnumber": "2"}
    identity = stored(http, one(http, record | {"VATNUMBER": "3"}))
    assert identity["Vatnumber"] == "3" and "vatnumber" not in identity


def test_the_last_spelling_decides_validity_and_the_verdict_agrees(http: httpx.Client) -> None:
    outcome = one(http, {"FIDGroup": 1, "TypologyIds": [2], "fidgroup": 3})
    assert outcome["Item4"]["Message"] == (
        "Richiesta non valida: campo FIDGroup con valore non ammesso (ammessi 1, 2, null)"
    )
    (problem,) = verdict(http)
    assert problem.startswith("xtra/updateIdentities.request: [0].FIDGroup: 3 is not one of")


def test_an_access_token_s_own_identity_is_read_under_any_spelling(http: httpx.Client) -> None:
    """The token's reach is judged on the bound record: ``id`` is its ID, not an insert."""
    token = http.post(LOGIN, json={"Username": "demo", "Password": "demo"}).json()["result"]
    user = {"id": token["UserID"], "PASSWORD": "new", "confirmpassword": "new"}
    response = http.post(
        UPDATE,
        json=[{"id": token["IRID"], "city": "Torino", "users": [user]}],
        headers={"AccessToken": token["Token"]},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["result"]["records"][0]["Item3"] is True
    assert http.post(LOGIN, json={"Username": "demo", "Password": "new"}).status_code == 200


def test_names_no_property_has_are_kept_as_sent(http: httpx.Client) -> None:
    identity = stored(http, one(http, {"FIDGroup": 1, "TypologyIds": [2], "noteInterne": "x"}))
    assert identity["noteInterne"] == "x"


@pytest.fixture
def exact() -> Iterator[httpx.Client]:
    """A fake that binds only the contracts' spellings."""
    app = create_app({"xtra": {"field_names_any_case": False}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers") as http:
        yield http


def test_configured_exact_only_the_contracts_spellings_bind(exact: httpx.Client) -> None:
    refused = one(exact, FORM | {"Email": "anna@x.it"}, contactForm="true")
    assert refused["Item4"] == {
        "Code": "ER.IR.INVAL",
        "Message": "Richiesta non valida: campo EMail obbligatorio",
    }
    assert verdict(exact) == []  # the contract reads the body as the vendor does
    identity = stored(exact, one(exact, {"FIDGroup": 1, "TypologyIds": [2], "VatNumber": "1"}))
    assert identity["VatNumber"] == "1" and "Vatnumber" not in identity
    assert exact.post(LOGIN, json={"username": "demo", "password": "demo"}).status_code == 400


@pytest.mark.parametrize(
    "record",
    [
        {"ID": "1", "City": "Asti"},
        {"ExternalKey": "S", "FIDGroup": "1", "TypologyIds": [2]},
        {"ExternalKey": "S", "FIDGroup": 1, "TypologyIds": ["2"]},
    ],
    ids=["id", "group", "typology"],
)
def test_names_bind_as_asp_net_binds_them_but_a_number_sent_as_a_string_is_refused(
    http: httpx.Client, record: dict[str, Any]
) -> None:
    """Stricter than either ASP.NET binder (Newtonsoft converts ``"1"``, System.Text.Json's
    web defaults read it): the contracts and the seed's field table say integer
    (docs/assumptions/xtra.md)."""
    outcome = one(http, {k.lower(): v for k, v in record.items()})
    assert (outcome["Item3"], outcome["Item4"]["Code"]) == (False, "ER.IR.INVAL")
