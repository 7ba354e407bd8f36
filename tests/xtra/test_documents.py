"""XTRA/XOX identity documents through HTTP: a typology and number name one document of an
identity, whether a document is inserted with them or updated to them (ER.DOC.EXISTS); the
documents of a record are taken in its order, so an update frees the pair its document held."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.every_store

UPDATE = "/xtra/api/sync/v1/irs/update"
KEYS = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}


def documents_of(http: httpx.Client, *documents: dict[str, Any]) -> dict[str, Any]:
    """The outcome of one record of the demo identity (ID 1) sending these documents."""
    response = http.post(
        UPDATE, json=[{"ID": 1, "IdentityDocuments": list(documents)}], headers=KEYS
    )
    assert response.status_code == 200, response.json()
    (outcome,) = response.json()["result"]["records"]
    return outcome


def stored(http: httpx.Client) -> list[tuple[int, int, str | None]]:
    """The demo identity's documents as (ID, typology, number)."""
    identity = http.get("/__admin/state/xtra").json()["tenants"]["demo"]["identities"]["1"]
    return [(d["ID"], d["FIDDocumentTypology"], d["Number"]) for d in identity["IdentityDocuments"]]


def refused(outcome: dict[str, Any]) -> str:
    """The message of a record refused ER.DOC.EXISTS."""
    assert outcome["Item3"] is False and outcome["Item4"]["Code"] == "ER.DOC.EXISTS", outcome
    return outcome["Item4"]["Message"]


@pytest.fixture
def two(http: httpx.Client) -> httpx.Client:
    """The demo identity with documents 1 (typology 1, AA1) and 2 (typology 1, BB2)."""
    aa1 = {"FIDDocumentTypology": 1, "Number": "AA1"}
    outcome = documents_of(http, aa1, aa1 | {"Number": "BB2"})
    assert outcome["Item3"] is True, outcome
    assert stored(http) == [(1, 1, "AA1"), (2, 1, "BB2")]
    return http


def test_an_update_may_not_take_the_pair_of_another_document(two: httpx.Client) -> None:
    """It was written: the identity held AA1 twice, a pair an insert is refused."""
    message = refused(documents_of(two, {"ID": 2, "Number": "AA1"}))
    assert message == "Documento esistente: IdentityDocuments[0] tipologia 1 numero AA1"
    # The typology alone too: document 2 keeps its number, BB2, under typology 1's pair
    assert documents_of(two, {"FIDDocumentTypology": 2, "Number": "BB2"})["Item3"] is True
    message = refused(documents_of(two, {"ID": 3, "FIDDocumentTypology": 1}))
    assert message.endswith("IdentityDocuments[0] tipologia 1 numero BB2")
    assert stored(two) == [(1, 1, "AA1"), (2, 1, "BB2"), (3, 2, "BB2")]


def test_an_insert_may_not_take_the_pair_an_update_just_took(two: httpx.Client) -> None:
    """The pair the update gave document 1 was not counted: the record wrote CC3 twice."""
    update, insert = {"ID": 1, "Number": "CC3"}, {"FIDDocumentTypology": 1, "Number": "CC3"}
    assert refused(documents_of(two, update, insert)).endswith("[1] tipologia 1 numero CC3")
    # Two documents swapping their numbers: the first update meets the second's, still held
    swap = documents_of(two, {"ID": 1, "Number": "BB2"}, {"ID": 2, "Number": "AA1"})
    assert refused(swap).endswith("[0] tipologia 1 numero BB2")
    assert stored(two) == [(1, 1, "AA1"), (2, 1, "BB2")]  # a refused record writes nothing


def test_an_update_frees_the_pair_its_document_held(two: httpx.Client) -> None:
    """The pair document 1 had before its update was kept as taken: inserting it was refused."""
    update, insert = {"ID": 1, "Number": "CC3"}, {"FIDDocumentTypology": 1, "Number": "AA1"}
    outcome = documents_of(two, update, insert)
    assert outcome["Item3"] is True, outcome["Item4"]
    assert stored(two) == [(1, 1, "CC3"), (2, 1, "BB2"), (3, 1, "AA1")]


def test_a_document_keeping_its_pair_or_losing_its_number_never_clashes(
    two: httpx.Client,
) -> None:
    kept = documents_of(two, {"ID": 1, "Number": "AA1", "ReleaseDate": "2024-05-12"})
    assert kept["Item3"] is True, kept["Item4"]
    emptied = documents_of(two, {"ID": 1, "Number": ""}, {"ID": 2, "Number": None})
    assert emptied["Item3"] is True, emptied["Item4"]
    assert stored(two) == [(1, 1, ""), (2, 1, None)]


def test_a_pair_two_stored_documents_share_stays_held_by_the_other(http: httpx.Client) -> None:
    """A state document may hold one pair twice (an earlier version of the kit wrote such):
    updating one of them leaves it held by the other, and each may keep it."""
    state = http.get("/__admin/state/xtra").json()
    doubled = [{"ID": i, "FIDDocumentTypology": 1, "Number": "AA1"} for i in (1, 2)]
    state["tenants"]["demo"]["identities"]["1"]["IdentityDocuments"] = doubled
    assert http.put("/__admin/state/xtra", json=state).status_code == 200
    assert documents_of(http, {"ID": 2, "Number": "AA1"})["Item3"] is True
    moved, insert = {"ID": 1, "Number": "CC3"}, {"FIDDocumentTypology": 1, "Number": "AA1"}
    assert refused(documents_of(http, moved, insert)).endswith("[1] tipologia 1 numero AA1")
    assert documents_of(http, moved)["Item3"] is True
    assert stored(http) == [(1, 1, "CC3"), (2, 1, "AA1")]
