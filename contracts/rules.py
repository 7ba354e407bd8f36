"""A contract's consistency rules, by the names the contract gives them.

A rule is an entry of the contract's root ``allOf`` with ``x-rule`` (its name), ``title``
(what it asks, in a few words) and a ``not`` of the combination it forbids: TS Digital's
``certified-validated`` refuses ``certified=true`` without ``validated=true``. The validator
explains a broken one by quoting the whole body and the ``not`` schema; the fakes and the
clients name the rule instead, from here, so a rule is named as its contract names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from contracts.loader import Contract, Violation


@dataclass(frozen=True)
class Rule:
    """One consistency rule: ``name`` (its ``x-rule``), ``title`` and ``forbidden`` (the
    ``not`` schema of the combination it refuses)."""

    name: str
    title: str
    forbidden: Any

    def __str__(self) -> str:
        return f"rule {self.name} ({self.title})"


@cache
def rules(checked: Contract) -> tuple[Rule, ...]:
    """The contract's consistency rules, in the order it writes them (none for most)."""
    return tuple(
        Rule(entry["x-rule"], entry.get("title", ""), entry["not"])
        for entry in checked.schema.get("allOf", ())
        if isinstance(entry, dict) and "x-rule" in entry and "not" in entry
    )


def broken_rule(checked: Contract, violation: Violation) -> Rule | None:
    """The rule of ``checked`` that ``violation`` breaks; None for any other violation."""
    if violation.keyword != "not" or violation.path:
        return None
    return next((rule for rule in rules(checked) if rule.forbidden == violation.expected), None)


def structural(checked: Contract, violations: list[Violation]) -> list[Violation]:
    """``violations`` that break no rule of ``checked``: the body's shape, which comes first.
    A rule's ``not`` is broken by a body that is no object at all (``required`` passes on a
    non-object): that rule was never broken, the body's type was."""
    return [v for v in violations if broken_rule(checked, v) is None]
