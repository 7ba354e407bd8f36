"""TS Digital coverage: every documented situation of the catalogue, provoked through HTTP, is
reported met by ``GET /__admin/coverage`` (globally and in a session); FAILED counts once per
item, in its scope, when time settles it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockservers import create_app
from mockservers.core.redis_store import RedisStore
from mockservers.testing import SyncASGITransport
from mockservers.tsdigital import TsDigital
from mockservers.tsdigital import coverage as c
from tests.coverage_kit import (
    GlobalScope,
    Scenario,
    Tester,
    check_catalogue,
    check_scenario,
    met_count,
)

ITEMS = "/tsdigital/api/v3/items"
MINIMAL = {"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}}
STANDARD = {"X-App-Name": "tests", "X-App-Version": "1.0"}
CONFIG = {"tsdigital": {"processing_delay_seconds": 5}}
SPECIAL = ["items:create", "special"]


def create(t: Tester, token: str | None, payload: Any = MINIMAL, **headers: str) -> int:
    auth = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return t.http.post(ITEMS, json=payload, headers=STANDARD | auth | headers).status_code


def user(t: Tester) -> str:
    return t.scope.tsdigital_token()


def accepted(t: Tester) -> None:
    assert create(t, user(t)) == 202


def accepted_validated(t: Tester) -> None:
    token = t.scope.tsdigital_token("app-key", SPECIAL)
    assert create(t, token, MINIMAL | {"validated": True}) == 202


def accepted_certified(t: Tester) -> None:
    token = t.scope.tsdigital_token("app-key", SPECIAL)
    assert create(t, token, MINIMAL | {"validated": True, "certified": True}) == 202


def processing_failed(t: Tester) -> None:
    t.scope.fault(vendor="tsdigital", kind="processing_failure", times=1)
    assert create(t, user(t)) == 202
    assert met_count(t.scope, "tsdigital", c.PROCESSING_FAILED.id) == 0  # still PROCESSING
    t.scope.advance(5)  # the coverage read that follows settles it


def token_missing(t: Tester) -> None:
    assert create(t, None) == 401


def token_invalid(t: Tester) -> None:
    assert create(t, "nope") == 401


def token_expired(t: Tester) -> None:
    token = t.scope.tsdigital_token(ttl_seconds=10)
    t.scope.advance(10)
    assert create(t, token) == 401


def standard_headers(t: Tester) -> None:
    response = t.http.post(
        ITEMS, json=MINIMAL, headers={"Authorization": f"Bearer {user(t)}", "X-App-Version": "1"}
    )
    assert response.status_code == 400


def content_type(t: Tester) -> None:
    response = t.http.post(
        ITEMS,
        content=b'{"item": {}}',
        headers=STANDARD | {"Authorization": f"Bearer {user(t)}", "Content-Type": "text/plain"},
    )
    assert response.status_code == 400


def invalid_body(t: Tester) -> None:
    assert create(t, user(t), {"item": "not an object"}) == 400


def owner_ids_with_no_ownership(t: Tester) -> None:
    token = t.scope.tsdigital_token("backoffice")
    assert create(t, token, MINIMAL | {"ownerIds": ["u1"], "noOwnership": True}) == 400


def certified_without_validated(t: Tester) -> None:
    token = t.scope.tsdigital_token("app-key", SPECIAL)
    assert create(t, token, MINIMAL | {"certified": True}) == 400


def app_key_cannot_create(t: Tester) -> None:
    assert create(t, t.scope.tsdigital_token("app-key")) == 403


def special_roles(t: Tester) -> None:
    assert create(t, user(t), MINIMAL | {"noOwnership": True}) == 403


def owner_ids_backoffice(t: Tester) -> None:
    assert create(t, user(t), MINIMAL | {"ownerIds": ["u1"]}) == 403


def studio_denied(t: Tester) -> None:
    assert create(t, user(t), MINIMAL | {"studioId": "S1"}) == 403


def server_error(t: Tester) -> None:
    t.scope.fault(vendor="tsdigital", kind="status", status=500, times=1)
    assert create(t, user(t)) == 500


def bad_gateway(t: Tester) -> None:
    t.scope.fault(vendor="tsdigital", kind="status", status=502, times=1)
    assert create(t, user(t)) == 502


SCENARIOS: dict[str, Scenario] = {
    c.ACCEPTED.id: accepted,
    c.ACCEPTED_VALIDATED.id: accepted_validated,
    c.ACCEPTED_CERTIFIED.id: accepted_certified,
    c.PROCESSING_FAILED.id: processing_failed,
    c.TOKEN_MISSING.id: token_missing,
    c.TOKEN_INVALID.id: token_invalid,
    c.TOKEN_EXPIRED.id: token_expired,
    c.STANDARD_HEADERS.id: standard_headers,
    c.CONTENT_TYPE.id: content_type,
    c.INVALID_BODY.id: invalid_body,
    c.OWNER_IDS_WITH_NO_OWNERSHIP.id: owner_ids_with_no_ownership,
    c.CERTIFIED_WITHOUT_VALIDATED.id: certified_without_validated,
    c.APP_KEY_CANNOT_CREATE.id: app_key_cannot_create,
    c.SPECIAL_ROLES.id: special_roles,
    c.OWNER_IDS_BACKOFFICE.id: owner_ids_backoffice,
    c.STUDIO_DENIED.id: studio_denied,
    c.SERVER_ERROR.id: server_error,
    c.BAD_GATEWAY.id: bad_gateway,
}
NAMES_NO_SESSION = {c.TOKEN_MISSING.id, c.TOKEN_INVALID.id}
"""No token, or an unknown one, names no session: such a call belongs to the global scope."""


def test_every_catalogued_situation_has_a_scenario() -> None:
    check_catalogue(TsDigital, SCENARIOS)


@pytest.mark.parametrize("behaviour", list(SCENARIOS))
def test_the_scenario_meets_its_situation(behaviour: str) -> None:
    named = behaviour not in NAMES_NO_SESSION
    check_scenario("tsdigital", behaviour, SCENARIOS[behaviour], config=CONFIG, names_session=named)


def test_failed_counts_on_the_call_that_settles_it_once_per_item(http: httpx.Client) -> None:
    """Settled by the tenant's next call: that call's journal entry carries it; a later read
    settles nothing more, so it is counted once."""
    scope = GlobalScope(http)
    scope.fault(vendor="tsdigital", kind="processing_failure", times=1)
    token = scope.tsdigital_token()
    headers = STANDARD | {"Authorization": f"Bearer {token}"}
    assert http.post(ITEMS, json=MINIMAL, headers=headers).status_code == 202
    assert http.post(ITEMS, json=MINIMAL, headers=headers).status_code == 202
    latest = scope.requests(vendor="tsdigital")[0]
    assert c.PROCESSING_FAILED.id in latest["behaviours"]
    scope.state("tsdigital")
    assert met_count(scope, "tsdigital", c.PROCESSING_FAILED.id) == 1
    assert scope.count(vendor="tsdigital", error_code="400") == 0


@pytest.fixture
def delayed(kit_store: str, request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """A client of a kit whose items settle 5 s after they are accepted (on Redis for an
    ``every_store`` test's second run)."""
    store = None
    if kit_store == "redis":
        store = RedisStore(request.getfixturevalue("redis_url"), prefix=f"t-{uuid.uuid4().hex}")
    app = create_app(CONFIG, store=store)
    transport = SyncASGITransport(app, lifespan=store is not None)
    with httpx.Client(transport=transport, base_url="http://mockservers") as client:
        yield client


def _failing_items(scope: GlobalScope, headers: dict[str, str], items: int) -> None:
    """``items`` accepted items that are to end FAILED, then the clock past their ready time
    (nothing read them yet: they are still PROCESSING in the kit)."""
    scope.fault(vendor="tsdigital", kind="processing_failure", times=items)
    for _ in range(items):
        assert scope.http.post(ITEMS, json=MINIMAL, headers=headers).status_code == 202
    scope.advance(30)


def _statuses(scope: GlobalScope) -> list[str]:
    items = scope.state("tsdigital")["tenants"]["demo"]["items"]
    return sorted(item["status"] for item in items.values())


@pytest.mark.every_store
@pytest.mark.parametrize("kind", ["drop", "malformed"])
def test_failed_settled_by_a_call_a_fault_broke_still_counts(
    delayed: httpx.Client, kind: str
) -> None:
    """The call that settled the item met a drop fault (the connector saw no answer) or a
    malformed one (it saw no answer it could read), so what the call itself met is not counted,
    but the item did end FAILED. Its FAILED was cleared with the call's situations, and never
    counted: the state said FAILED, coverage said unmet."""
    scope = GlobalScope(delayed)
    headers = STANDARD | {"Authorization": f"Bearer {scope.tsdigital_token()}"}
    _failing_items(scope, headers, 1)
    scope.fault(vendor="tsdigital", kind=kind, times=1)
    if kind == "drop":
        with pytest.raises(httpx.RemoteProtocolError):
            delayed.post(ITEMS, json=MINIMAL, headers=headers)
    else:
        answer = delayed.post(ITEMS, json=MINIMAL, headers=headers)
        assert answer.status_code == 202 and answer.content != b""
        with pytest.raises(ValueError):
            answer.json()
    assert _statuses(scope) == ["FAILED", "PROCESSING"]
    assert met_count(scope, "tsdigital", c.PROCESSING_FAILED.id) == 1
    assert met_count(scope, "tsdigital", c.ACCEPTED.id) == 1  # the dropped call's 202: unseen
    dropped = scope.requests(vendor="tsdigital")[0]
    assert dropped["behaviours"] == [c.PROCESSING_FAILED.id]


@pytest.mark.parametrize("settled_by", ["state read", "next call"])
def test_failed_counts_once_per_item_whatever_settles_it(
    delayed: httpx.Client, settled_by: str
) -> None:
    """Two items due together: a state read counted 2, the tenant's next call 1 (a situation
    met twice in one call counts once, and the call's count took both items' FAILED). The
    call's entry shows the situation once, as it shows every situation."""
    scope = GlobalScope(delayed)
    headers = STANDARD | {"Authorization": f"Bearer {scope.tsdigital_token()}"}
    _failing_items(scope, headers, 2)
    if settled_by == "next call":
        assert delayed.post(ITEMS, json=MINIMAL, headers=headers).status_code == 202
        latest = scope.requests(vendor="tsdigital")[0]
        assert latest["behaviours"].count(c.PROCESSING_FAILED.id) == 1
    assert _statuses(scope).count("FAILED") == 2
    assert met_count(scope, "tsdigital", c.PROCESSING_FAILED.id) == 2
