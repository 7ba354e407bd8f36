"""COD_PWD: never shared by two customers of one account, however far a state document sets
the sequence (under 36^6 numbers apart), and the first customers' passwords as they were."""

from __future__ import annotations

import re

from mockservers.quoparts.models import _past_hex, new_codes, password_salt

SALT = password_salt("demo")
PASSWORD = re.compile(r"^[A-Z0-9]{6}$")  # quoparts/defs/customerResult.json
HEX = re.compile(r"^[0-9A-F]{6}$")


def passwords(first: int, count: int) -> list[str]:
    return [password for _, _, password in new_codes(SALT, first, count)]


def test_passwords_about_2_24_are_all_different_and_hex_only_before_it() -> None:
    before, after = passwords(2**24 - 20_000, 20_000), passwords(2**24, 20_000)
    assert len(set(before + after)) == 40_000
    assert all(HEX.match(p) for p in before)
    assert all(PASSWORD.match(p) and not HEX.match(p) for p in after)


def test_customers_2_24_apart_have_different_passwords() -> None:
    """Customer n and n + 2^24 shared one: the hex digits of a product taken on 24 bits."""
    for number in (1, 12_345, 2**24 - 1):
        found = [passwords(number + k * 2**24, 1)[0] for k in range(36**6 // 2**24 + 1)]
        assert len(set(found)) == len(found), number


def test_past_36_6_a_number_has_the_password_of_its_remainder() -> None:
    """The space of six letters or digits holds 36^6 passwords: no more customers fit."""
    assert passwords(36**6 + 1, 1) == passwords(1, 1) == ["75A611"]
    assert passwords(2**53, 1) == passwords(2**53 % 36**6, 1)


def test_the_passwords_past_hex_are_grouped_by_their_first_letter_past_f() -> None:
    """Each group (the first letter past F in the first place, the second...) begins with
    its lowest password and ends with its highest; the last group's ends the count."""
    start = 0
    for place in range(6):
        end = start + 16**place * 20 * 36 ** (5 - place)
        assert _past_hex(start) == "0" * place + "G" + "0" * (5 - place)
        assert _past_hex(end - 1) == "F" * place + "Z" * (6 - place)
        start = end
    assert start == 36**6 - 16**6
    assert _past_hex(start) == _past_hex(0)
