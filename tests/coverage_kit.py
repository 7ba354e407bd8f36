"""What the per-vendor coverage tests share: a tester acting in one scope, and the two checks.

Each vendor's ``test_coverage.py`` maps every behaviour of its catalogue to a *scenario*: a
function that provokes that situation through HTTP as a connector would, with the accounts of
the scope it is given. The checks here run each scenario twice on a fresh in-process app, once
with the global demo accounts and once in a session, and require ``GET /__admin/coverage`` of
that scope to report the behaviour met; and they require the scenarios to cover the catalogue
exactly, so a new catalogue entry without a scenario fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from mockservers import create_app
from mockservers.core.vendor import Vendor
from mockservers.testing import IN_PROCESS_URL as URL
from mockservers.testing import AdminScope, Session, SyncASGITransport

DEMO: dict[str, dict[str, Any]] = {
    "quoparts": {"username": "demo", "password": "demo"},
    "xtra": {
        "public_key": "demo-public",
        "secret_key": "demo-secret",
        "username": "demo",
        "password": "demo",
        "irid": 1,
    },
    "keepit": {"username": "demo", "password": "demo", "company_id": "1", "site_id": "1"},
    "tsdigital": {"tenant": "demo"},
}
"""The global demo accounts, in the shape of a session's credentials."""


class GlobalScope(AdminScope):
    """The admin calls of the global scope over an in-process client."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def _admin_client(self) -> httpx.Client:
        return self.http


@dataclass
class Tester:
    __test__ = False  # not a pytest test class

    """A connector's test in one scope: its HTTP client, its admin calls, its accounts."""

    http: httpx.Client
    scope: AdminScope
    credentials: dict[str, dict[str, Any]]

    def creds(self, vendor: str) -> dict[str, Any]:
        return self.credentials[vendor]


Scenario = Callable[[Tester], Any]


def met_count(scope: AdminScope, vendor: str, behaviour: str) -> int:
    rows = scope.coverage(vendor)[vendor]
    return next(row["met"] for row in rows if row["behaviour"] == behaviour)


def check_scenario(
    vendor: str,
    behaviour: str,
    scenario: Scenario,
    *,
    config: dict[str, Any] | None = None,
    names_session: bool = True,
) -> None:
    """Run ``scenario`` with the global demo accounts, then in a session: each scope's coverage
    reports the behaviour met, and the session's run counts in the session only.

    ``names_session=False``: the situation is a call whose credentials name no session (no
    token, an unknown token), which belongs to the global scope by design; then the session's
    run must count globally and not in the session.
    """
    app = create_app(config)
    with httpx.Client(transport=SyncASGITransport(app), base_url=URL) as http:
        everywhere = GlobalScope(http)
        scenario(Tester(http, everywhere, DEMO))
        before = met_count(everywhere, vendor, behaviour)
        assert before >= 1, f"{behaviour} not met globally"
        with Session.open(http, base_url=URL) as session:
            assert met_count(session, vendor, behaviour) == 0
            scenario(Tester(http, session, session.credentials))
            in_session = met_count(session, vendor, behaviour)
            after = met_count(everywhere, vendor, behaviour)
            if names_session:
                assert in_session >= 1, f"{behaviour} not met in a session"
                # The whole kit's read adds the session's count to the global one.
                assert after == before + in_session
            else:
                assert in_session == 0, f"{behaviour} counted in a session it cannot name"
                assert after > before, f"{behaviour} not met globally from the session's run"
            catalogued = {b.id for b in app.state.vendors[vendor].behaviours}
            for entry in everywhere.requests(vendor=vendor):
                assert set(entry["behaviours"]) <= catalogued, entry["behaviours"]


def check_catalogue(vendor: type[Vendor], scenarios: dict[str, Scenario]) -> None:
    """Every catalogued behaviour has a scenario, and every scenario a catalogued behaviour;
    ids are unique, dotted under the vendor's name, and each has a description."""
    ids = [b.id for b in vendor.behaviours]
    assert len(ids) == len(set(ids)), "behaviour ids repeat"
    assert all(i.startswith(f"{vendor.name}.") for i in ids)
    assert all(b.description.strip() for b in vendor.behaviours)
    assert sorted(scenarios) == sorted(ids), (
        f"without a scenario: {sorted(set(ids) - set(scenarios))}; "
        f"not catalogued: {sorted(set(scenarios) - set(ids))}"
    )
