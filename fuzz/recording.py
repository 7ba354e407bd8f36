"""What a harness run must never show, and ``--record FILE.har``.

:class:`Secrets` is the run's memory of its secrets, the one a HAR recorder keeps
(``mockservers.core.blotting``): the secret credentials it was given, and every secret an
answer named (a token a login issued). Everything the run writes or says (a check's message in
the console, the report, the JUnit file, the baseline, a usage problem quoting an answer) is
blotted out with it, as the recording is: a vendor may echo a password in an error message.

:class:`HarFile` writes every exchange, as the target saw it, in one HAR 1.2 file
(``mockservers.core.har``, which the kit's proxy shares), secrets masked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from fuzz.target import Exchange
from mockservers.core.blotting import Memory
from mockservers.core.har import Recorder, request_version
from mockservers.core.learned import remember
from mockservers.core.secretnames import is_secret


class Secrets:
    """The secrets of one run: pass :meth:`learn` as ``Target(record=...)`` (or share the
    memory with a :class:`HarFile`, which learns as it records) and :meth:`blot` as
    ``Target(blot=...)``."""

    def __init__(self, credentials: dict[str, str]) -> None:
        self.memory = Memory()
        self.memory.pin(secret_credentials(credentials))

    def learn(self, exchange: Exchange) -> None:
        """Remember the secrets ``exchange`` names (its requests carry generated junk in
        secret places: only the answers teach, as for the HAR)."""
        remember(self.memory, **_sides(exchange), requests=False)

    def blot(self, text: str) -> str:
        """``text`` with every secret of the run blotted out (``***``)."""
        blotted: str = self.memory.scrub(text)
        return blotted


class HarFile:
    """Collects a target's exchanges (pass :meth:`add` as ``Target(record=...)``) and writes
    them once, at the end of the run, whatever its outcome."""

    def __init__(self, path: str | Path, secrets: Secrets | None = None) -> None:
        self.path = Path(path)
        # The harness's own requests carry generated junk where secrets go; only the answers'
        # secrets (issued tokens) and the credentials it was given are searched for elsewhere.
        self.recorder = Recorder(
            creator="mockservers fuzz",
            remember_requests=False,
            memory=(secrets if secrets is not None else Secrets({})).memory,
        )

    def add(self, exchange: Exchange) -> None:
        request, response = exchange.request, exchange.response
        answered: dict[str, Any] = {"status": 0, "status_text": ""}  # no complete answer
        if response is not None:
            answered = {
                "status": response.status_code,
                "status_text": response.reason_phrase,
                "response_body_size": _transferred(response, exchange.error),
                "request_http_version": request_version(response.http_version),
                "response_http_version": response.http_version,
            }
        sides = _sides(exchange)
        self.recorder.add(
            method=request.method,
            started=exchange.started,
            duration_ms=exchange.duration_ms,
            comment=_comment(exchange),
            **sides,
            **answered,
        )

    def write(self, comment: str) -> Path:
        return self.recorder.write(self.path, comment)


def _sides(exchange: Exchange) -> dict[str, Any]:
    """What went each way: the request as sent, and the answer's headers and body (none when
    no answer came, or its body could not be read)."""
    request, response = exchange.request, exchange.response
    readable = response is not None and exchange.error is None
    return {
        "url": str(request.url),
        "request_headers": request.headers.multi_items(),
        "request_body": request.content,
        "response_headers": response.headers.multi_items() if response is not None else [],
        "response_body": response.content if readable and response is not None else None,
    }


def _comment(exchange: Exchange) -> str | None:
    if exchange.error is None:
        return None
    if exchange.response is None:
        return f"no complete answer: {exchange.error}"
    return f"its body could not be read: {exchange.error}"


def _transferred(response: httpx.Response, error: str | None) -> int | None:
    """The answer's body size as it came over the wire, before its ``Content-Encoding`` was
    undone: what httpx counted reading it. A response made in memory was never read off a
    stream: its decoded size stands without a coding (None), and with one it is not known;
    nor is it for a body that could not be read whole (-1)."""
    if error is not None:
        return -1
    counted = response.num_bytes_downloaded
    if counted or not response.content:
        return counted
    return None if "content-encoding" not in response.headers else -1


def secret_credentials(credentials: dict[str, str]) -> list[str]:
    """The values of the credentials named like a secret (``password``, ``secret_key``,
    ``token``): the ones a HAR must never show, wherever they appear."""
    return [value for name, value in credentials.items() if is_secret(name)]
