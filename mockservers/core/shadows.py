"""The shadow's evidence: where a built-in fake answered otherwise than the real vendor
(``mockservers proxy --shadow``), added up per vendor, operation and field.

It lives in the kit's store (a ``SharedMap``, like coverage), so it works with ``--store`` too;
``GET /__admin/shadow`` reads it (empty under ``serve``, which compares nothing) and ``DELETE``
clears it. A reset leaves it: it is evidence about the vendor, not state of the fakes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockservers.core.adminapi import AdminCall, AdminError, AdminRoute
from mockservers.core.compare import Difference
from mockservers.core.shared import SharedMap

_SEP = "\x1f"


class ShadowSummary:
    """Per vendor and operation: calls compared, calls that differed, and per field (array
    indices as ``[*]``) how often it differed, with the first pair seen."""

    def __init__(self, shared: SharedMap) -> None:
        self.shared = shared

    def count(self, vendor: str, operation: str, found: list[dict[str, Any]]) -> None:
        """Count one compared call and its differences (``Difference.as_json`` dicts); a field
        that differs in several rows of one call counts once."""
        key = f"{vendor}{_SEP}{operation}"
        old = self.shared.get(key) or {"compared": 0, "differing": 0, "fields": {}}
        first: dict[str, dict[str, Any]] = {}
        for difference in found:
            first.setdefault(Difference(difference["field"]).general, difference)
        fields = dict(old["fields"])  # new values only: the store records each put
        for name, difference in first.items():
            seen = fields.get(name)
            if seen is None:
                example = {k: v for k, v in difference.items() if k != "field"}
                fields[name] = {"count": 1, "example": example}
            else:
                fields[name] = {**seen, "count": seen["count"] + 1}
        self.shared.put(
            key,
            {
                "compared": old["compared"] + 1,
                "differing": old["differing"] + bool(found),
                "fields": fields,
            },
        )

    def report(self, vendor: str | None = None) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, value in sorted(self.shared.items()):
            name, _, operation = key.partition(_SEP)
            if vendor is None or name == vendor:
                found.setdefault(name, {})[operation] = value
        return found

    def clear(self, vendor: str | None = None) -> None:
        for key in list(self.shared):
            if vendor is None or key.partition(_SEP)[0] == vendor:
                self.shared.delete(key)

    def admin_routes(self, vendors: Mapping[str, Any]) -> list[AdminRoute]:
        def vendor_of(call: AdminCall) -> str | None:
            name = call.query.get("vendor") or None
            if name is not None and name not in vendors:
                raise AdminError(404, f"unknown vendor {name!r}; one of {sorted(vendors)}")
            return name

        def read(call: AdminCall) -> Any:
            return self.report(vendor_of(call))

        def clear(call: AdminCall) -> Any:
            self.clear(vendor_of(call))
            return {"cleared": True}

        return [
            AdminRoute("/__admin/shadow", "GET", read),
            AdminRoute("/__admin/shadow", "DELETE", clear),
        ]
