"""Generated values: what a vendor makes up in its answers (IDs, codes, tokens, timestamps).

Two services given the same request answer with different generated values, and neither is
wrong. So each vendor declares its generated values once, as data (``Vendor.generated``): a
path in the answer body and, where a later request sends the value back, the places it goes.

A path is a dotted pattern over the parsed JSON: ``data.*.TOKEN`` (``*`` is any one key or
index, ``**`` any number of them). A place is a path over a request seen as one document,
``{"query": {...}, "headers": {...}, "body": ...}``: ``query.token``, ``headers.accesstoken``
(header names in lower case), ``body.data.testata.COD_CLI``.

A comparison skips the generated paths (:func:`is_generated`). A :class:`Translation` learns,
from two answers to one request, which value of the first service stands for which value of
the second, and rewrites the places of a later request meant for the second: the proxy's shadow
fake gets its own token and IDs where the connector sends the vendor's, and a replay sends the
replayed server's where the recording shows the recorded server's (or a masked ``***``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from contracts.charsets import content_type_of, utf8_json
from mockservers.core.http import NOT_JSON, json_of
from mockservers.core.numbers import SPELT_WHOLE

JSONPath = tuple[str | int, ...]
"""Keys and indices from the root of a JSON value to one of its parts."""

ANY = "*"
ANY_DEPTH = "**"

KEPT_VALUES = 10_000
"""How many values a :class:`Translation` keeps per place, the latest learned: more IDs than a
sandbox session makes before it sends them back (a connector imports its customers, then
quotes for them), while each login's token no longer stays for good (the table grew with every
login of the day)."""


@dataclass(frozen=True)
class Generated:
    """A value the vendor makes up: never compared; where ``carried_by`` names places of a
    request, a translation gives the second service its own value there.

    With ``inside`` (a regular expression), the value is a text that quotes a generated one
    (``Anagrafica già trovata: ExternalKey K (ID 5)``): it is compared, the parts matching the
    expression left out."""

    path: str
    carried_by: tuple[str, ...] = ()
    inside: str = ""


@cache
def pattern(text: str) -> tuple[str, ...]:
    return tuple(text.split("."))


def matches(parts: tuple[str, ...], path: JSONPath) -> bool:
    """Whether ``path`` is one of the paths the pattern ``parts`` names."""
    if not parts:
        return not path
    head, rest = parts[0], parts[1:]
    if head == ANY_DEPTH:
        return any(matches(rest, path[skip:]) for skip in range(len(path) + 1))
    if not path:
        return False
    step = path[0]
    if head == ANY or (isinstance(step, str) and step == head):
        return matches(rest, path[1:])
    return False


def is_generated(declarations: Iterable[Generated], path: JSONPath) -> bool:
    """Whether the value at ``path`` is made up as a whole (never compared)."""
    return any(not d.inside and matches(pattern(d.path), path) for d in declarations)


def same_but_generated(
    declarations: Iterable[Generated], path: JSONPath, first: Any, second: Any
) -> bool:
    """Whether two texts at ``path`` differ only in the generated values they quote."""
    if not (isinstance(first, str) and isinstance(second, str)):
        return False
    for declaration in declarations:
        if declaration.inside and matches(pattern(declaration.path), path):
            inside = _expression(declaration.inside)
            if inside.sub("…", first) == inside.sub("…", second):
                return True
    return False


@cache
def _expression(text: str) -> re.Pattern[str]:
    return re.compile(text)


def _children(first: Any, second: Any) -> Iterator[tuple[str | int, Any, Any]]:
    """The parts both values have: common keys of two objects, common indices of two arrays."""
    if isinstance(first, dict) and isinstance(second, dict):
        for key in first:
            if key in second:
                yield key, first[key], second[key]
    elif isinstance(first, list) and isinstance(second, list):
        for index, (a, b) in enumerate(zip(first, second, strict=False)):
            yield index, a, b


def pairs(first: Any, second: Any, parts: tuple[str, ...]) -> Iterator[tuple[Any, Any]]:
    """The values the pattern names in both, side by side."""
    if not parts:
        yield first, second
        return
    head, rest = parts[0], parts[1:]
    if head == ANY_DEPTH:
        yield from pairs(first, second, rest)
        for _, a, b in _children(first, second):
            yield from pairs(a, b, parts)
        return
    for key, a, b in _children(first, second):
        if head == ANY or key == head:
            yield from pairs(a, b, rest)


def _key(value: Any) -> tuple[str, Any] | None:
    """A learnable value (a string or a whole number; never a boolean), typed: ``"1"`` and
    ``1`` stand for different things. A whole number written as a float (``3.0``: PHP's
    ``json_encode`` of a float) is its integer, as a vendor reads it into an integer ID (it
    went to the fake untranslated)."""
    if isinstance(value, float) and value.is_integer():
        return "int", int(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return type(value).__name__, value


def _known_key(
    node: Any, known: dict[tuple[str, Any], Any], from_text: bool
) -> tuple[str, Any] | None:
    """The key ``known`` holds ``node`` by: its own, or with ``from_text`` that of the whole
    number a text spells (``"5"``, ``"+5"``: 5); None where it holds neither."""
    key = _key(node)
    if key is not None and key in known:
        return key
    if not (from_text and isinstance(node, str) and SPELT_WHOLE.fullmatch(node)):
        return None
    try:
        key = "int", int(node)
    except ValueError:  # more digits than Python reads: no ID learned
        return None
    return key if key in known else None


def _spelt_as(found: Any, node: Any, key: tuple[str, Any]) -> Any:
    """The value ``found`` for ``node`` (known by ``key``), a whole number written as ``node``
    writes one: a float for a float (``3.0`` translated is ``2.0``), text for text (``"3"``
    translated is ``"2"``)."""
    if key[0] != "int" or isinstance(found, bool) or not isinstance(found, int):
        return found
    if isinstance(node, float):
        return float(found)
    return str(found) if isinstance(node, str) else found


@dataclass
class Request:
    """A request as a translation rewrites it: query and header pairs, the parsed JSON body
    (``body_json`` False: the body is not JSON and stays as it is) and ``read_as``, the
    ``Content-Type`` it was read in and is written back in (``spliced.json_body``)."""

    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: Any = None
    body_json: bool = False
    read_as: str = ""

    @classmethod
    def of(
        cls,
        query: Iterable[tuple[str, str]],
        headers: Iterable[tuple[str, str]],
        body: bytes,
        *,
        charsets: bool,
    ) -> Request:
        """The request as its vendor reads its body: with ``charsets`` (``Vendor.json_charsets``,
        XTRA's ASP.NET) in UTF-8 after a UTF-8 byte order mark or from the UTF-16 its
        ``Content-Type`` declares (``contracts.charsets.utf8_json``); else its bytes as sent,
        which TS Digital, QuoParts and KeepIT refuse as no JSON then (a value translated in
        them asked the fake of a body the vendor never read). A number past a double's range
        is read as ±infinity, as the fakes read it (``contracts/infinite.py``)."""
        pairs = list(headers)
        read_as = content_type_of(pairs) if charsets else ""
        parsed = json_of(utf8_json(body, read_as) if charsets else body, past_doubles=True)
        return cls(list(query), pairs, parsed, parsed is not NOT_JSON, read_as)


class Translation:
    """Values of one service to the values of another, per place, learned answer by answer.

    A value learned again replaces the earlier one (the latest login's token wins), unless
    from an answer either side refused (:meth:`learn`); of each
    place's values, the latest ``kept`` are kept. With ``any_case``, a body place's names
    match a request's in any ASCII case, as a vendor that binds a body's names so reads them
    (XTRA's ASP.NET: ``{"id": 5}`` is its ``ID``); else as written. With ``numbers_from_text``,
    a body place's text that spells a whole number stands for that number, as a vendor whose
    binders read numbers from text takes it (XTRA: ``"ID": "5"`` is the ID 5), and is written
    as text (``"2"``); else ``"5"`` and ``5`` are apart."""

    def __init__(
        self,
        declarations: Iterable[Generated],
        kept: int = KEPT_VALUES,
        *,
        any_case: bool = False,
        numbers_from_text: bool = False,
    ) -> None:
        self.declarations = tuple(d for d in declarations if d.carried_by)
        self.kept = kept
        self.any_case = any_case
        self.numbers_from_text = numbers_from_text
        self.values: dict[str, dict[tuple[str, Any], Any]] = {}
        """Per place, the first service's values to the second's, the latest learned last."""

    def learn(self, first: Any, second: Any, *, refused: bool = False) -> None:
        """Learn from two answers to the same request (parsed JSON). ``refused``: either
        answer refuses the call or part of it: its values are learned where they are new,
        never in place of one known. A refused record echoes the value it was asked (XTRA's
        ``ER.IR.NOFOUND`` answers the ID sent as its ``Item1``), which the service never made:
        a fake asked the vendor's 3 untranslated taught 3 for 3 in place of 3 for 2, and every
        later call on that identity differed."""
        for declaration in self.declarations:
            for a, b in pairs(first, second, pattern(declaration.path)):
                key = _key(a)
                if key is None or _key(b) is None:
                    continue
                for place in declaration.carried_by:
                    known = self.values.setdefault(place, {})
                    if refused and key in known:
                        continue
                    known.pop(key, None)
                    known[key] = b
                    if len(known) > self.kept:
                        del known[next(iter(known))]

    def copy(self) -> Translation:
        """What it knows now, apart: to rewrite a request with in a thread, while the calls
        answered meanwhile learn on the event loop."""
        copied = Translation(
            self.declarations,
            self.kept,
            any_case=self.any_case,
            numbers_from_text=self.numbers_from_text,
        )
        copied.values = {place: dict(known) for place, known in self.values.items()}
        return copied

    def rewrite(self, request: Request) -> bool:
        """Put the second service's values in ``request`` where it carries the first's; True
        when something changed."""
        changed = False
        for place, known in self.values.items():
            where, _, rest = place.partition(".")
            if where in ("query", "headers"):
                pairs_ = request.query if where == "query" else request.headers
                for index, (name, value) in enumerate(pairs_):
                    same = name == rest if where == "query" else name.lower() == rest.lower()
                    found = known.get(("str", value)) if same else None
                    if found is not None:
                        pairs_[index] = (name, str(found))
                        changed = True
            elif where == "body" and request.body_json:
                parts = _folded(rest) if self.any_case else pattern(rest)
                request.body, replaced = _replace(
                    request.body, parts, known, self.any_case, self.numbers_from_text
                )
                changed = changed or replaced
        return changed


@cache
def _folded(text: str) -> tuple[str, ...]:
    """A pattern with its names in lower case, to match names in any case."""
    return tuple(part.lower() for part in pattern(text))


def _named(key: Any, head: str, any_case: bool) -> bool:
    """Whether an object's ``key`` is the pattern's name ``head`` (lower case with
    ``any_case``, and then only an ASCII key folds: .NET's ordinal comparison takes no Kelvin
    sign for a ``k``)."""
    if not any_case:
        return bool(key == head)
    return isinstance(key, str) and key.isascii() and key.lower() == head


def _replace(
    node: Any,
    parts: tuple[str, ...],
    known: dict[tuple[str, Any], Any],
    any_case: bool,
    from_text: bool,
) -> tuple[Any, bool]:
    """``node`` with the values the pattern names replaced where ``known`` has them, and
    whether any was (``any_case``: the pattern is in lower case, a name in any case;
    ``from_text``: a text spelling a whole number is that number)."""
    if not parts:
        key = _known_key(node, known, from_text)
        if key is None:
            return node, False
        return _spelt_as(known[key], node, key), True
    head, rest = parts[0], parts[1:]
    changed = False
    if head == ANY_DEPTH:
        node, changed = _replace(node, rest, known, any_case, from_text)
    if isinstance(node, dict):
        for key in list(node):
            if head in (ANY, ANY_DEPTH) or _named(key, head, any_case):
                deeper = parts if head == ANY_DEPTH else rest
                node[key], done = _replace(node[key], deeper, known, any_case, from_text)
                changed = changed or done
    elif isinstance(node, list) and head in (ANY, ANY_DEPTH):
        for index, item in enumerate(node):
            deeper = parts if head == ANY_DEPTH else rest
            node[index], done = _replace(item, deeper, known, any_case, from_text)
            changed = changed or done
    return node, changed
