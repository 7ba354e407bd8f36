"""Verification: what a test asserts about the calls its connector made.

A matcher names what a journal entry must show: ``vendor``, ``operation``, ``session``,
``tenant``, ``status``, ``error_code`` (a vendor code in the answer: ``"101"``,
``"ER.IR.EXISTS"``, ``204``) and partial documents the request must contain: ``query``,
``headers`` (names without case) and ``body`` (objects by subset, arrays element by element),
their names (and XTRA's flags' values) read as the vendor reads them, the matcher's and the
call's alike (``contracts.messages.bound_query``, ``contracts.binding.bound_body``).

Entries are compared as the journal shows them, secrets masked: a clear-text expectation of a
password never matches, and a difference never reveals one. When nothing matches, the entries
that came closest are listed first, each with its differences in words a tester reads at a
glance: ``body.data[0].COD_CLI_ERP: expected "CLI001", got "CLI01"``.
"""

from __future__ import annotations

import json
import math
from bisect import insort
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import suppress
from functools import partial
from itertools import islice
from typing import Any, NamedTuple

import orjson

from contracts import Contract, load_schema
from contracts.binding import body_names, bound_body
from contracts.infinite import read_past_doubles
from contracts.messages import bound_query, contract_for, request_contract, values_any_case
from mockservers.core.http import within_shown_depth
from mockservers.core.journal_shown import CodesOf
from mockservers.core.secretnames import MASK, is_secret, secret_header
from mockservers.core.secrets import mask_text, mask_value

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
    if isinstance(value, float) and math.isinf(value):  # read for a number past a double's range
        return f"{'-' if value < 0 else ''}infinity (a number past a double's range)"
    try:
        text = orjson.dumps(value).decode()
    except TypeError:  # a whole number beyond 64 bits (a matcher may hold one)
        text = json.dumps(value)
    return _cut(text, _SHOW_LIMIT)


Line = Callable[[], str]
"""One difference, written when it is read: an answer writes only a near miss's first ones,
and counts the rest (a 2,000-row import that missed on every row wrote 2,000 lines to keep 20)."""


def document_differences(
    expected: Any,
    actual: Any,
    where: str,
    secret: bool = False,
    secret_name: Callable[[str], bool] = is_secret,
) -> Iterator[Line]:
    """How ``actual`` fails to contain ``expected``: objects by subset, arrays element by
    element, anything else by equality. A secret is masked in the journal: it never matches a
    clear-text expectation, and no difference shows a secret, the journal's or the matcher's
    (``secret``: ``where`` is a field the journal masks; ``secret_name``: which names the
    journal masks there, ``secret_header`` for headers)."""
    if actual == MASK and expected != MASK:
        yield partial(_masked, where)
    elif isinstance(expected, dict):
        if not isinstance(actual, dict):
            yield partial(_not_a, where, "an object", actual)
            return
        for key, value in expected.items():
            path = f"{where}.{key}" if where else key
            hidden = secret or secret_name(str(key))
            if key not in actual:
                yield partial(_missing, path, value, hidden, secret_name)
            else:
                yield from document_differences(value, actual[key], path, hidden, secret_name)
    elif isinstance(expected, list):
        if not isinstance(actual, list):
            yield partial(_not_a, where, "an array", actual)
            return
        for index, value in enumerate(expected):
            path = f"{where}[{index}]"
            if index >= len(actual):
                yield partial(_missing, path, value, secret, secret_name)
            else:
                yield from document_differences(value, actual[index], path, secret, secret_name)
    elif not same_value(expected, actual):
        yield partial(_unequal, where, expected, actual, secret, secret_name)


def same_value(expected: Any, actual: Any) -> bool:
    """Whether two JSON values are the same: ``true`` is no ``1`` and ``false`` no ``0``
    (Python's ``==`` says they are; a vendor that refuses ``0`` for a flag does not), while
    ``1`` and ``1.0`` are one number, as JSON has it."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return bool(expected == actual)


def _masked(where: str) -> str:
    return f"{where}: masked in the journal, never matches a clear-text value"


def _not_a(where: str, kind: str, actual: Any) -> str:
    return f"{where}: expected {kind}, got {_show(actual)}"


def _missing(where: str, value: Any, secret: bool, secret_name: Callable[[str], bool]) -> str:
    return f"{where}: expected {_expected(value, secret, secret_name)}, missing"


def _unequal(
    where: str, expected: Any, actual: Any, secret: bool, secret_name: Callable[[str], bool]
) -> str:
    if isinstance(expected, str) and mask_text(expected) == actual:
        return f"{where}: holds a secret the journal masks: never matches a clear-text value"
    return f"{where}: expected {_expected(expected, secret, secret_name)}, got {_show(actual)}"


def _expected(value: Any, secret: bool, secret_name: Callable[[str], bool]) -> str:
    """What the matcher expected, as a difference shows it: nothing of a secret (``secret``:
    the whole value is one), and a sub-document with the values under its secret names
    masked, and its text's secrets (a form's ``password=``), as the journal would show them
    (a missing parent key printed them in clear)."""
    if secret and value != MASK:
        return "a secret value (not shown)"
    return _show(mask_value(value, secret_name, text=True))


def differences(
    matcher: dict[str, Any], entry: dict[str, Any], codes_of: CodesOf
) -> Iterator[Line]:
    """Every way a rendered journal entry misses the matcher (none: it matches), in order."""
    for key in _SCALARS:
        if _differs(matcher, entry, key):
            yield partial(_scalar, key, matcher[key], entry.get(key))
    if "error_code" in matcher:
        codes = codes_of(entry)
        if str(matcher["error_code"]) not in codes:
            yield partial(_no_code, matcher["error_code"], codes)
    query = _bound_query(entry) if "query" in matcher or "body" in matcher else None
    if query is not None and "query" in matcher:
        wanted = _wanted_query(_strings(matcher["query"]), query)
        yield from document_differences(wanted, query.read, "query")
    if "headers" in matcher:
        headers: dict[str, Any] = {}
        for name, value in (entry.get("headers") or {}).items():
            headers.setdefault(name.lower(), value)  # the first, as the journal shows one
        wanted = {k.lower(): v for k, v in _strings(matcher["headers"]).items()}
        yield from document_differences(wanted, headers, "headers", secret_name=secret_header)
    if query is not None and "body" in matcher:
        names = body_names(request_contract(entry["vendor"], entry["operation"], query.read))
        body = bound_body(names, _request_as_read(entry))
        yield from document_differences(bound_body(names, matcher["body"]), body, "body")


def _request_as_read(entry: dict[str, Any]) -> Any:
    """The entry's request body, as shown (masked), read as its fake read it: one shown as
    text for a number past a double's range (a parse would show ``null``) is read again with
    it as ±infinity (``contracts/infinite.py``), so that its other values match; its near
    misses still show the text. Text shown for any other reason stays text: JSON its vendor
    could not read (a TS Digital body in UTF-16) matches no ``body`` matcher."""
    shown = entry.get("request")
    if entry.get("request_format") != "text" or not isinstance(shown, str):
        return shown
    text = shown.encode("utf-8", "surrogatepass")
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError as refusal:
        with suppress(orjson.JSONDecodeError):  # another refusal, or no JSON past the number
            return within_shown_depth(text, read_past_doubles(text, refusal))
    return shown


class _Query(NamedTuple):
    """An entry's query as its vendor reads it, and the query contract that says how."""

    read: dict[str, str]
    contract: Contract | None


def _bound_query(entry: dict[str, Any]) -> _Query:
    """The entry's query (masked, as the journal shows it: each name with the value its vendor
    reads) as its vendor reads it, the names of a contract marked ``x-names-any-case`` in any
    spelling that parameter (``contracts.messages.bound_query``, as the fake, the journal's
    verdict and coverage read them: XTRA's ``?contactform=TRUE``)."""
    query = entry.get("query") or {}
    checked = contract_for(entry["vendor"], entry["operation"], "query")
    if checked is None:
        return _Query(dict(query), None)
    return _Query(bound_query(checked, query.items()), checked)


def _wanted_query(wanted: dict[str, str], query: _Query) -> dict[str, str]:
    """A matcher's query as the vendor would read it, beside the entry's: its names bound
    alike, and a value the vendor reads in any case (``x-values-any-case``: XTRA's flags,
    ``TRUE`` is ``true``) taken as the entry's when they differ only in case."""
    if query.contract is None:
        return wanted
    wanted = bound_query(query.contract, wanted.items())
    for name in values_any_case(query.contract) & wanted.keys():
        got = query.read.get(name)
        if got is not None and got.lower() == wanted[name].lower():
            wanted[name] = got
    return wanted


def _differs(matcher: dict[str, Any], entry: dict[str, Any], key: str) -> bool:
    """Whether the entry misses one of the matcher's scalars (``_SCALARS``)."""
    return key in matcher and matcher[key] != entry.get(key)


def _scalar(key: str, expected: Any, got: Any) -> str:
    return f"{key}: expected {_plain(expected)}, got {_plain(got)}"


def _no_code(expected: Any, codes: list[str]) -> str:
    got = ", ".join(codes) if codes else "none"
    return f"error_code: expected {_plain(expected)}, got {got}"


def _plain(value: Any) -> str:
    """A value as text, cut to a glance as :func:`_show` cuts one."""
    return _cut(value, _SHOW_LIMIT) if isinstance(value, str) else _show(value)


def _strings(values: dict[str, Any]) -> dict[str, str]:
    """Query and header values travel as text: compare them as text."""
    return {k: v if isinstance(v, str) else _plain(v) for k, v in values.items()}


def count(matcher: dict[str, Any], entries: Iterable[dict[str, Any]], codes_of: CodesOf) -> int:
    return sum(1 for entry in entries if next(differences(matcher, entry, codes_of), None) is None)


Distance = tuple[bool, bool, int]
"""How far a near miss is: another vendor is farthest, then another operation, then the number
of differences."""


class _Miss(NamedTuple):
    """A near miss as a verify keeps it: its first differences, not yet written."""

    distance: Distance
    first: list[Line]
    entry: dict[str, Any]


def verify(
    matcher: dict[str, Any],
    entries: Iterable[dict[str, Any]],
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
    matching, matched, closest = _read(matcher, entries, codes_of)
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
        result["near_misses"] = [
            {"entry": miss.entry, "differences": _at_a_glance(miss.first, miss.distance[2])}
            for miss in closest
        ]
        if matched:
            result["matches"] = matched
    else:
        result["near_misses"] = []
        result["matches"] = matched
    return result


def _read(
    matcher: dict[str, Any], entries: Iterable[dict[str, Any]], codes_of: CodesOf
) -> tuple[int, list[dict[str, Any]], list[_Miss]]:
    """How many entries match, the first ``NEAR_MISSES`` that do, and the ``NEAR_MISSES``
    closest of the others, closest first (newest first among equals): the entries are read one
    at a time, and only these are kept."""
    matching, matched, closest = 0, [], []
    for entry in entries:
        found = differences(matcher, entry, codes_of)
        first = list(islice(found, DIFFERENCES_SHOWN))
        if not first:
            matching += 1
            if len(matched) < NEAR_MISSES:
                matched.append(entry)
            continue
        distance = _distance(matcher, entry, len(first) + sum(1 for _ in found))
        insort(closest, _Miss(distance, first, entry), key=_by_distance)  # after its equals
        del closest[NEAR_MISSES:]
    return matching, matched, closest


def _by_distance(miss: _Miss) -> Distance:
    return miss.distance


def _distance(matcher: dict[str, Any], entry: dict[str, Any], differences: int) -> Distance:
    return (_differs(matcher, entry, "vendor"), _differs(matcher, entry, "operation"), differences)


def _at_a_glance(first: list[Line], differences: int) -> list[str]:
    """A near miss's differences as the answer lists them: the first ``DIFFERENCES_SHOWN``,
    each at most ``DIFFERENCE_LIMIT`` characters, then how many more there are."""
    shown = [_cut(line(), DIFFERENCE_LIMIT) for line in first]
    if differences > DIFFERENCES_SHOWN:
        shown.append(f"… and {differences - DIFFERENCES_SHOWN} more differences")
    return shown
