"""Sessions through the admin API: isolation (state, tokens, windows, clock, faults, journal,
coverage, reset), the global scope unchanged by sessions and the other way round, idle expiry
on an injected wall clock (no sleeping), the configured maximum, and dropping."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from contracts import contract
from mockservers import create_app
from mockservers.core import sessions
from mockservers.core.clock import Clock
from mockservers.core.shared import GroupedMap, SharedMap
from mockservers.core.tokens import TokenStore
from mockservers.testing import MockServer, SyncASGITransport
from tests.data import keepit_customer

QP = "/quoparts/ws_quoparts.php"
KEEPIT = "/keepit/api"
KEEPIT_QUERY = {"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"}
XTRA_LOGIN = "/xtra/api/sync/v1/login"
XTRA_UPDATE = "/xtra/api/sync/v1/irs/update"
ITEMS = "/tsdigital/api/v3/items"
ROW = {"DES_NOM": "Rossi", "COD_PTA_IVA": "123", "COD_CLI_ERP": "CLI001"}
DEMO_QP = {"username": "demo", "password": "demo"}


class Wall:
    """A wall clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def wall() -> Wall:
    return Wall()


def client(app: Starlette) -> httpx.Client:
    return httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers")


@pytest.fixture
def kit(wall: Wall) -> Iterator[tuple[Starlette, httpx.Client]]:
    app = create_app({"kit": {"sessions": {"max": 3}}}, wall=wall)
    with client(app) as http:
        yield app, http


@pytest.fixture
def http(kit: tuple[Starlette, httpx.Client]) -> httpx.Client:
    return kit[1]


def open_session(http: httpx.Client, **body: Any) -> dict[str, Any]:
    response = http.post("/__admin/sessions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def qp_token(http: httpx.Client, account: dict[str, str]) -> str:
    body = http.get(QP, params={"login": "", **account}).json()
    assert body["errorCode"] == "0", body
    return body["data"][0]["TOKEN"]


def qp_import(http: httpx.Client, token: str, rows: list[dict[str, Any]] | None = None) -> str:
    return http.post(QP, params={"importCli": "", "token": token}, json={"data": rows or [ROW]})


def keepit(http: httpx.Client, account: dict[str, str], code: str = "C1") -> httpx.Response:
    headers = {
        "username": account["username"],
        "password": account["password"],
        "companyId": account["company_id"],
        "siteId": account["site_id"],
    }
    return http.post(
        KEEPIT,
        params=KEEPIT_QUERY,
        headers=headers,
        json={"subjectsRecords": [keepit_customer(code)]},
    )


DEMO_KEEPIT = {"username": "demo", "password": "demo", "company_id": "1", "site_id": "1"}


def admin(http: httpx.Client, method: str, path: str, session: str | None = None, **kw: Any) -> Any:
    params = {**kw.pop("params", {}), **({"session": session} if session else {})}
    response = http.request(method, f"/__admin{path}", params=params, **kw)
    assert response.status_code < 300, response.text
    return response.json()


# -- what a session is ---------------------------------------------------------------------
def test_a_session_has_fresh_accounts_on_every_vendor(http: httpx.Client) -> None:
    session = open_session(http, name="job 1", ttl_seconds=120)
    assert re.fullmatch(r"[0-9a-f]{12}", session["id"])
    prefix = f"ms-{session['id']}"
    credentials = session["credentials"]
    assert set(credentials) == {"quoparts", "xtra", "keepit", "tsdigital"}
    assert credentials["quoparts"]["username"] == prefix
    assert credentials["keepit"]["company_id"] == prefix
    assert credentials["xtra"]["public_key"].startswith(prefix)
    assert credentials["tsdigital"] == {"tenant": prefix}
    assert session["name"] == "job 1" and session["ttl_seconds"] == 120
    assert admin(http, "GET", f"/sessions/{session['id']}")["id"] == session["id"]
    assert [s["id"] for s in admin(http, "GET", "/sessions")] == [session["id"]]
    # each vendor's account works at once (XTRA: its key pair and its login, identity IRID 1)
    token = qp_token(http, credentials["quoparts"])
    assert qp_import(http, token).json()["errorCode"] == "0"
    assert keepit(http, credentials["keepit"]).json()["code"] == 200
    xtra = credentials["xtra"]
    login = http.post(XTRA_LOGIN, json={"Username": xtra["username"], "Password": xtra["password"]})
    assert login.json()["result"]["IRID"] == xtra["irid"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"ttl_seconds": 0}, 400),
        ({"ttl_seconds": "1"}, 400),
        ({"ttl_seconds": 1e300}, 400),  # its expiry would be no date
        ({"name": 3}, 400),
        ([], 400),
        (None, 400),
    ],
)
def test_a_bad_session_request_is_refused(http: httpx.Client, body: Any, status: int) -> None:
    raw = json.dumps(body).encode()  # null too: a body, not an absent one
    assert http.post("/__admin/sessions", content=raw).status_code == status


def test_a_session_name_is_bounded_as_its_contract_says(http: httpx.Client) -> None:
    """A name of 5 MB was kept, and listed with the session at every read of the sessions."""
    longest = "é" * 200  # characters, not bytes
    assert admin(http, "POST", "/sessions", json={"name": longest})["name"] == longest
    refused = http.post("/__admin/sessions", json={"name": longest + "x"})
    assert (refused.status_code, refused.json()) == (
        400,
        {"error": "'name' must be a string of at most 200 characters"},
    )
    assert [s["name"] for s in admin(http, "GET", "/sessions")] == [longest]
    schema = contract("admin/createSession.request")
    assert schema.check({"name": longest}) == [] and schema.check({"name": longest + "x"}) != []


def test_an_unknown_session_is_404_on_every_admin_call(http: httpx.Client) -> None:
    for method, path in [("GET", "/requests"), ("POST", "/reset"), ("GET", "/clock")]:
        response = http.request(method, f"/__admin{path}", params={"session": "0123456789ab"})
        assert response.status_code == 404 and "no live session" in response.json()["error"]
    assert http.delete("/__admin/sessions/0123456789ab").status_code == 404


# -- isolation -----------------------------------------------------------------------------
def test_two_sessions_are_isolated_clock_faults_journal_state_reset(http: httpx.Client) -> None:
    a, b = open_session(http), open_session(http)
    ta, tb = (qp_token(http, s["credentials"]["quoparts"]) for s in (a, b))
    qp_import(http, ta)
    qp_import(http, tb, [ROW | {"COD_CLI_ERP": "B1"}, ROW | {"COD_CLI_ERP": "B2"}])

    # clock: A's hour passes, B's tokens live on
    clock_b = admin(http, "GET", "/clock", b["id"])["now"]
    admin(http, "POST", "/clock", a["id"], json={"advance_seconds": 3600})
    assert admin(http, "GET", "/clock", b["id"])["now"] == clock_b
    assert qp_import(http, ta).json()["errorCode"] == "101"
    assert qp_import(http, tb).json()["errorCode"] == "0"

    # faults: A's fault hits only A's calls (given in the body this time)
    admin(
        http,
        "POST",
        "/faults",
        json={"session": a["id"], "vendor": "keepit", "kind": "status", "status": 500},
    )
    assert keepit(http, a["credentials"]["keepit"]).status_code == 500
    assert keepit(http, b["credentials"]["keepit"]).status_code == 200
    assert [f["session"] for f in admin(http, "GET", "/faults", a["id"])] == [a["id"]]
    assert admin(http, "GET", "/faults", b["id"]) == []

    # journal and state: each sees its own
    journal_a = admin(http, "GET", "/requests", a["id"])
    journal_b = admin(http, "GET", "/requests", b["id"])
    assert {e["session"] for e in journal_a} == {a["id"]}
    assert {e["session"] for e in journal_b} == {b["id"]}
    one_of_b = f"/__admin/requests/{journal_b[0]['id']}"
    assert http.get(one_of_b, params={"session": b["id"]}).json()["id"] == journal_b[0]["id"]
    assert http.get(one_of_b, params={"session": a["id"]}).status_code == 404  # not A's
    assert http.get(one_of_b).status_code == 200  # a global read sees the whole kit
    assert [e["operation"] for e in journal_a] == [
        "insertClient_v3",
        "importCli",
        "importCli",
        "login",
    ]
    state_a = admin(http, "GET", "/state/quoparts", a["id"])["tenants"]
    state_b = admin(http, "GET", "/state/quoparts", b["id"])["tenants"]
    assert list(state_a) == [f"ms-{a['id']}"] and list(state_b) == [f"ms-{b['id']}"]
    assert list(state_b[f"ms-{b['id']}"]["customers"]) == ["B1", "B2", "CLI001"]
    assert admin(http, "GET", "/state/quoparts")["tenants"] == {}  # the global scope: nothing

    # reset: A back to start, B untouched
    admin(http, "POST", "/reset", a["id"], json={})
    assert admin(http, "GET", "/requests", a["id"]) == []
    assert admin(http, "GET", "/faults", a["id"]) == []
    assert admin(http, "GET", "/state/quoparts", a["id"])["tenants"] == {}
    assert admin(http, "GET", "/requests", b["id"]) == journal_b
    assert admin(http, "GET", "/state/quoparts", b["id"])["tenants"] == state_b
    assert qp_import(http, tb).json()["errorCode"] == "0"
    assert keepit(http, a["credentials"]["keepit"]).status_code == 200  # fault gone
    # A's clock is back at the base: its fresh token lives for an hour again
    fresh = qp_token(http, a["credentials"]["quoparts"])
    admin(http, "POST", "/clock", a["id"], json={"advance_seconds": 3599})
    assert qp_import(http, fresh).json()["errorCode"] == "0"


def test_rate_limit_windows_and_coverage_are_per_session(wall: Wall) -> None:
    app = create_app({"keepit": {"rate_limit_calls": 1}}, wall=wall)
    with client(app) as http:
        a, b = open_session(http), open_session(http)
        assert keepit(http, a["credentials"]["keepit"], "A1").status_code == 200
        assert keepit(http, a["credentials"]["keepit"], "A2").status_code == 429
        assert keepit(http, b["credentials"]["keepit"], "B1").status_code == 200
        assert keepit(http, DEMO_KEEPIT, "G1").status_code == 200

        def met(session: str | None, behaviour: str) -> int:
            rows = admin(http, "GET", "/coverage", session, params={"vendor": "keepit"})["keepit"]
            return next(r["met"] for r in rows if r["behaviour"] == behaviour)

        assert met(a["id"], "keepit.rate_limited") == 1
        assert met(b["id"], "keepit.rate_limited") == 0
        assert met(None, "keepit.rate_limited") == 1  # the whole kit
        assert met(None, "keepit.success") == 3


JOURNAL_OFF = {"journal": {"max_entries": 0}}
"""A kit whose global journal keeps no entry: ``[kit.journal] max_entries = 0``."""


def assert_a_global_journal_off_leaves_sessions_their_own(http: httpx.Client) -> None:
    """On a kit of ``JOURNAL_OFF``: a session's journal is bounded by ``[kit.sessions]`` alone
    (the global bound of 0 emptied every session's too, so a session's verify failed and its
    coverage met nothing), and each global call is counted as pushed out, as a
    ``max_bytes = 0`` one is (a verify said nothing of the calls it could not see)."""
    session = open_session(http)
    qp_token(http, session["credentials"]["quoparts"])
    journal = admin(http, "GET", "/requests", session["id"])
    assert [(e["operation"], e["session"]) for e in journal] == [("login", session["id"])]
    matcher = {"session": session["id"], "vendor": "quoparts", "operation": "login"}
    verified = admin(http, "POST", "/requests/verify", json={"matcher": matcher})
    assert verified["count"] == 1 and "dropped" not in verified
    rows = admin(http, "GET", "/coverage", session["id"], params={"vendor": "quoparts"})
    assert next(r["met"] for r in rows["quoparts"] if r["behaviour"] == "quoparts.login_ok") == 1
    qp_token(http, DEMO_QP)
    qp_token(http, DEMO_QP)
    assert admin(http, "GET", "/requests") == journal  # every scope's: the session's only
    answer = admin(http, "POST", "/requests/verify", json={"matcher": {"vendor": "quoparts"}})
    assert answer["count"] == 1 and answer["dropped"] == 2


def test_a_global_journal_off_leaves_sessions_their_own(wall: Wall) -> None:
    with client(create_app({"kit": JOURNAL_OFF}, wall=wall)) as http:
        assert_a_global_journal_off_leaves_sessions_their_own(http)


def test_probability_faults_draw_the_same_sequence_in_every_session(http: httpx.Client) -> None:
    """What a session's probability fault does never depends on another session's draws."""

    def outcomes(session: dict[str, Any], calls: int) -> list[int]:
        return [
            keepit(http, session["credentials"]["keepit"], f"C{n}").status_code
            for n in range(calls)
        ]

    a, b = open_session(http), open_session(http)
    for session in (a, b):
        spec = {"vendor": "keepit", "kind": "status", "status": 500, "probability": 0.5}
        assert admin(http, "POST", "/faults", session["id"], json=spec)["id"] == "fault-1"
    first = outcomes(a, 6)
    assert 500 in first and 200 in first
    assert outcomes(b, 6) == first  # B drew after A, and draws the same


class _Watched(str):
    """A tenant name that counts the times it is read for the session it names."""

    reads = 0
    __hash__ = str.__hash__

    def startswith(self, *args: Any) -> bool:
        _Watched.reads += 1
        return str.startswith(self, *args)


def test_a_scope_s_tokens_are_pruned_expired_and_dropped_without_a_look_at_another_s() -> None:
    """Each prune went over every token of the kit to pick the scope's own: with 100 sessions
    of 200 tokens, a login after its session's advance took 5 ms, an expiry or a drop as
    long."""
    tokens = TokenStore(Clock())
    mine, *others = ({"id": f"{n:012x}", "clock_offset": 0.0} for n in range(3))
    for other in others:
        with sessions.scoped(other):
            for _ in range(5):
                tokens.issue(_Watched(f"ms-{other['id']}-t"), 3600)
    with sessions.scoped(mine):
        old = [tokens.issue(f"ms-{mine['id']}-t", 3600).value for _ in range(5)]
        _Watched.reads = 0
        mine["clock_offset"] += 2 * 3600 + 60  # an hour past their expiry
        tokens.issue(f"ms-{mine['id']}-t", 3600)  # prunes
        assert [tokens.verdict(value)[1] for value in old] == ["unknown"] * 5
        assert tokens.expire(mine["id"]) == 1 and tokens.drop(mine["id"]) == 1
    assert _Watched.reads == 0
    assert len(tokens) == 10  # the others' tokens, each still there


def test_the_tokens_kept_by_scope_follow_the_writes_a_process_replays() -> None:
    """A shared store replays other processes' writes (``apply``) and reloads the whole map
    after a gap (``replace``): the groups follow both."""
    grouped = GroupedMap("tokens", lambda value: value["scope"])
    grouped.apply("put", ("a", {"scope": "s1"}))
    grouped.apply("put", ("b", {"scope": "s1"}))
    grouped.apply("put", ("a", {"scope": None}))
    assert (grouped.group("s1"), grouped.group(None)) == ({"b"}, {"a"})
    grouped.apply("delete", ("b",))
    assert grouped.groups == {None: {"a"}}
    grouped.replace({"c": {"scope": "s2"}, "d": {"scope": "s2"}})
    assert grouped.groups == {"s2": {"c", "d"}}
    grouped.apply("clear", ())
    assert grouped.groups == {} and grouped.group("s2") == set()


# -- the global scope ----------------------------------------------------------------------
def test_a_session_s_account_is_found_by_its_owner_and_every_field_given(wall: Wall) -> None:
    """``Sessions.account``, which each vendor's login and key check asks: the vendor's account
    of the live session an identifier names, only when every field given is its own (a
    session's company with another site is no account), none for a global identifier, a
    session never opened, or one expired."""
    live = sessions.Sessions(SharedMap("sessions"), default_ttl=60, wall=wall)
    session = live.create(
        lambda prefix: {"keepit": {"username": prefix, "company_id": prefix, "site_id": "1"}}
    )
    prefix = sessions.PREFIX + session["id"]
    account = live.account("keepit", prefix, username=prefix, company_id=prefix, site_id="1")
    assert account == session["credentials"]["keepit"]
    assert live.account("keepit", prefix) == account
    assert live.account("keepit", prefix, username=prefix, site_id="2") is None
    assert live.account("keepit", "demo", username="demo") is None
    assert live.account("keepit", sessions.PREFIX + "0" * len(session["id"])) is None
    wall.now += 61
    assert live.account("keepit", prefix, username=prefix) is None


def test_global_calls_leave_sessions_alone(http: httpx.Client) -> None:
    session = open_session(http)
    sid = session["id"]
    token = qp_token(http, session["credentials"]["quoparts"])
    qp_import(http, token)
    admin(http, "POST", "/faults", sid, json={"vendor": "keepit", "kind": "status", "status": 503})
    clock = admin(http, "GET", "/clock", sid)["now"]
    journal = admin(http, "GET", "/requests", sid)
    state = admin(http, "GET", "/state/quoparts", sid)

    admin(http, "POST", "/clock", json={"advance_seconds": 7200})
    admin(http, "POST", "/faults", json={"vendor": "quoparts", "kind": "status", "status": 500})
    admin(http, "POST", "/quoparts/tokens/expire")
    admin(http, "DELETE", "/requests")
    admin(http, "DELETE", "/faults")
    admin(http, "POST", "/reset", json={})

    assert admin(http, "GET", "/clock", sid)["now"] == clock
    assert admin(http, "GET", "/requests", sid) == journal
    assert admin(http, "GET", "/state/quoparts", sid) == state
    assert [f["status"] for f in admin(http, "GET", "/faults", sid)] == [503]
    assert qp_import(http, token).json()["errorCode"] == "0"  # its token lives on


def test_sessions_leave_the_global_scope_alone(http: httpx.Client) -> None:
    token = qp_token(http, DEMO_QP)
    qp_import(http, token)
    admin(http, "POST", "/faults", json={"vendor": "keepit", "kind": "status", "status": 503})
    clock = admin(http, "GET", "/clock")["now"]
    state = admin(http, "GET", "/state/quoparts")
    global_entries = admin(http, "GET", "/requests", params={"vendor": "quoparts"})

    sid = open_session(http)["id"]
    admin(http, "POST", "/clock", sid, json={"advance_seconds": 7200})
    admin(
        http, "POST", "/faults", sid, json={"vendor": "quoparts", "kind": "status", "status": 500}
    )
    admin(http, "POST", "/quoparts/tokens/expire", sid)
    admin(http, "DELETE", "/requests", sid)
    admin(http, "DELETE", "/faults", sid)
    admin(http, "POST", "/reset", sid, json={})
    admin(http, "DELETE", f"/sessions/{sid}")

    assert admin(http, "GET", "/clock")["now"] == clock
    assert admin(http, "GET", "/state/quoparts") == state
    assert admin(http, "GET", "/requests", params={"vendor": "quoparts"}) == global_entries
    assert [f["status"] for f in admin(http, "GET", "/faults")] == [503]
    assert qp_import(http, token).json()["errorCode"] == "0"


def test_a_global_reset_restarts_fault_ids_and_leaves_the_clock_of_sessions(wall: Wall) -> None:
    """As before sessions existed: after a reset the global scope numbers faults from fault-1
    and its clock is back at its start; a session's clock, on the same base, stays put."""
    app = create_app({"kit": {"clock": {"start": "2025-01-01T00:00:00Z"}}}, wall=wall)
    with client(app) as http:
        sid = open_session(http)["id"]
        spec = {"vendor": "quoparts", "kind": "latency", "latency_ms": 0}
        assert admin(http, "POST", "/faults", json=spec)["id"] == "fault-1"
        assert admin(http, "POST", "/faults", json=spec)["id"] == "fault-2"
        wall.now += 90
        admin(http, "POST", "/clock", sid, json={"advance_seconds": 10})
        assert admin(http, "GET", "/clock", sid)["now"] == "2025-01-01T00:01:40Z"
        admin(http, "POST", "/reset", json={})
        assert admin(http, "GET", "/clock")["now"] == "2025-01-01T00:00:00Z"
        assert admin(http, "GET", "/clock", sid)["now"] == "2025-01-01T00:01:40Z"
        assert admin(http, "POST", "/faults", json=spec)["id"] == "fault-1"


def test_a_frozen_clock_without_a_start_is_reset_to_where_it_stood(wall: Wall) -> None:
    """Frozen, it only moves when advanced: a global reset took it to the wall's time instead
    (each reset between two tests another instant), and sessions, on the first one, no longer
    read the global scope's time."""
    app = create_app({"kit": {"clock": {"frozen": True}}}, wall=wall)
    with client(app) as http:
        start = admin(http, "GET", "/clock")["now"]
        assert start == "2025-06-15T15:06:40Z"  # the wall's second when the app started
        wall.now += 3600
        assert admin(http, "GET", "/clock")["now"] == start
        admin(http, "POST", "/clock", json={"advance_seconds": 10})
        admin(http, "POST", "/reset", json={})
        assert admin(http, "GET", "/clock")["now"] == start
        sid = open_session(http)["id"]
        assert admin(http, "GET", "/clock", sid)["now"] == start
        admin(http, "POST", "/clock", sid, json={"advance_seconds": 5})
        wall.now += 60  # within the session's idle TTL
        admin(http, "POST", "/reset", sid, json={})
        assert admin(http, "GET", "/clock", sid)["now"] == start
        assert admin(http, "GET", "/clock")["now"] == start


def dates(response: httpx.Response) -> list[datetime]:
    """An answer's ``Date`` headers, read."""
    return [parsedate_to_datetime(v.decode()) for k, v in response.headers.raw if k == b"date"]


def test_an_answer_s_date_is_on_the_clock_of_its_scope(wall: Wall) -> None:
    """One clock for all time: a connector that counts a token's life from the answer's Date
    (XTRA's TokenExpiration - Date) got 25 hours from a one-hour token once the clock moved."""
    app = create_app(
        {"kit": {"clock": {"frozen": True, "start": "2026-12-01T14:37:05Z"}}}, wall=wall
    )
    with client(app) as http:
        session = open_session(http)
        admin(http, "POST", "/clock", json={"advance_seconds": 86400})
        admin(http, "POST", "/clock", session["id"], json={"advance_seconds": 3600})
        global_now = datetime(2026, 12, 2, 14, 37, 5, tzinfo=UTC)
        assert dates(http.get("/__admin/clock")) == [global_now]
        assert dates(http.get("/nowhere")) == [global_now]
        assert dates(http.get(QP, params={"login": "", **DEMO_QP})) == [global_now]
        xtra = session["credentials"]["xtra"]
        account = {"Username": xtra["username"], "Password": xtra["password"]}
        login = http.post(XTRA_LOGIN, json=account)
        (sent,) = dates(login)
        assert sent == datetime(2026, 12, 1, 15, 37, 5, tzinfo=UTC)  # the session's clock
        expires = datetime.fromisoformat(login.json()["result"]["TokenExpiration"])
        assert expires - sent == timedelta(hours=1)
        wrong = http.get(
            "/quoparts/nowhere", params={"username": session["credentials"]["quoparts"]["username"]}
        )
        assert wrong.status_code == 404 and dates(wrong) == [sent]


def test_global_reads_see_the_whole_kit_and_a_matcher_can_ask_for_the_global_scope(
    http: httpx.Client,
) -> None:
    session = open_session(http)
    qp_token(http, session["credentials"]["quoparts"])
    qp_token(http, DEMO_QP)
    assert {e["session"] for e in admin(http, "GET", "/requests")} == {None, session["id"]}
    count = admin(http, "POST", "/requests/count", json={"operation": "login"})
    assert count == {"count": 2}
    only_global = {"operation": "login", "session": None}
    assert admin(http, "POST", "/requests/count", json=only_global) == {"count": 1}


def test_in_a_session_a_matcher_s_session_filters_and_never_reads_another_scope(
    http: httpx.Client,
) -> None:
    a, b = open_session(http)["id"], open_session(http)["id"]
    for sid in (a, b):
        account = admin(http, "GET", f"/sessions/{sid}")["credentials"]["quoparts"]
        qp_token(http, account)
    qp_token(http, DEMO_QP)
    for other in (b, None):
        counted = admin(http, "POST", "/requests/count", a, json={"session": other})
        assert counted == {"count": 0}
        verified = admin(http, "POST", "/requests/verify", a, json={"matcher": {"session": other}})
        assert verified["count"] == 0
    assert admin(http, "POST", "/requests/count", a, json={"session": a}) == {"count": 1}


def test_a_count_s_session_filters_as_a_verify_s_and_is_no_use_of_that_session(
    http: httpx.Client, wall: Wall
) -> None:
    """A count's body is its matcher, yet its ``session`` was taken for the call's scope: from
    the global scope, counting a closed session's calls was a 404 where verify answered 0, and
    counting a live one's renewed its idle time (verify's did not)."""
    live, closed = open_session(http, ttl_seconds=10), open_session(http)
    for session in (live, closed):
        qp_token(http, session["credentials"]["quoparts"])
    admin(http, "DELETE", f"/sessions/{closed['id']}")
    counted = {"session": closed["id"], "operation": "login"}
    assert admin(http, "POST", "/requests/count", json=counted) == {"count": 0}
    verified = admin(http, "POST", "/requests/verify", json={"matcher": counted, "count": 0})
    assert verified == {"ok": True, "count": 0}

    mine = {"session": live["id"]}
    wall.now += 6
    assert admin(http, "POST", "/requests/count", json=mine) == {"count": 1}
    wall.now += 6  # 12 s since the session was last used; 6 since it was counted
    assert http.get(f"/__admin/sessions/{live['id']}").status_code == 404
    assert admin(http, "POST", "/requests/count", json=mine) == {"count": 0}


def test_the_helpers_count_a_session_s_calls_from_the_global_scope_as_verify_does(
    wall: Wall,
) -> None:
    """``server.count(session=ID)`` after the session closed raised a 404 where
    ``server.verify(count=0, session=ID)`` passed; counting kept the session alive."""
    app = create_app(wall=wall)
    with MockServer(app=app) as server, httpx.Client(base_url=server.url) as http:
        with server.session() as closed:
            qp_token(http, closed.credentials["quoparts"])
            assert server.count(session=closed.id) == 1
        assert server.count(session=closed.id) == 0
        server.assert_not_called(session=closed.id)
        assert server.verify(count=0, session=closed.id)["ok"]

        with server.session(ttl_seconds=10) as idle:
            qp_token(http, idle.credentials["quoparts"])
            wall.now += 6
            assert server.count(session=idle.id) == 1
            wall.now += 6  # 12 s since its last use
            assert server.count(session=idle.id) == 0
            assert http.get(f"/__admin/sessions/{idle.id}").status_code == 404


def test_a_call_naming_two_sessions_or_one_that_is_no_id_is_refused(http: httpx.Client) -> None:
    """``?session=A`` with ``"session": "B"`` in the body acted on A, ``?session=A&session=B``
    on B, and ``"session": 123`` was a 404 for no live session 123: the API picked one and
    said nothing. Each is a 400 naming the conflict, and nothing changes."""
    a, b = open_session(http)["id"], open_session(http)["id"]
    clocks = {sid: admin(http, "GET", "/clock", sid) for sid in (a, b)}
    fault = {"vendor": "quoparts", "kind": "status", "status": 500}
    both = f"two sessions named: {a!r} in ?session= and {b!r} in the body; name one (or the"
    both += " same in both)"
    refusals = [
        (("POST", "/clock", {"session": a}, {"advance_seconds": 60, "session": b}), both),
        (("POST", "/faults", {"session": a}, fault | {"session": b}), both),
        (("PUT", "/state/quoparts", {"session": a}, {"tenants": {}, "session": b}), both),
        (
            ("POST", "/clock", [("session", a), ("session", b)], {"advance_seconds": 60}),
            f"?session= is given 2 times ({a!r}, {b!r}): give it once",
        ),
        (
            ("GET", "/clock", [("session", a)] * 2, None),
            f"?session= is given 2 times ({a!r}, {a!r}): give it once",
        ),
        (
            ("POST", "/clock", {}, {"advance_seconds": 60, "session": 123}),
            "'session' must be a live session's id (a string) or null",
        ),
        (
            ("POST", "/reset", {}, {"session": [a]}),
            "'session' must be a live session's id (a string) or null",
        ),
    ]
    for (method, path, params, body), error in refusals:
        refused = http.request(method, f"/__admin{path}", params=params, json=body)
        assert (refused.status_code, refused.json()) == (400, {"error": error}), path
    assert {sid: admin(http, "GET", "/clock", sid) for sid in (a, b)} == clocks
    assert admin(http, "GET", "/faults") == []

    # the same session in both places, or a null in the body: one session, the query's
    admin(http, "POST", "/faults", a, json=fault | {"session": a})
    admin(http, "POST", "/faults", b, json=fault | {"session": None})
    # (each is its session's first fault: listed by session id after that, ids are random)
    assert sorted(f["session"] for f in admin(http, "GET", "/faults")) == sorted([a, b])


def test_limit_zero_lists_no_entry(http: httpx.Client) -> None:
    qp_token(http, DEMO_QP)
    assert admin(http, "GET", "/requests", params={"limit": 0}) == []


# -- whose call it is ----------------------------------------------------------------------
def test_a_call_whose_credentials_name_a_session_belongs_to_it_even_when_wrong(
    http: httpx.Client,
) -> None:
    session = open_session(http)
    sid, credentials = session["id"], session["credentials"]
    http.get(
        QP, params={"login": "", "username": credentials["quoparts"]["username"], "password": "x"}
    )
    keepit(http, credentials["keepit"] | {"password": "x"})
    xtra = credentials["xtra"]
    http.post(
        XTRA_UPDATE,
        json=[{"ID": 1}],
        headers={"SyncPublicKey": xtra["public_key"], "SyncSecretKey": "x"},
    )
    http.post(XTRA_LOGIN, json={"Username": xtra["username"], "Password": "x"})
    # an expired token still names its session, on every retry
    token = admin(http, "POST", "/tsdigital/tokens", sid, json={"kind": "user"})["token"]
    admin(http, "POST", "/tsdigital/tokens/expire", sid)
    for _ in range(2):
        http.post(ITEMS, json={}, headers={"Authorization": f"Bearer {token}"})
    entries = admin(http, "GET", "/requests", sid)
    assert [(e["vendor"], e["status"]) for e in reversed(entries)] == [
        ("quoparts", 200),
        ("keepit", 401),
        ("xtra", 403),
        ("xtra", 403),
        ("tsdigital", 401),
        ("tsdigital", 401),
    ]
    assert {e["tenant"] for e in entries} == {f"ms-{sid}", f"ms-{sid}/1"}
    assert entries[0]["behaviours"] == ["tsdigital.token_expired"]
    assert admin(http, "GET", "/requests", params={"session": sid, "vendor": "quoparts"})[0][
        "behaviours"
    ] == ["quoparts.login_refused"]
    assert [e for e in admin(http, "GET", "/requests") if e["session"] is None] == []


def test_tsdigital_tokens_for_a_session(http: httpx.Client) -> None:
    sid = open_session(http)["id"]
    minted = admin(http, "POST", "/tsdigital/tokens", json={"kind": "user", "session": sid})
    assert minted["tenant"] == f"ms-{sid}"
    both = {"kind": "user", "session": sid, "tenant": "acme"}
    assert http.post("/__admin/tsdigital/tokens", json=both).status_code == 400
    reserved = http.post("/__admin/tsdigital/tokens", json={"kind": "user", "tenant": "ms-x"})
    assert reserved.status_code == 400 and "reserved" in reserved.json()["error"]


# -- expiry, maximum, dropping -------------------------------------------------------------
def test_an_idle_session_expires_after_its_ttl(http: httpx.Client, wall: Wall) -> None:
    session = open_session(http, ttl_seconds=60)
    sid, account = session["id"], session["credentials"]["quoparts"]
    wall.now += 59
    qp_token(http, account)  # a call uses the session: its idle time starts again
    wall.now += 59
    admin(http, "GET", "/clock", sid)  # so does an admin call in it
    wall.now += 59
    assert admin(http, "GET", f"/sessions/{sid}")["id"] == sid  # reading it does not
    wall.now += 1
    assert http.get(f"/__admin/sessions/{sid}").status_code == 404
    assert http.get("/__admin/requests", params={"session": sid}).status_code == 404
    login = http.get(QP, params={"login": "", **account}).json()
    assert login["errorCode"] == "101"  # its accounts are gone with it
    assert admin(http, "GET", "/sessions") == []


def test_a_short_lived_session_in_use_does_not_expire(http: httpx.Client, wall: Wall) -> None:
    """A use was written only a second after the last written one: a session of a 1.5 s TTL used
    every 0.8 s expired 0.8 s after its last use."""
    session = open_session(http, ttl_seconds=1.5)
    for _ in range(6):
        wall.now += 0.8
        assert http.get("/__admin/clock", params={"session": session["id"]}).is_success
    wall.now += 1.49
    assert http.get(f"/__admin/sessions/{session['id']}").is_success
    wall.now += 0.01
    assert http.get(f"/__admin/sessions/{session['id']}").status_code == 404


def test_a_page_watching_a_session_does_not_keep_it_alive(http: httpx.Client, wall: Wall) -> None:
    """The dashboard polls every second with ?session=: every poll renewed the idle timer, so a
    session left open in a tab never expired (and counted against the maximum)."""
    sid = open_session(http, ttl_seconds=60)["id"]
    watch = {"X-Mockservers-Watch": "1"}
    for _ in range(59):
        wall.now += 1
        assert http.get("/__admin/clock", params={"session": sid}, headers=watch).is_success
    wall.now += 2
    assert http.get(f"/__admin/sessions/{sid}").status_code == 404


def test_an_expired_session_counts_in_no_whole_kit_read(http: httpx.Client, wall: Wall) -> None:
    """Expiry happened when something listed or opened sessions: until then a whole-kit read
    still counted the journal, faults and coverage of a session idle past its TTL."""
    session = open_session(http, ttl_seconds=1)
    sid = session["id"]
    admin(
        http, "POST", "/faults", sid, json={"vendor": "quoparts", "kind": "status", "status": 500}
    )
    qp_token(http, DEMO_QP)
    http.get(QP, params={"login": "", **session["credentials"]["quoparts"]})
    wall.now += 2
    assert admin(http, "POST", "/requests/count", json={"operation": "login"}) == {"count": 1}
    assert [e["session"] for e in admin(http, "GET", "/requests")] == [None]
    assert admin(http, "GET", "/faults") == []


def test_a_wrong_path_in_a_session_is_journalled_on_its_clock(http: httpx.Client) -> None:
    session = open_session(http)
    sid, account = session["id"], session["credentials"]["keepit"]
    admin(http, "POST", "/clock", sid, json={"advance_seconds": 86400})
    now = admin(http, "GET", "/clock", sid)["now"]
    headers = {"username": account["username"], "password": account["password"]}
    headers |= {"companyId": account["company_id"], "siteId": account["site_id"]}
    assert http.post("/keepit/nope", headers=headers, json={}).status_code == 404
    (entry,) = admin(http, "GET", "/requests", sid)
    assert entry["operation"] == "unknown" and entry["time"][:10] == now[:10]


def test_the_configured_maximum_keeps_memory_bounded(http: httpx.Client, wall: Wall) -> None:
    ids = [open_session(http, ttl_seconds=10 + n)["id"] for n in range(3)]
    full = http.post("/__admin/sessions", json={})
    assert full.status_code == 429 and "3 sessions are live" in full.json()["error"]
    admin(http, "DELETE", f"/sessions/{ids[1]}")
    open_session(http)
    assert http.post("/__admin/sessions", json={}).status_code == 429
    wall.now += 11  # the first one idles out: a slot is free again
    open_session(http)
    assert len(admin(http, "GET", "/sessions")) == 3


def test_dropping_a_session_drops_everything_it_holds(
    kit: tuple[Starlette, httpx.Client],
) -> None:
    app, http = kit
    session = open_session(http)
    sid, credentials = session["id"], session["credentials"]
    qp_import(http, qp_token(http, credentials["quoparts"]))
    keepit(http, credentials["keepit"])
    admin(http, "POST", "/tsdigital/tokens", sid, json={"kind": "user"})
    admin(http, "POST", "/faults", sid, json={"vendor": "xtra", "kind": "drop"})
    core = app.state.kit
    prefix = f"ms-{sid}"

    def held() -> list[str]:
        found = [n for v in core.vendors.values() for n in v.state.tenants if sid in n]
        for name, obj in core.store.objects.items():
            data = getattr(obj, "data", None)
            if isinstance(data, dict):
                found += [
                    f"{name}:{key}"
                    for key, value in data.items()
                    if sid in str(key) or prefix in str(value)
                ]
        found += [e.id for e in core.journal.entries() if e.session == sid]
        return found

    assert held()
    assert admin(http, "DELETE", f"/sessions/{sid}") == {"dropped": sid}
    assert held() == []
    assert admin(http, "DELETE", "/sessions") == {"dropped": []}


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_the_sessions_own_calls_refuse_a_session_and_leave_every_session_alone(
    http: httpx.Client, method: str
) -> None:
    """``DELETE /__admin/sessions?session=A`` dropped every session of the kit (a test on a
    shared server "dropping its own" dropped every other test's), and ``GET`` listed them all:
    the calls on the sessions themselves take no session, so one is a 400 that names the call
    for one session; nothing is opened or dropped."""
    a, b = open_session(http), open_session(http)
    asked = [{"params": {"session": a["id"]}}]
    if method == "POST":
        asked.append({"json": {"session": a["id"]}})
    for kw in asked:
        refused = http.request(method, "/__admin/sessions", **kw)
        assert refused.status_code == 400, kw
        assert refused.json() == {
            "error": f"{method} /__admin/sessions takes no session: it acts on the kit's"
            " sessions (one of them: /__admin/sessions/{session_id})"
        }
    assert sorted(s["id"] for s in admin(http, "GET", "/sessions")) == sorted([a["id"], b["id"]])


def test_one_session_s_calls_take_a_session_as_the_testing_helpers_send_it(
    http: httpx.Client, wall: Wall
) -> None:
    """``GET``/``DELETE /__admin/sessions/{id}`` take ``?session=`` as every scoped call does
    (the helpers' ``Session`` sends its own): it renews that session's idle time, and an
    unknown one is a 404 that drops nothing."""
    a, b = open_session(http, ttl_seconds=10), open_session(http, ttl_seconds=10)
    wall.now += 8
    assert admin(http, "GET", f"/sessions/{b['id']}", a["id"])["id"] == b["id"]
    wall.now += 8  # b idled out; a was used 8 s ago
    assert [s["id"] for s in admin(http, "GET", "/sessions")] == [a["id"]]
    unknown = http.delete(f"/__admin/sessions/{a['id']}", params={"session": b["id"]})
    assert unknown.status_code == 404
    assert admin(http, "DELETE", f"/sessions/{a['id']}", a["id"]) == {"dropped": a["id"]}
