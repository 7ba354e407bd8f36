"""The stock Schemathesis CLI, run as a user would against the served documents.

``schemathesis --config-file docs/schemathesis.toml run <url>/openapi.json --checks all ...``,
with credentials passed the ways its docs show (``-H`` headers; QuoParts's query token through
the config file's dynamic auth, which logs in with the demo account). A healthy fake passes, and
every generated call reaches one of its routes; a ``malformed`` fault makes the run fail, naming
the check. The checks excluded or configured, and why, are in docs/openapi.md.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockservers.testing import MockServer

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "docs" / "schemathesis.toml"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
JOURNAL = 100_000
KIT_CONFIG = {
    # Schemathesis sends more than 100 calls a minute; KeepIT's documented limit is not tested here.
    "keepit": {"rate_limit_calls": 1_000_000},
    # Every call stays in the journal, so that every one can be checked.
    "kit": {"journal": {"max_entries": JOURNAL, "max_bytes": 1 << 30}},
}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _mint(server: MockServer) -> str:
    grants = ["items:create", "special", "studio:string"]
    spec = {"kind": "app-key", "grants": grants, "ttl_seconds": 86_400}
    return server.admin("POST", "/tsdigital/tokens", json=spec)["token"]


CREDENTIALS: dict[str, Callable[[MockServer], list[str]]] = {
    # The token travels in the query (docs/schemathesis.toml logs in); a refused token is
    # errorCode 101 at HTTP 200, which ignored_auth cannot tell from an accepted call.
    "quoparts": lambda server: ["--exclude-checks", "ignored_auth"],
    "keepit": lambda server: [
        *("-H", "username: demo", "-H", "password: demo"),
        *("-H", "companyId: 1", "-H", "siteId: 1"),
    ],
    "xtra": lambda server: ["-H", "SyncPublicKey: demo-public", "-H", "SyncSecretKey: demo-secret"],
    "tsdigital": lambda server: ["-H", f"Authorization: Bearer {_mint(server)}"],
}
ACCEPTED: dict[str, Callable[[dict[str, Any]], bool]] = {
    "quoparts": lambda e: (
        e["operation"] in ("importCli", "importPvt")
        and isinstance(e["response"], dict)
        and e["response"].get("errorCode") == "0"
    ),
    "keepit": lambda e: e["status"] == 200,
    "xtra": lambda e: e["operation"] == "updateIdentities" and e["status"] == 200,
    "tsdigital": lambda e: e["status"] == 202,
}
"""An authenticated call the fake accepted: the credentials reached it."""


def schemathesis(url: str, *options: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The stock CLI on ``url`` (run in ``cwd``: its caches stay out of the checkout;
    deterministic generation keeps no example database)."""
    command = [
        str(SCHEMATHESIS),
        *("--config-file", str(CONFIG)),
        "run",
        url,
        *("--checks", "all", "--max-examples", "10", "--generation-deterministic"),
        "--no-color",
        *options,
    ]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    print(f"{' '.join(command[1:])}: exit {done.returncode}, {time.perf_counter() - started:.1f} s")
    return done


def _tail(run: subprocess.CompletedProcess[str]) -> str:
    return (run.stdout + run.stderr)[-4000:]


def misrouted(entries: list[dict[str, Any]], document: dict[str, Any], prefix: str) -> list[str]:
    """Journalled calls that no route of the fake served, other than Schemathesis's own probes:
    its capability probes (they carry ``X-Schemathesis-Probe``) and the 405s that
    ``unsupported_method`` asks for (a method the document does not list, on a path it does)."""
    documented = {
        prefix + path: {m.upper() for m in item if m in METHODS}
        for path, item in document["paths"].items()
    }
    found = []
    for entry in entries:
        if not (entry["detail"] or "").startswith("routing:"):
            continue
        if "x-schemathesis-probe" in {name.lower() for name in entry["headers"]}:
            continue
        methods = documented.get(entry["path"])
        if entry["status"] == 405 and methods is not None and entry["method"] not in methods:
            continue
        found.append(f"{entry['method']} {entry['path']} -> {entry['status']}: {entry['detail']}")
    return found


def test_misrouted_tells_probes_from_calls_that_missed_every_route() -> None:
    document = {"paths": {"/api": {"post": {}}}}

    def entry(method: str, path: str, status: int, **headers: str) -> dict[str, Any]:
        detail = f"routing: {method} {path}"
        return {
            "method": method,
            "path": path,
            "status": status,
            "detail": detail,
            "headers": headers,
        }

    assert misrouted([entry("PUT", "/keepit/api", 405)], document, "/keepit") == []
    probe = entry("GET", "/keepit/schemathesis-probe", 404, **{"x-schemathesis-probe": "x"})
    assert misrouted([probe], document, "/keepit") == []
    assert misrouted([entry("POST", "/keepit/api/x", 404)], document, "/keepit")
    assert misrouted([entry("POST", "/keepit/api", 405)], document, "/keepit")


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(KIT_CONFIG) as running:
        yield running


@pytest.mark.parametrize("vendor", list(CREDENTIALS))
def test_the_stock_cli_passes_against_a_healthy_fake_and_reaches_its_routes(
    server: MockServer, vendor: str, tmp_path: Path
) -> None:
    server.reset()
    url = f"{server.base_url(vendor)}/openapi.json"
    run = schemathesis(url, *CREDENTIALS[vendor](server), cwd=tmp_path)
    assert run.returncode == 0, _tail(run)
    entries = server.requests(vendor=vendor, limit=JOURNAL)
    assert 0 < len(entries) < JOURNAL, "the journal must hold every call"
    assert any(ACCEPTED[vendor](e) for e in entries), "no authenticated call got through"
    assert misrouted(entries, httpx.get(url).json(), f"/{vendor}") == []


@pytest.mark.parametrize("vendor", list(CREDENTIALS))
def test_the_stock_cli_fails_when_the_fake_sends_malformed_bodies(
    server: MockServer, vendor: str, tmp_path: Path
) -> None:
    server.reset()
    credentials = CREDENTIALS[vendor](server)
    server.fault(vendor=vendor, kind="malformed")
    # The seeds' examples are enough to meet the fault; stop at the first failure (but for
    # QuoParts, whose run logs in through the faulted vendor: that error would count first).
    stop = ["--phases", "examples"] + ([] if vendor == "quoparts" else ["--max-failures", "1"])
    url = f"{server.base_url(vendor)}/openapi.json"
    run = schemathesis(url, *credentials, *stop, cwd=tmp_path)
    assert run.returncode != 0, _tail(run)
    assert "JSON deserialization error" in run.stdout, _tail(run)


@pytest.fixture
def admin_server() -> Iterator[MockServer]:
    """Its own server: the run resets, replaces state, moves the clock and adds faults."""
    with MockServer(KIT_CONFIG) as running:
        yield running


def test_the_stock_cli_passes_against_the_admin_api(
    admin_server: MockServer, tmp_path: Path
) -> None:
    run = schemathesis(f"{admin_server.url}/__admin/openapi.json", cwd=tmp_path)
    assert run.returncode == 0, _tail(run)
    assert "passed" in run.stdout


def test_every_matcher_the_admin_document_allows_is_taken(
    admin_server: MockServer, tmp_path: Path
) -> None:
    """The matcher's operation was any string, and the kit refuses (400) one its vendor does
    not have: a longer fuzzing run of the journal's reads found it (ST202, a schema-valid
    request rejected)."""
    url = f"{admin_server.url}/__admin/openapi.json"
    reads = ("listRequests", "countRequests", "verifyRequests")
    selected = [option for name in reads for option in ("--include-operation-id", name)]
    run = schemathesis(url, *selected, "--phases", "fuzzing", "--max-examples", "100", cwd=tmp_path)
    assert run.returncode == 0, _tail(run)
    assert "300 passed" in run.stdout, _tail(run)


def test_the_stock_cli_catches_an_admin_answer_of_the_wrong_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The admin API has no faults of its own: a server whose clock answer breaks its
    contract stands in for the malformed run."""
    from mockservers.admin import Admin

    def wrong(self: Admin, call: Any) -> Any:  # an admin endpoint is a plain function
        return {"now": 12}

    monkeypatch.setattr(Admin, "get_clock", wrong)
    with MockServer(KIT_CONFIG) as broken:
        url = f"{broken.url}/__admin/openapi.json"
        run = schemathesis(
            url, "--include-operation-id", "getClock", "--max-failures", "1", cwd=tmp_path
        )
    assert run.returncode != 0, _tail(run)
    assert "Response violates schema" in run.stdout, _tail(run)
