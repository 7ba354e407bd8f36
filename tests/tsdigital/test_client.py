"""The TS Digital reference client, in-process (sync and async) and over a socket."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from clients import (
    AsyncTsDigitalClient,
    ContractViolation,
    InvalidResponse,
    TsDigitalClient,
    TsDigitalError,
    TsDigitalInvalidResponse,
)
from mockservers.testing import MockServer, SyncASGITransport

BASE = "http://mockservers/tsdigital"
ITEM = {"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}}


@pytest.fixture
def admin(app: Starlette) -> Iterator[httpx.Client]:
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers") as client:
        yield client


def mint(admin: httpx.Client, kind: str = "user", grants: Sequence[str] = ()) -> str:
    body = {"kind": kind, "grants": list(grants)}
    return admin.post("/__admin/tsdigital/tokens", json=body).json()["token"]


def client_for(app: Starlette, token: str, **kwargs: Any) -> TsDigitalClient:
    return TsDigitalClient(
        BASE,
        token,
        app_name="tests",
        app_version="1.0",
        transport=SyncASGITransport(app),
        **kwargs,
    )


def journal(admin: httpx.Client) -> list[dict[str, Any]]:
    return admin.get("/__admin/requests", params={"vendor": "tsdigital"}).json()


def test_client_creates_an_item_and_returns_its_id(app: Starlette, admin: httpx.Client) -> None:
    with client_for(app, mint(admin)) as ts:
        item_id = ts.create_item(ITEM)
    state = admin.get("/__admin/state/tsdigital").json()["tenants"]["demo"]["items"]
    assert state[item_id]["status"] == "CREATED"


def test_client_sends_the_standard_headers_with_a_fresh_request_id(
    app: Starlette, admin: httpx.Client
) -> None:
    with client_for(app, mint(admin)) as ts:
        ts.create_item(ITEM)
        ts.create_item(ITEM)
    entries = journal(admin)
    for entry in entries:
        headers = entry["headers"]
        assert headers["x-app-name"] == "tests" and headers["x-app-version"] == "1.0"
        assert headers["content-type"] == "application/json"
        assert headers["authorization"] == "***"  # masked by the journal
        uuid.UUID(headers["x-request-id"])
    assert entries[0]["headers"]["x-request-id"] != entries[1]["headers"]["x-request-id"]


def test_client_sends_a_correlation_and_an_item_id_when_given(
    app: Starlette, admin: httpx.Client
) -> None:
    """The contract's optional tracing headers could not be sent at all."""
    with client_for(app, mint(admin)) as ts:
        item_id = ts.create_item(ITEM, correlation_id="order-42", item_id="ITEM-1")
        with pytest.raises(ContractViolation, match="X-Correlation-ID"):
            ts.create_item(ITEM, correlation_id="order-42\n")
    item = admin.get("/__admin/state/tsdigital").json()["tenants"]["demo"]["items"][item_id]
    assert item["headers"]["X-Correlation-ID"] == "order-42"
    assert item["headers"]["X-Item-ID"] == "ITEM-1"
    assert len(journal(admin)) == 1


def test_client_raises_the_vendors_403_with_its_sub_errors(
    app: Starlette, admin: httpx.Client
) -> None:
    with client_for(app, mint(admin, "app-key")) as ts, pytest.raises(TsDigitalError) as caught:
        ts.create_item(ITEM | {"studioId": "S1"})
    error = caught.value
    assert error.status == 403 and error.code == "403"
    assert "permessi" in error.message
    assert [e["field"] for e in error.sub_errors] == ["Authorization", "studioId"]
    assert error.timestamp and len(error.timestamp) == len("dd-MM-yyyy HH:mm:ss")
    assert error.detail == ""  # a 403 carries no detail: its text says why from subErrors
    assert str(error) == f"[403 403] {error.message} ({WHY_403})"


WHY_403 = (
    "Authorization: una chiave tecnica applicativa non ha il permesso di creare item"
    " (grant items:create); studioId: nessun permesso di scrittura sullo studio S1"
)


def test_an_error_s_text_lists_the_first_sub_errors_where_no_detail_is_given() -> None:
    """A real vendor gives no detail: the text says why from the body, the first five."""
    sub_errors: list[Any] = [{"field": f"f{n}", "message": "m"} for n in range(7)]
    error = TsDigitalError(400, "400", "Bad Request", [*sub_errors, "odd", {"message": "x"}])
    listed = "; ".join(f"f{n}: m" for n in range(5))
    assert str(error) == f"[400 400] Bad Request ({listed}; 4 more)"
    assert (
        str(TsDigitalError(403, "403", "No", [{"message": "x"}, "odd"])) == "[403 403] No (x; odd)"
    )
    assert str(TsDigitalError(400, "400", "No", sub_errors, detail="d")) == "[400 400] No (d)"
    assert str(TsDigitalError(500, "500", "Errore")) == "[500 500] Errore"


def test_client_raises_400_for_a_broken_rule(app: Starlette, admin: httpx.Client) -> None:
    with (
        client_for(app, mint(admin), validate=False) as ts,
        pytest.raises(TsDigitalError) as caught,
    ):
        ts.create_item(ITEM | {"certified": True})
    assert caught.value.status == 400 and caught.value.sub_errors[0]["field"] == "certified"


def test_client_without_validation_lets_the_server_name_the_field(
    app: Starlette, admin: httpx.Client
) -> None:
    with (
        client_for(app, mint(admin), validate=False) as ts,
        pytest.raises(TsDigitalError) as caught,
    ):
        ts.create_item({"item": {"base": {"details": {"birthDate": "yesterday"}}}})
    assert caught.value.status == 400
    assert caught.value.sub_errors[0]["field"] == "item.base.details.birthDate"


def test_client_raises_401_for_an_expired_token(app: Starlette, admin: httpx.Client) -> None:
    token = mint(admin)
    admin.post("/__admin/clock", json={"advance_seconds": 3600})
    with client_for(app, token) as ts, pytest.raises(TsDigitalError) as caught:
        ts.create_item(ITEM)
    assert caught.value.status == 401 and caught.value.code == "401"


@pytest.mark.parametrize("status", [500, 502])
def test_client_never_retries_a_create(app: Starlette, admin: httpx.Client, status: int) -> None:
    admin.post("/__admin/faults", json={"vendor": "tsdigital", "kind": "status", "status": status})
    with client_for(app, mint(admin)) as ts, pytest.raises(TsDigitalError) as caught:
        ts.create_item(ITEM)
    assert caught.value.status == status and caught.value.code == str(status)
    assert len(journal(admin)) == 1


def test_client_reports_an_answer_without_the_error_body(
    app: Starlette, admin: httpx.Client
) -> None:
    admin.post(
        "/__admin/faults",
        json={"vendor": "tsdigital", "kind": "malformed", "times": 1},
    )
    with client_for(app, mint(admin)) as ts, pytest.raises(InvalidResponse):
        ts.create_item(ITEM)  # a 202 cut in half: not JSON
    admin.post(
        "/__admin/faults",
        json={"vendor": "tsdigital", "kind": "malformed", "times": 1},
    )
    with client_for(app, "unknown") as ts, pytest.raises(TsDigitalInvalidResponse) as caught:
        ts.create_item(ITEM)  # a 401 cut in half
    assert caught.value.status == 401 and caught.value.code is None
    assert caught.value.sub_errors == [] and caught.value.timestamp is None


def test_a_gateway_page_is_an_invalid_response_and_a_tsdigital_error() -> None:
    """docs/clients.md: an answer a client cannot read is InvalidResponse, for every client;
    TS Digital's was a plain TsDigitalError with the HTTP status as its code."""
    page = httpx.Response(502, html="<html><body>Bad Gateway</body></html>")
    transport = httpx.MockTransport(lambda request: page)
    with (
        TsDigitalClient(BASE, "t", app_name="a", app_version="1", transport=transport) as ts,
        pytest.raises(TsDigitalError) as caught,
    ):
        ts.create_item(ITEM)
    error = caught.value
    assert isinstance(error, InvalidResponse) and (error.status, error.code) == (502, None)
    assert "not JSON" in error.message and "Bad Gateway" not in error.message


class _Refuse(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise AssertionError("the client sent a request it should have refused")


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"item": {"base": {"details": {"birthDate": "1990-01-01"}}}},
        ITEM | {"noKeys": "yes"},
        ITEM | {"certified": True},
        ITEM | {"ownerIds": ["u1"], "noOwnership": True},
    ],
    ids=["no-item", "date-as-string", "flag-as-string", "certified-alone", "owners-no-ownership"],
)
def test_client_validates_before_any_io(payload: dict[str, Any]) -> None:
    with (
        TsDigitalClient(BASE, "t", app_name="a", app_version="1", transport=_Refuse()) as ts,
        pytest.raises(ContractViolation),
    ):
        ts.create_item(payload)


PERSONAL = {
    "base": {
        "identifier": {"taxId": "RSSMRA80A01F205X", "vatNumber": "01234567890"},
        "details": {"addresses": [{"city": "Milano-PRIVATE", "streetName": "Via Roma"}] * 500},
    }
}
"""An item as a connector sends one: a person's tax code and every address of the company."""

RULES = {
    "certified-validated": {"certified": True, "validated": False},
    "ownerIds-noOwnership": {"ownerIds": ["u1"], "noOwnership": True},
}
"""Each of the seed's rules by its contract name (``x-rule``), and fields that break it."""


@pytest.mark.parametrize("rule", RULES)
def test_a_broken_rule_is_named_and_the_body_never_quoted(rule: str) -> None:
    """The refusal was the validator's English: the whole body (37 KB for an item of 500
    addresses, every tax code and address in logs and CI output) and the rule's raw ``not``
    schema, never the rule's name."""
    with (
        TsDigitalClient(BASE, "t", app_name="a", app_version="1", transport=_Refuse()) as ts,
        pytest.raises(ContractViolation) as caught,
    ):
        ts.create_item({"item": PERSONAL, **RULES[rule]})
    text = str(caught.value)
    assert f"(body): breaks the rule {rule} (" in text
    assert "PRIVATE" not in text and "RSSMRA" not in text and "should not be valid" not in text
    assert len(text) < 300
    assert [(v.pointer, v.keyword) for v in caught.value.violations] == [("", "not")]


def test_the_client_names_a_rule_as_the_fake_does(app: Starlette, admin: httpx.Client) -> None:
    """Both name the rules from the contract: what the client refuses before sending is what
    the fake refuses, by the same name and title."""
    payload = ITEM | RULES["certified-validated"] | RULES["ownerIds-noOwnership"]
    token = mint(admin, "backoffice")
    with client_for(app, token) as ts, pytest.raises(ContractViolation) as refused:
        ts.create_item(payload)
    with client_for(app, token, validate=False) as ts, pytest.raises(TsDigitalError) as answered:
        ts.create_item(payload)
    named = answered.value.detail.removeprefix("body: breaks ").split("; ")
    assert [v.message.removeprefix("breaks the ") for v in refused.value.violations] == named
    assert [name.split()[1] for name in named] == list(RULES)


@pytest.mark.parametrize(
    ("payload", "said"),
    [
        ([1], "(body): is an array of 1, not object"),
        ("item", "(body): is a string, not object"),
        ({"item": {}, "certified": True}, "item: has no base"),
    ],
    ids=["array", "string", "item-without-base"],
)
def test_a_body_of_the_wrong_shape_breaks_no_rule(payload: Any, said: str) -> None:
    """A rule's ``not`` fails on a body that is no object (``required`` passes on one): the
    client reported a rule broken that was not, beside the type error. As the fake does, a
    body's shape comes first, and its rules only once it is right."""
    with (
        TsDigitalClient(BASE, "t", app_name="a", app_version="1", transport=_Refuse()) as ts,
        pytest.raises(ContractViolation) as caught,
    ):
        ts.create_item(payload)
    assert str(caught.value) == f"request breaks tsdigital/createItem.request: {said}"


def test_an_empty_studio_id_is_refused_without_quoting_it() -> None:
    """The validator's message quoted the value and the rule's schema: ``studioId: '' should
    not be valid under {'const': ''}``."""
    with (
        TsDigitalClient(BASE, "t", app_name="a", app_version="1", transport=_Refuse()) as ts,
        pytest.raises(ContractViolation) as caught,
    ):
        ts.create_item(ITEM | {"studioId": ""})
    assert str(caught.value).endswith("createItem.request: studioId: breaks the rule 'not'")


def test_client_validates_its_headers_before_any_io() -> None:
    """An empty X-App-Name, or a token the Authorization header cannot carry (the message never
    quotes it), never leaves the client."""
    for options, refused in (
        ({"token": "t", "app_name": ""}, "X-App-Name"),
        ({"token": "tok en-Secret"}, "Authorization: breaks the rule 'pattern'"),
    ):
        settings = {"token": "t", "app_name": "a", "app_version": "1"} | options
        with (
            TsDigitalClient(BASE, transport=_Refuse(), **settings) as ts,
            pytest.raises(ContractViolation, match=refused) as caught,
        ):
            ts.create_item(ITEM)
        assert "Secret" not in str(caught.value)


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize(
    ("options", "call", "header"),
    [
        ({"app_version": 1}, {}, "X-App-Version"),
        ({}, {"correlation_id": 42}, "X-Correlation-ID"),
        ({}, {"item_id": 7}, "X-Item-ID"),
    ],
    ids=["app-version", "correlation-id", "item-id"],
)
def test_a_header_value_that_is_no_string_is_a_contract_violation(
    options: dict[str, Any], call: dict[str, Any], header: str, validate: bool
) -> None:
    """A number given for a header raised a bare TypeError from the header check."""
    settings = {"token": "t", "app_name": "a", "app_version": "1"} | options
    with (
        TsDigitalClient(BASE, transport=_Refuse(), validate=validate, **settings) as ts,
        pytest.raises(ContractViolation, match=header) as caught,
    ):
        ts.create_item(ITEM, **call)
    assert [(v.field, v.keyword) for v in caught.value.violations] == [(header, "type")]


@pytest.mark.anyio
async def test_async_client_in_process(app: Starlette, admin: httpx.Client) -> None:
    token = mint(admin, "app-key", ["items:create", "special"])
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with AsyncTsDigitalClient(
        BASE, token, app_name="tests", app_version="1.0", transport=transport
    ) as ts:
        item_id = await ts.create_item(ITEM | {"validated": True, "noOwnership": True})
        with pytest.raises(TsDigitalError) as caught:
            await ts.create_item(ITEM | {"ownerIds": ["u1"]})
    assert caught.value.status == 403
    (why,) = caught.value.sub_errors
    assert str(caught.value).endswith(f" (ownerIds: {why['message']})")
    state = admin.get("/__admin/state/tsdigital").json()["tenants"]["demo"]["items"]
    assert state[item_id]["registry_status"] == "VALIDATED"


def test_client_over_a_socket_against_mockserver(mockserver: MockServer) -> None:
    mockserver.fault(vendor="tsdigital", kind="processing_failure", reason="no", times=1)
    token = mockserver.admin("POST", "/tsdigital/tokens", json={"kind": "user"})["token"]
    with TsDigitalClient(
        mockserver.base_url("tsdigital"), token, app_name="tests", app_version="1.0"
    ) as ts:
        failed, created = ts.create_item(ITEM), ts.create_item(ITEM)
        mockserver.advance(3600)
        with pytest.raises(TsDigitalError) as caught:
            ts.create_item(ITEM)
    assert caught.value.status == 401
    items = mockserver.state("tsdigital")["tenants"]["demo"]["items"]
    assert items[failed]["status"] == "FAILED" and items[created]["status"] == "CREATED"
    assert [e["status"] for e in mockserver.requests(vendor="tsdigital")] == [401, 202, 202]
