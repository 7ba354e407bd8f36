"""The dashboard in a real browser: headless Chromium driving ``/__admin/ui`` of a running kit.

One browser for the module and one server, reset before each test; a fresh browser context
(fresh sessionStorage) per test. No sleeping: Playwright's ``expect`` waits for what the page
shows, and the page polls the admin API once a second. Every request the page makes is recorded
and must stay on the server's own origin.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from contracts import load_schema
from mockservers import create_app
from mockservers.proxy import create_proxy_app
from mockservers.testing import MockServer
from tests.browser import MISSING, chromium, chromium_path
from tests.conftest import QP

pytest.importorskip("playwright.sync_api", reason="the dev extra installs playwright")
if chromium_path() is None:
    pytest.skip(MISSING, allow_module_level=True)

from playwright.sync_api import Browser, Response, Route, expect

from tests.dashboard import (
    HELD_AT_MOST,
    POLL_MS,
    XTRA_KEYS,
    Dashboard,
    Held,
    Holding,
    Restarted,
    call_each_vendor,
    qp_login_answer,
    watch,
    with_token,
)

TOKEN = "Dash-S3cret-più"  # beyond ASCII: the page sends its UTF-8 bytes, as the kit reads it
XTRA_IDENTITIES = "/xtra/api/sync/v1/irs/update"
CONTACT_FORM = {"contactForm": "true"}
WHOLE_ENTRY_MS = 20_000
"""How long an entry holding a 1.5 M-character body may take to open: masked, judged and sent
whole, then laid out; on a machine busy with other work it took more than Playwright's 5 s."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


@pytest.fixture(scope="module")
def served() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


@pytest.fixture
def ui(browser: Browser, served: MockServer) -> Iterator[Dashboard]:
    """The dashboard of a kit back at its start (global scope reset, no sessions)."""
    served.reset()
    served.admin("DELETE", "/sessions")
    yield from watch(browser, served)


@pytest.fixture
def http(served: MockServer) -> Iterator[httpx.Client]:
    """A connector's calls to the fakes."""
    with httpx.Client(base_url=served.url, timeout=10) as client:
        yield client


def test_calls_appear_live_and_an_entry_opens_to_request_answer_and_verdict(
    ui: Dashboard, http: httpx.Client
) -> None:
    ui.open()
    expect(ui.page.locator("#journal-empty")).to_be_visible()
    call_each_vendor(http)
    assert qp_login_answer(http, password="Wr0ng-pw").json()["errorCode"] == "101"
    # No reload: the poll brings them in, newest first.
    expect(ui.rows()).to_have_count(5)
    for vendor in ("xtra", "tsdigital", "keepit", "quoparts"):
        expect(ui.row(vendor).first).to_be_visible()
    expect(ui.rows().first).to_contain_text("101")

    ui.rows().first.click()
    entry = ui.page.locator("#entry")
    expect(entry.locator("#entry-request")).to_contain_text("username")
    expect(entry.locator("#entry-request")).to_contain_text("***")  # the password, masked
    expect(entry.locator("#entry-answer")).to_contain_text('"errorCode": "101"')
    expect(entry.locator("#entry-answer")).to_contain_text("Utente non Accreditato")
    expect(entry.locator("#entry-detail")).to_contain_text("wrong username or password")
    expect(entry.locator("#entry-verdict")).to_contain_text("meet their contracts")
    expect(entry.locator("#entry-curl")).to_contain_text("curl -sS -X GET")
    assert "Wr0ng-pw" not in entry.inner_text()

    # Filters: through the API (vendor) and in the page (status, error code).
    ui.page.select_option("#f-vendor", "keepit")
    expect(ui.rows()).to_have_count(1)
    ui.page.select_option("#f-vendor", "")
    ui.page.fill("#f-code", "101")
    expect(ui.rows()).to_have_count(1)
    ui.page.fill("#f-code", "")
    ui.page.fill("#f-status", "2xx")
    expect(ui.rows()).to_have_count(4)
    # Nothing matches: the page says so, not that there are no calls.
    ui.page.fill("#f-status", "599")
    expect(ui.rows()).to_have_count(0)
    ui.says_no_match()
    ui.page.fill("#f-status", "")

    # From the keyboard: a row takes the focus and Enter opens it.
    ui.page.locator("#entries tbody tr").last.focus()
    ui.page.keyboard.press("Enter")
    expect(entry.locator("#entry-answer")).to_contain_text('"errorCode": "0"')


def test_the_page_asks_nothing_of_any_other_host(ui: Dashboard, http: httpx.Client) -> None:
    """Every panel shown once, with data in it: every request stays on the server's origin
    (each test's fixture checks that too), and the page says so to the browser (CSP)."""
    call_each_vendor(http)
    with ui.page.expect_response(f"{ui.server.url}/__admin/ui") as document:
        ui.open()
    assert "default-src 'self'" in document.value.headers["content-security-policy"]
    expect(ui.rows()).to_have_count(4)
    for tab, shown in [
        ("state", "#state-tables .tenant"),
        ("controls", "#clock-now"),
        ("coverage", "#coverage-tables .vendor"),
    ]:
        ui.tab(tab)
        expect(ui.page.locator(shown).first).not_to_be_empty()
    assert any(url.endswith("/__admin/ui/ui.css") for url in ui.requests)
    assert not ui.outside(), ui.outside()


def test_a_status_fault_added_with_the_form_fails_the_next_call(
    ui: Dashboard, http: httpx.Client
) -> None:
    ui.open("controls")
    page = ui.page
    page.select_option("#fault-vendor", "quoparts")
    page.select_option("#fault-operation", "login")
    page.select_option("#fault-kind", "status")
    page.fill("#fault-status", "503")
    page.fill("#fault-times", "1")
    page.click("#fault-add")
    fault = page.locator("#faults tbody tr")
    expect(fault).to_have_count(1)
    expect(fault).to_contain_text("status 503")

    assert qp_login_answer(http).status_code == 503
    expect(fault).to_have_count(0)  # used up: times 1
    assert qp_login_answer(http).status_code == 200
    ui.tab("journal")
    expect(ui.row("login", "503")).to_have_count(1)


def test_the_fault_form_offers_only_what_the_admin_api_takes(ui: Dashboard) -> None:
    """It offered XTRA's login for record_error and a status from 200: both refused by the
    admin API (a 400 in the status line), never a fault."""
    ui.open("controls")
    page = ui.page
    operation = page.locator("#fault-operation")
    offered = operation.locator("option")
    page.select_option("#fault-vendor", "xtra")
    page.select_option("#fault-kind", "status")
    status = page.locator("#fault-status")
    expect(status).to_have_attribute("min", "400")
    expect(status).to_have_attribute("max", "599")
    expect(offered).to_have_text(["every operation", "login", "updateIdentities"])
    page.select_option("#fault-operation", "login")
    for kind in ("record_error", "document_error"):
        page.select_option("#fault-kind", kind)
        expect(offered).to_have_text(["every operation", "updateIdentities"])
        expect(operation).to_have_value("")  # login is not theirs: not kept
    page.select_option("#fault-operation", "updateIdentities")
    page.select_option("#fault-kind", "drop")
    expect(offered).to_have_text(["every operation", "login", "updateIdentities"])
    expect(operation).to_have_value("updateIdentities")  # still offered: kept
    page.select_option("#fault-kind", "record_error")
    page.click("#fault-add")
    expect(page.locator("#faults tbody tr")).to_contain_text("record_error")
    assert [(f["operation"], f["kind"]) for f in ui.server.faults()] == [
        ("updateIdentities", "record_error")
    ]


def test_a_message_belongs_to_the_last_action_and_a_notice_goes_after_a_while(
    ui: Dashboard,
) -> None:
    """A message from a minute ago looked current. The page's time is Playwright's clock,
    paused: it moves only when the test moves it (and so does the page's poll)."""
    ui.hold_time()
    clock = ui.page.clock
    ui.open("controls")
    clock.run_for(1)  # the page's first round
    expect(ui.page.locator("#clock-now")).not_to_be_empty()
    message = ui.page.locator("#message")

    ui.page.click('[data-advance="60"]')
    expect(message).to_contain_text("moved 60 s forward")
    clock.run_for(7_999)
    expect(message).to_be_visible()
    clock.run_for(1)  # 8 s after it was said
    expect(message).to_be_hidden()

    ui.page.fill("#clock-seconds", "")
    ui.page.click("#clock-advance")
    expect(message).to_contain_text("a number above 0")
    clock.run_for(8_000)  # an error stays, marked as earlier
    expect(message).to_have_text("Earlier: Give the seconds to advance by: a number above 0.")

    ui.page.click("#reset")  # the next action, which says nothing itself
    expect(ui.page.locator("#reset")).to_have_text("Click again to reset")
    expect(message).to_be_hidden()


def test_advancing_the_clock_gets_a_quoparts_token_refused(
    ui: Dashboard, http: httpx.Client
) -> None:
    token = qp_login_answer(http).json()["data"][0]["TOKEN"]
    ui.open("controls")
    before = ui.page.locator("#clock-now").inner_text()
    ui.page.fill("#clock-seconds", "")  # an empty field is refused, not a move of 0 s
    ui.page.click("#clock-advance")
    expect(ui.page.locator("#message")).to_contain_text("a number above 0")
    ui.page.fill("#clock-seconds", "7200")  # QuoParts tokens live 3600 s
    ui.page.press("#clock-seconds", "Enter")  # as its button
    expect(ui.page.locator("#message")).to_contain_text("moved 7200 s forward")
    expect(ui.page.locator("#clock-now")).not_to_have_text(before)

    refused = http.post(QP, params={"importCli": "", "token": token}, json={"data": []})
    assert refused.json()["errorCode"] == "101"
    ui.tab("journal")
    expect(ui.row("importCli").locator("td.codes")).to_have_text("101")


def test_tokens_expire_and_mint_and_a_reset_takes_two_clicks(
    ui: Dashboard, http: httpx.Client
) -> None:
    token = qp_login_answer(http).json()["data"][0]["TOKEN"]
    ui.open("controls")
    ui.page.click('#expire-buttons button[data-vendor="quoparts"]')
    expect(ui.page.locator("#message")).to_contain_text("Expired 1 quoparts token")
    refused = http.post(QP, params={"importCli": "", "token": token}, json={"data": []})
    assert refused.json()["errorCode"] == "101"

    ui.page.select_option("#mint-kind", "app-key")
    ui.page.fill("#mint-grants", "items:create")
    ui.page.click("#mint")
    minted = ui.page.locator("#minted")
    expect(minted).to_contain_text('"kind": "app-key"')
    expect(minted).to_contain_text('"items:create"')
    expect(ui.page.locator("#message")).to_contain_text("Minted an app-key token for tenant demo")

    reset_note = ui.page.locator("p.quiet", has_text="back to start")
    expect(reset_note).to_contain_text("faults and coverage back to start")  # one vendor's too
    ui.page.click("#reset")
    expect(ui.page.locator("#reset")).to_have_text("Click again to reset")
    ui.page.select_option("#reset-vendor", "quoparts")  # another reset: to confirm again
    expect(ui.page.locator("#reset")).to_have_text("Reset")
    ui.page.select_option("#reset-vendor", "")
    ui.page.click("#reset")
    expect(ui.page.locator("#reset")).to_have_text("Click again to reset")
    assert ui.server.requests()  # the first click reset nothing
    ui.page.click("#reset")
    expect(ui.page.locator("#message")).to_contain_text("Reset keepit, quoparts, tsdigital, xtra")
    assert ui.server.requests() == []


def test_only_a_vendor_that_issues_tokens_is_offered_to_expire_them(ui: Dashboard) -> None:
    """KeepIT takes its credentials in every call's headers: its "Expire 4WS.KeepIT tokens"
    could only ever say "Expired 0"."""
    ui.open("controls")
    buttons = ui.page.locator("#expire-buttons button")
    expect(buttons).to_have_text(
        ["Expire XTRA/XOX tokens", "Expire TS Digital tokens", "Expire QuoParts tokens"]
    )
    assert ui.server.admin("POST", "/keepit/tokens/expire") == {"expired": 0}


def test_a_minted_token_goes_once_the_page_leaves_its_scope(ui: Dashboard) -> None:
    """A token minted in a session stayed on show once the session had ended, or another scope
    was chosen: a token of a scope the page no longer works in, which may no longer work."""
    first = ui.server.session(name="first")
    second = ui.server.session(name="second")
    ui.open("controls")
    page = ui.page
    minted = page.locator("#minted")

    def mint(tenant: str) -> None:
        page.click("#mint")
        expect(minted).to_be_visible()
        expect(minted).to_contain_text(f'"tenant": "{tenant}"')

    def gone() -> None:
        expect(minted).to_be_hidden()
        expect(minted).to_be_empty()

    mint("demo")
    page.select_option("#scope", first.session_id)
    gone()
    mint(f"ms-{first.session_id}")
    page.select_option("#scope", "")
    gone()

    # Ended while the page works in it: the page goes back to the whole kit, and the token goes.
    page.select_option("#scope", second.session_id)
    mint(f"ms-{second.session_id}")
    second.close()  # as if it had expired
    expect(page.locator("#message")).to_contain_text("has expired or was dropped")
    expect(page.locator("#scope")).to_have_value("")
    gone()


def test_the_mint_form_s_tenant_is_the_chosen_scope_s_and_a_session_s_is_read_only(
    browser: Browser,
) -> None:
    """The field showed "demo" whatever the scope: the global one is the config's
    ``default_tenant``. In a session the field stayed editable, though a tenant typed there is
    the kit's 400 (a session's tokens are for its own tenant): it shows that one, read-only."""
    with MockServer({"tsdigital": {"default_tenant": "acme"}}) as kit:
        session = kit.session(name="ci")
        own = f"ms-{session.session_id}"
        for ui in watch(browser, kit):
            page = ui.open("controls").page
            tenant = page.locator("#mint-tenant")
            minted = page.locator("#minted")
            expect(tenant).to_have_attribute("placeholder", "acme")
            page.click("#mint")
            expect(minted).to_contain_text('"tenant": "acme"')
            tenant.fill("beta")  # typed for the global scope, then a session chosen
            page.select_option("#scope", session.session_id)
            expect(tenant).to_have_value(own)
            expect(tenant).not_to_be_editable()
            page.click("#mint")
            expect(minted).to_contain_text(f'"tenant": "{own}"')
            expect(page.locator("#message")).to_contain_text(f"for tenant {own}")
            page.select_option("#scope", "")
            expect(tenant).to_be_editable()
            expect(tenant).to_have_value("")
            expect(tenant).to_have_attribute("placeholder", "acme")


def test_state_tables_show_the_vendor_fields_and_a_document_goes_out_and_back_in(
    ui: Dashboard, http: httpx.Client
) -> None:
    token = qp_login_answer(http).json()["data"][0]["TOKEN"]
    row = {"DES_NOM": "Rossi S.r.l.", "COD_PTA_IVA": "01234567890", "COD_CLI_ERP": "CLI001"}
    imported = http.post(QP, params={"importCli": "", "token": token}, json={"data": [row]})
    password = imported.json()["data"][0]["COD_PWD"]
    ui.open("state")
    ui.page.select_option("#state-vendor", "quoparts")
    customers = ui.page.locator('[data-tenant="demo"] [data-collection="customers"] table')
    expect(customers.locator("thead")).to_contain_text("DES_NOM")
    expect(customers.locator("thead")).to_contain_text("COD_CLI")
    expect(customers.locator("tbody tr")).to_have_count(1)
    expect(customers.locator("tbody tr")).to_contain_text("Rossi S.r.l.")
    # the generated password is masked, as in the journal; the download keeps it
    expect(customers.locator("tbody tr")).to_contain_text("***")
    expect(customers.locator("tbody tr")).not_to_contain_text(password)

    with ui.page.expect_download() as download:
        ui.page.click("#state-download")
    document = json.loads(download.value.path().read_text("utf-8"))
    assert document == ui.server.state("quoparts")

    customers_doc = document["tenants"]["demo"]["customers"]
    customers_doc["CLI002"] = {**customers_doc["CLI001"], "COD_CLI_ERP": "CLI002"}
    customers_doc["CLI002"]["DES_NOM"] = "Bianchi S.p.A."
    content = json.dumps(document).encode()
    upload = {"name": "qp.json", "mimeType": "application/json", "buffer": content}
    ui.page.locator("#state-download").focus()
    ui.page.keyboard.press("Tab")  # the upload is reached from the keyboard too
    expect(ui.page.locator("#state-upload")).to_be_focused()
    ui.page.set_input_files("#state-upload", files=[upload])
    expect(customers.locator("tbody tr")).to_have_count(2)
    expect(customers.locator("tbody")).to_contain_text("Bianchi S.p.A.")
    assert "CLI002" in ui.server.state("quoparts")["tenants"]["demo"]["customers"]


def customers_file(*keys: str, **fields: object) -> dict[str, object]:
    """A QuoParts state document of the demo tenant's customers (each with ``fields`` too), as
    a file to upload."""
    codes = {"COD_CLI": "000001", "COD_USR": "M00001", "COD_PWD": "ABC123"}
    records = {key: {"COD_CLI_ERP": key, **codes, **fields} for key in keys}
    document = {"tenants": {"demo": {"customers": records}}}
    return {
        "name": "qp.json",
        "mimeType": "application/json",
        "buffer": json.dumps(document).encode(),
    }


# Every message the status line shows, in order, in window.said: one said and replaced at once
# is seen too.
_RECORD_MESSAGES = """() => {
  const box = document.querySelector("#message");
  window.said = [];
  new MutationObserver(() => window.said.push(box.textContent)).observe(box, {
    childList: true, subtree: true, characterData: true,
  });
}"""


def test_an_upload_the_kit_has_not_answered_yet_may_still_load(ui: Dashboard) -> None:
    """A slow kit's upload was said refused: it may well load it a moment later."""
    ui.hold_time()  # an upload waits 60 s, a read an hour
    clock, page = ui.page.clock, ui.page
    ui.open("state")
    page.select_option("#state-vendor", "quoparts")
    clock.run_for(1)
    expect(page.locator("#state-tables")).to_contain_text("No tenant holds anything yet.")
    held: list[Route] = []
    page.route(
        lambda url: "/__admin/state/" in url,
        lambda route: held.append(route) if route.request.method == "PUT" else route.fallback(),
    )
    with page.expect_request(lambda request: request.method == "PUT"):
        page.set_input_files("#state-upload", files=[customers_file("CLI001")])
    clock.run_for(60_000)
    expect(page.locator("#message")).to_have_text(
        "The kit has not answered about qp.json in 60 s: it may still load it."
    )
    assert held


def test_an_upload_answered_after_forget_says_nothing(browser: Browser) -> None:
    """Forget pressed while the kit loaded a file: its answer, read with the token that went,
    was said as "The kit refused qp.json", though the kit had loaded it."""
    held: list[Held] = []
    app = create_app({"kit": {"admin_token": TOKEN}})
    app.add_middleware(Holding, held=held)
    with MockServer(app=app) as server:
        try:
            for ui in watch(browser, server):
                page = ui.page
                ui.open("state")
                page.fill("#token", TOKEN)
                page.click("#token-use")
                page.select_option("#state-vendor", "quoparts")
                tables = page.locator("#state-tables")
                expect(tables).to_contain_text("No tenant holds anything yet.")
                page.evaluate(_RECORD_MESSAGES)

                put = Held(lambda s: s["method"] == "PUT")
                held.append(put)
                page.set_input_files("#state-upload", files=[customers_file("CLI001")])
                assert put.arrived.wait(HELD_AT_MOST)
                page.click("#token-forget")
                expect(page.locator("#token-prompt")).to_be_visible()
                with page.expect_event("requestfinished", lambda r: r.method == "PUT"):
                    put.released.set()  # the kit loads it, and says so
                page.fill("#token", TOKEN)
                page.click("#token-use")
                expect(tables.locator('[data-collection="customers"] tbody th')).to_have_text(
                    ["CLI001"]
                )
                assert not [text for text in page.evaluate("window.said") if "qp.json" in text]
        finally:
            for hold in held:
                hold.released.set()


def test_an_uploaded_state_keeps_the_digits_of_its_big_integers(ui: Dashboard) -> None:
    """The page read the file with a plain JSON.parse: a number past 2^53 (a card number) was
    sent, and loaded, rounded, where the download keeps every digit."""
    big = 12345678901234567891
    ui.open("state")
    ui.page.select_option("#state-vendor", "quoparts")
    ui.page.set_input_files("#state-upload", files=[customers_file("CLI001", N_CARD=big)])
    expect(ui.page.locator("#message")).to_have_text("Loaded qp.json into quoparts.")
    customers = ui.page.locator('[data-collection="customers"] tbody')
    expect(customers).to_contain_text(str(big))
    assert ui.server.state("quoparts")["tenants"]["demo"]["customers"]["CLI001"]["N_CARD"] == big


def test_enter_in_any_field_of_a_card_does_what_its_button_does(ui: Dashboard) -> None:
    """Enter in a session's lifetime, or in any of the mint fields, did nothing."""
    ui.open("controls")
    page = ui.page
    minted = page.locator("#minted")
    for field, value, shown in [
        ("#mint-grants", "items:create", '"items:create"'),
        ("#mint-tenant", "acme", '"tenant": "acme"'),
        ("#mint-ttl", "120", '"token"'),
    ]:
        before = minted.inner_text()
        page.fill(field, value)
        page.press(field, "Enter")
        expect(minted).to_contain_text(shown)
        expect(minted).not_to_have_text(before)  # minted anew
    page.fill("#session-ttl", "600")
    page.press("#session-ttl", "Enter")
    expect(page.locator("#sessions tbody tr")).to_have_count(1)
    assert [s["ttl_seconds"] for s in ui.server.admin("GET", "/sessions")] == [600]


def test_a_session_opened_in_the_page_scopes_every_panel_and_can_be_dropped(
    ui: Dashboard, http: httpx.Client
) -> None:
    ui.open("controls")
    ui.page.fill("#session-name", "ci-job-7")
    ui.page.click("#session-open")
    session = ui.page.locator("#sessions tbody tr")
    expect(session).to_have_count(1)
    expect(session).to_contain_text("ci-job-7")
    (opened,) = ui.server.admin("GET", "/sessions")
    expect(ui.page.locator("#scope")).to_have_value(opened["id"])

    credentials = opened["credentials"]["quoparts"]
    params = {"login": "", **credentials}
    assert http.get(QP, params=params).json()["errorCode"] == "0"
    assert qp_login_answer(http).json()["errorCode"] == "0"  # the global scope's demo account

    ui.tab("journal")
    expect(ui.rows()).to_have_count(1)  # the session's call only
    expect(ui.rows().first).to_contain_text(opened["id"])
    ui.page.select_option("#scope", "")
    expect(ui.rows()).to_have_count(2)  # the whole kit

    ui.tab("coverage")  # generic: one block per vendor the API reports
    expect(ui.page.locator("#coverage-tables .vendor")).to_have_count(4)

    ui.tab("controls")
    session.get_by_role("button", name="Use").click()
    ui.page.click("#reset")  # armed for the session...
    expect(ui.page.locator("#reset")).to_have_text("Click again to reset")
    drop = session.get_by_role("button", name="Drop")
    drop.click()  # two clicks as well
    expect(drop).to_have_text("Click again to drop")
    drop.click()
    expect(session).to_have_count(0)
    assert ui.server.admin("GET", "/sessions") == []
    # ... and disarmed with it: the next click must not reset the global scope unasked
    expect(ui.page.locator("#reset")).to_have_text("Reset")

    # Dropped by someone else while the page reads in it: the page says so, and keeps saying.
    ui.page.fill("#session-name", "")
    ui.page.click("#session-open")
    expect(session).to_have_count(1)
    (again,) = ui.server.admin("GET", "/sessions")
    ui.tab("journal")
    ui.server.admin("DELETE", f"/sessions/{again['id']}")
    notice = ui.page.locator("#message")
    expect(notice).to_contain_text("has expired or was dropped")
    for count in (2, 3):  # a new call each: its row shows once a later poll was answered
        qp_login_answer(http)
        expect(ui.rows()).to_have_count(count)  # the global scope's logins
    expect(notice).to_contain_text("has expired or was dropped")  # it stayed


def test_a_session_s_name_field_takes_no_more_than_the_admin_contract_allows(
    ui: Dashboard,
) -> None:
    """The field took any length, and a name past the contract's bound was the kit's 400 only
    once Open was pressed. Its maxlength is the contract's figure, written into the page."""
    limit = load_schema("admin/createSession.request")["properties"]["name"]["maxLength"]
    ui.open("controls")
    field = ui.page.locator("#session-name")
    expect(field).to_have_attribute("maxlength", str(limit))
    field.fill("n" * (limit + 20))  # typed, or pasted: what the field keeps
    expect(field).to_have_value("n" * limit)
    ui.page.click("#session-open")
    expect(ui.page.locator("#sessions tbody tr")).to_have_count(1)
    assert [s["name"] for s in ui.server.admin("GET", "/sessions")] == ["n" * limit]
    expect(ui.page.locator("#message")).not_to_have_class("error")


def test_a_session_s_drop_armed_stays_armed_while_another_session_opens(ui: Dashboard) -> None:
    """The poll draws the sessions' rows anew when one opens or goes: the armed Drop was the
    old row's button, and the second click armed the new one again, never dropping. The page's
    time is paused: each round of its poll is one the test runs."""
    first = ui.server.session(name="first")
    ui.hold_time()
    clock = ui.page.clock
    ui.open("controls")
    clock.run_for(1)
    rows = ui.page.locator("#sessions tbody tr")
    expect(rows).to_have_count(1)
    drop = rows.get_by_role("button", name=re.compile("drop session", re.I))
    drop.click()
    expect(drop).to_have_text("Click again to drop")
    second = ui.server.session(name="second")
    clock.run_for(POLL_MS)  # a round that draws the rows anew
    expect(rows).to_have_count(2)
    row = ui.page.locator(f'#sessions tr[data-id="{first.session_id}"]')
    armed = row.get_by_role("button", name=re.compile("drop session", re.I))
    expect(armed).to_have_text("Click again to drop")
    expect(armed).to_have_attribute(
        "aria-label", f"Click again to drop session {first.session_id} (first)"
    )
    expect(armed).to_be_focused()  # a keyboard's second Enter confirms too
    armed.click()
    expect(ui.page.locator("#message")).to_contain_text(f"Dropped session {first.session_id}")
    clock.run_for(1)  # the round the drop asked for
    expect(rows).to_have_count(1)
    assert [found["id"] for found in ui.server.admin("GET", "/sessions")] == [second.session_id]
    expect(rows.get_by_role("button", name=re.compile("drop session", re.I))).to_have_text("Drop")


def test_choosing_a_session_clears_the_last_message(ui: Dashboard) -> None:
    """The sessions table's Use button left the last action's message on show (an error stays
    until the next action), as if it were the choice's."""
    session = ui.server.session(name="ci-job-7")
    ui.open("controls")
    message = ui.page.locator("#message")
    use = ui.page.locator(f'#sessions tr[data-id="{session.session_id}"]').get_by_role(
        "button", name="Use"
    )
    for choose in [
        use.click,
        lambda: ui.page.select_option("#scope", session.session_id),
    ]:
        ui.page.fill("#clock-seconds", "")
        ui.page.click("#clock-advance")
        expect(message).to_contain_text("a number above 0")
        choose()
        expect(ui.page.locator("#scope")).to_have_value(session.session_id)
        expect(message).to_be_hidden()
        ui.page.select_option("#scope", "")


def test_the_views_of_a_session_that_ended_go_in_the_round_that_finds_it_gone(
    ui: Dashboard, http: httpx.Client
) -> None:
    """The round that found the session gone still read in it, was refused, and left its
    calls on show for another second, under a header already back on the whole kit. The page's
    time is paused: each round of its poll is one the test runs."""
    session = ui.server.session(name="ends")
    session.advance(86_400)  # the header's clock tells the two scopes apart
    in_session = session.info()["clock"][:10]
    assert http.get(QP, params={"login": "", **session.info()["credentials"]["quoparts"]})
    for _ in range(2):
        qp_login_answer(http)  # the global scope's
    ui.hold_time()
    clock = ui.page.clock
    ui.open()
    header_clock = ui.page.locator("#clock")
    clock.run_for(1)  # the first round: the whole kit
    expect(ui.rows()).to_have_count(3)
    expect(header_clock).to_contain_text("kit clock")  # the round is over
    ui.page.select_option("#scope", session.session_id)
    clock.run_for(1)
    expect(ui.rows()).to_have_count(1)
    expect(header_clock).to_contain_text(in_session)

    session.close()  # as if it had expired
    clock.run_for(POLL_MS)  # one round
    expect(ui.page.locator("#message")).to_contain_text("has expired or was dropped")
    expect(ui.page.locator("#scope")).to_have_value("")
    expect(ui.rows()).to_have_count(2)
    expect(header_clock).not_to_contain_text(in_session)


def test_a_session_that_ended_while_the_kit_did_not_answer_is_said_so_once_it_answers(
    ui: Dashboard, http: httpx.Client
) -> None:
    """The round that found the kit back said the session was gone, then cleared what the
    failed round had said, and the notice with it: the page was back on the whole kit with no
    word of why."""
    session = ui.server.session(name="ends")
    session.advance(86_400)  # the header's clock tells the two scopes apart
    in_session = session.info()["clock"][:10]
    qp_login_answer(http)  # the global scope's
    ui.hold_time()
    clock = ui.page.clock
    ui.open()
    clock.run_for(1)
    expect(ui.rows()).to_have_count(1)
    ui.page.select_option("#scope", session.session_id)
    clock.run_for(1)
    header_clock = ui.page.locator("#clock")
    expect(header_clock).to_contain_text(in_session)

    message = ui.page.locator("#message")
    sessions = "**/__admin/sessions*"
    ui.page.route(sessions, lambda route: route.abort())  # the kit restarting, say
    clock.run_for(POLL_MS)
    expect(message).to_contain_text("The kit did not answer")
    session.close()  # expired meanwhile
    ui.page.unroute(sessions)
    clock.run_for(POLL_MS)
    expect(ui.page.locator("#scope")).to_have_value("")
    # The round is over: the header's clock and the list are the whole kit's.
    expect(header_clock).not_to_contain_text(in_session)
    expect(ui.rows()).to_have_count(1)
    expect(message).to_contain_text("has expired or was dropped")


def test_a_kit_that_stops_answering_is_said_so_and_the_page_reads_again_once_it_answers(
    ui: Dashboard, http: httpx.Client
) -> None:
    """A kit paused in a debugger or stopped with SIGSTOP keeps its connections open and answers
    nothing: the page's call waited for ever, and the page stayed stale and silent. Here the
    browser holds the page's calls unanswered; the page's time is paused, so that its 5 s wait
    passes at once."""
    ui.hold_time(kit_wait_ms=None)  # the page's own wait
    clock = ui.page.clock
    qp_login_answer(http)
    ui.open()
    clock.run_for(1)
    expect(ui.rows()).to_have_count(1)

    held: list[Route] = []
    admin = "**/__admin/**"
    ui.page.route(admin, lambda route: held.append(route))  # taken, never answered
    clock.run_for(POLL_MS)  # a round asks, and waits
    clock.run_for(5_000)
    message = ui.page.locator("#message")
    expect(message).to_have_text(
        "The kit has not answered for 5 s (GET /sessions): is it stopped or paused?"
    )
    assert held

    ui.page.unroute(admin)  # the kit goes on
    qp_login_answer(http)
    clock.run_for(POLL_MS)
    expect(ui.rows()).to_have_count(2)
    expect(message).to_be_hidden()


# Each call the page makes that fails (no answer), counted in an attribute of the page: a test
# waits on it as on anything the page shows.
_COUNT_FAILED_CALLS = """() => {
  const fetched = window.fetch;
  let failed = 0;
  window.fetch = (...args) => fetched(...args).catch((error) => {
    document.documentElement.dataset.failedCalls = ++failed;
    throw error;
  });
}"""


def test_a_poll_that_keeps_failing_says_so_once_and_the_complaint_ages(ui: Dashboard) -> None:
    """Each failed round said its complaint again: a screen reader was read it out every second,
    and it never became *Earlier*, as an error does after 8 s."""
    ui.hold_time()
    clock = ui.page.clock
    ui.open()
    clock.run_for(1)
    expect(ui.page.locator("#clock")).to_contain_text("kit clock")
    ui.page.evaluate(_COUNT_FAILED_CALLS)
    ui.page.route("**/__admin/sessions*", lambda route: route.abort())
    message = ui.page.locator("#message")
    for failed in range(1, 10):  # 9 rounds: 8 s after the first
        clock.run_for(POLL_MS)
        expect(ui.page.locator("html")).to_have_attribute("data-failed-calls", str(failed))
        expect(message).to_contain_text("The kit did not answer")
    expect(message).to_have_text(re.compile("^Earlier: The kit did not answer"))


def test_a_sessions_expiry_and_its_kit_clock_say_which_is_which(ui: Dashboard) -> None:
    """A session's expiry (real time) showed beside its kit clock, neither labelled: two
    timestamps days apart once the session's clock was moved, and no telling which was which."""
    session = ui.server.session(name="ci-job-7")
    session.advance(10 * 86_400)  # its kit clock ten days on: another date than its expiry's
    info = session.info()
    expiry_date, clock_date = info["expires_at"][:10], info["clock"][:10]
    assert expiry_date != clock_date
    ui.open("controls")
    ui.page.select_option("#scope", session.session_id)
    expect(ui.page.locator("#clock")).to_contain_text(f"kit clock {clock_date}")
    headings = ui.page.locator("#sessions thead th")
    cells = ui.page.locator("#sessions tbody tr").first.locator("td")
    for label, date in [("expires if idle (wall clock)", expiry_date), ("kit clock", clock_date)]:
        expect(cells.nth(headings.all_inner_texts().index(label))).to_contain_text(date)


def test_with_an_admin_token_the_page_asks_for_it_and_never_puts_it_in_a_url(
    browser: Browser,
) -> None:
    with MockServer({"kit": {"admin_token": TOKEN}}) as server:
        for ui in watch(browser, server):
            ui.open()
            prompt = ui.page.locator("#token-prompt")
            expect(prompt).to_be_visible()
            expect(prompt).to_contain_text("X-Admin-Token")

            ui.page.fill("#token", "not-the-token")
            ui.page.click("#token-use")
            expect(prompt).to_have_class("refused")

            ui.page.fill("#token", TOKEN)
            ui.page.press("#token", "Enter")
            expect(prompt).to_be_hidden()
            with httpx.Client(base_url=server.url) as http:
                assert qp_login_answer(http).json()["errorCode"] == "0"
            expect(ui.rows()).to_have_count(1)

            # The tab keeps it across a reload (sessionStorage), and it travels as a header.
            with ui.page.expect_request(lambda r: "/__admin/requests" in r.url) as sent:
                ui.page.reload()
            assert sent.value.headers.get("x-admin-token") == TOKEN.encode().decode("latin-1")
            expect(ui.rows()).to_have_count(1)
            assert not [url for url in ui.requests if TOKEN in url or "not-the-token" in url]


def test_forget_and_a_refused_token_leave_nothing_read_with_it_on_the_page(
    browser: Browser,
) -> None:
    """Forget removed the token and left everything read with it on show: the calls, an open
    entry, the sessions with their credentials, a minted token."""
    with MockServer({"kit": {"admin_token": TOKEN}}) as server:
        session = server.session(name="ci-job-7")
        secret = session.info()["credentials"]["quoparts"]["password"]
        with httpx.Client(base_url=server.url) as http:
            assert qp_login_answer(http).json()["errorCode"] == "0"
        for ui in watch(browser, server):
            page = ui.page
            ui.open()
            entry, sessions = page.locator("#entry"), page.locator("#sessions tbody tr")
            scopes = page.locator("#scope option")
            for refuse in ["#token-forget", "#token-use"]:  # then a token the kit refuses
                page.fill("#token", TOKEN)
                page.click("#token-use")
                expect(ui.rows()).to_have_count(1)
                ui.rows().first.click()
                expect(entry).to_be_visible()
                ui.tab("controls")
                page.click("#mint")
                expect(page.locator("#minted")).to_contain_text('"token"')
                minted = json.loads(page.locator("#minted").inner_text())["token"]
                expect(sessions).to_have_count(1)
                expect(scopes).to_have_count(2)
                assert secret in page.content()

                page.fill("#token", "not-the-token")
                page.click(refuse)
                expect(page.locator("#token-prompt")).to_be_visible()
                expect(sessions).to_have_count(0)
                expect(page.locator("#minted")).to_be_hidden()
                expect(page.locator("#faults tbody tr")).to_have_count(0)
                expect(scopes).to_have_count(1)
                assert secret not in page.content()
                assert minted not in page.content()
                ui.tab("journal")
                expect(ui.rows()).to_have_count(0)
                expect(entry).to_be_hidden()


def test_a_kit_started_again_with_another_token_asks_for_it_and_says_nothing_else(
    browser: Browser,
) -> None:
    """The kit stopped, then served again with another admin token: beside the prompt for the
    token the page went on saying "The kit did not answer: Failed to fetch"."""
    started_again: list[Any] = []
    app = create_app({"kit": {"admin_token": TOKEN}})
    app.add_middleware(Restarted, by=started_again)
    with MockServer(app=app) as server:
        for ui in watch(browser, server):
            page = ui.page
            ui.open()
            page.fill("#token", TOKEN)
            page.click("#token-use")
            expect(page.locator("#clock")).to_contain_text("kit clock")

            sessions = "**/__admin/sessions*"  # each round's first call
            page.route(sessions, lambda route: route.abort())  # the kit stopped
            message = page.locator("#message")
            expect(message).to_have_text("The kit did not answer: Failed to fetch")
            started_again.append(create_app({"kit": {"admin_token": "another-token"}}))
            page.unroute(sessions)
            prompt = page.locator("#token-prompt")
            expect(prompt).to_be_visible()
            expect(prompt).to_have_class("refused")
            expect(message).to_be_hidden()

            page.fill("#token", "another-token")
            page.click("#token-use")
            expect(prompt).to_be_hidden()
            expect(page.locator("#clock")).to_contain_text("kit clock")
            expect(message).to_be_hidden()


def test_forget_during_a_round_of_the_poll_shows_nothing_that_round_read(
    browser: Browser,
) -> None:
    """Forget pressed while a round of the poll waited for the kit: the round's answers, read
    with the token, came in after and showed the calls again, until a later round was refused.
    The round's read of the journal is held at the server until Forget has been pressed."""
    held: list[Held] = []
    app = create_app({"kit": {"admin_token": TOKEN}})
    app.add_middleware(Holding, held=held)
    with MockServer(app=app) as server:
        with httpx.Client(base_url=server.url) as http:
            assert qp_login_answer(http).json()["errorCode"] == "0"
        try:
            for ui in watch(browser, server):
                page = ui.page
                ui.open()
                page.fill("#token", TOKEN)
                page.click("#token-use")
                expect(ui.rows()).to_have_count(1)

                journal = Held(lambda s: s["path"] == "/__admin/requests" and with_token(s))
                held.append(journal)
                assert journal.arrived.wait(HELD_AT_MOST)  # a round waits for its answer
                page.click("#token-forget")
                expect(ui.rows()).to_have_count(0)
                expect(page.locator("#journal-count")).to_have_text("")

                # The next round asks without the token once that round is over: held too,
                # its 401 would clear the page whatever the round before showed.
                after = Held(lambda s: s["path"] == "/__admin/sessions" and not with_token(s))
                held.append(after)
                journal.released.set()  # the answer, read with the token, comes in
                assert after.arrived.wait(HELD_AT_MOST)
                expect(ui.rows()).to_have_count(0)
                expect(page.locator("#journal-count")).to_have_text("")
                expect(page.locator("#message")).to_be_hidden()

                after.released.set()
                expect(page.locator("#token-prompt")).to_be_visible()
                expect(ui.rows()).to_have_count(0)
        finally:
            for hold in held:
                hold.released.set()


def test_a_validating_proxy_journal_shows_its_checks(browser: Browser, served: MockServer) -> None:
    """In front of a real vendor (here the module's kit stands in for it), each entry carries
    the contracts' verdict and the shadow's differences: the list shows them."""
    served.reset()
    app = create_proxy_app({"quoparts": served.base_url("quoparts")}, shadow=True)
    with MockServer(app=app) as proxy, httpx.Client(base_url=proxy.url) as http:
        for ui in watch(browser, proxy):
            ui.open()
            assert qp_login_answer(http).json()["errorCode"] == "0"
            checks = ui.row("login").locator("td.checks")
            expect(checks).to_have_text("✓ contract")  # the shadow fake answered alike
            ui.rows().first.click()
            expect(ui.page.locator("#entry")).to_contain_text("answered by upstream")


def test_a_long_value_the_shadow_found_otherwise_is_cut_short(browser: Browser) -> None:
    """The shadow's differences are a table of the vendor's values: a long one is cut short, as
    in the State panel."""
    refused = "Accesso negato. " * 40  # the sandbox's wording of a refused token, at length
    with MockServer({"quoparts": {"auth_error_message": refused}}) as upstream:
        app = create_proxy_app({"quoparts": upstream.base_url("quoparts")}, shadow=True)
        with MockServer(app=app) as proxy, httpx.Client(base_url=proxy.url) as http:
            for ui in watch(browser, proxy):
                ui.open()
                http.post(QP, params={"importCli": "", "token": "expired"}, json={"data": []})
                ui.rows().first.click()
                difference = ui.page.locator("#entry tr").filter(has_text="body.error")
                cells = difference.locator("td")
                expect(cells).to_have_text(
                    ["body.error", refused[:300] + "…", "Utente non Accreditato"]
                )
                (entry,) = proxy.requests()
                whole = f"640 characters; GET /__admin/requests/{entry['id']} has it whole"
                expect(cells.locator(".clipped")).to_have_attribute("title", whole)


def test_an_entry_refused_unread_is_an_operation_whose_body_no_contract_judged(
    browser: Browser,
) -> None:
    """The fake's own 413 (a body over ``max_body_bytes``) has no verdict, which the entry
    worded "no contract (not an operation of the vendor)": it is one, its body refused unread.
    A path no route serves still is none."""
    with MockServer({"kit": {"max_body_bytes": 1000}}) as kit:
        with httpx.Client(base_url=kit.url) as http:
            assert (
                http.post(
                    XTRA_IDENTITIES, headers=XTRA_KEYS, content=b"[" + b" " * 2000 + b"]"
                ).status_code
                == 413
            )
            assert http.post("/xtra/api/sync/v1/nowhere", headers=XTRA_KEYS).status_code == 404
        for ui in watch(browser, kit):
            ui.open()
            verdict = ui.page.locator("#entry-verdict")
            ui.row("updateIdentities").click()
            expect(verdict).to_contain_text("its body was refused unread")
            expect(verdict).not_to_contain_text("not an operation")
            ui.row("unknown").click()
            expect(verdict).to_contain_text("no contract (not an operation of the vendor)")


def test_a_body_refused_unread_says_so_in_the_entry_and_its_curl_line(browser: Browser) -> None:
    """The entry of a 413 over ``max_body_bytes`` read "(no body)" beside a Content-Length of
    megabytes, and its curl line ended as one of a call that sent none."""
    with MockServer({"kit": {"max_body_bytes": 1000}}) as kit:
        with httpx.Client(base_url=kit.url) as http:
            big = json.dumps([{"Name": "A" * 2000}]).encode()
            assert http.post(XTRA_IDENTITIES, headers=XTRA_KEYS, content=big).status_code == 413
        for ui in watch(browser, kit):
            ui.open()
            ui.row("updateIdentities").click()
            body = ui.page.locator("#entry-request pre")
            expect(body).to_have_text("(not read: refused over max_body_bytes)")
            expect(ui.page.locator("#entry-curl")).to_contain_text(
                f"# its body ({len(big)} bytes by its Content-Length) was refused unread"
            )


def test_behind_the_proxy_the_fault_form_offers_no_forwarded_vendor(
    browser: Browser, served: MockServer
) -> None:
    """The form offered every vendor, and a fault for a forwarded one was refused."""
    served.reset()
    app = create_proxy_app({"xtra": served.base_url("xtra")})
    with MockServer(app=app) as proxy:
        for ui in watch(browser, proxy):
            ui.open("controls")
            vendor = ui.page.locator("#fault-vendor")
            expect(vendor.locator('option[value="xtra"]')).to_be_disabled()
            expect(vendor.locator('option[value="xtra"]')).to_contain_text("forwarded")
            expect(vendor).to_have_value("tsdigital")  # the first one offered, not XTRA
            expect(ui.page.locator("#fault-forwarded")).to_contain_text("XTRA")
            ui.page.click("#fault-add")
            expect(ui.page.locator("#faults tbody tr")).to_contain_text("tsdigital")
            assert [f["vendor"] for f in proxy.faults()] == ["tsdigital"]


def test_behind_the_proxy_state_and_coverage_mark_a_forwarded_vendor(
    browser: Browser, served: MockServer
) -> None:
    """Only the fault form marked a forwarded vendor: State listed it as any other, and Coverage
    showed each of its situations as missed, "0 of N met", which the proxy's idle fake can never
    meet."""
    served.reset()
    app = create_proxy_app({"xtra": served.base_url("xtra")})
    identity = [{"EMail": "a@b.it", "Surname": "Rossi", "Name": "Anna", "WebReasonID": 13}]
    with MockServer(app=app) as proxy, httpx.Client(base_url=proxy.url) as http:
        sent = http.post(XTRA_IDENTITIES, params=CONTACT_FORM, headers=XTRA_KEYS, json=identity)
        assert sent.status_code == 200
        for ui in watch(browser, proxy):
            page = ui.open("state").page
            vendor = page.locator("#state-vendor")
            note = page.locator("#state-forwarded")
            # It opened on XTRA, the first in the list, which has no state here.
            expect(vendor).to_have_value("tsdigital")
            expect(note).to_be_hidden()
            expect(vendor.locator('option[value="xtra"]')).to_have_text("XTRA/XOX (forwarded)")
            expect(vendor.locator('option[value="quoparts"]')).to_have_text("QuoParts")
            vendor.select_option("quoparts")
            expect(note).to_be_hidden()
            vendor.select_option("xtra")  # chosen by hand: it stays
            expect(note).to_be_visible()
            expect(note).to_contain_text("Forwarded to its upstream")
            expect(vendor).to_have_value("xtra")

            ui.tab("coverage")
            xtra = page.locator('#coverage-tables [data-vendor="xtra"]')
            expect(xtra).to_contain_text("Forwarded to its upstream: no coverage.")
            expect(xtra.locator("table")).to_have_count(0)
            expect(xtra).not_to_contain_text(" met")
            quoparts = page.locator('#coverage-tables [data-vendor="quoparts"]')
            expect(quoparts.locator("h2")).to_contain_text("met")
            expect(quoparts.locator("table")).to_have_count(1)
            page.check("#coverage-missed")  # the line stays: it is not a situation
            expect(xtra).to_contain_text("Forwarded to its upstream: no coverage.")


def test_the_keyboard_keeps_its_place_and_an_entry_closes_with_escape(
    ui: Dashboard, http: httpx.Client
) -> None:
    """Every redraw sent the focus to the page's body, a keyboard user had to tab past every
    row to reach the open entry, and Escape did nothing."""
    ui.open()
    call_each_vendor(http)
    expect(ui.rows()).to_have_count(4)
    oldest = ui.rows().last
    oldest.focus()
    assert qp_login_answer(http).json()["errorCode"] == "0"  # a new call: the list is redrawn
    expect(ui.rows()).to_have_count(5)
    expect(ui.rows().last).to_be_focused()
    ui.page.keyboard.press("Enter")
    entry = ui.page.locator("#entry")
    expect(entry.locator("#entry-answer")).to_contain_text('"errorCode": "0"')
    expect(entry.locator("button").first).to_be_focused()
    ui.page.keyboard.press("Escape")
    expect(entry).to_be_hidden()
    expect(ui.rows().last).to_be_focused()


# The URL of each answer the page has read whole, in window.read, once the page has done with
# it (marked in a task of its own: after the reading call's continuations, which are
# microtasks): a test waits for one to know what the page made of it.
_RECORD_READS = """() => {
  const text = Response.prototype.text;
  window.read = [];
  Response.prototype.text = function () {
    return text.call(this).then((body) => {
      setTimeout(() => window.read.push(this.url));
      return body;
    });
  };
}"""


def test_an_entry_answered_after_another_was_clicked_does_not_replace_it(
    ui: Dashboard, http: httpx.Client
) -> None:
    """A slow entry (a large import, a slow link) whose answer came after a click on another
    replaced the one the person had chosen."""
    page = ui.page
    ui.open()
    assert qp_login_answer(http).json()["errorCode"] == "0"
    assert qp_login_answer(http, password="Wr0ng-pw").json()["errorCode"] == "101"
    expect(ui.rows()).to_have_count(2)
    slow, chosen = (ui.rows().nth(n).get_attribute("data-id") for n in (1, 0))
    page.evaluate(_RECORD_READS)
    held: list[Route] = []
    page.route(lambda url: url.endswith(f"/__admin/requests/{slow}"), lambda r: held.append(r))
    with page.expect_request(lambda request: request.url.endswith(slow)):
        page.click(f'#entries tr[data-id="{slow}"]')
    page.click(f'#entries tr[data-id="{chosen}"]')
    entry = page.locator("#entry-answer")
    expect(entry).to_contain_text('"errorCode": "101"')
    held[0].continue_()  # the slow one's answer comes in
    # A function, not an expression: Playwright evals an expression, which the page's CSP
    # refuses once the wait has to poll.
    page.wait_for_function("(slow) => window.read.some((url) => url.endsWith(slow))", arg=slow)
    expect(entry).to_contain_text('"errorCode": "101"')
    expect(page.locator(f'#entries tr[data-id="{chosen}"]')).to_have_attribute(
        "aria-current", "true"
    )


def test_filters_the_kit_applies_say_no_match_and_big_integers_keep_their_digits(
    ui: Dashboard, http: httpx.Client
) -> None:
    """With calls journalled, a vendor that had none said "No calls yet"; and an XTRA ID past
    2^53, which the kit refuses for being too large, showed rounded to 2^53 itself."""
    ui.open()
    record = {"ID": 9007199254740993, "Denomination": "R"}
    http.post("/xtra/api/sync/v1/irs/update", headers=XTRA_KEYS, json=[record])
    expect(ui.rows()).to_have_count(1)
    ui.page.select_option("#f-vendor", "keepit")
    expect(ui.rows()).to_have_count(0)
    ui.says_no_match()
    ui.page.select_option("#f-vendor", "")
    ui.rows().first.click()
    expect(ui.page.locator("#entry-request")).to_contain_text("9007199254740993")


def test_an_entry_shows_the_call_as_it_was_sent(ui: Dashboard, http: httpx.Client) -> None:
    """The request showed the decoded path, the last of repeated parameters and headers, a
    UTF-8 header as ``piÃ¹``, and a JSON string body without its quotes."""
    ui.open()
    http.post(
        "/xtra/api/sync/v1/%6Cogin",  # the login, its path escaped
        params=[("u", "a"), ("u", "b")],
        headers=[("X-Note", "più".encode()), ("X-Multi", "1"), ("X-Multi", "2")]
        + [(name, value) for name, value in XTRA_KEYS.items()],
        content=b'"abc"',
    )
    ui.rows().first.click()
    request = ui.page.locator("#entry-request")
    expect(request.locator("code")).to_have_text("POST /xtra/api/sync/v1/%6Cogin?u=a&u=b")
    expect(request.locator("pre")).to_have_text('"abc"')
    rows = [text.split("\t") for text in request.locator("tr").all_inner_texts()]
    assert rows[:2] == [["u", "a"], ["u", "b"]]  # the query, then the header lines
    ours = [row for row in rows[2:] if row[0].startswith("x-")]
    assert ours == [["x-note", "più"], ["x-multi", "1"], ["x-multi", "2"]]


def test_an_entry_cut_short_says_so_under_what_it_cut(ui: Dashboard, http: httpx.Client) -> None:
    """The journal keeps 64 KiB of a call's header lines and the first 64 KiB of a text body
    shows: the entry said nothing, and the lines and the text looked whole."""
    ui.open()
    http.post(
        "/xtra/api/sync/v1/login", headers=[("X-N", "1")] * 5_000, content=b"not json " * 10_000
    )
    ui.rows().first.click()
    notes = ui.page.locator("#entry-request .cut")
    expect(notes).to_have_count(2)
    shown = len(ui.page.locator("#entry-request tr").all())
    expect(notes.first).to_have_text(
        re.compile(rf"Cut short: the first {shown} of 50\d\d header lines sent\.")
    )
    expect(notes.last).to_have_text("Cut short: the start of a body of 90000 bytes.")
    expect(ui.page.locator("#entry-answer .cut")).to_have_count(0)


def test_a_long_value_in_an_entry_s_tables_is_cut_short(ui: Dashboard, http: httpx.Client) -> None:
    """A query parameter or a header line of 20,000 characters took seconds to lay out when its
    entry opened, as a State table's long value did; its name the same."""
    name, value = "n" * 20_000, "v" * 20_000
    http.post("/xtra/api/sync/v1/login", params={name: value}, headers={"X-Long": value})
    ui.open()
    ui.rows().first.click()
    request = ui.page.locator("#entry-request")
    query = request.locator("table").first
    expect(query.locator("th")).to_have_text("n" * 300 + "…")
    expect(query.locator("td")).to_have_text("v" * 300 + "…")
    header = request.locator("tr").filter(has=ui.page.get_by_text("x-long", exact=True))
    expect(header.locator("td")).to_have_text("v" * 300 + "…")
    (entry,) = ui.server.requests()
    whole = f"20,000 characters; GET /__admin/requests/{entry['id']} has it whole"
    for cut in [query.locator("th"), query.locator("td"), header.locator("td")]:
        expect(cut.locator(".clipped")).to_have_attribute("title", whole)


def test_a_long_string_in_an_entry_s_bodies_and_curl_line_is_cut_short(
    ui: Dashboard, http: httpx.Client
) -> None:
    """A contact form's name of 1,000,000 characters, laid out whole in the curl line, the
    request's body and XTRA's answer that echoes it, stalled the page's thread for over a
    second when its entry opened. Each shows the first 10,000 characters and says so; the
    other values stay whole, and Copy copies the line whole."""
    name = "A" * 999_999 + "Z"
    record = {"EMail": "a@b.it", "Surname": "Rossi", "Name": name, "WebReasonID": 13}
    http.post(XTRA_IDENTITIES, params=CONTACT_FORM, headers=XTRA_KEYS, json=[record])
    ui.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ui.server.url)
    ui.open()
    ui.rows().first.click()
    (entry,) = ui.server.requests()
    whole = f"GET /__admin/requests/{entry['id']} has it whole."
    shown = "A" * 10_000 + "…"
    request = ui.page.locator("#entry-request")
    expect(request.locator("pre")).to_contain_text(f'"Name": "{shown}"', timeout=WHOLE_ENTRY_MS)
    expect(request.locator("pre")).to_contain_text('"Surname": "Rossi"')
    expect(request.locator(".cut")).to_have_text(
        f'Cut short: a string of 1,000,000 characters shows its first 10,000 and "…"; {whole}'
    )
    answer = ui.page.locator("#entry-answer")
    expect(answer.locator("pre")).to_contain_text(f'"Item2": "a@b.it_Rossi_{"A" * 9_987}…"')
    expect(answer.locator(".cut")).to_contain_text("a string of 1,000,013 characters")
    curl = ui.page.locator("#entry-curl")
    assert len(curl.inner_text()) == 100_001 and curl.inner_text().endswith("AAA…")
    expect(ui.page.locator("#entry .cut").first).to_contain_text(
        f'a line of {len(entry_curl(ui, entry)):,} characters shows its first 100,000 and "…"'
        f" (Copy copies it whole); {whole}"
    )
    ui.page.locator(".curl button").click()
    expect(ui.page.locator("#message")).to_have_text("Copied.")
    copied = ui.page.evaluate("navigator.clipboard.readText()")
    assert copied == entry_curl(ui, entry) and name in copied


def test_a_body_s_strings_are_cut_each_whole_or_at_its_limit_whatever_they_hold(
    ui: Dashboard,
) -> None:
    """The body's strings are found in its JSON text by their quotes: a quote or a backslash
    escaped in one, a long name, an emoji at the cut, leave the others as they were."""
    long = '\\"' + "x" * 9_997 + "😀😀" + "y" * 10  # the 10,000th and 10,001st characters
    body = {"a\\": 'q"\\', long: [long, "short\\"], "n": 1}
    ui.open()
    text = ui.page.evaluate(
        """async (body) => {
            const { pretty } = await import("/__admin/ui/dom.js");
            return pretty(body, "json", "GET x").map((node) => node.textContent);
        }""",
        body,
    )
    cut = json.dumps(long[:10_000] + "…", ensure_ascii=False)
    assert text == [
        f'{{\n  "a\\\\": "q\\"\\\\",\n  {cut}: [\n    {cut},\n    "short\\\\"\n  ],\n  "n": 1\n}}',
        'Cut short: 2 strings, of up to 10,011 characters, show their first 10,000 and "…";'
        " GET x has it whole.",
    ]


def test_an_emoji_is_one_character_in_a_cut_its_limit_and_its_note(
    ui: Dashboard, http: httpx.Client
) -> None:
    """An emoji is two UTF-16 units and one character: a name of 6,000 emoji showed its first
    5,000, under a note that said "a string of 6,000 characters shows its first 10,000". Each
    limit, its cut and its note count characters: a body's string, the curl line, a table's
    value."""
    name = "😀" * 60_000  # 120,000 units: a curl line under 100,000 characters all the same
    record = {"EMail": "a@b.it", "Surname": "Rossi", "Name": name, "WebReasonID": 13}
    body = json.dumps([record], ensure_ascii=False).encode()
    headers = {**XTRA_KEYS, "Content-Type": "application/json"}
    assert http.post(XTRA_IDENTITIES, params=CONTACT_FORM, headers=headers, content=body).is_success
    http.post("/xtra/api/sync/v1/login", params={"whole": "😀" * 300, "cut": "😀" * 301})
    ui.open()
    ui.row("updateIdentities").click()
    (login, form) = ui.server.requests()  # newest first
    whole = f"GET /__admin/requests/{form['id']} has it whole."
    request = ui.page.locator("#entry-request")
    expect(request.locator("pre")).to_contain_text(f'"Name": "{"😀" * 10_000}…"')
    expect(request.locator(".cut")).to_have_text(
        f'Cut short: a string of 60,000 characters shows its first 10,000 and "…"; {whole}'
    )
    answer = ui.page.locator("#entry-answer")
    expect(answer.locator("pre")).to_contain_text(f'"Item2": "a@b.it_Rossi_{"😀" * 9_987}…"')
    expect(answer.locator(".cut")).to_contain_text("a string of 60,013 characters")
    line = entry_curl(ui, form)
    assert name in line and len(line) < 100_000 < len(line.encode("utf-16-le")) // 2
    expect(ui.page.locator("#entry-curl")).to_have_text(line)
    expect(ui.page.locator("#entry .cut")).to_have_count(2)  # the bodies' notes: none for the line

    ui.row("login").click()
    query = ui.page.locator("#entry-request table").first
    expect(query.locator("td")).to_have_text(["😀" * 300, "😀" * 300 + "…"])
    title = f"301 characters; GET /__admin/requests/{login['id']} has it whole"
    expect(query.locator(".clipped")).to_have_attribute("title", title)


def test_where_the_browser_refuses_to_copy_a_line_cut_short_is_not_selected(
    ui: Dashboard, http: httpx.Client
) -> None:
    """Without the clipboard (a page that is no secure context) Copy selects the line for
    Ctrl-C: the start of a line cut short would be a command cut short."""
    http.post(XTRA_IDENTITIES, headers=XTRA_KEYS, json=[{"Name": "A" * 110_000}])
    http.post("/xtra/api/sync/v1/login", headers=XTRA_KEYS)
    ui.page.add_init_script("navigator.clipboard.writeText = async () => { throw new Error(); }")
    ui.open()
    ui.row("updateIdentities").click()
    ui.page.locator(".curl button").click()
    (_, long) = ui.server.requests()
    expect(ui.page.locator("#message")).to_have_text(
        "The browser lets the page copy nothing here, and it shows only the start of the line;"
        f' GET /__admin/requests/{long["id"]} has it whole, as its "curl".'
    )
    assert ui.page.evaluate("getSelection().toString()") == ""
    ui.row("login").click()
    ui.page.locator(".curl button").click()
    expect(ui.page.locator("#message")).to_have_text("Selected: press Ctrl-C to copy.")
    assert ui.page.evaluate("getSelection().toString()").startswith("curl -sS -X POST")


def entry_curl(ui: Dashboard, entry: dict[str, Any]) -> str:
    """The entry's curl line as the admin API gives it."""
    return str(ui.server.admin("GET", f"/requests/{entry['id']}")["curl"])


def test_the_journal_poll_leaves_the_bodies_out(ui: Dashboard, http: httpx.Client) -> None:
    """Four bodies of 1.5 M characters made every poll of the list 3 MB, parsed on the page's
    thread every second: the list reads the entries without them (the answer's codes
    instead), an opened entry reads its own."""
    for digit in "1234":
        record = {"Name": digit * 1_500_000}
        http.post("/xtra/api/sync/v1/irs/update", headers=XTRA_KEYS, json=[record])
    with ui.page.expect_response(lambda r: "/__admin/requests?" in r.url) as polled:
        ui.open()
    assert "bodies=false" in polled.value.url and len(polled.value.body()) < 20_000
    expect(ui.rows()).to_have_count(4)
    expect(ui.rows().first).to_contain_text("ER.IR.INVAL")  # the codes column
    ui.page.fill("#f-code", "er.ir.inval")
    expect(ui.rows()).to_have_count(4)
    ui.rows().first.click()
    expect(ui.page.locator("#entry-request")).to_contain_text("4444444444", timeout=WHOLE_ENTRY_MS)


def test_the_journal_s_count_says_call_for_one(ui: Dashboard, http: httpx.Client) -> None:
    ui.open()
    qp_login_answer(http)
    expect(ui.page.locator("#journal-count")).to_have_text("1 of 1 call")
    qp_login_answer(http)
    expect(ui.page.locator("#journal-count")).to_have_text("2 of 2 calls")
    ui.page.fill("#f-status", "599")
    expect(ui.page.locator("#journal-count")).to_have_text("0 of 2 calls")


def test_the_typed_filters_take_a_list_and_ignore_case(ui: Dashboard, http: httpx.Client) -> None:
    """An operation typed "LOGIN" found nothing, and no filter took more than one value."""
    call_each_vendor(http)  # login, updateIdentities, insertClient_v3 (400), createItem (202)
    assert qp_login_answer(http, password="Wr0ng-pw").json()["errorCode"] == "101"
    invalid = http.post("/xtra/api/sync/v1/irs/update", headers=XTRA_KEYS, json=[{"Name": "R"}])
    assert invalid.json()["result"]["records"][0]["Item4"]["Code"] == "ER.IR.INVAL"
    ui.open()
    expect(ui.rows()).to_have_count(6)
    for field, typed, count in [
        ("#f-operation", "LOGIN", 2),  # asked of the kit, as the catalogue spells it
        ("#f-operation", "login, CreateItem", 3),
        ("#f-operation", "", 6),
        ("#f-status", "202,4xx", 2),
        ("#f-status", "2XX", 5),
        ("#f-status", "", 6),
        ("#f-code", "er.ir.inval, 101", 2),
    ]:
        ui.page.fill(field, typed)
        expect(ui.rows()).to_have_count(count)
    expect(ui.page.locator("#journal-count")).to_have_text("2 of 6 calls")


def test_an_operation_typed_letter_by_letter_is_matched_in_the_page_until_it_is_one(
    ui: Dashboard, http: httpx.Client
) -> None:
    """On the way to "login", "log" was asked of the kit, which refuses an operation its vendor
    does not have: a 400 in red, and the rows of before left on show as if they matched."""
    call_each_vendor(http)
    ui.open()
    expect(ui.rows()).to_have_count(4)
    ui.page.fill("#f-operation", "log")
    expect(ui.rows()).to_have_count(0)
    ui.says_no_match()
    ui.page.fill("#f-operation", "login")
    expect(ui.rows()).to_have_count(1)
    ui.page.select_option("#f-vendor", "keepit")  # an operation, but not KeepIT's
    expect(ui.rows()).to_have_count(0)
    ui.says_no_match()
    expect(ui.page.locator("#message")).to_be_hidden()
    asked = [url for url in ui.requests if "operation=" in url]
    assert asked and all("operation=login" in url for url in asked), asked


def test_an_open_entry_closes_once_its_call_is_gone(ui: Dashboard, http: httpx.Client) -> None:
    """A reset, or the journal cleared through the API or in another tab, left the entry of a
    call the kit no longer held open (only the page's own Clear journal closed it)."""
    sessions = [ui.server.session(name=name) for name in ("listed", "filtered-out")]
    for session in sessions:
        http.get(QP, params={"login": "", **session.info()["credentials"]["quoparts"]})
    qp_login_answer(http)  # the global scope's
    ui.open()
    expect(ui.rows()).to_have_count(3)  # the whole kit: every scope's calls
    entry = ui.page.locator("#entry")
    for session in sessions:
        ui.row(session.session_id).click()
        expect(entry).to_contain_text(f"session {session.session_id}")
        if session.info()["name"] == "filtered-out":  # not among the calls read: asked for
            ui.page.select_option("#f-vendor", "keepit")
            ui.says_no_match()
        session.clear_requests()  # through the API
        expect(entry).to_be_hidden()
    ui.page.select_option("#f-vendor", "")

    expect(ui.rows()).to_have_count(1)
    ui.rows().first.click()
    expect(entry).to_contain_text("global scope")
    ui.tab("controls")
    ui.page.click("#reset")
    ui.page.click("#reset")
    expect(ui.page.locator("#message")).to_contain_text("Reset keepit")
    expect(entry).to_have_attribute("hidden", "")  # closed, not only out of sight
    ui.tab("journal")
    expect(ui.rows()).to_have_count(0)
    expect(entry).to_be_hidden()


def test_an_open_entry_the_filters_leave_out_is_not_read_whole_at_every_poll(
    ui: Dashboard, http: httpx.Client
) -> None:
    """Out of the list, the open entry was read whole at every round, to learn whether the kit
    still held it: a body of 1.5 M characters masked, judged and sent again every second. It
    is read whole once, when it opens; each round asks only whether it is still there."""
    http.post("/xtra/api/sync/v1/irs/update", headers=XTRA_KEYS, json=[{"Name": "7" * 1_500_000}])
    ui.open()
    ui.rows().first.click()
    entry = ui.page.locator("#entry")
    expect(entry.locator("#entry-request")).to_contain_text("7777777", timeout=WHOLE_ENTRY_MS)
    (listed,) = ui.server.admin("GET", "/requests", params={"bodies": "false"})
    asked = f"{ui.server.url}/__admin/requests/{listed['id']}"
    ui.page.select_option("#f-vendor", "keepit")  # its row goes; the entry stays open
    ui.says_no_match()
    checks = []
    for _ in range(3):  # three rounds of the poll
        with ui.page.expect_response(lambda r: r.url.startswith(asked)) as answered:
            pass
        checks.append(answered.value)
    assert all("bodies=false" in c.url and len(c.body()) < 5_000 for c in checks), checks
    whole = [url for url in ui.requests if url.startswith(asked) and "bodies=false" not in url]
    assert len(whole) == 1, whole  # when it opened
    expect(entry.locator("#entry-request")).to_contain_text("7777777", timeout=WHOLE_ENTRY_MS)

    ui.server.clear_requests()  # and gone: it closes, as before
    expect(entry).to_be_hidden()


def test_a_large_collection_shows_its_newest_records_and_the_page_stays_responsive(
    ui: Dashboard,
) -> None:
    """3,000 customers took 1.3 s to draw, again at every change: the page froze."""
    codes = {"COD_CLI": "000001", "COD_USR": "M00001", "COD_PWD": "ABC123"}
    customers = {f"E{n:04d}": {"COD_CLI_ERP": f"E{n:04d}", **codes} for n in range(3000)}
    ui.server.put_state("quoparts", {"tenants": {"demo": {"customers": customers}}})
    ui.open("state")
    ui.page.select_option("#state-vendor", "quoparts")
    collection = ui.page.locator('[data-tenant="demo"] [data-collection="customers"]')
    expect(collection.locator("h3")).to_contain_text("(3000)")
    expect(collection.locator("tbody tr")).to_have_count(100)
    expect(collection.locator("tbody tr").first).to_contain_text("E2999")  # newest first
    expect(collection.locator("tbody tr").last).to_contain_text("E2900")
    expect(collection.locator(".more")).to_contain_text("The newest 100 of 3000")


def test_the_state_panel_shows_the_newest_records_whatever_their_keys(ui: Dashboard) -> None:
    """A key that looks like a number (a connector's COD_CLI_ERP "42") came first in the page's
    parse of the state: the panel showed E120…E21, and the newest customer, "42", nowhere."""
    codes = {"COD_CLI": "000001", "COD_USR": "M00001", "COD_PWD": "ABC123"}
    keys = [f"E{n}" for n in range(1, 121)] + ["42"]
    customers = {key: {"COD_CLI_ERP": key, **codes} for key in keys}
    ui.server.put_state("quoparts", {"tenants": {"demo": {"customers": customers}}})
    ui.open("state")
    ui.page.select_option("#state-vendor", "quoparts")
    collection = ui.page.locator('[data-tenant="demo"] [data-collection="customers"]')
    expect(collection.locator("h3")).to_contain_text("(121)")
    expect(collection.locator("tbody th")).to_have_text(["42", *keys[-2:-101:-1]])
    expect(collection.locator(".more")).to_contain_text("The newest 100 of 121")


def test_a_long_value_in_a_state_table_is_cut_short_and_the_table_drawn_at_once(
    ui: Dashboard, http: httpx.Client
) -> None:
    """A contact form's 1 MB name (XTRA copies it into the identity's ExternalKey) froze the tab
    once State was clicked, for minutes: laying out a long unbroken value in a table cell takes
    time growing with the square of its length (20,000 characters: 15 s). A field's long name
    (XTRA keeps the fields it does not know) the same."""
    name, field = "A" * 1_000_000, "F" * 5_000
    form = [{"EMail": "big@example.it", "Surname": "S", "Name": name, "WebReasonID": 13, field: 1}]
    answer = http.post(XTRA_IDENTITIES, params=CONTACT_FORM, headers=XTRA_KEYS, json=form)
    assert answer.status_code == 200
    ui.open("state")  # XTRA, the panel's first vendor
    identities = ui.page.locator('[data-tenant="demo"] [data-collection="identities"]')
    cut = identities.locator("tbody .clipped")  # the Name, then the ExternalKey
    expect(cut).to_have_text(["A" * 300 + "…", ("big@example.it_S_" + name)[:300] + "…"])
    whole = "characters; the download has it whole"
    expect(cut.first).to_have_attribute("title", f"1,000,000 {whole}")
    expect(cut.last).to_have_attribute("title", f"1,000,017 {whole}")
    heading = identities.locator("thead .clipped")
    expect(heading).to_have_text("F" * 300 + "…")
    expect(heading).to_have_attribute("title", f"5,000 {whole}")

    with ui.page.expect_download() as download:
        ui.page.click("#state-download")
    document = json.loads(download.value.path().read_text("utf-8"))
    (big,) = [i for i in document["tenants"]["demo"]["identities"].values() if i["Name"] == name]
    assert big[field] == 1


def test_a_field_named_like_what_every_object_has_shows_only_in_the_record_that_has_it(
    ui: Dashboard, http: httpx.Client
) -> None:
    """XTRA keeps the fields it does not know: one identity with a field "constructor" made
    every other row show "function Object() { [native code] }" in that column."""
    odd = {"constructor": "c", "toString": "t", "__proto__": "p"}
    form = [{"EMail": "odd@example.it", "Surname": "S", "Name": "N", "WebReasonID": 13, **odd}]
    answer = http.post(XTRA_IDENTITIES, params=CONTACT_FORM, headers=XTRA_KEYS, json=form)
    assert answer.status_code == 200
    ui.open("state")
    table = ui.page.locator('[data-tenant="demo"] [data-collection="identities"] table')
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)  # the new identity, then the demo account's
    columns = table.locator("thead th")
    expect(columns).to_contain_text(list(odd))
    headings = columns.all_inner_texts()
    for name, value in odd.items():
        at = headings.index(name)
        expect(rows.first.locator("th, td").nth(at)).to_have_text(value)
        expect(rows.last.locator("th, td").nth(at)).to_have_text("")


def test_an_unchanged_state_is_not_sent_to_the_page_again(ui: Dashboard) -> None:
    """The panel read the whole state every second: an XTRA state of six 3.6 MB documents
    nobody changed was 151 MB in 10 s, and slowed the fakes' own answers."""
    page = ui.page
    ui.open("state")
    page.select_option("#state-vendor", "quoparts")
    expect(page.locator("#state-tables")).to_contain_text("No tenant holds anything yet.")

    def unchanged(response: Response) -> bool:
        return "/__admin/state/quoparts?" in response.url and response.status == 304

    with page.expect_response(unchanged) as answer:  # a later round, asking if it changed
        pass
    assert answer.value.request.headers["if-none-match"] == answer.value.headers["etag"]
    customer = {"COD_CLI_ERP": "CLI001", "COD_CLI": "000001", "COD_USR": "M1", "COD_PWD": "x"}
    ui.server.put_state("quoparts", {"tenants": {"demo": {"customers": {"CLI001": customer}}}})
    expect(page.locator('[data-collection="customers"] tbody th')).to_have_text(["CLI001"])
    with page.expect_response(unchanged):
        pass
    expect(page.locator('[data-collection="customers"] tbody th')).to_have_text(["CLI001"])
    sent = [url for url in ui.requests if "/__admin/state/" in url]
    assert all("newest=100" in url for url in sent), sent  # never the whole state


def test_a_panel_link_followed_on_the_open_page_shows_that_panel(ui: Dashboard) -> None:
    """The page read its address's #panel once, when it loaded: a link to another panel, or
    Back, changed the address and left the panel as it was."""
    ui.open()
    page = ui.page
    expect(page.get_by_role("tabpanel", name="Journal")).to_be_visible()
    page.evaluate("location.hash = '#coverage'")  # as a link to ui#coverage does
    expect(page.get_by_role("tab", name="Coverage")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel", name="Coverage")).to_be_visible()
    expect(page.locator("#coverage-tables .vendor").first).to_be_visible()
    page.go_back()
    expect(page.get_by_role("tabpanel", name="Journal")).to_be_visible()


@pytest.mark.parametrize("name", ["constructor", "toString", "__proto__"])
def test_an_address_naming_no_panel_shows_the_journal_and_the_page_keeps_polling(
    ui: Dashboard, http: httpx.Client, name: str
) -> None:
    """A name every object has (#constructor) was taken for a panel: the page went blank and
    every round of its poll failed, "PANELS[tab].refresh is not a function"."""
    page = ui.open(name).page
    journal = page.get_by_role("tabpanel", name="Journal")
    expect(journal).to_be_visible()
    expect(page.get_by_role("tab", name="Journal")).to_have_attribute("aria-selected", "true")
    qp_login_answer(http)
    expect(ui.rows()).to_have_count(1)
    page.evaluate(f"location.hash = '#{name}'")  # followed on the open page
    qp_login_answer(http)
    expect(ui.rows()).to_have_count(2)  # a round after the change, answered
    expect(journal).to_be_visible()
