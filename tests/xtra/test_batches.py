"""XTRA: the records of one irs/update call that touch the same identities. Each sees what the
records before it wrote (an ID or an ExternalKey they gave, a contact, a user, a document), the
call stores what they did, and a record costs no more for a larger identity: a call of 400
records adding contacts to one identity deep-copied, parsed and packed it once per record
(27 s, every other caller of the kit waiting)."""

from __future__ import annotations

import asyncio
import json
import sys
from types import FrameType
from typing import Any

import httpx
import pytest

from mockservers import create_app
from mockservers.testing import AsyncASGITransport, SyncASGITransport
from tests.batches import Work, counted, in_order

UPDATE = "/xtra/api/sync/v1/irs/update"
KEYS = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
NEW = {"FIDGroup": 2, "TypologyIds": [2], "Denomination": "Rossi S.r.l."}
DOCUMENT = {
    "Number": "1",
    "ExpirationDate": "2035-01-01",
    "ReleaseDate": "2024-05-12",
    "FIDDocumentTypology": 1,
}
ANNA = {"Username": "anna", "Email": "a@x.it", "Password": "p1", "ConfirmPassword": "p1"}
FORM = {
    "EMail": "m@x.it",
    "Surname": "Neri",
    "Name": "Mia",
    "WebReasonID": 13,
    "Country": "IT",
    "CRMMessage": "ciao",
}


def ok(rid: int, key: str | None, item5: Any = None, item6: Any = None) -> dict[str, Any]:
    return {
        "Item1": rid,
        "Item2": key,
        "Item3": True,
        "Item4": None,
        "Item5": item5 or {},
        "Item6": item6 or {},
    }


def refused(rid: int, key: str | None, code: str, message: str) -> dict[str, Any]:
    error = {"Code": code, "Message": message}
    return ok(rid, key) | {"Item3": False, "Item4": error}


@pytest.mark.every_store
def test_a_calls_records_see_each_others_writes_and_the_call_stores_them(
    http: httpx.Client,
) -> None:
    """The answers and the identities as stored, key order and all, are those each record put
    at once gave (before a call read and wrote each identity once)."""
    batch = [
        NEW
        | {
            "ExternalKey": "A",
            "Contacts": [{"Value": "0131"}],
            "Destinations": [NEW | {"Alias": "M", "ExternalKey": "D"}],
        },
        # identity 2 as the record before inserted it: its contact 1 updated, one added
        {"ID": 2, "Name": "Anna", "Contacts": [{"ID": 1, "Value": "0132"}, {"Value": "a@b.it"}]},
        {"ID": 2, "Users": [ANNA | {"ConfirmPassword": "no"}]},  # refused: stores nothing
        {"ID": 2, "ExternalKey": "B", "Destinations": [{"ID": 1, "City": "Asti"}, {"ID": 9}]},
        NEW | {"ExternalKey": "A"},  # given up by identity 2 just before: an insert
        NEW | {"ExternalKey": "B"},
        {"ID": 1, "Users": [ANNA, {"ID": 1, "Password": "new", "ConfirmPassword": "new"}]}
        | {"IdentityDocuments": [DOCUMENT]},
        {"ID": 1, "IdentityDocuments": [DOCUMENT | {"ExpirationDate": "2036-01-01"}]},
        {"ID": 1, "Users": [ANNA | {"Email": "b@x.it"}]},
        {"ID": 2, "Contacts": [{"ID": 2, "Default": True}, {"ID": 1, "Value": "0133"}]}
        | {"k": "v", "Name": "Ada"},
        {"ID": 3, "TypologyIds": "x"},
        {"ID": 3, "IdentityDocuments": [{"ID": 1, "Number": "2"}]},
    ]
    answer = http.post(UPDATE, json=batch, headers=KEYS).json()["result"]["records"]
    assert answer == [
        ok(2, "A", {"D": 1}, {"0": 1}),
        ok(2, "A", {}, {"0": 1, "1": 2}),
        refused(
            2,
            None,
            "ER.IR.INVAL",
            "Richiesta non valida: Users[0].ConfirmPassword diversa da Password",
        ),
        ok(2, "B", {"0": 1, "1": None}),
        ok(3, "A"),
        refused(0, "B", "ER.IR.EXISTS", "Anagrafica già trovata: ExternalKey B (ID 2)"),
        ok(1, None),
        refused(
            1,
            None,
            "ER.DOC.EXISTS",
            "Documento esistente: IdentityDocuments[0] tipologia 1 numero 1",
        ),
        refused(1, None, "ER.IR.INS", "Errore inserimento: Users[0].Username anna già esistente"),
        ok(2, "B", {}, {"0": 2, "1": 1}),
        refused(
            3,
            None,
            "ER.IR.INVAL",
            "Richiesta non valida: campo TypologyIds di tipo non valido (atteso array)",
        ),
        refused(
            3,
            None,
            "ER.DOC.RNOIMPORT",
            "Riga non importata: IdentityDocuments[0].ID 1 non è un documento dell'anagrafica",
        ),
    ]
    forms = [FORM, FORM | {"City": "Asti"}, FORM | {"Name": "Leo"}, FORM | {"CRMMessage": "2"}]
    response = http.post(UPDATE, json=forms, headers=KEYS, params={"contactForm": "true"})
    mia, leo = "m@x.it_Neri_Mia", "m@x.it_Neri_Leo"
    assert response.json()["result"]["records"] == [
        ok(4, mia, {}, {"0": 3}),
        ok(4, mia, {}, {"0": 3}),  # the e-mail contact the record before added, reused
        ok(5, leo, {}, {"0": 4}),
        ok(4, mia, {}, {"0": 3}),
    ]
    tenant = http.get("/__admin/state/xtra").json()["tenants"]["demo"]
    assert tenant["sequences"] == {
        "activity": 4,
        "contact": 4,
        "destination": 1,
        "document": 1,
        "identity": 5,
        "user": 2,
    }
    activities = [(a["ID"], a["IRID"], a["CRMMessage"]) for a in tenant["activities"].values()]
    assert activities == [(1, 4, "ciao"), (2, 4, "ciao"), (3, 5, "ciao"), (4, 4, "2")]
    sub_records: dict[str, list[Any]] = {
        "Destinations": [],
        "Contacts": [],
        "IdentityDocuments": [],
        "Users": [],
    }
    e_mail = {"FIDContactTypology": 2, "Value": "m@x.it", "Default": True}
    assert in_order(tenant["identities"]) == in_order(
        {
            "1": {
                "ID": 1,
                "ExternalKey": None,
                "FIDGroup": 1,
                "TypologyIds": [2],
                "Denomination": "Demo S.r.l.",
                "Surname": "Demo",
                "Name": "Utente",
                "Destinations": [],
                "Contacts": [],
                "IdentityDocuments": [DOCUMENT | {"ID": 1}],
                "Users": [
                    {
                        "ID": 1,
                        "Username": "demo",
                        "Email": "demo@example.invalid",
                        "Password": "new",
                    },
                    {"Username": "anna", "Email": "a@x.it", "Password": "p1", "ID": 2},
                ],
            },
            "2": {
                "ID": 2,
                **sub_records,
                "Destinations": [NEW | {"Alias": "M", "ExternalKey": "D", "ID": 1, "City": "Asti"}],
                "Contacts": [
                    {"Value": "0133", "ID": 1},
                    {"Value": "a@b.it", "ID": 2, "Default": True},
                ],
                **NEW,
                "ExternalKey": "B",
                "Name": "Ada",
                "k": "v",
            },
            "3": {"ID": 3, **sub_records, **NEW, "ExternalKey": "A"},
            "4": {
                "ID": 4,
                **sub_records,
                "Contacts": [{"ID": 3, **e_mail}],
                **{k: FORM[k] for k in ("EMail", "Surname", "Name", "Country")},
                "ExternalKey": mia,
                "City": "Asti",
            },
            "5": {
                "ID": 5,
                **sub_records,
                "Contacts": [{"ID": 4, **e_mail}],
                **{k: FORM[k] for k in ("EMail", "Surname")},
                "Name": "Leo",
                "Country": "IT",
                "ExternalKey": leo,
            },
        }
    )
    login = {"Username": "anna", "Password": "p1"}
    assert http.post("/xtra/api/sync/v1/login", json=login).json()["result"]["IRID"] == 1


def _batch_on_an_identity(monkeypatch: pytest.MonkeyPatch, contacts: int) -> tuple[Work, int]:
    """The work of 20 records, each adding a contact to one identity that holds ``contacts``
    of them already and 500 columns; and the identity's size as stored."""
    app = create_app()
    held = [{"FIDContactTypology": 1, "Value": f"+39 0131 {n:06d}"} for n in range(contacts)]
    columns = {f"k{n}": "" for n in range(500)}
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers") as http:
        http.post(UPDATE, headers=KEYS, json=[NEW | columns | {"Contacts": held}])
        identity = http.get("/__admin/state/xtra").json()["tenants"]["demo"]["identities"]["2"]
    batch = [{"ID": 2, "Name": f"n{n}", "Contacts": [{"Value": f"{n}"}]} for n in range(20)]
    response, work = counted(monkeypatch, app, "POST", UPDATE, headers=KEYS, json=batch)
    records = response.json()["result"]["records"]
    assert [record["Item3"] for record in records] == [True] * len(batch)
    return work, len(json.dumps(identity, separators=(",", ":")).encode())


def test_a_record_costs_no_more_for_a_larger_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """A call reads the identity its records touch once and writes it once; no record copies
    the identity whole (the Python calls of the call stay those of an identity of 10 contacts,
    where a deep copy calls a few for each contact)."""
    small, _ = _batch_on_an_identity(monkeypatch, 10)
    large, size = _batch_on_an_identity(monkeypatch, 2000)
    assert large.parsed == size  # read once
    assert size < large.packed < 1.05 * size  # written once, 20 contacts more
    assert large.calls < 1.05 * small.calls


def _lines_of_a_batch(held: int) -> int:
    """The Python lines run (each turn of a loop, a comprehension's too) by a call of 20
    records, each adding a user, a document, a contact and a destination to one identity that
    holds ``held`` of each already, and updating one of its documents and one of its users."""
    stored = {
        "Users": [
            {"Username": f"u{n}", "Email": "e", "Password": "p", "ConfirmPassword": "p"}
            for n in range(held)
        ],
        "IdentityDocuments": [{"FIDDocumentTypology": 1, "Number": f"{n}"} for n in range(held)],
        "Contacts": [{"Value": f"{n}"} for n in range(held)],
        "Destinations": [NEW | {"Alias": f"{n}"} for n in range(held)],
    }
    batch = [
        {
            "ID": 2,
            "Users": [
                {"Username": f"v{n}", "Email": "e", "Password": "p", "ConfirmPassword": "p"},
                {"ID": 2, "Password": f"{n}", "ConfirmPassword": f"{n}"},
            ],
            "IdentityDocuments": [
                {"FIDDocumentTypology": 2, "Number": f"{n}"},
                {"ID": 1, "Number": f"x{n}"},
            ],
            "Contacts": [{"Value": f"c{n}"}],
            "Destinations": [NEW | {"Alias": f"d{n}"}],
        }
        for n in range(20)
    ]
    return _lines_of_a_call(stored, batch)


def _lines_of_a_call(
    stored: dict[str, Any], batch: list[dict[str, Any]], contact_form: bool = False
) -> int:
    """The Python lines run by an irs/update call of ``batch`` (each record succeeding), once
    identity 2 holds ``stored``."""
    app = create_app()
    params = {"contactForm": "true"} if contact_form else {}
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers") as http:
        http.post(UPDATE, headers=KEYS, json=[NEW | stored])
        lines = 0

        def local(frame: FrameType, event: str, arg: Any) -> Any:
            nonlocal lines
            lines += event == "line"
            return local

        def calls(frame: FrameType, event: str, arg: Any) -> Any:
            return local

        transport = AsyncASGITransport(app)

        async def call() -> httpx.Response:
            async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
                sys.settrace(calls)
                try:
                    return await client.post(UPDATE, headers=KEYS, json=batch, params=params)
                finally:
                    sys.settrace(None)

        response = asyncio.run(call())
    records = response.json()["result"]["records"]
    assert [record["Item3"] for record in records] == [True] * len(batch)
    return lines


def test_records_adding_to_one_identity_take_linear_time() -> None:
    """A record that adds to an identity, or updates one of its users or documents, looks at
    what it sends, not at every user, document and contact the identity holds: 4,000 records
    each adding one user to one identity took 10 s (the identity's user IDs, its usernames,
    its documents' pairs gathered again for each record), every other caller waiting. The
    lines a call runs for an identity of 2,000 of each are those of an identity of 10."""
    small = _lines_of_a_batch(10)
    large = _lines_of_a_batch(2000)
    # each list looked at once a call, a few lines an item (976,088 lines when each record
    # looked at each list again: 21,464 for 10 of each)
    assert large < small + 10 * 2000


def test_a_contact_form_record_reuses_the_first_e_mail_contact_as_the_records_before_left_it(
    http: httpx.Client,
) -> None:
    """The EMail a contact-form record sends is the first Email contact holding it when the
    record is written: one an earlier record of the call gave that value (or its own
    Contacts do), not one it took it from; a phone holding the value is no e-mail."""
    email = {"FIDContactTypology": 2}
    held = [email | {"Value": "a@x.it"}, {"FIDContactTypology": 1, "Value": "c@x.it"}]
    http.post(UPDATE, json=[NEW | {"Contacts": held + held}], headers=KEYS)  # contacts 1-4
    forms = [
        FORM | {"ID": 2, "EMail": "a@x.it", "Contacts": [{"ID": 1, "Value": "b@x.it"}]},
        FORM | {"ID": 2, "EMail": "b@x.it"},  # contact 1, renamed by the record before
        FORM | {"ID": 2, "EMail": "c@x.it"},  # a phone's value: a new e-mail contact
        FORM | {"ID": 2, "EMail": "a@x.it", "Contacts": [{"ID": 3, "Value": "d@x.it"}]},
        FORM | {"ID": 2, "EMail": "c@x.it"},
    ]
    response = http.post(UPDATE, json=forms, headers=KEYS, params={"contactForm": "true"})
    assert [r["Item6"] for r in response.json()["result"]["records"]] == [
        {"0": 1, "1": 3},  # contact 3 still holds a@x.it
        {"0": 1},
        {"0": 5},
        {"0": 3, "1": 6},  # a@x.it no longer held: a new contact
        {"0": 5},
    ]


def test_contact_form_records_adding_e_mails_to_one_identity_take_linear_time() -> None:
    """A contact-form record finds its EMail among the identity's contacts by its value, not by
    looking at each contact: a call whose records each gave one person a new e-mail looked at
    every contact the identity held, and at those the records before it added, for each
    record. The lines a call of 20 such records runs on an identity of 2,000 contacts, an
    e-mail contact among them updated by each record, are those of an identity of 10."""
    small = _lines_of_a_form_batch(10)
    large = _lines_of_a_form_batch(2000)
    # each contact looked at once a call, a few lines each (91,730 lines when each record
    # looked at each contact again: 10,215 for 10)
    assert large < small + 10 * 2000


def _lines_of_a_form_batch(held: int) -> int:
    """The Python lines run by a contact-form call of 20 records, each giving identity 2 a new
    e-mail (its EMail) and renaming its first e-mail contact, which holds ``held`` contacts
    (the last its only e-mail contact)."""
    contacts = [{"FIDContactTypology": 1, "Value": f"+39 0131 {n:06d}"} for n in range(held)]
    contacts[-1] = {"FIDContactTypology": 2, "Value": "first@x.it"}
    batch = [
        FORM
        | {
            "ID": 2,
            "EMail": f"m{n}@x.it",
            "Contacts": [{"ID": held, "FIDContactTypology": 2, "Value": f"first{n}@x.it"}],
        }
        for n in range(20)
    ]
    return _lines_of_a_call({"Contacts": contacts}, batch, contact_form=True)


def test_a_calls_records_find_the_users_and_documents_its_earlier_records_wrote(
    http: httpx.Client,
) -> None:
    """What a record looks up on its identity (a user's or a document's ID, a document's
    typology and number) is as the records before it left it: those they added, those they
    changed, and nothing of a record refused, for its content or by a fault."""
    http.post("/__admin/faults", json={"vendor": "xtra", "kind": "record_error", "times": 1})
    one = {"FIDDocumentTypology": 1}
    batch = [
        {"ID": 1, "IdentityDocuments": [one | {"Number": "7"}], "Users": [ANNA]},  # the fault
        {"ID": 1, "IdentityDocuments": [one | {"Number": "7"}], "Users": [ANNA]},  # doc 1, user 2
        {"ID": 1, "IdentityDocuments": [one | {"Number": "8"}, {"ID": 9}]},  # refused
        {"ID": 1, "IdentityDocuments": [{"ID": 1, "Number": "8"}, one | {"Number": "7"}]},
        {"ID": 1, "Users": [{"ID": 2, "Password": "p2", "ConfirmPassword": "p2"}]},
        {"ID": 1, "IdentityDocuments": [one | {"Number": "8"}]},  # held by document 1
    ]
    records = http.post(UPDATE, json=batch, headers=KEYS).json()["result"]["records"]
    assert [(r["Item3"], (r["Item4"] or {}).get("Code")) for r in records] == [
        (False, "ER.IR.UNERR"),
        (True, None),
        (False, "ER.DOC.RNOIMPORT"),
        (True, None),
        (True, None),
        (False, "ER.DOC.EXISTS"),
    ]
    identity = http.get("/__admin/state/xtra").json()["tenants"]["demo"]["identities"]["1"]
    assert [(d["ID"], d["Number"]) for d in identity["IdentityDocuments"]] == [(1, "8"), (2, "7")]
    assert [(u["ID"], u["Password"]) for u in identity["Users"]] == [(1, "demo"), (2, "p2")]
