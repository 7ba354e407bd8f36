"""XTRA/XOX coverage: every documented situation of the catalogue, provoked through HTTP, is
reported met by ``GET /__admin/coverage`` (globally and in a session)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockservers import create_app
from mockservers.testing import IN_PROCESS_URL, SyncASGITransport
from mockservers.xtra import Xtra, errors
from mockservers.xtra import coverage as c
from tests.coverage_kit import (
    DEMO,
    GlobalScope,
    Scenario,
    Tester,
    check_catalogue,
    check_scenario,
    met_count,
)

LOGIN = "/xtra/api/sync/v1/login"
UPDATE = "/xtra/api/sync/v1/irs/update"
NEW = {"FIDGroup": 2, "TypologyIds": [2], "Denomination": "Rossi S.r.l.", "ExternalKey": "E1"}
DOCUMENT = {"Number": "1", "FIDDocumentTypology": 1}
CONTACT = {"EMail": "a@b.it", "Surname": "Rossi", "Name": "Anna", "WebReasonID": 13}


def keys(t: Tester, secret: str | None = None) -> dict[str, str]:
    account = t.creds("xtra")
    return {
        "SyncPublicKey": account["public_key"],
        "SyncSecretKey": secret or account["secret_key"],
    }


def login(t: Tester, password: str | None = None) -> httpx.Response:
    account = t.creds("xtra")
    body = {"Username": account["username"], "Password": password or account["password"]}
    return t.http.post(LOGIN, json=body)


def access_token(t: Tester) -> dict[str, str]:
    return {"AccessToken": login(t).json()["result"]["Token"]}


def update(t: Tester, records: Any, headers: dict[str, str] | None = None, **params: str) -> Any:
    return t.http.post(UPDATE, json=records, headers=headers or keys(t), params=params).json()


def item4_codes(answer: dict[str, Any]) -> list[str | None]:
    return [(r["Item4"] or {}).get("Code") for r in answer["result"]["records"]]


def own_id(t: Tester) -> int:
    return int(t.creds("xtra")["irid"])


def login_ok(t: Tester) -> None:
    assert login(t).status_code == 200


def login_refused(t: Tester) -> None:
    assert login(t, password="wrong").status_code == 403


def keys_refused(t: Tester) -> None:
    assert update(t, [NEW], keys(t, secret="wrong"))["statusCode"] == 403


def access_token_expired(t: Tester) -> None:
    headers = access_token(t)
    t.scope.advance(3600)
    assert update(t, [{"ID": own_id(t)}], headers)["statusCode"] == 403


def access_token_invalid(t: Tester) -> None:
    assert update(t, [{"ID": own_id(t)}], {"AccessToken": "nope"})["statusCode"] == 403


def access_token_scope(t: Tester) -> None:
    assert update(t, [{"ID": own_id(t) + 1}], access_token(t))["statusCode"] == 403


def inserted(t: Tester) -> None:
    assert item4_codes(update(t, [NEW])) == [None]


def updated(t: Tester) -> None:
    assert item4_codes(update(t, [{"ID": own_id(t), "City": "Valenza"}])) == [None]


def contact_form_inserted(t: Tester) -> None:
    assert item4_codes(update(t, [CONTACT], contactForm="true")) == [None]


def contact_form_updated(t: Tester) -> None:
    update(t, [CONTACT], contactForm="true")
    again = update(t, [CONTACT | {"City": "Valenza"}], contactForm="true")
    assert item4_codes(again) == [None]


def er_ir_inval(t: Tester) -> None:
    assert item4_codes(update(t, [{"FIDGroup": "due"}])) == ["ER.IR.INVAL"]


def er_ir_inval_call(t: Tester) -> None:
    answer = update(t, {"not": "an array"})
    assert (answer["statusCode"], answer["errorCode"]) == (400, "ER.IR.INVAL")


def er_ir_nofound(t: Tester) -> None:
    assert item4_codes(update(t, [{"ID": 424242}])) == ["ER.IR.NOFOUND"]


def er_ir_exists(t: Tester) -> None:
    assert item4_codes(update(t, [NEW, NEW])) == [None, "ER.IR.EXISTS"]


def er_ir_ins(t: Tester) -> None:
    taken = t.creds("xtra")["username"]
    user = {"Username": taken, "Email": "u@x.it", "Password": "p", "ConfirmPassword": "p"}
    assert item4_codes(update(t, [NEW | {"Users": [user]}])) == ["ER.IR.INS"]


def er_ir_unerr(t: Tester) -> None:
    t.scope.fault(vendor="xtra", operation="updateIdentities", kind="status", status=500, times=1)
    answer = update(t, [NEW])
    assert (answer["statusCode"], answer["errorCode"]) == (500, "ER.IR.UNERR")


def er_doc_exists(t: Tester) -> None:
    record = {"ID": own_id(t), "IdentityDocuments": [DOCUMENT]}
    assert item4_codes(update(t, [record, record])) == [None, "ER.DOC.EXISTS"]


def er_doc_rnoimport(t: Tester) -> None:
    record = {"ID": own_id(t), "IdentityDocuments": [DOCUMENT | {"ID": 99}]}
    assert item4_codes(update(t, [record])) == ["ER.DOC.RNOIMPORT"]


def er_doc_unerr(t: Tester) -> None:
    t.scope.fault(vendor="xtra", kind="document_error", times=1)
    record = {"ID": own_id(t), "IdentityDocuments": [DOCUMENT]}
    assert item4_codes(update(t, [record])) == ["ER.DOC.UNERR"]


SCENARIOS: dict[str, Scenario] = {
    c.LOGIN_OK.id: login_ok,
    c.LOGIN_REFUSED.id: login_refused,
    c.KEYS_REFUSED.id: keys_refused,
    c.ACCESS_TOKEN_EXPIRED.id: access_token_expired,
    c.ACCESS_TOKEN_INVALID.id: access_token_invalid,
    c.ACCESS_TOKEN_SCOPE.id: access_token_scope,
    c.INSERTED.id: inserted,
    c.UPDATED.id: updated,
    c.CONTACT_FORM_INSERTED.id: contact_form_inserted,
    c.CONTACT_FORM_UPDATED.id: contact_form_updated,
    c.ER_IR_INVAL.id: er_ir_inval,
    c.ER_IR_INVAL_CALL.id: er_ir_inval_call,
    c.ER_IR_NOFOUND.id: er_ir_nofound,
    c.ER_IR_EXISTS.id: er_ir_exists,
    c.ER_IR_INS.id: er_ir_ins,
    c.ER_IR_UNERR.id: er_ir_unerr,
    c.ER_DOC_EXISTS.id: er_doc_exists,
    c.ER_DOC_RNOIMPORT.id: er_doc_rnoimport,
    c.ER_DOC_UNERR.id: er_doc_unerr,
}
NAMES_NO_SESSION = {c.ACCESS_TOKEN_INVALID.id}
"""An unknown AccessToken names no session: such a call belongs to the global scope."""


def test_every_catalogued_situation_has_a_scenario() -> None:
    check_catalogue(Xtra, SCENARIOS)


@pytest.mark.parametrize("behaviour", list(SCENARIOS))
def test_the_scenario_meets_its_situation(behaviour: str) -> None:
    named = behaviour not in NAMES_NO_SESSION
    check_scenario("xtra", behaviour, SCENARIOS[behaviour], names_session=named)


def test_every_record_error_code_is_a_catalogued_situation() -> None:
    """A record's refusal is marked through RECORD_ERRORS: every ER.* code a record can carry
    is in it (a code missing there would be answered but never counted)."""
    record_codes = {
        value
        for name, value in vars(errors).items()
        if name.isupper() and isinstance(value, str) and value.startswith("ER.")
    }
    assert set(c.RECORD_ERRORS) == record_codes


@pytest.mark.parametrize(
    ("fault", "met"),
    [
        ({"kind": "record_error", "times": 1}, 1),
        ({"kind": "status", "status": 500, "times": 1}, 1),
        ({"kind": "status", "status": 502, "times": 1}, 0),
        ({"kind": "status", "status": 503, "times": 1}, 0),
    ],
    ids=["a-record", "a-500", "not-a-502", "not-a-503"],
)
def test_er_ir_unerr_is_met_by_a_record_or_a_500_only(fault: dict[str, Any], met: int) -> None:
    """xtra.er_ir_unerr says "un record (Item4.Code), o l'intera chiamata con statusCode 500":
    a 502 or a 503 (ER.IR.UNERR in its envelope too) is not that situation."""
    with httpx.Client(transport=SyncASGITransport(create_app()), base_url=IN_PROCESS_URL) as http:
        t = Tester(http, GlobalScope(http), DEMO)
        t.scope.fault(vendor="xtra", **fault)
        answer = update(t, [NEW])
        codes = [answer["errorCode"], *(item4_codes(answer) if answer["result"] else [])]
        assert "ER.IR.UNERR" in codes, answer
        assert met_count(t.scope, "xtra", c.ER_IR_UNERR.id) == met
