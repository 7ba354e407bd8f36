"""``mockservers proxy`` in front of a vendor that echoes a secret in a spelling of its own (PHP's
JSON, .NET's, a page's, a URL's, a charset other than UTF-8) or names it twice: the journal and
the recording show it nowhere."""

from __future__ import annotations

import json
from pathlib import Path

from mockservers.core import har
from tests.proxying import Received, WireUpstream, answer, shown

TOKEN = "Zm9v/YmFy+cXV4LXRva2Vu"
"""A base64 token: it holds the ``/`` PHP escapes and the ``+`` .NET escapes."""


def test_a_token_php_escapes_in_an_error_is_blotted_out(tmp_path: Path) -> None:
    """The login issued it as ``Zm9v\\/YmFy+...``; the error quoting it the same way was parsed
    by the journal, which showed the token in clear, and the recording kept it one backslash
    away from the token it had learned."""
    escaped = TOKEN.replace("/", "\\/").encode()

    def vendor(received: Received) -> bytes:
        if b"login" in received.request_line[1]:
            return answer(b'{"errorCode":"0","error":"","data":[{"TOKEN":"' + escaped + b'"}]}')
        return answer(b'{"errorCode":"101","error":"Token ' + escaped + b' scaduto","data":[]}')

    login = {"params": {"login": "", "username": "acme", "password": "pw-123456"}}
    call = {"method": "POST", "params": {"importCli": "", "token": TOKEN}, "json": {"data": []}}
    with WireUpstream(vendor) as upstream:
        journal, recording = shown(tmp_path, upstream, login, call)
    for kept in (journal, recording):
        assert "Zm9v" not in kept and "Token *** scaduto" in kept


def test_a_password_a_page_or_a_url_escapes_its_own_way_is_blotted_out(tmp_path: Path) -> None:
    """PHP's ``htmlspecialchars`` writes ``'`` as ``&#039;``, HTML5 as ``&apos;``; ``quote``
    keeps ``/``, ``encodeURIComponent`` ``'``, .NET's ``HttpUtility`` writes ``%2f``; a
    redirect's ``Location`` echoed it too."""
    spelt = [
        "it&#039;s/a+secret",
        "it&apos;s/a+secret",
        "it%27s/a%2Bsecret",
        "it%27s%2fa%2bsecret",
        "it's%2Fa%2Bsecret",
        "it\\u0027s/a\\u002Bsecret",
    ]
    page = "\n".join(f"<p>{text}</p>" for text in spelt).encode()
    location = "Location: /quoparts/back?msg=it%27s/a%2Bsecret"
    with WireUpstream(answer(page, "text/html", location)) as upstream:
        call = {"params": {"login": "", "username": "acme", "password": "it's/a+secret"}}
        journal, recording = shown(tmp_path, upstream, call)
    for kept in (journal, recording):
        assert [text for text in spelt if text in kept] == []
        assert "<p>***</p>\\n" * 5 + "<p>***</p>" in kept and "back?msg=***" in kept


def test_a_password_in_latin_1_is_blotted_out_declared_or_not(tmp_path: Path) -> None:
    """Only the password's UTF-8 was searched for: the journal showed ``p�ssw�rd-1`` (and the
    recording, of a body declaring no charset, its bytes as base64)."""
    for at, content_type in enumerate(("text/plain; charset=iso-8859-1", "text/plain")):
        body = "Password errata: pässwörd-1".encode("latin-1")
        with WireUpstream(answer(body, content_type)) as upstream:
            call = {"params": {"login": "", "username": "acme", "password": "pässwörd-1"}}
            journal, recording = shown(tmp_path / str(at), upstream, call)
        (entry,) = json.loads(journal)
        assert entry["response"] == "Password errata: ***"
        (recorded,) = json.loads(recording)["log"]["entries"]
        assert har.recorded_body(recorded["response"]["content"], "encoding") == (
            b"Password errata: ***"
        )


def test_a_password_named_twice_is_masked_in_the_curl_line_and_the_recording(
    tmp_path: Path,
) -> None:
    """The journal's parse kept the last ``Password`` (``null``); the curl line and the
    recording kept the body as sent, the first password in it."""
    body = b'{"Username":"mario","Password":"Dup-S3cret-pw","Password":null}'
    journal, recording = _imported(tmp_path, body, b'{"errorCode":"0","error":"","data":[]}')
    assert "Dup-S3cret-pw" not in journal + recording
    assert '"Password":"***","Password":null' in json.loads(journal)[0]["curl"]
    assert '\\"Password\\":\\"***\\",\\"Password\\":null' in recording


def test_a_password_named_twice_in_another_spelling_is_masked_and_blotted_out(
    tmp_path: Path,
) -> None:
    """``Pass\\u0077ord`` reads as ``Password``, and the parse keeps the last of the two
    (``null``): the curl line and the recording kept the first password as sent (no pair
    spelt ``"Password"`` held it), and it was never learned, so the vendor's echo showed it."""
    body = b'{"Username":"mario","Pass\\u0077ord":"hunter22","Password":null}'
    echo = b'{"errorCode":"101","error":"Password errata: hunter22","data":[]}'
    journal, recording = _imported(tmp_path, body, echo)
    assert "hunter22" not in journal + recording
    (entry,) = json.loads(journal)
    assert '{"Username":"mario","Pass\\u0077ord":"***","Password":null}' in entry["curl"]
    assert entry["response"]["error"] == "Password errata: ***"
    assert "Password errata: ***" in recording


def test_a_password_in_a_json_document_sent_as_a_string_is_masked_and_blotted_out(
    tmp_path: Path,
) -> None:
    """A connector that sends a document as a JSON string field (``"payload":
    "{\\"Password\\": ...}"``): the parse holds a string, and the body's text has the name
    between escaped quotes, so no mask found the password, nor learned it, and the journal,
    the curl line, the recording and the vendor's echo all showed it."""
    payload = json.dumps({"Username": "mario", "Password": "hunter22"})
    body = json.dumps({"operation": "login", "payload": payload}).encode()
    echo = b'{"errorCode":"101","error":"Password errata: hunter22","data":[]}'
    journal, recording = _imported(tmp_path, body, echo)
    assert "hunter22" not in journal + recording
    (entry,) = json.loads(journal)
    assert json.loads(entry["request"]["payload"]) == {"Username": "mario", "Password": "***"}
    assert entry["response"]["error"] == "Password errata: ***"
    (recorded,) = json.loads(recording)["log"]["entries"]
    sent = json.loads(recorded["request"]["postData"]["text"])
    assert json.loads(sent["payload"]) == {"Username": "mario", "Password": "***"}


def test_a_password_in_a_document_named_twice_or_escaped_is_masked_and_blotted_out(
    tmp_path: Path,
) -> None:
    """A document in a string that named the password twice (the last ``null``), spelt its
    name with an escape, or opened after a line end, and a password under a name given twice:
    the journal, the curl line and the recording kept it, and the vendor's echo showed it."""
    payload = json.dumps({"Password": "hunter22"})
    bodies = [
        json.dumps({"payload": payload.replace("}", ', "Password": null}')}),
        json.dumps({"payload": payload.replace("Password", "Pass\\u0077ord")}),
        json.dumps({"payload": "\n" + payload}),
        '{"Username":"mario","a":{"Pass\\u0077ord":"hunter22"},"a":1}',
    ]
    echo = answer(b'{"errorCode":"101","error":"Password errata: hunter22","data":[]}')
    for at, body in enumerate(bodies):
        with WireUpstream(echo) as upstream:
            call = {"method": "POST", "params": {"importCli": ""}, "content": body.encode()}
            journal, recording = shown(tmp_path / str(at), upstream, call)
        assert "hunter22" not in journal + recording, body
        (entry,) = json.loads(journal)
        assert entry["response"]["error"] == "Password errata: ***"


def _imported(tmp_path: Path, body: bytes, echo: bytes) -> tuple[str, str]:
    """An importCli sent with ``body`` through the proxy to a sandbox answering ``echo``: the
    journal and the recording, as text."""
    with WireUpstream(answer(echo)) as upstream:
        call = {"method": "POST", "params": {"importCli": ""}, "content": body}
        return shown(tmp_path, upstream, call)


def test_an_answer_is_shown_read_in_its_declared_charset(tmp_path: Path) -> None:
    """The journal read every answer as UTF-8: a Latin-1 ``perché è così`` showed as
    ``perch\ufffd \ufffd cos\ufffd``, and a UTF-16 JSON answer as text (a NUL after each
    character), its token in clear under a name that says it is one. The recording read both
    in their charset all along; now the journal does, and parses the JSON from that text."""
    latin = "Utente bloccato: perché è così".encode("latin-1")
    document = {"errorCode": "0", "error": "", "data": [{"TOKEN": "Tok-S3cret-777"}]}
    wide = json.dumps(document).encode("utf-16")

    def vendor(received: Received) -> bytes:
        if b"latin" in received.request_line[1]:
            return answer(latin, "text/plain; charset=iso-8859-1")
        return answer(wide, "application/json; charset=utf-16")

    calls = [{"url": "/quoparts/latin"}, {"url": "/quoparts/wide"}]
    with WireUpstream(vendor) as upstream:
        journal, _ = shown(tmp_path, upstream, *calls)
    by_path = {entry["path"]: entry for entry in json.loads(journal)}
    latin_shown, wide_shown = by_path["/quoparts/latin"], by_path["/quoparts/wide"]
    assert (latin_shown["response"], latin_shown["response_format"]) == (
        latin.decode("latin-1"),
        "text",
    )
    assert wide_shown["response_format"] == "json"
    assert wide_shown["response"] == document | {"data": [{"TOKEN": "***"}]}
    assert "S3cret" not in journal
