"""4WS.KeepIT through HTTP: the seed's example, every documented outcome and error, the mappings
rules, the call limit on the kit's clock, tenants, faults, bad input."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from contracts import contract, load_schema
from mockservers import create_app
from mockservers.testing import SyncASGITransport
from tests.coverage_kit import GlobalScope, met_count
from tests.data import BIG, BIG_AS_READ, keepit_customer
from tests.data import keepit_card as card

pytestmark = pytest.mark.every_store  # the same behaviour on every store

API = "/keepit/api"
QUERY = {"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"}
DEMO = {"username": "demo", "password": "demo", "companyId": "1", "siteId": "1"}
NOT_DONE = (
    "Errore: non è stato eseguito l'inserimento/update, "
    "verificare il messaggio di errore dei record ritornati."
)
NOT_IN_MAPPINGS = "Il customer code non è specificato nell'array mappings."
DUPLICATE = "The customer already exists."
SEED_BODY = load_schema("keepit/insertClient_v3.request")["x-seed-example"]
SEED_ANSWER = load_schema("keepit/insertClient_v3.response")["x-seed-example"]


def seed_record(**changes: Any) -> dict[str, Any]:
    """The seed's example record (a fresh copy), with top-level changes."""
    return copy.deepcopy(SEED_BODY["subjectsRecords"][0]) | changes


customer = keepit_customer


def email(value: str) -> list[dict[str, str]]:
    return [{"contactType": "EMAIL", "value": value}]


def mapping(code: Any, field: str = "CUSTOMER_ID", **extra: Any) -> dict[str, Any]:
    return {"system": "DW", "externalField": field, "externalCode": code, **extra}


def post(
    http: httpx.Client,
    body: Any,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    headers = DEMO if headers is None else headers
    kwargs: dict[str, Any] = {"content": body} if isinstance(body, bytes) else {"json": body}
    return http.post(API, params=QUERY if params is None else params, headers=headers, **kwargs)


def insert(http: httpx.Client, *records: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Post the records; check the answer against the response contract; return its body."""
    response = post(http, {"subjectsRecords": list(records)}, **kwargs)
    body = response.json()
    assert contract("keepit/insertClient_v3.response").check(body) == []
    expected_http = 200 if body["code"] in (200, 204, 206) else body["code"]
    assert response.status_code == expected_http, body
    return body


def only_error(body: dict[str, Any]) -> str:
    assert body["code"] == 400 and body["success"] is False and body["message"] == NOT_DONE
    assert body["insertedObjects"] == [] and body["duplicatedObjects"] == []
    (error,) = body["errorObjects"]
    return error["errorMessage"]


def clock(http: httpx.Client) -> datetime:
    return datetime.fromisoformat(http.get("/__admin/clock").json()["now"])


def stored(http: httpx.Client, tenant: str = "1/1") -> dict[str, Any]:
    tenants = http.get("/__admin/state/keepit").json()["tenants"]
    return tenants[tenant]["subjects"] if tenant in tenants else {}  # nothing kept: no tenant


# -- the seed's example ----------------------------------------------------------------------
def test_seed_example_as_written_is_refused_because_action_is_mandatory(
    http: httpx.Client,
) -> None:
    """The document: 'the action attribute is mandatory'; its example has none."""
    body = insert(http, *SEED_BODY["subjectsRecords"])
    assert body["errorObjects"] == [
        {"customerCode": "13245", "errorMessage": "Errore: action non valorizzato."}
    ]
    assert only_error(body) == "Errore: action non valorizzato."


def test_seed_example_with_action_is_refused_by_the_mappings_rule(http: httpx.Client) -> None:
    """customerCode 13245 is not among the mappings' externalCodes (12345, 67890)."""
    assert only_error(insert(http, seed_record(action="I"))) == NOT_IN_MAPPINGS
    assert stored(http) == {}


def test_seed_example_with_mapping_fixed_is_inserted_with_every_section(
    http: httpx.Client,
) -> None:
    record = seed_record(action="I")
    record["subjects"]["customerCode"] = "12345"  # equals the numeric externalCode 12345
    body = insert(http, record)
    assert body["success"] is True and body["code"] == 200
    assert body["message"] == "Inserimento/Update riuscito con successo."
    (inserted,) = body["insertedObjects"]
    assert inserted["progId"] == 1
    assert inserted["customerCode"] == "12345" and inserted["email"] == "test.test@test.it"
    assert inserted["mapping"] == [{"progId": 1}, {"progId": 2}]
    assert inserted["contacts"] == [{"progId": 1}, {"progId": 2}]
    assert inserted["privacy"] == [{"progId": 1}]
    assert inserted["cards"] == [{"progId": 1}]
    assert inserted["destinations"] == [{"progId": 1}]
    assert inserted["makeup"] == {"progId": 1}
    assert inserted["sources"] == [{"progId": 1}, {"progId": 2}]
    assert "actions" not in inserted and "commercialDivisions" not in inserted
    customer_record = stored(http)["1"]
    assert customer_record["subjects"]["Floor"] == 2 and customer_record["subjects"]["progId"] == 1
    assert customer_record["subjectDestinations"][0]["note"] == "Test note"
    assert customer_record["subjectSources"][1]["itemDescPur"] == ""


def test_the_seeds_empty_200_example_is_a_placeholder_no_answer_is(http: httpx.Client) -> None:
    """The document's 'Responses: 200 Success' example is {}: its documentation tool's empty
    placeholder. No answer of the fake is {}, the contract refuses {} (an answer that says
    nothing of success, code or message), and the OpenAPI document shows it as no example."""
    assert SEED_ANSWER == {}
    missing = {v.message for v in contract("keepit/insertClient_v3.response").check({})}
    assert missing == {
        f"'{name}' is a required property" for name in ("success", "code", "message")
    }
    body = insert(http, customer("C1"))
    assert body["success"] is True and body["code"] == 200
    document = http.get("/keepit/openapi.json").json()
    answers = document["paths"]["/api"]["post"]["responses"]["200"]["content"]["application/json"]
    assert all(example["value"] for example in answers["examples"].values())
    schema = document["components"]["schemas"]["keepit.insertClient_v3.response"]
    assert "placeholder" in schema["x-assumption"] and schema["x-seed-example"] == {}


def test_the_documents_answer_with_a_numeric_customer_code_is_reproduced(
    http: httpx.Client,
) -> None:
    """The document's answers show "customerCode": 2134 (its table: Varchar(250)): a whole
    number is accepted, echoed as sent in the answer, the journal and the state, and is the
    same code as "2134"."""
    (documented,) = load_schema("keepit/insertClient_v3.response")["examples"][0]["insertedObjects"]
    assert documented == {"progId": 70, "customerCode": 2134, "email": "xxx@test.it"}
    record = customer(2134)
    record["subjects"]["email"] = "xxx@test.it"  # no contacts: the answer reports no section
    body = insert(http, record)
    assert body["code"] == 200 and body["insertedObjects"] == [documented | {"progId": 1}]
    (entry,) = http.get("/__admin/requests", params={"vendor": "keepit"}).json()
    assert entry["response"]["insertedObjects"] == body["insertedObjects"]
    assert stored(http)["1"]["subjects"]["customerCode"] == 2134
    again = insert(http, customer("2134"))
    assert again["duplicatedObjects"] == [{"customerCode": "2134", "errorMessage": DUPLICATE}]


def test_a_whole_number_customer_code_within_64_bits_is_echoed_and_kept_apart(
    http: httpx.Client,
) -> None:
    """The largest codes a signed 64-bit integer holds are echoed exactly, each its own code."""
    for code in (2**63 - 1, 2**63 - 2, -(2**63 - 1)):
        (inserted,) = insert(http, customer(code))["insertedObjects"]
        assert inserted["customerCode"] == code
    assert [c["subjects"]["customerCode"] for c in stored(http).values()] == [
        2**63 - 1,
        2**63 - 2,
        -(2**63 - 1),
    ]


@pytest.mark.parametrize(
    "code",
    [2**63, 2**64 + 1, 2**64 + 2, -(2**63), -(2**63) - 1],
    ids=["2^63", "2^64+1", "2^64+2", "-2^63", "-2^63-1"],
)
def test_a_customer_code_beyond_64_bits_is_refused_and_echoed_as_sent(
    http: httpx.Client, code: int
) -> None:
    """Beyond 64 bits a JSON reader reads a whole number as a float: 2^64+1 was echoed as
    1.8446744073709552e+19 and 2^64+2 was then its duplicate. Such a code is out of range, and
    the record's error still names it as sent."""
    body = insert(http, customer(code))
    assert only_error(body) == "Errore: customerCode fuori dai limiti ammessi."
    assert body["errorObjects"][0]["customerCode"] == code
    assert stored(http) == {}


def written(code: str, *, mappings: str = "") -> bytes:
    """A body of one record whose customerCode is written ``code`` (JSON text), and whose
    mappings are ``mappings`` (JSON text), as a connector's serializer wrote them."""
    record = customer("CODE", mappings=[]) if mappings else customer("CODE")
    text = json.dumps({"subjectsRecords": [record]})
    text = text.replace('"CODE"', code).replace('"mappings": []', f'"mappings": {mappings}')
    return text.encode()


@pytest.mark.parametrize(
    ("taken", "code", "phrase"),
    [
        (2**53, "9007199254740993.0", "fuori dai limiti ammessi"),
        (2**53, "9007199254740992.0", "fuori dai limiti ammessi"),
        (2**53, "-9.007199254740993e15", "fuori dai limiti ammessi"),
        (1, "1.0000000000000001", "di tipo non valido"),
        (0, "1e-400", "di tipo non valido"),
        (0, "-0.0000", None),
        (12, "12.0", None),
        (1000, "1e3", None),
        (2**53 - 1, "9007199254740991.0", None),
    ],
)
def test_a_code_with_a_fraction_or_an_exponent_is_taken_only_as_a_whole_number_below_2_53(
    http: httpx.Client, taken: int, code: str, phrase: str | None
) -> None:
    """A double read 9007199254740993.0 as 9007199254740992, 1.0000000000000001 as 1 and
    1e-400 as 0: each was a duplicate of another customer (or the code 0). As written, such a
    code is taken only when it is a whole number below 2^53 (which a double holds exactly);
    a refused one is echoed as sent."""
    assert insert(http, customer(taken))["code"] == 200
    response = post(http, written(code))
    body = response.json()
    if phrase is None:
        assert body["duplicatedObjects"][0]["errorMessage"] == DUPLICATE  # the same code
        return
    assert only_error(body) == f"Errore: customerCode {phrase}."
    assert f'"customerCode":{code},' in response.text  # as sent
    assert code in response.headers["X-Mockservers-Detail"]
    assert len(stored(http)) == 1


@pytest.mark.parametrize(
    ("external", "phrase"),
    [
        ("7.0000000000000001", "di tipo non valido"),
        ("7.5", "di tipo non valido"),
        ("7e16", "fuori dai limiti ammessi"),
        ("7.0", None),
        ("0.7e1", None),
    ],
)
def test_an_external_code_with_a_fraction_or_an_exponent_is_judged_as_a_customer_code_is(
    http: httpx.Client, external: str, phrase: str | None
) -> None:
    """The mappings rule and the mapping tuple compare codes as text: 7.0000000000000001 was
    the code 7."""
    mappings = f'[{{"system": "DW", "externalField": "ID", "externalCode": {external}}}]'
    body = post(http, written("7", mappings=mappings)).json()
    if phrase is None:
        assert body["code"] == 200
        assert stored(http)["1"]["mappings"][0]["externalCode"] == 7.0
    else:
        assert only_error(body) == f"Errore: mappings[0].externalCode {phrase}."


def test_a_record_refused_for_its_code_as_written_keeps_its_first_failing_check(
    http: httpx.Client,
) -> None:
    """A missing field is named before the code's fault, as with any other wrong value; the
    other records of the call are judged as ever."""
    record = customer("CODE")
    del record["subjects"]["system"]
    text = json.dumps({"subjectsRecords": [record, customer("C2")]})
    response = post(http, text.replace('"CODE"', "1.0000000000000001").encode())
    body = response.json()
    assert '"customerCode":1.0000000000000001,' in response.text
    assert body["code"] == 206
    assert body["errorObjects"] == [
        {"customerCode": 1.0, "errorMessage": "Errore: system non valorizzato."}
    ]


@pytest.mark.parametrize("where", [0, 2], ids=["code-first", "code-last"])
def test_a_code_beyond_64_bits_leaves_the_other_records_of_its_call_read_as_ever(
    http: httpx.Client, where: int
) -> None:
    """A customerCode beyond 64 bits had the whole body read again exactly, so that another
    record's unlisted whole number beyond 64 bits could not be stored: HTTP 500, the records
    before it kept. That code is refused and echoed as sent; the other records are read and
    stored as in any call, each on its own (206)."""
    good = customer("C1", **BIG, contacts=[{"contactType": "PHONE", "value": "1", **BIG}])
    good["subjects"] |= BIG
    good["subjectMakeup"] = {"skinType": "A", **BIG}
    records = [customer("C0"), good]
    records.insert(where, customer(2**64 + 1, **BIG))
    body = insert(http, *records)
    assert body["code"] == 206
    assert [entry["customerCode"] for entry in body["insertedObjects"]] == ["C0", "C1"]
    refused = "Errore: customerCode fuori dai limiti ammessi."
    assert body["errorObjects"] == [{"customerCode": 2**64 + 1, "errorMessage": refused}]
    saved = stored(http)["2"]
    for part in (saved, saved["subjects"], saved["contacts"][0], saved["subjectMakeup"]):
        assert {name: part[name] for name in BIG} == BIG_AS_READ
    assert list(stored(http)) == ["1", "2"]


def test_only_the_sections_received_are_reported(http: httpx.Client) -> None:
    (inserted,) = insert(http, customer("C1"))["insertedObjects"]
    assert inserted == {"progId": 1, "customerCode": "C1", "email": ""}


def test_actions_and_commercial_divisions_get_progids(http: httpx.Client) -> None:
    action = {"actionCode": "A1", "actionType": "CALL", "actionStatus": "OPEN", "system": "DW"}
    record = customer("C1", actions=[action], commercialDivisions=[{"division": "X"}])
    (inserted,) = insert(http, record)["insertedObjects"]
    assert inserted["actions"] == [{"progId": 1}]
    assert inserted["commercialDivisions"] == [{"progId": 1}]


def test_progids_are_per_tenant_sequences_per_section(http: httpx.Client) -> None:
    first = insert(http, customer("C1", contacts=email("a@x.it")))["insertedObjects"][0]
    second = insert(http, customer("C2", contacts=email("b@x.it")))["insertedObjects"][0]
    assert (first["progId"], second["progId"]) == (1, 2)
    assert (first["contacts"], second["contacts"]) == ([{"progId": 1}], [{"progId": 2}])


# -- duplicates, partial, all failing ----------------------------------------------------------
def test_same_customer_code_in_the_same_system_is_a_duplicate_204(http: httpx.Client) -> None:
    insert(http, customer("C1"))
    body = insert(http, customer("C1"))
    assert body["code"] == 204 and body["success"] is True
    assert body["message"] == (
        "Attenzione: esistono uno o più doppioni, inserimento/update non eseguito."
    )
    assert body["duplicatedObjects"] == [{"customerCode": "C1", "errorMessage": DUPLICATE}]
    assert body["insertedObjects"] == [] and body["errorObjects"] == []
    assert list(stored(http)) == ["1"]


def test_same_code_in_another_system_is_not_a_duplicate(http: httpx.Client) -> None:
    insert(http, customer("C1"))
    other = customer("C1")
    other["subjects"]["system"] = "ECOM"
    assert insert(http, other)["code"] == 200


@pytest.mark.parametrize("where", ["contacts", "subjects.email"])
def test_same_email_is_a_duplicate_whatever_the_code(http: httpx.Client, where: str) -> None:
    insert(http, customer("C1", contacts=email("Mario@Test.it")))
    other = customer("C2")
    if where == "contacts":
        other["contacts"] = email("mario@test.it")
    else:
        other["subjects"]["email"] = "MARIO@test.it"
    assert insert(http, other)["duplicatedObjects"][0]["errorMessage"] == DUPLICATE


def test_a_duplicate_inside_one_batch_is_caught(http: httpx.Client) -> None:
    body = insert(http, customer("C1"), customer("C1"))
    assert body["code"] == 206
    assert [i["progId"] for i in body["insertedObjects"]] == [1]
    assert body["duplicatedObjects"] == [{"customerCode": "C1", "errorMessage": DUPLICATE}]


def test_some_inserted_others_failing_is_206(http: httpx.Client) -> None:
    broken = customer("C2")
    del broken["subjects"]["system"]
    body = insert(http, customer("C1"), broken)
    assert body["code"] == 206 and body["success"] is True
    assert [i["customerCode"] for i in body["insertedObjects"]] == ["C1"]
    assert body["errorObjects"] == [
        {"customerCode": "C2", "errorMessage": "Errore: system non valorizzato."}
    ]


def test_nothing_inserted_errors_and_duplicates_is_400(http: httpx.Client) -> None:
    insert(http, customer("C1"))
    body = insert(http, customer("C1"), customer("C2", action="X"))
    assert body["code"] == 400 and body["success"] is False
    assert body["duplicatedObjects"] == [{"customerCode": "C1", "errorMessage": DUPLICATE}]
    assert body["errorObjects"][0]["errorMessage"] == "Errore: action valore non ammesso."


# -- mandatory fields and types -----------------------------------------------------------------
@pytest.mark.parametrize(
    "field",
    ["customerCode", "system", "subjectType", "subjectSubtype", "isCompany", "countryRegistration"],
)
@pytest.mark.parametrize("how", ["missing", "empty"])
def test_each_mandatory_subject_field(http: httpx.Client, field: str, how: str) -> None:
    record = customer("C1")
    if how == "missing":
        del record["subjects"][field]
    else:
        record["subjects"][field] = ""
    assert only_error(insert(http, record)) == f"Errore: {field} non valorizzato."


def test_repeated_broken_records_are_each_answered_as_alone(http: httpx.Client) -> None:
    """A connector's broken records sent over and over (each explained once): every record
    gets the errorObjects entry it gets alone (one that is no record at all is named by its
    place), and the detail names each by its place."""
    broken: list[Any] = [{"action": "I"}, seed_record(action="Z"), 5]
    alone = [post(http, {"subjectsRecords": [record]}) for record in broken]
    response = post(http, {"subjectsRecords": [broken[i % 3] for i in range(11)]})
    placed = [
        (alone[i % 3].json()["errorObjects"][0], alone[i % 3].headers["X-Mockservers-Detail"])
        for i in range(11)
    ]
    first = "subjectsRecords[0]"
    assert response.json()["errorObjects"] == [
        {**entry, "errorMessage": entry["errorMessage"].replace(first, f"subjectsRecords[{i}]")}
        for i, (entry, _) in enumerate(placed)
    ]
    assert response.json()["errorObjects"][5]["errorMessage"] == (
        "Errore: subjectsRecords[5] di tipo non valido."
    )
    assert response.headers["X-Mockservers-Detail"] == "; ".join(
        said.replace(first, f"subjectsRecords[{i}]", 1) for i, (_, said) in enumerate(placed)
    )


def test_missing_subjects_is_not_valorised(http: httpx.Client) -> None:
    assert only_error(insert(http, {"action": "I"})) == "Errore: subjects non valorizzato."


def test_mandatory_checks_come_before_duplicates_and_mappings(http: httpx.Client) -> None:
    insert(http, customer("C1"))
    record = customer("C1", mappings=[mapping("OTHER")])
    del record["subjects"]["subjectType"]
    assert only_error(insert(http, record)) == "Errore: subjectType non valorizzato."


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sex": "X"}, "Errore: sex valore non ammesso."),
        ({"isCompany": "S"}, "Errore: isCompany valore non ammesso."),
        ({"ecommerceGuestRegister": "Z"}, "Errore: ecommerceGuestRegister valore non ammesso."),
        ({"province": "PORD"}, "Errore: province supera la lunghezza massima."),
        ({"subjectName2": "x" * 501}, "Errore: subjectName2 supera la lunghezza massima."),
        ({"customerCode": 13245.5}, "Errore: customerCode di tipo non valido."),
        ({"employeesNumber": "60"}, "Errore: employeesNumber di tipo non valido."),
        ({"discount": 10000}, "Errore: discount fuori dai limiti ammessi."),
        ({"birthday": "24/03/2016"}, "Errore: birthday non valido."),
        ({"birthday": "2016-02-30"}, "Errore: birthday non valido."),
        ({"ecommerceLastVisit": "yesterday"}, "Errore: ecommerceLastVisit non valido."),
        ({"houseNumber": True}, "Errore: houseNumber di tipo non valido."),
    ],
)
def test_type_and_length_violations_name_the_field(
    http: httpx.Client, change: dict[str, Any], message: str
) -> None:
    record = customer("C1")
    record["subjects"].update(change)
    assert only_error(insert(http, record)) == message


@pytest.mark.parametrize(
    "change",
    [
        {"birthday": "", "ecommerceLastLogin": ""},
        {"birthday": "1980-05-01", "ecommerceLastLogin": "2016-03-24 10:15:00"},
        {"ecommerceLastVisit": "2016-03-24T10:15:00Z", "houseNumber": "10/B", "floor": 2},
        {"sex": "", "foreignPerson": "T", "discount": 12.5, "maximumValue": 1000.99},
    ],
)
def test_what_the_example_and_the_table_allow_is_accepted(
    http: httpx.Client, change: dict[str, Any]
) -> None:
    record = customer("C1")
    record["subjects"].update(change)
    assert insert(http, record)["code"] == 200


def test_unknown_fields_are_accepted_and_kept(http: httpx.Client) -> None:
    record = customer("C1", extra={"kept": True})
    record["subjects"]["birthPlace"] = "Udine"
    assert insert(http, record)["code"] == 200
    assert stored(http)["1"]["subjects"]["birthPlace"] == "Udine"
    assert stored(http)["1"]["extra"] == {"kept": True}


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"contacts": [{"contactType": "EMAIL"}]}, "Errore: contacts[0].value non valorizzato."),
        (
            {"contacts": [{"contactType": "PHONE"}, {"contactType": "EMAIL", "value": ""}]},
            "Errore: contacts[1].value non valorizzato.",
        ),
        (  # blank: the duplicates check reads an e-mail trimmed, so this one names no one
            {"contacts": [{"contactType": "EMAIL", "value": " \t "}]},
            "Errore: contacts[0].value non valido.",
        ),
        ({"contacts": [{"value": "x"}]}, "Errore: contacts[0].contactType non valorizzato."),
        (
            {"contacts": [{"contactType": "PIGEON", "value": "x"}]},
            "Errore: contacts[0].contactType valore non ammesso.",
        ),
        (
            {
                "cards": [
                    {"cardType": "FIDELITY", "cardSubtype": "GEN", "circuit": "S", "card": "1"}
                ]
            },
            "Errore: cards[0].cardBarcode non valorizzato.",
        ),
        (
            {"cards": [card("1") | {"cardBarcode": "1" * 51}]},
            "Errore: cards[0].cardBarcode supera la lunghezza massima.",
        ),
        ({"privacy": [{"privacyConsent": "T"}]}, "Errore: privacy[0].privacyType non valorizzato."),
        (
            {"subjectDestinations": [{"destinationType": ""}]},
            "Errore: subjectDestinations[0].destinationType non valorizzato.",
        ),
        (
            {"mappings": [{"system": "DW", "externalCode": "C1"}]},
            "Errore: mappings[0].externalField non valorizzato.",
        ),
        (
            {"mappings": [{"system": "DW", "externalField": "ID"}]},
            "Errore: mappings[0].externalCode non valorizzato.",
        ),
        ({"actions": [{"actionCode": "A"}]}, "Errore: actions[0].actionType non valorizzato."),
        ({"contacts": {"contactType": "EMAIL"}}, "Errore: contacts di tipo non valido."),
        ({"subjectMakeup": []}, "Errore: subjectMakeup di tipo non valido."),
    ],
)
def test_section_rules_name_the_element(
    http: httpx.Client, sections: dict[str, Any], message: str
) -> None:
    assert only_error(insert(http, customer("C1", **sections))) == message


def test_an_email_contact_is_not_checked_for_a_format(http: httpx.Client) -> None:
    """The document gives no e-mail format: a value that is not blank is the customer's e-mail,
    and a blank contact of another type is accepted as sent."""
    contacts = [
        {"contactType": "EMAIL", "value": "mario.rossi"},
        {"contactType": "PHONE", "value": " "},
    ]
    body = insert(http, customer("C1", contacts=contacts))
    assert body["code"] == 200 and body["insertedObjects"][0]["email"] == "mario.rossi"
    assert stored(http)["1"]["contacts"][1]["value"] == " "


@pytest.mark.parametrize(
    "stamp",
    [
        "2016-03-24",
        "2016-03-24T10:00:00",
        "2016-03-24T10:00",
        "2016-03-24T10:00:00Z",
        "2016-03-24T10:00:00+01:00",
        "2016-03-24 10:00:00",
        "",
    ],
)
def test_a_timestamp_may_be_a_local_iso_date_time(http: httpx.Client, stamp: str) -> None:
    """What a connector's LocalDateTime or isoformat() writes (no offset) is a Timestamp."""
    record = customer("C1")
    record["subjects"]["ecommerceLastLogin"] = stamp
    assert insert(http, record)["code"] == 200


@pytest.mark.parametrize("field", ["houseNumber", "floor", "Floor"])
def test_a_varchar_sent_as_a_number_is_bounded_too(http: httpx.Client, field: str) -> None:
    """houseNumber and floor admit numbers (the seed's example sends them): within 64 bits, as
    customerCode (beyond, 2^64+1 was stored as 1.8446744073709552e+19)."""
    record = customer("C1")
    for beyond in (10**25, 2**64 + 1, 2**63, -(2**63) - 1):
        record["subjects"][field] = beyond
        assert only_error(insert(http, record)) == f"Errore: {field} fuori dai limiti ammessi."
    record["subjects"][field] = 2**63 - 1
    assert insert(http, record)["code"] == 200
    assert stored(http)["1"]["subjects"][field] == 2**63 - 1


def test_a_numeric_prog_id_is_bounded_to_64_bits(http: httpx.Client) -> None:
    """Beyond 64 bits an update named another customer (``progId=18446744073709551616`` for
    18446744073709551617): out of range; within, the customer is looked up as sent."""
    record = customer("C1", action="U")
    record["subjects"]["progId"] = 2**64 + 1
    assert only_error(insert(http, record)) == "Errore: progId fuori dai limiti ammessi."
    record["subjects"]["progId"] = 2**63 - 1
    assert (
        only_error(insert(http, record)) == "Nessun record trovato per:progId=9223372036854775807"
    )


def test_a_card_that_is_not_fidelity_needs_only_its_type(http: httpx.Client) -> None:
    record = customer("C1", cards=[{"cardType": "GIFT"}])
    assert insert(http, record)["code"] == 200


CLASHING = {"progId": 999, "created_at": "1999-01-01", "updated_at": "1999-01-02", "sent": 1}
"""A record's fields named like those the kit adds to a customer (``sent`` among them)."""


def test_a_record_s_fields_named_like_the_kit_s_are_kept_apart_under_sent(
    http: httpx.Client,
) -> None:
    """They took the place of the kit's: a created_at rewrote when the customer was created, on
    insert and on every update; a progId or updated_at, one in a section element or in the
    makeup, was lost."""
    phone = {"contactType": "PHONE", "value": "123", "progId": 777}
    record = customer("C1", contacts=[phone], subjectMakeup={"skinType": "", "progId": 555})
    before = clock(http)
    assert insert(http, record | CLASHING)["insertedObjects"][0]["progId"] == 1
    saved = stored(http)["1"]
    created = datetime.fromisoformat(saved["created_at"])
    assert before <= created == datetime.fromisoformat(saved["updated_at"]) <= clock(http)
    assert saved["progId"] == 1 and saved["sent"] == CLASHING
    assert saved["contacts"] == [phone | {"progId": 1, "sent": {"progId": 777}}]
    assert saved["subjectMakeup"] == {"skinType": "", "progId": 1, "sent": {"progId": 555}}
    http.post("/__admin/clock", json={"advance_seconds": 60})
    update = customer("C1", action="U", created_at="2000-05-05")
    update["subjects"]["progId"] = 1
    assert insert(http, update)["code"] == 200
    saved = stored(http)["1"]
    assert datetime.fromisoformat(saved["created_at"]) == created  # the kit's, kept
    assert datetime.fromisoformat(saved["updated_at"]) >= created + timedelta(seconds=60)
    assert saved["sent"] == CLASHING | {"created_at": "2000-05-05"}  # the earlier ones kept
    state = http.get("/__admin/state/keepit").json()
    assert http.put("/__admin/state/keepit", json=state).json() == state


def test_a_record_naming_none_of_the_kit_s_fields_has_no_sent(http: httpx.Client) -> None:
    insert(http, customer("C1", contacts=email("a@x.it"), subjectMakeup={"skinType": "A"}))
    saved = stored(http)["1"]
    assert "sent" not in saved and "sent" not in saved["contacts"][0]
    assert "sent" not in saved["subjectMakeup"]


def test_an_element_s_own_progid_is_kept_apart_and_never_matches_it(http: httpx.Client) -> None:
    """KeepIT matches an update's elements by what they hold (privacy by privacyType), not by
    a progId they send: one naming another element's progId still replaces its own match."""
    privacy = [{"privacyType": "MKT", "flag": "N"}, {"privacyType": "PRF", "flag": "N"}]
    insert(http, customer("C1", privacy=privacy))
    update = customer("C1", action="U", privacy=[{"privacyType": "MKT", "flag": "S", "progId": 2}])
    update["subjects"]["progId"] = 1
    assert insert(http, update)["insertedObjects"][0]["privacy"] == [{"progId": 1}]
    assert stored(http)["1"]["privacy"] == [
        {"privacyType": "MKT", "flag": "S", "progId": 1, "sent": {"progId": 2}},
        {"privacyType": "PRF", "flag": "N", "progId": 2},
    ]


# -- update ---------------------------------------------------------------------------------
def test_update_merges_subject_fields_and_keeps_the_progid(http: httpx.Client) -> None:
    insert(http, customer("C1", contacts=email("a@x.it")))
    record = customer("C1", action="U")
    record["subjects"] |= {"progId": 1, "city": "Udine"}
    body = insert(http, record)
    assert body["code"] == 200 and body["insertedObjects"][0]["progId"] == 1
    assert body["insertedObjects"][0]["email"] == "a@x.it"
    assert stored(http)["1"]["subjects"]["city"] == "Udine"


def test_update_accepts_progid_as_a_string(http: httpx.Client) -> None:
    insert(http, customer("C1"))
    record = customer("C1", action="U")
    record["subjects"]["progId"] = "1"
    assert insert(http, record)["insertedObjects"][0]["progId"] == 1


@pytest.mark.parametrize("prog_id", [None, ""])
def test_update_without_progid_is_not_valorised(http: httpx.Client, prog_id: Any) -> None:
    record = customer("C1", action="U")
    if prog_id is not None:
        record["subjects"]["progId"] = prog_id
    assert only_error(insert(http, record)) == "Errore: progId non valorizzato."


def test_update_of_an_unknown_progid_is_record_not_found(http: httpx.Client) -> None:
    record = customer("C1", action="U")
    record["subjects"]["progId"] = 999
    body = insert(http, record)
    assert body["errorObjects"] == [
        {"customerCode": "C1", "errorMessage": "Nessun record trovato per:progId=999"}
    ]


def test_update_to_another_customers_code_is_a_duplicate(http: httpx.Client) -> None:
    insert(http, customer("C1"), customer("C2"))
    record = customer("C2", action="U")
    record["subjects"]["progId"] = 1
    assert insert(http, record)["code"] == 204


def test_update_sections_match_existing_elements(http: httpx.Client) -> None:
    destination = {"destinationType": "RES", "destinationCode": "D1", "city": "Pordenone"}
    insert(http, customer("C1", contacts=email("a@x.it"), subjectDestinations=[destination]))
    record = customer(
        "C1",
        action="U",
        contacts=email("a@x.it") + email("b@x.it"),
        subjectDestinations=[destination | {"city": "Udine"}, {"destinationType": "DOM"}],
        subjectMakeup={"skinType": "A"},
    )
    record["subjects"]["progId"] = 1
    (inserted,) = insert(http, record)["insertedObjects"]
    assert inserted["contacts"] == [{"progId": 1}, {"progId": 2}]
    assert inserted["destinations"] == [{"progId": 1}, {"progId": 2}]
    saved = stored(http)["1"]
    assert [d.get("city") for d in saved["subjectDestinations"]] == ["Udine", None]
    assert [c["value"] for c in saved["contacts"]] == ["a@x.it", "b@x.it"]
    assert saved["subjectMakeup"] == {"skinType": "A", "progId": 1}


# -- mappings rules ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "external"), [("12345", 12345), (12345, "12345")], ids=["text-code", "numeric-code"]
)
def test_customer_code_matches_an_external_code_as_a_string(
    http: httpx.Client, code: Any, external: Any
) -> None:
    assert insert(http, customer(code, mappings=[mapping(external)]))["code"] == 200


def test_a_numeric_external_code_is_bounded_to_64_bits(http: httpx.Client) -> None:
    """Beyond 64 bits 18446744073709551617 was read as 18446744073709551616, and so matched
    the customerCode "18446744073709551616" (and not its own): out of range. Within, a code
    matches exactly."""
    beyond = customer("18446744073709551617", mappings=[mapping(2**64 + 1)])
    message = only_error(insert(http, beyond))
    assert message == "Errore: mappings[0].externalCode fuori dai limiti ammessi."
    within = customer(str(2**63 - 1), mappings=[mapping(2**63 - 1)])
    assert insert(http, within)["code"] == 200
    off_by_one = customer(str(2**63 - 2), mappings=[mapping(2**63 - 1, "CUSTOMER_NO")])
    assert only_error(insert(http, off_by_one)) == NOT_IN_MAPPINGS


def test_customer_code_must_be_among_the_mappings(http: httpx.Client) -> None:
    body = insert(http, customer("C1", mappings=[mapping("C2")]))
    assert only_error(body) == NOT_IN_MAPPINGS


def test_mapping_system_defaults_to_the_subjects_system(http: httpx.Client) -> None:
    insert(http, customer("C1", mappings=[{"externalField": "ID", "externalCode": "C1"}]))
    assert stored(http)["1"]["mappings"][0]["system"] == "DW"


def test_insert_with_a_code_of_another_customer_is_refused(http: httpx.Client) -> None:
    insert(http, customer("C1", mappings=[mapping("C1"), mapping("SHARED", "CUSTOMER_NO")]))
    record = customer("C2", mappings=[mapping("C2"), mapping("SHARED", "CUSTOMER_NO")])
    message = only_error(insert(http, record))
    assert message == "Il codice SHARED (DW/CUSTOMER_NO) è già associato a un altro cliente."
    assert list(stored(http)) == ["1"]


def test_same_code_under_another_external_field_is_another_code(http: httpx.Client) -> None:
    insert(http, customer("C1", mappings=[mapping("C1"), mapping("X", "CUSTOMER_NO")]))
    record = customer("C2", mappings=[mapping("C2"), mapping("X", "LOYALTY_NO")])
    assert insert(http, record)["code"] == 200


def test_update_adds_new_codes_and_discards_existing_ones(http: httpx.Client) -> None:
    insert(http, customer("C1", mappings=[mapping("C1")]))
    insert(http, customer("C2", mappings=[mapping("C2"), mapping("TAKEN", "CUSTOMER_NO")]))
    record = customer(
        "C1",
        action="U",
        mappings=[mapping("C1"), mapping("NEW", "CUSTOMER_NO"), mapping("TAKEN", "CUSTOMER_NO")],
    )
    record["subjects"]["progId"] = 1
    (inserted,) = insert(http, record)["insertedObjects"]
    # One progId for each mapping received, in its order: the discarded TAKEN is reported as
    # the record that holds that code (C2's, progId 3), where leaving it out shifted the rest.
    assert inserted["mapping"] == [{"progId": 1}, {"progId": 4}, {"progId": 3}]
    codes = [m["externalCode"] for m in stored(http)["1"]["mappings"]]
    assert codes == ["C1", "NEW"]


# -- unique constraints: 422 ----------------------------------------------------------------
def test_card_barcode_of_another_customer_is_422_and_nothing_is_stored(
    http: httpx.Client,
) -> None:
    insert(http, customer("C1", cards=[card("111")]))
    body = insert(http, customer("C2"), customer("C3", cards=[card("111")]))
    assert body["code"] == 422 and body["success"] is False
    assert body["errorObjects"] == [
        {
            "customerCode": "C3",
            "errorMessage": (
                "Unique constraint error: la carta 111 è già associata a un altro cliente."
            ),
        }
    ]
    assert list(stored(http)) == ["1"]
    assert insert(http, customer("C2"))["insertedObjects"][0]["progId"] == 2


def test_one_barcode_for_two_customers_of_one_call_is_422(http: httpx.Client) -> None:
    body = insert(http, customer("C1", cards=[card("111")]), customer("C2", cards=[card("111")]))
    assert body["code"] == 422 and body["errorObjects"][0]["customerCode"] == "C2"
    assert stored(http) == {}


def test_a_customer_keeps_its_own_card_on_update(http: httpx.Client) -> None:
    insert(http, customer("C1", cards=[card("111")]))
    record = customer("C1", action="U", cards=[card("111") | {"active": "F"}])
    record["subjects"]["progId"] = 1
    assert insert(http, record)["insertedObjects"][0]["cards"] == [{"progId": 1}]
    assert stored(http)["1"]["cards"][0]["active"] == "F"


def test_two_updates_of_one_customer_in_one_call_apply_in_order(http: httpx.Client) -> None:
    """Regression (found by the KeepIT state machine): the second update was written into the
    customer as it was before the call, losing the first update's card while its barcode stayed
    taken (a later customer with that card got 422)."""
    insert(http, customer("C1"))
    first = customer("C1", action="U", cards=[card("111")], mappings=[mapping("C1")])
    second = customer("C1", action="U", mappings=[mapping("C1")])
    second["subjects"]["subjectName"] = "Anna"
    for record in (first, second):
        record["subjects"]["progId"] = 1
    body = insert(http, first, second)
    assert [o.get("mapping") for o in body["insertedObjects"]] == [[{"progId": 1}]] * 2
    saved = stored(http)["1"]
    assert saved["cards"][0]["cardBarcode"] == "111"
    assert saved["subjects"]["subjectName"] == "Anna"
    assert len(saved["mappings"]) == 1
    other = insert(http, customer("C2", cards=[card("111")]))
    assert other["code"] == 422, "the barcode is held by C1"


def test_a_code_an_update_gives_up_is_free_for_the_records_after_it(http: httpx.Client) -> None:
    """One call renames customer 1 from F2 to F3, then inserts a new F2: after the first
    record nobody holds F2, so the insert goes through, as it does over two calls."""
    insert(http, customer("F2"))
    rename = customer("F3", action="U")
    rename["subjects"]["progId"] = 1
    body = insert(http, rename, customer("F2"))
    assert (body["code"], body["duplicatedObjects"]) == (200, [])
    assert sorted(c["subjects"]["customerCode"] for c in stored(http).values()) == ["F2", "F3"]
    taken = customer("F3")  # the code the update took is held from then on
    assert insert(http, taken)["code"] == 204


# -- the call as a whole --------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"cmd": "insertClient_v2", "appId": "KEEPIT"},
        {"cmd": ""},
        {},
    ],
)
def test_unknown_or_missing_cmd_is_no_alias_found(
    http: httpx.Client, params: dict[str, str]
) -> None:
    response = post(http, {"subjectsRecords": [customer("C1")]}, params=params)
    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "message": f"No alias found for '{params.get('cmd', '')}'",
    }
    assert contract("keepit/notFound.response").check(response.json()) == []


@pytest.mark.parametrize("missing", ["username", "password", "companyId", "siteId"])
def test_each_credential_header_is_required(http: httpx.Client, missing: str) -> None:
    headers = {k: v for k, v in DEMO.items() if k != missing}
    response = post(http, {"subjectsRecords": [customer("C1")]}, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"success": False, "code": 401, "message": "Credenziali non valide."}
    assert contract("keepit/error.response").check(response.json()) == []


@pytest.mark.parametrize(
    "change", [{"password": "nope"}, {"username": "ghost"}, {"companyId": "2"}, {"siteId": "9"}]
)
def test_wrong_credentials_are_401(http: httpx.Client, change: dict[str, str]) -> None:
    response = post(http, {"subjectsRecords": [customer("C1")]}, headers=DEMO | change)
    assert response.status_code == 401 and response.json()["code"] == 401


TWO_SITES = {
    "keepit": {
        "accounts": [
            {"username": "shop", "password": "pw", "company_id": "7", "site_id": "1"},
            {"username": "shop", "password": "pw", "company_id": "7", "site_id": "2"},
        ],
        "rate_limit_calls": 3,
        "rate_limit_window_seconds": 10,
        "success_message": "1 record inseriti/aggiornati",
    }
}


@pytest.fixture
def configured() -> httpx.Client:
    app = create_app(TWO_SITES)
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers") as client:
        yield client


def test_tenants_are_kept_apart_per_company_and_site(configured: httpx.Client) -> None:
    site1 = {"username": "shop", "password": "pw", "companyId": "7", "siteId": "1"}
    site2 = site1 | {"siteId": "2"}
    first = insert(configured, customer("C1"), headers=site1)
    assert first["message"] == "1 record inseriti/aggiornati"
    assert insert(configured, customer("C1"), headers=site2)["code"] == 200
    assert insert(configured, customer("C1"), headers=DEMO)["code"] == 200
    tenants = configured.get("/__admin/state/keepit").json()["tenants"]
    assert sorted(tenants) == ["1/1", "7/1", "7/2"]
    assert all(list(t["subjects"]) == ["1"] for t in tenants.values())


def test_a_success_message_may_count_the_records_inserted_or_updated() -> None:
    """The document's other message, ``1 record inseriti/aggiornati``, is a recap of the call:
    written as configured it said 1 whatever the count; ``{count}`` says it."""
    app = create_app({"keepit": {"success_message": "{count} record inseriti/aggiornati"}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://m") as http:
        three = insert(http, customer("C1"), customer("C2"), customer("C3"))
        assert three["message"] == "3 record inseriti/aggiornati"
        update = customer("C2", action="U")
        update["subjects"]["progId"] = three["insertedObjects"][1]["progId"]
        assert insert(http, update)["message"] == "1 record inseriti/aggiornati"
        partial = insert(http, customer("C4"), customer("C4"))  # the second a duplicate
        assert partial["code"] == 206 and partial["message"].startswith("Attenzione:")


def test_demo_account_can_be_switched_off() -> None:
    app = create_app({"keepit": {"demo_account": False}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://m") as client:
        assert post(client, {"subjectsRecords": [customer("C1")]}).status_code == 401


# -- the call limit -------------------------------------------------------------------------
def test_the_101st_call_in_60_seconds_is_429_until_the_window_moves(http: httpx.Client) -> None:
    for _ in range(100):
        assert post(http, {}).status_code == 400  # refused calls count too
    response = post(http, {"subjectsRecords": [customer("C1")]})
    assert response.status_code == 429
    body = response.json()
    assert body["success"] is False and body["code"] == 429 and "100" in body["message"]
    assert contract("keepit/error.response").check(body) == []
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    http.post("/__admin/clock", json={"advance_seconds": 60})
    assert insert(http, customer("C1"))["code"] == 200


def test_the_limit_is_per_credentials_and_reset_clears_it(configured: httpx.Client) -> None:
    site1 = {"username": "shop", "password": "pw", "companyId": "7", "siteId": "1"}
    site2 = site1 | {"siteId": "2"}
    for _ in range(3):
        post(configured, {}, headers=site1)
    assert post(configured, {}, headers=site1).status_code == 429
    assert post(configured, {}, headers=site2).status_code == 400
    assert post(configured, {}, headers=DEMO | {"password": "x"}).status_code == 401
    configured.post("/__admin/reset", json={"vendor": "keepit"})
    assert post(configured, {}, headers=site1).status_code == 400


def test_the_window_slides_on_the_kits_clock(configured: httpx.Client) -> None:
    site1 = {"username": "shop", "password": "pw", "companyId": "7", "siteId": "1"}
    clock = "/__admin/clock"
    post(configured, {}, headers=site1)
    configured.post(clock, json={"advance_seconds": 5})
    post(configured, {}, headers=site1)
    post(configured, {}, headers=site1)
    assert post(configured, {}, headers=site1).status_code == 429
    configured.post(clock, json={"advance_seconds": 5})  # the first call leaves the window
    assert post(configured, {}, headers=site1).status_code == 400
    assert post(configured, {}, headers=site1).status_code == 429


# -- faults and bad input -------------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 503])
def test_status_fault_answers_in_the_vendors_body(http: httpx.Client, status: int) -> None:
    fault = {"vendor": "keepit", "operation": "insertClient_v3", "kind": "status"}
    http.post("/__admin/faults", json=fault | {"status": status, "times": 1})
    response = post(http, {"subjectsRecords": [customer("C1")]})
    assert response.status_code == status
    assert response.json()["success"] is False and response.json()["code"] == status
    assert contract("keepit/error.response").check(response.json()) == []
    assert insert(http, customer("C1"))["code"] == 200


@pytest.mark.parametrize("message", [None, "Accesso negato"])
def test_a_401_fault_is_the_refusal_of_credentials(message: str | None) -> None:
    """A connector tested against a 401 fault met "Unauthorized", where refused credentials
    say the (configurable) auth_error_message, and coverage did not count keepit.unauthorized,
    which a refusal meets."""
    config = {"keepit": {"auth_error_message": message}} if message else {}
    with httpx.Client(transport=SyncASGITransport(create_app(config)), base_url="http://m") as h:
        fault = {"vendor": "keepit", "kind": "status", "status": 401, "times": 1}
        h.post("/__admin/faults", json=fault)
        faulted = post(h, {"subjectsRecords": [customer("C1")]})
        refused = post(h, {"subjectsRecords": [customer("C1")]}, headers=DEMO | {"password": "x"})
        assert faulted.status_code == refused.status_code == 401
        assert faulted.json() == refused.json()
        assert faulted.json()["message"] == (message or "Credenziali non valide.")
        behaviours = [entry["behaviours"] for entry in GlobalScope(h).requests()]
        assert behaviours == [["keepit.unauthorized"]] * 2
        assert met_count(GlobalScope(h), "keepit", "keepit.unauthorized") == 2


@pytest.mark.parametrize(
    ("status", "refusal", "behaviour"),
    [
        (400, [customer("C1") | {"subjects": {}}], "keepit.refused"),
        (
            422,
            [customer("C1", cards=[card("111")]), customer("C2", cards=[card("111")])],
            "keepit.unique_constraint",
        ),
    ],
    ids=["fault-400", "fault-422"],
)
def test_a_400_or_422_fault_is_the_fakes_own_refusal(
    http: httpx.Client, status: int, refusal: list[dict[str, Any]], behaviour: str
) -> None:
    """A connector tested against a 400 or 422 fault met the reason phrase ("Bad Request",
    "Unprocessable Entity") where the fake's own refusal says the seed's text, and coverage
    did not count the situation the refusal meets."""
    fault = {"vendor": "keepit", "kind": "status", "status": status, "times": 1}
    http.post("/__admin/faults", json=fault)
    faulted = insert(http, customer("C1"))
    refused = insert(http, *refusal)
    assert faulted["code"] == refused["code"] == status
    assert faulted["message"] == refused["message"] and refused["errorObjects"]
    assert faulted["errorObjects"] == faulted["insertedObjects"] == []
    assert faulted["duplicatedObjects"] == []
    refused_entry, faulted_entry = GlobalScope(http).requests()  # newest first
    assert faulted_entry["behaviours"] == [behaviour] and behaviour in refused_entry["behaviours"]
    assert met_count(GlobalScope(http), "keepit", behaviour) == 2


@pytest.mark.parametrize(("window", "retry_after"), [(None, "60"), (10, "10"), (2.5, "3")])
def test_a_429_fault_is_the_call_limit_s_429(window: float | None, retry_after: str) -> None:
    """A connector tested against a 429 fault met a 429 the call limit never gives: no
    Retry-After at first, then "Too Many Requests" for the limit's message, and coverage did
    not count keepit.rate_limited, which the limit's 429 meets. Its Retry-After is the window,
    the longest the limit makes a caller wait."""
    limit = {"rate_limit_calls": 1} | ({"rate_limit_window_seconds": window} if window else {})
    with httpx.Client(
        transport=SyncASGITransport(create_app({"keepit": limit})), base_url="http://m"
    ) as h:
        fault = {"vendor": "keepit", "kind": "status", "status": 429, "times": 1}
        h.post("/__admin/faults", json=fault)
        faulted = post(h, {"subjectsRecords": [customer("C1")]})
        assert faulted.status_code == 429 and faulted.headers["Retry-After"] == retry_after
        assert "Retry-After" not in post(h, {"subjectsRecords": [customer("C1")]}).headers
        limited = post(h, {"subjectsRecords": [customer("C2")]})
        assert limited.status_code == 429 and faulted.json() == limited.json()
        assert faulted.json()["message"].startswith("Superato il limite di 1 chiamata in ")
        behaviours = [entry["behaviours"] for entry in GlobalScope(h).requests()]
        assert behaviours[0] == behaviours[2] == ["keepit.rate_limited"]
        assert met_count(GlobalScope(h), "keepit", "keepit.rate_limited") == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "Errore: il body non è un JSON valido."),
        (b"\xff\xfe", "Errore: il body non è un JSON valido."),
        (b"", "Errore: il body non è un JSON valido."),
        ([customer("C1")], "Errore: il body deve essere un oggetto JSON."),
        (b"null", "Errore: il body deve essere un oggetto JSON."),
        ("text", "Errore: il body deve essere un oggetto JSON."),
        ({}, "Errore: subjectsRecords non valorizzato."),
        ({"subjectsRecords": None}, "Errore: subjectsRecords non valorizzato."),
        ({"subjectsRecords": []}, "Errore: subjectsRecords non valorizzato."),
        ({"subjectsRecords": {"action": "I"}}, "Errore: subjectsRecords di tipo non valido."),
        ({"subjectsRecords": "x"}, "Errore: subjectsRecords di tipo non valido."),
    ],
)
def test_an_unusable_body_is_a_400_envelope(http: httpx.Client, body: Any, message: str) -> None:
    response = post(http, body)
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "code": 400,
        "message": message,
        "errorObjects": [],
        "insertedObjects": [],
        "duplicatedObjects": [],
    }


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (None, "Errore: subjectsRecords[0] di tipo non valido."),
        ("I", "Errore: subjectsRecords[0] di tipo non valido."),
        ({"action": "I", "subjects": None}, "Errore: subjects di tipo non valido."),
        ({"action": "I", "subjects": []}, "Errore: subjects di tipo non valido."),
    ],
)
def test_wrong_types_at_record_level_fail_that_record(
    http: httpx.Client, record: Any, message: str
) -> None:
    body = insert(http, record, customer("C1"))
    assert body["code"] == 206
    assert body["errorObjects"] == [{"customerCode": "", "errorMessage": message}]


@pytest.mark.parametrize("action", [1, None, ["I"]])
def test_an_action_of_the_wrong_type_fails_that_record(http: httpx.Client, action: Any) -> None:
    body = insert(http, customer("C9") | {"action": action})
    assert only_error(body) == "Errore: action di tipo non valido."
    assert body["errorObjects"][0]["customerCode"] == "C9"


def test_the_content_type_is_not_checked(http: httpx.Client) -> None:
    content = b'{"subjectsRecords": [{"action": "I", "subjects": {"customerCode": "C1"}}]}'
    headers = DEMO | {"Content-Type": "text/plain"}
    response = http.post(API, params=QUERY, headers=headers, content=content)
    assert response.status_code == 400
    assert response.json()["errorObjects"][0]["errorMessage"] == "Errore: system non valorizzato."


def test_the_first_missing_field_in_the_documents_order_is_reported(http: httpx.Client) -> None:
    body = insert(http, {"action": "I", "subjects": {}})
    assert only_error(body) == "Errore: customerCode non valorizzato."
    # Within a section's element too: actionType comes before actionStatus (not by name).
    body = insert(http, customer("C1", actions=[{"actionCode": "A"}]))
    assert only_error(body) == "Errore: actions[0].actionType non valorizzato."


def test_nulls_and_huge_strings_never_500(http: httpx.Client) -> None:
    record = customer("C1", contacts=[None], cards=[{"cardType": None}], mappings=None)
    record["subjects"] |= {"note": "x" * 1_000_000, "sex": None, "discount": None}
    body = insert(http, record)
    assert body["code"] == 400
    assert body["errorObjects"][0]["errorMessage"].startswith("Errore: ")


def test_body_over_the_size_limit_is_413_in_the_vendors_body() -> None:
    app = create_app({"kit": {"max_body_bytes": 1000}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://m") as client:
        response = post(client, {"subjectsRecords": [customer("x" * 2000)]})
    assert response.status_code == 413
    assert response.json()["code"] == 413 and response.json()["success"] is False


# -- admin: state, journal, OpenAPI ---------------------------------------------------------
def test_state_round_trips_and_indexes_are_rebuilt(http: httpx.Client) -> None:
    insert(http, customer("C1", contacts=email("a@x.it"), cards=[card("111")]))
    state = http.get("/__admin/state/keepit").json()
    http.post("/__admin/reset", json={"vendor": "keepit"})
    assert insert(http, customer("C1"))["code"] == 200  # empty again
    assert http.put("/__admin/state/keepit", json=state).json() == state
    assert insert(http, customer("C9", contacts=email("A@x.it")))["code"] == 204
    assert insert(http, customer("C8", cards=[card("111")]))["code"] == 422
    assert insert(http, customer("C7"))["insertedObjects"][0]["progId"] == 2


def test_malformed_customers_in_a_state_document_are_refused(http: httpx.Client) -> None:
    document = {"tenants": {"1/1": {"subjects": {"1": {"subjects": "nope"}}}}}
    response = http.put("/__admin/state/keepit", json=document)
    assert response.status_code == 400
    assert http.get("/__admin/state/keepit").json() == {"tenants": {}}


@pytest.mark.parametrize(
    ("part", "named"),
    [
        (
            {"contacts": [{"contactType": "PHONE", "value": "1", "progId": 1}, {"value": "2"}]},
            "contacts[1]",
        ),
        ({"privacy": [{"privacyType": "MKT", "progId": {"id": 1}}]}, "privacy[0]"),
        ({"cards": [{"cardBarcode": "111", "progId": True}]}, "cards[0]"),
        (
            {"subjectDestinations": [{"destinationCode": "D1", "progId": "1"}]},
            "subjectDestinations[0]",
        ),
        ({"actions": [{"progId": 0}]}, "actions[0]"),
        ({"mappings": [{"externalCode": "C1", "progId": 2**53 + 1}]}, "mappings[0]"),
        ({"subjectMakeup": {"skinType": "A"}}, "subjectMakeup"),
    ],
)
def test_a_state_document_s_element_without_a_usable_progid_is_refused(
    http: httpx.Client, part: dict[str, Any], named: str
) -> None:
    """Taken, an update matching the element answered its progId as stored ({"progId": null},
    an object, true), breaking the fake's own response contract."""
    fixture = {"progId": 1, "subjects": customer("C1")["subjects"] | {"progId": 1}, **part}
    document = {"tenants": {"1/1": {"subjects": {"1": fixture}}}}
    response = http.put("/__admin/state/keepit", json=document)
    assert response.status_code == 400
    assert f"customer '1': {named} must hold its progId" in response.json()["error"]
    assert http.get("/__admin/state/keepit").json() == {"tenants": {}}


@pytest.mark.parametrize(
    ("part", "named", "types"),
    [
        (
            {"contacts": [{"contactType": "EMAIL", "value": {"a": 1}, "progId": 1}]},
            "contacts[0].value",
            "a string (an EMAIL's)",
        ),
        ({"subjects": {"email": ["a@x.it"]}}, "subjects.email", "a string"),
        ({"subjects": {"customerCode": None}}, "subjects.customerCode", "a string or a whole"),
        ({"subjects": {"customerCode": 1.5}}, "subjects.customerCode", "a string or a whole"),
        ({"subjects": {"system": 7}}, "subjects.system", "a string"),
        ({"cards": [{"cardBarcode": 111, "progId": 1}]}, "cards[0].cardBarcode", "a string"),
        (
            {"mappings": [{"externalField": "ID", "externalCode": True, "progId": 1}]},
            "mappings[0].externalCode",
            "a string or a whole number",
        ),
        (
            {"mappings": [{"externalField": {}, "externalCode": "C1", "progId": 1}]},
            "mappings[0].externalField",
            "a string",
        ),
    ],
)
def test_a_state_document_s_keyed_value_of_a_wrong_type_is_refused(
    http: httpx.Client, part: dict[str, Any], named: str, types: str
) -> None:
    """Taken, the unique keys held the value's Python text and an update of the customer
    answered it as its e-mail ({"a": 1} as "{'a': 1}")."""
    stored = {"progId": 1, **part}
    stored["subjects"] = customer("C1")["subjects"] | {"progId": 1} | part.get("subjects", {})
    document = {"tenants": {"1/1": {"subjects": {"1": stored}}}}
    response = http.put("/__admin/state/keepit", json=document)
    assert response.status_code == 400
    assert f"customer '1': {named} must be {types}" in response.json()["error"]
    assert http.get("/__admin/state/keepit").json() == {"tenants": {}}


def test_a_state_document_s_numeric_codes_the_contract_allows_are_taken(
    http: httpx.Client,
) -> None:
    """customerCode and externalCode whole numbers, as a call may send them; an
    update of the customer finds it and answers its e-mail."""
    subjects = customer(7)["subjects"] | {"progId": 1}
    stored = {
        "progId": 1,
        "subjects": subjects,
        "mappings": [{"system": "DW", "externalField": "ID", "externalCode": 7, "progId": 1}],
        "contacts": [{"contactType": "EMAIL", "value": "a@x.it", "progId": 1}],
    }
    document = {"tenants": {"1/1": {"subjects": {"1": stored}}}}
    assert http.put("/__admin/state/keepit", json=document).status_code == 200
    update = customer(7, action="U")
    update["subjects"]["progId"] = 1
    (answered,) = insert(http, update)["insertedObjects"]
    assert answered["progId"] == 1 and answered["email"] == "a@x.it"


def test_journal_names_the_operation_and_masks_the_password(http: httpx.Client) -> None:
    insert(http, customer("C1"))
    post(http, {}, params={"cmd": "nope"})
    entries = http.get("/__admin/requests", params={"vendor": "keepit"}).json()
    assert [e["operation"] for e in entries] == ["unknown", "insertClient_v3"]
    assert entries[1]["headers"]["password"] == "***"


def test_openapi_is_served_on_the_real_path_with_the_credentials_as_security(
    http: httpx.Client,
) -> None:
    document = http.get("/keepit/openapi.json").json()
    operation = document["paths"]["/api"]["post"]
    assert operation["operationId"] == "insertClient_v3"
    query = {p["name"]: p["schema"]["const"] for p in operation["parameters"] if p["in"] == "query"}
    assert query == QUERY
    assert not [p for p in operation["parameters"] if p["in"] == "header"]
    (requirement,) = document["security"]
    schemes = document["components"]["securitySchemes"]
    assert sorted(schemes[name]["name"] for name in requirement) == sorted(
        ["username", "password", "companyId", "siteId"]
    )
    assert "404" in operation["responses"]


def test_an_update_s_email_in_other_case_is_the_stored_contact_not_a_second(
    http: httpx.Client,
) -> None:
    """The duplicate check reads e-mails in lower case; the update's merge did not, and stored
    b@x.it and B@X.IT as two EMAIL contacts of one customer."""
    (first,) = insert(http, customer("B", contacts=email("b@x.it")))["insertedObjects"]
    update = customer("B", action="U", contacts=email("B@X.IT"))
    update["subjects"]["progId"] = first["progId"]
    (again,) = insert(http, update)["insertedObjects"]
    assert again["contacts"] == first["contacts"]
    assert len(stored(http)[str(first["progId"])]["contacts"]) == 1


def test_a_mapping_with_an_empty_system_takes_the_subject_s(http: httpx.Client) -> None:
    """'' is not valorised: it was stored as a system of its own, so the same code could be
    claimed twice (once as DW, once as '')."""
    insert(http, customer("C", mappings=[mapping("C", system="")]))
    (kept,) = stored(http)["1"]["mappings"]
    assert kept["system"] == customer("C")["subjects"]["system"]
    other = customer("D", mappings=[mapping("D"), mapping("C", system="")])
    assert "già associato a un altro cliente" in only_error(insert(http, other))


@pytest.mark.parametrize("sequence", ["subjects", "contacts", "makeup"])
def test_a_batch_whose_progids_would_pass_2_53_half_way_writes_nothing(
    http: httpx.Client, sequence: str
) -> None:
    """The batch's customers take their progIds one by one as they are written: past 2^53 at
    the second (only a state document sets a sequence near it), the first stayed written, in
    Redis too. The batch is refused before any is written: the 500, the state as it was; one
    of them still fits."""
    document = {"tenants": {"1/1": {"sequences": {sequence: 2**53 - 1}}}}
    assert http.put("/__admin/state/keepit", json=document).status_code == 200
    before = http.get("/__admin/state/keepit").json()
    makeup = {"subjectMakeup": {"makeupProgram": "M"}}
    batch = [customer(f"C{n}", contacts=email(f"c{n}@x.it"), **makeup) for n in (1, 2)]
    refused = post(http, {"subjectsRecords": batch})
    assert (refused.status_code, refused.json()["code"]) == (500, 500)
    assert http.get("/__admin/state/keepit").json() == before
    assert insert(http, batch[0])["code"] == 200
    sequences = http.get("/__admin/state/keepit").json()["tenants"]["1/1"]["sequences"]
    assert sequences[sequence] == 2**53
