"""The names that say a value is a secret, and the masking of secrets by name (``***``) in
what the kit shows, logs or records: query strings, headers, JSON values, text that is not JSON
(forms, multipart parts, XML, a Python dict) and raw bodies.

The journal masks its entries with these rules as they are read; the HAR recordings, the logs,
the reports, the comparisons and the explanations follow the same ones, so that a name masked
in one place is masked in every other. A secret that travels where no name says so is blotted
out by value (:mod:`mockservers.core.blotting`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_plus

import orjson

from mockservers.core import jsonpairs
from mockservers.core.http import NOT_JSON, json_of, too_deep

MASK = "***"
SECRET_KEYS = frozenset(
    k.lower()
    for k in (
        "password",
        "ConfirmPassword",
        "token",
        "TOKEN",
        "AccessToken",
        "RefreshToken",
        "SyncSecretKey",
        "secret_key",
        "authorization",
        "COD_PWD",
        "FileBase64",
        "admin-token",
        "x-admin-token",
        # OAuth 2 and OpenID Connect's own spellings: a sandbox behind the proxy may speak
        # them (a token endpoint's form and answer, a query, an implicit flow's fragment).
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
    )
)


_SECRET_HEADERS = frozenset({"cookie", "set-cookie", "proxy-authorization"})


def is_secret(key: str) -> bool:
    return key.lower() in SECRET_KEYS


def secret_header(name: str) -> bool:
    """Whether a header's value is a secret (the secret names, and cookies)."""
    return is_secret(name) or name.lower() in _SECRET_HEADERS


def mask_pairs(
    pairs: Iterable[tuple[str, str]], secret: Callable[[str], bool] = is_secret
) -> list[tuple[str, str]]:
    """``pairs`` (a query's, headers) with the value of every secret name replaced by ``***``;
    repeated names are all kept (the journal shows them as one object, a HAR lists them)."""
    return [(name, MASK if secret(name) else value) for name, value in pairs]


def mask_query(query: str) -> str:
    """A query string with the value of every secret parameter replaced by ``***``; the rest
    kept byte for byte (order, repeats, escapes)."""
    segments = []
    for segment in query.split("&"):
        name, sep, _ = segment.partition("=")
        segments.append(f"{name}={MASK}" if sep and is_secret(unquote_plus(name)) else segment)
    return "&".join(segments)


def mask_value(
    value: Any, secret: Callable[[str], bool] = is_secret, *, text: bool = False, inner: bool = True
) -> Any:
    """A deep copy of a JSON value with every secret field (``secret``: which names are)
    replaced by ``***``, and in a document a string holds (:func:`inner_json`: written again
    when it held one; ``inner``: look into such strings, which a value whose text
    :func:`may_hold_secret_documents` says holds none need not); ``text``: every string
    masked as the journal masks text instead (:func:`mask_text`), for a value a test wrote
    (a matcher's body may be a form: ``username=demo&password=...``)."""
    return _masked(value, secret, text, inner)


def _masked(value: Any, secret: Callable[[str], bool], text: bool, inner: bool) -> Any:
    if isinstance(value, dict):
        return {
            k: MASK if secret(k) and v is not None else _masked(v, secret, text, inner)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_masked(v, secret, text, inner) for v in value]
    if text and value.__class__ is str:
        return mask_text(value)
    if inner and value.__class__ is str and value[:1] in _OPENERS:
        held = inner_json(value)
        if held is not NOT_JSON:
            masked = _masked(held, secret, False, False)
            return value if masked == held else orjson.dumps(masked).decode()
    return value


def holds_secret(value: Any, *, named: bool = False, inner: bool = True) -> bool:
    """Whether :func:`mask_value` would mask anything in a JSON value (a value, ``null`` aside,
    under a secret name; ``named``: any value, ``null`` too), found without copying it: most
    bodies hold none, and the copy of a 20 MB answer cost most of a second. ``inner``: in a
    document a string holds too."""
    if not isinstance(value, (dict, list)):
        return inner and isinstance(value, str) and _inner(value, named)
    plain: set[str] = set()  # the names met that are no secret's (a body repeats its names)
    pending = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                if item is None and not named:
                    continue
                if key not in plain:
                    if is_secret(key):
                        return True
                    plain.add(key)
                if isinstance(item, (dict, list)):
                    pending.append(item)
            node = node.values()
        else:
            pending.extend(item for item in node if isinstance(item, (dict, list)))
        if inner and any(_inner(item, named) for item in node if item.__class__ is str):
            return True
    return False


_OPENERS = ("{", "[")
INNER_DEPTH = 32
"""How deep a document a string holds is read (:func:`inner_json`): one a connector sends as a
string is shallow, and read within a body nested as deep as the kit reads one
(:data:`~mockservers.core.http.SHOWN_DEPTH`), a deeper one would pass Python's recursion
limit as it is masked."""


def inner_json(text: str) -> Any:
    """The document a string holds, when it is a JSON object or array that names a secret (a
    connector that sends a document as a string field: ``"payload": "{\\"Password\\":
    ...}"``, whose password no name in the body's text or its parse shows); else
    ``NOT_JSON``. Its own strings are not read again."""
    if text[:1] not in _OPENERS or not names_a_secret(text):
        return NOT_JSON
    value = json_of(text.encode("utf-8", "surrogatepass"))
    if value is NOT_JSON or too_deep(value, INNER_DEPTH):
        return NOT_JSON
    return value


def may_hold_secret_documents(text: str | bytes) -> bool:
    """Whether a JSON text may hold a string that is a document naming a secret
    (:func:`inner_json`): it names a secret, and a string in it opens with ``{`` or ``[`` (a
    quote, then a bracket). Most bodies do not, and their strings are not looked into."""
    opened = ('"{', '"[') if isinstance(text, str) else (b'"{', b'"[')
    return (opened[0] in text or opened[1] in text) and names_a_secret(text)


def _inner(text: str, named: bool) -> bool:
    """Whether a string holds a document (:func:`inner_json`) that holds a secret."""
    value = inner_json(text)
    return value is not NOT_JSON and holds_secret(value, named=named, inner=False)


def secret_values(node: Any, secret: bool = False) -> list[Any]:
    """The values held under a secret name in a JSON value (``secret``: the whole of ``node``
    is under one), however deep: a password sent as a list is still a password, and a
    validator's message may quote it. Strings and numbers; no booleans or nulls."""
    return [value for _, value in secret_items(node, "" if secret else None)]


def secret_items(
    node: Any, name: str | None = None, *, inner: bool = True
) -> list[tuple[str, Any]]:
    """:func:`secret_values`, each with the secret name it is held under (``name``: the one
    the whole of ``node`` is under), and in a document a string holds (:func:`inner_json`;
    ``inner``: look into such strings)."""
    return _secret_items(node, name, inner)[0]


def _secret_items(node: Any, name: str | None, inner: bool) -> tuple[list[tuple[str, Any]], bool]:
    """:func:`secret_items`, and whether a secret name was met (whatever its value)."""
    found: list[tuple[str, Any]] = []
    met = name is not None

    def walk(node: Any, name: str | None, inner: bool) -> None:
        nonlocal met
        if isinstance(node, dict):
            for key, item in node.items():
                secret = name is None and isinstance(key, str) and is_secret(key)
                met = met or secret
                walk(item, key if secret else name, inner)
        elif isinstance(node, list):
            for item in node:
                walk(item, name, inner)
        elif name is None:
            if inner and node.__class__ is str and node[:1] in _OPENERS:
                held = inner_json(node)
                if held is not NOT_JSON:
                    walk(held, None, False)
        elif isinstance(node, str | int | float) and not isinstance(node, bool):
            found.append((name, node))

    walk(node, name, inner)
    return found, met


def json_secrets(body: bytes, value: Any) -> list[tuple[str, Any]]:
    """The values under a secret name in a JSON body (``value``: as parsed), as
    :func:`secret_items` finds them, in a document a string holds too, and those its parse
    dropped (:func:`dropped_secrets`), read where the parse names a secret."""
    found, met = _secret_items(value, None, may_hold_secret_documents(body))
    return found + _dropped(body) if met else found


def dropped_secrets(text: str | bytes, value: Any) -> list[tuple[str, Any]]:
    """The values under a secret name (as :func:`secret_items` gives them) that a JSON text
    holds and its parse (``value``) does not: an object that gives a name twice parses as its
    last value, and ``"Pass\\u0077ord": "x", "Password": null`` held a password the parse
    shows as ``null``. Read only where the parse names a secret (a text that names none, nor
    holds a ``\\u`` escape that could spell one, has none to drop: most bodies)."""
    return _dropped(text) if holds_secret(value, named=True, inner=False) else []


def _dropped(text: str | bytes) -> list[tuple[str, Any]]:
    return [
        found
        for key, item in jsonpairs.dropped(text)
        for found in secret_items(item, key if is_secret(key) else None)
    ]


_SECRET_NAMES = "(?:" + "|".join(re.escape(k) for k in SECRET_KEYS) + ")"
_QUOTED = r"""(?:"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?)"""
"""A string in double or single quotes, to its closing quote or to the end of a text cut
inside it."""
_SECRET_SHAPES = {
    # "secret": value (JSON) or 'secret': value (a Python dict): a string, or any other value
    # (a number) to its end; null and None, the absence of a secret, stay.
    "pair": (
        rf"""(?P<q>["']){_SECRET_NAMES}(?P=q)\s*:\s*""",
        rf"{_QUOTED}|(?!(?:null|None)\b)[^\s,}}\]]+",
    ),
    # secret=value in a form (Username=demo&Password=...), a query, a fragment (a link's
    # "cb#access_token=...") or a connection string, to the next field, ";", space, quote, tag
    # or fragment (which a form's value would percent-encode): text around it (a link's
    # href="?token=...">, "Password=x;Database=erp") stays, and is never learned as part of
    # the secret.
    "field": (rf"(?:^|[&?;#]){_SECRET_NAMES}=", r"""[^&;\s"'<>#]*"""),
    # A multipart part named like a secret (after at most 8 lines of its headers): its
    # content, up to the next boundary. The rest of its header line is bounded, as the part
    # before the name is: unbounded, a line holding many heads and no line end was read to
    # its end once for each (148 KB of them took 45 s).
    "part": (
        rf'content-disposition:[^\r\n]{{0,200}}?\bname=(?P<p>"?){_SECRET_NAMES}(?P=p)(?=[;\s])'
        r"[^\r\n]{0,1000}\r?\n(?:[^\r\n]+\r?\n){0,8}?\r?\n",
        r"(?:(?!\r?\n--).)*",
    ),
    # An element named like a secret (<Password>, <ns:Token a="b">): its text, CDATA
    # included, when its own end tag follows (in a text cut short, to its end). Prose such
    # as "Bearer <token> for every call.</p>" stays.
    "element": (
        rf"<(?P<element_name>(?:[\w.-]+:)?{_SECRET_NAMES})(?:\s[^<>]*)?(?<!/)>",
        r"(?:<!\[CDATA\[|[^<])*(?=</(?P=element_name)\s*>{cut})",
    ),
    # An attribute named like a secret (<login password="...">).
    "attribute": (rf"\s{_SECRET_NAMES}\s*=\s*", _QUOTED),
}
"""Where text that is not JSON holds a secret: each shape's part kept, and its value's
pattern (every pattern stops where the next could start, so a hostile body is read once)."""


def _secret_text(cut: str) -> re.Pattern[str]:
    shapes = (
        f"(?P<{name}>{head})(?:{value.replace('{cut}', cut)})"
        for name, (head, value) in _SECRET_SHAPES.items()
    )
    return re.compile("|".join(shapes), re.IGNORECASE | re.DOTALL)


_SECRET_TEXT = _secret_text("")
_SECRET_TEXT_CUT = _secret_text(r"|\Z")


def _shape(match: re.Match[str]) -> str:
    """Which of the secret shapes a match of the secret text is."""
    return next(name for name in _SECRET_SHAPES if match.group(name) is not None)


def _blotted(match: re.Match[str]) -> str:
    """A secret's match with its value replaced by ``***``, in quotes if it was quoted (or
    stood where a quoted value goes)."""
    shape = _shape(match)
    kept = match.group(shape)
    if shape not in ("pair", "attribute"):
        return kept + MASK
    first = match.group(0)[len(kept) : len(kept) + 1]
    quote = first if first in ("'", '"') else '"'
    return f"{kept}{quote}{MASK}{quote}"


def mask_text(text: str, *, cut: bool = False) -> str:
    """Text that is not JSON (a form, a multipart body, XML, a Python dict, a broken body)
    with every secret it still holds blotted out: a ``"secret": value`` or ``'secret': value``
    pair, even cut short, a ``secret=value`` field, a multipart part ``name="secret"``, an
    element ``<secret>`` and an attribute ``secret="..."``. ``cut``: the text is the start of
    a longer one, and an element left open at its end holds a secret to its end."""
    if not names_a_secret(text):  # most bodies: 20 times faster
        return text
    return (_SECRET_TEXT_CUT if cut else _SECRET_TEXT).sub(_blotted, text)


_SEARCHED = tuple(sorted(n for n in SECRET_KEYS if not any(k != n and k in n for k in SECRET_KEYS)))
"""The secret names that hold no other (``token`` is in ``access_token``): a text holds one of
them exactly when it holds a secret name, and each is one search."""
_SEARCHED_BYTES = tuple(name.encode() for name in _SEARCHED)


def names_a_secret(text: str | bytes) -> bool:
    """Whether ``text`` (or a body's bytes, not decoded) names a secret anywhere: the quick
    way past most bodies."""
    lowered = text.lower()
    names = _SEARCHED if isinstance(lowered, str) else _SEARCHED_BYTES
    return any(name in lowered for name in names)


def secret_fields(text: str) -> list[tuple[str, str]]:
    """The secrets :func:`mask_text` blots out of ``text``: for each, the text that names it
    (``"Password": ``, ``&password=``, a multipart part's headers, ``<Token>``) and its value
    as it stands there, without its quotes or a CDATA section's markup."""
    if not names_a_secret(text):
        return []
    found = []
    for match in _SECRET_TEXT.finditer(text):
        head = match.group(_shape(match))
        found.append((head, _unwrapped(match.group(0)[len(head) :])))
    return found


def _unwrapped(value: str) -> str:
    """A secret's value as written, less the quotes around it (the opening one only, in a text
    cut short inside it) and a CDATA section's markup."""
    if value[:1] in ("'", '"'):
        value = value[1:-1] if len(value) > 1 and value[-1] == value[0] else value[1:]
    if value.startswith("<![CDATA["):
        value = value.removeprefix("<![CDATA[").removesuffix("]]>")
    return value


def masked_bytes(body: bytes) -> bytes:
    """A body as sent with every secret masked: JSON as :func:`masked_json` keeps it, any
    other body masked in place, its bytes that are not UTF-8 kept."""
    value = json_of(body)
    if value is NOT_JSON:
        text = mask_text(body.decode("utf-8", "surrogateescape"))
        return text.encode("utf-8", "surrogateescape")
    if not names_a_secret(body) and not holds_secret(value, named=True, inner=False):
        return body  # most bodies: no copy, no decoding
    text = body.decode("utf-8")  # orjson read it: UTF-8
    masked = masked_json(text, value)
    return body if masked is text else masked.encode("utf-8")


def masked_json(text: str, value: Any) -> str:
    """A JSON body's text (``value``: as parsed) with every secret masked: written again,
    masked, when a field named like a secret holds a value; else its exact text (spacing,
    number spelling), any ``"secret": value`` pair in it masked all the same, and where it
    names a secret twice, whose first value the parse dropped for the last (``null``), every
    value of the name, in any spelling (``"Pass\\u0077ord"``), masked where it stands."""
    inner = may_hold_secret_documents(text)
    if holds_secret(value, inner=inner):  # else nothing to copy (most bodies)
        masked = mask_value(value, inner=inner)
        if masked != value:
            return orjson.dumps(masked).decode()
    if "\\u" not in text and not names_a_secret(text):
        return text  # it names no secret, in any spelling (most bodies)
    if any(found != MASK for _, found in dropped_secrets(text, value)):
        text = jsonpairs.replaced_values(text, is_secret, f'"{MASK}"')
    blotted = mask_text(text)
    if blotted is text or json_of(blotted.encode("utf-8")) is not NOT_JSON:
        return blotted
    return orjson.dumps(value).decode()  # a pair masked inside a string broke it
