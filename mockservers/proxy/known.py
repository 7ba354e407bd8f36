"""The secret values the proxy has seen, across its exchanges with every vendor: what a message
of the proxy's own is scrubbed of, beside the values of the exchange it speaks of.

A 502's detail quotes httpcore's error, and that may quote bytes of an earlier answer: a vendor
whose ``Content-Length`` fell short left the rest of its answer on the connection (``Password
errata: …``, quoting the earlier call's password), read as the next answer's status line
(``illegal status line: bytearray(b"…")``). Scrubbed of its own call's secrets only, the detail
showed the earlier call's, in ``X-Mockservers-Detail`` and the journal. The quote stays (it is
what tells a short ``Content-Length``), every secret the proxy remembers blotted out of it, as
a recording remembers them: the latest passwords and keys connectors sent, the latest tokens
(:class:`~mockservers.core.blotting.Memory`), and the upstream URLs' credentials for good.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from mockservers.core import learned
from mockservers.core.blotting import Memory


class Known:
    """The secrets the proxy remembers. Exchanges are learned as they are journalled, some on
    the event loop and some in a thread (a large answer's), hence the lock."""

    def __init__(self, pinned: Iterable[str] = ()) -> None:
        self._memory = Memory()
        self._memory.pin(pinned)
        self._lock = threading.Lock()

    def learn(self, found: learned.Found) -> None:
        """Remember the secrets of one exchange, those its request sent too."""
        with self._lock:
            learned.learn(self._memory, found, requests=True)

    def scrub(self, text: str) -> str:
        """``text`` with every secret remembered blotted out."""
        with self._lock:
            return self._memory.scrub(text)  # type: ignore[no-any-return]
