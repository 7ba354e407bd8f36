"""The admin endpoints on the kit's other parts: health, reset, the clock, faults, token expiry
and coverage."""

from __future__ import annotations

from typing import Any

from mockservers.admin.base import AdminBase
from mockservers.core.adminapi import MAX_SECONDS, AdminCall, AdminError, number


class ControlEndpoints(AdminBase):
    """``/__admin/health``, ``reset``, ``clock``, ``faults``, ``coverage`` and
    ``/__admin/{vendor}/tokens/expire``."""

    # -- health and reset -------------------------------------------------------------------
    def health(self, call: AdminCall) -> Any:
        return {
            "status": "ok",
            "vendors": sorted(self.vendors),
            "store": self.kit.store.describe(),
            "forwarded": sorted(self.kit.forwarded),
            "config_differs": self.kit.config.differs(),
        }

    def reset(self, call: AdminCall) -> Any:
        body = call.object_body(default={}, contract="admin/reset.request")
        name = body.get("vendor")
        if name is not None:
            self.vendor(name)
        self.kit.reset(call.scope, name)
        return {"reset": [name] if name is not None else sorted(self.vendors)}

    # -- clock ------------------------------------------------------------------------------
    def get_clock(self, call: AdminCall) -> Any:
        return {"now": self.kit.clock.isoformat()}

    def move_clock(self, call: AdminCall) -> Any:
        body = call.object_body(contract="admin/advanceClock.request")
        seconds = number(body, "advance_seconds", 0, MAX_SECONDS, required=True)
        try:
            self.kit.clock.advance(seconds)
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        return {"now": self.kit.clock.isoformat()}

    # -- faults -----------------------------------------------------------------------------
    def add_fault(self, call: AdminCall) -> Any:
        spec = call.object_body(contract="admin/addFault.request")
        spec = {k: v for k, v in spec.items() if k != "session"}
        if isinstance(spec.get("vendor"), str) and spec["vendor"] in self.kit.forwarded:
            raise AdminError(
                400,
                f"{spec['vendor']}: its calls go to the real vendor (mockservers proxy): no"
                " fault of the kit reaches them",
            )
        known = {n: (v.fault_kinds, frozenset(v.operations)) for n, v in self.vendors.items()}
        fault = self.kit.faults.add(spec, vendors=known)
        call.status = 201
        return {"id": fault.id}

    def list_faults(self, call: AdminCall) -> Any:
        return self.kit.faults.list(self._scope(call))

    def clear_faults(self, call: AdminCall) -> Any:
        self.kit.faults.clear(scope=call.scope)
        return {"cleared": True}

    # -- tokens -----------------------------------------------------------------------------
    def expire_tokens(self, call: AdminCall) -> Any:
        call.object_body(default={}, contract="admin/expireTokens.request")
        return {"expired": self.vendor(call.path["vendor"]).expire_tokens(call.scope)}

    # -- coverage ---------------------------------------------------------------------------
    def coverage(self, call: AdminCall) -> Any:
        name = call.query.get("vendor") or None
        chosen = [self.vendor(name)] if name is not None else list(self.vendors.values())
        scope = self._scope(call)
        for vendor in chosen:
            vendor.catch_up(scope)  # what time settled (TS Digital's FAILED) counts too
        return {v.name: self.kit.coverage.report(v.behaviours, scope) for v in chosen}
