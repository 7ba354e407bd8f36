"""A URL's secret parameters (``mockservers.core.urlmasks``), in its query and its fragment:
masked, the rest of the URL kept byte for byte, whatever the text (a URL no parser reads
included), and masked alike where a JSON body's string holds one: in the journal, the curl
line and a recording."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockservers.core import har, learned, urlmasks
from mockservers.core.journal_shown import shown_body
from mockservers.core.secretnames import SECRET_KEYS
from mockservers.core.secrets import masked_bytes


def test_a_secret_in_a_url_s_fragment_shaped_like_a_form_is_masked() -> None:
    """A sandbox's redirect to ``cb#token=...`` kept the token: only the query was masked."""
    assert urlmasks.mask_url("https://s.example/cb#token=T0k-123&x=1") == (
        "https://s.example/cb#token=***&x=1"
    )
    assert urlmasks.mask_url("https://s.example/cb?password=a#b&Token=c") == (
        "https://s.example/cb?password=***#b&Token=***"
    )
    for kept in ("https://s.example/doc#token", "https://s.example/doc#x=1&y", "/#/a?b=c;d"):
        assert urlmasks.mask_url(kept) == kept


@pytest.mark.parametrize(
    ("fragment", "masked"),
    [
        ("/cb?token=T0k-123&x=1", "/cb?token=***&x=1"),  # a hash router's route and query
        ("/cb?x=1;Token=T0k-123", "/cb?x=1;Token=***"),
        ("x=1;token=T0k-123", "x=1;token=***"),
        ("token=T0k-123?x;y", "token=***;y"),  # a form: its values may hold a "?"
    ],
)
def test_a_secret_in_a_hash_router_s_query_or_after_a_semicolon_is_masked(
    fragment: str, masked: str
) -> None:
    """Only ``&`` split the fragment, from its start: ``/cb?token`` was no secret's name."""
    assert (
        urlmasks.mask_url(f"https://s.example/app#{fragment}") == f"https://s.example/app#{masked}"
    )


@pytest.mark.parametrize(
    "url",
    [
        "HTTP://Erp.Example/cb?token=T0k-123",  # a scheme in capitals
        "https://erp.example/cb?x=1\n&token=T0k-123",  # a line end, a tab
        "\thttps://erp.example/cb?token=T0k-123&x= 1",
        "https://erp.example/cb?#token=T0k-123",  # an empty query
        "http://[::1/cb?token=T0k-123",  # an IPv6 address never closed: a parser refuses it
        "http://erp.example:99999/cb?token=T0k-123",  # a port no socket has
        "https://erp.example/cb?x=1&acc%65ss_%54oken=T0k-123",  # a name spelt with escapes
    ],
)
def test_a_url_is_masked_as_it_stands_not_as_a_parser_writes_it_again(url: str) -> None:
    """The URL was parsed and written again: in its normal form (``http:``, no line end, no
    empty query), or not at all (``ValueError: Invalid IPv6 URL``, which the proxy's journal
    of a redirect there raised). A name spelt with escapes is read as it spells."""
    assert urlmasks.mask_url(url) == url.replace("T0k-123", "***")


def test_a_query_and_a_header_url_keep_every_byte_but_the_secret_values() -> None:
    """A query's repeats, empty parameters (a blank secret too: nothing to hide) and escapes
    stay, and a name spelt with escapes is a secret's; a ``Refresh`` header's URL follows its
    delay, in quotes or not: its closing quote was masked with the value."""
    query = "a=1&&token=&Token=x&password&acc%65ss_token=y+z&b=%20"
    assert urlmasks.mask_query(query) == "a=1&&token=&Token=***&password&acc%65ss_token=***&b=%20"
    headers = [
        ("Location", "/cb?token=T0k-123"),
        ("Refresh", "5; URL='https://erp.example/cb?x=1#access_token=T0k-123'  "),
        ("refresh", "0;https://erp.example/cb?token=T0k-123"),
        ("Refresh", "5"),
    ]
    assert urlmasks.mask_header_urls(headers) == [
        ("Location", "/cb?token=***"),
        ("Refresh", "5; URL='https://erp.example/cb?x=1#access_token=***'  "),
        ("refresh", "0;https://erp.example/cb?token=***"),
        ("Refresh", "5"),
    ]


def test_a_url_in_a_json_string_is_masked_alike_wherever_the_body_shows() -> None:
    """The journal shows a body parsed, the curl line and a recording its text: each masks a
    URL a string holds, in a document a string holds too, as :func:`urlmasks.mask_url` does;
    a body whose URLs hold no secret is kept as it came, its spacing too."""
    body = {
        "next": "https://erp.example/cb?x=1&Token=T0k-123#top",
        "links": ["/cb#/home?access_token=T0k-456", "mailto:a@b.it?subject=token"],
        "payload": json.dumps({"Password": None, "back": "https://erp.example/?password=pw-789"}),
    }
    masked = {
        "next": "https://erp.example/cb?x=1&Token=***#top",
        "links": ["/cb#/home?access_token=***", "mailto:a@b.it?subject=token"],
        "payload": '{"Password":null,"back":"https://erp.example/?password=***"}',
    }
    sent = json.dumps(body).encode()
    assert shown_body(sent) == (masked, "json")
    assert json.loads(masked_bytes(sent)) == masked
    assert json.loads(har.body_fields(sent, "application/json")[0]) == masked
    plain = b'{"logo": "https://erp.example/logo.png?v=2&size=l#top", "token": null}'
    assert masked_bytes(plain) is plain


def _spelt(name: str, capitals: int, escaped: frozenset[str]) -> str:
    """``name`` with the letters ``capitals`` says in capitals, and ``escaped`` percent-escaped."""
    letters = (c.upper() if capitals >> at & 1 else c for at, c in enumerate(name))
    return "".join(f"%{ord(c):02X}" if c in escaped else c for c in letters)


PARAMETERS = st.lists(
    st.tuples(
        st.sampled_from(["?", "&", "#", ";", "#/cb?"]),
        st.sampled_from([*sorted(SECRET_KEYS), "x", "state", "tokens", "token_type"]),
        st.text("aZ09-_+%", max_size=6),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(
    parameters=PARAMETERS,
    capitals=st.integers(0, 2**16),
    escaped=st.frozensets(st.sampled_from(string.ascii_letters + "_-")),
    json_escaped=st.frozensets(st.sampled_from(string.ascii_letters + "_-=&?#;%")),
)
def test_a_body_read_for_urls_is_every_body_a_url_s_secret_is_in(
    parameters: list[tuple[str, str, str]],
    capitals: int,
    escaped: frozenset[str],
    json_escaped: frozenset[str],
) -> None:
    """Only the bodies :func:`urlmasks.may_hold_secret_urls` picks have their strings read as
    URLs, whatever the spelling of a parameter's name (capitals, percent escapes) and the
    JSON's escapes (``\\u0026`` for ``&``, as .NET writes it): each one whose URL holds a
    secret is picked, and the journal and the curl line show it masked."""
    url = "https://erp.example/cb" + "".join(
        f"{mark}{_spelt(name, capitals, escaped)}={value}" for mark, name, value in parameters
    )
    text = "".join(f"\\u{ord(c):04x}" if c in json_escaped else c for c in url)
    body = f'{{"u": "{text}", "n": 1}}'.encode()
    masked = urlmasks.mask_url(url)
    if masked != url:
        assert urlmasks.may_hold_secret_urls(body) and urlmasks.may_hold_secret_urls(body.decode())
    assert shown_body(body) == ({"u": masked, "n": 1}, "json")
    shown = json.loads(masked_bytes(body))["u"]
    assert urlmasks.mask_url(shown) == shown  # nothing left to mask


PHP_SPELLINGS = ["password[]", "Password[0][x]", "password%5B%5D", "+password", "%20password"]
"""``password`` as PHP reads it into ``$_GET`` or ``$_POST``: an index dropped from the name,
and the spaces before it."""


@pytest.mark.parametrize(
    "name", [*PHP_SPELLINGS, "client.secret", "client+secret", "secret%2Ekey"]
)  # "." and " " are "_" to PHP
def test_a_secret_s_name_as_php_reads_it_is_a_secret_s_in_a_url(name: str) -> None:
    """QuoParts reads its query as PHP does (``$_GET``): each was shown in clear."""
    url = f"https://erp.example/ws.php?login=&{name}=S3cret-v4lue&x=1"
    assert urlmasks.mask_url(url) == f"https://erp.example/ws.php?login=&{name}=***&x=1"
    assert urlmasks.mask_query(url.partition("?")[2]) == f"login=&{name}=***&x=1"
    assert [value for _, value in urlmasks.url_secrets(url)] == ["S3cret-v4lue"]
    assert learned.secrets_of(url=url) == ["S3cret-v4lue"]
    body = json.dumps({"next": url}).encode()
    assert urlmasks.may_hold_secret_urls(body) and "S3cret" not in str(shown_body(body))
    exchange = {"method": "GET", "url": url, "request_headers": [], "request_body": None}
    answer = {"status": 200, "response_headers": [], "response_body": None}
    recorded = har.entry(**exchange, **answer, started=datetime.now(UTC), duration_ms=1)
    assert "S3cret" not in json.dumps(recorded)  # its URL and its queryString


@pytest.mark.parametrize("name", PHP_SPELLINGS)
def test_a_secret_s_name_as_php_reads_it_is_a_secret_s_in_a_form(name: str) -> None:
    form = f"x=1&{name}=S3cret-v4lue&y=2"
    assert shown_body(form.encode()) == (f"x=1&{name}=***&y=2", "text")
    assert set(learned.secrets_of(request_body=form.encode())) == {"S3cret-v4lue"}


def test_a_url_s_secrets_are_read_out_as_a_form_s_to_be_learned() -> None:
    """What a recording learns of a URL: each secret parameter's name and value with their
    escapes undone (a ``+`` a space), of its query and its fragment; of a header, the URL a
    ``Refresh`` holds, without its quotes."""
    url = "https://erp.example/cb?acc%65ss_token=a%2Bb+c&x=1#/home?Token=T0k-123;y=2"
    assert urlmasks.url_secrets(url) == [("access_token", "a+b c"), ("Token", "T0k-123")]
    refresh = "5; url='https://erp.example/cb#access_token=T0k-456'"
    assert urlmasks.header_url_secrets("Refresh", refresh) == [("access_token", "T0k-456")]
