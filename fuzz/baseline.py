"""``--baseline FILE``: failures already accepted do not fail the run; new ones do.

A failure is keyed by what stays the same from run to run — vendor, operation, generation mode
and check — never by the random request that showed it. Against the current run:

- *new*: failed now, not in the file: the run fails (exit 1);
- *known*: failed now and in the file: reported, the run does not fail on it;
- *fixed*: in the file, its operation and mode ran to the end, and it did not fail: reported,
  so that the file can be tightened (``--update-baseline``).

Entries of another vendor, and of operations or modes the run did not complete (the budget ran
out before or during them; a dry run completes none), are neither fixed nor dropped.
``--update-baseline`` rewrites the file: this vendor's entries become exactly the current
failures (each surviving entry keeps its ``note``), everything else stays as it was.

The file is JSON, sorted, one entry per key, so that it diffs well in review::

    {"format": 1, "accepted": [{"vendor": "quoparts", "operation": "importPvt",
      "mode": "positive", "check": "status_code_conformance", "message": "…", "note": ""}]}
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fuzz.runner import Finding, OperationReport

FORMAT = 1
_FIELDS = ("vendor", "operation", "mode", "check")


class BaselineError(Exception):
    """The file is not a baseline this version can read (a usage problem: exit 2)."""


@dataclass(frozen=True, order=True)
class Key:
    """What identifies an accepted failure."""

    vendor: str
    operation: str
    mode: str
    check: str

    @property
    def label(self) -> str:
        return f"{self.operation}[{self.mode}] {self.check}"


def key_of(vendor: str, finding: Finding) -> Key:
    return Key(vendor, finding.operation, finding.mode, finding.check)


@dataclass(frozen=True)
class Comparison:
    """The current failures against the baseline."""

    new: list[Finding]
    known: list[Finding]
    fixed: list[Key]


def load(path: str | Path) -> dict[Key, dict[str, Any]]:
    """The accepted failures in ``path`` (none when the file does not exist yet)."""
    source = Path(path)
    if not source.exists():
        return {}
    try:
        document = json.loads(source.read_text("utf-8"))
        if document.get("format") != FORMAT:
            raise ValueError(f"format {document.get('format')!r}, expected {FORMAT}")
        entries = {Key(*(str(e[f]) for f in _FIELDS)): dict(e) for e in document["accepted"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BaselineError(f"{source}: not a fuzz baseline ({exc})") from None
    return entries


def completed(reports: Sequence[OperationReport], *, cut: bool) -> set[tuple[str, str]]:
    """(operation, mode) of the reports that ran to the end; ``cut``: the run stopped early
    (budget), so its last report may not have."""
    done = reports[:-1] if cut else reports
    return {(r.operation, r.mode) for r in done}


def compare(
    accepted: dict[Key, dict[str, Any]],
    vendor: str,
    reports: Sequence[OperationReport],
    ran: Collection[tuple[str, str]],
) -> Comparison:
    """Sort the run's failures into new and known, and find the accepted ones now fixed
    (among the operations and modes that ``ran`` to the end, see :func:`completed`)."""
    failing = _findings(reports)
    new = [f for f in failing if key_of(vendor, f) not in accepted]
    known = [f for f in failing if key_of(vendor, f) in accepted]
    still = {key_of(vendor, f) for f in failing}
    fixed = sorted(
        key
        for key in accepted
        if key.vendor == vendor and (key.operation, key.mode) in ran and key not in still
    )
    return Comparison(new, known, fixed)


def write(
    path: str | Path,
    accepted: dict[Key, dict[str, Any]],
    vendor: str,
    reports: Sequence[OperationReport],
    ran: Collection[tuple[str, str]],
) -> Path:
    """Rewrite ``path``: this vendor's failures of the operations and modes that ``ran`` become
    exactly the current ones; every other entry stays (and every failure seen is added)."""
    kept = {
        key: entry
        for key, entry in accepted.items()
        if key.vendor != vendor or (key.operation, key.mode) not in ran
    }
    for finding in _findings(reports):
        key = key_of(vendor, finding)
        note = accepted.get(key, {}).get("note", "")
        kept[key] = {**_entry(key), "message": _first_line(finding.message), "note": note}
    document = {"format": FORMAT, "accepted": [kept[key] for key in sorted(kept)]}
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return target


def _findings(reports: Iterable[OperationReport]) -> list[Finding]:
    return [finding for report in reports for finding in report.findings]


def _entry(key: Key) -> dict[str, str]:
    return {field: getattr(key, field) for field in _FIELDS}


def _first_line(message: str) -> str:
    """What the failure said, for the reader of the file (not part of the key)."""
    line = message.strip().splitlines()[0] if message.strip() else ""
    return line[:300]
