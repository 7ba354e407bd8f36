"""Each plug-in's per-case choices take their options in the shares its docs promise, even when
Hypothesis draws its simplest value every time (``fuzz.choices``).

Hypothesis draws 0, ``False`` or a list's first element far more often than anything else (82
of 100 draws of a TS Digital run): drawn alone, a choice leaned to its first option. Here every
draw is the simplest, the worst case, over cases that differ: each option must still get about
its share. The measured shares of real runs are in docs/fuzzing.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from schemathesis import Case

from fuzz.choices import Choices
from fuzz.plugins import VendorPlugin
from fuzz.plugins.keepit import Plugin as KeepIt
from fuzz.schema import api_operations

_found: dict[str, Any] = {}


def simplest(strategy: Any) -> Any:
    """What Hypothesis shrinks ``strategy`` to: 0 for a choice, ``"0"`` for a wrong password, a
    fixed UUID (found once per strategy: finding a filtered text takes 0.2 s)."""
    described = repr(strategy)
    if described not in _found:
        _found[described] = find(strategy, lambda _: True)
    return _found[described]


def shares(
    plugin: VendorPlugin, cases: list[Case], outcome: Callable[[Case], list[str]]
) -> Counter[str]:
    """The ``outcome`` of each case once the plug-in prepared it with the simplest draws."""
    seen: Counter[str] = Counter()
    for case in cases:
        plugin.prepare(case, simplest)
        seen.update(outcome(case))
    return seen


def about(seen: Counter[str], share: float, count: int, *names: str) -> None:
    """Each of ``names`` came out in ``share`` of ``count`` cases, give or take a third."""
    for name in names:
        assert share * count * 2 / 3 <= seen[name] <= share * count * 4 / 3, (name, seen)


def test_keepit_keeps_the_generated_credentials_and_probes_one_case_in_eight_each() -> None:
    """Drawn with integers(0, 7) alone, 0 kept the generated credentials: a run spent 11 of its
    30 positive cases on 401s. The cases differ in their generated headers alone, as the cases
    of a run repeating a body do: the checksum read no headers, and sent every such case the
    same way."""
    operation = api_operations("keepit")["insertClient_v3"]
    body = {"subjectsRecords": [{"subjects": {"customerCode": "C1"}}]}
    cases = [
        operation.Case(headers={"username": f"someone{number}", "password": "x"}, body=body)
        for number in range(800)
    ]

    def outcome(case: Case) -> list[str]:
        username, password = case.headers["username"], case.headers["password"]
        own = username == "demo"
        return ["own" if own and password == "demo" else "probe" if own else "kept"]

    about(shares(KeepIt.demo(), cases, outcome), 1 / 8, 800, "kept", "probe")


def test_a_failure_met_through_a_choice_is_replayed_and_shrunk() -> None:
    """The choice is the same each time Hypothesis replays a case, so that a failure it depends
    on is shrunk and reported (the simplest case, its draw moved), not called flaky."""
    operation = api_operations("tsdigital")["createItem"]
    tried: list[int] = []

    @settings(max_examples=200, derandomize=True, database=None)
    @given(number=st.integers(0, 10**6), data=st.data())
    def chooses(number: int, data: st.DataObject) -> None:
        tried.append(number)
        case = operation.Case(body={"name": f"item{number}"})
        assert Choices(data.draw, case).one_of("abcd") != "d"

    with pytest.raises(AssertionError):
        chooses()
    assert max(tried) > 0 and tried[-1] == 0  # the failure reported is the shrunk one
