"""A real ``redis-server`` for the tests: started on a free port, stopped after.

The Makefile installs ``redis-server`` from the distribution's packages when it is missing
(``make test``); a run without it skips the tests that need it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from tests.servers import free_port


def available() -> bool:
    return shutil.which("redis-server") is not None


@contextmanager
def redis_server() -> Iterator[str]:
    """A fresh redis-server (no persistence) on a free loopback port: its URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
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
