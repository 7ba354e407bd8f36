"""Sessions: tests that share one server, kept apart.

A session owns fresh accounts on every vendor; a call made with them belongs to the session,
and so do its tenants, tokens, rate-limit windows, journal entries, faults and clock offset.
Every identifier a session hands out starts with ``ms-<id>`` (usernames, key pairs, company
ids, tenant names), so finding the owner of a call or a tenant is a prefix and a look-up.

While a request or an admin call runs, the session it belongs to (or None: the global scope)
is in the context variable ``CURRENT``; the clock, the faults and the journal read it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from mockservers.core.shared import SharedMap

PREFIX = "ms-"
EVERY = "*"
"""A scope argument meaning every scope: the global one and every session (reads only)."""
_ID_LENGTH = 12  # hex digits

Session = dict[str, Any]
"""``{"id", "name", "created_at", "last_used", "ttl_seconds", "clock_offset", "credentials"}``
(times are wall-clock epochs: an idle session expires after ``ttl_seconds`` of real time)."""

CURRENT: ContextVar[Session | None] = ContextVar("mockservers_session", default=None)


def current() -> Session | None:
    return CURRENT.get()


def current_id() -> str | None:
    session = CURRENT.get()
    return session["id"] if session is not None else None


@contextmanager
def scoped(session: Session | None) -> Iterator[None]:
    token = CURRENT.set(session)
    try:
        yield
    finally:
        CURRENT.reset(token)


def owner_id(identifier: Any) -> str | None:
    """The session id an identifier (username, key, tenant) belongs to, from its prefix."""
    if isinstance(identifier, str) and identifier.startswith(PREFIX):
        candidate = identifier[len(PREFIX) : len(PREFIX) + _ID_LENGTH]
        if len(candidate) == _ID_LENGTH:
            return candidate
    return None


def in_scope(identifier: str, scope: str | None) -> bool:
    """Whether a tenant (or any session identifier) belongs to ``scope`` (None: global)."""
    return owner_id(identifier) == scope


def refuse_reserved(value: Any, what: str) -> None:
    """``ValueError`` for a configured identifier in the sessions' reserved namespace: a tenant
    named ``ms-…`` would belong to no scope (or to a session), so no reset would reach it."""
    if isinstance(value, str) and value.startswith(PREFIX):
        raise ValueError(f"{what} {value!r}: the prefix {PREFIX!r} is reserved for sessions")


class SessionLimit(Exception):
    """Too many live sessions (the configured maximum keeps memory bounded)."""


class Sessions:
    """The live sessions, in a shared map; an idle one expires after its TTL of wall time."""

    def __init__(
        self,
        store: SharedMap,
        *,
        max_sessions: int = 100,
        default_ttl: float = 3600,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.map = store
        self.max_sessions = max_sessions
        self.default_ttl = default_ttl
        self.wall = wall
        self.on_drop: Callable[[str], None] = lambda session_id: None
        """Set by the app: drop everything a session holds (its tenants, tokens, journal...)."""

    def create(
        self,
        credentials: Callable[[str], dict[str, dict[str, Any]]],
        *,
        ttl_seconds: float | None = None,
        name: str | None = None,
    ) -> Session:
        self.expire_idle()
        if len(self.map) >= self.max_sessions:
            raise SessionLimit(
                f"{self.max_sessions} sessions are live (the configured maximum): "
                "drop one (DELETE /__admin/sessions/{id}) or wait for one to expire"
            )
        session_id = secrets.token_hex(_ID_LENGTH // 2)
        now = self.wall()
        session: Session = {
            "id": session_id,
            "name": name,
            "created_at": now,
            "last_used": now,
            "ttl_seconds": self.default_ttl if ttl_seconds is None else ttl_seconds,
            "clock_offset": 0.0,
            "credentials": credentials(PREFIX + session_id),
        }
        self.map.put(session_id, session)
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session with this id; an expired one is dropped and not found."""
        if session_id is None:
            return None
        session = self.map.get(session_id)
        if session is not None and self._idle(session):
            self.drop(session_id)
            return None
        return session

    def owner(self, identifier: Any) -> Session | None:
        """The live session an identifier belongs to (None: a global identifier)."""
        session_id = owner_id(identifier)
        return self.get(session_id) if session_id is not None else None

    def account(self, vendor: str, owner: Any, **fields: Any) -> dict[str, Any] | None:
        """``vendor``'s account in the live session ``owner`` (a username, key or company)
        belongs to, when its ``fields`` hold the values given; None for a global identifier, a
        session gone, or fields another account's."""
        session = self.owner(owner)
        account = session["credentials"][vendor] if session is not None else None
        if not account or any(account.get(name) != value for name, value in fields.items()):
            return None
        return account

    def touch(self, session: Session) -> Session:
        """A call or an admin request used the session: its idle time starts again (written at
        most once every hundredth of its TTL, and at most once a second, so a busy session costs
        no write per call and a short TTL is not cut by an unwritten use). Returns the session as
        stored now: the caller runs in it, so a later ``update`` keeps the new ``last_used``."""
        now = self.wall()
        if now - float(session["last_used"]) >= min(1.0, float(session["ttl_seconds"]) / 100):
            return self.update(session, last_used=now)
        return session

    def fresh(self, session: Session) -> Session:
        """The session as stored now (a call's copy may predate a write of that same call)."""
        return self.map.get(session["id"], session)

    def update(self, session: Session, **changes: Any) -> Session:
        """Change some fields of a live session. The changes apply to the session as stored
        (not to the caller's copy, which may be older), so no earlier write is undone."""
        updated = {**self.fresh(session), **changes}
        self.map.put(session["id"], updated)
        return updated

    def drop(self, session_id: str) -> bool:
        if session_id not in self.map:
            return False
        self.map.delete(session_id)
        self.on_drop(session_id)
        return True

    def expire_idle(self) -> list[str]:
        idle = [sid for sid, session in list(self.map.items()) if self._idle(session)]
        for session_id in idle:
            self.drop(session_id)
        return idle

    def all(self) -> list[Session]:
        self.expire_idle()
        return sorted(self.map.values(), key=lambda s: s["created_at"])

    def expires_at(self, session: Session) -> float:
        return float(session["last_used"]) + float(session["ttl_seconds"])

    def _idle(self, session: Session) -> bool:
        return self.wall() >= self.expires_at(session)
