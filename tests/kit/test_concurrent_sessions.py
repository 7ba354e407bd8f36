"""Eight tests at once on one server, each in its own session: a full scenario across the four
vendors with clock moves and faults, run phase by phase in lock step (every session has set its
faults and moved its clock before any calls), and each sees only its own effects."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import httpx
import pytest

from mockservers.testing import MockServer, Session
from tests.data import keepit_customer

SESSIONS = 8
START = "2025-01-01T00:00:00Z"
CONFIG = {
    "kit": {"clock": {"start": START, "frozen": True}},
    "tsdigital": {"processing_delay_seconds": 60},
}
QP = "/quoparts/ws_quoparts.php"
KEEPIT_QUERY = {"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"}
TS_HEADERS = {"X-App-Name": "tests", "X-App-Version": "1.0"}
TS_ITEM = {"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}}


@pytest.fixture(scope="module")
def server() -> Any:
    with MockServer(CONFIG) as running:
        yield running


def keepit_body(code: str) -> dict[str, Any]:
    return {"subjectsRecords": [keepit_customer(code)]}


class Job:
    """One test's scenario in its session; ``index`` makes its effects its own."""

    def __init__(self, server: MockServer, index: int, barrier: threading.Barrier) -> None:
        self.index = index
        self.barrier = barrier
        self.session: Session = server.session(name=f"job {index}")
        self.http = httpx.Client(base_url=server.url, timeout=10)
        credentials = self.session.credentials
        keepit = credentials["keepit"]
        self.keepit_headers = {
            "username": keepit["username"],
            "password": keepit["password"],
            "companyId": keepit["company_id"],
            "siteId": keepit["site_id"],
        }
        xtra = credentials["xtra"]
        self.xtra_keys = {"SyncPublicKey": xtra["public_key"], "SyncSecretKey": xtra["secret_key"]}
        self.expires = index % 2 == 0  # even jobs let their QuoParts token expire
        self.fails = index % 2 == 1  # odd jobs' TS Digital item ends FAILED

    def run(self) -> None:
        try:
            self.scenario()
        except threading.BrokenBarrierError:
            raise
        except BaseException:
            self.barrier.abort()  # the others stop waiting for this job
            raise
        finally:
            self.http.close()
            self.session.close()

    def step(self) -> None:
        self.barrier.wait(timeout=30)

    def scenario(self) -> None:
        i, session, http = self.index, self.session, self.http
        # 1. log in, move the clock (its own amount), set its faults (its own status)
        qp = session.credentials["quoparts"]
        token = http.get(QP, params={"login": "", **qp}).json()["data"][0]["TOKEN"]
        session.advance(100 * (i + 1))
        session.fault(vendor="keepit", kind="status", status=500 + i, times=1)
        if self.fails:
            session.fault(vendor="tsdigital", kind="processing_failure", times=1)
        bearer = {"Authorization": f"Bearer {session.tsdigital_token()}"}
        self.step()

        # 2. everyone calls, with everyone's faults armed and clocks moved
        rows = [
            {"DES_NOM": f"Job {i}", "COD_PTA_IVA": "1", "COD_CLI_ERP": f"J{i}-{n}"}
            for n in range(i + 1)
        ]
        answer = http.post(QP, params={"importCli": "", "token": token}, json={"data": rows}).json()
        assert [r["COD_CLI"] for r in answer["data"]] == [f"{n:06d}" for n in range(1, i + 2)]
        api = "/keepit/api"
        faulted = http.post(
            api, params=KEEPIT_QUERY, headers=self.keepit_headers, json=keepit_body(f"K{i}")
        )
        assert faulted.status_code == 500 + i
        inserted = http.post(
            api, params=KEEPIT_QUERY, headers=self.keepit_headers, json=keepit_body(f"K{i}")
        )
        assert inserted.json()["code"] == 200
        record = {"ID": 1, "City": f"City {i}"}
        update = http.post("/xtra/api/sync/v1/irs/update", json=[record], headers=self.xtra_keys)
        assert update.json()["result"]["records"][0]["Item3"] is True
        item = http.post("/tsdigital/api/v3/items", json=TS_ITEM, headers=TS_HEADERS | bearer)
        assert item.status_code == 202
        self.step()

        # 3. time passes differently in each session
        session.advance(60 + (3600 if self.expires else 0))
        self.step()

        # 4. each sees only its own effects
        expected_seconds = 100 * (i + 1) + 60 + (3600 if self.expires else 0)
        assert _seconds(session.now()) - _seconds(START) == expected_seconds
        again = http.post(QP, params={"importCli": "", "token": token}, json={"data": []}).json()
        assert again["errorCode"] == ("101" if self.expires else "0")
        self.check_journal()
        self.check_state(item.json()["id"])
        assert session.faults() == []  # its keepit fault used up, its processing fault too
        met = {r["behaviour"]: r["met"] for r in session.coverage("tsdigital")["tsdigital"]}
        assert met["tsdigital.processing_failed"] == (1 if self.fails else 0)
        assert session.count(vendor="keepit", status=500 + i, error_code=500 + i) == 1
        self.step()  # nobody closes before everyone has checked

    def check_journal(self) -> None:
        entries = self.session.requests()
        prefix = f"ms-{self.session.id}"
        assert {e["session"] for e in entries} == {self.session.id}
        assert all(e["tenant"].startswith(prefix) for e in entries)
        assert [e["operation"] for e in reversed(entries)] == [
            "login",
            "importCli",
            "insertClient_v3",
            "insertClient_v3",
            "updateIdentities",
            "createItem",
            "importCli",
        ]
        self.session.assert_called(
            1,
            vendor="quoparts",
            operation="importCli",
            body={"data": [{"COD_CLI_ERP": f"J{self.index}-0"}]},
        )

    def check_state(self, item_id: str) -> None:
        prefix = f"ms-{self.session.id}"
        quoparts = self.session.state("quoparts")["tenants"]
        assert list(quoparts) == [prefix]
        assert sorted(quoparts[prefix]["customers"]) == [
            f"J{self.index}-{n}" for n in range(self.index + 1)
        ]
        keepit = self.session.state("keepit")["tenants"]
        assert list(keepit) == [f"{prefix}/1"]
        customers = keepit[f"{prefix}/1"]["subjects"].values()
        assert [c["subjects"]["customerCode"] for c in customers] == [f"K{self.index}"]
        xtra = self.session.state("xtra")["tenants"][prefix]["identities"]["1"]
        assert xtra["City"] == f"City {self.index}"
        items = self.session.state("tsdigital")["tenants"][prefix]["items"]
        assert list(items) == [item_id]
        assert items[item_id]["status"] == ("FAILED" if self.fails else "CREATED")


def _seconds(instant: str) -> float:
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).timestamp()


def test_eight_sessions_at_once_each_see_only_their_own_effects(server: MockServer) -> None:
    barrier = threading.Barrier(SESSIONS)
    jobs = [Job(server, index, barrier) for index in range(SESSIONS)]
    with ThreadPoolExecutor(SESSIONS) as pool:
        futures = [pool.submit(job.run) for job in jobs]
        failures = [
            (job.index, future.exception(timeout=90))
            for job, future in zip(jobs, futures, strict=True)
        ]
    errors = [(i, e) for i, e in failures if e is not None]
    first = [(i, e) for i, e in errors if not isinstance(e, threading.BrokenBarrierError)]
    assert not errors, "\n".join(f"job {i}: {e!r}" for i, e in first or errors)
    # nothing of the eight is left, and the global scope saw none of it
    assert server.admin("GET", "/sessions") == []
    assert server.requests() == []
    assert server.state("quoparts") == {"tenants": {}}
    assert server.now() == START
