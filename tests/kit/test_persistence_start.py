"""Issue: a state file the start check let through, or said the wrong thing of. A damaged file
(a byte gone wrong, a hand edit) crashed the start or every answer after it; an intact one
was called damaged; one reached through a second name lost acknowledged writes."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from mockservers import create_app
from mockservers.core.persistence import StateFileError
from tests.conftest import qp_call, qp_login
from tests.kit.test_reliability import ROW, kept_client
from tests.servers import serve_refused


def _state_file(path: Path) -> bytes:
    """A state file holding a QuoParts customer ``CLI001`` (and its sequence), stopped
    cleanly; its bytes."""
    with kept_client(create_app(state_file=str(path))) as http:
        qp_call(http, "importCli", qp_login(http), {"data": [ROW]})
    return path.read_bytes()


def _edited(path: Path, sql: str) -> bytes:
    """The state file edited by hand with ``sql`` (SQLite keeps any type in any column); its
    bytes."""
    _state_file(path)
    with sqlite3.connect(path) as db:
        db.execute(sql)
    db.close()
    return path.read_bytes()


def assert_refused(path: Path, said: str) -> None:
    """The start is refused, in-process and by ``serve`` (exit 2, no traceback), with ``said``
    after the file's name; the file is left as it was, nothing made beside it."""
    written = path.read_bytes()
    with pytest.raises(StateFileError) as refused:
        create_app(state_file=str(path))
    assert str(refused.value).startswith(said), str(refused.value)
    result = serve_refused("--state-file", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(f"mockservers: {said}"), result.stderr
    assert path.read_bytes() == written
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


CUSTOMER = "quoparts state: tenant 'demo', customers 'CLI001'"


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (  # a page gone wrong: SQLite reads the column, Python cannot decode it
            "UPDATE records SET tenant = CAST(X'64656dff' AS TEXT) WHERE vendor = 'quoparts'",
            "Could not decode to UTF-8 column 'tenant'",
        ),
        (  # every GET of the vendor's state was a text/plain 500
            "UPDATE records SET tenant = CAST(tenant AS BLOB) WHERE collection = 'customers'",
            "quoparts state: tenant b'demo', customers 'CLI001': its tenant is a blob, not text",
        ),
        (  # a number given would be text: the column's affinity
            "UPDATE records SET key = CAST(key AS BLOB) WHERE collection = 'customers'",
            "quoparts state: tenant 'demo', customers b'CLI001': its key is a blob, not text",
        ),
        (  # the first write stopped the start: "did not take the write: can only concatenate"
            "UPDATE records SET position = 'abc' WHERE collection = 'customers'",
            f"{CUSTOMER}: its position 'abc' is not a whole number",
        ),
        (
            "UPDATE records SET position = 1.5 WHERE collection = 'customers'",
            f"{CUSTOMER}: its position 1.5 is not a whole number",
        ),
    ],
    ids=["not-utf-8", "blob-tenant", "blob-key", "text-position", "real-position"],
)
def test_a_state_file_with_a_row_the_kit_did_not_write_is_refused_as_damaged(
    tmp_path: Path, edit: str, said: str
) -> None:
    path = tmp_path / "state.db"
    _edited(path, edit)
    assert_refused(path, f"state file {path} is damaged: {said}")


@pytest.mark.parametrize(
    ("field", "value", "said", "latest"),
    [  # every answer was a text/plain 500: year 31690765
        ("offset", 1e15, "shows 10", "9999-01-01"),
        ("start", -1e12, "starts at -1000000000000.0 seconds since 1970", "9000-01-01"),
    ],
)
def test_a_state_file_keeping_a_clock_out_of_range_is_refused_as_damaged(
    tmp_path: Path, field: str, value: float, said: str, latest: str
) -> None:
    path = tmp_path / "state.db"
    _edited(
        path,
        f"UPDATE meta SET value = json_set(value, '$.{field}', {value!r}) WHERE name = 'clock'",
    )
    damaged = f"state file {path} is damaged: the clock it kept (meta row 'clock') {said}"
    assert_refused(path, damaged)
    with pytest.raises(StateFileError, match=rf"outside 1970-01-01 to {latest}$"):
        create_app(state_file=str(path))


def test_a_clock_started_at_its_latest_start_and_run_past_it_is_read_back(
    tmp_path: Path,
) -> None:
    """A clock may start at 9000-01-01 (the latest start) and runs on past it: the state file
    that kept it is the kit's own, not a damaged one, and the next start reads it back."""
    config = {"kit": {"clock": {"start": "9000-01-01T00:00:00Z"}}}
    path = tmp_path / "state.db"
    with kept_client(create_app(config, state_file=str(path))) as http:
        qp_login(http)
    with sqlite3.connect(path) as db:  # as if it had run ten more seconds before it stopped
        db.execute("UPDATE meta SET value = json_set(value, '$.offset', 10.0) WHERE name = 'clock'")
    db.close()
    with kept_client(create_app(config, state_file=str(path))) as http:
        assert http.get("/__admin/clock").json()["now"] >= "9000-01-01T00:00:10"


@pytest.mark.parametrize(
    "edit",
    [
        "ALTER TABLE records DROP COLUMN position",
        "ALTER TABLE records RENAME COLUMN tenant TO t",
    ],
)
def test_a_state_file_whose_tables_were_edited_is_damaged_not_unopenable(
    tmp_path: Path, edit: str
) -> None:
    """SQLite's generic error ("no such column") is the file's own, not its folder's or disk's:
    it does not go away, so the file is called damaged."""
    path = tmp_path / "state.db"
    _edited(path, edit)
    assert_refused(path, f"state file {path} is damaged: no such column")


def test_an_intact_state_file_sqlite_cannot_open_is_not_called_damaged(tmp_path: Path) -> None:
    """Its log a folder here; a read-only folder or a full disk alike (docs/configuration.md):
    SQLite's reason is said, the file is not "damaged", and it opens once the reason is gone."""
    path = tmp_path / "state.db"
    _state_file(path)
    (tmp_path / "state.db-wal").mkdir()
    written = path.read_bytes()
    with pytest.raises(StateFileError) as refused:
        create_app(state_file=str(path))
    assert str(refused.value) == f"cannot open state file {path}: unable to open database file"
    assert path.read_bytes() == written
    (tmp_path / "state.db-wal").rmdir()
    with kept_client(create_app(state_file=str(path))) as http:
        assert list(http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"])


def test_a_state_file_with_a_second_name_is_refused(tmp_path: Path) -> None:
    """A hard link: the lock is taken by name, so a second process opening the other name ran
    beside the first, each writing the one file, and an acknowledged write was lost (SQLite
    keeps the log by name too). Refused while the first holds it, and after."""
    path, other = tmp_path / "state.db", tmp_path / "other-name.db"
    _state_file(path)
    first = create_app(state_file=str(path))
    try:
        os.link(path, other)
        with pytest.raises(StateFileError) as refused:
            create_app(state_file=str(other))
        assert str(refused.value).startswith(f"state file {other} has 2 names (hard links): ")
    finally:
        first.state.state_file.close()
    result = serve_refused("--state-file", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"mockservers: state file {path} has 2 names (hard links)")
    other.unlink()
    with kept_client(create_app(state_file=str(path))) as http:  # one name again: it opens
        assert http.get("/__admin/state/quoparts").status_code == 200
