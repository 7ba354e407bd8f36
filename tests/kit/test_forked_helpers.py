"""The helpers in processes forked from the one that opened them (``multiprocessing`` with
fork, a pre-forking runner): each process talks through an admin client of its own. A forked
child shared its parent's pooled keep-alive connection, and each read the other's answers (the
parent read a child's ``{"count":2}`` glued to its own, a child a status line it never asked
for)."""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
from collections.abc import Callable
from multiprocessing.queues import Queue
from typing import Any

import pytest
from anyio.from_thread import start_blocking_portal

from clients.quoparts import QuoPartsClient
from mockservers import create_app
from mockservers.testing import (
    IN_PROCESS_URL,
    AsyncSession,
    MockServer,
    Session,
    admin_client,
    async_admin_client,
)
from mockservers.testing.session import SessionCalls

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform"
)

CHILDREN = 3
CALLS = 100
ROW = {"DES_NOM": "Rossi S.r.l.", "COD_PTA_IVA": "12345678901", "COD_CLI_ERP": "CLI01"}


def _child(work: Callable[[], list[Any]], start: Any, results: Queue[Any]) -> None:
    try:
        start.wait(30)
        results.put(work())
    except BaseException as exc:  # the parent reports it: a child's traceback is lost
        results.put(f"{type(exc).__name__}: {exc}")


def forked(work: Callable[[], list[Any]], parent: Callable[[], list[Any]]) -> list[list[Any]]:
    """What ``parent`` gives here and ``work`` in each forked child, all started together;
    the parent's first."""
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(CHILDREN + 1), context.Queue()
    children = [
        context.Process(target=_child, args=(work, start, results)) for _ in range(CHILDREN)
    ]
    for child in children:
        child.start()
    try:
        start.wait(30)
        mine = parent()
        return [mine] + [results.get(timeout=60) for _ in children]
    finally:
        for child in children:
            child.join(10)
            if child.is_alive():
                child.kill()


def imported(session: SessionCalls[Any]) -> None:
    """Two calls in the session's journal: a login and an importCli."""
    with QuoPartsClient(session.base_url("quoparts"), **session.credentials["quoparts"]) as qp:
        qp.import_customers([ROW])


def test_a_session_and_the_server_answer_each_forked_process_its_own_calls() -> None:
    """A child's clients are made with the settings of the parent's: the admin token too."""
    with (
        MockServer({"kit": {"admin_token": "tök-Secret"}}) as server,
        server.session(name="forked") as session,
    ):
        imported(session)
        assert session.count(vendor="quoparts") == 2  # a connection in each client's pool
        assert server.count(session=session.id) == 2

        def counts() -> list[Any]:
            return [session.count(vendor="quoparts") for _ in range(CALLS)] + [
                server.count(session=session.id) for _ in range(CALLS)
            ]

        assert forked(counts, counts) == [[2] * 2 * CALLS] * (CHILDREN + 1)
        assert session.count(vendor="quoparts") == 2  # the parent's client, still whole


def test_an_async_session_answers_each_forked_process_its_own_calls(
    mockserver: MockServer,
) -> None:
    """The parent's loop runs in a thread (a child forked on a running loop cannot start
    one); each child runs one of its own."""

    async def opened() -> AsyncSession:
        return await mockserver.async_session(name="forked")

    async def counts(session: AsyncSession) -> list[Any]:
        return [await session.count(vendor="quoparts") for _ in range(CALLS)]

    with start_blocking_portal() as portal:
        session = portal.call(opened)
        try:
            imported(session)
            assert portal.call(counts, session) == [2] * CALLS  # a connection in the pool
            found = forked(
                lambda: asyncio.run(counts(session)), lambda: portal.call(counts, session)
            )
            assert found == [[2] * CALLS] * (CHILDREN + 1)
        finally:
            portal.call(session.close)


FORKED_KIT = (
    "RuntimeError: an in-process kit does not cross a fork: the child holds its own copy;"
    " serve the kit over a socket (MockServer) to share it"
)


def _hung(signum: int, frame: Any) -> None:
    raise TimeoutError("no answer within 10 s")


def _bounded(work: Callable[[], Any], results: Queue[Any]) -> None:
    """``work`` in a forked child, stopped after 10 s (a call that waits for ever is the bug)."""
    signal.signal(signal.SIGALRM, _hung)
    signal.alarm(10)
    try:
        results.put(work())
    except BaseException as exc:
        results.put(f"{type(exc).__name__}: {exc}")
    finally:
        signal.alarm(0)


def in_a_forked_child(work: Callable[[], Any]) -> Any:
    """What ``work`` gives in a forked child (an exception: its type and message)."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_bounded, args=(work, results))
    child.start()
    try:
        return results.get(timeout=30)
    finally:
        child.join(10)
        if child.is_alive():
            child.kill()


def test_a_session_on_an_in_process_kit_refuses_a_forked_child_at_once() -> None:
    """The transport's loop runs in a thread the child does not have: the child's first call
    waited for it for ever, and would have reached the child's copy of the kit anyway."""
    app = create_app()
    with (
        Session.open(admin_client(app), base_url=IN_PROCESS_URL, owns_client=True) as session,
        admin_client(app) as unused,  # its loop never started in the parent
    ):
        assert session.count() == 0  # the transport's loop runs
        assert in_a_forked_child(lambda: session.count()) == FORKED_KIT
        assert in_a_forked_child(lambda: unused.get("/__admin/health").status_code) == FORKED_KIT
        assert in_a_forked_child(unused.close) is None  # its loop is the parent's to stop
        assert session.count() == 0 and unused.get("/__admin/health").status_code == 200


def test_an_async_session_on_an_in_process_kit_refuses_a_forked_child() -> None:
    app = create_app()

    async def opened() -> AsyncSession:
        return await AsyncSession.open(async_admin_client(app), base_url=IN_PROCESS_URL)

    with start_blocking_portal() as portal:
        session = portal.call(opened)
        try:
            assert portal.call(session.count) == 0
            assert in_a_forked_child(lambda: asyncio.run(session.count())) == FORKED_KIT
        finally:
            portal.call(session.close)
