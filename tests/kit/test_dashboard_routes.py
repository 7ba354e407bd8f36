"""The dashboard's routes without a browser: what is served, with which headers, to whom.

The page itself is driven in a real browser by ``test_dashboard.py``.
"""

from __future__ import annotations

import json
import re

import httpx
import pytest

from mockservers import create_app
from mockservers.dashboard import CSP, assets
from mockservers.proxy import create_proxy_app
from mockservers.testing import SyncASGITransport

TOKEN = "Dash-S3cret-token"
ELSEWHERE = ("192.0.2.7", 50000)  # a documentation address: not loopback


def _client(config: dict | None = None, caller: tuple[str, int] = ("127.0.0.1", 5)) -> httpx.Client:
    transport = SyncASGITransport(create_app(config), client=caller)
    return httpx.Client(transport=transport, base_url="http://kit")


def test_the_page_and_its_files_are_served_with_a_strict_policy() -> None:
    with _client() as http:
        page = http.get("/__admin/ui")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.headers["content-security-policy"] == CSP
        assert "default-src 'self'" in CSP and "unsafe-inline" not in CSP
        for name in re.findall(r'(?:src|href)="ui/([^"]+)"', page.text):
            answer = http.get(f"/__admin/ui/{name}")
            assert answer.status_code == 200, name
            assert answer.headers["content-security-policy"] == CSP
            assert answer.headers["x-content-type-options"] == "nosniff"
        assert http.get("/__admin/ui/ui.js").headers["content-type"].startswith("text/javascript")
        assert http.get("/__admin/ui/ui.css").headers["content-type"].startswith("text/css")
        missing = http.get("/__admin/ui/nothing.js")
        assert missing.status_code == 404 and "error" in missing.json()
        typed = http.get("/__admin/ui/", follow_redirects=True)  # as people type it
        assert typed.url.path == "/__admin/ui" and typed.content == page.content


def test_the_page_holds_no_inline_script_and_names_no_other_host() -> None:
    with _client() as http:
        page = http.get("/__admin/ui").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.DOTALL)
    for attributes, body in scripts:
        # Either a file of the page, or the catalogue: data the CSP never runs.
        assert 'src="ui/' in attributes or 'type="application/json"' in attributes
        assert not body.strip() or 'type="application/json"' in attributes
    for text in [page, *(content.decode() for content, _ in assets().values())]:
        assert not re.search(r"(?:src|href|url)\s*[=(]\s*[\"']?(?:https?:)?//", text)


def test_the_catalogue_lists_each_vendor_with_its_operations_and_fault_kinds() -> None:
    with _client() as http:
        page = http.get("/__admin/ui").text
    block = re.search(r'<script type="application/json" id="catalogue">(.*?)</script>', page)
    assert block is not None
    catalogue = {vendor["name"]: vendor for vendor in json.loads(block.group(1))}
    assert list(catalogue) == ["xtra", "tsdigital", "keepit", "quoparts"]  # serve's order
    assert catalogue["quoparts"]["operations"] == ["login", "importCli", "importPvt"]
    assert "document_error" in catalogue["xtra"]["fault_kinds"]
    assert "status" in catalogue["keepit"]["fault_kinds"]
    # Each kind with the operations it reaches (the fault form offers no other).
    reached = catalogue["xtra"]["fault_operations"]
    assert set(reached) == set(catalogue["xtra"]["fault_kinds"])
    assert reached["record_error"] == reached["document_error"] == ["updateIdentities"]
    assert reached["status"] == ["login", "updateIdentities"]
    # Whether the vendor issues tokens: the page offers to expire only those.
    assert {name: vendor["tokens"] for name, vendor in catalogue.items()} == {
        "xtra": True,
        "tsdigital": True,
        "keepit": False,
        "quoparts": True,
    }


@pytest.mark.parametrize(
    ("config", "tenant"), [(None, "demo"), ({"default_tenant": "acme"}, "acme")]
)
def test_the_page_holds_the_tenant_a_token_minted_without_one_is_for(
    config: dict | None, tenant: str
) -> None:
    """The mint form's placeholder: the configured default, not a "demo" written in the page."""
    with _client({"tsdigital": config} if config else None) as http:
        page = http.get("/__admin/ui").text
        minted = http.post("/__admin/tsdigital/tokens", json={"kind": "user"}).json()
    block = re.search(r'<script type="application/json" id="defaults">(.*?)</script>', page)
    assert block is not None
    assert json.loads(block.group(1)) == {"mint_tenant": tenant} and minted["tenant"] == tenant


@pytest.mark.parametrize("path", ["/__admin/ui", "/__admin/ui/ui.js"])
def test_without_a_token_only_loopback_gets_the_page(path: str) -> None:
    with _client(caller=ELSEWHERE) as http:
        refused = http.get(path)
    assert refused.status_code == 403 and "loopback" in refused.json()["error"]


def test_without_a_token_the_page_is_refused_to_a_page_of_another_site() -> None:
    """As the admin API refuses it: a DNS-rebinding page names its own host (the page and its
    files answered any ``Host``), and another site's page sends its ``Origin``. The kit's own
    names, and a --cors-origin, are served; with a token the shell answers any caller."""
    rebound = {"Host": "evil.example:8000"}
    with _client({"kit": {"cors_origins": ["http://localhost:3000"]}}) as http:
        for path in ("/__admin/ui", "/__admin/ui/ui.js", "/__admin/ui/"):
            refused = http.get(path, headers=rebound)
            assert refused.status_code == 403, path
            assert "'evil.example:8000'" in refused.json()["error"]
        other_site = http.get("/__admin/ui/api.js", headers={"Origin": "http://evil.example"})
        assert other_site.status_code == 403
        assert "http://evil.example" in other_site.json()["error"]
        for headers in ({"Host": "localhost:8000"}, {"Host": "[::1]:8000"}, {}):
            assert http.get("/__admin/ui", headers=headers).status_code == 200
        cors = http.get("/__admin/ui/api.js", headers={"Origin": "http://localhost:3000"})
        assert cors.status_code == 200
    with _client({"kit": {"admin_token": TOKEN}}) as http:
        assert http.get("/__admin/ui", headers=rebound).status_code == 200


def test_the_page_is_refused_to_a_call_with_two_hosts_or_a_host_that_is_no_host_and_port() -> None:
    """Each passed: the rule read the last ``Host``, and the name before ``:`` of any."""
    two = [("Host", "evil.example:8000"), ("Host", "localhost:8000")]
    origins = [("Origin", "http://kit"), ("Origin", "http://evil.example")]
    with _client() as http:
        for headers in (two, [("Host", "localhost:1@evil.example")], origins):
            refused = http.get("/__admin/ui", headers=headers)
            assert refused.status_code == 403, headers
            assert "set --admin-token to allow it" in refused.json()["error"]


def test_with_a_token_anyone_gets_the_shell_but_no_data_without_the_token() -> None:
    with _client({"kit": {"admin_token": TOKEN}}, caller=ELSEWHERE) as http:
        assert http.get("/__admin/ui").status_code == 200
        assert http.get("/__admin/ui/api.js").status_code == 200
        assert http.get("/__admin/requests").status_code == 401
        answer = http.get("/__admin/requests", headers={"X-Admin-Token": TOKEN})
        assert answer.status_code == 200


def test_the_proxy_serves_the_dashboard_too() -> None:
    """``mockservers proxy``: the admin API and the dashboard work as for ``serve``."""
    app = create_proxy_app({"quoparts": "http://127.0.0.1:9"})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://kit") as http:
        page = http.get("/__admin/ui")
    assert page.status_code == 200 and page.headers["content-security-policy"] == CSP
