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

import json
from collections.abc import Callable, Collection, Iterable
from typing import Any

import orjson

from contracts import load_schema
from mockservers.core.journal import CodesOf
from mockservers.core.secrets import MASK, is_secret, mask_text, mask_value, secret_header

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
_DIFFERENCES = load_schema("admin/verifyRequests.response")["properties"]["near_misses"]["items"][
    "properties"
]["differences"]
DIFFERENCES_SHOWN: int = _DIFFERENCES["maxItems"] - 1
"""How many of a near miss's differences the answer lists, before a line saying how many more
there are (its contract's bound, that line included: a 2,000-row import that missed on every
row answered 10,000 lines, 2.7 MB, and a failed assertion printed them all)."""
DIFFERENCE_LIMIT: int = _DIFFERENCES["items"]["maxLength"]
"""The longest line a difference is (its contract's bound): values are cut to a glance, but a
path through keys of any length is not."""


class MatcherError(ValueError):
    """A matcher, or bounds, the admin API refuses (400); a ``ValueError``."""


Note = tuple[Any, Any]
"""A vendor's code in an answer as the body gives it, and the message beside it (None: none)."""


def code_list(values: Iterable[Any]) -> list[str]:
    """Vendor codes as a matcher's ``error_code`` compares them: text, each once, in order,
    absent ones (None) left out. A vendor's ``answer_codes`` returns this."""
    return list(dict.fromkeys(str(value) for value in values if value is not None))


def refusals(notes: Iterable[Note], done: Collection[str]) -> list[dict[str, str | None]]:
    """``[{"code", "message"}]``: the codes of ``notes`` other than ``done`` (those that say
    the call was done in full), each once, with its first message (None when it has none)."""
    found: dict[str, str | None] = {}
    for code, message in notes:
        if code is not None and str(code) not in done:
            text = message if isinstance(message, str) and message else None
            found[str(code)] = found.get(str(code)) or text
    return [{"code": code, "message": message} for code, message in found.items()]


def check_matcher(matcher: Any) -> dict[str, Any]:
    """The matcher, refused (``MatcherError``) when a key is unknown or of the wrong type: a
    typo must fail loudly, not match nothing."""
    if not isinstance(matcher, dict):
        raise MatcherError("a matcher is a JSON object")
    unknown = set(matcher) - set(MATCHER_KEYS)
    if unknown:
        raise MatcherError(f"unknown matcher keys {sorted(unknown)}; known: {list(MATCHER_KEYS)}")
    for key in ("query", "headers"):
        if key in matcher and not isinstance(matcher[key], dict):
            raise MatcherError(f"'{key}' must be an object")
    for key in ("vendor", "operation"):
        if key in matcher and not isinstance(matcher[key], str):
            raise MatcherError(f"'{key}' must be a string")
    for key in ("session", "tenant"):
        if key in matcher and matcher[key] is not None and not isinstance(matcher[key], str):
            raise MatcherError(f"'{key}' must be a string or null")
    matcher = {k: _integral(v) if k in ("status", "error_code") else v for k, v in matcher.items()}
    status = matcher.get("status")
    if "status" in matcher and (
        isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599
    ):
        raise MatcherError("'status' must be a whole number from 100 to 599 (an HTTP status)")
    code = matcher.get("error_code")
    if "error_code" in matcher and (isinstance(code, bool) or not isinstance(code, str | int)):
        raise MatcherError("'error_code' must be a string or a whole number")
    return matcher


def check_bounds(exactly: Any = None, at_least: Any = None, at_most: Any = None) -> None:
    """Refuse (``MatcherError``) bounds no count can meet, or that contradict each other: an
    exact count beside ``at_least``/``at_most`` (one of them would be ignored silently). Values
    that are not whole numbers are left to the caller's own check."""
    if exactly is not None and (at_least is not None or at_most is not None):
        raise MatcherError(
            "'count' is an exact number of calls: give it alone, or 'at_least'/'at_most' instead"
        )
    both = (at_least, at_most)
    if all(isinstance(n, int) and not isinstance(n, bool) for n in both) and at_least > at_most:
        raise MatcherError(  # could never pass
            "'at_least' is more than 'at_most': no count is between them"
        )


def _integral(value: Any) -> Any:
    """``200.0`` as ``200``: JSON Schema (and many JSON writers) count it as an integer."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


_SHOW_LIMIT = 120


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _show(value: Any) -> str:
    """A value as JSON, cut to a glance (a whole body in a difference helps no one)."""
    if isinstance(value, str) and not value:
        return '""'
    try:
        text = orjson.dumps(value).decode()
    except TypeError:  # a whole number beyond 64 bits (a matcher may hold one)
        text = json.dumps(value)
    return _cut(text, _SHOW_LIMIT)


def document_differences(
    expected: Any,
    actual: Any,
    where: str,
    secret: bool = False,
    secret_name: Callable[[str], bool] = is_secret,
) -> list[str]:
    """How ``actual`` fails to contain ``expected``: objects by subset, arrays element by
    element, anything else by equality. A secret is masked in the journal: it never matches a
    clear-text expectation, and no difference shows a secret, the journal's or the matcher's
    (``secret``: ``where`` is a field the journal masks; ``secret_name``: which names the
    journal masks there, ``secret_header`` for headers)."""
    if actual == MASK and expected != MASK:
        return [f"{where}: masked in the journal, never matches a clear-text value"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {_show(actual)}"]
        found = []
        for key, value in expected.items():
            path = f"{where}.{key}" if where else key
            hidden = secret or secret_name(str(key))
            if key not in actual:
                shown = _expected(value, hidden, secret_name)
                found.append(f"{path}: expected {shown}, missing")
            else:
                found += document_differences(value, actual[key], path, hidden, secret_name)
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected an array, got {_show(actual)}"]
        found = []
        for index, value in enumerate(expected):
            path = f"{where}[{index}]"
            if index >= len(actual):
                shown = _expected(value, secret, secret_name)
                found.append(f"{path}: expected {shown}, missing")
            else:
                found += document_differences(value, actual[index], path, secret, secret_name)
        return found
    if expected != actual:
        if isinstance(expected, str) and mask_text(expected) == actual:
            return [f"{where}: holds a secret the journal masks: never matches a clear-text value"]
        shown = _expected(expected, secret, secret_name)
        return [f"{where}: expected {shown}, got {_show(actual)}"]
    return []


def _expected(value: Any, secret: bool, secret_name: Callable[[str], bool]) -> str:
    """What the matcher expected, as a difference shows it: nothing of a secret (``secret``:
    the whole value is one), and a sub-document with the values under its secret names
    masked, and its text's secrets (a form's ``password=``), as the journal would show them
    (a missing parent key printed them in clear)."""
    if secret and value != MASK:
        return "a secret value (not shown)"
    return _show(mask_value(value, secret_name, text=True))


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
        found += document_differences(wanted, headers, "headers", secret_name=secret_header)
    if "body" in matcher:
        found += document_differences(matcher["body"], entry.get("request"), "body")
    return found


def _plain(value: Any) -> str:
    """A value as text, cut to a glance as :func:`_show` cuts one."""
    return _cut(value, _SHOW_LIMIT) if isinstance(value, str) else _show(value)


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
    the closest entries first; ``"matches"`` lists the calls that did match, newest first, when
    some did (too few: beside the near misses; too many: alone, ``near_misses`` empty, what a
    tester needs to see then is what matched, not what missed)."""
    scored = [(differences(matcher, entry, codes_of), entry) for entry in entries]
    matched = [entry for found, entry in scored if not found]
    matching = len(matched)
    if exactly is not None:
        low, high, wanted = exactly, exactly, f"exactly {exactly}"
    else:
        low = 1 if at_least is None and at_most is None else (at_least or 0)
        high = at_most
        wanted = f"at least {low}" + (f" and at most {at_most}" if at_most is not None else "")
    if matching >= low and (high is None or matching <= high):
        return {"ok": True, "count": matching}
    result: dict[str, Any] = {"ok": False, "count": matching, "expected": wanted}
    if matching < low:
        misses = sorted((item for item in scored if item[0]), key=lambda item: _distance(item[0]))
        result["near_misses"] = [
            {"entry": entry, "differences": _at_a_glance(found)}
            for found, entry in misses[:NEAR_MISSES]
        ]
        if matched:
            result["matches"] = matched[:NEAR_MISSES]
    else:
        result["near_misses"] = []
        result["matches"] = matched[:NEAR_MISSES]
    return result


def _at_a_glance(found: list[str]) -> list[str]:
    """A near miss's differences as the answer lists them: the first ``DIFFERENCES_SHOWN``,
    each at most ``DIFFERENCE_LIMIT`` characters, then how many more there are."""
    shown = [_cut(line, DIFFERENCE_LIMIT) for line in found[:DIFFERENCES_SHOWN]]
    if len(found) > DIFFERENCES_SHOWN:
        shown.append(f"… and {len(found) - DIFFERENCES_SHOWN} more differences")
    return shown


def _distance(found: list[str]) -> tuple[bool, bool, int]:
    """How far a near miss is: another vendor is farthest, then another operation, then the
    number of differences (the sort is stable: newest first among equals)."""
    return (
        any(line.startswith("vendor:") for line in found),
        any(line.startswith("operation:") for line in found),
        len(found),
    )
