"""The QuoParts reference client, in-process (sync and async) and over a socket."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from clients import AsyncQuoPartsClient, ContractViolation, QuoPartsClient, QuoPartsError
from mockservers import create_app
from mockservers.testing import MockServer, SyncASGITransport

ROW = {"DES_NOM": "Rossi S.r.l.", "COD_PTA_IVA": "12345678901", "COD_CLI_ERP": "CLI001"}
HEADER = {"COD_CLI_ERP": "CLI001", "COD_TGA": "AB123CD", "DES_VCL": "Fiat Panda"}
ARTICLE = {"DES_RGR": "Filtro olio", "COD_ART_PVT": "1883037", "IMP_LST_PVT": 14.57}
BASE = "http://mockservers/quoparts"


@pytest.fixture
def client(app: object) -> QuoPartsClient:
    with QuoPartsClient(BASE, "demo", "demo", transport=SyncASGITransport(app)) as qp:
        yield qp


def test_client_imports_customers_and_a_quote(client: QuoPartsClient) -> None:
    (result,) = client.import_customers([ROW])
    assert result.ok and result.erp_code == "CLI001" and result.error_code == "0"
    assert result.customer_code == "000001" and result.username == "M00001"
    assert result.password and len(result.password) == 6
    assert client.import_quote(HEADER, [ARTICLE]) == "000001"


def test_a_result_s_repr_hides_the_generated_password(client: QuoPartsClient) -> None:
    """``print(results)`` or ``log.info("%s", results)`` showed each new customer's password,
    which the journal masks (COD_PWD) and an XtraSession's repr hides (its token)."""
    results = client.import_customers([ROW])
    password = results[0].password
    assert password and password not in repr(results) and "M00001" in repr(results)


def test_client_reports_per_row_errors_without_raising(client: QuoPartsClient) -> None:
    client.validate = False
    results = client.import_customers([ROW, {"COD_CLI_ERP": "BAD"}])
    assert [r.ok for r in results] == [True, False]
    assert results[1].error_code == "100" and results[1].customer_code is None


def test_client_logs_in_again_once_when_the_token_expires(
    app: object, client: QuoPartsClient
) -> None:
    first = client.login()
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers") as admin:
        admin.post("/__admin/clock", json={"advance_seconds": 3600})
        client.import_customers([ROW])
        logins = admin.get("/__admin/requests", params={"operation": "login"}).json()
    assert len(logins) == 2 and client.token != first


def test_client_raises_the_vendors_code_for_a_top_level_error(client: QuoPartsClient) -> None:
    client.import_customers([ROW])
    with pytest.raises(QuoPartsError) as caught:
        client.import_quote(HEADER | {"COD_CLI_ERP": "NOPE"}, [ARTICLE])
    error = caught.value
    assert error.code == "107" and error.message == "Errore durante la creazione del preventivo"
    assert "NOPE" in error.detail  # the kit's diagnosis, from X-Mockservers-Detail


def test_client_wrong_password_raises_101(app: object) -> None:
    with QuoPartsClient(BASE, "demo", "wrong", transport=SyncASGITransport(app)) as qp:
        with pytest.raises(QuoPartsError) as caught:
            qp.login()
        assert caught.value.code == "101" and caught.value.message == "Utente non Accreditato"


class _Refuse(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise AssertionError("the client sent a request it should have refused")


@pytest.mark.parametrize(
    "call",
    [
        lambda qp: qp.import_customers([{"DES_NOM": "no codes"}]),
        lambda qp: qp.import_quote(HEADER, []),
        lambda qp: qp.import_quote(HEADER, [ARTICLE | {"QTA_DET_PVT": "1"}]),
    ],
)
def test_client_validates_before_any_io(call: object) -> None:
    with (
        QuoPartsClient(BASE, "demo", "demo", transport=_Refuse()) as qp,
        pytest.raises(ContractViolation),
    ):
        call(qp)  # type: ignore[operator]


def test_client_validates_its_credentials_before_any_io() -> None:
    """The login's query has a contract too: an empty password never leaves the client."""
    with (
        QuoPartsClient(BASE, "demo", "", transport=_Refuse()) as qp,
        pytest.raises(
            ContractViolation, match=r"login\.query: password: breaks the rule 'minLength' \(1\)"
        ),
    ):
        qp.login()


@pytest.mark.anyio
async def test_async_client_in_process(app: object) -> None:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with AsyncQuoPartsClient(BASE, "demo", "demo", transport=transport) as qp:
        (result,) = await qp.import_customers([ROW])
        assert result.ok
        assert await qp.import_quote(HEADER, [ARTICLE]) == "000001"


def test_client_over_a_socket_against_mockserver(mockserver: MockServer) -> None:
    with QuoPartsClient(mockserver.base_url("quoparts"), "demo", "demo") as qp:
        qp.import_customers([ROW])
        assert qp.import_quote(HEADER, [ARTICLE]) == "000001"
    mockserver.advance(3600)
    with QuoPartsClient(mockserver.base_url("quoparts"), "demo", "demo") as qp:
        assert qp.import_customers([ROW])[0].customer_code == "000001"
    operations = [e["operation"] for e in mockserver.requests(vendor="quoparts")]
    assert operations == ["importCli", "login", "importPvt", "importCli", "login"]


def test_mockserver_fixture_is_reset_between_tests(mockserver: MockServer) -> None:
    assert mockserver.state("quoparts") == {"tenants": {}}
    assert mockserver.requests() == []


def test_mockservers_app_fixture_is_an_in_process_app(mockservers_app: object) -> None:
    with QuoPartsClient(BASE, "demo", "demo", transport=SyncASGITransport(mockservers_app)) as qp:
        assert qp.login()


def test_an_answer_it_cannot_read_is_invalid_response_quoting_no_password(app: object) -> None:
    """The message quoted the raw answer: with a malformed importCli, the customers'
    generated passwords (COD_PWD), which the journal masks."""
    from clients import InvalidResponse

    with httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers") as admin:
        fault = {"vendor": "quoparts", "operation": "importCli", "kind": "malformed", "times": 1}
        assert admin.post("/__admin/faults", json=fault).status_code == 201
        with QuoPartsClient(BASE, "demo", "demo", transport=SyncASGITransport(app)) as qp:
            rows = [ROW | {"COD_CLI_ERP": f"CLI{n}"} for n in range(4)]
            with pytest.raises(InvalidResponse) as broken:
                qp.import_customers(rows)
        state = admin.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
    assert "not JSON" in str(broken.value)
    for customer in state.values():
        assert customer["COD_PWD"] not in str(broken.value)


@pytest.mark.parametrize("data", [None, [1], {}], ids=["null", "not-rows", "object"])
def test_an_answer_of_the_wrong_shape_is_invalid_response_not_a_type_error(data: object) -> None:
    from clients import InvalidResponse

    def answer(request: httpx.Request) -> httpx.Response:
        if "login" in request.url.params:
            return httpx.Response(
                200, json={"errorCode": "0", "error": "", "data": [{"TOKEN": "t"}]}
            )
        return httpx.Response(200, json={"errorCode": "0", "error": "", "data": data})

    transport = httpx.MockTransport(answer)
    with (
        QuoPartsClient(BASE, "u", "p", transport=transport) as qp,
        pytest.raises(InvalidResponse, match=r"importCli answer's data(\[0\])? is"),
    ):
        qp.import_customers([ROW])


@pytest.mark.parametrize("token", ["T\n", "T\r\nX-Evil: 1", "T\x00", "SECRÉT", "a&importPvt=#"])
def test_a_token_no_header_could_carry_travels_encoded_in_the_query(token: str) -> None:
    """QuoParts sends its token in the query, not a header: httpx percent-encodes it there,
    so a line break or a letter beyond ASCII reaches the vendor as it was given."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        data = [{"TOKEN": token}] if "login" in request.url.params else []
        return httpx.Response(200, json={"errorCode": "0", "error": "", "data": data})

    with QuoPartsClient(BASE, "u", "p", transport=httpx.MockTransport(answer)) as qp:
        assert qp.import_customers([ROW]) == []
    call = seen[-1].url
    assert call.params["token"] == token and list(call.params) == ["importCli", "token"]
    assert all(32 < byte < 127 for byte in call.raw_path)


def test_client_logs_in_again_on_the_code_it_is_told_the_vendor_uses() -> None:
    """VENDORS.md makes the token's refusal configurable (a sandbox may say "102"): a client
    that knew only "101" raised the expiry instead of logging in again, whatever its user
    had learnt of the real service."""
    app = create_app({"quoparts": {"auth_error_code": "102", "auth_error_message": "Scaduto"}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers") as admin:

        def expired_client(**options: Any) -> QuoPartsClient:
            client = QuoPartsClient(
                BASE, "demo", "demo", transport=SyncASGITransport(app), **options
            )
            client.login()
            admin.post("/__admin/clock", json={"advance_seconds": 3600})
            return client

        with expired_client(reauth_codes=("102",)) as told:
            assert told.import_customers([ROW])[0].ok
        with expired_client() as untold, pytest.raises(QuoPartsError) as caught:
            untold.import_customers([ROW])
        journal = admin.get("/__admin/requests", params={"vendor": "quoparts"}).json()
    assert (caught.value.code, caught.value.message) == ("102", "Scaduto")
    assert [entry["operation"] for entry in reversed(journal)] == [
        *("login", "importCli", "login", "importCli"),  # refused, logged in again, sent again
        *("login", "importCli"),  # refused with a code the client does not know: raised
    ]


def test_reauth_codes_are_a_collection_not_one_string() -> None:
    with pytest.raises(TypeError, match=r"such as \('102',\)"):
        QuoPartsClient(BASE, "demo", "demo", reauth_codes="102")
