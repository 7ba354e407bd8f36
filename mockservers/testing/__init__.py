"""Helpers for using the fakes as a test double: in-process transports and a threaded server.

```python
with MockServer() as server:
    client = QuoPartsClient(server.base_url("quoparts"), "demo", "demo")
    server.advance(3600)          # expire tokens through the kit's clock
    server.requests(vendor="quoparts")
```
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from mockservers import logs
from mockservers.app import SERVER_OPTIONS, create_app
from mockservers.config import Config
from mockservers.testing.transport import SyncASGITransport

__all__ = ["MockServer", "SyncASGITransport", "admin_client"]


def admin_client(app: Starlette) -> httpx.Client:
    """A sync httpx client bound to the app in-process (no socket)."""
    return httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers")


class MockServer:
    """The kit under uvicorn on a free loopback port, in a background thread."""

    def __init__(
        self, config: Config | dict[str, Any] | None = None, *, app: Starlette | None = None
    ) -> None:
        self.app = app if app is not None else create_app(config)
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._admin: httpx.Client | None = None
        self.url = ""

    def start(self) -> MockServer:
        # IPPROTO_TCP, not 0: accepted sockets inherit it, and asyncio turns Nagle's algorithm
        # off (TCP_NODELAY) only on sockets that say they are TCP; with it on, every keep-alive
        # request waited ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)  # connections queue from now on, even before uvicorn accepts
        self._socket = sock
        port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", **SERVER_OPTIONS)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="mockserver"
        )
        logs.install()
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the mock server did not start")
            time.sleep(0.005)
        self._admin = httpx.Client(base_url=self.url, timeout=10)
        return self

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def base_url(self, vendor: str) -> str:
        return f"{self.url}/{vendor}"

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        assert self._admin is not None, "start the server first"
        response = self._admin.request(method, f"/__admin{path}", **kwargs)
        response.raise_for_status()
        return response.json()

    def reset(self, vendor: str | None = None) -> None:
        self.admin("POST", "/reset", json={"vendor": vendor} if vendor else {})

    def advance(self, seconds: float) -> str:
        return self.admin("POST", "/clock", json={"advance_seconds": seconds})["now"]

    def requests(
        self, vendor: str | None = None, operation: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        params = {
            k: v for k, v in {"vendor": vendor, "operation": operation, "limit": limit}.items() if v
        }
        return self.admin("GET", "/requests", params=params)

    def state(self, vendor: str) -> dict[str, Any]:
        return self.admin("GET", f"/state/{vendor}")

    def fault(self, **spec: Any) -> str:
        return self.admin("POST", "/faults", json=spec)["id"]
