"""The token store's check, every vendor's call: whose token it is and why it is refused, the
expiry read at each call, and the ``Token``-returning verdict built on the same rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mockservers.core import tokens as tokens_module
from mockservers.core.clock import Clock
from mockservers.core.shared import Store
from mockservers.core.tokens import TokenStore

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(START, frozen=True)


def test_check_gives_the_tenant_and_claims_of_a_live_token_and_why_others_are_refused(
    clock: Clock,
) -> None:
    store = TokenStore(clock)
    value = store.issue("acme", 60, kind="user", grants=["a"]).value
    assert store.check(value) == ("acme", {"kind": "user", "grants": ["a"]}, "live")
    assert store.check(None) == (None, {}, "missing")
    assert store.check("") == (None, {}, "missing")
    assert store.check("nope") == (None, {}, "unknown")
    clock.advance(60)  # the instant it expires at
    assert store.check(value) == (None, {}, "expired")


def test_check_builds_no_token(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check runs on every call: it answers from the stored record alone."""
    store = TokenStore(clock)
    value = store.issue("acme", 60).value

    def no_token(*args: object) -> None:
        raise AssertionError("a Token was built")

    monkeypatch.setattr(tokens_module, "Token", no_token)
    assert store.check(value)[0] == "acme"


def test_verdict_and_lookup_follow_check(clock: Clock) -> None:
    store = TokenStore(clock)
    issued = store.issue("acme", 60, kind="user")
    token, verdict = store.verdict(issued.value)
    assert verdict == "live" and token == issued
    assert store.lookup(issued.value) == issued
    clock.advance(59.999999)
    assert store.verdict(issued.value)[1] == "live"
    clock.advance(0.000001)
    assert store.verdict(issued.value) == (None, "expired")
    assert store.lookup(issued.value) is None
    assert store.verdict("nope") == (None, "unknown") and store.verdict(None) == (None, "missing")


def test_the_expiry_is_read_at_each_check(clock: Clock) -> None:
    """Expired by the admin API, or by another process sharing the map: the next check sees it."""
    shared = Store()
    here, there = TokenStore(clock, store=shared), TokenStore(clock, store=shared)
    first = here.issue("acme", 3600).value
    second = here.issue("acme", 3600).value
    assert here.check(first)[2] == there.check(first)[2] == "live"
    assert there.expire(None) == 2
    assert here.check(first) == (None, {}, "expired")
    assert here.check(second)[2] == "expired"
    there.drop(None)
    assert here.check(first) == (None, {}, "unknown")
