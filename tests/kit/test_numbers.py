"""Numbers as a body wrote them (core/numbers.py): what the vendors that echo a value as
received rely on, at the edges of what orjson reads and writes exactly, and the kit's diagnosis
quoting a number as written (explain.as_written)."""

from __future__ import annotations

import orjson
import pytest

from contracts import Violation
from mockservers.core.explain import as_written, diagnosis, misquoted
from mockservers.core.numbers import read_as_written, read_inexactly, read_otherwise
from mockservers.core.secretnames import MASK


@pytest.mark.parametrize("written", ["18446744073709551616", "-9223372036854775809", "1e19"])
def test_a_float_orjson_read_for_a_number_beyond_64_bits_is_inexact(written: str) -> None:
    assert read_inexactly(orjson.loads(written))


@pytest.mark.parametrize("written", ["18446744073709551615", "-9223372036854775808", "1e3", '"1"'])
def test_a_number_orjson_holds_as_written_is_exact(written: str) -> None:
    assert not read_inexactly(orjson.loads(written))


@pytest.mark.parametrize("written", ["18446744073709551617", "1e3", "1.0", "-0.0", "-0", "0"])
def test_a_float_or_a_zero_may_have_been_written_otherwise(written: str) -> None:
    assert read_otherwise(orjson.loads(written))


@pytest.mark.parametrize("written", ["-7", "42", "18446744073709551615", "false", '"0"'])
def test_a_whole_number_but_zero_is_read_as_written(written: str) -> None:
    assert not read_otherwise(orjson.loads(written))


def test_read_as_written_keeps_each_number_s_text() -> None:
    body = b'[18446744073709551617, -7, 1e3, 1.0, "1e3", -0]'
    assert read_as_written(body) == [
        "18446744073709551617",
        "-7",
        "1e3",
        "1.0",
        "1e3",
        "-0",
    ]


BODY = b'{"data": [{"code": 1e3, "password": 2e3, "rows": [-0]}]}'


def violation(path: tuple[str | int, ...], message: str, value: object) -> Violation:
    return Violation(path, message, "type", "string", value)


def test_a_diagnosis_quotes_each_number_as_written_but_a_secret() -> None:
    """The validator quotes the value orjson read (1000.0 for 1e3); as_written quotes the body's
    own text, and a number under a secret's name stays masked: its text is no quote the mask
    would find."""
    violations = [
        violation(("data", 0, "code"), "1000.0 is not of type 'string'", 1000.0),
        violation(("data", 0, "password"), "2000.0 is not of type 'string'", 2000.0),
        violation(("data", 0, "rows", 0), "0 is not of type 'string'", 0),
        violation(("data", 0), "'x' is a required property", orjson.loads(BODY)["data"][0]),
    ]
    assert misquoted(violations) and not misquoted(violations[3:])
    said = diagnosis(as_written(violations, read_as_written(BODY)))
    assert said.split("; ") == [
        "data[0].code: 1e3 is not of type 'string'",
        f"data[0].password: {MASK} is not of type 'string'",
        "data[0].rows[0]: -0 is not of type 'string'",
        "data[0]: 'x' is a required property",
    ]
