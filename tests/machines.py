"""Mutation tests of the stateful suites: a planted bug, and whether a machine catches it."""

from __future__ import annotations

from hypothesis import Phase, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from fuzz.profiles import current


def find_bug(machine: type[RuleBasedStateMachine], max_examples: int = 200) -> None:
    """Run until the first failure, without shrinking it (these tests only need to see it).

    The same cases under every profile: the question is whether the suite can catch the bug,
    not whether a random draw did (the deep profile's random 200 missed a token that never
    expires in two runs of four)."""
    profile = current().settings(max_examples, stateful=True)
    quick = settings(
        profile,
        report_multiple_bugs=False,
        phases=[Phase.generate],
        derandomize=True,
        database=None,
    )
    run_state_machine_as_test(machine, settings=quick)
