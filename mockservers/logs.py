"""Logging filters for ``serve`` and ``proxy``: no secret in an access-log line or in httpx's
request line, no traceback for a fault."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from clients import logs as client_logs
from mockservers.core.errors import DroppedConnection
from mockservers.core.secretnames import MASK, secret_header
from mockservers.core.urlmasks import mask_header_urls, mask_url


class MaskSecrets(logging.Filter):
    """uvicorn's access log passes (client, method, path, version, status) as args."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], mask_url(args[2]), *args[3:])
        return True


class MaskRequestLines(client_logs.MaskRequestLines):
    """The clients' filter of httpx's request lines, masking every secret name the kit knows:
    a proxy's and a replay's URLs carry any vendor's passwords, tokens and keys."""

    def mask(self, url: str) -> str:
        return mask_url(url)


class MaskAsgiMessages(logging.Filter):
    """``--log-level trace`` logs each ASGI scope and message (bodies already left out): the
    query and the headers carry passwords, tokens and keys."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_masked_message(arg) for arg in record.args)
        return True


def _masked_message(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    masked = dict(value)
    query = masked.get("query_string")
    if isinstance(query, bytes) and query:
        masked["query_string"] = mask_url("?" + query.decode("latin-1"))[1:].encode("latin-1")
    headers = masked.get("headers")
    if isinstance(headers, list):
        text = [(bytes(k).decode("latin-1"), bytes(v).decode("latin-1")) for k, v in headers]
        masked["headers"] = [
            (k.encode("latin-1"), MASK.encode() if v and secret_header(k) else v.encode("latin-1"))
            for k, v in mask_header_urls(text)  # a redirect to ?token=...
        ]
    return masked


class QuietDrops(logging.Filter):
    """A ``drop`` fault closes the connection on purpose, and a call still waiting out its
    ``latency`` fault when the server stops is cancelled: neither is an error worth a
    traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        quiet = (DroppedConnection, asyncio.CancelledError)
        return not (record.exc_info and isinstance(record.exc_info[1], quiet))


def install(*, access_log: bool = False) -> None:
    """The filters, once uvicorn has set up its logging. ``access_log``: the access lines show
    whatever ``--log-level`` says (they are INFO lines, and the default level is warning)."""
    access = logging.getLogger("uvicorn.access")
    _add_once(access, MaskSecrets)
    if access_log and access.getEffectiveLevel() > logging.INFO:
        access.setLevel(logging.INFO)
    _add_once(logging.getLogger("uvicorn.error"), QuietDrops)
    _add_once(logging.getLogger("uvicorn.asgi"), MaskAsgiMessages)
    mask_request_lines()


def mask_request_lines() -> None:
    """Mask httpx's request lines (once per process)."""
    _add_once(logging.getLogger("httpx"), MaskRequestLines)


def _add_once(logger: logging.Logger, kind: type[logging.Filter]) -> None:
    """A filter of ``kind`` on ``logger`` unless it has one (a test suite starts many servers
    in one process: each start added its copies)."""
    if not any(isinstance(f, kind) for f in logger.filters):
        logger.addFilter(kind())
