"""Base for the model-based state machines: a reference client on an in-process fake.

A vendor's machine (``fuzz/plugins/<vendor>/machine.py``) subclasses :class:`ClientMachine`,
builds its clients on :meth:`ClientMachine.transport` and runs each client call through
:meth:`ClientMachine.call`, which checks the wire right away: every response against its response
contract, and every request of a *strict* recorder against its request contracts. The base holds
the rule every machine shares (a vendor reset, of the fake and the model alike) and the invariant:
the fake's admin state dump, as :meth:`ClientMachine.comparable_state` reads it, is the model's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol, TypeVar

import httpx
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from fuzz.capture import Exchange, Recorder, operation_of, request_violations, response_violations
from mockservers import create_app
from mockservers.testing import SyncASGITransport

T = TypeVar("T")
IN_PROCESS = "http://mockservers"
START = "2025-01-01T00:00:00Z"


class Raised:
    """What a client call raised, kept to compare with the model's prediction."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __repr__(self) -> str:
        return f"Raised({self.error!r})"


class StateModel(Protocol):
    """What the base needs of a vendor's model."""

    def reset(self) -> None:
        """Back to start, as the vendor reset puts the fake."""

    def state(self) -> dict[str, Any]:
        """The admin state dump the fake must produce."""


class ClientMachine(RuleBasedStateMachine):
    vendor: ClassVar[str]
    model: StateModel  # built by the vendor's machine
    # A frozen clock: only the machine moves it, so the model knows every timestamp.
    config: ClassVar[dict[str, Any]] = {"kit": {"clock": {"start": START, "frozen": True}}}

    def __init__(self) -> None:
        super().__init__()
        self._inner = self.fake_transport()
        self._recorders: list[tuple[Recorder, bool]] = []
        self.admin = httpx.Client(transport=self._inner, base_url=IN_PROCESS)
        self.base_url = f"{IN_PROCESS}/{self.vendor}"
        self.last_exchanges: list[Exchange] = []

    def fake_transport(self) -> httpx.BaseTransport:
        """The fake every client and admin call goes to: one in-process app with ``config``. A
        subclass may answer with several processes of one fake behind one transport."""
        return SyncASGITransport(create_app(self.config))

    def transport(self, *, strict: bool = True) -> Recorder:
        """A recording transport for a client; ``strict``: its requests must meet the contracts."""
        recorder = Recorder(self._inner)
        self._recorders.append((recorder, strict))
        return recorder

    def call(self, fn: Callable[[], T]) -> T | Raised:
        """Run a client call, then check what went over the wire before anything else."""
        try:
            result: T | Raised = fn()
        except Exception as exc:
            result = Raised(exc)
        self.check_wire()
        return result

    def check_wire(self) -> None:
        self.last_exchanges = []
        for recorder, strict in self._recorders:
            for exchange in recorder.drain():
                self.last_exchanges.append(exchange)
                where = f"{exchange.request.method} {exchange.request.url}"
                if strict and (found := request_violations(self.vendor, exchange)):
                    raise AssertionError(f"request contract broken by {where}: {found}")
                if found := response_violations(self.vendor, exchange):
                    raise AssertionError(f"response contract broken, answer to {where}: {found}")

    def wire_operations(self) -> list[str | None]:
        """The operations the last call sent, in order."""
        return [operation_of(self.vendor, exchange) for exchange in self.last_exchanges]

    @rule()
    def vendor_reset(self) -> None:
        """``POST /__admin/reset`` for the machine's vendor; its model resets itself alike."""
        self.admin.post("/__admin/reset", json={"vendor": self.vendor}).raise_for_status()
        self.model.reset()

    @invariant()
    def fake_state_equals_model(self) -> None:
        fake = self.comparable_state(self.fake_state())
        expected = self.model.state()
        assert fake == expected, (
            f"the fake's state differs from the model: {first_difference(fake, expected)}"
        )

    def comparable_state(self, state: dict[str, Any]) -> dict[str, Any]:
        """The fake's dump as the model writes it: a tenant with no records and no sequences is
        the same as no tenant."""
        tenants = {
            name: tenant
            for name, tenant in state.get("tenants", {}).items()
            if any(tenant.get(key) for key in tenant)
        }
        return {"tenants": tenants}

    def advance(self, seconds: int) -> None:
        self.admin.post("/__admin/clock", json={"advance_seconds": seconds}).raise_for_status()

    def fake_state(self) -> dict[str, Any]:
        response = self.admin.get(f"/__admin/state/{self.vendor}")
        response.raise_for_status()
        return response.json()

    def teardown(self) -> None:
        self.admin.close()
        self._inner.close()


def first_difference(fake: Any, model: Any, path: str = "") -> str:
    """The first place two JSON documents differ, as ``/path: fake …, model …``."""
    if isinstance(fake, dict) and isinstance(model, dict):
        for key in sorted(set(fake) | set(model)):
            if fake.get(key, "<absent>") != model.get(key, "<absent>"):
                return first_difference(
                    fake.get(key, "<absent>"), model.get(key, "<absent>"), f"{path}/{key}"
                )
    return f"{path or '/'}: fake {fake!r}, model {model!r}"
