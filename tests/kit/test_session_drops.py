"""A sync session leaves nothing on a shared kit when its close fails or its test is
interrupted: a session left there stays for its TTL, counted against ``[kit.sessions] max``."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette

from clients.quoparts import QuoPartsClient
from mockservers import create_app
from mockservers.testing import (
    IN_PROCESS_URL,
    CoverageTally,
    MockServer,
    Session,
    SyncASGITransport,
    admin_client,
)


class LosesDeletes(SyncASGITransport):
    """The kit in-process, its first ``lost`` DELETEs lost on the way (``ConnectError``), or
    answered ``status`` by something in front of it."""

    def __init__(self, app: Starlette, lost: int = 1, status: int | None = None) -> None:
        super().__init__(app)
        self.lost, self.status = lost, status

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE" and self.lost:
            self.lost -= 1
            if self.status is not None:
                return httpx.Response(self.status, text="Bad Gateway", request=request)
            raise httpx.ConnectError("the kit went away", request=request)
        return super().handle_request(request)


def sessions(app: Starlette) -> list[str]:
    with admin_client(app) as admin:
        return [listed["id"] for listed in admin.get("/__admin/sessions").json()]


@pytest.mark.parametrize("status", [None, 502])
def test_a_close_that_failed_drops_the_session_when_called_again(status: int | None) -> None:
    """As the fixture's exit closes it again after the test's own close failed: that close
    did nothing (the session was marked closed though still on the kit)."""
    app = create_app()
    transport = LosesDeletes(app, status=status)
    admin = httpx.Client(transport=transport, base_url=IN_PROCESS_URL)
    failed = (httpx.ConnectError, httpx.HTTPStatusError)
    session = Session.open(admin, base_url=IN_PROCESS_URL, owns_client=True)
    with pytest.raises(failed), session:  # as the fixture holds it
        try:
            session.close()  # the test's own
        finally:
            assert not session.closed and admin.is_closed
            assert sessions(app) == [session.id]
    assert session.closed and sessions(app) == []  # the block's exit tried again


def test_a_close_tried_again_while_the_kit_is_away_fails_again_then_drops() -> None:
    """Each try says why it failed (the second said the client had been closed), the
    coverage of the session is counted once however many tries it takes, and the session's
    client is closed after each."""
    app = create_app()
    transport = LosesDeletes(app, lost=2)
    admin = httpx.Client(transport=transport, base_url=IN_PROCESS_URL)
    session = Session.open(admin, base_url=IN_PROCESS_URL, owns_client=True)
    session.tally = CoverageTally()
    account = session.credentials["quoparts"]
    with QuoPartsClient(session.base_url("quoparts"), **account, transport=transport) as qp:
        qp.login()
    for _ in range(2):
        with pytest.raises(httpx.ConnectError, match="went away"):
            session.close()
        assert not session.closed and admin.is_closed
    session.close()
    session.close()  # closed: nothing more
    assert session.closed and sessions(app) == []
    met = {row["behaviour"]: row["met"] for row in session.tally.report()["quoparts"]}
    assert met["quoparts.login_ok"] == 1


class InterruptedAsItOpens(SyncASGITransport):
    """The kit opens the session, and the test is interrupted (Ctrl-C) before it reads the
    answer, which comes only once it was."""

    def __init__(self, app: Starlette) -> None:
        super().__init__(app)
        self.interrupted = threading.Event()
        self.closed = threading.Event()  # with its client
        self.answered: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.answered.append(f"{request.method} {response.status_code}")
        if request.method == "POST":
            main = threading.main_thread().ident
            assert main is not None
            signal.pthread_kill(main, signal.SIGINT)
            if threading.get_ident() != main:
                assert self.interrupted.wait(10)
        return response

    def close(self) -> None:
        super().close()
        self.closed.set()


@pytest.fixture
def ctrl_c() -> Iterator[None]:
    """SIGINT raises ``KeyboardInterrupt``, as in a terminal."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_a_test_interrupted_as_its_session_opens_drops_it(ctrl_c: None) -> None:
    """The session the kit opened was lost: nobody knew its id."""
    app = create_app()
    transport = InterruptedAsItOpens(app)
    admin = httpx.Client(transport=transport, base_url=IN_PROCESS_URL)
    with pytest.raises(KeyboardInterrupt):
        Session.open(admin, base_url=IN_PROCESS_URL, owns_client=True)
    transport.interrupted.set()  # the answer comes: the session is dropped, its client closed
    assert transport.closed.wait(10) and admin.is_closed
    assert transport.answered == ["POST 201", "DELETE 200"] and sessions(app) == []


def test_a_session_opened_off_the_main_thread_opens_there(mockserver: MockServer) -> None:
    """Only the main thread is interrupted by a signal's handler: elsewhere nothing is
    sheltered, no thread started."""
    seen: list[str] = []
    hooks = {"request": [lambda request: seen.append(threading.current_thread().name)]}

    def open_one() -> None:
        client = httpx.Client(base_url=mockserver.url, event_hooks=hooks)
        Session.open(client, base_url=mockserver.url, owns_client=True).close()

    worker = threading.Thread(target=open_one, name="a test's worker")
    worker.start()
    worker.join(10)
    client = httpx.Client(base_url=mockserver.url, event_hooks=hooks)
    Session.open(client, base_url=mockserver.url, owns_client=True).close()
    assert seen[:2] == ["a test's worker"] * 2 and seen[3] == "MainThread"
    assert seen[2].startswith("mockservers-admin")


NEVER_ANSWERS = """
import os, signal, socket, threading
import httpx
from mockservers.testing import Session

listener = socket.create_server(("127.0.0.1", 0))
port = listener.getsockname()[1]

held = []

def accept_then_interrupt():
    held.append(listener.accept()[0])  # the POST is on its way: Ctrl-C now, and never answer
    held[0].recv(65536)
    os.kill(os.getpid(), signal.SIGINT)

threading.Thread(target=accept_then_interrupt, daemon=True).start()
client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=None)
try:
    Session.open(client, base_url=f"http://127.0.0.1:{port}")
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def test_a_process_interrupted_as_its_session_opens_on_a_silent_kit_exits() -> None:
    """The open's POST runs on a worker so that Ctrl-C is raised at once; a pool's worker
    was waited for as the interpreter exits, so a kit that never answered (a client without a
    timeout) held the process for ever after Ctrl-C."""
    done = subprocess.run(
        [sys.executable, "-c", NEVER_ANSWERS], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "interrupted\n"
