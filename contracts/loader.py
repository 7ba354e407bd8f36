"""Load every schema file once into one ``referencing.Registry`` and hand out compiled validators.

Files keep plain relative ``$ref``s (so an exported folder works with any tool); here each file is
registered under ``BASE_URI + <relative path>``, which is what lets those refs resolve.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.validators import extend
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from contracts.conditions import if_
from contracts.reading import reading_view, view_pointer
from contracts.repeats import Walker, key, walk

CONTRACTS_DIR = Path(__file__).resolve().parent
BASE_URI = "https://contracts.mockservers.invalid/"
_SKIP = {"openapi.json"}


def _type(validator: Any, types: Any, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    """JSON Schema's ``type``, and an infinity (read for a number past a double's range:
    ``1e400``, a whole number of 400 digits) an integer where the schema bounds it on the
    infinity's side or lists its values: it is whole, and judged out of the bounds (as
    ``1e300`` is) rather than of another type. Where nothing bounds it, it is no integer:
    code reading the field (``int()``) could not hold it."""
    whole = isinstance(instance, float) and math.isinf(instance) and _bounded(schema, instance)
    if not (whole and "integer" in ([types] if isinstance(types, str) else types)):
        yield from _TYPE(validator, types, instance, schema)


_TYPE = Draft202012Validator.VALIDATORS["type"]


def _bounded(schema: dict[str, Any], infinity: float) -> bool:
    """Whether a keyword beside ``type`` refuses ``infinity``: a bound on its side, a list of
    the values allowed."""
    side = ("maximum", "exclusiveMaximum") if infinity > 0 else ("minimum", "exclusiveMinimum")
    return any(name in schema for name in (*side, "enum", "const"))


_Explainer = extend(Walker, {"if": if_, "type": _type})
"""The detailed walk: equal items walked once (:mod:`contracts.repeats`), a condition explained
by the branch the instance claims (:mod:`contracts.conditions`); its ``$ref``s resolved in
:func:`walked_registry`."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One way an instance breaks a contract, with the JSON path of the offending value.

    ``expected`` is the schema keyword's value (the type, the admitted values, the maximum
    length...; for a ``pattern``, its ``x-pattern-means`` when the schema gives the regex
    words) and ``instance`` the offending value, for messages in a vendor's own words;
    ``missing`` is the absent property of a ``required`` violation.
    """

    path: tuple[str | int, ...]
    message: str
    keyword: str
    expected: Any = field(default=None, compare=False, repr=False)
    instance: Any = field(default=None, compare=False, repr=False)
    missing: str = ""

    def at(self, path: tuple[str | int, ...]) -> Violation:
        """The same violation of an equal value elsewhere."""
        return Violation(
            path, self.message, self.keyword, self.expected, self.instance, self.missing
        )

    @property
    def pointer(self) -> str:
        """The path as ``a.b[0].c`` — what the vendors' error messages name."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        return out

    @property
    def field(self) -> str:
        """The field at fault: the missing property for ``required``, else the last key."""
        if self.missing:
            return self.missing
        for part in reversed(self.path):
            if isinstance(part, str):
                return part
        return ""


ADMIN = "admin"
"""The kit's own admin API: described like a vendor (contracts/admin/), but no vendor."""


def documents() -> list[str]:
    """Every folder with an OpenAPI skeleton: each vendor, and the admin API."""
    return sorted(p.name for p in CONTRACTS_DIR.iterdir() if (p / "openapi.json").is_file())


def vendors() -> list[str]:
    """The vendors that have a contract folder (the admin API's is not one)."""
    return [name for name in documents() if name != ADMIN]


def _schema_files() -> Iterator[Path]:
    for path in sorted(CONTRACTS_DIR.rglob("*.json")):
        if path.name not in _SKIP:
            yield path


def schema_names(vendor: str | None = None) -> list[str]:
    """Names like ``quoparts/importCli.request`` (relative path without ``.json``)."""
    names = [str(p.relative_to(CONTRACTS_DIR).with_suffix("")) for p in _schema_files()]
    return [n for n in names if vendor is None or n.startswith(vendor + "/")]


def uri_for(name: str, *, reading: bool = False) -> str:
    """The URI a schema file is registered under (its reading view's: ``reading``)."""
    return f"{READING_URI if reading else BASE_URI}{name}.json"


READING_URI = f"{BASE_URI}reading/"
"""Where the files' reading views (:mod:`contracts.reading`) are registered: their relative
``$ref``s reach each other's views, never a file's own rules."""


@cache
def _documents(reading: bool) -> dict[str, Any]:
    """Every schema file by its URI; with ``reading``, every file's reading view."""
    if reading:
        return {
            uri_for(name, reading=True): reading_view(load_schema(name)) for name in schema_names()
        }
    return {
        uri_for(str(p.relative_to(CONTRACTS_DIR).with_suffix(""))): json.loads(p.read_text("utf-8"))
        for p in _schema_files()
    }


@cache
def registry() -> Registry:
    """One registry holding every schema file of every vendor, built once."""
    documents = _documents(False).items()
    return Registry().with_resources(
        (uri, DRAFT202012.create_resource(doc)) for uri, doc in documents
    )


@cache
def walked_registry(reading: bool = False) -> Registry:
    """The registry the detailed walk resolves ``$ref``s in: every file (its reading view, with
    ``reading``) without its ``$schema``. jsonschema takes up the validator its ``$schema``
    names as it enters a subschema, a file's root: the walk's own keywords (``items``, ``if``)
    stayed behind at the first ``$ref``. Every file is Draft 2020-12, as the walk is."""
    return Registry().with_resources(
        (uri, DRAFT202012.create_resource(_walked(doc))) for uri, doc in _documents(reading).items()
    )


def _walked(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key != "$schema"}


@cache
def _rs_registry(reading: bool) -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry(list(_documents(reading).items()))


def load_schema(name: str) -> dict[str, Any]:
    """The schema as stored in its file (shared, do not mutate)."""
    return _documents(False)[uri_for(name)]


class Contract:
    """A compiled validator for one message.

    ``check`` is the hot path: jsonschema-rs, compiled from the same file, answers the valid case;
    only invalid input pays for the jsonschema package's detailed, path-carrying explanation,
    and equal items (a body's repeated rows) pay for it once (:mod:`contracts.repeats`).
    """

    def __init__(self, name: str, *, reading: bool = False) -> None:
        self.name = name
        self.reading = reading
        document, part, pointer = name.partition("#")
        self.uri = uri_for(document, reading=reading)
        self.schema = _documents(reading)[self.uri]
        rooted = {**self.schema, "$id": self.uri}
        if part:  # a part of the file, by a ref (the file's own refs resolved as in it)
            if reading:  # the pointer into the file (which must reach a part of it), as it
                _part(load_schema(document), pointer, document)  # reads in the file's view
                pointer = view_pointer(load_schema(document), pointer)
            self.schema = _part(self.schema, pointer, document)
            in_uri = _in_uri(pointer)
            self.uri = f"{READING_URI if reading else BASE_URI}parts/{document}{in_uri}"
            rooted = {"$id": self.uri, "$ref": f"{uri_for(document, reading=reading)}#{in_uri}"}
        self._detailed = _Explainer(
            _walked(rooted),
            registry=walked_registry(reading),
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        self._fast = jsonschema_rs.validator_for(
            rooted, registry=_rs_registry(reading), validate_formats=True, base_uri=self.uri
        )

    def check(self, instance: Any) -> list[Violation]:
        """Every way ``instance`` breaks the contract, sorted by path; ``[]`` when it is valid.

        The two engines may disagree on an edge of a format; the detailed one has the last word.
        """
        if self._fast.is_valid(instance):
            return []
        return self._explain(instance)

    def check_each(self, items: Iterable[Any]) -> list[tuple[list[Violation], list[int]]]:
        """``check`` of each of ``items`` (a body's records), for those that break the contract:
        ``(violations, positions)``, the violations of one item (paths within it) and the
        positions of the items equal to it, in the order first met. A broken connector sends
        one invalid row thousands of times: it is explained once (the list is shared: read it,
        do not change it)."""
        found: dict[Any, tuple[list[Violation], list[int]]] = {}
        valid = self._fast.is_valid
        for position, item in enumerate(items):
            if valid(item):
                continue
            same = key(item, position)
            seen = found.get(same)
            if seen is None:
                seen = found[same] = (self._explain(item), [])
            seen[1].append(position)
        return [seen for seen in found.values() if seen[0]] if found else []

    def passes(self, instance: Any) -> bool:
        """Whether jsonschema-rs alone accepts ``instance``: the hot path's answer, nothing
        explained. False is not yet a refusal: ``check`` has the last word."""
        return self._fast.is_valid(instance)

    def is_valid(self, instance: Any) -> bool:
        return not self.check(instance)

    def _explain(self, instance: Any) -> list[Violation]:
        """The jsonschema package's violations, sorted by path (equal items walked once)."""
        found: list[Violation] = []
        for error, copies in walk(self._detailed, instance):
            for leaf in _leaves(error):
                if copies is None:
                    found.append(leaf)
                else:
                    found.extend(leaf.at(path) for path in copies(leaf.path))
        found.sort(key=lambda v: (_path_order(v.path), v.message))
        return found

    def __repr__(self) -> str:
        return f"Contract({self.name!r}{', reading=True' if self.reading else ''})"


def _path_order(path: tuple[str | int, ...]) -> tuple[tuple[int, int, str], ...]:
    """A sort key for a violation's path: array positions in order, as numbers (``[2]``
    before ``[10]``), property names alphabetically (not in the order the document writes
    them), an int never compared with a str."""
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in path)


def _leaves(error: Any) -> Iterator[Violation]:
    """Flatten ``anyOf``/``oneOf`` errors into their most specific causes: those of the branch
    the instance meant (see ``_meant``)."""
    if error.context and error.validator in ("anyOf", "oneOf"):
        for sub in _meant(_group_by_branch(error.context), _tags(error.validator_value)):
            yield from _leaves(sub)
        return
    missing = ""
    if error.validator == "required":  # the message is f"{property!r} is a required property"
        missing = str(ast.literal_eval(error.message.removesuffix(" is a required property")))
    expected = error.validator_value
    if error.validator == "pattern" and isinstance(error.schema, dict):
        expected = error.schema.get("x-pattern-means", expected)  # words, not the regex
    yield Violation(
        tuple(error.absolute_path),
        error.message,
        str(error.validator),
        expected,
        error.instance,
        missing,
    )


def _group_by_branch(context: list[Any]) -> list[list[Any]]:
    branches: dict[int, list[Any]] = {}
    for sub in context:
        branches.setdefault(sub.schema_path[0] if sub.schema_path else 0, []).append(sub)
    return list(branches.values())


def _meant(branches: list[list[Any]], tags: frozenset[str] = frozenset()) -> list[Any]:
    """The errors of the branch an instance that none admits was meant for (each once): first
    one whose tag the instance carries (``tags``: :func:`_tags`), then one it is not
    *discriminated* out of, then the one broken in the fewest places, then the first written.
    A branch is discriminated out by a ``const``, ``enum``, ``not`` or ``type`` that the
    instance, or one of its members, breaks where another branch finds its kind right (no
    such failure there nor above it): a QuoParts success answer, ``errorCode`` "0", breaks
    the error answer's ``not`` on ``errorCode`` however many of its rows lack their codes.
    The fewest errors alone blamed the branch whose rules are few. A tag decides first: a
    fault for KeepIT's ``login`` breaks the QuoParts branch's ``vendor`` and the KeepIT
    branch's ``operation``, one rule each, and was explained by the first written
    (``'quoparts' was expected``)."""
    branches = [list(_once(branch)) for branch in branches]
    kinds = [[tuple(sub.path) for sub in branch if _tells_apart(sub)] for branch in branches]

    def right_kind(index: int, path: tuple[Any, ...]) -> bool:
        return not any(path[: len(wrong)] == wrong for wrong in kinds[index])

    def out(index: int) -> bool:
        return any(
            any(right_kind(other, path) for other in range(len(branches)) if other != index)
            for path in kinds[index]
        )

    def untagged(index: int) -> bool:
        return any(
            sub.validator == "const" and len(sub.path) == 1 and sub.path[0] in tags
            for sub in branches[index]
        )

    return branches[
        min(range(len(branches)), key=lambda i: (untagged(i), out(i), len(branches[i])))
    ]


def _tags(branches: Any) -> frozenset[str]:
    """The members each branch of a ``oneOf``/``anyOf`` pins, in its own ``properties``, to a
    ``const`` of its own: a tagged union's tag (an admin fault's ``vendor``). A branch that
    is a ``$ref`` pins none here, and neither does a ``const`` one branch alone holds (a
    QuoParts success's ``error`` ""), which says how good the value is, not which it is."""
    if not isinstance(branches, list) or len(branches) < 2:
        return frozenset()
    pinned = [
        {
            name: repr(rule["const"])
            for name, rule in (branch.get("properties") or {}).items()
            if isinstance(rule, dict) and "const" in rule
        }
        if isinstance(branch, dict)
        else {}
        for branch in branches
    ]
    common = set.intersection(*(set(each) for each in pinned))
    return frozenset(n for n in common if len({each[n] for each in pinned}) == len(pinned))


def _once(errors: list[Any]) -> Iterable[Any]:
    """``errors`` with those saying the same of the same place left out (a branch's ``allOf``
    and its own properties may both require a type); an ``anyOf``/``oneOf`` kept, its own
    branches to explain."""
    return {
        id(sub) if sub.context else (tuple(sub.path), sub.validator, sub.message): sub
        for sub in errors
    }.values()


def _tells_apart(error: Any) -> bool:
    """Whether ``error`` breaks a rule that says which kind of value the instance (or one of
    its members) is, as against how good a value of that kind it is."""
    return error.validator in _DISCRIMINATING and len(error.path) <= 1


_DISCRIMINATING = frozenset({"const", "enum", "not", "type"})
"""The keywords that tell the branches of a ``oneOf``/``anyOf`` apart (an answer's code, a
record's kind, ``null`` or an object), as against those that judge a value of the branch."""


def _part(schema: Any, pointer: str, name: str) -> Any:
    """The part of ``schema`` at a JSON pointer (``/oneOf/0``; ``""`` is the whole); a
    ValueError naming the contract file (``name``) and the pointer when it reaches nothing."""
    if pointer and not pointer.startswith("/"):
        raise ValueError(f"contract {name!r}: the pointer {pointer!r} does not start with '/'")
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(schema, list) and _INDEX.fullmatch(token) and int(token) < len(schema):
            schema = schema[int(token)]
        elif isinstance(schema, dict) and token in schema:
            schema = schema[token]
        else:
            raise ValueError(
                f"contract {name!r}: the pointer {pointer!r} reaches nothing at {token!r}"
            )
    return schema


def _in_uri(pointer: str) -> str:
    """A JSON pointer as a URI writes it (RFC 6901 section 6): each token's characters a URI's
    path and fragment may not hold percent-encoded (``^_``, a ``patternProperties`` key, made
    no valid URI), ``%`` too; those it may hold (``$defs``) kept."""
    return "".join(f"/{quote(token, safe=_PCHAR)}" for token in pointer.split("/")[1:])


_PCHAR = "~!$&'()*+,;=:@"
"""What a URI's path segment holds besides letters, digits and ``-._`` (RFC 3986 ``pchar``)."""


_INDEX = re.compile(r"0|[1-9][0-9]*")
"""An array's position in a JSON pointer (RFC 6901: no sign, no leading zero)."""


@cache
def contract(name: str) -> Contract:
    """The compiled contract for ``vendor/message``; compiled on first use, then cached.
    ``vendor/message#/json/pointer`` is a part of one (``quoparts/login.response#/oneOf/0``:
    the success answer alone, whose explanation is never the error answer's)."""
    return Contract(name)


@cache
def reading(name: str) -> Contract:
    """The reading view of ``contract(name)`` (:mod:`contracts.reading`), compiled once: what
    a client reading a vendor's answer holds it to, the structure and JSON types without the
    formats the fake decided (``quoparts/importPvt.response#/oneOf/0`` takes any ``COD_DOC``
    text, refuses one that is null or missing)."""
    return Contract(name, reading=True)
