"""XTRA/XOX through HTTP: every seed example, every ER.* code, tokens on the kit's clock."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from contracts import contract
from mockservers import create_app
from mockservers.testing import SyncASGITransport

pytestmark = pytest.mark.every_store  # the same behaviour on every store

LOGIN = "/xtra/api/sync/v1/login"
UPDATE = "/xtra/api/sync/v1/irs/update"
KEYS = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
ACME_KEYS = {"SyncPublicKey": "acme-public", "SyncSecretKey": "acme-secret"}
ACME = {
    "xtra": {
        "accounts": [
            {
                "name": "acme",
                "public_key": "acme-public",
                "secret_key": "acme-secret",
                "users": [{"username": "mario", "password": "pw", "irid": 59990}],
            }
        ]
    }
}

SEED_CONTACT_FORM = {
    "EMail": "develop@art-soft.it",
    "Surname": "ArtsofT",
    "Name": "Test",
    "WebReasonID": 13,
    "Address": "Via Ariosto",
    "Country": "IT",
    "City": "VALENZA",
    "CRMMessage": "Richiesta informazioni per orologio Rolex Daytona",
    "CRMTermsConditions": True,
    "CRMMarketingConsent": True,
    "CRMPrivacyMarketing": True,
    "BOPCode": "M116680-0002",
}
FILE = {"Extension": ".pdf", "FileName": "ID.pdf", "FileBase64": "base64file"}
SEED_DOCUMENT = {
    "Number": "1",
    "ExpirationDate": "2035-01-01",
    "ReleaseDate": "2024-05-12",
    "FIDDocumentTypology": 1,
    "Files": [FILE],
}
SEED_DOC_INSERT = [{"ID": 59990, "IdentityDocuments": [SEED_DOCUMENT]}]
SEED_DOC_UPDATE = [{"ID": 59990, "IdentityDocuments": [{"ID": 1, **SEED_DOCUMENT}]}]
SEED_RESPONSE_KEYS = {
    "envelope": {"statusCode", "errorCode", "message", "result", "debug"},
    "result": {"totalCount", "totalPages", "page", "count", "records", "record"},
    "record": {"Item1", "Item2", "Item3", "Item4", "Item5", "Item6"},
    "debug": {"requestTime", "responseTime", "duration", "clientIP"},
}
NEW = {"FIDGroup": 2, "TypologyIds": [2], "Denomination": "Rossi S.r.l."}


# -- helpers (XTRA only) ---------------------------------------------------------------------
def assert_contract(name: str, body: object) -> None:
    assert contract(name).check(body) == []


def update(
    http: httpx.Client,
    records: object,
    headers: dict[str, str] | None = None,
    **params: str,
) -> httpx.Response:
    """POST irs/update; the answer always obeys the contract and HTTP status == statusCode."""
    response = http.post(
        UPDATE, json=records, headers=KEYS if headers is None else headers, params=params
    )
    body = response.json()
    assert_contract("xtra/updateIdentities.response", body)
    assert response.status_code == body["statusCode"]
    return response


def records(http: httpx.Client, batch: object, **kwargs: Any) -> list[dict[str, Any]]:
    response = update(http, batch, **kwargs)
    assert response.status_code == 200, response.json()
    return response.json()["result"]["records"]


def one(http: httpx.Client, record: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    (outcome,) = records(http, [record], **kwargs)
    return outcome


def code_of(outcome: dict[str, Any]) -> str | None:
    return outcome["Item4"]["Code"] if outcome["Item4"] else None


def login(http: httpx.Client, username: str = "demo", password: str = "demo") -> dict[str, Any]:
    response = http.post(LOGIN, json={"Username": username, "Password": password})
    assert_contract("xtra/login.response", response.json())
    assert response.status_code == 200, response.json()
    return response.json()["result"]


def token_headers(http: httpx.Client, username: str = "demo", password: str = "demo") -> dict:
    return {"AccessToken": login(http, username, password)["Token"]}


def state(http: httpx.Client, tenant: str = "demo") -> dict[str, Any]:
    return http.get("/__admin/state/xtra").json()["tenants"][tenant]


@pytest.fixture
def acme() -> Iterator[httpx.Client]:
    """An app with a second account whose user ``mario`` owns identity 59990 (the seed's ID)."""
    app = create_app(ACME)
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers") as http:
        yield http


# -- seed examples -----------------------------------------------------------------------------
def test_contact_form_seed_example_gives_the_seed_answer_shape(http: httpx.Client) -> None:
    response = update(http, [SEED_CONTACT_FORM], contactForm="true", debug="true")
    body = response.json()
    assert response.status_code == 200
    assert set(body) == SEED_RESPONSE_KEYS["envelope"]
    assert set(body["result"]) == SEED_RESPONSE_KEYS["result"]
    assert set(body["debug"]) == SEED_RESPONSE_KEYS["debug"]
    assert (body["errorCode"], body["message"]) == (None, None)
    assert body["result"] | {"records": None} == {
        "totalCount": 1,
        "totalPages": 1,
        "page": 1,
        "count": 1,
        "records": None,
        "record": None,
    }
    (outcome,) = body["result"]["records"]
    assert set(outcome) == SEED_RESPONSE_KEYS["record"]
    assert outcome["Item2"] == "develop@art-soft.it_ArtsofT_Test"  # EMail_Surname_Name
    assert outcome["Item3"] is True and outcome["Item4"] is None
    assert outcome["Item5"] == {}
    assert list(outcome["Item6"]) == ["0"]  # the EMail became the identity's contact, as the seed
    assert outcome["Item1"] == 2  # the demo identity holds IRID 1
    identity = state(http)["identities"]["2"]
    assert identity["ExternalKey"] == "develop@art-soft.it_ArtsofT_Test"
    assert identity["City"] == "VALENZA" and identity["EMail"] == "develop@art-soft.it"
    assert identity["Contacts"] == [
        {
            "ID": outcome["Item6"]["0"],
            "FIDContactTypology": 2,
            "Value": "develop@art-soft.it",
            "Default": True,
        }
    ]


def test_an_update_may_not_take_a_key_another_identity_holds(http: httpx.Client) -> None:
    """A key names one identity (the contact form finds its customer by it): an update that
    would give identity B the key of identity A is ER.IR.EXISTS, as an insert would be, and a
    contact form whose ID and built key name two identities is refused; A keeps its key."""
    built = "develop@art-soft.it_ArtsofT_Test"
    a = one(http, SEED_CONTACT_FORM, contactForm="true")["Item1"]
    b = one(http, NEW | {"ExternalKey": "B"})["Item1"]
    taken = one(http, {"ID": b, "ExternalKey": built})
    assert code_of(taken) == "ER.IR.EXISTS"
    assert f"ExternalKey {built} (ID {a})" in taken["Item4"]["Message"]
    crossed = one(http, SEED_CONTACT_FORM | {"ID": b}, contactForm="true")
    assert code_of(crossed) == "ER.IR.INVAL"
    assert one(http, SEED_CONTACT_FORM, contactForm="true")["Item1"] == a
    assert state(http)["identities"][str(b)]["ExternalKey"] == "B"
    assert one(http, {"ID": b, "ExternalKey": "B2"})["Item3"] is True  # a free key: fine


def test_an_update_may_leave_out_the_required_columns_but_not_empty_them(
    http: httpx.Client,
) -> None:
    for emptied in ({"FIDGroup": None}, {"TypologyIds": None}, {"TypologyIds": []}):
        assert code_of(one(http, {"ID": 1, **emptied})) == "ER.IR.INVAL", emptied
    assert state(http)["identities"]["1"]["FIDGroup"] is not None
    assert one(http, {"ID": 1, "Name": "Anna"})["Item3"] is True


@pytest.mark.parametrize(
    ("name", "emptied", "phrase"),
    [
        ("Destinations", {"FIDGroup": None}, "FIDGroup di tipo non valido (atteso intero)"),
        ("Destinations", {"TypologyIds": []}, "TypologyIds con troppo pochi elementi"),
        ("Destinations", {"TypologyIds": None}, "TypologyIds di tipo non valido (atteso array)"),
        ("Destinations", {"Denomination": ""}, "Denomination obbligatorio"),
        ("Destinations", {"Denomination": None}, "Denomination di tipo non valido"),
        ("Destinations", {"Alias": ""}, "Alias obbligatorio"),
        ("Destinations", {"Alias": None}, "Alias di tipo non valido (atteso stringa)"),
        ("IdentityDocuments", {"FIDDocumentTypology": None}, "FIDDocumentTypology di tipo"),
    ],
)
def test_a_sub_record_update_may_leave_out_its_required_columns_but_not_empty_them(
    http: httpx.Client, name: str, emptied: dict[str, Any], phrase: str
) -> None:
    """The seed marks a destination's FIDGroup, TypologyIds, Denomination and Alias and a
    document's FIDDocumentTypology Required: an update that sent them empty was stored."""
    destination = {"FIDGroup": 2, "TypologyIds": [9], "Denomination": "Magazzino", "Alias": "M"}
    irid = one(http, NEW | {"Destinations": [destination], "IdentityDocuments": [SEED_DOCUMENT]})[
        "Item1"
    ]
    before = state(http)["identities"][str(irid)]
    outcome = one(http, {"ID": irid, name: [{"ID": 1, **emptied}]})
    assert code_of(outcome) == "ER.IR.INVAL"
    assert outcome["Item4"]["Message"].startswith(f"Richiesta non valida: campo {name}[0].{phrase}")
    assert state(http)["identities"][str(irid)] == before
    left_out = {"ID": irid, name: [{"ID": 1, "City": "Torino", "Number": "2"}]}
    assert one(http, left_out)["Item3"] is True


def test_contact_form_upserts_on_the_built_key_and_records_one_activity_per_call(
    http: httpx.Client,
) -> None:
    first = one(http, SEED_CONTACT_FORM, contactForm="true")
    second = one(
        http, SEED_CONTACT_FORM | {"City": "Milano", "CRMMessage": "Ancora io"}, contactForm="true"
    )
    assert second["Item1"] == first["Item1"] and second["Item6"] == first["Item6"]
    data = state(http)
    assert data["identities"][str(first["Item1"])]["City"] == "Milano"
    activities = list(data["activities"].values())
    assert [a["CRMMessage"] for a in activities] == [
        "Richiesta informazioni per orologio Rolex Daytona",
        "Ancora io",
    ]
    assert activities[0] | {"created_at": None} == {
        "ID": 1,
        "IRID": first["Item1"],
        "ExternalKey": "develop@art-soft.it_ArtsofT_Test",
        "EMail": "develop@art-soft.it",
        "created_at": None,
        "CRMMessage": "Richiesta informazioni per orologio Rolex Daytona",
        "WebReasonID": 13,
        "WebFormKey": None,
        "CRMTermsConditions": True,
        "CRMMarketingConsent": True,
        "CRMPrivacyMarketing": True,
        "BOPCode": "M116680-0002",
    }
    assert (
        "CRMMessage" not in data["identities"][str(first["Item1"])]
    )  # activity data, not identity


def test_identity_document_seed_examples_insert_then_update(acme: httpx.Client) -> None:
    headers = token_headers(acme, "mario", "pw")
    inserted = one(acme, SEED_DOC_INSERT[0], headers=headers, debug="true")
    assert inserted["Item1"] == 59990 and inserted["Item3"] is True
    (document,) = state(acme, "acme")["identities"]["59990"]["IdentityDocuments"]
    assert document["ID"] == 1  # so the seed's update example names it
    assert document["Files"] == SEED_DOCUMENT["Files"]  # kept as given
    changed = [
        {
            "ID": 59990,
            "IdentityDocuments": [
                {**SEED_DOC_UPDATE[0]["IdentityDocuments"][0], "ExpirationDate": "2036-01-01"}
            ],
        }
    ]
    assert one(acme, SEED_DOC_UPDATE[0], headers=headers)["Item3"] is True
    assert one(acme, changed[0], headers=headers)["Item3"] is True
    (document,) = state(acme, "acme")["identities"]["59990"]["IdentityDocuments"]
    assert document["ID"] == 1 and document["ExpirationDate"] == "2036-01-01"


def test_debug_block_formats_and_absence(http: httpx.Client) -> None:
    body = update(http, [], debug="true").json()
    debug = body["debug"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", debug["requestTime"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", debug["responseTime"])
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{7}", debug["duration"])
    assert debug["clientIP"] == "127.0.0.1"
    assert body["result"]["totalCount"] == 0 and body["result"]["totalPages"] == 0
    assert "debug" not in update(http, []).json()
    assert "debug" not in update(http, [], debug="false").json()
    refused = update(http, [], headers={}, debug="True").json()
    assert refused["statusCode"] == 403 and "requestTime" in refused["debug"]


def test_debug_times_follow_the_kits_clock() -> None:
    app = create_app({"kit": {"clock": {"start": "2025-04-17T11:53:49Z", "frozen": True}}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        debug = update(http, [SEED_CONTACT_FORM], contactForm="true", debug="true").json()["debug"]
        assert debug == {
            "requestTime": "2025-04-17 11:53:49",
            "responseTime": "2025-04-17 11:53:49",
            "duration": "00:00:00.0000000",
            "clientIP": "127.0.0.1",
        }


# -- authorisation and login -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"SyncPublicKey": "demo-public"},
        {"SyncPublicKey": "demo-public", "SyncSecretKey": "wrong"},
        {"SyncPublicKey": "nobody", "SyncSecretKey": "demo-secret"},
        {"AccessToken": "not-a-token"},
        {"AccessToken": ""},
        KEYS | {"AccessToken": "not-a-token"},
    ],
    ids=[
        "none",
        "no-secret",
        "wrong-secret",
        "unknown-key",
        "unknown-token",
        "empty-token",
        "token-decides",
    ],
)
def test_authorisation_failures_are_403_er_auth(
    http: httpx.Client, headers: dict[str, str]
) -> None:
    response = update(http, [NEW], headers=headers)
    assert response.status_code == 403
    body = response.json()
    assert body["errorCode"] == "ER.AUTH" and body["message"] and body["result"] is None
    assert list(state(http)["identities"]) == ["1"]


def test_login_gives_the_documented_flat_result(http: httpx.Client) -> None:
    result = login(http)
    assert result | {"Token": None, "RefreshToken": None, "TokenExpiration": None} == {
        "IRID": 1,
        "UserID": 1,
        "Username": "demo",
        "Denomination": "Demo S.r.l.",
        "Surname": "Demo",
        "Name": "Utente",
        "Token": None,
        "RefreshToken": None,
        "TokenExpiration": None,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", result["TokenExpiration"])


def test_token_expires_after_3600_seconds_of_the_kits_clock(http: httpx.Client) -> None:
    headers = token_headers(http)
    http.post("/__admin/clock", json={"advance_seconds": 3599})
    assert one(http, {"ID": 1, "City": "Alessandria"}, headers=headers)["Item3"] is True
    http.post("/__admin/clock", json={"advance_seconds": 1})
    response = update(http, [{"ID": 1}], headers=headers)
    assert response.status_code == 403 and response.json()["errorCode"] == "ER.AUTH"


def test_admin_expire_refuses_every_token(http: httpx.Client) -> None:
    headers = token_headers(http)
    assert http.post("/__admin/xtra/tokens/expire").json() == {"expired": 1}
    assert update(http, [{"ID": 1}], headers=headers).status_code == 403


@pytest.mark.parametrize(
    "batch",
    [
        [{"ID": 2}],
        [{"ID": 1}, {"ID": 2}],
        [NEW],
        [{"ID": None, **NEW}],
        [{"ID": "2"}],
        [{"ID": 2.0}],
        [{"ID": "1"}, {"ID": "+0002"}],
        [
            {
                "ID": 1,
                "Users": [
                    {"Username": "x", "Email": "x@y", "Password": "p", "ConfirmPassword": "p"}
                ],
            }
        ],
        [{"ID": 1, "Users": [{"ID": 2, "Password": "p", "ConfirmPassword": "p"}]}],
        [{"ID": "1", "Users": [{"ID": "2", "Password": "p", "ConfirmPassword": "p"}]}],
    ],
    ids=[
        "other-identity",
        "one-other-in-batch",
        "insert",
        "null-id-insert",
        "other-identity-as-text",
        "other-identity-as-float",
        "other-identity-as-signed-text",
        "user-insert",
        "other-user",
        "other-user-as-text",
    ],
)
def test_access_token_may_update_only_its_own_identity_and_user(
    http: httpx.Client, batch: list[dict[str, Any]]
) -> None:
    update(http, [NEW], headers=KEYS)  # identity 2 exists
    before = state(http)
    response = update(http, batch, headers=token_headers(http))
    assert response.status_code == 403 and response.json()["errorCode"] == "ER.AUTH"
    assert state(http) == before  # nothing of the batch was applied


def test_access_token_scope_refusal_says_which_id_in_the_detail(http: httpx.Client) -> None:
    headers = token_headers(http)
    response = update(http, [{"ID": 1}, {"ID": "2"}], headers=headers)
    assert response.headers["X-Mockservers-Detail"] == (
        "[1].ID '2': the token may update only IRID 1"
    )
    user = {"Username": "x", "Email": "x@y", "Password": "p", "ConfirmPassword": "p"}
    response = update(http, [{"ID": 1, "Users": [user]}], headers=headers)
    assert response.json()["message"] == "Con AccessToken si può aggiornare solo l'utente 1"
    assert response.headers["X-Mockservers-Detail"] == (
        "[0].Users[0].ID absent or null (an insert): the token may update only UserID 1"
    )


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"ID": "1", "City": "Alessandria"}, "ID"),
        ({"ID": True}, "ID"),
        ({"ID": 2.5}, "ID"),
        ({"ID": "abc"}, "ID"),
        ({"ID": 1, "Users": [{"ID": "1", "Password": "p", "ConfirmPassword": "p"}]}, "Users[0].ID"),
        (
            {"ID": 1, "Users": [{"ID": False, "Password": "p", "ConfirmPassword": "p"}]},
            "Users[0].ID",
        ),
    ],
    ids=["own-id-as-text", "bool-id", "fraction", "word", "own-user-as-text", "bool-user-id"],
)
def test_access_token_leaves_a_malformed_id_to_the_record_check(
    http: httpx.Client, record: dict[str, Any], field: str
) -> None:
    """A malformed ID names no other identity or user: the record is ER.IR.INVAL, as with the
    key pair, not a whole-call 403 saying the caller may update only the identity it named."""
    before = state(http)
    outcome = one(http, record, headers=token_headers(http))
    assert outcome == one(http, record)  # the key pair's answer
    assert outcome["Item3"] is False and outcome["Item4"] == {
        "Code": "ER.IR.INVAL",
        "Message": f"Richiesta non valida: campo {field} di tipo non valido (atteso intero o null)",
    }
    assert state(http) == before


def test_access_token_reads_an_integral_float_id_as_that_id(http: httpx.Client) -> None:
    user = {"ID": 1.0, "Password": "nuova", "ConfirmPassword": "nuova"}
    record = {"ID": 1.0, "City": "Alessandria", "Users": [user]}
    assert one(http, record, headers=token_headers(http))["Item3"] is True
    assert state(http)["identities"]["1"]["City"] == "Alessandria"
    assert login(http, "demo", "nuova")["IRID"] == 1


def test_access_token_cannot_call_the_contact_form(http: httpx.Client) -> None:
    response = update(http, [SEED_CONTACT_FORM], headers=token_headers(http), contactForm="true")
    assert response.status_code == 403


def test_access_token_updates_its_own_identity_and_password(http: httpx.Client) -> None:
    headers = token_headers(http)
    user = {"ID": 1, "Username": "ignored", "Password": "nuova", "ConfirmPassword": "nuova"}
    outcome = one(http, {"ID": 1, "Surname": "Rossi", "Users": [user]}, headers=headers)
    assert outcome["Item3"] is True
    identity = state(http)["identities"]["1"]
    assert identity["Surname"] == "Rossi"
    assert identity["Users"][0]["Username"] == "demo"  # ignored on update, as the seed says
    assert login(http, "demo", "nuova")["IRID"] == 1
    assert http.post(LOGIN, json={"Username": "demo", "Password": "demo"}).status_code == 403


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"Username": "demo", "Password": "wrong"}, 403),
        ({"Username": "ghost", "Password": "demo"}, 403),
        ({"Username": "demo"}, 400),
        ({"Username": "", "Password": "demo"}, 400),
        ({"Username": 1, "Password": "demo"}, 400),
        ([{"Username": "demo", "Password": "demo"}], 400),
        (None, 400),
    ],
    ids=[
        "wrong-password",
        "unknown-user",
        "no-password",
        "empty-user",
        "int-user",
        "array",
        "null",
    ],
)
def test_login_refusals(http: httpx.Client, body: object, status: int) -> None:
    response = http.post(LOGIN, json=body)
    data = response.json()
    assert_contract("xtra/login.response", data)
    assert response.status_code == status == data["statusCode"]
    assert data["errorCode"] == ("ER.AUTH" if status == 403 else "ER.IR.INVAL")


def test_the_login_400_examples_of_its_openapi_document_are_answers_login_gives(
    http: httpx.Client,
) -> None:
    """Swagger UI and Postman show these: they showed irs/update's 'il corpo deve essere un
    array di oggetti JSON', which no login answers."""
    operation = http.get("/xtra/openapi.json").json()["paths"]["/api/sync/v1/login"]["post"]
    examples = operation["responses"]["400"]["content"]["application/json"]["examples"]
    given = [http.post(LOGIN, json=body).json() for body in ({"Username": "demo"}, [])]
    assert sorted(e["value"]["message"] for e in examples.values()) == sorted(
        answer["message"] for answer in given
    )
    assert all(example["value"] in given for example in examples.values())


def test_login_reads_its_body_before_the_keys_and_update_the_keys_first(
    http: httpx.Client,
) -> None:
    """The order the assumptions page records: login's key pair is optional, irs/update's
    credentials are not."""
    wrong = KEYS | {"SyncSecretKey": "wrong"}
    login = http.post(LOGIN, json={"Username": "demo"}, headers=wrong).json()
    assert (login["statusCode"], login["errorCode"]) == (400, "ER.IR.INVAL")
    good_body = http.post(LOGIN, json={"Username": "demo", "Password": "demo"}, headers=wrong)
    assert (good_body.status_code, good_body.json()["errorCode"]) == (403, "ER.AUTH")
    for params in ({}, {"debug": "yes"}):
        refused = http.post(UPDATE, content=b"{", headers=wrong, params=params).json()
        assert (refused["statusCode"], refused["errorCode"]) == (403, "ER.AUTH")
    assert (
        update(http, {"not": "an array"}, debug="yes")
        .json()["message"]
        .endswith("campo debug non nel formato atteso (true o false)")
    )  # with good keys: the query, then the body


def test_login_with_keys_looks_only_in_that_account(acme: httpx.Client) -> None:
    body = {"Username": "mario", "Password": "pw"}
    assert acme.post(LOGIN, json=body, headers=ACME_KEYS).json()["result"]["IRID"] == 59990
    assert acme.post(LOGIN, json=body, headers=KEYS).status_code == 403
    assert acme.post(LOGIN, json=body, headers={"SyncPublicKey": "acme-public"}).status_code == 403


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({"SyncSecretKey": "demo-secret"}, "no SyncPublicKey header"),
        (KEYS | {"SyncPublicKey": ""}, "the SyncPublicKey header is empty"),
        (KEYS | {"SyncPublicKey": "nope"}, "no account has the SyncPublicKey 'nope'"),
        (KEYS | {"SyncSecretKey": ""}, "the SyncSecretKey is not the one of SyncPublicKey"),
    ],
    ids=["missing", "empty", "unknown", "empty-secret"],
)
@pytest.mark.parametrize("path", [LOGIN, UPDATE])
def test_a_refused_key_pair_s_detail_says_what_was_sent(
    http: httpx.Client, path: str, headers: dict[str, str], detail: str
) -> None:
    """An empty SyncPublicKey (an unset environment variable) was reported as no header."""
    body: object = {"Username": "demo", "Password": "demo"} if path == LOGIN else [NEW]
    refused = http.post(path, json=body, headers=headers)
    assert (refused.status_code, refused.json()["errorCode"]) == (403, "ER.AUTH")
    assert refused.headers["X-Mockservers-Detail"].startswith(detail)


def test_a_user_inserted_through_the_api_can_log_in(http: httpx.Client) -> None:
    user = {"Username": "luigi", "Email": "l@x.it", "Password": "pw1", "ConfirmPassword": "pw1"}
    outcome = one(http, NEW | {"Users": [user]})
    result = login(http, "luigi", "pw1")
    assert result["IRID"] == outcome["Item1"] and result["UserID"] == 2
    stored = state(http)["identities"][str(outcome["Item1"])]["Users"][0]
    assert "ConfirmPassword" not in stored and stored["Email"] == "l@x.it"


def in_session(http: httpx.Client) -> tuple[str, dict[str, str]]:
    """A new session's id and its key pair, as headers."""
    session = http.post("/__admin/sessions", json={}).json()
    xtra = session["credentials"]["xtra"]
    return session["id"], {"SyncPublicKey": xtra["public_key"], "SyncSecretKey": xtra["secret_key"]}


def shop_user(password: str = "pw") -> dict[str, Any]:
    user = {"Username": "shopuser", "Email": "e@x.it", "Password": password}
    return NEW | {"Users": [user | {"ConfirmPassword": password}]}


def logins(http: httpx.Client, session: str | None = None) -> list[dict[str, Any]]:
    params = {"operation": "login"} | ({"session": session} if session else {})
    return http.get("/__admin/requests", params=params).json()


def test_a_user_a_session_inserted_logs_in_without_the_key_pair(http: httpx.Client) -> None:
    """The login without keys looked for the user only in the global scope (the session
    recognised only by its own username): 403 "Credenziali non valide", journalled outside the
    session, though docs/assumptions/xtra.md says a user inserted there can log in."""
    session, keys = in_session(http)
    inserted = one(http, shop_user(), headers=keys)["Item1"]
    result = login(http, "shopuser", "pw")
    assert result["IRID"] == inserted
    (entry,) = logins(http, session)
    assert (entry["session"], entry["status"]) == (session, 200)
    (own,) = records(
        http, [{"ID": inserted, "City": "Asti"}], headers={"AccessToken": result["Token"]}
    )
    assert own["Item3"] is True
    tenants = http.get("/__admin/state/xtra", params={"session": session}).json()["tenants"]
    assert tenants[f"ms-{session}"]["identities"][str(inserted)]["City"] == "Asti"
    assert logins(http) == [entry]  # the global journal: the session's entry, nothing else


def test_a_login_without_keys_never_chooses_between_scopes_holding_the_username(
    http: httpx.Client,
) -> None:
    """The global scope's users come first; two sessions' users of one name, a login without
    keys cannot tell apart: the vendor's refusal, its detail naming the sessions."""
    first, first_keys = in_session(http)
    second, second_keys = in_session(http)
    one(http, shop_user(), headers=first_keys)
    one(http, shop_user(), headers=second_keys)
    body = {"Username": "shopuser", "Password": "pw"}
    refused = http.post(LOGIN, json=body)
    assert refused.status_code == 403 and refused.json()["message"] == "Credenziali non valide"
    detail = refused.headers["X-Mockservers-Detail"]
    assert f"sessions {', '.join(sorted([first, second]))} has a user of that name" in detail
    assert "send that session's SyncPublicKey and SyncSecretKey" in detail
    assert http.post(LOGIN, json=body, headers=second_keys).status_code == 200
    assert [e["session"] for e in logins(http)] == [second, None]  # the refusal: no session's
    global_user = one(http, shop_user("global") | {"ExternalKey": "G"})["Item1"]
    assert login(http, "shopuser", "global")["IRID"] == global_user
    http.delete(f"/__admin/sessions/{second}")
    refused = http.post(LOGIN, json=body)  # the global scope has a user of that name
    assert refused.status_code == 403
    assert f"session {first} has a user of that name" in refused.headers["X-Mockservers-Detail"]


def test_token_lifetime_and_auth_code_are_configurable() -> None:
    app = create_app({"xtra": {"token_ttl_seconds": 60, "auth_error_code": "ER.NOAUTH"}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        headers = token_headers(http)
        http.post("/__admin/clock", json={"advance_seconds": 60})
        body = update(http, [{"ID": 1}], headers=headers).json()
        assert body["statusCode"] == 403 and body["errorCode"] == "ER.NOAUTH"


def test_without_the_demo_account_demo_keys_are_refused() -> None:
    app = create_app({"xtra": {"demo_account": False}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        assert update(http, [NEW]).status_code == 403
        assert http.post(LOGIN, json={"Username": "demo", "Password": "demo"}).status_code == 403


@pytest.mark.parametrize(
    "section",
    [
        {"accounts": [{"public_key": "a"}]},
        {"accounts": [{"public_key": "demo-public", "secret_key": "x"}]},
        {"accounts": [{"public_key": "a", "secret_key": "b", "users": [{"username": "u"}]}]},
        {
            "accounts": [
                {
                    "public_key": "a",
                    "secret_key": "b",
                    "users": [{"username": "u", "password": "p", "irid": 0}],
                }
            ]
        },
        {"accounts": "x"},
        {"auth_error_code": 5},
        {"unknown": 1},
    ],
)
def test_bad_xtra_config_is_refused(section: dict[str, Any]) -> None:
    from mockservers.config import ConfigError

    with pytest.raises(ConfigError, match=r"\[xtra\]"):
        create_app({"xtra": section})


def test_repeated_broken_records_are_each_answered_as_alone(http: httpx.Client) -> None:
    """A connector's broken records sent over and over (each explained once): every record
    gets the outcome it gets alone, and the detail names each by its place."""
    broken = [{"EMail": "a@b.it"}, {**SEED_CONTACT_FORM, "WebReasonID": "13"}]
    alone = [update(http, [record], contactForm="true") for record in broken]
    batch = [broken[i % 2] for i in range(11)]
    response = update(http, batch, contactForm="true")
    answered = response.json()["result"]["records"]
    assert answered == [alone[i % 2].json()["result"]["records"][0] for i in range(11)]
    said = [alone[i].headers["X-Mockservers-Detail"] for i in range(2)]
    assert response.headers["X-Mockservers-Detail"] == "; ".join(
        said[i % 2].replace("[0]", f"[{i}]", 1) for i in range(11)
    )


# -- whole-call errors --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "payload",
    [{"ID": 1}, [NEW, "x"], [[NEW]], [None], "x", 1, None],
    ids=[
        "object",
        "array-with-string",
        "nested-array",
        "array-with-null",
        "string",
        "number",
        "null",
    ],
)
def test_a_body_that_is_not_an_array_of_objects_is_400(http: httpx.Client, payload: object) -> None:
    response = update(http, payload)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "ER.IR.INVAL"
    assert list(state(http)["identities"]) == ["1"]


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"",
        b"\xff\xfe[]",
        b"[" * 100 + b"]" * 100,
        b"[{}",
    ],
    ids=["broken", "empty", "utf8", "deep", "truncated"],
)
def test_malformed_bodies_are_400_never_500(http: httpx.Client, raw: bytes) -> None:
    for path in (UPDATE, LOGIN):
        response = http.post(path, content=raw, headers=KEYS, params={"debug": "true"})
        body = response.json()
        assert response.status_code == 400 == body["statusCode"]
        assert body["errorCode"] == "ER.IR.INVAL" and "debug" in body


def test_bad_query_values_are_400(http: httpx.Client) -> None:
    for name in ("contactForm", "debug"):
        response = update(http, [NEW], **{name: "yes"})
        assert response.status_code == 400
        assert response.json()["errorCode"] == "ER.IR.INVAL"
        assert response.json()["message"] == (
            f"Richiesta non valida: campo {name} non nel formato atteso (true o false)"
        )  # in words, never the contract's regex
    assert list(state(http)["identities"]) == ["1"]


def test_query_names_match_whatever_their_case(http: httpx.Client) -> None:
    """ASP.NET binds ?contactform=true or ?Debug=true as the flags: they were plain calls."""
    form = one(http, SEED_CONTACT_FORM, contactform="true")
    assert form["Item2"] == "develop@art-soft.it_ArtsofT_Test"  # the contact form's built key
    assert "debug" in update(http, [], Debug="TRUE").json()
    logged = http.post(LOGIN, json={"Username": "demo", "Password": "demo"}, params={"DEBUG": ""})
    assert logged.status_code == 400  # checked under the contract's name: "" is no boolean
    assert "campo debug non nel formato atteso" in logged.json()["message"]
    refused = update(http, [NEW], CONTACTFORM="yes").json()
    assert refused["message"].endswith("campo contactForm non nel formato atteso (true o false)")


def test_the_verdict_reads_the_query_as_the_fake_does(http: httpx.Client) -> None:
    """A contact form sent as ?contactform=true was judged by the plain context's contract
    (FIDGroup, TypologyIds missing), and a bad value under another spelling passed."""
    update(http, [SEED_CONTACT_FORM], contactform="true")
    update(http, [], Debug="yes")
    bad, form = http.get("/__admin/requests", params={"vendor": "xtra"}).json()
    assert http.get(f"/__admin/requests/{form['id']}").json()["verdict"]["request"] == []
    (problem,) = http.get(f"/__admin/requests/{bad['id']}").json()["verdict"]["request"]
    assert problem.startswith("xtra/updateIdentities.query: debug: 'yes' does not match")


def test_a_name_sent_twice_in_any_spelling_is_one_parameter_its_first_value_wins(
    http: httpx.Client,
) -> None:
    """ASP.NET Core's query collection gathers a name's values whatever its case, in the order
    sent, and its model binding takes the first: the kit took the last, and read
    ``?contactForm=true&contactForm=false`` as a plain call, ``?contactForm=false&ContactForm=
    true`` as a contact form."""

    def debugged(query: str) -> bool:
        return "debug" in http.post(f"{UPDATE}?{query}", json=[], headers=KEYS).json()

    assert debugged("debug=true&debug=false")
    assert debugged("Debug=true&debug=false")
    assert not debugged("debug=false&Debug=true&debug=true")
    assert debugged("debug=tru%65&contactForm=false&DEBUG=false")  # read again, unquoted
    records = [SEED_CONTACT_FORM]
    plain = http.post(f"{UPDATE}?contactForm=false&ContactForm=true", json=records, headers=KEYS)
    assert plain.json()["result"]["records"][0]["Item4"]["Code"] == "ER.IR.INVAL"  # no FIDGroup
    form = http.post(f"{UPDATE}?contactForm=true&contactForm=false", json=records, headers=KEYS)
    assert form.json()["result"]["records"][0]["Item3"]
    # The verdict reads them in the order sent too.
    assert http.post(f"{UPDATE}?debug=x&Debug=true&debug=y", json=[], headers=KEYS).is_error
    (entry, *_) = http.get("/__admin/requests", params={"vendor": "xtra"}).json()
    (problem,) = http.get(f"/__admin/requests/{entry['id']}").json()["verdict"]["request"]
    assert problem.startswith("xtra/updateIdentities.query: debug: 'x' does not match")


def test_any_content_type_is_read_as_json(http: httpx.Client) -> None:
    import orjson

    response = http.post(
        UPDATE, content=orjson.dumps([NEW]), headers=KEYS | {"Content-Type": "text/plain"}
    )
    assert response.status_code == 200 and response.json()["result"]["records"][0]["Item3"]


def test_body_over_the_limit_is_413_in_the_xtra_envelope() -> None:
    app = create_app({"kit": {"max_body_bytes": 1024}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        response = update(http, [NEW | {"Denomination": "x" * 2000}])
        assert response.status_code == 413
        assert response.json()["errorCode"] == "ER.IR.INVAL"


def test_status_fault_500_renders_er_ir_unerr(http: httpx.Client) -> None:
    http.post(
        "/__admin/faults",
        json={
            "vendor": "xtra",
            "operation": "updateIdentities",
            "kind": "status",
            "status": 500,
            "times": 1,
        },
    )
    response = update(http, [NEW])
    assert response.status_code == 500
    assert response.json() == {
        "statusCode": 500,
        "errorCode": "ER.IR.UNERR",
        "message": "Eccezione non gestita",
        "result": None,
    }
    assert list(state(http)["identities"]) == ["1"]
    assert update(http, [NEW]).status_code == 200


@pytest.mark.parametrize(
    ("status", "code"), [(403, "ER.AUTH"), (400, "ER.IR.INVAL"), (503, "ER.IR.UNERR")]
)
def test_other_status_faults_keep_the_envelope(http: httpx.Client, status: int, code: str) -> None:
    http.post("/__admin/faults", json={"vendor": "xtra", "kind": "status", "status": status})
    response = http.post(LOGIN, json={"Username": "demo", "Password": "demo"})
    assert response.status_code == status == response.json()["statusCode"]
    assert response.json()["errorCode"] == code


# -- per-record outcomes ------------------------------------------------------------------------
def test_records_succeed_and_fail_independently(http: httpx.Client) -> None:
    batch = [
        NEW | {"ExternalKey": "A"},
        {"FIDGroup": 1},  # insert without TypologyIds
        {"ID": 999},
        NEW | {"ExternalKey": "A"},
        NEW | {"ExternalKey": "B"},
    ]
    outcomes = records(http, batch)
    assert [(o["Item1"], o["Item2"], o["Item3"], code_of(o)) for o in outcomes] == [
        (2, "A", True, None),
        (0, None, False, "ER.IR.INVAL"),
        (999, None, False, "ER.IR.NOFOUND"),
        (0, "A", False, "ER.IR.EXISTS"),
        (3, "B", True, None),
    ]
    assert "TypologyIds" in outcomes[1]["Item4"]["Message"]
    assert sorted(state(http)["identities"], key=int) == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (NEW | {"FIDGroup": 3}, "FIDGroup"),
        (NEW | {"TypologyIds": [7]}, "TypologyIds"),
        (NEW | {"TypologyIds": "2"}, "TypologyIds"),
        ({"ID": "1"}, "ID"),
        ({"ID": 1, "Surname": 5}, "Surname"),
        ({"ID": 1, "Destinations": "x"}, "Destinations"),
        ({"ID": 1, "Destinations": [{"FIDGroup": 1}]}, "TypologyIds"),
        ({"ID": 1, "Contacts": [1]}, "Contacts"),
        ({"ID": 1, "Contacts": [{"Default": "yes"}]}, "Default"),
        ({"ID": 1, "IdentityDocuments": [{"Number": "9"}]}, "FIDDocumentTypology"),
        # the seed's int, an Int32: beyond 2^64 orjson read it as a float, which state kept
        (
            {"ID": 1, "IdentityDocuments": [SEED_DOCUMENT | {"FIDDocumentTypology": 2**31}]},
            "FIDDocumentTypology",
        ),
        (
            {"ID": 1, "Contacts": [{"Value": "a", "FIDContactTypology": 10**20}]},
            "FIDContactTypology",
        ),
        (
            {"ID": 1, "IdentityDocuments": [SEED_DOCUMENT | {"ReleaseDate": "2024-02-30"}]},
            "ReleaseDate",
        ),
        (
            {"ID": 1, "IdentityDocuments": [SEED_DOCUMENT | {"ExpirationDate": "01/01/2035"}]},
            "ExpirationDate",
        ),
        (
            {"ID": 1, "IdentityDocuments": [SEED_DOCUMENT | {"Files": [{"FileName": "a"}]}]},
            "FileBase64",
        ),
        # the seed's File table marks all three Required: "" is none, as for FileName
        *(
            (
                {"ID": 1, "IdentityDocuments": [SEED_DOCUMENT | {"Files": [FILE | {name: ""}]}]},
                f"campo IdentityDocuments[0].Files[0].{name} obbligatorio",
            )
            for name in ("Extension", "FileName", "FileBase64")
        ),
        ({"ID": 1, "Users": [{"Username": "u", "Password": "p", "ConfirmPassword": "p"}]}, "Email"),
        (
            {"ID": 1, "Users": [{"ID": 1, "Password": "p", "ConfirmPassword": "q"}]},
            "ConfirmPassword",
        ),
        ({"ID": 1, "Users": [{"ID": 1}]}, "Password"),
    ],
)
def test_invalid_records_are_er_ir_inval_naming_the_field(
    http: httpx.Client, record: dict[str, Any], field: str
) -> None:
    before = state(http)
    outcome = one(http, record)
    assert outcome["Item3"] is False and code_of(outcome) == "ER.IR.INVAL"
    assert field in outcome["Item4"]["Message"]
    assert outcome["Item5"] == {} and outcome["Item6"] == {}
    assert state(http) == before


def test_an_impossible_document_date_fails_only_that_record(http: httpx.Client) -> None:
    bad = {"ID": 1, "IdentityDocuments": [SEED_DOCUMENT | {"ReleaseDate": "2024-02-30"}]}
    good = {"ID": 1, "IdentityDocuments": [SEED_DOCUMENT | {"ReleaseDate": "2024-02-29"}]}
    refused, accepted = records(http, [bad, good])
    assert refused["Item1"] == 1 and code_of(refused) == "ER.IR.INVAL"
    assert refused["Item4"]["Message"] == (
        "Richiesta non valida: campo IdentityDocuments[0].ReleaseDate non nel formato atteso "
        "(data AAAA-MM-GG)"
    )
    assert accepted["Item3"] is True
    (document,) = state(http)["identities"]["1"]["IdentityDocuments"]
    assert document["ReleaseDate"] == "2024-02-29"


def test_contact_form_requires_its_required_columns(http: httpx.Client) -> None:
    for missing in ("Surname", "Name", "EMail", "WebReasonID"):
        record = {k: v for k, v in SEED_CONTACT_FORM.items() if k != missing}
        outcome = one(http, record, contactForm="true")
        assert code_of(outcome) == "ER.IR.INVAL" and missing in outcome["Item4"]["Message"]
    too_large = one(http, SEED_CONTACT_FORM | {"WebReasonID": 2**31}, contactForm="true")
    assert code_of(too_large) == "ER.IR.INVAL" and "WebReasonID" in too_large["Item4"]["Message"]
    # the plain context does not ask for them
    assert one(http, NEW)["Item3"] is True


def test_each_context_ignores_its_ignored_columns(http: httpx.Client) -> None:
    form = one(
        http, SEED_CONTACT_FORM | {"FIDGroup": "whatever", "TypologyIds": 7}, contactForm="true"
    )
    plain = one(http, NEW | {"CRMMessage": 5, "WebReasonID": "x", "EMail": ["a"]})
    assert form["Item3"] is True and plain["Item3"] is True
    identities = state(http)["identities"]
    assert "FIDGroup" not in identities[str(form["Item1"])]
    assert not {"CRMMessage", "WebReasonID", "EMail"} & set(identities[str(plain["Item1"])])
    assert list(state(http)["activities"]) == ["1"]  # only the contact-form call records one


def test_unknown_fields_are_kept(http: httpx.Client) -> None:
    outcome = one(http, NEW | {"Futuro": {"x": 1}, "Contacts": [{"Value": "1", "Extra": True}]})
    identity = state(http)["identities"][str(outcome["Item1"])]
    assert identity["Futuro"] == {"x": 1} and identity["Contacts"][0]["Extra"] is True


def test_not_found_for_an_unknown_identity_and_an_unknown_user(http: httpx.Client) -> None:
    assert code_of(one(http, {"ID": 424242})) == "ER.IR.NOFOUND"
    user = {"ID": 77, "Password": "p", "ConfirmPassword": "p"}
    outcome = one(http, {"ID": 1, "Users": [user]})
    assert code_of(outcome) == "ER.IR.NOFOUND" and "77" in outcome["Item4"]["Message"]


def test_inserting_an_existing_username_is_er_ir_ins(http: httpx.Client) -> None:
    user = {"Username": "demo", "Email": "d@x.it", "Password": "p", "ConfirmPassword": "p"}
    outcome = one(http, NEW | {"Users": [user]})
    assert code_of(outcome) == "ER.IR.INS" and "demo" in outcome["Item4"]["Message"]
    twice = [user | {"Username": "new"}, user | {"Username": "new"}]
    assert code_of(one(http, NEW | {"Users": twice})) == "ER.IR.INS"
    assert list(state(http)["identities"]) == ["1"]


def test_documents_exists_and_row_not_imported(http: httpx.Client) -> None:
    assert one(http, {"ID": 1, "IdentityDocuments": [SEED_DOCUMENT]})["Item3"] is True
    again = one(http, {"ID": 1, "IdentityDocuments": [SEED_DOCUMENT]})
    assert code_of(again) == "ER.DOC.EXISTS"
    pair = one(http, {"ID": 1, "IdentityDocuments": [SEED_DOCUMENT | {"Number": "2"}] * 2})
    assert code_of(pair) == "ER.DOC.EXISTS"
    other = one(http, {"ID": 1, "IdentityDocuments": [SEED_DOCUMENT | {"Number": "3"}]})
    assert other["Item3"] is True  # another number is another document
    missing = one(http, {"ID": 1, "IdentityDocuments": [{"ID": 99, "Number": "1"}]})
    assert code_of(missing) == "ER.DOC.RNOIMPORT" and "99" in missing["Item4"]["Message"]
    documents = state(http)["identities"]["1"]["IdentityDocuments"]
    assert [(d["ID"], d["Number"]) for d in documents] == [(1, "1"), (2, "3")]


@pytest.mark.parametrize("none", [None, ""])
def test_documents_without_a_number_never_clash(http: httpx.Client, none: str | None) -> None:
    """A Number "" is none, as null (an ERP writes a missing one so): two of one typology were
    ER.DOC.EXISTS ending in a dangling "numero "."""
    document = {"FIDDocumentTypology": 1, "Number": none}
    outcome = one(http, {"ID": 1, "IdentityDocuments": [document, document]})
    assert outcome["Item3"] is True, outcome["Item4"]
    assert one(http, {"ID": 1, "IdentityDocuments": [document]})["Item3"] is True
    numbered = one(http, {"ID": 1, "IdentityDocuments": [document | {"Number": "7"}] * 2})
    assert code_of(numbered) == "ER.DOC.EXISTS"
    assert numbered["Item4"]["Message"].endswith("tipologia 1 numero 7")
    stored = state(http)["identities"]["1"]["IdentityDocuments"]
    assert [d["Number"] for d in stored] == [none] * 3


def test_document_error_fault_makes_documents_fail_with_er_doc_unerr(http: httpx.Client) -> None:
    created = http.post(
        "/__admin/faults",
        json={
            "vendor": "xtra",
            "operation": "updateIdentities",
            "kind": "document_error",
            "times": 1,
        },
    )
    assert created.status_code == 201
    batch = [{"ID": 1, "IdentityDocuments": [SEED_DOCUMENT]}, NEW]
    outcomes = records(http, batch)
    assert [code_of(o) for o in outcomes] == ["ER.DOC.UNERR", None]
    assert state(http)["identities"]["1"]["IdentityDocuments"] == []
    assert one(http, batch[0])["Item3"] is True  # the fault was used once


def test_record_error_fault_fails_one_record_with_er_ir_unerr(http: httpx.Client) -> None:
    """The seed lists ER.IR.UNERR among a record's codes: record_error fails the next record the
    vendor processes (times counts records), at HTTP 200, the call's other records done; a
    record refused for its content does not use it up."""
    fault = {"vendor": "xtra", "operation": "updateIdentities", "kind": "record_error"}
    assert http.post("/__admin/faults", json=fault | {"times": 1}).status_code == 201
    batch = [{"FIDGroup": "due"}, NEW | {"ExternalKey": "A"}, NEW | {"ExternalKey": "B"}]
    outcomes = records(http, batch)
    assert [code_of(o) for o in outcomes] == ["ER.IR.INVAL", "ER.IR.UNERR", None]
    assert (outcomes[1]["Item1"], outcomes[1]["Item2"], outcomes[1]["Item3"]) == (0, "A", False)
    keys = [identity.get("ExternalKey") for identity in state(http)["identities"].values()]
    assert "A" not in keys and "B" in keys
    assert http.get("/__admin/faults").json() == []
    entry = http.get("/__admin/requests", params={"limit": 1}).json()[0]
    assert http.get(f"/__admin/requests/{entry['id']}").json()["verdict"]["response"] == []
    assert one(http, NEW | {"ExternalKey": "A"})["Item3"] is True


def test_a_session_s_record_error_fails_only_the_session_s_records(http: httpx.Client) -> None:
    """A record fault is asked for only while some scope holds a fault: one held by a session
    leaves a global call's records alone and fails the session's next record, once."""
    session = http.post("/__admin/sessions", json={}).json()
    fault = {"vendor": "xtra", "kind": "record_error", "times": 1, "session": session["id"]}
    assert http.post("/__admin/faults", json=fault).status_code == 201
    assert one(http, NEW | {"ExternalKey": "G"})["Item3"] is True
    xtra = session["credentials"]["xtra"]
    keys = {"SyncPublicKey": xtra["public_key"], "SyncSecretKey": xtra["secret_key"]}
    sent = [NEW | {"ExternalKey": "S1"}, NEW | {"ExternalKey": "S2"}]
    answer = http.post(UPDATE, json=sent, headers=keys).json()["result"]["records"]
    assert [code_of(o) for o in answer] == ["ER.IR.UNERR", None]
    assert http.get("/__admin/faults").json() == []


MISMATCHED = {"ID": 1, "Users": [{"ID": 1, "Password": "Nuova2!", "ConfirmPassword": "Altra3!"}]}
"""A record its schema lets through and the fake refuses for its content (ER.IR.INVAL)."""


@pytest.mark.parametrize(
    ("refused", "code", "contact_form"),
    [
        (MISMATCHED, "ER.IR.INVAL", False),
        (SEED_CONTACT_FORM | {"ID": 1}, "ER.IR.INVAL", True),  # ID and built key: two identities
        ({"ID": 424242}, "ER.IR.NOFOUND", False),
        ({"ID": 1, "IdentityDocuments": [SEED_DOCUMENT | {"ID": 99}]}, "ER.DOC.RNOIMPORT", False),
    ],
    ids=["password-mismatch", "contact-form-id-and-key", "not-found", "document-not-imported"],
)
def test_record_error_is_not_used_up_by_a_record_refused_for_its_content(
    http: httpx.Client, refused: dict[str, Any], code: str, contact_form: bool
) -> None:
    """admin-api.md: the fault fails "the next good record"; a record the fake refuses for
    what it holds kept its real code hidden behind ER.IR.UNERR, and the good record after it
    went through: a test of the connector's failure path never met one."""
    query = {"contactForm": "true"} if contact_form else {}
    good = SEED_CONTACT_FORM if contact_form else NEW
    if contact_form:  # the built key names an identity of its own, not identity 1
        assert one(http, SEED_CONTACT_FORM, **query)["Item1"] != 1
    fault = {"vendor": "xtra", "kind": "record_error", "times": 1}
    assert http.post("/__admin/faults", json=fault).status_code == 201
    outcomes = records(http, [refused, good], **query)
    assert [code_of(o) for o in outcomes] == [code, "ER.IR.UNERR"]
    assert http.get("/__admin/faults").json() == []


def test_record_error_draws_only_for_the_records_it_could_fail(http: httpx.Client) -> None:
    """``probability`` draws once for each record that would be written, from the kit's seeded
    sequence: the records refused between them change nothing, on every store."""
    marks = {None: ".", "ER.IR.UNERR": "E", "ER.IR.INVAL": "I"}

    def drawn(batch: list[dict[str, Any]]) -> str:
        """The batch's outcomes from the first draw (a reset starts the sequence again)."""
        assert http.post("/__admin/reset", json={}).status_code == 200
        fault = {"vendor": "xtra", "kind": "record_error", "probability": 0.5}
        assert http.post("/__admin/faults", json=fault).status_code == 201
        return "".join(marks[code_of(o)] for o in records(http, batch))

    good = [NEW | {"ExternalKey": f"P{n}"} for n in range(8)]
    assert drawn(good) == ".EEE.EEE"
    mixed = [*good[:1], MISMATCHED, *good[1:3], MISMATCHED, *good[3:]]
    assert drawn(mixed) == ".IEEIE.EEE"


def test_document_error_is_used_by_a_call_whose_documents_it_fails(http: httpx.Client) -> None:
    """``times`` counts calls: one whose documents would not have been imported anyway (no
    documents, a record refused for its content) leaves the fault to the next; and a record
    refused for its documents' content keeps its own code."""
    fault = {"vendor": "xtra", "kind": "document_error", "times": 1}
    assert http.post("/__admin/faults", json=fault).status_code == 201
    assert code_of(one(http, NEW)) is None
    refused = MISMATCHED | {"IdentityDocuments": [SEED_DOCUMENT]}
    assert code_of(one(http, refused)) == "ER.IR.INVAL"
    missing = {"ID": 1, "IdentityDocuments": [SEED_DOCUMENT | {"ID": 99}]}
    documents = {"ID": 1, "IdentityDocuments": [SEED_DOCUMENT]}
    outcomes = records(http, [missing, documents, NEW, documents])
    assert [code_of(o) for o in outcomes] == [
        "ER.DOC.RNOIMPORT",
        "ER.DOC.UNERR",
        None,
        "ER.DOC.UNERR",  # every record of the call that carries documents
    ]
    assert http.get("/__admin/faults").json() == []
    assert state(http)["identities"]["1"]["IdentityDocuments"] == []


def test_item5_item6_keys_and_sub_record_updates(http: httpx.Client) -> None:
    destination = {"FIDGroup": 2, "TypologyIds": [9], "Denomination": "Magazzino", "Alias": "M"}
    record = NEW | {
        "Destinations": [destination | {"ExternalKey": "D-1"}, destination],
        "Contacts": [{"Value": "0131"}, {"ExternalKey": "C-9", "Value": "a@b.it"}],
    }
    first = one(http, record)
    assert first["Item5"] == {"D-1": 1, "1": 2}
    assert first["Item6"] == {"0": 1, "C-9": 2}
    second = one(
        http,
        {
            "ID": first["Item1"],
            "Destinations": [{"ID": 2, "City": "Asti"}, {"ID": 99, "City": "Nowhere"}],
            "Contacts": [{"ID": 1, "ExternalKey": "TEL", "Value": "0131 1"}],
        },
    )
    assert second["Item3"] is True
    assert second["Item5"] == {"0": 2, "1": None}  # ID 99 is not on the identity: not imported
    assert second["Item6"] == {"TEL": 1}
    identity = state(http)["identities"][str(first["Item1"])]
    assert identity["Destinations"][1]["City"] == "Asti"
    assert identity["Destinations"][1]["Denomination"] == "Magazzino"  # partial update
    assert identity["Contacts"][0]["Value"] == "0131 1"


def test_ids_are_per_account_sequences_and_accounts_are_apart(acme: httpx.Client) -> None:
    assert one(acme, NEW)["Item1"] == 2  # demo: IRID 1 is the demo identity
    # acme's own sequence, after its identity 59990 (as a state load of it would have it)
    assert one(acme, NEW, headers=ACME_KEYS)["Item1"] == 59991
    assert code_of(one(acme, {"ID": 59990})) == "ER.IR.NOFOUND"  # acme's identity, not demo's
    assert one(acme, {"ID": 59990}, headers=ACME_KEYS)["Item3"] is True


def test_reset_restores_the_demo_identity_and_login(http: httpx.Client) -> None:
    one(http, {"ID": 1, "Surname": "Cambiato"})
    http.post("/__admin/reset", json={"vendor": "xtra"})
    data = state(http)
    assert list(data["identities"]) == ["1"] and data["identities"]["1"]["Surname"] == "Demo"
    assert data["activities"] == {}
    assert login(http)["IRID"] == 1


def test_state_round_trip_keeps_rules_working(http: httpx.Client) -> None:
    one(
        http,
        NEW
        | {
            "ExternalKey": "K",
            "Users": [
                {"Username": "u1", "Email": "u@x.it", "Password": "p", "ConfirmPassword": "p"}
            ],
        },
    )
    before = http.get("/__admin/state/xtra").json()
    assert http.put("/__admin/state/xtra", json=before).json() == before
    assert http.get("/__admin/state/xtra").json() == before
    assert code_of(one(http, NEW | {"ExternalKey": "K"})) == "ER.IR.EXISTS"
    assert login(http, "u1", "p")["IRID"] == 2
    assert one(http, NEW)["Item1"] == 3


@pytest.mark.parametrize(
    "identity",
    [[], {"Surname": "no ID"}, {"ID": 6}, {"ID": 5, "Users": {}}, {"ID": 5, "Contacts": [{}]}],
    ids=["not-object", "no-id", "id-not-key", "users-object", "contact-without-id"],
)
def test_state_put_with_unusable_identities_is_400_and_changes_nothing(
    http: httpx.Client, identity: object
) -> None:
    before = http.get("/__admin/state/xtra").json()
    document = {"tenants": {"demo": {"identities": {"5": identity}}}}
    response = http.put("/__admin/state/xtra", json=document)
    assert response.status_code == 400 and "identity '5'" in response.json()["error"]
    assert http.get("/__admin/state/xtra").json() == before


@pytest.mark.parametrize("sub", ["Users", "Destinations", "Contacts", "IdentityDocuments"])
def test_state_put_refuses_an_id_repeated_in_one_identity_s_sub_records(
    http: httpx.Client, sub: str
) -> None:
    """A sub-record is found by its ID: two users of identity 1 sharing ID 5 loaded, and bruno
    logged in with anna's password, as anna, never with his own; an update by that ID wrote
    only the last of them."""
    before = http.get("/__admin/state/xtra").json()
    document = copy.deepcopy(before)
    demo = document["tenants"]["demo"]["identities"]["1"]
    anna = {"ID": 5, "Username": "anna", "Email": "a@x.it", "Password": "pa"}
    demo[sub] = [anna, anna | {"Username": "bruno", "Email": "b@x.it", "Password": "pb"}]
    response = http.put("/__admin/state/xtra", json=document)
    assert response.status_code == 400
    assert f"identity '1': {sub} holds ID 5 more than once" in response.json()["error"]
    assert http.get("/__admin/state/xtra").json() == before
    demo[sub][1]["ID"] = 6  # one ID each: each its own
    assert http.put("/__admin/state/xtra", json=document).status_code == 200
    if sub == "Users":
        assert login(http, "bruno", "pb")["Username"] == "bruno"
        refused = http.post(LOGIN, json={"Username": "bruno", "Password": "pa"})
        assert refused.status_code == 403


def test_state_put_refuses_what_the_rules_could_not_find_or_compare(http: httpx.Client) -> None:
    """An identity under "02" would be listed but never found by its ID 2; a document whose
    typology or number is not a plain value could not be compared (a 500 on the next insert)."""
    before = http.get("/__admin/state/xtra").json()
    identity = {"ID": 2, "FIDGroup": 1, "TypologyIds": [2], "IdentityDocuments": []}
    odd_document = {"ID": 1, "FIDDocumentTypology": [1], "Number": "A"}
    for key, stored in (
        ("02", identity),
        ("2", identity | {"IdentityDocuments": [odd_document]}),
    ):
        document = {"tenants": {"demo": {"identities": {key: stored}}}}
        response = http.put("/__admin/state/xtra", json=document)
        assert response.status_code == 400 and f"identity {key!r}" in response.json()["error"]
        assert http.get("/__admin/state/xtra").json() == before


def test_an_empty_external_key_names_no_identity(http: httpx.Client) -> None:
    """ERP serialisers write a missing key as "": two such inserts are two identities."""
    first, second = update(http, [NEW | {"ExternalKey": ""}] * 2).json()["result"]["records"]
    assert first["Item3"] is True and second["Item3"] is True
    assert first["Item1"] != second["Item1"]
    assert state(http)["identities"][str(second["Item1"])]["ExternalKey"] == ""


def test_a_sub_record_with_an_empty_external_key_is_keyed_by_its_index(
    http: httpx.Client,
) -> None:
    """Two destinations with "" answered {"": 2}: the first one's ID was lost."""
    destination = {"FIDGroup": 2, "TypologyIds": [9], "Denomination": "Magazzino", "Alias": "M"}
    record = NEW | {
        "Destinations": [destination | {"ExternalKey": ""}] * 2,
        "Contacts": [{"ExternalKey": "", "Value": "a"}, {"ExternalKey": None, "Value": "b"}],
    }
    outcome = one(http, record)
    assert (outcome["Item5"], outcome["Item6"]) == ({"0": 1, "1": 2}, {"0": 1, "1": 2})
    identity = state(http)["identities"][str(outcome["Item1"])]
    assert [d["ExternalKey"] for d in identity["Destinations"]] == ["", ""]  # kept as sent


def test_contact_form_email_contact_never_takes_a_contacts_label(http: httpx.Client) -> None:
    """The e-mail contact goes under the index after the request's contacts; when a contact's
    ExternalKey took that label, under the next free one: every contact's ID is reported."""
    contacts = [{"Value": "a", "FIDContactTypology": 1}, {"ExternalKey": "2", "Value": "b"}]
    outcome = one(http, SEED_CONTACT_FORM | {"Contacts": contacts}, contactForm="true")
    assert set(outcome["Item6"]) == {"0", "2", "3"}
    stored = {
        c["ID"]: c["Value"] for c in state(http)["identities"][str(outcome["Item1"])]["Contacts"]
    }
    assert [stored[outcome["Item6"][label]] for label in ("0", "2", "3")] == [
        "a",
        "b",
        SEED_CONTACT_FORM["EMail"],
    ]


def test_huge_strings_are_stored_not_a_500(http: httpx.Client) -> None:
    assert one(http, NEW | {"Denomination": "R" * 1_000_000})["Item3"] is True
    outcome = one(http, NEW | {"FIDGroup": "9" * 100_000})
    assert code_of(outcome) == "ER.IR.INVAL" and len(outcome["Item4"]["Message"]) < 2000


def test_journal_masks_files_passwords_tokens_and_secret_keys(http: httpx.Client) -> None:
    token = login(http)["Token"]
    user = {"ID": 1, "Password": "segreta", "ConfirmPassword": "segreta"}
    update(
        http,
        [{"ID": 1, "IdentityDocuments": [SEED_DOCUMENT], "Users": [user]}],
        headers={"AccessToken": token},
    )
    update(http, [NEW])
    text = http.get("/__admin/requests", params={"vendor": "xtra"}).text
    for secret in ("base64file", "segreta", token, "demo-secret"):
        assert secret not in text
    entries = http.get("/__admin/requests", params={"vendor": "xtra"}).json()
    assert [e["operation"] for e in entries] == ["updateIdentities", "updateIdentities", "login"]
    sent = entries[1]["request"][0]
    assert sent["IdentityDocuments"][0]["Files"][0]["FileBase64"] == "***"
    assert sent["Users"][0]["Password"] == "***"
    assert entries[1]["headers"]["accesstoken"] == "***"
    assert entries[2]["response"]["result"]["Token"] == "***"


def test_openapi_is_served(http: httpx.Client) -> None:
    document = http.get("/xtra/openapi.json").json()
    operations = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    assert operations == {"login", "updateIdentities"}
    assert document["servers"] == [
        {"url": "/xtra", "description": document["servers"][0]["description"]}
    ]


def test_an_integral_number_id_names_that_identity(http: httpx.Client) -> None:
    """Found by the fuzz suite: ``"ID": 1.0`` is an integer for the contract, but the fake
    inserted a new identity instead of updating identity 1."""
    raw = b'[{"ID": 1.0, "City": "Valenza", "Contacts": [{"ID": 99.0}]}]'
    response = http.post(UPDATE, headers=KEYS, content=raw)
    (outcome,) = response.json()["result"]["records"]
    assert (outcome["Item1"], outcome["Item3"], outcome["Item6"]) == (1, True, {"0": None})
    assert list(state(http)["identities"]) == ["1"]
    assert state(http)["identities"]["1"]["City"] == "Valenza"


def test_integral_numbers_are_read_as_integers_wherever_they_stand(http: httpx.Client) -> None:
    """A number with a fraction or an exponent is looked for before the body is walked: first
    in an array, after a comma, after a colon with whitespace and a minus between, beside
    strings that look like numbers (a hex key's ``5e1``, a decimal in a text)."""
    raw = (
        b'[{"ExternalKey": "k0x55e1-2.5", "Denomination": "R 1.5", "FIDGroup" :\n 2e0,'
        b' "TypologyIds": [1.0,2E0], "Contacts": [{"FIDContactTypology":\t20.0e-1,'
        b' "Value": "x5e1@rossi.it"}]}]'
    )
    (outcome,) = http.post(UPDATE, headers=KEYS, content=raw).json()["result"]["records"]
    stored = state(http)["identities"][str(outcome["Item1"])]
    contact = stored["Contacts"][0]
    numbers = (stored["FIDGroup"], *stored["TypologyIds"], contact["FIDContactTypology"])
    assert numbers == (2, 1, 2, 2)
    assert all(type(n) is int for n in numbers)


INT32_MAX = 2**31 - 1


def near_int32(http: httpx.Client, sequence: str, left: int) -> dict[str, Any]:
    """The demo account's ``sequence`` set ``left`` IDs short of Int32 (only a state document
    can set it there); the state document as it then dumps."""
    document = http.get("/__admin/state/xtra").json()
    document["tenants"]["demo"]["sequences"][sequence] = INT32_MAX - left
    assert http.put("/__admin/state/xtra", json=document).status_code == 200
    return http.get("/__admin/state/xtra").json()  # type: ignore[no-any-return]


def user(name: str) -> dict[str, str]:
    return {"Username": name, "Email": f"{name}@x.it", "Password": "p", "ConfirmPassword": "p"}


@pytest.mark.parametrize(
    ("sequence", "batch", "contact_form"),
    [
        ("identity", [NEW, NEW, NEW], False),
        ("contact", [NEW | {"Contacts": [{"Value": f"0131 {n}"}]} for n in range(3)], False),
        ("user", [NEW | {"Users": [user(f"u{n}")]} for n in range(3)], False),
        ("activity", [SEED_CONTACT_FORM | {"Name": f"N{n}"} for n in range(3)], True),
    ],
)
def test_a_call_whose_ids_would_pass_int32_half_way_writes_nothing(
    http: httpx.Client, sequence: str, batch: list[dict[str, Any]], contact_form: bool
) -> None:
    """The records of a call take their IDs one by one as they are written: the third record
    of this call would pass Int32, and the first two stayed written (in Redis too). The call
    is refused before any record is written: the vendor's 500, the state as it was, no ID
    given; two of them still fit, up to Int32 itself (only a state document can set a
    sequence there: the answer never holds an ID its own contract refuses)."""
    query = {"contactForm": "true"} if contact_form else {}
    before = near_int32(http, sequence, 2)
    refused = update(http, batch, **query)
    assert (refused.status_code, refused.json()["errorCode"]) == (500, "ER.IR.UNERR")
    detail = refused.headers["X-Mockservers-Detail"]
    assert f"sequence '{sequence}' would pass Int32" in detail
    assert http.get("/__admin/state/xtra").json() == before
    debugged = update(http, batch, **query, debug="true")  # as every error the handler gives
    assert (debugged.status_code, set(debugged.json())) == (500, {*refused.json(), "debug"})
    assert f"sequence '{sequence}' would pass Int32" in debugged.headers["X-Mockservers-Detail"]
    assert all(outcome["Item3"] for outcome in records(http, batch[:2], **query))
    assert state(http)["sequences"][sequence] == INT32_MAX


def test_an_activity_keyed_beyond_int32_is_refused_so_every_dump_loads_back(
    http: httpx.Client,
) -> None:
    """An activity's key raises the ``activity`` sequence to it: one past Int32 was taken,
    and then every contact form was a 500, the dump a 400, and a state file holding it
    stopped the kit's start. Up to Int32 itself it is taken, and its dump loads back."""
    before = http.get("/__admin/state/xtra").json()
    beyond = {"activities": {str(INT32_MAX + 1): {"ID": INT32_MAX + 1}}}
    refused = http.put("/__admin/state/xtra", json={"tenants": {"demo": beyond}})
    assert refused.status_code == 400
    assert refused.json()["error"] == f"tenant 'demo', activity '{INT32_MAX + 1}': beyond Int32"
    assert http.get("/__admin/state/xtra").json() == before
    highest = {"activities": {str(INT32_MAX): {"ID": INT32_MAX}}}
    assert http.put("/__admin/state/xtra", json={"tenants": {"demo": highest}}).status_code == 200
    dumped = http.get("/__admin/state/xtra").json()
    assert dumped["tenants"]["demo"]["sequences"]["activity"] == INT32_MAX
    assert http.put("/__admin/state/xtra", json=dumped).json() == dumped


def test_a_record_that_breaks_its_schema_is_counted_too(http: httpx.Client) -> None:
    """The count comes before the records are checked: a record that breaks its schema (its
    Contacts no list) counts as the others do, and never breaks the count."""
    near_int32(http, "identity", 2)
    batch = [NEW, NEW | {"Contacts": 5}]
    assert [code_of(outcome) for outcome in records(http, batch)] == [None, "ER.IR.INVAL"]
    near_int32(http, "identity", 1)
    assert update(http, batch).status_code == 500


def test_an_update_that_frees_a_key_counts_the_insert_under_it(http: httpx.Client) -> None:
    """An update may change its identity's ExternalKey; a later record of the call with the old
    key is then an insert. With the account's identity IDs run out, that call is the 500 and
    writes nothing (not the update alone, nor an ID past Int32)."""
    keyed = one(http, NEW | {"ExternalKey": "OLD"})
    before = near_int32(http, "identity", 0)
    batch = [{"ID": keyed["Item1"], "ExternalKey": "RENAMED"}, NEW | {"ExternalKey": "OLD"}]
    assert update(http, batch).status_code == 500
    assert http.get("/__admin/state/xtra").json() == before


def test_a_contact_form_for_a_known_person_needs_no_new_identity(http: httpx.Client) -> None:
    """Only a record that may insert an identity asks for an identity ID: once the account's
    ran out, a contact form for someone already known (its built key) is still an update,
    and a record with an ExternalKey already taken still gets its ER.IR.EXISTS."""
    keyed = one(http, NEW | {"ExternalKey": "K1"})
    first = one(http, SEED_CONTACT_FORM, contactForm="true")
    near_int32(http, "identity", 0)
    again = one(http, SEED_CONTACT_FORM | {"City": "Milano"}, contactForm="true")
    assert (again["Item1"], again["Item3"]) == (first["Item1"], True)
    assert code_of(one(http, NEW | {"ExternalKey": "K1"})) == "ER.IR.EXISTS"
    assert state(http)["identities"][str(keyed["Item1"])]["ExternalKey"] == "K1"
    stranger = update(http, [SEED_CONTACT_FORM | {"Surname": "Altri"}], contactForm="true")
    assert stranger.status_code == 500


@pytest.mark.parametrize("big", [b"2147483648", b"18446744073709551616"])
def test_an_id_beyond_int32_is_er_ir_inval_not_an_insert(http: httpx.Client, big: bytes) -> None:
    """Found by the fuzz suite: an ``ID`` of 2**64 (a float once parsed) was taken for an insert."""
    raw = b'[{"ID": ' + big + b', "FIDGroup": 1, "TypologyIds": [1]}]'
    (outcome,) = http.post(UPDATE, headers=KEYS, content=raw).json()["result"]["records"]
    assert code_of(outcome) == "ER.IR.INVAL" and "ID" in outcome["Item4"]["Message"]
    assert outcome["Item1"] == 0  # an Int32 on the wire: the ID it could not read is not echoed
    assert list(state(http)["identities"]) == ["1"]
