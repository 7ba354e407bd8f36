"""HTTP exchanges as HAR 1.2 (``contracts/har/har.json``), with every secret masked.

Neutral inputs (method, URL, header pairs, body bytes, status, start time, duration, and each
side's HTTP version and the answer's size on the wire where they are known), so that
whatever sees the wire can record it: the fuzz harness (``mockservers fuzz --record``) and a
proxy in front of a real vendor alike. Masking follows the journal's rules
(:func:`mockservers.core.secretnames.is_secret`): query values, headers and JSON fields named like
a secret (``token``, ``password``, ``Authorization``, ``SyncSecretKey``, ``AccessToken``,
``COD_PWD``, ``FileBase64``...) become ``***``, in the URL as well as in ``queryString``.

A secret can also travel where no name says so (an error message echoing a token). The
:class:`Recorder` therefore remembers the values it masked by name (in answers always, in
requests unless told not to) and those it is given, and blots them out wherever else they
appear in the log (:mod:`mockservers.core.learned` reads them out of an exchange,
:mod:`mockservers.core.blotting` bounds what it remembers).

A body is kept as text in the charset its ``Content-Type`` declares (UTF-8 without one), and
as base64 when its bytes are no text in it (``content.encoding``, and the kit's own
``postData._encoding``), masked before it is encoded: a replay sends and compares the bytes
that went over the wire. A request's body sent in a ``Content-Encoding`` is kept decoded
(given so by its caller), masked, its coding in ``postData._coding``; the bytes as they came
would keep a password no mask could find.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from contracts.charsets import is_utf8
from mockservers.core import secrets
from mockservers.core.blotting import Blots, Memory, Opaque
from mockservers.core.http import NOT_JSON, charset_of, json_of
from mockservers.core.learned import Pairs, remember
from mockservers.core.phrases import status_phrase
from mockservers.core.secretnames import secret_header, secret_parameter
from mockservers.core.secrets import mask_pairs
from mockservers.core.urlmasks import mask_header_urls, mask_url

VERSION = "1.2"


def masked_body(body: bytes, content_type: str) -> bytes:
    """A body with its secrets masked, as :func:`recorded_body` reads it back from a recording
    (what a replay compares with it)."""
    text, encoded = body_fields(body, content_type)
    kept = {"text": text, "mimeType": content_type, "encoding": "base64" if encoded else ""}
    return recorded_body(kept, "encoding")


def body_fields(body: bytes, content_type: str, blots: Blots | None = None) -> tuple[str, bool]:
    """A body as HAR keeps it, its secrets masked, and whether it went as base64: its text, in
    the charset its ``Content-Type`` declares (UTF-8 without one); the base64 of its bytes
    when they are no text in that charset (a Latin-1 form sent without a charset). The
    remembered secrets (``blots``) are blotted out of its bytes first, read in that charset
    and in others (:meth:`~mockservers.core.blotting.Blots.out_of_bytes`): none could be
    found in the base64, nor in UTF-8 read as Latin-1. A text that would not come back as its
    bytes (a BOM read, or written back otherwise: UTF-16, utf-8-sig) goes as base64 too,
    unless it holds a secret: then as its text, masked (no secret could be found in the base64
    of UTF-16). A body that declares another charset but whose bytes are UTF-8 has the secrets
    of that reading masked first: a UTF-8 password labelled UTF-16 is mojibake in its charset,
    no mask found it, and its base64 kept it."""
    declared = charset_of(content_type)
    charset = declared or "utf-8"
    if charset != "utf-8" and is_utf8(body):
        body = secrets.masked_bytes(body)
    if blots is not None:
        body = blots.out_of_bytes(body, declared)
    try:
        text = body.decode(charset)
    except (UnicodeError, LookupError):  # IDNA's refusals are no UnicodeDecodeError
        return _opaque(secrets.masked_bytes(body)), True
    masked = _masked(body, text, charset)
    if text.encode(charset) == body or masked != text or (blots and blots.out_of(text) != text):
        return masked, False
    return _opaque(body), True


def _opaque(body: bytes) -> str:
    """``body`` in base64."""
    return Opaque(base64.b64encode(body).decode("ascii"))


def recorded_body(fields: dict[str, Any], base64_field: str) -> bytes:
    """The bytes of a HAR's ``postData`` or ``content``: its text decoded from base64 where
    ``base64_field`` says so (``_encoding`` and ``encoding``), else in the charset its
    ``mimeType`` declares; in UTF-8 without one, and for a text that charset cannot hold (a
    HAR from elsewhere)."""
    text: str = fields.get("text", "")
    if fields.get(base64_field) == "base64":
        return base64.b64decode(text)
    charset = charset_of(fields.get("mimeType", "")) or "utf-8"
    try:
        return text.encode(charset)
    except (UnicodeError, LookupError):
        return text.encode("utf-8")


def _masked(body: bytes, text: str, charset: str) -> str:
    """A body's text with its secret JSON fields masked (:func:`~mockservers.core.secrets.
    masked_json`); a body that is not JSON is kept as text, any ``"secret": "value"`` pair in
    it blotted out all the same."""
    value = json_of(body if charset == "utf-8" else text.encode("utf-8"))
    if value is NOT_JSON:
        return secrets.mask_text(text)
    return secrets.masked_json(text, value)


def entry(
    *,
    method: str,
    url: str,
    request_headers: Pairs,
    request_body: bytes | None,
    status: int,
    response_headers: Pairs,
    response_body: bytes | None,
    started: datetime,
    duration_ms: float,
    response_body_size: int | None = None,
    request_body_size: int | None = None,
    request_coding: str = "",
    request_withheld: str = "",
    request_http_version: str = "HTTP/1.1",
    response_http_version: str = "HTTP/1.1",
    status_text: str | None = None,
    comment: str | None = None,
    blots: Blots | None = None,
) -> dict[str, Any]:
    """One HAR entry for one exchange, secrets masked. ``status`` 0: no answer came (a dropped
    connection; say why in ``comment``), so the response is empty. Bodies are kept as
    :func:`body_fields` keeps them (``blots``: the remembered secrets' blots).

    ``response_body`` is the answer's body with its ``Content-Encoding`` undone, and
    ``response_body_size`` its size as it came over the wire (None: the same; -1: not known):
    HAR's ``bodySize`` is the size transferred, ``content.size`` the decoded one, and
    ``content.compression`` what the coding saved. Each side has its own HTTP version (an
    HTTP/1.0 server answers a request sent in HTTP/1.1 in its own).

    A request's body likewise: ``request_body`` with its ``Content-Encoding``
    (``request_coding``) undone, kept masked with the kit's ``postData._coding`` (a replay
    applies it again), and ``request_body_size`` its size as it came. One whose coding could
    not be undone is not kept at all (``request_withheld``: why; ``postData._withheld``):
    its bytes could hold a secret no mask can find."""
    request_headers, response_headers = list(request_headers), mask_header_urls(response_headers)
    started = started if started.tzinfo is not None else started.replace(tzinfo=UTC)
    duration = round(max(duration_ms, 0.0), 3)
    request: dict[str, Any] = {
        "method": method.upper(),
        "url": mask_url(url),
        "httpVersion": request_http_version,
        "cookies": [],
        "headers": _name_values(mask_pairs(request_headers, secret_header)),
        "queryString": _name_values(
            mask_pairs(parse_qsl(urlsplit(url).query, keep_blank_values=True), secret_parameter)
        ),
        "headersSize": -1,
        "bodySize": len(request_body or b"") if request_body_size is None else request_body_size,
    }
    content_type = _header(request_headers, "content-type")
    if request_withheld:
        request["postData"] = {
            "mimeType": content_type,
            "text": "",
            "comment": f"not kept ({request_coding}): {request_withheld}",
            "_coding": request_coding,
            "_withheld": True,
        }
    elif request_body:
        text, encoded = body_fields(request_body, content_type, blots)
        request["postData"] = {"mimeType": content_type, "text": text}
        if encoded:  # HAR's postData has no encoding: a field of the kit's
            request["postData"]["_encoding"] = "base64"
        if request_coding:
            request["postData"]["_coding"] = request_coding
    size = len(response_body or b"")
    transferred = size if response_body_size is None else response_body_size
    content: dict[str, Any] = {"size": size, "mimeType": _header(response_headers, "content-type")}
    if transferred not in (size, -1):
        content["compression"] = size - transferred
    if response_body:
        content["text"], encoded = body_fields(response_body, content["mimeType"], blots)
        if encoded:
            content["encoding"] = "base64"
    found = {
        "startedDateTime": started.isoformat(timespec="milliseconds"),
        "time": duration,
        "request": request,
        "response": {
            "status": status,
            "statusText": status_phrase(status, "") if status_text is None else status_text,
            "httpVersion": response_http_version if status else "",
            "cookies": [],
            "headers": _name_values(mask_pairs(response_headers, secret_header)),
            "content": content,
            "redirectURL": _header(response_headers, "location"),
            "headersSize": -1,
            "bodySize": transferred if status else -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": duration, "receive": 0},
    }
    if comment:
        found["comment"] = comment
    return found


def request_version(answered: str) -> str:
    """The HTTP version an httpx client sent a request in, from its answer's: one connection
    speaks one protocol, and over HTTP/1.x its request line says HTTP/1.1 whatever version the
    server's status line gives."""
    return answered if answered.startswith("HTTP/2") else "HTTP/1.1"


def log(
    entries: Iterable[dict[str, Any]],
    *,
    creator: str = "mockservers",
    creator_version: str | None = None,
    comment: str | None = None,
) -> dict[str, Any]:
    """The HAR document around ``entries``."""
    body: dict[str, Any] = {
        "version": VERSION,
        "creator": {"name": creator, "version": creator_version or _kit_version()},
        "entries": list(entries),
    }
    if comment:
        body["comment"] = comment
    return {"log": body}


class Recorder:
    """Collects exchanges as HAR entries, each with every secret value it remembers blotted out
    wherever it appears, and hands out one log in which those it still remembers are blotted
    out of every entry (a value quoted before it was first masked by name).

    The values remembered (:class:`~mockservers.core.blotting.Memory`): those given to
    :meth:`also_mask`, those masked by name in answers (tokens a login issued, ``COD_PWD``),
    and, with ``remember_requests`` (a proxy, whose callers send real credentials), those
    masked by name in requests. A fuzz harness turns that off: its requests carry generated
    junk in secret places, and blotting junk such as ``application/json`` everywhere would
    spoil the log; it names its credentials instead.
    """

    def __init__(
        self,
        *,
        creator: str = "mockservers",
        creator_version: str | None = None,
        remember_requests: bool = True,
        memory: Memory | None = None,
    ) -> None:
        self.creator = creator
        self.creator_version = creator_version
        self.remember_requests = remember_requests
        self.entries: list[dict[str, Any]] = []
        self.memory = memory if memory is not None else Memory()
        """What it blots out; given, it is shared with whatever else must blot out the same
        secrets (the fuzz harness's report and console)."""

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, **exchange: Any) -> dict[str, Any]:
        """Record one exchange (the keyword arguments of :func:`entry`); its entry, every
        secret value remembered so far blotted out."""
        # Header pairs may come as one-shot iterables: read them once.
        exchange["request_headers"] = list(exchange.get("request_headers", ()))
        exchange["response_headers"] = list(exchange.get("response_headers", ()))
        self._remember(exchange)
        recorded = self.memory.scrub(entry(**exchange, blots=self.memory.blots()))
        self.entries.append(recorded)
        return recorded  # type: ignore[no-any-return]

    def also_mask(self, *values: str) -> None:
        """Blot out these values too, wherever they appear (credentials the caller used)."""
        self.memory.pin(values)

    def document(self, comment: str | None = None) -> dict[str, Any]:
        """The HAR log of everything recorded so far."""
        found = log(
            self.entries,
            creator=self.creator,
            creator_version=self.creator_version,
            comment=comment,
        )
        return self.memory.scrub(found)  # type: ignore[no-any-return]

    def write(self, path: str | Path, comment: str | None = None) -> Path:
        """Write the log as JSON (UTF-8) to ``path``, creating its folder."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.document(comment), ensure_ascii=False, indent=1)
        target.write_text(text + "\n", "utf-8")
        return target

    def _remember(self, exchange: dict[str, Any]) -> None:
        remember(
            self.memory,
            url=exchange.get("url", ""),
            request_headers=exchange["request_headers"],
            request_body=exchange.get("request_body"),
            response_headers=exchange["response_headers"],
            response_body=exchange.get("response_body"),
            requests=self.remember_requests,
        )


def _name_values(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in pairs]


def _header(pairs: list[tuple[str, str]], name: str) -> str:
    return next((value for key, value in pairs if key.lower() == name), "")


def _kit_version() -> str:
    try:
        return metadata.version("mockservers")
    except metadata.PackageNotFoundError:
        return "0"
