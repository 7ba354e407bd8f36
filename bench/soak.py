"""``make soak``: mixed valid, invalid and faulted traffic against every vendor from many
concurrent clients for a set time; then the fake's state must equal what it acknowledged.

Usage: python bench/soak.py [--seconds 300] [--clients 32]
       [--state-file FILE | --store redis://HOST:PORT/DB [--workers N]]
Starts its own ``mockservers serve`` (the options given passed on to it) and resets its global
scope first. Prints requests served, outcomes by kind, peak RSS; exits 1 on any lost or phantom
write, any generated number given twice (a QuoParts COD_CLI, a KeepIT progId, an XTRA ID, per
tenant), or any 5xx that no fault asked for.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import free_port, mockservers_command, server

FAULT_STATUS = 503  # injected faults answer this; any other 5xx is a bug
FAULT = {"kind": "status", "status": FAULT_STATUS, "probability": 0.05}
"""Every vendor's calls fail this way 5 % of the time: such a write is never acknowledged."""


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)
    unplanned: list[str] = field(default_factory=list)

    def count(self, kind: str) -> None:
        self.outcomes[kind] += 1


def _reconcile(
    vendor: str, field: str, acked: Mapping[str, Any], stored: Mapping[str, Any], sent: set[str]
) -> list[str]:
    """What the fake keeps, by key, against what it acknowledged: an acked write lost or kept
    with another ``field`` than it answered, and a record no call asked for (a phantom)."""
    problems = [f"{vendor} lost {key}" for key in acked if key not in stored]
    problems += [
        f"{vendor} {key}: {field} {stored[key]} != acked {value}"
        for key, value in acked.items()
        if key in stored and stored[key] != value
    ]
    problems += [f"{vendor} phantom {key}" for key in stored if key not in sent]
    return problems


def _given_twice(vendor: str, field: str, given: Mapping[str, Any], where: str) -> list[str]:
    """A sequence's value ``given`` to more than one key (``where``: whose), which two calls
    (or two workers on one store) drawing the same number would show."""
    holders: dict[Any, list[str]] = {}
    for key, value in given.items():
        holders.setdefault(value, []).append(key)
    return [
        f"{vendor}: {field} {value} given twice ({where}: {', '.join(sorted(keys)[:5])})"
        for value, keys in holders.items()
        if len(keys) > 1
    ]


def _unique(
    vendor: str, field: str, acked: Mapping[str, Any], state: dict[str, Any], collection: str
) -> list[str]:
    """Each value of a sequence given once: among the writes acknowledged, and among the
    records of each tenant's ``collection`` (``field``: where a record holds it)."""
    problems = _given_twice(vendor, field, acked, "acknowledged to")
    for name, tenant in state["tenants"].items():
        held = {key: record[field] for key, record in tenant.get(collection, {}).items()}
        problems += _given_twice(vendor, field, held, f"tenant {name}")
    return problems


class QuoPartsTraffic:
    """Imports customers (valid rows, bad rows, malformed bodies) and remembers what was acked."""

    vendor = "quoparts"
    path = "/quoparts/ws_quoparts.php"

    def __init__(self) -> None:
        self.acked: dict[str, str] = {}  # COD_CLI_ERP -> COD_CLI
        self.sent: set[str] = set()
        self.token = ""

    async def setup(self, http: httpx.AsyncClient) -> None:
        answer = await http.get(
            self.path, params={"login": "", "username": "demo", "password": "demo"}
        )
        self.token = answer.json()["data"][0]["TOKEN"]

    async def step(self, http: httpx.AsyncClient, rng: random.Random, tally: Tally, n: int) -> None:
        roll = rng.random()
        params = {"importCli": "", "token": self.token}
        if roll < 0.1:
            response = await http.post(self.path, params=params, content=b'{"data": [')
            tally.count("quoparts malformed")
            return
        erp = f"S{n}"
        row = {"DES_NOM": "Soak", "COD_PTA_IVA": "1", "COD_CLI_ERP": erp}
        if roll < 0.2:
            row.pop("COD_PTA_IVA")
        self.sent.add(erp)
        response = await http.post(self.path, params=params, json={"data": [row]})
        if response.status_code == FAULT_STATUS:
            tally.count("quoparts faulted")
            return
        if response.status_code != 200:
            tally.unplanned.append(f"quoparts HTTP {response.status_code}: {response.text[:200]}")
            return
        outcome = response.json()["data"][0]
        if outcome["errorCode"] == "0":
            self.acked[erp] = outcome["COD_CLI"]
            tally.count("quoparts imported")
        else:
            tally.count("quoparts row refused")

    def verify(self, state: dict[str, Any]) -> list[str]:
        customers = state["tenants"].get("demo", {}).get("customers", {})
        stored = {erp: customer["COD_CLI"] for erp, customer in customers.items()}
        problems = _reconcile(self.vendor, "COD_CLI", self.acked, stored, self.sent)
        return problems + _unique(self.vendor, "COD_CLI", self.acked, state, "customers")


class KeepItTraffic:
    """Inserts subjects (valid, missing mandatory field, duplicate) and remembers the progIds."""

    vendor = "keepit"
    path = "/keepit/api"
    params = {"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"}
    headers = {"username": "demo", "password": "demo", "companyId": "1", "siteId": "1"}

    def __init__(self) -> None:
        self.acked: dict[str, int] = {}  # customerCode -> progId
        self.sent: set[str] = set()

    async def setup(self, http: httpx.AsyncClient) -> None:
        """Nothing to obtain: the credentials travel in every call's headers."""

    async def step(self, http: httpx.AsyncClient, rng: random.Random, tally: Tally, n: int) -> None:
        code = f"K{n}"
        roll = rng.random()
        if roll < 0.1 and self.acked:
            code = rng.choice(list(self.acked))  # a duplicate: same customerCode and e-mail
        subjects = {
            "customerCode": code,
            "system": "DW",
            "subjectType": "FIDELITY",
            "subjectSubtype": "4",
            "isCompany": "F",
            "countryRegistration": "IT",
        }
        if 0.1 <= roll < 0.2:
            subjects.pop("system")
        record = {
            "action": "I",
            "subjects": subjects,
            "contacts": [{"contactType": "EMAIL", "value": f"{code.lower()}@soak.it"}],
        }
        self.sent.add(code)
        response = await http.post(
            self.path, params=self.params, headers=self.headers, json={"subjectsRecords": [record]}
        )
        if response.status_code == FAULT_STATUS:
            tally.count("keepit faulted")
            return
        if response.status_code not in (200, 400):
            tally.unplanned.append(f"keepit HTTP {response.status_code}: {response.text[:200]}")
            return
        body = response.json()
        if body["code"] == 200:
            self.acked[code] = body["insertedObjects"][0]["progId"]
            tally.count("keepit inserted")
        elif body["code"] == 204:
            tally.count("keepit duplicate")
        else:
            tally.count("keepit refused")

    def verify(self, state: dict[str, Any]) -> list[str]:
        tenant = state["tenants"].get("1/1", {})
        stored = {
            s["subjects"]["customerCode"]: s["progId"] for s in tenant.get("subjects", {}).values()
        }
        problems = _reconcile(self.vendor, "progId", self.acked, stored, self.sent)
        return problems + _unique(self.vendor, "progId", self.acked, state, "subjects")


class XtraTraffic:
    """Inserts identities (valid, invalid date, duplicate ExternalKey) by key pair."""

    vendor = "xtra"
    path = "/xtra/api/sync/v1/irs/update"
    headers = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}

    def __init__(self) -> None:
        self.acked: dict[str, int] = {}  # ExternalKey -> ID
        self.sent: set[str] = set()

    async def setup(self, http: httpx.AsyncClient) -> None:
        """Nothing to obtain: the credentials travel in every call's headers."""

    async def step(self, http: httpx.AsyncClient, rng: random.Random, tally: Tally, n: int) -> None:
        key = f"X{n}"
        roll = rng.random()
        if roll < 0.1 and self.acked:
            key = rng.choice(list(self.acked))  # ER.IR.EXISTS
        identity: dict[str, Any] = {"ExternalKey": key, "FIDGroup": 2, "TypologyIds": [2]}
        if 0.1 <= roll < 0.2:
            identity["IdentityDocuments"] = [
                {"FIDDocumentTypology": 1, "ReleaseDate": "2024-02-30"}
            ]
        self.sent.add(key)
        response = await http.post(self.path, headers=self.headers, json=[identity])
        if response.status_code == FAULT_STATUS:
            tally.count("xtra faulted")
            return
        if response.status_code != 200:
            tally.unplanned.append(f"xtra HTTP {response.status_code}: {response.text[:200]}")
            return
        record = response.json()["result"]["records"][0]
        if record["Item3"]:
            self.acked[key] = record["Item1"]
            tally.count("xtra inserted")
        else:
            tally.count(f"xtra {record['Item4']['Code']}")

    def verify(self, state: dict[str, Any]) -> list[str]:
        identities = state["tenants"].get("demo", {}).get("identities", {}).values()
        stored = {i["ExternalKey"]: i["ID"] for i in identities if i.get("ExternalKey")}
        problems = _reconcile(self.vendor, "ID", self.acked, stored, self.sent)
        return problems + _unique(self.vendor, "ID", self.acked, state, "identities")


class TsDigitalTraffic:
    """Creates items (valid, schema-invalid, a rule broken) with a minted token; 202s are acked."""

    vendor = "tsdigital"
    path = "/tsdigital/api/v3/items"

    def __init__(self) -> None:
        self.acked: set[str] = set()
        self.headers: dict[str, str] = {}

    async def setup(self, http: httpx.AsyncClient) -> None:
        minted = await http.post(
            "/__admin/tsdigital/tokens", json={"kind": "user", "ttl_seconds": 86400}
        )
        self.headers = {
            "Authorization": f"Bearer {minted.json()['token']}",
            "X-App-Name": "soak",
            "X-App-Version": "1.0",
        }

    async def step(self, http: httpx.AsyncClient, rng: random.Random, tally: Tally, n: int) -> None:
        payload: dict[str, Any] = {"item": {"base": {"identifier": {"vatNumber": f"{n:011d}"}}}}
        roll = rng.random()
        if roll < 0.1:
            payload["item"]["base"]["identifier"]["vatNumber"] = n  # wrong type
        elif roll < 0.2:
            payload["certified"] = True  # without validated: a rule of the seed
        response = await http.post(self.path, headers=self.headers, json=payload)
        if response.status_code == FAULT_STATUS:
            tally.count("tsdigital faulted")
        elif response.status_code == 202:
            self.acked.add(response.json()["id"])
            tally.count("tsdigital accepted")
        elif response.status_code == 400 and response.json()["subErrors"] is not None:
            tally.count("tsdigital refused 400")
        else:
            tally.unplanned.append(f"tsdigital HTTP {response.status_code}: {response.text[:200]}")

    def verify(self, state: dict[str, Any]) -> list[str]:
        stored = state["tenants"].get("demo", {}).get("items", {})
        problems = [f"tsdigital lost {item}" for item in self.acked if item not in stored]
        problems += [f"tsdigital phantom {item}" for item in stored if item not in self.acked]
        problems += [
            f"tsdigital {item} still {record['status']}"
            for item, record in stored.items()
            if record["status"] not in ("CREATED", "FAILED")
        ]
        return problems


TRAFFIC = [QuoPartsTraffic, KeepItTraffic, XtraTraffic, TsDigitalTraffic]


async def soak(url: str, seconds: float, clients: int) -> tuple[Tally, list[str]]:
    tally = Tally()
    generators = [cls() for cls in TRAFFIC]
    # Idle connections given up before the server's 5 s keep-alive ends (a call sent on one
    # it was closing failed with a ReadError).
    limits = httpx.Limits(max_connections=clients, keepalive_expiry=4.0)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
        # what an earlier run left in the store (Redis, a state file) would read as phantoms
        (await http.post("/__admin/reset", json={})).raise_for_status()
        for generator in generators:
            await generator.setup(http)
            await http.post("/__admin/faults", json=FAULT | {"vendor": generator.vendor})
        deadline = time.monotonic() + seconds
        counter = iter(range(10**12))

        async def worker(seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                generator = rng.choice(generators)
                try:
                    await generator.step(http, rng, tally, next(counter))
                except httpx.TransportError as exc:
                    tally.unplanned.append(f"{generator.vendor}: transport error {exc!r}")

        await asyncio.gather(*(worker(seed) for seed in range(clients)))
        await http.delete("/__admin/faults")
        problems = []
        for generator in generators:
            state = (await http.get(f"/__admin/state/{generator.vendor}")).json()
            problems += generator.verify(state)
    return tally, problems


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (``serve --workers``: the workers under their supervisor)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return [pid, *(each for child in children for each in process_tree(child))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--state-file", help="serve's --state-file (SQLite)")
    parser.add_argument("--store", help="serve's --store, e.g. redis://127.0.0.1:6379/0")
    parser.add_argument("--workers", type=int, default=1, help="serve's --workers (needs --store)")
    args = parser.parse_args()
    if args.workers > 1 and not args.store:
        parser.error("--workers above 1 needs --store")
    if args.store and args.state_file:
        parser.error("--store and --state-file are exclusive")
    port = free_port()
    extra = ["--workers", str(args.workers)]
    extra += ["--state-file", args.state_file] if args.state_file else []
    extra += ["--store", args.store] if args.store else []
    with server(mockservers_command(port, *extra), "/__admin/health", port) as (process, _):
        started = time.monotonic()
        tally, problems = asyncio.run(soak(f"http://127.0.0.1:{port}", args.seconds, args.clients))
        elapsed = time.monotonic() - started
        peaks = [peak_rss_mb(pid) for pid in process_tree(process.pid)]
    served = sum(tally.outcomes.values()) + len(tally.unplanned)
    store = "redis" if args.store else "a state file" if args.state_file else "memory"
    rss = f"peak RSS {' + '.join(f'{peak:.0f}' for peak in peaks)} MB"
    rss += " (each process of serve's tree)" if len(peaks) > 1 else ""
    print(
        f"soak: {served} requests in {elapsed:.0f} s ({served / elapsed:.0f}/s), "
        f"{args.clients} concurrent clients, {args.workers} worker(s) on {store}, {rss}"
    )
    for kind, count in sorted(tally.outcomes.items()):
        print(f"  {kind:<28} {count}")
    for line in tally.unplanned[:20]:
        print(f"  UNPLANNED {line}")
    for line in problems[:20]:
        print(f"  STATE {line}")
    ok = not tally.unplanned and not problems
    print("state equals what was acknowledged" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
