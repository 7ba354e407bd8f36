"""What an entry counts for in its journal's byte bound, and how one too big is cut to fit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mockservers.core.journal_entry import Entry
from mockservers.core.secrets import masked_bytes

ENTRY_OVERHEAD = 256
"""The bytes an entry counts for beside its bodies, target and header lines, in a journal's byte
bound."""
HEADER_OVERHEAD = 64
"""The bytes each header line counts for beside its name and value (the objects that hold it)."""
HEADERS_KEPT = 64 * 1024
"""The most of a call's header lines an entry keeps, counted as in its size: the HTTP layer sets
no limit on a header section (50 calls of one 1 MiB header each held 105 MB in a journal of
64 KiB). The lines after are left out, and the entry's ``cut`` says how many the call sent."""


def cut_to_fit(entry: Entry, head: int, max_bytes: int) -> int:
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


def lines_size(headers: Iterable[tuple[Any, Any]]) -> int:
    """What header lines count for in an entry's size: their names and values (bytes, or
    their Latin-1 text), and ``HEADER_OVERHEAD`` each."""
    return sum(len(name) + len(value) + HEADER_OVERHEAD for name, value in headers)


def wire_size(wire: Mapping[str, Any]) -> int:
    """An entry's size (:attr:`Entry.size`) from its :meth:`Entry.to_wire` copy, as added to
    its journal: what a shared store bounds its list by."""
    head = lines_size(wire["headers"])
    target = len(wire["path"]) + len(wire["raw_path"] or "") + len(wire["query"])
    bodies = len(wire["request_body"]) + len(wire["response_body"])
    return bodies + target + head + ENTRY_OVERHEAD
