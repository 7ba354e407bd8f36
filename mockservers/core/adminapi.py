"""What an admin endpoint needs, for the admin API and for a vendor's own admin routes alike:
the refusal it raises (answered ``{"error"}``) and reading its JSON body."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request


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
