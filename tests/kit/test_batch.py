"""``core/batch.py``: a call's records reach the tenant when the call ends; after a failure
half-way, as a context manager (XTRA: each record as if put at once), never without a commit
(KeepIT: one transaction a call)."""

from __future__ import annotations

import pytest

from mockservers.core.batch import Batch
from mockservers.core.state import TenantState, VendorState


def tenant_holding_a() -> TenantState:
    tenant = VendorState("v", ("records",)).tenant("t")
    tenant.put("records", "a", {"key": "a"})
    return tenant


def test_as_a_context_manager_the_records_written_before_a_failure_are_kept() -> None:
    tenant = tenant_holding_a()
    with pytest.raises(RuntimeError), Batch(tenant, "records") as batch:
        batch.put("b", {"key": "b"})
        batch.put("a", {"key": "a", "n": 1})
        assert tenant.get("records", "a") == {"key": "a"}  # the call's until it ends
        raise RuntimeError("a bug")
    assert tenant.dump()["records"] == {"a": {"key": "a", "n": 1}, "b": {"key": "b"}}


def test_a_batch_reaches_the_tenant_only_with_its_commit() -> None:
    tenant = tenant_holding_a()
    batch = Batch(tenant, "records")
    batch.put("b", {"key": "b"})
    assert batch.get("b") == {"key": "b"} and tenant.get("records", "b") is None
    batch.commit()
    assert list(tenant.dump()["records"]) == ["a", "b"]
