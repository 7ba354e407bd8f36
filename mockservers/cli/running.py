"""serve's and proxy's app under uvicorn in this process, from the banner until stopped."""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
from typing import Any


def base_url(scheme: str, host: str, port: int) -> str:
    """Where serve or proxy listens, an IPv6 address in brackets."""
    return f"{scheme}://{'[' + host + ']' if ':' in host else host}:{port}"


def exit_on_stop() -> None:
    """From the banner on, SIGTERM and SIGHUP (the terminal closed; not under ``nohup``) exit
    0: at once until uvicorn serves (nothing is in flight), then once it has answered the
    requests in flight and stopped the app (:func:`serve_on`; uvicorn raises a SIGTERM again
    once stopped)."""
    from mockservers.serving import on_hangup

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    on_hangup(lambda *_: sys.exit(0))


def serve_on(sockets: list[socket.socket], app: Any, options: dict[str, Any]) -> int:
    """``app`` under uvicorn in this process, on ``sockets`` (serve's or proxy's), until SIGTERM,
    SIGHUP or Ctrl-C. The sockets listen from before the banner, which tools that start the
    command wait for: a client connecting once it is printed waits in the socket's queue while
    uvicorn starts, never refused (uvicorn binding its own socket listened 75-100 ms after it)."""
    import uvicorn

    from mockservers import logs
    from mockservers.serving import stop_on_hangup

    server = uvicorn.Server(uvicorn.Config(app, **options))  # sets up uvicorn's logging
    logs.install(access_log=bool(options.get("access_log")))
    stop_on_hangup(server)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn raises it again, after
        server.run(sockets=sockets)
    return 0
