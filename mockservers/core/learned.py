"""The secret values an exchange carries by name, learned so that they can be blotted out
wherever else they appear (a token an error message quotes, a password a redirect repeats).

What a name says is a secret (:mod:`mockservers.core.secretnames`: a parameter of a URL, the
request's or one a header holds, a header, a JSON field, a form's field...) in a request and in
its answer is read out, with the parts a vendor may echo on their own (a ``Bearer`` header's
token, a ``Basic`` credential's password, a cookie's values); :func:`remember` teaches them to
a recording's :class:`~mockservers.core.blotting.Memory`, :func:`secrets_of` lists them (both
read an exchange once with :func:`found_in`, for a caller doing both), and
:func:`scrub` and its kin blot them out of JSON data, text, headers and bytes.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from contracts.charsets import also_utf8, content_type_of, utf8_json
from mockservers.core import secrets
from mockservers.core.blotting import SCRUBBED_MIN_LENGTH, Memory, blot_out, blots_of
from mockservers.core.http import NOT_JSON, charset_of, json_of
from mockservers.core.secretnames import secret_header, secret_parameter
from mockservers.core.urlmasks import header_url_secrets, mask_header_urls, url_secrets

Pairs = Iterable[tuple[str, str]]
Named = list[tuple[str, str]]
"""Secret values, each with the name (or the text) that says it is one."""


class Found(NamedTuple):
    """The secrets of one exchange, each with its name: those its answer names (issued tokens)
    and those its request sends. Read once (:func:`found_in`) for both of their uses: the values
    to blot out (:func:`values`) and what a memory learns (:func:`learn`)."""

    answer: Named
    sent: Named


def found_in(
    *,
    url: str = "",
    request_headers: Pairs = (),
    request_body: bytes | None = None,
    response_headers: Pairs = (),
    response_body: bytes | None = None,
) -> Found:
    """The named secrets of one exchange: those of the query, headers and bodies named like a
    secret (a JSON field, a form's field, a multipart part, a parameter of the URL a redirect's
    ``Location`` holds...: what the journal masks); a ``Bearer <token>`` header also gives its
    token alone, a cookie header its values alone (never the words around them: ``Bearer``,
    ``Secure`` and ``HttpOnly`` are no secrets)."""
    return Found(
        _answer_secrets(response_headers, response_body),
        _request_secrets(url, request_headers, request_body),
    )


def values(found: Found, *, requests: bool = True) -> list[str]:
    """The secret values of ``found`` long enough to blot out: the answer's and (``requests``)
    the request's."""
    named = found.answer + found.sent if requests else found.answer
    return [value for _, value in named if len(value) >= SCRUBBED_MIN_LENGTH]


def learn(memory: Memory, found: Found, *, requests: bool) -> None:
    """Teach ``memory`` the secrets of one exchange, as a HAR
    :class:`~mockservers.core.har.Recorder` learns them: those its answer names, and
    (``requests``) those its request sends; without ``requests``, a value learned before and
    sent again only counts as still in use."""
    learnt = list(found.answer)
    if requests:
        memory.learn((v for n, v in found.sent if _credential(n)), credentials=True)
        learnt += [(n, v) for n, v in found.sent if not _credential(n)]
    else:  # a token learned from an answer and still sent is still in use: kept
        memory.refresh(v for _, v in found.sent)
    memory.learn(v for _, v in learnt)


def remember(memory: Memory, *, requests: bool, **exchange: Any) -> None:
    """Teach ``memory`` the secrets of one exchange (the keyword arguments of
    :func:`found_in`): :func:`learn` on what it finds."""
    learn(memory, found_in(**exchange), requests=requests)


def secrets_of(*, requests: bool = True, **exchange: Any) -> list[str]:
    """The secret values of one exchange (the keyword arguments of :func:`found_in`), in the
    answer and (``requests``) in the request."""
    return values(found_in(**exchange), requests=requests)


def _answer_secrets(headers: Pairs, body: bytes | None) -> Named:
    return _headers_secrets(headers) + _body_secrets(body)


def _request_secrets(url: str, headers: Pairs, body: bytes | None) -> Named:
    """A request's secrets, its body's read from its text (``utf8_json``: after a UTF-8 byte
    order mark, or decoded from the UTF-16 it declares), as the journal shows and judges it: a
    UTF-16 password is no JSON as sent, and the verdict quoted it in clear; and from its bytes
    as sent too where they are UTF-8 that reads otherwise (``also_utf8``: a UTF-8 body labelled
    UTF-16, whose password no mojibake shows, and a vendor reading the bytes echoes)."""
    headers = list(headers)
    found = _headers_secrets(headers) + url_secrets(url)
    if not body:
        return found
    content_type = content_type_of(headers)
    found += _body_secrets(utf8_json(body, content_type))
    return found + _body_secrets(body) if also_utf8(body, content_type) else found


def _headers_secrets(headers: Pairs) -> Named:
    """The secrets of headers: a secret header's (:func:`_header_secrets`), and the secret
    parameters of a URL a header holds (a redirect's ``Location``: an OAuth implicit flow
    answers with ``cb#access_token=...``, the only place it gives its token)."""
    found: Named = []
    for name, value in headers:
        found += (
            _header_secrets(name, value) if secret_header(name) else header_url_secrets(name, value)
        )
    return found


def _header_secrets(name: str, value: str) -> Named:
    """A secret header's value whole, and the secret parts of it: a cookie's values (``Cookie:
    a=1; b=2``, ``Set-Cookie: a=1; Path=/``), or the credential after a scheme (``Bearer``);
    a ``Basic`` credential also decoded, ``user:password`` and its password, both standing
    credentials (a vendor's error may echo the password it read from it)."""
    lowered = name.lower()
    if lowered in ("cookie", "set-cookie"):
        pairs = value.split(";") if lowered == "cookie" else value.split(";")[:1]
        return [(name, v) for v in (value, *(pair.partition("=")[2].strip() for pair in pairs))]
    scheme, _, credential = value.strip().partition(" ")
    credential = credential.strip()
    if not credential:
        return [(name, value)]
    found = [(name, value), (name, credential)]
    if scheme.lower() == "basic":
        found += [("password", decoded) for decoded in _basic(credential)]
    return found


def _basic(credential: str) -> list[str]:
    """A ``Basic`` credential's ``user:password`` and its password (RFC 7617: UTF-8, or the
    Latin-1 of older clients); nothing when it is no base64 or holds no password."""
    try:
        raw = base64.b64decode(credential, validate=True)
    except ValueError:  # binascii.Error
        return []
    try:
        pair = raw.decode("utf-8")
    except UnicodeDecodeError:
        pair = raw.decode("latin-1")
    password = pair.partition(":")[2]
    return [pair, password] if password else []


def _body_secrets(body: bytes | None) -> Named:
    """A body's secret values: a JSON body's fields named like a secret, however deep, in a
    document a string holds too (and those its parse drops, a name given twice); in any
    other body, a form's fields (decoded) and what else the journal masks in a text (a
    multipart part, an XML element, a Python-style pair)."""
    return list(_read_body_secrets(bytes(body))) if body else []


@lru_cache(maxsize=2)
def _read_body_secrets(body: bytes) -> tuple[tuple[str, str], ...]:
    """:func:`_body_secrets`, of the last two bodies read: a proxied call's request and
    answer are read as the call is journalled and again as it is recorded, and a hostile
    body's dropped values take a parse of their own."""
    value = json_of(body)
    if value is not NOT_JSON:
        return tuple((name, str(item)) for name, item in secrets.json_secrets(body, value))
    if not secrets.names_a_secret(body):  # an 8 MiB answer took 0.7 s of parse_qsl
        return ()
    text = body.decode("utf-8", "replace")
    form = [(k, v) for k, v in parse_qsl(text, keep_blank_values=True) if secret_parameter(k)]
    return (*form, *secrets.secret_fields(text))


_CREDENTIAL_NAMES = ("password", "secretkey", "secret_key", "client_secret", "admin-token")
"""What a connector's own standing credentials are called (``Password``, ``ConfirmPassword``,
``SyncSecretKey``, OAuth's ``client_secret``...): sent day after day, not issued afresh as
tokens are."""


def _credential(name: str) -> bool:
    """Whether a value under this name (or in this text naming it) is a standing credential."""
    lowered = name.lower()
    return any(credential in lowered for credential in _CREDENTIAL_NAMES)


def scrub(node: Any, values: Iterable[str]) -> Any:
    """``node`` (JSON data or text) with every one of these secret values blotted out."""
    return scrubber(values)(node)


def scrubber(values: Iterable[str]) -> Callable[[Any], Any]:
    """:func:`scrub` with these values, their blots made once for every node it is given."""
    found = blots_of(values)
    return lambda node: blot_out(node, found.out_of) if found else node


def scrub_headers(
    headers: Iterable[tuple[bytes, bytes]], values: Iterable[str]
) -> list[tuple[bytes, bytes]]:
    """An answer's headers as a journal keeps them: URLs' secret parameters masked, and every
    one of these secret values blotted out (a redirect that echoes the password it was sent)."""
    text = mask_header_urls((k.decode("latin-1"), v.decode("latin-1")) for k, v in headers)
    found = blots_of(values)
    return [(k.encode("latin-1"), found.out_of_bytes(v.encode("latin-1"))) for k, v in text]


def scrub_bytes(body: bytes, values: Iterable[str], content_type: str = "") -> bytes:
    """A body as received with every one of these secret values blotted out (an upstream that
    echoes the password it was sent: masking by field name does not see it there), in the
    charset its ``Content-Type`` declares and in UTF-8."""
    return blots_of(values).out_of_bytes(body, charset_of(content_type))
