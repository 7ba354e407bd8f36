"""A sync session leaves nothing on a shared kit when its close fails: a session left there
stays for its TTL, counted against ``[kit.sessions] max``."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from clients.quoparts import QuoPartsClient
from mockservers import create_app
from mockservers.testing import (
    IN_PROCESS_URL,
    CoverageTally,
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
