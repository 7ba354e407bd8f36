"""An admin client per process: a helper used in a process forked from the one that built its
client (``multiprocessing`` with fork, a pre-forking runner) talks through a client of its own.

A forked child inherits its parent's httpx client with the keep-alive connections in its pool:
parent and child then write to one socket and read each other's answers (the parent read the
child's ``{"count": 2}`` glued to its own). The child gets a new client with the same settings
instead, and leaves the inherited one, and its sockets, to the parent.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Generic, TypeVar

import httpx

from clients.tls import verify_for

C = TypeVar("C", httpx.Client, httpx.AsyncClient)

_SOCKET_POOLS = (httpx.HTTPTransport, httpx.AsyncHTTPTransport)


def like(client: C) -> C:
    """A new client with ``client``'s settings (base URL, headers, cookies, params, auth,
    timeout, redirects, event hooks, ``trust_env``) and a connection pool of its own. A
    transport that holds no socket (a stub; an in-process one, which refuses every call in a
    forked process: the kit it reaches is the parent's) is shared; a socket pool is httpx's
    default one (its TLS and pool settings are not readable from the client), with the TLS
    context clients of a plain http URL share (:func:`clients.tls.verify_for`)."""
    settings: dict[str, Any] = {
        "base_url": client.base_url,
        "headers": client.headers,
        "cookies": client.cookies,
        "params": client.params,
        "auth": client.auth,
        "timeout": client.timeout,
        "follow_redirects": client.follow_redirects,
        "max_redirects": client.max_redirects,
        "event_hooks": client.event_hooks,
        "trust_env": client.trust_env,
        "verify": verify_for(client.base_url),
    }
    transport = getattr(client, "_transport", None)  # httpx keeps it private
    if transport is not None and not isinstance(transport, _SOCKET_POOLS):
        settings["transport"] = transport
    if isinstance(client, httpx.AsyncClient):
        return httpx.AsyncClient(**settings)
    return httpx.Client(**settings)


class PerProcess(Generic[C]):
    """A client for the process that built it, and a new one like it (:func:`like`) in any
    process forked from that one, or once its owner closed it (a retried close)."""

    def __init__(self, client: C) -> None:
        self._client = client
        self._pid = os.getpid()
        self._made = False
        self._spent = False  # handed out to close: the next call needs a new one
        self._making = threading.Lock()  # a child's threads whose first calls meet make one

    def get(self) -> C:
        """The client of this process."""
        if self._pid != os.getpid() or self._spent:  # else, as nearly always: no lock
            with self._making:
                if self._pid != os.getpid() or self._spent:
                    self._client, self._pid = like(self._client), os.getpid()
                    self._made, self._spent = True, False
        return self._client

    def to_close(self, owned: bool) -> C | None:
        """The client to close as its owner closes: this process's, when the owner was given
        it to close (``owned``) or it was made here; None for one inherited from the parent
        process, which is the parent's to close. Once handed out, a call made after it goes
        through a new client like it."""
        if self._pid != os.getpid() or not (owned or self._made):
            return None
        self._spent = True
        return self._client
