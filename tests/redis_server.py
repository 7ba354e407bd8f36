"""A real ``redis-server`` for the tests: started on a free port, stopped after.

The Makefile installs ``redis-server`` from the distribution's packages when it is missing
(``make test``); a run without it skips the tests that need it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from tests.servers import free_port


def available() -> bool:
    return shutil.which("redis-server") is not None


@contextmanager
def redis_server(
    port: int | None = None, directory: str | None = None, options: Sequence[str] = ()
) -> Iterator[str]:
    """A fresh redis-server on a free loopback port (or ``port``): its URL. Without persistence;
    with ``directory``, an append-only file there, synced on every write, so that a server
    started again on it comes back with every acknowledged write. ``options``: more of
    redis-server's own (``--requirepass PW``)."""
    port = port or free_port()
    persistence = ["--save", "", "--appendonly", "no"]
    if directory is not None:
        persistence = ["--save", "", "--appendonly", "yes", "--appendfsync", "always"]
        persistence += ["--dir", directory]
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            *persistence,
            "--protected-mode",
            "yes",
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:  # no polling: redis says when it listens
            if "Ready to accept connections" in line:
                break
        else:
            raise RuntimeError("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
