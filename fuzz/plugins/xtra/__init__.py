"""XTRA/XOX plug-in: a key pair (SyncPublicKey/SyncSecretKey) or a login's AccessToken, and the
per-record ER.* oracle."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
import orjson
from schemathesis import Case, CheckFunction
from schemathesis.core.parameters import ParameterLocation

from contracts import contract
from fuzz.choices import Choices
from fuzz.dispatch import RealRequest
from fuzz.plugins import PluginError, VendorPlugin, answer_json, broke, count
from fuzz.plugins.xtra.checks import xtra_error_codes
from fuzz.quoting import refusal
from fuzz.schema import operation_id
from mockservers.cliargs import FromEnvironment

if TYPE_CHECKING:
    from fuzz.target import Target

LOGIN_PATH = "/api/sync/v1/login"
DRY_RUN_TOKEN = "$XTRA_TOKEN"
AUTH_HEADERS = ("SyncPublicKey", "SyncSecretKey", "AccessToken")
PAIRS = (("public_key", "secret_key"), ("username", "password"))
"""The two ways to authenticate, each a pair of harness options."""
NEEDS = "xtra needs --public-key … --secret-key … or --username … --password … (or both)"
_PLAIN = contract("xtra/updateIdentities.request")
_CONTACT_FORM = contract("xtra/updateIdentities.contactForm.request")
YES_OR_NO = (False, True)
"""The options of a yes-or-no choice."""


@dataclass(frozen=True)
class Session:
    """A login the plug-in obtained: the AccessToken and the identity/user it may update."""

    token: str
    irid: int | None
    user_id: int | None


class Plugin(VendorPlugin):
    vendor: ClassVar[str] = "xtra"
    credential_options: ClassVar[tuple[str, ...]] = (
        "public_key",
        "secret_key",
        "username",
        "password",
    )
    checks: ClassVar[tuple[CheckFunction, ...]] = (xtra_error_codes,)
    machine: ClassVar[str | None] = "fuzz.plugins.xtra.machine:XtraMachine"

    def __init__(self, credentials: dict[str, str]) -> None:
        super().__init__(credentials)
        self.sessions: dict[str, Session] = {}

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Plugin:
        """A key pair, a username/password, or both; each pair complete. What the environment
        alone gives of a pair is left out when the other pair is complete, and a whole pair too
        when the other is given on the command line: one CI environment serves every vendor
        (its ``MOCKSERVERS_FUZZ_USERNAME``/``PASSWORD`` may be KeepIT's)."""
        values = {name: getattr(args, name, None) for name in cls.credential_options}
        complete = [pair for pair in PAIRS if all(values[name] for name in pair)]
        halves = [pair for pair in PAIRS if pair not in complete and any(values[n] for n in pair)]
        if complete:
            halves = [pair for pair in halves if not _from_environment(pair, values)]
            stated = [pair for pair in complete if not _from_environment(pair, values)]
            complete = stated or complete
        if not complete or halves:
            raise PluginError("; ".join([NEEDS, *(_half(pair, values) for pair in halves)]))
        return cls({name: str(values[name]) for pair in complete for name in pair})

    @classmethod
    def demo(cls) -> Plugin:
        return cls(
            {
                "public_key": "demo-public",
                "secret_key": "demo-secret",
                "username": "demo",
                "password": "demo",
            }
        )

    @property
    def key_pair(self) -> dict[str, str] | None:
        if "public_key" not in self.credentials:
            return None
        return {
            "SyncPublicKey": self.credentials["public_key"],
            "SyncSecretKey": self.credentials["secret_key"],
        }

    @property
    def login_body(self) -> dict[str, str] | None:
        if "username" not in self.credentials:
            return None
        return {"Username": self.credentials["username"], "Password": self.credentials["password"]}

    def authenticate(self, target: Target) -> None:
        """With a username/password: log in once (no key pair, as login needs none)."""
        body = self.login_body
        if body is None:
            return
        request = RealRequest(
            "POST",
            target.base_url + LOGIN_PATH,
            [],
            {"Content-Type": "application/json"},
            orjson.dumps(body),
        )
        response = target.send(request)
        if response is None:
            self.sessions[DRY_RUN_TOKEN] = Session(DRY_RUN_TOKEN, None, None)
            return
        body = answer_json(response)
        if not self.note_login(body.get("result") if isinstance(body, dict) else None):
            raise PluginError(refusal("xtra login failed", response, target.blot))

    def setup_requests(self) -> int:
        return 0 if self.login_body is None else 1  # a login, with a username/password

    def note_login(self, result: Any) -> bool:
        """Keep a successful login's session as the one to use (the newest: a vendor may revoke
        older tokens on a new login); whether ``result`` held one."""
        try:
            session = Session(str(result["Token"]), int(result["IRID"]), int(result["UserID"]))
        except (KeyError, TypeError, ValueError, OverflowError):  # OverflowError: an infinite ID
            return False
        self.sessions.pop(session.token, None)
        self.sessions[session.token] = session
        return True

    def kept(self, operation: str, response: httpx.Response) -> int:
        """irs/update: each record answered ``Item3`` true (an identity created or updated,
        with its destinations, contacts and documents; a contact form's CRM activity)."""
        body = answer_json(response)
        if operation != "updateIdentities" or not isinstance(body, dict):
            return 0
        result = body.get("result") if body.get("statusCode") == 200 else None
        records = result.get("records") if isinstance(result, dict) else None
        return count(
            records, lambda record: isinstance(record, dict) and record.get("Item3") is True
        )

    def prepare(self, case: Case, draw: Callable[[Any], Any]) -> None:
        """login: the real credentials half of the time. irs/update: the key pair or the
        AccessToken (then, half of the time, every record aimed at the token's own identity),
        and half of the time ``contactForm`` set to the context the generated body fits."""
        choices = Choices(draw, case)
        body_broken = broke(case, ParameterLocation.BODY)
        if operation_id(case.operation) != "updateIdentities":
            if self.login_body and not body_broken and choices.one_of(YES_OR_NO):
                case.body = dict(self.login_body)
            return
        session = self._credentials(case, choices)
        records = case.body if isinstance(case.body, list) else None
        irid = session.irid if session is not None else None  # None: a dry run's placeholder
        if irid is not None and records and not body_broken and choices.one_of(YES_OR_NO, "aim"):
            case.body = [
                {**record, "ID": irid} if isinstance(record, dict) else record for record in records
            ]
        query_broken = broke(case, ParameterLocation.QUERY)
        if records is not None and not query_broken and choices.one_of(YES_OR_NO, "context"):
            _align_context(case)

    def _credentials(self, case: Case, choices: Choices) -> Session | None:
        """Replace the generated auth headers (unless a negative case broke them)."""
        if broke(case, ParameterLocation.HEADER):
            return None
        headers = case.headers if case.headers is not None else {}
        case.headers = headers
        for name in AUTH_HEADERS:
            headers.pop(name, None)
        ways = [*(["keys"] if self.key_pair else []), *(["token"] if self.sessions else [])]
        if choices.one_of(ways, "credentials") == "keys":
            headers.update(self.key_pair or {})
            return None
        session = next(reversed(self.sessions.values()))
        headers["AccessToken"] = session.token
        return session


def _from_environment(pair: tuple[str, str], values: dict[str, Any]) -> bool:
    """Whether the environment alone gave what ``pair`` has."""
    return all(isinstance(values[name], FromEnvironment) for name in pair if values[name])


def _half(pair: tuple[str, str], values: dict[str, Any]) -> str:
    """What gave half of ``pair``, and which half is missing (``--password from
    MOCKSERVERS_FUZZ_PASSWORD, without --username``)."""
    given, missing = sorted(pair, key=lambda name: not values[name])
    origin = getattr(values[given], "variable", "the command line")
    return f"{_flag(given)} from {origin}, without {_flag(missing)}"


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _align_context(case: Case) -> None:
    """``contactForm=true`` for a body the contact-form context accepts (whether or not the
    plain one does too: both contexts must be reached, whatever the generator's constants),
    no ``contactForm`` for a body only the plain context accepts."""
    query = case.query if case.query is not None else {}
    case.query = query
    plain, contact_form = _PLAIN.is_valid(case.body), _CONTACT_FORM.is_valid(case.body)
    if contact_form:
        query["contactForm"] = "true"
    elif plain:
        query.pop("contactForm", None)
