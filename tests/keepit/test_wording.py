"""4WS.KeepIT: every error path answers in the document's words, and the kit's diagnosis travels
in X-Mockservers-Detail and the journal.

The document gives the call-level messages (``Errore: non è stato eseguito l'inserimento/update,
…``, ``Attenzione: esistono uno o più doppioni, …``, ``No alias found for '…'``) and the record
messages (``The customer already exists.``, ``Il customer code non è specificato nell'array
mappings.``, ``Nessun record trovato per:…``, ``Errore: xxx non valorizzato.``); a record refused
by the contract gets the last one's style for each kind of problem (``responses._PHRASES``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from mockservers import create_app
from mockservers.testing import SyncASGITransport
from tests.wording import DETAIL, assert_detail, assert_vendor_words

API = "/keepit/api"
QUERY = {"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"}
DEMO = {"username": "demo", "password": "demo", "companyId": "1", "siteId": "1"}
NOT_DONE = (
    "Errore: non è stato eseguito l'inserimento/update, "
    "verificare il messaggio di errore dei record ritornati."
)
DUPLICATES_ONLY = "Attenzione: esistono uno o più doppioni, inserimento/update non eseguito."
PARTIAL = (
    "Attenzione: inserimento/update eseguito solo in parte, "
    "verificare il messaggio di errore dei record ritornati."
)
UNIQUE_CLASH = "Errore: violazione di un vincolo di unicità, inserimento/update non eseguito."
DUPLICATE = "The customer already exists."
NOT_IN_MAPPINGS = "Il customer code non è specificato nell'array mappings."
NO_AUTH = {"success": False, "code": 401, "message": "Credenziali non valide."}
NO_BODY = object()
DROP = object()


def subjects(code: Any = "C1", **changes: Any) -> dict[str, Any]:
    """The mandatory subject fields, with changes (``DROP`` leaves a field out)."""
    fields = {
        "customerCode": code,
        "system": "DW",
        "subjectType": "FIDELITY",
        "subjectSubtype": "4",
        "isCompany": "F",
        "countryRegistration": "IT",
    } | changes
    return {k: v for k, v in fields.items() if v is not DROP}


def record(
    code: str = "C1", action: str = "I", subject: dict[str, Any] | None = None, **sections: Any
) -> dict[str, Any]:
    return {"action": action, "subjects": subject or subjects(code), **sections}


Entries = Sequence[dict[str, Any]]


def envelope(
    success: bool,
    code: int,
    message: str,
    errors: Entries = (),
    inserted: Entries = (),
    duplicated: Entries = (),
) -> dict[str, Any]:
    return {
        "success": success,
        "code": code,
        "message": message,
        "errorObjects": list(errors),
        "insertedObjects": list(inserted),
        "duplicatedObjects": list(duplicated),
    }


def refused(message: str, code: Any = "C1") -> dict[str, Any]:
    """The document's 400: nothing done, one record's errorMessage."""
    return envelope(False, 400, NOT_DONE, [{"customerCode": code, "errorMessage": message}])


def body_refused(message: str) -> dict[str, Any]:
    """The body as a whole unusable: the 400 envelope with its own message, no records."""
    return envelope(False, 400, message)


@dataclass(frozen=True)
class Case:
    """One call and the whole answer it gets (after ``before`` was inserted)."""

    answer: dict[str, Any]
    detail: tuple[str, ...] = ()
    """What the detail header names; ``()``: the body's own text is the whole account."""
    body: Any = NO_BODY
    raw: bytes | None = None
    status: int = 400
    headers: dict[str, str] = field(default_factory=lambda: DEMO)
    query: dict[str, str] = field(default_factory=lambda: QUERY)
    before: list[dict[str, Any]] = field(default_factory=list)


def records(*items: Any) -> dict[str, Any]:
    return {"subjectsRecords": list(items)}


def contract_case(message: str, item: Any, detail: tuple[str, ...], code: Any = "C1") -> Case:
    """A record that breaks the contract: its errorMessage, and the diagnosis naming the field."""
    return Case(refused(message, code), ("subjectsRecords[0]", *detail), records(item))


CASES = [
    # -- the call as a whole ----------------------------------------------------------------
    pytest.param(
        Case(NO_AUTH, body=records(record()), status=401, headers={}), id="no-credentials-401"
    ),
    pytest.param(
        Case(NO_AUTH, body=records(record()), status=401, headers={**DEMO, "siteId": ""}),
        id="credential-header-empty-401",
    ),
    pytest.param(
        Case(NO_AUTH, body=records(record()), status=401, headers={**DEMO, "password": "x"}),
        id="wrong-password-401",
    ),
    pytest.param(
        Case(
            {"success": False, "message": "No alias found for 'getClient_v3'"},
            body=records(record()),
            status=404,
            query={"cmd": "getClient_v3"},
        ),
        id="unknown-alias-404",
    ),
    pytest.param(
        Case(
            {"success": False, "message": "No alias found for ''"},
            body=records(record()),
            status=404,
            query={},
        ),
        id="no-alias-404",
    ),
    pytest.param(
        Case(body_refused("Errore: il body non è un JSON valido."), ("not valid JSON",), raw=b"{x"),
        id="malformed-json-400",
    ),
    pytest.param(
        Case(
            body_refused("Errore: il body non è un JSON valido."),
            ("deeper than 64",),
            raw=b"[" * 100 + b"]" * 100,
        ),
        id="nested-too-deep-400",
    ),
    pytest.param(
        Case(body_refused("Errore: il body deve essere un oggetto JSON."), body=[record()]),
        id="body-an-array-400",
    ),
    pytest.param(
        Case(body_refused("Errore: subjectsRecords non valorizzato."), body={}),
        id="subjectsRecords-missing-400",
    ),
    pytest.param(
        Case(body_refused("Errore: subjectsRecords non valorizzato."), body=records()),
        id="subjectsRecords-empty-400",
    ),
    pytest.param(
        Case(
            body_refused("Errore: subjectsRecords non valorizzato."),
            body={"subjectsRecords": None},
        ),
        id="subjectsRecords-null-400",
    ),
    pytest.param(
        Case(
            body_refused("Errore: subjectsRecords di tipo non valido."),
            body={"subjectsRecords": record()},
        ),
        id="subjectsRecords-an-object-400",
    ),
    # -- a record refused by the contract: "Errore: <field> <what>." ------------------------
    pytest.param(
        contract_case("Errore: action non valorizzato.", {"subjects": subjects()}, ("action",)),
        id="action-missing",
    ),
    pytest.param(
        contract_case("Errore: action valore non ammesso.", record(action="X"), ("action",)),
        id="action-not-admitted",
    ),
    pytest.param(  # "" where a value is mandatory: missing (it was "valore non ammesso")
        contract_case("Errore: action non valorizzato.", record(action=""), ("action",)),
        id="action-empty",
    ),
    pytest.param(
        contract_case("Errore: subjects non valorizzato.", {"action": "I"}, ("subjects",), ""),
        id="subjects-missing",
    ),
    pytest.param(
        contract_case("Errore: subjectsRecords[0] di tipo non valido.", "C1", ("object",), ""),
        id="record-not-an-object",
    ),
    pytest.param(
        contract_case(
            "Errore: customerCode non valorizzato.",
            record(subject=subjects(customerCode=DROP)),
            ("subjects.customerCode",),
            "",
        ),
        id="customerCode-missing",
    ),
    pytest.param(
        contract_case(
            "Errore: customerCode non valorizzato.",
            record(subject=subjects("")),
            ("subjects.customerCode",),
            "",
        ),
        id="customerCode-empty",
    ),
    pytest.param(
        contract_case(
            "Errore: customerCode di tipo non valido.",
            record(subject=subjects(13245.5)),
            ("subjects.customerCode",),
            13245.5,
        ),
        id="customerCode-a-fraction",
    ),
    pytest.param(
        contract_case(
            "Errore: customerCode fuori dai limiti ammessi.",
            record(subject=subjects(2**64 + 1)),
            ("subjects.customerCode",),
            2**64 + 1,
        ),
        id="customerCode-beyond-64-bits",
    ),
    pytest.param(
        contract_case(
            "Errore: system di tipo non valido.",
            record(subject=subjects(system=None)),
            ("subjects.system",),
        ),
        id="system-null",
    ),
    pytest.param(
        contract_case(
            "Errore: province supera la lunghezza massima.",
            record(subject=subjects(province="PNPN")),
            ("subjects.province",),
        ),
        id="province-too-long",
    ),
    pytest.param(
        contract_case(
            "Errore: sex valore non ammesso.",
            record(subject=subjects(sex="X")),
            ("subjects.sex",),
        ),
        id="sex-not-admitted",
    ),
    pytest.param(
        contract_case(
            "Errore: isCompany valore non ammesso.",
            record(subject=subjects(isCompany="T")),
            ("subjects.isCompany", "['F']"),
        ),
        id="isCompany-T-not-admitted",
    ),
    pytest.param(
        contract_case(
            "Errore: discount fuori dai limiti ammessi.",
            record(subject=subjects(discount=10000)),
            ("subjects.discount",),
        ),
        id="discount-out-of-range",
    ),
    pytest.param(
        contract_case(
            "Errore: birthday non valido.",
            record(subject=subjects(birthday="24-03-2016")),
            ("subjects.birthday",),
        ),
        id="birthday-bad-date",
    ),
    pytest.param(
        contract_case(
            "Errore: ecommerceLastVisit non valido.",
            record(subject=subjects(ecommerceLastVisit="ieri")),
            ("subjects.ecommerceLastVisit",),
        ),
        id="timestamp-bad-format",
    ),
    *(
        pytest.param(
            contract_case(
                "Errore: ecommerceLastLogin non valido.",
                record(subject=subjects(ecommerceLastLogin=impossible)),
                ("subjects.ecommerceLastLogin",),
            ),
            id=f"timestamp-impossible-{impossible}",
        )  # the layout alone was checked: a MySQL zero date passed
        for impossible in ("2016-02-30T10:00:00", "0000-00-00 00:00:00", "2016-03-24 25:61:61")
    ),
    pytest.param(
        contract_case(
            "Errore: progId non valorizzato.",
            record(action="U"),
            ("subjects.progId",),
        ),
        id="update-without-progId",
    ),
    pytest.param(
        contract_case(
            "Errore: customerCode non valorizzato.",
            record(subject=subjects(customerCode=DROP, sex="X")),
            ("subjects.customerCode", "subjects.sex"),
            "",
        ),
        id="missing-reported-before-wrong",
    ),
    pytest.param(
        contract_case(
            "Errore: contacts di tipo non valido.",
            record(contacts={"contactType": "EMAIL", "value": "a@b.it"}),
            ("contacts",),
        ),
        id="section-not-an-array",
    ),
    pytest.param(
        # The subject's fields come before the sections, in the document as in the refusal:
        # a section that was not an array was named before them.
        contract_case(
            "Errore: sex valore non ammesso.",
            record(subject=subjects(sex="X"), contacts="x"),
            ("contacts", "subjects.sex"),
        ),
        id="subject-field-before-section",
    ),
    pytest.param(
        contract_case(
            "Errore: customerCode di tipo non valido.",
            record(subject=subjects(True), subjectMakeup=5),
            ("subjectMakeup", "subjects.customerCode"),
            "",
        ),
        id="customer-code-before-makeup",
    ),
    pytest.param(
        contract_case(
            "Errore: contacts[0].value non valorizzato.",
            record(contacts=[{"contactType": "EMAIL"}]),
            ("contacts[0].value",),
        ),
        id="email-contact-without-value",
    ),
    pytest.param(
        contract_case(
            "Errore: contacts[0].contactType non valorizzato.",
            record(contacts=[{"contactType": "", "value": "x"}]),
            ("contacts[0].contactType",),
        ),
        id="contact-type-empty",
    ),
    pytest.param(
        contract_case(
            "Errore: contacts[0].contactType valore non ammesso.",
            record(contacts=[{"contactType": "MAIL", "value": "a@b.it"}]),
            ("contacts[0].contactType",),
        ),
        id="contactType-not-admitted",
    ),
    pytest.param(
        contract_case(
            # All four fields a fidelity card needs are missing: the first in the document's
            # order is named (cardSubtype, circuit, card, cardBarcode), not the first by name.
            "Errore: cards[0].cardSubtype non valorizzato.",
            record(cards=[{"cardType": "FIDELITY"}]),
            ("cards[0].card", "cards[0].cardBarcode"),
        ),
        id="fidelity-card-incomplete",
    ),
    pytest.param(
        contract_case(
            "Errore: mappings[0].externalField non valorizzato.",
            record(mappings=[{"externalCode": "C1"}]),
            ("mappings[0].externalField",),
        ),
        id="mapping-without-externalField",
    ),
    pytest.param(
        contract_case(
            "Errore: subjectMakeup di tipo non valido.",
            record(subjectMakeup=[]),
            ("subjectMakeup",),
        ),
        id="makeup-not-an-object",
    ),
    # -- a record refused by a rule: the document's own messages ----------------------------
    pytest.param(
        Case(
            refused("Nessun record trovato per:progId=99"),
            body=records(record(action="U", subject=subjects(progId=99))),
        ),
        id="update-of-an-unknown-progId",
    ),
    pytest.param(
        Case(
            refused(NOT_IN_MAPPINGS),
            body=records(record(mappings=[{"externalField": "CUSTOMER_ID", "externalCode": 7}])),
        ),
        id="customerCode-not-in-mappings",
    ),
    pytest.param(
        Case(
            refused("Il codice M1 (DW/CUSTOMER_ID) è già associato a un altro cliente.", "M2"),
            body=records(
                record(
                    "M2",
                    mappings=[
                        {"externalField": "CUSTOMER_ID", "externalCode": "M1"},
                        {"externalField": "CUSTOMER_ID", "externalCode": "M2"},
                    ],
                )
            ),
            before=[
                record("M1", mappings=[{"externalField": "CUSTOMER_ID", "externalCode": "M1"}])
            ],
        ),
        id="mapping-code-held-by-another-customer",
    ),
    pytest.param(
        Case(
            envelope(
                True,
                204,
                DUPLICATES_ONLY,
                duplicated=[{"customerCode": "C1", "errorMessage": DUPLICATE}],
            ),
            body=records(record()),
            status=200,
            before=[record()],
        ),
        id="duplicate-customerCode-204",
    ),
    pytest.param(
        Case(
            envelope(
                True,
                204,
                DUPLICATES_ONLY,
                duplicated=[{"customerCode": "C2", "errorMessage": DUPLICATE}],
            ),
            body=records(record("C2", contacts=[{"contactType": "EMAIL", "value": "A@B.it"}])),
            status=200,
            before=[record(contacts=[{"contactType": "EMAIL", "value": "a@b.it"}])],
        ),
        id="duplicate-email-204",
    ),
    pytest.param(
        Case(
            envelope(
                True,
                206,
                PARTIAL,
                errors=[{"customerCode": "C3", "errorMessage": NOT_IN_MAPPINGS}],
                inserted=[{"progId": 1, "customerCode": "C2", "email": ""}],
            ),
            body=records(
                record("C2"),
                record("C3", mappings=[{"externalField": "CUSTOMER_ID", "externalCode": "C9"}]),
            ),
            status=200,
        ),
        id="partly-done-206",
    ),
    pytest.param(
        Case(
            envelope(
                False,
                422,
                UNIQUE_CLASH,
                errors=[
                    {
                        "customerCode": "K2",
                        "errorMessage": "Unique constraint error: "
                        "la carta 111 è già associata a un altro cliente.",
                    }
                ],
            ),
            body=records(record("K2", cards=[{"cardType": "GIFT", "cardBarcode": "111"}])),
            status=422,
            before=[record("K1", cards=[{"cardType": "GIFT", "cardBarcode": "111"}])],
        ),
        id="card-barcode-held-by-another-customer-422",
    ),
]


def post(http: httpx.Client, case: Case) -> httpx.Response:
    kwargs: dict[str, Any] = {"content": case.raw} if case.raw is not None else {"json": case.body}
    return http.post(API, params=case.query, headers=case.headers, **kwargs)


@pytest.mark.parametrize("case", CASES)
def test_error_paths_answer_in_the_documents_words(http: httpx.Client, case: Case) -> None:
    for earlier in case.before:
        done = http.post(API, params=QUERY, headers=DEMO, json=records(earlier)).json()
        assert done["code"] == 200, done
    response = post(http, case)
    assert response.status_code == case.status
    body = response.json()
    assert body == case.answer
    assert_vendor_words(body)
    if case.detail:
        assert_detail(http, response, *case.detail)


def test_is_company_t_is_refused_with_the_documented_style_exactly(http: httpx.Client) -> None:
    """'It must always be set with F in this case': T is a value not admitted."""
    response = http.post(
        API, params=QUERY, headers=DEMO, json=records(record(subject=subjects(isCompany="T")))
    )
    assert response.status_code == 400
    (error,) = response.json()["errorObjects"]
    assert error == {"customerCode": "C1", "errorMessage": "Errore: isCompany valore non ammesso."}
    assert_detail(http, response, "subjects.isCompany")


def test_the_detail_header_is_ascii_whatever_the_request_held(http: httpx.Client) -> None:
    """Non-ASCII values reach the diagnosis: the header escapes them, the journal keeps them."""
    item = record(subject=subjects(province="Città", sex="è"))
    response = http.post(API, params=QUERY, headers=DEMO, json=records(item))
    assert response.json()["errorObjects"] == [
        {"customerCode": "C1", "errorMessage": "Errore: province supera la lunghezza massima."}
    ]
    header = assert_detail(http, response, "subjects.province", "subjects.sex")
    assert "'Citt\\u00e0' is too long" in header and "'\\u00e8'" in header
    (entry,) = http.get("/__admin/requests", params={"limit": 1}).json()
    assert "'Città' is too long" in entry["detail"] and "'è'" in entry["detail"]


def test_a_detail_header_cut_at_its_limit_ends_on_a_whole_escape(http: httpx.Client) -> None:
    """A username of 5,000 "è" ran past the limit: the header ended in ``\\u``, half an
    escape, which no JSON reader takes back."""
    username = "è" * 5000
    headers = {**DEMO, "username": username.encode()}  # as UTF-8 on the wire
    response = http.post(API, params=QUERY, headers=headers, content=b"")
    header = response.headers[DETAIL]
    assert response.status_code != 200 and 1990 < len(header) <= 2000
    assert header.endswith("\\u00e8") and json.loads(f'"{header}"').endswith("è" * 300)


@pytest.mark.parametrize(
    ("calls", "window", "message", "detail"),
    [
        (1, 60, "Superato il limite di 1 chiamata in 60 secondi.", "1 call in the last 60 s"),
        (2, 1, "Superato il limite di 2 chiamate in 1 secondo.", "2 calls in the last 1 s"),
        (1, 2.5, "Superato il limite di 1 chiamata in 2,5 secondi.", "1 call in the last 2.5 s"),
        (
            1,
            1234567,
            "Superato il limite di 1 chiamata in 1234567 secondi.",
            "1 call in the last 1234567 s",
        ),
    ],
)
def test_the_call_limit_answers_429_with_retry_after(
    calls: int, window: float, message: str, detail: str
) -> None:
    """The window written as an Italian writes it: 1234567 was ``1.23457e+06``, 2.5 ``2.5``;
    a limit or a window of 1 in the singular (``1 chiamate``, ``1 secondi``)."""
    config = {
        "kit": {"clock": {"frozen": True}},
        "keepit": {"rate_limit_calls": calls, "rate_limit_window_seconds": window},
    }
    with httpx.Client(transport=SyncASGITransport(create_app(config)), base_url="http://t") as http:
        for code in range(calls):
            sent = records(record(f"C{code}"))
            assert http.post(API, params=QUERY, headers=DEMO, json=sent).status_code == 200
        response = http.post(API, params=QUERY, headers=DEMO, json=records(record("CX")))
        assert response.status_code == 429
        assert response.headers["Retry-After"] == str(math.ceil(window))
        assert response.json() == {"success": False, "code": 429, "message": message}
        assert_detail(http, response, f"{detail} of the kit's clock")


def test_a_body_over_the_limit_is_413_in_the_seeds_structure() -> None:
    with httpx.Client(
        transport=SyncASGITransport(create_app({"kit": {"max_body_bytes": 256}})),
        base_url="http://t",
    ) as http:
        response = http.post(API, params=QUERY, headers=DEMO, json=records(*[record()] * 5))
        assert response.status_code == 413
        assert response.json() == envelope(
            False, 413, "Errore: la richiesta supera la dimensione massima."
        )
        assert_detail(http, response, "larger than 256 bytes")


@pytest.mark.parametrize(
    ("status", "phrase"),
    [
        (400, NOT_DONE),
        (422, UNIQUE_CLASH),
        (500, "Internal Server Error"),
        (502, "Bad Gateway"),
    ],
    ids=["fault-400", "fault-422", "fault-500", "fault-502"],
)
def test_injected_status_faults_answer_in_the_seeds_structure(
    http: httpx.Client, status: int, phrase: str
) -> None:
    """The seed's Response lists "500 generic error server" as a code of its structure, with
    the three arrays: a connector that reads errorObjects on every answer met a 500 without
    them. A 400 or 422 fault says what the fake's own refusal does ("Bad Request" and
    "Unprocessable Entity" were no text of the vendor's); another status, its reason phrase."""
    fault = {"vendor": "keepit", "kind": "status", "status": status, "times": 1}
    fault_id = http.post("/__admin/faults", json=fault).json()["id"]
    response = http.post(API, params=QUERY, headers=DEMO, json=records(record()))
    assert response.status_code == status
    assert response.json() == envelope(False, status, phrase)
    assert_detail(http, response, "injected status fault", fault_id)


LIMITED = "Superato il limite di 100 chiamate in 60 secondi."


@pytest.mark.parametrize(("status", "phrase"), [(401, NO_AUTH["message"]), (429, LIMITED)])
def test_a_401_or_429_fault_keeps_the_short_body_vendors_md_fixes(
    http: httpx.Client, status: int, phrase: str
) -> None:
    """A 401 fault says what refused credentials do, a 429 fault what the call limit's 429
    does."""
    fault = {"vendor": "keepit", "kind": "status", "status": status, "times": 1}
    http.post("/__admin/faults", json=fault)
    response = http.post(API, params=QUERY, headers=DEMO, json=records(record()))
    assert response.json() == {"success": False, "code": status, "message": phrase}


@pytest.mark.parametrize(
    ("method", "path", "status", "phrase"),
    [("POST", "/keepit/api/v2", 404, "Not Found"), ("GET", API, 405, "Method Not Allowed")],
    ids=["unknown-path-404", "method-not-allowed-405"],
)
def test_routing_errors_under_the_prefix_name_method_and_path(
    http: httpx.Client, method: str, path: str, status: int, phrase: str
) -> None:
    response = http.request(method, path, params=QUERY, headers=DEMO)
    assert response.status_code == status
    assert response.json() == envelope(False, status, phrase)
    assert_detail(http, response, f"{method} {path}", journalled=False)


def test_the_detail_header_is_absent_from_a_successful_call(http: httpx.Client) -> None:
    response = http.post(API, params=QUERY, headers=DEMO, json=records(record()))
    assert response.json()["code"] == 200
    assert DETAIL not in response.headers
