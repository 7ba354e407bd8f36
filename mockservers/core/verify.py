"""Verification: what a test asserts about the calls its connector made.

A matcher names what a journal entry must show: ``vendor``, ``operation``, ``session``,
``tenant``, ``status``, ``error_code`` (a vendor code in the answer: ``"101"``,
``"ER.IR.EXISTS"``, ``204``) and partial documents the request must contain: ``query``,
``headers`` (names without case) and ``body`` (objects by subset, arrays element by element).

Entries are compared as the journal shows them, secrets masked: a clear-text expectation of a
password never matches, and a difference never reveals one. When nothing matches, the entries
that came closest are listed first, each with its differences in words a tester reads at a
glance: ``body.data[0].COD_CLI_ERP: expected "CLI001", got "CLI01"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

MATCHER_KEYS = (
    "vendor",
    "operation",
    "session",
    "tenant",
    "status",
    "error_code",
    "query",
    "headers",
    "body",
)
_SCALARS = ("vendor", "operation", "session", "tenant", "status")
NEAR_MISSES = 5

CodesOf = Callable[[dict[str, Any]], list[str]]
"""A rendered journal entry -> the vendor codes in its answer (strings)."""


class MatcherError(ValueError):
    """A matcher the admin API refuses (400)."""


def check_matcher(matcher: Any) -> dict[str, Any]:
    if not isinstance(matcher, dict):
        raise MatcherError("a matcher is a JSON object")
    unknown = set(matcher) - set(MATCHER_KEYS)
    if unknown:
        raise MatcherError(f"unknown matcher keys {sorted(unknown)}; known: {list(MATCHER_KEYS)}")
    for key in ("query", "headers"):
        if key in matcher and not isinstance(matcher[key], dict):
            raise MatcherError(f"'{key}' must be an object")
    return matcher


def _show(value: Any) -> str:
    return orjson.dumps(value).decode() if not isinstance(value, str) or value else '""'


def document_differences(expected: Any, actual: Any, where: str) -> list[str]:
    """How ``actual`` fails to contain ``expected``: objects by subset, arrays element by
    element, anything else by equality."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {_show(actual)}"]
        found = []
        for key, value in expected.items():
            path = f"{where}.{key}" if where else key
            if key not in actual:
                found.append(f"{path}: expected {_show(value)}, missing")
            else:
                found += document_differences(value, actual[key], path)
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected an array, got {_show(actual)}"]
        found = []
        for index, value in enumerate(expected):
            path = f"{where}[{index}]"
            if index >= len(actual):
                found.append(f"{path}: expected {_show(value)}, missing")
            else:
                found += document_differences(value, actual[index], path)
        return found
    if expected != actual:
        return [f"{where}: expected {_show(expected)}, got {_show(actual)}"]
    return []


def differences(matcher: dict[str, Any], entry: dict[str, Any], codes_of: CodesOf) -> list[str]:
    """Every way a rendered journal entry misses the matcher (none: it matches)."""
    found = []
    for key in _SCALARS:
        if key in matcher and matcher[key] != entry.get(key):
            got = entry.get(key)
            found.append(f"{key}: expected {_plain(matcher[key])}, got {_plain(got)}")
    if "error_code" in matcher:
        codes = codes_of(entry)
        if str(matcher["error_code"]) not in codes:
            got = ", ".join(codes) if codes else "none"
            found.append(f"error_code: expected {_plain(matcher['error_code'])}, got {got}")
    if "query" in matcher:
        query = {k: v for k, v in (entry.get("query") or {}).items()}
        found += document_differences(_strings(matcher["query"]), query, "query")
    if "headers" in matcher:
        headers = {k.lower(): v for k, v in (entry.get("headers") or {}).items()}
        wanted = {k.lower(): v for k, v in _strings(matcher["headers"]).items()}
        found += document_differences(wanted, headers, "headers")
    if "body" in matcher:
        found += document_differences(matcher["body"], entry.get("request"), "body")
    return found


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else _show(value)


def _strings(values: dict[str, Any]) -> dict[str, str]:
    """Query and header values travel as text: compare them as text."""
    return {k: v if isinstance(v, str) else _plain(v) for k, v in values.items()}


def count(matcher: dict[str, Any], entries: Iterable[dict[str, Any]], codes_of: CodesOf) -> int:
    return sum(1 for entry in entries if not differences(matcher, entry, codes_of))


def verify(
    matcher: dict[str, Any],
    entries: list[dict[str, Any]],
    codes_of: CodesOf,
    *,
    exactly: int | None = None,
    at_least: int | None = None,
    at_most: int | None = None,
) -> dict[str, Any]:
    """``{"ok": true, "count"}``, or ``{"ok": false, "count", "expected", "near_misses"}`` with
    the closest entries first (fewest differences, then newest)."""
    scored = [(differences(matcher, entry, codes_of), entry) for entry in entries]
    matching = sum(1 for found, _ in scored if not found)
    if exactly is not None:
        ok, wanted = matching == exactly, f"exactly {exactly}"
    else:
        low = 1 if at_least is None and at_most is None else (at_least or 0)
        ok = matching >= low and (at_most is None or matching <= at_most)
        wanted = f"at least {low}" + (f" and at most {at_most}" if at_most is not None else "")
    if ok:
        return {"ok": True, "count": matching}
    misses = sorted(
        (item for item in enumerate(scored) if item[1][0]), key=lambda item: len(item[1][0])
    )
    return {
        "ok": False,
        "count": matching,
        "expected": wanted,
        "near_misses": [
            {"entry": entry, "differences": found} for _, (found, entry) in misses[:NEAR_MISSES]
        ],
    }
