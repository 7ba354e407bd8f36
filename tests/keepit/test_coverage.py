"""4WS.KeepIT coverage: every documented situation of the catalogue, provoked through HTTP, is
reported met by ``GET /__admin/coverage`` (globally and in a session)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockservers import create_app
from mockservers.keepit import KeepIt
from mockservers.keepit import coverage as c
from mockservers.testing import IN_PROCESS_URL, Session, SyncASGITransport
from tests.coverage_kit import Scenario, Tester, check_catalogue, check_scenario, met_count
from tests.data import keepit_card as card
from tests.data import keepit_customer

API = "/keepit/api"
QUERY = {"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"}
CONFIG = {"keepit": {"rate_limit_calls": 3}}  # the 429 after 3 calls, not 100


def headers(t: Tester, password: str | None = None) -> dict[str, str]:
    account = t.creds("keepit")
    return {
        "username": account["username"],
        "password": password or account["password"],
        "companyId": account["company_id"],
        "siteId": account["site_id"],
    }


customer = keepit_customer


def mapping(code: str, field: str = "CUSTOMER_ID") -> dict[str, str]:
    return {"system": "DW", "externalField": field, "externalCode": code}


def send(t: Tester, *records: Any, password: str | None = None, **query: str) -> Any:
    response = t.http.post(
        API,
        params=QUERY | query,
        headers=headers(t, password),
        json={"subjectsRecords": list(records)},
    )
    return response.status_code, response.json(), response.headers


def code(t: Tester, *records: Any) -> Any:
    return send(t, *records)[1].get("code")


def success(t: Tester) -> None:
    assert code(t, customer("C1")) == 200


def duplicates(t: Tester) -> None:
    code(t, customer("C1"))
    assert code(t, customer("C1")) == 204


def partial(t: Tester) -> None:
    code(t, customer("C1"))
    assert code(t, customer("C2"), customer("C1")) == 206


def refused(t: Tester) -> None:
    assert code(t) == 400  # no subjectsRecords at all
    assert code(t, customer("C1", action="U")) == 400  # every record fails


def unauthorized(t: Tester) -> None:
    assert send(t, customer("C1"), password="wrong")[0] == 401


def alias_not_found(t: Tester) -> None:
    assert send(t, customer("C1"), cmd="insertClient_v9")[0] == 404


def unique_constraint(t: Tester) -> None:
    code(t, customer("C1", cards=[card("111")]))
    assert code(t, customer("C2", cards=[card("111")])) == 422


def rate_limited(t: Tester) -> None:
    for number in range(3):
        code(t, customer(f"C{number}"))
    status, _, answer_headers = send(t, customer("C9"))
    assert status == 429 and int(answer_headers["Retry-After"]) > 0


def server_error(t: Tester) -> None:
    t.scope.fault(vendor="keepit", kind="status", status=500, times=1)
    assert code(t, customer("C1")) == 500


def updated(t: Tester) -> None:
    prog_id = send(t, customer("C1"))[1]["insertedObjects"][0]["progId"]
    again = customer("C1", action="U")
    again["subjects"]["progId"] = prog_id
    assert code(t, again) == 200


def record_not_found(t: Tester) -> None:
    missing = customer("C1", action="U")
    missing["subjects"]["progId"] = 999
    assert send(t, missing)[1]["errorObjects"][0]["errorMessage"].startswith("Nessun record")


def mandatory_field(t: Tester) -> None:
    record = customer("C1")
    del record["subjects"]["system"]
    assert code(t, record) == 400


def not_in_mappings(t: Tester) -> None:
    assert code(t, customer("C1", mappings=[mapping("OTHER")])) == 400


def mapping_code_taken(t: Tester) -> None:
    code(t, customer("C1", mappings=[mapping("C1"), mapping("X", "CUSTOMER_NO")]))
    assert code(t, customer("C2", mappings=[mapping("C2"), mapping("X", "CUSTOMER_NO")])) == 400


def mapping_code_discarded(t: Tester) -> None:
    code(t, customer("C1", mappings=[mapping("C1"), mapping("X", "CUSTOMER_NO")]))
    prog_id = send(t, customer("C2", mappings=[mapping("C2")]))[1]["insertedObjects"][0]["progId"]
    update = customer("C2", action="U", mappings=[mapping("C2"), mapping("X", "CUSTOMER_NO")])
    update["subjects"]["progId"] = prog_id
    assert code(t, update) == 200  # the code C1 holds is discarded, the update goes through


SCENARIOS: dict[str, Scenario] = {
    c.SUCCESS.id: success,
    c.DUPLICATES.id: duplicates,
    c.PARTIAL.id: partial,
    c.REFUSED.id: refused,
    c.UNAUTHORIZED.id: unauthorized,
    c.ALIAS_NOT_FOUND.id: alias_not_found,
    c.UNIQUE_CONSTRAINT.id: unique_constraint,
    c.RATE_LIMITED.id: rate_limited,
    c.SERVER_ERROR.id: server_error,
    c.INSERTED.id: success,
    c.UPDATED.id: updated,
    c.RECORD_NOT_FOUND.id: record_not_found,
    c.MANDATORY_FIELD.id: mandatory_field,
    c.DUPLICATE_RECORD.id: duplicates,
    c.NOT_IN_MAPPINGS.id: not_in_mappings,
    c.MAPPING_CODE_TAKEN.id: mapping_code_taken,
    c.MAPPING_CODE_DISCARDED.id: mapping_code_discarded,
}


def test_every_catalogued_situation_has_a_scenario() -> None:
    check_catalogue(KeepIt, SCENARIOS)


@pytest.mark.parametrize("behaviour", list(SCENARIOS))
def test_the_scenario_meets_its_situation(behaviour: str) -> None:
    check_scenario("keepit", behaviour, SCENARIOS[behaviour], config=CONFIG)


def test_an_update_resending_its_own_mapping_counts_it_discarded() -> None:
    """The usual connector update sends the customer's mappings again: the seed discards the
    codes that exist, the customer's own as another's, so the session has met the situation
    (it was answered right but not counted, and coverage reported it missed)."""
    with (
        httpx.Client(transport=SyncASGITransport(create_app()), base_url=IN_PROCESS_URL) as http,
        Session.open(http, base_url=IN_PROCESS_URL) as session,
    ):
        t = Tester(http, session, session.credentials)
        own = [{"externalField": "CUSTOMER_ID", "externalCode": "D1"}]
        inserted = send(t, customer("D1", mappings=own))[1]["insertedObjects"][0]
        again = customer("D1", action="U", mappings=own)
        again["subjects"]["progId"] = inserted["progId"]
        answer = send(t, again)[1]
        assert answer["code"] == 200
        assert answer["insertedObjects"][0]["mapping"] == inserted["mapping"]  # the one kept
        assert session.requests(vendor="keepit")[0]["behaviours"] == [
            c.MAPPING_CODE_DISCARDED.id,
            c.UPDATED.id,
            c.SUCCESS.id,
        ]
        assert c.MAPPING_CODE_DISCARDED.id not in session.missed("keepit")["keepit"]
        assert met_count(session, "keepit", c.MAPPING_CODE_DISCARDED.id) == 1
