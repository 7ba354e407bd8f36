"""``if``/``then``/``else`` explained by the branch the instance claims: a condition that fails
only on members breaking their own rules decides nothing.

XTRA's record outcome says: ``Item3`` true, then ``Item4`` is null; else ``Item4`` is an
object and ``Item5``/``Item6`` are empty. A record with ``Item3: "true"`` fails the ``if`` for
its type alone, and the plain walk explained it by the ``else`` too: beside ``'true' is not of
type 'boolean'``, ``Item4`` and ``Item6`` were held to the rules of a failed record, which the
record never said it was. Here, when every way the instance fails the ``if`` lies in a member
that also breaks the schema's own ``properties`` rule for it (a violation reported there),
neither branch is explained. A condition failed on a valid member (``Item3: false``), or on the
instance itself (a ``required`` member missing), takes its ``else`` as before.

Only the explanation changes: whether an instance is valid is jsonschema-rs's answer
(``loader.Contract.check``), and the member's own violation always remains.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.protocols import Validator

_IF = Draft202012Validator.VALIDATORS["if"]


def if_(
    validator: Validator, condition: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """The ``if`` keyword, explaining no branch when the condition is undecided."""
    if not _undecided(validator, condition, instance, schema):
        yield from _IF(validator, condition, instance, schema)


def _undecided(validator: Validator, condition: Any, instance: Any, schema: dict[str, Any]) -> bool:
    """Whether ``instance`` fails ``condition`` only in members that break their own rule in
    ``schema``'s ``properties``."""
    rules = schema.get("properties")
    if not isinstance(rules, dict) or not isinstance(instance, dict):
        return False
    failed = list(validator.descend(instance, condition))
    return bool(failed) and all(
        error.path
        and (name := error.path[0]) in rules
        and next(validator.descend(instance[name], rules[name], path=name), None) is not None
        for error in failed
    )
