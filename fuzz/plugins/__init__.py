"""Vendor plug-ins: what the generic fuzz machinery needs to know about one vendor.

Adding a vendor is one package ``fuzz/plugins/<vendor>/`` whose ``__init__`` defines a
:class:`VendorPlugin` subclass named ``Plugin``:

- ``credential_options`` and :meth:`~VendorPlugin.from_args`: which harness options it needs;
- :meth:`~VendorPlugin.demo`: the fake's demo credentials, for the in-process suites;
- :meth:`~VendorPlugin.authenticate`: log in once through the target (counted in the budget);
- :meth:`~VendorPlugin.prepare`: put credentials into a generated case (a token in the query, a
  bearer header...), leaving alone what a negative case deliberately broke;
- :meth:`~VendorPlugin.kept`: how many records an answer says the vendor stored (the run's
  summary counts what it leaves in a shared sandbox);
- :meth:`~VendorPlugin.admin`: a call to the kit's admin API (TS Digital mints its tokens so),
  refused up front by a kit that forwards the vendor to a real upstream;
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
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from schemathesis import Case, CheckFunction, GenerationMode
from schemathesis.core.parameters import ParameterLocation

from fuzz.dispatch import RealRequest
from mockservers.cliargs import environ

if TYPE_CHECKING:
    from fuzz.target import Target

ADMIN_TOKEN_ENV = "MOCKSERVERS_ADMIN_TOKEN"
"""The admin token the admin API is called with, as ``serve --admin-token`` reads it."""


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
        self._kit_asked = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> VendorPlugin:
        """Credentials from the harness options; :class:`PluginError` names what is missing."""
        values = {name: getattr(args, name, None) for name in cls.credential_options}
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise PluginError(f"{cls.vendor} needs {_flags(cls.credential_options, ' …')}")
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

    def admin(
        self, target: Target, method: str, path: str, body: Any = None
    ) -> httpx.Response | None:
        """``method path`` on the admin API of the kit serving ``target`` (beside its base URL),
        counted and recorded as every call, with ``X-Admin-Token`` from
        :data:`ADMIN_TOKEN_ENV` when that is set (sent as UTF-8, as the kit reads it); ``None``
        in a dry run. Before the first, the kit's health says whether it forwards this vendor
        to a real upstream (``mockservers proxy``): its admin API then acts on a fake the
        calls never reach (a token minted there is refused by the vendor, every case a 401),
        and :class:`PluginError` says so."""
        if not self._kit_asked:
            self._kit_asked = True
            health = self.admin(target, "GET", "/__admin/health")
            found = answer_json(health) if health is not None else None
            forwarded = found.get("forwarded") if isinstance(found, dict) else None
            if isinstance(forwarded, list) and self.vendor in forwarded:
                raise PluginError(
                    f"the kit at {_origin(target)} forwards {self.vendor} to a real upstream: "
                    f"give {_flags(self.credential_options)}"
                )
        headers: dict[str, str | bytes] = {}
        admin_token = environ(ADMIN_TOKEN_ENV)
        if admin_token:  # a kit started with --admin-token (a team's shared one)
            headers["X-Admin-Token"] = f"${ADMIN_TOKEN_ENV}" if target.dry_run else admin_token
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(body).encode()
        return target.send(RealRequest(method, _origin(target) + path, [], headers, content))

    def kept(self, operation: str, response: httpx.Response) -> int:
        """How many records the vendor says it stored (created or changed) with ``response``,
        the answer to a case of ``operation``: what the run leaves in a shared sandbox, where
        nothing deletes them. 0 when it says none, or says nothing it can read."""
        return 0


def answer_json(response: httpx.Response) -> Any:
    """The answer's body as JSON, ``None`` when it is not (or nests deeper than the parser
    goes: a body of thousands of ``[`` is a ``RecursionError``)."""
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def _flags(options: tuple[str, ...], value: str = "") -> str:
    """The harness options of these credentials (``--public-key …``)."""
    return " ".join(f"--{name.replace('_', '-')}{value}" for name in options)


def _origin(target: Target) -> str:
    """Where the kit serving ``target`` answers its admin API: the base URL less the vendor."""
    return target.base_url.rsplit("/", 1)[0]


def count(items: Any, stored: Callable[[Any], bool] = lambda item: True) -> int:
    """How many of ``items`` (a list, or anything else: none) are ``stored``."""
    return sum(1 for item in items if stored(item)) if isinstance(items, list) else 0


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
