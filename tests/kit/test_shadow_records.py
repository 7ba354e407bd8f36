"""``mockservers proxy --shadow`` in a batch whose records the vendor and the fake take
otherwise: the shadow learns the vendor's IDs from the records both accepted, paired record by
record, never from a refused one (its ID is an echo, or none at all)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mockservers import create_app
from mockservers.core.generated import Translation
from mockservers.keepit.vendor import KeepIt
from mockservers.proxy.learning import learn
from mockservers.testing import MockServer
from mockservers.xtra.vendor import Xtra
from tests.conftest import ACCOUNTS
from tests.kit.test_shadow import seed, the_shadow
from tests.proxying import (
    IDENTITY,
    KEEPIT,
    KEEPIT_HEADERS,
    KEEPIT_QUERY,
    XTRA_KEYS,
    XTRA_UPDATE,
    keepit_customer,
    proxied,
)


def _records(answer: httpx.Response) -> list[dict[str, Any]]:
    return answer.json()["result"]["records"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("refused_by", ["upstream", "shadow"])
def test_an_xtra_record_either_side_refused_teaches_no_id(refused_by: str) -> None:
    """Two inserts in one call, the first refused by one side (``ER.IR.UNERR``, ``Item1`` 0)
    and accepted by the other: the shadow learned the vendor's ID for the fake's 0, or the
    vendor's 0 for the fake's new ID, and asked the fake of an update of the one for the
    other (``ID`` 0 is no identity: ``ER.IR.INVAL``, a difference the shadow made). The
    record both accepted is translated all the same."""
    batch = [IDENTITY | {"ExternalKey": "EXT-A"}, IDENTITY | {"ExternalKey": "EXT-B"}]
    fault = {"vendor": "xtra", "kind": "record_error", "times": 1}
    with MockServer(ACCOUNTS) as upstream:
        seed(upstream)
        with proxied(upstream, ("xtra",), shadow=True) as (app, http):
            if refused_by == "upstream":
                upstream.fault(**fault)
            else:
                with the_shadow(app) as fake:
                    assert fake.post("/__admin/faults", json=fault).status_code == 201
            refused, accepted = _records(http.post(XTRA_UPDATE, headers=XTRA_KEYS, json=batch))
            change = [{"ID": refused["Item1"], "Name": "A"}, {"ID": accepted["Item1"], "Name": "B"}]
            http.post(XTRA_UPDATE, headers=XTRA_KEYS, json=change)
            with the_shadow(app) as fake:
                asked, inserted = fake.get("/__admin/requests", params={"limit": 2}).json()
    fake_refused, fake_accepted = inserted["response"]["result"]["records"]
    assert [refused["Item3"], fake_refused["Item3"]].count(False) == 1
    assert fake_accepted["Item1"] != accepted["Item1"]  # the upstream's sequence was ahead
    assert asked["request"] == [change[0], {"ID": fake_accepted["Item1"], "Name": "B"}]


def test_keepit_records_pair_by_customer_code_not_by_place() -> None:
    """The sandbox already holds OLD0 (a duplicate there, inserted by the fake): its
    ``insertedObjects`` lists NEW1 alone, the fake's OLD0 then NEW1, and the shadow paired them
    by place: the vendor's progId of NEW1 stood for the fake's of OLD0, and an update of NEW1
    went to the fake as one of OLD0."""
    batch = {"subjectsRecords": [keepit_customer("OLD0"), keepit_customer("NEW1")]}
    with MockServer(ACCOUNTS) as upstream:
        seed(upstream)
        with proxied(upstream, ("keepit",), shadow=True) as (app, http):
            first = http.post(KEEPIT, params=KEEPIT_QUERY, headers=KEEPIT_HEADERS, json=batch)
            (new,) = first.json()["insertedObjects"]
            update = keepit_customer("NEW1", "U", progId=new["progId"], city="Asti")
            http.post(
                KEEPIT,
                params=KEEPIT_QUERY,
                headers=KEEPIT_HEADERS,
                json={"subjectsRecords": [update]},
            )
            (latest,) = http.get("/__admin/requests", params={"limit": 1}).json()
            with the_shadow(app) as fake:
                asked, inserted = fake.get("/__admin/requests", params={"limit": 2}).json()
    assert first.json()["duplicatedObjects"][0]["customerCode"] == "OLD0"
    fake_new = {o["customerCode"]: o["progId"] for o in inserted["response"]["insertedObjects"]}
    (sent,) = asked["request"]["subjectsRecords"]
    assert sent["subjects"]["progId"] == fake_new["NEW1"] != new["progId"]
    assert latest["shadow"] == []


def _inserted(*pairs: tuple[Any, int]) -> list[dict[str, Any]]:
    return [{"customerCode": code, "progId": prog_id} for code, prog_id in pairs]


def test_entries_pair_by_name_in_order_and_the_answers_stay_as_they_came() -> None:
    """A record sent twice is listed twice: the n-th of a name pairs with the other's n-th;
    an entry only one side lists (``1`` is not ``"1"``) teaches nothing; an answer without
    the list is learned as it is."""
    listed = KeepIt.listed_records
    assert listed is not None
    first = {"code": 206, "insertedObjects": _inserted(("A", 10), ("B", 11), ("A", 12), (1, 13))}
    second = {"insertedObjects": _inserted(("B", 21), ("A", 22), ("1", 23), ("A", 24))}
    before = json.dumps([first, second])
    one, other = listed.learnable(first, second)
    assert one == {"code": 206, "insertedObjects": _inserted(("A", 10), ("B", 11), ("A", 12))}
    assert other == {"insertedObjects": _inserted(("A", 22), ("B", 21), ("A", 24))}
    assert json.dumps([first, second]) == before
    assert listed.learnable({"code": 400}, second) == ({"code": 400}, second)


def _outcomes(*records: tuple[int, bool]) -> dict[str, Any]:
    empty = {"Item2": None, "Item4": None, "Item5": {}, "Item6": {}}
    return {"result": {"records": [empty | {"Item1": i, "Item3": ok} for i, ok in records]}}


def test_an_xtra_record_is_learned_only_where_both_accepted_it() -> None:
    translation = Translation(Xtra.generated)
    vendor = create_app().state.vendors["xtra"]
    first = _outcomes((7, True), (0, False), (9, True))
    second = _outcomes((2, True), (3, True), (9, False))
    learn(translation, vendor, first, second)
    assert translation.values == {"body.*.ID": {("int", 7): 2}}
