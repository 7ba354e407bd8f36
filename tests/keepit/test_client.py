"""The KeepIT reference client, in-process (sync and async) and over a socket."""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from clients import (
    AsyncKeepItClient,
    ContractViolation,
    KeepItClient,
    KeepItError,
    RecordMessage,
)
from mockservers import create_app
from mockservers.testing import MockServer, SyncASGITransport
from tests.data import keepit_customer

BASE = "http://mockservers/keepit"
DEMO: dict[str, Any] = {"username": "demo", "password": "demo", "company_id": 1, "site_id": "1"}
LIMITED = {"keepit": {"rate_limit_calls": 2, "rate_limit_window_seconds": 30}}


customer = keepit_customer


MAPPED = customer(
    "12345",
    mappings=[{"system": "DW", "externalField": "CUSTOMER_ID", "externalCode": 12345}],
    contacts=[{"contactType": "EMAIL", "value": "test.test@test.it"}],
    subjectMakeup={"skinType": "A"},
)

UNMATCHED = {"externalField": "ID", "externalCode": "OTHER"}


@pytest.fixture
def client(app: object) -> Iterator[KeepItClient]:
    with KeepItClient(BASE, **DEMO, transport=SyncASGITransport(app)) as keepit:
        yield keepit


def waits_before_done(answers: Iterator[httpx.Response]) -> list[float]:
    """What a client asked to wait out 429s slept, inserting one customer through ``answers``
    (the last one a success)."""
    waits: list[float] = []
    transport = httpx.MockTransport(lambda request: next(answers))
    with KeepItClient(
        BASE, **DEMO, transport=transport, retry_rate_limited=True, sleep=waits.append
    ) as keepit:
        assert keepit.insert_customers([customer("C1")]).code == 200
    return waits


def test_client_inserts_and_reports_progids_per_section(client: KeepItClient) -> None:
    result = client.insert_customers([MAPPED])
    assert result.code == 200 and not result.partial
    assert result.duplicated == [] and result.errors == []
    (inserted,) = result.inserted
    assert inserted.prog_id == 1 and inserted.customer_code == "12345"
    assert inserted.email == "test.test@test.it"
    assert inserted.sections == {"mapping": [1], "contacts": [1], "makeup": 1}


def test_client_returns_duplicates_and_partial_results(client: KeepItClient) -> None:
    client.insert_customers([MAPPED])
    duplicates = client.insert_customers([MAPPED])
    assert duplicates.code == 204 and duplicates.inserted == []
    assert duplicates.duplicated == [RecordMessage("12345", "The customer already exists.")]
    partial = client.insert_customers([MAPPED, customer("C2")])
    assert partial.partial and [i.customer_code for i in partial.inserted] == ["C2"]


def test_client_raises_400_with_the_record_errors(client: KeepItClient) -> None:
    record = customer("C1", mappings=[UNMATCHED])
    with pytest.raises(KeepItError) as caught:
        client.insert_customers([record])
    error = caught.value
    assert error.status == 400 and error.code == 400
    assert error.errors == [
        RecordMessage("C1", "Il customer code non è specificato nell'array mappings.")
    ]


def test_client_raises_422_for_a_card_held_by_another_customer(client: KeepItClient) -> None:
    fidelity = {
        "cardType": "FIDELITY",
        "cardSubtype": "GEN",
        "circuit": "SINESY",
        "card": "1",
        "cardBarcode": "1357924711",
    }
    client.insert_customers([customer("C1", cards=[fidelity])])
    with pytest.raises(KeepItError) as caught:
        client.insert_customers([customer("C2", cards=[fidelity])])
    assert caught.value.status == 422 and caught.value.errors[0].customer_code == "C2"


def test_client_raises_401_for_wrong_credentials(app: object) -> None:
    wrong = DEMO | {"password": "nope"}
    transport = SyncASGITransport(app)
    with (
        KeepItClient(BASE, **wrong, transport=transport) as keepit,
        pytest.raises(KeepItError) as caught,
    ):
        keepit.insert_customers([customer("C1")])
    assert caught.value.status == 401 and caught.value.code == 401


def test_client_raises_404_when_the_alias_is_not_served() -> None:
    """A service that does not know insertClient_v3 answers the vendor's 'No alias found'."""
    body = {"success": False, "message": "No alias found for 'insertClient_v3'"}
    transport = httpx.MockTransport(lambda request: httpx.Response(404, json=body))
    with (
        KeepItClient(BASE, **DEMO, transport=transport) as keepit,
        pytest.raises(KeepItError) as caught,
    ):
        keepit.insert_customers([customer("C1")])
    assert caught.value.status == 404 and caught.value.code is None
    assert caught.value.message == body["message"]


def test_client_raises_500_from_an_injected_fault(app: object, client: KeepItClient) -> None:
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers") as admin:
        fault = {"vendor": "keepit", "kind": "status", "status": 500, "times": 1}
        admin.post("/__admin/faults", json=fault)
    with pytest.raises(KeepItError) as caught:
        client.insert_customers([customer("C1")])
    assert caught.value.status == 500 and caught.value.code == 500
    assert client.insert_customers([customer("C1")]).code == 200


def test_client_raises_429_unless_asked_to_wait() -> None:
    app = create_app(LIMITED)
    with KeepItClient(BASE, **DEMO, transport=SyncASGITransport(app)) as keepit:
        keepit.insert_customers([customer("C1")])
        keepit.insert_customers([customer("C2")])
        with pytest.raises(KeepItError) as caught:
            keepit.insert_customers([customer("C3")])
    assert caught.value.status == 429 and caught.value.retry_after == 30


def test_client_waits_for_the_window_on_the_kits_clock_and_retries() -> None:
    app = create_app(LIMITED)
    admin = httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        admin.post("/__admin/clock", json={"advance_seconds": seconds})

    with (
        admin,
        KeepItClient(
            BASE, **DEMO, transport=SyncASGITransport(app), retry_rate_limited=True, sleep=sleep
        ) as keepit,
    ):
        for code in ("C1", "C2", "C3"):
            assert keepit.insert_customers([customer(code)]).code == 200
        statuses = [e["status"] for e in admin.get("/__admin/requests").json()]
    assert waits == [30]
    assert statuses == [200, 429, 200, 200]


def test_client_waits_out_a_429_fault_for_the_window() -> None:
    """A 429 fault says Retry-After as the call limit does: the client waits the window, not
    its 1 s default for a 429 without one."""
    app = create_app(LIMITED)
    waits: list[float] = []
    with (
        httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers") as admin,
        KeepItClient(
            BASE,
            **DEMO,
            transport=SyncASGITransport(app),
            retry_rate_limited=True,
            sleep=waits.append,
        ) as keepit,
    ):
        fault = {"vendor": "keepit", "kind": "status", "status": 429, "times": 1}
        admin.post("/__admin/faults", json=fault)
        assert keepit.insert_customers([customer("C1")]).code == 200
    assert waits == [30]


def test_client_gives_up_after_max_retries() -> None:
    app = create_app(LIMITED)
    waits: list[float] = []
    with KeepItClient(
        BASE,
        **DEMO,
        transport=SyncASGITransport(app),
        retry_rate_limited=True,
        max_retries=2,
        sleep=waits.append,  # never moves the clock: the window never frees up
    ) as keepit:
        keepit.insert_customers([customer("C1")])
        keepit.insert_customers([customer("C2")])
        with pytest.raises(KeepItError) as caught:
            keepit.insert_customers([customer("C3")])
    assert caught.value.status == 429 and waits == [30, 30]


def test_client_reads_a_retry_after_given_as_a_date() -> None:
    """RFC 9110 allows an HTTP date: it was read as no Retry-After, and the client waited 1 s."""
    limited = {"success": False, "code": 429, "message": "Too many requests", "errorObjects": []}
    answers = iter(
        [
            httpx.Response(
                429,
                json=limited,
                headers={
                    "Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT",
                    "Date": "Wed, 21 Oct 2026 07:28:00 GMT",
                },
            ),
            httpx.Response(200, json={"success": True, "code": 200, "message": "ok"}),
        ]
    )
    assert waits_before_done(answers) == [30.0]


@pytest.mark.parametrize(
    ("retry_after", "date"),
    [
        ("Wed, 21 Oct 2026 09:28:30 +0200", "Wed, 21 Oct 2026 07:28:00 -0000"),
        ("Wed, 21 Oct 2026 07:28:30 -0000", "Wed, 21 Oct 2026 09:28:00 +0200"),
    ],
    ids=["date-without-zone", "retry-after-without-zone"],
)
def test_a_retry_after_date_keeps_its_offset_when_the_other_date_has_no_zone(
    retry_after: str, date: str
) -> None:
    """A zone-less date ("-0000", read as UTC) made the client read the other one's time in
    UTC too, dropping its "+0200": a 30 s wait was 2 h 0 min 30 s (raised, past ``max_wait``),
    or none at all."""
    limited = {"success": False, "code": 429, "message": "Too many requests", "errorObjects": []}
    headers = {"Retry-After": retry_after, "Date": date}
    answer = httpx.Response(429, json=limited, headers=headers)
    with (
        KeepItClient(BASE, **DEMO, transport=httpx.MockTransport(lambda r: answer)) as keepit,
        pytest.raises(KeepItError) as caught,
    ):
        keepit.insert_customers([customer("C1")])
    assert caught.value.retry_after == 30.0


class _Refuse(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise AssertionError("the client sent a request it should have refused")


@pytest.mark.parametrize(
    "records",
    [
        [],
        [{"subjects": customer("C1")["subjects"]}],
        [customer("C1", action="U")],
        [customer("C1", contacts=[{"contactType": "EMAIL"}])],
    ],
)
def test_client_validates_before_any_io(records: list[dict[str, Any]]) -> None:
    with (
        KeepItClient(BASE, **DEMO, transport=_Refuse()) as keepit,
        pytest.raises(ContractViolation),
    ):
        keepit.insert_customers(records)


def test_client_validates_its_credential_headers_before_any_io() -> None:
    with (
        KeepItClient(BASE, **(DEMO | {"site_id": ""}), transport=_Refuse()) as keepit,
        pytest.raises(ContractViolation, match=r"insertClient_v3\.headers: siteId"),
    ):
        keepit.insert_customers([customer("C1")])


def test_client_without_validation_gets_the_vendors_answer(app: object) -> None:
    transport = SyncASGITransport(app)
    with (
        KeepItClient(BASE, **DEMO, validate=False, transport=transport) as keepit,
        pytest.raises(KeepItError) as caught,
    ):
        keepit.insert_customers([{"subjects": customer("C1")["subjects"]}])
    assert caught.value.errors[0].message == "Errore: action non valorizzato."


@pytest.mark.anyio
async def test_async_client_in_process_waits_on_the_kits_clock() -> None:
    app = create_app(LIMITED)
    admin = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m")

    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await admin.post("/__admin/clock", json={"advance_seconds": seconds})

    transport = httpx.ASGITransport(app=app)
    async with (
        admin,
        AsyncKeepItClient(
            BASE, **DEMO, transport=transport, retry_rate_limited=True, sleep=sleep
        ) as keepit,
    ):
        first = await keepit.insert_customers([MAPPED])
        assert first.inserted[0].sections["mapping"] == [1]
        assert (await keepit.insert_customers([MAPPED])).code == 204
        assert (await keepit.insert_customers([customer("C3")])).code == 200
        with pytest.raises(KeepItError) as caught:
            await keepit.insert_customers([customer("C4", mappings=[UNMATCHED])])
        assert caught.value.status == 400
    assert waits == [30]


LIMITED_NOW = {"success": False, "code": 429, "message": "Too many requests"}
DONE = {"success": True, "code": 200, "message": "ok"}
TRIO = importlib.util.find_spec("trio") is not None


@pytest.mark.parametrize(
    "backend",
    ["asyncio", pytest.param("trio", marks=pytest.mark.skipif(not TRIO, reason="no trio"))],
)
def test_async_client_waits_out_a_429_with_its_default_sleep_on_any_anyio_backend(
    backend: str,
) -> None:
    """The default wait was ``asyncio.sleep``: under trio (which httpx supports) the first 429
    raised a RuntimeError, no KeepItError, after the call was sent. The default is now
    anyio's, which waits on the loop the client runs on."""
    assert inspect.signature(AsyncKeepItClient).parameters["sleep"].default is anyio.sleep
    answers = iter(
        [
            httpx.Response(429, json=LIMITED_NOW, headers={"Retry-After": "0"}),
            httpx.Response(200, json=DONE),
        ]
    )
    transport = httpx.MockTransport(lambda request: next(answers))

    async def insert() -> int:
        async with AsyncKeepItClient(
            BASE, **DEMO, transport=transport, retry_rate_limited=True
        ) as keepit:
            return (await keepit.insert_customers([customer("C1")])).code

    assert anyio.run(insert, backend=backend) == 200


def test_client_waits_out_a_429_in_the_body_of_an_http_200() -> None:
    """KeepIT's body ``code`` is the outcome: a 429 there (at HTTP 200, as a gateway or the
    service may send it) was raised at once though the caller asked to wait."""
    answers = iter(
        [
            httpx.Response(200, json=LIMITED_NOW, headers={"Retry-After": "5"}),
            httpx.Response(200, json=DONE),
        ]
    )
    assert waits_before_done(answers) == [5.0]


def test_client_over_a_socket_against_mockserver(mockserver: MockServer) -> None:
    with KeepItClient(mockserver.base_url("keepit"), **DEMO) as keepit:
        assert keepit.insert_customers([MAPPED]).inserted[0].prog_id == 1
        assert keepit.insert_customers([MAPPED]).code == 204
    (entry, _) = mockserver.requests(vendor="keepit", operation="insertClient_v3")
    assert entry["status"] == 200 and entry["headers"]["password"] == "***"
    state = mockserver.state("keepit")["tenants"]["1/1"]["subjects"]
    assert state["1"]["subjects"]["customerCode"] == "12345"


def _limited_by(retry_after: str) -> httpx.MockTransport:
    """A service answering every call 429 with this ``Retry-After``."""
    return httpx.MockTransport(
        lambda request: httpx.Response(429, json=LIMITED_NOW, headers={"Retry-After": retry_after})
    )


def _refused_after(retry_after: str, **options: Any) -> tuple[KeepItError, list[float]]:
    """The error a patient client raises against :func:`_limited_by`, and what it waited."""
    waits: list[float] = []
    transport = _limited_by(retry_after)
    with (
        KeepItClient(
            BASE,
            **DEMO,
            transport=transport,
            retry_rate_limited=True,
            sleep=waits.append,
            **options,
        ) as keepit,
        pytest.raises(KeepItError) as caught,
    ):
        keepit.insert_customers([customer("C1")])
    return caught.value, waits


LONGER_THAN_THE_CAP = ["inf", "Infinity", "1e12", "86400", "300.5"]


@pytest.mark.parametrize("retry_after", LONGER_THAN_THE_CAP)
def test_client_raises_a_429_it_would_wait_too_long_for(retry_after: str) -> None:
    """``Retry-After`` was unbounded: ``inf`` or ``1e12`` made ``time.sleep`` raise an
    OverflowError (no KeepItError), and ``86400`` waited a day before the call failed."""
    error, waits = _refused_after(retry_after)
    assert error.status == 429 and error.retry_after == float(retry_after)
    assert waits == []


@pytest.mark.parametrize("retry_after", LONGER_THAN_THE_CAP)
def test_async_client_raises_a_429_it_would_wait_too_long_for(retry_after: str) -> None:
    """The async client slept for ever on ``inf``."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def insert() -> None:
        async with AsyncKeepItClient(
            BASE, **DEMO, transport=_limited_by(retry_after), retry_rate_limited=True, sleep=sleep
        ) as keepit:
            await keepit.insert_customers([customer("C1")])

    with pytest.raises(KeepItError) as caught:
        anyio.run(insert)
    assert caught.value.status == 429 and waits == []


@pytest.mark.parametrize(
    ("retry_after", "options", "waits"),
    [
        ("300", {}, [300.0] * 3),  # the default cap, reached
        ("30", {"max_wait": 10.0}, []),  # a cap of the caller's own
        ("-5", {}, [0.0] * 3),  # a time already past: no wait
        ("nan", {}, [1.0] * 3),  # no number: as without one
    ],
)
def test_client_waits_a_retry_after_up_to_max_wait(
    retry_after: str, options: dict[str, float], waits: list[float]
) -> None:
    assert inspect.signature(KeepItClient).parameters["max_wait"].default == 300.0
    assert inspect.signature(AsyncKeepItClient).parameters["max_wait"].default == 300.0
    error, waited = _refused_after(retry_after, **options)
    assert error.status == 429 and waited == waits
