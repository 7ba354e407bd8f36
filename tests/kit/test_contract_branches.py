"""Which branch of a ``oneOf``/``anyOf`` explains a value that none admits: the one the value
discriminates into (its code, its kind, null or an object), not the one with the fewest rules
broken (``contracts.loader._meant``)."""

from __future__ import annotations

from typing import Any

import pytest

from contracts import contract
from contracts.messages import verdict

CUSTOMER = {"errorCode": "0", "error": "", "COD_CLI_ERP": "C1"}
CODES = {"COD_CLI": "000015", "COD_USR": "M00015", "COD_PWD": "O8HMER"}


def told(name: str, body: Any) -> list[tuple[str, str, str]]:
    return [(v.pointer, v.keyword, v.missing) for v in contract(name).check(body)]


@pytest.mark.parametrize("rows", [1, 3])
def test_a_quoparts_success_whose_rows_lack_their_codes_names_the_codes(rows: int) -> None:
    """The error answer breaks in two places only (errorCode not "0", data not empty), fewer
    than three codes missing: it was blamed, as if the vendor had meant an error."""
    body = {"errorCode": "0", "error": "", "data": [CUSTOMER] * rows}
    assert told("quoparts/importCli.response", body) == [
        (f"data[{row}]", "required", code)
        for row in range(rows)
        for code in ("COD_CLI", "COD_PWD", "COD_USR")
    ]


def test_a_quoparts_success_row_with_wrong_codes_names_them() -> None:
    body = {"errorCode": "0", "error": "", "data": [CUSTOMER | CODES | {"COD_PWD": "abc"}]}
    assert told("quoparts/importCli.response", body) == [("data[0].COD_PWD", "pattern", "")]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"errorCode": "100", "error": "Richiesta errata", "data": [CUSTOMER | CODES]},
            [("data", "maxItems", "")],
        ),
        ({"errorCode": "107", "error": None, "data": []}, [("error", "type", "")]),
        ({"errorCode": "101", "data": []}, [("", "required", "error")]),
    ],
)
def test_a_malformed_quoparts_error_answer_is_explained_by_the_error_answer(
    body: dict[str, Any], expected: list[tuple[str, str, str]]
) -> None:
    """An errorCode other than "0" rules the success answer out: its const is not blamed."""
    assert told("quoparts/importCli.response", body) == expected


def test_a_quoparts_success_with_an_error_text_is_a_success_answer() -> None:
    """Each branch is ruled out by one field: the fewest broken decides, the success."""
    body = {"errorCode": "0", "error": "x", "data": [CUSTOMER | CODES]}
    assert told("quoparts/importCli.response", body) == [("error", "const", "")]


def _xtra(status: int = 200, **record: Any) -> dict[str, Any]:
    row = {"Item1": 1, "Item2": "k", "Item3": True, "Item4": None, "Item5": {}, "Item6": {}}
    paged = {"totalCount": 1, "totalPages": 1, "page": 1, "count": 1, "record": None}
    return {
        "statusCode": status,
        "errorCode": None,
        "message": None,
        "result": paged | {"records": [row | record]},
    }


def test_an_xtra_record_with_a_string_outcome_is_explained_within_the_record() -> None:
    """Item3 "true" fails the record's ``if`` (Item3 true) for its type alone: the record
    never said it failed, so its ``else`` (a failed record's Item4 and Item6) is not held
    (it named two rules beside the right one); never the envelope's statusCode or errorCode."""
    found = told("xtra/updateIdentities.response", _xtra(Item3="true", Item6={"0": 5}))
    assert found == [("result.records[0].Item3", "type", "")]


def test_an_xtra_record_that_failed_is_held_to_a_failed_record_s_rules() -> None:
    """Item3 false is a valid outcome that fails the ``if``: its ``else`` applies."""
    found = told("xtra/updateIdentities.response", _xtra(Item3=False, Item6={"0": 5}))
    assert found == [
        ("result.records[0].Item4", "type", ""),
        ("result.records[0].Item6", "maxProperties", ""),
    ]


def test_an_xtra_record_error_of_the_wrong_shape_names_its_fields_not_null() -> None:
    """Item4 is null or an ErrorMessage: an object is one, so its fields are named (it was
    "... is not of type 'null'": one rule broken against two)."""
    body = _xtra(Item3=False, Item4={"Code": "ER.NEW"})
    assert told("xtra/updateIdentities.response", body) == [
        ("result.records[0].Item4", "required", "Message"),
        ("result.records[0].Item4.Code", "enum", ""),
    ]


def test_an_xtra_error_status_with_a_success_body_is_explained_as_an_error_once() -> None:
    """statusCode 400 rules the success answer out; the envelope's and the error answer's own
    rules on one field are said once."""
    assert told("xtra/updateIdentities.response", _xtra(400)) == [
        ("errorCode", "type", ""),
        ("message", "type", ""),
        ("result", "type", ""),
    ]


def test_a_proxy_verdict_on_a_quoparts_success_names_the_missing_codes() -> None:
    """What the proxy writes in the journal for a sandbox's answer."""
    answer = b'{"errorCode": "0", "error": "", "data": [{"errorCode": "0", "error": "",'
    answer += b' "COD_CLI_ERP": "C1"}]}'
    exchange = {"query": [("importCli", ""), ("token", "t")], "headers": {}, "body": None}
    found = verdict("quoparts", "importCli", **exchange, status=200, answer=answer)
    assert found["response"] == [
        f"quoparts/importCli.response: data[0]: '{code}' is a required property"
        for code in ("COD_CLI", "COD_PWD", "COD_USR")
    ]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"vendor": "keepit", "operation": "login", "kind": "drop"}, [("operation", "enum", "")]),
        ({"vendor": "xtra", "operation": "importCli", "kind": "drop"}, [("operation", "enum", "")]),
        ({"vendor": "quoparts", "kind": "record_error"}, [("kind", "enum", "")]),
    ],
)
def test_a_tagged_union_is_explained_by_the_branch_its_tag_names(
    fault: dict[str, Any], expected: list[tuple[str, str, str]]
) -> None:
    """Each branch of an admin fault pins ``vendor`` to its own value: KeepIT's ``login``
    breaks one rule of QuoParts's branch (its vendor) and one of KeepIT's (its operation), and
    was explained by QuoParts's, the first written."""
    assert told("admin/addFault.request", fault) == expected
