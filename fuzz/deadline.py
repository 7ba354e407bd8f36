"""``--timeout``: each call of the harness ends within its time, its answer read whole.

httpx's timeouts bound each wait alone (to connect, to send, for the next bytes of the answer),
so a server sending a byte every few seconds held a call for as long as it liked. A
:class:`Deadline` gives each wait no more than the call's whole time and, when that time is
over, shuts the call's connection down from a timer thread: the wait it was in ends at once,
as a dropped connection would, and :attr:`Call.expired` says why. The harness is sequential,
so the connection in use is one of the client's, all of which a cut shuts down (an idle one
is only opened again); one that opens after the deadline (a name lookup that took longer) is
shut down as it opens. A TLS handshake, which holds the socket until it is done, is bounded as
a whole by the SSL module, from its own start: a server slow both to accept a connection and
to shake hands may take up to twice the time.

Each call also notes whether its request went out (:attr:`Call.sent`), for a recording of the
call an interrupt stopped.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Call:
    """One call under watch."""

    expired: bool = False
    """Its time ran out: whatever ended it, it got no whole answer in time."""
    sent: bool = False
    """Its request's head went out (httpcore said so: an in-process transport never does)."""
    over: bool = False


class Deadline:
    """Watches each call of one client; ``seconds`` (``None``: no time limit) bounds each."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._call = Call()

    @contextmanager
    def watch(self, request: httpx.Request) -> Iterator[Call]:
        """Send ``request`` within the block: it has until ``seconds`` from now."""
        call = self._call = Call()
        request.extensions["trace"] = self._trace
        timer = None
        if self.seconds is not None:
            request.extensions["timeout"] = httpx.Timeout(self.seconds).as_dict()
            timer = threading.Timer(self.seconds, self._cut, (call,))
            timer.daemon = True
            timer.start()
        try:
            yield call
        finally:
            with self._lock:  # a cut running now ends before the next call can begin
                call.over = True
            if timer is not None:
                timer.cancel()

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's account of the call: each connection's socket as it opens (a plain one,
        then the TLS one over it, whose handshake the SSL module bounds as a whole), and the
        request's head going out."""
        if event.endswith(("connect_tcp.complete", "start_tls.complete")):
            opened = info["return_value"].get_extra_info("socket")
            with self._lock:
                kept = [sock for sock in self._sockets if sock.fileno() != -1]  # closed: gone
                self._sockets = [*kept, opened] if opened is not None else kept
                if opened is not None and self._call.expired:
                    _shut(opened)  # opened after the deadline (a slow name lookup): cut now
        elif event.endswith("send_request_headers.complete"):
            self._call.sent = True

    def _cut(self, call: Call) -> None:
        with self._lock:
            if call.over:
                return
            call.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    """The socket's own shutdown (an SSL socket's would drop its TLS state under the reading
    thread's feet): the pending wait ends, as on a dropped line."""
    with suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
