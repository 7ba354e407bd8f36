"""Fast JSON responses, request-body parsing and the loopback rule shared by the kit."""

from __future__ import annotations

import codecs
import encodings
import encodings.aliases
import ipaddress
import pkgutil
import re
import socket
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import jsonschema_rs
import orjson
from starlette.background import BackgroundTask
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from contracts.charsets import declared_charset
from contracts.infinite import loads

_JSON_TYPE = (b"content-type", b"application/json")

IDLE_CONNECTION_SECONDS = 4.0
"""How long the kit's own clients keep an idle connection: below the idle timeouts of the
servers they reach (uvicorn's 5 s keep-alive, the kit's own; Apache's 5 s), which close it
themselves, maybe just as the client sends on it ("Server disconnected without sending a
response")."""


class JSONResponse(Response):
    """A JSON response encoded with orjson (several times faster than the standard library).

    Every vendor answer is one of these, so the common case (no extra headers, a status with a
    body) builds its headers directly: the same headers, in the same order, as Starlette's
    ``init_headers`` makes."""

    media_type = "application/json"

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        if headers or media_type is not None or status_code < 200 or status_code in (204, 304):
            super().__init__(content, status_code, headers, media_type, background)
            return
        self.status_code = status_code
        self.background = background
        body = self.body = orjson.dumps(content)
        self.raw_headers = [(b"content-length", b"%d" % len(body)), _JSON_TYPE]

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def is_loopback(host: str | None) -> bool:
    """A caller on this machine: a loopback address, or an in-process transport (no address,
    or Starlette's ``testclient``). What the admin API and the dashboard answer without a token."""
    return host in (None, "testclient") or loopback_name(str(host))


def loopback_name(name: str) -> bool:
    """A name of this machine only: ``localhost`` (and ``*.localhost``) or a loopback address
    (``::ffff:127.0.0.1`` too, IPv4's in IPv6)."""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def foreign_page(scope: Mapping[str, Any], allowed_origins: tuple[str, ...]) -> str | None:
    """Why a loopback call without an admin token is refused as a web page's, or None.

    A browser on this machine is a loopback caller too: a page from another site could post
    faults or resets to the admin API (a form or a ``text/plain`` body needs no preflight), or,
    by DNS rebinding, read it as its own origin; through ``mockservers proxy``, call the real
    sandbox with the proxy's credentials. So such a call must name this host by a loopback
    name (or the in-process transport's own host; browsers always send one), and a page's
    ``Origin`` must be this kit's own or one of the configured CORS origins. The admin API,
    the dashboard and the proxy's forwarded prefixes apply it. A call with two ``Host`` (RFC
    9112 §3.2) or two ``Origin`` headers is refused: the check and what answers the call (the
    proxy's ``Location`` rewrite, :func:`host_of`) would each read another."""
    headers = scope.get("headers") or ()
    hosts = [v.decode("latin-1") for k, v in headers if k == b"host"]
    origins = [v.decode("latin-1") for k, v in headers if k == b"origin"]
    for name, found in (("Host", hosts), ("Origin", origins)):
        if len(found) > 1:
            return f"a call with {len(found)} {name} headers (a request has one at most)"
    host = hosts[0] if hosts else ""
    if host and (host_of(headers) is None or not _names_this_machine(host, scope.get("server"))):
        return f"a call for host {host!r} (not a loopback name)"
    if not origins:
        return None
    given = origins[0]
    if given == f"{scope.get('scheme', 'http')}://{host}" or given in allowed_origins:
        return None
    return f"a page from {given} (not this kit's origin nor a --cors-origin)"


def host_of(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """A request's ``Host`` as the kit reads it: its one ``Host`` header, when that is
    ``host[:port]`` (a name, or an IPv6 address in brackets; the port in digits); None without
    one, with two, or with another form (``127.0.0.1:1@evil.example``)."""
    hosts = [v for k, v in headers if k == b"host"]
    if len(hosts) != 1 or not _HOST.fullmatch(hosts[0]):
        return None
    return hosts[0].decode("latin-1")


_HOST = re.compile(rb"(?:[0-9A-Za-z._~-]*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?")
"""``host[:port]`` of RFC 9110 §7.2, the name in the letters, digits and marks names use."""


def _names_this_machine(host: str, server: Any) -> bool:
    """``localhost:8000``, ``127.0.0.1``, ``[::1]:8000``, ``localhost.``, the server's own
    name, the machine's host name, or ``0.0.0.0`` (what uvicorn prints for ``--host
    0.0.0.0``): names a connector on this machine calls it by. No other site serves a page
    under one of them, but with hostile DNS (the host name)."""
    name = (host if host.endswith("]") else host.rsplit(":", 1)[0]).strip("[]").lower()
    name = name.removesuffix(".")  # a fully qualified name: "localhost." is "localhost"
    return (
        (server is not None and name == str(server[0]).lower())
        or name in _machine_names()
        or loopback_name(name)
    )


@cache
def _machine_names() -> frozenset[str]:
    """This machine's host name and the unspecified addresses, which reach it from itself."""
    return frozenset({socket.gethostname().lower().removesuffix("."), "0.0.0.0", "::"} - {""})


def declared_beyond(headers: list[tuple[bytes, bytes]], limit: int) -> bool:
    """Whether a request's ``Content-Length`` (ASGI headers, lower-case names) declares a body
    of more than ``limit`` bytes."""
    for name, value in headers:
        if name == b"content-length":
            if len(value) > 18:  # leading zeros count for nothing (RFC 9110: 1*DIGIT)
                value = value.lstrip(b"0")
                if len(value) > 18:  # more digits than any limit has: not read (that is slow)
                    return value.isdigit()
            return value.isdigit() and int(value) > limit
    return False


def closing_unread(scope: Scope, receive: Receive, send: Send) -> tuple[Receive, Send]:
    """``receive`` and ``send`` of a call, so that an answer sent to a client waiting for
    ``100 Continue`` before any of its body was asked for closes the connection.

    uvicorn says ``100 Continue`` on the first ``receive``; a call refused before (its declared
    length over the limit, a method its path does not answer) leaves the client holding its
    body back, and on a connection kept open uvicorn would read the client's next request as
    that body. RFC 9110 §10.1.1 lets a server close instead."""
    for name, value in scope["headers"]:
        if name == b"expect" and value.lower() == b"100-continue":
            break
    else:
        return receive, send
    asked = False

    async def receiving() -> Message:
        nonlocal asked
        asked = True
        return await receive()

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and not asked:
            message = {**message, "headers": [*message.get("headers", ()), _CLOSE]}
        await send(message)

    return receiving, sending


_CLOSE = (b"connection", b"close")


SHOWN_DEPTH = 200
"""How deep the JSON the kit reads for itself may nest (see :func:`read_json`): as deep as a
fake may be configured to accept (``[kit] max_json_depth`` is at most 200), so that every
accepted call can be verified; the answers around it stay within orjson's 255 levels."""


def header_text(value: bytes) -> str:
    """A header value as a vendor's server reads it: without the whitespace around it (which
    HTTP says is not part of it: ``password: demo\t`` is ``demo``), as UTF-8, as clients send
    text beyond ASCII (a configured password ``päss`` matches), else byte for byte (Latin-1)."""
    return text_of(value.strip(b" \t"))


def text_of(value: bytes) -> str:
    """Bytes from the wire as text: UTF-8, as clients send text beyond ASCII, else byte for
    byte (Latin-1)."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def read_json(body: bytes, *, past_doubles: bool = False) -> Any:
    """A body parsed for the kit's own reading (display, masking, comparison, replay): as
    ``orjson.loads``, and JSON nested deeper than ``SHOWN_DEPTH`` refused the same way
    (``orjson.JSONDecodeError``), so that it is read as text. Walking it would pass Python's
    recursion limit (masking, equality) or orjson's 255 levels (an answer that holds it);
    a fake refuses such a body, yet its journal, a recording or a proxy keeps it.
    ``past_doubles``: a number past a double's range read as ±infinity, as the fakes read it
    (``contracts/infinite.py``), where the body is read to be rewritten or matched as read;
    without, such a body is text (a parse would show and write the number as ``null``)."""
    return within_shown_depth(body, loads(body) if past_doubles else orjson.loads(body))


def within_shown_depth(body: bytes, value: Any) -> Any:
    """``value``, read from ``body``, unless it nests deeper than ``SHOWN_DEPTH``: then
    ``orjson.JSONDecodeError``, as :func:`read_json` refuses it."""
    # Each level opens a bracket: fewer brackets than levels is the usual case, counted in
    # native code (a walk of a 100-row import cost 30 µs a rendering).
    if body.count(b"[") + body.count(b"{") > SHOWN_DEPTH and too_deep(value, SHOWN_DEPTH):
        raise orjson.JSONDecodeError(f"nested deeper than {SHOWN_DEPTH} levels", "", 0)
    return value


NOT_JSON: Any = object()
"""What :func:`json_of` makes of a body that is empty, not JSON or nested too deep to read."""


def json_of(body: bytes, *, past_doubles: bool = False) -> Any:
    """A body as the kit reads it (:func:`read_json`, ``past_doubles`` too), or ``NOT_JSON``:
    the one reading for comparing answers, translating generated values and masking secrets,
    whatever each then makes of a body that is not JSON."""
    try:
        return read_json(body, past_doubles=past_doubles) if body else NOT_JSON
    except orjson.JSONDecodeError:
        return NOT_JSON


def charset_of(content_type: str) -> str | None:
    """The charset a ``Content-Type`` declares (``iso8859-1`` of ``text/xml;
    charset=ISO-8859-1``, as Python names it), when Python knows it as a text encoding (not
    ``hex``, ``base64`` or ``zlib``: codecs of bytes to bytes, which ``bytes.decode`` refuses)."""
    value = declared_charset(content_type)  # read as the fake reads it: a quoted value whole
    if value is None or not _python_names(value):
        return None
    try:
        codec = codecs.lookup(value)
    except (LookupError, ValueError):
        return None
    return codec.name if getattr(codec, "_is_text_encoding", True) else None


def _python_names(charset: str) -> bool:
    """Whether ``charset`` names one of Python's own encodings, as ``codecs.lookup`` would find
    it, asked without it: the lookup keeps every name it did not find, for good, so a client
    sending a new ``charset`` at each call grew the process without end."""
    normal = encodings.normalize_encoding(charset.lower())
    return normal in _ENCODINGS or normal.replace(".", "_") in _ENCODINGS


_ENCODINGS = frozenset(
    {module.name for module in pkgutil.iter_modules(encodings.__path__)}
    | set(encodings.aliases.aliases)
)
"""The names ``encodings`` finds a codec by: its modules' and its aliases'."""


def too_deep(value: Any, limit: int) -> bool:
    """True when ``value`` nests objects/arrays more than ``limit`` levels deep."""
    return not _depth_validator(limit).is_valid(value)


@cache
def _depth_validator(limit: int) -> jsonschema_rs.Validator:
    """The rule "at most ``limit`` levels" as a schema, compiled once: jsonschema-rs walks a
    wide body in native code, twice as fast as a Python walk of a 100-row import."""
    # Anything but a container: a number past a double's range, read as an infinity
    # (``contracts/infinite.py``), is of no JSON type to jsonschema-rs, yet nests no deeper.
    scalar = {"not": {"type": ["object", "array"]}}
    levels: dict[str, Any] = {"0": scalar}
    for level in range(1, limit + 1):
        inner = {"$ref": f"#/$defs/{level - 1}"}
        levels[str(level)] = {
            "anyOf": [
                scalar,
                {"type": "object", "additionalProperties": inner},
                {"type": "array", "items": inner},
            ]
        }
    return jsonschema_rs.validator_for({"$defs": levels, "$ref": f"#/$defs/{limit}"})
