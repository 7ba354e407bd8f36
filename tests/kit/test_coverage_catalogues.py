"""The coverage catalogues hold together: every situation the code marks is catalogued, every
Behaviour a vendor defines is in its catalogue, and ids are stable dotted names.

Read from the source (``ast``), so a ``met(...)`` on a path no test runs is checked too; the
per-vendor ``test_coverage.py`` modules prove the other direction (each catalogued situation is
provoked by a scenario).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mockservers.core.coverage import Behaviour
from mockservers.core.vendor import Vendor
from mockservers.vendors import VENDOR_CLASSES

MARKERS = {"met", "note"}
"""``met(b)`` and ``coverage.note(b, scope)``: the two ways code marks a situation."""
LOCAL_NAMES = {"behaviour"}
"""Loop variables over a plan's behaviours (KeepIT): their values are Behaviour references
checked where they are written."""
ID = re.compile(r"^[a-z]+\.[a-z][a-z0-9_]*$")


def modules(vendor: type[Vendor]) -> list[ModuleType]:
    package = importlib.import_module(f"mockservers.{vendor.name}")
    names = [m.name for m in pkgutil.iter_modules(package.__path__, f"{package.__name__}.")]
    return [importlib.import_module(name) for name in names]


def behaviours_in(value: Any) -> list[Behaviour]:
    if isinstance(value, Behaviour):
        return [value]
    if isinstance(value, dict):
        return [b for v in value.values() for b in behaviours_in(v)]
    if isinstance(value, list | tuple | set | frozenset):
        return [b for v in value for b in behaviours_in(v)]
    return []


def resolve(node: ast.AST, module: ModuleType) -> list[Any]:
    """The module-level objects an expression refers to (``coverage.X``, ``NAME``)."""
    found: list[Any] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
            owner = getattr(module, sub.value.id, None)
            if isinstance(owner, ModuleType) and hasattr(owner, sub.attr):
                found.append(getattr(owner, sub.attr))
        elif isinstance(sub, ast.Name) and sub.id in vars(module):
            found.append(vars(module)[sub.id])
    return found


def marks(module: ModuleType) -> list[tuple[int, ast.expr]]:
    """(line, argument) of every ``met(...)``/``….note(...)`` call in a module."""
    tree = ast.parse(inspect.getsource(module))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in MARKERS:
            found.append((node.lineno, node.args[0]))
    return found


@pytest.mark.parametrize("vendor", VENDOR_CLASSES, ids=lambda v: v.name)
def test_every_marked_situation_is_catalogued(vendor: type[Vendor]) -> None:
    catalogue = set(vendor.behaviours)
    problems = []
    total = 0
    for module in modules(vendor):
        for line, argument in marks(module):
            total += 1
            where = f"{module.__name__}:{line}"
            if isinstance(argument, ast.Name) and argument.id in LOCAL_NAMES:
                continue
            found = [b for obj in resolve(argument, module) for b in behaviours_in(obj)]
            if not found:
                problems.append(f"{where}: {ast.unparse(argument)} names no Behaviour")
            problems += [f"{where}: {b.id} is not catalogued" for b in found if b not in catalogue]
    assert total >= len(catalogue) // 2, "the check found suspiciously few marks"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("vendor", VENDOR_CLASSES, ids=lambda v: v.name)
def test_every_behaviour_a_vendor_defines_is_catalogued(vendor: type[Vendor]) -> None:
    catalogue = set(vendor.behaviours)
    defined = {b for module in modules(vendor) for b in behaviours_in(list(vars(module).values()))}
    assert defined - catalogue == set()
    assert catalogue, f"{vendor.name} has no catalogue"


@pytest.mark.parametrize("vendor", VENDOR_CLASSES, ids=lambda v: v.name)
def test_ids_are_stable_dotted_names_under_the_vendor(vendor: type[Vendor]) -> None:
    ids = [b.id for b in vendor.behaviours]
    assert len(ids) == len(set(ids))
    assert all(ID.match(i) and i.startswith(f"{vendor.name}.") for i in ids), ids
    assert all(len(b.description) > 15 for b in vendor.behaviours)


@pytest.mark.parametrize("vendor", VENDOR_CLASSES, ids=lambda v: v.name)
def test_docs_list_every_catalogued_situation(vendor: type[Vendor]) -> None:
    """docs/testing.md names each situation (its id without the vendor's prefix, in code)."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "testing.md").read_text("utf-8")
    row = next(line for line in page.splitlines() if line.startswith(f"| {vendor.title} ("))
    listed = set(re.findall(r"`(?:[a-z]+\.)?([a-z0-9_]+)`", row))
    short = {b.id.split(".", 1)[1] for b in vendor.behaviours}
    assert listed == short, f"missing {sorted(short - listed)}, unknown {sorted(listed - short)}"
    assert f"{vendor.title} ({len(short)})" in row
