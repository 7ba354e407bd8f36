"""A request's query and JSON body with some values replaced (a shadow's translation, a
replay's refill): every other byte as it came, the body written again whole only where a
replaced value cannot be told apart in its text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
import pytest

from mockservers.core import spliced
from mockservers.core.http import read_json


def _pairs(raw: bytes) -> list[tuple[str, str]]:
    return parse_qsl(raw.decode("latin-1"), keep_blank_values=True)


def test_a_query_keeps_every_field_but_those_replaced() -> None:
    raw = b"importCli&token=T-vendor&note=Citt%E0&&x=a%20b&mail=a@b.it&token=T-other"
    before = _pairs(raw)
    after = [(k, "T-fake" if v == "T-vendor" else v) for k, v in before]
    assert spliced.query(raw, before, after) == (
        b"importCli&token=T-fake&note=Citt%E0&&x=a%20b&mail=a@b.it&token=T-other"
    )
    assert spliced.query(raw, before, list(before)) is raw


def test_a_replaced_query_value_is_percent_encoded_as_utf_8() -> None:
    raw = b"password=***&login"
    after = [("password", "pà ss&=1"), ("login", "")]
    assert spliced.query(raw, _pairs(raw), after) == b"password=p%C3%A0%20ss%26%3D1&login"


def _rewritten(body: bytes, replace: dict[Any, Any]) -> bytes:
    """``body`` made to read as its parse with ``replace``'s values where they are found (a
    value's type and value: ``"5"`` and ``5`` apart)."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return replace.get((type(node), node), node)

    return spliced.json_body(body, walk(read_json(body, past_doubles=True)))


@pytest.mark.parametrize(
    ("body", "replace", "written"),
    [
        # nothing replaced: the body itself
        (b'{"n": 1e3, "z": -0, "p": 14.570}', {}, b'{"n": 1e3, "z": -0, "p": 14.570}'),
        # a string, where it stands; a name spelt as it is stays
        (
            b'{"C9": "C9", "p": 14.570, "k": "a", "k": "b"}',
            {(str, "C9"): "C1"},
            b'{"C9": "C1", "p": 14.570, "k": "a", "k": "b"}',
        ),
        # however the text escapes it
        (
            b'{"COD_CLI": "\\u0043\\u0039", "n": 1e3}',
            {(str, "C9"): "C1"},
            b'{"COD_CLI": "C1", "n": 1e3}',
        ),
        # beside numbers past a double's range (read as ±infinity), read token by token for
        # an escape too: they stay as written, one of more digits than Python converts too
        (
            b'[{"ID": 5, "N": "\\u0043", "a": 1e400, "b": -1%s}]' % (b"0" * 5000),
            {(int, 5): 7, (str, "C"): "D"},
            b'[{"ID": 7, "N": "D", "a": 1e400, "b": -1%s}]' % (b"0" * 5000),
        ),
        # a whole number, and no other number, nor a string, that holds its digits
        (
            b'[{"ID": 5, "x": 15, "s": "5", "f": 5.0, "e": 5e0}]',
            {(int, 5): 7},
            b'[{"ID": 7, "x": 15, "s": "5", "f": 5.0, "e": 5e0}]',
        ),
    ],
)
def test_a_json_body_keeps_its_text_but_the_values_replaced(
    body: bytes, replace: dict[Any, Any], written: bytes
) -> None:
    assert _rewritten(body, replace) == written


def test_a_value_replaced_in_one_place_and_kept_in_another_writes_the_body_again() -> None:
    body = b'{"a": "5",  "b": "5", "n": 1e3}'
    after = {"a": "7", "b": "5", "n": 1000.0}
    assert spliced.json_body(body, after) == orjson.dumps(after)


@pytest.mark.parametrize(
    ("encoded", "content_type"),
    [
        (lambda text: b"\xef\xbb\xbf" + text.encode(), "application/json"),
        (lambda text: text.encode("utf-16"), "application/json; charset=utf-16"),
        (lambda text: text.encode("utf-16-be"), "text/json; charset=UTF-16BE"),
    ],
    ids=["utf-8-bom", "utf-16", "utf-16be"],
)
def test_a_body_the_vendor_reads_in_its_charset_is_spliced_in_it(
    encoded: Callable[[str], bytes], content_type: str
) -> None:
    """A byte order mark or a declared UTF-16 (as ASP.NET reads them) made the body no JSON
    to the kit: it went untranslated. It is read so, and written back so, its mark kept."""
    body = encoded('[{"ID": 7, "Surname": "Città", "n": 1e3}]')
    after = [{"ID": 70007, "Surname": "Città", "n": 1000.0}]
    written = spliced.json_body(body, after, content_type)
    assert written == encoded('[{"ID": 70007, "Surname": "Città", "n": 1e3}]')


@pytest.mark.parametrize(
    ("body", "replace", "written"),
    [
        # the digits in a string, in a fraction, in another number, after a minus: no value
        (
            b'{"a": "Via Roma 5", "b": [5, 15, 5.5, -5, 51], "c": "x 5"}',
            {(int, 5): 7},
            b'{"a": "Via Roma 5", "b": [7, 15, 5.5, -5, 51], "c": "x 5"}',
        ),
        # the quotes of a string inside another, escaped, and a name spelt alike
        (
            b'{"a": "x\\"T1", "T1": "T1", "b": "\\\\", "c": "T1"}',
            {(str, "T1"): "F1"},
            b'{"a": "x\\"T1", "T1": "F1", "b": "\\\\", "c": "F1"}',
        ),
        # a value first in the text, and a string beyond ASCII escaped
        (b'"T1"', {(str, "T1"): "F1"}, b'"F1"'),
        (b'["Citt\\u00e0", 1]', {(str, "Città"): "Roma"}, b'["Roma", 1]'),
    ],
)
def test_a_replaced_value_is_found_only_where_it_stands_as_a_value(
    body: bytes, replace: dict[Any, Any], written: bytes
) -> None:
    assert _rewritten(body, replace) == written
