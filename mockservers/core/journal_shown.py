"""A journal entry as readers see it: rendered as JSON, secrets masked, made once per entry.

Masking happens when the journal is read, so no reader — admin API, test helper, log — ever sees
a secret. An entry is rendered (masked, as JSON) on its first read and keeps that rendering.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from typing import Any
from urllib.parse import parse_qsl, quote

import orjson

from contracts.charsets import also_utf8, reads_charsets, sent_text, utf8_json
from contracts.messages import contract_for, query_values
from mockservers.core.clock import iso
from mockservers.core.codings import Unreadable, coding_of, undone
from mockservers.core.http import NOT_JSON, charset_of, header_text, json_of, text_of
from mockservers.core.journal_entry import Entry
from mockservers.core.secretnames import secret_header, secret_parameter
from mockservers.core.secrets import (
    mask_pairs,
    mask_text,
    mask_value,
    masked_bytes,
    may_hold_secret_documents,
)
from mockservers.core.urlmasks import mask_query, may_hold_secret_urls

_BODY_PREVIEW = 64 * 1024


CodesOf = Callable[[dict[str, Any]], list[str]]
"""A rendered journal entry -> the vendor codes in its answer (strings)."""


def shown(entry: Entry) -> bytes:
    """:func:`render`'s JSON, made once per entry. Masking walks both bodies: 200 entries of
    100-row QuoParts imports took 0.1 s of CPU to render, on every read, and the dashboard
    reads them every second (docs/performance.md)."""
    if entry.shown is None:
        entry.shown = orjson.dumps(render(entry))
    return entry.shown


def rendered(entries: Iterable[Entry]) -> Iterator[dict[str, Any]]:
    """The entries as the admin API shows them (secrets masked), from each one's kept JSON,
    each parsed as it is read: a count or a verify keeps a few, and 16,000 entries parsed all
    at once held every one of them, the collector walking them again and again as they grew
    (0.9 s of CPU, where one at a time takes 0.1 to 0.2 s)."""
    return (orjson.loads(shown(entry)) for entry in entries)


def shown_array(entries: Iterable[Entry], codes: CodesOf | None = None) -> bytes:
    """The entries as the admin API's JSON array, put together from each one's kept JSON.
    With ``codes``, each without its bodies, with the vendor's codes in its answer instead
    (``codes`` reads them from the entry as shown): what a poll of the list needs."""
    if codes is None:
        return b"[" + b",".join(map(shown, entries)) + b"]"
    return b"[" + b",".join(shown_brief(entry, codes) for entry in entries) + b"]"


def shown_brief(entry: Entry, codes: CodesOf) -> bytes:
    """The entry's JSON without its bodies, with the vendor's codes in its answer instead
    (``codes`` reads them from the entry as shown), made once per entry."""
    if entry.brief is None:
        entry.brief = orjson.dumps(brief(render(entry), codes))
    return entry.brief


def brief(full: dict[str, Any], codes: CodesOf) -> dict[str, Any]:
    """A rendered entry without its bodies, with the vendor's codes in its answer instead."""
    shown = {key: value for key, value in full.items() if key not in ("request", "response")}
    return shown | {"codes": codes(full)}


def render(entry: Entry) -> dict[str, Any]:
    request, request_format, request_cut = shown_request(entry)
    response, response_format, response_cut = shown_response(entry)
    lines = _masked_headers(entry.headers)
    return {
        "time": iso(entry.time),
        "vendor": entry.vendor,
        "operation": entry.operation,
        "method": entry.method,
        "path": entry.path,
        "target": text_of(sent_target(entry)),
        "query": shown_query(entry),
        "headers": first_values(lines),
        "header_lines": [list(line) for line in lines],
        "status": entry.status,
        "request": request,
        "request_format": request_format,
        "response": response,
        "response_format": response_format,
        "duration_ms": round(entry.duration_ms, 3),
        "detail": entry.detail or None,
        "id": entry.id,
        "session": entry.session,
        "tenant": entry.tenant,
        "behaviours": list(dict.fromkeys(entry.behaviours)),  # each once, first met first
        "response_headers": dict(_masked_headers(entry.response_headers)),
        "source": entry.source,
        "verdict": entry.verdict,
        "shadow": entry.shadow,
        "cut": _shown_in_part(entry, request_cut, response_cut),
    }


def shown_query(entry: Entry) -> dict[str, str]:
    """The call's query by name, secret values masked, a repeated name's value the one its
    vendor reads (``contracts.messages.query_values``, from the operation's query contract:
    XTRA's first, QuoParts's last); ``target`` keeps every value."""
    sent = parse_qsl(entry.query.decode("latin-1"), keep_blank_values=True)
    checked = contract_for(entry.vendor, entry.operation, "query")
    return query_values(checked, mask_pairs(sent, secret_parameter))


def _shown_in_part(entry: Entry, request_cut: bool, response_cut: bool) -> dict[str, int] | None:
    """What the entry shows only the start of, and its size as received: what the journal cut
    (``Entry.cut``), and a body longer than its preview."""
    parts = dict(entry.cut or {})
    if request_cut:
        parts.setdefault("request", len(entry.request_body))
    if response_cut:
        parts.setdefault("response", len(entry.response_body))
    return parts or None


def first_values(lines: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header lines by name, a repeated name's first value: the one the fakes read (as
    Starlette's ``Headers.get``); ``header_lines`` keeps every line."""
    found: dict[str, str] = {}
    for name, value in lines:
        found.setdefault(name, value)
    return found


def _masked_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """Header lines as text (UTF-8, else Latin-1), in order, secret values masked."""
    return mask_pairs(((k.decode("latin-1"), header_text(v)) for k, v in headers), secret_header)


def sent_target(entry: Entry) -> bytes:
    """The request target as the call sent it, percent-escapes and repeated parameters kept,
    the values of secret parameters masked."""
    path = entry.raw_path if entry.raw_path is not None else quote(entry.path).encode("latin-1")
    query = mask_query(entry.query.decode("latin-1")).encode("latin-1")
    return path + b"?" + query if query else path


def shown_body(body: bytes, text: bytes | None = None) -> tuple[Any, str | None]:
    """A body for display, and its format: parsed and masked if it is JSON (``"json"``), else
    its text with secrets blotted out (``"text"``, the first 64 KiB); ``(None, None)`` when
    there is none. The format tells a JSON string or ``null`` from text and from no body.
    ``text``: what is shown of a body that is not JSON, in UTF-8 (the body itself without)."""
    if not body:
        return None, None
    value = json_of(body)
    if value is NOT_JSON:
        text = body if text is None else text
        preview = text[:_BODY_PREVIEW].decode("utf-8", "replace")
        return mask_text(preview, cut=len(text) > _BODY_PREVIEW), "text"
    inner, urls = may_hold_secret_documents(body), may_hold_secret_urls(body)
    return mask_value(value, inner=inner, urls=urls), "json"


def shown_response(entry: Entry) -> tuple[Any, str | None, bool]:
    """The answer's body for display, as :func:`shown_body` shows one, and whether only its
    start is shown: read in the charset its ``Content-Type`` declares, as a recording reads it
    (``har.body_fields``), and parsed from that text when it is JSON. Read as UTF-8, a Latin-1
    ``perché`` showed as ``perch\ufffd`` and a UTF-16 JSON answer as text, its codes unread. A
    byte not in the charset reads as U+FFFD (one a codec refuses even so: read as UTF-8)."""
    body = entry.response_body
    text = body
    charset = charset_of(content_type(entry.response_headers)) if body else None
    if charset not in (None, "utf-8"):
        with suppress(UnicodeError):  # a codec's refusal (IDNA's) even of replacements
            text = body.decode(charset, "replace").encode("utf-8", "surrogatepass")
    shown, format_ = shown_body(text)
    return shown, format_, format_ == "text" and len(text) > _BODY_PREVIEW


def shown_request(entry: Entry) -> tuple[Any, str | None, bool]:
    """The request's body for display, as :func:`shown_body` shows one, and whether only its
    start is shown. A body in a ``Content-Encoding`` (gzip, deflate) is shown decoded (its
    first 64 KiB), masked: its bytes as they came would keep a password no mask can find; one
    that does not decode, not at all (a note says why). One in the UTF-16 its
    ``Content-Type`` declares, or after a UTF-8 byte order mark, is shown as its vendor reads
    it (:func:`shown_read`)."""
    body = entry.request_body
    coding = coding_of(entry.headers) if body else ""
    if not coding:
        shown, format_ = shown_read(entry, body)
        return shown, format_, format_ == "text" and len(body) > _BODY_PREVIEW
    try:
        decoded = undone(body, coding, _BODY_PREVIEW)
    except Unreadable as exc:
        return f"({len(body)} bytes in {coding}, not shown: {exc})", "text", False
    if not decoded.short:
        return (*shown_read(entry, decoded.body), False)
    text = decoded.body.decode("utf-8", "replace")
    return mask_text(text, cut=True), "text", True


def shown_read(entry: Entry, body: bytes) -> tuple[Any, str | None]:
    """A request's body (as sent, or its coding undone) shown as :func:`shown_body` shows one,
    JSON only if its vendor reads it as JSON: in UTF-8 (:func:`request_text`) under a body
    contract marked ``x-charsets`` (XTRA's ASP.NET), else as sent (TS Digital refuses a UTF-16
    body, or one after a BOM, as no JSON: it was shown parsed, and a ``body`` matcher of
    ``count`` or ``verify`` matched it), its text read in its charset, its BOM kept. Either
    way with the secrets of its bytes read as UTF-8 masked first (:func:`masked_as_utf8`)."""
    body = masked_as_utf8(entry, body)
    text = request_text(entry, body)
    if text is body or reads_charsets(contract_for(entry.vendor, entry.operation, "request")):
        return shown_body(text)
    return shown_body(body, sent_text(body, content_type(entry.headers)))


def request_text(entry: Entry, body: bytes) -> bytes:
    """A request's body (as sent, or its coding undone) in UTF-8, as an ASP.NET vendor reads
    it (``contracts.charsets.utf8_json``: a UTF-8 byte order mark skipped, a declared UTF-16
    decoded): what is masked of it, for every vendor (a UTF-16 password is no UTF-8 a mask
    can find), and shown of it where its vendor reads it so (:func:`shown_read`)."""
    return utf8_json(body, content_type(entry.headers))


def masked_as_utf8(entry: Entry, body: bytes) -> bytes:
    """A request's body (as sent, or its coding undone) with the secrets its bytes hold as
    UTF-8 masked where its vendor's reading (:func:`request_text`) is other text
    (``contracts.charsets.also_utf8``: a UTF-8 body labelled UTF-16), so that neither reading
    of what is shown or sent again (the curl line) holds them; else the body itself."""
    return masked_bytes(body) if also_utf8(body, content_type(entry.headers)) else body


def content_type(headers: list[tuple[bytes, bytes]]) -> str:
    """A request's ``Content-Type`` ("" without one)."""
    return next((header_text(v) for k, v in headers if k.lower() == b"content-type"), "")
