"""The in-process Schemathesis suites, for pytest: every operation, positive and negative.

```python
@pytest.mark.fuzz
@pytest.mark.parametrize(("operation", "mode"), suite.cases("quoparts"))
def test_contract(operation, mode):
    suite.run("quoparts", operation, mode)

def test_model():
    suite.run_machine("quoparts")
```
Each run gets a fresh app (``mockservers.create_app()``), the plug-in's demo credentials and the
profile's settings (``FUZZ_PROFILE``); a failing check fails the test with the shrunk request as
``curl`` and the name of the check.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from fuzz.checks import CONTRACT_CHECKS, FAKE_CHECKS
from fuzz.plugins import VendorPlugin, load_object, plugin_class
from fuzz.profiles import current
from fuzz.runner import OperationReport, fuzz_operation
from fuzz.schema import MODES, api_operations
from fuzz.target import Target
from mockservers import create_app
from mockservers.testing import SyncASGITransport

IN_PROCESS = "http://mockservers"


def cases(vendor: str) -> list[tuple[str, str]]:
    """``(operationId, mode)`` pairs to parametrize a suite with."""
    return [(operation, mode) for operation in api_operations(vendor) for mode in MODES]


@contextmanager
def in_process(vendor: str, plugin: VendorPlugin | None = None) -> Iterator[Target]:
    """A target on a fresh in-process app (configured with the plug-in's ``app_config``),
    authenticated with the plug-in's demo credentials."""
    cls = plugin_class(vendor)
    assert cls is not None, f"no fuzz plug-in for {vendor}"
    chosen = plugin or cls.demo()
    transport = SyncASGITransport(create_app(cls.app_config))
    with httpx.Client(transport=transport) as client:
        target = Target(chosen, f"{IN_PROCESS}/{vendor}", client)
        chosen.authenticate(target)
        try:
            yield target
        finally:
            transport.close()


def run_machine(vendor: str, max_examples: int | None = None) -> None:
    """Run the vendor's state machine (its plug-in's ``machine``) with the profile's settings."""
    cls = plugin_class(vendor)
    assert cls is not None and cls.machine, f"no state machine for {vendor}"
    machine = load_object(cls.machine)
    run_state_machine_as_test(machine, settings=current().settings(max_examples, stateful=True))


def run(
    vendor: str,
    operation: str,
    mode: str,
    max_examples: int | None = None,
    *,
    shrink: bool = True,
) -> OperationReport:
    """Fuzz one operation in one mode in-process; raise on the first failed check (shrunk to
    a minimal request unless ``shrink=False``). ``shrink=False`` is for a run that only needs
    to see a failure (whether the suite catches a planted bug): it also draws the same cases
    under every profile (the deep profile's random draws may miss it, and say nothing)."""
    chosen = current().settings(max_examples)
    if not shrink:
        phases = [p for p in chosen.phases if p != Phase.shrink]
        chosen = settings(chosen, phases=phases, derandomize=True, database=None)
    with in_process(vendor) as target:
        checks = CONTRACT_CHECKS + FAKE_CHECKS + target.plugin.checks
        return fuzz_operation(
            target,
            api_operations(vendor)[operation],
            MODES[mode],
            chosen,
            checks=checks,
            stop_on_failure=True,
        )
