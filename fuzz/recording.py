"""``--record FILE.har``: every exchange of a harness run, as the target saw it, in one HAR 1.2
file (``mockservers.core.har``, which the kit's proxy can share), secrets masked."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from fuzz.target import Exchange
from mockservers.core.har import Recorder, request_version
from mockservers.core.journal import is_secret


class HarFile:
    """Collects a target's exchanges (pass :meth:`add` as ``Target(record=...)``) and writes
    them once, at the end of the run, whatever its outcome."""

    def __init__(self, path: str | Path, secrets: Iterable[str] = ()) -> None:
        self.path = Path(path)
        # The harness's own requests carry generated junk where secrets go; only the answers'
        # secrets (issued tokens) and the credentials it was given are searched for elsewhere.
        self.recorder = Recorder(creator="mockservers fuzz", remember_requests=False)
        self.recorder.also_mask(*secrets)

    def add(self, exchange: Exchange) -> None:
        request, response = exchange.request, exchange.response
        answered: dict[str, Any] = {  # no complete answer
            "status": 0,
            "status_text": "",
            "response_headers": [],
            "response_body": None,
        }
        if response is not None:
            answered = {
                "status": response.status_code,
                "status_text": response.reason_phrase,
                "response_headers": response.headers.multi_items(),
                "response_body": response.content,
                "response_body_size": _transferred(response),
                "request_http_version": request_version(response.http_version),
                "response_http_version": response.http_version,
            }
        self.recorder.add(
            method=request.method,
            url=str(request.url),
            request_headers=request.headers.multi_items(),
            request_body=request.content,
            started=exchange.started,
            duration_ms=exchange.duration_ms,
            comment=f"no complete answer: {exchange.error}" if exchange.error else None,
            **answered,
        )

    def write(self, comment: str) -> Path:
        return self.recorder.write(self.path, comment)


def _transferred(response: httpx.Response) -> int | None:
    """The answer's body size as it came over the wire, before its ``Content-Encoding`` was
    undone: what httpx counted reading it. A response made in memory was never read off a
    stream: its decoded size stands without a coding (None), and with one it is not known."""
    counted = response.num_bytes_downloaded
    if counted or not response.content:
        return counted
    return None if "content-encoding" not in response.headers else -1


def secret_credentials(credentials: dict[str, str]) -> list[str]:
    """The values of the credentials named like a secret (``password``, ``secret_key``,
    ``token``): the ones a HAR must never show, wherever they appear."""
    return [value for name, value in credentials.items() if is_secret(name)]
