"""``make bench``: each vendor's main write against a bare Starlette baseline, alternating, with
wrk as the load generator; then start-up time, idle RSS, and 1,000,000 stored QuoParts customers.

Usage: python bench/bench.py [--seconds 5] [--rounds 2] [--connections 32] [--only NAME]
       [--skip-million] [--skip-redis]

On the fast HTTP stack (uvicorn with httptools and uvloop), as ``mockservers serve`` runs.
The Redis store is measured apart: one worker against two workers on one redis-server (started
here on a free port), alternating, QuoParts importCli 1 row.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WRK_LUA = (HERE / "wrk.lua").read_text()
CONFIG = HERE / "bench.toml"


@dataclass
class Scenario:
    """One write, as wrk sends it: ``__N__`` in the body is made unique per request."""

    name: str
    path: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[httpx.Client], dict[str, str]] = lambda _: {}
    floor: float = 0.6  # required ratio to the baseline


def _quoparts_token(http: httpx.Client) -> dict[str, str]:
    answer = http.get(
        "/quoparts/ws_quoparts.php", params={"login": "", "username": "demo", "password": "demo"}
    )
    return {"token": answer.json()["data"][0]["TOKEN"]}


def _customer_row(suffix: str) -> dict[str, str]:
    return {
        "DES_NOM": "Rossi S.r.l.",
        "DES_IND": "Via Roma 123",
        "DES_CTA": "Milano",
        "COD_PRN": "MI",
        "COD_CAP": "20121",
        "COD_EML": "info@rossisrl.it",
        "COD_PTA_IVA": "12345678901",
        "FLG_ATV": "1",
        "COD_CLI_ERP": f"B__N__{suffix}",
    }


KEEPIT_HEADERS = {"username": "demo", "password": "demo", "companyId": "1", "siteId": "1"}
KEEPIT_RECORD = {
    "action": "I",
    "subjects": {
        "customerCode": "K__N__",
        "system": "DW",
        "subjectName": "Alessandro",
        "subjectSurname": "Covris",
        "subjectType": "FIDELITY",
        "subjectSubtype": "4",
        "isCompany": "F",
        "countryRegistration": "IT",
        "city": "Pordenone",
    },
    "contacts": [{"contactType": "EMAIL", "value": "k__N__@test.it"}],
}

XTRA_HEADERS = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
XTRA_IDENTITY = {
    "ExternalKey": "X__N__",
    "FIDGroup": 2,
    "TypologyIds": [2],
    "Denomination": "Rossi S.r.l.",
    "Vatnumber": "12345678901",
    "City": "Milano",
    "Contacts": [{"FIDContactTypology": 2, "Value": "x__N__@rossi.it"}],
}


def _tsdigital_token(http: httpx.Client) -> dict[str, str]:
    minted = http.post("/__admin/tsdigital/tokens", json={"kind": "user", "ttl_seconds": 86400})
    return {"token": minted.json()["token"]}


TSDIGITAL_ITEM = {
    "item": {
        "base": {
            "details": {
                "description": "Rossi S.r.l.",
                "addresses": [
                    {"city": "Milano", "streetName": "Via Roma", "types": ["REGISTERED_OFFICE"]}
                ],
            },
            "identifier": {"vatNumber": "__N__", "taxId": "__N__"},
        }
    }
}

SCENARIOS: list[Scenario] = [
    Scenario(
        "quoparts importCli 1 row",
        "/quoparts/ws_quoparts.php?importCli=&token={token}",
        json.dumps({"data": [_customer_row("")]}),
        prepare=_quoparts_token,
        floor=0.8,
    ),
    Scenario(
        "quoparts importCli 100 rows",
        "/quoparts/ws_quoparts.php?importCli=&token={token}",
        json.dumps({"data": [_customer_row(f"-{k}") for k in range(100)]}),
        prepare=_quoparts_token,
        floor=0.5,
    ),
    Scenario(
        "xtra irs/update",
        "/xtra/api/sync/v1/irs/update",
        json.dumps([XTRA_IDENTITY]),
        headers=XTRA_HEADERS,
    ),
    Scenario(
        "tsdigital createItem",
        "/tsdigital/api/v3/items",
        json.dumps(TSDIGITAL_ITEM),
        headers={
            "Authorization": "Bearer {token}",
            "X-App-Name": "bench",
            "X-App-Version": "1.0",
        },
        prepare=_tsdigital_token,
    ),
    Scenario(
        "keepit insertClient_v3",
        "/keepit/api?cmd=insertClient_v3&appId=KEEPIT&applicationId=KEEPIT",
        json.dumps({"subjectsRecords": [KEEPIT_RECORD]}),
        headers=KEEPIT_HEADERS,
    ),
]


# -- processes ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_answering(url: str, process: subprocess.Popen[bytes], limit: float = 30) -> float:
    """Seconds from now until ``url`` answers (the bench may poll; tests never do)."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return time.perf_counter() - start
        except httpx.TransportError:
            time.sleep(0.002)
    raise RuntimeError(f"{url} did not answer within {limit} s")


def logged(command: list[str], log: IO[bytes]) -> str:
    """What ``command`` wrote to ``log``, for the reader of a failed bench (read once it ended)."""
    log.seek(0)
    text = log.read().decode(errors="replace").rstrip()
    return f"{' '.join(command)} wrote:\n{text}" if text else f"{' '.join(command)} wrote nothing"


@contextmanager
def server(
    command: list[str], health: str, port: int
) -> Iterator[tuple[subprocess.Popen[bytes], float]]:
    """``command`` answering on ``port``, with the seconds it took to start.

    Its stderr goes to a temporary file, never to a pipe nobody reads: a server that logs a lot
    would block on the full pipe, and the bench hang or measure the stall. The file is shown
    when the server fails to start or exits before the bench ends it."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL, cwd=ROOT
        )
        answering = False
        try:
            wait_until_answering(f"http://127.0.0.1:{port}{health}", process)
            answering = True
            yield process, time.perf_counter() - started
        finally:
            stop(process, command, log, shown=not answering)


def stop(process: subprocess.Popen[bytes], command: list[str], log: IO[bytes], shown: bool) -> None:
    """End a server the bench started; its log is shown when ``shown`` (it never became ready)
    or when it had exited on its own."""
    exited = process.poll()
    process.terminate()
    process.wait(timeout=30)
    if shown or exited is not None:
        print(logged(command, log), file=sys.stderr)


def mockservers_command(port: int, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mockservers.cli",
        "serve",
        "--port",
        str(port),
        "--config",
        str(CONFIG),
        *extra,
    ]


def baseline_command(port: int) -> list[str]:
    return [sys.executable, str(HERE / "baseline.py"), str(port)]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- load -----------------------------------------------------------------------------------------
@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int
    requests: int
    cpu_us: float = 0.0
    """The server's CPU time (user + system) per request during the run, when measured."""


def wrk(url: str, body: str, headers: dict[str, str], seconds: float, connections: int) -> Run:
    prelude = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body)}"]
    prelude += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    prelude.append(
        'wrk.headers["Content-Type"] = wrk.headers["Content-Type"] or "application/json"'
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(prelude) + "\n" + WRK_LUA)
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "-s", script.name, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    figures = json.loads(out.strip().splitlines()[-1])
    return Run(
        rps=figures["requests"] / (figures["duration_us"] / 1e6),
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        non2xx=figures["non2xx"],
        socket_errors=figures["socket_errors"],
        requests=figures["requests"],
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(
    pid: int, url: str, body: str, headers: dict[str, str], seconds: float, connections: int
) -> Run:
    """One wrk run with the CPU time server ``pid`` spent on it: a figure of the server alone,
    where requests per second also depend on what wrk gets of the shared cores."""
    before = cpu_seconds(pid)
    run = wrk(url, body, headers, seconds, connections)
    run.cpu_us = (cpu_seconds(pid) - before) * 1e6 / max(1, run.requests)
    return run


def fill(text: str, subs: dict[str, str]) -> str:
    """``{token}`` and the like, in a path or a header value."""
    for key, value in subs.items():
        text = text.replace("{" + key + "}", value)
    return text


_ROW = "{:<32} {:>8} {:>7} {:>7} {:>10} {:>6} {:>6} {:>7} {:>11}  {}"


def compare(args: argparse.Namespace) -> list[str]:
    """Alternate baseline and vendor runs per scenario; return failed targets.

    Each scenario gets a fresh fake and a fresh baseline: a fake still holding the millions of
    customers the 100-row imports stored would measure their weight on the next vendor, not
    that vendor's write (docs/performance.md)."""
    failures: list[str] = []
    print(
        _ROW.format(
            "scenario",
            "req/s",
            "p50 ms",
            "p99 ms",
            "base req/s",
            "ratio",
            "target",
            "non-2xx",
            "CPU us/req",
            "ratio per round",
        )
    )
    for scenario in SCENARIOS:
        if args.only and args.only not in scenario.name:
            continue
        mport, bport = free_port(), free_port()
        with (
            server(mockservers_command(mport), "/__admin/health", mport) as (fake, _),
            server(baseline_command(bport), "/", bport) as (baseline, _),
            httpx.Client(base_url=f"http://127.0.0.1:{mport}") as mock,
        ):
            subs = scenario.prepare(mock)
            path, body = fill(scenario.path, subs), scenario.body
            headers = {k: fill(v, subs) for k, v in scenario.headers.items()}
            vendor_runs, base_runs = [], []
            for _ in range(args.rounds):
                base_runs.append(
                    measured(
                        baseline.pid,
                        f"http://127.0.0.1:{bport}/",
                        body,
                        {},
                        args.seconds,
                        args.connections,
                    )
                )
                vendor_runs.append(
                    measured(
                        fake.pid,
                        f"http://127.0.0.1:{mport}{path}",
                        body,
                        headers,
                        args.seconds,
                        args.connections,
                    )
                )
            rps = statistics.mean(r.rps for r in vendor_runs)
            base = statistics.mean(r.rps for r in base_runs)
            bad = sum(r.non2xx + r.socket_errors for r in vendor_runs)
            ratio = rps / base
            p50 = statistics.mean(r.p50_ms for r in vendor_runs)
            p99 = statistics.mean(r.p99_ms for r in vendor_runs)
            cpu = statistics.mean(r.cpu_us for r in vendor_runs)
            base_cpu = statistics.mean(r.cpu_us for r in base_runs)
            print(
                _ROW.format(
                    scenario.name,
                    f"{rps:.0f}",
                    f"{p50:.2f}",
                    f"{p99:.2f}",
                    f"{base:.0f}",
                    f"{ratio:.2f}",
                    f"{scenario.floor:.2f}",
                    bad,
                    f"{cpu:.0f} ({base_cpu:.0f})",
                    # Each vendor run against the baseline run just before it: the spread.
                    " ".join(
                        f"{v.rps / b.rps:.2f}" for v, b in zip(vendor_runs, base_runs, strict=True)
                    ),
                )
            )
            if ratio < scenario.floor:
                failures.append(f"{scenario.name}: {ratio:.2f} x baseline < {scenario.floor}")
            if bad:
                failures.append(f"{scenario.name}: {bad} non-2xx or socket errors under load")
    return failures


def startup_and_memory(args: argparse.Namespace) -> list[str]:
    failures: list[str] = []
    times = []
    for _ in range(3):
        port = free_port()
        with server(mockservers_command(port), "/__admin/health", port) as (_, seconds):
            times.append(seconds)
    startup = min(times)
    print(
        f"\nstart-up of mockservers serve to first answer: {startup:.3f} s (best of 3; all: "
        + ", ".join(f"{t:.3f}" for t in times)
        + ")   target <= 1.0 s"
    )
    if startup > 1.0:
        failures.append(f"start-up {startup:.2f} s > 1.0 s")
    port = free_port()
    with server(mockservers_command(port), "/__admin/health", port) as (process, _):
        idle = rss_mb(process.pid)
    print(f"idle RSS: {idle:.1f} MB   target <= 80 MB")
    if idle > 80:
        failures.append(f"idle RSS {idle:.1f} MB > 80 MB")
    if not args.skip_million:
        failures += million_customers(args)
    return failures


def load_customers(http: httpx.Client, count: int, batch: int = 5000) -> None:
    token = _quoparts_token(http)["token"]
    for start in range(0, count, batch):
        rows = [_customer_row("") | {"COD_CLI_ERP": f"M{n}"} for n in range(start, start + batch)]
        answer = http.post(
            "/quoparts/ws_quoparts.php",
            params={"importCli": "", "token": token},
            json={"data": rows},
        )
        assert answer.json()["errorCode"] == "0"


def million_customers(args: argparse.Namespace) -> list[str]:
    """An empty fake and one holding 1,000,000 customers, measured alternately."""
    failures: list[str] = []
    scenario = SCENARIOS[0]
    empty_port, full_port = free_port(), free_port()
    with (
        server(mockservers_command(empty_port), "/__admin/health", empty_port),
        server(mockservers_command(full_port), "/__admin/health", full_port) as (process, _),
    ):
        http = httpx.Client(base_url=f"http://127.0.0.1:{full_port}", timeout=120)
        before = rss_mb(process.pid)
        started = time.perf_counter()
        load_customers(http, 1_000_000)
        loaded = time.perf_counter() - started
        after = rss_mb(process.pid)
        per_customer = (after - before) * 1024 * 1024 / 1_000_000
        print(
            f"1,000,000 customers loaded in {loaded:.1f} s; RSS {before:.0f} -> {after:.0f} MB: "
            f"{per_customer:.0f} bytes per customer   target <= 2048"
        )
        urls = {}
        for name, port in (("empty", empty_port), ("full", full_port)):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                path = fill(scenario.path, scenario.prepare(client))
            urls[name] = (f"http://127.0.0.1:{port}{path}", scenario.body)
        runs: dict[str, list[Run]] = {"empty": [], "full": []}
        for _ in range(max(2, args.rounds)):
            for name, (url, body) in urls.items():
                runs[name].append(wrk(url, body, {}, args.seconds, args.connections))
        empty = statistics.mean(r.rps for r in runs["empty"])
        full = statistics.mean(r.rps for r in runs["full"])
        change = (full - empty) / empty
        bad = sum(r.non2xx + r.socket_errors for rs in runs.values() for r in rs)
        print(
            f"importCli 1 row: empty store {empty:.0f} req/s, 1M customers {full:.0f} req/s "
            f"({change:+.1%})   target within 10 %; non-2xx {bad}"
        )
    if per_customer > 2048:
        failures.append(f"{per_customer:.0f} bytes per customer > 2048")
    if change < -0.10:
        failures.append(f"throughput with 1M customers {change:+.1%} of empty")
    if bad:
        failures.append(f"{bad} non-2xx answers with 1M customers")
    return failures


@contextmanager
def redis_server() -> Iterator[str]:
    """A fresh redis-server (no persistence) on a free port, for the store's measurement."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"]
    with tempfile.NamedTemporaryFile(suffix=".log") as log:
        # Its log in a file as the fakes' (``server``): a pipe read only up to "Ready" would
        # fill with what redis-server logs afterwards.
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        ready = False
        try:
            limit = time.perf_counter() + 30
            while "Ready to accept connections" not in Path(log.name).read_text(errors="replace"):
                if process.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {process.returncode}")
                if time.perf_counter() > limit:
                    raise RuntimeError("redis-server not ready within 30 s")
                time.sleep(0.01)
            ready = True
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            stop(process, command, log, shown=not ready)


def redis_scaling(args: argparse.Namespace) -> list[str]:
    """The Redis store: 1 worker against 2 workers (alternating), QuoParts importCli 1 row."""
    if shutil.which("redis-server") is None:
        print("\nredis store: skipped (no redis-server; apt-get install redis-server)")
        return ["redis store not measured: redis-server is missing"]
    scenario = SCENARIOS[0]
    runs: dict[int, list[Run]] = {1: [], 2: []}
    with redis_server() as url:
        ports = {workers: free_port() for workers in runs}
        commands = {
            w: mockservers_command(
                ports[w], "--store", url.replace("/0", f"/{w}"), "--workers", str(w)
            )
            for w in runs
        }
        with (
            server(commands[1], "/__admin/health", ports[1]),
            server(commands[2], "/__admin/health", ports[2]),
        ):
            urls = {}
            for workers, port in ports.items():
                with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                    path = fill(scenario.path, scenario.prepare(client))
                urls[workers] = f"http://127.0.0.1:{port}{path}"
            for _ in range(max(2, args.rounds)):
                for workers, url in urls.items():
                    run = wrk(url, scenario.body, {}, args.seconds, args.connections)
                    runs[workers].append(run)
    one = statistics.mean(r.rps for r in runs[1])
    two = statistics.mean(r.rps for r in runs[2])
    bad = sum(r.non2xx + r.socket_errors for rs in runs.values() for r in rs)
    p50 = {w: statistics.mean(r.p50_ms for r in rs) for w, rs in runs.items()}
    rounds = " ".join(f"{b.rps / a.rps:.2f}" for a, b in zip(runs[1], runs[2], strict=True))
    print(
        f"\nredis store, {scenario.name}: 1 worker {one:.0f} req/s (p50 {p50[1]:.2f} ms), "
        f"2 workers {two:.0f} req/s (p50 {p50[2]:.2f} ms): {two / one:.2f} x   "
        f"target >= 1.2 x; non-2xx {bad}; ratio per round {rounds}"
    )
    failures = []
    if two / one < 1.2:
        failures.append(f"redis store: 2 workers {two / one:.2f} x 1 worker < 1.2")
    if bad:
        failures.append(f"redis store: {bad} non-2xx answers under load")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only")
    parser.add_argument("--skip-million", action="store_true")
    parser.add_argument("--skip-redis", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench needs wrk (make bench installs it: apt-get install wrk)", file=sys.stderr)
        return 2
    print(
        f"mockservers benchmark: {os.cpu_count()} cores, wrk -t2 -c{args.connections}, "
        f"{args.seconds:g} s x {args.rounds} rounds per side, alternating\n"
    )
    failures = compare(args) + startup_and_memory(args)
    if not args.skip_redis:
        failures += redis_scaling(args)
    print("\n" + ("all targets met" if not failures else "MISSED:\n  " + "\n  ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
