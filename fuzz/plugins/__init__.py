"""Vendor plug-ins: what the generic fuzz machinery needs to know about one vendor.

Adding a vendor is one package ``fuzz/plugins/<vendor>/`` whose ``__init__`` defines a
:class:`VendorPlugin` subclass named ``Plugin``:

- ``credential_options`` and :meth:`~VendorPlugin.from_args`: which harness options it needs;
- :meth:`~VendorPlugin.demo`: the fake's demo credentials, for the in-process suites;
- :meth:`~VendorPlugin.authenticate`: log in once through the target (counted in the budget);
- :meth:`~VendorPlugin.prepare`: put credentials into a generated case (a token in the query, a
  bearer header...), leaving alone what a negative case deliberately broke;
- ``checks``: its vendor-aware Schemathesis checks (``checks.py``, registered with
  ``@schemathesis.check``);
- ``app_config``: the kit config (a TOML-shaped dict) of the app the in-process suites fuzz, when
  the defaults get in the way (KeepIT lifts its call limit there); ``None``: the defaults;
- ``machine``: ``"module:Class"`` of its ``RuleBasedStateMachine`` (``machine.py``, built on
  :class:`fuzz.stateful.ClientMachine`) with its plain-Python model (``model.py``).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from schemathesis import Case, CheckFunction, GenerationMode
from schemathesis.core.parameters import ParameterLocation

if TYPE_CHECKING:
    from fuzz.target import Target


class PluginError(Exception):
    """A usage problem the harness reports with exit status 2 (missing credentials...)."""


class VendorPlugin:
    vendor: ClassVar[str]
    credential_options: ClassVar[tuple[str, ...]] = ()
    checks: ClassVar[tuple[CheckFunction, ...]] = ()
    machine: ClassVar[str | None] = None
    app_config: ClassVar[dict[str, Any] | None] = None
    window_seconds: ClassVar[float | None] = None
    """The vendor's call window, where its document limits the calls in one: how long the
    harness waits before sending again a request answered 429 without a usable
    ``Retry-After`` (``None``: such a 429 is an answer to judge)."""

    def __init__(self, credentials: dict[str, str]) -> None:
        self.credentials = credentials

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> VendorPlugin:
        """Credentials from the harness options; :class:`PluginError` names what is missing."""
        values = {name: getattr(args, name, None) for name in cls.credential_options}
        missing = [name for name, value in values.items() if not value]
        if missing:
            flags = " ".join(f"--{name.replace('_', '-')} …" for name in cls.credential_options)
            raise PluginError(f"{cls.vendor} needs {flags}")
        return cls({k: str(v) for k, v in values.items()})

    @classmethod
    def demo(cls) -> VendorPlugin:
        """The plug-in with the fake's demo credentials."""
        raise NotImplementedError

    def authenticate(self, target: Target) -> None:
        """Obtain whatever the operations need (a token) through ``target``."""

    def setup_requests(self) -> int:
        """How many requests :meth:`authenticate` sends before the cases (a login, a probe,
        token mints), retries aside."""
        return 0

    def prepare(self, case: Case, draw: Callable[[Any], Any]) -> None:
        """Put credentials into ``case`` in place; ``draw`` draws from a Hypothesis strategy."""


def broke(case: Case, location: ParameterLocation) -> bool:
    """Whether a negative case was made invalid in ``location`` (then leave it as generated)."""
    meta = case.meta
    if meta is None:
        return False
    info = meta.components.get(location)
    return info is not None and info.mode == GenerationMode.NEGATIVE


def plugin_class(vendor: str) -> type[VendorPlugin] | None:
    """The vendor's plug-in class, or ``None`` when it has none yet."""
    try:
        module = importlib.import_module(f"fuzz.plugins.{vendor}")
    except ModuleNotFoundError as exc:
        if exc.name == f"fuzz.plugins.{vendor}":
            return None
        raise
    return module.Plugin


def load_object(path: str) -> Any:
    """``"package.module:Name"`` -> the object."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)
