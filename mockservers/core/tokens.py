"""Bearer-style tokens with lifetimes on the kit's clock, one store per vendor.

Tokens live in a shared map (value -> tenant, expiry, claims), so a token minted by one process
of a fake is valid on every other. A token's expiry is read on the clock of the scope it was
minted in: the pipeline puts a session's call in its session before any token is looked at.

An expired token stays known for an hour of the kit's clock, then is pruned (sooner when its
scope is reset or dropped): a call that sends it is told apart from one that sends an unknown
token (coverage counts token expiry as its own documented situation), and it still belongs to
the session that minted it. An hour, not "when next pruned": each process prunes on its own
schedule, and a token that has just expired must not turn unknown earlier on one of them.

Each scope's tokens are pruned on that scope's clock (a session's own, however busy it stays), when
a token is issued there: at most once a minute of that clock, at once after the clock went back (a
reset on another process), whose old schedule would otherwise hold the prune off until the clock
caught up, and at once when the process issues its first token in the scope (the scope's tokens
another process issued may have expired long ago: a process pruned nothing at its first login, and
a token the other one pruned stayed known on it). The tokens are kept by the scope that owns them
too (``GroupedMap``), so that a prune, an expiry or a drop looks at that scope's tokens only, not
at every session's (100 sessions of 200 tokens: a login after a session's advance took 5 ms).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from mockservers.core.clock import Clock, to_micros
from mockservers.core.sessions import current_id, owner_id
from mockservers.core.shared import Store


@dataclass(slots=True)
class Token:
    value: str
    tenant: str
    expires_at: float
    claims: dict[str, Any] = field(default_factory=dict)


Verdict = Literal["live", "missing", "unknown", "expired"]
EXPIRED_KEPT = 3600.0
"""Seconds of the kit's clock an expired token is still known (answered as expired)."""
PRUNE_EVERY = 60.0
"""Seconds of a scope's clock between two prunes of its tokens."""
_NO_CLAIMS: Mapping[str, Any] = MappingProxyType({})
"""The claims :meth:`TokenStore.check` gives with a token that is not live."""


def hex_token() -> str:
    return secrets.token_hex(20)


def _owner(data: dict[str, Any]) -> str | None:
    """The scope a token belongs to: its tenant's session (None: the global scope)."""
    return owner_id(data["tenant"])


class TokenStore:
    """Issue, look up, expire and drop tokens. A scope's tokens expired for more than
    ``EXPIRED_KEPT`` are pruned when that scope issues one (:meth:`_prune`)."""

    def __init__(
        self,
        clock: Clock,
        make_value: Callable[[], str] = hex_token,
        store: Store | None = None,
        name: str = "tokens",
    ) -> None:
        """The tokens live in ``store``'s map ``name`` (default: a memory of their own)."""
        self._clock = clock
        self._make_value = make_value
        self._tokens = (store or Store()).grouped_map(name, _owner)
        self._pruned: dict[str | None, float] = {}
        """Per scope (None: the global one), when its tokens were last pruned, on its clock:
        this process's own schedule."""

    def issue(self, tenant: str, ttl_seconds: float, **claims: Any) -> Token:
        self._prune()
        value = self._make_value()
        while value in self._tokens:
            value = self._make_value()
        expires_at = self._expiry(ttl_seconds)
        self._tokens.put(value, {"tenant": tenant, "expires_at": expires_at, "claims": claims})
        return Token(value, tenant, expires_at, claims)

    def adopt(self, value: str, tenant: str, ttl_seconds: float, **claims: Any) -> Token:
        """Make a token issued elsewhere (a real vendor's identity service) live here, with this
        value: a shadow fake answers the calls that carry it as the vendor does."""
        expires_at = self._expiry(ttl_seconds)
        self._tokens.put(value, {"tenant": tenant, "expires_at": expires_at, "claims": claims})
        return Token(value, tenant, expires_at, claims)

    def _expiry(self, ttl_seconds: float) -> float:
        """When a token issued now expires, to the microsecond, as the clock reads: the instant
        its ``expires_at`` text shows is the one it expires at (with a fraction of one more, it
        was live while the clock showed that instant)."""
        return to_micros(self._clock.time() + ttl_seconds)

    def tenant_of(self, value: str | None) -> str | None:
        """The tenant of the token with this value, live or not: whose call it is."""
        data = self._tokens.data.get(value) if value else None  # type: ignore[arg-type]
        return data["tenant"] if data is not None else None

    def lookup(self, value: str | None) -> Token | None:
        """The live token with this value, or None when missing, unknown or expired."""
        return self.verdict(value)[0]

    def verdict(self, value: str | None) -> tuple[Token | None, Verdict]:
        """The live token with this value and ``"live"``; or None and why (:meth:`check`)."""
        tenant, _, verdict = self.check(value)
        if tenant is None:
            return None, verdict
        data = self._tokens.data[value]  # live: ``value`` is a held token's
        return Token(value, tenant, data["expires_at"], data["claims"]), "live"

    def check(self, value: str | None) -> tuple[str | None, Mapping[str, Any], Verdict]:
        """Whose the live token with this value is (its tenant), its claims, and ``"live"``;
        or None, no claims and why: ``"missing"`` (no value), ``"unknown"`` or ``"expired"``
        (on the clock of the current scope). Every call's token check: it builds no ``Token``,
        and reads the expiry each time (an admin expire, or another process, may have moved
        it since the last call)."""
        if not value:
            return None, _NO_CLAIMS, "missing"
        data = self._tokens.data.get(value)
        if data is None:
            return None, _NO_CLAIMS, "unknown"
        if self._clock.time() >= data["expires_at"]:
            return None, _NO_CLAIMS, "expired"
        return data["tenant"], data["claims"], "live"

    def expire(self, scope: str | None) -> int:
        """Expire every live token of one scope now (None: the global scope's tenants): each is
        refused from now on as expired. Returns how many were live."""
        now = self._clock.time()
        tokens = self._tokens.data
        live = [
            (value, tokens[value])
            for value in self._tokens.group(scope)
            if now < tokens[value]["expires_at"]
        ]
        for value, data in live:
            self._tokens.put(value, {**data, "expires_at": now})
        return len(live)

    def drop(self, scope: str | None) -> int:
        """Forget every token of one scope (a reset, a dropped session), and its schedule."""
        doomed = list(self._tokens.group(scope))
        for value in doomed:
            self._tokens.delete(value)
        self._pruned.pop(scope, None)
        return len(doomed)

    def __len__(self) -> int:
        return len(self._tokens)

    def _prune(self) -> None:
        """Drop the current scope's tokens expired for more than ``EXPIRED_KEPT`` on its clock,
        ``PRUNE_EVERY`` seconds of it after the last prune, at once when it went back, and at
        once when this process has no schedule for the scope (met for the first time, reset,
        or holding no token at the last pass): on a shared store the scope may hold tokens
        another process issued, expired for long (a login on this process after a day's advance
        must forget them, as one process would)."""
        scope = current_id()
        now = self._clock.time()
        last = self._pruned.get(scope)
        if last is not None and last <= now < last + PRUNE_EVERY:
            return
        self._pruned[scope] = now
        tokens = self._tokens.data
        mine = self._tokens.group(scope)
        for value in [v for v in mine if now >= tokens[v]["expires_at"] + EXPIRED_KEPT]:
            self._tokens.delete(value)
        # The schedules of scopes holding no token (a session another process dropped) go: a
        # look-up per schedule, one for each scope that issued a token lately.
        groups = self._tokens.groups
        for gone in [other for other in self._pruned if other not in groups and other != scope]:
            del self._pruned[gone]
