"""What an admin endpoint needs, for the admin API and for a vendor's own admin routes alike.

An admin endpoint is a plain function of an :class:`AdminCall` (its parsed JSON body, query and
path parameters, and the session it addresses) returning JSON data; it raises
:class:`AdminError` to refuse. The admin API reads the body, finds the session, runs the
function as one transaction of the kit's store and renders the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from contracts import load_schema
from mockservers.core.sessions import Session

MAX_SECONDS: int = load_schema("admin/defs/seconds")["maximum"]
"""The longest clock move or token lifetime an admin call may ask for (its contract's bound)."""
MAX_SESSION_NAME: int = load_schema("admin/createSession.request")["properties"]["name"][
    "maxLength"
]
"""The longest name a session may have (its contract's bound: a name of 5 MB was kept and
listed with the session, at every read of the sessions); the dashboard's field takes no more."""


class AdminError(Exception):
    """An admin call refused: answered with ``status`` and ``{"error": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def number(
    body: Mapping[str, Any],
    key: str,
    low: int,
    high: int,
    *,
    whole: bool = False,
    exclusive_low: bool = False,
    required: bool = False,
) -> int | float | None:
    """``body[key]``, a JSON number from ``low`` (above it with ``exclusive_low``) to ``high``;
    None when it is absent or null, unless ``required``. ``whole``: an integer, ``2.0`` read as
    ``2`` (JSON Schema counts it one). Anything else (``true`` included) is a 400 naming the
    key and its bounds."""
    value = body.get(key)
    if value is None and not required:
        return None
    if whole and isinstance(value, float) and value.is_integer():
        value = int(value)
    if (
        isinstance(value, bool)
        or not isinstance(value, int if whole else int | float)
        or not (low < value if exclusive_low else low <= value)
        or not value <= high
    ):
        kind = "a whole number" if whole else "a number"
        bounds = f"above {low}, at most {high}" if exclusive_low else f"from {low} to {high}"
        raise AdminError(400, f"'{key}' must be {kind} {bounds}")
    return value


@dataclass
class AdminCall:
    """One admin request, read: its JSON body (None when it has none), query and path params,
    and the session it addresses (``?session=`` or ``"session"`` in the body; None: global)."""

    body: Any
    query: Mapping[str, str]
    path: Mapping[str, Any]
    session: Session | None = None
    status: int = 200
    base_url: str = ""
    """The server's URL as the caller reached it."""
    watching: bool = False
    """``X-Mockservers-Watch`` was sent: a look (the dashboard's poll) that does not count as
    the session's use, so a session left open in a page still expires when idle."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """The request's headers (a conditional read's ``If-None-Match``)."""

    @property
    def scope(self) -> str | None:
        return self.session["id"] if self.session is not None else None

    def object_body(
        self, default: dict[str, Any] | None = None, contract: str | None = None
    ) -> dict[str, Any]:
        """The body as a JSON object (``default`` when there is none); 400 otherwise, and for a
        key its ``contract`` does not name (a misspelt ``times`` would inject a fault that never
        stops): the keys of that request schema."""
        body = self.body if self.body is not None else default
        if not isinstance(body, dict):
            raise AdminError(400, "the body must be a JSON object")
        if contract is not None:
            known = body_keys(contract)
            unknown = set(body) - set(known)
            if unknown:
                raise AdminError(400, f"unknown keys {sorted(unknown)}; known: {list(known)}")
        return body


@cache
def body_keys(contract: str) -> tuple[str, ...]:
    """The keys a request schema names: its own properties and those of the schemas it takes
    in with ``allOf`` (``admin/addFault.request`` and its ``defs/faultOptions.json``)."""
    schema = load_schema(contract)
    folder = contract.rpartition("/")[0]
    keys = list(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        if "$ref" in part:
            keys += body_keys(f"{folder}/{part['$ref'].removesuffix('.json')}")
    return tuple(dict.fromkeys(keys))


Body = Literal["none", "optional", "required"]


@dataclass(frozen=True)
class AdminRoute:
    """An admin endpoint under ``/__admin``: ``handler(call) -> JSON data``."""

    path: str
    method: str
    handler: Callable[[AdminCall], Any]
    body: Body = "none"
    reads: tuple[str, ...] = field(default=())
    """Replicated objects the handler reads that a shared store keeps only in itself."""
    fixtures: bool = False
    """Its body is a state document, held to ``[kit] max_state_bytes`` (a seeded state may be
    hundreds of megabytes); any other admin body to the vendors' ``max_body_bytes``."""
    scoped: bool = True
    """It addresses a scope, the global one or a session (``?session=``, or ``"session"`` in
    its body). False for the calls on the sessions themselves (open one, list or drop them
    all), which a session would only seem to narrow: one given is a 400."""
