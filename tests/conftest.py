"""Shared fixtures: an in-process app with a sync client on it (no socket)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette

from mockservers.testing import SyncASGITransport

QP = "/quoparts/ws_quoparts.php"


def pytest_configure(config: pytest.Config) -> None:
    """Load every module of the kit before any test runs.

    Hypothesis draws constants from the project modules loaded when a test starts; loading them
    all up front gives every run and every xdist worker the same pool, so the derandomised
    suites generate the same cases whichever tests ran before (``PYTHONHASHSEED`` is pinned by
    the Makefile for the same reason: the pool is a set of strings).
    """
    for package in ("contracts", "mockservers", "clients", "fuzz"):
        root = importlib.import_module(package)
        for module in pkgutil.walk_packages(root.__path__, f"{package}."):
            importlib.import_module(module.name)


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (``@pytest.mark.anyio``) run on asyncio, like uvicorn."""
    return "asyncio"


@pytest.fixture
def app(mockservers_app: Starlette) -> Starlette:
    """The shipped in-process fixture (``mockservers.testing.plugin``) under a short name."""
    return mockservers_app


@pytest.fixture
def http(app: Starlette) -> Iterator[httpx.Client]:
    """A sync client on the in-process app, base URL ``http://mockservers``."""
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers") as client:
        yield client


def qp_login(http: httpx.Client, username: str = "demo", password: str = "demo") -> str:
    body = http.get(QP, params={"login": "", "username": username, "password": password}).json()
    assert body["errorCode"] == "0", body
    return body["data"][0]["TOKEN"]


def qp_call(http: httpx.Client, method: str, token: str, payload: object) -> httpx.Response:
    return http.post(QP, params={method: "", "token": token}, json=payload)
