"""``mockservers proxy`` in front of a sandbox that speaks OAuth 2 / OpenID Connect: its tokens and
client secret, under their own names (``access_token``, ``refresh_token``, ``id_token``,
``client_secret``), are masked in a form, a query, a JSON body, a redirect's fragment (the
implicit flow), a page's link and a URL a JSON string holds, and blotted out where the sandbox
echoes them, a token a redirect's URL alone gave too."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.proxying import Received, WireUpstream, answer, shown

ISSUED = {
    "access_token": "AT-issued-0123456789",
    "refresh_token": "RT-issued-0123456789",
    "id_token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYXJpbyJ9.",
    "token_type": "Bearer",
    "expires_in": 3600,
}
CLIENT_SECRET = "CS-erp-0123456789"
IMPLICIT = "AT-implicit-0123456789"
"""The token an authorization answer hands over in its redirect's fragment."""
SECRETS = (*(ISSUED[name] for name in ("access_token", "refresh_token", "id_token")),)


def sandbox(received: Received) -> bytes:
    """A token endpoint, an authorization endpoint (a redirect whose fragment holds a token,
    and a page with the same link) and a call that echoes the token it was sent."""
    target = received.request_line[1]
    if b"grant" in target:
        return answer(json.dumps(ISSUED).encode())
    if b"authorize" in target:
        link = f"https://erp.example/cb#access_token={IMPLICIT}&token_type=Bearer"
        page = f'<a href="{link}">Continua</a>'.encode()
        return answer(page, "text/html", f"Location: {link}")
    if b"access_token" in target:
        return answer(
            f'{{"errorCode":"100","error":"token {ISSUED["access_token"]} scaduto"}}'.encode()
        )
    return answer(b'{"errorCode":"0","error":"","data":[]}')


def test_oauth_tokens_and_the_client_secret_are_masked_wherever_they_travel(
    tmp_path: Path,
) -> None:
    """None of these names was a secret's: the client secret in the token request's form, the
    tokens in its answer, a query's ``access_token`` and the redirect's ``#access_token=``
    were journalled and recorded as they came."""
    form = (
        f"grant_type=refresh_token&refresh_token={ISSUED['refresh_token']}"
        f"&client_id=erp&client_secret={CLIENT_SECRET}"
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    calls = [
        {"method": "POST", "params": {"grant": ""}, "content": form, "headers": headers},
        {"params": {"authorize": "", "response_type": "token", "client_id": "erp"}},
        {"params": {"importCli": "", "access_token": ISSUED["access_token"]}},
        {"method": "POST", "json": {"client_id": "erp", "client_secret": CLIENT_SECRET}},
    ]
    with WireUpstream(sandbox) as upstream:
        journal, recording = shown(tmp_path, upstream, *calls)
    for kept in (journal, recording):
        assert [s for s in (*SECRETS, CLIENT_SECRET, IMPLICIT) if s in kept] == []
        assert "cb#access_token=***&token_type=Bearer" in kept
        assert "token *** scaduto" in kept
    # each call by its query's first name
    entries = {
        urlsplit(entry["target"]).query.partition("=")[0]: entry for entry in json.loads(journal)
    }
    assert entries["grant"]["request"] == (
        "grant_type=refresh_token&refresh_token=***&client_id=erp&client_secret=***"
    )
    assert entries["grant"]["response"] == {
        **ISSUED,
        "access_token": "***",
        "refresh_token": "***",
        "id_token": "***",
    }
    assert entries["importCli"]["query"]["access_token"] == "***"
    assert entries["authorize"]["response_headers"]["Location"].endswith(
        "#access_token=***&token_type=Bearer"
    )


LINKS = {
    "redirect_to": f"https://erp.example/cb#access_token={IMPLICIT}&token_type=Bearer",
    "next": f"https://erp.example/cb?x=1&token={ISSUED['access_token']}",
    "logo": "https://erp.example/logo.png?v=2#top",
}
MASKED_LINKS = {
    "redirect_to": "https://erp.example/cb#access_token=***&token_type=Bearer",
    "next": "https://erp.example/cb?x=1&token=***",
    "logo": "https://erp.example/logo.png?v=2#top",
}


def test_a_url_in_a_json_string_has_its_secrets_masked_in_the_journal_too(tmp_path: Path) -> None:
    """A JSON body's string that is a URL (``"redirect_to": "...cb#access_token=..."``,
    ``"next": "...?x=1&token=..."``): the recording and the curl line masked its token where
    the body's text showed ``#access_token=``, the journal, which shows the body parsed, did
    not; nor did the recording where the answer wrote ``&`` as .NET does, ``\\u0026``."""
    dotnet = json.dumps(LINKS).replace("&", "\\u0026").encode()
    with WireUpstream(answer(dotnet)) as upstream:
        journal, recording = shown(tmp_path, upstream, {"method": "POST", "json": LINKS})
    for kept in (journal, recording):
        assert [s for s in (IMPLICIT, ISSUED["access_token"]) if s in kept] == []
    (entry,) = json.loads(journal)
    assert entry["request"] == entry["response"] == MASKED_LINKS
    assert json.dumps(MASKED_LINKS, separators=(",", ":")) in entry["curl"]
    (recorded,) = json.loads(recording)["log"]["entries"]
    for side in (recorded["request"]["postData"], recorded["response"]["content"]):
        assert json.loads(side["text"]) == MASKED_LINKS


IMPLICIT_LINK = f"https://erp.example/cb?state=xyz#access_token={IMPLICIT}&token_type=Bearer"


@pytest.mark.parametrize(
    "header",
    [
        f"Location: {IMPLICIT_LINK}",
        f"Content-Location: {IMPLICIT_LINK}",
        f"Refresh: 0; url='{IMPLICIT_LINK}'",
    ],
)
def test_a_token_only_a_redirect_s_url_gives_is_blotted_out_wherever_else_it_appears(
    tmp_path: Path, header: str
) -> None:
    """An implicit flow's answer gives its token in the URL it sends the browser to, and no
    name says so anywhere else: masked in that header, it was not learned, so the page that
    showed it kept it in the journal and the recording, and so did a later call that sent it
    in a header of the connector's own."""

    def implicit(received: Received) -> bytes:
        if b"authorize" in received.request_line[1]:
            page = f"<p>Accesso consentito: {IMPLICIT}</p>".encode()
            return answer(page, "text/html", header)
        return answer(b'{"errorCode":"0","error":"","data":[]}')

    calls = [
        {"params": {"authorize": "", "response_type": "token"}},
        {"params": {"importCli": ""}, "headers": {"X-Erp-Session": IMPLICIT}},
    ]
    with WireUpstream(implicit) as upstream:
        journal, recording = shown(tmp_path, upstream, *calls)
    assert IMPLICIT not in recording
    authorize, _ = sorted(json.loads(journal), key=lambda entry: "importCli" in entry["target"])
    assert authorize["response"] == "<p>Accesso consentito: ***</p>"
    assert IMPLICIT not in json.dumps(authorize)
