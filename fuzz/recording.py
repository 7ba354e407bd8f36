"""``--record FILE.har``: every exchange of a harness run, as the target saw it, in one HAR 1.2
file (``mockservers.core.har``, which the kit's proxy can share), secrets masked."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fuzz.target import Exchange
from mockservers.core.har import Recorder
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
        self.recorder.add(
            method=request.method,
            url=str(request.url),
            request_headers=request.headers.multi_items(),
            request_body=request.content,
            status=response.status_code if response is not None else 0,
            status_text=response.reason_phrase if response is not None else "",
            response_headers=response.headers.multi_items() if response is not None else [],
            response_body=response.content if response is not None else None,
            http_version=response.http_version if response is not None else "HTTP/1.1",
            started=exchange.started,
            duration_ms=exchange.duration_ms,
            comment=f"no complete answer: {exchange.error}" if exchange.error else None,
        )

    def write(self, comment: str) -> Path:
        return self.recorder.write(self.path, comment)


def secret_credentials(credentials: dict[str, str]) -> list[str]:
    """The values of the credentials named like a secret (``password``, ``secret_key``,
    ``token``): the ones a HAR must never show, wherever they appear."""
    return [value for name, value in credentials.items() if is_secret(name)]
