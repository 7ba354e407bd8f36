"""A row's diagnosis worked out once and placed at each row (``explain.diagnoses``) says what the
diagnosis of the whole body's violations said of that row, character for character; the refused
rows of a body are worked out once per distinct row (``explain.refused_by_index``)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import Violation, contract
from mockservers.core.explain import diagnoses, diagnosis, refused_by_index

CUSTOMER = list(contract("quoparts/defs/customer").schema["properties"])
VALUES = st.sampled_from(
    [
        "",
        "x",
        "s3cret",
        "é" * 290,
        0,
        1.5,
        True,
        None,
        ["s3cret"],
        {"password": "s3cret"},
        {"a": [{}]},
    ]
)
ROWS = st.one_of(
    st.dictionaries(st.sampled_from([*CUSTOMER, "password", "COD_PWD", "x" * 280]), VALUES),
    VALUES,
)


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(rows=st.lists(ROWS, min_size=1, max_size=12))
def test_a_row_s_diagnosis_placed_in_the_body_is_the_body_s_diagnosis_of_it(
    rows: list[Any],
) -> None:
    """Paths (a missing field, a nested one), the 300-character cut, the secrets a message
    quotes: as the body's own diagnosis of the row (its violations, paths from the body)."""
    whole = contract("quoparts/importCli.request").check({"data": rows})
    for index, row in enumerate(rows):
        in_body = [v for v in whole if v.path[1] == index]
        alone = contract("quoparts/defs/customer").check(row)
        assert diagnoses(alone)(f"data[{index}]") == diagnosis(in_body, "row")


def test_equal_refused_rows_are_worked_out_once_and_shared_by_every_index() -> None:
    """Valid rows get nothing; each distinct bad row's work runs once, from its first index,
    with its own violations, and every equal row's index holds that same answer."""
    customer = contract("quoparts/defs/customer")
    bad, worse = {"COD_CLI_ERP": 1}, "not a row"
    good = {"DES_NOM": "Rossi", "COD_PTA_IVA": "12345678901", "COD_CLI_ERP": "C1"}
    assert customer.is_valid(good)
    rows = [bad, good, worse, bad, good, worse, bad]
    calls: list[int] = []

    def work(violations: list[Violation], first: int) -> tuple[int, list[Violation]]:
        calls.append(first)
        return first, violations

    refused = refused_by_index(customer, rows, work)

    assert sorted(refused) == [0, 2, 3, 5, 6]
    assert calls == [0, 2]
    assert {index: said[0] for index, said in refused.items()} == {0: 0, 2: 2, 3: 0, 5: 2, 6: 0}
    assert refused[3] is refused[0] and refused[5] is refused[2]
    assert refused[0][1] == customer.check(bad)
