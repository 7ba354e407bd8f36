"""Secret values blotted out wherever they appear, and the bounded memory of them a recording
keeps.

Masking by name cannot see a secret where no name says so: a token an error message quotes, a
password a redirect repeats. So a recording remembers the values it masked by name and blots
them out (``***``) wherever else they appear, in each spelling they may take there: those
:func:`spellings` lists, and any other a text's escapes make (read with them undone:
:mod:`mockservers.core.unescaped`), in its charset. All those spellings are found in one pass
(:class:`Blots`): a search and a replace for each read a list answer whose 12,000 rows each held
a token and a password 36,000 times.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus

from mockservers.core.findmany import Finder, at_once, joined, replaced
from mockservers.core.secretnames import MASK
from mockservers.core.unescaped import Rereading

SCRUBBED_MIN_LENGTH = 6
"""Shorter values masked by name are not searched for elsewhere (they would blot out words)."""

KEPT = 256
"""How many learned values of each kind a :class:`Memory` keeps. A value counts as new again
each time an exchange carries it by name, and that exchange is where a vendor echoes it (a
wrong password's error, an expired token's), so what ages out is a value no call has carried
while 256 newer ones came: more than the tokens a few connectors hold at once (one a login, a
login an hour), far fewer than the thousands of logins a test suite makes in a day, each of
which made every later call search for one more token."""


class Opaque(str):
    """A text no secret is blotted out of: a body's base64, blotted before it was encoded (a
    blot found in the base64 would be chance, and would break it)."""


def spellings(value: str) -> set[str]:
    """How a secret value may appear in a recorded text: as it is, URL-encoded (``%20`` or, as
    a form is, ``+`` for a space), HTML-escaped (a page echoing it: ``&amp;``, ``&lt;``, quotes
    as ``&quot;`` and ``&#x27;`` or ``&#39;``, or left alone in a page's text), JSON-escaped and
    as Python's ``repr`` shows it, of the text (a validator's message) or of its UTF-8 bytes (a
    check quoting an answer's body). Those are found in one pass over the text as it is; any
    other escaping (``\\/``, ``\\u002B``, ``&#039;``, ``&apos;``, ``%2f``, ``/`` or ``'``
    kept) is undone as the text is read again where it has escapes, there to find the value
    as it is, or with ``+`` for its spaces (a form's percent escapes undone)."""
    escaped = html.escape(value)
    found = {
        value,
        value.replace(" ", "+"),
        quote(value, safe=""),
        quote_plus(value),
        escaped,
        escaped.replace("&#x27;", "&#39;"),
        html.escape(value, quote=False),
        json.dumps(value)[1:-1],
        repr(value)[1:-1],
        repr(value.encode("utf-8", "surrogatepass"))[2:-1],
    }
    return {text for text in found if text}


def blots_of(values: Iterable[str]) -> Blots:
    """The blots of these secret values (those long enough to be searched for), made once for
    the same values: the scrubbing of one exchange asks for them again and again."""
    return _blots_of(frozenset(v for v in values if len(v) >= SCRUBBED_MIN_LENGTH))


@lru_cache(maxsize=32)
def _blots_of(values: frozenset[str]) -> Blots:
    return Blots(set().union(*(spellings(value) for value in values)))


FALLBACK = "cp1252"
"""What a body that is no UTF-8 and declares no charset is read as: Windows' Western European
(what browsers read ISO-8859-1 as), in which a Latin-1 text reads the same."""

COMPILED_AFTER = 100_000
"""How many characters :class:`Blots` of many texts search one text at a time before they
compile the expression that finds them all at once: about what compiling costs (some 20 µs a
text, where searching for one reads 0.15 ns a character)."""

_SEARCH = 100
"""What a search costs beside the characters it reads, in characters."""


class Blots:
    """The texts to blot out for some secret values (their :func:`spellings`), each run of
    them that a text holds replaced by ``***`` (where two overlap, the run they cover).

    A text is searched for each of them, and only those it holds are blotted out. Many of them
    (:func:`~mockservers.core.findmany.at_once`) are found instead with one expression
    (:class:`~mockservers.core.findmany.Finder`), compiled once the texts searched one at a
    time add up to :data:`COMPILED_AFTER` characters, and kept while the values stay the same:
    a list answer of 12,000 rows, each with a token and a password the exchange named, took
    14 s to blot out, and 0.5 s so (0.08 s again). Where a text has escapes, the parts around
    them are read again with them undone (:class:`~mockservers.core.unescaped.Rereading`)."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.texts = list(set(texts))
        self._rereading = Rereading(self.texts)
        self._many: dict[type, bool] = {}
        self._encoded: list[bytes] | None = None
        self._searched = 0
        self._finders: dict[type, Finder[Any]] = {}
        """Per kind of text (``str``, ``bytes``), the expression, once compiled."""

    def __len__(self) -> int:
        return len(self.texts)

    def within(self, text: str | bytes) -> Finder[Any] | None:
        """What finds these texts in ``text`` (``bytes``: the UTF-8 of those beyond ASCII);
        None when it surely holds none of them."""
        finder = self._finders.get(type(text))
        if finder is not None:
            return finder
        texts: list[Any] = self.texts if isinstance(text, str) else self._bytes()
        if not texts:
            return None
        self._searched += len(text) + _SEARCH
        if self._searched >= COMPILED_AFTER and self._at_once(type(text), texts):
            finder = self._finders[type(text)] = Finder(tuple(texts))
            return finder
        held = tuple(blot for blot in texts if blot in text)
        return _finder(held) if held else None

    def runs(self, text: str, finder: Finder[str] | None) -> list[tuple[int, int]]:
        """Where ``text`` holds these texts, as (start, end) runs: as it is (``finder``: what
        :meth:`within` gave for it, or for a text holding it), and read with its escapes
        undone."""
        found = [] if finder is None else finder.runs(text)
        undone = self._rereading.runs(text, self._runs)
        return joined(found, undone) if undone else found

    def blotted(self, text: str, finder: Finder[str] | None) -> str:
        """``text`` with these texts blotted out (``finder``: as for :meth:`runs`), ``text``
        itself when it holds none."""
        runs = self.runs(text, finder)
        return replaced(text, runs, MASK) if runs else text

    def out_of(self, text: str) -> str:
        """``text`` with these texts blotted out (``text`` itself when it holds none)."""
        return self.blotted(text, self.within(text))

    def out_of_bytes(self, body: bytes, charset: str | None = None) -> bytes:
        """``body`` with these texts blotted out of its text: read in ``charset`` (the one it
        declares), else in UTF-8, else in :data:`FALLBACK`, and written back so. Read in a
        charset of a byte a character (Latin-1), its bytes are searched for the UTF-8 of these
        texts too: a body that is not in the charset it declares. Read in another (UTF-16), so
        are its bytes read as UTF-8 where they are: a UTF-8 echo labelled UTF-16 reads as
        mojibake in it, where no secret is found."""
        if not self.texts:
            return body
        read = None  # the body, blotted in the charset it declares
        if charset is not None and charset != "utf-8":
            read = self._out_of_declared(body, charset)
            if read is not None and _bytewise(charset):
                return read
        kept = body if read is None else read
        try:
            text = kept.decode("utf-8")
        except UnicodeDecodeError:
            return self._out_of_bytewise(body, FALLBACK) if read is None else read
        blotted = self.out_of(text)
        return kept if blotted is text else blotted.encode("utf-8")

    def _out_of_declared(self, body: bytes, charset: str) -> bytes | None:
        """:meth:`out_of_bytes` in a charset other than UTF-8; None where the body is no text
        in it."""
        if _bytewise(charset):
            return self._out_of_bytewise(body, charset)
        try:
            text = body.decode(charset)
        except UnicodeError:
            return None
        blotted = self.out_of(text)
        return body if blotted is text else blotted.encode(charset)

    def _out_of_bytewise(self, body: bytes, codec: str) -> bytes:
        """:meth:`out_of_bytes` in a charset of a byte a character: a place in its text is the
        same place in its bytes, where the UTF-8 of one of these texts may overlap it."""
        text = body.decode(codec, "surrogateescape")
        runs = self.runs(text, self.within(text))
        utf_8 = self.within(body)
        if utf_8 is not None:
            runs = joined(runs, utf_8.runs(body))
        return replaced(body, runs, MASK.encode(codec))

    def _runs(self, text: str) -> list[tuple[int, int]]:
        finder = self.within(text)
        return [] if finder is None else finder.runs(text)

    def _at_once(self, kind: type, texts: list[Any]) -> bool:
        if kind not in self._many:
            self._many[kind] = at_once(texts)
        return self._many[kind]

    def _bytes(self) -> list[bytes]:
        if self._encoded is None:
            beyond = (text for text in self.texts if not text.isascii())
            self._encoded = [text.encode("utf-8", "surrogatepass") for text in beyond]
        return self._encoded


@lru_cache(maxsize=64)
def _bytewise(codec: str) -> bool:
    """Whether ``codec`` reads each byte as one character, ASCII as ASCII (Latin-1,
    windows-1252): then a place in a body's text is the same place in its bytes. (UTF-8 and
    ASCII read a byte beyond ASCII alone as none.)"""
    every = bytes(range(256))
    try:
        text = every.decode(codec, "surrogateescape")
    except (UnicodeError, LookupError):
        return False
    unread = sum(1 for char in text[128:] if "\udc80" <= char <= "\udcff")
    return len(text) == 256 and text[:128] == every[:128].decode() and unread < 128


_finder = lru_cache(maxsize=256)(Finder)
"""The finder of the texts a text held: the same few, call after call."""


def blot_out(node: Any, blot: Callable[[str], str]) -> Any:
    """``node`` (JSON data or text) with ``blot`` applied to each of its strings (not to the
    keys, nor to an :class:`Opaque` text)."""
    if isinstance(node, dict):
        return {key: blot_out(value, blot) for key, value in node.items()}
    if isinstance(node, list):
        return [blot_out(value, blot) for value in node]
    if isinstance(node, str) and not isinstance(node, Opaque):
        return blot(node)
    return node


class Memory:
    """The secret values a recording blots out: all of those it is given (:meth:`pin`: the
    credentials a run was configured with), and of those it learns, the latest :data:`KEPT`
    credentials (what a connector sends as its password or key) and the latest :data:`KEPT`
    others (tokens, generated passwords), so that a day of logins never pushes a password out.

    The texts to search for are made again only when a value comes or goes, and each entry is
    searched once for all of them: every recorded call searched each of its strings for every
    spelling of every token seen that day, made afresh (42 ms a call after 8,000 logins)."""

    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        # Each value with its spellings, oldest first.
        self._pinned: dict[str, set[str]] = {}
        self._credentials: dict[str, set[str]] = {}
        self._others: dict[str, set[str]] = {}
        self._blots: Blots | None = None

    def __len__(self) -> int:
        return len(self._pinned) + len(self._credentials) + len(self._others)

    def pin(self, values: Iterable[str]) -> None:
        """Blot out these values for as long as the memory lasts."""
        for value in values:
            if len(value) >= SCRUBBED_MIN_LENGTH and value not in self._pinned:
                self._pinned[value] = spellings(value)
                self._blots = None

    def learn(self, values: Iterable[str], *, credentials: bool = False) -> None:
        """Blot out these values too, as the latest of their kind; the oldest beyond
        :attr:`kept` are forgotten."""
        kept = self._credentials if credentials else self._others
        for value in values:
            if len(value) < SCRUBBED_MIN_LENGTH:
                continue
            known = kept.pop(value, None)  # seen again: it goes last, as the latest
            if known is None:
                known = spellings(value)
                self._blots = None
            kept[value] = known
            if len(kept) > self.kept:
                del kept[next(iter(kept))]

    def refresh(self, values: Iterable[str]) -> None:
        """Count these values, those remembered, as the latest of their kind: a token a call
        still carries is still in use. Nothing new is learned."""
        for value in values:
            for kept in (self._credentials, self._others):
                if value in kept:
                    kept[value] = kept.pop(value)

    def blots(self) -> Blots:
        """The texts to blot out."""
        if self._blots is None:
            kinds = (self._pinned, self._credentials, self._others)
            self._blots = Blots(set().union(*(spelt for kept in kinds for spelt in kept.values())))
        return self._blots

    def scrub(self, node: Any) -> Any:
        """``node`` with every remembered value blotted out. Its strings are searched as one
        text first: most hold none, and the node is then left as it is."""
        blots = self.blots()
        text = "\0".join(_strings(node))
        finder = blots.within(text)
        if not blots.runs(text, finder):
            return node
        return blot_out(node, lambda string: blots.blotted(string, finder))


def _strings(node: Any) -> Iterable[str]:
    """Every string value in ``node`` (not the keys: a recording's keys are its own)."""
    if isinstance(node, Opaque):
        return
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
