"""The request journal: bounded by count and bytes, newest first, secrets masked.

Entries keep references to the raw bodies (no copies on the hot path); masking happens when the
journal is read, so no reader — admin API, test helper, log — ever sees a secret. An entry is
rendered (masked, as JSON) on its first read and keeps that rendering.
"""

from __future__ import annotations

import itertools
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import parse_qsl, quote

import orjson

from contracts.charsets import utf8_json
from mockservers.core.clock import iso
from mockservers.core.codings import Unreadable, coding_of, undone
from mockservers.core.http import NOT_JSON, header_text, json_of, text_of
from mockservers.core.secretnames import secret_header
from mockservers.core.secrets import (
    mask_pairs,
    mask_text,
    mask_value,
    masked_bytes,
    may_hold_secret_documents,
)
from mockservers.core.sessions import EVERY
from mockservers.core.shared import Recorder
from mockservers.core.urlmasks import mask_query, may_hold_secret_urls

_BODY_PREVIEW = 64 * 1024
ENTRY_OVERHEAD = 256
"""The bytes an entry counts for beside its bodies, target and header lines, in a journal's byte
bound."""
HEADER_OVERHEAD = 64
"""The bytes each header line counts for beside its name and value (the objects that hold it)."""
HEADERS_KEPT = 64 * 1024
"""The most of a call's header lines an entry keeps, counted as in its size: the HTTP layer sets
no limit on a header section (50 calls of one 1 MiB header each held 105 MB in a journal of
64 KiB). The lines after are left out, and the entry's ``cut`` says how many the call sent."""


_PROCESS = os.urandom(3).hex()
_NUMBERS = itertools.count(1)


def _new_id() -> str:
    """Unique across the processes of one fake: this process's tag and a counter."""
    return f"{_PROCESS}{next(_NUMBERS):x}"


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
    cut: dict[str, int] | None = None
    """What the journal keeps only the start of, to stay within its bounds, and what it was as
    received: ``header_lines`` (how many lines the call sent), ``request``, ``response``
    (bytes). None when it keeps the call whole."""
    id: str = field(default_factory=_new_id)
    at: float = field(default_factory=time.time)
    """Wall-clock epoch of recording: orders entries across scopes (session clocks differ)."""
    shown: bytes | None = field(default=None, init=False, compare=False, repr=False)
    """The entry as the admin API shows it, as JSON (:func:`shown`): made on its first read and
    kept with it, since the dashboard and ``verify`` read the same entries again and again."""
    brief: bytes | None = field(default=None, init=False, compare=False, repr=False)
    """The entry without its bodies, as JSON (:func:`shown_array` with ``codes``), kept too."""
    size: int = field(default=0, init=False, compare=False, repr=False)
    """What the entry counts for in its journal's byte bound, set as it is added: its bodies,
    its target, its header lines (each ``HEADER_OVERHEAD`` more) and ``ENTRY_OVERHEAD``."""

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


def shown_body(body: bytes) -> tuple[Any, str | None]:
    """A body for display, and its format: parsed and masked if it is JSON (``"json"``), else
    its text with secrets blotted out (``"text"``, the first 64 KiB); ``(None, None)`` when
    there is none. The format tells a JSON string or ``null`` from text and from no body."""
    if not body:
        return None, None
    value = json_of(body)
    if value is NOT_JSON:
        preview = body[:_BODY_PREVIEW].decode("utf-8", "replace")
        return mask_text(preview, cut=len(body) > _BODY_PREVIEW), "text"
    inner, urls = may_hold_secret_documents(body), may_hold_secret_urls(body)
    return mask_value(value, inner=inner, urls=urls), "json"


def shown_request(entry: Entry) -> tuple[Any, str | None, bool]:
    """The request's body for display, as :func:`shown_body` shows one, and whether only its
    start is shown. A body in a ``Content-Encoding`` (gzip, deflate) is shown decoded (its
    first 64 KiB), masked: its bytes as they came would keep a password no mask can find; one
    that does not decode, not at all (a note says why). So is one in the UTF-16 its
    ``Content-Type`` declares, or after a UTF-8 byte order mark (:func:`request_text`)."""
    body = entry.request_body
    coding = coding_of(entry.headers) if body else ""
    if not coding:
        shown, format_ = shown_body(request_text(entry, body))
        return shown, format_, format_ == "text" and len(body) > _BODY_PREVIEW
    try:
        decoded = undone(body, coding, _BODY_PREVIEW)
    except Unreadable as exc:
        return f"({len(body)} bytes in {coding}, not shown: {exc})", "text", False
    if not decoded.short:
        return (*shown_body(request_text(entry, decoded.body)), False)
    text = decoded.body.decode("utf-8", "replace")
    return mask_text(text, cut=True), "text", True


def request_text(entry: Entry, body: bytes) -> bytes:
    """A request's body (as sent, or its coding undone) in UTF-8, as an ASP.NET vendor reads
    it (``contracts.charsets.utf8_json``: a UTF-8 byte order mark skipped, a declared UTF-16
    decoded): what is shown and masked of it, for every vendor."""
    return utf8_json(body, content_type(entry.headers))


def content_type(headers: list[tuple[bytes, bytes]]) -> str:
    """A request's ``Content-Type`` ("" without one)."""
    return next((header_text(v) for k, v in headers if k.lower() == b"content-type"), "")


def _fit(entry: Entry, head: int, max_bytes: int) -> int:
    """Cut an entry to fit its journal (``head``: what its header lines count for), its new
    size: its header lines to ``HEADERS_KEPT``; then, if it is still over ``max_bytes``, to a
    quarter of it, and each body to half of what is left. A target alone over ``max_bytes``
    leaves it over: the journal pushes it out at once, and counts it."""
    if head > HEADERS_KEPT:
        head = _keep_lines(entry, HEADERS_KEPT)
    bodies = len(entry.request_body) + len(entry.response_body)
    rest = _target_size(entry) + ENTRY_OVERHEAD
    if rest + head + bodies > max_bytes and head > max_bytes // 4:
        head = _keep_lines(entry, max_bytes // 4)
    if rest + head + bodies > max_bytes:
        half = max(0, max_bytes - rest - head) // 2
        if len(entry.request_body) > half:
            _note(entry, "request", len(entry.request_body))
            entry.request_body = _cut(entry.request_body, half)
        if len(entry.response_body) > half:
            _note(entry, "response", len(entry.response_body))
            entry.response_body = _cut(entry.response_body, half)
        bodies = len(entry.request_body) + len(entry.response_body)
    return rest + head + bodies


def _keep_lines(entry: Entry, budget: int) -> int:
    """Keep the first header lines that fit in ``budget`` (each counted as in an entry's
    size), noting how many the call sent; what the kept ones count for."""
    used = kept = 0
    for name, value in entry.headers:
        line = len(name) + len(value) + HEADER_OVERHEAD
        if used + line > budget:
            break
        used += line
        kept += 1
    _note(entry, "header_lines", len(entry.headers))
    entry.headers = entry.headers[:kept]
    return used


def _note(entry: Entry, part: str, size: int) -> None:
    """Say in the entry that ``part`` was cut, and its size as received (cut again, an entry
    keeps the first size it noted: the call's own)."""
    entry.cut = {part: size} | (entry.cut or {})


def _cut(body: bytes, size: int) -> bytes:
    """A body cut to ``size`` bytes for a bounded journal, masked first: cut JSON no longer
    parses, and a file's contents or a password it held would show."""
    return body if len(body) <= size else masked_bytes(body)[:size]


def _target_size(entry: Entry) -> int:
    return len(entry.path) + len(entry.raw_path or b"") + len(entry.query)


def _lines_size(headers: Iterable[tuple[Any, Any]]) -> int:
    """What header lines count for in an entry's size: their names and values (bytes, or
    their Latin-1 text), and ``HEADER_OVERHEAD`` each."""
    return sum(len(name) + len(value) + HEADER_OVERHEAD for name, value in headers)


def wire_size(wire: Mapping[str, Any]) -> int:
    """An entry's size (:attr:`Entry.size`) from its :meth:`Entry.to_wire` copy, as added to
    its journal: what a shared store bounds its list by."""
    head = _lines_size(wire["headers"])
    target = len(wire["path"]) + len(wire["raw_path"] or "") + len(wire["query"])
    bodies = len(wire["request_body"]) + len(wire["response_body"])
    return bodies + target + head + ENTRY_OVERHEAD


ANY_VENDOR = ""
"""The vendor of pushed-out calls whose vendor is not known (a shared store's count, kept by an
earlier version per scope only): no vendor's reset clears them, and every vendor counts them."""


class _Log:
    """One scope's entries, oldest first, within its bounds."""

    __slots__ = ("bytes", "dropped", "entries", "max_bytes", "max_entries")

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.entries: deque[Entry] = deque()
        self.bytes = 0
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.dropped: dict[str, int] = {}
        """Entries pushed out to keep within the bounds, by vendor, since the scope's journal
        was cleared (a vendor's count: since that vendor's entries were)."""

    def append(self, entry: Entry) -> None:
        # Entry.size, spelt out: this is every call's path. A plain loop is the quickest way
        # to add up the header lines (a third of a µs for ten of them; sum() or b"".join()
        # over them take half as long again).
        headers = entry.headers
        head = HEADER_OVERHEAD * len(headers)
        for name, value in headers:
            head += len(name) + len(value)
        size = (
            len(entry.request_body)
            + len(entry.response_body)
            + len(entry.path)
            + len(entry.raw_path or b"")
            + len(entry.query)
            + head
            + ENTRY_OVERHEAD
        )
        if size > self.max_bytes or head > HEADERS_KEPT:  # rare: keep the entry, cut to fit
            size = _fit(entry, head, self.max_bytes)
        entry.size = size
        entries = self.entries
        entries.append(entry)
        self.bytes += size
        while len(entries) > self.max_entries or self.bytes > self.max_bytes:
            gone = entries.popleft()
            self.bytes -= gone.size
            self.dropped[gone.vendor] = self.dropped.get(gone.vendor, 0) + 1

    def drop_vendor(self, vendor: str) -> None:
        self.entries = deque(e for e in self.entries if e.vendor != vendor)
        self.bytes = sum(e.size for e in self.entries)
        self.dropped.pop(vendor, None)

    def dropped_of(self, vendor: str | None) -> int:
        """How many calls of ``vendor`` (None: of every vendor) were pushed out; calls whose
        vendor is not known count for every vendor."""
        if vendor is None:
            return sum(self.dropped.values())
        return self.dropped.get(vendor, 0) + self.dropped.get(ANY_VENDOR, 0)


GLOBAL = ""
"""The journal's key for the global scope (a session's entries are kept under its id)."""


class Journal:
    """The request journal, kept per scope: the global one and each session's, each bounded by
    entries and bytes, so a busy session never pushes another's entries out."""

    name = "journal"

    def __init__(
        self,
        max_entries: int = 1000,
        max_bytes: int = 8 * 1024 * 1024,
        *,
        session_max_entries: int = 1000,
        session_max_bytes: int = 2 * 1024 * 1024,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.session_max_entries = session_max_entries
        self.session_max_bytes = session_max_bytes
        self.record_op: Recorder | None = None
        self._logs: dict[str, _Log] = {}

    def _log(self, scope: str) -> _Log:
        log = self._logs.get(scope)
        if log is None:
            if scope == GLOBAL:
                log = _Log(self.max_entries, self.max_bytes)
            else:
                log = _Log(self.session_max_entries, self.session_max_bytes)
            self._logs[scope] = log
        return log

    def fit(self, entry: Entry) -> None:
        """Cut the entry to fit its scope's bound now, as :meth:`record` would: the masking
        that takes may then run off the event loop (an entry no one else holds yet)."""
        bound = self.session_max_bytes if entry.session else self.max_bytes
        _fit(entry, _lines_size(entry.headers), bound)

    def record(self, entry: Entry) -> None:
        if self.max_entries <= 0:
            return
        self._log(entry.session or GLOBAL).append(entry)
        if self.record_op is not None:
            self.record_op(self.name, "append", (entry.to_wire(),))

    def pushed_out(self, scope: str | None, vendor: str, count: int) -> None:
        """Count ``count`` calls of ``vendor`` as pushed out of one scope's journal (None: the
        global one's) though they never were in it: entries of calls a shared store kept
        nothing of, which the process holding them let go (``core/unjournalled.py``)."""
        if self.max_entries <= 0:
            return
        self._pushed_out(vendor, scope or GLOBAL, count)
        if self.record_op is not None:
            self.record_op(self.name, "pushed_out", (vendor, scope or GLOBAL, count))

    def _pushed_out(self, vendor: str, scope: str, count: int) -> None:
        dropped = self._log(scope).dropped
        dropped[vendor] = dropped.get(vendor, 0) + count

    def clear(self, *, scope: str | None = None, vendor: str | None = None) -> None:
        """Clear one scope's entries (None: the global scope's), of one vendor or all."""
        self._clear(vendor, scope or GLOBAL)
        if self.record_op is not None:
            self.record_op(self.name, "clear", (vendor, scope or GLOBAL))

    def _clear(self, vendor: str | None, scope: str) -> None:
        if vendor is None:
            self._logs.pop(scope, None)
        elif scope in self._logs:
            self._logs[scope].drop_vendor(vendor)

    def apply(self, operation: str, args: tuple[Any, ...]) -> None:
        if operation == "append":
            entry = Entry.from_wire(args[0])
            self._log(entry.session or GLOBAL).append(entry)
        elif operation == "clear":
            self._clear(args[0], args[1])
        elif operation == "pushed_out":
            self._pushed_out(args[0], args[1], args[2])
        else:
            raise ValueError(f"journal: unknown operation {operation!r}")

    def replace(self, entries: Iterable[Entry], dropped: Mapping[str, Mapping[str, int]]) -> None:
        """Hold these entries (oldest first, each in its scope's log), and nothing else: a
        shared store's reload, which hands back the entries it still knows, renderings kept,
        and how many each scope has dropped, by vendor (the store bounds its lists as a log
        does)."""
        self._logs = {}
        for scope, counts in dropped.items():  # a scope with none left counts them too
            self._log(scope).dropped = dict(counts)
        for entry in entries:  # re-bounded here as the store bounded them: adding to the count
            self._log(entry.session or GLOBAL).append(entry)

    def __len__(self) -> int:
        return sum(len(log.entries) for log in self._logs.values())

    def dropped(self, scope: str | None = EVERY, vendor: str | None = None) -> int:
        """How many calls of ``vendor`` (None: of any) one scope's journal (None: the global
        one's), or every scope's, has pushed out to keep within its bounds: calls no count
        can include any more."""
        if scope == EVERY:
            return sum(log.dropped_of(vendor) for log in self._logs.values())
        log = self._logs.get(scope or GLOBAL)
        return log.dropped_of(vendor) if log is not None else 0

    @property
    def bytes(self) -> int:
        return sum(log.bytes for log in self._logs.values())

    def entries(self, scope: str | None = EVERY) -> list[Entry]:
        """One scope's entries (None: the global scope), or every scope's, newest first."""
        if scope == EVERY:
            logs = list(self._logs.values())
        else:
            found = self._logs.get(scope or GLOBAL)
            logs = [found] if found is not None else []
        if len(logs) == 1:
            return list(reversed(logs[0].entries))
        return sorted((e for log in logs for e in log.entries), key=lambda e: e.at, reverse=True)

    def find(self, entry_id: str) -> Entry | None:
        for log in self._logs.values():
            for entry in log.entries:
                if entry.id == entry_id:
                    return entry
        return None

    def matching(
        self,
        vendor: str | None = None,
        operation: str | None = None,
        limit: int | None = None,
        scope: str | None = EVERY,
    ) -> list[Entry]:
        """Matching entries, newest first (``limit``: at most that many, 0 none)."""
        out: list[Entry] = []
        if limit is not None and limit <= 0:
            return out
        for entry in self.entries(scope):
            if vendor and entry.vendor != vendor:
                continue
            if operation and entry.operation != operation:
                continue
            out.append(entry)
            if limit is not None and len(out) >= limit:
                break
        return out


CodesOf = Callable[[dict[str, Any]], list[str]]
"""A rendered journal entry -> the vendor codes in its answer (strings)."""


def shown(entry: Entry) -> bytes:
    """:func:`render`'s JSON, made once per entry. Masking walks both bodies: 200 entries of
    100-row QuoParts imports took 0.1 s of CPU to render, on every read, and the dashboard
    reads them every second (docs/performance.md)."""
    if entry.shown is None:
        entry.shown = orjson.dumps(render(entry))
    return entry.shown


def rendered(entries: Iterable[Entry]) -> Iterator[dict[str, Any]]:
    """The entries as the admin API shows them (secrets masked), from each one's kept JSON,
    each parsed as it is read: a count or a verify keeps a few, and 16,000 entries parsed all
    at once held every one of them, the collector walking them again and again as they grew
    (0.9 s of CPU, where one at a time takes 0.1 to 0.2 s)."""
    return (orjson.loads(shown(entry)) for entry in entries)


def shown_array(entries: Iterable[Entry], codes: CodesOf | None = None) -> bytes:
    """The entries as the admin API's JSON array, put together from each one's kept JSON.
    With ``codes``, each without its bodies, with the vendor's codes in its answer instead
    (``codes`` reads them from the entry as shown): what a poll of the list needs."""
    if codes is None:
        return b"[" + b",".join(map(shown, entries)) + b"]"
    return b"[" + b",".join(shown_brief(entry, codes) for entry in entries) + b"]"


def shown_brief(entry: Entry, codes: CodesOf) -> bytes:
    """The entry's JSON without its bodies, with the vendor's codes in its answer instead
    (``codes`` reads them from the entry as shown), made once per entry."""
    if entry.brief is None:
        entry.brief = orjson.dumps(brief(render(entry), codes))
    return entry.brief


def brief(full: dict[str, Any], codes: CodesOf) -> dict[str, Any]:
    """A rendered entry without its bodies, with the vendor's codes in its answer instead."""
    shown = {key: value for key, value in full.items() if key not in ("request", "response")}
    return shown | {"codes": codes(full)}


def render(entry: Entry) -> dict[str, Any]:
    request, request_format, request_cut = shown_request(entry)
    response, response_format = shown_body(entry.response_body)
    lines = _masked_headers(entry.headers)
    return {
        "time": iso(entry.time),
        "vendor": entry.vendor,
        "operation": entry.operation,
        "method": entry.method,
        "path": entry.path,
        "target": text_of(sent_target(entry)),
        "query": dict(mask_pairs(parse_qsl(entry.query.decode("latin-1"), keep_blank_values=True))),
        "headers": dict(lines),
        "header_lines": [list(line) for line in lines],
        "status": entry.status,
        "request": request,
        "request_format": request_format,
        "response": response,
        "response_format": response_format,
        "duration_ms": round(entry.duration_ms, 3),
        "detail": entry.detail or None,
        "id": entry.id,
        "session": entry.session,
        "tenant": entry.tenant,
        "behaviours": list(entry.behaviours),
        "response_headers": dict(_masked_headers(entry.response_headers)),
        "source": entry.source,
        "verdict": entry.verdict,
        "shadow": entry.shadow,
        "cut": _shown_in_part(entry, request_cut, response_format),
    }


def _shown_in_part(
    entry: Entry, request_cut: bool, response_format: str | None
) -> dict[str, int] | None:
    """What the entry shows only the start of, and its size as received: what the journal cut
    (``Entry.cut``), and a body longer than its preview."""
    parts = dict(entry.cut or {})
    if request_cut:
        parts.setdefault("request", len(entry.request_body))
    if response_format == "text" and len(entry.response_body) > _BODY_PREVIEW:
        parts.setdefault("response", len(entry.response_body))
    return parts or None


def _masked_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """Header lines as text (UTF-8, else Latin-1), in order, secret values masked."""
    return mask_pairs(((k.decode("latin-1"), header_text(v)) for k, v in headers), secret_header)


def sent_target(entry: Entry) -> bytes:
    """The request target as the call sent it, percent-escapes and repeated parameters kept,
    the values of secret parameters masked."""
    path = entry.raw_path if entry.raw_path is not None else quote(entry.path).encode("latin-1")
    query = mask_query(entry.query.decode("latin-1")).encode("latin-1")
    return path + b"?" + query if query else path
