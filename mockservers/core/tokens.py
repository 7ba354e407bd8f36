"""Bearer-style tokens with lifetimes on the kit's clock, one store per vendor."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mockservers.core.clock import Clock


@dataclass(slots=True)
class Token:
    value: str
    tenant: str
    expires_at: float
    claims: dict[str, Any] = field(default_factory=dict)


def hex_token() -> str:
    return secrets.token_hex(20)


class TokenStore:
    """Issue, look up and expire tokens. Expired tokens are pruned as the clock moves."""

    def __init__(self, clock: Clock, make_value: Callable[[], str] = hex_token) -> None:
        self._clock = clock
        self._make_value = make_value
        self._tokens: dict[str, Token] = {}
        self._next_prune = 0.0

    def issue(self, tenant: str, ttl_seconds: float, **claims: Any) -> Token:
        self._prune()
        value = self._make_value()
        while value in self._tokens:
            value = self._make_value()
        token = Token(value, tenant, self._clock.time() + ttl_seconds, claims)
        self._tokens[value] = token
        return token

    def lookup(self, value: str | None) -> Token | None:
        """The live token with this value, or None when unknown or expired."""
        if not value:
            return None
        token = self._tokens.get(value)
        if token is None:
            return None
        if self._clock.time() >= token.expires_at:
            del self._tokens[value]
            return None
        return token

    def expire_all(self) -> int:
        count = len(self._tokens)
        self._tokens.clear()
        return count

    def __len__(self) -> int:
        return len(self._tokens)

    def _prune(self) -> None:
        now = self._clock.time()
        if now < self._next_prune:
            return
        self._next_prune = now + 60
        for value in [v for v, t in self._tokens.items() if now >= t.expires_at]:
            del self._tokens[value]
