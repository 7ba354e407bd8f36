"""The vendors' model-based machines against two processes of one fake on one Redis.

Every call — the reference client's and the machine's admin calls — goes to the other process
than the call before, and the model, which knows of one fake only, must still predict each answer
and the state: a process that answered from what it kept itself instead of what the other one
wrote (a token, a sequence, an index, a waiting item, the clock) shows as a difference.
"""

from __future__ import annotations

import itertools
import uuid

import httpx
import pytest
from hypothesis.stateful import run_state_machine_as_test

from fuzz.cli import VENDORS
from fuzz.plugins import load_object, plugin_class
from fuzz.profiles import current
from fuzz.stateful import ClientMachine
from mockservers import create_app
from mockservers.core.redis_store import RedisStore
from mockservers.testing import SyncASGITransport

pytestmark = pytest.mark.fuzz

PROCESSES = 2


class Alternating(httpx.BaseTransport):
    """Each request to the next of several transports, in turn."""

    def __init__(self, transports: list[httpx.BaseTransport]) -> None:
        self._transports = transports
        self._turns = itertools.cycle(transports)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return next(self._turns).handle_request(request)

    def close(self) -> None:
        for transport in self._transports:
            transport.close()


def on_processes(machine: type[ClientMachine], redis_url: str) -> type[ClientMachine]:
    """``machine``, driving ``PROCESSES`` apps that share one Redis namespace (a new one for
    each example: every example starts from a fresh fake)."""

    class OnProcesses(machine):  # type: ignore[valid-type, misc]
        def fake_transport(self) -> httpx.BaseTransport:
            prefix = f"machine-{uuid.uuid4().hex}"
            apps = [
                create_app(self.config, store=RedisStore(redis_url, prefix=prefix))
                for _ in range(PROCESSES)
            ]
            return Alternating([SyncASGITransport(app, lifespan=True) for app in apps])

    OnProcesses.__name__ = f"{machine.__name__}OnProcesses"
    return OnProcesses


@pytest.mark.parametrize("vendor", VENDORS)
def test_two_processes_agree_with_the_model(vendor: str, redis_url: str) -> None:
    found = plugin_class(vendor)
    assert found is not None and found.machine
    machine = on_processes(load_object(found.machine), redis_url)
    run_state_machine_as_test(machine, settings=current().settings(None, stateful=True))
