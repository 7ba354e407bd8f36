"""HAR 1.2 recording (``mockservers.core.har``): entries meet the HAR schema and carry no secret,
by name (query, headers, JSON fields) or by value wherever else it turns up."""

from __future__ import annotations

import base64
import codecs
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from contracts import contract
from mockservers.core import har, learned

HAR = contract("har/har")
STARTED = datetime(2024, 5, 2, 10, 0, tzinfo=UTC)


def exchange(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "method": "post",
        "url": "http://127.0.0.1:8000/quoparts/ws_quoparts.php?importCli=&token=tok-123456789",
        "request_headers": [("Content-Type", "application/json"), ("Accept", "*/*")],
        "request_body": b'{"data": [{"COD_CLI_ERP": "C1"}]}',
        "status": 200,
        "response_headers": [("content-type", "application/json")],
        "response_body": b'{"errorCode":"0","error":"","data":[{"COD_PWD":"PW9X2Q"}]}',
        "started": STARTED,
        "duration_ms": 12.5,
    }
    return {**base, **overrides}


def test_an_entry_meets_the_har_schema_and_masks_the_token_in_the_url_and_query() -> None:
    recorder = har.Recorder()
    recorder.add(**exchange())
    document = recorder.document()
    assert HAR.check(document) == []
    entry = document["log"]["entries"][0]
    assert entry["request"]["url"].endswith("?importCli=&token=***")
    assert {"name": "token", "value": "***"} in entry["request"]["queryString"]
    assert entry["request"]["postData"] == {
        "mimeType": "application/json",
        "text": '{"data": [{"COD_CLI_ERP": "C1"}]}',  # nothing secret: the exact text is kept
    }
    assert entry["response"]["statusText"] == "OK"
    assert json.loads(entry["response"]["content"]["text"])["data"][0]["COD_PWD"] == "***"
    assert entry["startedDateTime"] == "2024-05-02T10:00:00.000+00:00"
    assert entry["time"] == entry["timings"]["wait"] == 12.5


def test_secret_headers_and_json_fields_are_masked_by_name() -> None:
    recorder = har.Recorder()
    recorder.add(
        **exchange(
            url="http://h/keepit/api?cmd=insertClient_v3",
            request_headers=[
                ("password", "Keep-pw-1"),
                ("SyncSecretKey", "sk-1"),
                ("AccessToken", "at-1"),
                ("Authorization", "Bearer jwt-1"),
                ("Cookie", "session=abc"),
                ("username", "demo"),
            ],
            request_body=b'{"Username": "u", "Password": "p1", "Users": [{"ConfirmPassword": 1}]}',
            response_body=b'{"result": {"Token": "t1", "RefreshToken": "r1"}}',
        )
    )
    entry = recorder.document()["log"]["entries"][0]
    headers = {h["name"]: h["value"] for h in entry["request"]["headers"]}
    assert headers == {
        "password": "***",
        "SyncSecretKey": "***",
        "AccessToken": "***",
        "Authorization": "***",
        "Cookie": "***",
        "username": "demo",
    }
    sent = json.loads(entry["request"]["postData"]["text"])
    assert sent == {"Username": "u", "Password": "***", "Users": [{"ConfirmPassword": "***"}]}
    answered = json.loads(entry["response"]["content"]["text"])
    assert answered == {"result": {"Token": "***", "RefreshToken": "***"}}


def test_a_secret_seen_in_an_answer_is_blotted_out_wherever_else_it_appears() -> None:
    """A token issued in a login answer, then echoed by a server where no name says so."""
    recorder = har.Recorder(remember_requests=False)
    recorder.add(**exchange(response_body=b'{"data": [{"TOKEN": "tok-ABCDEFGH"}]}'))
    recorder.add(
        **exchange(
            url="http://h/q?x=tok-ABCDEFGH",
            response_headers=[("X-Mockservers-Detail", "unknown token tok-ABCDEFGH")],
            response_body=b'{"error": "token tok-ABCDEFGH expired"}',
        )
    )
    recorder.also_mask("my-secret-key")
    recorder.add(**exchange(request_body=b'{"note": "my-secret-key"}'))
    text = json.dumps(recorder.document())
    assert "tok-ABCDEFGH" not in text and "my-secret-key" not in text
    assert HAR.check(recorder.document()) == []


def test_a_token_a_redirect_s_url_gives_is_learned_without_remember_requests() -> None:
    """The fuzz harness learns only from answers: a token an implicit flow gave in its
    redirect's ``Location`` alone, sent back as a ``Bearer`` (masked there, by name) and
    quoted by the next answer's error, was not blotted out of that error."""
    recorder = har.Recorder(remember_requests=False)
    location = ("Location", "https://erp.example/cb#access_token=AT-impl-0123&token_type=Bearer")
    recorder.add(**exchange(status=302, response_headers=[location], response_body=b""))
    recorder.add(
        **exchange(
            request_headers=[("Authorization", "Bearer AT-impl-0123")],
            response_body=b'{"error": "token AT-impl-0123 scaduto"}',
        )
    )
    text = json.dumps(recorder.document())
    assert "AT-impl-0123" not in text and "token *** scaduto" in text


def test_a_secret_beyond_ascii_is_blotted_out_of_a_quoted_body_too() -> None:
    """A check quotes an answer's body as Python shows bytes (``HTTP 500: b'...'``), where a
    password beyond ASCII is escapes: neither its text nor its JSON spelling was found there."""
    body = '{"message": "password Sup3rSecrétKI scaduta"}'.encode()
    quoted = f"HTTP 500: {body!r}"
    assert "Sup3rSecr\\xc3\\xa9tKI" in quoted
    assert (
        learned.scrub(quoted, ["Sup3rSecrétKI"])
        == 'HTTP 500: b\'{"message": "password *** scaduta"}\''
    )


def test_a_secret_echoed_html_escaped_or_form_encoded_is_blotted_out() -> None:
    """A vendor's error page escapes the password it echoes (``&amp;``, ``&lt;``, quotes as
    ``&quot;``, ``&#x27;`` or ``&#39;``), and a form or a redirect spells its space ``+``:
    none of those spellings was searched for, and the password showed in the recording."""
    password = "p&ss <w'o\"rd> 42"
    pages = [
        b"<p>Password errata: p&amp;ss &lt;w&#x27;o&quot;rd&gt; 42</p>",
        b"<p>Password errata: p&amp;ss &lt;w&#39;o&quot;rd&gt; 42</p>",
        b"<p>Password errata: p&amp;ss &lt;w'o\"rd&gt; 42</p>",  # escaped as page text
        b"<a href='/retry?password=p%26ss+%3Cw%27o%22rd%3E+42'>retry</a>",
    ]
    recorder = har.Recorder()
    recorder.also_mask(password)
    for page in pages:
        recorder.add(
            **exchange(response_headers=[("content-type", "text/html")], response_body=page)
        )
    texts = [e["response"]["content"]["text"] for e in recorder.document()["log"]["entries"]]
    assert texts == [
        "<p>Password errata: ***</p>",
        "<p>Password errata: ***</p>",
        "<p>Password errata: ***</p>",
        "<a href='/retry?password=***'>retry</a>",
    ]


def test_a_token_php_escapes_is_blotted_out_of_the_recording_its_text_kept() -> None:
    """PHP's ``json_encode`` writes ``/`` as ``\\/``: a base64 token a login issued, echoed in
    an error, stayed one backslash away from the token the recording had learned."""
    recorder = har.Recorder(remember_requests=False)
    recorder.add(**exchange(response_body=b'{"data":[{"TOKEN":"Zm9v\\/YmFy+cXV4LXRva2Vu"}]}'))
    echoed = b'{"error":"Token Zm9v\\/YmFy+cXV4LXRva2Vu scaduto il 01\\/02\\/2031"}'
    recorder.add(**exchange(response_body=echoed))
    text = recorder.document()["log"]["entries"][1]["response"]["content"]["text"]
    assert text == '{"error":"Token *** scaduto il 01\\/02\\/2031"}'


def test_a_secret_in_utf_8_is_blotted_out_of_a_body_declared_latin_1() -> None:
    """Read in the charset it declares, its UTF-8 was ``pÃ¤sswÃ¶rd-1`` to the search."""
    recorder = har.Recorder()
    recorder.also_mask("pässwörd-1")
    latin_1 = [("content-type", "text/plain; charset=iso-8859-1")]
    for body in ("Password errata: pässwörd-1".encode(), b"Password errata: p\xe4ssw\xf6rd-1"):
        recorder.add(**exchange(response_headers=latin_1, response_body=body))
    texts = [e["response"]["content"]["text"] for e in recorder.document()["log"]["entries"]]
    assert texts == ["Password errata: ***"] * 2


def test_a_credential_is_blotted_out_but_not_the_words_around_it() -> None:
    """A bearer's token and a cookie's value are secrets; ``Bearer``, ``Secure`` and
    ``HttpOnly`` are words a vendor's answer may hold (they were blotted out everywhere)."""
    recorder = har.Recorder()
    recorder.add(
        **exchange(
            request_headers=[("Authorization", "Bearer BearerTok-12345")],
            response_headers=[("Set-Cookie", "PHPSESSID=CookieSecret42; Path=/; HttpOnly; Secure")],
        )
    )
    note = b'{"note": "HttpOnly Secure Path=/; atteso \'Bearer <token>\'", "t": "BearerTok-12345"}'
    recorder.add(**exchange(response_body=note + b" CookieSecret42"))
    text = recorder.document()["log"]["entries"][1]["response"]["content"]["text"]
    assert "HttpOnly Secure Path=/; atteso 'Bearer <token>'" in text
    assert "BearerTok-12345" not in text and "CookieSecret42" not in text


def test_a_basic_credential_s_password_is_blotted_out_where_the_answer_echoes_it() -> None:
    """Only the header whole and its base64 were learned: an upstream's "wrong password
    hunter22xyz" kept the password a ``Basic`` credential carried."""
    basic = "Basic " + base64.b64encode(b"mario:hunter22xyz").decode()
    echo = b'{"errorCode": "100", "error": "mario: wrong password hunter22xyz (mario:hunter22xyz)"}'
    recorder = har.Recorder()
    recorder.add(**exchange(request_headers=[("Authorization", basic)], response_body=echo))
    text = json.dumps(recorder.document())
    assert "hunter22xyz" not in text
    assert "mario: wrong password *** (***)" in text  # the user name is no secret
    found = learned.secrets_of(request_headers=[("authorization", basic)])
    assert {"mario:hunter22xyz", "hunter22xyz"} <= set(found)


def test_a_basic_credential_that_is_no_base64_or_has_no_password_teaches_only_itself() -> None:
    for credential in ("not*base64!", base64.b64encode(b"mario:").decode()):
        found = learned.secrets_of(request_headers=[("Authorization", f"Basic {credential}")])
        assert found == [f"Basic {credential}", credential]


def test_without_remember_requests_generated_values_in_secret_places_stay_local() -> None:
    """The fuzz harness's requests carry junk such as ``application/json`` in a password field:
    masked there, but not blotted out of every Content-Type."""
    recorder = har.Recorder(remember_requests=False)
    recorder.add(**exchange(request_body=b'{"Password": "application/json"}'))
    entry = recorder.document()["log"]["entries"][0]
    assert entry["request"]["postData"] == {
        "mimeType": "application/json",
        "text": '{"Password":"***"}',
    }


def test_a_dropped_connection_and_bytes_that_are_not_utf8_still_make_a_valid_entry(
    tmp_path: Path,
) -> None:
    recorder = har.Recorder()
    recorder.add(
        **exchange(
            request_body=b"\xff\xfe{not json",
            status=0,
            response_headers=[],
            response_body=None,
            comment="no complete answer: RemoteProtocolError",
        )
    )
    path = recorder.write(tmp_path / "out" / "run.har", comment="a test")
    document = json.loads(path.read_text("utf-8"))
    assert HAR.check(document) == []
    entry = document["log"]["entries"][0]
    assert entry["response"]["status"] == 0 and entry["comment"].startswith("no complete")
    posted = entry["request"]["postData"]  # its bytes, as base64
    assert posted["_encoding"] == "base64"
    assert base64.b64decode(posted["text"]) == b"\xff\xfe{not json"
    recorder.add(**exchange(request_body=b'{"data": [], "password": "hunter2"'))  # cut short
    cut_short = recorder.document()["log"]["entries"][1]["request"]["postData"]["text"]
    assert cut_short == '{"data": [], "password": "***"'
    assert document["log"]["creator"]["name"] == "mockservers"


def test_the_schema_refuses_what_the_specification_requires() -> None:
    recorder = har.Recorder()
    recorder.add(**exchange())
    document = recorder.document()
    del document["log"]["entries"][0]["timings"]["wait"]
    document["log"]["entries"][0]["request"]["extra"] = 1  # custom fields start with "_"
    document["log"]["entries"][0]["request"]["_extra"] = 1
    problems = {(v.pointer, v.keyword, v.message) for v in HAR.check(document)}
    assert problems == {
        ("log.entries[0].timings", "required", "'wait' is a required property"),
        (
            "log.entries[0].request",
            "additionalProperties",
            "'extra' does not match any of the regexes: '^_'",
        ),
    }


def test_the_har_folder_is_a_contract_but_not_a_vendor(tmp_path: Path) -> None:
    import contracts
    from mockservers.cli import main

    assert "har" not in contracts.vendors()
    assert "har/har" in contracts.schema_names() and contracts.schema_names("har") == ["har/har"]
    assert main(["contracts", "export", str(tmp_path)]) == 0
    assert (tmp_path / "har" / "har.json").is_file()
    assert not (tmp_path / "har" / "openapi.json").exists()


def test_each_side_has_its_own_size_and_version() -> None:
    """``bodySize`` as transferred, ``content.size`` decoded, ``compression`` what the coding
    saved (left out when the size on the wire is not known); the request's version its own."""
    body = b'{"errorCode":"0","error":"","data":[]}'
    packed = har.entry(
        **exchange(
            response_body=body,
            response_body_size=20,
            request_http_version="HTTP/1.1",
            response_http_version="HTTP/1.0",
        )
    )
    unknown = har.entry(**exchange(response_body=body, response_body_size=-1))
    assert packed["request"]["httpVersion"] == "HTTP/1.1"
    assert packed["response"]["httpVersion"] == "HTTP/1.0"
    assert packed["response"]["bodySize"] == 20
    assert packed["response"]["content"]["size"] == len(body)
    assert packed["response"]["content"]["compression"] == len(body) - 20
    assert unknown["response"]["bodySize"] == -1
    assert "compression" not in unknown["response"]["content"]
    versions = [har.request_version(v) for v in ("HTTP/1.0", "HTTP/1.1", "HTTP/2")]
    assert versions == ["HTTP/1.1", "HTTP/1.1", "HTTP/2"]
    assert HAR.check(har.log([packed, unknown])) == []


def test_secrets_sent_in_a_form_a_part_xml_or_a_python_pair_are_learned() -> None:
    """Only JSON fields were learned: a password sent as a form field or a multipart part was
    masked where it was sent, and stayed clear where the vendor echoed it."""
    multipart = httpx.Request(
        "POST", "http://u/x", files={"password": (None, "hunter22xyz")}, data={"u": "acme"}
    )
    bodies = {
        b"username=acme&password=hunter22xyz": {"hunter22xyz"},
        b"username=acme&password=hunter%2122xyz": {"hunter!22xyz", "hunter%2122xyz"},
        multipart.read(): {"hunter22xyz"},
        b"<Login><Password><![CDATA[hunter22xyz]]></Password></Login>": {"hunter22xyz"},
        b"{'Username': 'acme', 'Password': 'hunter22xyz'}": {"hunter22xyz"},
        b"username=acme&note=hunter22xyz": set(),
        # prose in a vendor's page: "Bearer <token>" with a tag after it named no secret, and
        # blotting it hid the same words in every later entry of the day's recording
        b"<p>Use Bearer <token> for every call.</p><p>Bearer <token> ogni volta.</p>": set(),
    }
    for body, secrets in bodies.items():
        assert set(learned.secrets_of(url="http://u/x", request_body=body)) == secrets, body
    recorder = har.Recorder()
    recorder.add(
        **exchange(
            request_headers=[("Content-Type", "application/x-www-form-urlencoded")],
            request_body=b"username=acme&password=hunter22xyz",
            response_body=b'{"errorCode": "101", "error": "Password errata: hunter22xyz"}',
        )
    )
    text = json.dumps(recorder.document())
    assert "hunter22xyz" not in text and "Password errata: ***" in text


def _login(password: str | None, token: str, previous: str = "") -> dict[str, object]:
    """A QuoParts exchange issuing ``token``: a login with ``password``, or a call sending
    ``previous`` that the vendor answers with a new token."""
    query = f"login=&username=acme&password={password}" if password else f"token={previous}"
    answer = {"errorCode": "0", "error": "", "data": [{"TOKEN": token}]}
    return exchange(
        url=f"http://h/quoparts/ws_quoparts.php?{query}",
        request_body=b"",
        response_body=json.dumps(answer).encode(),
    )


def test_what_a_recording_remembers_stays_bounded_and_keeps_the_password() -> None:
    """Every token of the day was kept, and each entry searched for every spelling of each: a
    call took 42 ms after 8,000 logins, and memory grew. The latest ``KEPT`` tokens are kept
    (what each entry is searched for stops growing), and a password the connector sent stays
    however many tokens come after it."""
    from mockservers.core.blotting import KEPT

    recorder = har.Recorder()
    recorder.also_mask("configured-key")
    recorder.add(**_login("Pass-word-1", "tok-0000000000"))
    searched = []
    for n in range(1, 3 * KEPT + 1):
        recorder.add(**_login(None, f"tok-{n:010d}", previous=f"tok-{n - 1:010d}"))
        if n in (KEPT, 2 * KEPT, 3 * KEPT):
            searched.append((len(recorder.memory), len(recorder.memory.blots())))
    assert searched == [(KEPT + 2, KEPT + 2)] * 3  # the tokens, the password and the key
    echoes = b'{"error": "Password errata: Pass-word-1 configured-key tok-%010d"}' % (3 * KEPT)
    recorder.add(**exchange(url="http://h/q", response_body=echoes))
    text = recorder.document()["log"]["entries"][-1]["response"]["content"]["text"]
    assert json.loads(text) == {"error": "Password errata: *** *** ***"}


def test_a_token_still_sent_is_kept_when_requests_teach_nothing() -> None:
    """The fuzz harness learns from answers only: the token it logged in with was pushed out
    by ``KEPT`` newer answers' secrets while every call still sent it, and an answer quoting it
    then reached the HAR in clear."""
    from mockservers.core.blotting import KEPT

    recorder = har.Recorder(remember_requests=False)
    token = "harness-token-0123456789"
    recorder.add(
        **exchange(url="http://h/login", response_body=b'{"token": "%s"}' % token.encode())
    )
    bearer = [("Authorization", f"Bearer {token}")]
    for n in range(KEPT + 44):
        answer = b'{"COD_PWD": "pw-%06d"}' % n
        recorder.add(**exchange(url="http://h/q", request_headers=bearer, response_body=answer))
    quoted = b'{"message": "sessione %s scaduta"}' % token.encode()
    recorder.add(**exchange(url="http://h/q", request_headers=bearer, response_body=quoted))
    text = recorder.document()["log"]["entries"][-1]["response"]["content"]["text"]
    assert json.loads(text) == {"message": "sessione *** scaduta"}


def test_bytes_that_are_no_text_go_as_base64_their_secrets_masked_first() -> None:
    """A body that is no UTF-8 was kept with replacement characters (a replay sent other
    bytes). Its base64 is masked before it is encoded, by name (a part named ``password``) and
    by value (a token an earlier answer issued); and no secret is searched for in the base64,
    where one found would be chance, and would break it."""
    recorder = har.Recorder()
    issued = (
        b'{"errorCode":"0","error":"","data":[{"TOKEN":"Tok-3c7f9a1b"},{"TOKEN":"QUJDREVGR0"}]}'
    )
    recorder.add(**exchange(response_body=issued))
    parts = (
        b'--b\r\ncontent-disposition: form-data; name="password"\r\n\r\nhunter22xyz\r\n'
        b'--b\r\ncontent-disposition: form-data; name="file"\r\n\r\n\xff\xfeTok-3c7f9a1b\r\n--b--'
    )
    multipart = [("Content-Type", "multipart/form-data; boundary=b")]
    recorder.add(**exchange(request_headers=multipart, request_body=parts))
    recorder.add(**exchange(response_body=b"ABCDEFGH\xff"))  # its base64: QUJDREVGR0j/
    entries = recorder.document()["log"]["entries"]
    posted, answered = entries[1]["request"]["postData"], entries[2]["response"]["content"]
    assert (posted["_encoding"], answered["encoding"]) == ("base64", "base64")
    assert base64.b64decode(posted["text"]) == parts.replace(b"hunter22xyz", b"***").replace(
        b"Tok-3c7f9a1b", b"***"
    )
    assert base64.b64decode(answered["text"]) == b"ABCDEFGH\xff"


def test_a_body_in_the_charset_its_content_type_declares_is_kept_as_text() -> None:
    latin_1 = [("Content-Type", "application/json; charset=iso-8859-1")]
    body = '{"City": "Città", "Password": "più-segreta"}'.encode("latin-1")
    recorder = har.Recorder()
    recorder.add(**exchange(request_headers=latin_1, request_body=body))
    posted = recorder.document()["log"]["entries"][0]["request"]["postData"]
    assert posted["text"] == '{"City":"Città","Password":"***"}' and "_encoding" not in posted


def _posted(charset: str, body: bytes) -> dict[str, str]:
    content_type = [("Content-Type", f"application/json; charset={charset}")]
    recorder = har.Recorder()
    recorder.add(**exchange(request_headers=content_type, request_body=body))
    return recorder.document()["log"]["entries"][0]["request"]["postData"]


def test_a_password_sent_in_utf_16_is_blotted_out_of_an_answer_that_echoes_it() -> None:
    """It was learned from the bytes as sent, no JSON in UTF-16: an answer quoting it kept it."""
    login = json.dumps({"Username": "u1", "Password": "Zq9-very-SECRET-pw"})
    recorder = har.Recorder()
    recorder.add(
        **exchange(
            request_headers=[("Content-Type", "application/json; charset=utf-16")],
            request_body=login.encode("utf-16-le"),
            response_body=b'{"message": "bad password Zq9-very-SECRET-pw"}',
        )
    )
    answer = recorder.document()["log"]["entries"][0]["response"]["content"]["text"]
    assert answer == '{"message": "bad password ***"}'


@pytest.mark.parametrize("charset", ["utf-16", "utf-16le", "utf-32", "iso-8859-1"])
@pytest.mark.parametrize("odd", [False, True], ids=["even", "odd"])
def test_a_utf_8_password_declared_in_another_charset_is_masked_by_name(
    charset: str, odd: bool
) -> None:
    """With no secret remembered (a fuzz harness's recording learns none of its requests'):
    read as UTF-16, a UTF-8 body was mojibake, no field named a secret, and its base64 kept the
    password the vendor reads as sent."""
    body = json.dumps({"Username": "u1", "Password": "Zq9-very-SECRET-pw"}).encode()
    body += b" " * (len(body) % 2 != odd)
    posted = _posted(charset, body)
    sent = har.recorded_body(posted, "_encoding")
    assert b"Zq9" not in sent and json.loads(sent) == {"Username": "u1", "Password": "***"}


def test_a_body_whose_text_would_not_come_back_as_its_bytes_is_kept_as_base64() -> None:
    """UTF-16 read its BOM and wrote it back little-endian, utf-8-sig wrote one a body came
    without: a replay sent other bytes than the connector had. A body with a secret in it is
    kept as its text, masked (no secret can be found in the base64 of UTF-16)."""
    body = '{"City": "Città"}'
    cases = [
        ("utf-16", codecs.BOM_UTF16_BE + body.encode("utf-16-be"), "base64"),
        ("utf-8-sig", body.encode(), "base64"),  # no BOM
        ("utf-8-sig", codecs.BOM_UTF8 + body.encode(), None),  # comes back as it was
    ]
    for charset, sent, encoding in cases:
        posted = _posted(charset, sent)
        assert posted.get("_encoding") == encoding, (charset, sent)
        assert har.recorded_body(posted, "_encoding") == sent
    secret = _posted("utf-16", '{"Password": "più-segreta"}'.encode("utf-16"))
    assert (secret["text"], secret.get("_encoding")) == ('{"Password": "***"}', None)
