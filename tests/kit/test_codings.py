"""A request body's ``Content-Encoding`` undone (``mockservers.core.codings``): what the journal,
the proxy and its recordings read of a compressed body, within a limit, and what a replay sends
again."""

from __future__ import annotations

import gzip
import zlib

import pytest

from mockservers.core.codings import Unreadable, applied, coding_of, content_of, undone

CONTENT = b'{"Username": "mario", "Password": "Gz-S3cret-pw"}' * 40


def _gzip(data: bytes) -> bytes:
    """gzip of ``data``, the same bytes in every process (test ids are made of them)."""
    return gzip.compress(data, mtime=0)


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-15)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", _gzip(CONTENT)),
        ("x-gzip", _gzip(CONTENT)),
        ("gzip", _gzip(CONTENT[:100]) + _gzip(CONTENT[100:])),
        ("deflate", zlib.compress(CONTENT)),
        ("deflate", _raw_deflate(CONTENT)),  # as some clients send deflate
        ("gzip, deflate", zlib.compress(_gzip(CONTENT))),  # the last applied is undone first
    ],
    ids=["gzip", "x-gzip", "two-gzip-members", "deflate", "raw-deflate", "gzip-then-deflate"],
)
def test_a_body_in_gzip_or_deflate_is_read_whole(coding: str, body: bytes) -> None:
    assert undone(body, coding, len(CONTENT)).body == CONTENT
    assert undone(body, coding, len(CONTENT)).short == ""
    assert undone(applied(CONTENT, coding), coding, len(CONTENT)).body == CONTENT


def test_a_content_past_the_limit_or_cut_short_is_only_its_start() -> None:
    """A 16 MiB body of gzip may hold gigabytes: never more than the limit is decoded."""
    past = undone(_gzip(CONTENT), "gzip", 100)
    assert (past.body, past.short) == (CONTENT[:100], "its content is larger than 100 bytes")
    cut = undone(_gzip(CONTENT)[:-30], "gzip", len(CONTENT))
    assert CONTENT.startswith(cut.body) and cut.short.endswith("end before its content does")


@pytest.mark.parametrize(
    ("body", "coding", "why"),
    [
        (b"Password=plain", "br", "br is no coding the kit decodes"),
        (b"Password=plain", "gzip", "the bytes are not gzip"),
        (b"Password=plain", "deflate", "the bytes are not deflate"),
        (zlib.compress(CONTENT) + b"Password=x", "deflate", "bytes follow the end"),
        (_gzip(CONTENT) + b"Password=x", "gzip", "the bytes are not gzip"),
    ],
    ids=["br", "not-gzip", "not-deflate", "after-deflate", "after-gzip"],
)
def test_a_coding_the_kit_does_not_decode_or_bytes_not_in_it_are_unreadable(
    body: bytes, coding: str, why: str
) -> None:
    with pytest.raises(Unreadable, match=why):
        undone(body, coding, 10**6)


def test_a_request_s_content_is_read_whole_or_not_at_all() -> None:
    headers = [(b"Content-Type", b"application/json"), (b"Content-Encoding", b"identity, GZIP")]
    assert coding_of(headers) == "gzip" and coding_of([(b"content-encoding", b"identity")]) == ""
    assert content_of(headers, _gzip(CONTENT), len(CONTENT)).body == CONTENT
    past = content_of(headers, _gzip(CONTENT), 100)
    assert (past.body, past.coding) == (None, "gzip") and "larger than 100" in past.why
    assert content_of([], b"as it came", 1).body == b"as it came"  # no coding: no limit either
