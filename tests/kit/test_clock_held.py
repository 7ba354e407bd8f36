"""One reading of the kit's clock a call: the token check, the written times, the answer's
``Date`` and the journal entry show the instant the call began; the next call reads afresh."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime

import httpx

from mockservers import create_app
from mockservers.core import sessions
from mockservers.core.clock import Clock, iso
from mockservers.testing import SyncASGITransport, admin_client

START = 1_774_745_100.0


def ticking_wall() -> Callable[[], float]:
    """A wall that moves one second at each reading."""
    wall = [START]

    def read() -> float:
        wall[0] += 1.0
        return wall[0]

    return read


def ticking() -> Clock:
    """A clock on a wall that moves one second at each reading."""
    return Clock(wall=ticking_wall())


def test_a_held_clock_reads_one_instant_until_released() -> None:
    clock = ticking()
    assert clock.time() != clock.time()
    held = clock.hold()
    try:
        instant = clock.time()
        assert clock.time() == instant
        assert clock.isoformat() == iso(instant)
    finally:
        clock.release(held)
    assert clock.time() > instant


def test_another_clock_is_not_held_by_a_call_on_this_one() -> None:
    clock, other = ticking(), ticking()
    held = clock.hold()
    try:
        assert other.time() != other.time()
    finally:
        clock.release(held)


def test_a_session_call_holds_its_session_s_clock() -> None:
    clock = ticking()
    session = {"id": "0" * 12, "clock_offset": 3600.0}
    with sessions.scoped(session):
        held = clock.hold()
        try:
            instant = clock.time()
        finally:
            clock.release(held)
    assert instant >= START + 3600


def test_a_call_s_date_written_time_and_journal_entry_are_one_reading() -> None:
    """On a wall that moves a second at each reading, a TS Digital item's written time, its
    answer's ``Date`` and its journal entry's time agree; the next call is later."""
    app = create_app(wall=ticking_wall())
    with admin_client(app) as admin:
        token = admin.post("/__admin/tsdigital/tokens", json={"kind": "user"}).json()["token"]
        headers = {"Authorization": f"Bearer {token}", "X-App-Name": "t", "X-App-Version": "1"}
        item = {"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}}
        with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
            answers = [
                http.post("/tsdigital/api/v3/items", json=item, headers=headers) for _ in range(2)
            ]
        assert [answer.status_code for answer in answers] == [202, 202]
        entries = admin.get("/__admin/requests", params={"vendor": "tsdigital"}).json()
        items = admin.get("/__admin/state/tsdigital").json()["tenants"]["demo"]["items"]
    for answer, entry in zip(answers, reversed(entries), strict=True):
        written = items[answer.json()["id"]]["history"][0]["at"]
        assert entry["time"] == written
        dated = parsedate_to_datetime(answer.headers["date"]).timestamp()
        assert dated == int(datetime.fromisoformat(written).timestamp())
    assert entries[0]["time"] > entries[1]["time"]
