"""The vendors' model-based machines against two processes of one fake on one Redis.

Every call — the reference client's and the machine's admin calls — goes to the other process
than the call before, and the model, which knows of one fake only, must still predict each answer
and the state: a process that answered from what it kept itself instead of what the other one
wrote (a token, a sequence, an index, a waiting item, the clock) shows as a difference.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from fuzz.cli import VENDORS
from fuzz.plugins import load_object, plugin_class
from fuzz.profiles import current
from fuzz.stateful import ClientMachine
from mockservers import create_app
from mockservers.core.redis_store import RedisStore
from mockservers.testing import SyncASGITransport

pytestmark = pytest.mark.fuzz

PROCESSES = 2


class Processes(httpx.BaseTransport):
    """Several processes of one fake, each request to the next in turn; one may stop and a fresh
    one take its place (``start`` makes a process)."""

    def __init__(self, start: Callable[[], httpx.BaseTransport], count: int) -> None:
        self._start = start
        self._processes = [start() for _ in range(count)]
        self._turn = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        process = self._processes[self._turn % len(self._processes)]
        self._turn += 1
        return process.handle_request(request)

    def restart(self, index: int) -> None:
        self._processes[index].close()
        self._processes[index] = self._start()

    def close(self) -> None:
        for process in self._processes:
            process.close()


def on_processes(machine: type[ClientMachine], redis_url: str) -> type[ClientMachine]:
    """``machine``, driving ``PROCESSES`` apps that share one Redis namespace (a new one for
    each example: every example starts from a fresh fake), with one more rule: a process
    restarts."""

    class OnProcesses(machine):  # type: ignore[valid-type, misc]
        def fake_transport(self) -> httpx.BaseTransport:
            prefix = f"machine-{uuid.uuid4().hex}"

            def start() -> httpx.BaseTransport:
                store = RedisStore(redis_url, prefix=prefix)
                return SyncASGITransport(create_app(self.config, store=store), lifespan=True)

            self.processes = Processes(start, PROCESSES)
            return self.processes

        @rule(index=st.integers(0, PROCESSES - 1))
        def a_process_restarts(self, index: int) -> None:
            """A fresh process takes one's place: it reads everything from Redis, and rebuilds
            its indexes, its waiting items and the clock from there."""
            self.processes.restart(index)

    OnProcesses.__name__ = f"{machine.__name__}OnProcesses"
    return OnProcesses


@pytest.mark.parametrize("vendor", VENDORS)
def test_two_processes_agree_with_the_model(vendor: str, redis_url: str) -> None:
    found = plugin_class(vendor)
    assert found is not None and found.machine
    machine = on_processes(load_object(found.machine), redis_url)
    run_state_machine_as_test(machine, settings=current().settings(None, stateful=True))
