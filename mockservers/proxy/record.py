"""``--record DIR``: the exchanges with each vendor as HAR 1.2, ``DIR/<vendor>-<YYYY-MM-DD>.har``.

One file per vendor and (UTC) day, built by :class:`mockservers.core.har.Recorder` (secrets
masked by name, and every secret value it remembers blotted out wherever else it appears: the
latest :data:`~mockservers.core.blotting.KEPT` passwords and keys the connector sent, and as
many tokens). The file is written whole once, through a temporary file; after that each
exchange is written over the file's closing brackets, which follow it again: rewriting the
whole file on every exchange made each call slower as the day's file grew (2.7 s a call at
233 MB), and under load the upstream's connect timeout ran out while the event loop wrote. So
a secret first seen in a later exchange (a value the vendor quoted before the connector ever
sent it as a credential) is blotted out from that exchange on, not from the entries already
written; and a proxy killed in the middle of a write leaves a file that no longer ends as a
HAR, which the next start moves aside (``.unreadable``) rather than lose. A file of the day
that already exists (the proxy restarted) is continued, not lost. Exchanges are recorded one
after the other in a thread of the folder's own, off the event loop.

Each entry records the call as it went to the vendor (the upstream URL, the headers forwarded),
and three custom fields a replay reads: ``_vendor``, ``_operation`` and ``_upstream`` (the
vendor's base URL: the entry's URL less it is the path under the vendor's base). Its
``startedDateTime`` is the wall clock's, as the wire and the vendor's ``Date`` and logs are;
the journal's ``time`` is the kit's clock's (set by ``[kit.clock]`` for the fakes, frozen or
ahead), so ``_journal`` holds the journal entry's ``id`` and ``time`` to line the two up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from mockservers.core.clock import iso
from mockservers.core.har import Recorder
from mockservers.core.journal_entry import Entry

log = logging.getLogger("mockservers")


class HarFolder:
    """The recordings of one ``--record DIR``."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._writer = _writer()
        self._recorders: dict[Path, Recorder] = {}
        self._unwritten: dict[Path, list[dict[str, Any]]] = {}
        """Per file, the entries recorded but not yet on disk (a write failed)."""

    def path(self, vendor: str, day: datetime) -> Path:
        return self.folder / f"{vendor}-{day.strftime('%Y-%m-%d')}.har"

    async def add(self, **exchange: Any) -> Path:
        """Record one exchange (the keyword arguments of :meth:`write`), in the folder's
        writer thread, in the order they come."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, partial(self.write, **exchange))

    def close(self) -> None:
        """Wait for the exchanges being recorded (a later one gets a thread again)."""
        writer, self._writer = self._writer, _writer()
        writer.shutdown(wait=True)

    def write(
        self,
        *,
        vendor: str,
        operation: str,
        upstream: str,
        kept: Iterable[str] = (),
        journalled: Entry | None = None,
        **exchange: Any,
    ) -> Path:
        """Record one exchange (the keyword arguments of :func:`mockservers.core.har.entry`)
        at the end of its file; ``kept``: secrets blotted out for as long as the file is
        written (the upstream URL's credentials, which no exchange shows by name);
        ``journalled``: its journal entry, whose ``id`` and ``time`` (the kit's clock) go in
        ``_journal``. A file that
        cannot be written (the folder removed, the disk full) is logged, not raised: the
        connector still gets the vendor's answer, and the exchange stays in memory for the
        file's next write. Only those stay: a written entry is the file's (memory stayed at the
        size of every answer recorded since start)."""
        target = self.path(vendor, exchange["started"])
        recorder = self._recorders.get(target)
        if recorder is None:
            self._forget_earlier_days(vendor, target)
            recorder = self._recorders[target] = _continued(target)
        recorder.also_mask(*kept)
        recorded = recorder.add(**exchange)
        recorded.update(_vendor=vendor, _operation=operation, _upstream=upstream)
        if journalled is not None:
            recorded["_journal"] = {"id": journalled.id, "time": iso(journalled.time)}
        unwritten = self._unwritten.setdefault(target, [])
        unwritten.append(recorded)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if not _appended(target, unwritten):
                _write_whole(target, recorder)  # a new file: the entries not yet written
            unwritten.clear()
            recorder.entries.clear()  # the secrets it learned stay, for the entries to come
        except OSError as exc:
            log.error("cannot write the recording %s (%s): kept for its next write", target, exc)
        return target

    def _forget_earlier_days(self, vendor: str, today: Path) -> None:
        """A new day's file for ``vendor``: the earlier days' recorders go, unless they hold
        entries not yet written."""
        for path in [p for p in self._recorders if p.name.startswith(f"{vendor}-")]:
            if path != today and not self._unwritten.get(path):
                del self._recorders[path]
                self._unwritten.pop(path, None)


def _writer() -> ThreadPoolExecutor:
    """Where a folder's exchanges are recorded, one after the other, off the event loop:
    masking and writing an answer of 12 MB took seconds, every other call waiting."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="har")


_CLOSING = re.compile(rb"\]\s*\}\s*\}\s*\Z")
"""How a HAR file this module wrote ends: its entries' array, the log, the document."""


def _appended(path: Path, entries: list[dict[str, Any]]) -> bool:
    """Write ``entries`` at the end of the HAR file at ``path``, in place of its closing
    brackets, which follow them again; False when there is no such file, or it does not end as
    this module writes one (it is then written whole)."""
    try:
        handle = path.open("r+b")
    except FileNotFoundError:
        return False
    with handle:
        start, tail, closing = _closing(handle)
        if closing is None:
            return False
        empty = tail[: closing.start()].rstrip().endswith(b"[")
        texts = [
            json.dumps(e, ensure_ascii=False, indent=1).replace("\n", "\n   ") for e in entries
        ]
        added = ("\n   " if empty else ",\n   ") + ",\n   ".join(texts) + "\n  ]\n }\n}\n"
        handle.seek(start + closing.start())
        handle.write(added.encode("utf-8"))
        handle.truncate()
    return True


def _write_whole(path: Path, recorder: Recorder) -> None:
    """The whole log, through a temporary file: never a half-written file in its place."""
    text = json.dumps(recorder.document(), ensure_ascii=False, indent=1) + "\n"
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)


def _free_name(path: Path) -> Path:
    """``path``, or ``path.1``, ``path.2``…: the first no file has (one moved aside earlier
    the same day is kept too)."""
    found, number = path, 0
    while found.exists():
        number += 1
        found = path.with_name(f"{path.name}.{number}")
    return found


def _continued(path: Path) -> Recorder:
    """A recorder for the day's file, which is continued where it ends (not read: it may be
    large). A file that does not end as a HAR this module writes (a proxy killed in the middle
    of a write) is moved aside (``.unreadable``), never overwritten."""
    if path.exists() and not _closes(path):
        aside = _free_name(path.with_name(path.name + ".unreadable"))
        os.replace(path, aside)
        log.warning("%s does not end as a HAR file: moved to %s", path, aside)
    return Recorder(creator="mockservers proxy")


def _closes(path: Path) -> bool:
    """Whether the file ends as a HAR file this module writes (its entries, log, document)."""
    with path.open("rb") as handle:
        return _closing(handle)[2] is not None


def _closing(handle: BinaryIO) -> tuple[int, bytes, re.Match[bytes] | None]:
    """The file's last bytes (where they start, what they are) and its closing brackets in
    them, if it ends as this module writes a HAR file."""
    size = handle.seek(0, os.SEEK_END)
    start = max(0, size - 256)
    handle.seek(start)
    tail = handle.read()
    return start, tail, _CLOSING.search(tail)
