"""A vendor's routes as data: a path, relative to the vendor's prefix, holding its endpoints
and, where the query picks the operation, how (``VendorRoute``, as Starlette's ``Route``); and
how a call's path finds its route (``Paths``): as written, or for a vendor on ASP.NET Core, in
any case and with one trailing slash (``folded``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

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

    @cached_property
    def allows(self) -> frozenset[str]:
        """The methods the path answers: ``methods``, with HEAD wherever GET, as Starlette's
        ``Route`` allows them."""
        return frozenset((*self.methods, *(("HEAD",) if "GET" in self.methods else ())))

    def operation_for(self, query: Query) -> str:
        if self.select is None:
            return next(iter(self.operations))
        return self.select(query) or UNKNOWN

    def endpoint(self, operation: str) -> Endpoint:
        found = self.operations.get(operation, self.unknown)
        assert found is not None, f"{self.path}: no endpoint for {operation!r}"
        return found


def folded(path: str) -> str | None:
    """A full path (``/<vendor>/...``) as a vendor whose routes match in any case reads it, as
    ASP.NET Core's routing does (a literal segment matches whatever its case, and a trailing
    slash ends the path): its prefix, the kit's, as written, the rest in lower case, one
    trailing slash dropped. None for a path beyond ASCII, which no route's path matches in
    .NET's ordinal comparison (Python's ``lower`` takes the Kelvin sign for a ``k``)."""
    at = path.find("/", 1)
    if at < 0 or not path.isascii():
        return None
    end = len(path) - 1 if path.endswith("/") and len(path) > at + 1 else len(path)
    return path[:at] + path[at:end].lower()


Found = TypeVar("Found")


class Paths(Generic[Found]):
    """What serves each full path (``/<vendor><route path>``): found by the path as written,
    and for a vendor whose routes match in any case (``add(..., any_case=True)``), by the path
    as :func:`folded` reads it, looked up only when the path as written is none: the
    contracts' spelling costs one look-up, every call."""

    __slots__ = ("exact", "folded")

    def __init__(self) -> None:
        self.exact: dict[str, Found] = {}
        self.folded: dict[str, Found] = {}

    def add(self, path: str, found: Found, *, any_case: bool) -> None:
        self.exact[path] = found
        key = folded(path) if any_case else None
        if key is not None:
            self.folded[key] = found

    def get(self, path: str, raw_path: bytes | None = None) -> Found | None:
        found = self.exact.get(path)
        return self.get_folded(path, raw_path) if found is None else found

    def get_folded(self, path: str, raw_path: bytes | None = None) -> Found | None:
        """What serves ``path`` (``raw_path``: as sent) in another spelling, the look-up after
        a miss of ``exact``: none where it was sent with an encoded slash, which ASP.NET Core
        leaves encoded, no separator (``login%2F`` is no ``login/``)."""
        if not self.folded or (raw_path and b"%2f" in raw_path.lower()):
            return None
        key = folded(path)
        return None if key is None else self.folded.get(key)
