"""The request journal: bounded by count and bytes, newest first, secrets masked.

Entries keep references to the raw bodies (no copies on the hot path); masking happens when the
journal is read, so no reader — admin API, test helper, log — ever sees a secret.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson

MASK = "***"
SECRET_KEYS = frozenset(
    k.lower()
    for k in (
        "password",
        "ConfirmPassword",
        "token",
        "TOKEN",
        "AccessToken",
        "RefreshToken",
        "SyncSecretKey",
        "secret_key",
        "authorization",
        "COD_PWD",
        "FileBase64",
        "admin-token",
        "x-admin-token",
    )
)
_BODY_PREVIEW = 64 * 1024


@dataclass(slots=True)
class Entry:
    time: str
    vendor: str
    operation: str
    method: str
    path: str
    query: bytes
    headers: list[tuple[bytes, bytes]]
    status: int
    request_body: bytes
    response_body: bytes
    duration_ms: float
    detail: str = ""

    @property
    def size(self) -> int:
        return len(self.request_body) + len(self.response_body) + 256


def is_secret(key: str) -> bool:
    return key.lower() in SECRET_KEYS


def mask_value(value: Any) -> Any:
    """A deep copy of a JSON value with every secret field replaced by ``***``."""
    if isinstance(value, dict):
        return {
            k: MASK if is_secret(k) and v is not None else mask_value(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    return value


_SECRET_TEXT = re.compile(
    r'("(?:' + "|".join(re.escape(k) for k in SECRET_KEYS) + r')"\s*:\s*)"(?:[^"\\]|\\.)*"',
    re.IGNORECASE,
)


def mask_body(body: bytes) -> Any:
    """A body for display: parsed and masked if it is JSON, else text with secrets blotted out."""
    if not body:
        return None
    try:
        return mask_value(orjson.loads(body))
    except orjson.JSONDecodeError:
        text = body[:_BODY_PREVIEW].decode("utf-8", "replace")
        return _SECRET_TEXT.sub(lambda m: f'{m.group(1)}"{MASK}"', text)


class Journal:
    def __init__(self, max_entries: int = 1000, max_bytes: int = 8 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: deque[Entry] = deque()
        self._bytes = 0

    def record(self, entry: Entry) -> None:
        if self.max_entries <= 0:
            return
        if entry.size > self.max_bytes:  # rare: keep the entry, cut its bodies to fit
            half = max(0, self.max_bytes // 2 - 256)
            entry.request_body = entry.request_body[:half]
            entry.response_body = entry.response_body[:half]
        self._entries.append(entry)
        self._bytes += entry.size
        while self._entries and (
            len(self._entries) > self.max_entries or self._bytes > self.max_bytes
        ):
            self._bytes -= self._entries.popleft().size

    def clear(self, vendor: str | None = None) -> None:
        if vendor is None:
            self._entries.clear()
            self._bytes = 0
            return
        kept = [e for e in self._entries if e.vendor != vendor]
        self._entries = deque(kept)
        self._bytes = sum(e.size for e in kept)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes

    def query(
        self, vendor: str | None = None, operation: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Matching entries, newest first, rendered with secrets masked."""
        out: list[dict[str, Any]] = []
        for entry in reversed(self._entries):
            if vendor and entry.vendor != vendor:
                continue
            if operation and entry.operation != operation:
                continue
            out.append(render(entry))
            if limit is not None and len(out) >= limit:
                break
        return out


def _masked_pairs(pairs: Any) -> dict[str, str]:
    return {k: MASK if is_secret(k) else v for k, v in pairs}


def render(entry: Entry) -> dict[str, Any]:
    return {
        "time": entry.time,
        "vendor": entry.vendor,
        "operation": entry.operation,
        "method": entry.method,
        "path": entry.path,
        "query": _masked_pairs(parse_qsl(entry.query.decode("latin-1"), keep_blank_values=True)),
        "headers": _masked_pairs(
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in entry.headers
        ),
        "status": entry.status,
        "request": mask_body(entry.request_body),
        "response": mask_body(entry.response_body),
        "duration_ms": round(entry.duration_ms, 3),
        "detail": entry.detail or None,
    }
