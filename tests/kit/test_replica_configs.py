"""Processes of one fake started with different configs say so (docs/deploy.md, "N replicas").

A late replica with its own ``[kit.journal]`` trimmed the shared journal for all, a frozen clock
made two clocks, an extra account's token was taken by the others, and nothing told. Each
process now compares its config tables with those the kit in Redis was seeded with.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import orjson
import pytest
import redis

from contracts import contract
from tests.conftest import qp_login
from tests.kit.test_redis_store import FROZEN, processes
from tests.servers import serving

EXTRA = {"accounts": [{"username": "late", "password": "Late-S3cret-pw"}]}
TOKEN = "rotated-admin-token"

ALIKE = {
    # The first process's config (FROZEN, defaults), written otherwise.
    "a default written as a float": {"kit": {**FROZEN, "sessions": {"ttl_seconds": 3600.0}}},
    "a vendor's default as a float": {"quoparts": {"token_ttl_seconds": 3600.0}},
    "the clock's start at another offset": {
        "kit": {"clock": {"frozen": True, "start": "2025-01-01T01:00:00+01:00"}}
    },
    # Keys each process holds for itself: they touch nothing the processes share.
    "a rotated admin token": {"kit": {**FROZEN, "admin_token": TOKEN}},
    "one more CORS origin": {"kit": {**FROZEN, "cors_origins": ["http://localhost:3000"]}},
    "a larger bound on state documents": {"kit": {**FROZEN, "max_state_bytes": 2**31}},
    "the proxy's deadline, which serve never reads": {
        "kit": {**FROZEN, "proxy": {"deadline_seconds": 5}}
    },
    "the proxy's shadow tokens": {
        "tsdigital": {"shadow_token_kind": "app-key", "shadow_token_grants": ["special"]}
    },
}
"""Configs a replica may run beside the first process's default one: the same fake."""

OTHER = {
    "a journal cap": ({"kit": {**FROZEN, "journal": {"max_entries": 10}}}, ["kit.journal"]),
    "another instant": (
        {"kit": {"clock": {"frozen": True, "start": "2025-01-01T01:00:00Z"}}},
        ["kit.clock"],
    ),
    "a clock not frozen": ({"kit": {"clock": {"start": "2025-01-01T00:00:00Z"}}}, ["kit.clock"]),
    "a fraction of a second more": (
        {"kit": {**FROZEN, "sessions": {"ttl_seconds": 3600.5}}},
        ["kit.sessions"],
    ),
    "a smaller body bound (the vendor's 413)": (
        {"kit": {**FROZEN, "max_body_bytes": 1024}},
        ["kit"],
    ),
    "an extra account": ({"quoparts": EXTRA}, ["quoparts"]),
    "a longer window, a whole float": (
        {"keepit": {"rate_limit_window_seconds": 3e9}},
        ["keepit"],
    ),
}
"""Configs that make another fake on the same state, and the tables they differ in."""


def differs(http: httpx.Client) -> list[str]:
    """What the process's health says of its config, checked against the admin contract."""
    health = http.get("/__admin/health")
    assert health.status_code == 200, health.text
    assert contract("admin/health.response").check(health.json()) == []
    return list(health.json()["config_differs"])


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    found = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    caplog.clear()
    return found


def test_a_process_with_another_config_says_which_tables_differ(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    late = {"kit": {**FROZEN, "journal": {"max_entries": 10}}, "quoparts": EXTRA}
    alike = {"quoparts": {"token_ttl_seconds": 3600}, "keepit": {}}  # defaults written out
    with processes(redis_url, count=1, prefix=prefix) as (first,):
        qp_login(first)  # seeds the kit with the first one's config
        with (
            processes(redis_url, count=1, prefix=prefix, **alike) as (same,),
            processes(redis_url, count=1, prefix=prefix, **late) as (other,),
        ):
            assert differs(first) == differs(same) == []
            assert differs(other) == ["kit.journal", "quoparts"]
            said = warnings(caplog)
            assert len(said) == 1, said  # by the one that differs only, once
            assert "differs" in said[0] and "in [kit.journal], [quoparts]:" in said[0]
            assert "Late-S3cret-pw" not in said[0]
            assert differs(other) == ["kit.journal", "quoparts"]
            assert warnings(caplog) == []  # not again at every health check

            # A reset seeds the kit again from the config of the process that answers it.
            assert other.post("/__admin/reset", json={}).status_code == 200
            assert differs(other) == []
            assert differs(first) == differs(same) == ["kit.journal", "quoparts"]
            said = warnings(caplog)  # by each of the two that differ now, once
            assert len(said) == 2 and all("in [kit.journal], [quoparts]:" in s for s in said)
            # One vendor's reset seeds that vendor's table only.
            assert first.post("/__admin/reset", json={"vendor": "quoparts"}).status_code == 200
            assert differs(first) == ["kit.journal"]
            assert differs(other) == ["quoparts"]


@pytest.mark.parametrize("config", ALIKE.values(), ids=ALIKE.keys())
def test_a_replica_with_the_same_config_written_otherwise_differs_in_nothing(
    redis_url: str, caplog: pytest.LogCaptureFixture, config: dict[str, object]
) -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    with processes(redis_url, count=1, prefix=prefix) as (first,):
        qp_login(first)  # seeds the kit with the defaults
        with processes(redis_url, count=1, prefix=prefix, **config) as (same,):
            same.headers["X-Admin-Token"] = TOKEN  # the rotated token's case needs it
            assert differs(same) == differs(first) == []
            assert warnings(caplog) == []


@pytest.mark.parametrize(("config", "tables"), OTHER.values(), ids=OTHER.keys())
def test_a_replica_with_another_config_names_the_tables_it_differs_in(
    redis_url: str, config: dict[str, object], tables: list[str]
) -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    with processes(redis_url, count=1, prefix=prefix) as (first,):
        qp_login(first)
        with processes(redis_url, count=1, prefix=prefix, **config) as (other,):
            assert (differs(other), differs(first)) == (tables, [])


def test_digests_of_the_first_format_are_not_compared_and_a_reset_writes_them_again(
    redis_url: str,
) -> None:
    """The first digests hashed the values as written and the process-local keys: a kit they
    seeded says nothing of a replica with the same config (nor of one with another: there is
    nothing to compare it with) until a reset writes its digests in the format of now, and of
    its tables only ([kit.proxy] is none)."""
    prefix = f"test-{uuid.uuid4().hex}"
    kept = redis.Redis.from_url(redis_url)
    tables = ["kit", "kit.clock", "kit.journal", "kit.sessions", "kit.proxy", "quoparts"]
    first_format = {name: orjson.dumps("0123456789abcdef") for name in tables}
    with processes(redis_url, count=1, prefix=prefix) as (first,):
        qp_login(first)
        kept.delete(f"{prefix}:map:config")
        kept.hset(f"{prefix}:map:config", mapping=first_format)
        late = {"kit": {**FROZEN, "journal": {"max_entries": 10}}}
        with (
            processes(redis_url, count=1, prefix=prefix) as (same,),
            processes(redis_url, count=1, prefix=prefix, **late) as (other,),
        ):
            assert differs(same) == differs(other) == []
            assert same.post("/__admin/reset", json={}).status_code == 200
            digests = kept.hgetall(f"{prefix}:map:config")
            assert b"kit.proxy" not in digests and b"kit" in digests
            assert all(orjson.loads(value).startswith("2:") for value in digests.values())
            assert (differs(same), differs(other)) == ([], ["kit.journal"])


def test_a_kit_seeded_without_digests_differs_only_where_a_reset_seeded_it_again(
    redis_url: str,
) -> None:
    """A kit an earlier version seeded keeps no digest: nothing to compare, so nothing is said
    (not every table at once after one vendor's reset)."""
    prefix = f"test-{uuid.uuid4().hex}"
    with processes(redis_url, count=1, prefix=prefix) as (first,):
        qp_login(first)
        redis.Redis.from_url(redis_url).delete(f"{prefix}:map:config")
        with processes(redis_url, count=1, prefix=prefix, quoparts=EXTRA) as (other,):
            assert differs(other) == []
            other.post("/__admin/reset", json={"vendor": "keepit"})  # its table's digest alone
            assert differs(other) == differs(first) == []
            other.post("/__admin/reset", json={"vendor": "quoparts"})
            assert (differs(other), differs(first)) == ([], ["quoparts"])


def test_a_redis_emptied_under_the_fake_gets_the_digests_again(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """``FLUSHDB`` (or a Redis back without its data): the process that seeds the kit again
    wrote no digest, its copy holding them from before, and so did its resets: a replica with
    another config went unreported, at start and in its health, for good."""
    prefix = f"test-{uuid.uuid4().hex}"
    kept = redis.Redis.from_url(redis_url)
    late = {"kit": {**FROZEN, "journal": {"max_entries": 10}}}
    with (
        processes(redis_url, count=1, prefix=prefix) as (first,),
        processes(redis_url, count=1, prefix=prefix, **late) as (other,),
    ):
        qp_login(first)
        assert differs(other) == ["kit.journal"]
        seeded = kept.hgetall(f"{prefix}:map:config")
        kept.flushdb()
        qp_login(first)  # the first to reach the empty Redis seeds it
        assert kept.hgetall(f"{prefix}:map:config") == seeded
        assert (differs(first), differs(other)) == ([], ["kit.journal"])
        warnings(caplog)
        with processes(redis_url, count=1, prefix=prefix, **late) as (started,):  # a new one
            assert differs(started) == ["kit.journal"]
            said = warnings(caplog)
            assert len(said) == 1 and "in [kit.journal]:" in said[0], said

        # The digests gone alone, under both copies: a reset writes them again.
        kept.delete(f"{prefix}:map:config")
        assert first.post("/__admin/reset", json={}).status_code == 200
        assert kept.hgetall(f"{prefix}:map:config") == seeded
        assert (differs(first), differs(other)) == ([], ["kit.journal"])
        kept.delete(f"{prefix}:map:config")
        assert first.post("/__admin/reset", json={"vendor": "quoparts"}).status_code == 200
        assert list(kept.hgetall(f"{prefix}:map:config")) == [b"quoparts"]


def test_serve_replicas_with_different_configs_say_so_and_both_serve(
    redis_url: str, tmp_path: Path
) -> None:
    """As a team meets it: a second ``serve`` with its own config file joins the first. It
    starts (a rolling restart with a changed config stays possible), warns at start naming the
    table, and its health says so until a reset seeds the kit with its config."""
    redis.Redis.from_url(redis_url).flushdb()
    config = tmp_path / "kit.toml"
    config.write_text("[kit.journal]\nmax_entries = 10\n")
    with serving("--store", redis_url) as one, httpx.Client(base_url=one.url) as first:
        qp_login(first)
        with (
            serving("--store", redis_url, "--config", str(config)) as two,
            httpx.Client(base_url=two.url) as second,
        ):
            said = [line for line in two.started if "differs" in line]
            assert len(said) == 1 and "in [kit.journal]:" in said[0], two.started
            assert qp_login(second)  # it serves
            assert (differs(first), differs(second)) == ([], ["kit.journal"])
            second.post("/__admin/reset", json={})
            assert (differs(first), differs(second)) == (["kit.journal"], [])


XTRA_ACCOUNT = {"public_key": "acme-public", "secret_key": "acme-secret"}
KEEPIT_ACCOUNT = {"username": "u", "password": "Acme-S3cret-pw", "company_id": 7, "site_id": 1}


@pytest.mark.parametrize(
    ("written", "otherwise"),
    [
        # the documented defaults written out: name is the public key, no users
        (
            {"xtra": {"accounts": [XTRA_ACCOUNT]}},
            {"xtra": {"accounts": [XTRA_ACCOUNT | {"name": "acme-public", "users": []}]}},
        ),
        # ids read as text: 7 is "7"
        (
            {"keepit": {"accounts": [KEEPIT_ACCOUNT]}},
            {"keepit": {"accounts": [KEEPIT_ACCOUNT | {"company_id": "7", "site_id": "1"}]}},
        ),
    ],
    ids=["xtra-defaults-written-out", "keepit-ids-as-text"],
)
def test_an_account_written_otherwise_is_the_same_account(
    redis_url: str, written: dict[str, object], otherwise: dict[str, object]
) -> None:
    """The accounts were compared as written: a replica with an XTRA account's default name
    written out was told to reset the kit, which wipes its state."""
    prefix = f"test-{uuid.uuid4().hex}"
    with processes(redis_url, count=1, prefix=prefix, **written) as (first,):
        qp_login(first)
        with processes(redis_url, count=1, prefix=prefix, **otherwise) as (same,):
            assert differs(same) == differs(first) == []
