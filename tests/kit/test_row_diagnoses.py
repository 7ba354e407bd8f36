"""A row's diagnosis worked out once and placed at each row (``explain.diagnoses``) says what the
diagnosis of the whole body's violations said of that row, character for character."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import contract
from mockservers.core.explain import diagnoses, diagnosis

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
