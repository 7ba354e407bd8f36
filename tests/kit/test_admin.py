"""The admin API: reset, state round-trip, journal (masked, bounded), clock, faults, access."""

from __future__ import annotations

import re
import socket
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from contracts import contract, load_schema
from mockservers import create_app
from mockservers.admin import journal
from mockservers.core import journal_bounds, journal_shown
from mockservers.testing import MockServer, SyncASGITransport
from mockservers.vendors import VENDOR_CLASSES
from tests.conftest import QP, qp_call, qp_login
from tests.coverage_kit import GlobalScope, met_count


def _parse(instant: str) -> datetime:
    return datetime.fromisoformat(instant.replace("Z", "+00:00"))


ROW = {"DES_NOM": "Rossi", "COD_PTA_IVA": "123", "COD_CLI_ERP": "CLI001"}


def test_health_lists_the_vendors(http: httpx.Client) -> None:
    body = http.get("/__admin/health").json()
    assert body["status"] == "ok" and "quoparts" in body["vendors"]
    assert body["forwarded"] == []  # serve forwards nothing: every vendor is a fake's
    assert body["config_differs"] == []  # one process: its config is the kit's


def test_reset_clears_state_tokens_journal_faults_and_clock(http: httpx.Client) -> None:
    token = qp_login(http)
    qp_call(http, "importCli", token, {"data": [ROW]})
    start = http.get("/__admin/clock").json()["now"]
    http.post("/__admin/clock", json={"advance_seconds": 100})
    http.post("/__admin/faults", json={"vendor": "quoparts", "kind": "status", "status": 500})
    assert http.post("/__admin/reset", json={}).status_code == 200
    assert http.get("/__admin/state/quoparts").json() == {"tenants": {}}
    assert http.get("/__admin/requests").json() == []
    assert http.get("/__admin/faults").json() == []
    now = http.get("/__admin/clock").json()["now"]
    assert _parse(now) - _parse(start) < timedelta(seconds=50)  # the 100 s advance is undone
    assert qp_call(http, "importCli", token, {"data": []}).json()["errorCode"] == "101"


def test_reset_of_one_vendor(http: httpx.Client) -> None:
    qp_call(http, "importCli", qp_login(http), {"data": [ROW]})
    assert http.post("/__admin/reset", json={"vendor": "quoparts"}).json() == {
        "reset": ["quoparts"]
    }
    assert http.get("/__admin/state/quoparts").json() == {"tenants": {}}
    assert http.post("/__admin/reset", json={"vendor": "nope"}).status_code == 404


def test_state_get_put_round_trip_changes_nothing(http: httpx.Client) -> None:
    token = qp_login(http)
    qp_call(http, "importCli", token, {"data": [ROW, ROW | {"COD_CLI_ERP": "CLI002"}]})
    qp_call(
        http,
        "importPvt",
        token,
        {
            "data": {
                "testata": {"COD_CLI_ERP": "CLI002", "COD_TGA": "X", "DES_VCL": "Y"},
                "articoli": [{"DES_RGR": "a", "COD_ART_PVT": "b"}],
            }
        },
    )
    before = http.get("/__admin/state/quoparts").json()
    assert http.put("/__admin/state/quoparts", json=before).json() == before
    assert http.get("/__admin/state/quoparts").json() == before
    # sequences and indexes survive: the next customer continues the sequence, COD_CLI finds it
    after = qp_call(http, "importCli", token, {"data": [ROW | {"COD_CLI_ERP": "CLI003"}]}).json()
    assert after["data"][0]["COD_CLI"] == "000003"
    quote = {
        "data": {
            "testata": {"COD_CLI": "000002", "COD_TGA": "X", "DES_VCL": "Y"},
            "articoli": [{"DES_RGR": "a", "COD_ART_PVT": "b"}],
        }
    }
    assert qp_call(http, "importPvt", token, quote).json()["data"] == [{"COD_DOC": "000002"}]


@pytest.mark.parametrize("vendor", ["quoparts", "keepit", "xtra", "tsdigital"])
def test_a_fresh_kits_state_round_trip_changes_nothing(http: httpx.Client, vendor: str) -> None:
    """The fixtures too (XTRA's demo identity holds IRID 1: its sequence says so at once)."""
    before = http.get(f"/__admin/state/{vendor}").json()
    assert http.put(f"/__admin/state/{vendor}", json=before).status_code == 200
    assert http.get(f"/__admin/state/{vendor}").json() == before


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"tenants": []},
        {"tenants": {"demo": {"bogus": {}}}},
        {"tenants": {"demo": {"sequences": {"COD_CLI": "x"}}}},
    ],
)
def test_state_put_with_a_wrong_shape_is_400_and_changes_nothing(
    http: httpx.Client, document: object
) -> None:
    qp_call(http, "importCli", qp_login(http), {"data": [ROW]})
    before = http.get("/__admin/state/quoparts").json()
    response = http.put("/__admin/state/quoparts", json=document)
    assert response.status_code == 400 and "error" in response.json()
    assert http.get("/__admin/state/quoparts").json() == before


def _vendors_of(example: dict[str, Any]) -> list[str]:
    """The vendors a state example is for: those that keep every collection it names (the
    vendors' collections are their own); one naming none is for every vendor."""
    named = {name for tenant in example["tenants"].values() for name in tenant} - {"sequences"}
    return [v.name for v in VENDOR_CLASSES if named <= set(v.collections)]


STATE_EXAMPLES = [
    (vendor, example)
    for example in load_schema("admin/defs/state")["examples"]
    for vendor in _vendors_of(example)
]


@pytest.mark.parametrize(("vendor", "example"), STATE_EXAMPLES)
def test_every_example_of_the_state_contract_is_taken_by_its_vendor(
    http: httpx.Client, vendor: str, example: dict[str, Any]
) -> None:
    """The QuoParts example was refused (its customer had no COD_USR, COD_PWD) and set a
    sequence, ``customer``, no call ever read."""
    response = http.put(f"/__admin/state/{vendor}", json=example)
    assert response.status_code == 200, response.json()
    assert response.json() == example == http.get(f"/__admin/state/{vendor}").json()


def test_the_state_examples_reach_a_vendor_s_records() -> None:
    assert {vendor for vendor, example in STATE_EXAMPLES if example["tenants"]} == {"quoparts"}


@pytest.mark.parametrize("vendor", [v.name for v in VENDOR_CLASSES])
def test_a_sequence_the_vendor_does_not_use_is_400_naming_those_it_does(
    http: httpx.Client, vendor: str
) -> None:
    """It was kept and echoed back, and no call read it: nothing is ignored silently."""
    before = http.get(f"/__admin/state/{vendor}").json()
    document = {"tenants": {"t1": {"sequences": {"customer": 15}}}}
    response = http.put(f"/__admin/state/{vendor}", json=document)
    assert response.status_code == 400
    (known,) = [v.sequences for v in VENDOR_CLASSES if v.name == vendor]
    assert response.json()["error"] == (
        f"tenant 't1': unknown sequences ['customer'] ({vendor} keeps {', '.join(known)})"
    )
    assert http.get(f"/__admin/state/{vendor}").json() == before


@pytest.mark.parametrize(
    "document",
    [
        # a tenant's sequences one level up: dropped, and COD_CLI started again from 000001
        {"tenants": {"demo": {"customers": {}}}, "sequences": {"COD_CLI": 100}},
        # a tenant beside "tenants" instead of in it: the state wiped, the customer ignored
        {"tenants": {}, "demo": {"customers": {}}},
    ],
)
def test_a_key_beside_tenants_in_a_state_document_is_400_naming_it(
    http: httpx.Client, document: dict[str, Any]
) -> None:
    """Both were answered 200 and the key ignored: nothing is ignored silently."""
    qp_call(http, "importCli", qp_login(http), {"data": [ROW]})
    before = http.get("/__admin/state/quoparts").json()
    refused = http.put("/__admin/state/quoparts", json=document)
    (extra,) = set(document) - {"tenants"}
    assert refused.status_code == 400
    assert refused.json()["error"] == f"unknown keys [{extra!r}]; known: ['tenants', 'session']"
    assert http.get("/__admin/state/quoparts").json() == before
    # the body's session, as every admin call takes it, is no state
    taken = http.put("/__admin/state/quoparts", json={**before, "session": None})
    assert taken.status_code == 200 and taken.json() == before


def test_the_admin_page_lists_each_vendor_s_sequences() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "admin-api.md").read_text("utf-8")
    section = page.split("\n## Sequences\n", 1)[1].split("\n## ", 1)[0]
    listed = {}
    for line in section.splitlines():
        cells = line.split(" | ")
        if line.startswith("| `") and len(cells) == 2:
            listed[cells[0].strip("| `")] = re.findall(r"`([^`]+)`", cells[1])
    assert listed == {v.name: list(v.sequences) for v in VENDOR_CLASSES}


def test_journal_newest_first_with_secrets_masked(http: httpx.Client) -> None:
    token = qp_login(http)
    qp_call(http, "importCli", token, {"data": [ROW]})
    entries = http.get("/__admin/requests").json()
    assert [e["operation"] for e in entries] == ["importCli", "login"]
    login = entries[1]
    assert login["query"] == {"login": "", "username": "demo", "password": "***"}
    assert login["target"] == f"{QP}?login=&username=demo&password=***"
    assert login["response"]["data"][0]["TOKEN"] == "***"
    imported = entries[0]
    assert imported["query"]["token"] == "***"
    assert imported["response"]["data"][0]["COD_PWD"] == "***"
    assert imported["request"] == {"data": [ROW]}
    assert imported["status"] == 200 and imported["method"] == "POST"
    assert imported["path"] == QP and imported["duration_ms"] >= 0
    text = http.get("/__admin/requests").text
    assert token not in text and "password=demo" not in text


def test_a_secret_of_the_wrong_type_shows_in_no_diagnosis(http: httpx.Client) -> None:
    """The contract's message quotes the offending value: under a secret name, masked, in the
    detail header as in the journal (a password sent as a list or a number is still one)."""
    keys = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
    for password in (["hunter-22"], 98765432, {"v": "hunter-33"}):
        answer = http.post(
            "/xtra/api/sync/v1/login", headers=keys, json={"Username": "demo", "Password": password}
        )
        detail = answer.headers["x-mockservers-detail"]
        assert detail.startswith("body: Password: ") and "is not of type 'string'" in detail
        assert "hunter" not in detail and "98765432" not in detail
    text = http.get("/__admin/requests").text
    assert "hunter" not in text and "98765432" not in text


@pytest.mark.parametrize(
    "body",
    [
        b"Username=demo&Password=form-Secret-pw",  # a form, not JSON
        b'{"Username":"demo","Password":"cut-Secret-pw',  # broken mid-string
        b'{"Password":98765432',  # a number, broken
    ],
)
def test_a_secret_in_a_body_that_is_not_json_is_masked(http: httpx.Client, body: bytes) -> None:
    keys = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
    http.post("/xtra/api/sync/v1/login", headers=keys, content=body)
    (entry,) = http.get("/__admin/requests").json()
    assert "Secret" not in entry["request"] and "98765432" not in entry["request"]
    assert "***" in entry["request"]


def test_a_body_cut_to_fit_the_journal_is_masked_before_it_is_cut() -> None:
    """Cut, the JSON no longer parsed, and the file's contents showed in clear."""
    app = create_app({"kit": {"journal": {"max_bytes": 20_000}}})
    document = {"FIDDocumentType": 1, "FileBase64": "Q09ORklERU5USUFM" * 4000}
    record = {"ID": 1, "IdentityDocuments": [document]}
    keys = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        http.post("/xtra/api/sync/v1/irs/update", headers=keys, json=[record])
        (entry,) = http.get("/__admin/requests").json()
    shown = orjson.dumps(entry).decode()
    assert "Q09ORklERU5USUFM" not in shown and '"FileBase64":"***"' in shown


def test_journal_filters_limit_and_clear(http: httpx.Client) -> None:
    token = qp_login(http)
    for _ in range(3):
        qp_call(http, "importCli", token, {"data": []})
    assert len(http.get("/__admin/requests", params={"operation": "importCli"}).json()) == 3
    assert len(http.get("/__admin/requests", params={"vendor": "quoparts", "limit": 2}).json()) == 2
    assert http.get("/__admin/requests", params={"limit": "x"}).status_code == 400
    # leading zeros count for nothing, however many (they read as every entry past 18 digits)
    assert len(http.get("/__admin/requests", params={"limit": "0" * 18 + "2"}).json()) == 2
    assert http.get("/__admin/requests", params={"limit": "0" * 30}).json() == []
    # more digits than int() reads (4300): every entry, as any limit over the journal's size
    assert len(http.get("/__admin/requests", params={"limit": "1" * 5000}).json()) == 4
    http.delete("/__admin/requests")
    assert http.get("/__admin/requests").json() == []


def test_journal_list_without_bodies_gives_the_answers_codes_instead(
    http: httpx.Client,
) -> None:
    """A page that polls the list needs no bodies: 1.5 M characters of a request made every
    read of the list that much longer, every second."""
    http.get(QP, params={"login": "", "username": "demo", "password": "Wr0ng-pw"})  # 101
    keys = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
    http.post("/xtra/api/sync/v1/irs/update", headers=keys, json=[{"Name": "x" * 1_500_000}])
    full = http.get("/__admin/requests")
    brief = http.get("/__admin/requests", params={"bodies": "false"})
    assert len(full.content) > 1_500_000 and len(brief.content) < 5_000
    assert contract("admin/listRequests.response").check(brief.json()) == []
    assert [e["codes"] for e in brief.json()] == [["ER.IR.INVAL"], ["101"]]
    for shown, listed in zip(full.json(), brief.json(), strict=True):
        assert "request" not in listed and "response" not in listed
        assert {k: v for k, v in shown.items() if k not in ("request", "response")} == {
            k: v for k, v in listed.items() if k != "codes"
        }
    assert http.get("/__admin/requests", params={"bodies": "false"}).content == brief.content
    assert http.get("/__admin/requests", params={"bodies": "no"}).status_code == 400


def test_one_entry_without_bodies_is_as_the_list_shows_it(http: httpx.Client) -> None:
    """Whether the journal still holds a call (the dashboard's poll asks, for an open entry the
    filters leave out of the list) was a read of the whole entry: its bodies masked, its
    verdict judged and its curl line made anew, and all of it sent, every second."""
    keys = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
    http.post("/xtra/api/sync/v1/irs/update", headers=keys, json=[{"Name": "x" * 1_500_000}])
    (listed,) = http.get("/__admin/requests", params={"bodies": "false"}).json()
    path = f"/__admin/requests/{listed['id']}"
    brief = http.get(path, params={"bodies": "false"})
    assert brief.status_code == 200 and len(brief.content) < 5_000
    assert brief.json() == listed and brief.json()["codes"] == ["ER.IR.INVAL"]
    assert "curl" not in brief.json() and "request" not in brief.json()
    assert contract("admin/getRequest.response").check(brief.json()) == []
    whole = http.get(path, params={"bodies": "true"}).json()
    assert len(whole["request"][0]["Name"]) == 1_500_000 and whole["curl"]
    assert contract("admin/getRequest.response").check(whole) == []
    assert http.get(path, params={"bodies": "no"}).status_code == 400
    http.delete("/__admin/requests")
    gone = http.get(path, params={"bodies": "false"})
    assert gone.status_code == 404 and gone.json()["error"].startswith("no journal entry")


def test_journal_is_bounded_by_count_and_bytes() -> None:
    app = create_app({"kit": {"journal": {"max_entries": 5, "max_bytes": 10_000}}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        token = qp_login(http)
        for _ in range(20):
            qp_call(http, "importCli", token, {"data": []})
        assert len(http.get("/__admin/requests").json()) == 5
        qp_call(http, "importCli", token, {"data": [ROW | {"DES_NOM": "x" * 20_000}]})
        assert app.state.kit.journal.bytes <= 10_000
        newest = http.get("/__admin/requests", params={"limit": 1}).json()[0]
        assert newest["operation"] == "importCli"  # kept, its bodies cut to fit
        assert isinstance(newest["request"], str) and len(newest["request"]) < 10_000
        assert list(newest["cut"]) == ["request"] and newest["cut"]["request"] > 20_000


LOGIN = {"login": "", "username": "demo", "password": "demo"}


def test_a_journal_stays_within_its_bytes_under_calls_with_huge_headers() -> None:
    """uvicorn sets no limit on a header section: 50 calls of one 1 MiB header each held
    105 MB in a journal of 64 KiB, and its list without bodies was as long. An entry counts its
    header lines and its target, keeps the first lines up to 64 KiB (fewer to fit a small
    journal), and says how many the call sent."""
    config = {"kit": {"journal": {"max_bytes": 65_536}}}
    with MockServer(config) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        for _ in range(20):
            padded = http.get(QP, params=LOGIN, headers={"X-Pad": "p" * 1_048_576})
            assert padded.json()["errorCode"] == "0"  # answered as any login
        http.get(QP, params=LOGIN, headers=[("X-N", "1")] * 20_000)
        http.get(QP, params={**LOGIN, "q": "x" * 30_000})  # a long target counts too
        assert server.app.state.kit.journal.bytes <= 65_536
        listed = http.get("/__admin/requests", params={"bodies": "false"})
        assert len(listed.content) < 2 * 65_536  # the target shows as path, target and query
        target, many, pad = listed.json()[:3]
    sent = [name for name, _ in pad["header_lines"]]
    assert "x-pad" not in sent and "host" in sent and pad["cut"]["header_lines"] == len(sent) + 1
    assert many["cut"]["header_lines"] > 20_000 > len(many["header_lines"]) > 100
    assert target["cut"] is None and len(target["target"]) > 30_000


def test_an_entry_keeps_64_kib_of_header_lines_and_says_what_it_shows_in_part(
    http: httpx.Client,
) -> None:
    """100,000 tiny header lines held 11 times their size; in a journal with room to spare,
    an entry keeps the first ones up to 64 KiB (counted as in its size), and ``cut`` says so,
    as it says of a text body shown only by its start."""
    http.get(QP, params=LOGIN, headers=[("X-N", "1")] * 100_000)
    http.post("/xtra/api/sync/v1/login", content=b"not json " * 10_000)
    listed = http.get("/__admin/requests").json()
    assert contract("admin/listRequests.response").check(listed) == []
    text, tiny = listed
    kept = tiny["header_lines"]
    weight = sum(len(name) + len(value) + journal_bounds.HEADER_OVERHEAD for name, value in kept)
    assert journal_bounds.HEADERS_KEPT - 70 < weight <= journal_bounds.HEADERS_KEPT
    assert tiny["cut"] == {"header_lines": len(kept) + 100_000 - kept.count(["x-n", "1"])}
    assert text["request_format"] == "text" and len(text["request"]) == 64 * 1024
    assert text["cut"] == {"request": 90_000}


@pytest.mark.every_store
def test_journal_reads_render_each_entry_once(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Masking walks both bodies of an entry, and the dashboard reads the same entries every
    second: the list and ``verify`` render each entry once, and answer the same every time
    (on the Redis store too, which reads the journal back from Redis on every read)."""
    rendered: list[str] = []
    render = journal_shown.render
    monkeypatch.setattr(
        journal_shown, "render", lambda entry: rendered.append(entry.id) or render(entry)
    )
    token = qp_login(http)
    qp_call(http, "importCli", token, {"data": [ROW]})
    first = http.get("/__admin/requests")
    matcher = {"matcher": {"operation": "importCli"}, "count": 1}
    assert http.post("/__admin/requests/verify", json=matcher).json()["ok"] is True
    assert http.get("/__admin/requests").content == first.content
    assert first.headers["content-type"] == "application/json"
    assert [e["operation"] for e in first.json()] == ["importCli", "login"]
    assert sorted(rendered) == sorted(e["id"] for e in first.json())  # once each
    qp_call(http, "importCli", token, {"data": [ROW]})  # a new entry is read, the others kept
    assert [e["operation"] for e in http.get("/__admin/requests").json()] == [
        "importCli",
        "importCli",
        "login",
    ]
    assert len(rendered) == 3


def test_the_verdict_on_the_fakes_own_413_does_not_judge_the_body_it_never_read() -> None:
    """A body over the limit is refused unread and not kept: its verdict is null, as the
    proxy's 413 is (it said "not JSON: a zero-length document", blaming the connector for an
    empty body). A 413 a test asked for is judged as any answer."""
    app = create_app({"kit": {"max_body_bytes": 64}})
    update = "/xtra/api/sync/v1/irs/update"
    keys = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        assert http.post(update, headers=keys, content=b"[" + b" " * 100 + b"]").status_code == 413
        (entry,) = http.get("/__admin/requests").json()
        unread = http.get(f"/__admin/requests/{entry['id']}").json()
        # It says why: a reader (the dashboard) tells it from a call that is no operation.
        assert (unread["operation"], unread["verdict"], unread["body_unread"]) == (
            "updateIdentities",
            None,
            True,
        )
        fault = {"vendor": "xtra", "kind": "status", "status": 413, "times": 1}
        http.post("/__admin/faults", json=fault)
        assert http.post(update, headers=keys, json={"not": "a list"}).status_code == 413
        latest = http.get("/__admin/requests", params={"limit": 1}).json()[0]
        judged = http.get(f"/__admin/requests/{latest['id']}").json()
        verdict = judged["verdict"]
        assert verdict["response"] == [] and "is not of type 'array'" in verdict["request"][0]
        assert judged["body_unread"] is False


@pytest.mark.parametrize(
    ("method", "path", "request_verdict"),
    [
        ("GET", f"{QP}?login=&username=demo&password=demo", []),
        ("POST", "/xtra/api/sync/v1/irs/update", ["xtra/updateIdentities.request: not JSON"]),
    ],
    ids=["quoparts-login", "xtra-empty-body"],
)
def test_a_413_status_fault_on_a_call_without_a_body_is_judged(
    http: httpx.Client, method: str, path: str, request_verdict: list[str]
) -> None:
    """Only the fake's own over-limit 413 goes unjudged: a 413 fault on a call that sent no
    body was taken for one (its kept body is empty too) and lost its verdict (here: a login
    that meets its contracts, an XTRA call that sent no JSON at all)."""
    fault = {"vendor": path.split("/")[1], "kind": "status", "status": 413, "times": 1}
    assert http.post("/__admin/faults", json=fault).status_code == 201
    keys = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
    assert http.request(method, path, headers=keys).status_code == 413
    latest = http.get("/__admin/requests", params={"limit": 1}).json()[0]
    verdict = http.get(f"/__admin/requests/{latest['id']}").json()["verdict"]
    assert verdict is not None
    assert [message.partition(" (")[0] for message in verdict["request"]] == request_verdict
    assert verdict["response"] == []


def test_clock_get_and_advance(http: httpx.Client) -> None:
    before = http.get("/__admin/clock").json()["now"]
    after = http.post("/__admin/clock", json={"advance_seconds": 86400}).json()["now"]
    assert after[:10] > before[:10]
    assert http.post("/__admin/clock", json={"advance_seconds": -1}).status_code == 400
    assert http.post("/__admin/clock", json={}).status_code == 400


def test_the_clock_stops_where_tokens_and_delays_still_fit_before_9999() -> None:
    """A clock moved near the year 9999 made XTRA's login and TS Digital's items answer 500
    (their expiry dates cannot be written): it moves at most to 9000-01-01, as the contract
    of the move says (it said the year 9999)."""
    app = create_app({"kit": {"clock": {"start": "8950-01-01T00:00:00Z", "frozen": True}}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        century = {"advance_seconds": 100 * 365 * 86400}
        refused = http.post("/__admin/clock", json=century)
        assert refused.status_code == 400 and "9000-01-01" in refused.json()["error"]
        described = load_schema("admin/advanceClock.request")["description"]
        assert "not past 9000-01-01 (400)" in described
        keys = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
        login = http.post(
            "/xtra/api/sync/v1/login", headers=keys, json={"Username": "demo", "Password": "demo"}
        )
        assert login.status_code == 200


def test_frozen_clock_from_config_only_moves_when_advanced() -> None:
    app = create_app({"kit": {"clock": {"start": "2025-01-01T00:00:00Z", "frozen": True}}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        assert http.get("/__admin/clock").json() == {"now": "2025-01-01T00:00:00Z"}
        assert http.post("/__admin/clock", json={"advance_seconds": 90}).json() == {
            "now": "2025-01-01T00:01:30Z"
        }


def test_a_running_clock_reads_the_wall_and_a_reset_never_takes_it_behind() -> None:
    """A start with no configured instant was cut to the second: the clock read up to a second
    behind the wall, and a reset at a larger fraction of its second took it back (the
    ``mockserver`` fixture resets before every test). A frozen clock keeps its whole second."""
    wall = [1_735_689_600.1]
    app = create_app(wall=lambda: wall[0])
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        assert http.get("/__admin/clock").json() == {"now": "2025-01-01T00:00:00.100000Z"}
        wall[0] += 5.8
        assert http.get("/__admin/clock").json() == {"now": "2025-01-01T00:00:05.900000Z"}
        assert http.post("/__admin/reset", json={}).status_code == 200
        assert http.get("/__admin/clock").json() == {"now": "2025-01-01T00:00:05.900000Z"}
        http.post("/__admin/clock", json={"advance_seconds": 60})
        wall[0] += 0.05
        assert http.post("/__admin/reset", json={}).status_code == 200
        assert http.get("/__admin/clock").json() == {"now": "2025-01-01T00:00:05.950000Z"}
    frozen = create_app({"kit": {"clock": {"frozen": True}}}, wall=lambda: wall[0])
    with httpx.Client(transport=SyncASGITransport(frozen), base_url="http://t") as http:
        assert http.get("/__admin/clock").json() == {"now": "2025-01-01T00:00:05Z"}


def test_the_journal_and_a_session_write_their_instants_as_the_clock_does() -> None:
    """Microseconds, and ``Z`` for UTC: an entry's time reads as the clock's ``now`` at the
    call, a session's expiry (on the wall's time) the same way."""
    config = {"kit": {"clock": {"start": "2025-01-01T00:00:00Z", "frozen": True}}}
    app = create_app(config, wall=lambda: 1735689600.25)
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        now = http.post("/__admin/clock", json={"advance_seconds": 0.000125}).json()["now"]
        assert now == "2025-01-01T00:00:00.000125Z"
        qp_login(http)
        assert http.get("/__admin/requests").json()[0]["time"] == now
        session = http.post("/__admin/sessions", json={"ttl_seconds": 60}).json()
        assert session["expires_at"] == "2025-01-01T00:01:00.250000Z"


# -- faults --------------------------------------------------------------------------------------
def test_status_fault_renders_the_vendors_body_and_honours_times(http: httpx.Client) -> None:
    token = qp_login(http)
    fault = http.post(
        "/__admin/faults",
        json={
            "vendor": "quoparts",
            "operation": "importCli",
            "kind": "status",
            "status": 502,
            "times": 2,
        },
    )
    assert fault.status_code == 201 and fault.json()["id"]
    for _ in range(2):
        response = qp_call(http, "importCli", token, {"data": [ROW]})
        assert response.status_code == 502
        assert response.json() == {"errorCode": "502", "error": "Bad Gateway", "data": []}
    assert qp_call(http, "importCli", token, {"data": [ROW]}).status_code == 200
    assert http.get("/__admin/faults").json() == []
    assert http.get("/__admin/state/quoparts").json()["tenants"]["demo"]["customers"].keys() == {
        "CLI001"
    }


def test_fault_without_operation_hits_every_operation(http: httpx.Client) -> None:
    http.post("/__admin/faults", json={"vendor": "quoparts", "kind": "status", "status": 500})
    response = http.get(QP, params={"login": "", "username": "demo", "password": "demo"})
    assert response.status_code == 500 and response.json()["errorCode"] == "500"
    http.delete("/__admin/faults")
    assert qp_login(http)


def test_malformed_fault_truncates_the_body(http: httpx.Client) -> None:
    """Cut in half, and the journal says why; the login the connector never read is no
    situation met (coverage counted quoparts.login_ok, which no connector had seen)."""
    http.post(
        "/__admin/faults",
        json={"vendor": "quoparts", "operation": "login", "kind": "malformed", "times": 1},
    )
    response = http.get(QP, params={"login": "", "username": "demo", "password": "demo"})
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert "injected malformed fault" in response.headers["X-Mockservers-Detail"]
    (entry,) = http.get("/__admin/requests").json()
    assert "injected malformed fault" in entry["detail"] and entry["behaviours"] == []
    assert met_count(GlobalScope(http), "quoparts", "quoparts.login_ok") == 0


def test_latency_fault_delays_the_answer(http: httpx.Client) -> None:
    http.post(
        "/__admin/faults",
        json={"vendor": "quoparts", "kind": "latency", "latency_ms": 30, "times": 1},
    )
    qp_login(http)
    (entry,) = http.get("/__admin/requests").json()
    assert entry["duration_ms"] >= 30


def test_probability_is_deterministic_per_seed() -> None:
    def outcomes() -> list[int]:
        app = create_app({"kit": {"seed": 7}})
        with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
            http.post(
                "/__admin/faults",
                json={"vendor": "quoparts", "kind": "status", "status": 503, "probability": 0.5},
            )
            return [http.get(QP, params={"login": ""}).status_code for _ in range(20)]

    first = outcomes()
    assert first == outcomes()
    assert {200, 503} == set(first)


@pytest.mark.parametrize(
    "spec",
    [
        {"vendor": "nope", "kind": "status", "status": 500},
        {"vendor": "quoparts", "kind": "explode"},
        {"vendor": "quoparts", "kind": "status"},
        {"vendor": "quoparts", "kind": "status", "status": 500, "operation": "deleteAll"},
        {"vendor": "quoparts", "kind": "latency"},
        {"vendor": "quoparts", "kind": "drop", "probability": 2},
        ["not", "an", "object"],
        # answers without a body: the vendor's error body would break the connection
        {"vendor": "keepit", "kind": "status", "status": 204},
        {"vendor": "keepit", "kind": "status", "status": 304},
        {"vendor": "keepit", "kind": "status", "status": 101},
        # misspelt: a fault meant for one call would hit every call, forever
        {"vendor": "quoparts", "opration": "importPvt", "kind": "status", "status": 500},
        {"vendor": "quoparts", "kind": "status", "status": 500, "time": 1},
        {"vendor": ["quoparts"], "kind": "drop"},  # was a 500 (asked of a set)
        {"vendor": {}, "kind": "drop"},
    ],
)
def test_bad_fault_specs_are_400(http: httpx.Client, spec: object) -> None:
    response = http.post("/__admin/faults", json=spec)
    assert response.status_code == 400 and response.json()["error"]


@pytest.mark.parametrize(
    ("vendor", "status"), [("tsdigital", 202), ("xtra", 200), ("keepit", 301), ("quoparts", 399)]
)
def test_a_status_fault_takes_only_an_error_status(
    http: httpx.Client, vendor: str, status: int
) -> None:
    """A success or a redirect in the vendor's error body is no answer the vendor gives (TS
    Digital's 202 is its success, and came without an id): refused, naming the range."""
    fault = {"vendor": vendor, "kind": "status", "status": status}
    refused = http.post("/__admin/faults", json=fault)
    assert refused.status_code == 400
    assert refused.json()["error"] == "'status' must be a whole number from 400 to 599"
    assert http.get("/__admin/faults").json() == []
    for edge in (400, 599):
        assert http.post("/__admin/faults", json=fault | {"status": edge}).status_code == 201


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        (
            {"vendor": "quoparts", "kind": "status", "status": 500, "latency_ms": 5000},
            "kind 'status' does not use 'latency_ms': it would be ignored",
        ),
        (
            {"vendor": "quoparts", "kind": "drop", "reason": "x"},
            "kind 'drop' does not use 'reason': it would be ignored",
        ),
        (
            {"vendor": "keepit", "kind": "latency", "latency_ms": 10, "status": 500},
            "kind 'latency' does not use 'status': it would be ignored",
        ),
        (
            {"vendor": "xtra", "kind": "malformed", "status": 500, "reason": "x"},
            "kind 'malformed' does not use 'status' or 'reason': it would be ignored",
        ),
        (
            {"vendor": "xtra", "kind": "document_error", "latency_ms": 0},
            "kind 'document_error' does not use 'latency_ms': it would be ignored",
        ),
        (
            {"vendor": "xtra", "operation": "login", "kind": "document_error"},
            "kind 'document_error' never reaches 'login': it applies to ['updateIdentities'] only",
        ),
        (
            {"vendor": "xtra", "operation": "login", "kind": "record_error", "times": 1},
            "kind 'record_error' never reaches 'login': it applies to ['updateIdentities'] only",
        ),
    ],
)
def test_a_fault_that_cannot_do_what_it_says_is_refused(
    http: httpx.Client, spec: dict[str, Any], why: str
) -> None:
    """Nothing is ignored silently: a field its kind does not read (a 500 sent at once, its
    latency dropped) or an operation its kind never reaches (a login has no records) is a 400
    saying why, as the admin contract says too."""
    refused = http.post("/__admin/faults", json=spec)
    assert (refused.status_code, refused.json()) == (400, {"error": why})
    assert http.get("/__admin/faults").json() == []
    assert contract("admin/addFault.request").check(spec) != []


@pytest.mark.parametrize(
    ("vendor", "operation", "its_own"),
    [
        ("keepit", "login", ["insertClient_v3"]),
        ("tsdigital", "login", ["createItem"]),
        ("xtra", "importCli", ["login", "updateIdentities"]),
        ("quoparts", "updateIdentities", ["login", "importCli", "importPvt"]),
    ],
)
def test_a_fault_for_another_vendor_s_operation_names_the_operation(
    http: httpx.Client, vendor: str, operation: str, its_own: list[str]
) -> None:
    """The API and its contract both say the operation is not the vendor's: the contract
    said ``vendor: 'quoparts' was expected`` of a KeepIT ``login`` (QuoParts's branch, the
    first written, breaks one rule too: its vendor)."""
    spec = {"vendor": vendor, "operation": operation, "kind": "drop"}
    refused = http.post("/__admin/faults", json=spec)
    assert refused.status_code == 400
    assert refused.json()["error"] == f"unknown operation {operation!r}; one of {sorted(its_own)}"
    (explained,) = contract("admin/addFault.request").check(spec)
    assert (explained.pointer, explained.expected) == ("operation", [*its_own, None])


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        (
            {"vendor": "keepit", "status": 500, "times": 1},
            "'kind' is required; one of ['drop', 'latency', 'malformed', 'status']",
        ),
        (
            {"vendor": "xtra", "kind": None},
            "'kind' is required; one of ['document_error', 'drop', 'latency', 'malformed',"
            " 'record_error', 'status']",
        ),
        (
            {"kind": "drop"},
            "'vendor' is required; one of ['keepit', 'quoparts', 'tsdigital', 'xtra']",
        ),
    ],
)
def test_a_fault_without_its_vendor_or_kind_says_it_is_required(
    http: httpx.Client, spec: dict[str, Any], why: str
) -> None:
    """A missing kind read "unknown kind None", as though one named None had been asked."""
    refused = http.post("/__admin/faults", json=spec)
    assert (refused.status_code, refused.json()) == (400, {"error": why})
    assert contract("admin/addFault.request").check(spec) != []


@pytest.mark.parametrize(
    "spec",
    [
        {"vendor": "quoparts", "kind": "drop", "status": None, "latency_ms": None, "reason": None},
        {"vendor": "xtra", "operation": "updateIdentities", "kind": "record_error", "times": 2},
        {"vendor": "xtra", "operation": "login", "kind": "status", "status": 503},
        {"vendor": "xtra", "kind": "document_error"},
        {"vendor": "tsdigital", "kind": "processing_failure", "reason": "no", "probability": 0.5},
    ],
)
def test_a_fault_with_only_the_fields_its_kind_reads_is_taken(
    http: httpx.Client, spec: dict[str, Any]
) -> None:
    """The API and its contract take the same faults (a null field is an absent one)."""
    assert http.post("/__admin/faults", json=spec).status_code == 201
    assert contract("admin/addFault.request").check(spec) == []


def test_drop_fault_closes_the_connection_over_a_socket(mockserver: MockServer) -> None:
    fault = mockserver.fault(vendor="quoparts", operation="login", kind="drop", times=1)
    login = {"login": "", "username": "demo", "password": "demo"}
    with httpx.Client(base_url=mockserver.url) as http:
        with http.stream("GET", QP, params=login) as cut, pytest.raises(httpx.TransportError):
            cut.read()
        whole = http.get(QP, params=login)  # the answer the drop cut off, as it comes whole
        assert whole.json()["errorCode"] == "0"
        # The journal says the connector got no answer (it showed a successful login, with a
        # body never sent), and the login it never saw is no situation met.
        dropped = http.get("/__admin/requests", params={"limit": 2}).json()[-1]
        judged = http.get(f"/__admin/requests/{dropped['id']}").json()
    assert f"an injected drop fault, {fault}" in dropped["detail"]
    assert dropped["behaviours"] == []
    # What went out, and only that: the status line and headers (the whole body's length
    # promised), no body.
    sent = {k: v for k, v in cut.headers.items() if k != "server"}  # uvicorn's own
    assert cut.status_code == dropped["status"] == 200
    assert sent == dropped["response_headers"]
    assert sent["content-length"] == whole.headers["content-length"]
    assert sent["x-mockservers-detail"] == dropped["detail"]
    assert (dropped["response"], dropped["response_format"]) == (None, None)
    # The request is judged (it went whole); the answer is none, not an empty body.
    assert judged["verdict"] == {"request": [], "response": [journal.NO_ANSWER]}


# -- access ---------------------------------------------------------------------------------------
def test_admin_refuses_non_loopback_callers(app: object) -> None:
    transport = SyncASGITransport(app, client=("192.0.2.10", 40000))
    with httpx.Client(transport=transport, base_url="http://t") as http:
        assert http.get("/__admin/health").status_code == 403
        assert (
            http.get(QP, params={"login": "", "username": "demo", "password": "demo"}).status_code
            == 200
        )


def test_admin_token_is_required_when_configured() -> None:
    app = create_app({"kit": {"admin_token": "s3cret"}})
    transport = SyncASGITransport(app, client=("192.0.2.10", 40000))
    with httpx.Client(transport=transport, base_url="http://t") as http:
        assert http.get("/__admin/health").status_code == 401
        ok = http.get("/__admin/health", headers={"X-Admin-Token": "s3cret"})
        assert ok.status_code == 200


def test_admin_answers_are_never_cached_nor_sniffed() -> None:
    """An admin answer may hold a session's passwords, a minted token or the state: no cache
    may keep it, and no browser may read its JSON as a page; refusals too. A vendor's answer
    is the vendor's, and stays as it was."""
    with MockServer() as server, httpx.Client(base_url=server.url, timeout=10) as http:
        answers = [
            http.post("/__admin/sessions", json={}),  # the session's credentials
            http.post("/__admin/tsdigital/tokens", json={"kind": "user"}),  # a minted token
            http.get("/__admin/state/quoparts"),
            http.get("/__admin/requests"),  # the journal, made by hand
            http.get("/__admin/requests", params={"limit": "x"}),  # a refusal
            http.get("/__admin/sessions/nope"),
        ]
        vendor = http.get(QP, params={"login": "", "username": "demo", "password": "demo"})
    for answer in answers:
        assert answer.headers.get_list("cache-control") == ["no-store"], answer.request.url
        assert answer.headers.get_list("x-content-type-options") == ["nosniff"]
    assert [a.status_code for a in answers] == [201, 200, 200, 200, 400, 404]
    assert "cache-control" not in vendor.headers and "x-content-type-options" not in vendor.headers
    app = create_app({"kit": {"admin_token": "s3cret"}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        refused = http.get("/__admin/health")
    assert refused.status_code == 401 and refused.headers["cache-control"] == "no-store"


FAULT = {"vendor": "quoparts", "kind": "status", "status": 500}


def test_a_web_page_from_another_site_cannot_drive_the_admin_api() -> None:
    """Without an admin token the admin API trusts loopback callers, and a browser on this
    machine is one: a page's cross-site post (``text/plain`` needs no preflight) and a DNS
    rebinding read (the page's own host name, resolved to 127.0.0.1) are refused; the kit's
    own pages, a configured CORS origin and plain clients are not."""
    app = create_app({"kit": {"cors_origins": ["http://localhost:3000"]}})
    base = "http://127.0.0.1:8000"
    with httpx.Client(transport=SyncASGITransport(app), base_url=base) as http:
        cross_site = http.post(
            "/__admin/faults",
            content=orjson.dumps(FAULT),
            headers={"Origin": "http://evil.example", "Content-Type": "text/plain"},
        )
        assert cross_site.status_code == 403
        assert "a page from http://evil.example" in cross_site.json()["error"]
        rebound = http.get("/__admin/requests", headers={"Host": "evil.example:8000"})
        assert rebound.status_code == 403 and "'evil.example:8000'" in rebound.json()["error"]
        assert http.get("/__admin/faults").json() == []  # nothing was set
        for origin in (base, "http://localhost:3000"):  # the dashboard's own, a CORS origin
            allowed = http.post("/__admin/faults", json=FAULT, headers={"Origin": origin})
            assert allowed.status_code == 201
        this_machine = ("localhost.:8000", "0.0.0.0:8000", f"{socket.gethostname()}:8000")
        for host in ("localhost:8000", "[::1]:8000", "127.0.0.1", *this_machine):
            assert http.get("/__admin/health", headers={"Host": host}).status_code == 200
        rebound = http.get("/__admin/health", headers={"Host": "evil.example.:8000"})
        assert rebound.status_code == 403  # a fully qualified name of another site's
    app = create_app({"kit": {"admin_token": "s3cret"}})  # the token is the authority then
    with httpx.Client(transport=SyncASGITransport(app), base_url=base) as http:
        headers = {"Origin": "http://evil.example", "X-Admin-Token": "s3cret"}
        assert http.get("/__admin/health", headers=headers).status_code == 200


TWO_HOSTS = [("Host", "evil.example"), ("Host", "127.0.0.1")]
"""A page's own ``Host`` and a loopback one: the check read the last, and passed."""
NOT_HOST_PORT = [("Host", "127.0.0.1:1@evil.example")]
"""``host:port`` read as ``127.0.0.1``, a URL built from it as ``evil.example``'s."""
TWO_ORIGINS = [("Origin", "http://127.0.0.1:8000"), ("Origin", "http://evil.example")]


def test_a_call_with_two_hosts_two_origins_or_a_host_that_is_no_host_and_port_is_refused() -> None:
    """Each passed the loopback rule, which read one of them; RFC 9112 allows one ``Host``.
    A port in digits and an IPv6 address in brackets still pass."""
    app = create_app()
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://127.0.0.1:8000") as http:
        for headers, said in [
            (TWO_HOSTS, "a call with 2 Host headers"),
            (NOT_HOST_PORT, "a call for host '127.0.0.1:1@evil.example'"),
            ([("Host", "127.0.0.1:80a")], "a call for host '127.0.0.1:80a'"),
            (TWO_ORIGINS, "a call with 2 Origin headers"),
        ]:
            refused = http.post("/__admin/faults", json=FAULT, headers=headers)
            assert refused.status_code == 403, headers
            error = refused.json()["error"]
            assert error.startswith(f"refused {said}") and error.endswith(
                "--admin-token to allow it"
            )
        assert http.get("/__admin/faults").json() == []  # nothing was set
        for host in ("127.0.0.1:8000", "[::1]:8000", "[::1]", "localhost"):
            assert http.get("/__admin/health", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/__admin/clock", {"advance_seconds": 1, "advance": 2}),
        ("/__admin/sessions", {"ttl": 60}),
        ("/__admin/reset", {"vendors": "quoparts"}),
        ("/__admin/tsdigital/tokens", {"kind": "user", "grant": ["special"]}),
        ("/__admin/requests/verify", {"matcher": {}, "exactly": 1}),
        ("/__admin/quoparts/tokens/expire", {"sesion": "0123456789ab"}),  # the global ones went
    ],
)
def test_a_misspelt_key_in_an_admin_body_is_named_not_ignored(
    http: httpx.Client, path: str, body: dict[str, object]
) -> None:
    refused = http.post(path, json=body)
    assert refused.status_code == 400 and "unknown keys" in refused.json()["error"]


def _never_cached_nor_sniffed(answer: httpx.Response) -> None:
    where = f"{answer.request.method} {answer.request.url.path}"
    assert answer.headers.get_list("cache-control") == ["no-store"], where
    assert answer.headers.get_list("x-content-type-options") == ["nosniff"], where


def test_unknown_admin_paths_are_json_404(http: httpx.Client) -> None:
    """Never cached nor sniffed, as every admin answer (the 404 and the 405 were not)."""
    response = http.get("/__admin/nope")
    assert response.status_code == 404 and response.json() == {"error": "Not Found"}
    _never_cached_nor_sniffed(response)


def test_a_method_an_admin_path_does_not_answer_is_its_405_never_a_404(http: httpx.Client) -> None:
    """Every documented admin path, with every method it does not answer: 405, its methods in
    ``Allow``, the admin API's JSON error (``GET /__admin/requests/count`` was taken for the
    journal entry "count": a 404)."""
    document = http.get("/__admin/openapi.json").json()
    filled = {"vendor": "quoparts", "entry_id": "1", "session_id": "abc", "asset": "ui.js"}
    for path, item in document["paths"].items():
        answered = {method.upper() for method in item if method != "parameters"}
        allowed = answered | ({"HEAD"} if "GET" in answered else set())
        for method in {"GET", "POST", "PUT", "DELETE", "PATCH"} - answered:
            refused = http.request(method, "/__admin" + path.format(**filled))
            where = f"{method} {path}"
            assert refused.status_code == 405, where
            assert refused.headers["allow"] == ", ".join(sorted(allowed)), where
            assert refused.json() == {"error": "Method Not Allowed"}, where
            _never_cached_nor_sniffed(refused)


LIMITS = {"kit": {"max_body_bytes": 1000, "max_state_bytes": 100_000}}


def test_every_admin_body_is_held_to_its_limit_with_a_declared_413() -> None:
    """A state load to ``max_state_bytes``, any other admin body to ``max_body_bytes``: over
    it, a 413 in the admin API's error shape, which its document declares."""
    app = create_app(LIMITS)
    filled = {"vendor": "quoparts", "entry_id": "1", "session_id": "abc", "asset": "ui.js"}
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        document = http.get("/__admin/openapi.json").json()
        for path, item in document["paths"].items():
            for method, operation in item.items():
                if method == "parameters" or "requestBody" not in operation:
                    continue
                limit = 100_000 if path == "/state/{vendor}" else 1000
                over = b'{"name": "' + b"x" * limit + b'"}'
                refused = http.request(method, "/__admin" + path.format(**filled), content=over)
                where = f"{method.upper()} {path}"
                assert refused.status_code == 413, where
                assert refused.json() == {
                    "error": f"the body is larger than {limit} bytes ([kit] max_"
                    + ("state_bytes)" if limit == 100_000 else "body_bytes)")
                }, where
                assert "413" in operation["responses"], where


def test_a_state_load_may_be_larger_than_any_vendor_call() -> None:
    """Fixtures beyond ``max_body_bytes`` load (a seeded state is far larger than a call);
    beyond ``max_state_bytes`` nothing changes."""
    app = create_app(LIMITS)
    customers = {
        f"C{n:05}": {
            **{"COD_CLI_ERP": f"C{n:05}", "COD_CLI": f"{n:06}", "DES_NOM": "Rossi"},
            **{"COD_USR": f"u{n}", "COD_PWD": "p"},
        }
        for n in range(1, 41)
    }
    document = {"tenants": {"demo": {"customers": customers}}}
    assert len(orjson.dumps(document)) > 1000
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        loaded = http.put("/__admin/state/quoparts", json=document)
        assert loaded.status_code == 200, loaded.json()
        assert len(loaded.json()["tenants"]["demo"]["customers"]) == 40
        before = http.get("/__admin/state/quoparts").json()
        many = {"tenants": {"demo": {"customers": customers, "padding": "x" * 100_000}}}
        assert http.put("/__admin/state/quoparts", json=many).status_code == 413
        assert http.get("/__admin/state/quoparts").json() == before


@pytest.mark.parametrize("body", [b"12", b'"text"', b"true", b"[]", b'["a"]', b"1e400", b"null"])
def test_a_body_that_is_no_object_is_a_400_on_every_admin_call(
    http: httpx.Client, body: bytes
) -> None:
    filled = {"vendor": "quoparts", "entry_id": "1", "session_id": "abc", "asset": "ui.js"}
    document = http.get("/__admin/openapi.json").json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or "requestBody" not in operation:
                continue
            refused = http.request(method, "/__admin" + path.format(**filled), content=body)
            assert refused.status_code == 400, f"{method.upper()} {path}"
            assert set(refused.json()) == {"error"}, f"{method.upper()} {path}"


def test_an_admin_call_without_a_body_refuses_one_and_changes_nothing(http: httpx.Client) -> None:
    """A call whose document gives it no body never read one: ``DELETE /__admin/requests`` with
    ``{"session": S}`` cleared the global journal, ``DELETE /__admin/faults`` the global faults,
    and the reads answered for the whole kit (an unknown session too). Each refuses a body
    with a 400 that says where its session goes, its document saying so; a blank body is
    none."""
    session = http.post("/__admin/sessions", json={}).json()["id"]
    qp_login(http)
    http.post("/__admin/faults", json=FAULT)
    before = http.get("/__admin/requests").json(), http.get("/__admin/faults").json()
    assert before[0] and before[1]
    filled = {"vendor": "quoparts", "entry_id": "1", "session_id": session, "asset": "ui.js"}
    document = http.get("/__admin/openapi.json").json()
    for path, item in document["paths"].items():
        if path in ("/openapi.json", "/docs") or path.startswith("/ui"):
            continue  # the documents and the page, no calls
        for method, operation in item.items():
            if method == "parameters" or "requestBody" in operation:
                continue
            where = f"{method.upper()} /__admin{path}"
            for body in ({"session": session}, {"session": "nope"}):
                url = "/__admin" + path.format(**filled)
                refused = http.request(method.upper(), url, json=body)
                takes = ": its session goes as ?session=ID" if path != "/sessions" else ""
                assert refused.status_code == 400, where
                assert refused.json() == {"error": f"{where} takes no body{takes}"}, where
                assert "400" in operation["responses"], where
    after = http.get("/__admin/requests").json(), http.get("/__admin/faults").json()
    assert after == before
    assert [s["id"] for s in http.get("/__admin/sessions").json()] == [session]
    blank = http.request("DELETE", "/__admin/faults", content=b" \r\n")
    assert (blank.status_code, http.get("/__admin/faults").json()) == (200, [])


@pytest.mark.parametrize(
    "target",
    [
        "/__admin/state/%ff",  # not UTF-8 once decoded
        "/__admin/requests/%00",
        "/__admin/sessions/%C0%AF",
        "/__admin/requests?vendor=%ff%fe",
        "/__admin/coverage?session=%ff",
        "/__admin/faults?session=%zz",  # no percent-encoding at all
    ],
)
def test_a_malformed_admin_url_gets_the_apis_json_answer(http: httpx.Client, target: str) -> None:
    answer = http.get(target)
    assert answer.status_code in (400, 404) and set(answer.json()) == {"error"}, answer.text


def test_a_bug_behind_an_admin_call_is_a_json_500_and_the_next_call_is_answered(
    app: Any, http: httpx.Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An error nothing planned for: the admin API's shape (a client parses JSON) with its
    traceback in the log, not the server's bare text page."""
    store = app.state.kit.store
    run = store.run

    async def bug(work: Any) -> Any:
        monkeypatch.setattr(store, "run", run)
        raise RuntimeError("a bug")

    monkeypatch.setattr(store, "run", bug)
    failed = http.post("/__admin/reset", json={})
    assert failed.status_code == 500
    assert failed.json() == {"error": "an unplanned error in the fake (a bug)"}
    assert "RuntimeError: a bug" in caplog.text
    assert http.post("/__admin/reset", json={}).status_code == 200


def test_an_admin_result_the_encoder_cannot_write_is_the_apis_json_500(
    app: Any, http: httpx.Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The answer was built after the handler's errors were caught: a state holding what no
    JSON writes (a state file's blob tenant, read as bytes) was the server's text/plain 500."""
    vendor = app.state.kit.vendors["quoparts"]
    monkeypatch.setattr(vendor, "dump_state", lambda scope=None: {"tenants": {b"demo": {}}})
    failed = http.get("/__admin/state/quoparts")
    assert failed.status_code == 500
    assert failed.json() == {"error": "an unplanned error in the fake (a bug)"}
    assert "unplanned error in GET /__admin/state/{vendor}" in caplog.text
