"""pytest plugin (entry point ``pytest11``): the ``mockservers_app`` and ``mockserver`` fixtures.

- ``mockservers_app``: a fresh in-process app per test, for ``httpx.ASGITransport`` or
  ``mockservers.testing.SyncASGITransport``.
- ``mockserver``: one :class:`MockServer` per test session, reset before each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from mockservers.app import create_app
from mockservers.testing import MockServer


@pytest.fixture
def mockservers_app() -> Starlette:
    return create_app()


@pytest.fixture(scope="session")
def _mockserver_session() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


@pytest.fixture
def mockserver(_mockserver_session: MockServer) -> MockServer:
    _mockserver_session.reset()
    return _mockserver_session
