"""TS Digital plug-in: a bearer token (``--token``, or minted through the fake's admin API,
:meth:`fuzz.plugins.VendorPlugin.admin`) plus the standard headers on every case, and the
status/subErrors oracle."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from schemathesis import Case, CheckFunction
from schemathesis.core.parameters import ParameterLocation

from contracts import contract
from fuzz.choices import Choices
from fuzz.plugins import ADMIN_TOKEN_ENV, PluginError, VendorPlugin, answer_json, broke
from fuzz.plugins.tsdigital.checks import tsdigital_error_codes
from fuzz.quoting import refusal
from mockservers.cliargs import environ

if TYPE_CHECKING:
    import argparse

    from fuzz.target import Target

DRY_RUN_TOKEN = "$TSDIGITAL_TOKEN"
APP_NAME, APP_VERSION = "mockservers-fuzz", "1.0"
STUDIO = "string"  # the seed's example studioId: Schemathesis draws it from the examples
# Without --token the plug-in mints one token of each shape, so that every rule is exercised:
# an app-key allowed everything but ownerIds, a backoffice, a plain user, a bare app-key.
MINTED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("app-key", ("items:create", "special", f"studio:{STUDIO}")),
    ("backoffice", (f"studio:{STUDIO}",)),
    ("user", ()),
    ("app-key", ()),
)


@dataclass(frozen=True)
class Grants:
    """What a token may do: its kind and grants (known only for tokens the plug-in minted)."""

    kind: str
    grants: frozenset[str]


class Plugin(VendorPlugin):
    vendor: ClassVar[str] = "tsdigital"
    credential_options: ClassVar[tuple[str, ...]] = ("token",)
    checks: ClassVar[tuple[CheckFunction, ...]] = (tsdigital_error_codes,)
    machine: ClassVar[str | None] = "fuzz.plugins.tsdigital.machine:TsDigitalMachine"

    def __init__(self, credentials: dict[str, str]) -> None:
        super().__init__(credentials)
        # token -> its grants; None: a token given with --token (what it may do is unknown)
        self.tokens: dict[str, Grants | None] = {}

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Plugin:
        """``--token`` (a real sandbox); without it, tokens are minted by the fake's admin API."""
        token = getattr(args, "token", None)
        return cls({"token": str(token)} if token else {})

    @classmethod
    def demo(cls) -> Plugin:
        return cls({})

    def authenticate(self, target: Target) -> None:
        if "token" in self.credentials:
            self.tokens[self.credentials["token"]] = None
            return
        for kind, grants in MINTED:
            self._mint(target, kind, grants)

    def setup_requests(self) -> int:
        # the kit's health (does it fake TS Digital?), then a mint for each shape
        return 0 if "token" in self.credentials else 1 + len(MINTED)

    def _mint(self, target: Target, kind: str, grants: tuple[str, ...]) -> None:
        minted = {"kind": kind, "grants": list(grants)}
        response = self.admin(target, "POST", "/__admin/tsdigital/tokens", minted)
        if response is None:  # dry run
            self.tokens[DRY_RUN_TOKEN] = None
            return
        body = answer_json(response)
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str):
            failed = "no --token given and minting one through the admin API failed"
            raise PluginError(refusal(failed, response, target.blot) + _hint(response))
        self.tokens[token] = Grants(kind, frozenset(grants))

    def kept(self, operation: str, response: httpx.Response) -> int:
        """An item taken in charge: each answer 202."""
        return 1 if response.status_code == 202 else 0

    def prepare(self, case: Case, draw: Callable[[Any], Any]) -> None:
        """The standard headers with one of the tokens and a fresh X-Request-ID. A case whose
        headers a negative case broke keeps them, but a well-formed Authorization gets a live
        token (so that the broken header, not an unknown token, decides the answer).

        The X-Request-ID is a version-4 UUID made here, not drawn: Hypothesis draws simple,
        repeated values (a run without ``--seed`` the same ones every time), where the vendor
        asks for a fresh one per call. Each send of a case prepares it anew, so a case
        Hypothesis replays or shrinks gets a fresh one too."""
        token = Choices(draw, case).one_of(list(self.tokens))  # in minting order: each run alike
        headers = case.headers if case.headers is not None else {}
        case.headers = headers
        if broke(case, ParameterLocation.HEADER):
            if "Authorization" in headers and _authorization_ok(headers):
                headers["Authorization"] = f"Bearer {token}"
            return
        headers.update(
            {
                "Authorization": f"Bearer {token}",
                "X-App-Name": APP_NAME,
                "X-App-Version": APP_VERSION,
                "X-Request-ID": str(uuid.uuid4()),
            }
        )


def _hint(response: httpx.Response) -> str:
    """How to get past an admin API refusing the mint (401: a kit started with an admin
    token), said with the refusal; nothing for any other answer."""
    if response.status_code != 401:
        return ""
    if environ(ADMIN_TOKEN_ENV):
        return f" ({ADMIN_TOKEN_ENV} is not this kit's admin token: set its own, or give --token)"
    return f" (set {ADMIN_TOKEN_ENV}, or give --token)"


def _authorization_ok(headers: dict[str, Any]) -> bool:
    """Whether the headers contract finds nothing wrong with Authorization."""
    checked = contract("tsdigital/createItem.headers")
    names = checked.schema["properties"]
    present = {k: v for k, v in headers.items() if k in names}
    return all("Authorization" not in (v.pointer, v.field) for v in checked.check(present))
