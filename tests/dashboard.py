"""The dashboard as its browser tests drive it: one page in a fresh browser context, what it
asked of which host, and what went wrong in it (a script error, a console error, a file of the
page that failed to load, an answer of 500 or more).

A refused admin call is the page's business (it shows the refusal in its status line), so the
browser's "Failed to load resource" line about it is not counted; a file of the page that fails
to load, or any unplanned 500, is.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio.to_thread
import httpx
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, Response, expect

from contracts import load_schema
from mockservers.testing import MockServer
from tests.conftest import QP

KEEPIT_HEADERS = {"username": "demo", "password": "demo", "companyId": "1", "siteId": "1"}
KEEPIT_QUERY = {"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"}
XTRA_KEYS = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
WIDE = {"width": 1400, "height": 900}
PHONE = {"width": 360, "height": 640}
_RESOURCE_REFUSED = "Failed to load resource"
POLL_MS = 1000  # ui.js
WAIT_KEY = "mockservers.wait-ms"  # api.js: how long a call waits for the kit
HOUR_MS = 3_600_000
PAGE_TIME = datetime(2030, 1, 1, tzinfo=UTC)
"""Where the page's own clock starts when a test drives it (the kit's clock is another)."""


@dataclass
class Dashboard:
    """The page of one test, what it requested, and the server behind it."""

    page: Page
    server: MockServer
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, tab: str = "journal") -> Dashboard:
        self.page.goto(f"{self.server.url}/__admin/ui#{tab}")
        return self

    def hold_time(self, kit_wait_ms: int | None = HOUR_MS) -> None:
        """The page's time paused (``page.clock``, before the page opens): it moves, and the
        page's poll with it, only when the test moves it. Once the page is open,
        ``clock.run_for(1)`` runs its first round and ``clock.run_for(POLL_MS)`` each next one.

        How long a call of the page waits for the kit counts in that time too: a ``run_for``
        longer than the wait would end calls the kit is still answering. So the page waits
        ``kit_wait_ms`` (its tab's setting, api.js), or its own 5 s with None."""
        if kit_wait_ms is not None:
            self.page.add_init_script(f"sessionStorage.setItem({WAIT_KEY!r}, '{kit_wait_ms}')")
        self.page.clock.install(time=PAGE_TIME)
        self.page.clock.pause_at(PAGE_TIME + timedelta(seconds=1))

    def tab(self, name: str) -> None:
        self.page.click(f"#tabs button[data-tab={name}]")

    def says_no_match(self) -> None:
        """No row shows, and the page says nothing matches: not that there are no calls."""
        expect(self.page.locator("#journal-nomatch")).to_be_visible()
        expect(self.page.locator("#journal-empty")).to_be_hidden()

    def rows(self) -> Locator:
        return self.page.locator("#entries tbody tr")

    def row(self, *cells: str) -> Locator:
        """The rows with a cell of each text, whole: the codes "101" are not in the time
        11:31:01.101, nor "503" in a session's id."""
        rows = self.rows()
        for text in cells:
            whole = re.compile(f"^{re.escape(text)}$")
            rows = rows.filter(has=self.page.locator("td").filter(has_text=whole))
        return rows

    def outside(self) -> list[str]:
        """What the page asked of any other origin (a blob it made itself is its own)."""
        own = (f"{self.server.url}/", f"blob:{self.server.url}/")
        return [url for url in self.requests if not url.startswith(own)]

    def _answered(self, response: Response) -> None:
        page_file = response.url.startswith(f"{self.server.url}/__admin/ui")
        if response.status >= 500 or (page_file and response.status >= 400):
            self.errors.append(f"{response.status} {response.url}")

    def _console(self, message: ConsoleMessage) -> None:
        blocked = "Content Security Policy" in message.text  # the policy had to block something
        if blocked or (message.type == "error" and not message.text.startswith(_RESOURCE_REFUSED)):
            self.errors.append(message.text)


def watch(
    browser: Browser, server: MockServer, viewport: dict[str, int] | None = None
) -> Iterator[Dashboard]:
    """A fresh browser context on ``server``'s dashboard; after the test, no error in the page
    and no request to another host."""
    context = browser.new_context(viewport=viewport or WIDE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    dashboard = Dashboard(page, server)
    page.on("request", lambda request: dashboard.requests.append(request.url))
    page.on("response", dashboard._answered)
    page.on("pageerror", lambda error: dashboard.errors.append(str(error)))
    page.on("console", dashboard._console)
    try:
        yield dashboard
    finally:
        context.close()
    assert not dashboard.errors, dashboard.errors
    assert dashboard.requests and not dashboard.outside(), dashboard.outside()


def qp_login_answer(http: httpx.Client, password: str = "demo") -> httpx.Response:
    """The answer to the demo account's QuoParts login with ``password`` (right or wrong)."""
    return http.get(QP, params={"login": "", "username": "demo", "password": password})


def call_each_vendor(http: httpx.Client) -> None:
    """One call to each fake, as a connector would make them."""
    assert qp_login_answer(http).json()["errorCode"] == "0"
    xtra = [{"EMail": "anna@example.it", "Surname": "Rossi", "Name": "Anna", "WebReasonID": 13}]
    answer = http.post(
        "/xtra/api/sync/v1/irs/update", params={"contactForm": "true"}, headers=XTRA_KEYS, json=xtra
    )
    assert answer.status_code == 200
    keepit = load_schema("keepit/insertClient_v3.request")["examples"][0]
    http.post("/keepit/api", params=KEEPIT_QUERY, headers=KEEPIT_HEADERS, json=keepit)
    token = http.post("/__admin/tsdigital/tokens", json={"kind": "user"}).json()["token"]
    answer = http.post(
        "/tsdigital/api/v3/items",
        headers={"Authorization": f"Bearer {token}", "X-App-Name": "t", "X-App-Version": "1"},
        json={"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}},
    )
    assert answer.status_code == 202


HELD_AT_MOST = 30
"""Seconds a held request waits at most: a test that fails before releasing it leaves no
server thread waiting for ever."""


@dataclass
class Held:
    """The first request ``picks`` chooses (an ASGI scope -> bool), held at the server before
    the kit reads it: a call of the page in flight for as long as the test wants.
    ``arrived`` is set once it is there, ``released`` lets it go on to the kit."""

    picks: Callable[[dict[str, Any]], bool]
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)


class Holding:
    """ASGI middleware (``app.add_middleware(Holding, held=[...])``, before the server starts):
    each :class:`Held` of the list, added to it at any time, holds the first request it picks."""

    def __init__(self, app: Any, held: list[Held]) -> None:
        self.app = app
        self.held = held

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            for hold in list(self.held):
                if not hold.arrived.is_set() and hold.picks(scope):
                    hold.arrived.set()
                    await anyio.to_thread.run_sync(hold.released.wait, HELD_AT_MOST)
                    break
        await self.app(scope, receive, send)


class Restarted:
    """ASGI middleware (``app.add_middleware(Restarted, by=[])``, before the server starts): once
    ``by`` holds an app, every request goes to it instead, as to a kit started again on the same
    port with another configuration (another admin token)."""

    def __init__(self, app: Any, by: list[Any]) -> None:
        self.app = app
        self.by = by

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await (self.by[-1] if self.by else self.app)(scope, receive, send)


def with_token(scope: dict[str, Any]) -> bool:
    """Whether a request carries an ``X-Admin-Token``."""
    return any(name == b"x-admin-token" for name, _ in scope["headers"])
