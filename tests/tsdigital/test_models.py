"""TS Digital's model helpers that trade a library call for speed: pinned to what they replace."""

from __future__ import annotations

import uuid

from mockservers.tsdigital import models


def test_item_ids_are_the_uuid5_of_tenant_and_number() -> None:
    names = [f"{tenant}/{n}" for tenant in ("demo", "ms-0123abcd") for n in range(1, 2001)]
    ids = [models.item_uuid(name) for name in names]
    assert ids == [str(uuid.uuid5(models._ID_NAMESPACE, name)) for name in names]
    assert {item_id[19] for item_id in ids} == set("89ab")  # every variant nibble met
