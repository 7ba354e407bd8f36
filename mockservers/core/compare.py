"""Two answers to the same request, compared the way a tester reads them.

The proxy's shadow compares the vendor's answer with a fake's; a replay compares a recorded
answer with the one it gets now. Both want the same thing: the status, the vendor's error code,
the content type, and each field of the body that differs (``body.data[0].error: "Utente non
Accreditato" vs "Accesso negato"``), with the values the vendor makes up (its
:class:`~mockservers.core.generated.Generated` declarations) left out, since two services never
make up the same token or ID.

Shown values are masked as the journal masks them (``***`` for a secret field or anything
under one), so a difference never shows a password or a token.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from mockservers.core.generated import Generated, JSONPath, is_generated, same_but_generated
from mockservers.core.http import NOT_JSON, charset_of, json_of
from mockservers.core.secretnames import MASK, is_secret
from mockservers.core.secrets import mask_text, mask_value


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()
"""A side that has no value at that place (a field missing, an array shorter, no body)."""

_SHOWN = 200
"""Characters of a value a description shows."""


@dataclass(frozen=True)
class Difference:
    """One place where two answers differ: ``field`` is ``status``, ``error code``,
    ``header.content-type``, ``body`` (a body that is not JSON) or ``body.<path>``."""

    field: str
    first: Any = ABSENT
    second: Any = ABSENT

    @property
    def general(self) -> str:
        """The field with array indices as ``[*]``: the same field in another row is the same
        field (what a summary counts)."""
        return re.sub(r"\[\d+\]", "[*]", self.field)

    def describe(self, first: str = "", second: str = "") -> str:
        """``body.error: "a" (recorded) vs "b" (replayed)``; the names are optional."""
        a, b = show(self.first), show(self.second)
        if first:
            a, b = f"{a} ({first})", f"{b} ({second})"
        return f"{self.field}: {a} vs {b}"

    def as_json(self, first: str, second: str) -> dict[str, Any]:
        """``{"field", first: value, second: value}``; a side with no value has no key."""
        found: dict[str, Any] = {"field": self.field}
        if self.first is not ABSENT:
            found[first] = self.first
        if self.second is not ABSENT:
            found[second] = self.second
        return found


def show(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    text = orjson.dumps(value).decode()
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


@dataclass(frozen=True)
class Answer:
    """What a comparison reads of an answer."""

    status: int
    body: bytes
    content_type: str = ""


Codes = Callable[[Any], list[str]]
"""A parsed answer body -> the vendor's codes in it (``Vendor.answer_codes``)."""


class _Text(str):
    """A body that is not JSON, as text."""


def differences(
    first: Answer,
    second: Answer,
    generated: Iterable[Generated] = (),
    codes: Codes = lambda body: [],
) -> list[Difference]:
    """Where ``second`` differs from ``first``, in reading order, generated values left out."""
    found = []
    if first.status != second.status:
        found.append(Difference("status", first.status, second.status))
    a, b = _parse(first.body, first.content_type), _parse(second.body, second.content_type)
    code_a, code_b = _codes(codes, a), _codes(codes, b)
    if code_a != code_b:
        found.append(Difference("error code", code_a, code_b))
    type_a, type_b = _media_type(first.content_type), _media_type(second.content_type)
    if type_a != type_b:
        found.append(Difference("header.content-type", type_a or ABSENT, type_b or ABSENT))
    if isinstance(a, _Text) or isinstance(b, _Text):
        if first.body != second.body:
            found.append(Difference("body", _shown(a, False), _shown(b, False)))
    else:
        found += _walk(a, b, (), tuple(generated), False)
    return found


def _parse(body: bytes, content_type: str) -> Any:
    """A body as compared: ``ABSENT`` when empty, text when not JSON (its bytes then compared),
    read in the charset its ``Content-Type`` declares (UTF-8 without one)."""
    if not body:
        return ABSENT
    found = json_of(body)
    if found is not NOT_JSON:
        return found
    charset = charset_of(content_type or "") or "utf-8"
    try:
        text = body.decode(charset, "replace")
    except (UnicodeError, LookupError):  # a codec that refuses even so (IDNA's)
        charset, text = "utf-8", body.decode("utf-8", "replace")
    found = json_of(text.encode("utf-8")) if charset != "utf-8" else NOT_JSON
    return _Text(text) if found is NOT_JSON else found


def _codes(codes: Codes, body: Any) -> Any:
    found = [] if body is ABSENT or isinstance(body, _Text) else codes(body)
    if not found:
        return ABSENT
    return found[0] if len(found) == 1 else found


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _walk(
    a: Any, b: Any, path: JSONPath, generated: tuple[Generated, ...], secret: bool
) -> Iterator[Difference]:
    if path and is_generated(generated, path):
        # Its value is the server's own, but not whether it is there, nor its JSON type: a
        # login answer without its TOKEN, or a number for it, is a difference.
        if (a is ABSENT) != (b is ABSENT) or (a is not ABSENT and _kind(a) != _kind(b)):
            yield Difference(field_name(path), _kind_shown(a), _kind_shown(b))
        return
    secret = secret or (bool(path) and isinstance(path[-1], str) and is_secret(path[-1]))
    if isinstance(a, dict) and isinstance(b, dict):
        for key in dict.fromkeys([*a, *b]):
            yield from _walk(
                a.get(key, ABSENT), b.get(key, ABSENT), (*path, key), generated, secret
            )
    elif isinstance(a, list) and isinstance(b, list):
        for index in range(max(len(a), len(b))):
            item_a = a[index] if index < len(a) else ABSENT
            item_b = b[index] if index < len(b) else ABSENT
            yield from _walk(item_a, item_b, (*path, index), generated, secret)
    elif not (type(a) is type(b) and a == b) and not same_but_generated(generated, path, a, b):
        yield Difference(field_name(path), _shown(a, secret), _shown(b, secret))


def _kind(value: Any) -> str:
    """A value's JSON type (``true`` is no number)."""
    if isinstance(value, bool) or value is None:
        return "boolean" if isinstance(value, bool) else "null"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array"}.get(type(value), "string")


def _kind_shown(value: Any) -> Any:
    """A generated value as a difference shows it: its type only (it is the server's own)."""
    return ABSENT if value is ABSENT else f"a {_kind(value)}"


def field_name(path: JSONPath) -> str:
    """``body.data[0].error``."""
    out = "body"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _shown(value: Any, secret: bool) -> Any:
    if value is ABSENT:
        return ABSENT
    if secret and value != "" and value is not None:  # nothing to hide in these
        return MASK
    if isinstance(value, _Text):  # not JSON (a BOM, a PHP notice first): its secrets blotted
        return mask_text(str(value))[:_SHOWN]
    return mask_value(value)
