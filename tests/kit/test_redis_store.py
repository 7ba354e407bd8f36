"""The Redis store: many processes act as one fake.

In-process first (two apps on one Redis are two processes of one fake), then real ones:
``serve --store redis:// --workers 2`` and two ``serve`` processes on two ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import os
import select
import signal
import subprocess
import threading
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis
import redis.asyncio

from mockservers import create_app
from mockservers.core import redis_lock, redis_reload
from mockservers.core.journal_entry import Entry
from mockservers.core.redis_reload import HASH_PIECE
from mockservers.core.redis_store import RedisStore
from mockservers.core.redis_writes import SEP
from mockservers.core.unjournalled import UNASSIGNED
from mockservers.testing import SyncASGITransport
from tests import redis_server
from tests.conftest import QP, qp_call, qp_login
from tests.coverage_kit import GlobalScope, met_count
from tests.kit.test_reliability import (
    answered_through_a_stop,
    assert_journalled_as_answered,
    nohup,
    outlives_its_terminal,
)
from tests.kit.test_serve_options import FROZEN_2031, assert_dated_by_the_kit
from tests.kit.test_sessions import (
    JOURNAL_OFF,
    assert_a_global_journal_off_leaves_sessions_their_own,
)
from tests.servers import Served, free_port, serving
from tests.tsdigital import test_http as tsd
from tests.xtra import test_http as xtra

KEEPIT = {"username": "demo", "password": "demo", "companyId": "1", "siteId": "1"}
KEEPIT_CALL = "/keepit/api?cmd=insertClient_v3"
KEEPIT_BODY = {
    "subjectsRecords": [
        {
            "action": "I",
            "subjects": {
                "customerCode": "C1",
                "system": "DW",
                "subjectType": "FIDELITY",
                "subjectSubtype": "4",
                "isCompany": "F",
                "countryRegistration": "IT",
            },
        }
    ]
}


ARTICLE = {"DES_RGR": "Filtro olio", "COD_ART_PVT": "1883037", "IMP_LST_PVT": 14.57}


def row(erp: str) -> dict[str, str]:
    return {"DES_NOM": "Rossi", "COD_PTA_IVA": "12345678901", "COD_CLI_ERP": erp}


FROZEN = {"clock": {"frozen": True, "start": "2025-01-01T00:00:00Z"}}
LOCK_DEADLINE = 5.0
"""The tests' processes give up on the kit's lock after this (a regression fails, not hangs)."""


@contextmanager
def processes(
    url: str, count: int = 2, prefix: str = "", **config: object
) -> Iterator[list[httpx.Client]]:
    """``count`` in-process apps on one Redis namespace (``prefix``, or a new one): ``count``
    processes of one fake (their clocks frozen, so that both read the same instant)."""
    prefix = prefix or f"test-{uuid.uuid4().hex}"
    with ExitStack() as stack:
        clients = []
        for _ in range(count):
            store = RedisStore(url, prefix=prefix, wait=0.2, lock_deadline=LOCK_DEADLINE)
            app = create_app({"kit": FROZEN, **config}, store=store)
            transport = SyncASGITransport(app, lifespan=True)
            clients.append(
                stack.enter_context(httpx.Client(transport=transport, base_url="http://m"))
            )
        yield clients


def test_a_frozen_clock_without_a_start_is_reset_to_the_kit_s_instant(redis_url: str) -> None:
    """Whichever process resets it, and however late it started: the instant the kit's clock
    first stood at (the reset took it to the wall's time of the process that answered)."""
    wall = [1_750_000_000.0]
    prefix = f"test-{uuid.uuid4().hex}"
    with ExitStack() as stack:
        clients = []
        for _ in range(2):
            app = create_app(
                {"kit": {"clock": {"frozen": True}}},
                store=RedisStore(redis_url, prefix=prefix, wait=0.2, lock_deadline=LOCK_DEADLINE),
                wall=lambda: wall[0],
            )
            transport = SyncASGITransport(app, lifespan=True)
            clients.append(
                stack.enter_context(httpx.Client(transport=transport, base_url="http://m"))
            )
            assert clients[-1].get("/__admin/clock").json() == {"now": "2025-06-15T15:06:40Z"}
            wall[0] += 3600  # the second one starts an hour later
        one, two = clients
        one.post("/__admin/clock", json={"advance_seconds": 10})
        assert two.post("/__admin/reset", json={}).status_code == 200
        for http in clients:
            assert http.get("/__admin/clock").json() == {"now": "2025-06-15T15:06:40Z"}


def test_a_process_prunes_tokens_after_another_one_s_reset_took_the_clock_back(
    redis_url: str,
) -> None:
    """Its next prune was a minute after its last on the clock before the reset (a year away,
    after a year's advance): it pruned nothing until the clock caught up."""
    with processes(redis_url) as (one, two):

        def mint() -> str:
            return one.post("/__admin/tsdigital/tokens", json={"kind": "user"}).json()["token"]

        def detail(token: str) -> str:
            headers = {"Authorization": f"Bearer {token}", "X-App-Name": "t", "X-App-Version": "1"}
            answer = one.post("/tsdigital/api/v3/items", json={}, headers=headers)
            return answer.headers["X-Mockservers-Detail"]

        mint()
        one.post("/__admin/clock", json={"advance_seconds": 365 * 86400})
        mint()
        assert two.post("/__admin/reset", json={}).status_code == 200
        token = mint()
        one.post("/__admin/tsdigital/tokens/expire")
        one.post("/__admin/clock", json={"advance_seconds": 3700})
        mint()  # prunes
        assert detail(token) == "the bearer token is unknown"


def test_a_process_expires_and_prunes_a_session_s_tokens_another_one_minted(
    redis_url: str,
) -> None:
    """Each process keeps the tokens by the scope that owns them, from the writes it makes and
    those it replays: the other process's tokens of a session are among them."""
    with processes(redis_url) as (one, two):
        session = one.post("/__admin/sessions", json={}).json()["id"]
        scoped = {"params": {"session": session}}

        def mint(http: httpx.Client) -> str:
            minted = http.post("/__admin/tsdigital/tokens", json={"kind": "user"}, **scoped)
            return str(minted.json()["token"])

        minted = [mint(one), mint(one), mint(two)]  # the last starts two's schedule
        assert two.post("/__admin/tsdigital/tokens/expire", **scoped).json() == {"expired": 3}
        two.post("/__admin/clock", json={"advance_seconds": 3700}, **scoped)
        mint(two)  # prunes
        for token in minted:
            headers = {"Authorization": f"Bearer {token}", "X-App-Name": "t", "X-App-Version": "1"}
            answer = one.post("/tsdigital/api/v3/items", json={}, headers=headers)
            assert answer.headers["X-Mockservers-Detail"] == "the bearer token is unknown"


def test_a_process_new_to_a_scope_prunes_its_tokens_long_expired_at_its_first_login(
    redis_url: str,
) -> None:
    """A process started a scope's schedule at its first token there and pruned nothing: a
    session's token expired for a day stayed known when the next login landed on the other
    process, and a call with it was the session's token_expired, where the testing docs (and
    one process) make it a token the kit never issued, in the global scope."""
    with processes(redis_url) as (one, two):
        session = one.post("/__admin/sessions", json={}).json()
        sid, account = session["id"], session["credentials"]["quoparts"]
        token = qp_login(one, account["username"], account["password"])
        one.post("/__admin/clock", json={"advance_seconds": 86400}, params={"session": sid})
        qp_login(two, account["username"], account["password"])  # prunes
        answer = qp_call(one, "importCli", token, {"data": [row("CLI001")]})
        assert answer.json()["errorCode"] == "101"
        assert answer.headers["X-Mockservers-Detail"] == "the token is unknown"
        in_session = one.get("/__admin/requests", params={"session": sid}).json()
        assert [entry["operation"] for entry in in_session] == ["login", "login"]
        (entry,) = two.get("/__admin/requests", params={"operation": "importCli"}).json()
        assert entry["session"] is None and entry["behaviours"] == ["quoparts.token_invalid"]
        met = one.get("/__admin/coverage", params={"session": sid}).json()["quoparts"]
        assert {b["behaviour"]: b["met"] for b in met}["quoparts.token_expired"] == 0


@pytest.mark.usefixtures("in_rome")
def test_an_instant_an_earlier_version_kept_without_a_zone_is_read_as_utc(redis_url: str) -> None:
    """A TS Digital ready_at without a time zone (an earlier version took one in a state
    document) was read in the server's zone: an hour early in Rome, settled at once."""
    prefix = f"test-{uuid.uuid4().hex}"
    delay = {"processing_delay_seconds": 45 * 60}
    with processes(redis_url, count=1, prefix=prefix, tsdigital=delay) as (http,):
        token = http.post("/__admin/tsdigital/tokens", json={"kind": "user"}).json()["token"]
        headers = {"Authorization": f"Bearer {token}", "X-App-Name": "t", "X-App-Version": "1"}
        body = {"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}}
        item_id = http.post("/tsdigital/api/v3/items", json=body, headers=headers).json()["id"]
    client = redis.Redis.from_url(redis_url)
    key = RedisStore(redis_url, prefix=prefix).key("state", "tsdigital", "demo")
    field = f"items\x1f{item_id}"
    record = orjson.loads(client.hget(key, field))
    assert record["ready_at"] == "2025-01-01T00:45:00Z"
    client.hset(key, field, orjson.dumps(record | {"ready_at": "2025-01-01T00:45:00"}))
    client.close()
    with processes(redis_url, count=1, prefix=prefix, tsdigital=delay) as (http,):

        def status() -> str:
            tenants = http.get("/__admin/state/tsdigital").json()["tenants"]
            return tenants["demo"]["items"][item_id]["status"]

        assert status() == "PROCESSING"
        http.post("/__admin/clock", json={"advance_seconds": 45 * 60 - 1})
        assert status() == "PROCESSING"
        http.post("/__admin/clock", json={"advance_seconds": 1})
        assert status() == "CREATED"


def test_two_processes_share_writes_tokens_clock_faults_and_sessions(redis_url: str) -> None:
    with processes(redis_url) as (one, two):
        token = qp_login(one)
        first = qp_call(two, "importCli", token, {"data": [row("CLI001")]}).json()
        second = qp_call(one, "importCli", token, {"data": [row("CLI002")]}).json()
        assert [first["data"][0]["COD_CLI"], second["data"][0]["COD_CLI"]] == ["000001", "000002"]
        assert set(two.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]) == {
            "CLI001",
            "CLI002",
        }
        one.post("/__admin/clock", json={"advance_seconds": 3600})
        assert two.get("/__admin/clock").json() == one.get("/__admin/clock").json()
        expired = qp_call(two, "importCli", token, {"data": [row("CLI003")]}).json()
        assert expired["errorCode"] == "101"  # the token expired on both
        one.post("/__admin/faults", json={"vendor": "quoparts", "kind": "status", "status": 503})
        assert two.get(QP, params={"login": ""}).status_code == 503
        session = two.post("/__admin/sessions").json()
        assert one.get(f"/__admin/sessions/{session['id']}").status_code == 200
        assert len(one.get("/__admin/requests").json()) == len(two.get("/__admin/requests").json())


def test_processes_on_resp2_and_resp3_act_as_one_fake(redis_url: str) -> None:
    """redis-py 8 speaks RESP3 unless the URL says ``?protocol=2`` (earlier versions RESP2, and
    ``?protocol=3`` gives RESP3's own reply shapes): the store reads the replies of each, live
    and when a later process loads the kit."""
    prefix = f"test-{uuid.uuid4().hex}"
    with (
        processes(f"{redis_url}?protocol=2", count=1, prefix=prefix) as (two,),
        processes(f"{redis_url}?protocol=3", count=1, prefix=prefix) as (three,),
    ):
        token = qp_login(two)
        first = qp_call(three, "importCli", token, {"data": [row("CLI001")]}).json()
        second = qp_call(two, "importCli", token, {"data": [row("CLI002")]}).json()
        assert [first["data"][0]["COD_CLI"], second["data"][0]["COD_CLI"]] == ["000001", "000002"]
        spec = {"vendor": "quoparts", "operation": "login", "kind": "status", "status": 503}
        assert three.post("/__admin/faults", json=spec).status_code == 201
        journals = [http.get("/__admin/requests").json() for http in (two, three)]
        assert len(journals[0]) == len(journals[1]) == 3  # the login and the two imports
        with redis.Redis.from_url(redis_url) as client:
            spoken = client.execute_command("CLIENT", "LIST").decode()
        assert "resp=2" in spoken and "resp=3" in spoken
    for query in ("?protocol=2", "?protocol=3"):
        with processes(redis_url + query, count=1, prefix=prefix) as (later,):
            state = later.get("/__admin/state/quoparts").json()
            assert set(state["tenants"]["demo"]["customers"]) == {"CLI001", "CLI002"}
            assert later.get(QP, params={"login": ""}).status_code == 503


def test_a_process_that_loads_the_kit_meets_the_faults_in_the_order_they_were_added(
    redis_url: str,
) -> None:
    """A reload reads the faults back in no particular order (a Redis hash): the first added
    that matches is the one a call meets, in every process."""
    prefix = f"test-{uuid.uuid4().hex}"
    with processes(redis_url, count=1, prefix=prefix) as (one,):
        for status in range(500, 508):
            spec = {"vendor": "quoparts", "operation": "login", "kind": "status", "status": status}
            assert one.post("/__admin/faults", json=spec).status_code == 201
    with processes(redis_url, count=1, prefix=prefix) as (later,):
        listed = [fault["id"] for fault in later.get("/__admin/faults").json()]
        assert listed == [f"fault-{n}" for n in range(1, 9)]
        assert later.get(QP, params={"login": ""}).status_code == 500


def test_a_call_that_kept_nothing_leaves_the_same_state_in_every_process(redis_url: str) -> None:
    """KeepIT looks its tenant up for a call it refuses: no tenant in either dump (one process
    showed an empty one, the other none)."""
    with processes(redis_url) as (one, two):
        refused = one.post(KEEPIT_CALL, headers=KEEPIT, json={"subjectsRecords": []})
        assert refused.json()["code"] == 400
        assert one.get("/__admin/state/keepit").json() == {"tenants": {}}
        assert two.get("/__admin/state/keepit").json() == {"tenants": {}}


def test_each_process_indexes_the_records_the_other_writes(redis_url: str) -> None:
    """Records cross between processes as stored, and each process's derived indexes follow:
    KeepIT's unique customer code (its model is told of every record), QuoParts' index by
    COD_CLI (which catches up with new customers by itself)."""
    with processes(redis_url) as (one, two):
        other = copy.deepcopy(KEEPIT_BODY)
        other["subjectsRecords"][0]["subjects"]["customerCode"] = "C0"
        token = qp_login(two)
        qp_call(two, "importCli", token, {"data": [row("CLI000")]})
        two.post(KEEPIT_CALL, headers=KEEPIT, json=other)  # from here on, two replays one
        inserted = one.post(KEEPIT_CALL, headers=KEEPIT, json=KEEPIT_BODY).json()
        again = two.post(KEEPIT_CALL, headers=KEEPIT, json=KEEPIT_BODY).json()
        assert [len(inserted["insertedObjects"]), len(again["duplicatedObjects"])] == [1, 1]
        imported = qp_call(one, "importCli", token, {"data": [row("CLI001")]}).json()
        code = imported["data"][0]["COD_CLI"]
        header = {"COD_TGA": "TE001ST", "DES_VCL": "FORD B-Max", "COD_CLI": code}
        quote = {"testata": header, "articoli": [ARTICLE]}
        created = qp_call(two, "importPvt", token, {"data": quote}).json()
        assert created["errorCode"] == "0", created
        stored = two.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
        assert stored["CLI001"]["COD_CLI"] == code


def test_redis_and_the_log_keep_each_record_as_the_writing_process_keeps_it(
    redis_url: str,
) -> None:
    """A record is packed once, by its collection: the tenant's hash and the log entry the
    other processes replay hold those bytes (a bulk import, single puts, a TS Digital item
    settled from the JSON kept), and they read back as the record the process shows."""
    prefix = f"test-{uuid.uuid4().hex}"
    with processes(redis_url, count=1, prefix=prefix) as (http,):
        token = qp_login(http)
        qp_call(http, "importCli", token, {"data": [row("CLI001"), row("CLI002")]})
        qp_call(http, "importCli", token, {"data": [row("CLI001") | {"DES_NOM": "Bianchi"}]})
        http.post(KEEPIT_CALL, headers=KEEPIT, json=KEEPIT_BODY)
        minted = http.post("/__admin/tsdigital/tokens", json={"kind": "user"}).json()
        headers = {"Authorization": f"Bearer {minted['token']}", "X-App-Name": "t"}
        item = {"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}}
        http.post("/tsdigital/api/v3/items", json=item, headers=headers | {"X-App-Version": "1"})
        http.post("/__admin/clock", json={"advance_seconds": 3600})
        kit = http._transport._app.state.kit  # type: ignore[attr-defined]
        store = kit.store
        shown = {v: http.get(f"/__admin/state/{v}").json() for v in ("quoparts", "tsdigital")}
        raw = redis.Redis.from_url(redis_url)
        logged = _logged_records(raw, store.key("log"))
        logged_as_kept: set[tuple[str, str, str]] = set()
        for vendor, model in kit.vendors.items():
            for name, tenant in model.state.tenants.items():
                kept_in_redis = raw.hgetall(store.key("state", vendor, name))
                for collection, records in tenant.collections.items():
                    for key in records:
                        packed = kept_in_redis[f"{collection}{SEP}{key}".encode()]
                        assert packed == records.kept(key), (vendor, collection, key)
                        if vendor in shown:
                            record = shown[vendor]["tenants"][name][collection][key]
                            assert orjson.loads(packed) == record
                        if (f"state:{vendor}", name, collection, key) in logged:
                            assert logged[f"state:{vendor}", name, collection, key] == packed
                            logged_as_kept.add((vendor, collection, key))
        raw.close()
    item_id = next(iter(kit.vendors["tsdigital"].state.tenants["demo"].collections["items"]))
    assert shown["tsdigital"]["tenants"]["demo"]["items"][item_id]["status"] == "CREATED"
    written = {("quoparts", "customers", "CLI001"), ("quoparts", "customers", "CLI002")}
    written |= {("keepit", "subjects", "1"), ("tsdigital", "items", item_id)}
    assert written <= logged_as_kept


def _logged_records(raw: redis.Redis, log: str) -> dict[tuple[str, str, str, str], bytes]:
    """The latest JSON the log carries of each record: (state, tenant, collection, key) ->
    bytes. Read unparsed: each record is a field of its own, all named "r"."""
    raw.set_response_callback("XRANGE", lambda reply, **options: reply)
    logged: dict[tuple[str, str, str, str], bytes] = {}
    for _, fields in raw.execute_command("XRANGE", log, "-", "+"):
        records = iter(fields[3::2])  # "ops", their JSON, then "r" and a record, and so on
        for name, operation, args in orjson.loads(fields[1]):
            for key in args[2] if operation == "records" else ():
                logged[name, args[0], args[1], key] = next(records)
    return logged


def test_a_user_a_session_inserted_in_one_process_logs_in_without_keys_in_another(
    redis_url: str,
) -> None:
    """A login without keys finds a session's user by the Username index every process derives
    from the state; once the session is dropped, on either process, no longer."""
    with processes(redis_url) as (one, two):
        session, keys = xtra.in_session(one)
        inserted = xtra.one(one, xtra.shop_user(), headers=keys)["Item1"]
        assert xtra.login(two, "shopuser", "pw")["IRID"] == inserted
        (entry,) = xtra.logins(one, session)
        assert entry["status"] == 200
        one.delete(f"/__admin/sessions/{session}")
        body = {"Username": "shopuser", "Password": "pw"}
        assert two.post("/xtra/api/sync/v1/login", json=body).status_code == 403


def test_a_reset_in_one_process_empties_the_other_processs_indexes(redis_url: str) -> None:
    """A vendor reset reaches the other process as its tenants dropped, and that process's
    derived indexes forget them: KeepIT's unique codes, XTRA's ExternalKeys, QuoParts' index by
    COD_CLI (which would otherwise still send the renumbered COD_CLI 000001 to the customer the
    reset removed)."""
    with processes(redis_url) as (one, two):
        identity = {**xtra.NEW, "ExternalKey": "EXT-1"}
        assert xtra.one(two, identity)["Item3"] is True
        one.post("/__admin/reset", json={"vendor": "xtra"})
        assert xtra.one(two, identity)["Item3"] is True  # an insert again, not "già trovata"

        assert (
            len(two.post(KEEPIT_CALL, headers=KEEPIT, json=KEEPIT_BODY).json()["insertedObjects"])
            == 1
        )
        one.post("/__admin/reset", json={"vendor": "keepit"})
        again = two.post(KEEPIT_CALL, headers=KEEPIT, json=KEEPIT_BODY).json()
        assert len(again["insertedObjects"]) == 1, again

        def quote_for(client: httpx.Client, token: str) -> dict[str, object]:
            header = {"COD_TGA": "TE001ST", "DES_VCL": "FORD B-Max", "COD_CLI": "000001"}
            body = {"data": {"testata": header, "articoli": [ARTICLE]}}
            return qp_call(client, "importPvt", token, body).json()  # type: ignore[no-any-return]

        token = qp_login(one)
        qp_call(one, "importCli", token, {"data": [row("CLI001")]})
        assert quote_for(two, token)["errorCode"] == "0"  # two has indexed COD_CLI 000001
        one.post("/__admin/reset", json={"vendor": "quoparts"})
        token = qp_login(one)
        imported = qp_call(one, "importCli", token, {"data": [row("CLI002")]}).json()
        assert imported["data"][0]["COD_CLI"] == "000001"
        created = quote_for(two, token)
        assert created["errorCode"] == "0", created
        quotes = two.get("/__admin/state/quoparts").json()["tenants"]["demo"]["quotes"]
        assert [q["COD_CLI_ERP"] for q in quotes.values()] == ["CLI002"]


def test_a_reset_in_one_process_leaves_the_other_no_stale_processing(redis_url: str) -> None:
    """TS Digital's item ids start again after a reset: the other process must not finish a
    new item at the ready time of the one the reset removed."""
    delay = {"tsdigital": {"processing_delay_seconds": 10}}
    with processes(redis_url, **delay) as (one, two):
        first = tsd.create(one, tsd.mint(one)).json()["id"]
        assert tsd.items(two)[first]["status"] == "PROCESSING"  # two waits for it too
        one.post("/__admin/reset", json={"vendor": "tsdigital"})
        tsd.advance(one, 5)
        again = tsd.create(one, tsd.mint(one)).json()["id"]
        assert again == first
        tsd.advance(one, 5)  # the first item's ready time; the new one is ready in 5 s
        assert tsd.items(two)[again]["status"] == "PROCESSING"
        tsd.advance(one, 5)
        assert tsd.items(two)[again]["status"] == "CREATED"


def test_both_processes_settle_an_item_at_the_instant_its_ready_at_shows(redis_url: str) -> None:
    """The accepting process waited for the exact ``now + delay``, the other for the ready_at it
    read (to the microsecond): with the clock moved a fraction of one short of the delay and
    showing that ready_at, the other said PROCESSING and the accepting one CREATED."""
    delay = {"tsdigital": {"processing_delay_seconds": 29.9999996}}
    with processes(redis_url, **delay) as (one, two):
        item_id = tsd.create(one, tsd.mint(one)).json()["id"]
        ready_at = tsd.items(two)[item_id]["ready_at"]
        assert ready_at == "2025-01-01T00:00:30Z"
        tsd.advance(one, 29.999999)
        assert [tsd.items(http)[item_id]["status"] for http in (two, one)] == ["PROCESSING"] * 2
        moved = one.post("/__admin/clock", json={"advance_seconds": 0.0000008}).json()["now"]
        assert moved == tsd.now(two) == ready_at
        assert [tsd.items(http)[item_id]["status"] for http in (two, one)] == ["CREATED"] * 2


def test_a_state_load_reaches_the_other_process(redis_url: str) -> None:
    with processes(redis_url) as (one, two):
        token = qp_login(one)
        qp_call(one, "importCli", token, {"data": [row("CLI001")]})
        document = one.get("/__admin/state/quoparts").json()
        document["tenants"]["acme"] = document["tenants"].pop("demo")
        assert one.put("/__admin/state/quoparts", json=document).status_code == 200
        assert two.get("/__admin/state/quoparts").json() == document


def test_a_tenant_larger_than_a_read_reloads_whole(redis_url: str) -> None:
    """A process that reloads reads a tenant's hash and its order in pieces (``HASH_PIECE``
    fields each: one reply for millions of customers outlasted the socket's deadline): every
    customer and the sequence arrive, in the document's order, and the next call's code
    follows on."""
    count = 2 * HASH_PIECE + 5
    codes = {"COD_USR": "M00001", "COD_PWD": "ABC123"}
    customers = {
        f"C{i}": {**row(f"C{i}"), "COD_CLI": f"{i:06d}", **codes} for i in range(count, 0, -1)
    }
    document = {"tenants": {"demo": {"sequences": {"COD_CLI": count}, "customers": customers}}}
    with processes(redis_url) as (one, two):
        assert one.put("/__admin/state/quoparts", json=document).status_code == 200
        reloaded = two.get("/__admin/state/quoparts").json()["tenants"]["demo"]
        assert (reloaded["sequences"], reloaded["customers"]) == ({"COD_CLI": count}, customers)
        assert list(reloaded["customers"]) == list(customers)
        token = qp_login(two)
        answer = qp_call(two, "importCli", token, {"data": [row("NEW")]}).json()
        assert answer["data"][0]["COD_CLI"] == f"{count + 1:06d}"


def test_a_reload_holds_no_second_copy_of_a_tenant(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process reads a tenant back a piece at a time and keeps each piece as it comes: the
    memory it needs beyond the tenant it builds is about one piece's, not a second copy of
    the tenant (600,000 customers held whole as Redis's replies took 337 MB instead of 225,
    and up to twice the time, under the kit's lock)."""
    monkeypatch.setattr(redis_reload, "HASH_PIECE", 200)
    prefix = f"test-{uuid.uuid4().hex}"
    codes = {"COD_USR": "M00001", "COD_PWD": "ABC123"}
    customers = {f"C{i}": {**row(f"C{i}"), "COD_CLI": f"{i:06d}", **codes} for i in range(20_000)}
    document = {"tenants": {"demo": {"customers": customers}}}
    with processes(redis_url, count=1, prefix=prefix) as (one,):
        assert one.put("/__admin/state/quoparts", json=document).status_code == 200
    app = create_app({"kit": FROZEN}, store=RedisStore(redis_url, prefix=prefix))
    with httpx.Client(transport=SyncASGITransport(app, lifespan=True), base_url="http://m") as two:
        tracemalloc.start()
        try:
            assert two.get("/__admin/health").status_code == 200  # read back on its first call
            kept, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        read = two.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
    assert list(read) == list(customers)
    assert peak - kept < kept / 5


@pytest.mark.parametrize("lost", ["the list", "its sequences"])
def test_a_tenant_an_earlier_version_kept_without_its_order_reloads_whole(
    redis_url: str, lost: str
) -> None:
    """An earlier version kept no order list, or one naming only records: a process that
    reloads such a tenant has every record and sequence all the same, and lists those a
    later call adds after them."""
    prefix = f"test-{uuid.uuid4().hex}"
    with processes(redis_url, count=1, prefix=prefix) as (one,):
        qp_call(one, "importCli", qp_login(one), {"data": [row("CLI001"), row("CLI002")]})
    order = RedisStore(redis_url, prefix=prefix).key("state-order", "quoparts", "demo")
    client = redis.Redis.from_url(redis_url)
    if lost == "the list":
        client.delete(order)
    else:
        for field in client.lrange(order, 0, -1):
            if field.startswith(b"sequences"):
                client.lrem(order, 0, field)
    client.close()
    with processes(redis_url, count=1, prefix=prefix) as (two,):
        answer = qp_call(two, "importCli", qp_login(two), {"data": [row("CLI003")]}).json()
        assert answer["data"][0]["COD_CLI"] == "000003"
        customers = two.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
        assert sorted(customers) == ["CLI001", "CLI002", "CLI003"]
        assert list(customers)[-1] == "CLI003"


def test_records_an_earlier_version_kept_without_their_order_come_by_name(
    redis_url: str,
) -> None:
    """Their order is lost, and a hash hands its fields in an order that changes as it grows:
    a process that read them before the tenant grew and one that reads them after list them
    alike, by name, before the records written since."""
    prefix = f"test-{uuid.uuid4().hex}"
    codes = {"COD_USR": "M00001", "COD_PWD": "ABC123"}
    customers = {
        f"C{n:02d}": {**row(f"C{n:02d}"), "COD_CLI": f"{n:06d}", **codes} for n in range(19, -1, -1)
    }
    document = {"tenants": {"demo": {"customers": customers}}}
    with processes(redis_url, count=1, prefix=prefix) as (one,):
        assert one.put("/__admin/state/quoparts", json=document).status_code == 200
    client = redis.Redis.from_url(redis_url)
    client.delete(RedisStore(redis_url, prefix=prefix).key("state-order", "quoparts", "demo"))
    client.close()
    with processes(redis_url, count=1, prefix=prefix) as (two,):
        listed = list(two.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"])
        assert listed == sorted(customers)
        rows = [row(f"N{n:03d}") for n in range(300)]  # the hash grows: Redis rehashes it
        qp_call(two, "importCli", qp_login(two), {"data": rows})
        followed = two.get("/__admin/state/quoparts").content
    with processes(redis_url, count=1, prefix=prefix) as (three,):
        assert three.get("/__admin/state/quoparts").content == followed


@pytest.mark.parametrize("lost", ["the list", "its sequences"])
def test_a_process_that_reads_fields_the_order_list_does_not_name_names_them(
    redis_url: str, lost: str
) -> None:
    """In the commit that ends its hold of the lock, in the order it read them: the next
    process to read the tenant reads no more than the list names, and finds them alike."""
    prefix = f"test-{uuid.uuid4().hex}"
    with processes(redis_url, count=1, prefix=prefix) as (one,):
        qp_call(one, "importCli", qp_login(one), {"data": [row("CLI002"), row("CLI001")]})
    store = RedisStore(redis_url, prefix=prefix)
    state, order = (store.key(name, "quoparts", "demo") for name in ("state", "state-order"))
    client = redis.Redis.from_url(redis_url)
    if lost == "the list":
        client.delete(order)
    else:
        client.lrem(order, 0, f"sequences{SEP}COD_CLI")
    with processes(redis_url, count=1, prefix=prefix) as (two,):
        read = two.get("/__admin/state/quoparts").content
    named = [field.decode() for field in client.lrange(order, 0, -1)]
    assert sorted(named) == sorted(field.decode() for field in client.hkeys(state))
    customers = [name.partition(SEP)[2] for name in named if "customers" in name]
    assert customers == (["CLI001", "CLI002"] if lost == "the list" else ["CLI002", "CLI001"])
    client.close()
    with processes(redis_url, count=1, prefix=prefix) as (three,):
        assert three.get("/__admin/state/quoparts").content == read


def test_state_this_version_cannot_read_is_the_vendors_5xx_naming_it(redis_url: str) -> None:
    """A tenant's hash holding a collection the vendor does not have (another version of the kit
    wrote it): a process that reloads answers the vendor's 5xx body, the detail naming what it
    could not read, and recovers once the field is gone: never an unplanned 500, never a hang."""
    prefix = f"test-{uuid.uuid4().hex}"
    with processes(redis_url, count=1, prefix=prefix) as (one,):
        qp_call(one, "importCli", qp_login(one), {"data": [row("CLI001")]})
    state = RedisStore(redis_url, prefix=prefix).key("state", "quoparts", "demo")
    client = redis.Redis.from_url(redis_url)
    client.hset(state, f"invoices{SEP}1", b"{}")
    with processes(redis_url, count=1, prefix=prefix) as (two,):
        refused = two.get(QP, params={"login": "", "username": "demo", "password": "demo"})
        assert (refused.status_code, refused.json()["errorCode"]) == (503, "503")
        assert "'invoices'" in refused.headers["X-Mockservers-Detail"]
        client.hdel(state, f"invoices{SEP}1")
        customers = two.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
        assert list(customers) == ["CLI001"]
    client.close()


def _once_before_the_next_commit(
    monkeypatch: pytest.MonkeyPatch, action: Callable[[RedisStore], None]
) -> None:
    """``action`` runs once, right before the next commit; commits then run as they do."""
    commit = RedisStore._commit
    pending = [action]

    async def patched(self: RedisStore, **kwargs: bool) -> None:
        if pending:
            pending.pop()(self)
        await commit(self, **kwargs)

    monkeypatch.setattr(RedisStore, "_commit", patched)


def _refused_and_nothing_kept(one: httpx.Client, token: str, status: int, detail: str) -> None:
    """The next import is refused with the vendor's ``status`` and ``detail``, takes no
    number, keeps nothing; the one after it is answered."""
    refused = qp_call(one, "importCli", token, {"data": [row("CLI001")]})
    assert (refused.status_code, refused.json()["errorCode"]) == (status, str(status))
    assert detail in refused.headers["X-Mockservers-Detail"]
    answered = qp_call(one, "importCli", token, {"data": [row("CLI002")]}).json()
    assert answered["data"][0]["COD_CLI"] == "000001"  # the refused call took no number
    customers = one.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
    assert list(customers) == ["CLI002"]


def test_a_bug_in_the_store_is_the_vendors_500_and_the_next_call_is_answered(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit that fails for a reason the store did not plan (a bug): the caller gets the
    vendor's body with HTTP 500, as for a bug in a vendor's rules, not the server's bare error
    page; nothing of the call is kept, and the next call is answered."""

    def bug(store: RedisStore) -> None:
        raise RuntimeError("a bug")

    with processes(redis_url, count=1) as (one,):
        token = qp_login(one)  # the login's own commit goes first
        _once_before_the_next_commit(monkeypatch, bug)
        _refused_and_nothing_kept(one, token, 500, "unplanned")


def test_a_commit_after_another_process_took_the_lock_over_keeps_nothing(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis stalled past a commit's deadline, another process recovered the lock and gave
    the same IDs, then Redis applied the late commit: records under those IDs were the other
    calls', and writes answered 503 were kept. The commit is fenced by the lock's generation:
    taken over in between, it is applied not at all, its calls get 503, the next is answered."""

    def take_over(store: RedisStore) -> None:  # what a process recovering the lock does
        direct = redis.Redis.from_url(redis_url)
        generation = direct.get(store.key("gen"))
        keys = (store.key("gen"), store.key("lock"), store.key("owner"))
        direct.eval(redis_lock.RECOVER, 3, *keys, generation)
        direct.close()

    prefix = f"test-{uuid.uuid4().hex}"
    with processes(redis_url, count=1, prefix=prefix) as (one,):
        token = qp_login(one)
        _once_before_the_next_commit(monkeypatch, take_over)
        _refused_and_nothing_kept(one, token, 503, "lost the kit's lock")
    fields = redis.Redis.from_url(redis_url).hkeys(f"{prefix}:state:quoparts:demo")
    assert [f for f in fields if f.startswith(b"customers")] == [b"customers\x1fCLI002"]


def test_a_process_behind_what_the_log_keeps_reloads_and_misses_nothing(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log keeps about ``LOG_BYTES`` of entries (here: one at a time). A process whose copy
    is older than the oldest entry reloads everything instead of replaying, and misses nothing."""
    monkeypatch.setattr(redis_lock, "LOG_BYTES", 1)
    prefix = f"test-{uuid.uuid4().hex}"
    with processes(redis_url, prefix=prefix) as (one, two):
        token = qp_login(one)
        qp_call(two, "importCli", token, {"data": [row("A0")]})  # two's copy: clean, up to here
        for batch in range(1, 4):  # entries of over 4 KB: Redis trims them one by one
            rows = [row(f"A{batch}-{i}") for i in range(20)]
            assert qp_call(one, "importCli", token, {"data": rows}).json()["errorCode"] == "0"
        probe = redis.Redis.from_url(redis_url)
        assert probe.xlen(f"{prefix}:log") < 3  # two's next entry is gone
        probe.close()
        customers = two.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
        assert len(customers) == 61
        answer = qp_call(two, "importCli", token, {"data": [row("A4")]}).json()
        assert answer["data"][0]["COD_CLI"] == "000062"


def test_the_journal_in_redis_keeps_what_one_process_keeps(redis_url: str) -> None:
    """Bounded by count and bytes as one process bounds it (each read of the journal fetches
    the list whole): the same entries, newest kept; and one large call pushes out only what it
    must, not the many small calls before it (the list was sized by its newest entry)."""
    prefix = f"test-{uuid.uuid4().hex}"
    config = {"kit": {**FROZEN, "journal": {"max_entries": 1000, "max_bytes": 40_000}}}
    alone = httpx.Client(transport=SyncASGITransport(create_app(config)), base_url="http://m")
    with alone, processes(redis_url, prefix=prefix, **config) as (one, two):
        for http in (alone, one):
            token = qp_login(http)
            for call in range(12):
                rows = [{**row(f"J{call}-{i}"), "DES_IND": "x" * 200} for i in range(20)]
                assert qp_call(http, "importCli", token, {"data": rows}).json()["errorCode"] == "0"
            for _ in range(20):
                qp_login(http)
            rows = [{**row(f"BIG-{i}"), "DES_IND": "x" * 200} for i in range(40)]
            assert qp_call(http, "importCli", token, {"data": rows}).json()["errorCode"] == "0"
        probe = redis.Redis.from_url(redis_url)
        kept = probe.lrange(f"{prefix}:journal:global", 0, -1)
        probe.close()
        expected = [entry["operation"] for entry in alone.get("/__admin/requests").json()]
        assert expected[:21] == ["importCli"] + ["login"] * 20 and len(expected) < 34
        assert len(kept) == len(expected) and sum(map(len, kept)) <= 2 * 40_000
        seen = two.get("/__admin/requests").json()
        assert [entry["operation"] for entry in seen] == expected
        assert seen[0]["request"]["data"][0]["COD_CLI_ERP"] == "BIG-0"


def test_one_large_call_pushing_out_many_small_ones_bounds_redis_as_one_process(
    redis_url: str,
) -> None:
    """Redis reads the sizes and vendors of the entries it drops a piece at a time: a call
    pushing out more logins than a piece holds leaves the entries one process leaves, and
    counts the same calls of each vendor as pushed out."""
    prefix = f"test-{uuid.uuid4().hex}"
    config = {"kit": {**FROZEN, "journal": {"max_entries": 1000, "max_bytes": 60_000}}}
    alone = httpx.Client(transport=SyncASGITransport(create_app(config)), base_url="http://m")
    with alone, processes(redis_url, prefix=prefix, **config) as (one, two):
        for http in (alone, one):
            assert http.post("/tsdigital/api/v3/items", json={}).status_code == 401
            for _ in range(80):
                token = qp_login(http)
            rows = [{**row(f"BIG-{i}"), "DES_IND": "x" * 400} for i in range(70)]
            assert qp_call(http, "importCli", token, {"data": rows}).json()["errorCode"] == "0"
        expected = alone.get("/__admin/requests").json()
        seen = two.get("/__admin/requests").json()
        counts = [
            {
                vendor: http.post("/__admin/requests/count", json={"vendor": vendor}).json()
                for vendor in ("quoparts", "tsdigital")
            }
            for http in (alone, two)
        ]
    assert 1 < len(expected) < 80 - 33  # more logins pushed out than one piece of sizes
    assert [entry["operation"] for entry in seen] == [entry["operation"] for entry in expected]
    assert seen[0]["request"]["data"][0]["COD_CLI_ERP"] == "BIG-0"
    assert counts[0] == counts[1] and counts[0]["tsdigital"] == {"count": 0, "dropped": 1}


def test_header_lines_count_in_the_journal_in_redis_as_in_one_process(redis_url: str) -> None:
    """A call's header lines and target count in its size, and a call of 20,000 lines keeps
    the first ones: Redis bounds its list by the sizes one process measures (it counted the
    bodies only, and kept every call of a 1 MiB header)."""
    prefix = f"test-{uuid.uuid4().hex}"
    config = {"kit": {**FROZEN, "journal": {"max_entries": 1000, "max_bytes": 40_000}}}
    login = {"login": "", "username": "demo", "password": "demo"}
    alone = httpx.Client(transport=SyncASGITransport(create_app(config)), base_url="http://m")
    with alone, processes(redis_url, prefix=prefix, **config) as (one, two):
        for http in (alone, one):
            for n in range(12):
                http.get(QP, params=login, headers={"X-Pad": f"{n}" * 3_000})
            http.get(QP, params=login, headers=[("X-N", "1")] * 20_000)
        probe = redis.Redis.from_url(redis_url)
        total = int(probe.get(f"{prefix}:journal-bytes:global") or 0)
        probe.close()
        expected = alone.get("/__admin/requests").json()
        seen = two.get("/__admin/requests").json()
    assert total <= 40_000 and 1 < len(seen) < 12
    assert [e["header_lines"][-1] for e in seen] == [e["header_lines"][-1] for e in expected]
    assert seen[0]["cut"] == expected[0]["cut"] and seen[0]["cut"]["header_lines"] > 20_000


def test_a_repeated_header_in_the_journal_in_redis_shows_the_value_the_fake_read(
    redis_url: str,
) -> None:
    """Another process reads an entry from Redis as its own: a repeated header's first value
    (the one the fake read), every line kept, and a matcher on that value matches."""
    with processes(redis_url) as (one, two):
        keys = [("SyncPublicKey", "other"), ("SyncPublicKey", "demo-public")]
        sent = [*keys, ("SyncSecretKey", "demo-secret")]
        login = {"Username": "demo", "Password": "demo"}
        assert one.post("/xtra/api/sync/v1/login", headers=sent, json=login).status_code == 403
        (entry,) = two.get("/__admin/requests").json()
        matcher = {"headers": {"SyncPublicKey": "other"}}
        assert two.post("/__admin/requests/count", json=matcher).json()["count"] == 1
    assert entry["headers"]["syncpublickey"] == "other"
    assert [line for line in entry["header_lines"] if line[0] == "syncpublickey"] == [
        [name.lower(), value] for name, value in keys
    ]


def test_an_entry_of_a_later_version_is_listed_by_every_process(redis_url: str) -> None:
    """A rolling upgrade, or a rollback, on one Redis: an entry written with a field this
    version does not know made every journal read a 500, on every process, until the entry
    was pushed out."""
    prefix = f"test-{uuid.uuid4().hex}"
    with processes(redis_url, prefix=prefix) as (one, two):
        qp_login(one)
        probe = redis.Redis.from_url(redis_url)
        key = f"{prefix}:journal:global"
        later = orjson.loads(probe.lindex(key, -1)) | {"a_later_field": {"kept": True}}
        probe.lset(key, -1, orjson.dumps(later))  # in place: its size, its vendor unchanged
        probe.close()
        for http in (one, two):
            listed = http.get("/__admin/requests")
            assert listed.status_code == 200, listed.text
            assert [entry["id"] for entry in listed.json()] == [later["id"]]
            assert listed.json()[0]["operation"] == "login"


def test_calls_spread_over_processes_are_all_journalled_and_bounded_alike(
    redis_url: str,
) -> None:
    """Each process journals into one list, bounded in Redis: neither process's own view
    decides (one that had not read the journal cut it to the few calls it had answered), and
    what the bound pushed out is counted the same in every process, until a clear."""
    with processes(redis_url) as (one, two):
        token = qp_login(two)
        for n in range(5):
            qp_call(one, "importCli", token, {"data": [row(f"A{n}")]})
        qp_call(two, "importCli", token, {"data": [row("A5")]})
        assert len(one.get("/__admin/requests").json()) == 7  # it was 2
    config = {"kit": {**FROZEN, "journal": {"max_entries": 5}}}
    with processes(redis_url, **config) as (one, two):
        token = qp_login(two)
        for call in range(5):
            http = one if call % 2 else two
            assert qp_call(http, "importCli", token, {"data": [row(f"S{call}")]}).status_code == 200
        qp_call(one, "importCli", token, {"data": [row("S5")]})
        for process in (one, two):
            entries = process.get("/__admin/requests").json()
            assert [e["request"]["data"][0]["COD_CLI_ERP"] for e in entries] == [
                f"S{n}" for n in range(5, 0, -1)
            ]
            answer = process.post("/__admin/requests/count", json={"operation": "login"})
            assert answer.json() == {"count": 0, "dropped": 2}  # the login and S0
        assert two.delete("/__admin/requests").status_code == 200
        qp_call(two, "importCli", token, {"data": [row("S6")]})
        assert one.post("/__admin/requests/count", json={}).json() == {"count": 1}


def test_a_global_journal_off_leaves_sessions_their_own_on_redis(redis_url: str) -> None:
    """As in one process (``test_sessions``), and the other process counts alike."""
    with processes(redis_url, kit={**FROZEN, **JOURNAL_OFF}) as (one, two):
        assert_a_global_journal_off_leaves_sessions_their_own(one)
        answer = two.post("/__admin/requests/verify", json={"matcher": {"vendor": "quoparts"}})
        assert answer.json()["count"] == 1 and answer.json()["dropped"] == 2


def test_a_journal_list_an_earlier_version_kept_without_sizes_is_bounded_all_the_same(
    redis_url: str,
) -> None:
    """Entries pushed without their sizes (the list as the previous version kept it) are
    sized once: the list keeps within its bytes, as one process would."""
    prefix = f"test-{uuid.uuid4().hex}"
    config = {"kit": {**FROZEN, "journal": {"max_entries": 1000, "max_bytes": 40_000}}}
    with processes(redis_url, count=1, prefix=prefix, **config) as (one,):
        token = qp_login(one)
        probe = redis.Redis.from_url(redis_url)
        old = probe.lrange(f"{prefix}:journal:global", 0, -1)
        probe.rpush(f"{prefix}:journal:global", *(old * 30))  # 31 logins, 30 of them unsized
        probe.delete(f"{prefix}:journal-sizes:global", f"{prefix}:journal-bytes:global")
        for call in range(12):
            rows = [{**row(f"J{call}-{i}"), "DES_IND": "x" * 200} for i in range(20)]
            qp_call(one, "importCli", token, {"data": rows})
        kept = probe.llen(f"{prefix}:journal:global")
        sizes = probe.llen(f"{prefix}:journal-sizes:global")
        probe.close()
        shown = one.get("/__admin/requests").json()
    assert kept == sizes == len(shown) < 13
    assert shown[0]["request"]["data"][0]["COD_CLI_ERP"] == "J11-0"


def test_calls_pushed_out_are_counted_by_vendor_and_a_vendor_reset_forgets_its_own(
    redis_url: str,
) -> None:
    """Two KeepIT calls and a QuoParts login pushed out of a journal of 3: a matcher naming a
    vendor hears of that vendor's only, and a vendor's reset forgets its own (a KeepIT reset
    left every negative assertion about QuoParts unable to tell); a scope with no entry left
    still counts the others', in every process, as in one."""
    config = {"kit": {**FROZEN, "journal": {"max_entries": 3}}}
    alone = httpx.Client(transport=SyncASGITransport(create_app(config)), base_url="http://m")

    def counts(http: httpx.Client) -> list[Any]:
        matchers = ({}, {"vendor": "keepit"}, {"vendor": "quoparts"}, {"vendor": "xtra"})
        return [http.post("/__admin/requests/count", json=m).json() for m in matchers]

    with alone, processes(redis_url, **config) as (one, two):
        seen: list[list[list[Any]]] = []
        for http in (alone, one):
            for _ in range(2):
                http.post(KEEPIT_CALL, headers=KEEPIT, json=KEEPIT_BODY)
            token = qp_login(http)
            for n in range(3):
                qp_call(http, "importCli", token, {"data": [row(f"D{n}")]})
            steps = [counts(http)]
            http.post("/__admin/reset", json={"vendor": "quoparts"})
            steps.append(counts(http))
            http.post("/__admin/reset", json={"vendor": "keepit"})
            steps.append(counts(http))
            seen.append(steps)
        none = {"count": 0}
        assert seen[0] == [  # all, KeepIT, QuoParts, XTRA: after the calls, each reset
            [{"count": 3, "dropped": 3}, none | {"dropped": 2}, {"count": 3, "dropped": 1}, none],
            [none | {"dropped": 2}, none | {"dropped": 2}, none, none],
            [none] * 4,
        ]
        assert seen[1] == seen[0]
        assert counts(two) == seen[0][-1]


def test_a_count_an_earlier_version_kept_by_scope_holds_for_every_vendor(redis_url: str) -> None:
    """A journal an earlier version kept in Redis: its list without the vendors beside it, its
    dropped calls counted by scope only. Whose they were is not known, so every vendor's count
    includes them, until the whole journal is cleared; the list is bounded all the same."""
    prefix = f"test-{uuid.uuid4().hex}"
    config = {"kit": {**FROZEN, "journal": {"max_entries": 3}}}
    with processes(redis_url, count=1, prefix=prefix, **config) as (one,):
        token = qp_login(one)
        probe = redis.Redis.from_url(redis_url)
        probe.delete(f"{prefix}:journal-vendors:global")
        probe.hset(f"{prefix}:journal-dropped", "global", 5)
        assert one.post("/__admin/requests/count", json={"vendor": "xtra"}).json()["dropped"] == 5
        for n in range(4):
            qp_call(one, "importCli", token, {"data": [row(f"E{n}")]})
        vendors = probe.lrange(f"{prefix}:journal-vendors:global", 0, -1)
        assert (
            vendors == [b"quoparts"] * 3 == [b"quoparts"] * probe.llen(f"{prefix}:journal:global")
        )
        one.post("/__admin/reset", json={"vendor": "quoparts"})
        assert one.post("/__admin/requests/count", json={"vendor": "quoparts"}).json() == {
            "count": 0,
            "dropped": 5,
        }
        one.delete("/__admin/requests")
        assert one.post("/__admin/requests/count", json={}).json() == {"count": 0}
        assert probe.hgetall(f"{prefix}:journal-dropped") == {}
        probe.close()


def test_a_405_is_journalled_with_the_allow_header_it_was_sent_with(redis_url: str) -> None:
    with processes(redis_url) as (one, two):
        refused = one.get("/keepit/api")
        assert refused.status_code == 405 and refused.headers["allow"] == "POST"
        (entry,) = two.get("/__admin/requests").json()
    assert entry["status"] == 405 and entry["response_headers"]["allow"] == "POST"


def test_every_process_leaves_only_the_fakes_own_413_unjudged(redis_url: str) -> None:
    """The mark of a body refused over the limit crosses the store with its entry: the other
    process judges a 413 fault's call that sent no body, and not the over-limit one."""
    config = {"kit": {**FROZEN, "max_body_bytes": 64}}
    update = "/xtra/api/sync/v1/irs/update"
    with processes(redis_url, **config) as (one, two):
        assert (
            one.post(update, headers=xtra.KEYS, content=b"[" + b" " * 100 + b"]").status_code == 413
        )
        fault = {"vendor": "xtra", "kind": "status", "status": 413, "times": 1}
        assert one.post("/__admin/faults", json=fault).status_code == 201
        assert one.post(update, headers=xtra.KEYS).status_code == 413
        faulted, over = two.get("/__admin/requests").json()
        assert two.get(f"/__admin/requests/{over['id']}").json()["verdict"] is None
        verdict = two.get(f"/__admin/requests/{faulted['id']}").json()["verdict"]
        assert verdict is not None and "not JSON" in verdict["request"][0]


def test_a_vendor_reset_keeps_the_other_vendors_journal_in_every_process(redis_url: str) -> None:
    with processes(redis_url) as (one, two):
        qp_login(one)
        one.post(KEEPIT_CALL, headers=KEEPIT, json=KEEPIT_BODY)
        assert two.post("/__admin/reset", json={"vendor": "quoparts"}).status_code == 200
        for process in (one, two):
            entries = process.get("/__admin/requests").json()
            assert [entry["vendor"] for entry in entries] == ["keepit"]


def test_admin_reads_during_commits_get_whole_answers(redis_url: str) -> None:
    """The lock and the commits have a connection of their own: a journal read (which goes to
    Redis) in the middle of a batch's round trips gets its own replies, and so do the calls."""

    async def run() -> tuple[list[int], list[int]]:
        store = RedisStore(redis_url, prefix=f"test-{uuid.uuid4().hex}", wait=0.2)
        app = create_app({"kit": FROZEN}, store=store)
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://m") as http:
            login = await http.get(QP, params={"login": "", "username": "demo", "password": "demo"})
            token = login.json()["data"][0]["TOKEN"]

            async def write(i: int) -> int:
                payload = {"data": [row(f"C{i}")]}
                answer = await http.post(QP, params={"importCli": "", "token": token}, json=payload)
                assert answer.json()["errorCode"] == "0"
                return answer.status_code

            async def read() -> int:
                return len((await http.get("/__admin/requests")).json())

            calls = [call for i in range(40) for call in (write(i), read())]
            done = await asyncio.gather(*calls)
            await store.close()
        return done[0::2], done[1::2]

    statuses, seen = asyncio.run(run())
    assert statuses == [200] * 40
    assert all(1 <= n <= 41 for n in seen)


def test_concurrent_first_uses_connect_once(redis_url: str) -> None:
    """The first call and an admin read arriving together start the store once (a second
    start would leave the first one's connections open, and swap the lock's connection)."""

    async def connections_made() -> int:
        store = RedisStore(redis_url, prefix=f"test-{uuid.uuid4().hex}", wait=0.2)
        probe = redis.asyncio.Redis.from_url(redis_url)
        before = {c["id"] for c in await probe.client_list()}  # the probe's own among them
        await asyncio.gather(*(store.start() for _ in range(5)))
        made = [c for c in await probe.client_list() if c["id"] not in before]
        await store.close()
        await probe.aclose()
        return len(made)

    assert asyncio.run(connections_made()) == 2  # the drainer's link, one for reads


def test_closing_lets_a_call_waiting_for_the_lock_finish(redis_url: str) -> None:
    """A store closed (the app's shutdown) while a call waits for the lock another process
    holds: the call is answered once the lock comes, its write kept, the lock given back, and
    the store's connections closed (closing under the waiting drainer dropped its connection,
    and the drainer reconnected behind the closed store)."""
    prefix = f"test-{uuid.uuid4().hex}"

    async def run() -> tuple[int, int, int, int]:
        probe = redis.asyncio.Redis.from_url(redis_url)
        before = {c["id"] for c in await probe.client_list()}
        store = RedisStore(redis_url, prefix=prefix, wait=0.2)
        transport = httpx.ASGITransport(create_app({"kit": FROZEN}, store=store))
        async with httpx.AsyncClient(transport=transport, base_url="http://m") as http:
            login = await http.get(QP, params={"login": "", "username": "demo", "password": "demo"})
            token = login.json()["data"][0]["TOKEN"]
            # Another process holds the lock: the probe, alive, so nobody recovers the token.
            run_id = (await probe.info("server"))["run_id"]
            lock = f"{prefix}:lock"
            elsewhere = f"{prefix}:held:{run_id}-{await probe.client_id()}"
            await probe.lmove(lock, elsewhere, "LEFT", "LEFT")
            params = {"importCli": "", "token": token}
            call = asyncio.create_task(http.post(QP, params=params, json={"data": [row("W1")]}))
            for _ in range(10_000):  # until the call's drainer waits in Redis (each look awaits it)
                if any(c["cmd"] == "blmove" for c in await probe.client_list()):
                    break
            closing = asyncio.create_task(store.close())
            for _ in range(100):  # turns enough for a close that does not wait to be done
                await asyncio.sleep(0)
            await probe.lmove(elsewhere, lock, "LEFT", "RIGHT")  # the other process is done
            await closing
            answer = await call
            kept = await probe.hexists(f"{prefix}:state:quoparts:demo", "customers\x1fW1")
            tokens = await probe.llen(lock)
            left = [c for c in await probe.client_list() if c["id"] not in before]
        await probe.aclose()
        return answer.status_code, int(kept), tokens, len(left)

    assert asyncio.run(run()) == (200, 1, 1, 0)  # 0: the probe was there before


def test_a_holder_that_died_before_claiming_the_lock_leaves_one_token(redis_url: str) -> None:
    """A process that took the lock's token and died before its claim named it the owner: the
    token is found in the dead connection's own list, which goes in the same step as the new
    token comes (a Redis refusing writes between the two lost the token for good)."""
    prefix = f"test-{uuid.uuid4().hex}"
    login = {"login": "", "username": "demo", "password": "demo"}

    async def run() -> tuple[int, int, int]:
        probe = redis.asyncio.Redis.from_url(redis_url)
        store = RedisStore(redis_url, prefix=prefix, wait=0.2)
        transport = httpx.ASGITransport(create_app({"kit": FROZEN}, store=store))
        async with httpx.AsyncClient(transport=transport, base_url="http://m") as http:
            assert (await http.get(QP, params=login)).status_code == 200  # the kit seeded
            dying = redis.asyncio.Redis.from_url(redis_url, single_connection_client=True)
            run_id = (await probe.info("server"))["run_id"]
            held = f"{prefix}:held:{run_id}-{await dying.client_id()}"
            assert await dying.lmove(f"{prefix}:lock", held, "LEFT", "LEFT") is not None
            await dying.aclose()  # gone before its claim
            answer = await http.get(QP, params=login)
            orphan_left = await probe.exists(held)
        await store.close()
        tokens = await probe.llen(f"{prefix}:lock")
        await probe.aclose()
        return answer.status_code, orphan_left, tokens

    assert asyncio.run(run()) == (200, 0, 1)


def test_keepit_counts_every_call_of_every_process(redis_url: str) -> None:
    with processes(redis_url, keepit={"rate_limit_calls": 4}) as (one, two):
        answers = [
            (one, two)[n % 2].post(KEEPIT_CALL, headers=KEEPIT, json=KEEPIT_BODY) for n in range(5)
        ]
        assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
        assert answers[-1].headers["Retry-After"] == "60"


def test_a_process_killed_holding_the_lock_does_not_stop_the_others(redis_url: str) -> None:
    """The holder's connection is gone: a waiter finds it dead and puts a new token, and drops
    the dead holder's own list of the lock (it was left, one key a takeover, for every later
    scan for orphaned tokens to walk)."""
    with processes(redis_url) as (one, two):
        store = one._transport._app.state.kit.store  # type: ignore[attr-defined]
        qp_login(one)
        dead = f"{store.holder.rpartition('-')[0]}-999999999"  # this Redis run, no such client
        raw = redis.Redis.from_url(redis_url)
        raw.lmove(store.key("lock"), store.key("held", dead), "LEFT", "LEFT")  # it took the lock
        raw.set(store.key("owner"), f"{raw.get(store.key('gen')).decode()}:{dead}")  # claimed it
        assert qp_login(two)  # ...and died (no such client): two still answers
        assert qp_login(one)
        assert not raw.exists(store.key("held", dead))
        assert raw.llen(store.key("lock")) == 1  # one token, given back
        raw.close()


@pytest.mark.parametrize("lifespan", [False, True], ids=["lazy", "started"])
def test_unreachable_redis_is_the_vendors_5xx_body_and_a_503_for_admin(
    lifespan: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """An app whose Redis cannot be reached starts all the same (its lifespan run or not, as
    ``MockServer`` does not), says so, and answers until Redis is there."""
    app = create_app(store=RedisStore(f"redis://127.0.0.1:{free_port()}/0"))
    transport = SyncASGITransport(app, lifespan=lifespan)
    with httpx.Client(transport=transport, base_url="http://m") as http:
        answer = http.get(QP, params={"login": "", "username": "demo", "password": "demo"})
        assert answer.status_code == 503
        assert answer.json() == {"errorCode": "503", "error": "Service Unavailable", "data": []}
        assert "cannot reach Redis" in answer.headers["X-Mockservers-Detail"]
        xtra = http.post("/xtra/api/sync/v1/login", json={"Username": "a", "Password": "b"})
        assert xtra.status_code == 503 and xtra.json()["errorCode"] == "ER.IR.UNERR"
        unrouted = http.get("/keepit/no-such-path")  # journalled too, so it needs Redis as well
        assert (unrouted.status_code, unrouted.json()["code"]) == (503, 503)
        assert "cannot reach Redis" in unrouted.headers["X-Mockservers-Detail"]
        admin = http.get("/__admin/health")
        assert admin.status_code == 503 and "cannot reach Redis" in admin.json()["error"]
    said = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("calls answer 503 until it is back" in line for line in said) is lifespan


def test_a_redis_that_stops_answering_is_the_vendors_5xx_within_the_deadline(
    redis_url: str,
) -> None:
    """Redis reachable but answering nothing (writes paused): the call does not hang, it gets
    the vendor's 5xx body, and the reason says how long the store waited."""
    prefix = f"test-{uuid.uuid4().hex}"
    app = create_app({"kit": FROZEN}, store=RedisStore(redis_url, prefix=prefix, wait=0.2))
    probe = redis.Redis.from_url(redis_url)
    with httpx.Client(transport=SyncASGITransport(app, lifespan=True), base_url="http://m") as http:
        token = qp_login(http)
        probe.execute_command("CLIENT", "PAUSE", 60_000, "WRITE")
        try:
            answer = qp_call(http, "importCli", token, {"data": [row("CLI001")]})
        finally:
            probe.execute_command("CLIENT", "UNPAUSE")
        assert answer.status_code == 503
        assert answer.json()["errorCode"] == "503"
        assert "no answer within 4.2 s" in answer.headers["X-Mockservers-Detail"]
        assert qp_call(http, "importCli", token, {"data": [row("CLI001")]}).status_code == 200
    probe.close()


def test_serve_refuses_to_start_without_its_redis() -> None:
    port = free_port()
    done = subprocess.run(
        [
            *_serve_command(),
            "--port",
            str(free_port()),
            "--store",
            f"redis://127.0.0.1:{port}/0",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "cannot reach Redis" in done.stderr


def _serve_command() -> list[str]:
    import sys

    return [sys.executable, "-m", "mockservers.cli", "serve"]


# -- real processes --------------------------------------------------------------------------
def _hammer(bases: list[str], clients: int = 32, writes: int = 60) -> set[str]:
    """``clients`` concurrent clients, each sending ``writes`` one-row imports spread over the
    base URLs; the COD_CLI_ERP of every acknowledged write."""
    acknowledged: set[str] = set()
    lock = threading.Lock()

    def login(http: httpx.Client) -> str:
        for _ in range(5):  # a worker killed under the login (a slow start): log in again
            try:
                answer = http.get(
                    bases[0] + QP, params={"login": "", "username": "demo", "password": "demo"}
                )
            except httpx.TransportError:
                continue
            return str(answer.json()["data"][0]["TOKEN"])
        raise AssertionError("no login in five tries")

    def client(number: int) -> None:
        with httpx.Client(timeout=30) as http:
            token = login(http)
            for write in range(writes):
                erp = f"C{number:02d}-{write:02d}"
                try:
                    answer = http.post(
                        bases[(number + write) % len(bases)] + QP,
                        params={"importCli": "", "token": token},
                        json={"data": [row(erp)]},
                    )
                except httpx.TransportError:
                    continue  # not acknowledged (a worker killed under it)
                if answer.status_code == 200 and answer.json()["data"][0]["errorCode"] == "0":
                    with lock:
                        acknowledged.add(erp)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return acknowledged


def _customers(base: str) -> dict[str, dict[str, str]]:
    return httpx.get(base + "/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]


def _assert_kept(base: str, acknowledged: set[str]) -> None:
    customers = _customers(base)
    assert acknowledged <= set(customers), sorted(acknowledged - set(customers))[:5]
    codes = [c["COD_CLI"] for c in customers.values()]
    assert len(codes) == len(set(codes)), "a sequence value was given twice"


@pytest.fixture
def fresh_redis(redis_url: str) -> str:
    import redis as sync_redis

    sync_redis.Redis.from_url(redis_url).flushdb()
    return redis_url


def test_two_workers_keep_every_acknowledged_write(fresh_redis: str) -> None:
    with serving("--store", fresh_redis, "--workers", "2") as served:
        acknowledged = _hammer([served.url])
        assert len(acknowledged) == 32 * 60
        _assert_kept(served.url, acknowledged)


def test_workers_date_their_answers_on_the_kit_s_clock(fresh_redis: str, tmp_path: Path) -> None:
    config = tmp_path / "kit.toml"
    config.write_text(FROZEN_2031)
    with serving("--store", fresh_redis, "--workers", "2", "--config", str(config)) as served:
        assert_dated_by_the_kit(served.url)


def test_two_serve_processes_act_as_one_fake(fresh_redis: str) -> None:
    with serving("--store", fresh_redis) as one, serving("--store", fresh_redis) as two:
        bases = [one.url, two.url]
        acknowledged = _hammer(bases)
        assert len(acknowledged) == 32 * 60
        _assert_kept(two.url, acknowledged)
        with httpx.Client(base_url=one.url) as first:
            token = qp_login(first)
        with httpx.Client(base_url=two.url) as other:
            assert qp_call(other, "importCli", token, {"data": []}).json()["errorCode"] == "0"
            before = _now(other)
            httpx.post(one.url + "/__admin/clock", json={"advance_seconds": 7200})
            assert _now(other) - before >= timedelta(seconds=7200)
            assert qp_call(other, "importCli", token, {"data": []}).json()["errorCode"] == "101"
            fault = {"vendor": "keepit", "kind": "status", "status": 500}
            httpx.post(one.url + "/__admin/faults", json=fault)
            assert other.post(KEEPIT_CALL, headers=KEEPIT, json=KEEPIT_BODY).status_code == 500
        httpx.delete(one.url + "/__admin/faults")
        calls = [
            httpx.post(base + KEEPIT_CALL, headers=KEEPIT, json=KEEPIT_BODY).status_code
            for base in bases * 51
        ]
        assert calls[:100].count(429) == 0 and calls[100] == 429  # the 101st, whichever process


def _now(http: httpx.Client) -> datetime:
    return datetime.fromisoformat(http.get("/__admin/clock").json()["now"])


def _workers(served: Served) -> list[int]:
    """The worker processes of ``serve --workers`` (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{served.process.pid}/task/{served.process.pid}/children")
    pids = [int(pid) for pid in children.read_text().split()]
    return [pid for pid in pids if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def _connections_held(pid: int, port: int) -> int:
    """How many established TCP connections to ``port`` the process ``pid`` holds."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "01" and int(fields[1].split(":")[1], 16) == port:  # ESTABLISHED
            inodes.add(fields[9])
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            held += target.startswith("socket:[") and target[8:-1] in inodes
    return held


def test_the_workers_share_the_connections(fresh_redis: str) -> None:
    """Each worker listens on a socket of its own, so keep-alive connections opened all at once
    (a CI job's clients, a load test) spread over the workers instead of piling on one."""
    with serving("--store", fresh_redis, "--workers", "2") as served:
        clients = [httpx.Client(base_url=served.url) for _ in range(16)]
        try:
            for client in clients:
                assert client.get("/__admin/health").status_code == 200
            port = int(served.url.rsplit(":", 1)[1])
            held = [_connections_held(pid, port) for pid in _workers(served)]
        finally:
            for client in clients:
                client.close()
        assert len(held) == 2 and sum(held) == 16
        assert min(held) > 0, held  # all 16 on one worker: odds of 1 in 30,000 when spread


def test_closing_the_terminal_stops_serve_and_its_workers_as_sigterm_does(
    fresh_redis: str,
) -> None:
    """A closed terminal sends SIGHUP to every process of its job: serve and its workers died
    at once, the call in flight cut, and multiprocessing warned of leaked semaphores. They
    now stop as on SIGTERM: the call is answered, exit 0."""
    with serving(
        "--store", fresh_redis, "--workers", "2", stop=None, preexec_fn=os.setpgrp
    ) as served:
        answer = answered_through_a_stop(served, signal.SIGHUP)
    assert answer.status_code == 200 and answer.json()["data"][0]["COD_CLI"] == "000001"
    assert served.process.stderr is not None
    log = served.process.stderr.read()
    assert "leaked" not in log and "replaced" not in log and "Traceback" not in log
    assert log.count("Application shutdown complete") == 2


def test_serve_and_its_workers_under_nohup_outlive_their_terminal(fresh_redis: str) -> None:
    """The workers inherit nohup's ignored SIGHUP, and keep it as serve does."""
    with serving(
        "--store", fresh_redis, "--workers", "2", stop=signal.SIGTERM, preexec_fn=nohup
    ) as served:
        workers = _workers(served)
        assert len(workers) == 2
        outlives_its_terminal(served, [served.process.pid, *workers])
    assert served.process.stderr is not None
    assert served.process.stderr.read().count("Application shutdown complete") == 2


WORKERS_THAT_FAIL = """
import sys
from mockservers.serving import ServeSpec
from mockservers.workers import Workers
broken = sys.argv[2]  # serve itself refuses it before starting workers: the supervisor alone
options = {"host": "127.0.0.1", "port": int(sys.argv[3]), "log_level": "info",
           "ssl_certfile": broken, "ssl_keyfile": broken}
sys.exit(Workers(ServeSpec(store=sys.argv[1]), options, 2).run(lambda: print("the banner")))
"""


def test_a_worker_that_cannot_start_stops_serve(fresh_redis: str, tmp_path: Path) -> None:
    """What fails every worker the same way (here a broken certificate, which ``serve`` now
    refuses before it starts them): the supervisor says so and exits, rather than starting
    replacements for ever."""
    import sys

    broken = tmp_path / "cert.pem"
    broken.write_text("not a certificate")
    done = subprocess.run(
        [sys.executable, "-c", WORKERS_THAT_FAIL, fresh_redis, str(broken), str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "could not start" in done.stderr
    assert "the banner" not in done.stdout  # printed once every worker serves


def test_killing_a_worker_loses_no_acknowledged_write(fresh_redis: str) -> None:
    with serving("--store", fresh_redis, "--workers", "2") as served:
        killed = _workers(served)[0]
        killer = threading.Timer(0.5, lambda: os.kill(killed, signal.SIGKILL))
        killer.start()
        acknowledged = _hammer([served.url], clients=16, writes=80)
        killer.join()
        assert acknowledged
        _assert_kept(served.url, acknowledged)
        assert served.process.stderr is not None
        replaced = next(line for line in served.process.stderr if "replaced" in line)
        assert f"worker {killed} exited (-9)" in replaced


def test_workers_stop_when_serve_is_killed(fresh_redis: str) -> None:
    """A CI job cancelled with ``kill -9`` takes its workers with it: none stays behind holding
    the port (each worker watches its parent's end of a pipe)."""
    with serving("--store", fresh_redis, "--workers", "2", stop=None) as served:
        workers = [os.pidfd_open(pid) for pid in _workers(served)]
        served.process.kill()
        try:
            for worker in workers:  # readable once the worker has exited: no polling
                readable, _, _ = select.select([worker], [], [], 30)
                assert readable, "a worker outlived its serve process"
        finally:
            for worker in workers:
                os.close(worker)
        with pytest.raises(httpx.ConnectError):
            httpx.get(served.url + "/__admin/health")


def test_a_batch_logs_only_the_last_value_it_sets() -> None:
    """What other processes replay: a sequence or a map key set again later in the batch is
    logged once, with its last value; a clear (or a tenant dropped) keeps what came before it."""
    store = RedisStore("redis://127.0.0.1:1/0")  # never reached: only the objects are needed
    create_app({"kit": FROZEN}, store=store)
    customer = ("state:quoparts", "put_many", ("demo", "customers", {"C1": {"COD_CLI": "1"}}))
    ops = [
        ("coverage", "put", ("hit", 1)),
        ("state:quoparts", "seq", ("demo", "COD_CLI", 1)),
        customer,
        ("coverage", "put", ("hit", 2)),
        ("state:quoparts", "seq", ("demo", "COD_CLI", 2)),
        ("coverage", "clear", ()),
        ("coverage", "put", ("hit", 3)),
        ("state:quoparts", "drop", ("demo",)),
        ("state:quoparts", "seq", ("demo", "COD_CLI", 1)),
        ("coverage", "put", ("hit", 4)),
    ]
    assert store._latest_only(ops) == [
        customer,
        ("coverage", "put", ("hit", 2)),
        ("state:quoparts", "seq", ("demo", "COD_CLI", 2)),
        ("coverage", "clear", ()),
        ("state:quoparts", "drop", ("demo",)),
        ("state:quoparts", "seq", ("demo", "COD_CLI", 1)),
        ("coverage", "put", ("hit", 4)),
    ]


def test_a_journal_entry_crosses_the_store_whole() -> None:
    """Every field of an entry survives the trip through Redis (a field added to ``Entry`` and
    forgotten in ``to_wire`` would silently come back as its default)."""
    entry = Entry(
        1.5,
        "quoparts",
        "importCli",
        "POST",
        "/quoparts/ws_quoparts.php",
        b"importCli=&t=\xe9",
        [(b"content-type", b"application/json")],
        200,
        b'{"data":[]}',
        b"\x00\xff",
        2.5,
        "detail",
        "s1",
        "tenant",
        ["behaviour"],
        [(b"x-a", b"b")],
        b"/quoparts/ws%5Fquoparts.php",
        "upstream",
        {"request": ["m"]},
        [{"field": "f", "upstream": 1, "fake": 2}],
        True,
        True,
    )
    wire = entry.to_wire()
    assert list(wire) == [f.name for f in dataclasses.fields(Entry) if f.init]
    assert Entry.from_wire(orjson.loads(orjson.dumps(wire))) == entry


def test_a_journal_entry_of_another_version_crosses_the_store() -> None:
    """An entry a later version wrote, with a field this one does not know (and one this
    version keeps out of the store), is read without it; one an earlier version wrote, without
    the fields added since, is read with their defaults."""
    entry = Entry(1.5, "xtra", "login", "POST", "/xtra/login", b"", [], 200, b"{}", b"{}", 2.5)
    wire = entry.to_wire()
    assert Entry.from_wire(wire | {"a_later_field": [1], "shown": "{}"}) == entry
    added = ("raw_path", "source", "verdict", "shadow", "body_unread", "answer_dropped")
    earlier = {name: value for name, value in wire.items() if name not in added}
    assert Entry.from_wire(earlier) == entry


# -- Redis restarts (docs/deploy.md, "When Redis restarts") ----------------------------------
needs_redis = pytest.mark.skipif(
    not redis_server.available(), reason="redis-server is not installed (make test installs it)"
)


@contextmanager
def restartable_redis(
    directory: str | None = None,
) -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
    """A redis-server; a function that stops it, and one that starts a new one on the same port
    (on the same append-only file when ``directory`` is given). The test's fakes stop first."""
    port = free_port()
    with ExitStack() as stack:
        servers: list[ExitStack] = []

        def start() -> str:
            servers.append(ExitStack())
            stack.callback(servers[-1].close)
            return servers[-1].enter_context(redis_server.redis_server(port, directory))

        yield start(), lambda: servers[-1].close(), start


@needs_redis
def test_redis_back_empty_gives_a_fresh_kit() -> None:
    """No persistence: what the fake kept is gone, and the very next call finds a fresh kit
    (the old token refused the vendor's way, the demo account logging in again)."""
    with restartable_redis() as (url, stop, start), processes(url, count=1) as (fake,):
        token = qp_login(fake)
        assert (
            qp_call(fake, "importCli", token, {"data": [row("CLI001")]}).json()["errorCode"] == "0"
        )
        stop()
        start()
        assert (
            qp_call(fake, "importCli", token, {"data": [row("CLI002")]}).json()["errorCode"]
            == "101"
        )
        fresh = qp_login(fake)
        answer = qp_call(fake, "importCli", fresh, {"data": [row("CLI002")]}).json()
        assert answer["data"][0]["COD_CLI"] == "000001"  # the sequences started again
        assert set(fake.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]) == {
            "CLI002"
        }


@needs_redis
def test_redis_back_with_its_data_loses_nothing_acknowledged(tmp_path: Path) -> None:
    """An append-only file synced on every write. While Redis is down a call gets the vendor's
    5xx body and changes nothing; once it is back, the next call is answered as if nothing
    happened (same token, same customers, the sequence going on)."""
    with restartable_redis(str(tmp_path)) as (url, stop, start), processes(url) as (one, two):
        token = qp_login(one)
        for erp, process in (("CLI001", one), ("CLI002", two)):
            assert qp_call(process, "importCli", token, {"data": [row(erp)]}).status_code == 200
        stop()
        down = qp_call(one, "importCli", token, {"data": [row("LOST")]})
        assert (down.status_code, down.json()["errorCode"]) == (503, "503")
        start()
        answer = qp_call(two, "importCli", token, {"data": [row("CLI003")]}).json()
        assert answer["data"][0]["COD_CLI"] == "000003"
        customers = one.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
        assert set(customers) == {"CLI001", "CLI002", "CLI003"}


@needs_redis
def test_a_call_redis_did_not_keep_is_journalled_as_its_503_once_it_is_back(
    tmp_path: Path,
) -> None:
    """Its journal entry went with the commit that failed, where a state file that did not take
    a call journalled it: the stores disagreed, and the connector's 503 showed nowhere. It is
    journalled (and not counted) as the state file's is, with the process's next commit."""
    with restartable_redis(str(tmp_path)) as (url, stop, start), processes(url, count=1) as (fake,):
        token = qp_login(fake)
        stop()
        down = qp_call(fake, "importCli", token, {"data": [row("LOST")]})
        assert down.status_code == 503
        assert "cannot reach Redis" in down.headers["X-Mockservers-Detail"]
        start()
        assert qp_call(fake, "importCli", token, {"data": [row("CLI001")]}).status_code == 200
        scope = GlobalScope(fake)
        kept, lost = scope.requests(vendor="quoparts")[:2]
        assert kept["status"] == 200
        assert_journalled_as_answered(lost, down)
        assert met_count(scope, "quoparts", "quoparts.import_cli_inserted") == 1


@needs_redis
def test_a_503_another_process_journals_late_is_listed_in_its_place_in_time(
    tmp_path: Path,
) -> None:
    """The process that answered it held it until its next call Redis kept, and appended it
    then: listed newer than the other process's calls answered after it, and ``limit=2`` gave
    the 503 in place of the newer of them. It is placed by the moment it was answered, by the
    process that journals it, by the other, and by one that reads the journal from Redis."""
    prefix = f"test-{uuid.uuid4().hex}"
    with (
        restartable_redis(str(tmp_path)) as (url, stop, start),
        processes(url, prefix=prefix) as (one, two),
    ):
        token = qp_login(one)
        stop()
        assert qp_call(one, "importCli", token, {"data": [row("LOST")]}).status_code == 503
        start()
        for erp in ("CLI001", "CLI002"):
            assert qp_call(two, "importCli", token, {"data": [row(erp)]}).status_code == 200
        assert qp_call(one, "importCli", token, {"data": [row("CLI003")]}).status_code == 200
        with processes(url, count=1, prefix=prefix) as (fresh,):
            for http in (one, two, fresh):
                assert _statuses(http) == [200, 200, 200, 503, 200]
                newest = http.get("/__admin/requests", params={"limit": 2}).json()
                assert [entry["status"] for entry in newest] == [200, 200]


def _session_login(http: httpx.Client) -> tuple[str, str, str]:
    """A new session's id, its QuoParts username, and a token of that account."""
    session = http.post("/__admin/sessions", json={}).json()
    account = session["credentials"]["quoparts"]
    return session["id"], account["username"], qp_login(http, **account)


def _kept_call(http: httpx.Client) -> None:
    """A global call Redis keeps: the process journals what it owes with it."""
    assert qp_call(http, "importCli", qp_login(http), {"data": [row("CLI001")]}).status_code == 200


def _statuses(http: httpx.Client) -> list[int]:
    return [entry["status"] for entry in http.get("/__admin/requests").json()]


@needs_redis
@pytest.mark.parametrize("closer", [0, 1], ids=["this process", "the other process"])
def test_a_503_of_a_session_closed_before_it_was_journalled_is_journalled_nowhere(
    tmp_path: Path, closer: int
) -> None:
    """It went into the closed session's journal, which nothing owns any more: the global
    journal listed it and count counted it, and neither DELETE /__admin/requests nor POST
    /__admin/reset took it away. A session's journal goes with the session."""
    with restartable_redis(str(tmp_path)) as (url, stop, start), processes(url) as fakes:
        caller = fakes[0]
        session, _, token = _session_login(caller)
        stop()
        assert qp_call(caller, "importCli", token, {"data": [row("LOST")]}).status_code == 503
        start()
        assert fakes[closer].delete(f"/__admin/sessions/{session}").status_code == 200
        _kept_call(caller)
        assert _statuses(caller) == [200, 200]
        assert GlobalScope(caller).count(status=503) == 0
        assert caller.get("/__admin/requests", params={"session": session}).status_code == 404


@needs_redis
def test_a_process_lets_go_of_the_503s_of_a_session_it_closes(tmp_path: Path) -> None:
    """It held them until its next kept call, only for that call to find their session gone:
    held, they counted towards the 1,000 it keeps, the other scopes' pushed out first."""
    with restartable_redis(str(tmp_path)) as (url, stop, start):
        store = RedisStore(url, prefix=f"test-{uuid.uuid4().hex}", wait=0.2)
        app = create_app({"kit": FROZEN}, store=store)
        transport = SyncASGITransport(app, lifespan=True)
        with httpx.Client(transport=transport, base_url="http://m") as fake:
            session, _, token = _session_login(fake)
            stop()
            for held in (token, "a token of the global scope"):
                assert qp_call(fake, "importCli", held, {"data": []}).status_code == 503
            start()
            fake.delete(f"/__admin/sessions/{session}")
            assert [entry.session for entry in app.state.kit.unjournalled.entries] == [None]


@needs_redis
def test_a_503_of_a_session_whose_token_another_process_issued_is_journalled_in_the_session(
    tmp_path: Path,
) -> None:
    """The process that answered the 503 worked out whose call it was from its own copy, which
    had not seen the token the other process issued (and could not reload it from a Redis it
    could not reach): the session's 503 went into the global journal, tenant unknown. It is
    dated on the session's clock, as the session's other calls, its Date header too (it kept
    the global clock's)."""
    with restartable_redis(str(tmp_path)) as (url, stop, start), processes(url) as (one, two):
        session, username, token = _session_login(two)
        two.post("/__admin/clock", json={"advance_seconds": 3600}, params={"session": session})
        stop()
        down = qp_call(one, "importCli", token, {"data": [row("LOST")]})
        assert down.status_code == 503
        start()
        _kept_call(one)
        lost, login = one.get("/__admin/requests", params={"session": session}).json()
        assert_journalled_as_answered(lost, down)
        assert (lost["session"], lost["tenant"]) == (session, username)
        assert login["operation"] == "login"
        assert (login["time"], lost["time"]) == ("2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z")
        assert lost["response_headers"]["date"] == "Wed, 01 Jan 2025 01:00:00 GMT"
        assert GlobalScope(one).count(status=503, session=None) == 0


FROZEN_DATE = "Wed, 01 Jan 2025 00:00:00 GMT"
"""The ``Date`` of a call on the kit's clock as ``FROZEN`` starts it."""
DAY_ON = "Thu, 02 Jan 2025 00:00:00 GMT"
"""The ``Date`` of a call on the kit's clock (``FROZEN``) moved a day on."""


def _a_503_on_the_kit_s_clock(http: httpx.Client, tsdigital_token: str) -> None:
    """A QuoParts and a TS Digital call Redis does not keep are answered on the kit's clock,
    moved a day on: their ``Date``, and TS Digital's ``timestamp``."""
    down = http.get(QP, params={"login": "", "username": "demo", "password": "demo"})
    assert (down.status_code, down.headers["date"]) == (503, DAY_ON)
    refused = tsd.create(http, tsdigital_token)
    assert (refused.status_code, refused.headers["date"]) == (503, DAY_ON)
    assert refused.json()["timestamp"] == "02-01-2025 00:00:00"


def _start(http: httpx.Client) -> None:
    """Start the process (its lifespan runs at its first request) with a request that reads
    nothing of the store: it has answered no call."""
    assert http.get("/quoparts/openapi.json").status_code == 200


@needs_redis
def test_a_process_started_after_a_clock_move_answers_its_503s_on_the_moved_clock(
    tmp_path: Path,
) -> None:
    """It connected at start and read the kit only at its first call: Redis stopped before
    that call, its 503s were dated a day behind the other process's (its ``Date``, TS
    Digital's ``timestamp``), and so were their journal entries once Redis was back, listed
    after the older calls'. It reads the kit, its clock with it, as it starts."""
    prefix = f"test-{uuid.uuid4().hex}"
    with (
        restartable_redis(str(tmp_path)) as (url, stop, start),
        processes(url, count=1, prefix=prefix) as (first,),
    ):
        first.post("/__admin/clock", json={"advance_seconds": 86400})
        token = tsd.mint(first)
        with processes(url, count=1, prefix=prefix) as (late,):
            _start(late)
            stop()
            _a_503_on_the_kit_s_clock(late, token)
            start()
            _kept_call(late)
            entries = late.get("/__admin/requests").json()
            assert [entry["status"] for entry in entries] == [200, 200, 503, 503]
            assert {entry["time"] for entry in entries} == {"2025-01-02T00:00:00Z"}


@needs_redis
def test_a_process_started_while_redis_is_down_journals_its_503s_on_the_kit_s_clock(
    tmp_path: Path,
) -> None:
    """It cannot know the kit's clock until Redis is back, and answers on its own meanwhile
    (docs/deploy.md); the 503 entries it holds are dated on the kit's clock once they are
    journalled, as the memory store would have dated them: their ``time`` and ``Date``."""
    prefix = f"test-{uuid.uuid4().hex}"
    with (
        restartable_redis(str(tmp_path)) as (url, stop, start),
        processes(url, count=1, prefix=prefix) as (first,),
    ):
        first.post("/__admin/clock", json={"advance_seconds": 86400})
        stop()
        with processes(url, count=1, prefix=prefix) as (late,):
            down = late.get(QP, params={"login": "", "username": "demo", "password": "demo"})
            assert (down.status_code, down.headers["date"]) == (503, FROZEN_DATE)
            start()
            _kept_call(late)
            entries = late.get("/__admin/requests").json()
            assert [(e["status"], e["time"], e["response_headers"]["date"]) for e in entries][
                -1
            ] == (503, "2025-01-02T00:00:00Z", DAY_ON)


@needs_redis
def test_a_running_clock_s_held_503_is_dated_at_its_moment_of_the_kit_s_clock(
    tmp_path: Path,
) -> None:
    """A clock that runs (not frozen) started in each process at its own start, the wall's
    time: the process started without Redis dates its 503 on a clock a day off the kit's (the
    day's move it did not know of), and the entry is dated the moment of the wall it was
    answered at on the kit's clock."""
    wall = [1_750_000_000.25]
    prefix = f"test-{uuid.uuid4().hex}"

    @contextmanager
    def process(url: str) -> Iterator[httpx.Client]:
        store = RedisStore(url, prefix=prefix, wait=0.2, lock_deadline=LOCK_DEADLINE)
        app = create_app(store=store, wall=lambda: wall[0])
        with httpx.Client(
            transport=SyncASGITransport(app, lifespan=True), base_url="http://m"
        ) as c:
            yield c

    with restartable_redis(str(tmp_path)) as (url, stop, start), process(url) as first:
        assert first.post("/__admin/clock", json={"advance_seconds": 86400}).status_code == 200
        stop()
        wall[0] += 100.5
        with process(url) as late:
            _start(late)  # its clock: the wall's 15:08:20.75, without the kit's day
            wall[0] += 50
            down = late.get(QP, params={"login": "", "username": "demo", "password": "demo"})
            assert (down.status_code, down.headers["date"]) == (
                503,
                "Sun, 15 Jun 2025 15:09:10 GMT",
            )
            start()
            _kept_call(late)
            lost = late.get("/__admin/requests").json()[-1]
            assert lost["status"] == 503
            assert lost["time"] == "2025-06-16T15:09:10.750000Z"
            assert lost["response_headers"]["date"] == "Mon, 16 Jun 2025 15:09:10 GMT"


Clear = Callable[[httpx.Client, dict[str, str]], httpx.Response]
CLEARS: dict[str, Clear] = {
    "DELETE /__admin/requests": lambda http, scope: http.delete("/__admin/requests", params=scope),
    "POST /__admin/reset": lambda http, scope: http.post("/__admin/reset", params=scope),
    "a reset of its vendor": lambda http, scope: http.post(
        "/__admin/reset", params=scope, json={"vendor": "quoparts"}
    ),
}


@contextmanager
def _a_held_503(
    tmp_path: Path, in_session: bool = False
) -> Iterator[tuple[list[httpx.Client], dict[str, str]]]:
    """Two processes, the first holding the 503 of a QuoParts import Redis did not keep (of
    a session of its own with ``in_session``), Redis back; and the scope's admin parameters."""
    with restartable_redis(str(tmp_path)) as (url, stop, start), processes(url) as fakes:
        scope: dict[str, str] = {}
        if in_session:
            session, _, token = _session_login(fakes[0])
            scope = {"session": session}
        else:
            token = qp_login(fakes[0])
        stop()
        assert qp_call(fakes[0], "importCli", token, {"data": [row("LOST")]}).status_code == 503
        start()
        yield fakes, scope


@needs_redis
@pytest.mark.parametrize("clearer", [0, 1], ids=["this process", "the other process"])
@pytest.mark.parametrize("in_session", [False, True], ids=["global", "session"])
@pytest.mark.parametrize("clear", CLEARS)
def test_a_503_held_past_a_clear_of_its_scope_is_journalled_nowhere(
    tmp_path: Path, clear: str, in_session: bool, clearer: int
) -> None:
    """The process journalled it with its next kept call, after the clear: the journal a test
    had just cleared showed a 503 of before, and a count of the step after it counted it."""
    with _a_held_503(tmp_path, in_session) as (fakes, scope):
        assert CLEARS[clear](fakes[clearer], scope).status_code == 200
        _kept_call(fakes[0])
        assert GlobalScope(fakes[0]).count(status=503) == 0
        assert _statuses(fakes[0]) == [200, 200]


@needs_redis
def test_a_clear_of_another_scope_or_vendor_leaves_a_held_503_to_be_journalled(
    tmp_path: Path,
) -> None:
    """A clear takes only the held 503s it would have taken journalled: of its scope (and of
    its vendor, a vendor's reset)."""
    with _a_held_503(tmp_path) as ((one, two), _):
        session, _, _ = _session_login(two)
        assert CLEARS["DELETE /__admin/requests"](two, {"session": session}).status_code == 200
        assert two.post("/__admin/reset", json={"vendor": "xtra"}).status_code == 200
        _kept_call(one)
        assert GlobalScope(one).count(status=503, session=None) == 1


@needs_redis
@pytest.mark.parametrize("gone", ["closed", "reset"])
def test_a_503_of_a_session_whose_token_went_with_a_reset_or_close_is_journalled_nowhere(
    tmp_path: Path, gone: str
) -> None:
    """The process that answered it did not know the token (the other process issued it), and
    by its next kept call Redis held it no more: the 503 went to the global journal, whose call
    it was unknown. The memory store journals a session's call in the session, and its reset
    or close takes it away: so does this."""
    with restartable_redis(str(tmp_path)) as (url, stop, start), processes(url) as (one, two):
        session, _, token = _session_login(two)
        stop()
        assert qp_call(one, "importCli", token, {"data": [row("LOST")]}).status_code == 503
        start()
        if gone == "closed":
            assert two.delete(f"/__admin/sessions/{session}").status_code == 200
        else:
            assert two.post("/__admin/reset", params={"session": session}).status_code == 200
        _kept_call(one)
        assert _statuses(one) == [200, 200]


@needs_redis
@pytest.mark.parametrize("cleared", [False, True], ids=["kept", "cleared since"])
def test_the_503s_a_process_let_go_count_as_pushed_out_of_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cleared: bool
) -> None:
    """Past the 503s a process holds, the oldest were neither journalled nor counted: a count
    or an assert_not_called saw fewer calls than the connector made and said none was missed.
    They count as pushed out, as the journal's own, until the scope's journal is cleared."""
    monkeypatch.setattr("mockservers.core.held.UNJOURNALLED", 2)
    with restartable_redis(str(tmp_path)) as (url, stop, start), processes(url) as (one, two):
        token = qp_login(one)
        stop()
        for _ in range(3):
            assert qp_call(one, "importCli", token, {"data": []}).status_code == 503
        start()
        if cleared:
            assert two.delete("/__admin/requests").status_code == 200
        _kept_call(one)
        counted = two.post("/__admin/requests/count", json={"vendor": "quoparts", "status": 503})
        assert counted.json() == ({"count": 0} if cleared else {"count": 2, "dropped": 1})
        xtra_counted = two.post("/__admin/requests/count", json={"vendor": "xtra"})
        assert xtra_counted.json() == {"count": 0}


@needs_redis
def test_a_503_no_store_can_tell_whose_it_was_says_so_in_the_global_journal(tmp_path: Path) -> None:
    """Redis came back empty: the token the other process issued is known nowhere, so the
    call's 503 cannot be put in its scope; it is journalled in the global one, saying so."""
    with restartable_redis() as (url, stop, start), processes(url) as (one, two):
        token = qp_login(two)
        stop()
        down = qp_call(one, "importCli", token, {"data": [row("LOST")]})
        start()
        _kept_call(one)
        lost = next(e for e in one.get("/__admin/requests").json() if e["status"] == 503)
        assert lost["tenant"] is None and lost["session"] is None
        reason = down.headers["x-mockservers-detail"]
        assert lost["detail"] == f"{reason}; {UNASSIGNED}"


@needs_redis
def test_a_worker_replaced_while_redis_is_down_answers_503_then_recovers() -> None:
    """A worker dies while Redis is down: its replacement could not connect at start, and
    ``serve`` took that for a worker that cannot start, stopped every worker and exited 1,
    leaving nothing to answer once Redis was back. The replacement now starts, answers the
    vendor's 503 while Redis is away, and both workers answer once it is back."""
    login = {"login": "", "username": "demo", "password": "demo"}
    with (
        restartable_redis() as (url, stop, start),
        serving("--store", url, "--workers", "2") as served,
    ):
        stop()
        first = _workers(served)
        os.kill(first[0], signal.SIGKILL)
        assert served.process.stderr is not None
        after = []
        for line in served.process.stderr:  # ends when serve exits: no wait on a dead process
            after.append(line)
            if any("replaced" in seen for seen in after) and "startup complete" in line:
                break
        assert not any("could not start" in line for line in after), after
        assert any("cannot reach Redis" in line and "until it is back" in line for line in after)
        (replacement,) = set(_workers(served)) - set(first)
        clients = [httpx.Client(base_url=served.url) for _ in range(16)]
        try:
            down = [client.get(QP, params=login) for client in clients]
            assert {(a.status_code, a.json()["errorCode"]) for a in down} == {(503, "503")}
            start()
            answers = [client.get(QP, params=login) for client in clients]
            assert {(a.status_code, a.json()["errorCode"]) for a in answers} == {(200, "0")}
            port = int(served.url.rsplit(":", 1)[1])
            assert _connections_held(replacement, port) > 0  # it took its share, and answered
        finally:
            for client in clients:
                client.close()


def test_a_redis_that_forgot_the_scripts_is_taught_them_again(redis_url: str) -> None:
    """``SCRIPT FLUSH`` (or a restart the connection survived): the next call loads them again
    and is answered."""
    import redis as sync_redis

    with processes(redis_url, count=1) as (fake,):
        token = qp_login(fake)
        sync_redis.Redis.from_url(redis_url).script_flush()
        answer = qp_call(fake, "importCli", token, {"data": [row("CLI001")]})
        assert (answer.status_code, answer.json()["errorCode"]) == (200, "0")


@needs_redis
def test_a_lock_holder_of_the_redis_before_a_restart_is_dead_whoever_has_its_id_now(
    tmp_path: Path,
) -> None:
    """Redis came back with its data while a process held the lock (its snapshot or file was
    written then). Client ids start again at 1 after a restart: a connection of the new run
    may have the dead holder's id, and asking Redis whether that id is connected said yes, so
    nobody recovered the lock and every call waited for ever."""
    import redis as sync_redis

    with restartable_redis(str(tmp_path)) as (url, stop, start), processes(url) as (one, two):
        token = qp_login(one)
        store = one._transport._app.state.kit.store  # type: ignore[attr-defined]
        raw = sync_redis.Redis.from_url(url)
        old_run, old_id = raw.info("server")["run_id"], raw.client_id()
        holder = f"{old_run}-{old_id}"
        raw.lmove(store.key("lock"), store.key("held", holder), "LEFT", "LEFT")  # it holds it
        raw.set(store.key("owner"), f"{raw.get(store.key('gen')).decode()}:{holder}")
        stop()  # ... when Redis stops: its file says so
        start()
        strangers = [sync_redis.Redis.from_url(url) for _ in range(old_id + 2)]
        assert old_id in {stranger.client_id() for stranger in strangers}  # its id, taken again
        answer = qp_call(two, "importCli", token, {"data": [row("CLI001")]})
        assert (answer.status_code, answer.json()["errorCode"]) == (200, "0")
        assert qp_call(one, "importCli", token, {"data": [row("CLI002")]}).status_code == 200
        for stranger in strangers:
            stranger.close()
        raw.close()


def test_a_redis_emptied_under_the_fake_gives_a_fresh_kit_not_a_hang(redis_url: str) -> None:
    """``FLUSHDB`` while the processes run: the lock's token went with everything else. The
    next call on each process is answered, by a fresh kit (the old token refused)."""
    import redis as sync_redis

    with processes(redis_url) as (one, two):
        token = qp_login(one)
        assert qp_call(two, "importCli", token, {"data": [row("CLI001")]}).status_code == 200
        sync_redis.Redis.from_url(redis_url).flushdb()
        gone = qp_call(one, "importCli", token, {"data": [row("CLI002")]})
        assert (gone.status_code, gone.json()["errorCode"]) == (200, "101")
        fresh = qp_login(two)
        answer = qp_call(one, "importCli", fresh, {"data": [row("CLI002")]}).json()
        assert answer["data"][0]["COD_CLI"] == "000001"
        assert two.get("/__admin/health").status_code == 200


def test_a_process_idle_while_redis_was_emptied_takes_the_fresh_kit(redis_url: str) -> None:
    """After FLUSHDB the version counts from 0 again: a process idle meanwhile, its copy at an
    old version no higher than the new one, replayed the new log onto its old state and the
    two processes parted for good (old customers and sessions on one, codes going on)."""
    import redis as sync_redis

    with processes(redis_url) as (idle, busy):
        token = qp_login(idle)
        qp_call(idle, "importCli", token, {"data": [row("OLD1"), row("OLD2")]})
        session = idle.post("/__admin/sessions", json={}).json()["id"]
        for scope in ({}, {"session": session}):
            fault = {"vendor": "quoparts", "kind": "status", "status": 503, **scope}
            assert idle.post("/__admin/faults", json=fault).status_code == 201
        assert len(busy.get("/__admin/faults").json()) == 2  # the kit busy starts afresh holds them
        sync_redis.Redis.from_url(redis_url).flushdb()
        fresh = qp_login(busy)
        for _ in range(12):  # the new kit's version goes past the idle copy's
            busy.post("/__admin/clock", json={"advance_seconds": 1})
        assert idle.get("/__admin/state/quoparts").json() == {"tenants": {}}
        assert idle.get("/__admin/sessions").json() == []
        assert idle.get("/__admin/faults").json() == busy.get("/__admin/faults").json() == []
        answer = qp_call(idle, "importCli", fresh, {"data": [row("NEW")]}).json()
        assert answer["data"][0]["COD_CLI"] == "000001"
        fault = {"vendor": "quoparts", "kind": "status", "status": 503}
        assert idle.post("/__admin/faults", json=fault).json()["id"] == "fault-1"


def test_a_dropped_session_leaves_nothing_for_journal_reads_to_walk(redis_url: str) -> None:
    """Each session's journal scope stayed listed after the session was dropped: every journal
    read, count and dashboard refresh made one more round trip per session ever opened."""
    import redis as sync_redis

    prefix = f"test-{uuid.uuid4().hex}"
    with processes(redis_url, prefix=prefix) as (one, two):
        qp_login(one)
        for _ in range(3):
            session = one.post("/__admin/sessions", json={}).json()
            qp_login(two, **session["credentials"]["quoparts"])
            one.delete(f"/__admin/sessions/{session['id']}")
        assert [e["session"] for e in two.get("/__admin/requests").json()] == [None]
    scopes = sync_redis.Redis.from_url(redis_url).smembers(f"{prefix}:journals")
    assert scopes == {b"global"}


@needs_redis
def test_journal_reads_while_redis_refuses_writes_are_its_503_never_a_500() -> None:
    """Redis full (``maxmemory``, no eviction) refuses every vendor call's commit. A journal
    read at the same moment answered 500 "a bug": the failed call closed the connections under
    the read, and its retry found none. Each read is now a 503 naming Redis's refusal; once
    Redis takes writes again both answer, and nothing of the refused calls was kept but their
    journal entries, the 503s they were answered, journalled with the next commit."""
    login = {"login": "", "username": "demo", "password": "demo"}

    async def rounds(base: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            answers: list[httpx.Response] = []
            for _ in range(10):  # the failure was a race: 7 runs in 9 of five rounds met it
                calls = [http.get(QP, params=login) for _ in range(4)]
                calls += [http.get("/__admin/requests") for _ in range(4)]
                answers += await asyncio.gather(*calls)
            return answers

    with redis_server.redis_server() as url, serving("--store", url) as served:
        assert httpx.get(served.url + QP, params=login).status_code == 200
        full = redis.Redis.from_url(url)
        full.config_set("maxmemory", "1")  # below what it holds already: every write refused
        try:
            answers = asyncio.run(rounds(served.url))
        finally:
            full.config_set("maxmemory", "0")
        calls = [answer for answer in answers if answer.url.path == QP]
        reads = [answer for answer in answers if answer.url.path == "/__admin/requests"]
        assert {(a.status_code, a.json()["errorCode"]) for a in calls} == {(503, "503")}
        assert [a.status_code for a in reads] == [503] * 40
        assert all("maxmemory" in a.json()["error"] for a in reads)
        assert httpx.get(served.url + QP, params=login).status_code == 200
        journal = httpx.get(served.url + "/__admin/requests").json()
        assert [entry["status"] for entry in journal] == [200, *[503] * 40, 200]
        assert all("maxmemory" in entry["detail"] for entry in journal[1:-1])
        full.close()


@needs_redis
def test_the_first_journal_read_after_a_redis_restart_is_answered(tmp_path: Path) -> None:
    """The admin reads' connections were dropped by the restart: a read replaces its
    connection and is answered, as vendor calls are (a verify right after must not fail)."""
    with restartable_redis(str(tmp_path)) as (url, stop, start), processes(url) as (one, two):
        token = qp_login(one)
        qp_call(two, "importCli", token, {"data": [row("CLI001")]})
        before = [e["id"] for e in one.get("/__admin/requests").json()]
        assert len(before) == 2 and two.get("/__admin/requests").status_code == 200
        stop()
        start()
        for process in (one, two):
            answer = process.get("/__admin/requests")
            assert answer.status_code == 200, answer.text
            assert [e["id"] for e in answer.json()] == before
        matcher = {"matcher": {"operation": "importCli"}, "count": 1}
        assert two.post("/__admin/requests/verify", json=matcher).json()["ok"] is True


def test_a_live_holder_that_never_lets_go_is_the_vendors_503_not_a_hang(redis_url: str) -> None:
    """A process paused while holding the kit's lock (``docker pause``, a breakpoint): Redis
    still sees it connected, so nobody may take the lock; the others' calls get the vendor's
    503 after the deadline, naming the holder, and are answered once it lets go."""
    import redis as sync_redis

    prefix = f"test-{uuid.uuid4().hex}"
    store = RedisStore(redis_url, prefix=prefix, wait=0.2, lock_deadline=1.0)
    app = create_app({"kit": FROZEN}, store=store)
    with httpx.Client(transport=SyncASGITransport(app, lifespan=True), base_url="http://m") as http:
        token = qp_login(http)
        paused = sync_redis.Redis.from_url(redis_url)
        holder = f"{paused.info('server')['run_id']}-{paused.client_id()}"
        held = store.key("held", holder)
        paused.lmove(store.key("lock"), held, "LEFT", "LEFT")
        paused.set(store.key("owner"), f"{paused.get(store.key('gen')).decode()}:{holder}")
        answer = qp_call(http, "importCli", token, {"data": [row("CLI001")]})
        assert (answer.status_code, answer.json()["errorCode"]) == (503, "503")
        detail = answer.headers["X-Mockservers-Detail"]
        assert f"was not released within 1 s (held by {holder}" in detail
        paused.lmove(held, store.key("lock"), "LEFT", "RIGHT")  # it goes on, and lets go
        paused.delete(store.key("owner"))
        answer = qp_call(http, "importCli", token, {"data": [row("CLI001")]})
        assert (answer.status_code, answer.json()["errorCode"]) == (200, "0")
        paused.close()


def test_an_admin_refusal_keeps_the_session_expiries_it_made(redis_url: str) -> None:
    """Every admin call first drops the sessions idle past their TTL; a call then refused (a
    404 for an unknown session) threw those writes away on a shared store: Redis kept the
    expired session, and the process reloaded everything on its next call."""
    import redis as sync_redis

    prefix = f"test-{uuid.uuid4().hex}"
    now = [1_750_000_000.0]
    store = RedisStore(redis_url, prefix=prefix, wait=0.2, lock_deadline=LOCK_DEADLINE)
    app = create_app({"kit": FROZEN}, store=store, wall=lambda: now[0])
    transport = SyncASGITransport(app, lifespan=True)
    with httpx.Client(transport=transport, base_url="http://m") as http:
        session = http.post("/__admin/sessions", json={"ttl_seconds": 60}).json()
        now[0] += 61
        assert http.get("/__admin/sessions/nope").status_code == 404
        kept = sync_redis.Redis.from_url(redis_url).hexists(f"{prefix}:map:sessions", session["id"])
    assert not kept
