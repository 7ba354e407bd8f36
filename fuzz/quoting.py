"""How a message quotes what a server answered: the run's secrets blotted out first, then cut.

Cut first, a secret the cut split was no longer found whole, and its start showed (a password
echoed at the 300th byte of an answer was quoted as its first characters, in the console, the
report, the JUnit file and the baseline). Every check and plug-in quoting an answer goes
through :func:`quoted`.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from fuzz.target import active

QUOTED_CHARS = 300
"""How much of an answer a message quotes, by default."""
_READ = 1 << 16
"""How much of a value is blotted: far more than a quote shows, so that a secret at the end of
what it shows is found whole (an answer of megabytes is not searched to its end)."""


def quoted(
    value: object, limit: int = QUOTED_CHARS, blot: Callable[[str], str] | None = None
) -> str:
    """``value`` as a message quotes it (text as it is, bytes and anything else as ``repr``
    shows them), its secrets blotted out with ``blot`` (by default the active target's: what
    the run knows), then cut to ``limit`` characters, ``…`` saying so."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value[:_READ])
    text = (value if isinstance(value, str) else repr(value))[:_READ]
    if blot is None:
        target = active()
        blot = target.blot if target is not None else None
    if blot is not None:
        text = blot(text)
    return text if len(text) <= limit else text[:limit] + "…"


def refusal(what: str, response: httpx.Response, blot: Callable[[str], str]) -> str:
    """``what`` (a login that failed, a probe refused), with the answer's status and the start
    of its text, as a usage problem says it."""
    return f"{what} (HTTP {response.status_code}): {quoted(response.text, 200, blot)}"
