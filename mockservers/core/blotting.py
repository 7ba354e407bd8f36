"""Secret values blotted out wherever they appear, and the bounded memory of them a recording
keeps.

Masking by name cannot see a secret where no name says so: a token an error message quotes, a
password a redirect repeats. So a recording remembers the values it masked by name and blots
them out (``***``) wherever else they appear, in each spelling they may take there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from mockservers.core.secrets import MASK

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
    """How a secret value may appear in a recorded text: as it is, URL-encoded, JSON-escaped
    and as Python's ``repr`` shows it, of the text (a validator's message) or of its UTF-8
    bytes (a check quoting an answer's body)."""
    found = {
        value,
        quote(value, safe=""),
        json.dumps(value)[1:-1],
        repr(value)[1:-1],
        repr(value.encode("utf-8", "surrogatepass"))[2:-1],
    }
    return {text for text in found if text}


def blots(values: Iterable[str]) -> list[str]:
    """The texts to blot out for these secret values, longest first (one that holds a shorter
    one goes whole)."""
    return _longest_first(set().union(*(spellings(value) for value in values)))


def _longest_first(texts: set[str]) -> list[str]:
    return sorted(texts, key=len, reverse=True)


def blot_out(node: Any, blots: list[str]) -> Any:
    """``node`` (JSON data or text) with every blot in its strings replaced by ``***``."""
    if not blots:
        return node
    if isinstance(node, dict):
        return {key: blot_out(value, blots) for key, value in node.items()}
    if isinstance(node, list):
        return [blot_out(value, blots) for value in node]
    if isinstance(node, str) and not isinstance(node, Opaque):
        for text in blots:
            if text in node:
                node = node.replace(text, MASK)
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
        self._blots: list[str] | None = None

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

    def blots(self) -> list[str]:
        """The texts to blot out, longest first."""
        if self._blots is None:
            kinds = (self._pinned, self._credentials, self._others)
            self._blots = _longest_first(
                set().union(*(spelt for kept in kinds for spelt in kept.values()))
            )
        return self._blots

    def scrub(self, node: Any) -> Any:
        """``node`` with every remembered value blotted out. Its strings are searched as one
        text, for each blot once; only those found are replaced, string by string."""
        text = "\0".join(_strings(node))
        return blot_out(node, [blot for blot in self.blots() if blot in text])


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
