"""TS Digital through HTTP: the seed's example and rules, each status, tokens and the
asynchronous lifecycle on the kit's clock."""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import contracts
from contracts import contract, load_schema
from mockservers import create_app
from mockservers.config import ConfigError
from mockservers.core.redis_store import RedisStore
from mockservers.testing import SyncASGITransport
from mockservers.tsdigital.models import item_uuid

pytestmark = pytest.mark.every_store  # the same behaviour on every store

ITEMS = "/tsdigital/api/v3/items"
SEED = load_schema("tsdigital/createItem.request")["x-refused-examples"][0]["example"]
MINIMAL = {"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}}
SPECIAL_APP_KEY = ["items:create", "special", "studio:string"]
TIMESTAMP = re.compile(r"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}$")


def mint(
    http: httpx.Client, kind: str = "user", grants: list[str] | None = None, **extra: Any
) -> str:
    body = {"kind": kind, "grants": grants or [], **extra}
    response = http.post("/__admin/tsdigital/tokens", json=body)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def std_headers(token: str | None) -> dict[str, str]:
    headers = {"X-App-Name": "tests", "X-App-Version": "1.0"}
    return headers | ({"Authorization": f"Bearer {token}"} if token is not None else {})


def create(
    http: httpx.Client, token: str | None, payload: Any = MINIMAL, **headers: str
) -> httpx.Response:
    return http.post(ITEMS, json=payload, headers=std_headers(token) | headers)


def items(http: httpx.Client, tenant: str = "demo") -> dict[str, Any]:
    tenants = http.get("/__admin/state/tsdigital").json()["tenants"]
    return tenants.get(tenant, {}).get("items", {})


def without(payload: dict[str, Any], *keys: str, **changes: Any) -> dict[str, Any]:
    out = {k: v for k, v in copy.deepcopy(payload).items() if k not in keys}
    return out | changes


def assert_error(response: httpx.Response, status: int, phrase: str) -> list[dict[str, Any]]:
    """The seed's shared error body, exactly; returns its subErrors."""
    assert response.status_code == status, response.text
    body = response.json()
    assert contract("tsdigital/error.response").check(body) == []
    assert set(body) == {"code", "message", "status", "subErrors", "timestamp"}
    assert body["code"] == str(status) and body["status"] == phrase
    assert TIMESTAMP.match(body["timestamp"])
    return body["subErrors"]


def fields(response: httpx.Response) -> list[str]:
    return [e["field"] for e in response.json()["subErrors"]]


def advance(http: httpx.Client, seconds: float) -> None:
    assert http.post("/__admin/clock", json={"advance_seconds": seconds}).status_code == 200


Process = Callable[[dict[str, Any]], AbstractContextManager[httpx.Client]]


@pytest.fixture
def process(kit_store: str, request: pytest.FixtureRequest, tmp_path: Path) -> Process:
    """Opens a process of the kit with a config on the test's store, each after the last on
    the same state: on Redis another process of one namespace (a replica), in memory the same
    state file opened again (a restart)."""
    if kit_store == "redis":
        url, prefix = request.getfixturevalue("redis_url"), f"test-{uuid.uuid4().hex}"

        def app_of(config: dict[str, Any]) -> Any:
            return create_app(config, store=RedisStore(url, prefix=prefix))
    else:

        def app_of(config: dict[str, Any]) -> Any:
            return create_app(config, state_file=str(tmp_path / "state.db"))

    @contextmanager
    def opened(config: dict[str, Any]) -> Iterator[httpx.Client]:
        transport = SyncASGITransport(app_of(config), lifespan=True)
        with httpx.Client(transport=transport, base_url="http://t") as http:
            yield http

    return opened


def frozen(start: str = "2026-03-29T00:45:00Z", **tsdigital: Any) -> dict[str, Any]:
    """A config whose clock stands at ``start``, with these ``[tsdigital]`` keys."""
    return {"kit": {"clock": {"start": start, "frozen": True}}, "tsdigital": tsdigital}


def now(http: httpx.Client) -> str:
    return http.get("/__admin/clock").json()["now"]


# -- the seed's example ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["app-key", "backoffice", "user"])
def test_seed_example_is_refused_400_by_rule_ownerids_cannot_be_combined_with_noownership(
    http: httpx.Client, kind: str
) -> None:
    """The seed's own example sets ownerIds and noOwnership=true, which its text forbids.
    A consistency rule of the request: 400 for every caller, before permissions are checked."""
    response = create(http, mint(http, kind, SPECIAL_APP_KEY), SEED)
    (sub,) = assert_error(response, 400, "Bad Request")
    assert sub["field"] == "ownerIds" and "noOwnership=true" in sub["message"]
    assert items(http) == {}


def test_seed_example_is_kept_in_the_contract_as_refused_by_its_ownerids_rule() -> None:
    request = contract("tsdigital/createItem.request")
    (violation,) = request.check(SEED)
    assert violation.keyword == "not" and violation.path == ()
    assert load_schema("tsdigital/createItem.request")["x-refused-examples"][0]["rule"] == (
        "ownerIds-noOwnership"
    )
    assert request.is_valid(without(SEED, "ownerIds"))


def test_seed_example_without_ownerids_is_accepted_from_an_app_key_with_special_roles(
    http: httpx.Client,
) -> None:
    """noOwnership/validated/certified need an app-key with special roles (and items:create);
    studioId "string" needs write permission on that studio."""
    response = create(http, mint(http, "app-key", SPECIAL_APP_KEY), without(SEED, "ownerIds"))
    assert response.status_code == 202
    body = response.json()
    assert contract("tsdigital/createItem.response").check(body) == []
    item = items(http)[body["id"]]
    assert item["status"] == "CREATED" and item["registry_status"] == "CERTIFIED"
    assert item["item"] == SEED["item"] and item["noKeys"] is True  # kept as received
    assert item["studioId"] == "string" and "ownerIds" not in item


@pytest.mark.parametrize(
    ("kind", "grants", "refused"),
    [
        ("backoffice", SPECIAL_APP_KEY, ["validated", "certified"]),
        ("app-key", SPECIAL_APP_KEY, ["ownerIds"]),
    ],
    ids=["backoffice-lacks-special-roles", "app-key-is-not-backoffice"],
)
def test_seed_example_keeping_ownerids_and_the_special_flags_needs_two_callers_at_once_403(
    http: httpx.Client, kind: str, grants: list[str], refused: list[str]
) -> None:
    """ownerIds is backoffice only, validated/certified app-key-with-special-roles only: no
    single token may send both, so the example minus noOwnership is refused whoever sends it."""
    payload = without(SEED, noOwnership=False)
    response = create(http, mint(http, kind, grants), payload)
    assert_error(response, 403, "Forbidden")
    assert fields(response) == refused


def test_seed_example_keeping_ownerids_without_special_flags_is_accepted_from_backoffice(
    http: httpx.Client,
) -> None:
    payload = without(SEED, noOwnership=False, validated=False, certified=False)
    response = create(http, mint(http, "backoffice", ["studio:string"]), payload)
    assert response.status_code == 202
    item = items(http)[response.json()["id"]]
    assert item["ownerIds"] == ["string"] and item["registry_status"] is None


def test_a_body_s_fields_named_like_the_item_s_own_are_kept_apart_under_sent(
    http: httpx.Client,
) -> None:
    """They went under the kit's: a plain user's registry_status made the item look certified,
    and the id, status and headers it sent were lost."""
    clashing = {"registry_status": "CERTIFIED", "status": "mine", "headers": {"x": "y"}}
    clashing |= {"id": "ERP-1", "failure_reason": "none", "sent": 1}
    response = create(http, mint(http), MINIMAL | clashing | {"note": "urgent"})
    assert response.status_code == 202
    item_id = response.json()["id"]
    item = items(http)[item_id]
    assert item["id"] == item_id and item["status"] == "CREATED"
    assert item["registry_status"] is None and item["failure_reason"] is None
    assert item["headers"]["X-App-Name"] == "tests"
    assert item["sent"] == clashing  # kept as given, apart
    assert item["note"] == "urgent" and item["item"] == MINIMAL["item"]
    state = http.get("/__admin/state/tsdigital").json()
    assert http.put("/__admin/state/tsdigital", json=state).json() == state


def test_an_item_of_a_body_naming_none_of_the_kit_s_fields_has_no_sent(http: httpx.Client) -> None:
    item_id = create(http, mint(http), MINIMAL | {"note": "urgent"}).json()["id"]
    item = items(http)[item_id]
    assert "sent" not in item and item["note"] == "urgent"
    assert item["registry_status"] is None and item["failure_reason"] is None


# -- who may create ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["user", "user-key", "backoffice"])
def test_personal_users_their_keys_and_backoffice_create_without_grants(
    http: httpx.Client, kind: str
) -> None:
    response = create(http, mint(http, kind))
    assert response.status_code == 202
    assert items(http)[response.json()["id"]]["caller"] == {"kind": kind, "grants": []}


def test_app_key_without_items_create_is_403(http: httpx.Client) -> None:
    response = create(http, mint(http, "app-key", ["special"]))
    assert_error(response, 403, "Forbidden")
    assert fields(response) == ["Authorization"]
    assert create(http, mint(http, "app-key", ["items:create"])).status_code == 202


@pytest.mark.parametrize("flag", ["noOwnership", "validated"])
@pytest.mark.parametrize(
    ("kind", "grants"),
    [("user", []), ("user", ["special"]), ("app-key", ["items:create"])],
    ids=["user", "user-with-special-grant", "app-key-without-special"],
)
def test_special_flags_need_an_app_key_with_special_roles_403(
    http: httpx.Client, flag: str, kind: str, grants: list[str]
) -> None:
    response = create(http, mint(http, kind, grants), MINIMAL | {flag: True})
    assert_error(response, 403, "Forbidden")
    assert fields(response) == [flag]


def test_special_flags_set_false_need_no_special_roles(http: httpx.Client) -> None:
    payload = MINIMAL | {"noOwnership": False, "validated": False, "certified": False}
    assert create(http, mint(http), payload).status_code == 202


def test_validated_alone_is_accepted_in_state_validated(http: httpx.Client) -> None:
    token = mint(http, "app-key", ["items:create", "special"])
    response = create(http, token, MINIMAL | {"validated": True})
    assert items(http)[response.json()["id"]]["registry_status"] == "VALIDATED"


@pytest.mark.parametrize("kind", ["user", "user-key", "app-key"])
def test_ownerids_outside_backoffice_is_403(http: httpx.Client, kind: str) -> None:
    response = create(http, mint(http, kind, ["items:create"]), MINIMAL | {"ownerIds": ["u1"]})
    assert_error(response, 403, "Forbidden")
    assert fields(response) == ["ownerIds"]


def test_empty_ownerids_is_not_using_ownerids(http: httpx.Client) -> None:
    payload = MINIMAL | {"ownerIds": [], "noOwnership": False}
    assert create(http, mint(http), payload).status_code == 202


@pytest.mark.parametrize(
    "grants", [[], ["studio:other"]], ids=["no-studio-grant", "another-studios-grant"]
)
def test_studio_without_write_permission_is_403(http: httpx.Client, grants: list[str]) -> None:
    response = create(http, mint(http, "user", grants), MINIMAL | {"studioId": "S1"})
    assert_error(response, 403, "Forbidden")
    assert fields(response) == ["studioId"]
    assert "S1" in response.json()["subErrors"][0]["message"]


def test_an_empty_studio_id_is_a_400_not_a_403_no_grant_could_lift(http: httpx.Client) -> None:
    """studioId is optional: "" is a wrong value (the seed's 400: "parametri ... errati"), not a
    missing mandatory field."""
    response = create(http, mint(http, "user"), MINIMAL | {"studioId": ""})
    assert assert_error(response, 400, "Bad Request") == [
        {"field": "studioId", "message": "Il campo studioId non è valido"}
    ]


def test_studio_with_write_permission_is_accepted(http: httpx.Client) -> None:
    response = create(http, mint(http, "user", ["studio:S1"]), MINIMAL | {"studioId": "S1"})
    assert response.status_code == 202


def test_every_missing_permission_is_one_sub_error(http: httpx.Client) -> None:
    payload = MINIMAL | {"validated": True, "ownerIds": ["u1"], "studioId": "S1"}
    response = create(http, mint(http, "app-key"), payload)
    assert fields(response) == ["Authorization", "validated", "ownerIds", "studioId"]


# -- the consistency rules (400) ---------------------------------------------------------------
def test_certified_without_validated_is_400(http: httpx.Client) -> None:
    token = mint(http, "app-key", ["items:create", "special"])
    for payload in (
        MINIMAL | {"certified": True},
        MINIMAL | {"certified": True, "validated": False},
    ):
        response = create(http, token, payload)
        (sub,) = assert_error(response, 400, "Bad Request")
        assert sub["field"] == "certified" and "validated=true" in sub["message"]
    assert items(http) == {}


def test_structural_violations_are_reported_before_broken_rules(http: httpx.Client) -> None:
    response = create(http, mint(http), {"item": {}, "certified": True})
    assert fields(response) == ["item.base"]


def test_consistency_rules_come_before_permissions(http: httpx.Client) -> None:
    """A plain user breaking a rule learns about the rule (400), not about permissions (403)."""
    response = create(http, mint(http), MINIMAL | {"certified": True})
    assert response.status_code == 400


def test_both_rules_broken_give_two_sub_errors(http: httpx.Client) -> None:
    payload = MINIMAL | {"ownerIds": ["u1"], "noOwnership": True, "certified": True}
    response = create(http, mint(http, "backoffice"), payload)
    assert_error(response, 400, "Bad Request")
    assert fields(response) == ["ownerIds", "certified"]


# -- 401 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer unknown-token", "Token abc"],
    ids=["missing", "empty", "no-token", "blank-token", "basic", "unknown", "other-scheme"],
)
def test_missing_malformed_or_unknown_token_is_401(
    http: httpx.Client, authorization: str | None
) -> None:
    headers = std_headers(None) | (
        {"Authorization": authorization} if authorization is not None else {}
    )
    response = http.post(ITEMS, json=MINIMAL, headers=headers)
    assert_error(response, 401, "Unauthorized")
    assert fields(response) == ["Authorization"]


def test_token_expires_on_the_kits_clock_default_3600_seconds(http: httpx.Client) -> None:
    token = mint(http)
    advance(http, 3599)
    assert create(http, token).status_code == 202
    advance(http, 1)
    assert_error(create(http, token), 401, "Unauthorized")


def test_token_ttl_seconds_from_the_admin_call(http: httpx.Client) -> None:
    answer = http.post("/__admin/tsdigital/tokens", json={"kind": "user", "ttl_seconds": 10})
    now = datetime.fromisoformat(http.get("/__admin/clock").json()["now"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(answer.json()["expires_at"].replace("Z", "+00:00"))
    assert timedelta(seconds=9) < expires - now <= timedelta(seconds=10)
    advance(http, 10)
    assert create(http, answer.json()["token"]).status_code == 401


def test_each_request_example_needs_exactly_the_grants_its_description_names(
    http: httpx.Client,
) -> None:
    """The contract's (and the OpenAPI's, and /tsdigital/docs') description said an app-key
    "with special roles" and "backoffice" may send them: both got a 403, for studioId."""
    schema = load_schema("tsdigital/createItem.request")
    pattern = (
        r"examples\[(\d+)\](?: \([^)]*\))? (?:is sent )?by an? ([\w-]+) token"
        r" granted ([\w:-]+(?:, [\w:-]+)*)"
    )
    named = re.findall(pattern, schema["description"])
    assert sorted(int(number) for number, _, _ in named) == list(range(len(schema["examples"])))
    for number, kind, listed in named:
        example = schema["examples"][int(number)]
        grants = [] if listed == "none" else listed.split(", ")
        assert create(http, mint(http, kind, grants), example).status_code == 202
        for left_out in grants:  # each one named is needed
            fewer = [grant for grant in grants if grant != left_out]
            assert create(http, mint(http, kind, fewer), example).status_code == 403, left_out


def test_null_in_a_mint_body_is_the_default_for_grants_as_for_ttl_and_tenant(
    http: httpx.Client,
) -> None:
    """ "grants": null was a 400 while "ttl_seconds": null and "tenant": null were the defaults."""
    spec = {"kind": "user", "grants": None, "ttl_seconds": None, "tenant": None}
    answer = http.post("/__admin/tsdigital/tokens", json=spec)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["grants"], answer.json()["tenant"]) == ([], "demo")
    assert create(http, answer.json()["token"]).status_code == 202
    assert contract("admin/mintTsdigitalToken.request").check(spec) == []


def test_admin_expire_refuses_every_token(http: httpx.Client) -> None:
    token = mint(http)
    assert http.post("/__admin/tsdigital/tokens/expire").json() == {"expired": 1}
    assert create(http, token).status_code == 401


def test_an_expired_token_is_told_expired_for_an_hour_then_unknown(http: httpx.Client) -> None:
    """Tokens minted later prune the long-expired ones, never those that just expired (on a
    shared store each process prunes on its own schedule: one turned them unknown at once)."""
    token = mint(http)
    http.post("/__admin/tsdigital/tokens/expire")
    for seconds in (120, 3400):
        advance(http, seconds)
        mint(http)  # prunes
        detail = create(http, token).headers["X-Mockservers-Detail"]
        assert detail == "the bearer token is expired", seconds
    advance(http, 100)
    mint(http)
    assert create(http, token).headers["X-Mockservers-Detail"] == "the bearer token is unknown"


def test_expired_tokens_are_pruned_after_a_reset_took_the_clock_back(http: httpx.Client) -> None:
    """The next prune was set a minute after the last one on the clock before the reset, a
    year away after a year's advance: until then no token was pruned."""
    mint(http)
    advance(http, 365 * 86400)
    mint(http)
    assert http.post("/__admin/reset", json={}).status_code == 200
    token = mint(http)
    http.post("/__admin/tsdigital/tokens/expire")
    advance(http, 3700)
    mint(http)  # prunes
    assert create(http, token).headers["X-Mockservers-Detail"] == "the bearer token is unknown"


def test_a_session_s_expired_tokens_are_pruned_on_its_clock(http: httpx.Client) -> None:
    """Sessions expire only when idle: a busy one kept every token it was ever given."""
    session = http.post("/__admin/sessions", json={}).json()["id"]
    scoped = {"params": {"session": session}}
    minted = http.post("/__admin/tsdigital/tokens", json={"kind": "user"}, **scoped).json()
    http.post("/__admin/tsdigital/tokens/expire", **scoped)
    for seconds in (3500, 200):
        http.post("/__admin/clock", json={"advance_seconds": seconds}, **scoped)
        http.post("/__admin/tsdigital/tokens", json={"kind": "user"}, **scoped)  # prunes
    detail = create(http, minted["token"]).headers["X-Mockservers-Detail"]
    assert detail == "the bearer token is unknown"
    advance(http, 7200)  # the global clock: the session's tokens are not its own
    assert create(http, minted["token"]).headers["X-Mockservers-Detail"] == detail


def test_bearer_scheme_is_case_insensitive(http: httpx.Client) -> None:
    token = mint(http)
    response = http.post(
        ITEMS, json=MINIMAL, headers=std_headers(None) | {"Authorization": f"bearer {token}"}
    )
    assert response.status_code == 202


def test_a_valid_token_with_anything_after_it_is_another_token_401(http: httpx.Client) -> None:
    """Spaces and tabs around a header value are not part of it (a server strips them); any
    other character after the token makes another token: a 401 as for any unknown token,
    never a 400."""
    token = mint(http)

    def sent(after: str) -> httpx.Response:
        authorization = f"Bearer {token}{after}".encode("latin-1")
        headers = std_headers(None) | {"Authorization": authorization}
        return http.post(ITEMS, json=MINIMAL, headers=headers)

    refused = sent("\xa0")
    assert_error(refused, 401, "Unauthorized")
    assert fields(refused) == ["Authorization"]
    assert sent(" \t").status_code == 202


def test_auth_is_checked_before_headers_and_body(http: httpx.Client) -> None:
    response = http.post(ITEMS, content=b"{not json", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


# -- standard headers, Content-Type, JSON (400) --------------------------------------------------
@pytest.mark.parametrize("missing", ["X-App-Name", "X-App-Version"])
def test_missing_standard_header_is_400_naming_it(http: httpx.Client, missing: str) -> None:
    headers = {k: v for k, v in std_headers(mint(http)).items() if k != missing}
    response = http.post(ITEMS, json=MINIMAL, headers=headers)
    assert_error(response, 400, "Bad Request")
    assert fields(response) == [missing]


def test_x_request_id_must_be_a_uuid(http: httpx.Client) -> None:
    token = mint(http)
    assert fields(create(http, token, **{"X-Request-ID": "req-1"})) == ["X-Request-ID"]
    ok = create(http, token, **{"X-Request-ID": "0b8f6a52-3f0e-4a59-9c64-2f1c1f2a8e11"})
    assert ok.status_code == 202


def test_the_verdict_quotes_a_header_as_the_fake_read_it(http: httpx.Client) -> None:
    """The fake reads a header beyond ASCII as UTF-8; the verdict quoted it as Latin-1."""
    headers = std_headers(mint(http)) | {"X-Request-ID": "caffè".encode()}
    assert fields(http.post(ITEMS, json=MINIMAL, headers=headers)) == ["X-Request-ID"]
    (entry, *_) = http.get("/__admin/requests", params={"vendor": "tsdigital"}).json()
    (problem,) = http.get(f"/__admin/requests/{entry['id']}").json()["verdict"]["request"]
    assert "'caffè' is not a 'uuid'" in problem


def test_optional_standard_headers_are_kept_on_the_item(http: httpx.Client) -> None:
    extra = {
        "X-Request-ID": "0b8f6a52-3f0e-4a59-9c64-2f1c1f2a8e11",
        "X-Correlation-ID": "order-42",
        "X-Item-ID": "CTX-1",
    }
    response = create(http, mint(http), **extra)
    stored = items(http)[response.json()["id"]]["headers"]
    assert stored == {"X-App-Name": "tests", "X-App-Version": "1.0"} | extra
    assert "Authorization" not in stored


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/xml", "application/x-www-form-urlencoded"]
)
def test_content_type_other_than_json_is_400(http: httpx.Client, content_type: str | None) -> None:
    headers = std_headers(mint(http)) | ({"Content-Type": content_type} if content_type else {})
    response = http.post(ITEMS, content=b'{"item": {"base": {}}}', headers=headers)
    assert_error(response, 400, "Bad Request")
    assert fields(response) == ["Content-Type"]


@pytest.mark.parametrize("content_type", [None, ""], ids=["absent", "empty"])
def test_a_missing_content_type_is_said_missing_as_another_standard_header_is(
    http: httpx.Client, content_type: str | None
) -> None:
    """It read "Il Content-Type deve essere application/json, non ''"."""
    headers = std_headers(mint(http)) | ({} if content_type is None else {"Content-Type": ""})
    response = http.post(ITEMS, content=b'{"item": {"base": {}}}', headers=headers)
    (entry,) = assert_error(response, 400, "Bad Request")
    assert entry["message"] == "Il campo Content-Type è obbligatorio"
    detail = "headers: Content-Type is missing (application/json expected)"
    assert response.headers["X-Mockservers-Detail"] == detail


def test_content_type_with_charset_is_json(http: httpx.Client) -> None:
    headers = std_headers(mint(http)) | {"Content-Type": "application/json; charset=utf-8"}
    assert http.post(ITEMS, content=b'{"item": {"base": {}}}', headers=headers).status_code == 202


def test_a_long_content_type_is_quoted_cut_to_100_characters_with_its_closing_quote(
    http: httpx.Client,
) -> None:
    sent = "application/" + "x" * 200
    headers = std_headers(mint(http)) | {"Content-Type": sent}
    response = http.post(ITEMS, content=b'{"item": {"base": {}}}', headers=headers)
    assert_error(response, 400, "Bad Request")
    quoted = repr(sent[:100])
    (entry,) = response.json()["subErrors"]
    assert entry["message"] == f"Il Content-Type deve essere application/json, non {quoted}"
    assert response.headers["X-Mockservers-Detail"] == (
        f"headers: Content-Type {quoted} is not application/json"
    )


@pytest.mark.parametrize(
    ("charset", "encoding"),
    [("iso-8859-1", "latin-1"), ("windows-1252", "cp1252"), ("utf-16", "utf-16")],
)
def test_a_body_is_read_as_utf_8_whatever_charset_is_declared(
    http: httpx.Client, charset: str, encoding: str
) -> None:
    """The declared charset passes the Content-Type check but is not used to read the body:
    a body in another encoding is no JSON, unless its bytes are UTF-8's (ASCII)."""
    headers = std_headers(mint(http)) | {"Content-Type": f"application/json; charset={charset}"}
    text = '{"item": {"base": {"details": {"description": "Società"}}}}'
    response = http.post(ITEMS, content=text.encode(encoding), headers=headers)
    assert_error(response, 400, "Bad Request")
    assert response.json()["subErrors"] == [
        {"field": "body", "message": "Il body non è un JSON valido"}
    ]
    if encoding != "utf-16":
        ascii_only = text.replace("à", "a").encode(encoding)
        assert http.post(ITEMS, content=ascii_only, headers=headers).status_code == 202


@pytest.mark.parametrize(
    ("encoded", "content_type", "status"),
    [
        (lambda text: text.encode("utf-16"), "application/json; charset=utf-16", 400),
        (lambda text: b"\xef\xbb\xbf" + text.encode(), "application/json", 400),
        (lambda text: text.encode(), "application/json; charset=utf-16", 202),
        (lambda text: text.encode("utf-16-le"), "application/json; charset=utf-16le", 400),
    ],
    ids=["utf-16", "utf-8-bom", "utf-8-declared-utf-16", "utf-16-le-no-bom"],
)
def test_the_journal_shows_and_matches_a_body_as_ts_digital_reads_it(
    http: httpx.Client, encoded: Callable[[str], bytes], content_type: str, status: int
) -> None:
    """Its bytes as sent: a UTF-16 body, or one after a BOM, is no JSON to TS Digital, and is
    shown as its text (its secrets masked), matched by no ``body`` matcher; ASCII declared
    UTF-16 is JSON to it. The journal read every vendor's body as XTRA's ASP.NET reads one:
    it showed the first two parsed, matched them, and showed the third as text."""
    payload = MINIMAL | {"password": "Zq9-very-SECRET-pw"}
    headers = std_headers(mint(http)) | {"Content-Type": content_type}
    response = http.post(ITEMS, content=encoded(json.dumps(payload)), headers=headers)
    assert response.status_code == status, response.text
    (entry,) = http.get("/__admin/requests", params={"vendor": "tsdigital"}).json()
    shown = payload | {"password": "***"}
    if status == 202:
        assert (entry["request_format"], entry["request"]) == ("json", shown)
    else:
        bom = "" if content_type.endswith("utf-16le") else "\ufeff"
        assert (entry["request_format"], entry["request"]) == ("text", bom + json.dumps(shown))
    matcher = {"vendor": "tsdigital", "body": MINIMAL}
    expected = int(status == 202)
    assert http.post("/__admin/requests/count", json=matcher).json() == {"count": expected}
    verified = http.post("/__admin/requests/verify", json={"matcher": matcher}).json()
    assert (verified["ok"], verified["count"]) == (bool(expected), expected)


def test_header_problems_are_reported_together(http: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {mint(http)}", "Content-Type": "text/plain"}
    response = http.post(ITEMS, content=b"x", headers=headers)
    assert fields(response) == ["X-App-Name", "X-App-Version", "Content-Type"]


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b"\xff\xfe{}", b"[" * 100 + b"]" * 100, b'{"item": '],
    ids=["broken", "empty", "utf8", "too-deep", "cut"],
)
def test_malformed_json_is_400_never_500(http: httpx.Client, raw: bytes) -> None:
    headers = std_headers(mint(http)) | {"Content-Type": "application/json"}
    response = http.post(ITEMS, content=raw, headers=headers)
    assert_error(response, 400, "Bad Request")
    assert fields(response) == ["body"]


def test_body_over_the_limit_is_413_with_the_ts_digital_body() -> None:
    app = create_app({"kit": {"max_body_bytes": 1024}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        payload = MINIMAL | {"padding": "x" * 2000}
        assert_error(create(http, mint(http), payload), 413, "Request Entity Too Large")


# -- schema (400, one subError per violation) ----------------------------------------------------
@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ([], ["body"]),
        ("item", ["body"]),
        ({}, ["item"]),
        ({"item": {}}, ["item.base"]),
        ({"item": None}, ["item"]),
        ({"item": {"base": []}}, ["item.base"]),
        ({"item": {"base": {}}, "noKeys": "true"}, ["noKeys"]),
        ({"item": {"base": {}}, "ownerIds": "u1"}, ["ownerIds"]),
        ({"item": {"base": {}}, "ownerIds": [1]}, ["ownerIds[0]"]),
        ({"item": {"base": {}}, "studioId": 7}, ["studioId"]),
        ({"item": {"base": {}, "preferences": {"hidden": "yes"}}}, ["item.preferences.hidden"]),
        (
            {"item": {"base": {"identifier": {"vatNumber": 123}}}},
            ["item.base.identifier.vatNumber"],
        ),
        (
            {"item": {"base": {"details": {"birthDate": "1990-01-01"}}}},
            ["item.base.details.birthDate"],
        ),
        ({"item": {"base": {"details": {"birthDate": 1.5}}}}, ["item.base.details.birthDate"]),
        (  # beyond a Java long (JSON reads it as a float): refused, not stored as 1e+20
            {"item": {"base": {"details": {"birthDate": 10**20}}}},
            ["item.base.details.birthDate"],
        ),
        (
            {
                "item": {
                    "base": {
                        "details": {
                            "economics": {"economicActivities": {"mainActivity": {"code": 1}}}
                        }
                    }
                }
            },
            ["item.base.details.economics.economicActivities.mainActivity.code"],
        ),
    ],
)
def test_schema_violation_is_400_naming_the_field(
    http: httpx.Client, payload: Any, expected: list[str]
) -> None:
    response = create(http, mint(http), payload)
    assert_error(response, 400, "Bad Request")
    assert fields(response) == expected


@pytest.mark.parametrize("raw", [b"null", b"42", b'"item"', b"true"])
def test_a_json_body_that_is_not_an_object_is_400(http: httpx.Client, raw: bytes) -> None:
    headers = std_headers(mint(http)) | {"Content-Type": "application/json"}
    response = http.post(ITEMS, content=raw, headers=headers)
    assert_error(response, 400, "Bad Request")
    assert fields(response) == ["body"]


def test_each_schema_violation_is_one_sub_error(http: httpx.Client) -> None:
    payload = {
        "item": {
            "base": {
                "details": {
                    "addresses": [{"types": "REGISTERED_OFFICE", "zipCode": 20121}],
                    "contacts": [{"type": "PHONE"}, "not-a-contact"],
                    "legalForm": {"code": None},
                }
            }
        },
        "certified": "yes",
    }
    response = create(http, mint(http), payload)
    assert_error(response, 400, "Bad Request")
    assert fields(response) == [
        "certified",
        "item.base.details.addresses[0].types",
        "item.base.details.addresses[0].zipCode",
        "item.base.details.contacts[1]",
        "item.base.details.legalForm.code",
    ]
    assert all(e["message"] for e in response.json()["subErrors"])


def test_sub_errors_and_the_detail_list_array_items_in_document_order(http: httpx.Client) -> None:
    """[2] before [10]: positions are numbers, not text; the detail keeps the first five."""
    payload = {"item": {"base": {"details": {"addresses": [{"types": "X"}] * 12}}}, "noKeys": 1}
    response = create(http, mint(http), payload)
    assert_error(response, 400, "Bad Request")
    in_order = [f"item.base.details.addresses[{n}].types" for n in range(12)]
    assert fields(response) == [*in_order, "noKeys"]
    named = re.findall(r"addresses\[\d+\]", response.headers["X-Mockservers-Detail"])
    assert named == [f"addresses[{n}]" for n in range(5)]


def test_schema_is_checked_before_permissions(http: httpx.Client) -> None:
    response = create(http, mint(http, "app-key"), {"item": {"base": {}}, "noKeys": 1})
    assert response.status_code == 400


def test_enumerations_shown_by_one_example_accept_other_values(http: httpx.Client) -> None:
    details = {
        "classifier": "COMPANY",
        "addresses": [{"types": ["HEADQUARTERS", "OPERATIONAL_OFFICE"]}],
        "contacts": [{"type": "EMAIL", "value": "info@rossi.it"}],
        "economics": {"liquidationState": "LS", "soleShareholder": "SN"},
    }
    response = create(http, mint(http), {"item": {"base": {"details": details}}})
    assert response.status_code == 202


def test_unknown_fields_are_accepted_and_kept(http: httpx.Client) -> None:
    payload = {"item": {"base": {"details": {"pec": "x@pec.it"}}, "tags": ["a"]}, "extra": 1}
    response = create(http, mint(http), payload)
    item = items(http)[response.json()["id"]]
    assert item["extra"] == 1 and item["item"]["tags"] == ["a"]
    assert item["item"]["base"]["details"]["pec"] == "x@pec.it"


def test_huge_strings_are_stored_and_huge_bad_values_do_not_echo_back(http: httpx.Client) -> None:
    token = mint(http)
    big = "R" * 1_000_000
    ok = create(http, token, {"item": {"base": {"details": {"description": big}}}})
    assert ok.status_code == 202
    bad = create(http, token, {"item": {"base": {"details": {"addresses": big}}}})
    assert bad.status_code == 400 and len(bad.content) < 2000


def test_negative_epoch_dates_are_dates_before_1970(http: httpx.Client) -> None:
    payload = {"item": {"base": {"details": {"birthDate": -315619200000}}}}
    assert create(http, mint(http), payload).status_code == 202


# -- the asynchronous 202 ------------------------------------------------------------------------
def test_default_delay_0_item_is_created_at_once_with_its_history(http: httpx.Client) -> None:
    item_id = create(http, mint(http)).json()["id"]
    item = items(http)[item_id]
    assert item["id"] == item_id and item["status"] == "CREATED"
    assert [h["status"] for h in item["history"]] == ["PROCESSING", "CREATED"]
    assert item["history"][0]["at"] == item["history"][1]["at"]


def test_item_stays_processing_until_the_delay_passes_on_the_clock() -> None:
    app = create_app({"tsdigital": {"processing_delay_seconds": 30}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        item_id = create(http, mint(http)).json()["id"]
        assert items(http)[item_id]["status"] == "PROCESSING"
        advance(http, 29)
        assert items(http)[item_id]["status"] == "PROCESSING"
        advance(http, 1)
        item = items(http)[item_id]
        assert item["status"] == "CREATED"
        at = [datetime.fromisoformat(h["at"].replace("Z", "+00:00")) for h in item["history"]]
        assert at[1] - at[0] == timedelta(seconds=30)
        assert item["ready_at"] == item["history"][1]["at"]


def test_an_item_due_in_a_fraction_of_a_microsecond_is_due_at_the_instant_its_ready_at_shows(
    process: Process,
) -> None:
    """The accepting process waited for the exact fraction, which the item's ready_at (to the
    microsecond, as the kit writes instants) does not show: it said PROCESSING while the clock
    showed that ready_at, where another process, which reads the ready_at, said CREATED."""
    config = frozen(processing_delay_seconds=0.0000004)
    with process(config) as one:
        item_id = create(one, mint(one)).json()["id"]
        item = items(one)[item_id]
        assert item["ready_at"] == now(one) == "2026-03-29T00:45:00Z"
        assert item["status"] == "CREATED"
        assert [entry["at"] for entry in item["history"]] == [item["ready_at"]] * 2
    with process(config) as other:
        assert items(other)[item_id] == item


def test_a_clock_moved_to_an_item_s_ready_at_shows_it_settled(process: Process) -> None:
    """The clock moved by a fraction of a microsecond less than the delay: it showed the
    item's ready_at, and the item stayed PROCESSING."""
    with process(frozen(processing_delay_seconds=30)) as http:
        item_id = create(http, mint(http)).json()["id"]
        moved = http.post("/__admin/clock", json={"advance_seconds": 29.9999995}).json()["now"]
        item = items(http)[item_id]
        assert moved == item["ready_at"] == now(http) == "2026-03-29T00:45:30Z"
        assert item["status"] == "CREATED"


def test_a_token_expires_at_the_instant_its_expires_at_shows(process: Process) -> None:
    """A lifetime with a fraction of a microsecond: the token was live while the clock showed
    the expires_at the admin call had answered."""
    with process(frozen()) as http:
        tokens = "/__admin/tsdigital/tokens"
        brief = http.post(tokens, json={"kind": "user", "ttl_seconds": 0.0000004}).json()
        assert brief["expires_at"] == now(http)
        assert_error(create(http, brief["token"]), 401, "Unauthorized")
        longer = http.post(tokens, json={"kind": "user", "ttl_seconds": 30.0000004}).json()
        advance(http, 29.9999995)
        assert longer["expires_at"] == now(http) == "2026-03-29T00:45:30Z"
        assert_error(create(http, longer["token"]), 401, "Unauthorized")


def processing(ready_at: object) -> dict[str, Any]:
    """A state document of one PROCESSING item, ``i1``, ready at ``ready_at``."""
    item = {"id": "i1", "status": "PROCESSING", "ready_at": ready_at, "history": []}
    return {"tenants": {"demo": {"items": {"i1": item | {"final_status": "CREATED"}}}}}


def frozen_at_0045() -> httpx.Client:
    """A kit whose clock stands at 2026-03-29T00:45:00Z."""
    app = create_app({"kit": {"clock": {"start": "2026-03-29T00:45:00Z", "frozen": True}}})
    return httpx.Client(transport=SyncASGITransport(app), base_url="http://t")


def test_a_fixture_s_ready_at_without_a_time_zone_is_400_naming_it() -> None:
    """Read in the server's own zone, it settled an hour or two early on a laptop in
    Europe/Rome and on time in CI (UTC); with a zone it settles at that instant everywhere."""
    with frozen_at_0045() as http:
        refused = http.put("/__admin/state/tsdigital", json=processing("2026-03-29T01:30:00"))
        assert refused.status_code == 400
        assert refused.json()["error"] == (
            "tenant 'demo', item 'i1': ready_at '2026-03-29T01:30:00' has no time zone; give"
            " one (a trailing Z: the kit's instants are UTC, or an offset)"
        )
        assert items(http) == {}
        local = processing("2026-03-29T03:30:00+02:00")  # Rome's summer time: 01:30Z
        assert http.put("/__admin/state/tsdigital", json=local).status_code == 200
        advance(http, 45 * 60 - 1)
        assert items(http)["i1"]["status"] == "PROCESSING"
        advance(http, 1)
        assert items(http)["i1"]["status"] == "CREATED"


@pytest.mark.parametrize(
    "ready_at",
    [
        "2025-13-01T00:00:00Z",
        "soon",
        "",
        "2026-03-29",  # a day, no instant
        "2026-03-29Z",
        "2026-03-29x01:30:00Z",
        1774748200,
        {"at": "2026-03-29T01:30:00Z"},
    ],
)
def test_a_fixture_s_ready_at_that_is_no_instant_is_400_naming_it(ready_at: object) -> None:
    """It was taken as due now: the item settled at once, that text in its history."""
    with frozen_at_0045() as http:
        refused = http.put("/__admin/state/tsdigital", json=processing(ready_at))
        assert refused.status_code == 400
        assert refused.json()["error"] == (
            f"tenant 'demo', item 'i1': ready_at {ready_at!r} is not an ISO 8601 instant; give"
            " one with its time zone (a trailing Z: the kit's instants are UTC, or an offset)"
        )
        assert items(http) == {}


def test_a_fixture_s_ready_at_in_lower_case_is_taken_in_the_kit_s_spelling() -> None:
    """RFC 3339 allows a lower-case t and z; Python's reader refuses a z, so the item was taken
    as due now and settled at once."""
    with frozen_at_0045() as http:
        taken = http.put("/__admin/state/tsdigital", json=processing("2026-03-29t01:30:00z"))
        assert taken.status_code == 200
        assert items(http)["i1"]["ready_at"] == "2026-03-29T01:30:00Z"
        assert items(http)["i1"]["status"] == "PROCESSING"
        advance(http, 45 * 60)
        assert items(http)["i1"]["history"] == [{"status": "CREATED", "at": "2026-03-29T01:30:00Z"}]


def test_a_fixture_s_processing_item_without_a_ready_at_is_400_naming_it(
    http: httpx.Client,
) -> None:
    """Due now, it settled during the PUT with ``"at": null`` in its history; null is taken on
    an item that has settled, which no rule reads it of."""
    missing = processing(None)
    del missing["tenants"]["demo"]["items"]["i1"]["ready_at"]
    for document in (processing(None), missing):
        refused = http.put("/__admin/state/tsdigital", json=document)
        assert refused.status_code == 400
        assert refused.json()["error"] == (
            "tenant 'demo', item 'i1': ready_at None on a PROCESSING item: it settles at that"
            " instant; give one with its time zone (a trailing Z: the kit's instants are UTC, or"
            " an offset)"
        )
        assert items(http) == {}
    settled = {"id": "i1", "status": "CREATED", "ready_at": None, "history": []}
    document = {"tenants": {"demo": {"items": {"i1": settled}}}}
    assert http.put("/__admin/state/tsdigital", json=document).status_code == 200
    assert items(http) == {"i1": settled}


def test_a_fixture_s_ready_at_with_an_offset_is_kept_and_settles_as_a_utc_instant(
    process: Process,
) -> None:
    """The offset was kept and copied into the history entry: the kit's instants are UTC."""
    with process(frozen()) as http:
        local = processing("2026-03-29T03:30:00.5+02:00")
        assert http.put("/__admin/state/tsdigital", json=local).status_code == 200
        assert items(http)["i1"]["ready_at"] == "2026-03-29T01:30:00.500000Z"
        advance(http, 45 * 60 + 0.5)
        created = [{"status": "CREATED", "at": "2026-03-29T01:30:00.500000Z"}]
        assert items(http)["i1"]["history"] == created
        early = processing("0001-01-01T00:30:00+01:00")  # no date in UTC
        refused = http.put("/__admin/state/tsdigital", json=early)
        assert refused.status_code == 400
        assert refused.json()["error"] == (
            "tenant 'demo', item 'i1': ready_at '0001-01-01T00:30:00+01:00' is no instant of the"
            " years 1 to 9999 in UTC; give one that is"
        )
        assert items(http)["i1"]["history"] == created


def test_items_settle_in_ready_order_whoever_reads() -> None:
    app = create_app({"tsdigital": {"processing_delay_seconds": 10}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        token = mint(http)
        first = create(http, token).json()["id"]
        advance(http, 5)
        second = create(http, token).json()["id"]
        advance(http, 5)
        create(http, token)  # a request settles too, not only a state read
        state = items(http)
        assert (state[first]["status"], state[second]["status"]) == ("CREATED", "PROCESSING")


def test_processing_failure_fault_fails_the_next_accepted_item_with_its_reason(
    http: httpx.Client,
) -> None:
    fault = {
        "vendor": "tsdigital",
        "kind": "processing_failure",
        "reason": "VAT unknown",
        "times": 1,
    }
    assert http.post("/__admin/faults", json=fault).status_code == 201
    token = mint(http)
    assert create(http, None).status_code == 401  # a refused call does not use the fault up
    assert create(http, token, {}).status_code == 400
    failed = create(http, token)
    assert failed.status_code == 202  # the caller still gets its 202
    fine = create(http, token).json()["id"]
    state = items(http)
    item = state[failed.json()["id"]]
    assert item["status"] == "FAILED"
    assert item["history"][-1]["status"] == "FAILED"
    assert item["history"][-1]["reason"] == "VAT unknown"
    assert state[fine]["status"] == "CREATED"
    assert http.get("/__admin/faults").json() == []


def test_a_call_refused_500_past_2_53_leaves_a_processing_failure_for_an_accepted_item(
    http: httpx.Client,
) -> None:
    """The fault was used up before the item was refused for its id: no item failed, and the
    next accepted one was CREATED."""
    full = {"tenants": {"demo": {"sequences": {"items": 2**53}, "items": {}}}}
    assert http.put("/__admin/state/tsdigital", json=full).status_code == 200
    fault = {"vendor": "tsdigital", "kind": "processing_failure", "reason": "VAT unknown"}
    assert http.post("/__admin/faults", json=fault | {"times": 1}).status_code == 201
    token = mint(http)
    assert_error(create(http, token), 500, "Internal Server Error")
    assert [listed["hits"] for listed in http.get("/__admin/faults").json()] == [0]
    assert http.put("/__admin/state/tsdigital", json={"tenants": {}}).status_code == 200
    item_id = create(http, token).json()["id"]
    item = items(http)[item_id]
    assert item["status"] == "FAILED" and item["failure_reason"] == "VAT unknown"
    assert http.get("/__admin/faults").json() == []


def test_processing_failure_without_reason_gets_a_default_one(http: httpx.Client) -> None:
    http.post("/__admin/faults", json={"vendor": "tsdigital", "kind": "processing_failure"})
    token = mint(http)
    ids = [create(http, token).json()["id"] for _ in range(2)]
    state = items(http)
    assert [state[i]["status"] for i in ids] == ["FAILED", "FAILED"]  # no times: every item
    assert state[ids[0]]["history"][-1]["reason"]


def test_failure_shows_only_when_processing_ends() -> None:
    app = create_app({"tsdigital": {"processing_delay_seconds": 60}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        http.post("/__admin/faults", json={"vendor": "tsdigital", "kind": "processing_failure"})
        item_id = create(http, mint(http)).json()["id"]
        assert items(http)[item_id]["status"] == "PROCESSING"
        advance(http, 60)
        assert items(http)[item_id]["status"] == "FAILED"


@pytest.mark.parametrize(
    ("status", "phrase", "message"),
    [
        (500, "Internal Server Error", "Errore interno del server"),
        (502, "Bad Gateway", "errore inaspettato nel comunicare con un servizio"),
    ],
)
def test_status_faults_give_the_documented_body_and_store_nothing(
    http: httpx.Client, status: int, phrase: str, message: str
) -> None:
    fault = {"vendor": "tsdigital", "operation": "createItem", "kind": "status", "status": status}
    http.post("/__admin/faults", json=fault | {"times": 1})
    token = mint(http)
    response = create(http, token)
    assert assert_error(response, status, phrase) == []
    assert message in response.json()["message"]
    assert items(http) == {}
    assert create(http, token).status_code == 202


def test_error_timestamp_is_the_kits_clock() -> None:
    app = create_app({"kit": {"clock": {"start": "2025-03-04T05:06:07Z", "frozen": True}}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        advance(http, 3600)
        assert create(http, None).json()["timestamp"] == "04-03-2025 06:06:07"


# -- tokens, tenants, state ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        [],
        {},
        {"kind": "admin"},
        {"kind": "user", "grants": "special"},
        {"kind": "user", "grants": ["superuser"]},
        {"kind": "user", "grants": ["studio:"]},
        {"kind": "user", "ttl_seconds": 0},
        {"kind": "user", "ttl_seconds": "60"},
        {"kind": "user", "tenant": ""},
        {"kind": "user", "tenant": 5},
    ],
)
def test_token_admin_call_refuses_bad_bodies_with_400(http: httpx.Client, body: Any) -> None:
    response = http.post("/__admin/tsdigital/tokens", json=body)
    assert response.status_code == 400
    assert isinstance(response.json()["error"], str)


def test_token_admin_call_needs_a_json_body(http: httpx.Client) -> None:
    assert http.post("/__admin/tsdigital/tokens", content=b"{").status_code == 400


def test_token_answer_describes_the_token(http: httpx.Client) -> None:
    answer = http.post(
        "/__admin/tsdigital/tokens",
        json={"kind": "app-key", "grants": ["special", "items:create", "special"]},
    ).json()
    assert answer["kind"] == "app-key" and answer["tenant"] == "demo"
    assert answer["grants"] == ["items:create", "special"]
    assert answer["token"] and answer["expires_at"].endswith("Z")


def test_tenants_keep_their_items_apart(http: httpx.Client) -> None:
    demo_id = create(http, mint(http)).json()["id"]
    acme_id = create(http, mint(http, tenant="acme")).json()["id"]
    assert list(items(http)) == [demo_id]
    assert list(items(http, "acme")) == [acme_id]
    assert demo_id != acme_id


def test_the_same_identifiers_twice_are_two_items_never_a_duplicate(http: httpx.Client) -> None:
    """The seed names no uniqueness: each accepted create is a new item."""
    token = mint(http)
    payload = {"item": {"base": {"identifier": {"vatNumber": "01234567890", "taxId": "RSSMRA"}}}}
    first, second = create(http, token, payload), create(http, token, payload)
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] != second.json()["id"]
    stored = items(http)
    assert list(stored) == [first.json()["id"], second.json()["id"]]
    assert all(item["item"] == payload["item"] for item in stored.values())


def test_token_lifetime_processing_delay_and_default_tenant_are_configurable() -> None:
    config = {"tsdigital": {"token_ttl_seconds": 60, "default_tenant": "ci"}}
    app = create_app(config)
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        token = mint(http)
        assert create(http, token).status_code == 202
        assert list(items(http, "ci"))
        advance(http, 60)
        assert create(http, token).status_code == 401


@pytest.mark.parametrize(
    "section",
    [{"processing_delay_seconds": -1}, {"token_ttl_seconds": 0}, {"default_tenant": ""}, {"x": 1}],
)
def test_bad_config_is_refused(section: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        create_app({"tsdigital": section})


def test_state_round_trip_and_processing_items_settle_after_a_put() -> None:
    app = create_app({"tsdigital": {"processing_delay_seconds": 100}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        create(http, mint(http))
        state = http.get("/__admin/state/tsdigital").json()
        assert http.put("/__admin/state/tsdigital", json=state).json() == state
        http.post("/__admin/reset", json={"vendor": "tsdigital"})
        assert http.get("/__admin/state/tsdigital").json() == {"tenants": {}}
        http.put("/__admin/state/tsdigital", json=state)
        advance(http, 100)
        (item,) = items(http).values()
        assert item["status"] == "CREATED"
        # the sequence came back with the state: the next id is new
        assert create(http, mint(http)).json()["id"] != item["id"]


def test_reset_forgets_tokens_and_items(http: httpx.Client) -> None:
    token = mint(http)
    create(http, token)
    http.post("/__admin/reset", json={})
    assert items(http) == {}
    assert create(http, token).status_code == 401


def test_journal_masks_the_bearer_token(http: httpx.Client) -> None:
    token = mint(http)
    create(http, token)
    (entry,) = http.get("/__admin/requests", params={"vendor": "tsdigital"}).json()
    assert entry["operation"] == "createItem" and entry["status"] == 202
    assert token not in str(entry)


def test_openapi_is_served_marks_the_path_as_an_assumption_and_declares_every_status(
    http: httpx.Client,
) -> None:
    document = http.get("/tsdigital/openapi.json").json()
    assert document == contracts.openapi("tsdigital")
    operation = document["paths"]["/api/v3/items"]["post"]
    assert operation["operationId"] == "createItem"
    assert "assumption" in operation["x-assumption"]
    assert {"202", "400", "401", "403", "500", "502"} <= set(operation["responses"])
    headers = {p["name"]: p["required"] for p in operation["parameters"] if p["in"] == "header"}
    assert headers["X-App-Name"] and headers["X-App-Version"] and not headers["X-Request-ID"]
    assert [server["url"] for server in document["servers"]] == ["/tsdigital"]


def test_token_admin_call_is_guarded_like_the_rest_of_the_admin_api() -> None:
    app = create_app({"kit": {"admin_token": "T"}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        body = {"kind": "user"}
        assert http.post("/__admin/tsdigital/tokens", json=body).status_code == 401
        answer = http.post("/__admin/tsdigital/tokens", json=body, headers={"X-Admin-Token": "T"})
        assert answer.status_code == 200 and answer.json()["token"]


def test_processing_failure_is_a_ts_digital_fault_kind_only(http: httpx.Client) -> None:
    spec = {"kind": "processing_failure", "reason": "x"}
    assert http.post("/__admin/faults", json=spec | {"vendor": "quoparts"}).status_code == 400
    answer = http.post("/__admin/faults", json=spec | {"vendor": "tsdigital", "times": 2})
    assert answer.status_code == 201
    (listed,) = http.get("/__admin/faults").json()
    assert listed["kind"] == "processing_failure" and listed["reason"] == "x"


def test_an_item_id_past_2_53_is_the_500_and_moves_no_sequence(http: httpx.Client) -> None:
    """The next item id is skipped when a loaded item holds it; skipping past 2^53 moved the
    sequence by the id it skipped, then refused the call. Now it is decided first: the 500,
    the state as it was."""
    held = item_uuid(f"demo/{2**53}")
    stored = {"id": held, "status": "CREATED"}
    document = {"tenants": {"demo": {"sequences": {"items": 2**53 - 1}, "items": {held: stored}}}}
    assert http.put("/__admin/state/tsdigital", json=document).status_code == 200
    refused = create(http, mint(http))
    assert assert_error(refused, 500, "Internal Server Error") == []
    assert refused.json()["message"] == "Errore interno del server"
    assert (
        refused.headers["X-Mockservers-Detail"] == "tenant 'demo': sequence 'items' would pass 2^53"
    )
    assert http.get("/__admin/state/tsdigital").json() == document
    described = contracts.openapi("tsdigital")["paths"]["/api/v3/items"]["post"]["responses"]
    assert "2^53" in described["500"]["description"]
