"""The dashboard's layout, in headless Chromium: a phone's width without scrolling sideways, and
an open entry in sight beside (or below) a list that keeps its columns.

The same set-up as ``test_dashboard.py``: one browser and one server for the module, a fresh
browser context per test, no sleeping (``expect`` waits for what the page shows).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockservers.testing import MockServer
from tests.browser import MISSING, chromium, chromium_path

pytest.importorskip("playwright.sync_api", reason="the dev extra installs playwright")
if chromium_path() is None:
    pytest.skip(MISSING, allow_module_level=True)

from playwright.sync_api import Browser, Page, expect

from tests.dashboard import PHONE, WIDE, call_each_vendor, qp_login, watch

TABLET = {"width": 800, "height": 600}
NARROW_DESKTOP = {"width": 1024, "height": 768}

# The journal's column headings a person sees: displayed, and inside the list's box (a column
# scrolled out of it, sideways, is out of sight).
_COLUMNS_IN_SIGHT = """(box) => {
  const sight = box.getBoundingClientRect();
  return [...box.querySelectorAll("thead th")]
    .filter((th) => th.getClientRects().length)
    .filter((th) => {
      const cell = th.getBoundingClientRect();
      return cell.left >= sight.left - 1 && cell.right <= sight.right + 1;
    })
    .map((th) => th.textContent);
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


@pytest.fixture(scope="module")
def served() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


@pytest.fixture
def kit(served: MockServer) -> Iterator[MockServer]:
    """The kit back at its start (global scope reset, no sessions)."""
    served.reset()
    served.admin("DELETE", "/sessions")
    yield served


@pytest.fixture
def http(served: MockServer) -> Iterator[httpx.Client]:
    """A connector's calls to the fakes."""
    with httpx.Client(base_url=served.url, timeout=10) as client:
        yield client


def sideways(page: Page) -> int:
    """How far the page itself scrolls sideways, in CSS pixels."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def busy_kit(http: httpx.Client, kit: MockServer) -> dict:
    """Calls to every fake, some in a session (the session column filled), a fault and a
    session listed: every table of the page has rows. Answers the session."""
    session = kit.admin("POST", "/sessions", json={"name": "ci-job-with-a-long-name-7"})
    call_each_vendor(http)
    credentials = session["credentials"]["quoparts"]
    http.get("/quoparts/ws_quoparts.php", params={"login": "", **credentials})
    qp_login(http, password="Wr0ng-pw")
    kit.fault(vendor="keepit", kind="latency", latency_ms=10, times=5)
    return session


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["phone", "tablet"])
def test_a_narrow_screen_never_scrolls_the_page_sideways_and_an_opened_entry_comes_into_view(
    browser: Browser, kit: MockServer, http: httpx.Client, viewport: dict[str, int]
) -> None:
    """Below about 960 px the page scrolled sideways, and an opened entry landed below the
    list, out of sight."""
    busy_kit(http, kit)
    for ui in watch(browser, kit, viewport):
        ui.open()
        expect(ui.rows()).to_have_count(6)
        assert sideways(ui.page) == 0
        ui.rows().last.click()  # the oldest: the list's end
        entry = ui.page.locator("#entry")
        expect(entry.locator("#entry-answer")).to_contain_text('"errorCode": "0"')
        expect(entry.locator("h2")).to_be_in_viewport()
        assert sideways(ui.page) == 0

        for tab, filled in [
            ("state", "#state-tables .tenant"),
            ("controls", "#sessions tbody tr"),
            ("coverage", "#coverage-tables .vendor"),
        ]:
            ui.tab(tab)
            expect(ui.page.locator(filled).first).to_be_visible()
            assert sideways(ui.page) == 0, tab
        expect(ui.page.locator("#faults tbody tr")).to_have_count(1)


@pytest.mark.parametrize("viewport", [WIDE, NARROW_DESKTOP, PHONE], ids=["wide", "1024", "phone"])
def test_an_open_entry_leaves_every_column_of_the_list_in_sight(
    browser: Browser, kit: MockServer, http: httpx.Client, viewport: dict[str, int]
) -> None:
    """With an entry open the list lost columns: the call hidden, and status, codes and the
    rest pushed out of its box beside a wide entry."""
    busy_kit(http, kit)
    for ui in watch(browser, kit, viewport):
        ui.open()
        expect(ui.rows()).to_have_count(6)
        box = ui.page.locator(".journal-split > .scroll")
        closed = box.evaluate(_COLUMNS_IN_SIGHT)
        assert {"time", "vendor", "operation"} <= set(closed)
        ui.row("login", "101").click()
        expect(ui.page.locator("#entry-answer")).to_contain_text('"errorCode": "101"')
        assert box.evaluate(_COLUMNS_IN_SIGHT) == closed
