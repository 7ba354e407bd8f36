"""``mockservers proxy`` and web pages in a real browser (headless Chromium): a page of another
site that posts a form to the proxy reaches nothing upstream, and a vendor's page served through
the proxy runs no script on its origin (the admin API's). ``test_proxy_pages.py`` checks the
same rules call by call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockservers.proxy import create_proxy_app
from mockservers.testing import MockServer
from tests.browser import MISSING, chromium, chromium_path
from tests.proxying import QP, ROWS_ANSWER, WireUpstream, with_credentials

pytest.importorskip("playwright.sync_api", reason="the dev extra installs playwright")
if chromium_path() is None:
    pytest.skip(MISSING, allow_module_level=True)

from playwright.sync_api import Browser, Page, Route

OTHER_SITE = "http://evil.test"
FAULT = '{"vendor": "keepit", "kind": "status", "status": 500}'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_form_another_site_posts_to_the_proxy_reaches_nothing_upstream(page: Page) -> None:
    """A ``text/plain`` form needs no preflight: it reached the sandbox's importCli with the
    credentials of --upstream. Now it gets QuoParts' 403, journalled as the proxy's."""
    with WireUpstream(ROWS_ANSWER) as upstream:
        app = create_proxy_app({"quoparts": with_credentials(upstream)})
        with MockServer(app=app) as proxy:
            target = f"{proxy.url}{QP}?importCli=&token=x"
            form = (
                f'<form method="post" enctype="text/plain" action="{target}">'
                '<input name=\'{"data": [{"COD_CLI_ERP": "X", "x": "\' value=\'"}]}\'></form>'
                "<script>document.forms[0].submit()</script>"
            )

            def other_site(route: Route) -> None:
                route.fulfill(body=form, content_type="text/html")

            page.route(f"{OTHER_SITE}/**", other_site)
            with page.expect_response(lambda answer: answer.url == target) as answered:
                page.goto(f"{OTHER_SITE}/")
            (entry,) = proxy.requests()
    assert answered.value.status == 403
    assert answered.value.json()["errorCode"] == "403"
    assert upstream.received == []
    assert (entry["source"], entry["operation"]) == ("proxy", "importCli")
    assert entry["detail"].startswith(f"refused a page from {OTHER_SITE} ")


def test_a_vendor_s_page_runs_no_script_on_the_proxy_s_origin(page: Page) -> None:
    """A help page that reflects its query (the reviewer's: a link to it with a script in
    ``q``) added a fault through the admin API, as a page of the proxy's own origin."""
    script = (
        f"<script>document.title = 'ran'; fetch('/__admin/faults', "
        f"{{method: 'POST', body: '{FAULT}'}})</script>"
    )
    help_page = f"<title>help</title>{script}".encode()
    answer = b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: %d\r\n\r\n%s" % (
        len(help_page),
        help_page,
    )
    with WireUpstream(answer) as upstream:
        app = create_proxy_app({"quoparts": upstream.base_url("api")})
        with MockServer(app=app) as proxy:
            shown = page.goto(f"{proxy.url}/quoparts/help.html?q=x")
            assert shown is not None and shown.status == 200
            title = page.title()  # the page's own scripts have run once it has loaded
            faults = proxy.faults()
    assert title == "help"
    assert faults == []
