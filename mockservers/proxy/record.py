"""``--record DIR``: the exchanges with each vendor as HAR 1.2, ``DIR/<vendor>-<YYYY-MM-DD>.har``.

One file per vendor and (UTC) day, built by :class:`mockservers.core.har.Recorder` (secrets
masked by name, and every secret value seen blotted out wherever else it appears) and rewritten
whole after each exchange, through a temporary file: the file on disk is always a complete,
valid HAR. A file of the day that already exists (the proxy restarted) is continued, not lost.

Each entry records the call as it went to the vendor (the upstream URL, the headers forwarded),
and
three custom fields a replay reads: ``_vendor``, ``_operation`` and ``_upstream`` (the vendor's
base URL: the entry's URL less it is the path under the vendor's base).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from mockservers.core.har import Recorder

log = logging.getLogger("mockservers")


class HarFolder:
    """The recordings of one ``--record DIR``."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._recorders: dict[Path, Recorder] = {}

    def path(self, vendor: str, day: datetime) -> Path:
        return self.folder / f"{vendor}-{day.strftime('%Y-%m-%d')}.har"

    def add(self, *, vendor: str, operation: str, upstream: str, **exchange: Any) -> Path:
        """Record one exchange (the keyword arguments of :func:`mockservers.core.har.entry`)
        and rewrite its file. A file that cannot be written (the folder removed, the disk
        full) is logged, not raised: the connector still gets the vendor's answer, and the
        exchange stays in memory for the file's next write."""
        target = self.path(vendor, exchange["started"])
        recorder = self._recorders.get(target)
        if recorder is None:
            recorder = self._recorders[target] = _continued(target)
        recorded = recorder.add(**exchange)
        recorded.update(_vendor=vendor, _operation=operation, _upstream=upstream)
        text = json.dumps(recorder.document(), ensure_ascii=False, indent=1) + "\n"
        temporary = target.with_name(target.name + ".tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary.write_text(text, "utf-8")
            os.replace(temporary, target)
        except OSError as exc:
            log.error("cannot write the recording %s (%s): kept for its next write", target, exc)
        return target


def _continued(path: Path) -> Recorder:
    """A recorder holding the entries already in ``path`` (already masked), if any. A file that
    is not a HAR is moved aside (``.unreadable``), never overwritten."""
    recorder = Recorder(creator="mockservers proxy")
    if not path.exists():
        return recorder
    try:
        entries = json.loads(path.read_text("utf-8"))["log"]["entries"]
        if not isinstance(entries, list):
            raise TypeError("log.entries is not a list")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        aside = path.with_name(path.name + ".unreadable")
        os.replace(path, aside)
        log.warning("%s is not a HAR file (%s): moved to %s", path, exc, aside)
        return recorder
    recorder.entries.extend(entries)
    return recorder
