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


class _Counted:
    """A zlib decompress object that counts the bytes it is fed into ``fed``."""

    def __init__(self, window: int, fed: list[int]) -> None:
        self._stream = _DECOMPRESSOBJ(window)
        self._fed = fed

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        self._fed.append(len(data))
        return self._stream.decompress(data, max_length)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


_DECOMPRESSOBJ = zlib.decompressobj


def _fed_to_read(monkeypatch: pytest.MonkeyPatch, body: bytes, limit: int) -> tuple[object, int]:
    """What content_of reads of a gzip ``body`` and the bytes zlib was fed for it."""
    fed: list[int] = []
    monkeypatch.setattr(zlib, "decompressobj", lambda window: _Counted(window, fed))
    read = content_of([(b"content-encoding", b"gzip")], body, limit)
    monkeypatch.undo()
    return read, sum(fed)


def test_a_body_of_many_empty_gzip_members_is_refused_in_work_of_its_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each member was read from a copy of all the bytes after the one before: a megabyte of
    empty members (52,000, no content to reach the limit with) fed zlib 27 GB in all, and
    three held the server for 10 s at every journal render."""
    body = _gzip(b"") * 52_000
    read, fed = _fed_to_read(monkeypatch, body, 10 * 2**20)
    assert (read.body, read.coding) == (None, "gzip")
    assert read.why == "its gzip bytes hold more than 1000 members"
    assert fed <= len(body)


def test_a_body_of_members_up_to_the_most_is_read_in_work_of_its_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A thousand members are still read, and a large one is fed once, not once a member."""
    body = _gzip(b"") * 999 + _gzip(CONTENT)
    read, fed = _fed_to_read(monkeypatch, body, 10 * 2**20)
    assert read.body == CONTENT
    assert fed <= 4 * len(body)
    large = _gzip(CONTENT * 2_000)
    read, fed = _fed_to_read(monkeypatch, large + _gzip(b""), 10 * 2**20)
    assert read.body == CONTENT * 2_000 and fed < 2 * len(large)
