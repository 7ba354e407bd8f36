"""The same calls on the memory store, on the Redis store and with a state file answer the same
and leave the same state, listed in the same order, even when a second process reads the state
back half-way (a second worker, a restart: Redis hands a hash's fields and a set's members back
in an order of its own, and SQLite its rows by key)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis

from mockservers import create_app
from mockservers.core.redis_store import RedisStore
from mockservers.testing import SyncASGITransport
from tests.conftest import qp_call, qp_login
from tests.data import BIG, BIG_AS_READ, keepit_customer
from tests.keepit import test_http as keepit
from tests.kit.test_redis_store import FROZEN, processes
from tests.tsdigital import test_http as tsd
from tests.xtra import test_http as xtra

ACCOUNTS = {
    "xtra": {
        "accounts": [
            {
                "name": name,
                "public_key": f"{name}-public",
                "secret_key": f"{name}-secret",
                "users": [{"username": "mario", "password": "pw", "irid": irid}],
            }
            for name, irid in (("acme", 59990), ("beta", 77))
        ]
    },
    "keepit": {"rate_limit_calls": 1000},
}
"""Two XTRA accounts with one username and password: a login without a key pair is ambiguous
by construction."""
SHARED_CODE = "000007"
CUSTOMER = {"DES_NOM": "Rossi S.r.l.", "DES_IND": "Via Roma 123", "DES_CTA": "Milano"}
"""A customer long enough that Redis keeps its tenant's hash as a hash table (no order)."""
KEEPIT = {"username": "demo", "password": "demo", "companyId": "1", "siteId": "1"}
KEEPIT_CALL = "/keepit/api?cmd=insertClient_v3"

Step = Callable[[httpx.Client], Any]


def load_shared_code(http: httpx.Client) -> Any:
    """A QuoParts fixture where twenty customers share one COD_CLI, listed against the order
    of their keys."""
    codes = {"COD_USR": "M00007", "COD_PWD": "ABC123"}
    customers = {
        f"C{n:02d}": {**CUSTOMER, "COD_CLI_ERP": f"C{n:02d}", "COD_CLI": SHARED_CODE, **codes}
        for n in range(19, -1, -1)
    }
    document = {"tenants": {"demo": {"customers": customers}}}
    return http.put("/__admin/state/quoparts", json=document).status_code


def load_accounts_reversed(http: httpx.Client) -> Any:
    """XTRA's state loaded back with its tenants in the reverse order."""
    document = http.get("/__admin/state/xtra").json()
    document["tenants"] = dict(reversed(document["tenants"].items()))
    return http.put("/__admin/state/xtra", json=document).status_code


def import_customers(first: int, count: int) -> Step:
    def step(http: httpx.Client) -> Any:
        rows = [{**CUSTOMER, "COD_CLI_ERP": f"N{n}"} for n in range(first, first + count)]
        return qp_call(http, "importCli", qp_login(http), {"data": rows}).json()

    return step


def quote_for_the_shared_code(http: httpx.Client) -> Any:
    """importPvt by the COD_CLI the twenty customers share: which of them it names."""
    header = {"COD_CLI": SHARED_CODE, "COD_TGA": "TE001ST", "DES_VCL": "FORD B-Max"}
    article = {"DES_RGR": "Filtro olio", "COD_ART_PVT": "1883037", "IMP_LST_PVT": 14.57}
    body = {"data": {"testata": header, "articoli": [article]}}
    answer = qp_call(http, "importPvt", qp_login(http), body).json()
    quotes = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["quotes"]
    return answer, quotes[answer["data"][0]["COD_DOC"]]["COD_CLI_ERP"]


def login_shared_user(http: httpx.Client) -> Any:
    """A login without a key pair whose username and password two accounts hold."""
    result = xtra.login(http, "mario", "pw")
    return result["IRID"], result["Denomination"]


def identities(first: int, count: int) -> Step:
    def step(http: httpx.Client) -> Any:
        batch = [
            xtra.NEW | {"ExternalKey": f"E{n}", "Contacts": [{"Value": f"0131 {n}"}]}
            for n in range(first, first + count)
        ]
        return xtra.update(http, batch).json()["result"]

    return step


def contact_form(http: httpx.Client) -> Any:
    return xtra.update(http, [xtra.SEED_CONTACT_FORM], contactForm="true").json()["result"]


def customers(first: int, count: int) -> Step:
    def step(http: httpx.Client) -> Any:
        batch = [keepit_customer(f"K{n}") for n in range(first, first + count)]
        return http.post(KEEPIT_CALL, headers=KEEPIT, json={"subjectsRecords": batch}).json()

    return step


def load_big_numbers(http: httpx.Client) -> Any:
    """KeepIT's state loaded back with a customer holding ``BIG`` in its every part."""
    document = http.get("/__admin/state/keepit").json()
    subjects = keepit_customer("B1")["subjects"] | BIG | {"progId": 99}
    record = {"subjects": subjects, **BIG, "progId": 99, "contacts": [{"progId": 99, **BIG}]}
    document["tenants"]["1/1"]["subjects"]["99"] = record
    return http.put("/__admin/state/keepit", json=document).status_code


def big_numbers(http: httpx.Client) -> Any:
    """``BIG`` sent in every part of a new customer and of an update to customer 99, in a call
    with a customerCode beyond 64 bits (refused)."""
    update = keepit_customer("B1", "U", contacts=[{"contactType": "PHONE", "value": "1", **BIG}])
    update["subjects"] |= {**BIG, "progId": 99}
    new = keepit_customer("B2", **BIG, subjectMakeup=BIG)
    new["subjects"] |= BIG
    batch = [keepit_customer(2**64 + 1), update | BIG, new]
    return http.post(KEEPIT_CALL, headers=KEEPIT, json={"subjectsRecords": batch}).json()


def items(count: int) -> Step:
    def step(http: httpx.Client) -> Any:
        token = tsd.mint(http)
        return [tsd.create(http, token).json() for _ in range(count)]

    return step


FIRST: list[Step] = [
    load_shared_code,
    load_accounts_reversed,
    import_customers(0, 5),
    identities(0, 6),
    customers(0, 6),
    load_big_numbers,
    items(8),
]
"""Calls of the first process."""
THEN: list[Step] = [
    quote_for_the_shared_code,
    login_shared_user,
    identities(6, 2),
    contact_form,
    customers(6, 2),
    big_numbers,
    items(2),
    import_customers(5, 2),
]
"""Calls of a second process that reads the state back from Redis."""
VENDORS = ("quoparts", "xtra", "keepit", "tsdigital")


def dumps(http: httpx.Client) -> dict[str, bytes]:
    """Each vendor's state document as sent: the same bytes, the same order."""
    return {vendor: http.get(f"/__admin/state/{vendor}").content for vendor in VENDORS}


@pytest.fixture(scope="module")
def on_memory() -> tuple[list[Any], dict[str, bytes]]:
    app = create_app({"kit": FROZEN, **ACCOUNTS})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://m") as http:
        answers = [step(http) for step in FIRST + THEN]
        return answers, dumps(http)


def test_a_second_process_answers_and_lists_as_the_memory_store(
    redis_url: str, on_memory: tuple[list[Any], dict[str, bytes]]
) -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    with processes(redis_url, count=1, prefix=prefix, **ACCOUNTS) as (first,):
        answers = [step(first) for step in FIRST]
        written = dumps(first)
    with processes(redis_url, count=1, prefix=prefix, **ACCOUNTS) as (then,):
        assert dumps(then) == written  # read back from Redis, in the order it was written
        answers += [step(then) for step in THEN]
        assert answers == on_memory[0]
        assert dumps(then) == on_memory[1]


@contextmanager
def restored(path: Path) -> Iterator[httpx.Client]:
    """A process keeping its state in the file at ``path`` (``--state-file``)."""
    app = create_app({"kit": FROZEN, **ACCOUNTS}, state_file=str(path))
    with httpx.Client(transport=SyncASGITransport(app, lifespan=True), base_url="http://m") as http:
        yield http


def test_a_process_restarted_on_its_state_file_answers_and_lists_as_the_memory_store(
    tmp_path: Path, on_memory: tuple[list[Any], dict[str, bytes]]
) -> None:
    with restored(tmp_path / "state.db") as first:
        answers = [step(first) for step in FIRST]
        written = dumps(first)
    with restored(tmp_path / "state.db") as then:
        assert dumps(then) == written  # read back from the file, in the order it was written
        answers += [step(then) for step in THEN]
        assert answers == on_memory[0]
        assert dumps(then) == on_memory[1]


def test_the_ambiguous_look_ups_follow_their_rule(
    on_memory: tuple[list[Any], dict[str, bytes]],
) -> None:
    """A login two accounts could answer is the first configured one's (after the demo
    account: acme); a COD_CLI twenty customers share names the last of them in the account's
    order (listed last by the state document)."""
    answers = dict(zip(FIRST + THEN, on_memory[0], strict=True))
    assert answers[login_shared_user][0] == 59990
    assert answers[quote_for_the_shared_code][1] == "C00"


def test_whole_numbers_beyond_64_bits_are_kept_as_json_reads_them(
    on_memory: tuple[list[Any], dict[str, bytes]],
) -> None:
    """Up to 2^64 - 1 as sent, beyond as the nearest float, wherever a KeepIT customer holds
    them (the other tests: the same on Redis and in a state file), after a call with a
    customerCode beyond 64 bits too (HTTP 500 when its body was read again exactly)."""
    answers = dict(zip(FIRST + THEN, on_memory[0], strict=True))
    assert answers[load_big_numbers] == 200
    answer = answers[big_numbers]
    assert answer["code"] == 206
    assert [entry["customerCode"] for entry in answer["errorObjects"]] == [2**64 + 1]
    assert [entry["customerCode"] for entry in answer["insertedObjects"]] == ["B1", "B2"]
    saved = orjson.loads(on_memory[1]["keepit"])["tenants"]["1/1"]["subjects"]
    new = next(record for record in saved.values() if record["subjects"]["customerCode"] == "B2")
    parts = [saved["99"], saved["99"]["subjects"], *saved["99"]["contacts"]]
    for part in [*parts, new, new["subjects"], new["subjectMakeup"]]:
        assert {name: part[name] for name in BIG} == BIG_AS_READ
    assert len(saved["99"]["contacts"]) == 2


def customer(code: str, mail: str, action: str = "I", prog_id: int | None = None) -> Any:
    """A KeepIT customer known by its ``subjects.email``."""
    record = keepit_customer(code, action)
    record["subjects"]["email"] = mail
    if prog_id is not None:
        record["subjects"]["progId"] = prog_id
    return record


def held_twice(redis_url: str, prefix: str) -> None:
    """What an earlier version of the kit could leave in Redis (it took state documents that
    gave one value to two records): XTRA identities 2 and 3 with the ExternalKey ACME-1,
    KeepIT customers 1 and 2 with the e-mail a@x.it."""
    with processes(redis_url, count=1, prefix=prefix) as (http,):
        keyed = [xtra.NEW | {"ExternalKey": key} for key in ("ACME-1", "ACME-3")]
        assert [outcome["Item1"] for outcome in xtra.records(http, keyed)] == [2, 3]
        inserted = keepit.insert(http, customer("C1", "a@x.it"), customer("C2", "b@x.it"))
        assert inserted["code"] == 200
    client = redis.Redis.from_url(redis_url)
    store = RedisStore(redis_url, prefix=prefix)
    for hash_key, field, change in (
        (store.key("state", "xtra", "demo"), "identities\x1f3", {"ExternalKey": "ACME-1"}),
        (store.key("state", "keepit", "1/1"), "subjects\x1f2", {"email": "a@x.it"}),
    ):
        record = orjson.loads(client.hget(hash_key, field))
        record.get("subjects", record).update(change)
        client.hset(hash_key, field, orjson.dumps(record))
    client.close()


def test_a_value_an_earlier_version_gave_two_records_names_the_last_of_them_everywhere(
    redis_url: str,
) -> None:
    """Whatever updates a process followed: the one that wrote them, one that replayed them,
    one that read the state back after them. A record that holds the value may be updated
    with it; once the last holder gives it up, the one before it is found (by the records
    after it in the same call too)."""
    prefix = f"test-{uuid.uuid4().hex}"
    held_twice(redis_url, prefix)
    with processes(redis_url, count=2, prefix=prefix) as (one, two):
        for changed in ({"ID": 2, "Denomination": "Acme"}, {"ID": 2, "ExternalKey": "ACME-1"}):
            assert xtra.code_of(xtra.one(one, changed)) is None
        assert keepit.insert(one, customer("C1", "a@x.it", "U", 1))["code"] == 200
        with processes(redis_url, count=1, prefix=prefix) as (three,):
            for http in (one, two, three):
                taken = xtra.one(http, xtra.NEW | {"ExternalKey": "ACME-1"})
                assert "(ID 3)" in taken["Item4"]["Message"]
                assert keepit.insert(http, customer("C3", "a@x.it"))["code"] == 204
        assert xtra.code_of(xtra.one(two, {"ID": 3, "ExternalKey": "ACME-3"})) is None
        batch = [customer("C2", "b@x.it", "U", 2), customer("C3", "a@x.it")]
        answer = keepit.insert(two, *batch)  # C2 gives it up: C1 holds it still
        assert [entry["customerCode"] for entry in answer["duplicatedObjects"]] == ["C3"]
        with processes(redis_url, count=1, prefix=prefix) as (three,):
            for http in (one, two, three):
                taken = xtra.one(http, xtra.NEW | {"ExternalKey": "ACME-1"})
                assert "(ID 2)" in taken["Item4"]["Message"]
                assert keepit.insert(http, customer("C3", "a@x.it"))["code"] == 204


def test_a_process_that_reads_them_back_says_so_once_a_vendor(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    held_twice(redis_url, prefix)
    with (
        caplog.at_level(logging.WARNING, logger="mockservers"),
        processes(redis_url, count=1, prefix=prefix) as (http,),
    ):
        assert http.get("/__admin/health").status_code == 200
    warned = sorted(record.getMessage() for record in caplog.records)
    assert len(warned) == 2
    assert warned[0].startswith("keepit: the state read back from redis (")
    assert "tenant '1/1': the e-mail 'a@x.it' is held by customers 1 and 2" in warned[0]
    assert warned[1].startswith("xtra: the state read back from redis (")
    assert "tenant 'demo': the ExternalKey 'ACME-1' is held by identities 2 and 3" in warned[1]


def test_the_same_clashes_read_back_again_are_not_told_again(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A process reads the whole state back after it lost Redis: the clashes it had already
    told are not logged again each time."""
    prefix = f"test-{uuid.uuid4().hex}"
    held_twice(redis_url, prefix)
    with processes(redis_url, count=1, prefix=prefix) as (one,):
        assert one.get("/__admin/health").status_code == 200
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="mockservers"):
            client = redis.Redis.from_url(redis_url)
            assert client.client_kill_filter(_type="normal", skipme=True) >= 1
            client.close()
            assert one.get("/__admin/health").status_code == 200
            assert one.get("/__admin/state/xtra").json()["tenants"]["demo"]["identities"]
        assert caplog.records == []
