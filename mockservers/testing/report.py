"""What a tester reads: a failed verification with its near misses, and the coverage table.

Both are plain text built from the admin API's answers, so they read the same whether the
server runs in this process, in a thread or elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import orjson

from mockservers.core.secretnames import secret_header
from mockservers.core.secrets import mask_value

_MATCHER_LIMIT = 300
_DESCRIPTION_LIMIT = 90
_REFUSAL_LIMIT = 50
_SESSION_NAME_LIMIT = 100


def matcher_text(matcher: Mapping[str, Any]) -> str:
    """The matcher as the message shows it: secrets masked, as the journal's entries are (a
    test that asserts on a password must not print it into the CI log), a text's too (a
    form's ``password=``), headers by the journal's rule for headers (a ``Cookie`` too)."""
    shown = mask_value(dict(matcher), text=True)
    headers = matcher.get("headers")
    if isinstance(headers, Mapping):
        shown["headers"] = mask_value(dict(headers), secret_header, text=True)
    try:
        text = orjson.dumps(shown, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # a whole number beyond orjson's 64 bits (a KeepIT customerCode refused)
        text = json.dumps(shown, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= _MATCHER_LIMIT else text[: _MATCHER_LIMIT - 1] + "…"


SessionNames = Mapping[str, str | None]
"""Session id -> its name (None: it has none), for the sessions an assertion's entries name."""


def entry_line(entry: Mapping[str, Any], names: SessionNames | None = None) -> str:
    """One journal entry at a glance: what was called, what it answered (the status, and the
    vendor's refusal when the status does not say it), when, which entry, and which session
    made it (with its name, when ``names`` has it): on the global scope, another test's
    session's call read as the global scope's own."""
    where = f"{entry.get('method')} {entry.get('path')}"
    return (
        f"{entry.get('vendor')} {entry.get('operation')} ({where}) -> {entry.get('status')}"
        f"{refusal_text(entry)} at {entry.get('time')} [{_which(entry, names or {})}]"
    )


def _which(entry: Mapping[str, Any], names: SessionNames) -> str:
    """``entry 4c8e042``, then ``, session ef1e4471a92f "test_x"`` for a session's call."""
    text = f"entry {entry.get('id')}"
    session = entry.get("session")
    if session is None:
        return text
    text += f", session {session}"
    name = names.get(session)
    if name:
        if len(name) > _SESSION_NAME_LIMIT:
            name = name[: _SESSION_NAME_LIMIT - 1] + "…"
        text += " " + orjson.dumps(name).decode()
    return text


def refusal_text(entry: Mapping[str, Any]) -> str:
    """`` error_code 101 "Utente non Accreditato"``: the first code of the entry's
    ``refusals`` with its message cut short, then the others' codes; those that only repeat
    the HTTP status left out (nothing when none is left)."""
    status = str(entry.get("status"))
    found = [r for r in entry.get("refusals") or () if r.get("code") != status]
    if not found:
        return ""
    first, *others = found
    text = f" error_code {first.get('code')}"
    message = first.get("message")
    if message:
        if len(message) > _REFUSAL_LIMIT:
            message = message[: _REFUSAL_LIMIT - 1] + "…"
        text += " " + orjson.dumps(message).decode()
    return text + "".join(f", {other.get('code')}" for other in others)


def sessions_named(result: Mapping[str, Any]) -> set[str]:
    """The sessions whose calls a verify's answer lists."""
    listed: Iterable[Mapping[str, Any]] = [
        *(result.get("matches") or ()),
        *(miss["entry"] for miss in result.get("near_misses") or ()),
    ]
    return {entry["session"] for entry in listed if entry.get("session") is not None}


def verify_failure(
    matcher: Mapping[str, Any], result: Mapping[str, Any], names: SessionNames | None = None
) -> str:
    """The message of a failed ``assert_called``/``assert_not_called``: what was expected, how
    many matched, the calls that matched (when some did), then the near misses closest first
    (one line per difference; none when there were too many). ``names``: the names of the
    sessions the entries name, shown beside their ids."""
    count = result.get("count", 0)
    lines = [
        f"expected {result.get('expected')} call(s) matching {matcher_text(matcher)}, found {count}"
    ]
    matches = result.get("matches") or []
    near = result.get("near_misses") or []
    if matches:
        lines.append("calls that matched, newest first:")
        lines += [f"  {n}. {entry_line(entry, names)}" for n, entry in enumerate(matches, 1)]
    if near:
        lines.append("near misses, closest first:")
        for n, miss in enumerate(near, 1):
            lines.append(f"  {n}. {entry_line(miss['entry'], names)}")
            lines += [f"       {difference}" for difference in miss["differences"]]
    if not (matches or near or count):
        lines.append("no call in this scope's journal to compare with")
    if result.get("dropped"):
        lines.append(dropped_note(int(result["dropped"]), matcher.get("vendor")))
    return "\n".join(lines)


def dropped_note(dropped: int, vendor: str | None) -> str:
    """Why an assertion cannot tell: the calls the journal pushed out (to ``vendor``, when
    the matcher names one)."""
    calls = f"older call(s) to {vendor}" if vendor else "older call(s)"
    return (
        f"the journal no longer holds {dropped} {calls} of this scope (it keeps the newest,"
        " within [kit.journal] max_entries/max_bytes, or [kit.sessions] journal_max_* for a"
        " session): raise them, or clear the journal (or reset the vendor) between steps"
    )


Report = dict[str, list[dict[str, Any]]]
"""``GET /__admin/coverage``: vendor -> ``[{"behaviour", "description", "met"}]``."""


def taken_away(before: Report, after: Report) -> Report:
    """What ``before`` counted that ``after`` no longer does (two reads around a reset)."""
    left = {
        (vendor, row["behaviour"]): int(row["met"])
        for vendor, rows in after.items()
        for row in rows
    }
    return {
        vendor: [
            {**row, "met": max(0, int(row["met"]) - left.get((vendor, row["behaviour"]), 0))}
            for row in rows
        ]
        for vendor, rows in before.items()
    }


class CoverageTally:
    """Coverage summed over several scopes and servers (sessions, workers), catalogue order
    kept: what a whole test suite met."""

    def __init__(self) -> None:
        self.vendors: dict[str, dict[str, dict[str, Any]]] = {}

    def add(self, report: Report) -> None:
        for vendor, rows in report.items():
            known = self.vendors.setdefault(vendor, {})
            for row in rows:
                slot = known.setdefault(
                    row["behaviour"], {"description": row["description"], "met": 0}
                )
                slot["met"] += int(row["met"])

    def report(self) -> Report:
        """The sum, in the shape of ``GET /__admin/coverage`` (to send between processes)."""
        return {
            vendor: [{"behaviour": b, **slot} for b, slot in rows.items()]
            for vendor, rows in self.vendors.items()
        }

    def __bool__(self) -> bool:
        return bool(self.vendors)

    def table(self, vendors: Collection[str] | None = None) -> list[str]:
        """Per vendor (of ``vendors``; None: all), each documented situation met (how often)
        or missed."""
        lines = []
        for vendor in sorted(self.vendors):
            if vendors is not None and vendor not in vendors:
                continue
            rows = self.vendors[vendor]
            met = sum(1 for slot in rows.values() if slot["met"])
            lines.append(f"{vendor}: {met} of {len(rows)} documented situations met")
            width = max(len(b) for b in rows) if rows else 0
            for behaviour, slot in rows.items():
                mark = f"met {slot['met']:>4}" if slot["met"] else "MISSED  "
                description = slot["description"]
                if len(description) > _DESCRIPTION_LIMIT:
                    description = description[: _DESCRIPTION_LIMIT - 1] + "…"
                lines.append(f"  {mark}  {behaviour:<{width}}  {description}")
        return lines
