"""The reference point: a bare Starlette app that parses a JSON body and returns a small JSON,
served exactly as ``mockservers serve`` is (one uvicorn process, no access log)."""

from __future__ import annotations

import json
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def echo(request: Request) -> JSONResponse:
    body = json.loads(await request.body())
    return JSONResponse({"ok": True, "items": len(body) if isinstance(body, list | dict) else 0})


app = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
