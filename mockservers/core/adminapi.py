"""What an admin endpoint needs, for the admin API and for a vendor's own admin routes alike:
the refusal it raises (answered ``{"error"}``), reading its JSON body, the bound on durations."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from contracts import load_schema

MAX_SECONDS: float = load_schema("admin/defs/seconds")["maximum"]
"""The longest clock move or token lifetime an admin call may ask for (its contract's bound)."""


class AdminError(Exception):
    """An admin call refused: answered with ``status`` and ``{"error": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def json_body(request: Request, *, default: Any = None) -> Any:
    """The request's JSON body; ``default`` for an empty one (400 when there is no default)."""
    raw = await request.body()
    if not raw.strip():
        if default is not None:
            return default
        raise AdminError(400, "a JSON body is required")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise AdminError(400, f"the body is not valid JSON: {exc}") from None
