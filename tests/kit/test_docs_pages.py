"""The docs pages, ``/<vendor>/docs`` and ``/__admin/docs``: they show what the document says,
and a browser loading them asks nothing of any host but the server.

The pages are fetched from a running server (the ``mockserver`` fixture) by URL, so that a
browser test can load the very same URLs; ``outside_requests`` is the check without a browser.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

import contracts
from contracts import ADMIN
from mockservers.testing import MockServer

PAGES = {name: ("/__admin" if name == ADMIN else f"/{name}") for name in contracts.documents()}
# Elements that make a browser load something by themselves.
_LOADING = {
    "script",
    "link",
    "img",
    "iframe",
    "frame",
    "object",
    "embed",
    "video",
    "audio",
    "source",
    "track",
    "base",
    "form",
    "input",
    "meta",
}
_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*:)?//[^\s\"'<>()]+", re.IGNORECASE)
_UNFETCHED = re.compile(r"rediss?://", re.IGNORECASE)
"""URLs no browser fetches: a Redis store's, in the text of the admin API's 503 example."""
_CSS_FETCH = re.compile(r"url\(|@import", re.IGNORECASE)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def outside_requests(page: str, server: str) -> list[str]:
    """What in an HTML page would make a browser ask a host other than ``server``: an absolute
    or protocol-relative URL anywhere in it, an element that loads a resource (script, link,
    image, frame, form…) or an inline ``style`` attribute or sheet that fetches (url(),
    @import). The meta charset and viewport tags are the only loading-free exceptions."""
    found = [
        url
        for url in _URL.findall(page)
        if not url.startswith(server) and not _UNFETCHED.match(url)
    ]
    tags = _Tags()
    tags.feed(page)
    for tag, attrs in tags.elements:
        if tag == "meta" and set(attrs) <= {"charset", "name", "content"}:
            continue
        if tag in _LOADING:
            found.append(f"<{tag} {attrs}>")
        for name, value in attrs.items():
            if name.startswith("on") or name in ("src", "srcset", "action", "formaction"):
                found.append(f"<{tag} {name}={value!r}>")
            if name == "style" and value and _CSS_FETCH.search(value):
                found.append(f"<{tag} style={value!r}>")
    found += [css for css in tags.styles if _CSS_FETCH.search(css)]
    return found


def test_outside_requests_finds_what_a_browser_would_fetch() -> None:
    server = "http://127.0.0.1:1"
    assert outside_requests('<p><a href="#x">x</a> <a href="openapi.json">d</a></p>', server) == []
    assert (
        outside_requests("<pre>cannot reach Redis at redis://127.0.0.1:6379/0</pre>", server) == []
    )
    for page in (
        '<script src="/app.js"></script>',
        '<link rel="stylesheet" href="x.css">',
        '<a href="https://cdn.example/x">x</a>',
        "<p>//fonts.example/a.woff</p>",
        "<style>body{background:url(x.png)}</style>",
        '<p style="background:url(x.png)">x</p>',
        '<img alt="" src="data:,">',
    ):
        assert outside_requests(page, server), page


@pytest.mark.parametrize("name", list(PAGES))
def test_docs_page_shows_the_document_and_fetches_nothing_else(
    mockserver: MockServer, name: str
) -> None:
    response = httpx.get(f"{mockserver.url}{PAGES[name]}/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page = response.text
    assert outside_requests(page, mockserver.url) == []
    document = httpx.get(f"{mockserver.url}{PAGES[name]}/openapi.json").json()
    assert 'href="openapi.json"' in page
    for path, item in document["paths"].items():
        assert f"<code>{path}</code>" in page.replace("&#x27;", "'")
        for operation in item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                assert f'id="op-{operation["operationId"]}"' in page
    for scheme in document.get("components", {}).get("securitySchemes", {}):
        assert f"<code>{scheme}</code>" in page
    for schema in document["components"]["schemas"]:
        assert f'id="schema-{schema}"' in page
