"""QuoParts plug-in: username/password, a token in the query, the errorCode oracle."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from schemathesis import Case, CheckFunction, GenerationMode
from schemathesis.core.parameters import ParameterLocation

from fuzz.choices import Choices
from fuzz.credentials import other_secret
from fuzz.dispatch import RealRequest
from fuzz.plugins import PluginError, VendorPlugin, answer_json, broke, count
from fuzz.plugins.quoparts.checks import quoparts_error_codes
from fuzz.quoting import refusal

if TYPE_CHECKING:
    from fuzz.target import Target

ENDPOINT = "/ws_quoparts.php"
DRY_RUN_TOKEN = "$QUOPARTS_TOKEN"


class Plugin(VendorPlugin):
    vendor: ClassVar[str] = "quoparts"
    credential_options: ClassVar[tuple[str, ...]] = ("username", "password")
    checks: ClassVar[tuple[CheckFunction, ...]] = (quoparts_error_codes,)
    machine: ClassVar[str | None] = "fuzz.plugins.quoparts.machine:QuoPartsMachine"

    def __init__(self, credentials: dict[str, str]) -> None:
        super().__init__(credentials)
        self.tokens: list[str] = []

    @classmethod
    def demo(cls) -> Plugin:
        return cls({"username": "demo", "password": "demo"})

    def authenticate(self, target: Target) -> None:
        request = RealRequest(
            "GET",
            target.base_url + ENDPOINT,
            [("login", ""), *self.credentials.items()],
        )
        response = target.send(request)
        if response is None:
            self.tokens.append(DRY_RUN_TOKEN)
            return
        if not self.note_login(answer_json(response)):
            raise PluginError(refusal("quoparts login failed", response, target.blot))

    def setup_requests(self) -> int:
        return 1  # the login

    def note_login(self, answer: Any) -> bool:
        """Keep the token of a successful login as the one to use; whether there was one."""
        try:
            token = answer["data"][0]["TOKEN"]
        except (KeyError, IndexError, TypeError):
            return False
        if not isinstance(token, str):
            return False
        self.tokens.append(token)
        return True

    def kept(self, operation: str, response: httpx.Response) -> int:
        """importCli: each customer row answered ``"0"`` (created, or updated when re-imported);
        importPvt: the quote of an answer ``"0"``."""
        body = answer_json(response)
        if operation == "login" or not isinstance(body, dict) or body.get("errorCode") != "0":
            return 0
        if operation == "importPvt":
            return 1
        return count(
            body.get("data"), lambda row: isinstance(row, dict) and row.get("errorCode") == "0"
        )

    def prepare(self, case: Case, draw: Callable[[Any], Any]) -> None:
        """Positive cases get the live token. A login gets the real credentials a third of the
        time, the real username with a wrong password (the refusal its oracle knows) another
        third, and keeps the generated ones otherwise. A negative case whose query was broken
        keeps its generated query."""
        negative = case.meta is not None and case.meta.generation.mode == GenerationMode.NEGATIVE
        if negative and broke(case, ParameterLocation.QUERY):
            return
        if "token" in case.query or case.method == "POST":
            if self.tokens:
                case.query["token"] = self.tokens[-1]
            return
        choice = Choices(draw, case).one_of(("own", "wrong password", "generated"))
        if choice == "own":
            case.query.update(self.credentials)
        elif choice == "wrong password":
            wrong = other_secret(draw, self.credentials["password"])
            case.query.update(username=self.credentials["username"], password=wrong)
