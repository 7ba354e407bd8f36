"""The admin API's numbers (a clock move, a TTL, a verify's count, a fault's options) checked by
one piece, ``adminapi.number``: a refusal names the key and its bounds in one wording."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockservers.core.adminapi import MAX_SECONDS, AdminError, number


def _refusal(body: dict[str, Any], **bounds: Any) -> str:
    with pytest.raises(AdminError) as refused:
        number(body, "n", **bounds)
    assert refused.value.status == 400
    return refused.value.message


def test_an_absent_or_null_number_is_none_unless_required() -> None:
    assert number({}, "n", 0, 9) is None
    assert number({"n": None}, "n", 0, 9) is None
    assert _refusal({}, low=0, high=9, required=True) == "'n' must be a number from 0 to 9"
    assert _refusal({"n": None}, low=0, high=9, whole=True, required=True) == (
        "'n' must be a whole number from 0 to 9"
    )


def test_a_whole_number_takes_an_integral_float_as_an_int() -> None:
    taken = number({"n": 2.0}, "n", 0, 9, whole=True)
    assert taken == 2 and type(taken) is int
    for bad in (2.5, True, "2", -1, 10, 1e300):
        assert _refusal({"n": bad}, low=0, high=9, whole=True) == (
            "'n' must be a whole number from 0 to 9"
        )
    assert number({"n": 0}, "n", 0, 9, whole=True) == 0
    assert number({"n": 9}, "n", 0, 9, whole=True) == 9


def test_a_number_keeps_its_fraction_and_may_exclude_its_lowest() -> None:
    assert number({"n": 0.25}, "n", 0, 1) == 0.25
    assert number({"n": 0}, "n", 0, 1) == 0
    for bad in (False, "0.5", -0.1, 1.5, [1]):
        assert _refusal({"n": bad}, low=0, high=1) == "'n' must be a number from 0 to 1"
    assert number({"n": 1e-6}, "n", 0, 1, exclusive_low=True) == 1e-6
    assert _refusal({"n": 0}, low=0, high=1, exclusive_low=True) == (
        "'n' must be a number above 0, at most 1"
    )


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        ("/__admin/clock", {}, f"'advance_seconds' must be a number from 0 to {MAX_SECONDS}"),
        (
            "/__admin/clock",
            {"advance_seconds": -1},
            "'advance_seconds' must be a number from 0 to 3153600000",
        ),
        (
            "/__admin/sessions",
            {"ttl_seconds": 0.5},
            "'ttl_seconds' must be a number from 1 to 3153600000",
        ),
        (
            "/__admin/tsdigital/tokens",
            {"kind": "user", "ttl_seconds": 0},
            "'ttl_seconds' must be a number above 0, at most 3153600000",
        ),
        (
            "/__admin/requests/verify",
            {"matcher": {}, "at_most": 1.5},
            "'at_most' must be a whole number from 0 to 1000000000",
        ),
        (
            "/__admin/faults",
            {"vendor": "keepit", "kind": "drop", "times": 0},
            "'times' must be a whole number from 1 to 1000000000",
        ),
        (
            "/__admin/faults",
            {"vendor": "keepit", "kind": "drop", "probability": None},
            "'probability' must be a number from 0 to 1",
        ),
    ],
)
def test_an_admin_number_out_of_bounds_is_a_400_naming_key_and_bounds(
    http: httpx.Client, path: str, body: dict[str, Any], error: str
) -> None:
    refused = http.post(path, json=body)
    assert (refused.status_code, refused.json()) == (400, {"error": error})
    assert http.get("/__admin/faults").json() == []
    assert http.get("/__admin/sessions").json() == []


def test_a_fault_without_probability_always_strikes(http: httpx.Client) -> None:
    fault = {"vendor": "keepit", "kind": "drop", "times": 2.0}
    assert http.post("/__admin/faults", json=fault).status_code == 201
    listed = http.get("/__admin/faults").json()
    assert [(f["probability"], f["times"]) for f in listed] == [(1.0, 2)]
