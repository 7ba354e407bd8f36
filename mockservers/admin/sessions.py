"""The admin endpoints on the kit's sessions: one opened, shown or dropped, all listed or
dropped."""

from __future__ import annotations

from typing import Any

from mockservers.admin.base import AdminBase
from mockservers.core import sessions
from mockservers.core.adminapi import MAX_SECONDS, MAX_SESSION_NAME, AdminCall, AdminError, number
from mockservers.core.clock import iso
from mockservers.core.sessions import SessionLimit


class SessionEndpoints(AdminBase):
    """``/__admin/sessions`` and ``/__admin/sessions/{session_id}``."""

    def create_session(self, call: AdminCall) -> Any:
        body = call.object_body(default={}, contract="admin/createSession.request")
        # under a second, a session would be gone before its first call
        ttl = number(body, "ttl_seconds", 1, MAX_SECONDS)
        name = body.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > MAX_SESSION_NAME):
            raise AdminError(
                400, f"'name' must be a string of at most {MAX_SESSION_NAME} characters"
            )
        try:
            session = self.kit.open_session(ttl, name)
        except SessionLimit as exc:
            raise AdminError(429, str(exc)) from None
        call.status = 201
        return self._public(session)

    def list_sessions(self, call: AdminCall) -> Any:
        return [self._public(s) for s in self.kit.sessions.all()]

    def get_session(self, call: AdminCall) -> Any:
        return self._public(self._named_session(call))

    def drop_session(self, call: AdminCall) -> Any:
        session = self._named_session(call)
        self.kit.sessions.drop(session["id"])
        return {"dropped": session["id"]}

    def drop_sessions(self, call: AdminCall) -> Any:
        dropped = [s["id"] for s in self.kit.sessions.all()]
        for session_id in dropped:
            self.kit.sessions.drop(session_id)
        return {"dropped": dropped}

    def _named_session(self, call: AdminCall) -> sessions.Session:
        session = self.kit.sessions.get(call.path["session_id"])
        if session is None:
            raise AdminError(404, f"no live session {call.path['session_id']!r}")
        return session

    def _public(self, session: sessions.Session) -> dict[str, Any]:
        with sessions.scoped(session):
            now = self.kit.clock.isoformat()
        return {
            "id": session["id"],
            "name": session["name"],
            "expires_at": iso(self.kit.sessions.expires_at(session)),
            "ttl_seconds": session["ttl_seconds"],
            "clock": now,
            "credentials": session["credentials"],
        }
