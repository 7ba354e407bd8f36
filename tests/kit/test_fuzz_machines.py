"""The rule and the invariant every vendor's state machine takes from ``ClientMachine``: the
vendor reset and the fake's state compared with the model's run in each of them."""

from __future__ import annotations

import pytest

from fuzz.cli import VENDORS
from fuzz.plugins import load_object, plugin_class
from fuzz.stateful import ClientMachine
from tests.machines import find_bug

pytestmark = pytest.mark.fuzz


def machine_of(vendor: str) -> type[ClientMachine]:
    found = plugin_class(vendor)
    assert found is not None and found.machine
    return load_object(found.machine)


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_fake_whose_vendor_reset_keeps_the_records_is_caught(
    vendor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the base's rule resets the vendor, and only its invariant says this."""
    from mockservers.core.vendor import Vendor

    def keeps_the_records(self: Vendor, scope: str | None = None) -> None:
        self.model.reset(scope)  # tokens and windows go; the records stay

    monkeypatch.setattr(Vendor, "reset", keeps_the_records)
    with pytest.raises(AssertionError, match=r"the fake's state differs from the model: /tenants/"):
        find_bug(machine_of(vendor))
