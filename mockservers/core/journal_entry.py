"""A journal entry: one call as the journal keeps it, and its JSON-ready copy for a shared store.

An entry keeps references to the raw bodies (no copies on the hot path); masking happens when it
is read (``journal_shown.py``).
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass, field, fields
from typing import Any

_PROCESS = os.urandom(3).hex()
_IDS = map(f"{_PROCESS}%x".__mod__, itertools.count(1))
"""Entry ids, unique across the processes of one fake: this process's tag and a counter in
hex. An iterator of native code (``next`` makes each without a Python call): every call
makes an entry."""


@dataclass(slots=True)
class Entry:
    time: float
    """The kit's clock (of the call's scope) when answered, as epoch seconds."""
    vendor: str
    operation: str
    method: str
    path: str
    query: bytes
    headers: list[tuple[bytes, bytes]]
    status: int
    request_body: bytes
    response_body: bytes
    duration_ms: float
    detail: str = ""
    session: str | None = None
    tenant: str | None = None
    behaviours: list[str] = field(default_factory=list)
    response_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    raw_path: bytes | None = None
    """The path as sent, its percent-escapes kept (the ASGI ``raw_path``; ``path`` is decoded):
    what a curl line repeats. None when the server gave none."""
    source: str = "fake"
    """Who answered: ``fake`` (the kit), ``upstream`` (the real vendor behind
    ``mockservers proxy``), ``proxy`` (the proxy, for an upstream that did not answer)."""
    verdict: dict[str, list[str]] | None = None
    """A proxied call's check against the contracts: ``{"request": [...], "response": [...]}``
    (``contracts.messages.verdict``), its messages already free of secrets."""
    shadow: list[dict[str, Any]] | None = None
    """Where the shadow fake answered otherwise: ``[{"field", "upstream", "fake"}]`` (masked);
    None when no shadow compared the call."""
    body_unread: bool = False
    """The request's body was refused over ``max_body_bytes`` before it was read whole (the
    fake's 413, the proxy's): no contract can judge the call from what was kept of it."""
    answer_dropped: bool = False
    """A ``drop`` fault closed the connection after the answer's status line and headers: the
    connector read no body (``response_body`` is empty), so no contract judges one."""
    cut: dict[str, int] | None = None
    """What the journal keeps only the start of, to stay within its bounds, and what it was as
    received: ``header_lines`` (how many lines the call sent), ``request``, ``response``
    (bytes). None when it keeps the call whole."""
    id: str = field(default_factory=_IDS.__next__)
    at: float = field(default_factory=time.time)
    """Wall-clock epoch of recording: orders entries across scopes (session clocks differ)."""
    shown: bytes | None = field(default=None, init=False, compare=False, repr=False)
    """The entry as the admin API shows it, as JSON (:func:`journal_shown.shown`): made on its
    first read and kept with it, since the dashboard and ``verify`` read the same entries again
    and again."""
    brief: bytes | None = field(default=None, init=False, compare=False, repr=False)
    """The entry without its bodies, as JSON (:func:`journal_shown.shown_array` with
    ``codes``), kept too."""
    size: int = field(default=0, init=False, compare=False, repr=False)
    """What the entry counts for in its journal's byte bound, set as it is added: its bodies,
    its target, its header lines (each ``HEADER_OVERHEAD`` more) and ``ENTRY_OVERHEAD``
    (``journal_bounds.py``)."""

    def to_wire(self) -> dict[str, Any]:
        """A JSON-ready copy (bytes as latin-1 text), for a shared store: every field, spelt
        out (every call's path under a shared store)."""
        return {
            "time": self.time,
            "vendor": self.vendor,
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "query": self.query.decode("latin-1"),
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in self.headers],
            "status": self.status,
            "request_body": self.request_body.decode("latin-1"),
            "response_body": self.response_body.decode("latin-1"),
            "duration_ms": self.duration_ms,
            "detail": self.detail,
            "session": self.session,
            "tenant": self.tenant,
            "behaviours": self.behaviours,
            "response_headers": [
                [k.decode("latin-1"), v.decode("latin-1")] for k, v in self.response_headers
            ],
            "raw_path": None if self.raw_path is None else self.raw_path.decode("latin-1"),
            "source": self.source,
            "verdict": self.verdict,
            "shadow": self.shadow,
            "body_unread": self.body_unread,
            "answer_dropped": self.answer_dropped,
            "cut": self.cut,
            "id": self.id,
            "at": self.at,
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Entry:
        """An entry from :meth:`to_wire`'s copy, as any version of the kit sharing the store
        wrote it: a field of a later version is left out (a rolling upgrade, a rollback: one
        unknown field made every journal read a 500), one of an earlier version takes its
        default."""
        values = {name: value for name, value in data.items() if name in _WIRE_FIELDS}
        for name in ("query", "request_body", "response_body"):
            values[name] = values[name].encode("latin-1")
        for name in ("headers", "response_headers"):
            values[name] = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in values[name]]
        if values.get("raw_path") is not None:  # absent from an earlier version's entries
            values["raw_path"] = values["raw_path"].encode("latin-1")
        return cls(**values)


_WIRE_FIELDS = frozenset(found.name for found in fields(Entry) if found.init)
"""The fields :meth:`Entry.from_wire` takes (once: it runs for every entry a reload reads)."""
