"""``make soak``'s checks on the state it reads back: each vendor's generated numbers given once,
among the writes acknowledged and in each tenant's records (only QuoParts's COD_CLI was checked,
though the page said every sequence was)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SOAK = Path(__file__).resolve().parents[2] / "bench" / "soak.py"


@pytest.fixture(scope="module")
def soak() -> ModuleType:
    """bench/soak.py, loaded as its script runs (it imports bench/bench.py beside it)."""
    path, loaded = list(sys.path), "bench" in sys.modules
    spec = importlib.util.spec_from_file_location("soak_under_test", SOAK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:  # bench/ and its bench.py off the path again, for what the other tests import
        sys.path[:] = path
        if not loaded:
            sys.modules.pop("bench", None)
    return module


def state(tenant: str, collection: str, records: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"tenants": {tenant: {collection: records}}}


def keepit(code: str, prog_id: int) -> dict[str, Any]:
    return {"progId": prog_id, "subjects": {"customerCode": code}}


def test_a_keepit_prog_id_given_twice_is_a_problem(soak: ModuleType) -> None:
    traffic = soak.KeepItTraffic()
    traffic.sent = {"K1", "K2"}
    traffic.acked = {"K1": 1, "K2": 2}
    clean = state("1/1", "subjects", {"1": keepit("K1", 1), "2": keepit("K2", 2)})
    assert traffic.verify(clean) == []

    traffic.acked = {"K1": 1, "K2": 1}
    twice = state("1/1", "subjects", {"1": keepit("K1", 1), "2": keepit("K2", 1)})
    assert traffic.verify(twice) == [
        "keepit: progId 1 given twice (acknowledged to: K1, K2)",
        "keepit: progId 1 given twice (tenant 1/1: 1, 2)",
    ]


def test_an_xtra_id_given_twice_is_a_problem_in_any_tenant(soak: ModuleType) -> None:
    traffic = soak.XtraTraffic()
    traffic.sent = {"X1", "X2"}
    traffic.acked = {"X1": 7, "X2": 7}
    held = {"7": {"ID": 7, "ExternalKey": "X1"}, "8": {"ID": 7, "ExternalKey": "X2"}}
    found = traffic.verify(state("demo", "identities", held))
    assert "xtra: ID 7 given twice (acknowledged to: X1, X2)" in found
    assert "xtra: ID 7 given twice (tenant demo: 7, 8)" in found
    other = {"tenants": {"demo": {}, "acme": {"identities": held}}}
    assert traffic.verify(other)[-1] == "xtra: ID 7 given twice (tenant acme: 7, 8)"


def test_a_quoparts_cod_cli_given_twice_is_a_problem(soak: ModuleType) -> None:
    traffic = soak.QuoPartsTraffic()
    traffic.sent = {"S1", "S2"}
    traffic.acked = {"S1": "000001", "S2": "000002"}
    held = {"S1": {"COD_CLI": "000001"}, "S2": {"COD_CLI": "000002"}}
    assert traffic.verify(state("demo", "customers", held)) == []
    held["S2"]["COD_CLI"] = "000001"
    assert traffic.verify(state("demo", "customers", held))[-1] == (
        "quoparts: COD_CLI 000001 given twice (tenant demo: S1, S2)"
    )
