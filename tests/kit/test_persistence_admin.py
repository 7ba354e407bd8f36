"""Issue: an admin call answered 503 on a full disk had taken effect all the same (the 503 said
"nothing changed; try again"): a retry added a second fault, moved the clock twice. A call
whose change the state file keeps says its change stands; any other is answered as ever."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockservers import create_app
from tests.conftest import qp_call, qp_login
from tests.kit.test_reliability import ROWS, disk_full, kept_client
from tests.kit.test_store_parity import customers

FROZEN = {"kit": {"clock": {"start": "2025-01-01T00:00:00Z", "frozen": True}}}
STANDS = (
    "did not take the write: database or disk is full: the change took effect in memory and is"
    " written to the state file with the next request that succeeds: do not repeat it"
)


def _full(app: Any, http: httpx.Client) -> None:
    """The state file's disk full, a vendor call's writes pending (answered 503)."""
    token = qp_login(http)
    disk_full(app.state.state_file)
    assert qp_call(http, "importCli", token, {"data": ROWS}).status_code == 503


def test_an_admin_call_changing_nothing_the_file_keeps_is_answered_while_it_is_full(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "state.db")
    app = create_app(FROZEN, state_file=path)
    with kept_client(app) as http:
        _full(app, http)
        spec = {"vendor": "quoparts", "operation": "importCli", "kind": "status", "status": 500}
        added = http.post("/__admin/faults", json=spec)
        assert added.status_code == 201, added.text
        assert [f["id"] for f in http.get("/__admin/faults").json()] == [added.json()["id"]]
        minted = http.post("/__admin/tsdigital/tokens", json={"kind": "user"})
        assert minted.status_code == 200 and minted.json()["token"]
        session = http.post("/__admin/sessions", json={}).json()["id"]
        moved = http.post("/__admin/clock", json={"advance_seconds": 60, "session": session})
        assert moved.json() == {"now": "2025-01-01T00:01:00Z"}  # a session's clock: not kept
        assert http.get("/__admin/requests").status_code == 200
        assert http.get("/__admin/state/quoparts").status_code == 200
        assert http.get("/__admin/clock").json() == {"now": "2025-01-01T00:00:00Z"}
        disk_full(app.state.state_file, full=False)
        assert http.get("/__admin/clock").status_code == 200  # writes what was pending
    with kept_client(create_app(FROZEN, state_file=path)) as http:  # a restart
        written = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
        assert len(written) == len(ROWS)


def _advance(http: httpx.Client) -> httpx.Response:
    return http.post("/__admin/clock", json={"advance_seconds": 3600})


def _put(http: httpx.Client) -> httpx.Response:
    """QuoParts' state with a tenant more: its pending rows loaded again with it."""
    document = http.get("/__admin/state/quoparts").json()
    document["tenants"]["t"] = {"customers": {}, "quotes": {}, "sequences": {"COD_CLI": 7}}
    return http.put("/__admin/state/quoparts", json=document)


def _reset(http: httpx.Client) -> httpx.Response:
    """KeepIT's customer (written before the disk was full) reset away."""
    return http.post("/__admin/reset", json={"vendor": "keepit"})


@pytest.mark.parametrize("change", [_advance, _put, _reset], ids=["clock", "state", "reset"])
def test_an_admin_change_the_file_keeps_says_it_stands_when_the_file_is_full(
    tmp_path: Path, change: Callable[[httpx.Client], httpx.Response]
) -> None:
    """Answered 503 saying that it took effect and is not to be made again; it is written with
    the next request that succeeds (the clock moved once), and a restart finds it."""
    file = str(tmp_path / "state.db")
    app = create_app(FROZEN, state_file=file)
    with kept_client(app) as http:
        assert customers(0, 1)(http)["insertedObjects"]
        _full(app, http)
        refused = change(http)
        assert refused.status_code == 503
        assert refused.json()["error"] == f"the state file {file} {STANDS}"
        disk_full(app.state.state_file, full=False)
        kept = [http.get(f"/__admin/{path}").json() for path in KEPT]  # writes what was pending
    moved = "2025-01-01T01:00:00Z" if change is _advance else "2025-01-01T00:00:00Z"
    assert kept[0] == {"now": moved}
    assert ("t" in kept[1]["tenants"]) is (change is _put)
    assert bool(kept[2]["tenants"]) is not (change is _reset)
    with kept_client(create_app(FROZEN, state_file=file)) as http:  # a restart
        assert [http.get(f"/__admin/{path}").json() for path in KEPT] == kept


KEPT = ("clock", "state/quoparts", "state/keepit")
"""What the state file keeps, as the admin API shows it."""
