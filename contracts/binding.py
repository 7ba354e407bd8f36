"""A JSON body's property names as an ASP.NET vendor binds them: in any case.

ASP.NET's JSON input (Newtonsoft's, and System.Text.Json's web defaults) matches a property
whatever the case of its name, as its model binding does a query parameter's
(``messages.bound_query``): ``{"email": ...}`` fills ``EMail``. A body contract marked
``x-names-any-case`` says its vendor reads every object it describes so. :func:`body_names`
compiles, once per contract, which names each object of the body has (its ``properties``,
through ``$ref``, ``allOf``/``anyOf``/``oneOf`` and ``then``/``else``) and where its nested
objects are; :func:`bound_body` respells a parsed body's names as the contract does. The fake,
the journal's verdict and the fuzz check read a body through it alike.

Names only: a value is held to its contract's type, more strictly than either binder (a number
sent as a string, ``"ID": "1"``, is refused where both would read it; docs/assumptions/xtra.md).

Names that differ only in case are one field, whose last value in the object wins (the binder
sets the property again for each; a query parameter sent twice takes its first value). A name
no property has is kept as sent. Only ASCII names are folded: the contracts' are ASCII, and
Python's ``lower`` takes the Kelvin sign for a ``k``, which .NET's ordinal comparison does not.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from contracts.loader import Contract, registry

_COMBINATIONS = ("allOf", "anyOf", "oneOf")
_BRANCHES = ("then", "else")

Source = tuple[Any, Any]
"""A schema, with the ``referencing`` resolver of the document it is in (for its ``$ref``s)."""


class Names:
    """The names an object (and the objects in it) binds: ``exact`` the contract's spellings,
    ``spelled`` those by their lower case, ``nested`` the properties that hold objects of their
    own (a record's sub-records), ``items`` what an array's elements bind."""

    __slots__ = ("exact", "items", "nested", "spelled")

    def __init__(self, spelled: dict[str, str]) -> None:
        self.exact = frozenset(spelled.values())
        self.spelled = spelled
        self.nested: dict[str, Names] = {}
        self.items: Names | None = None


@cache
def body_names(checked: Contract | None) -> Names | None:
    """The names a body contract's objects bind, when it is marked ``x-names-any-case``; else
    None (a name is read as written). Compiled on first use, then cached."""
    if checked is None or not checked.schema.get("x-names-any-case"):
        return None
    root = registry().resolver(base_uri=checked.uri).lookup(checked.uri)
    return _compile([(root.contents, root.resolver)], {})


def bound_body(names: Names | None, body: Any) -> Any:
    """``body`` with each name of each object the contract describes as the contract spells it
    (see the module's docstring). ``body`` itself is never changed: an object or list that
    holds a respelled name is copied, the rest shared, so the common case (every name spelled
    as the contract does) costs a look at each object's names and returns ``body``."""
    return body if names is None else _bind(names, body)


def _bind(names: Names, value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return _bind_object(names, value)
    items = names.items
    if kind is list and items is not None:
        out: list[Any] | None = None
        for index, item in enumerate(value):
            bound = _bind_object(items, item) if type(item) is dict else _bind(items, item)
            if bound is not item:
                if out is None:
                    out = list(value)
                out[index] = bound
        return value if out is None else out
    return value


def _bind_object(names: Names, sent: dict[str, Any]) -> dict[str, Any]:
    value = sent if names.exact.issuperset(sent) else _respelled(names, sent)
    nested = names.nested
    for name in nested:
        held = value.get(name)
        if held is not None:
            bound = _bind(nested[name], held)
            if bound is not held:
                if value is sent:
                    value = dict(sent)
                value[name] = bound
    return value


def _respelled(names: Names, value: dict[str, Any]) -> dict[str, Any]:
    """The object with its names as the contract spells them, the last of two spellings
    winning; a new object only when a name changed."""
    exact, spelled = names.exact, names.spelled
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key not in exact and key.isascii():
            key = spelled.get(key.lower(), key)
        out[key] = item
    if out.keys() == value.keys():
        return value
    return out


def _compile(sources: list[Source], made: dict[tuple[int, ...], Names | None]) -> Names | None:
    """The names of what ``sources`` describe together; None when it holds no object with a
    property. ``made``: the names compiled so far, by their sources (a contract that refers to
    itself binds as deep as the body goes)."""
    key = tuple(id(schema) for schema, _ in sources)
    if key in made:
        return made[key]
    properties: dict[str, list[Source]] = {}
    items: list[Source] = []
    for schema, resolver in sources:
        _gather(schema, resolver, properties, items)
    names = Names({name.lower(): name for name in properties})
    made[key] = names
    names.nested = {
        name: inner
        for name, described in properties.items()
        if (inner := _compile(described, made)) is not None
    }
    names.items = _compile(items, made) if items else None
    if not properties and names.items is None:
        made[key] = None
        return None
    return names


def _gather(
    schema: Any, resolver: Any, properties: dict[str, list[Source]], items: list[Source]
) -> None:
    """Add what ``schema`` says of an object's properties and of an array's items, following
    its references and combinations."""
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        resolved = resolver.lookup(ref)
        _gather(resolved.contents, resolved.resolver, properties, items)
    for keyword in _COMBINATIONS:
        for branch in schema.get(keyword, ()):
            _gather(branch, resolver, properties, items)
    for keyword in _BRANCHES:
        _gather(schema.get(keyword), resolver, properties, items)
    for name, described in schema.get("properties", {}).items():
        properties.setdefault(name, []).append((described, resolver))
    if "items" in schema:
        items.append((schema["items"], resolver))
