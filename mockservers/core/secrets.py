"""The masking of secrets by name (``***``: :mod:`mockservers.core.secretnames`) in what the
kit shows, logs or records: headers, JSON values, text that is not JSON (forms, multipart parts,
XML, a Python dict) and raw bodies; a URL's parameters are :mod:`mockservers.core.urlmasks`'s.

The journal masks its entries with these rules as they are read; the HAR recordings, the logs,
the reports, the comparisons and the explanations follow the same ones, so that a name masked
in one place is masked in every other. A secret that travels where no name says so is blotted
out by value (:mod:`mockservers.core.blotting`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextlib import suppress
from operator import itemgetter
from typing import Any

import orjson

from mockservers.core import jsonpairs
from mockservers.core.http import NOT_JSON, json_of, too_deep
from mockservers.core.secretnames import MASK, SECRET_KEYS, is_secret
from mockservers.core.urlmasks import mask_url, may_hold_secret_urls


def mask_pairs(
    pairs: Iterable[tuple[str, str]], secret: Callable[[str], bool] = is_secret
) -> list[tuple[str, str]]:
    """``pairs`` (a query's, headers) with the value of every secret name replaced by ``***``
    (an empty one kept: nothing to hide); repeated names are all kept (the journal shows them
    as one object, a HAR lists them)."""
    return [(name, MASK if value and secret(name) else value) for name, value in pairs]


def mask_value(
    value: Any,
    secret: Callable[[str], bool] = is_secret,
    *,
    text: bool = False,
    inner: bool = True,
    urls: bool = True,
) -> Any:
    """A deep copy of a JSON value with every secret field (``secret``: which names are)
    replaced by ``***``, and in a document a string holds (:func:`inner_json`: written again
    when it held one; ``inner``: look into such strings, which a value whose text
    :func:`may_hold_secret_documents` says holds none need not), and in a string that is a
    URL, its secret parameters (:func:`~mockservers.core.urlmasks.mask_url`; ``urls``: read
    strings so, which a value whose text
    :func:`~mockservers.core.urlmasks.may_hold_secret_urls` says holds none need not);
    ``text``: every string masked as the journal masks text instead (:func:`mask_text`), for
    a value a test wrote (a matcher's body may be a form: ``username=demo&password=...``)."""
    return _masked(value, secret, mask_text if text else _strings(secret, inner, urls, {}))


Strings = Callable[[str], str] | None
"""What a masking makes of each string of a JSON value, the string itself when it masks
nothing in it (None: nothing to do)."""
Documents = dict[str, str]
"""The strings a masking has looked into (:func:`inner_json`), each with what it masks to: a
document is read once per masking, however many times a body holds it, whichever of the
search and the copy reads it first."""


def _strings(
    secret: Callable[[str], bool], inner: bool, urls: bool, documents: Documents
) -> Strings:
    """What a masking makes of a JSON value's strings: the document one holds masked
    (``inner``), else the secret parameters of a URL (``urls``)."""
    if not inner:
        return mask_url if urls else None

    def masked(text: str) -> str:
        done = _masked_document(text, secret, urls, documents)
        return mask_url(text) if urls and done is text else done

    return masked


def _masked(value: Any, secret: Callable[[str], bool], strings: Strings) -> Any:
    if isinstance(value, dict):
        return {
            k: MASK if secret(k) and v is not None and v != "" else _masked(v, secret, strings)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_masked(v, secret, strings) for v in value]
    if strings is not None and value.__class__ is str:
        return strings(value)
    return value


def _masked_document(
    text: str, secret: Callable[[str], bool], urls: bool, documents: Documents
) -> str:
    """A string with the document it holds (:func:`inner_json`) written again, masked (its
    URLs too, with ``urls``), when masking changes it or its text may give a secret a value
    its parse drops (a name given twice); else the string itself."""
    if text[:1] not in _OPENERS and text[:1] not in _WHITESPACE:
        return text  # most strings: no document
    done = documents.get(text)
    if done is None:
        done = text
        held = inner_json(text)
        if held is not NOT_JSON:
            masked = _masked(held, secret, mask_url if urls else None)
            if masked != held or _may_drop(text, _secret_items(held, None, False, {})[1]):
                done = orjson.dumps(masked).decode()
        documents[text] = done
    return done


def holds_secret(value: Any, *, inner: bool = True, urls: bool = True) -> bool:
    """Whether :func:`mask_value` would mask anything in a JSON value (a value, ``null`` aside,
    under a secret name), found without copying it: most bodies hold none, and the copy of a
    20 MB answer cost most of a second. ``inner``: in a document a string holds too (which
    masking would write again); ``urls``: in a string that is a URL too."""
    return _holds_secret(value, _strings(is_secret, inner, urls, {}))


def _holds_secret(value: Any, strings: Strings) -> bool:
    if not isinstance(value, (dict, list)):
        return strings is not None and isinstance(value, str) and strings(value) is not value
    plain: set[str] = set()  # the names met that are no secret's (a body repeats its names)
    pending = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                if item is None or item == "":  # nothing to hide: never masked
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
        if strings is not None and any(
            strings(item) is not item for item in node if item.__class__ is str
        ):
            return True
    return False


_OPENERS = ("{", "[")
_WHITESPACE = " \t\r\n"
"""JSON's whitespace, which may come before a document a string holds."""
_LETTERS = sorted({c for name in SECRET_KEYS for c in name + name.upper()})
_ESCAPED_LETTER = re.compile(
    r"\\u00(?:" + "|".join(f"{ord(c):02x}" for c in _LETTERS) + ")", re.IGNORECASE
)
"""A ``\\u`` escape of a letter a secret's name holds (``\\u0077``: ``w``): a name may be spelt
so (``"Pass\\u0077ord"``), and no search of the text for the names finds it."""
_ESCAPED_LETTER_BYTES = re.compile(_ESCAPED_LETTER.pattern.encode(), re.IGNORECASE)
_QUOTED_NAMES = tuple(f'"{name}"' for name in sorted(SECRET_KEYS))
"""The secrets' names in quotes, as an object's names are written (in lower case)."""
_QUOTED_NAMES_BYTES = tuple(name.encode() for name in _QUOTED_NAMES)
INNER_DEPTH = 32
"""How deep a document a string holds is read (:func:`inner_json`): one a connector sends as a
string is shallow, and read within a body nested as deep as the kit reads one
(:data:`~mockservers.core.http.SHOWN_DEPTH`), a deeper one would pass Python's recursion
limit as it is masked."""


def inner_json(text: str) -> Any:
    """The document a string holds, when it is a JSON object or array (after JSON's
    whitespace) that names a secret, in any spelling (a connector that sends a document as a
    string field: ``"payload": "{\\"Password\\": ...}"``, whose password no name in the body's
    text or its parse shows); else ``NOT_JSON``. Its own strings are not read again."""
    if text.lstrip(_WHITESPACE)[:1] not in _OPENERS or not _names_a_secret(text):
        return NOT_JSON
    value = json_of(text.encode("utf-8", "surrogatepass"))
    if value is NOT_JSON:
        return NOT_JSON
    if text.count("{") + text.count("[") > INNER_DEPTH and too_deep(value, INNER_DEPTH):
        return NOT_JSON  # (only a text of that many brackets can nest so deep)
    return value


_OPENED = re.compile(r'"(?: |\\[nrt]|\\u00(?:20|0[9aAdD]))*(?:[{\[]|\\u00[57][bB])')
"""A JSON string that opens with ``{`` or ``[``, after JSON's whitespace, any of them escaped:
where a text may hold a document in a string."""
_OPENED_BYTES = re.compile(_OPENED.pattern.encode())


def may_hold_secret_documents(text: str | bytes) -> bool:
    """Whether a JSON text may hold a string that is a document naming a secret
    (:func:`inner_json`): it names a secret, in any spelling, and a string in it opens with
    ``{`` or ``[``. Most bodies do not, and their strings are not looked into."""
    if isinstance(text, str):
        opened, heads = _OPENED, ('"{', '"[', '"\\', '" ')
    else:
        opened, heads = _OPENED_BYTES, (b'"{', b'"[', b'"\\', b'" ')
    if not (heads[0] in text or heads[1] in text or heads[2] in text or heads[3] in text):
        return False  # no string opens so (most bodies): not searched
    return opened.search(text) is not None and _names_a_secret(text)  # type: ignore[arg-type]


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
    ``inner``: look into such strings; in such a document, those its parse drops too)."""
    return _secret_items(node, name, inner, {})[0]


def _secret_items(
    node: Any, name: str | None, inner: bool, documents: dict[str, list[tuple[str, Any]]]
) -> tuple[list[tuple[str, Any]], int]:
    """:func:`secret_items`, and how many times an object names a secret (whatever its
    value), documents in strings aside; ``documents``: those already read, with their
    secrets."""
    found: list[tuple[str, Any]] = []
    named = 0

    def walk(node: Any, name: str | None) -> None:
        nonlocal named
        if isinstance(node, dict):
            for key, item in node.items():
                secret = isinstance(key, str) and is_secret(key)
                named += secret
                walk(item, key if secret and name is None else name)
        elif isinstance(node, list):
            for item in node:
                walk(item, name)
        elif name is None:
            if inner and node.__class__ is str:
                found.extend(_document_secrets(node, documents))
        elif node.__class__ in _LEARNED:
            found.append((name, node))

    walk(node, name)
    return found, named


_LEARNED = frozenset({str, int, float})
"""The values under a secret name that are learned, as a parse gives them: strings and numbers
(no booleans, whose class is no ``int``)."""


def _document_secrets(
    text: str, documents: dict[str, list[tuple[str, Any]]]
) -> list[tuple[str, Any]]:
    """The secrets of the document a string holds (:func:`inner_json`), those its parse
    drops too; none for a string that holds none."""
    if text[:1] not in _OPENERS and text[:1] not in _WHITESPACE:
        return []  # most strings: no document
    found = documents.get(text)
    if found is None:
        held = inner_json(text)
        found = []
        if held is not NOT_JSON:
            found, named = _secret_items(held, None, False, documents)
            found = found + _dropped(text) if _may_drop(text, named) else found
        documents[text] = found
    return found


def json_secrets(body: bytes, value: Any) -> list[tuple[str, Any]]:
    """The values under a secret name in a JSON body (``value``: as parsed), as
    :func:`secret_items` finds them, in a document a string holds too, and those its parse
    dropped: an object that gives a name twice parses as its last value, and
    ``"Pass\\u0077ord": "x", "Password": null`` held a password the parse shows as ``null``.
    Those are read only where the text may hold them (:func:`_may_drop`): most bodies do
    not."""
    if not _names_a_secret(body):
        return []  # nor does its parse (most bodies)
    found, named = _secret_items(value, None, may_hold_secret_documents(body), {})
    return found + _dropped(body) if _may_drop(body, named) else found


def _dropped(text: str | bytes) -> list[tuple[str, Any]]:
    """The secrets among the values a JSON text's parse drops (:func:`jsonpairs.dropped`), a
    name's scalar once however many times the text gives it (a hostile body, 100,000 times)."""
    pairs = jsonpairs.dropped(text)
    with suppress(TypeError):  # an object or an array dropped (rare): each pair read
        pairs = _once(pairs)
    found: list[tuple[str, Any]] = []
    for key, item in pairs:
        secret = is_secret(key)
        if secret and item.__class__ in _LEARNED:  # most: a scalar under a secret name
            found.append((key, item))
        elif item.__class__ in (dict, list) or (not secret and item.__class__ is str):
            found += secret_items(item, key if secret else None)
    return found


def _once(pairs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Each pair once, 1 and 1.0 (equal) told apart by their types, in native loops: a hostile
    object gives one 100,000 times. Raises ``TypeError`` for a value that is no scalar."""
    values = list(map(itemgetter(1), pairs))
    keys = zip(map(itemgetter(0), pairs), map(type, values), values, strict=True)
    return list(dict(zip(keys, pairs, strict=True)).values())


def _may_drop(text: str | bytes, named: int) -> bool:
    """Whether a JSON text may give a secret a value its parse drops, the parse naming a
    secret ``named`` times: it spells a secret's name more often (quoted, as a name is), or
    with a ``\\u`` escape that could spell a name's letter. Most texts do not, and are not
    read again."""
    escaped = _ESCAPED_LETTER if isinstance(text, str) else _ESCAPED_LETTER_BYTES
    if escaped.search(text) is not None:  # type: ignore[arg-type]
        return True
    lowered = text.lower()
    quoted = _QUOTED_NAMES if isinstance(lowered, str) else _QUOTED_NAMES_BYTES
    return named < sum(lowered.count(name) for name in quoted)  # type: ignore[arg-type]


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
    # the secret. The name as PHP reads it too: after spaces, before an index ("password[]").
    "field": (
        rf"(?:^|[&?;#])(?:[ +]|%20)*{_SECRET_NAMES}(?:\[[^]&;=\s]*\]|%5B[^&;=\s]*?%5D)*=",
        r"""[^&;\s"'<>#]*""",
    ),
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
    stood where a quoted value goes); as it stands when its value is empty (nothing to hide:
    ``password=&x=1``, ``"Password": ""``)."""
    shape = _shape(match)
    kept = match.group(shape)
    if not _unwrapped(match.group(0)[len(kept) :]):
        return match.group(0)
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


def _names_a_secret(text: str | bytes) -> bool:
    """Whether ``text`` names a secret, or may in a spelling with a ``\\u`` escape."""
    escaped = _ESCAPED_LETTER if isinstance(text, str) else _ESCAPED_LETTER_BYTES
    return names_a_secret(text) or escaped.search(text) is not None  # type: ignore[arg-type]


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
    if not _names_a_secret(body) and not may_hold_secret_urls(body):
        return body  # most bodies: no copy, no decoding
    text = body.decode("utf-8")  # orjson read it: UTF-8
    masked = masked_json(text, value)
    return body if masked is text else masked.encode("utf-8")


def masked_json(text: str, value: Any) -> str:
    """A JSON body's text (``value``: as parsed) with every secret masked: written again,
    masked, when a field named like a secret holds a value, or a string holds a document or a
    URL with a secret in it; else its exact text (spacing, number spelling), any ``"secret":
    value`` pair in it masked all the same, and where it names a secret twice, whose first
    value the parse dropped for the last (``null``), every value of the name, in any spelling
    (``"Pass\\u0077ord"``), masked where it stands."""
    strings = _strings(is_secret, may_hold_secret_documents(text), may_hold_secret_urls(text), {})
    if _holds_secret(value, strings):  # else nothing to copy (most bodies)
        masked = _masked(value, is_secret, strings)
        if masked != value:
            return orjson.dumps(masked).decode()
    if _ESCAPED_LETTER.search(text):  # a name may be spelt so: read from the parse
        text = jsonpairs.replaced_values(text, is_secret, f'"{MASK}"')
    elif not names_a_secret(text):
        return text  # it names no secret, in any spelling (most bodies)
    blotted = mask_text(text)
    if blotted is text or json_of(blotted.encode("utf-8")) is not NOT_JSON:
        return blotted
    return orjson.dumps(value).decode()  # a pair masked inside a string broke it
