"""Shared fixtures and helpers: the kit in process with a sync client on it (``app``, ``http``:
no socket; on Redis too for ``every_store`` tests), a real server with extra accounts
(``accounts_server``), a Redis server (``redis_url``), the QuoParts login and call
(``qp_login``, ``qp_call``), and the whole kit loaded before any test (``pytest_configure``)."""

from __future__ import annotations

import importlib
import pkgutil
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette

from mockservers import create_app
from mockservers.core.redis_store import RedisStore
from mockservers.testing import MockServer, SyncASGITransport
from tests import redis_server

QP = "/quoparts/ws_quoparts.php"
INNER_PYTEST = ("-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest")
"""Options of an inner pytest run (``pytester``): it loads only what it uses (the fuzz plugins
cost seconds of start-up)."""


def pytest_configure(config: pytest.Config) -> None:
    """Load every module of the kit before any test runs.

    Hypothesis draws constants from the project modules loaded when a test starts; loading them
    all up front gives every run and every xdist worker the same pool, so the derandomised
    suites generate the same cases whichever tests ran before (``PYTHONHASHSEED`` is pinned by
    the Makefile for the same reason: the pool is a set of strings).

    httpcore too, which httpx imports on its first socket: httpx maps httpcore's exceptions with
    the classes of the httpcore it met first, and an in-process inner pytest (``pytester``) that
    imported it first took it out of ``sys.modules`` again, so that a later test's timeout came
    as ``httpcore.ReadTimeout``, not httpx's.
    """
    for package in ("contracts", "mockservers", "clients", "fuzz"):
        root = importlib.import_module(package)
        for module in pkgutil.walk_packages(root.__path__, f"{package}."):
            importlib.import_module(module.name)
    importlib.import_module("httpcore")


ACCOUNTS = {
    "quoparts": {"accounts": [{"username": "alice", "password": "Quo-S3cret-pw"}]},
    "keepit": {
        "accounts": [
            {"username": "alice", "password": "Keep-S3cret-pw", "company_id": "7", "site_id": "3"}
        ]
    },
    "xtra": {
        "accounts": [
            {
                "name": "acme",
                "public_key": "acme-public",
                "secret_key": "Xtra-S3cret-key",
                "users": [{"username": "mario", "password": "Xtra-S3cret-pw", "irid": 59990}],
            }
        ]
    },
}
"""Accounts beside the demo ones, with secrets no test string contains by chance: the demo
credentials that Schemathesis draws from the contracts' examples are then another account's."""


@pytest.fixture(scope="session")
def _accounts_server() -> Iterator[MockServer]:
    with MockServer(ACCOUNTS) as server:
        yield server


@pytest.fixture
def accounts_server(_accounts_server: MockServer) -> MockServer:
    """A running fake with :data:`ACCOUNTS` (and the demo accounts), reset before each test."""
    _accounts_server.reset()
    return _accounts_server


@pytest.fixture
def in_rome(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process in Europe/Rome's time zone (a developer's laptop), then back."""
    monkeypatch.setenv("TZ", "Europe/Rome")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (``@pytest.mark.anyio``) run on asyncio, like uvicorn."""
    return "asyncio"


STORES = ("memory", "redis")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``every_store`` run once per store: the same behaviour on each."""
    if metafunc.definition.get_closest_marker("every_store") and "kit_store" in (
        metafunc.fixturenames
    ):
        metafunc.parametrize("kit_store", STORES, indirect=True)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server for this test session (per xdist worker), stopped after."""
    if not redis_server.available():
        pytest.skip("redis-server is not installed (make test installs it)")
    with redis_server.redis_server() as url:
        yield url


@pytest.fixture
def kit_store(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "memory")


@pytest.fixture
def app(kit_store: str, request: pytest.FixtureRequest) -> Starlette:
    """The shipped in-process fixture (``mockservers.testing.plugin``) under a short name; on
    the Redis store for ``every_store`` tests' second run (a namespace of its own)."""
    if kit_store == "memory":
        return request.getfixturevalue("mockservers_app")
    url = request.getfixturevalue("redis_url")
    return create_app(store=RedisStore(url, prefix=f"test-{uuid.uuid4().hex}"))


@pytest.fixture
def http(app: Starlette) -> Iterator[httpx.Client]:
    """A sync client on the in-process app, base URL ``http://mockservers``."""
    transport = SyncASGITransport(app, lifespan=app.state.kit.store.shared)
    with httpx.Client(transport=transport, base_url="http://mockservers") as client:
        yield client


def qp_login(http: httpx.Client, username: str = "demo", password: str = "demo") -> str:
    """A QuoParts token for that account (the login must succeed)."""
    body = http.get(QP, params={"login": "", "username": username, "password": password}).json()
    assert body["errorCode"] == "0", body
    return body["data"][0]["TOKEN"]


def qp_call(http: httpx.Client, method: str, token: str, payload: object) -> httpx.Response:
    return http.post(QP, params={method: "", "token": token}, json=payload)
