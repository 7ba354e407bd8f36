"""``serve --workers N``: N processes on one port, each with listening sockets of its own.

uvicorn's own supervisor gives every worker the same listening socket; a keep-alive connection
then stays with whichever worker happened to accept it, and a load test's connections (opened
all at once) can land on one worker while the other idles. Here the parent opens, for each
worker, the ``SO_REUSEPORT`` sockets one process would listen on (one for each address
``--host`` names: the same addresses with workers as without) before any worker starts (a
client is never refused: its connection waits in a socket's queue), and the kernel spreads new
connections over the workers by a hash of their addresses: about evenly, not in turn. A worker
that dies is replaced on the same sockets, so what queued there is still served. A worker whose
parent dies (``kill -9`` of ``serve``) stops by itself and frees the port.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import logging.config
import multiprocessing
import os
import signal
import socket
import threading
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

from mockservers.serving import ServeSpec, on_hangup, stop_on_hangup, tune_gc

log = logging.getLogger("uvicorn.error")


def check_free(host: str, port: int) -> None:
    """``OSError`` when something listens on an address of ``host`` already, even another
    ``serve --workers`` (whose sockets would let ours join them: two fakes, each answering half
    the calls). A socket without ``SO_REUSEPORT`` cannot share the address: binding one tells."""
    if port != 0:
        for sock in _bound(_addresses(host, port), port, None):
            sock.close()


def listening_sockets(
    host: str, port: int, count: int, backlog: int = 2048
) -> list[list[socket.socket]]:
    """``count`` sets of the sockets one process listens on (``serving_sockets``), one set per
    worker, on one port, the kernel balancing connections across the sets (``OSError`` when
    an address is taken by anything else): ``serve --workers``."""
    check_free(host, port)
    addresses = _addresses(host, port)
    groups: list[list[socket.socket]] = []
    try:
        for _ in range(count):
            groups.append(_bound(addresses, port, backlog, reuse_port=True))
            for sock in groups[-1]:
                sock.set_inheritable(True)
            port = groups[0][0].getsockname()[1]  # port 0: the others join the one it got
            # the others bind what the first could (not an address the system cannot assign)
            addresses = [(sock.family, sock.getsockname()[0]) for sock in groups[0]]
    except OSError:
        for sock in (sock for group in groups for sock in group):
            sock.close()
        raise
    return groups


def serving_sockets(host: str, port: int, backlog: int = 2048) -> list[socket.socket]:
    """One process's listening sockets (``serve`` without workers, ``proxy``): one for each
    address ``host`` names, all on one port, as uvicorn binds them itself (``localhost``:
    127.0.0.1 and, where the system names it so, ::1; an IPv6 socket takes IPv6 only, so
    ``::`` is every IPv6 address and no IPv4 one). An address the system names but cannot
    assign (no IPv6 in a container) is left out while another is bound; ``OSError`` when none
    can be, or the port is taken."""
    return _bound(_addresses(host, port), port, backlog)


def _addresses(host: str, port: int) -> list[tuple[int, str]]:
    """The (family, address) pairs ``host`` names, in the system's order."""
    named = socket.getaddrinfo(  # "": every interface, as asyncio reads it
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    return list(dict.fromkeys((family, address[0]) for family, _, _, _, address in named))


def _bound(
    addresses: list[tuple[int, str]], port: int, backlog: int | None, reuse_port: bool = False
) -> list[socket.socket]:
    """A socket bound to each of ``addresses``, all on one port (listening with ``backlog``;
    None: bound only, a probe), as :func:`serving_sockets` says."""
    sockets: list[socket.socket] = []
    try:
        for family, address in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no owner
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind((address, port))
            except OSError as exc:
                sock.close()
                if exc.errno == errno.EADDRNOTAVAIL and len(addresses) > 1:
                    continue
                raise
            sockets.append(sock)
            port = sock.getsockname()[1]  # port 0: the others take the one the first got
            if backlog is not None:
                sock.listen(backlog)
        if not sockets:
            raise OSError(errno.EADDRNOTAVAIL, "none of the host's addresses can be assigned")
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _worker(
    spec: ServeSpec, options: dict[str, Any], sockets: list[socket.socket], ready: Any
) -> None:
    """One worker process: the app ``serve`` described, served by uvicorn on ``sockets`` (one
    for each address of ``--host``); ``ready`` is set once it serves."""
    import uvicorn

    from mockservers import logs

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                ready.set()
                parent = multiprocessing.parent_process()
                if parent is not None:  # readable (end of file) once the parent is gone
                    asyncio.get_running_loop().add_reader(parent.sentinel, self.orphaned)

        def orphaned(self) -> None:
            """The ``serve`` process died without stopping its workers (``kill -9``, an OOM
            kill, a CI job cancelled): stop as on SIGTERM, rather than hold the port for ever."""
            parent = multiprocessing.parent_process()
            assert parent is not None
            asyncio.get_running_loop().remove_reader(parent.sentinel)
            log.warning("worker %s: the serve process is gone, stopping", os.getpid())
            self.should_exit = True

    app = spec.build()
    config = uvicorn.Config(app, **options)  # sets up uvicorn's logging in this process
    logs.install(access_log=bool(options.get("access_log")))
    tune_gc()
    server = Server(config)
    stop_on_hangup(server)  # a closed terminal sends it to the workers too
    server.run(sockets=sockets)


def _start_resource_tracker() -> None:
    """Start multiprocessing's tracker of the workers' semaphores with SIGHUP blocked, which
    it keeps (it ignores SIGINT and SIGTERM itself): it is in the job's process group, and a
    closed terminal's SIGHUP killed it, the workers' stop then printing tracebacks and
    warnings of leaked semaphores."""
    from multiprocessing import resource_tracker

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
    try:
        resource_tracker.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGHUP})


class Workers:
    """Starts the workers, replaces one that dies, and stops them all on SIGINT, SIGTERM or
    SIGHUP (unless ignored: ``nohup``)."""

    def __init__(self, spec: ServeSpec, options: dict[str, Any], count: int) -> None:
        self.spec = spec
        self.options = options
        self.sockets = listening_sockets(options["host"], options["port"], count)
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[tuple[BaseProcess, Any]] = []
        self.stopping = threading.Event()

    def _start(self, sockets: list[socket.socket]) -> tuple[BaseProcess, Any]:
        ready = self.context.Event()
        process = self.context.Process(
            target=_worker, args=(self.spec, self.options, sockets, ready)
        )
        process.start()
        return process, ready

    def run(self, announce: Callable[[], None]) -> int:
        """Serve until asked to stop; 0, or 1 when a worker could not start. ``announce`` is
        called once every worker serves (``serve``'s banner: a call made then is answered at
        once, not after the seconds a busy machine takes to start a worker)."""
        from uvicorn.config import LOGGING_CONFIG

        logging.config.dictConfig(LOGGING_CONFIG)  # the parent logs as its workers do
        log.setLevel(str(self.options.get("log_level") or "info").upper())
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        on_hangup(lambda *_: self.stopping.set())  # the terminal closed; not under nohup
        _start_resource_tracker()
        self.processes = [self._start(sockets) for sockets in self.sockets]
        log.info("started %d workers, each on listening sockets of its own", len(self.processes))
        failed, announced = False, False
        while not self.stopping.wait(0.2):
            if not announced and all(ready.is_set() for _, ready in self.processes):
                announce()
                announced = True
            for index, (process, ready) in enumerate(self.processes):
                if process.is_alive():
                    continue
                if not ready.is_set():  # the app, TLS...: a replacement would fail the same way
                    log.error("worker %s could not start: stopping", process.pid)
                    failed = True
                    self.stopping.set()
                    break
                log.warning("worker %s exited (%s), replaced", process.pid, process.exitcode)
                self.processes[index] = self._start(self.sockets[index])
        self._stop()
        return 1 if failed else 0

    def _stop(self) -> None:
        for process, _ in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes in-flight requests first
        grace = float(self.options.get("timeout_graceful_shutdown") or 10) + 5
        for process, _ in self.processes:
            process.join(grace)
            if process.is_alive():
                process.kill()
                process.join()
        for sockets in self.sockets:
            for sock in sockets:
                sock.close()
