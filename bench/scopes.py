"""What sessions and coverage cost per request, measured in-process (no socket, no HTTP
parsing), so that the few microseconds they add are not lost in uvicorn's noise.

Each vendor's main write is sent straight to the ASGI app, alternating rounds between:
- ``global``: the demo account, as shipped;
- ``session``: the same call with a session's account (owner look-up, touch, session clock,
  the session's journal and counters);
- ``no coverage``: the global call with every ``met(...)`` and the coverage counting turned
  into no-ops (what coverage costs is the difference with ``global``).
Then ``met()`` and ``Coverage.count`` alone.

Usage: python bench/scopes.py [--calls 500] [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mockservers import create_app
from mockservers.core import coverage
from mockservers.core.shared import SharedMap
from mockservers.testing import admin_client

CONFIG = {"keepit": {"rate_limit_calls": 10**9}}
"""As bench/bench.toml: no 429s (the 60 s window then holds every call of a round)."""
WARM_UP = 50
"""Untimed calls before each timed round."""
ROW = {"DES_NOM": "Rossi S.r.l.", "COD_PTA_IVA": "12345678901", "FLG_ATV": "1"}


class Direct:
    """Calls the ASGI app without a transport: one coroutine per request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()

    def call(
        self, method: str, path: str, query: bytes, headers: dict[str, str], body: bytes
    ) -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query,
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
            + [(b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        self.loop.run_until_complete(self.app(scope, receive, send))
        return int(sent[0]["status"])


Call = Callable[[int], int]


def quoparts_call(direct: Direct, account: dict[str, str]) -> Call:
    with admin_client(direct.app) as http:
        answer = http.get("/quoparts/ws_quoparts.php", params={"login": "", **account}).json()
    query = f"importCli=&token={answer['data'][0]['TOKEN']}".encode()
    headers = {"content-type": "application/json"}

    def call(n: int) -> int:
        body = orjson.dumps({"data": [ROW | {"COD_CLI_ERP": f"CLI{n}"}]})
        return direct.call("POST", "/quoparts/ws_quoparts.php", query, headers, body)

    return call


def keepit_call(direct: Direct, account: dict[str, str]) -> Call:
    query = b"cmd=insertClient_v3&appId=KEEPIT&applicationId=KEEPIT"
    headers = {
        "content-type": "application/json",
        "username": account["username"],
        "password": account["password"],
        "companyId": account["company_id"],
        "siteId": account["site_id"],
    }

    def call(n: int) -> int:
        subjects = {
            "customerCode": f"C{n}",
            "system": "DW",
            "subjectType": "FIDELITY",
            "subjectSubtype": "4",
            "isCompany": "F",
            "countryRegistration": "IT",
        }
        body = orjson.dumps({"subjectsRecords": [{"action": "I", "subjects": subjects}]})
        return direct.call("POST", "/keepit/api", query, headers, body)

    return call


def xtra_call(direct: Direct, account: dict[str, str]) -> Call:
    headers = {
        "content-type": "application/json",
        "SyncPublicKey": account["public_key"],
        "SyncSecretKey": account["secret_key"],
    }

    def call(n: int) -> int:
        record = {"FIDGroup": 2, "TypologyIds": [2], "ExternalKey": f"E{n}", "Denomination": "R"}
        return direct.call(
            "POST", "/xtra/api/sync/v1/irs/update", b"", headers, orjson.dumps([record])
        )

    return call


def tsdigital_call(direct: Direct, account: dict[str, str]) -> Call:
    with admin_client(direct.app) as http:
        body = {"kind": "user"}
        if account["tenant"] != "demo":
            body["session"] = account["tenant"].removeprefix("ms-")
        token = http.post("/__admin/tsdigital/tokens", json=body).json()["token"]
    headers = {
        "content-type": "application/json",
        "Authorization": f"Bearer {token}",
        "X-App-Name": "bench",
        "X-App-Version": "1.0",
    }

    def call(n: int) -> int:
        item = {"item": {"base": {"identifier": {"vatNumber": f"{n:011d}"}}}}
        return direct.call("POST", "/tsdigital/api/v3/items", b"", headers, orjson.dumps(item))

    return call


@contextmanager
def coverage_off() -> Any:
    """Every vendor's ``met`` and the pipeline's counting as no-ops."""
    modules = [m for name, m in sys.modules.items() if name.startswith("mockservers.") and m]
    patches = [
        mock.patch.object(m, "met", lambda behaviour: None)
        for m in modules
        if getattr(m, "met", None) is coverage.met
    ]
    patches.append(mock.patch.object(coverage.Coverage, "count", lambda self, met, scope: None))
    for patch in patches:
        patch.start()
    try:
        yield
    finally:
        for patch in patches:
            patch.stop()


def measure(call: Call, start: int, calls: int) -> float:
    """Microseconds of this process's CPU per call (CPU time, not wall time: on a shared machine
    other processes' load does not count)."""
    began = time.process_time()
    for n in range(start, start + calls):
        status = call(n)
        assert status in (200, 202), status
    return (time.process_time() - began) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    makers = {
        "quoparts": quoparts_call,
        "xtra": xtra_call,
        "tsdigital": tsdigital_call,
        "keepit": keepit_call,
    }
    demos = {
        "quoparts": {"username": "demo", "password": "demo"},
        "xtra": {"public_key": "demo-public", "secret_key": "demo-secret"},
        "tsdigital": {"tenant": "demo"},
        "keepit": {"username": "demo", "password": "demo", "company_id": "1", "site_id": "1"},
    }
    for vendor, make in makers.items():
        app = create_app(CONFIG)
        direct = Direct(app)
        with admin_client(app) as http:
            session = http.post("/__admin/sessions", json={}).json()
        demo = demos[vendor]
        variants = {
            "global": (make(direct, demo), False),
            "session": (make(direct, session["credentials"][vendor]), False),
            "no coverage": (make(direct, demo), True),
        }
        results: dict[str, list[float]] = {name: [] for name in variants}
        offset = 0
        measure(variants["global"][0], 10**8, args.calls // 4)  # warm up
        for number in range(args.rounds):
            order = list(variants.items())
            for name, (call, off) in order if number % 2 else reversed(order):
                with coverage_off() if off else contextlib.nullcontext():
                    # Untimed first calls: patching and unpatching ``met`` changes the modules'
                    # globals, which sends the interpreter's specialised look-ups back to
                    # their slow form for a while (KeepIT measured 3-10 us slower without it).
                    measure(call, offset, WARM_UP)
                    offset += WARM_UP
                    results[name].append(measure(call, offset, args.calls))
                    offset += args.calls
        base = statistics.median(results["global"])
        print(f"{vendor} main write, µs per call (median of {args.rounds} rounds of {args.calls}):")
        for name, values in results.items():
            value = statistics.median(values)
            print(f"  {name:<12} {value:8.1f}  ({value - base:+.1f} vs global)")

    pieces(app)


def pieces(app: Any) -> None:
    """The added pieces alone, in ns: whose call it is, the touch, marking, counting."""
    kit = app.state.kit
    with admin_client(app) as http:
        session = http.post("/__admin/sessions", json={}).json()
    tenant = session["credentials"]["quoparts"]["username"]
    live = kit.sessions.owner(tenant)
    counters = coverage.Coverage(SharedMap("coverage"))
    behaviour = coverage.Behaviour("quoparts.login_ok", "")
    listening = coverage.MET.set([])

    def ns(work: Callable[[], Any]) -> float:
        return min(timeit.repeat(work, number=100_000, repeat=5)) / 100_000 * 1e9

    figures = {
        "owner of a global tenant": ns(lambda: kit.sessions.owner("demo")),
        "owner of a session's tenant": ns(lambda: kit.sessions.owner(tenant)),
        "touch (no write within a second)": ns(lambda: kit.sessions.touch(live)),
        "met()": ns(lambda: coverage.met(behaviour)),
        "Coverage.count, one behaviour": ns(lambda: counters.count(["quoparts.login_ok"], None)),
        "Coverage.count, two behaviours": ns(
            lambda: counters.count(["quoparts.login_ok", "quoparts.quote_created"], "abc")
        ),
    }
    coverage.MET.reset(listening)
    print("pieces, ns (best of 5 runs of 100,000):")
    for name, value in figures.items():
        print(f"  {name:<36} {value:6.0f}")


if __name__ == "__main__":
    main()
