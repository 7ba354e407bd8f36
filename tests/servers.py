"""Run ``mockservers serve`` as a user does: a real process on a free port."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class Served:
    url: str
    banner: list[str]
    process: subprocess.Popen[str]
    started: list[str]
    """What the server wrote on stderr until it started (warnings at start)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_refused(*args: str) -> subprocess.CompletedProcess[str]:
    """``mockservers serve`` with ``args``, run to its end: a serve that refuses to start
    (its exit status and message are the caller's to check)."""
    command = [sys.executable, "-m", "mockservers.cli", "serve", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


@contextmanager
def serving(
    *args: str,
    stop: signal.Signals | None = signal.SIGINT,
    scheme: str = "http",
    command: str = "serve",
    startup: bool = True,
    preexec_fn: Callable[[], None] | None = None,
) -> Iterator[Served]:
    """Start ``serve`` (or ``command``: ``proxy``); wait for its banner, which it prints once it
    listens, and for each process's application startup (no polling, no sleeping): what it
    logs meanwhile is in ``started``. ``startup=False``: yield at the banner's last line, as a
    script that starts the command waits for it. ``preexec_fn``: run in the child before the
    command (a resource limit).

    On exit send ``stop`` and require a clean exit (``stop=None``: the test ends the process).
    """
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockservers.cli",
            command,
            "--port",
            str(port),
            "--log-level",
            "info",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec_fn,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        banner = []
        for line in process.stdout:
            banner.append(line.rstrip())
            if line.lstrip().startswith("admin "):  # the banner's last line
                break
        workers = int(args[args.index("--workers") + 1]) if "--workers" in args else 1
        started, log = 0, []
        for line in process.stderr if startup else ():
            log.append(line.rstrip())
            started += "Application startup complete" in line
            if started == workers:
                break
        yield Served(f"{scheme}://127.0.0.1:{port}", banner, process, log)
        if stop is not None:
            process.send_signal(stop)
            assert process.wait(timeout=15) == 0, f"{stop.name} must stop the server cleanly"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=15)


@contextmanager
def embedded(app: Any, **options: Any) -> Iterator[str]:
    """``app`` under uvicorn as a team embedding it runs it: uvicorn's own defaults, less what
    ``options`` says, on a free loopback port in a thread; its URL. No lifespan."""
    import threading

    import uvicorn

    listening = threading.Event()

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                listening.set()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = Server(uvicorn.Config(app, log_level="warning", lifespan="off", **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        assert listening.wait(timeout=10), "uvicorn did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
