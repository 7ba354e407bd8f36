"""Where a text holds something once its escapes are undone: a secret in a spelling no list of
spellings holds.

Encoders escape what they please, and each its own way: PHP's ``json_encode`` writes ``/`` as
``\\/``, .NET's ``System.Text.Json`` writes ``+`` as ``\\u002B`` and ``'`` as ``\\u0027``,
``htmlspecialchars`` writes ``'`` as ``&#039;`` (HTML5 as ``&apos;``), ``quote`` keeps ``/``,
``encodeURIComponent`` keeps ``'``, .NET's ``HttpUtility`` writes ``%2f``. So the text is also
read with every escape undone (a JSON escape, Python's ``\\xNN``, a run of percent escapes, an
HTML character reference; any mix of them), and what is found there is mapped back to the
characters it came from, each escape whole. What is read so is read once more where it holds a
backslash an escape made: a check quoting PHP's JSON as Python shows bytes (``b'...\\\\/...'``).

Only the parts of a text around an escape that could begin to spell what is searched for are
read again (:class:`Rereading`): most texts hold no escape, and most escapes (the ``\\/`` of
every date a PHP answer holds) stand for characters no secret holds.
"""

from __future__ import annotations

import html.entities
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from functools import partial

from mockservers.core.findmany import joined, merged

Runs = list[tuple[int, int]]
Spot = tuple[int, int, str]
"""An escape: where it starts and ends, and what it stands for."""

_ESCAPES = {
    "\\": re.compile(
        r"\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
        r"|u[0-9a-fA-F]{4}|[\"\\/bfnrt'])|(?:\\x[0-9a-fA-F]{2})+"
    ),
    "%": re.compile(r"(?:%[0-9a-fA-F]{2})+"),
    "&": re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"),
}
"""Per character that begins one, the escapes undone: JSON's (and ``\\'``), a run of Python's
``\\xNN``, a run of percent escapes (either in either case), an HTML character reference (by
number, or by any of HTML5's names)."""

_JSON = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "'": "'",
}
"""What JSON's escapes of one letter stand for (and ``\\'``, as a single-quoted string has it)."""
_BY_LETTER = frozenset(_JSON.values())

LONGEST = 12
"""How many characters an escape of one character is at the most (``\\uD83D\\uDE00``,
``%F0%9F%98%80``): beyond a backslash's escapes, a text read twice is read so much further."""

GAP = 1024
"""How many characters of plain text (at the least) part two stretches read apart: fewer, and
they are read as one, so that a text with an escape in every row is not read row by row."""


class Rereading:
    """How a text is read again, its escapes undone, for ``texts``: only around the escapes
    that stand for a character one of them holds (one that stands for none cannot be in a
    place found, nor make one as it is read); read twice, for a backslash too (which may
    begin an escape once read)."""

    def __init__(self, texts: Iterable[str]) -> None:
        texts = list(texts)
        self.longest = max(map(len, texts), default=0)
        self.chars = frozenset("".join(texts))
        self._opening = self.chars | {"\\"}
        self._by_letter = not self.chars.isdisjoint(_BY_LETTER)
        """Whether a JSON escape of one letter can stand for one of the characters (PHP
        escapes every ``/``: a secret that holds none is read again only for ``\\u``,
        ``\\x`` and ``\\\\``)."""

    def runs(self, text: str, find: Callable[[str], Runs], again: bool = True) -> Runs:
        """Where ``text``, its escapes undone, holds what ``find`` finds (places of the
        texts, as (start, end) runs) over an escape, as runs of ``text``; ``again``: and where
        it holds them once its backslashes' escapes are undone, and then every escape (a
        quote of an answer's bytes as Python shows them: ``b'...\\\\/...'``)."""
        marks = "%" if "%" in text else ""
        if "&" in text:
            marks += "&"
        if "\\" in text and (self._by_letter or _backslashed(text)):
            marks += "\\"
        if not marks:  # most texts
            return []
        found = self._reread(text, marks, self.chars, find, self.longest)
        if again and "\\" in marks and ("\\\\" in text or "\\x" in text):
            deeper = partial(self.runs, find=find, again=False)
            margin = LONGEST * self.longest
            quoted = self._reread(text, "\\", self._opening, find, margin, deeper)
            found = joined(found, quoted) if quoted else found
        return found

    def _reread(
        self,
        text: str,
        marks: str,
        chars: frozenset[str],
        find: Callable[[str], Runs],
        margin: int,
        deeper: Callable[[str], Runs] | None = None,
    ) -> Runs:
        """:meth:`runs` of one reading: of the escapes ``marks`` begin that stand for one of
        ``chars``, each stretch read ``margin`` characters beyond them; ``deeper``: where a
        stretch read so holds the texts once read again."""
        found: Runs = []
        spots = sorted(self._spots(text, marks, chars))
        for low, high, group in _stretches(spots, len(text), margin):
            read, starts, places = _read(text, low, high, group)
            runs = [run for run in find(read) if _over(run, starts, places)]
            more = deeper(read) if deeper is not None else []
            for start, end in joined(runs, more) if more else runs:
                found.append(
                    (_back(start, starts, places, low, 0), _back(end - 1, starts, places, low, 1))
                )
        return merged(found)

    def _spots(self, text: str, marks: str, chars: frozenset[str]) -> Iterator[Spot]:
        """Each escape of ``text`` begun by one of ``marks`` that stands for one of
        ``chars``."""
        for mark in marks:
            escape = _ESCAPES[mark]
            at = text.find(mark)
            while at >= 0:
                found = escape.match(text, at)
                if found is None:
                    at = text.find(mark, at + 1)
                    continue
                undone = _undone(found.group())
                if undone is not None and not chars.isdisjoint(undone):
                    yield at, found.end(), undone
                at = text.find(mark, found.end())


def _backslashed(text: str) -> bool:
    """Whether ``text`` holds an escape a backslash begins that may stand for any character,
    or for a backslash."""
    return "\\u" in text or "\\x" in text or "\\\\" in text


def _stretches(spots: list[Spot], size: int, margin: int) -> Iterator[tuple[int, int, list[Spot]]]:
    """The stretches of a text of ``size`` characters to read again, each with its escapes
    (``spots``, in order): around each, ``margin`` characters either side; those less than
    :data:`GAP` apart (or twice ``margin``) as one."""
    if not spots:
        return
    apart = max(GAP, 2 * margin)
    group = [spots[0]]
    for spot in spots[1:]:
        if spot[0] - group[-1][1] >= apart:
            yield max(0, group[0][0] - margin), group[-1][1] + margin, group
            group = []
        group.append(spot)
    yield max(0, group[0][0] - margin), min(size, group[-1][1] + margin), group


def _read(
    text: str, low: int, high: int, spots: list[Spot]
) -> tuple[str, list[int], list[tuple[int, int, int]]]:
    """``text[low:high]`` with these escapes undone; where each one's undoing starts in it,
    and for each, where it ends there, and where the escape starts and ends in ``text``."""
    pieces, starts, places = [], [], []
    at, size = low, 0
    for start, end, undone in spots:
        pieces += (text[at:start], undone)
        size += start - at
        starts.append(size)
        places.append((size + len(undone), start, end))
        size += len(undone)
        at = end
    pieces.append(text[at:high])
    return "".join(pieces), starts, places


def _over(run: tuple[int, int], starts: list[int], places: list[tuple[int, int, int]]) -> bool:
    """Whether a run of a stretch read with its escapes undone holds one's undoing (else it was
    found as it is)."""
    which = bisect_right(starts, run[1] - 1) - 1
    return which >= 0 and places[which][0] > run[0]


def _back(
    index: int, starts: list[int], places: list[tuple[int, int, int]], low: int, end: int
) -> int:
    """Where the character at ``index`` of a stretch read with its escapes undone came from in
    the text: its start (``end`` 0) or its end (1), an escape's whole."""
    which = bisect_right(starts, index) - 1
    if which < 0:
        return low + index + end
    undone_end, start, stop = places[which]
    if index < undone_end:
        return stop if end else start
    return stop + index - undone_end + end


def _undone(escape: str) -> str | None:
    """What an escape stands for (None: an HTML name that is none, a number no character
    has)."""
    mark, letter = escape[0], escape[1]
    if mark == "%" or (mark == "\\" and letter == "x"):  # bytes: UTF-8, else Latin-1
        spelt = bytes.fromhex(escape.replace(mark if mark == "%" else "\\x", ""))
        try:
            return spelt.decode("utf-8")
        except UnicodeDecodeError:
            return spelt.decode("latin-1")
    if mark == "\\":
        if letter != "u":
            return _JSON[letter]
        code = int(escape[2:6], 16)
        if len(escape) > 6:  # a surrogate pair: one character beyond the BMP
            code = 0x10000 + ((code - 0xD800) << 10) + int(escape[8:12], 16) - 0xDC00
        return chr(code)
    if letter != "#":
        return html.entities.html5.get(escape[1:])
    code = int(escape[3:-1], 16) if escape[2] in "xX" else int(escape[2:-1])
    return chr(code) if 0 < code <= 0x10FFFF else None
