"""Record what a client really sends and receives, and check both against the contracts.

``Recorder`` wraps any sync httpx transport; every exchange is kept until :meth:`Recorder.drain`.
:func:`request_violations` and :func:`response_violations` map an exchange to its operation
(``fuzz.dispatch.operation_for``, so virtual paths are handled) and validate it against the
contract files ``<vendor>/<operation>.request|query|headers|response``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import httpx

from contracts.messages import verdict
from fuzz.dispatch import operation_for
from fuzz.schema import document


@dataclass(frozen=True)
class Exchange:
    """One request as sent and the response as received."""

    request: httpx.Request
    response: httpx.Response

    @property
    def query(self) -> list[tuple[str, str]]:
        """The query's pairs, in the order sent."""
        return parse_qsl(urlsplit(str(self.request.url)).query, keep_blank_values=True)


class Recorder(httpx.BaseTransport):
    """A transport that passes every request to ``inner`` and keeps the exchange."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        response = self.inner.handle_request(request)
        response.read()
        self.exchanges.append(Exchange(request, response))
        return response

    def drain(self) -> list[Exchange]:
        """The exchanges since the last drain."""
        taken, self.exchanges = self.exchanges, []
        return taken


def operation_of(vendor: str, exchange: Exchange) -> str | None:
    request = exchange.request
    return operation_for(document(vendor), request.method, str(request.url), f"/{vendor}")


def request_violations(vendor: str, exchange: Exchange) -> list[str]:
    """How the request breaks its request, query and header contracts (empty: it does not)."""
    operation = operation_of(vendor, exchange)
    if operation is None:
        return [f"{exchange.request.method} {exchange.request.url} is no operation of {vendor}"]
    return _verdict(vendor, operation, exchange)["request"]


def response_violations(vendor: str, exchange: Exchange) -> list[str]:
    """How the response breaks the response contract of its operation and status (empty: it
    does not)."""
    operation = operation_of(vendor, exchange)
    return _verdict(vendor, operation, exchange)["response"] if operation else []


def _verdict(vendor: str, operation: str, exchange: Exchange) -> dict[str, list[str]]:
    return verdict(
        vendor,
        operation,
        query=exchange.query,
        headers=dict(exchange.request.headers),
        body=exchange.request.content,
        status=exchange.response.status_code,
        answer=exchange.response.content,
    )
