"""Map a Schemathesis case to the request that is really sent, and back.

The fuzz view (``fuzz.view``) lists QuoParts's importCli and importPvt on *virtual paths* and
fixes the query that selects an operation, noted as ``x-fuzz-real-request: {"path", "query"}``.
This module is the one place that reads it: :func:`real_request` turns a case into the real path
with the selecting query first, and :func:`operation_for` finds the operation a real request
invokes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from schemathesis import Case

from fuzz.view import REAL
from mockservers.core.curl import AS_SENT, shell_word

# Schemathesis stamps these on every case; a real sandbox has no use for them.
_DROPPED_HEADERS = {
    "x-schemathesis-testcaseid",
    "user-agent",
    "accept-encoding",
    # How the message is framed and carried is the HTTP client's to write: a generated
    # Transfer-Encoding or Content-Length made it refuse to send (a "transport" failure that
    # is nobody's fault but the case's).
    "connection",
    "content-length",
    "host",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}
USER_AGENT = "mockservers-fuzz"


@dataclass(frozen=True)
class RealRequest:
    """What goes on the wire: method, URL (base URL + real path), query, headers (a value in
    bytes goes as they are; text beyond ASCII, such as a password, as UTF-8, as the vendors'
    servers read it), body bytes."""

    method: str
    url: str
    params: list[tuple[str, str]]
    headers: dict[str, str | bytes] = field(default_factory=dict)
    content: bytes | None = None

    def to_httpx(self) -> httpx.Request:
        # httpx encodes a text header as ASCII: a password "Sup3rSecrétKI" was a traceback.
        headers = {
            name: value if isinstance(value, bytes) or value.isascii() else _utf8(value)
            for name, value in self.headers.items()
        }
        return httpx.Request(
            self.method, self.url, params=self.params, headers=headers, content=self.content
        )

    def as_curl(self) -> str:
        """A shell command that sends exactly this request (``--data-raw``: a body starting
        with ``@`` is sent as it is, not read from a file)."""
        request = self.to_httpx()
        parts = [
            "curl",
            "-sS",
            "-X",
            shell_word(request.method.encode()),
            shell_word(str(request.url).encode()),
            *AS_SENT,
        ]
        for name, value in self.headers.items():
            raw = value if isinstance(value, bytes) else _utf8(value)
            parts += ["-H", shell_word(f"{name}: ".encode() + raw)]
        if self.content is not None:
            parts += ["--data-raw", shell_word(self.content)]
        return " ".join(parts)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def real_spec(operation_raw: dict[str, Any]) -> dict[str, Any] | None:
    """The operation's real path and selecting query (``None``: its path, nothing fixed)."""
    return operation_raw.get(REAL)


def dispatch_keys(document: dict[str, Any], real_path: str) -> frozenset[str]:
    """Every query key that chooses an operation on ``real_path``."""
    keys: set[str] = set()
    for item in document.get("paths", {}).values():
        for operation in item.values():
            spec = real_spec(operation) if isinstance(operation, dict) else None
            if spec and spec["path"] == real_path:
                keys.update(spec.get("query", {}))
    return frozenset(keys)


def real_request(case: Case, base_url: str) -> RealRequest:
    """The request ``case`` stands for, on ``base_url`` (the vendor's baseUrl)."""
    kwargs = case.as_transport_kwargs(base_url="http://placeholder")
    raw = case.operation.definition.raw
    spec = real_spec(raw)
    path = urlsplit(kwargs["url"]).path
    params: list[tuple[str, str]] = []
    generated = _flatten_params(kwargs.get("params") or {})
    if spec is not None:
        path = spec["path"]
        params = [(k, str(v)) for k, v in spec.get("query", {}).items()]
        # A generated parameter named like a dispatch key would choose another operation.
        taken = dispatch_keys(case.operation.schema.raw_schema, path)
        generated = [(k, v) for k, v in generated if k not in taken]
    params += generated
    headers: dict[str, str | bytes] = {
        name: str(value)
        for name, value in (kwargs.get("headers") or {}).items()
        if name.lower() not in _DROPPED_HEADERS
    }
    headers["User-Agent"] = USER_AGENT
    return RealRequest(
        method=kwargs["method"],
        url=base_url.rstrip("/") + path,
        params=params,
        headers=headers,
        content=_body(kwargs),
    )


def _flatten_params(params: Any) -> list[tuple[str, str]]:
    items = params.items() if isinstance(params, dict) else params
    flat: list[tuple[str, str]] = []
    for key, value in items:
        values = value if isinstance(value, list | tuple) else [value]
        flat += [(str(key), _scalar(v)) for v in values]
    return flat


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _body(kwargs: dict[str, Any]) -> bytes | None:
    if "json" in kwargs:
        return httpx.Request("POST", "http://x", json=kwargs["json"]).content
    data = kwargs.get("data")
    if data is None:
        return None
    return data if isinstance(data, bytes) else _utf8(str(data))


@dataclass(frozen=True)
class OperationRef:
    """An operation of a vendor's document: its id, method and the real path it is sent to."""

    operation_id: str
    method: str
    real_path: str
    fixed_query: dict[str, str]
    pattern: re.Pattern[str]


def operations(document: dict[str, Any]) -> list[OperationRef]:
    """The document's operations in document order, with their real paths."""
    refs = []
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            spec = real_spec(operation) or {"path": path, "query": {}}
            template = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(spec["path"]))
            refs.append(
                OperationRef(
                    operation["operationId"],
                    method.upper(),
                    spec["path"],
                    dict(spec.get("query", {})),
                    re.compile(f"^{template}$"),
                )
            )
    return refs


def operation_for(document: dict[str, Any], method: str, url: str, prefix: str) -> str | None:
    """The operationId a real request invokes; ``prefix`` is the vendor's base path (/quoparts)."""
    parts = urlsplit(url)
    path = parts.path.removeprefix(prefix.rstrip("/"))
    query = {k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    for ref in operations(document):
        if (
            ref.method == method.upper()
            and ref.pattern.match(path)
            and set(ref.fixed_query) <= query
        ):
            return ref.operation_id
    return None
