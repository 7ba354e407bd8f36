"""A vendor's routes as data: a path, relative to the vendor's prefix, holding its endpoints
and, where the query picks the operation, how (``VendorRoute``, as Starlette's ``Route``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from mockservers.core.call import Call, Query

Endpoint = Callable[[Any, Call], Response]
"""``(model, call) -> Response``: a vendor's ``responses`` function."""
UNKNOWN = "unknown"
"""The operation of a call whose query names none of its path's operations."""


@dataclass(frozen=True)
class VendorRoute:
    """A vendor path, relative to its prefix, holding its endpoints (as Starlette's ``Route``).

    A path serves one operation, or several told apart by the query (QuoParts's flags, KeepIT's
    ``cmd``): then ``select`` names the operation a query invokes, and a query naming none is
    answered by ``unknown`` (journalled as the operation ``unknown``).
    """

    path: str
    operations: Mapping[str, Endpoint]
    methods: tuple[str, ...] = ("POST",)
    select: Callable[[Query], str | None] | None = None
    unknown: Endpoint | None = None

    def operation_for(self, query: Query) -> str:
        if self.select is None:
            return next(iter(self.operations))
        return self.select(query) or UNKNOWN

    def endpoint(self, operation: str) -> Endpoint:
        found = self.operations.get(operation, self.unknown)
        assert found is not None, f"{self.path}: no endpoint for {operation!r}"
        return found
