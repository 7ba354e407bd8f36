"""The index of a value a vendor keeps unique: a value several records hold names the last of
them in the records' order, whatever changes came since; a warning lists them in that order."""

from __future__ import annotations

from mockservers.core.unique import UniqueIndex, listed


def index_of(*records: tuple[str, list[str]]) -> UniqueIndex[str, str]:
    """The index of records (holder, values), in their order, as a reload builds it."""
    index: UniqueIndex[str, str] = UniqueIndex()
    for holder, values in records:
        index.change((), [(value, holder) for value in values])
    return index


def test_a_value_held_twice_names_the_last_holder_until_it_gives_it_up() -> None:
    index = index_of(("1", ["A"]), ("2", ["A", "B"]), ("3", ["A"]))
    assert (index["A"], index.shared) == ("3", {"A": ["1", "2", "3"]})
    index.change([("A", "2"), ("B", "2")], [("A", "2"), ("C", "2")])  # 2 keeps A: its place
    assert (index["A"], index["C"], "B" in index) == ("3", "2", False)
    assert index.holds("A", "1") and index.holds("A", "2")
    index.change([("A", "3")], [])
    assert (index["A"], index.shared) == ("2", {"A": ["1", "2"]})
    index.change([("A", "2")], [])
    assert (index["A"], index.shared) == ("1", {})
    assert index.holds("A", "1") and not index.holds("A", "2")


def test_a_record_naming_a_value_twice_holds_it_once() -> None:
    index = index_of(("1", ["A"]), ("2", ["A", "A"]))
    assert index.shared == {"A": ["1", "2"]}
    index.change([("A", "2"), ("A", "2")], [])
    assert (index["A"], index.shared) == ("1", {})


def test_a_shared_value_s_holders_are_listed_the_found_one_last() -> None:
    assert listed(["1", "2"]) == "1 and 2"
    assert listed(iter(["1", "2", "3"])) == "1, 2 and 3"
