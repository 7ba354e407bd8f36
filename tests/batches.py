"""Helpers of the tests of batches (a call's records touching the same stored records).

The work one call does on a vendor's stored records, counted without a wall clock: the bytes
of stored records it parses and packs (``core/packed.py``), and the Python functions it calls
(a deep copy calls several for each object it copies). Tests compare counts: the same batch
against a small stored record and a large one, say, where the time either takes is noise.

And what a batch stored, compared key order and all (a dump keeps each record's order).
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from types import FrameType, SimpleNamespace
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette

from mockservers.core import packed
from mockservers.testing import AsyncASGITransport


@dataclass
class Work:
    parsed: int = 0
    """Bytes of stored records parsed."""
    packed: int = 0
    """Bytes of records packed to be stored."""
    calls: int = 0
    """Python functions called (each step of a generator too)."""


def counted(
    monkeypatch: pytest.MonkeyPatch, app: Starlette, method: str, url: str, **kwargs: Any
) -> tuple[httpx.Response, Work]:
    """One call to the in-process ``app`` and the work it did, on this thread (a profile hook
    sees only its own thread's calls), on an event loop of its own."""
    work = Work()

    def loads(data: bytes) -> Any:
        work.parsed += len(data)
        return orjson.loads(data)

    def dumps(value: Any) -> bytes:
        data = orjson.dumps(value)
        work.packed += len(data)
        return data

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            work.calls += 1

    async def call() -> httpx.Response:
        transport = AsyncASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mockservers") as client:
            sys.setprofile(profile)
            try:
                return await client.request(method, url, **kwargs)
            finally:
                sys.setprofile(None)

    with monkeypatch.context() as patched:
        patched.setattr(packed, "orjson", SimpleNamespace(loads=loads, dumps=dumps))
        response = asyncio.run(call())
    return response, work


def in_order(value: Any) -> Any:
    """``value`` with each object as its list of pairs: compared, the order of keys counts."""
    if isinstance(value, dict):
        return [(k, in_order(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [in_order(v) for v in value]
    return value
