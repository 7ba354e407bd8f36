"""TS Digital: every error path answers with the seed's sentence for its status, verbatim, and the
kit's diagnosis travels in X-Mockservers-Detail and the journal.

The seed's "Risposte" section describes 400, 401, 403 and 502 in one sentence each, and gives
"Errore interno del server" as the example ``message`` of a 500; ``message`` is that text,
final period included where the seed has one. ``subErrors`` is the place for details: one
``{"field", "message"}`` per problem, in Italian, naming the field (``errors.PHRASES``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from mockservers import create_app
from mockservers.testing import SyncASGITransport
from tests.wording import DETAIL, assert_detail, assert_vendor_words

ITEMS = "/tsdigital/api/v3/items"
MESSAGES = {
    400: "Uno o più parametri forniti nella richiesta sono errati, o mancano dei parametri "
    "obbligatori.",
    401: "Il token autorizzativo è scaduto, invalido o non è stato specificato.",
    403: "Il token autorizzativo fornito è valido, ma l'utente non ha i permessi necessari a "
    "creare un item",
    413: "Il body della richiesta supera la dimensione massima consentita",  # the kit's own
    500: "Errore interno del server",
    502: "Il server ha riscontrato un errore inaspettato nel comunicare con un servizio dal quale "
    "dipende per poter completare il processo (ad esempio, il servizio di auth non risulta essere "
    "disponibile)",
}
STATUS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
TIMESTAMP = re.compile(r"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}$")
MINIMAL = {"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}}
STANDARD = {"X-App-Name": "tests", "X-App-Version": "1.0"}
NO_BODY = object()
SPECIAL_ONLY = "è utilizzabile solo da chiavi tecniche applicative con ruoli speciali"


def details(*fields: Any) -> dict[str, Any]:
    """``item.base.details`` with the given fields."""
    return {"item": {"base": {"details": dict(fields)}}}


@dataclass(frozen=True)
class Case:
    """One call and its answer: the status and the subErrors (the message is the seed's)."""

    status: int
    sub_errors: list[dict[str, str]]
    detail: tuple[str, ...] = ()
    """What the detail header names; ``()``: subErrors are the whole account."""
    body: Any = field(default_factory=lambda: MINIMAL)
    raw: bytes | None = None
    kind: str | None = "user"
    """The token minted for the call (``None``: no Authorization header)."""
    grants: tuple[str, ...] = ()
    headers: dict[str, str | None] = field(default_factory=dict)
    """Sent over the standard headers and the bearer token (``None`` removes one)."""
    expire: bool = False


def sub(field_name: str, message: str) -> dict[str, str]:
    return {"field": field_name, "message": message}


def bad(field_name: str, message: str, *names: str, **request: Any) -> Case:
    """A 400 with one subErrors entry; the diagnosis names ``names`` (the field by default)."""
    return Case(400, [sub(field_name, message)], names or (field_name,), **request)


def denied(*entries: tuple[str, str], **request: Any) -> Case:
    return Case(403, [sub(f, m) for f, m in entries], **request)


CASES = [
    # -- 401: the bearer token --------------------------------------------------------------
    pytest.param(
        Case(401, [sub("Authorization", "header mancante")], kind=None), id="no-token-401"
    ),
    pytest.param(
        Case(
            401,
            [sub("Authorization", "atteso 'Bearer <token>'")],
            headers={"Authorization": "Basic ZGVtbzpkZW1v"},
        ),
        id="not-a-bearer-token-401",
    ),
    pytest.param(
        Case(
            401,
            [sub("Authorization", "atteso 'Bearer <token>'")],
            headers={"Authorization": "Bearer"},
        ),
        id="bearer-without-token-401",
    ),
    pytest.param(
        Case(
            401,
            [sub("Authorization", "token sconosciuto o scaduto")],
            headers={"Authorization": "Bearer 0123abcd"},
        ),
        id="unknown-token-401",
    ),
    pytest.param(
        Case(401, [sub("Authorization", "token sconosciuto o scaduto")], expire=True),
        id="expired-token-401",
    ),
    # -- 400: standard headers --------------------------------------------------------------
    pytest.param(
        bad("X-App-Name", "Il campo X-App-Name è obbligatorio", headers={"X-App-Name": ""}),
        id="x-app-name-empty-400",
    ),
    pytest.param(
        Case(
            400,
            [
                sub("X-App-Name", "Il campo X-App-Name è obbligatorio"),
                sub("X-App-Version", "Il campo X-App-Version è obbligatorio"),
            ],
            ("X-App-Name", "X-App-Version"),
            headers={"X-App-Name": None, "X-App-Version": None},
        ),
        id="standard-headers-missing-400",
    ),
    pytest.param(
        bad(
            "X-Request-ID",
            "Il campo X-Request-ID non è nel formato atteso (UUID)",
            headers={"X-Request-ID": "42"},
        ),
        id="x-request-id-not-a-uuid-400",
    ),
    pytest.param(
        bad(
            "Content-Type",
            "Il Content-Type deve essere application/json, non 'text/plain'",
            headers={"Content-Type": "text/plain"},
            raw=b"{}",
        ),
        id="content-type-not-json-400",
    ),
    # -- 400: the body ----------------------------------------------------------------------
    pytest.param(
        bad("body", "Il body non è un JSON valido", "not valid JSON", raw=b"{x"),
        id="malformed-json-400",
    ),
    pytest.param(
        bad("body", "Il body non è un JSON valido", "deeper than 64", raw=b"[" * 90 + b"]" * 90),
        id="nested-too-deep-400",
    ),
    pytest.param(
        bad("body", "Il campo body deve essere di tipo oggetto", body=[MINIMAL]),
        id="body-an-array-400",
    ),
    pytest.param(bad("item", "Il campo item è obbligatorio", body={}), id="item-missing-400"),
    pytest.param(
        bad("item.base", "Il campo item.base è obbligatorio", body={"item": {}}),
        id="item-base-missing-400",
    ),
    pytest.param(
        bad(
            "item.base",
            "Il campo item.base deve essere di tipo oggetto",
            body={"item": {"base": None}},
        ),
        id="item-base-null-400",
    ),
    pytest.param(
        bad(
            "item.base.details.birthDate",
            "Il campo item.base.details.birthDate deve essere di tipo intero",
            body=details(("birthDate", "1980-01-01")),
        ),
        id="epoch-date-a-string-400",
    ),
    pytest.param(
        bad(
            "item.base.details.addresses[0].types",
            "Il campo item.base.details.addresses[0].types deve essere di tipo array",
            body=details(("addresses", [{"types": "REGISTERED_OFFICE"}])),
        ),
        id="address-types-not-an-array-400",
    ),
    pytest.param(
        bad(
            "item.base.details.description",
            "Il campo item.base.details.description deve essere di tipo stringa",
            body=details(("description", None)),
        ),
        id="null-where-a-string-is-shown-400",
    ),
    pytest.param(
        bad(
            "noKeys",
            "Il campo noKeys deve essere di tipo booleano",
            body=MINIMAL | {"noKeys": "true"},
        ),
        id="flag-a-string-400",
    ),
    pytest.param(
        bad(
            "ownerIds",
            "Il campo ownerIds deve essere di tipo array",
            body=MINIMAL | {"ownerIds": "u1"},
            kind="backoffice",
        ),
        id="owner-ids-not-an-array-400",
    ),
    pytest.param(  # optional: "" is a wrong value, not a missing mandatory one
        bad("studioId", "Il campo studioId non è valido", body=MINIMAL | {"studioId": ""}),
        id="studio-id-empty-400",
    ),
    # -- 400: the seed's two consistency rules ----------------------------------------------
    pytest.param(
        bad(
            "ownerIds",
            "ownerIds non può essere combinato con noOwnership=true",
            "rule ownerIds-noOwnership",
            body=MINIMAL | {"ownerIds": ["u1"], "noOwnership": True},
            kind="backoffice",
        ),
        id="rule-ownerIds-with-noOwnership-400",
    ),
    pytest.param(
        bad(
            "certified",
            "certified=true richiede di specificare anche validated=true",
            "rule certified-validated",
            body=MINIMAL | {"certified": True},
            kind="app-key",
            grants=("items:create", "special"),
        ),
        id="rule-certified-without-validated-400",
    ),
    # -- 403: each missing permission -------------------------------------------------------
    pytest.param(
        denied(
            (
                "Authorization",
                "una chiave tecnica applicativa non ha il permesso di creare item "
                "(grant items:create)",
            ),
            kind="app-key",
        ),
        id="app-key-without-items-create-403",
    ),
    *[
        pytest.param(
            denied((flag, f"{flag} {SPECIAL_ONLY}"), body=MINIMAL | {flag: True} | extra),
            id=f"{flag}-without-special-roles-403",
        )
        for flag, extra in [
            ("noOwnership", {}),
            ("validated", {}),
        ]
    ],
    pytest.param(
        denied(
            ("validated", f"validated {SPECIAL_ONLY}"),
            ("certified", f"certified {SPECIAL_ONLY}"),
            body=MINIMAL | {"validated": True, "certified": True},
            kind="backoffice",
            grants=("special",),
        ),
        id="special-grant-on-a-backoffice-token-403",
    ),
    pytest.param(
        denied(
            ("ownerIds", "ownerIds è utilizzabile solo da backoffice"),
            body=MINIMAL | {"ownerIds": ["u1"]},
        ),
        id="ownerIds-outside-backoffice-403",
    ),
    pytest.param(
        denied(
            ("studioId", "nessun permesso di scrittura sullo studio S1"),
            body=MINIMAL | {"studioId": "S1"},
            grants=("studio:S2",),
        ),
        id="studio-without-write-permission-403",
    ),
]


def mint(http: httpx.Client, kind: str, grants: tuple[str, ...] = ()) -> str:
    body = {"kind": kind, "grants": list(grants)}
    response = http.post("/__admin/tsdigital/tokens", json=body)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def send(http: httpx.Client, case: Case) -> httpx.Response:
    headers: dict[str, str | None] = dict(STANDARD)
    if case.kind is not None:
        headers["Authorization"] = f"Bearer {mint(http, case.kind, case.grants)}"
    if case.expire:
        assert http.post("/__admin/tsdigital/tokens/expire").json() == {"expired": 1}
    headers |= case.headers
    sent = {k: v for k, v in headers.items() if v is not None}
    if case.raw is not None:
        sent.setdefault("Content-Type", "application/json")
        return http.post(ITEMS, content=case.raw, headers=sent)
    return http.post(ITEMS, json=case.body, headers=sent)


def assert_seed_error(response: httpx.Response, status: int) -> list[dict[str, Any]]:
    """The seed's shared error body, its message verbatim; returns the subErrors."""
    assert response.status_code == status, response.text
    body = response.json()
    assert_vendor_words(body)
    assert set(body) == {"code", "message", "status", "subErrors", "timestamp"}
    assert body["code"] == str(status) and body["status"] == STATUS[status]
    assert body["message"] == MESSAGES.get(status, STATUS[status])
    assert TIMESTAMP.match(body["timestamp"])
    return body["subErrors"]


@pytest.mark.parametrize("case", CASES)
def test_error_paths_answer_with_the_seeds_sentence(http: httpx.Client, case: Case) -> None:
    response = send(http, case)
    assert assert_seed_error(response, case.status) == case.sub_errors
    if case.detail:
        assert_detail(http, response, *case.detail)


def test_every_missing_permission_is_one_sub_error_in_the_seeds_order(http: httpx.Client) -> None:
    case = Case(403, [], body=MINIMAL | {"noOwnership": True, "studioId": "S1"}, kind="app-key")
    assert [e["field"] for e in assert_seed_error(send(http, case), 403)] == [
        "Authorization",
        "noOwnership",
        "studioId",
    ]


def test_both_rules_broken_are_two_sub_errors_and_the_header_names_both(
    http: httpx.Client,
) -> None:
    body = MINIMAL | {"ownerIds": ["u1"], "noOwnership": True, "certified": True}
    response = send(http, Case(400, [], body=body, kind="backoffice"))
    assert [e["field"] for e in assert_seed_error(response, 400)] == ["ownerIds", "certified"]
    assert_detail(http, response, "rule ownerIds-noOwnership", "rule certified-validated")


@pytest.mark.parametrize("status", [500, 502], ids=["fault-500", "fault-502"])
def test_injected_status_faults_give_the_seeds_sentence(http: httpx.Client, status: int) -> None:
    fault = {"vendor": "tsdigital", "kind": "status", "status": status, "times": 1}
    fault_id = http.post("/__admin/faults", json=fault).json()["id"]
    response = send(http, Case(status, []))
    assert assert_seed_error(response, status) == []
    assert_detail(http, response, "injected status fault", fault_id)


def test_a_body_over_the_limit_is_413_in_the_seeds_body() -> None:
    with httpx.Client(
        transport=SyncASGITransport(create_app({"kit": {"max_body_bytes": 64}})),
        base_url="http://t",
    ) as http:
        response = send(http, Case(413, [], body=details(("description", "x" * 100))))
        assert assert_seed_error(response, 413) == []
        assert_detail(http, response, "larger than 64 bytes")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("POST", "/tsdigital/api/v3/items/1", 404), ("GET", ITEMS, 405)],
    ids=["unknown-path-404", "method-not-allowed-405"],
)
def test_routing_errors_under_the_prefix_name_method_and_path(
    http: httpx.Client, method: str, path: str, status: int
) -> None:
    response = http.request(method, path)
    assert assert_seed_error(response, status) == []
    assert_detail(http, response, f"{method} {path}", journalled=False)


def test_processing_failure_answers_202_and_fails_the_item_with_its_reason(
    http: httpx.Client,
) -> None:
    for reason in ("Partita IVA non censita", None):
        fault = {"vendor": "tsdigital", "kind": "processing_failure", "times": 1}
        http.post("/__admin/faults", json=fault | ({"reason": reason} if reason else {}))
        response = send(http, Case(202, []))
        assert response.status_code == 202 and set(response.json()) == {"id"}
        assert DETAIL not in response.headers
        items = http.get("/__admin/state/tsdigital").json()["tenants"]["demo"]["items"]
        history = items[response.json()["id"]]["history"]
        assert history[-1]["status"] == "FAILED"
        assert history[-1]["reason"] == (
            reason or "Errore durante la creazione dell'item (processing_failure injected)"
        )
