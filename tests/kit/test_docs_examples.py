"""The worked examples of docs/testing.md work as written, together: each ```python block that
starts with ``# test_<name>.py`` or ``# conftest.py`` is written to that file and run by an inner
pytest, with the shipped plugin's fixtures, as a user's suite would run them (the TS Digital
example failed beside the page's own conftest.py, which sets a processing delay)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.kit.test_docs import DOCS

pytest_plugins = ["pytester"]

PAGE = DOCS / "testing.md"
_BLOCK = re.compile(
    r"^```python\n(# ((?:test_\w+|conftest)\.py)\n.*?)^```$", re.MULTILINE | re.DOTALL
)
QUIET = ("-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest")


def examples(page: Path = PAGE) -> dict[str, str]:
    """File name -> source of every runnable example on the page."""
    return {match.group(2): match.group(1) for match in _BLOCK.finditer(page.read_text("utf-8"))}


def test_there_is_a_worked_example_per_vendor() -> None:
    names = sorted(examples())
    assert names == [
        "conftest.py",
        "test_async_connector.py",
        "test_keepit_connector.py",
        "test_quoparts_connector.py",
        "test_tsdigital_connector.py",
        "test_xtra_connector.py",
    ]


def test_the_worked_examples_pass(pytester: pytest.Pytester) -> None:
    for name, source in examples().items():
        pytester.makepyfile(**{name.removesuffix(".py"): source})
    # In a process of its own: an in-process run takes the modules it imported out of
    # sys.modules again, and a later import of them (httpcore's connection errors) made classes
    # that httpx no longer recognised, failing tests that ran after this one.
    result = pytester.runpytest_subprocess(*QUIET, "--mockservers-coverage")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["keepit: * of 17 documented situations met"])
