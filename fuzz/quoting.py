"""How a message quotes what a server answered: the run's secrets blotted out first, then cut.

Cut first, a secret the cut split was no longer found whole, and its start showed (a password
echoed at the 300th byte of an answer was quoted as its first characters, in the console, the
report, the JUnit file and the baseline). Every check and plug-in quoting an answer goes
through :func:`quoted` (a value read from it: :func:`quoted_value`), and the runner cuts each
failure message whole once more (:data:`MESSAGE_CHARS`): quoted whole, a vendor's 200 KB stack
trace in a ``message`` made a 200,000-character console line and a 1.2 MB report.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from fuzz.target import active

QUOTED_CHARS = 300
"""How much of an answer a message quotes, by default."""
VALUE_CHARS = 200
"""How much of one value read from an answer (a ``message``, an ``errorCode``) a message
quotes."""
MESSAGE_CHARS = 2000
"""How long a whole failure message may be (``fuzz.runner`` cuts each once, whatever its
check quoted): a few values quoted in full, the start of the rest."""
_READ = 1 << 16
"""How much of a value is blotted: far more than a quote shows, so that a secret at the end of
what it shows is found whole (an answer of megabytes is not searched to its end)."""


def quoted(
    value: object, limit: int = QUOTED_CHARS, blot: Callable[[str], str] | None = None
) -> str:
    """``value`` as a message quotes it (text as it is, bytes and anything else as ``repr``
    shows them), its secrets blotted out with ``blot`` (by default the active target's: what
    the run knows), then cut to ``limit`` characters, ``…(N characters)`` (bytes: ``…(N
    bytes)``) saying so and how long the whole was."""
    if isinstance(value, bytes | bytearray):
        size, unit = len(value), "bytes"
        text = repr(bytes(value[:_READ]))[:_READ]
    else:
        whole = value if isinstance(value, str) else repr(value)
        size, unit = len(whole), "characters"
        text = whole[:_READ]
    if blot is None:
        target = active()
        blot = target.blot if target is not None else None
    if blot is not None:
        text = blot(text)
    return text if len(text) <= limit else f"{text[:limit]}…({size:,} {unit})"


def quoted_value(value: object, limit: int = VALUE_CHARS) -> str:
    """A value read from an answer as a check's message names it: as Python writes it (a
    text in quotes, ``None``), then as :func:`quoted` (blotted, cut)."""
    return quoted(repr(value), limit)


def refusal(what: str, response: httpx.Response, blot: Callable[[str], str]) -> str:
    """``what`` (a login that failed, a probe refused), with the answer's status and the start
    of its text, as a usage problem says it."""
    return f"{what} (HTTP {response.status_code}): {quoted(response.text, 200, blot)}"
