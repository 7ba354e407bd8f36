"""What the four ``tests/<vendor>/test_wording.py`` share: the wording decision, as assertions.

A fake's body carries the vendor's words: the document's text where it gives one, the kit's
Italian detail where the vendor's body has a place for details, and never the validator's
English (``fuzz.checks.VALIDATOR_ENGLISH``). The kit's own diagnosis travels beside the body, in
the ``X-Mockservers-Detail`` header and in the journal entry's ``detail``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from fuzz.checks import VALIDATOR_ENGLISH

DETAIL = "X-Mockservers-Detail"


def strings(value: Any) -> Iterator[str]:
    """Every string of a parsed JSON document, object keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def assert_vendor_words(body: Any) -> None:
    """No string anywhere in the body reads like the validator's English."""
    english = [text for text in strings(body) if VALIDATOR_ENGLISH.search(text)]
    assert not english, f"validator English in the vendor's body: {english}"


def assert_detail(
    http: httpx.Client, response: httpx.Response, *names: str, journalled: bool = True
) -> str:
    """The kit's diagnosis is in the header, printable ASCII, naming each of ``names``; and
    (unless the call never reached a vendor route) the newest journal entry holds the same
    text in ``detail``. Returns the header."""
    header = response.headers.get(DETAIL)
    assert header, f"no {DETAIL} header on HTTP {response.status_code}: {response.text[:300]}"
    assert header.isascii() and header.isprintable(), header
    for name in names:
        assert name in header, f"{DETAIL} does not name {name!r}: {header}"
    if journalled:
        (entry,) = http.get("/__admin/requests", params={"limit": 1}).json()
        assert entry["detail"], entry
        # The header is the journal's text with non-ASCII and quotes JSON-escaped.
        assert json.dumps(entry["detail"])[1:-1][:2000] == header
    return header
