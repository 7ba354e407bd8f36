"""``mockservers proxy --shadow``: the built-in fake beside an upstream (a second kit instance).
Configured alike, the two never differ, whatever IDs and tokens each made up; configured
otherwise, ``/__admin/shadow`` shows exactly the fields that differ."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from contracts import contract
from mockservers import create_app
from mockservers.config import ConfigError
from mockservers.testing import MockServer, SyncASGITransport
from tests.conftest import ACCOUNTS
from tests.proxying import (
    CUSTOMER,
    IDENTITY,
    KEEPIT,
    KEEPIT_HEADERS,
    KEEPIT_QUERY,
    QP,
    QP_PASSWORD,
    QP_USER,
    XTRA_KEYS,
    XTRA_LOGIN,
    XTRA_PASSWORD,
    XTRA_UPDATE,
    XTRA_USER,
    Issued,
    every_flow,
    keepit_customer,
    proxied,
    quoparts_flow,
    tsdigital_flow,
    xtra_flow,
)

SUMMARY = contract("admin/shadow.response")


def fields(summary: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(vendor, operation, field) of every difference the summary counts."""
    return {
        (vendor, operation, name)
        for vendor, operations in summary.items()
        for operation, found in operations.items()
        for name in found["fields"]
    }


def the_shadow(app: Any) -> httpx.Client:
    """A client of the proxy's built-in fake: its admin API tells what the shadow was asked."""
    assert app.shadow is not None
    return httpx.Client(transport=SyncASGITransport(app.shadow.app), base_url="http://s")


def insert_identity(http: httpx.Client) -> int:
    """One XTRA identity inserted through the proxy: the ID the upstream gave it."""
    record = IDENTITY | {"ExternalKey": "EXT-1"}
    inserted = http.post(XTRA_UPDATE, headers=XTRA_KEYS, json=[record]).json()
    return int(inserted["result"]["records"][0]["Item1"])


def seed(upstream: MockServer) -> None:
    """Data the upstream holds before the proxy starts (a sandbox is never empty): its
    sequences are ahead of the shadow's, so every generated ID differs."""
    with httpx.Client(base_url=upstream.url) as http:
        login = {"login": "", "username": QP_USER, "password": QP_PASSWORD}
        token = http.get(QP, params=login).json()["data"][0]["TOKEN"]
        others = [CUSTOMER | {"COD_CLI_ERP": f"OLD{i}"} for i in range(3)]
        http.post(QP, params={"importCli": "", "token": token}, json={"data": others})
        old = [
            IDENTITY | {"ExternalKey": f"OLD-{i}", "Contacts": [{"Value": "1"}]} for i in range(3)
        ]
        http.post(XTRA_UPDATE, headers=XTRA_KEYS, json=old)
        records = [keepit_customer(f"OLD{i}") for i in range(3)]
        http.post(
            KEEPIT, params=KEEPIT_QUERY, headers=KEEPIT_HEADERS, json={"subjectsRecords": records}
        )


def test_configured_alike_the_two_never_differ_whatever_each_made_up() -> None:
    with MockServer(ACCOUNTS) as upstream:
        seed(upstream)
        with proxied(upstream, shadow=True) as (_, http):
            every_flow(http, upstream)
            journal = http.get("/__admin/requests").json()
            summary = http.get("/__admin/shadow").json()
    assert SUMMARY.check(summary) == [] and fields(summary) == set()
    assert {e["operation"]: e["shadow"] for e in journal if e["shadow"]} == {}
    assert sum(o["compared"] for v in summary.values() for o in v.values()) == len(journal) == 24
    # the generated values did differ: the upstream's sequences were ahead
    cod_cli = [e for e in journal if e["operation"] == "importCli"][-1]["response"]["data"][0]
    assert cod_cli["COD_CLI"] == "000004"  # the shadow's was 000001, and its quote found it


def _keepit_fault(upstream: MockServer, http: httpx.Client) -> None:
    upstream.fault(vendor="keepit", operation="insertClient_v3", kind="status", status=503)
    body = {"subjectsRecords": [keepit_customer("C1")]}
    http.post(KEEPIT, params=KEEPIT_QUERY, headers=KEEPIT_HEADERS, json=body)


CASES: dict[str, tuple[dict[str, Any], Callable[[MockServer, httpx.Client], None], set[Any]]] = {
    "auth_error_message": (
        {"quoparts": {"auth_error_message": "Accesso negato"}},
        lambda upstream, http: quoparts_flow(http, Issued()),
        {("quoparts", "importCli", "body.error")},  # the login refusal is the document's
    ),
    "auth_error_code": (
        {"xtra": {"auth_error_code": "ER.DENIED"}},
        lambda upstream, http: xtra_flow(http, Issued()),
        {
            ("xtra", operation, name)
            for operation in ("login", "updateIdentities")
            for name in ("error code", "body.errorCode")
        },
    ),
    # An accepted item's 202 {"id"} is the same whatever the delay: the wire cannot show it.
    "processing_delay_seconds": (
        {"tsdigital": {"processing_delay_seconds": 30}},
        lambda upstream, http: tsdigital_flow(
            http,
            Issued(),
            upstream.admin("POST", "/tsdigital/tokens", json={"kind": "user"})["token"],
        ),
        set(),
    ),
    "status fault": (
        {},
        _keepit_fault,
        {
            ("keepit", "insertClient_v3", name)
            for name in (
                "status",
                "error code",
                "body.success",
                "body.code",
                "body.message",
                "body.insertedObjects[*]",  # the 503 has the arrays too, empty
            )
        },
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_an_upstream_configured_otherwise_shows_exactly_the_fields_that_differ(case: str) -> None:
    changes, flow, expected = CASES[case]
    upstream_config = {**ACCOUNTS, **{k: {**ACCOUNTS.get(k, {}), **v} for k, v in changes.items()}}
    with MockServer(upstream_config) as upstream, proxied(upstream, shadow=True) as (_, http):
        flow(upstream, http)
        summary = http.get("/__admin/shadow").json()
        journal = http.get("/__admin/requests").json()
    assert SUMMARY.check(summary) == []
    assert fields(summary) == expected
    assert contract("admin/listRequests.response").check(journal) == []
    if case == "auth_error_message":
        assert summary["quoparts"]["login"]["differing"] == 0
        refusals = summary["quoparts"]["importCli"]
        assert (refusals["compared"], refusals["differing"]) == (3, 1)
        assert refusals["fields"]["body.error"] == {
            "count": 1,
            "example": {"upstream": "Accesso negato", "fake": "Utente non Accreditato"},
        }
        (refused,) = [e for e in journal if e["shadow"]][-1:]
        assert refused["shadow"] == [
            {"field": "body.error", "upstream": "Accesso negato", "fake": "Utente non Accreditato"}
        ]
    if case == "status fault":
        (entry,) = journal
        assert entry["shadow"][0] == {"field": "status", "upstream": 503, "fake": 200}
        (inserted,) = [d for d in entry["shadow"] if d["field"] == "body.insertedObjects[0]"]
        assert "upstream" not in inserted and inserted["fake"]["customerCode"] == "C1"


def test_the_summary_per_vendor_and_cleared() -> None:
    upstream = MockServer({"quoparts": {"auth_error_message": "Accesso negato"}})
    with upstream, proxied(upstream, vendors=("quoparts", "keepit"), shadow=True) as (_, http):
        http.get(QP, params={"login": "", "username": "demo", "password": "wrong"})
        body = {"subjectsRecords": [keepit_customer("C1")]}
        demo = {"username": "demo", "password": "demo", "companyId": "1", "siteId": "1"}
        http.post(KEEPIT, params=KEEPIT_QUERY, headers=demo, json=body)
        assert set(http.get("/__admin/shadow").json()) == {"quoparts", "keepit"}
        only = http.get("/__admin/shadow", params={"vendor": "keepit"}).json()
        assert only == {
            "keepit": {"insertClient_v3": {"compared": 1, "differing": 0, "fields": {}}}
        }
        assert http.get("/__admin/shadow", params={"vendor": "nobody"}).status_code == 404
        assert http.post("/__admin/shadow").status_code == 405
        assert http.delete("/__admin/shadow", params={"vendor": "keepit"}).json() == {
            "cleared": True
        }
        assert set(http.get("/__admin/shadow").json()) == {"quoparts"}
        assert http.delete("/__admin/shadow").json() == {"cleared": True}
        assert http.get("/__admin/shadow").json() == {}


def test_a_bearer_from_ts_id_is_adopted_with_the_configured_kind_and_grants() -> None:
    """The shadow cannot know what TS ID put in a token: it takes [tsdigital]
    shadow_token_kind/shadow_token_grants (here an app-key without items:create, which may
    not create: the 202 and the 403 differ, as they should)."""
    with pytest.raises(ConfigError, match="shadow_token_kind must be one of"):
        create_app({"tsdigital": {"shadow_token_kind": "robot"}})
    config = {"tsdigital": {"shadow_token_kind": "app-key", "shadow_token_grants": ["special"]}}
    with (
        MockServer() as upstream,
        proxied(upstream, ("tsdigital",), config, shadow=True) as (_, http),
    ):
        token = upstream.admin("POST", "/tsdigital/tokens", json={"kind": "user"})["token"]
        tsdigital_flow(http, Issued(), token, refusals=False)
        summary = http.get("/__admin/shadow").json()
    assert summary["tsdigital"]["createItem"]["fields"]["status"] == {
        "count": 1,
        "example": {"upstream": 202, "fake": 403},
    }


def test_a_header_value_beyond_ascii_is_passed_to_the_shadow_as_it_came() -> None:
    """A connector named "Connettore Città" (UTF-8 in its User-Agent): the vendor's answer
    passes back and the shadow compares (it was a 500, the upstream's write done all the same)."""
    with MockServer(ACCOUNTS) as upstream, proxied(upstream, ("keepit",), shadow=True) as (_, http):
        headers = KEEPIT_HEADERS | {"User-Agent": "Connettore Città/1.0".encode()}
        body = {"subjectsRecords": [keepit_customer("UTF1")]}
        answer = http.post(KEEPIT, params=KEEPIT_QUERY, headers=headers, json=body)
        assert answer.status_code == 200 and answer.json()["code"] == 200
        (entry,) = http.get("/__admin/requests").json()
    assert entry["shadow"] == []


def test_a_path_with_dot_segments_is_asked_of_the_shadow_as_the_vendor_got_it() -> None:
    """The vendor gets ``/quoparts/x/../ws_quoparts.php`` as sent; the shadow was asked for
    ``/quoparts/ws_quoparts.php`` (httpx drops dot segments), so a fake that answered exactly
    as the vendor was reported to differ."""
    query = f"login=&username={QP_USER}&password={QP_PASSWORD}"
    target = f"/quoparts/x/../ws_quoparts.php?{query}".encode()
    with (
        MockServer(ACCOUNTS) as upstream,
        proxied(upstream, ("quoparts",), shadow=True) as (app, http),
    ):
        http.get("/", extensions={"target": target})
        (entry,) = http.get("/__admin/requests").json()
        (vendor_got,) = upstream.requests()
        with the_shadow(app) as fake:
            (shadow_got,) = fake.get("/__admin/requests").json()
    assert vendor_got["path"] == shadow_got["path"] == "/quoparts/x/../ws_quoparts.php"
    assert shadow_got["query"] == vendor_got["query"]
    assert entry["shadow"] == []


@pytest.mark.parametrize("any_case", [True, False])
def test_an_xtra_id_in_any_case_reaches_the_shadow_as_the_fake_s_own(any_case: bool) -> None:
    """XTRA binds ``{"id": ...}`` as the identity's ``ID``; the shadow put its own ID only
    where the name was spelt ``ID``, so the fake was asked for the vendor's (an identity it
    does not have, or another of its own). Configured to bind names as written, the fake
    takes ``id`` for no ID, and neither does the translation."""
    config = ACCOUNTS | {"xtra": {**ACCOUNTS["xtra"], "field_names_any_case": any_case}}
    with MockServer(config) as upstream:
        seed(upstream)
        with proxied(upstream, ("xtra",), config, shadow=True) as (app, http):
            vendor_id = insert_identity(http)
            change = {"id": vendor_id, "denomination": "Rossi S.p.A."}
            http.post(XTRA_UPDATE, headers=XTRA_KEYS, json=[change])
            latest = http.get("/__admin/requests", params={"limit": 1}).json()[0]
            with the_shadow(app) as fake:
                (shadow_got, inserted_there) = fake.get("/__admin/requests").json()
    fake_id = inserted_there["response"]["result"]["records"][0]["Item1"]
    assert fake_id != vendor_id  # the upstream's sequence was ahead
    assert shadow_got["request"] == [change | {"id": fake_id if any_case else vendor_id}]
    assert latest["shadow"] == []


def test_an_xtra_id_written_as_a_float_reaches_the_shadow_as_the_fake_s_own() -> None:
    """A PHP connector's ``json_encode`` writes a float ID as ``3.0``, which XTRA reads as 3:
    the shadow did not translate it, the fake answered ``ER.IR.NOFOUND`` echoing 3 as its
    ``Item1``, and the shadow learned the vendor's 3 stood for the fake's 3, not its own ID:
    every later call on that identity differed."""
    with MockServer(ACCOUNTS) as upstream:
        seed(upstream)
        with proxied(upstream, ("xtra",), shadow=True) as (app, http):
            vendor_id = insert_identity(http)
            headers = XTRA_KEYS | {"Content-Type": "application/json"}
            spelt = f'[{{"ID": {vendor_id}.0, "Denomination": "Rossi S.p.A."}}]'
            http.post(XTRA_UPDATE, headers=headers, content=spelt.encode())
            http.post(XTRA_UPDATE, headers=XTRA_KEYS, json=[{"ID": vendor_id, "Name": "B"}])
            journal = http.get("/__admin/requests", params={"limit": 2}).json()
            with the_shadow(app) as fake:
                (again, as_float, inserted_there) = fake.get("/__admin/requests").json()
    fake_id = inserted_there["response"]["result"]["records"][0]["Item1"]
    assert fake_id != vendor_id  # the upstream's sequence was ahead
    (translated,) = as_float["request"]
    assert (translated["ID"], type(translated["ID"])) == (fake_id, float)  # its spelling kept
    assert again["request"] == [{"ID": fake_id, "Name": "B"}]
    assert [entry["shadow"] for entry in journal] == [[], []]


def test_an_xtra_id_sent_as_text_reaches_the_shadow_as_its_own_id_as_text() -> None:
    """XTRA's binders read ``"ID": "3"`` as 3 (the fake refuses it as ``ER.IR.INVAL``, the
    contracts typing it integer): the shadow gives the fake its own ID, as text, as it does a
    number, and both answers refuse the record alike."""
    with MockServer(ACCOUNTS) as upstream:
        seed(upstream)
        with proxied(upstream, ("xtra",), shadow=True) as (app, http):
            vendor_id = insert_identity(http)
            change = [{"ID": str(vendor_id), "Name": "B"}]
            answer = http.post(XTRA_UPDATE, headers=XTRA_KEYS, json=change).json()
            (latest,) = http.get("/__admin/requests", params={"limit": 1}).json()
            with the_shadow(app) as fake:
                (asked, inserted_there) = fake.get("/__admin/requests").json()
    fake_id = inserted_there["response"]["result"]["records"][0]["Item1"]
    assert fake_id != vendor_id  # the upstream's sequence was ahead
    (record,) = answer["result"]["records"]
    assert (record["Item3"], record["Item4"]["Code"]) == (False, "ER.IR.INVAL")
    assert asked["request"] == [{"ID": str(fake_id), "Name": "B"}]
    assert latest["shadow"] == []


@pytest.mark.parametrize(
    "own_as_text",
    [
        lambda irid, _: {"ID": str(irid), "Surname": "R"},
        lambda irid, uid: {"ID": irid, "Users": [{"ID": str(uid)}]},
    ],
    ids=["identity", "user"],
)
def test_under_an_access_token_an_xtra_id_sent_as_text_reaches_the_shadow_as_its_own(
    own_as_text: Callable[[int, int], dict[str, Any]],
) -> None:
    """Under an AccessToken, XTRA reads another ID spelt as text (``"2"``) as that ID, beyond
    the token: a whole-call 403. The shadow sent the fake the sandbox's own IRID (or UserID)
    as text, which is never the fake's, and reported the 403 against the sandbox's
    ``ER.IR.INVAL``: six differences it made itself. Now the fake gets its own, as text."""
    sandbox = json.loads(json.dumps(ACCOUNTS))
    users = sandbox["xtra"]["accounts"][0]["users"]
    users[0]["irid"] = 70000  # the sandbox's identity and user are never the fake's
    users.insert(0, {"username": "luigi", "password": "Luigi-S3cret-pw", "irid": 70000})
    with MockServer(sandbox) as upstream, proxied(upstream, ("xtra",), shadow=True) as (app, http):
        login = http.post(XTRA_LOGIN, json={"Username": XTRA_USER, "Password": XTRA_PASSWORD})
        vendor = login.json()["result"]
        own = {"AccessToken": vendor["Token"]}
        change = own_as_text(vendor["IRID"], vendor["UserID"])
        answer = http.post(XTRA_UPDATE, headers=own, json=[change])
        (latest,) = http.get("/__admin/requests", params={"limit": 1}).json()
        with the_shadow(app) as fake:
            (asked, logged_in) = fake.get("/__admin/requests").json()
    there = logged_in["response"]["result"]
    assert vendor["IRID"] != there["IRID"] and vendor["UserID"] != there["UserID"]
    (record,) = answer.json()["result"]["records"]
    assert (answer.status_code, record["Item4"]["Code"]) == (200, "ER.IR.INVAL")
    assert asked["request"] == [own_as_text(there["IRID"], there["UserID"])]
    assert (asked["status"], latest["shadow"]) == (200, [])


@pytest.mark.parametrize(
    ("encoded", "content_type"),
    [
        (lambda text: b"\xef\xbb\xbf" + text.encode(), "application/json"),
        (lambda text: text.encode("utf-16"), "application/json; charset=utf-16"),
    ],
    ids=["utf-8-bom", "utf-16"],
)
def test_an_xtra_body_with_a_byte_order_mark_or_in_utf_16_is_translated_in_its_charset(
    encoded: Callable[[str], bytes], content_type: str
) -> None:
    """XTRA reads a body after a UTF-8 byte order mark, or in the UTF-16 it declares (a .NET
    connector writes them); the shadow read it as no JSON and asked the fake for the vendor's
    ID, a difference it made itself. Now the fake's ID goes in, in the body's own charset."""
    with MockServer(ACCOUNTS) as upstream:
        seed(upstream)
        with proxied(upstream, ("xtra",), shadow=True) as (app, http):
            vendor_id = insert_identity(http)
            text = json.dumps([{"ID": vendor_id, "Denomination": "Città S.p.A."}])
            headers = XTRA_KEYS | {"Content-Type": content_type}
            updated = http.post(XTRA_UPDATE, headers=headers, content=encoded(text))
            latest = http.get("/__admin/requests", params={"limit": 1}).json()[0]
            with the_shadow(app) as fake:
                (shadow_got, inserted_there) = fake.get("/__admin/requests").json()
    fake_id = inserted_there["response"]["result"]["records"][0]["Item1"]
    assert fake_id != vendor_id and updated.status_code == 200
    assert shadow_got["request"] == [{"ID": fake_id, "Denomination": "Città S.p.A."}]
    assert latest["shadow"] == []


def test_a_large_request_is_asked_of_the_fake_with_the_fake_s_own_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large request is read in a thread (here from 2,000 bytes on), on what the shadow had
    learned when it came: the vendor's token in it is the fake's when the fake is asked, and
    an import the two take alike shows no difference."""
    from mockservers.proxy import offload

    monkeypatch.setattr(offload, "LARGE", 2_000)
    login = {"login": "", "username": QP_USER, "password": QP_PASSWORD}
    with MockServer(ACCOUNTS) as upstream, proxied(upstream, ("quoparts",), shadow=True) as pair:
        http = pair[1]
        token = http.get(QP, params=login).json()["data"][0]["TOKEN"]
        rows = [CUSTOMER | {"COD_CLI_ERP": f"BULK{n:06d}"} for n in range(40)]
        assert len(json.dumps({"data": rows})) >= offload.LARGE
        imported = http.post(QP, params={"importCli": "", "token": token}, json={"data": rows})
        (latest,) = http.get("/__admin/requests", params={"limit": 1}).json()
    assert imported.json()["errorCode"] == "0"
    assert (latest["operation"], latest["shadow"]) == ("importCli", [])


def test_the_fake_gets_what_the_vendor_got_but_the_values_translated() -> None:
    """Once the vendor's token was put in the fake's, the query and the JSON body were written
    again whole: a Latin-1 ``%E0`` went as ``%EF%BF%BD``, the flag ``importCli`` as
    ``importCli=``, ``1e3`` as ``1000.0`` and ``-0`` as ``0``; the fake, quoting the code it
    refused, answered otherwise than the vendor, a difference the shadow made itself."""
    body = (
        b'{"data": [{"DES_NOM": "Rossi", "COD_PTA_IVA": "1", "COD_CLI_ERP": 1e3},'
        b' {"DES_NOM": "Bianchi", "COD_PTA_IVA": "2", "COD_CLI_ERP": -0}]}'
    )
    login = {"login": "", "username": QP_USER, "password": QP_PASSWORD}
    with MockServer(ACCOUNTS) as upstream, proxied(upstream, ("quoparts",), shadow=True) as pair:
        app, http = pair
        token = http.get(QP, params=login).json()["data"][0]["TOKEN"]
        target = f"{QP}?importCli&token={token}&note=Citt%E0&x=a%20b".encode()
        json_type = {"Content-Type": "application/json"}
        http.post("/", content=body, headers=json_type, extensions={"target": target})
        (latest,) = http.get("/__admin/requests", params={"limit": 1}).json()
        (vendor_got,) = upstream.requests(limit=1)
        with the_shadow(app) as fake:
            (shadow_got,) = fake.get("/__admin/requests", params={"limit": 1}).json()
            curl = fake.get(f"/__admin/requests/{shadow_got['id']}").json()["curl"]
    assert latest["shadow"] == []
    assert shadow_got["target"] == vendor_got["target"]
    assert vendor_got["target"].endswith("?importCli&token=***&note=Citt%E0&x=a%20b")
    assert f"--data-raw '{body.decode()}'" in curl


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-16"], ids=["", "utf-16"]
)
def test_a_translated_body_value_is_written_where_it_stands(content_type: str) -> None:
    """A quote for the vendor's COD_CLI went to the fake written again whole (``14.570`` as
    ``14.57``, the spacing gone); now only the fake's COD_CLI takes the vendor's place. PHP
    reads the bytes as sent, whatever charset is declared: the shadow read a declared UTF-16
    as XTRA's ASP.NET does, found no JSON, and asked the fake of the vendor's COD_CLI."""
    login = {"login": "", "username": QP_USER, "password": QP_PASSWORD}
    with MockServer(ACCOUNTS) as upstream:
        seed(upstream)
        with proxied(upstream, ("quoparts",), shadow=True) as (app, http):
            token = http.get(QP, params=login).json()["data"][0]["TOKEN"]
            cli = {"importCli": "", "token": token}
            cod_cli = http.post(QP, params=cli, json={"data": [CUSTOMER]}).json()["data"][0]
            quote = (
                '{"data": {"testata": {"COD_CLI": "%s", "COD_TGA": "TE001ST", "DES_VCL": "Panda"},'
                ' "articoli": [{"DES_RGR": "Filtro", "COD_ART_PVT": "1", "IMP_LST_PVT": 14.570,'
                ' "QTA_DET_PVT": 1}]}}'
            )
            pvt = {"importPvt": "", "token": token}
            headers = {"Content-Type": content_type}
            http.post(QP, params=pvt, content=quote % cod_cli["COD_CLI"], headers=headers)
            (latest,) = http.get("/__admin/requests", params={"limit": 1}).json()
            with the_shadow(app) as fake:
                asked, imported = fake.get("/__admin/requests", params={"limit": 2}).json()
                curl = fake.get(f"/__admin/requests/{asked['id']}").json()["curl"]
    fake_cod = imported["response"]["data"][0]["COD_CLI"]
    assert fake_cod != cod_cli["COD_CLI"]  # the upstream's sequence was ahead
    assert latest["shadow"] == []
    assert f"--data-raw '{quote % fake_cod}'" in curl


def test_a_call_the_shadow_did_not_answer_says_why() -> None:
    """A drop fault in the shadow's config (or a bug in it) is still evidence: the difference
    names what happened, as a 502 of the proxy does, not only the exception's class."""
    with (
        MockServer(ACCOUNTS) as upstream,
        proxied(upstream, ("quoparts",), shadow=True) as (
            app,
            http,
        ),
    ):
        with the_shadow(app) as fake:
            dropped = {"vendor": "quoparts", "kind": "drop", "times": 1}
            assert fake.post("/__admin/faults", json=dropped).status_code == 201
        answer = http.get(QP, params={"login": "", "username": QP_USER, "password": QP_PASSWORD})
        (entry,) = http.get("/__admin/requests").json()
    assert answer.status_code == 200  # the connector's answer is the vendor's, whatever the fake
    ((difference),) = entry["shadow"]
    assert difference["field"] == "status" and difference["upstream"] == 200
    assert (
        difference["fake"]
        == "no answer: DroppedConnection: connection dropped by an injected fault"
    )
