"""TS Digital's model helpers that trade a library call for speed: pinned to what they replace."""

from __future__ import annotations

import uuid

from mockservers.tsdigital import models


def test_item_ids_are_the_uuid5_of_tenant_and_number() -> None:
    names = [f"{tenant}/{n}" for tenant in ("demo", "ms-0123abcd") for n in range(1, 2001)]
    ids = [models.item_uuid(name) for name in names]
    assert ids == [str(uuid.uuid5(models._ID_NAMESPACE, name)) for name in names]
    assert {item_id[19] for item_id in ids} == set("89ab")  # every variant nibble met


def test_a_caller_is_stored_on_its_items_with_its_grants_sorted() -> None:
    caller = models.Caller("app-key", frozenset({"special", "items:create"}), "demo")
    assert caller.stored == {"kind": "app-key", "grants": ["items:create", "special"]}
    # The stored form is derived: it takes no part in a caller's identity.
    same = models.Caller("app-key", frozenset({"items:create", "special"}), "demo")
    assert same == caller and hash(same) == hash(caller)
    assert "stored" not in repr(caller)
