"""Issue: nothing acknowledged is lost, no input breaks the kit, no one gets in."""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from clients import AsyncQuoPartsClient
from mockservers import create_app
from mockservers.core.persistence import StateFile, StateFileError
from mockservers.testing import MockServer, SyncASGITransport
from tests.conftest import QP, qp_call, qp_login
from tests.coverage_kit import GlobalScope, met_count
from tests.servers import Served, free_port, serve_refused, serving
from tests.xtra import test_http as xtra

ROW = {"DES_NOM": "Rossi", "COD_PTA_IVA": "123", "COD_CLI_ERP": "CLI001"}


@contextmanager
def kept_client(app: Any) -> Iterator[httpx.Client]:
    """An in-process client of ``app``; its state file closed at the end, as a server's stop
    closes it (another kit on the file is refused while it is open)."""
    try:
        with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
            yield http
    finally:
        if app.state.state_file is not None:
            app.state.state_file.close()


# -- durable state ---------------------------------------------------------------------------
def test_state_file_restores_every_acknowledged_write(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with kept_client(create_app(state_file=str(path))) as http:
        token = qp_login(http)
        rows = [ROW | {"COD_CLI_ERP": f"E{i}"} for i in range(5)]
        qp_call(http, "importCli", token, {"data": rows})
        before = http.get("/__admin/state/quoparts").json()
    with kept_client(create_app(state_file=str(path))) as http:  # a restart
        assert http.get("/__admin/state/quoparts").json() == before
        token = qp_login(http)
        nxt = qp_call(http, "importCli", token, {"data": [ROW | {"COD_CLI_ERP": "E5"}]}).json()
        assert nxt["data"][0]["COD_CLI"] == "000006"  # sequences never repeat across restarts


@pytest.mark.parametrize("folder", ["run#1", "what?", "100%25"])
def test_a_state_file_in_a_folder_named_with_uri_characters_restores_its_writes(
    tmp_path: Path, folder: str
) -> None:
    """The file was first opened as an SQLite URI, unescaped: under ``run#1`` the check read
    (and created) ``run``, found it empty, and took the state file for a new one."""
    path = tmp_path / folder / "state.db"
    path.parent.mkdir()
    with kept_client(create_app(state_file=str(path))) as http:
        qp_call(http, "importCli", qp_login(http), {"data": [ROW]})
        before = http.get("/__admin/state/quoparts").json()
    with kept_client(create_app(state_file=str(path))) as http:  # a restart
        assert http.get("/__admin/state/quoparts").json() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder]  # nothing made beside it


def test_state_file_keeps_reset_and_put(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    with kept_client(create_app(state_file=path)) as http:
        qp_call(http, "importCli", qp_login(http), {"data": [ROW]})
        http.post("/__admin/reset", json={})
        fixture = {
            "tenants": {"demo": {"sequences": {"COD_CLI": 7}, "customers": {}, "quotes": {}}}
        }
        http.put("/__admin/state/quoparts", json=fixture)
    with kept_client(create_app(state_file=path)) as http:
        assert http.get("/__admin/state/quoparts").json() == fixture


def _clock(http: httpx.Client) -> str:
    return str(http.get("/__admin/clock").json()["now"])


def _item(http: httpx.Client) -> str:
    token = http.post("/__admin/tsdigital/tokens", json={"kind": "user"}).json()["token"]
    headers = {"Authorization": f"Bearer {token}", "X-App-Name": "t", "X-App-Version": "1"}
    body = {"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}}
    answer = http.post("/tsdigital/api/v3/items", json=body, headers=headers)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def _items(http: httpx.Client) -> dict[str, Any]:
    return http.get("/__admin/state/tsdigital").json()["tenants"]["demo"]["items"]


def test_the_state_file_keeps_the_clock_its_records_were_written_on(tmp_path: Path) -> None:
    """It started afresh: after a day's advance, an item accepted 30 s before the restart was
    PROCESSING for a day more, and the next one was dated before it. As Redis keeps it, a
    running clock counts the time the fake was down."""
    path = str(tmp_path / "state.db")
    wall = [1_750_000_000.0]
    config = {"tsdigital": {"processing_delay_seconds": 30}}
    with kept_client(create_app(config, state_file=path, wall=lambda: wall[0])) as http:
        http.post("/__admin/clock", json={"advance_seconds": 86400})
        first = _item(http)
        before = _clock(http)
    wall[0] += 5
    with kept_client(
        create_app(config, state_file=path, wall=lambda: wall[0])
    ) as http:  # a restart
        assert _clock(http) == "2025-06-16T15:06:45Z" and before == "2025-06-16T15:06:40Z"
        http.post("/__admin/clock", json={"advance_seconds": 25})
        assert _items(http)[first]["status"] == "CREATED"
        second = _item(http)
        at = [_items(http)[item]["history"][0]["at"] for item in (first, second)]
        assert at == ["2025-06-16T15:06:40Z", "2025-06-16T15:07:10Z"]
        http.post("/__admin/reset", json={})
    with kept_client(create_app(config, state_file=path, wall=lambda: wall[0])) as http:
        assert _clock(http) == "2025-06-15T15:06:45Z"  # the reset is kept: back at its start


def test_a_frozen_clock_stands_where_it_stood_until_its_config_changes(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    wall = [1_750_000_000.0]
    frozen = {"kit": {"clock": {"frozen": True}}}
    with kept_client(create_app(frozen, state_file=path, wall=lambda: wall[0])) as http:
        http.post("/__admin/clock", json={"advance_seconds": 60})
    wall[0] += 3600
    with kept_client(create_app(frozen, state_file=path, wall=lambda: wall[0])) as http:
        assert _clock(http) == "2025-06-15T15:07:40Z"
    started = {"kit": {"clock": {"frozen": True, "start": "2031-01-01T00:00:00Z"}}}
    with kept_client(create_app(started, state_file=path, wall=lambda: wall[0])) as http:
        assert _clock(http) == "2031-01-01T00:00:00Z"  # another [kit.clock]: its own start


def test_a_state_file_with_a_sequence_the_vendor_does_not_use_still_loads(
    tmp_path: Path,
) -> None:
    """An earlier version took any sequence name in a PUT and kept it in its state file: the
    file loads as it did and shows the name; only a document a user puts is checked."""
    path = str(tmp_path / "state.db")
    kept = {"tenants": {"demo": {"sequences": {"COD_CLI": 3, "customer": 15}}}}
    earlier = create_app(state_file=path)
    with kept_client(earlier):
        kit = earlier.state.kit
        kit.vendors["quoparts"].load_state(kept, source="an earlier version's PUT")  # unchecked
        kit.flush()
    with kept_client(create_app(state_file=path)) as http:  # a restart
        document = http.get("/__admin/state/quoparts").json()
        assert document["tenants"]["demo"]["sequences"] == {"COD_CLI": 3, "customer": 15}
        refused = http.put("/__admin/state/quoparts", json=document)
        assert refused.status_code == 400 and "unknown sequences ['customer']" in refused.text
        row = ROW | {"COD_CLI_ERP": "E4"}
        answer = qp_call(http, "importCli", qp_login(http), {"data": [row]}).json()
        assert answer["data"][0]["COD_CLI"] == "000004"


UNORDERED_FILE = """
CREATE TABLE records (
    vendor TEXT NOT NULL, tenant TEXT NOT NULL, collection TEXT NOT NULL, key TEXT NOT NULL,
    value BLOB NOT NULL, PRIMARY KEY (vendor, tenant, collection, key)
) WITHOUT ROWID;
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('format', 'mockservers-state-1');
"""
"""A state file as versions before the rows' positions wrote it."""


def unordered_file(path: Path, vendor: str, tenant: str, collection: str, *records: Any) -> None:
    """A state file of that format holding ``records`` (key, record) of one vendor."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")  # as the kit keeps every state file
        db.executescript(UNORDERED_FILE)
        db.execute("INSERT INTO meta VALUES (?, ?)", (f"vendor:{vendor}", vendor))
        for key, record in records:
            row = (vendor, tenant, collection, key, orjson.dumps(record))
            db.execute("INSERT INTO records VALUES (?, ?, ?, ?, ?)", row)
    db.close()


def test_a_state_file_written_before_positions_is_brought_up_to_date_in_place(
    tmp_path: Path,
) -> None:
    """Its rows keep the order they were listed in (by key), the records written since come
    after them, and one of its records written again keeps its place, restart after restart."""
    path = tmp_path / "state.db"
    codes = {"COD_USR": "M1", "COD_PWD": "A"}
    customers = [
        (erp, ROW | {"COD_CLI_ERP": erp, "COD_CLI": f"{n:06d}", **codes})
        for n, erp in ((1, "N1"), (2, "M1"))
    ]
    unordered_file(path, "quoparts", "demo", "customers", *customers)
    for restart in range(2):
        with kept_client(create_app(state_file=str(path))) as http:
            if not restart:
                rows = [ROW | {"COD_CLI_ERP": erp} for erp in ("B1", "N1", "A1")]
                qp_call(http, "importCli", qp_login(http), {"data": rows})
            customers = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
            assert list(customers) == ["M1", "N1", "B1", "A1"]
            assert customers["N1"]["COD_CLI"] == "000001"
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE name = 'format'").fetchone() == (
            "mockservers-state-2",
        )
    db.close()


def test_a_state_file_giving_one_value_to_two_records_still_serves(tmp_path: Path) -> None:
    """An earlier version took state documents that gave one ExternalKey to two XTRA
    identities, and kept them in its state file: serve stopped on it (exit 2, with a message
    that did not name the file). It starts, says which value which records hold in which file,
    and a look-up finds the last of them."""
    path = tmp_path / "state.db"
    identities = [(str(n), {"ID": n, "ExternalKey": "ACME-1", "Users": []}) for n in (2, 3)]
    unordered_file(path, "xtra", "demo", "identities", *identities)
    with serving("--state-file", str(path)) as served, httpx.Client(base_url=served.url) as http:
        (warned,) = [line for line in served.started if "keeps unique" in line]
        assert warned.startswith(f"xtra: the state file {path} gives values")
        assert "the ExternalKey 'ACME-1' is held by identities 2 and 3" in warned
        found = xtra.one(http, xtra.NEW | {"ExternalKey": "ACME-1"})
        assert "(ID 3)" in found["Item4"]["Message"]


def test_a_state_file_this_version_refuses_names_the_file_and_is_left_alone(
    tmp_path: Path,
) -> None:
    """Left as it was: the version that wrote it still reads it."""
    path = tmp_path / "state.db"
    unordered_file(path, "xtra", "demo", "identities", ("2", {"ID": 2, "ExternalKey": ["k"]}))
    written = path.read_bytes()
    result = serve_refused("--state-file", str(path))
    assert result.returncode == 2
    assert f"state file {path}: xtra state: tenant 'demo', identity '2'" in result.stderr
    assert path.read_bytes() == written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]


@pytest.mark.parametrize(
    ("damaged", "said"),
    [
        (b'{"DES_NOM":"Rossi"\x01"COD_CLI_ERP":"N1"}', "(unexpected character"),
        (7, "(the number 7)"),  # SQLite keeps any type in any column
    ],
    ids=["byte-flipped", "not-text"],
)
def test_a_state_file_holding_a_value_that_is_not_json_names_the_record_and_is_left_alone(
    tmp_path: Path, damaged: object, said: str
) -> None:
    """A byte gone wrong inside a record (SQLite's integrity check finds nothing): serve said
    only orjson's "unexpected character", and ``create_app`` raised orjson's error, not a
    ``StateFileError``."""
    path = tmp_path / "state.db"
    unordered_file(path, "quoparts", "demo", "customers", ("N1", ROW | {"COD_CLI_ERP": "N1"}))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE records SET value = ?", (damaged,))
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    written = path.read_bytes()
    named = f"state file {path} is damaged: quoparts state: tenant 'demo', customers 'N1':"
    for _ in range(2):  # refused, the file let go of: not "in use by another kit"
        with pytest.raises(StateFileError) as refused:
            create_app(state_file=str(path))
        assert str(refused.value).startswith(f"{named} its value is not JSON {said}")
    result = serve_refused("--state-file", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"mockservers: {named}")
    assert path.read_bytes() == written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]


def test_a_refused_state_file_in_rollback_journal_mode_is_left_exactly_as_it_was(
    tmp_path: Path,
) -> None:
    """A kit's file that a tool put back in rollback-journal mode (``sqlite3``'s own), holding
    a record that is not JSON: the start was refused, but only after the kit had switched the
    file to WAL mode and written to it (its header and change counter changed)."""
    path = tmp_path / "state.db"
    with kept_client(create_app(state_file=str(path))) as http:
        qp_call(http, "importCli", qp_login(http), {"data": [ROW]})
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode=DELETE").fetchone() == ("delete",)
        db.execute("UPDATE records SET value = '{ba' WHERE collection = 'customers'")
    db.close()
    written = path.read_bytes()
    with pytest.raises(StateFileError, match="its value is not JSON"):
        create_app(state_file=str(path))
    assert path.read_bytes() == written
    result = serve_refused("--state-file", str(path))
    assert result.returncode == 2 and "its value is not JSON" in result.stderr
    assert path.read_bytes() == written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]


@pytest.mark.usefixtures("in_rome")
def test_a_state_file_holding_an_instant_without_a_time_zone_reads_it_as_utc(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An earlier version took a TS Digital ready_at without a zone in a state document and
    kept it: the start was refused, and no admin call could mend the file. It is read as UTC,
    as the kit writes its instants and as Redis reads one it kept (never in the server's own
    zone: an hour early in Rome), with a warning naming the file and the item; only a document
    a user puts is refused for it. One that is no instant at all, or null on a PROCESSING item,
    settles at once, said too, its history closed at the clock's now (it wrote that text, or
    null, as the instant). Every history entry is a UTC instant (an offset was copied in)."""
    path = tmp_path / "state.db"
    config = {"kit": {"clock": {"start": "2026-03-29T00:45:00Z", "frozen": True}}}
    earlier = create_app(config, state_file=str(path))
    item = {"id": "i1", "status": "PROCESSING", "ready_at": "2026-03-29T01:30:00"}
    unreadable = {"id": "i3", "status": "PROCESSING", "ready_at": "soon"}
    unsaid = {"id": "i4", "status": "PROCESSING", "ready_at": None}
    offset = {"id": "i5", "status": "PROCESSING", "ready_at": "2026-03-29T02:45:00+02:00"}
    kit = earlier.state.kit
    items = {"i1": item, "i3": unreadable, "i4": unsaid, "i5": offset}
    kit.vendors["tsdigital"].state.load({"tenants": {"demo": {"items": items}}})
    kit.flush.__self__.close()  # the state file, as at a stop
    with kept_client(create_app(config, state_file=str(path))) as http:  # a restart
        assert (
            f"tsdigital: the state file {path}: tenant 'demo', item 'i1': ready_at"
            " '2026-03-29T01:30:00' has no time zone: read as UTC" in caplog.text
        )
        assert "tenant 'demo', item 'i3': ready_at 'soon' is no instant: due now" in caplog.text
        assert "tenant 'demo', item 'i4': ready_at None is no instant: due now" in caplog.text
        for due in ("i3", "i4", "i5"):
            assert _items(http)[due]["status"] == "CREATED"
            (settled,) = _items(http)[due]["history"]
            assert settled["at"] == "2026-03-29T00:45:00Z"
        http.post("/__admin/clock", json={"advance_seconds": 45 * 60 - 1})
        assert _items(http)["i1"]["status"] == "PROCESSING"
        http.post("/__admin/clock", json={"advance_seconds": 1})
        assert _items(http)["i1"]["status"] == "CREATED"
        assert _items(http)["i1"]["history"][-1]["at"] == "2026-03-29T01:30:00Z"
        document = {"tenants": {"demo": {"items": {"i2": item | {"id": "i2"}}}}}
        refused = http.put("/__admin/state/tsdigital", json=document)
        assert refused.status_code == 400 and "'i2': ready_at" in refused.json()["error"]


def disk_full(state_file: StateFile, full: bool = True) -> None:
    """The state file's database may grow by no page (SQLITE_FULL, as on a full disk), or
    again (``full=False``)."""
    db = state_file._db
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    db.execute(f"PRAGMA max_page_count = {pages if full else 2**30}")


ROWS = [ROW | {"COD_CLI_ERP": f"CLI{n:03d}"} for n in range(50)]
"""More than the pages a state file has room for at start."""


def test_a_write_the_state_file_cannot_take_is_answered_503_and_kept_for_the_next(
    tmp_path: Path,
) -> None:
    """A failed commit dropped the request's writes for good (memory kept them, the file never
    would), and the caller got a bare 500. Now: the vendor's 503, saying why (the full disk
    SQLite had rolled back for itself was said as "cannot rollback - no transaction is
    active"), and the next commit writes them too."""
    path = str(tmp_path / "state.db")
    app = create_app(state_file=path)
    with kept_client(app) as http:
        token = qp_login(http)
        disk_full(app.state.state_file)
        refused = qp_call(http, "importCli", token, {"data": ROWS})
        assert refused.status_code == 503 and refused.json()["errorCode"] == "503"
        detail = refused.headers["x-mockservers-detail"]
        assert detail.endswith("did not take the write: database or disk is full")
        disk_full(app.state.state_file, full=False)
        qp_call(http, "importCli", token, {"data": [ROW | {"COD_CLI_ERP": "NEXT"}]})
        before = http.get("/__admin/state/quoparts").json()
    with kept_client(create_app(state_file=path)) as http:  # a restart
        assert http.get("/__admin/state/quoparts").json() == before
        assert len(before["tenants"]["demo"]["customers"]) == len(ROWS) + 1


@pytest.mark.parametrize("fault", [{"kind": "status", "status": 500}, {"kind": "malformed"}])
def test_a_fault_of_a_call_the_state_file_did_not_take_is_not_used_up(
    tmp_path: Path, fault: dict[str, Any]
) -> None:
    """The connector was answered the 503, not the fault, and the fault was used up all the
    same: a ``times: 1`` fault never showed; on Redis the failed commit undoes its use. It is
    now met by the next call the file takes."""
    app = create_app(state_file=str(tmp_path / "state.db"))
    with kept_client(app) as http:
        token = qp_login(http)
        spec = {"vendor": "quoparts", "operation": "importPvt", "times": 1, **fault}
        fault_id = http.post("/__admin/faults", json=spec).json()["id"]
        disk_full(app.state.state_file)
        assert qp_call(http, "importCli", token, {"data": ROWS}).status_code == 503  # pending
        refused = qp_call(http, "importPvt", token, {"data": {}})
        assert refused.status_code == 503 and refused.json()["errorCode"] == "503"
        disk_full(app.state.state_file, full=False)
        assert [(f["id"], f["hits"]) for f in http.get("/__admin/faults").json()] == [(fault_id, 0)]
        faulted = qp_call(http, "importPvt", token, {"data": {}})
        assert fault_id in faulted.headers["x-mockservers-detail"]
        assert http.get("/__admin/faults").json() == []


def assert_journalled_as_answered(entry: dict[str, Any], answered: httpx.Response) -> None:
    """A journal entry is the QuoParts 503 a store that did not keep the call answered (its
    body and the store's reason), with no situation met."""
    assert (entry["operation"], entry["status"]) == ("importCli", 503)
    assert entry["response"] == answered.json() and answered.json()["errorCode"] == "503"
    assert entry["detail"] == answered.headers["x-mockservers-detail"]
    assert entry["behaviours"] == []


def test_a_call_the_state_file_did_not_take_is_journalled_as_its_503_and_not_counted(
    tmp_path: Path,
) -> None:
    """The journal said 200, errorCode "0", for the import the connector was answered 503, and
    coverage counted its inserted rows: both were written before the commit that failed."""
    app = create_app(state_file=str(tmp_path / "state.db"))
    with kept_client(app) as http:
        token = qp_login(http)
        disk_full(app.state.state_file)
        refused = qp_call(http, "importCli", token, {"data": ROWS})
        assert refused.status_code == 503
        disk_full(app.state.state_file, full=False)  # an admin read commits what is pending
        scope = GlobalScope(http)
        assert_journalled_as_answered(scope.requests(vendor="quoparts")[0], refused)
        assert met_count(scope, "quoparts", "quoparts.import_cli_inserted") == 0


def test_closing_a_state_file_that_cannot_take_its_writes_says_so_and_lets_it_go(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The writes of a request answered 503 are still pending when the kit stops: closing
    raised them, and a server's stop failed with a traceback."""
    path = tmp_path / "state.db"
    app = create_app(state_file=str(path))
    with kept_client(app) as http:  # closes the state file at its end, as a stop does
        disk_full(app.state.state_file)
        assert qp_call(http, "importCli", qp_login(http), {"data": ROWS}).status_code == 503
    (said,) = [r.getMessage() for r in caplog.records if "not kept" in r.getMessage()]
    assert said.startswith(f"state file {path}: ")
    assert said.endswith(" writes not acknowledged and not kept: database or disk is full")
    assert not Path(f"{path}.lock").exists()
    create_app(state_file=str(path)).state.state_file.close()  # let go of: another kit opens it


@pytest.mark.parametrize(
    "content",
    [b"this is not a database", b"SQLite format 3\x00" + b"\x00" * 100],
    ids=["text", "damaged-sqlite"],
)
def test_an_unreadable_state_file_stops_the_start_and_is_left_alone(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(content)
    with pytest.raises(StateFileError):
        create_app(state_file=str(path))
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]
    result = serve_refused("--state-file", str(path))
    assert result.returncode == 2 and "state file" in result.stderr
    assert path.read_bytes() == content


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with serving("--state-file", str(path), stop=None) as served:
        kept = f"memory, kept in {path}"
        assert f"(store: {kept}, workers: 1)" in served.banner[0]
        with httpx.Client(base_url=served.url) as http:
            assert http.get("/__admin/health").json()["store"] == kept
            token = qp_login(http)
            for i in range(20):
                body = qp_call(http, "importCli", token, {"data": [ROW | {"COD_CLI_ERP": f"K{i}"}]})
                assert body.json()["data"][0]["errorCode"] == "0"
        served.process.send_signal(signal.SIGKILL)
        assert served.process.wait(timeout=15) == -signal.SIGKILL
    with kept_client(create_app(state_file=str(path))) as http:
        customers = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
        assert sorted(customers) == sorted(f"K{i}" for i in range(20))


class _Counted(str):
    """A tenant name that counts the times it is compared for equality."""

    comparisons = 0
    __hash__ = str.__hash__

    def __eq__(self, other: object) -> bool:
        _Counted.comparisons += 1
        return str.__eq__(self, other)


def test_a_running_kit_s_state_file_is_copied_whole_by_sqlite_s_backup_not_alone(
    tmp_path: Path,
) -> None:
    """As docs/configuration.md says: an acknowledged write sits in the file's log until a
    checkpoint, so a copy of the file alone lacks it, and SQLite's backup holds it."""
    path = tmp_path / "kit.db"
    with kept_client(create_app(state_file=str(path))) as http:
        qp_call(http, "importCli", qp_login(http), {"data": [ROW]})
        shutil.copyfile(path, tmp_path / "alone.db")
        with sqlite3.connect(path) as source, sqlite3.connect(tmp_path / "backup.db") as copy:
            source.backup(copy)
        source.close()
        copy.close()
    for name, kept in (("alone.db", []), ("backup.db", ["CLI001"])):
        with kept_client(create_app(state_file=str(tmp_path / name))) as http:
            demo = http.get("/__admin/state/quoparts").json()["tenants"].get("demo", {})
            assert list(demo.get("customers", {})) == kept, name


def test_loading_many_tenants_looks_at_no_other_tenant_s_pending_rows(tmp_path: Path) -> None:
    """A PUT of many tenants records one load per tenant (and so does a vendor new to the
    file, at start): each load went over every row still pending, to drop the tenant's own,
    comparing its name with theirs; 4,000 TS Digital tenants of 20 items held every call for
    a minute. A tenant's pending rows are now one entry: a load compares no other's."""
    state_file = StateFile(tmp_path / "state.db")
    tenants = [_Counted(f"t{n:03}") for n in range(200)]
    items = {f"i{n}": {"n": n} for n in range(5)}
    _Counted.comparisons = 0
    for tenant in tenants:
        state_file.record("state:tsdigital", "load", (tenant, {"items": items}))
    assert _Counted.comparisons < len(tenants)  # it was 5 * 200 * 199 / 2, about 100,000
    state_file.record("state:tsdigital", "put", (tenants[0], "items", "i9", {"n": 9}))
    state_file.close()
    restarted = StateFile(tmp_path / "state.db")
    (document,) = restarted.documents().values()
    restarted.close()
    assert list(document["tenants"]) == tenants
    assert list(document["tenants"]["t000"]["items"]) == [*items, "i9"]  # in the order written


def test_a_state_file_in_use_by_another_process_is_refused_and_left_to_it(tmp_path: Path) -> None:
    """A second serve on one file (a second terminal, a CI job whose earlier server still
    runs) started, each process with its own memory writing its rows into the file: two
    customers came back with one COD_CLI and password, a state neither process held. It is
    refused at start, in this process too; once the first has stopped, the file opens."""
    path = tmp_path / "state.db"
    with serving("--state-file", str(path)) as served, httpx.Client(base_url=served.url) as http:
        token = qp_login(http)
        qp_call(http, "importCli", token, {"data": [ROW]})
        refused = serve_refused("--state-file", str(path))
        assert refused.returncode == 2
        assert f"state file {path} is in use by another process" in refused.stderr
        with pytest.raises(StateFileError, match="in use by another process"):
            create_app(state_file=str(path))
        later = qp_call(http, "importCli", token, {"data": [ROW | {"COD_CLI_ERP": "CLI002"}]})
        assert later.json()["data"][0]["COD_CLI"] == "000002"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]  # its lock file gone
    with kept_client(create_app(state_file=str(path))) as http:
        customers = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
        assert list(customers) == ["CLI001", "CLI002"]


def test_a_state_file_in_use_by_another_kit_of_this_process_is_refused_until_it_stops(
    tmp_path: Path,
) -> None:
    """Two MockServers on one file (fixtures that build an app per test) were both taken,
    each with its own memory writing its rows into the file: a restart read two customers
    with one COD_CLI and username. The second is refused while the first is open; its stop
    lets go of the file, and a kit opened after it reads on from its state."""
    path = str(tmp_path / "state.db")
    first = MockServer(app=create_app(state_file=path)).start()
    try:
        with pytest.raises(StateFileError, match="in use by another kit of this process"):
            create_app(state_file=path)
        with httpx.Client(base_url=first.url) as http:
            qp_call(http, "importCli", qp_login(http), {"data": [ROW]})
    finally:
        first.stop()
    rows = {"data": [ROW | {"COD_CLI_ERP": "CLI002"}]}
    with (
        MockServer(app=create_app(state_file=path)) as again,  # a restart in place
        httpx.Client(base_url=again.url) as http,
    ):
        answer = qp_call(http, "importCli", qp_login(http), rows).json()
    assert answer["data"][0]["COD_CLI"] == "000002"
    create_app(state_file=path)  # dropped unclosed: collected, it lets go of the file
    with kept_client(create_app(state_file=path)) as http:
        customers = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
        assert list(customers) == ["CLI001", "CLI002"]


# -- concurrency -------------------------------------------------------------------------------
def test_concurrent_clients_on_one_tenant_lose_nothing(mockserver: MockServer) -> None:
    async def run() -> list[str]:
        async def one(i: int) -> str:
            async with AsyncQuoPartsClient(mockserver.base_url("quoparts"), "demo", "demo") as qp:
                (result,) = await qp.import_customers([ROW | {"COD_CLI_ERP": f"C{i}"}])
                assert result.ok
                return result.customer_code or ""

        return await asyncio.gather(*(one(i) for i in range(60)))

    codes = asyncio.run(run())
    assert len(set(codes)) == 60  # sequences never repeat
    customers = mockserver.state("quoparts")["tenants"]["demo"]["customers"]
    assert len(customers) == 60
    assert sorted(c["COD_CLI"] for c in customers.values()) == sorted(codes)


# -- bad input -----------------------------------------------------------------------------------
def test_duplicated_query_parameters_take_the_last_value_like_php(http: httpx.Client) -> None:
    token = qp_login(http)
    response = http.post(
        f"{QP}?importCli=&importCli=&token=wrong&token={token}", json={"data": [ROW]}
    )
    assert response.status_code == 200 and response.json()["errorCode"] == "0"


def test_absurdly_long_header_values_get_the_vendors_answer(mockserver: MockServer) -> None:
    with httpx.Client(base_url=mockserver.url, timeout=10) as http:
        response = http.get(
            QP,
            params={"login": "", "username": "demo", "password": "demo"},
            headers={"X-Long": "a" * 100_000, "User-Agent": "b" * 50_000},
        )
    assert response.status_code == 200 and response.json()["errorCode"] == "0"


def test_wrong_or_missing_content_type_is_read_like_php_reads_the_body(http: httpx.Client) -> None:
    token = qp_login(http)
    for headers in ({"Content-Type": "text/plain"}, {}):
        response = http.post(
            QP, params={"importCli": "", "token": token}, content=b'{"data": []}', headers=headers
        )
        assert response.json() == {"errorCode": "0", "error": "", "data": []}


# -- secrets ---------------------------------------------------------------------------------------
def test_secrets_never_appear_in_the_journal_or_error_messages(http: httpx.Client) -> None:
    secret = "Sup3r-Secret-Pw"
    http.get(QP, params={"login": "", "username": "demo", "password": secret})
    token = qp_login(http)
    body = qp_call(http, "importCli", token, {"data": [ROW]}).json()
    generated = body["data"][0]["COD_PWD"]
    journal = http.get("/__admin/requests").text
    for value in (secret, token, generated):
        assert value not in journal


def test_tenants_never_see_each_others_data() -> None:
    app = create_app({"quoparts": {"accounts": [{"username": "other", "password": "pw"}]}})
    with kept_client(app) as http:
        qp_call(http, "importCli", qp_login(http), {"data": [ROW]})
        other = qp_login(http, "other", "pw")
        quote = {
            "data": {
                "testata": {"COD_CLI": "000001", "COD_TGA": "X", "DES_VCL": "Y"},
                "articoli": [{"DES_RGR": "a", "COD_ART_PVT": "b"}],
            }
        }
        assert qp_call(http, "importPvt", other, quote).json()["errorCode"] == "107"
        again = qp_call(http, "importCli", other, {"data": [ROW]}).json()["data"][0]
        assert again["COD_CLI"] == "000001"
        state = http.get("/__admin/state/quoparts").json()["tenants"]
        assert state["other"]["customers"]["CLI001"]["COD_USR"] == "M00001"
        assert sorted(state) == ["demo", "other"]


# -- shutdown ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "stop",
    [signal.SIGTERM, signal.SIGINT, signal.SIGHUP],
    ids=["SIGTERM", "Ctrl-C", "terminal closed"],
)
def test_stopping_is_clean_and_keeps_state(tmp_path: Path, stop: signal.Signals) -> None:
    path = tmp_path / "state.db"
    with (
        serving("--state-file", str(path), stop=stop) as served,
        httpx.Client(base_url=served.url) as http,
    ):
        qp_call(http, "importCli", qp_login(http), {"data": [ROW]})
    with kept_client(create_app(state_file=str(path))) as http:
        customers = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
        assert list(customers) == ["CLI001"]


def _no_file_past(size: int) -> Callable[[], None]:
    """A child's limit: no file grows past ``size`` bytes (a write past it fails, as on a full
    disk: Python ignores SIGXFSZ)."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def test_a_stop_with_writes_the_state_file_did_not_take_says_so_in_one_line(
    tmp_path: Path,
) -> None:
    """SIGTERM after a request was answered 503 (the file could not grow): serve printed a
    traceback and "Application shutdown failed". One warning now, exit 0, the lock gone."""
    path = tmp_path / "state.db"
    rows = [ROW | {"DES_NOM": "R" * 200, "COD_CLI_ERP": f"C{n}"} for n in range(5000)]
    with (
        serving(
            "--state-file", str(path), stop=signal.SIGTERM, preexec_fn=_no_file_past(2**20)
        ) as served,
        httpx.Client(base_url=served.url) as http,
    ):  # 1 MiB: the state file's log is some 70 KiB at start; the rows take more
        assert qp_call(http, "importCli", qp_login(http), {"data": rows}).status_code == 503
    assert served.process.stderr is not None
    log = served.process.stderr.read()
    assert "Traceback" not in log and "shutdown failed" not in log
    (said,) = [line for line in log.splitlines() if "not kept" in line]
    assert " writes not acknowledged and not kept: " in said  # and SQLite's reason
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]


def answered_through_a_stop(served: Served, stop: signal.Signals) -> httpx.Response:
    """The answer to a QuoParts import in flight (a latency fault holds it) when ``stop`` is
    sent to the whole process group of ``serve`` (its job's, started with ``os.setpgrp``), as
    a shell does on Ctrl-C or when its terminal closes; ``serve`` then exits 0."""
    with (
        httpx.Client(base_url=served.url, timeout=30) as http,
        httpx.Client(base_url=served.url, timeout=30) as caller,
        ThreadPoolExecutor(1) as pool,
    ):
        token = qp_login(http)
        slow = {"vendor": "quoparts", "operation": "importCli", "kind": "latency"}
        slow |= {"latency_ms": 1500, "times": 1}
        assert http.post("/__admin/faults", json=slow).status_code == 201
        in_flight = pool.submit(qp_call, caller, "importCli", token, {"data": [ROW]})
        while http.get("/__admin/faults").json():  # until the server has taken the call
            assert not in_flight.done()
        os.killpg(served.process.pid, stop)
        answer = in_flight.result(timeout=20)
    assert served.process.wait(timeout=30) == 0
    return answer


@pytest.mark.parametrize(
    "stop", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "terminal closed"]
)
def test_a_request_in_flight_at_a_stop_is_answered_and_kept(
    tmp_path: Path, stop: signal.Signals
) -> None:
    """A terminal closed (SIGHUP) killed serve at once: the call in flight cut, the state
    file's -wal, -shm and lock left behind. It stops as on SIGTERM."""
    path = tmp_path / "state.db"
    with serving("--state-file", str(path), stop=None, preexec_fn=os.setpgrp) as served:
        answer = answered_through_a_stop(served, stop)
    assert answer.status_code == 200 and answer.json()["data"][0]["COD_CLI"] == "000001"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]
    with kept_client(create_app(state_file=str(path))) as http:
        customers = http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"]
        assert list(customers) == ["CLI001"]


def nohup() -> None:
    """A child started as ``nohup mockservers serve &`` starts it: in a job of its own (a
    closed terminal signals the whole job), SIGHUP ignored."""
    os.setpgrp()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def outlives_its_terminal(served: Served, pids: list[int]) -> None:
    """Each of ``pids`` (serve, its workers) still ignores SIGHUP once serving, and the kit
    answers after SIGHUP was sent to its whole job, as a closed terminal sends it. (An ignored
    signal is dropped when sent: once ``killpg`` returns, nothing is pending.)"""
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        (ignored,) = [line.split()[1] for line in status.splitlines() if line[:7] == "SigIgn:"]
        assert int(ignored, 16) & 1 << (signal.SIGHUP - 1), f"{pid} handles SIGHUP"
    os.killpg(served.process.pid, signal.SIGHUP)
    assert httpx.get(served.url + "/__admin/health").status_code == 200
    assert served.process.poll() is None


def test_serve_under_nohup_outlives_its_terminal() -> None:
    """``nohup`` ignores SIGHUP so that the command outlives its terminal; serve set its own
    SIGHUP handler anyway, and stopped when the terminal closed. SIGTERM still stops it."""
    with serving(stop=signal.SIGTERM, preexec_fn=nohup) as served:
        outlives_its_terminal(served, [served.process.pid])


def test_a_proxy_stops_cleanly_when_its_terminal_closes() -> None:
    with serving(
        "--upstream", "quoparts=http://127.0.0.1:9", command="proxy", stop=signal.SIGHUP
    ) as served:
        assert httpx.get(served.url + "/__admin/health").status_code == 200
    assert served.process.stderr is not None
    assert "Application shutdown complete" in served.process.stderr.read()


def test_access_log_masks_passwords_and_tokens() -> None:
    with serving("--access-log") as served:
        httpx.get(served.url + QP, params={"login": "", "username": "demo", "password": "Pw-123"})
        httpx.post(served.url + QP, params={"importCli": "", "token": "Tok-456"}, json={"data": []})
        httpx.post(served.url + QP, params={"importCli": "", "token": ""}, json={"data": []})
        served.process.send_signal(signal.SIGINT)
        stdout, stderr = served.process.communicate(timeout=15)
    output = stdout + stderr
    lines = [line for line in output.splitlines() if "ws_quoparts.php" in line]
    assert len(lines) == 3, output
    assert "Pw-123" not in output and "Tok-456" not in output
    assert "password=***" in lines[0] and "token=***" in lines[1]
    assert "token= " in lines[2]  # nothing to hide in an empty token: no *** never sent


def test_an_app_served_by_uvicorn_itself_masks_its_access_log() -> None:
    """docs/testing.md's "Serving the app yourself": plain ``uvicorn.run``, its access log on
    by default, as a user runs it."""
    port = free_port()
    script = (
        "import uvicorn; from mockservers import create_app; "
        f"uvicorn.run(create_app(date_header=True), port={port}, date_header=False)"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stderr is not None
        for line in server.stderr:  # until it listens
            if "Uvicorn running on" in line:
                break
        url = f"http://127.0.0.1:{port}"
        httpx.get(url + QP, params={"login": "", "username": "demo", "password": "Pw-123"})
        httpx.post(url + QP, params={"importCli": "", "token": "Tok-456"}, json={"data": []})
    finally:
        server.send_signal(signal.SIGINT)
        stdout, stderr = server.communicate(timeout=15)
    output = stdout + stderr
    lines = [line for line in output.splitlines() if "ws_quoparts.php" in line]
    assert len(lines) == 2, output
    assert "Pw-123" not in output and "Tok-456" not in output
    assert "password=***" in lines[0] and "token=***" in lines[1]
