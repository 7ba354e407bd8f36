"""KeepIT model-based test: the reference client against the fake, step by step, checked
against a plain-Python model; and proof that it catches a broken client and a broken fake."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from clients.keepit import KeepItClient
from fuzz import suite
from fuzz.plugins.keepit.machine import KeepItMachine
from tests.machines import find_bug

pytestmark = pytest.mark.fuzz


def test_client_and_fake_agree_with_the_model() -> None:
    suite.run_machine("keepit")


class SloppyClient(KeepItClient):
    """A test double: checks the records, then sends isCompany as a boolean (the contract says
    "T" or "F")."""

    def _payload(self, records: Iterable[dict[str, Any]]) -> dict[str, Any]:
        payload = super()._payload(records)
        for record in payload["subjectsRecords"]:
            record["subjects"]["isCompany"] = record["subjects"]["isCompany"] == "T"
        return payload


class SloppyClientMachine(KeepItMachine):
    client_class = SloppyClient


def test_a_client_that_breaks_its_request_contract_is_caught() -> None:
    with pytest.raises(AssertionError, match=r"request contract broken by POST .*/keepit/api") as e:
        find_bug(SloppyClientMachine)
    assert "keepit/insertClient_v3.request: subjectsRecords[0].subjects.isCompany" in str(e.value)


def test_a_fake_comparing_emails_case_sensitively_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mockservers.keepit import keys

    def case_sensitive(record: dict[str, Any]) -> list[str]:
        found = [
            c["value"]
            for c in record.get("contacts", [])
            if c.get("contactType") == "EMAIL" and isinstance(c.get("value"), str)
        ]
        found.append(record.get("subjects", {}).get("email") or "")
        return [e.strip() for e in found if e.strip()]

    monkeypatch.setattr(keys, "emails", case_sensitive)
    with pytest.raises(AssertionError, match=r"the model expects"):
        find_bug(KeepItMachine)


def test_a_fake_with_a_short_retry_after_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockservers.keepit import models

    original = models.rate_limited

    def hasty(calls: int, window: float, wait: float) -> Any:
        return original(calls, window, wait - 5)

    monkeypatch.setattr(models, "rate_limited", hasty)
    with pytest.raises(AssertionError, match=r"Retry-After|slept"):
        find_bug(KeepItMachine)


def test_a_fake_whose_fields_hide_a_record_s_of_the_same_name_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mockservers.keepit import planning

    monkeypatch.setattr(planning, "set_apart", lambda given, own: given)
    hidden = r"state differs from the model: \S*/(created_at|progId|sent): fake "
    with pytest.raises(AssertionError, match=hidden):
        find_bug(KeepItMachine)
