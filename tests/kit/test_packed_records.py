"""Packed collections: the same mapping to the rules, a fraction of the memory, nothing for the
garbage collector to trace."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

import orjson

from contracts.loader import load_schema
from mockservers.core.packed import PackedRecords
from mockservers.core.state import VendorState

SEED_ROW = load_schema("quoparts/importCli.request")["examples"][0]["data"][0]


def _customer(n: int) -> dict[str, Any]:
    """The seed's importCli row as a stored customer: its own codes, a unique e-mail."""
    codes = {"COD_CLI": f"{n:06d}", "COD_USR": f"M{n:05d}", "COD_PWD": "A1B2C3"}
    return SEED_ROW | {"COD_CLI_ERP": f"ERP{n}", "COD_EML": f"info{n}@rossisrl.it"} | codes


def _bytes_per_record(records: Any, count: int = 2000) -> float:
    """Memory kept per record once rows parsed from a request are stored."""
    bodies = [orjson.dumps(_customer(n)) for n in range(count)]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    rows = {f"ERP{n}": orjson.loads(body) for n, body in enumerate(bodies)}
    records.update(rows)
    del rows
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / count


def test_a_packed_record_reads_back_equal_and_changes_only_when_put_back() -> None:
    records = PackedRecords({"ERP1": _customer(1)})
    read = records["ERP1"]
    assert read == _customer(1)
    read["DES_NOM"] = "Bianchi S.p.A."
    assert records["ERP1"]["DES_NOM"] == "Rossi S.r.l."
    records["ERP1"] = read
    assert records.get("ERP1")["DES_NOM"] == "Bianchi S.p.A."
    assert records.get("ERP2") is None and "ERP2" not in records
    records.update({"ERP2": _customer(2)})
    assert list(records) == ["ERP1", "ERP2"] and list(reversed(records)) == ["ERP2", "ERP1"]
    assert records.keys() & {"ERP2", "ERP3"} == {"ERP2"}


def test_a_packed_collection_dumps_plain_records_and_loads_them_back() -> None:
    state = VendorState("quoparts", ("customers", "quotes"))
    tenant = state.tenant("demo")
    tenant.put_many("customers", {"ERP1": _customer(1), "ERP2": _customer(2)})
    tenant.put("quotes", "Q1", {"COD_DOC": "Q1"})
    dump = state.dump()
    assert dump["tenants"]["demo"]["customers"] == {"ERP1": _customer(1), "ERP2": _customer(2)}
    assert type(dump["tenants"]["demo"]["customers"]) is dict  # what a state file writes
    copy = VendorState("quoparts", ("customers", "quotes"))
    copy.load(orjson.loads(orjson.dumps(dump)))
    assert all(isinstance(c, PackedRecords) for c in copy.tenant("demo").collections.values())
    assert copy.dump() == dump


def test_a_put_tells_the_store_which_keys_are_new() -> None:
    """A collection lists its records in the order their keys first came in; a shared store
    keeps that order from what each put tells it."""
    state = VendorState("quoparts", ("customers", "quotes"))
    told: list[tuple[str, Any]] = []
    state.record = lambda name, operation, args: told.append((operation, args[-1]))
    tenant = state.tenant("demo")
    tenant.put_many("customers", {"B": {}, "A": {}})
    tenant.put_many("customers", {"A": {"x": 1}, "C": {}})
    tenant.put("customers", "B", {"y": 2})
    tenant.put("customers", "D", {})
    assert told == [("put_many", ["B", "A"]), ("put_many", ["C"]), ("put", False), ("put", True)]
    assert list(state.dump()["tenants"]["demo"]["customers"]) == ["B", "A", "C", "D"]


def test_a_packed_customer_takes_under_a_third_of_a_dict() -> None:
    """What ``make bench`` shows as bytes per customer: 1.5 KB as dicts, about 300 packed."""
    as_dicts = _bytes_per_record({})
    packed = _bytes_per_record(PackedRecords())
    assert packed < as_dicts / 3, (packed, as_dicts)


def test_stored_records_leave_nothing_for_the_garbage_collector() -> None:
    """A long-running fake holding 100,000 TS Digital items used to stop for about 300 ms on
    each full collection (800,000 dicts and lists to trace); packed, the count does not grow."""
    state = VendorState("tsdigital", ("items",))
    tenant = state.tenant("demo")
    gc.collect()
    before = len(gc.get_objects())
    for n in range(1000):
        history = [{"status": "PROCESSING", "at": "2026-11-30T10:00:00Z"}]
        tenant.put("items", str(n), {"item": {"base": {"vatNumber": str(n)}}, "history": history})
    gc.collect()
    assert len(gc.get_objects()) - before < 20


def test_a_record_put_as_its_json_is_kept_as_is_and_its_bytes_name_that_write() -> None:
    """A record whose JSON is made already goes in as an ``orjson.Fragment``: read back as the
    record, handed to the recorder as the very bytes kept; those stay the same object until
    the record is put again, which is how its writer knows nothing rewrote it."""
    state = VendorState("tsdigital", ("items",))
    told: list[Any] = []
    state.record = lambda name, operation, args: told.append(args[3])
    tenant = state.tenant("demo")
    record = {"id": "i1", "status": "CREATED", "name": "Società"}
    tenant.put("items", "i1", orjson.Fragment(orjson.dumps(record)))
    records = tenant.collections["items"]
    kept = records.kept("i1")
    assert kept == orjson.dumps(record) and records["i1"] == record
    assert told == [kept] and told[0] is kept
    assert records.kept("i1") is kept
    tenant.put("items", "i1", record)
    assert records.kept("i1") == kept and records.kept("i1") is not kept
    assert records.kept("i2") is None


def test_a_store_is_handed_each_record_as_the_collection_keeps_it() -> None:
    """What a put or a put_many tells the store's recorder is the JSON the collection keeps,
    the same bytes objects: a store writes them as they are, no record packed twice."""
    state = VendorState("quoparts", ("customers",))
    told: list[Any] = []
    state.record = lambda name, operation, args: told.append(args[3 if operation == "put" else 2])
    tenant = state.tenant("demo")
    tenant.put_many("customers", {"ERP1": _customer(1), "ERP2": _customer(2)})
    tenant.put("customers", "ERP3", _customer(3))
    records = tenant.collections["customers"]
    assert told == [
        {"ERP1": orjson.dumps(_customer(1)), "ERP2": orjson.dumps(_customer(2))},
        orjson.dumps(_customer(3)),
    ]
    assert all(packed is records.kept(key) for key, packed in told[0].items())
    assert told[1] is records.kept("ERP3")
