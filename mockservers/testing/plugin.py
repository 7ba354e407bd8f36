"""pytest plugin (entry point ``pytest11``): fixtures for the fakes, and a coverage report.

Fixtures (pytest-httpserver's pattern: the configuration is a fixture a conftest overrides):

- ``mockservers_config`` (session scope): the kit's configuration for every fixture below, a
  :class:`~mockservers.config.Config`, a TOML-shaped dict or None (the default). Override it in
  a ``conftest.py`` with ``@pytest.fixture(scope="session")``.
- ``mockservers_app``: a fresh in-process app per test, for
  ``mockservers.testing.SyncASGITransport`` or ``AsyncASGITransport``.
- ``mockserver``: one :class:`MockServer` per test session (per xdist worker), its global
  scope reset before each test.
- ``mockserver_session``: a fresh :class:`Session` per test on that shared server, dropped
  after the test: tests that share the server never see each other's calls, state, clock or
  faults.

``pytest --mockservers-coverage`` prints, at the end of the run, per vendor, which documented
situations the suite's connector met and which it missed: the sum over every session the
plugin opened (each read as it closes), the servers it started and the in-process apps it
built. Under xdist each worker sends its sum to the controller, which prints the union.
``--mockservers-coverage-vendors=quoparts,keepit`` prints those vendors only (a project that
connects to one vendor need not read the others' misses); it turns the report on by itself.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette

from mockservers.app import create_app
from mockservers.config import Config
from mockservers.testing import MockServer, Session, admin_client
from mockservers.testing.report import CoverageTally
from mockservers.vendors import VENDOR_CLASSES

OPTION = "--mockservers-coverage"
VENDORS_OPTION = "--mockservers-coverage-vendors"
VENDORS = tuple(cls.name for cls in VENDOR_CLASSES)
_TALLY = pytest.StashKey[CoverageTally]()
_WORKER_KEY = "mockservers_coverage"


def vendor_list(text: str) -> tuple[str, ...]:
    """``quoparts,keepit`` -> the vendors the report shows; a name no vendor has is a usage
    error."""
    names = tuple(name.strip() for name in text.split(","))
    unknown = [name for name in names if name not in VENDORS]
    if unknown:
        raise argparse.ArgumentTypeError(f"{unknown[0]!r} is no vendor ({', '.join(VENDORS)})")
    return names


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockservers")
    group.addoption(
        OPTION,
        action="store_true",
        default=False,
        help="print which documented vendor situations the tests' connector met and missed",
    )
    group.addoption(
        VENDORS_OPTION,
        default=None,
        type=vendor_list,
        metavar="VENDOR,...",
        help=f"the same report, of these vendors only (e.g. quoparts,keepit); implies {OPTION}",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption(OPTION, default=False) or config.getoption(VENDORS_OPTION, default=None):
        config.stash[_TALLY] = CoverageTally()


def _tally(config: pytest.Config) -> CoverageTally | None:
    return config.stash.get(_TALLY, None)


@pytest.fixture(scope="session")
def mockservers_config() -> Config | dict[str, Any] | None:
    """The kit's configuration for ``mockservers_app``, ``mockserver`` and its sessions;
    override it (session scope) to add accounts, lifetimes, delays, a frozen clock…"""
    return None


@pytest.fixture
def mockservers_app(
    mockservers_config: Config | dict[str, Any] | None, request: pytest.FixtureRequest
) -> Iterator[Starlette]:
    app = create_app(mockservers_config)
    yield app
    tally = _tally(request.config)
    if tally is not None:
        with admin_client(app) as admin:
            tally.add(admin.get("/__admin/coverage").json())


@pytest.fixture(scope="session")
def _mockservers_server(
    mockservers_config: Config | dict[str, Any] | None, request: pytest.FixtureRequest
) -> Iterator[MockServer]:
    tally = _tally(request.config)
    with MockServer(mockservers_config) as server:
        if tally is not None:
            server.closed_sessions = server.tally = tally
        yield server
        if tally is not None:  # the global scope, and any session still open
            tally.add(server.coverage())


@pytest.fixture
def mockserver(_mockservers_server: MockServer) -> MockServer:
    """The shared server, its global scope reset before the test (sessions are left alone).
    With the coverage report on, the reset counts what the earlier tests met first."""
    _mockservers_server.reset()
    return _mockservers_server


@pytest.fixture
def mockserver_session(
    _mockservers_server: MockServer, request: pytest.FixtureRequest
) -> Iterator[Session]:
    """A session of its own for this test on the shared server, dropped after it."""
    with _mockservers_server.session(name=request.node.nodeid[:200]) as session:
        yield session


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker hands its sum to the controller."""
    tally = _tally(session.config)
    workeroutput = getattr(session.config, "workeroutput", None)
    if tally is not None and workeroutput is not None:
        workeroutput[_WORKER_KEY] = tally.report()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist's controller: add what a finished worker met."""
    tally = _tally(node.config)
    report = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
    if tally is not None and report:
        tally.add(report)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    tally = _tally(config)
    if tally is None or hasattr(config, "workerinput"):
        return
    terminalreporter.section("mockservers coverage: documented situations met / missed")
    if not tally:
        terminalreporter.write_line(
            "no fake was used through the mockservers fixtures (mockserver, "
            "mockserver_session, mockservers_app)"
        )
        return
    for line in tally.table(config.getoption(VENDORS_OPTION)):
        terminalreporter.write_line(line)
