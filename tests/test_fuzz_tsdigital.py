"""TS Digital contract fuzzing: the Schemathesis suites in-process, and proof that they bite."""

from __future__ import annotations

import pytest

from fuzz import suite
from fuzz.profiles import current

pytestmark = pytest.mark.fuzz


@pytest.mark.parametrize(("operation", "mode"), suite.cases("tsdigital"))
def test_fake_answers_generated_requests_as_the_contracts_say(operation: str, mode: str) -> None:
    report = suite.run("tsdigital", operation, mode)
    assert report.cases >= current().examples // 2, "the strategy produced too few cases"
