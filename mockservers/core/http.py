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
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, dict | list))
    return False
