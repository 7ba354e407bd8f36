"""Fast JSON responses and request-body parsing shared by every fake."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson
from starlette.responses import Response


class JSONResponse(Response):
    """A JSON response encoded with orjson (several times faster than the standard library)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def status_phrase(status: int) -> str:
    """The standard reason phrase ("Bad Gateway"), or "Error" for a code without one."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def too_deep(value: Any, limit: int) -> bool:
    """True when ``value`` nests objects/arrays more than ``limit`` levels deep."""
    return not _within(value, limit)


def _within(node: Any, budget: int) -> bool:
    # Recursion is bounded by ``budget`` (the configured limit), not by the input.
    if budget <= 0:
        return False
    kind = type(node)
    children = node.values() if kind is dict else node if kind is list else ()
    for child in children:
        child_kind = type(child)
        if (child_kind is dict or child_kind is list) and not _within(child, budget - 1):
            return False
    return True
