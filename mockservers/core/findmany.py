"""Many texts found in one pass over a text: what blotting out thousands of secrets takes.

A search per secret read the whole text once for each: a list answer of 12,000 rows, each with
a token and a password of its own, was read 36,000 times (once per spelling), and copied as
often. A :class:`Finder` of many texts reads it once, with one regular expression for all of
them: a trie of their beginnings, each cut where no other text begins alike (after
:data:`ANCHORED` characters at the least, so that few places are taken for one), and each place
it finds checked against the whole text. Spelled out whole, the same trie took a second to
compile for those 36,000 texts; cut, a third of it.

The expression tries, at each character, every letter its texts begin with, one after the
other (about 4 ns each), where a search for one text reads about 0.15 ns a character: so fewer
texts than :data:`SEARCHES_PER_LETTER` per letter they begin with are searched for one by one
(:func:`at_once` says which), which also compiles nothing.

Where the texts found overlap, the run they cover is one: a text replaced whole could
otherwise leave the start or the end of another in view. A text that overlaps itself (``000000``
in a zero-padded field of two million zeros) is not looked for again at each character of its
run, which read the text once per character: the run is followed at once, in steps of the
text's period (:func:`_repeats`), and the search goes on where no text starting earlier could
still reach past it.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T", str, bytes)

SEARCHES_PER_LETTER = 24
"""How many searches for one text cost as much as the expression's reading, per letter its
texts begin with."""

ANCHORED = 8
"""How many characters of a text (at the least) the expression spells before the check."""

NESTED = 200
"""How many groups deep an expression may go (texts that each begin the next: ``abcdef``,
``abcdefg``...): Python's compiler recurses into each, and a thousand exhausted its stack.
Texts nested deeper are searched for one by one."""


BISECTED = 16
"""How many runs (at the least) each place :func:`joined` puts in place by bisection must be
among: fewer, and all are put in order at once."""


class _TooDeep(Exception):
    pass


class Finder(Generic[T]):
    """Texts to find wherever they occur: at least one, none empty, all ``str`` or all
    ``bytes``."""

    def __init__(self, texts: tuple[T, ...]) -> None:
        ordered = sorted(set(texts))
        self._texts = ordered
        self._longest = max(map(len, ordered))
        self._repeats: dict[T, re.Pattern[T] | None] = {}
        self._whole: dict[T, tuple[T, int]] = {}
        """Per beginning the expression finds: the text it begins, and the length of the
        longest text it spells whole (0: none), which is there when that text is not."""
        self._regex = None
        if at_once(ordered):
            try:
                self._regex = re.compile(self._trie(ordered, 0, len(ordered), 0, 0))
            except _TooDeep:
                self._whole.clear()

    def runs(self, text: T) -> list[tuple[int, int]]:
        """Where ``text`` holds the texts, as (start, end) runs: overlapping ones make one."""
        return merged(self._found(text) if self._regex else self._each(text))

    def replaced(self, text: T, by: T) -> T:
        """``text`` with each run of the texts it holds replaced by ``by`` (``text`` itself
        when it holds none)."""
        if self._regex is None and not any(searched in text for searched in self._texts):
            return text  # the most frequent case, its cost a recording's each string pays
        return replaced(text, self.runs(text), by)

    def _each(self, text: T) -> list[tuple[int, int]]:
        """Every place of each text in ``text`` (those that overlap too), in order."""
        found = []
        for searched in self._texts:
            at = text.find(searched)
            while at >= 0:
                end = self._run_end(searched, text, at)
                found.append((at, end))
                # a place starting earlier ends inside the run: only the run's end is looked at
                at = text.find(searched, max(at + 1, end - len(searched) + 1))
        found.sort()
        return found

    def _found(self, text: T) -> Iterator[tuple[int, int]]:
        """Every place where a text begins in ``text``, with the longest that begins there,
        in order."""
        assert self._regex is not None
        search, whole = self._regex.search, self._whole
        found = search(text)
        while found is not None:
            at = found.start()
            full, shorter = whole[found.group()]
            if text.startswith(full, at):
                end = self._run_end(full, text, at)
            else:
                end = self._run_end(full[:shorter], text, at) if shorter else at
            if end > at:
                yield at, end
            # a text may begin inside another; one beginning before this is inside the run
            found = search(text, max(at + 1, end - self._longest + 1))

    def _run_end(self, searched: T, text: T, at: int) -> int:
        """Where the run of ``searched`` found at ``at`` ends: past each further place of it
        that overlaps the one before, in steps of its period."""
        end = at + len(searched)
        if searched not in self._repeats:
            self._repeats[searched] = _repeats(searched)
        repeat = self._repeats[searched]
        return end if repeat is None else repeat.match(text, end).end()  # type: ignore[union-attr]

    def _trie(
        self, texts: list[T], low: int, high: int, depth: int, shorter: int, nested: int = 0
    ) -> T:
        """The expression for ``texts[low:high]`` (sorted), which begin alike up to ``depth``;
        ``shorter``: the length of the longest text among those beginnings (0: none);
        ``nested``: how many groups it is in."""
        if nested > NESTED:
            raise _TooDeep
        first = texts[low]
        if high - low == 1:  # no other text begins alike: the check does the rest
            cut = max(depth, min(len(first), ANCHORED))
            self._whole[first[:cut]] = (first, shorter)
            return re.escape(first[depth:cut])
        shared = _shared(first, texts[high - 1], depth)
        spelled, depth = re.escape(first[depth:shared]), shared
        ends = len(first) == depth  # the first is the beginning of all the others
        if ends:
            self._whole[first] = (first, depth)
            shorter, low = depth, low + 1
        branches = []
        while low < high:
            letter = texts[low][depth : depth + 1]
            end = low + 1
            while end < high and texts[end][depth : depth + 1] == letter:
                end += 1
            inner = self._trie(texts, low, end, depth + 1, shorter, nested + 1)
            branches.append(re.escape(letter) + inner)
            low = end
        if len(branches) == 1 and not ends:
            return spelled + branches[0]
        opened, bar, closed, optional = _syntax(first)
        group = opened + bar.join(branches) + closed
        return spelled + group + optional if ends else spelled + group


def merged(places: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Places (start, end), in order of their starts, as runs: those that overlap make one."""
    runs: list[tuple[int, int]] = []
    for start, end in places:
        if runs and start < runs[-1][1]:
            if end > runs[-1][1]:
                runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    return runs


def joined(runs: list[tuple[int, int]], more: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Runs (apart, in order) with more places, each merged with the runs it overlaps: those of
    a second reading into those of the first: few among many, each put in place by bisection;
    else all of them in order."""
    more = list(more)
    if len(more) > len(runs) // BISECTED:
        return merged(sorted(runs + more))
    runs = list(runs)
    for start, end in more:
        low = bisect_right(runs, start, key=_end)  # the first run ending after it starts
        high = bisect_left(runs, end, key=_start)  # the first starting where it ends, or after
        if low < high:
            start, end = min(start, runs[low][0]), max(end, runs[high - 1][1])
        runs[low:high] = [(start, end)]
    return runs


def _start(run: tuple[int, int]) -> int:
    return run[0]


def _end(run: tuple[int, int]) -> int:
    return run[1]


def replaced(text: T, runs: list[tuple[int, int]], by: T) -> T:
    """``text`` with each of these runs (in order, apart) replaced by ``by``."""
    if not runs:
        return text
    pieces, kept = [], 0
    for start, end in runs:
        pieces += (text[kept:start], by)
        kept = end
    pieces.append(text[kept:])
    return text[:0].join(pieces)


def _repeats(text: T) -> re.Pattern[T] | None:
    """What a place of ``text`` that overlaps the one before adds to the run (``text``'s last
    period, repeated: ``ab`` for ``abab``, ``baa`` for ``aabaa``), as an expression matching as
    many as follow; None when no place of it can overlap another. The period is the smallest
    shift that leaves the text's end a beginning of it."""
    shift = text.find(text[:1], 1)  # only where its first letter is again can it begin again
    while shift > 0:
        if text.startswith(text[shift:]):
            opened, _, closed, _ = _syntax(text)
            many = b"*" if isinstance(text, bytes) else "*"
            return re.compile(opened + re.escape(text[-shift:]) + closed + many)  # type: ignore[operator]
        shift = text.find(text[:1], shift + 1)
    return None


def at_once(texts: list[T] | tuple[T, ...]) -> bool:
    """Whether these texts are many enough to be found with one expression rather than one
    by one (see the module's docstring)."""
    return len(texts) > SEARCHES_PER_LETTER * len({text[:1] for text in texts})


def _syntax(like: T) -> tuple[T, T, T, T]:
    """A group's syntax, as ``str`` or ``bytes`` as ``like`` is: opened, bar, closed, optional."""
    parts = ("(?:", "|", ")", "?")
    if isinstance(like, str):
        return parts  # type: ignore[return-value]
    return tuple(part.encode() for part in parts)  # type: ignore[return-value]


def _shared(first: T, last: T, depth: int) -> int:
    """How long a beginning the first and the last of sorted texts share (and so all those
    between), knowing that they share ``depth`` characters."""
    limit = min(len(first), len(last))
    while depth < limit and first[depth] == last[depth]:
        depth += 1
    return depth
