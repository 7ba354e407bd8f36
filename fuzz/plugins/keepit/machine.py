"""KeepIT state machine: the reference client against the fake, checked against the model.

The fake runs with a call limit of 4 per 60 s so that the limit is part of the game. Rules:
insert/update batches (a small universe of customer codes, systems, e-mails, mapping codes and
card barcodes, so duplicates, mapping clashes and barcode clashes happen); partial batches with
records that break the contract, through a client that does not validate; bad records through
the validating client (refused before anything is sent); wrong credentials (401); the clock
running (the window reopens); a patient client (``retry_rate_limited``) whose ``sleep`` moves the
kit's clock. After every call: the exchanges on the wire meet the contracts and have the
statuses the model predicts, and the result is the model's; after every step the fake's admin
state equals the model's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from clients.base import ContractViolation
from clients.keepit import KeepItClient, KeepItError, KeepItResult
from fuzz.plugins.keepit.model import BAD_CREDENTIALS, Answer, KeepItModel
from fuzz.plugins.keepit.strategies import bad_records, records
from fuzz.stateful import START, ClientMachine, Raised

CREDENTIALS = {"username": "demo", "password": "demo", "company_id": "1", "site_id": "1"}
LIMIT, WINDOW = 4, 60


class KeepItMachine(ClientMachine):
    vendor: ClassVar[str] = "keepit"
    client_class: ClassVar[type[KeepItClient]] = KeepItClient
    config: ClassVar[dict[str, Any]] = {
        **ClientMachine.config,
        "keepit": {"rate_limit_calls": LIMIT, "rate_limit_window_seconds": WINDOW},
    }

    def __init__(self) -> None:
        super().__init__()
        url = self.base_url
        self.client = self.client_class(url, **CREDENTIALS, transport=self.transport())
        self.lenient = KeepItClient(
            url, **CREDENTIALS, validate=False, transport=self.transport(strict=False)
        )
        self.patient = KeepItClient(
            url,
            **CREDENTIALS,
            retry_rate_limited=True,
            sleep=self.sleep,
            transport=self.transport(),
        )
        self.stranger = KeepItClient(
            url, **{**CREDENTIALS, "password": "wrong"}, transport=self.transport()
        )
        self.model = KeepItModel(datetime.fromisoformat(START), LIMIT, WINDOW)
        self.slept: list[float] = []

    def teardown(self) -> None:
        for client in (self.client, self.lenient, self.patient, self.stranger):
            client.close()
        super().teardown()

    def sleep(self, seconds: float) -> None:
        """The patient client waits on the kit's clock, not on wall time (the model replays the
        waits after the call, in order)."""
        self.advance(seconds)
        self.slept.append(seconds)

    def known(self) -> dict[str, tuple[str, str]]:
        """progId -> (customerCode, system) of every customer the model knows."""
        return {
            prog_id: (c["subjects"]["customerCode"], c["subjects"]["system"])
            for prog_id, c in self.model.customers.items()
        }

    # -- rules ------------------------------------------------------------------------------
    @rule(data=st.data())
    def insert_customers(self, data: st.DataObject) -> None:
        batch = data.draw(st.lists(records(self.known()), min_size=1, max_size=3))
        result = self.call(lambda: self.client.insert_customers(batch))
        self.expect([self.model.insert(batch, [None] * len(batch))], result)

    @precondition(lambda self: bool(self.model.customers))
    @rule(data=st.data())
    def update_one_customer_twice(self, data: st.DataObject) -> None:
        """Two updates of one customer in one call: the second sees what the first wrote."""
        known = self.known()
        prog_id = data.draw(st.sampled_from(sorted(known, key=int)), label="progId")
        one = {prog_id: known[prog_id]}
        batch = data.draw(
            st.lists(records(one), min_size=2, max_size=2).filter(
                lambda rows: all(r["action"] == "U" for r in rows)
            )
        )
        result = self.call(lambda: self.client.insert_customers(batch))
        self.expect([self.model.insert(batch, [None, None])], result)

    @rule(data=st.data())
    def insert_partial_batch(self, data: st.DataObject) -> None:
        known = self.known()
        good = st.builds(lambda r: (r, None), records(known))
        batch = data.draw(
            st.lists(st.one_of(good, bad_records(known)), min_size=1, max_size=3).filter(
                lambda rows: any(message for _, message in rows)
            )
        )
        sent = [record for record, _ in batch]
        result = self.call(lambda: self.lenient.insert_customers(sent))
        self.expect([self.model.insert(sent, [message for _, message in batch])], result)

    @rule(data=st.data())
    def bad_records_never_leave_the_client(self, data: st.DataObject) -> None:
        record, _ = data.draw(bad_records(self.known()))
        result = self.call(lambda: self.client.insert_customers([record]))
        assert isinstance(result, Raised), f"a record breaking the contract was accepted: {result}"
        assert isinstance(result.error, ContractViolation), result
        assert self.last_exchanges == [], "the client sent a request it knew was invalid"

    @rule(data=st.data())
    def patient_insert(self, data: st.DataObject) -> None:
        batch = data.draw(st.lists(records(self.known()), min_size=1, max_size=2))
        self.slept = []
        result = self.call(lambda: self.patient.insert_customers(batch))
        answers = [self.model.insert(batch, [None] * len(batch))]
        for seconds in self.slept:  # replay the client's waits between its attempts
            assert seconds == answers[-1].retry_after, f"slept {seconds} s after {answers[-1]}"
            self.model.advance(seconds)
            answers.append(self.model.insert(batch, [None] * len(batch)))
        self.expect(answers, result)

    @rule()
    def wrong_credentials(self) -> None:
        record = {
            "action": "I",
            "subjects": {
                "customerCode": "101",
                "system": "DW",
                "subjectType": "FIDELITY",
                "subjectSubtype": "4",
                "isCompany": "F",
                "countryRegistration": "IT",
            },
        }
        result = self.call(lambda: self.stranger.insert_customers([record]))
        self.expect([Answer(401, 401, BAD_CREDENTIALS)], result)

    @rule(seconds=st.sampled_from([1, 15, 59, 60, 61, 120]))
    def clock_runs(self, seconds: int) -> None:
        self.advance(seconds)
        self.model.advance(seconds)

    # -- expectations -----------------------------------------------------------------------
    def expect(self, answers: list[Answer], result: Any) -> None:
        """The wire carried one exchange per predicted answer, with its status; the client's
        result is the last answer."""
        statuses = [exchange.response.status_code for exchange in self.last_exchanges]
        assert statuses == [a.status for a in answers], (
            f"on the wire HTTP {statuses}, the model expects {[a.status for a in answers]}"
        )
        last = answers[-1]
        for answer, exchange in zip(answers, self.last_exchanges, strict=True):
            if answer.retry_after is not None:
                got = exchange.response.headers.get("retry-after")
                assert got == str(answer.retry_after), (
                    f"Retry-After {got!r}, the model expects {answer.retry_after}"
                )
        if last.status == 200:
            assert isinstance(result, KeepItResult), result
            got = _result(result)
        else:
            assert isinstance(result, Raised) and isinstance(result.error, KeepItError), result
            error = result.error
            got = {
                "status": error.status,
                "code": error.code,
                "message": error.message,
                "errors": [(e.customer_code, e.message) for e in error.errors],
            }
        want = _expected(last)
        assert got == want, f"the client got {got}, the model expects {want}"


def _result(result: KeepItResult) -> dict[str, Any]:
    return {
        "status": 200,
        "code": result.code,
        "message": result.message,
        "inserted": [
            {
                "progId": i.prog_id,
                "customerCode": i.customer_code,
                "email": i.email,
                "sections": i.sections,
            }
            for i in result.inserted
        ],
        "errors": [(e.customer_code, e.message) for e in result.errors],
        "duplicated": [(d.customer_code, d.message) for d in result.duplicated],
    }


def _expected(answer: Answer) -> dict[str, Any]:
    if answer.status == 200:
        return {
            "status": 200,
            "code": answer.code,
            "message": answer.message,
            "inserted": answer.inserted,
            "errors": answer.errors,
            "duplicated": answer.duplicated,
        }
    return {
        "status": answer.status,
        "code": answer.code,
        "message": answer.message,
        "errors": answer.errors,
    }
