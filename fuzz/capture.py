"""Record what a client really sends and receives, and check both against the contracts.

``Recorder`` wraps any sync httpx transport; every exchange is kept until :meth:`Recorder.drain`.
:func:`request_violations` and :func:`response_violations` map an exchange to its operation
(``fuzz.dispatch.operation_for``, so virtual paths are handled) and validate it against the
contract files ``<vendor>/<operation>.request|query|headers|response``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

import contracts
from fuzz.dispatch import operation_for
from fuzz.schema import contract_for, document, response_contract


@dataclass(frozen=True)
class Exchange:
    """One request as sent and the response as received."""

    request: httpx.Request
    response: httpx.Response

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(str(self.request.url)).query, keep_blank_values=True))


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
    found = []
    body = exchange.request.content
    checked = request_contract(vendor, operation, exchange.query)
    if checked is not None:
        found += _violations(checked, _json(body, "request"))
    checked = contract_for(vendor, operation, "query")
    if checked is not None:
        found += _violations(checked, exchange.query)
    checked = contract_for(vendor, operation, "headers")
    if checked is not None:
        found += _violations(checked, _headers(checked, exchange.request.headers))
    return found


def request_contract(
    vendor: str, operation: str, query: dict[str, str]
) -> contracts.Contract | None:
    """The body contract for a request: ``<operation>.<flag>.request`` when the query sets a
    flag to ``true`` and that contract exists (XTRA ``contactForm=true``), else
    ``<operation>.request``."""
    for name, value in query.items():
        if value.lower() == "true" and (
            flagged := contract_for(vendor, operation, f"{name}.request")
        ):
            return flagged
    return contract_for(vendor, operation, "request")


def response_violations(vendor: str, exchange: Exchange) -> list[str]:
    """How the response breaks the response contract of its operation and status (empty: it
    does not)."""
    operation = operation_of(vendor, exchange)
    status = exchange.response.status_code
    checked = response_contract(vendor, operation, status) if operation else None
    if checked is None:
        return []
    return _violations(checked, _json(exchange.response.content, "response"))


def _violations(checked: contracts.Contract, instance: Any) -> list[str]:
    if isinstance(instance, _NotJSON):
        return [f"{checked.name}: {instance}"]
    found = checked.check(instance)
    return [f"{checked.name}: {v.pointer or '(body)'}: {v.message}" for v in found]


class _NotJSON(str):
    pass


def _json(content: bytes, what: str) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return _NotJSON(f"the {what} body is not JSON: {content[:100]!r}")


def _headers(checked: contracts.Contract, headers: httpx.Headers) -> dict[str, str]:
    """The headers the contract names, under the contract's spelling (HTTP names ignore case)."""
    names = contracts.load_schema(checked.name).get("properties", {})
    return {name: headers[name] for name in names if name in headers}
