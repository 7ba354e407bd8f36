"""``Session``: one test's own corner of a shared server (``POST /__admin/sessions``).

A session holds fresh accounts on every vendor (``.credentials``); calls made with them belong
to it, and so do its state, tokens, rate-limit windows, journal, faults, clock and coverage.
Every admin call of a ``Session`` addresses it, so tests that share one server — threads,
xdist workers, CI jobs — never see each other's effects.

```python
with server.session() as session:
    qp = session.credentials["quoparts"]
    client = QuoPartsClient(session.base_url("quoparts"), qp["username"], qp["password"])
    client.import_customers([...])
    session.assert_called(vendor="quoparts", operation="importCli", body={"data": [...]})
```
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx

from mockservers.testing.scope import AdminScope


class Session(AdminScope):
    """A live session of the kit, closed (dropped with all it holds) by ``close()``."""

    def __init__(
        self,
        client: httpx.Client,
        data: dict[str, Any],
        *,
        base_url: str,
        owns_client: bool = False,
        on_close: Callable[[Session], None] | None = None,
    ) -> None:
        self._client = client
        self._owns_client = owns_client
        self._on_close = on_close
        self._base = base_url.rstrip("/")
        self.session_id = data["id"]
        self.id: str = data["id"]
        self.name: str | None = data.get("name")
        self.expires_at: str = data["expires_at"]
        self.credentials: dict[str, dict[str, Any]] = data["credentials"]
        """Per vendor, the session's own account: ``quoparts`` {username, password}, ``xtra``
        {public_key, secret_key, username, password, irid}, ``keepit`` {username, password,
        company_id, site_id}, ``tsdigital`` {tenant} (tokens: ``tsdigital_token()``)."""
        self.closed = False

    @classmethod
    def open(
        cls,
        client: httpx.Client,
        *,
        base_url: str,
        ttl_seconds: float | None = None,
        name: str | None = None,
        owns_client: bool = False,
        on_close: Callable[[Session], None] | None = None,
    ) -> Session:
        """A new session on the kit ``client`` talks to (``base_url``: where vendors are
        served, e.g. the server's URL). ``owns_client``: close the client with the session."""
        body: dict[str, Any] = {}
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        if name is not None:
            body["name"] = name
        response = client.post("/__admin/sessions", json=body)
        if response.is_error:
            if owns_client:
                client.close()
            raise httpx.HTTPStatusError(
                f"POST /__admin/sessions answered {response.status_code}: {response.text}",
                request=response.request,
                response=response,
            )
        return cls(
            client, response.json(), base_url=base_url, owns_client=owns_client, on_close=on_close
        )

    def _admin_client(self) -> httpx.Client:
        if self.closed:
            raise RuntimeError(f"session {self.id} is closed")
        return self._client

    def base_url(self, vendor: str) -> str:
        """A vendor's base URL (the same for every session: its credentials tell them apart)."""
        return f"{self._base}/{vendor}"

    def info(self) -> dict[str, Any]:
        """The session as the kit describes it now (``expires_at`` moves as it is used)."""
        return self.admin("GET", f"/sessions/{self.id}")

    def close(self) -> None:
        """Drop the session and everything it holds. Idempotent; an expired session is gone
        already, which is fine."""
        if self.closed:
            return
        try:
            if self._on_close is not None:
                self._on_close(self)
            response = self._client.delete(f"/__admin/sessions/{self.id}")
            if response.is_error and response.status_code != 404:
                response.raise_for_status()
        finally:
            self.closed = True
            if self._owns_client:
                self._client.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Session {self.id}{' ' + repr(self.name) if self.name else ''}>"
