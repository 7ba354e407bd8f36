"""The reading view of a schema: what a reader of an answer needs of it, none of the formats.

A contract says both what a vendor's answer is made of (which fields, of which JSON types) and
the formats the fake decided where the vendor's document is silent (a ``COD_PWD`` of 6
upper-case letters, a debug block's ``duration`` as ``hh:mm:ss.fffffff``, the error codes a
record may carry). A real vendor may write its values otherwise and still have done what was
asked; a client reading its answer refuses only what it cannot read. The view keeps the
structure: ``type``, ``properties``, ``required``, ``items``, ``prefixItems``,
``additionalProperties`` given as a schema, ``$ref`` and ``$defs``, ``allOf``, ``anyOf``,
``oneOf`` as an ``anyOf`` (which one branch an answer is matters to no reader, and without
their value rules two branches may both match: QuoParts's success and error envelopes, told
apart by ``errorCode`` "0"; kept a ``oneOf`` beside an ``anyOf`` of its own),
``if``/``then``/``else`` where ``then`` or ``else`` still decides something (the
``if`` kept whole: it only picks a branch, it refuses nothing), ``const``/``enum`` whose values
hold no string (a ``statusCode`` 200, a KeepIT ``code``), and ``minItems``/``minLength`` of 1
(the item or text read is there: a login's ``data[0]``, a token). It drops the value rules:
``pattern``, ``format``, ``const``/``enum`` of strings, other lengths and bounds, ``not``,
``additionalProperties: false``, ``uniqueItems``, and annotations.
"""

from __future__ import annotations

from typing import Any

_KEPT = frozenset({"$schema", "$id", "$ref", "type", "required"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMAS = frozenset({"items", "additionalProperties", "then", "else"})
_PRESENCE = frozenset({"minItems", "minLength"})


def reading_view(schema: Any) -> Any:
    """``schema`` without its value rules (a new schema; ``schema`` is left as it is)."""
    if not isinstance(schema, dict):
        return schema  # true, false
    view: dict[str, Any] = {}
    for keyword, value in schema.items():
        if keyword in _SCHEMA_MAPS:
            view[keyword] = {name: reading_view(sub) for name, sub in value.items()}
        elif keyword in _SCHEMA_LISTS:
            view[_named(keyword, schema)] = [reading_view(sub) for sub in value]
        elif keyword in _SCHEMAS and value is not False:
            view[keyword] = reading_view(value)
        elif _read(keyword, value):
            view[keyword] = value
    if "if" in schema and (view.get("then") or view.get("else")):
        view["if"] = schema["if"]
    else:
        view.pop("then", None)
        view.pop("else", None)
    return view


def _named(keyword: str, schema: dict[str, Any]) -> str:
    """The keyword's name in the view: ``oneOf`` is an ``anyOf`` where the schema has none."""
    return "anyOf" if keyword == "oneOf" and "anyOf" not in schema else keyword


def view_pointer(schema: Any, pointer: str) -> str:
    """``pointer``, a JSON pointer into ``schema``, as it reads in the schema's view: each
    ``oneOf`` the view names ``anyOf`` renamed (a property named ``oneOf`` kept). Past what
    the pointer finds in ``schema`` it is left as it is."""
    tokens = pointer.split("/")
    node, holds = schema, "schema"  # what ``node`` is: a schema, a map or list of them, other
    for at, token in enumerate(tokens[1:], start=1):
        name = token.replace("~1", "/").replace("~0", "~")
        if holds == "schema" and isinstance(node, dict):
            tokens[at] = _named(name, node)
            holds = _holding(name)
        else:
            holds = "schema" if holds in ("map", "list") else "other"
        try:
            node = node[int(name)] if isinstance(node, list) else node[name]
        except (LookupError, ValueError, TypeError):
            break
    return "/".join(tokens)


def _holding(keyword: str) -> str:
    """What a schema's ``keyword`` holds: a map of schemas, a list of them, one, or other."""
    if keyword in _SCHEMA_MAPS:
        return "map"
    if keyword in _SCHEMA_LISTS:
        return "list"
    return "schema" if keyword in _SCHEMAS or keyword == "if" else "other"


def _read(keyword: str, value: Any) -> bool:
    """Whether a keyword that holds no schema stays in the view."""
    if keyword in ("const", "enum"):
        return not _text_in(value)
    return keyword in _KEPT or (keyword in _PRESENCE and value == 1)


def _text_in(value: Any) -> bool:
    """Whether a ``const``'s or ``enum``'s value is, or lists, a string."""
    return any(isinstance(item, str) for item in (value if isinstance(value, list) else [value]))
