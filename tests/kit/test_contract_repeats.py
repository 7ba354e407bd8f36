"""A body that repeats its rows is explained as the jsonschema package alone would explain it,
each distinct row walked once (``contracts.repeats``, ``Contract.check_each``)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.validators import extend

from contracts import Violation, contract
from contracts.conditions import if_
from contracts.loader import Contract, _leaves, _path_order, walked_registry
from contracts.repeats import Walker, walk

_Conditions = extend(Draft202012Validator, {"if": if_})


def plain(checked: Contract, instance: Any) -> list[Violation]:
    """``check`` as it was before repeats: every item of every array walked (conditions
    explained as the kit explains them, :mod:`contracts.conditions`)."""
    if checked.passes(instance):
        return []
    validator = _Conditions(
        {**checked.schema, "$id": checked.uri},
        registry=walked_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    found = [leaf for error in validator.iter_errors(instance) for leaf in _leaves(error)]
    found.sort(key=lambda v: (_path_order(v.path), v.message))  # in document order
    return found


def told(violations: list[Violation]) -> list[tuple[Any, ...]]:
    """Everything a violation tells, ``expected`` and ``instance`` too (they are left out of
    its ``==``): what the vendors' messages are made of."""
    return [
        (v.path, v.message, v.keyword, repr(v.expected), repr(v.instance), v.missing)
        for v in violations
    ]


VALUES = st.sampled_from(
    ["", "x", "F", "I", "2024-02-30", "2024-02-29", 0, 1, -1, 1.0, 1.5, True, None, [], [1], {}]
)


def rows(fields: list[str]) -> st.SearchStrategy[Any]:
    """Rows as a broken connector sends them: some of the contract's fields, wrong or right,
    now and then something that is no row at all."""
    row = st.dictionaries(st.sampled_from([*fields, "Other"]), VALUES, max_size=5)
    return st.one_of(row, row, row, VALUES)


def repeated(row: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    """A few distinct rows, each sent several times, in any order."""
    return st.lists(row, min_size=1, max_size=4).flatmap(
        lambda pool: st.lists(st.sampled_from(pool), min_size=1, max_size=25)
    )


def _fields(name: str) -> list[str]:
    return list(contract(name).schema["properties"])


def _bodies() -> st.SearchStrategy[tuple[str, Any]]:
    customer = rows(_fields("quoparts/defs/customer"))
    identity = rows([*_fields("xtra/defs/contactFormIdentity"), "ID", "IdentityDocuments"])
    record = st.fixed_dictionaries(
        {"action": st.sampled_from(["I", "Z"])},
        optional={"subjects": rows(_fields("keepit/defs/subjects"))},
    )
    owners = st.lists(st.sampled_from(["a", 1, None, [1]]), max_size=4).flatmap(
        lambda pool: st.lists(st.sampled_from(pool or ["a"]), max_size=25)
    )
    return st.one_of(
        repeated(customer).map(lambda b: ("quoparts/importCli.request", {"data": b})),
        repeated(identity).map(lambda b: ("xtra/updateIdentities.contactForm.request", b)),
        repeated(identity).map(lambda b: ("xtra/updateIdentities.request", b)),
        repeated(st.one_of(record, VALUES)).map(
            lambda b: ("keepit/insertClient_v3.request", {"subjectsRecords": b})
        ),
        owners.map(
            lambda ids: ("tsdigital/createItem.request", {"ownerIds": ids, "item": {"base": {}}})
        ),
    )


@settings(max_examples=150, derandomize=True, database=None, deadline=None)
@given(case=_bodies())
def test_a_repeating_body_is_explained_as_the_plain_walk_explains_it(
    case: tuple[str, Any],
) -> None:
    """Same violations, same order, same words: the per-row errors, the detail header and the
    journal's verdict are made of them."""
    name, body = case
    checked = contract(name)
    assert told(checked.check(body)) == told(plain(checked, body))


@settings(max_examples=100, derandomize=True, database=None, deadline=None)
@given(records=repeated(rows(_fields("xtra/defs/contactFormIdentity"))))
def test_check_each_is_check_of_each_equal_item_once(records: list[Any]) -> None:
    checked = contract("xtra/defs/contactFormIdentity")
    each = [checked.check(record) for record in records]
    grouped = checked.check_each(records)
    assert sorted(p for _, positions in grouped for p in positions) == [
        p for p, found in enumerate(each) if found
    ]
    for violations, positions in grouped:
        assert all(told(each[p]) == told(violations) for p in positions)
        assert all(records[p] == records[positions[0]] for p in positions)
    firsts = [positions[0] for _, positions in grouped]
    assert firsts == sorted(firsts)  # in the order first met


def test_equal_rows_are_walked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """5,000 copies of one broken row cost one detailed walk, 5,000 distinct ones 5,000."""
    checked = contract("quoparts/defs/customer")
    walks = []
    explain = Contract._explain
    monkeypatch.setattr(Contract, "_explain", lambda self, x: walks.append(x) or explain(self, x))
    assert len(checked.check_each([{"FLG_ATV": 1}] * 5000)) == 1
    assert len(walks) == 1
    groups = checked.check_each([{"COD_CLI_ERP": i} for i in range(50)])
    assert [positions for _, positions in groups] == [[i] for i in range(50)]
    assert len(walks) == 51


def test_equal_items_tell_1_from_true_and_keys_order() -> None:
    """Equal is equal JSON, as the messages quote it: ``1`` is not ``true`` nor ``1.0``, and
    ``{"a":1,"b":2}`` is quoted otherwise than ``{"b":2,"a":1}``."""
    checked = contract("tsdigital/createItem.request")
    body = {"ownerIds": [1, True, 1.0, {"a": 1, "b": 2}, {"b": 2, "a": 1}, 1], "item": {}}
    assert [v.message for v in checked.check(body) if v.path[:1] == ("ownerIds",)] == [
        "1 is not of type 'string'",
        "True is not of type 'string'",
        "1.0 is not of type 'string'",
        "{'a': 1, 'b': 2} is not of type 'string'",
        "{'b': 2, 'a': 1} is not of type 'string'",
        "1 is not of type 'string'",
    ]


def test_a_row_repr_cannot_write_is_walked_on_its_own() -> None:
    """An integer of more than 4,300 digits has no ``repr`` (no key): its rows are walked one
    by one, and explained all the same (no message quotes it here)."""
    rows = [{"X": 10**5000}, {"X": 10**5000}, {"X": 1}, {"X": 1}]
    checked = contract("quoparts/importCli.request")
    assert checked.check({"data": rows}) == plain(checked, {"data": rows})
    grouped = contract("quoparts/defs/customer").check_each(rows)
    assert [positions for _, positions in grouped] == [[0], [1], [2, 3]]


def _errors(schema: dict[str, Any], instance: Any) -> list[tuple[Any, ...]]:
    """The walk's errors, each copied to the paths it stands for: (path, message, context)."""
    found = []
    for error, copies in walk(Walker(schema), instance):
        path = tuple(error.absolute_path)
        for each in copies(path) if copies else [path]:
            found.append((each, error.message, len(error.context)))
    return sorted(found, key=repr)


def _plain_errors(schema: dict[str, Any], instance: Any) -> list[tuple[Any, ...]]:
    found = [
        (tuple(e.absolute_path), e.message, len(e.context))
        for e in Draft202012Validator(schema).iter_errors(instance)
    ]
    return sorted(found, key=repr)


ROW = {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}
SCHEMAS = {
    "rows of rows": (
        {"type": "array", "items": {"type": "array", "items": ROW}},
        [[{}, {"a": 1}, {}], [{}, {"a": 1}, {}], [{"a": "x"}], [{}, {"a": 1}, {}]],
    ),
    "rows in a branch": (  # an anyOf counts its branches' errors: walked plainly
        {"anyOf": [{"type": "array", "items": ROW}, {"type": "array", "maxItems": 1}]},
        [{}, {}, {"a": 1}, {}],
    ),
    "rows in a branch of a row": (
        {"type": "array", "items": {"oneOf": [{"type": "array", "items": ROW}, ROW]}},
        [[{}, {}], [{}, {}], {}],
    ),
    "rows by position": (  # prefixItems walks items by position
        {"type": "array", "prefixItems": [ROW, {"type": "integer"}], "items": ROW},
        [{}, {}, {}, {}],
    ),
    "rows under not": (
        {"type": "array", "items": ROW, "not": {"items": {"required": ["b"]}}},
        [{"b": 1}, {"b": 1}, {}],
    ),
}


@pytest.mark.parametrize("name", SCHEMAS)
def test_the_walk_finds_the_plain_walks_errors(name: str) -> None:
    schema, instance = SCHEMAS[name]
    assert _errors(schema, instance) == _plain_errors(schema, instance)


def test_rows_in_a_branch_are_walked_plainly() -> None:
    schema, instance = SCHEMAS["rows in a branch"]
    assert all(copies is None for _, copies in walk(Walker(schema), instance))
