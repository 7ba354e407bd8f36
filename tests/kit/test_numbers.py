"""Numbers as a body wrote them (core/numbers.py): what the vendors that echo a value as
received rely on, at the edges of what orjson reads and writes exactly."""

from __future__ import annotations

import orjson
import pytest

from mockservers.core.numbers import as_json_number, read_again, read_inexactly


@pytest.mark.parametrize("written", ["18446744073709551616", "-9223372036854775809", "1e19"])
def test_a_float_orjson_read_for_a_number_beyond_64_bits_is_inexact(written: str) -> None:
    assert read_inexactly(orjson.loads(written))


@pytest.mark.parametrize("written", ["18446744073709551615", "-9223372036854775808", "1e3", '"1"'])
def test_a_number_orjson_holds_as_written_is_exact(written: str) -> None:
    assert not read_inexactly(orjson.loads(written))


def test_read_again_keeps_whole_numbers_and_on_request_each_float_s_text() -> None:
    body = b'[18446744073709551617, -7, 1e3, 1.0, "1e3"]'
    assert read_again(body) == [18446744073709551617, -7, 1000.0, 1.0, "1e3"]
    assert read_again(body, floats_as_written=True) == [
        18446744073709551617,
        -7,
        "1e3",
        "1.0",
        "1e3",
    ]


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1, 12345678901234567890123])
def test_a_whole_number_beyond_64_bits_is_written_with_its_digits(value: int) -> None:
    assert orjson.dumps([as_json_number(value)]) == f"[{value}]".encode()


@pytest.mark.parametrize("value", [2**64 - 1, -(2**63), 1.5, "x", True])
def test_a_value_orjson_writes_is_left_as_it_is(value: object) -> None:
    assert as_json_number(value) is value
