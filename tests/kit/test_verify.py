"""Verification through the admin API: the matcher's semantics (objects by subset, arrays
element by element, header names without case, query values as text, each vendor's error
codes), counts and bounds, near misses closest first with their exact differences, and masked
secrets that never match a clear-text expectation nor show in a difference."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

import httpx
import orjson
import pytest

from contracts import contract
from mockservers.core import verify as verify_module
from tests.conftest import QP, qp_call, qp_login
from tests.data import keepit_customer

ROW = {"DES_NOM": "Rossi", "COD_PTA_IVA": "123", "COD_CLI_ERP": "CLI01"}
KEEPIT_QUERY = {"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"}
KEEPIT_DEMO = {"username": "demo", "password": "demo", "companyId": "1", "siteId": "1"}
XTRA_KEYS = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}


def verify(
    http: httpx.Client, matcher: dict[str, Any], params: dict[str, str] | None = None, **bounds: Any
) -> dict[str, Any]:
    body = {"matcher": matcher, **bounds}
    response = http.post("/__admin/requests/verify", params=params, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def count(http: httpx.Client, **matcher: Any) -> int:
    response = http.post("/__admin/requests/count", json=matcher)
    assert response.status_code == 200, response.text
    return response.json()["count"]


keepit_record = keepit_customer


@pytest.fixture
def imported(http: httpx.Client) -> str:
    """A login and one importCli of two rows (CLI01, CLI02) in the journal; the token."""
    token = qp_login(http)
    qp_call(http, "importCli", token, {"data": [ROW, ROW | {"COD_CLI_ERP": "CLI02"}]})
    return token


# -- the matcher -------------------------------------------------------------------------------
def test_objects_match_by_subset_and_arrays_element_by_element(
    http: httpx.Client, imported: str
) -> None:
    base = {"vendor": "quoparts", "operation": "importCli"}
    assert count(http, **base, body={"data": [{"COD_CLI_ERP": "CLI01"}]}) == 1
    assert count(http, **base, body={"data": [{}, {"COD_CLI_ERP": "CLI02"}]}) == 1
    assert count(http, **base, body={"data": []}) == 1  # an empty array asks for nothing
    assert count(http, **base, body={"data": [{"COD_CLI_ERP": "CLI02"}]}) == 0  # by position
    assert count(http, **base, body={"data": [{}, {}, {}]}) == 0  # a third element is missing
    assert count(http, **base, body={"data": [{"COD_CLI_ERP": "CLI01", "X": 1}]}) == 0
    assert count(http, **base, body={"data": {"COD_CLI_ERP": "CLI01"}}) == 0


def test_a_boolean_never_matches_a_number(http: httpx.Client) -> None:
    """``true`` is no ``1`` and ``false`` no ``0``: Python's ``==`` says they are, so a
    matcher ``{"WebReasonID": 1}`` matched a call that sent ``true``, and ``{"COD_PTA_IVA":
    false}`` one that sent ``0`` (which the vendor refused)."""
    http.post("/xtra/api/sync/v1/irs/update", headers=XTRA_KEYS, json=[{"WebReasonID": True}])
    token = qp_login(http)
    qp_call(http, "importCli", token, {"data": [ROW | {"COD_PTA_IVA": 0}]})
    xtra = {"vendor": "xtra", "operation": "updateIdentities"}
    assert count(http, **xtra, body=[{"WebReasonID": 1}]) == 0
    assert count(http, **xtra, body=[{"WebReasonID": True}]) == 1
    importing = {"vendor": "quoparts", "operation": "importCli"}
    assert count(http, **importing, body={"data": [{"COD_PTA_IVA": False}]}) == 0
    assert count(http, **importing, body={"data": [{"COD_PTA_IVA": 0}]}) == 1
    assert count(http, **importing, body={"data": [{"COD_PTA_IVA": 0.0}]}) == 1  # one number
    missed = verify(http, xtra | {"body": [{"WebReasonID": 1}]})
    assert missed["near_misses"][0]["differences"] == ["body[0].WebReasonID: expected 1, got true"]


def test_query_values_are_text_and_header_names_have_no_case(
    http: httpx.Client, imported: str
) -> None:
    assert count(http, query={"importCli": ""}) == 1
    assert count(http, query={"login": "", "username": "demo"}) == 1
    assert count(http, headers={"CONTENT-TYPE": "application/json"}) == 1
    assert count(http, headers={"content-type": "Application/JSON"}) == 0  # values keep case
    http.post("/keepit/api", params=KEEPIT_QUERY | {"appId": 7}, headers=KEEPIT_DEMO, json={})
    assert count(http, vendor="keepit", query={"appId": 7}) == 1
    assert count(http, vendor="keepit", headers={"SiteId": 1}) == 1


def test_xtra_s_names_and_flags_are_read_in_any_case_as_xtra_reads_them(
    http: httpx.Client,
) -> None:
    """XTRA binds query and body names whatever their case, and its flags' values too (the
    fake, the journal's verdict and coverage read them so): a matcher in the contracts'
    spelling missed a call that sent ``?contactform=TRUE`` or a record's ``city``, with a near
    miss saying the parameter was missing."""
    form = {"email": "a@b.it", "surname": "Rossi", "name": "Anna", "webreasonid": 13}
    update = "/xtra/api/sync/v1/irs/update"
    sent = http.post(f"{update}?contactform=TRUE", headers=XTRA_KEYS, json=[form])
    assert sent.json()["result"]["records"][0]["Item2"] == "a@b.it_Rossi_Anna"  # a contact form
    http.post(update, headers=XTRA_KEYS, json=[{"ID": 1, "city": "Roma"}])
    # Two spellings of one name: the first value sent wins, as XTRA reads it (not the last, nor
    # the last of the first spelling's).
    http.post(f"{update}?Debug=TRUE&debug=false&Debug=true", headers=XTRA_KEYS, json=[])
    xtra = {"vendor": "xtra", "operation": "updateIdentities"}
    assert count(http, **xtra, query={"contactForm": "true"}) == 1
    assert count(http, **xtra, query={"CONTACTFORM": "True"}) == 1  # the matcher read alike
    assert count(http, **xtra, query={"contactForm": "false"}) == 0
    assert count(http, **xtra, body=[{"EMail": "a@b.it", "WebReasonID": 13}]) == 1
    assert count(http, **xtra, body=[{"City": "Roma"}]) == 1
    assert count(http, **xtra, body=[{"CITY": "Roma"}]) == 1
    assert count(http, **xtra, body=[{"City": "roma"}]) == 0  # a field's value keeps its case
    assert count(http, **xtra, query={"debug": "true"}) == 1
    missed = verify(http, xtra | {"query": {"debug": "false"}})
    differences = [miss["differences"] for miss in missed["near_misses"]]
    assert ['query.debug: expected "false", got "TRUE"'] in differences
    assert ['query.debug: expected "false", missing'] in differences  # the contracts' spelling
    # Another vendor reads names as written: so do count and verify.
    qp_login(http)
    assert count(http, vendor="quoparts", query={"username": "demo"}) == 1
    assert count(http, vendor="quoparts", query={"USERNAME": "demo"}) == 0


def test_scalars_status_tenant_and_session(http: httpx.Client, imported: str) -> None:
    assert count(http, vendor="quoparts", status=200) == 2
    assert count(http, vendor="quoparts", tenant="demo") == 2
    assert count(http, vendor="quoparts", session=None) == 2
    assert count(http, vendor="quoparts", status=400) == 0


@pytest.mark.parametrize(
    ("call", "codes", "absent"),
    [
        ("quoparts_row", ["100"], "101"),
        ("quoparts_token", ["101"], "0"),
        ("xtra_exists", ["ER.IR.EXISTS"], "ER.IR.NOFOUND"),
        ("xtra_auth", ["ER.AUTH"], "ER.IR.INVAL"),
        ("keepit_duplicates", [204, "204"], "206"),
        ("tsdigital_401", ["401", 401], "400"),
    ],
)
def test_error_code_reads_each_vendors_codes(
    http: httpx.Client, call: str, codes: list[Any], absent: str
) -> None:
    if call == "quoparts_row":
        rows = [ROW, {"COD_CLI_ERP": "CLI02"}]
        qp_call(http, "importCli", qp_login(http), {"data": rows})
    elif call == "quoparts_token":
        qp_call(http, "importCli", "unknown", {"data": []})
    elif call == "xtra_exists":
        record = {"FIDGroup": 2, "TypologyIds": [2], "ExternalKey": "E1"}
        http.post("/xtra/api/sync/v1/irs/update", json=[record, record], headers=XTRA_KEYS)
    elif call == "xtra_auth":
        http.post("/xtra/api/sync/v1/irs/update", json=[], headers={"SyncPublicKey": "x"})
    elif call == "keepit_duplicates":
        body = {"subjectsRecords": [keepit_record("C1")]}
        for _ in range(2):
            http.post("/keepit/api", params=KEEPIT_QUERY, headers=KEEPIT_DEMO, json=body)
    else:
        http.post("/tsdigital/api/v3/items", json={})
    for code in codes:
        assert count(http, error_code=code) == 1, code
    assert count(http, error_code=absent) == 0


def test_a_matcher_of_the_wrong_shape_is_refused(http: httpx.Client) -> None:
    for matcher in (
        {"operaton": "login"},
        {"status": "200"},
        {"operation": 3},
        {"query": []},
        {"error_code": True},
        {"tenant": 1},
        {"status": 1e20},  # beyond an HTTP status (it was a bare 500)
        {"status": 99},
    ):
        response = http.post("/__admin/requests/count", json=matcher)
        assert response.status_code == 400, matcher
    assert (
        http.post("/__admin/requests/verify", json={"matcher": [], "count": 1}).status_code == 400
    )
    for bound in (
        {"at_least": -1},
        {"count": 1e33},
        {"at_most": 10**30},
        {"at_least": 5, "at_most": 1},
    ):
        bad_bound = {"matcher": {}} | bound  # 1e33 was echoed as a 34-digit expected count
        assert http.post("/__admin/requests/verify", json=bad_bound).status_code == 400, bound
    # An unknown vendor was a 404, which a CI wrapper reads as a wrong URL: the body is wrong.
    unknown = http.post("/__admin/requests/count", json={"vendor": "nope"})
    assert (unknown.status_code, unknown.json()["error"]) == (
        400,
        "unknown vendor 'nope'; one of ['keepit', 'quoparts', 'tsdigital', 'xtra']",
    )
    checked = {"matcher": {"vendor": "nope"}, "count": 1}
    assert http.post("/__admin/requests/verify", json=checked).status_code == 400
    assert http.get("/__admin/requests", params={"vendor": "nope"}).status_code == 400
    # A misspelt operation, or a matcher's keys outside "matcher", would match nothing or all.
    for typo in ({"operation": "importcli"}, {"vendor": "keepit", "operation": "login"}):
        refused = http.post("/__admin/requests/count", json=typo)
        assert refused.status_code == 400 and "unknown operation" in refused.json()["error"]
        listed = http.get("/__admin/requests", params=typo)  # it was 200 [], silently
        assert listed.status_code == 400 and "unknown operation" in listed.json()["error"]
    loose = http.post("/__admin/requests/verify", json={"vendor": "xtra", "count": 1})
    assert loose.status_code == 400 and "'vendor'" in loose.json()["error"]
    huge = {"matcher": {"error_code": 10**25}, "count": 0}  # a code of no vendor: shown, no 500
    answer = http.post("/__admin/requests/verify", json=huge)
    assert answer.status_code == 200 and answer.json()["ok"] is True


# -- counts and bounds -------------------------------------------------------------------------
def test_count_at_least_and_at_most(http: httpx.Client, imported: str) -> None:
    login = {"operation": "login"}
    assert verify(http, login) == {"ok": True, "count": 1}  # default: at least one
    assert verify(http, login, count=1)["ok"]
    assert verify(http, login, at_least=1, at_most=1)["ok"]
    assert verify(http, {"operation": "importPvt"}, count=0)["ok"]
    qp_login(http)
    too_many = verify(http, login, at_most=1)
    assert too_many["ok"] is False and too_many["count"] == 2
    assert too_many["expected"] == "at least 0 and at most 1"
    assert too_many["near_misses"] == []
    assert [m["operation"] for m in too_many["matches"]] == ["login", "login"]
    assert verify(http, login, count=3)["expected"] == "exactly 3"
    assert verify(http, login, count=2, at_least=None, at_most=None)["ok"]  # null: not given


def test_an_exact_count_beside_a_bound_is_refused(http: httpx.Client, imported: str) -> None:
    """count=1 with at_least=5 passed on one call: the bound was ignored, silently."""
    for bounds in ({"at_least": 5}, {"at_most": 0}, {"at_least": 1, "at_most": 1}):
        body = {"matcher": {"operation": "importCli"}, "count": 1, **bounds}
        refused = http.post("/__admin/requests/verify", json=body)
        assert refused.status_code == 400, bounds
        assert "'count' is an exact number of calls" in refused.json()["error"]


def test_near_misses_come_closest_first_with_their_differences(
    http: httpx.Client, imported: str
) -> None:
    qp_call(http, "importPvt", imported, {"data": {"testata": {"COD_CLI": "1"}, "articoli": []}})
    result = verify(
        http,
        {
            "vendor": "quoparts",
            "operation": "importCli",
            "body": {"data": [{"COD_CLI_ERP": "CLI001"}]},
        },
    )
    assert result["ok"] is False and result["count"] == 0 and result["expected"] == "at least 1"
    differences = [miss["differences"] for miss in result["near_misses"]]
    assert differences == [
        ['body.data[0].COD_CLI_ERP: expected "CLI001", got "CLI01"'],
        [
            "operation: expected importCli, got importPvt",
            'body.data: expected an array, got {"testata":{"COD_CLI":"1"},"articoli":[]}',
        ],
        ["operation: expected importCli, got login", "body: expected an object, got null"],
    ]
    assert [m["entry"]["operation"] for m in result["near_misses"]] == [
        "importCli",
        "importPvt",
        "login",
    ]


def test_another_vendor_is_farther_than_another_operation(
    http: httpx.Client, imported: str
) -> None:
    http.post("/keepit/api", params=KEEPIT_QUERY, headers=KEEPIT_DEMO, json={})
    result = verify(http, {"vendor": "quoparts", "operation": "importPvt"})
    firsts = [miss["differences"][0] for miss in result["near_misses"]]
    assert firsts == [
        "operation: expected importPvt, got importCli",
        "operation: expected importPvt, got login",
        "vendor: expected quoparts, got keepit",
    ]


def test_error_code_and_missing_keys_read_as_words(http: httpx.Client, imported: str) -> None:
    result = verify(
        http,
        {"operation": "importCli", "error_code": "101", "body": {"data": [{"DES_NOM": "Bianchi"}]}},
    )
    assert result["near_misses"][0]["differences"] == [
        "error_code: expected 101, got 0",
        'body.data[0].DES_NOM: expected "Bianchi", got "Rossi"',
    ]
    missing = verify(http, {"operation": "importCli", "body": {"data": [{"COD_X": 1}]}})
    assert missing["near_misses"][0]["differences"] == ["body.data[0].COD_X: expected 1, missing"]


def test_listed_entries_carry_the_vendors_refusals(http: httpx.Client) -> None:
    """Each entry a verify lists says which codes in its answer refused the call, with their
    messages: QuoParts and XTRA refuse at HTTP 200, so the status alone reads as done."""
    token = qp_login(http)
    qp_call(http, "importCli", token, {"data": [ROW, {"COD_CLI_ERP": "CLI02"}]})
    qp_call(http, "importCli", "unknown", {"data": []})
    record = {"FIDGroup": 2, "TypologyIds": [2], "ExternalKey": "E1"}
    http.post("/xtra/api/sync/v1/irs/update", json=[record, record, record], headers=XTRA_KEYS)
    body = {"subjectsRecords": [keepit_record("C1")]}
    for _ in range(2):
        http.post("/keepit/api", params=KEEPIT_QUERY, headers=KEEPIT_DEMO, json=body)
    http.post("/tsdigital/api/v3/items", json={})

    def refusals(vendor: str) -> list[list[dict[str, Any]]]:
        """Each of the vendor's calls' refusals, newest first (the calls that matched)."""
        return [entry["refusals"] for entry in verify(http, {"vendor": vendor}, count=0)["matches"]]

    unknown_token, row, login = refusals("quoparts")
    assert login == []  # errorCode 0: done
    assert unknown_token == [{"code": "101", "message": "Utente non Accreditato"}]
    assert [r["code"] for r in row] == ["100"]  # the envelope's and the first row's 0 left out
    assert (row[0]["message"] or "").startswith("Richiesta errata: campo DES_NOM obbligatorio")
    assert refusals("xtra") == [
        [{"code": "ER.IR.EXISTS", "message": "Anagrafica già trovata: ExternalKey E1 (ID 2)"}]
    ]  # each code once, with its first message
    duplicates, inserted = refusals("keepit")
    assert inserted == [] and [r["code"] for r in duplicates] == ["204"]
    assert [r["code"] for r in refusals("tsdigital")[0]] == ["401"]
    near = verify(http, {"vendor": "quoparts", "operation": "importPvt"})["near_misses"]
    assert [miss["entry"]["refusals"] for miss in near[:3]] == [unknown_token, row, login]


def test_a_near_miss_lists_its_first_differences_then_how_many_more(http: httpx.Client) -> None:
    """An import of 2,000 rows that missed on every row: each near miss listed all 2,000
    differences (a 2.7 MB answer, and an assertion message of 10,000 lines)."""
    token = qp_login(http)
    rows = [ROW | {"COD_CLI_ERP": f"C{n}"} for n in range(2000)]
    qp_call(http, "importCli", token, {"data": rows})
    wanted = {"data": [{"COD_CLI_ERP": f"X{n}"} for n in range(2000)]}
    result = verify(http, {"operation": "importCli", "body": wanted})
    assert contract("admin/verifyRequests.response").check(result) == []
    (miss,) = [m for m in result["near_misses"] if m["entry"]["operation"] == "importCli"]
    assert miss["differences"] == [
        *(f'body.data[{n}].COD_CLI_ERP: expected "X{n}", got "C{n}"' for n in range(20)),
        "… and 1980 more differences",
    ]
    assert len(orjson.dumps([m["differences"] for m in result["near_misses"]])) < 5_000


def test_near_misses_of_many_differences_are_ranked_by_all_of_them(http: httpx.Client) -> None:
    """Only the first 20 differences are written, but each near miss is ranked by how many it
    has in all: the newer import has more, past the 20th, and comes after the older one."""
    token = qp_login(http)
    fewer = [ROW | {"COD_CLI_ERP": f"X{n}" if n < 5 else f"C{n}"} for n in range(30)]
    qp_call(http, "importCli", token, {"data": fewer})  # rows 0 to 4 as wanted
    qp_call(http, "importCli", token, {"data": [ROW | {"COD_CLI_ERP": "C0"}] * 15})
    wanted = {"data": [{"COD_CLI_ERP": f"X{n}"} for n in range(30)]}
    matcher = {"operation": "importCli", "status": 201, "query": {"token": "t"}, "body": wanted}
    result = verify(http, matcher)
    secret = "query.token: masked in the journal, never matches a clear-text value"
    assert [m["differences"] for m in result["near_misses"]] == [
        [
            "status: expected 201, got 200",
            secret,
            *(f'body.data[{n}].COD_CLI_ERP: expected "X{n}", got "C{n}"' for n in range(5, 23)),
            "… and 7 more differences",  # 27 in all
        ],
        [
            "status: expected 201, got 200",
            secret,
            *(f'body.data[{n}].COD_CLI_ERP: expected "X{n}", got "C0"' for n in range(15)),
            *(f'body.data[{n}]: expected {{"COD_CLI_ERP":"X{n}"}}, missing' for n in (15, 16, 17)),
            "… and 12 more differences",  # 32 in all
        ],
        [
            "operation: expected importCli, got login",
            "status: expected 201, got 200",
            "query.token: expected a secret value (not shown), missing",
            "body: expected an object, got null",
        ],
    ]
    older, newer, login = (m["entry"] for m in result["near_misses"])
    assert older["request"] == {"data": fewer} and len(newer["request"]["data"]) == 15
    assert login["operation"] == "login" and result["count"] == 0


def test_a_near_miss_writes_only_the_differences_it_lists(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rest are counted: an import of 2,000 rows that missed on every row wrote all 2,000
    lines, values and all, to keep 20 (and as many for every other near miss)."""
    written = []
    monkeypatch.setattr(verify_module, "_show", lambda value: written.append(value) or "?")
    token = qp_login(http)
    qp_call(http, "importCli", token, {"data": [ROW | {"COD_CLI_ERP": "C"}] * 2000})
    wanted = {"data": [{"COD_CLI_ERP": f"X{n}"} for n in range(2000)]}
    result = verify(http, {"operation": "importCli", "body": wanted})
    assert result["near_misses"][0]["differences"][-1] == "… and 1980 more differences"
    assert written[:4] == ["X0", "C", "X1", "C"]
    assert len(written) == 2 * 20 + 1  # each line's two values, and the login's null body
    assert count(http, operation="importCli", body=wanted) == 0 and len(written) == 41


def test_a_verify_holds_a_few_entries_of_the_journal_not_all_of_them(http: httpx.Client) -> None:
    """A count or a verify parsed every entry of the journal before it matched the first:
    16,000 entries held at once, and the collector walking them again and again as they grew,
    took 0.9 s of CPU (0.1 to 0.2 s an entry at a time). It keeps the few it lists."""
    token = qp_login(http)
    rows = [ROW | {"COD_CLI_ERP": f"C{n}"} for n in range(20)]
    for _ in range(200):
        qp_call(http, "importCli", token, {"data": rows})
    listed = http.get("/__admin/requests")
    matcher = {"operation": "importCli", "body": {"data": [{"DES_NOM": "Bianchi"}]}}

    def memory(read: Callable[[], Any]) -> tuple[Any, int, int]:
        """What ``read`` returns, what it leaves allocated, and the most it held on the way."""
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            result = read()
            kept, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return result, kept - before, peak - before

    _, journal, _ = memory(listed.json)  # the journal parsed whole
    for path, body in (("count", matcher), ("verify?bodies=false", {"matcher": matcher})):
        answer, _, peak = memory(partial(http.post, f"/__admin/requests/{path}", json=body))
        assert answer.status_code == 200 and peak < journal / 5, (path, peak, journal)


def test_a_difference_is_one_line_however_large_what_differs(
    http: httpx.Client, imported: str
) -> None:
    """A value of 1 MB in a matcher, or a key as long: the line quoted it whole."""
    huge = "x" * 1_000_000
    for matcher, seen in (
        ({"tenant": huge}, ", got demo"),  # the values are cut, the line keeps both
        ({"error_code": huge}, ", got 0"),
        ({"body": {"data": [{"DES_NOM": huge}]}}, ', got "Rossi"'),
        ({"body": {huge: 1}}, "body.xxx"),  # the line is cut
        ({"query": {huge: "1"}}, "query.xxx"),
    ):
        result = verify(http, {"operation": "importCli", **matcher})
        assert contract("admin/verifyRequests.response").check(result) == [], seen
        (line,) = result["near_misses"][0]["differences"]
        assert len(line) <= 400 and seen in line, line


# -- without bodies ----------------------------------------------------------------------------
VERIFY = "/__admin/requests/verify"


def _listed(http: httpx.Client, session: str | None = None) -> dict[str, dict[str, Any]]:
    """The journal's entries by id, newest first, as its list without bodies shows them."""
    params = {"bodies": "false"} | ({"session": session} if session else {})
    return {entry["id"]: entry for entry in http.get("/__admin/requests", params=params).json()}


def _as_listed(result: dict[str, Any], listed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A verify's answer with each entry it lists as ``listed`` shows it, its refusals kept:
    what the same verify answers without bodies."""

    def brief(entry: dict[str, Any]) -> dict[str, Any]:
        return listed[entry["id"]] | {"refusals": entry["refusals"]}

    shown = dict(result)
    if "near_misses" in result:
        shown["near_misses"] = [m | {"entry": brief(m["entry"])} for m in result["near_misses"]]
    if "matches" in result:
        shown["matches"] = [brief(entry) for entry in result["matches"]]
    return shown


@pytest.mark.every_store
def test_a_verify_without_bodies_lists_its_entries_as_the_list_shows_them(
    http: httpx.Client,
) -> None:
    """Five near misses of 2,000-row imports answered 1.9 MB, every body whole, to helpers whose
    message shows none of them: without bodies, each entry as the list without bodies shows
    it, with its refusals, and the same differences, found on the whole entries."""
    token = qp_login(http)
    rows = [ROW | {"COD_CLI_ERP": f"C{n}"} for n in range(2000)]
    qp_call(http, "importCli", token, {"data": rows})
    qp_call(http, "importCli", "unknown", {"data": rows})  # errorCode 101 at HTTP 200
    matcher = {"operation": "importCli", "body": {"data": [{"DES_NOM": "Bianchi"}] * 2000}}
    whole = http.post(VERIFY, json={"matcher": matcher})
    brief = http.post(VERIFY, params={"bodies": "false"}, json={"matcher": matcher})
    assert len(whole.content) > 300_000 and len(brief.content) < 10_000
    assert contract("admin/verifyRequests.response").check(brief.json()) == []
    listed = _listed(http)
    assert brief.json() == _as_listed(whole.json(), listed)
    (refused, done, login) = brief.json()["near_misses"]
    assert [refused["entry"]["codes"], done["entry"]["codes"]] == [["101"], ["0"]]
    assert refused["entry"]["refusals"] == [{"code": "101", "message": "Utente non Accreditato"}]
    assert refused["differences"][-1] == "… and 1980 more differences"
    assert login["entry"]["operation"] == "login" and "response" not in login["entry"]
    matched = verify(http, {"vendor": "quoparts"}, {"bodies": "false"}, count=0)
    assert matched == _as_listed(verify(http, {"vendor": "quoparts"}, count=0), listed)
    assert [entry["id"] for entry in matched["matches"]] == list(listed)
    assert verify(http, matcher, {"bodies": "true"}) == whole.json()  # the default
    for value in ("no", "False", ""):
        wrong = http.post(VERIFY, params={"bodies": value}, json={"matcher": matcher})
        assert wrong.status_code == 400
        assert wrong.json() == {"error": "bodies must be true or false"}


@pytest.mark.every_store
def test_a_session_s_verify_without_bodies_lists_its_own_calls(http: httpx.Client) -> None:
    """With the session in the query or in the body, as every admin call takes it."""
    session = http.post("/__admin/sessions", json={}).json()
    account = session["credentials"]["quoparts"]
    token = qp_login(http, account["username"], account["password"])
    qp_call(http, "importCli", token, {"data": [ROW]})
    qp_call(http, "importCli", qp_login(http), {"data": [ROW]})  # the global scope's
    matcher = {"operation": "importCli", "body": {"data": [{"DES_NOM": "Bianchi"}]}}
    whole = verify(http, matcher, {"session": session["id"]})
    listed = _listed(http, session["id"])
    for params, scope in (
        ({"session": session["id"], "bodies": "false"}, {}),
        ({"bodies": "false"}, {"session": session["id"]}),
    ):
        result = verify(http, matcher, params, **scope)
        assert result == _as_listed(whole, listed)
        assert [m["entry"]["session"] for m in result["near_misses"]] == [session["id"]] * 2
    wrong = {"session": session["id"], "bodies": "0"}
    assert http.post(VERIFY, params=wrong, json={"matcher": matcher}).status_code == 400


def test_an_empty_journal_has_no_near_misses(http: httpx.Client) -> None:
    assert verify(http, {"operation": "login"}) == {
        "ok": False,
        "count": 0,
        "expected": "at least 1",
        "near_misses": [],
    }


# -- secrets -----------------------------------------------------------------------------------
def test_masked_secrets_never_match_clear_text_and_never_show(http: httpx.Client) -> None:
    qp_login(http, "demo", "demo")
    http.post("/xtra/api/sync/v1/login", json={"Username": "demo", "Password": "demo"})
    http.post("/keepit/api", params=KEEPIT_QUERY, headers=KEEPIT_DEMO, json={})
    cases = [
        ({"vendor": "quoparts", "query": {"password": "demo"}}, "query.password"),
        ({"vendor": "xtra", "body": {"Password": "demo"}}, "body.Password"),
        ({"vendor": "keepit", "headers": {"Password": "demo"}}, "headers.password"),
    ]
    for matcher, where in cases:
        assert count(http, **matcher) == 0, matcher
        result = verify(http, matcher)
        first = result["near_misses"][0]
        assert first["differences"] == [
            f"{where}: masked in the journal, never matches a clear-text value"
        ]
        shown = str(result)
        assert "demo-secret" not in shown
        assert "'demo'" not in str(first["differences"])
    # what can be asserted of a secret: that it was sent (masked), never its value
    assert count(http, vendor="quoparts", query={"password": "***"}) == 1
    # ... save an empty one, which hides nothing: the journal shows it, a matcher matches it
    http.get(QP, params={"login": "", "username": "demo", "password": ""})
    assert count(http, vendor="quoparts", query={"password": ""}) == 1
    token = qp_login(http)
    hidden = verify(http, {"operation": "login", "query": {"token": token}})
    assert token not in str(hidden)
    assert hidden["near_misses"][0]["differences"] == [
        "query.token: expected a secret value (not shown), missing"
    ]


def test_a_form_body_s_secret_in_a_matcher_never_shows(http: httpx.Client) -> None:
    """A form body is journalled as text, its password masked: the matcher's own was shown in
    clear in the difference, and so was one in a query value that is no string."""
    form = {"content-type": "application/x-www-form-urlencoded"}
    http.post(
        "/quoparts/ws_quoparts.php?login", content="username=demo&password=demo", headers=form
    )
    result = verify(
        http,
        {
            "operation": "login",
            "body": "username=demo&password=hunter2",
            "query": {"login": "", "x": {"password": "Sup3rS3cret"}},
        },
    )
    assert "hunter2" not in str(result) and "Sup3rS3cret" not in str(result)
    assert result["near_misses"][0]["differences"] == [
        'query.x: expected "{\\"password\\":\\"***\\"}", missing',
        "body: holds a secret the journal masks: never matches a clear-text value",
    ]
    other = verify(http, {"operation": "login", "body": "username=other&password=hunter2"})
    assert other["near_misses"][0]["differences"] == [
        'body: expected "username=other&password=***", got "username=demo&password=***"'
    ]


def test_headers_the_journal_masks_are_secrets_in_differences_too(http: httpx.Client) -> None:
    """Cookie and Proxy-Authorization are masked in the journal, not by name alone: a missing
    one printed the matcher's value in clear."""
    qp_login(http, "demo", "demo")
    cookie, proxy = "sid=TOPSECRETCOOKIE", "Basic UFJPWFlTRUNSRVQ="
    headers = {"Cookie": cookie, "Proxy-Authorization": proxy, "Set-Cookie": "a=SETSECRET"}
    result = verify(http, {"operation": "login", "headers": headers})
    assert result["near_misses"][0]["differences"] == [
        "headers.cookie: expected a secret value (not shown), missing",
        "headers.proxy-authorization: expected a secret value (not shown), missing",
        "headers.set-cookie: expected a secret value (not shown), missing",
    ]
    assert "SECRET" not in str(result) and "UFJPWFlTRUNSRVQ" not in str(result)


def test_a_missing_key_or_element_shows_the_matcher_s_part_with_its_secrets_masked(
    http: httpx.Client,
) -> None:
    """Where the journal's entry has no such key (or no such element), the difference shows
    what the matcher expected there: the secrets under it by name were printed in clear."""
    body = {"subjectsRecords": [keepit_record("C1")]}
    http.post("/keepit/api", params=KEEPIT_QUERY, headers=KEEPIT_DEMO, json=body)
    secret = "Sup3rS3cretPassw0rd"
    row = {"COD_CLI_ERP": "C1", "PASSWORD": secret, "auth": [{"token": secret, "n": None}]}
    key = verify(http, {"vendor": "keepit", "body": {"data": [row]}})
    element = verify(
        http,
        {"vendor": "keepit", "body": {"subjectsRecords": [{}, {"subjects": {"password": secret}}]}},
    )
    assert secret not in str(key) and secret not in str(element)
    assert key["near_misses"][0]["differences"] == [
        'body.data: expected [{"COD_CLI_ERP":"C1","PASSWORD":"***",'
        '"auth":[{"token":"***","n":null}]}], missing'
    ]
    assert element["near_misses"][0]["differences"] == [
        'body.subjectsRecords[1]: expected {"subjects":{"password":"***"}}, missing'
    ]
