"""A URL's secret parameters (``mockservers.core.urlmasks``), in its query and its fragment:
masked, the rest of the URL kept byte for byte, whatever the text (a URL no parser reads
included)."""

from __future__ import annotations

import pytest

from mockservers.core import urlmasks


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
    ],
)
def test_a_url_is_masked_as_it_stands_not_as_a_parser_writes_it_again(url: str) -> None:
    """The URL was parsed and written again: in its normal form (``http:``, no line end, no
    empty query), or not at all (``ValueError: Invalid IPv6 URL``, which the proxy's journal
    of a redirect there raised)."""
    assert urlmasks.mask_url(url) == url.replace("T0k-123", "***")


def test_a_query_and_a_header_url_keep_every_byte_but_the_secret_values() -> None:
    """A query's repeats, empty parameters and escapes stay, and a name spelt with escapes is a
    secret's; a ``Refresh`` header's URL follows its delay, in quotes or not: its closing
    quote was masked with the value."""
    query = "a=1&&token=&Token=x&password&acc%65ss_token=y+z&b=%20"
    assert (
        urlmasks.mask_query(query) == "a=1&&token=***&Token=***&password&acc%65ss_token=***&b=%20"
    )
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
