"""KeepIT plug-in: four credential headers on every call, the call limit, the code oracle."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from schemathesis import Case, CheckFunction, GenerationMode
from schemathesis.core.parameters import ParameterLocation

from fuzz.choices import Choices
from fuzz.credentials import other_secret
from fuzz.dispatch import RealRequest
from fuzz.plugins import PluginError, VendorPlugin, answer_json, broke, count
from fuzz.plugins.keepit.checks import keepit_outcomes
from fuzz.quoting import refusal

if TYPE_CHECKING:
    from fuzz.target import Target

ENDPOINT = "/api"
QUERY = [("cmd", "insertClient_v3"), ("appId", "KEEPIT"), ("applicationId", "KEEPIT")]
# harness option -> the header it fills
HEADERS = {
    "username": "username",
    "password": "password",
    "company_id": "companyId",
    "site_id": "siteId",
}


class Plugin(VendorPlugin):
    vendor: ClassVar[str] = "keepit"
    credential_options: ClassVar[tuple[str, ...]] = tuple(HEADERS)
    checks: ClassVar[tuple[CheckFunction, ...]] = (keepit_outcomes,)
    machine: ClassVar[str | None] = "fuzz.plugins.keepit.machine:KeepItMachine"
    # The in-process suites send more than 100 calls a minute (Hypothesis replays and shrinks):
    # there the limit is not what is tested (the state machine tests it).
    app_config: ClassVar[dict[str, Any] | None] = {"keepit": {"rate_limit_calls": 1_000_000}}
    # The documented limit, copied here so that the oracle does not take it from the fake it
    # judges: the seed's "There's a limit of 100 calls for this API", read in VENDORS.md as
    # 100 calls per 60 s per credentials (wall time: a real server's).
    call_limit: ClassVar[int] = 100
    window_seconds: ClassVar[float] = 60.0

    def __init__(self, credentials: dict[str, str]) -> None:
        super().__init__(credentials)
        self.calls: deque[float] = deque()  # when each call with these credentials was answered

    @classmethod
    def demo(cls) -> Plugin:
        return cls({"username": "demo", "password": "demo", "company_id": "1", "site_id": "1"})

    @property
    def headers(self) -> dict[str, str]:
        return {header: self.credentials[option] for option, header in HEADERS.items()}

    def authenticate(self, target: Target) -> None:
        """No login: one call with no records (400 ``subjectsRecords non valorizzato``, nothing
        stored) stops the run early when the credentials are refused (401) or the base URL
        serves no insertClient_v3 (404); any other answer is left to the checks."""
        request = RealRequest(
            "POST",
            target.base_url + ENDPOINT,
            list(QUERY),
            {**self.headers, "Content-Type": "application/json"},
            b'{"subjectsRecords": []}',
        )
        response = target.send(request)
        if response is None:
            return
        self.note_call(target.clock())
        if response.status_code in (401, 404):
            raise PluginError(refusal("keepit refused the probe", response, target.blot))

    def setup_requests(self) -> int:
        return 1  # the probe

    def kept(self, operation: str, response: httpx.Response) -> int:
        """The customers inserted or updated, each with its sections: ``insertedObjects`` of an
        answer HTTP 200 (codes 200 and 206)."""
        body = answer_json(response)
        if response.status_code != 200 or not isinstance(body, dict):
            return 0
        return count(body.get("insertedObjects"))

    def prepare(self, case: Case, draw: Callable[[Any], Any]) -> None:
        """The credential headers, unless a negative case broke them. One case in eight keeps
        its generated credentials (perhaps another account's), and one positive case in eight
        names the plug-in's account with a wrong password: the refusal its oracle knows must be a
        401 (a negative case keeps its own fault the one that decides)."""
        if broke(case, ParameterLocation.HEADER):
            return
        choice = Choices(draw, case).one_of(range(8))
        if choice == 0 and case.headers:
            return
        headers = self.headers
        positive = case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE
        if choice == 1 and positive:
            headers["password"] = other_secret(draw, headers["password"])
        case.headers = {**(case.headers or {}), **headers}

    # -- the call limit, as seen from here ------------------------------------------------
    # Times come from the target's clock: the one its pacing and its waits for a 429 use, so
    # that a wait that reopened the server's window also ages the calls here.
    def note_call(self, now: float | None = None) -> None:
        """Count one call these credentials made (each authenticated call counts; a 429 the
        harness waited out and sent again is one call, as the server counts it)."""
        self.calls.append(time.monotonic() if now is None else now)

    def calls_in_window(self, now: float | None = None) -> int:
        moment = time.monotonic() if now is None else now
        while self.calls and self.calls[0] <= moment - self.window_seconds:
            self.calls.popleft()
        return len(self.calls)
