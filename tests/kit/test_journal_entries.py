"""A journal entry as the admin API shows it, and its curl line: every secret masked whatever
the body's shape, and the line, run, sending the call again as it was sent (the kit journals
the repeat: both entries must show the same call)."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import contract
from mockservers import create_app
from mockservers.core import har, jsonpairs, learned
from mockservers.core.curl import shell_word
from mockservers.core.journal_shown import shown_body
from mockservers.core.secretnames import MASK, is_secret
from mockservers.core.secrets import holds_secret, mask_text, mask_value, masked_bytes
from mockservers.testing import MockServer, SyncASGITransport
from tests.conftest import QP
from tests.data import keepit_customer

LOGIN = "/xtra/api/sync/v1/login"
XTRA_KEYS = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
KEEPIT = "/keepit/api"
KEEPIT_QUERY = {"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"}
KEEPIT_HEADERS = {"username": "demo", "password": "demo", "companyId": "1", "siteId": "1"}
SECRET = "SuperSecretValue123"

needs_shell = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("bash") is None,
    reason="curl and bash run the curl lines",
)


@pytest.fixture
def http(accounts_server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=accounts_server.url, timeout=10) as client:
        yield client


def newest(http: httpx.Client) -> dict[str, Any]:
    """The newest entry, opened (with its curl line), as its contract describes it."""
    (listed,) = http.get("/__admin/requests", params={"limit": 1}).json()
    opened: dict[str, Any] = http.get(f"/__admin/requests/{listed['id']}").json()
    assert contract("admin/getRequest.response").check(opened) == []
    return opened


def repeated(http: httpx.Client, entry: dict[str, Any]) -> dict[str, Any]:
    """Run the entry's curl line in bash; the entry of the call it made."""
    run = subprocess.run(["bash", "-c", entry["curl"]], capture_output=True, timeout=30)
    assert run.returncode == 0, run.stderr
    repeat = newest(http)
    assert repeat["id"] != entry["id"]
    return repeat


@pytest.mark.parametrize(
    "sent",
    [
        {"files": {"Username": (None, "demo"), "Password": (None, SECRET)}},
        {"content": f"{{'Username': 'demo', 'Password': '{SECRET}'}}".encode()},
        {"content": f"<Login><User>demo</User><Password>{SECRET}</Password></Login>".encode()},
        {"content": f'<Login User="demo" Password="{SECRET}"/>'.encode()},
    ],
    ids=["multipart", "python-dict", "xml-element", "xml-attribute"],
)
def test_a_password_in_a_body_of_any_shape_is_masked_wherever_the_call_shows(
    http: httpx.Client, sent: dict[str, Any]
) -> None:
    """Only JSON, a JSON-like ``"password": ...`` and a form's ``password=...`` were masked:
    an XTRA login sent as multipart, as a Python dict or as XML showed the password in the
    list, the opened entry, its curl line, and a recording."""
    request = http.build_request("POST", LOGIN, headers=XTRA_KEYS, **sent)
    request.read()  # a multipart body is a stream: read, it can be recorded too
    answer = http.send(request)
    listed = http.get("/__admin/requests")
    (entry,) = listed.json()
    opened = http.get(f"/__admin/requests/{entry['id']}")
    assert SECRET not in listed.text and SECRET not in opened.text
    assert "***" in entry["request"] and "***" in opened.json()["curl"]
    recorded = har.entry(
        method="POST",
        url=str(request.url),
        request_headers=list(request.headers.items()),
        request_body=request.content,
        status=answer.status_code,
        response_headers=[],
        response_body=answer.content,
        started=datetime.now(UTC),
        duration_ms=1,
    )
    shown = json.dumps(recorded)
    assert SECRET not in shown and "***" in recorded["request"]["postData"]["text"]


@pytest.mark.parametrize("name", ["Password", "Pass\\u0077ord"])
def test_a_password_named_twice_in_json_is_masked_wherever_the_call_shows(
    http: httpx.Client, name: str
) -> None:
    """A JSON body naming ``Password`` twice, the second ``null``: parsed, it masked to itself
    (the parse keeps the last), so the curl line and a recording kept the body as sent, the
    first password in it; spelt with an escape, no pair named it either."""
    body = f'{{"Username":"demo","{name}":"{SECRET}","Password":null}}'.encode()
    http.post(LOGIN, headers={**XTRA_KEYS, "Content-Type": "application/json"}, content=body)
    opened = newest(http)
    assert SECRET not in json.dumps(opened)
    assert f'"{name}":"***","Password":null' in opened["curl"]
    assert opened["request"] == {"Username": "demo", "Password": None}
    text, _ = har.body_fields(body, "application/json")
    assert text == f'{{"Username":"demo","{name}":"***","Password":null}}'
    # a pair masked inside a string would break it: the body written again, parsed
    broken = b'{"note":"see db;token=a\\"b","Password":null,"Password":null}'
    assert json.loads(masked_bytes(broken)) == {"note": 'see db;token=a"b', "Password": None}


def test_a_password_in_a_document_sent_as_a_string_is_masked_wherever_the_call_shows(
    http: httpx.Client,
) -> None:
    """A field holding a JSON document as a string (a connector's payload): its password was
    in the journal's request, the curl line and a recording, named by no field of the body."""
    payload = json.dumps({"Username": "demo", "Password": SECRET})
    body = json.dumps({"Username": "demo", "Password": "demo", "Note": payload}).encode()
    http.post(LOGIN, headers={**XTRA_KEYS, "Content-Type": "application/json"}, content=body)
    opened = newest(http)
    assert SECRET not in json.dumps(opened)
    assert json.loads(opened["request"]["Note"]) == {"Username": "demo", "Password": "***"}
    text, _ = har.body_fields(body, "application/json")
    assert json.loads(json.loads(text)["Note"]) == {"Username": "demo", "Password": "***"}


def test_a_blank_secret_shows_blank_wherever_the_call_shows(http: httpx.Client) -> None:
    """Nothing to hide in an empty value: ``***`` showed a value never sent, beside a detail
    that says it is missing (``password: *** should be non-empty``, ``token=***`` and ``the
    token is missing``)."""
    login = http.get(QP, params={"login": "", "username": "demo", "password": ""})
    assert login.headers["x-mockservers-detail"] == "query: password: '' should be non-empty"
    opened = newest(http)
    assert opened["target"] == "/quoparts/ws_quoparts.php?login=&username=demo&password="
    assert opened["query"]["password"] == "" and "password=" in opened["curl"]
    assert opened["detail"] == "query: password: '' should be non-empty"
    blank = {"importCli": "", "token": ""}
    http.post(QP, params=blank, headers={"Authorization": ""}, json={"data": []})
    opened = newest(http)
    assert (opened["query"]["token"], opened["detail"]) == ("", "the token is missing")
    assert opened["target"].endswith("?importCli=&token=")
    assert opened["headers"]["authorization"] == ""
    assert "?importCli=&token=' " in opened["curl"]
    assert "-H 'authorization;'" in opened["curl"]  # sent empty, as it was
    assert "***" not in json.dumps(opened)
    recorded = har.entry(
        method="POST",
        url=f"{http.base_url}{QP[1:]}?importCli=&token=",
        request_headers=[("Authorization", ""), ("Content-Type", "application/json")],
        request_body=b'{"Password":"","token":"t-1"}',
        status=200,
        response_headers=[],
        response_body=b"",
        started=datetime.now(UTC),
        duration_ms=1,
    )["request"]
    assert recorded["url"].endswith("?importCli=&token=")
    assert {"name": "token", "value": ""} in recorded["queryString"]
    assert {"name": "Authorization", "value": ""} in recorded["headers"]
    assert json.loads(recorded["postData"]["text"]) == {"Password": "", "token": "***"}
    # and in every shape of body the journal masks
    assert mask_value({"Password": "", "token": "t"}) == {"Password": "", "token": "***"}
    assert mask_text("Username=demo&Password=&token=t") == "Username=demo&Password=&token=***"
    assert mask_text("{'Password': '', 'token': 't'}") == "{'Password': '', 'token': '***'}"
    assert mask_text("<Password></Password>") == "<Password></Password>"


@pytest.mark.parametrize(
    "text, masked",
    [
        ("{'Password': None, \"token\": null}", "{'Password': None, \"token\": null}"),
        ("<Password/><Token a='1'>t-1</Token>", "<Password/><Token a='1'>***</Token>"),
        ("<x:Token><![CDATA[a]b]]></x:Token>", "<x:Token>***</x:Token>"),
        ("atteso 'Bearer <token>'", "atteso 'Bearer <token>'"),  # prose, no tag after it
        # prose with a tag after it: an element is one when its own end tag follows
        ("<p>Bearer <token> for every call.</p>", "<p>Bearer <token> for every call.</p>"),
        ("Use <Password> and <Username> tags", "Use <Password> and <Username> tags"),
        # a query or connection string in prose: the value alone, the text after it stays
        (
            "Login fallito (Server=db01;Password=Segreto99;Database=erp) /reset?token=ab12 ok",
            "Login fallito (Server=db01;Password=***;Database=erp) /reset?token=*** ok",
        ),
        (  # a link's token in a minified page: the page after it was hidden
            '<a href="/reset?token=ab12cd34ef">Reset</a><p>Ciao</p>',
            '<a href="/reset?token=***">Reset</a><p>Ciao</p>',
        ),
        ("<tokens>t</tokens> token=1", "<tokens>t</tokens> token=1"),
        (
            'Content-Disposition: form-data; name="FileBase64"; filename="a.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n%PDF\r\n1\r\n--b--",
            'Content-Disposition: form-data; name="FileBase64"; filename="a.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n***\r\n--b--",
        ),
    ],
)
def test_secret_shapes_in_text_that_is_not_json(text: str, masked: str) -> None:
    assert mask_text(text) == masked


JSON = st.recursive(
    st.sampled_from([None, True, 0, 1.5, "", "x", MASK, '{"token": "t-1"}', "[1]"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "Password", "TOKEN", "token", "tokens"]), inner)
    ),
    max_leaves=8,
)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(value=JSON)
def test_a_json_body_is_masked_as_its_masked_copy_says(value: Any) -> None:
    """The copy is skipped when nothing would be masked (``holds_secret``): a body is kept byte
    for byte exactly when its masked copy is equal to it, else written again masked."""
    body = orjson.dumps(value, option=orjson.OPT_INDENT_2)
    masked = mask_value(value)
    assert masked_bytes(body) == (body if masked == value else orjson.dumps(masked))
    assert holds_secret(value) or masked == value


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(value=JSON)
def test_a_json_text_masked_where_its_secrets_stand_reads_as_its_masked_copy(value: Any) -> None:
    """Masked in place (a name given twice: the parse holds one of its values), a text reads
    as the masked copy of its parse, whatever the spelling of its names."""
    text = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    masked = mask_value(value, inner=False)
    for spelt in (text, text.replace('"Password"', '"Pass\\u0077ord"')):
        assert json.loads(jsonpairs.replaced_values(spelt, is_secret, '"***"')) == masked


def test_the_values_a_parse_drops_are_found_at_any_depth() -> None:
    text = '{"a": {"P": 1, "p": 2, "P": null}, "a": [{"P": 3}], "b": "{\\"P\\": 4, \\"P\\": 5}"}'
    assert jsonpairs.dropped(text) == [("P", 1), ("a", {"P": None, "p": 2})]
    assert jsonpairs.dropped('{"P": 1, "P": 2, "n": 1' + "0" * 5000 + "}") == []  # refused


def test_a_preview_cut_inside_a_secret_element_masks_it_to_its_end() -> None:
    """A body longer than the journal's preview may be cut in a file's contents."""
    assert mask_text("<Doc><FileBase64>JVBERi0", cut=True) == "<Doc><FileBase64>***"


@needs_shell
def test_a_line_of_many_multipart_heads_is_read_once_not_once_per_head() -> None:
    """148 KB of ``content-disposition: … name=password`` heads on one line (a body any call
    may send, shown whole by the entry's curl line): each head read the line to its end,
    45 s of masking on the event loop. Now about a quarter of a second; the bound is wide so
    that only the old, quadratic reading can miss it."""
    hostile = "content-disposition: x name=password " * 4_000
    started = time.process_time()
    assert mask_text(hostile) == hostile  # no line end: no part
    assert time.process_time() - started < 5
    part = 'content-disposition: form-data; name="password"\r\n\r\nS3cret\r\n--b--'
    assert mask_text(part) == part.replace("S3cret", "***")


def test_a_path_with_percent_escapes_is_sent_again_as_it_was(http: httpx.Client) -> None:
    """The line used the decoded path: ``a b/c?.php`` (curl: bad URL; %2F became a folder,
    %3F a query)."""
    http.get("/quoparts/a%20b%2Fc%3F.php")
    entry = newest(http)
    assert entry["path"] == "/quoparts/a b/c?.php"  # as matchers and filters read it
    assert entry["target"] == "/quoparts/a%20b%2Fc%3F.php"
    repeat = repeated(http, entry)
    assert (repeat["path"], repeat["target"]) == (entry["path"], entry["target"])


@needs_shell
@pytest.mark.parametrize(
    "target",
    [
        f"{QP}?login=&filter[a]=1&ids[]=2",  # PHP's arrays: curl: (3) bad range, nothing sent
        f"{QP}?login=&ids={{1,2}}",  # two calls, ids=1 and ids=2, neither the one made
        "/quoparts/x/../ws_quoparts.php?login=",  # folded into another path: a 404 became a 200
    ],
)
def test_brackets_braces_and_dot_segments_are_sent_again_as_they_were(
    http: httpx.Client, target: str
) -> None:
    http.get(QP, extensions={"target": target.encode()})
    entry = newest(http)
    assert entry["target"] == target
    repeat = repeated(http, entry)
    assert (repeat["target"], repeat["status"]) == (target, entry["status"])
    second = http.get("/__admin/requests", params={"limit": 2}).json()[1]
    assert second["id"] == entry["id"]  # one call made, not two


@needs_shell
def test_every_query_parameter_and_header_line_is_sent_again_as_it_was(
    http: httpx.Client,
) -> None:
    """A repeated parameter went as its last value only, a UTF-8 header showed (and went) as
    Latin-1 read as UTF-8 (``piÃ¹``), a repeated header as its last line."""
    query = [("login", ""), ("username", "a"), ("username", "b"), ("password", "Pw-4567890")]
    headers = [("X-Note", "più".encode()), ("X-Multi", "1"), ("X-Multi", "2"), ("X-Empty", "")]
    http.get(QP, params=query, headers=headers)
    entry = newest(http)
    assert entry["query"] == {"login": "", "username": "b", "password": "***"}  # its shape
    assert entry["target"] == f"{QP}?login=&username=a&username=b&password=***"
    assert entry["headers"]["x-note"] == "più"
    ours = [["x-note", "più"], ["x-multi", "1"], ["x-multi", "2"], ["x-empty", ""]]
    assert [line for line in entry["header_lines"] if line[0].startswith("x-")] == ours
    assert "Pw-4567890" not in entry["curl"]
    repeat = repeated(http, entry)
    assert repeat["target"] == entry["target"]
    assert [line for line in repeat["header_lines"] if line[0].startswith("x-")] == ours


def test_a_repeated_header_shows_and_matches_as_the_value_the_fake_read(
    http: httpx.Client,
) -> None:
    """The fakes read a repeated header's first value; the journal showed (and matchers
    compared) its last: a refused XTRA login's detail named ``other`` while its entry showed
    ``demo-public``, and a matcher on the key matched the call that was not refused."""
    http.delete("/__admin/requests")
    for keys in (["other", "demo-public"], ["demo-public", "other"]):
        sent = [("SyncPublicKey", key) for key in keys] + [("SyncSecretKey", "demo-secret")]
        http.post(LOGIN, headers=sent, json={"Username": "demo", "Password": "demo"})
    accepted, refused = http.get("/__admin/requests").json()  # newest first
    assert refused["status"] == 403 and "'other'" in refused["detail"]
    assert (refused["headers"]["syncpublickey"], accepted["headers"]["syncpublickey"]) == (
        "other",
        "demo-public",
    )
    lines = [value for name, value in refused["header_lines"] if name == "syncpublickey"]
    assert lines == ["other", "demo-public"]  # every line kept
    for key, status in (("demo-public", 200), ("other", 403)):
        matcher = {"headers": {"SyncPublicKey": key}, "status": status}
        assert http.post("/__admin/requests/count", json=matcher).json()["count"] == 1


@pytest.mark.parametrize(
    ("first", "then", "debugged"), [("true", "false", True), ("false", "true", False)]
)
def test_xtra_s_repeated_parameter_shows_and_matches_as_its_first_value(
    http: httpx.Client, first: str, then: str, debugged: bool
) -> None:
    """XTRA (ASP.NET Core) reads a parameter sent twice by its first value, as its query
    contract says; the journal showed its last: a login with ``?debug=true&debug=false``
    answered with the debug block and its entry showed ``debug: false``, and a matcher on
    ``debug: true`` missed it."""
    http.delete("/__admin/requests")
    answer = http.post(
        f"{LOGIN}?debug={first}&debug={then}",
        headers=XTRA_KEYS,
        json={"Username": "demo", "Password": "demo"},
    )
    assert ("debug" in answer.json()) is debugged  # the fake read the first value
    (listed,) = http.get("/__admin/requests").json()
    opened = newest(http)
    assert listed["query"] == opened["query"] == {"debug": first}
    assert opened["target"] == f"{LOGIN}?debug={first}&debug={then}"  # every value kept
    for value, counted in ((first, 1), (then, 0)):
        matcher = {"operation": "login", "query": {"debug": value}}
        assert http.post("/__admin/requests/count", json=matcher).json()["count"] == counted


@pytest.mark.parametrize(
    ("commands", "status"),
    [(["deleteClient", "insertClient_v3"], 200), (["insertClient_v3", "deleteClient"], 404)],
)
def test_keepit_s_repeated_parameter_shows_and_matches_as_its_last_value(
    http: httpx.Client, commands: list[str], status: int
) -> None:
    """KeepIT's fake dispatches on the last ``cmd`` sent (its document says nothing of a
    repeated one); the journal shows that one, and a matcher compares it."""
    http.delete("/__admin/requests")
    query = [("cmd", command) for command in commands] + [("appId", "KEEPIT")]
    body = {"subjectsRecords": [keepit_customer("C1")]}
    assert http.post(KEEPIT, params=query, headers=KEEPIT_HEADERS, json=body).status_code == status
    (listed,) = http.get("/__admin/requests").json()
    assert listed["query"] == newest(http)["query"] == {"cmd": commands[-1], "appId": "KEEPIT"}
    for command, counted in ((commands[-1], 1), (commands[0], 0)):
        matcher = {"vendor": "keepit", "query": {"cmd": command}}
        assert http.post("/__admin/requests/count", json=matcher).json()["count"] == counted


def test_a_call_s_situations_show_once_each_in_the_order_first_met(http: httpx.Client) -> None:
    """An entry listed a situation once per record: a 50-record KeepIT insert showed
    ``keepit.inserted`` 50 times (a 16,000-record call, 16,001 strings) in the list, the opened
    entry and the dashboard's "Situations met", while coverage counted it once."""
    records = [keepit_customer(f"C{number}") for number in range(50)]
    answer = http.post(
        KEEPIT, params=KEEPIT_QUERY, headers=KEEPIT_HEADERS, json={"subjectsRecords": records}
    )
    assert len(answer.json()["insertedObjects"]) == 50
    met = ["keepit.inserted", "keepit.success"]
    (listed,) = http.get("/__admin/requests", params={"limit": 1}).json()
    (brief,) = http.get("/__admin/requests", params={"limit": 1, "bodies": "false"}).json()
    opened = newest(http)
    assert listed["behaviours"] == brief["behaviours"] == opened["behaviours"] == met
    (report,) = http.get("/__admin/coverage", params={"vendor": "keepit"}).json().values()
    assert {row["behaviour"]: row["met"] for row in report if row["met"]} == dict.fromkeys(met, 1)


@needs_shell
@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_a_call_is_sent_again_with_its_accept_header_or_without_one(
    http: httpx.Client, accept: str | None
) -> None:
    """curl sends ``Accept: */*`` of its own: a call that had no Accept went again with one."""
    request = http.build_request("GET", QP, params={"login": ""})
    del request.headers["Accept"]
    if accept is not None:
        request.headers["Accept"] = accept
    http.send(request)
    entry = newest(http)
    assert entry["headers"].get("accept") == accept
    assert repeated(http, entry)["headers"].get("accept") == accept


@needs_shell
@pytest.mark.parametrize(
    "body, shown, format_",
    [
        (b"@/etc/hostname", "@/etc/hostname", "text"),  # curl uploaded the reader's file
        (b'"abc"', "abc", "json"),  # went as abc
        (b"null", None, "json"),  # went as no body at all
        (
            b'{"Username": "demo",  "Password": null}',
            {"Username": "demo", "Password": None},
            "json",
        ),
        (b"caf\xe9 \r\n'x'", "caf\ufffd \r\n'x'", "text"),
    ],
    ids=["at-sign", "json-string", "json-null", "json-spacing", "not-utf8"],
)
def test_a_body_is_sent_again_as_it_was(
    http: httpx.Client, body: bytes, shown: Any, format_: str
) -> None:
    http.post(LOGIN, headers=XTRA_KEYS | {"Content-Type": "application/json"}, content=body)
    entry = newest(http)
    assert (entry["request"], entry["request_format"]) == (shown, format_)
    assert "--data-raw" in entry["curl"] and "--data-binary" not in entry["curl"]
    repeat = repeated(http, entry)
    assert (repeat["request"], repeat["request_format"]) == (shown, format_)
    assert repeat["curl"] == entry["curl"]  # the same bytes again: the same line


@needs_shell
def test_a_compressed_body_is_shown_and_sent_again_decoded_and_masked(http: httpx.Client) -> None:
    """The fake refuses a gzip body, as XTRA's ASP.NET does without its request decompression;
    its journal showed the bytes read as text, and its curl line gave them back whole, the
    password with them, to anyone who decompressed them."""
    login = {"Username": "demo", "Password": SECRET}
    packed = gzip.compress(json.dumps(login).encode())
    headers = XTRA_KEYS | {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    answer = http.post(LOGIN, headers=headers, content=packed)
    entry = newest(http)
    assert answer.json()["errorCode"] == "ER.IR.INVAL"  # the fake reads the body as it came
    assert SECRET not in json.dumps(entry) and shell_word(packed) not in entry["curl"]
    assert entry["request"] == login | {"Password": "***"}
    assert "content-encoding" not in entry["curl"].lower()
    repeat = repeated(http, entry)
    assert repeat["request"] == entry["request"]  # the same content, as it came now


def test_a_compressed_body_past_the_preview_shows_its_start_and_one_not_decoded_a_note(
    http: httpx.Client,
) -> None:
    long = b"Username=demo&Password=" + SECRET.encode() + b"&x=" + b"y" * 100_000
    packed = gzip.compress(long)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "gzip"}
    http.post(LOGIN, headers=headers, content=packed)
    entry = newest(http)
    assert entry["request"].startswith("Username=demo&Password=***&x=yyy")
    assert len(entry["request"]) == 64 * 1024 - len(SECRET) + 3
    assert entry["cut"] == {"request": len(packed)}  # its size as it came
    http.post(LOGIN, headers=headers | {"Content-Encoding": "br"}, content=long)
    entry = newest(http)
    assert entry["request"] == (
        f"({len(long)} bytes in br, not shown: br is no coding the kit decodes (gzip, deflate))"
    )
    assert SECRET not in json.dumps(entry) and "--data-raw" not in entry["curl"]


def test_a_body_of_more_gzip_members_than_read_is_noted_not_shown(http: httpx.Client) -> None:
    """Empty gzip members decode to nothing: thousands of them held the server a while for
    each journal render, every other call waiting. Past a thousand, the journal says so."""
    packed = gzip.compress(b"", mtime=0) * 1_000 + gzip.compress(b"Password=" + SECRET.encode())
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "gzip"}
    http.post(LOGIN, headers=headers, content=packed)
    entry = newest(http)
    why = "its gzip bytes hold more than 1000 members"
    assert entry["request"] == f"({len(packed)} bytes in gzip, not shown: {why})"
    assert f"# its body ({len(packed)} bytes in gzip) left out: {why}" in entry["curl"]
    assert SECRET not in json.dumps(entry)


def test_a_body_refused_unread_is_said_at_the_end_of_the_curl_line() -> None:
    """A body over ``max_body_bytes`` is refused before it is read, and not kept: its line
    ended with its headers, as one of a call that sent none, and run again got the vendor's
    400 for a missing body, not the 413. A body sent in chunks gives no length to name."""
    with (
        MockServer({"kit": {"max_body_bytes": 1000}}) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        big = json.dumps([{"Name": "A" * 2000}]).encode()
        sent = http.post(KEEPIT, params=KEEPIT_QUERY, headers=KEEPIT_HEADERS, content=big)
        assert sent.status_code == 413
        entry = newest(http)
        assert entry["body_unread"] and entry["request"] is None
        assert "--data-raw" not in entry["curl"]
        assert entry["curl"].endswith(
            f" # its body ({len(big)} bytes by its Content-Length) was refused unread,"
            " over max_body_bytes (1000): not kept, so not sent"
        )
        chunked = http.post(LOGIN, headers=XTRA_KEYS, content=iter([big]))
        assert "content-length" not in chunked.request.headers
        assert newest(http)["curl"].endswith(
            "' # its body was refused unread, over max_body_bytes (1000): not kept, so not sent"
        )


@needs_shell
def test_a_call_without_a_body_is_sent_again_without_one(http: httpx.Client) -> None:
    http.post(LOGIN, headers=XTRA_KEYS)
    entry = newest(http)
    assert (entry["request"], entry["request_format"]) == (None, None)
    assert "--data-raw" not in entry["curl"] and "Content-Type:" not in entry["curl"]
    assert repeated(http, entry)["request_format"] is None


@needs_shell
def test_a_head_call_is_sent_again_and_the_line_ends(http: httpx.Client) -> None:
    """``-X HEAD`` made curl wait for the body a HEAD's answer never has (curl: (18))."""
    http.head(QP, params={"login": ""})
    entry = newest(http)
    assert entry["curl"].startswith("curl -sS --head ")
    assert repeated(http, entry)["method"] == "HEAD"


@needs_shell
@pytest.mark.parametrize(
    "value",
    [
        b"plain",
        b"it's $(id) `id` \\ \"; ls",
        "più".encode(),
        b"\xff\xfe caf\xe9",
        b"line\r\nline\ttab",
        "\u202eevil".encode(),
        b"\x1b[31mred",
    ],
)
def test_a_shell_word_is_the_bytes_it_stands_for(value: bytes) -> None:
    """Text in single quotes; with controls, marks that turn text around or bytes that are not
    UTF-8, bash's $'...': either way, the shell hands the bytes over as they were."""
    word = shell_word(value)
    assert "\r" not in word and "\x1b" not in word and "\u202e" not in word
    run = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, timeout=10)
    assert run.stdout == value


def test_a_method_is_one_shell_word() -> None:
    """HTTP allows ``|``, ``&``, ``$`` and backquotes in a method, and the line used it as it
    came: in a shell, ``-X GET|id`` runs a command."""
    transport = SyncASGITransport(create_app())
    with httpx.Client(transport=transport, base_url="http://mockservers") as http:
        http.request("GET|id", "/quoparts/ws_quoparts.php")
        (entry,) = http.get("/__admin/requests").json()
        line = http.get(f"/__admin/requests/{entry['id']}").json()["curl"]
    assert line.startswith("curl -sS -X 'GET|ID' ")  # httpx sends it in capitals


LEAKED = "Leak-S3cret-value"
HIDDEN = {
    "a document in a string naming it twice": json.dumps(
        {"payload": json.dumps({"Password": LEAKED}).replace("}", ', "Password": null}')}
    ),
    "a document in a string spelling its name with an escape": (
        '{"payload": "{\\"Pass\\\\u0077ord\\": \\"Leak-S3cret-value\\"}"}'
    ),
    "a document in a string after a line end": json.dumps(
        {"payload": "\n" + json.dumps({"Password": LEAKED})}
    ),
    "a parent given twice": '{"a": {"password": "Leak-S3cret-value"}, "a": 1}',
    "a parent given twice, its secret's name escaped": (
        '{"a": {"Pass\\u0077ord": "Leak-S3cret-value"}, "a": 1}'
    ),
}


@pytest.mark.parametrize("body", HIDDEN.values(), ids=HIDDEN.keys())
def test_a_secret_a_parse_hides_is_masked_everywhere_and_learned(body: str) -> None:
    """No name in the body's text nor in its parse showed these: the curl line, the recording
    and the journal kept the password, and the proxy never learned it."""
    sent = body.encode()
    assert LEAKED not in masked_bytes(sent).decode()  # the curl line
    assert LEAKED not in har.body_fields(sent, "application/json")[0]  # the recording
    assert LEAKED not in json.dumps(shown_body(sent)[0])  # the journal
    assert LEAKED in learned.secrets_of(request_body=sent)  # learned, to blot out of an echo


def test_a_name_a_hostile_body_gives_100000_times_is_learned_once() -> None:
    """Each value the parse dropped was learned, and classified, once per pair: a second of
    work for the proxy on every call of a 1 MB body; one value, learned once."""
    body = ("{" + '"token": "T0k3n-dup",' * 100_000 + '"token": null}').encode()
    assert learned.secrets_of(response_body=body) == ["T0k3n-dup"]
