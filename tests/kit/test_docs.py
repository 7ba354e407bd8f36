"""The documentation holds together: every relative link and anchor resolves, the README stays
short enough to be read to the end, and no page in docs/ is an orphan.

Links are the inline markdown kind, ``[text](target)``, outside code blocks and code spans.
Anchors are checked against GitHub's heading slugs (lower case, punctuation but ``-`` and ``_``
dropped, spaces to ``-``, ``-1``, ``-2``… for repeated headings).
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_BYTES = 12 * 1024

PAGES = [README, *sorted(DOCS.rglob("*.md"))]
DOC_FILES = sorted(path for path in DOCS.rglob("*") if path.is_file())

_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_LINK = re.compile(r"!?\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_EXTERNAL = ("http:", "https:", "mailto:")


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _prose_lines(path: Path) -> list[str]:
    """The page's lines with fenced code blocks blanked out (line numbers are kept)."""
    lines, fenced = [], False
    for line in path.read_text("utf-8").split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
            lines.append("")
        else:
            lines.append("" if fenced else line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = _LINK.sub(r"\1", heading).lower()
    kept = "".join(c for c in text if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in _prose_lines(path):
        match = _HEADING.match(line)
        if match is None:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


@cache
def links(path: Path) -> tuple[tuple[int, str], ...]:
    """(line number, target) of every inline link on the page, outside code."""
    text = "\n".join(_prose_lines(path))
    # Blank code spans but keep their newlines, so that line numbers stay right.
    text = _CODE_SPAN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    return tuple(
        (text.count("\n", 0, match.start()) + 1, match.group(2)) for match in _LINK.finditer(text)
    )


def problem(page: Path, target: str) -> str | None:
    """What is wrong with one link of ``page``, or None."""
    if target.lower().startswith(_EXTERNAL):
        return None
    file_part, _, anchor = target.partition("#")
    destination = (page.parent / unquote(file_part)).resolve() if file_part else page
    if not destination.exists():
        return f"{target}: no such file {os.path.relpath(destination, ROOT)}"
    if not anchor:
        return None
    if destination.suffix != ".md":
        return f"{target}: an anchor into a file that is not markdown"
    if unquote(anchor).lower() not in anchors(destination):
        known = ", ".join(sorted(anchors(destination)))
        return f"{target}: no heading with that anchor in {_rel(destination)} (has: {known})"
    return None


def _linked_files(page: Path) -> set[Path]:
    found = set()
    for _, target in links(page):
        file_part = target.partition("#")[0]
        if file_part and not target.lower().startswith(_EXTERNAL):
            found.add((page.parent / unquote(file_part)).resolve())
    return found


def reachable_from_readme() -> set[Path]:
    seen, todo = {README.resolve()}, [README.resolve()]
    while todo:
        page = todo.pop()
        for target in _linked_files(page):
            if target not in seen and target.is_file():
                seen.add(target)
                if target.suffix == ".md":
                    todo.append(target)
    return seen


def test_there_are_docs_pages() -> None:
    assert len(PAGES) > 1, "no markdown pages found under docs/"


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_every_link_resolves(page: Path) -> None:
    broken = [
        f"line {line}: {why}" for line, target in links(page) if (why := problem(page, target))
    ]
    assert not broken, f"{_rel(page)} has broken links:\n" + "\n".join(broken)


def test_readme_stays_short() -> None:
    size = README.stat().st_size
    assert size <= README_MAX_BYTES, (
        f"README.md is {size} bytes, over {README_MAX_BYTES}: move the detail to a page in docs/"
    )


@pytest.mark.parametrize("doc", DOC_FILES, ids=_rel)
def test_every_docs_file_is_reachable_from_the_readme(doc: Path) -> None:
    linked = doc.resolve() in reachable_from_readme()
    assert linked, f"{_rel(doc)} is an orphan: link it from README.md or a page the README leads to"


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("The suites (in-process, part of `make test`)", "the-suites-in-process-part-of-make-test"),
        ("Durable state (`--state-file`)", "durable-state---state-file"),
        ("Query-dispatched operations in OpenAPI", "query-dispatched-operations-in-openapi"),
        ("snake_case and Ünïcode", "snake_case-and-ünïcode"),
    ],
)
def test_slug_follows_github(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_a_broken_link_or_anchor_is_reported() -> None:
    """The checks can fail: a missing file and a missing heading are both caught."""
    page = DOCS / "fuzzing.md"
    assert problem(page, "no-such-page.md") is not None
    assert problem(page, "architecture.md#no-such-heading") is not None
    assert problem(page, "#no-such-heading") is not None
    assert problem(page, "architecture.md#adding-a-fifth-vendor") is None
    assert problem(page, "https://example.org/anything") is None
