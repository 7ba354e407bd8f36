"""``--state-file``: every acknowledged write survives a restart or a ``kill -9``.

SQLite in WAL mode, one row per record (and per sequence), with its position: given when its
key first comes and kept when it is written again, so that a restarted process lists each
collection's records in the order they were written, as every store does. Vendor writes are
buffered while a request runs and committed in one transaction before its answer leaves
(``flush``), so an acknowledged write is on disk. A file that is not a readable state file
(down to a row whose names are not text, a kept clock out of range) stops the start and is
left exactly as it was. One kit keeps a file, by one name: another one opening it, in another
process or in this one, is refused (``_hold``), and so is a file with a second name (a hard
link), which the lock of one name would not keep.

The kit's clock is kept too, in one row of ``meta``, as a shared store keeps it: the records
hold instants of that clock (a TS Digital item's ``ready_at``), which a clock started afresh
would put a day away after a day's advance.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import os
import sqlite3
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson

from mockservers.core.clock import EARLIEST, LAST_WRITABLE, LATEST
from mockservers.core.sessions import owner_id
from mockservers.core.shared import SharedMap, StoreUnavailable
from mockservers.core.state import SEQUENCES, VendorState

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    vendor TEXT NOT NULL,
    tenant TEXT NOT NULL,
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    position INTEGER,
    PRIMARY KEY (vendor, tenant, collection, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_FORMAT = "mockservers-state-2"
_UNORDERED = "mockservers-state-1"
"""The format before rows had a position: its rows keep none, and come first, by key (as that
format listed them)."""
_WRITE = """
INSERT INTO records (vendor, tenant, collection, key, value, position) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (vendor, tenant, collection, key) DO UPDATE SET value = excluded.value
"""


_CLOCK = "clock"
"""The ``meta`` row keeping the clock: its shared map (``start``, ``started_at``, ``offset``)
and the digest of the ``[kit.clock]`` table it ran with, as JSON."""
_CLOCK_KEYS = ("start", "started_at", "offset")

log = logging.getLogger("mockservers")


class StateFileError(RuntimeError):
    """The state file cannot be used; the message says why. The file was not touched."""


def _check_existing(path: Path) -> bool:
    """Open an existing file read-only and make sure it is one of ours (or an empty database):
    whether it holds a state (its tables). Run once the file is held (``_hold``): a file with
    another name (a hard link) is refused, as the lock of one name does not keep the other."""
    try:
        with path.open("rb") as handle:
            header = handle.read(16)
            links = os.fstat(handle.fileno()).st_nlink
    except OSError as exc:
        raise StateFileError(f"cannot read state file {path}: {exc.strerror}") from exc
    if links > 1:
        raise StateFileError(
            f"state file {path} has {links} names (hard links): a kit holds a state file, and"
            " SQLite keeps its log, by name, so kits on two names would write the one file"
            " unaware of each other; keep one name (remove the other links)"
        )
    if not header:
        return False  # an empty file: a new state file
    if header != b"SQLite format 3\x00":
        raise StateFileError(f"state file {path} is not a mockservers state file (not SQLite)")
    try:
        # An SQLite URI: the path percent-encoded, else its `#`, `?` or `%` is read as the URI's
        # (under `run#1/`, `run` was opened, and made).
        db = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if tables and not {"records", "meta"} <= tables:
                raise StateFileError(f"state file {path} is an SQLite file of something else")
            if tables:
                row = db.execute("SELECT value FROM meta WHERE name='format'").fetchone()
                if row is None or row[0] not in (_FORMAT, _UNORDERED):
                    raise StateFileError(f"state file {path} has an unknown format {row!r}")
                db.execute("SELECT count(*) FROM records").fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise _unusable(path, exc) from exc
    return bool(tables)


def _unusable(path: Path, exc: sqlite3.Error) -> StateFileError:
    """An SQLite error reading the file, said as what it is: what keeps an intact file from
    being opened (an ``OperationalError`` with SQLite's code: a read-only folder, a full disk),
    or the file's own damage (a malformed database; a text that is not UTF-8, an
    ``OperationalError`` of Python's, with no code)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(exc, sqlite3.OperationalError) and code is not None and code & 0xFF in _SETTING:
        return StateFileError(f"cannot open state file {path}: {exc}")
    return StateFileError(f"state file {path} is damaged: {exc}")


_SETTING = frozenset(
    {
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_AUTH,
    }
)
"""SQLite's primary result codes for what keeps an intact file from being opened (its folder,
its disk, another process): gone once the reason is. Any other (``no such column``, SQLite's
generic error) is the file's own, a hand edit's."""

_HELD: dict[str, int] = {}
"""The state files this process holds, by their lock file: its descriptor."""


def _hold(path: Path) -> str:
    """Hold the state file ``path`` for one ``StateFile``, its lock file's name returned: an
    exclusive ``flock`` on ``<file>.lock``, which the system lets go of when the process ends,
    however it ends. Another holder is refused, another process or another kit of this one
    (two ``MockServer``s, an app built per test): each would keep its own memory and write its
    rows into the one file. A kit no longer referenced lets go of it as it is collected."""
    import fcntl  # POSIX: the kit's one use of it

    lock = f"{os.path.realpath(path)}.lock"
    if lock in _HELD:
        gc.collect()  # an app dropped without its state file closed, collected: it lets go
    if lock in _HELD:
        raise StateFileError(
            f"state file {path} is in use by another kit of this process (it holds {lock}):"
            " one kit keeps a state file; close that one (MockServer.stop(), its server's"
            " shutdown), or give this one its own file"
        )
    while True:
        try:
            descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StateFileError(f"cannot open state file {path}: {lock}: {exc.strerror}") from exc
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(descriptor)
            if isinstance(exc, BlockingIOError):
                raise StateFileError(
                    f"state file {path} is in use by another process (it holds {lock}): one"
                    " process keeps a state file; stop that one, or give this one its own file"
                ) from None
            raise StateFileError(f"cannot lock state file {path}: {exc.strerror}") from exc
        try:
            if os.path.samestat(os.stat(lock), os.fstat(descriptor)):
                _HELD[lock] = descriptor
                return lock
        except FileNotFoundError:
            pass
        os.close(descriptor)  # the holder before let go and removed it meanwhile: again


def _let_go(lock: str) -> None:
    """The StateFile holding ``lock`` closed (or was collected): the file is let go of, its
    lock file removed (while held: whoever opened it meanwhile finds it gone and takes a new
    one)."""
    descriptor = _HELD.pop(lock)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(lock)
    os.close(descriptor)


class StateFile:
    def __init__(self, path: str | Path) -> None:
        """Hold the file and open it. A file that holds a state already is only read until
        ``start_writing``, once the kit took what it holds: one the kit refuses stays exactly
        as it was, its journal mode too (a new one is set up at once)."""
        self.path = Path(path)
        self._held = weakref.finalize(self, _let_go, _hold(self.path))
        self._position = 0
        """The position the last row written was given."""
        try:
            kept = self.path.exists() and _check_existing(self.path)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            if not kept:
                self._set_up()
            self._read_format()
        except sqlite3.Error as exc:
            self._refuse()
            raise _unusable(self.path, exc) from exc
        except BaseException:
            self._refuse()
            raise
        self._pending: dict[tuple[str, str], dict[tuple[str, str], Any]] = {}
        """The rows to write, per (vendor, tenant), each by (collection, key) in the order
        written: a tenant dropped or loaded whole is one entry gone, whatever else is pending
        (filtering every row there made a load of many tenants quadratic)."""
        self._dropped: set[tuple[str, str]] = set()
        self._clock: tuple[SharedMap, str] | None = None
        """The clock's map and the digest of its config, once ``keep_clock`` is called."""
        self._clock_moved = False
        self.writes = 0
        """The writes given to keep since the file was opened (the clock's moves among them):
        whether a call changed what the file keeps."""

    def _refuse(self) -> None:
        """Let the file go when the start refuses it: closed (SQLite then takes away the
        ``-wal`` and ``-shm`` it made beside a file in WAL mode) and unlocked."""
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
        self._held()

    def _set_up(self) -> None:
        """The file as the kit writes it: WAL mode, the schema and the format in place."""
        db = self._db
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # durable against a process kill
        db.executescript(_SCHEMA)
        db.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('format', ?)", (_FORMAT,))

    def _read_format(self) -> None:
        """The file's format, and the last position its rows were given."""
        (self._format,) = self._db.execute("SELECT value FROM meta WHERE name='format'").fetchone()
        if self._format == _FORMAT:
            (last,) = self._db.execute("SELECT max(position) FROM records").fetchone()
            self._position = last or 0

    def start_writing(self) -> None:
        """The kit took what the file holds: from now on it is written (in WAL mode), a file
        of the format before positions brought up to date first."""
        try:
            self._set_up()
        except sqlite3.Error as exc:
            raise StateFileError(f"cannot open state file {self.path}: {exc}") from exc
        self._add_positions()

    def _add_positions(self) -> None:
        """Bring a file of the format before positions to this one, in place, once it is to
        be written (one whose state the kit refused at start stays as it was, for the version
        that wrote it): its rows keep none, and are listed first, by key, as they were."""
        if self._format != _UNORDERED:
            return
        try:
            self._db.execute("BEGIN")
            self._db.execute("ALTER TABLE records ADD COLUMN position INTEGER")
            self._db.execute("UPDATE meta SET value = ? WHERE name = 'format'", (_FORMAT,))
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StateFileError(f"cannot bring state file {self.path} up to date: {exc}") from exc
        self._format = _FORMAT

    # -- restoring --------------------------------------------------------------------------
    def documents(self) -> dict[str, dict[str, Any]]:
        """vendor -> a state document in the shape ``VendorState.load`` takes. A row SQLite
        cannot read (a text that is not UTF-8), or whose names are no text or position no whole
        number (SQLite keeps any type in any column: a hand edit), refuses the file as damaged."""
        out: dict[str, dict[str, Any]] = {}
        order, position = (
            ("position, key", "position") if self._format == _FORMAT else ("key", "NULL")
        )
        kinds = ", ".join(f"typeof({column})" for column in (*_NAMES, position))
        query = (
            f"SELECT vendor, tenant, collection, key, value, {position}, {kinds}"
            f" FROM records ORDER BY {order}"
        )
        try:
            # Closed when refused: a statement left open kept the file's log after the stop
            with contextlib.closing(self._db.execute(query)) as rows:
                for vendor, tenant, collection, key, value, at, *types in rows:
                    odd = _odd_columns(types, at)
                    if odd is not None:
                        raise self._damaged_row(vendor, tenant, collection, key, odd)
                    try:
                        record = orjson.loads(value)
                    except orjson.JSONDecodeError as exc:
                        why = exc if isinstance(value, bytes | str) else f"the number {value!r}"
                        raise self._damaged_row(
                            vendor, tenant, collection, key, f"its value is not JSON ({why})"
                        ) from None
                    tenants = out.setdefault(vendor, {"tenants": {}})["tenants"]
                    tenants.setdefault(tenant, {}).setdefault(collection, {})[key] = record
        except sqlite3.DatabaseError as exc:
            raise _unusable(self.path, exc) from exc
        return out

    def _damaged_row(
        self, vendor: Any, tenant: Any, collection: Any, key: Any, why: str
    ) -> StateFileError:
        return StateFileError(
            f"state file {self.path} is damaged: {vendor} state: tenant {tenant!r},"
            f" {collection} {key!r}: {why}"
        )

    def kept_clock(
        self, config: str, reads: Callable[[dict[str, float]], float]
    ) -> dict[str, float] | None:
        """The clock the file kept, if it ran with the ``[kit.clock]`` table of this digest
        (with another, or none kept: None, the clock starts afresh). ``reads``: the instant a
        clock of those values shows now. One that starts or shows an instant outside the years
        a configured start may take (a hand edit: every answer would fail to write its dates)
        refuses the file as damaged."""
        try:
            row = self._db.execute("SELECT value FROM meta WHERE name = ?", (_CLOCK,)).fetchone()
        except sqlite3.DatabaseError as exc:
            raise _unusable(self.path, exc) from exc
        if row is None:  # an earlier version's file
            return None
        try:
            kept = orjson.loads(row[0])
        except orjson.JSONDecodeError:
            kept = None
        values = {key: kept.get(key) for key in _CLOCK_KEYS} if isinstance(kept, dict) else {}
        if not values or kept.get("config") != config or not all(map(_finite, values.values())):
            log.info("state file %s: the clock it kept ran with another [kit.clock]", self.path)
            return None
        # the start is bound as the config binds it; what the clock shows, as far as a clock
        # started within those bounds runs on and can still date what it writes
        bounds = (("starts at", values["start"], LATEST), ("shows", reads(values), LAST_WRITABLE))
        for said, instant, latest in bounds:
            if not EARLIEST.timestamp() <= instant <= latest.timestamp():
                raise StateFileError(
                    f"state file {self.path} is damaged: the clock it kept (meta row"
                    f" {_CLOCK!r}) {said} {instant!r} seconds since 1970, outside"
                    f" {EARLIEST:%Y-%m-%d} to {latest:%Y-%m-%d}"
                )
        return values

    def keep_clock(self, clock: SharedMap, config: str, kept: dict[str, float] | None) -> None:
        """Put the clock the file kept (``kept_clock``) into ``clock`` (the clock's shared map;
        ``config``: the digest of ``[kit.clock]``), and keep it from now on: each move is
        written with the request's other writes."""
        for key, value in (kept or {}).items():
            clock.put(key, value)
        self._clock = (clock, config)
        self._clock_moved = True  # as it is now, with the next flush
        clock.record = self._clock_recorder

    def _clock_recorder(self, name: str, operation: str, args: tuple[Any, ...]) -> None:
        self._clock_moved = True
        self.writes += 1

    def vendors(self) -> set[str]:
        try:
            rows = self._db.execute("SELECT value FROM meta WHERE name LIKE 'vendor:%'")
            return {r[0] for r in rows}
        except sqlite3.DatabaseError as exc:
            raise _unusable(self.path, exc) from exc

    # -- recording --------------------------------------------------------------------------
    def attach(self, state: VendorState) -> None:
        """Record the vendor's writes from now on (the vendor known to the file)."""
        state.record = self.record
        self._db.execute(
            "INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)",
            (f"vendor:{state.vendor}", state.vendor),
        )

    def keep_all(self, state: VendorState) -> None:
        """Write the vendor's whole global state (a vendor new to the file: its fixtures)."""
        for name, tenant in state.tenants.items():
            self.record(state.name, "load", (name, tenant.packed_dump()))

    def record(self, name: str, operation: str, args: tuple[Any, ...]) -> None:
        """One write to a vendor's state (``VendorState``'s operations), kept until ``flush``.
        A session's tenants are not kept: a session does not outlive the process."""
        vendor, tenant = name.removeprefix("state:"), args[0]
        if owner_id(tenant) is not None:
            return
        self.writes += 1
        if operation in ("drop", "load"):
            self._pending.pop((vendor, tenant), None)  # its rows come after the others'
            self._dropped.add((vendor, tenant))
            if operation == "load":
                for collection, records in args[1].items():
                    self._keep(vendor, tenant, collection, records)
        elif operation == "seq":
            self._keep(vendor, tenant, SEQUENCES, {args[1]: args[2]})
        elif operation == "put":
            self._keep(vendor, tenant, args[1], {args[2]: args[3]})
        elif operation == "put_many":
            self._keep(vendor, tenant, args[1], args[2])

    def _keep(self, vendor: str, tenant: str, collection: str, records: dict[str, Any]) -> None:
        """Keep a tenant's rows after those it has pending. No row, no entry: a tenant comes
        among the others where its first row does."""
        if records:
            rows = self._pending.setdefault((vendor, tenant), {})
            for key, value in records.items():
                rows[(collection, key)] = value

    def _rows(self) -> Iterator[tuple[tuple[str, str], tuple[str, str], Any]]:
        """The pending rows, tenant by tenant, each tenant's in the order they were written."""
        for tenant, rows in self._pending.items():
            for key, value in rows.items():
                yield tenant, key, value

    def flush(self) -> None:
        """Commit everything recorded since the last flush in one transaction. When the file
        cannot take it (a full disk), the writes stay pending for the next flush and the caller
        gets ``StoreUnavailable`` (the vendor's 5xx body): nothing recorded is ever dropped."""
        if not self._pending and not self._dropped and not self._clock_moved:
            return
        db = self._db
        try:
            rows = [  # a row written again keeps its position (_WRITE)
                (*tenant, *key, v if isinstance(v, bytes) else orjson.dumps(v), position)
                for position, (tenant, key, v) in enumerate(self._rows(), self._position + 1)
            ]
            db.execute("BEGIN")
            try:
                dropped = sorted(self._dropped)
                db.executemany("DELETE FROM records WHERE vendor = ? AND tenant = ?", dropped)
                db.executemany(_WRITE, rows)
                if self._clock_moved and self._clock is not None:
                    clock, config = self._clock
                    kept = orjson.dumps({"config": config, **clock.data}).decode()
                    db.execute(
                        "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (_CLOCK, kept)
                    )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:  # SQLite rolled back already on some errors (SQLITE_FULL)
                    db.execute("ROLLBACK")
                raise
        except (sqlite3.Error, TypeError) as exc:
            raise StoreUnavailable(
                f"the state file {self.path} did not take the write: {exc}"
            ) from exc
        self._pending, self._dropped = {}, set()
        self._position += len(rows)
        self._clock_moved = False

    def close(self) -> None:
        """Commit what is pending and let go of the file (once: closing again does nothing).
        Writes the file still cannot take (a full disk) are lost with the process, as their
        requests' 503s said: one warning counts them (raised, a server's stop printed a
        traceback and "Application shutdown failed")."""
        if not self._held.alive:
            return
        try:
            self.flush()
        except StoreUnavailable as exc:
            rows = sum(map(len, self._pending.values()))
            writes = rows + len(self._dropped) + self._clock_moved
            log.warning(
                "state file %s: %d writes not acknowledged and not kept: %s",
                self.path,
                writes,
                exc.__cause__ or exc,
            )
        finally:
            self._db.close()
            self._held()


_NAMES = ("vendor", "tenant", "collection", "key")
"""The columns that name a record, each text as the kit writes it."""


def _odd_columns(types: list[str], position: Any) -> str | None:
    """What is wrong with the SQLite types of a row's names and position (``typeof``), if
    anything: a blob tenant listed no records, a text position stopped the first write."""
    *names, placed = types
    for column, kind in zip(_NAMES, names, strict=True):
        if kind != "text":
            return f"its {column} is {'an' if kind == 'integer' else 'a'} {kind}, not text"
    if placed not in ("integer", "null"):
        return f"its position {position!r} is not a whole number"
    return None


def _finite(value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and math.isfinite(value)
