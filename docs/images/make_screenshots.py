"""The screenshots of docs/dashboard.md, taken again:
``.venv/bin/python docs/images/make_screenshots.py``.

A kit in this process, a connector's calls to each fake, then headless Chromium (the same set-up
as the browser tests, tests/browser.py) on each panel of ``/__admin/ui``. Not part of
``make test``: run it when the page changes and commit the PNGs beside this file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.browser, run from anywhere

from contracts import load_schema  # noqa: E402
from mockservers.testing import MockServer  # noqa: E402
from tests.browser import chromium  # noqa: E402

OUT = Path(__file__).resolve().parent
QP = "/quoparts/ws_quoparts.php"
SIZE = {"width": 1400, "height": 860}


def connector(http: httpx.Client, session: dict | None = None) -> None:
    """What a connector under test sends: a bit of everything, a few refusals among it."""
    qp = session["credentials"]["quoparts"] if session else {"username": "demo", "password": "demo"}
    token = http.get(QP, params={"login": "", **qp}).json()["data"][0]["TOKEN"]
    rows = [
        {"DES_NOM": "Officina Rossi S.r.l.", "COD_PTA_IVA": "01234567890", "COD_CLI_ERP": "C001"},
        {"DES_NOM": "Bianchi Ricambi S.p.A.", "COD_PTA_IVA": "09876543210", "COD_CLI_ERP": "C002"},
    ]
    http.post(QP, params={"importCli": "", "token": token}, json={"data": rows})
    quote = {
        "testata": {"COD_CLI_ERP": "C001", "COD_TGA": "AB123CD", "DES_VCL": "Fiat Panda"},
        "articoli": [{"DES_RGR": "Filtro olio", "COD_ART_PVT": "1883037"}],
    }
    http.post(QP, params={"importPvt": "", "token": token}, json={"data": quote})
    if session:
        return
    keys = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
    contact = [{"EMail": "anna@example.it", "Surname": "Verdi", "Name": "Anna", "WebReasonID": 13}]
    http.post(
        "/xtra/api/sync/v1/irs/update", params={"contactForm": "true"}, headers=keys, json=contact
    )
    record = load_schema("keepit/insertClient_v3.request")["examples"][0]
    record["subjectsRecords"][0]["subjects"]["customerCode"] = "12345"  # as in its mappings
    http.post(
        "/keepit/api",
        params={"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"},
        headers={"username": "demo", "password": "demo", "companyId": "1", "siteId": "1"},
        json=record,
    )
    bearer = http.post("/__admin/tsdigital/tokens", json={"kind": "user"}).json()["token"]
    http.post(
        "/tsdigital/api/v3/items",
        headers={"Authorization": f"Bearer {bearer}", "X-App-Name": "erp", "X-App-Version": "1"},
        json={"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}},
    )
    http.post("/__admin/faults", json={"vendor": "keepit", "kind": "status", "status": 503})
    http.post("/keepit/api", params={"cmd": "insertClient_v3"}, json=record)
    http.delete("/__admin/faults")
    http.post("/__admin/clock", json={"advance_seconds": 7200})
    http.post(QP, params={"importCli": "", "token": token}, json={"data": rows[:1]})
    http.get(QP, params={"login": "", "username": "demo", "password": "Wr0ng"})


def main() -> None:
    with MockServer() as server, httpx.Client(base_url=server.url) as http, chromium() as browser:
        connector(http)
        session = http.post("/__admin/sessions", json={"name": "ci-job-42"}).json()
        connector(http, session)
        http.post(
            "/__admin/faults",
            json={"vendor": "quoparts", "operation": "importCli", "kind": "latency",
                  "latency_ms": 1500, "times": 3},
        )  # fmt: skip
        page = browser.new_page(viewport=SIZE)
        page.goto(f"{server.url}/__admin/ui")
        page.locator("#entries tbody tr").nth(10).wait_for()
        refused = page.locator("#entries tbody tr").filter(has_text="importCli")
        refused.filter(has_text="101").first.click()  # the token the clock move expired
        page.locator("#entry-verdict").wait_for()
        page.screenshot(path=OUT / "dashboard-journal.png")

        page.click("#tabs button[data-tab=state]")
        page.select_option("#state-vendor", "quoparts")
        page.locator('[data-collection="quotes"] table').wait_for()
        page.screenshot(path=OUT / "dashboard-state.png")

        page.click("#tabs button[data-tab=controls]")
        page.locator("#sessions tbody tr").wait_for()
        page.locator("#faults tbody tr").wait_for()
        page.screenshot(path=OUT / "dashboard-controls.png")

        page.click("#tabs button[data-tab=coverage]")
        page.locator("#coverage-tables .vendor").first.wait_for()
        page.screenshot(path=OUT / "dashboard-coverage.png")
        page.close()

        # A kit with an admin token: the page asks for it.
        with MockServer({"kit": {"admin_token": "example-token"}}) as guarded:
            page = browser.new_page(viewport={"width": 1400, "height": 220})
            page.goto(f"{guarded.url}/__admin/ui")
            page.locator("#token-prompt").wait_for()
            page.screenshot(path=OUT / "dashboard-token.png")
    for name in sorted(OUT.glob("dashboard-*.png")):
        print(name.relative_to(ROOT))


if __name__ == "__main__":
    main()
