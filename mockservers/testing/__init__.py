"""Helpers for using the fakes as a test double: in-process transports, a threaded server,
sessions that keep tests apart on one server, and verification of what a connector sent.

```python
with MockServer() as server, server.session() as session:
    qp = session.credentials["quoparts"]
    client = QuoPartsClient(session.base_url("quoparts"), qp["username"], qp["password"])
    client.import_customers([{"DES_NOM": "Rossi", "COD_PTA_IVA": "1", "COD_CLI_ERP": "C1"}])
    session.assert_called(vendor="quoparts", operation="importCli")
    session.advance(3600)         # expire this session's tokens, nobody else's
    session.coverage()["quoparts"]
```
Each admin call has an async twin, awaited over an ``httpx.AsyncClient``: ``AsyncSession``
(``async with server.async_session() as session``, ``await AsyncSession.open(...)``) and
``AsyncAdminScope``; both run the same calls (:mod:`mockservers.testing.calls`).
"""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from mockservers.testing.report import CoverageTally
from mockservers.testing.scope import AdminScope, AsyncAdminScope
from mockservers.testing.server import MockServer, admin_headers
from mockservers.testing.session import AsyncSession, Session
from mockservers.testing.transport import AsyncASGITransport, SyncASGITransport

__all__ = [
    "IN_PROCESS_URL",
    "AdminScope",
    "AsyncASGITransport",
    "AsyncAdminScope",
    "AsyncSession",
    "CoverageTally",
    "MockServer",
    "Session",
    "SyncASGITransport",
    "admin_client",
    "async_admin_client",
]

IN_PROCESS_URL = "http://mockservers"
"""The base URL of ``admin_client``: vendors at ``http://mockservers/<vendor>`` in-process."""


def admin_client(app: Starlette) -> httpx.Client:
    """A sync httpx client bound to the app in-process (no socket), sending the admin token
    the kit is configured with, if any."""
    return httpx.Client(
        transport=SyncASGITransport(app), base_url=IN_PROCESS_URL, headers=admin_headers(app)
    )


def async_admin_client(app: Starlette) -> httpx.AsyncClient:
    """The async twin of :func:`admin_client`, on the caller's event loop."""
    return httpx.AsyncClient(
        transport=AsyncASGITransport(app), base_url=IN_PROCESS_URL, headers=admin_headers(app)
    )
