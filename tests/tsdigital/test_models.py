"""TS Digital's model helpers that trade a library call for speed: pinned to what they replace."""

from __future__ import annotations

import uuid

import orjson

from mockservers import create_app
from mockservers.core.call import Call
from mockservers.core.clock import iso
from mockservers.tsdigital import models, responses

FROZEN = {"kit": {"clock": {"start": "2026-03-29T00:45:00Z", "frozen": True}}}


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


def test_the_kit_s_own_ready_at_is_its_spelling_read_back() -> None:
    """An item settled as ``accept`` made it closes its history at the ``ready_at`` written,
    as it is: the text reading it back gives."""
    instants = [0.0, 0.5, 1774745100.000001, 1774745100.25, 1774745100.999999, 253370764799.5]
    for instant in instants:
        written = iso(instant)
        assert models._kit_text(models._utc(written)) == written


def test_an_item_settles_at_the_ready_at_the_store_holds_not_the_one_written() -> None:
    """Another process (or a state document) rewrote the waiting item's ``ready_at`` with an
    offset: the history closes at that instant in the kit's spelling."""
    kit = create_app(FROZEN | {"tsdigital": {"processing_delay_seconds": 30}}).state.kit
    model = kit.vendors["tsdigital"].model
    caller = models.Caller("user", frozenset(), "demo")
    item_id = model.accept(caller, {"item": {}}, {})
    tenant = model.state.tenant("demo")
    written = tenant.get(models.ITEMS, item_id)
    assert written["ready_at"] == "2026-03-29T00:45:30Z"
    tenant.put(models.ITEMS, item_id, written | {"ready_at": "2026-03-29T01:45:10+01:00"})
    model.clock.advance(30)
    model.settle("demo")
    settled = tenant.get(models.ITEMS, item_id)
    assert settled["status"] == "CREATED"
    assert settled["history"][-1] == {"status": "CREATED", "at": "2026-03-29T00:45:10Z"}


def test_the_headers_create_item_reads_are_those_the_call_reads() -> None:
    """Read from the raw headers, only createItem's: the same text ``call.headers`` gives."""
    raw = [
        (b"host", b"127.0.0.1"),
        (b"authorization", b" Bearer abc\t"),
        (b"x-app-name", "päss".encode()),
        (b"x-app-name", b"second"),
        (b"x-app-version", b"\xff1.0"),
        (b"content-type", b"application/json"),
        (b"x-request-id", b""),
    ]
    call = Call({"headers": raw}, "tsdigital", "createItem", b"", None, {})  # type: ignore[arg-type]
    expected = {
        name: call.headers[name] for name in responses._READ.values() if name in call.headers
    }
    assert responses.headers_read(call) == expected
    assert expected["x-app-name"] == "päss" and expected["x-request-id"] == ""
    assert responses.authorization(call) == "Bearer abc"
    host_only = Call({"headers": raw[:1]}, "tsdigital", "createItem", b"", None, {})  # type: ignore[arg-type]
    assert responses.authorization(host_only) == ""


def test_an_item_settled_as_accept_made_it_is_the_item_read_back_and_settled() -> None:
    """An item this process accepted settles to the JSON made when it was accepted, unless
    something wrote the item meanwhile: byte for byte what reading the item and settling it
    gives (a body with the kit's own field names and non-ASCII text, the FAILED item's too)."""
    bodies = [{"item": {}}, {"status": "x", "id": 7, "item": {"name": "Società ✓"}}]
    settled = []
    for rewritten in (False, True):
        config = FROZEN | {"tsdigital": {"processing_delay_seconds": 30}}
        model = create_app(config).state.kit.vendors["tsdigital"].model
        caller = models.Caller("user", frozenset(), "demo")
        ids = [model.accept(caller, body, {"X-App-Name": "erp"}) for body in bodies]
        ids.append(model.accept(caller, {"item": {}}, {}, failure=lambda: "rifiutato"))
        tenant = model.state.tenant("demo")
        items = tenant.collections[models.ITEMS]
        if rewritten:  # the same records put again: each settles by reading it
            for item_id in ids:
                tenant.put(models.ITEMS, item_id, tenant.get(models.ITEMS, item_id))
        model.clock.advance(30)
        model.settle("demo")
        settled.append([items.kept(item_id) for item_id in ids])
    made, read = settled
    assert made == read
    statuses = [orjson.loads(packed)["status"] for packed in made]
    assert statuses == ["CREATED", "CREATED", "FAILED"]
