"""XTRA/XOX: every error path answers with the documented code and its documented description,
and the kit's diagnosis travels in X-Mockservers-Detail and the journal.

The document describes each ``ER.*`` code ("richiesta non valida", "anagrafica non trovata",
"anagrafica già trovata", "documento esistente", "riga non importata", "eccezione non gestita",
"errore inserimento"). A message starts with its code's description, capitalised; where it has
more to say (``Item4.Message``, a whole-call 400) it goes on after ``": "`` in Italian, naming
the field (``errors.PHRASES``). ``ER.AUTH`` is the kit's own code, with its own Italian texts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from mockservers import create_app
from mockservers.testing import SyncASGITransport
from tests.wording import DETAIL, assert_detail, assert_vendor_words

LOGIN = "/xtra/api/sync/v1/login"
UPDATE = "/xtra/api/sync/v1/irs/update"
KEYS = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
TOKEN = {"AccessToken": "<login>"}  # replaced by the demo user's fresh token
NEW = {"FIDGroup": 2, "TypologyIds": [2], "Denomination": "Rossi S.r.l."}
CONTACT_FORM = {"EMail": "a@b.it", "Surname": "Rossi", "Name": "Mario", "WebReasonID": 13}
INVALID = "Richiesta non valida"
NO_BODY = object()


def call_error(status: int, code: str, message: str) -> dict[str, Any]:
    """The whole call refused: the envelope with statusCode = HTTP status."""
    return {"statusCode": status, "errorCode": code, "message": message, "result": None}


def invalid(reason: str) -> dict[str, Any]:
    return call_error(400, "ER.IR.INVAL", f"{INVALID}: {reason}")


def forbidden(message: str) -> dict[str, Any]:
    return call_error(403, "ER.AUTH", message)


def record_failed(
    code: str, message: str, item1: int = 0, item2: str | None = None
) -> dict[str, Any]:
    """HTTP 200, one record that failed with Item4 = {Code, Message}."""
    outcome = {
        "Item1": item1,
        "Item2": item2,
        "Item3": False,
        "Item4": {"Code": code, "Message": message},
        "Item5": {},
        "Item6": {},
    }
    result = {
        "totalCount": 1,
        "totalPages": 1,
        "page": 1,
        "count": 1,
        "records": [outcome],
        "record": None,
    }
    return {"statusCode": 200, "errorCode": None, "message": None, "result": result}


@dataclass(frozen=True)
class Case:
    """One call and the whole answer it gets (after ``before`` was applied)."""

    path: str
    answer: dict[str, Any]
    detail: tuple[str, ...] = ()
    """What the detail header names; ``()``: the body's own text is the whole account."""
    body: Any = NO_BODY
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=lambda: KEYS)
    query: dict[str, str] = field(default_factory=dict)
    before: list[dict[str, Any]] = field(default_factory=list)
    advance: float = 0


def login(answer: dict[str, Any], detail: tuple[str, ...] = (), **request: Any) -> Case:
    return Case(LOGIN, answer, detail, headers=request.pop("headers", {}), **request)


def update(answer: dict[str, Any], detail: tuple[str, ...] = (), **request: Any) -> Case:
    return Case(UPDATE, answer, detail, **request)


def one(record: dict[str, Any], answer: dict[str, Any], *names: str, **request: Any) -> Case:
    """irs/update with one record; its diagnosis (if any) names ``[0]`` and ``names``."""
    return update(answer, ("[0]", *names) if names else (), body=[record], **request)


DOCUMENT = {"FIDDocumentTypology": 1, "Number": "AB123"}
BOOLEAN = "(true o false)"
CASES = [
    # -- login ------------------------------------------------------------------------------
    pytest.param(
        login(forbidden("Credenziali non valide"), body={"Username": "demo", "Password": "x"}),
        id="login-wrong-password-403",
    ),
    pytest.param(
        login(
            forbidden("SyncPublicKey/SyncSecretKey mancanti o non validi"),
            body={"Username": "demo", "Password": "demo"},
            headers={"SyncPublicKey": "demo-public"},
        ),
        id="login-incomplete-key-pair-403",
    ),
    pytest.param(
        login(invalid("campo Password obbligatorio"), ("Password",), body={"Username": "demo"}),
        id="login-field-missing-400",
    ),
    pytest.param(
        login(
            invalid("campo Password obbligatorio"),
            ("Password", "non-empty"),
            body={"Username": "demo", "Password": ""},
        ),
        id="login-field-empty-400",
    ),
    pytest.param(
        login(
            invalid("campo Username di tipo non valido (atteso stringa)"),
            ("Username",),
            body={"Username": 1, "Password": "demo"},
        ),
        id="login-field-wrong-type-400",
    ),
    pytest.param(
        login(invalid("il corpo deve essere un oggetto JSON"), ("JSON object",), body=["demo"]),
        id="login-body-not-an-object-400",
    ),
    pytest.param(
        login(invalid("il corpo non è un JSON valido"), ("not valid JSON",), raw=b"{x"),
        id="login-malformed-json-400",
    ),
    pytest.param(
        login(
            invalid(f"campo debug non nel formato atteso {BOOLEAN}"),
            ("query", "debug"),
            body={"Username": "demo", "Password": "demo"},
            query={"debug": "yes"},
        ),
        id="login-debug-not-a-boolean-400",
    ),
    # -- irs/update: the whole call ---------------------------------------------------------
    pytest.param(
        update(forbidden("SyncPublicKey/SyncSecretKey mancanti o non validi"), headers={}),
        id="no-keys-403",
    ),
    pytest.param(
        update(
            forbidden("SyncPublicKey/SyncSecretKey mancanti o non validi"),
            headers={**KEYS, "SyncSecretKey": "nope"},
        ),
        id="wrong-secret-key-403",
    ),
    pytest.param(
        update(forbidden("AccessToken non valido o scaduto"), headers={"AccessToken": "nope"}),
        id="unknown-access-token-403",
    ),
    pytest.param(
        update(forbidden("AccessToken non valido o scaduto"), headers=TOKEN, advance=3600),
        id="expired-access-token-403",
    ),
    pytest.param(
        update(
            forbidden("Con AccessToken si può aggiornare solo l'anagrafica 1"),
            body=[NEW],
            headers=TOKEN,
        ),
        id="access-token-inserting-403",
    ),
    pytest.param(
        update(
            forbidden("Con AccessToken si può aggiornare solo l'utente 1"),
            body=[{"ID": 1, "Users": [{"ID": 7, "Password": "a", "ConfirmPassword": "a"}]}],
            headers=TOKEN,
        ),
        id="access-token-another-user-403",
    ),
    pytest.param(
        update(
            forbidden("Le chiamate contact form richiedono SyncPublicKey e SyncSecretKey"),
            ("a contact form needs the key pair", "not an AccessToken"),
            body=[CONTACT_FORM],
            headers=TOKEN,
            query={"contactForm": "true"},
        ),
        id="access-token-contact-form-403",
    ),
    pytest.param(
        update(invalid("il corpo non è un JSON valido"), ("not valid JSON",), raw=b"[{"),
        id="malformed-json-400",
    ),
    pytest.param(
        update(
            invalid("il corpo non è un JSON valido"),
            ("deeper than 64",),
            raw=b"[" * 100 + b"]" * 100,
        ),
        id="nested-too-deep-400",
    ),
    pytest.param(
        update(
            invalid("il corpo deve essere un array di oggetti JSON"),
            ("array of objects",),
            body=NEW,
        ),
        id="body-an-object-400",
    ),
    pytest.param(
        update(
            invalid("il corpo deve essere un array di oggetti JSON"),
            ("array of objects",),
            body=[NEW, 2],
        ),
        id="body-an-array-of-non-objects-400",
    ),
    pytest.param(
        update(
            invalid(f"campo contactForm non nel formato atteso {BOOLEAN}"),
            ("query", "contactForm"),
            body=[NEW],
            query={"contactForm": "si"},
        ),
        id="contactForm-not-a-boolean-400",
    ),
    # -- one record refused by its schema: ER.IR.INVAL naming the field ---------------------
    pytest.param(
        one(
            {"FIDGroup": 2},
            record_failed("ER.IR.INVAL", f"{INVALID}: campo TypologyIds obbligatorio"),
            "TypologyIds",
        ),
        id="record-field-missing",
    ),
    pytest.param(
        one(
            NEW | {"TypologyIds": []},
            record_failed("ER.IR.INVAL", f"{INVALID}: campo TypologyIds con troppo pochi elementi"),
            "TypologyIds",
        ),
        id="record-too-few-items",
    ),
    pytest.param(
        one(
            NEW | {"FIDGroup": "2"},
            record_failed(
                "ER.IR.INVAL", f"{INVALID}: campo FIDGroup di tipo non valido (atteso intero)"
            ),
            "FIDGroup",
        ),
        id="record-wrong-type-one-phrase-per-field",
    ),
    pytest.param(
        one(
            NEW | {"TypologyIds": None},
            record_failed(
                "ER.IR.INVAL", f"{INVALID}: campo TypologyIds di tipo non valido (atteso array)"
            ),
            "TypologyIds",
        ),
        id="record-required-null",
    ),
    pytest.param(
        one(
            NEW | {"FIDGroup": 3},
            record_failed(
                "ER.IR.INVAL",
                f"{INVALID}: campo FIDGroup con valore non ammesso (ammessi 1, 2, null)",
            ),
            "FIDGroup",
        ),
        id="record-value-not-admitted",
    ),
    pytest.param(
        one(
            {"ID": 2**31},
            # Item1 is an Int32 too: an ID .NET could not read echoes as an insert's 0.
            record_failed("ER.IR.INVAL", f"{INVALID}: campo ID fuori dai limiti ammessi"),
            "ID",
        ),
        id="record-id-beyond-int32",
    ),
    pytest.param(
        one(  # sent, the ID makes an update: a string is a malformed ID, not an insert
            {"ID": "5"},
            record_failed(
                "ER.IR.INVAL", f"{INVALID}: campo ID di tipo non valido (atteso intero o null)"
            ),
            "ID",
        ),
        id="record-id-a-string-is-no-insert",
    ),
    pytest.param(
        one(  # a malformed ID first (what else is wrong depends on it), then the missing ones
            {"ID": "5", "Address": 3, "Destinations": [{"Alias": "A"}]},
            record_failed(
                "ER.IR.INVAL",
                f"{INVALID}: campo ID di tipo non valido (atteso intero o null); campo"
                " Destinations[0].Denomination obbligatorio; campo Destinations[0].FIDGroup"
                " obbligatorio",
            ),
            "ID",
            "Destinations[0]",
        ),
        id="record-a-malformed-id-is-named-first",
    ),
    pytest.param(
        one(  # the same inside a sub-record: a destination with an ID is an update
            {"ID": 1, "Destinations": [{"ID": "3", "City": 5}]},
            record_failed(
                "ER.IR.INVAL",
                f"{INVALID}: campo Destinations[0].ID di tipo non valido (atteso intero o null);"
                " campo Destinations[0].City di tipo non valido (atteso stringa o null)",
                item1=1,
            ),
            "Destinations[0].ID",
        ),
        id="record-a-sub-records-malformed-id-is-named-first",
    ),
    pytest.param(
        one(  # three fields named at most: the missing ones first, never the ones cut off
            NEW | {"Address": 3, "City": 3, "Destinations": [{"Alias": "A"}]},
            record_failed(
                "ER.IR.INVAL",
                f"{INVALID}: campo Destinations[0].Denomination obbligatorio; campo"
                " Destinations[0].FIDGroup obbligatorio; campo Destinations[0].TypologyIds"
                " obbligatorio",
            ),
            "Destinations[0]",
        ),
        id="record-a-missing-field-is-named-before-wrong-types",
    ),
    pytest.param(
        one(
            {"ID": 1, "IdentityDocuments": [DOCUMENT | {"ReleaseDate": "2024-02-30"}]},
            record_failed(
                "ER.IR.INVAL",
                f"{INVALID}: campo IdentityDocuments[0].ReleaseDate non nel formato atteso "
                "(data AAAA-MM-GG)",
                item1=1,
            ),
            "IdentityDocuments[0].ReleaseDate",
        ),
        id="record-bad-date",
    ),
    pytest.param(
        one(
            {"ID": 1, "IdentityDocuments": [DOCUMENT | {"Files": [{"Extension": ".pdf"}]}]},
            record_failed(
                "ER.IR.INVAL",
                f"{INVALID}: campo IdentityDocuments[0].Files[0].FileBase64 obbligatorio; "
                "campo IdentityDocuments[0].Files[0].FileName obbligatorio",
                item1=1,
            ),
            "Files[0].FileName",
        ),
        id="record-nested-fields-missing",
    ),
    pytest.param(
        one(
            {"Surname": "Rossi"},
            record_failed(
                "ER.IR.INVAL",
                f"{INVALID}: campo EMail obbligatorio; campo Name obbligatorio; "
                "campo WebReasonID obbligatorio",
            ),
            "EMail",
            "WebReasonID",
            query={"contactForm": "true"},
        ),
        id="contact-form-required-columns-missing",
    ),
    pytest.param(
        one(
            CONTACT_FORM | {"Surname": ""},
            record_failed(
                "ER.IR.INVAL", f"{INVALID}: campo Surname obbligatorio", item2="a@b.it__Mario"
            ),
            "Surname",
            query={"contactForm": "true"},
        ),
        id="contact-form-column-empty",
    ),
    # -- one record refused by a rule: the code's description, then what -------------------
    pytest.param(
        one(
            {"ID": 1, "Users": [{"ID": 1, "Password": "a", "ConfirmPassword": "b"}]},
            record_failed(
                "ER.IR.INVAL",
                f"{INVALID}: Users[0].ConfirmPassword diversa da Password",
                item1=1,
            ),
        ),
        id="confirm-password-differs",
    ),
    pytest.param(
        one({"ID": 999}, record_failed("ER.IR.NOFOUND", "Anagrafica non trovata: ID 999", 999)),
        id="identity-not-found",
    ),
    pytest.param(
        one(
            {"ID": 1, "Users": [{"ID": 99, "Password": "a", "ConfirmPassword": "a"}]},
            record_failed(
                "ER.IR.NOFOUND",
                "Anagrafica non trovata: Users[0].ID 99 non è un utente dell'anagrafica",
                item1=1,
            ),
        ),
        id="user-not-on-the-identity",
    ),
    pytest.param(
        one(
            NEW | {"ExternalKey": "CRM-001"},
            record_failed(
                "ER.IR.EXISTS", "Anagrafica già trovata: ExternalKey CRM-001 (ID 2)", 0, "CRM-001"
            ),
            before=[NEW | {"ExternalKey": "CRM-001"}],
        ),
        id="external-key-already-used",
    ),
    pytest.param(
        one(
            NEW
            | {
                "Users": [
                    {"Username": "demo", "Email": "d@x.it", "Password": "a", "ConfirmPassword": "a"}
                ]
            },
            record_failed("ER.IR.INS", "Errore inserimento: Users[0].Username demo già esistente"),
        ),
        id="username-already-used",
    ),
    pytest.param(
        one(
            {"ID": 1, "IdentityDocuments": [DOCUMENT]},
            record_failed(
                "ER.DOC.EXISTS",
                "Documento esistente: IdentityDocuments[0] tipologia 1 numero AB123",
                item1=1,
            ),
            before=[{"ID": 1, "IdentityDocuments": [DOCUMENT]}],
        ),
        id="document-already-on-the-identity",
    ),
    pytest.param(
        one(
            {"ID": 1, "IdentityDocuments": [DOCUMENT | {"ID": 99}]},
            record_failed(
                "ER.DOC.RNOIMPORT",
                "Riga non importata: IdentityDocuments[0].ID 99 non è un documento dell'anagrafica",
                item1=1,
            ),
        ),
        id="document-id-not-on-the-identity",
    ),
]


def send(http: httpx.Client, case: Case) -> httpx.Response:
    for earlier in case.before:
        done = http.post(UPDATE, headers=KEYS, json=[earlier]).json()
        assert done["result"]["records"][0]["Item3"] is True, done
    headers = dict(case.headers)
    if headers == TOKEN:
        answer = http.post(LOGIN, json={"Username": "demo", "Password": "demo"}).json()
        headers["AccessToken"] = answer["result"]["Token"]
    if case.advance:
        http.post("/__admin/clock", json={"advance_seconds": case.advance})
    kwargs: dict[str, Any] = {}
    if case.raw is not None:
        kwargs["content"] = case.raw
    elif case.body is not NO_BODY:
        kwargs["json"] = case.body
    return http.post(case.path, headers=headers, params=case.query, **kwargs)


@pytest.mark.parametrize("case", CASES)
def test_error_paths_answer_with_the_documented_descriptions(
    http: httpx.Client, case: Case
) -> None:
    response = send(http, case)
    body = response.json()
    assert response.status_code == body["statusCode"]
    assert body == case.answer
    assert_vendor_words(body)
    if case.detail:
        assert_detail(http, response, *case.detail)


def test_the_document_error_fault_fails_documents_with_er_doc_unerr(http: httpx.Client) -> None:
    fault = {"vendor": "xtra", "operation": "updateIdentities", "kind": "document_error"}
    http.post("/__admin/faults", json=fault | {"times": 1})
    response = http.post(UPDATE, headers=KEYS, json=[{"ID": 1, "IdentityDocuments": [DOCUMENT]}])
    assert response.json() == record_failed(
        "ER.DOC.UNERR", "Eccezione non gestita nell'importazione dei documenti", item1=1
    )
    assert_vendor_words(response.json())


def test_the_record_error_fault_fails_a_record_with_er_ir_unerr(http: httpx.Client) -> None:
    fault = {"vendor": "xtra", "operation": "updateIdentities", "kind": "record_error"}
    http.post("/__admin/faults", json=fault | {"times": 1})
    response = http.post(UPDATE, headers=KEYS, json=[{"ID": 1, "City": "Valenza"}])
    assert response.json() == record_failed("ER.IR.UNERR", "Eccezione non gestita", item1=1)
    assert_vendor_words(response.json())


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (500, call_error(500, "ER.IR.UNERR", "Eccezione non gestita")),
        (502, call_error(502, "ER.IR.UNERR", "Eccezione non gestita")),
        (400, call_error(400, "ER.IR.INVAL", INVALID)),
        (404, call_error(404, "ER.IR.INVAL", INVALID)),
        (403, forbidden("Non autorizzato")),
        (401, forbidden("Non autorizzato")),
    ],
    ids=["fault-500", "fault-502", "fault-400", "fault-404", "fault-403", "fault-401-as-403"],
)
def test_injected_status_faults_carry_the_codes_description(
    http: httpx.Client, status: int, answer: dict[str, Any]
) -> None:
    fault = {"vendor": "xtra", "kind": "status", "status": status, "times": 1}
    fault_id = http.post("/__admin/faults", json=fault).json()["id"]
    response = http.post(UPDATE, headers=KEYS, json=[NEW])
    assert response.status_code == answer["statusCode"]
    assert response.json() == answer
    assert_detail(http, response, "injected status fault", fault_id)


def test_a_body_over_the_limit_is_413_er_ir_inval() -> None:
    with httpx.Client(
        transport=SyncASGITransport(create_app({"kit": {"max_body_bytes": 256}})),
        base_url="http://t",
    ) as http:
        response = http.post(UPDATE, headers=KEYS, json=[NEW] * 10)
        assert response.status_code == 413
        assert response.json() == call_error(
            413, "ER.IR.INVAL", f"{INVALID}: il corpo supera la dimensione massima"
        )
        assert_detail(http, response, "larger than 256 bytes")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("POST", "/xtra/api/sync/v1/irs/delete", 404), ("GET", UPDATE, 405)],
    ids=["unknown-path-404", "method-not-allowed-405"],
)
def test_routing_errors_under_the_prefix_say_richiesta_non_valida(
    http: httpx.Client, method: str, path: str, status: int
) -> None:
    response = http.request(method, path, headers=KEYS)
    assert response.status_code == status
    assert response.json() == call_error(status, "ER.IR.INVAL", INVALID)
    assert_detail(http, response, f"{method} {path}", journalled=False)


def test_a_whole_call_refusal_keeps_its_diagnosis_with_the_debug_block(http: httpx.Client) -> None:
    """The handler renders these itself (to add ``debug``): the diagnosis must not get lost."""
    response = http.post(LOGIN, params={"debug": "true"}, json={"Username": "demo"})
    body = response.json()
    assert body["message"] == f"{INVALID}: campo Password obbligatorio" and "debug" in body
    assert_detail(http, response, "Password")


def test_the_detail_header_is_absent_from_a_successful_call(http: httpx.Client) -> None:
    response = http.post(UPDATE, headers=KEYS, json=[NEW])
    assert response.json()["result"]["records"][0]["Item3"] is True
    assert DETAIL not in response.headers


def test_a_refused_call_does_not_use_the_document_error_fault_up(http: httpx.Client) -> None:
    fault = {"vendor": "xtra", "operation": "updateIdentities", "kind": "document_error"}
    http.post("/__admin/faults", json=fault | {"times": 1})
    batch = [{"ID": 1, "IdentityDocuments": [DOCUMENT]}]
    assert http.post(UPDATE, headers={}, json=batch).status_code == 403
    records = http.post(UPDATE, headers=KEYS, json=batch).json()["result"]["records"]
    assert records[0]["Item4"]["Code"] == "ER.DOC.UNERR"
