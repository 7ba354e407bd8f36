"""The dashboard's layout and how it is reached, in headless Chromium: a phone's width without
scrolling sideways, an open entry in sight beside (or below) a list that keeps its columns, the
tab pattern from the keyboard, and what is chosen shown by more than a colour.

The same set-up as ``test_dashboard.py``: one browser and one server for the module, a fresh
browser context per test, no sleeping (``expect`` waits for what the page shows).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from mockservers.testing import MockServer
from tests.browser import MISSING, chromium, chromium_path

pytest.importorskip("playwright.sync_api", reason="the dev extra installs playwright")
if chromium_path() is None:
    pytest.skip(MISSING, allow_module_level=True)

from playwright.sync_api import Browser, Locator, Page, expect

from tests.dashboard import (
    PHONE,
    POLL_MS,
    WIDE,
    Dashboard,
    call_each_vendor,
    qp_login_answer,
    watch,
)

TABLET = {"width": 800, "height": 600}
SELECTED, CURRENT = "aria-selected", "aria-current"
NARROW_DESKTOP = {"width": 1024, "height": 768}
LONG_LIST = 32  # calls: the list is taller than a phone's or a tablet's screen

# What a person who cannot tell the colours apart still sees of an element and its cells: the
# glyphs put before or after them, weights, underlines, border widths.
_SHAPE = """(node) => {
  const shape = ["content", "font-weight", "font-style", "text-decoration-line",
    "border-top-width", "border-right-width", "border-bottom-width", "border-left-width"];
  const look = (element) => [null, "::before", "::after"]
    .map((pseudo) => getComputedStyle(element, pseudo))
    .map((style) => shape.map((name) => style.getPropertyValue(name)).join(" "))
    .join(" | ");
  return [node, ...node.children].map(look).join(" || ");
}"""

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
def ui(browser: Browser, kit: MockServer) -> Iterator[Dashboard]:
    """The dashboard of that kit, on a wide screen."""
    yield from watch(browser, kit)


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
    qp_login_answer(http, password="Wr0ng-pw")
    kit.fault(vendor="keepit", kind="latency", latency_ms=10, times=5)
    return session


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["phone", "tablet"])
def test_a_narrow_screen_never_scrolls_the_page_sideways(
    browser: Browser, kit: MockServer, http: httpx.Client, viewport: dict[str, int]
) -> None:
    """Below about 960 px the page scrolled sideways."""
    busy_kit(http, kit)
    for ui in watch(browser, kit, viewport):
        ui.open()
        expect(ui.rows()).to_have_count(6)
        assert sideways(ui.page) == 0
        ui.rows().last.click()
        expect(ui.page.locator("#entry-answer")).to_contain_text('"errorCode": "0"')
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


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["phone", "tablet"])
def test_on_a_narrow_screen_an_opened_entry_comes_into_view_and_stays_while_calls_arrive(
    browser: Browser, kit: MockServer, http: httpx.Client, viewport: dict[str, int]
) -> None:
    """Below the list, the entry opened out of sight; brought into view, it left it again
    within a second: the poll's next round redrew the list and focused the clicked row again,
    which scrolled the page back up to it (and so at every new call)."""
    busy_kit(http, kit)
    for _ in range(LONG_LIST - 6):
        qp_login_answer(http)
    for ui in watch(browser, kit, viewport):
        ui.hold_time()
        clock = ui.page.clock
        ui.open()
        clock.run_for(1)  # the first round
        expect(ui.rows()).to_have_count(LONG_LIST)  # taller than the screen
        ui.rows().first.click()  # the newest, at the top: the entry opens below the list
        heading = ui.page.locator("#entry h2")
        expect(ui.page.locator("#entry-answer")).to_contain_text('"errorCode": "0"')
        expect(heading).to_be_in_viewport()
        expect(ui.rows().first).to_be_focused()

        ui.rows().first.evaluate("row => row.classList.add('drawn-before')")
        clock.run_for(POLL_MS)  # a round: it redraws the list, the open entry's row marked
        expect(ui.page.locator("#entries tbody tr.drawn-before")).to_have_count(0)
        expect(heading).to_be_in_viewport()
        qp_login_answer(http)
        clock.run_for(POLL_MS)
        expect(ui.rows()).to_have_count(LONG_LIST + 1)
        expect(heading).to_be_in_viewport()
        expect(ui.rows().nth(1)).to_be_focused()  # the keyboard's place is kept all the same


def test_on_a_narrow_screen_an_open_entry_stays_put_while_calls_arrive_above_it(
    browser: Browser, kit: MockServer, http: httpx.Client
) -> None:
    """Below a short list, the open entry moved down by every new row: a round that brought a
    dozen calls pushed it out of sight."""
    for _ in range(2):
        qp_login_answer(http)
    for ui in watch(browser, kit, PHONE):
        ui.hold_time()
        clock = ui.page.clock
        ui.open()
        clock.run_for(1)
        expect(ui.rows()).to_have_count(2)
        ui.rows().first.click()
        heading = ui.page.locator("#entry h2")
        expect(ui.page.locator("#entry-answer")).to_contain_text('"errorCode": "0"')
        expect(heading).to_be_in_viewport()
        top = heading.evaluate("(node) => node.getBoundingClientRect().top")
        for _ in range(12):
            qp_login_answer(http)
        clock.run_for(POLL_MS)
        expect(ui.rows()).to_have_count(14)
        moved = heading.evaluate("(node) => node.getBoundingClientRect().top") - top
        assert abs(moved) < 1, moved  # a fraction of a pixel, as the page scrolls whole ones
        expect(heading).to_be_in_viewport()


# A box scrolled to its right end, and marked: a redraw replaces it with one unmarked.
_SCROLL_TO_THE_END = """(box) => {
  box.scrollLeft = box.scrollWidth;
  box.classList.add("drawn-before");
  return box.scrollLeft;
}"""


def test_a_table_read_sideways_keeps_its_place_and_the_focus_when_its_panel_changes(
    browser: Browser, kit: MockServer, http: httpx.Client
) -> None:
    """Any change redrew the whole Coverage or State panel: the table a keyboard user was
    reading sideways lost the focus, to the page's body, and went back to its start."""
    for ui in watch(browser, kit, PHONE):
        ui.open()
        for panel, name, change in [
            ("coverage", "QuoParts situations", lambda: qp_login_answer(http, password="Wr0ng-pw")),
            ("state", "identities of tenant demo", lambda: call_each_vendor(http)),
        ]:
            ui.tab(panel)
            box = ui.page.get_by_role("region", name=name)
            expect(box).to_be_visible()
            box.focus()
            left = box.evaluate(_SCROLL_TO_THE_END)
            assert left > 0, name  # wider than a phone
            change()
            expect(ui.page.locator(".drawn-before")).to_have_count(0)  # redrawn
            expect(box).to_be_focused()
            assert box.evaluate("(box) => box.scrollLeft") == left, name


def test_only_the_status_line_and_the_token_prompt_are_live_regions(ui: Dashboard) -> None:
    """The Controls panel's clock was an <output>, a live region: rewritten at every poll, a
    screen reader read it out every second."""
    ui.open("controls")
    expect(ui.page.locator("#clock-now")).not_to_be_empty()
    live = "output, [aria-live], [role=status], [role=alert], [role=log], [role=timer]"
    assert ui.page.eval_on_selector_all(live, "(nodes) => nodes.map((node) => node.id)") == [
        "token-prompt",
        "message",
    ]


def test_the_sessions_table_names_each_session_it_acts_on_and_a_drop_takes_two_clicks(
    ui: Dashboard,
) -> None:
    """A screen reader heard "Use", "Drop" and "show" on every row, with no session named, under
    a column with no name; and one click dropped a session with everything it held."""
    kept, dropped = ui.server.session(name="ci-job-7"), ui.server.session(name="ci-job-8")
    ui.open("controls")
    page = ui.page
    expect(page.locator("#sessions tbody tr")).to_have_count(2)
    for heading in page.locator("#sessions thead th").all():
        expect(heading).to_have_accessible_name(re.compile(r"\S"))
    for session in (kept, dropped):
        named = f"session {session.session_id} ({session.info()['name']})"
        row = page.locator(f'#sessions tr[data-id="{session.session_id}"]')
        expect(row.get_by_role("button", name=f"Use {named}", exact=True)).to_be_visible()
        expect(row.get_by_role("button", name=f"Drop {named}", exact=True)).to_be_visible()
        expect(row.locator("summary")).to_have_accessible_name(f"show credentials of {named}")

    drop = page.locator(f'#sessions tr[data-id="{dropped.session_id}"] button', has_text="Drop")
    drop.click()
    expect(drop).to_have_text("Click again to drop")
    expect(drop).to_have_accessible_name(re.compile("^Click again to drop session"))
    page.click("#reset")  # another button armed: this one is not
    expect(drop).to_have_text("Drop")
    assert len(ui.server.admin("GET", "/sessions")) == 2
    drop.click()
    drop.click()
    expect(page.locator("#sessions tbody tr")).to_have_count(1)
    assert [s["id"] for s in ui.server.admin("GET", "/sessions")] == [kept.session_id]
    expect(page.locator("#reset")).to_have_text("Reset")


def test_the_keyboard_keeps_its_place_after_use_drop_and_an_entry_s_close_button(
    ui: Dashboard, http: httpx.Client
) -> None:
    """After Use and after Drop the focus fell to the page's body (the sessions' table redrawn,
    the button gone with its row), and so it did after the open entry's close button: a keyboard
    user started again from the top of the page."""
    for n in range(3):
        ui.server.session(name=f"s{n}")
    ui.open("controls")
    page = ui.page
    rows = page.locator("#sessions tbody tr")
    expect(rows).to_have_count(3)
    ids = [row.get_attribute("data-id") for row in rows.all()]

    def button(what: str, session: str | None) -> Locator:
        return page.locator(f'#sessions tr[data-id="{session}"] button', has_text=what)

    use = button("Use", ids[1])
    use.focus()
    use.evaluate("(button) => button.classList.add('drawn-before')")
    page.keyboard.press("Enter")
    expect(page.locator("#scope")).to_have_value(ids[1] or "")
    expect(page.locator(".drawn-before")).to_have_count(0)  # the table redrawn
    expect(use).to_be_focused()

    for dropped, then in [(ids[1], ids[2]), (ids[2], ids[0])]:  # the next row, or the one before
        button("Drop", dropped).focus()
        page.keyboard.press("Enter")
        expect(button("Click again", dropped)).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator(f'#sessions tr[data-id="{dropped}"]')).to_have_count(0)
        expect(button("Drop", then)).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # the last one: the table is left
    expect(rows).to_have_count(0)
    expect(page.get_by_role("region", name="Sessions")).to_be_focused()

    ui.tab("journal")
    qp_login_answer(http)
    expect(ui.rows()).to_have_count(1)
    ui.rows().first.focus()
    page.keyboard.press("Enter")
    close = page.locator("#entry").get_by_role("button", name="Close")
    expect(close).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#entry")).to_be_hidden()
    expect(ui.rows().first).to_be_focused()


def keyboard_stops(page: Page, panel: str) -> Iterator[Locator]:
    """The keyboard's stops in ``panel``, Tab after Tab from its tab, each while it has the
    focus."""
    page.locator(f"#tab-{panel}").focus()
    for _ in range(100):
        page.keyboard.press("Tab")
        inside = "(id) => Boolean(document.activeElement.closest(`#panel-${id}`))"
        if not page.evaluate(inside, panel):
            return
        yield page.locator("*:focus")
    raise AssertionError(f"Tab never left the {panel} panel")


def test_on_a_phone_every_keyboard_stop_has_a_name(
    browser: Browser, kit: MockServer, http: httpx.Client
) -> None:
    """A table wider than the screen scrolls in its own box, which the browser makes a
    keyboard stop when nothing in it takes the focus: Tab stopped, unnamed, on the faults,
    each collection of the state and each vendor's coverage."""
    busy_kit(http, kit)
    named = re.compile(r"\S")
    for ui in watch(browser, kit, PHONE):
        ui.open()
        for panel, filled, region in [
            ("journal", "#entries tbody tr", None),  # its rows take the focus, not its box
            ("state", "#state-tables .tenant", "identities of tenant demo"),
            ("controls", "#sessions tbody tr", "Faults"),
            ("coverage", "#coverage-tables .vendor", "QuoParts situations"),
        ]:
            ui.tab(panel)
            expect(ui.page.locator(filled).first).to_be_visible()
            for box in ui.page.locator(f"#panel-{panel} .scroll").all():
                expect(box).to_have_role("region")
                expect(box).to_have_accessible_name(named)
            regions = []
            for stop in keyboard_stops(ui.page, panel):
                expect(stop).to_have_accessible_name(named)
                if stop.evaluate("node => node.matches('.scroll')"):
                    regions.append(stop.get_attribute("aria-label"))
            if region:
                assert region in regions, (panel, regions)


@pytest.mark.parametrize("viewport", [WIDE, NARROW_DESKTOP, PHONE], ids=["wide", "1024", "phone"])
def test_an_open_entry_leaves_every_column_of_the_list_in_sight(
    browser: Browser, kit: MockServer, http: httpx.Client, viewport: dict[str, int]
) -> None:
    """With an entry open the list lost columns: the call hidden, and status, codes and the
    rest pushed out of its box beside a wide entry. On a phone the call's status
    was out of sight, to the right of a wide call column."""
    busy_kit(http, kit)
    for ui in watch(browser, kit, viewport):
        ui.open()
        expect(ui.rows()).to_have_count(6)
        box = ui.page.locator(".journal-split > .scroll")
        closed = box.evaluate(_COLUMNS_IN_SIGHT)
        assert {"time", "vendor", "operation", "status"} <= set(closed)
        ui.row("login", "101").click()
        expect(ui.page.locator("#entry-answer")).to_contain_text('"errorCode": "101"')
        assert box.evaluate(_COLUMNS_IN_SIGHT) == closed


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["wide", "phone"])
def test_a_long_request_line_wraps_and_the_open_entry_never_scrolls_sideways(
    browser: Browser, kit: MockServer, http: httpx.Client, viewport: dict[str, int]
) -> None:
    """The request line of a call with a query of 3,000 characters never wrapped: the open
    entry scrolled sideways over 22,000 px."""
    target = "/xtra/api/sync/v1/login?filter=" + "f" * 3_000
    http.post(target, content=b"{}")
    for ui in watch(browser, kit, viewport):
        ui.open()
        ui.rows().first.click()
        expect(ui.page.locator("#entry-request code")).to_have_text(f"POST {target}")  # whole
        entry = ui.page.locator("#entry")
        assert entry.evaluate("(box) => box.scrollWidth - box.clientWidth") == 0
        assert sideways(ui.page) == 0


def test_the_tabs_follow_the_tab_pattern_from_the_keyboard(ui: Dashboard) -> None:
    ui.open()
    page = ui.page
    tabs = page.get_by_role("tablist").get_by_role("tab")
    expect(tabs).to_have_count(4)
    for tab in tabs.all():  # each names the panel it shows, which is named by it
        panel = page.locator(f"#{tab.get_attribute('aria-controls')}")
        expect(panel).to_have_attribute("role", "tabpanel")
        expect(panel).to_have_attribute("aria-labelledby", tab.get_attribute("id") or "")

    journal = page.get_by_role("tab", name="Journal")
    expect(journal).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel", name="Journal")).to_be_visible()
    expect(page.get_by_role("tab", name="State")).to_have_attribute("tabindex", "-1")
    journal.focus()
    for key, shown in [("ArrowRight", "State"), ("End", "Coverage"), ("ArrowRight", "Journal")]:
        page.keyboard.press(key)  # the last one round the end
        expect(page.get_by_role("tab", name=shown)).to_be_focused()
        expect(page.get_by_role("tab", name=shown)).to_have_attribute("aria-selected", "true")
        expect(page.get_by_role("tabpanel", name=shown)).to_be_visible()
        expect(page.get_by_role("tabpanel")).to_have_count(1)  # the others hidden
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Home")
    expect(journal).to_be_focused()
    page.keyboard.press("Tab")  # into the panel, not to the next tab
    expect(page.locator("#f-vendor")).to_be_focused()


# Whether the page let the browser have the last key pressed (its default not prevented).
_LEFT_TO_THE_BROWSER = """() => addEventListener("keydown", (event) => {
  window.leftToTheBrowser = !event.defaultPrevented;
})"""


def test_the_tabs_leave_the_browsers_own_keys_alone(ui: Dashboard) -> None:
    """Alt+ArrowLeft, the browser's Back, chose the tab before and went nowhere."""
    ui.open("state")
    page = ui.page
    state = page.get_by_role("tab", name="State")
    expect(state).to_have_attribute(SELECTED, "true")
    page.evaluate(_LEFT_TO_THE_BROWSER)
    state.focus()
    for key in ["Alt+ArrowLeft", "Alt+ArrowRight", "Control+Home", "Meta+End"]:
        page.keyboard.press(key)
        expect(state).to_have_attribute(SELECTED, "true")
        expect(state).to_be_focused()
        assert page.evaluate("window.leftToTheBrowser"), key
    page.keyboard.press("ArrowLeft")  # the tab pattern's own key still is the page's
    expect(page.get_by_role("tab", name="Journal")).to_have_attribute(SELECTED, "true")
    assert not page.evaluate("window.leftToTheBrowser")


def test_the_chosen_tab_the_open_entry_and_the_session_in_use_show_by_more_than_colour(
    kit: MockServer, ui: Dashboard, http: httpx.Client
) -> None:
    """The open entry's row and the session in use differed by their background only."""
    session = busy_kit(http, kit)
    ui.open()
    page = ui.page
    expect(ui.rows()).to_have_count(6)

    def chosen(locator: Locator, choose: Locator, state: str) -> None:
        """Clicking ``choose`` sets ``state`` to "true" on ``locator``, which then looks
        otherwise, colours aside."""
        before = locator.evaluate(_SHAPE)
        expect(locator).not_to_have_attribute(state, "true")
        choose.click()
        expect(locator).to_have_attribute(state, "true")
        assert locator.evaluate(_SHAPE) != before

    chosen(page.get_by_role("tab", name="State"), page.get_by_role("tab", name="State"), SELECTED)
    journal = page.get_by_role("tab", name="Journal")
    chosen(journal, journal, SELECTED)

    row = ui.row("xtra")
    chosen(row, row, CURRENT)
    expect(page.locator("#entries tbody [aria-current]")).to_have_count(1)

    ui.tab("controls")
    in_use = page.locator(f'#sessions tr[data-id="{session["id"]}"]')
    chosen(in_use, in_use.get_by_role("button", name="Use"), CURRENT)


@pytest.mark.parametrize("name", ["journal", "state", "controls"])
def test_the_first_tab_after_opening_reaches_the_session_list_then_the_chosen_tab(
    ui: Dashboard, name: str
) -> None:
    """The panels' ids were the names in the address (ui#journal), which the browser takes for
    where the keyboard starts: the first Tab skipped the Session list and the tabs, and went
    into the panel. Nothing is focused before the first Tab."""
    page = ui.open(name).page
    chosen = page.get_by_role("tab", name=name.capitalize())
    expect(chosen).to_have_attribute("tabindex", "0")  # the page has shown its panel
    expect(page).to_have_url(re.compile(f"#{name}$"))
    page.keyboard.press("Tab")
    expect(page.locator("#scope")).to_be_focused()
    page.keyboard.press("Tab")
    expect(chosen).to_be_focused()
