"""XTRA model-based test: the reference client against the fake, step by step, checked against
a plain-Python model; and proof that it catches a broken client and a broken fake."""

from __future__ import annotations

import pytest

from clients.base import check_request
from clients.xtra import XtraClient
from fuzz import suite
from fuzz.plugins.xtra.machine import XtraMachine
from mockservers.xtra import models, working
from tests.machines import find_bug

pytestmark = pytest.mark.fuzz


def test_client_and_fake_agree_with_the_model() -> None:
    suite.run_machine("xtra")


class SloppyClient(XtraClient):
    """A test double: checks the records, then sends FIDGroup as a string (contract: integer)."""

    def _update(self, records, contact_form, debug):  # type: ignore[no-untyped-def]
        records = list(records)
        name = "contactForm.request" if contact_form else "request"
        check_request(f"xtra/updateIdentities.{name}", records)
        sent = [{**r, "FIDGroup": str(r["FIDGroup"])} if "FIDGroup" in r else r for r in records]
        self.validate = False
        try:
            return (yield from super()._update(sent, contact_form, debug))
        finally:
            self.validate = True


class SloppyClientMachine(XtraMachine):
    client_class = SloppyClient


def test_a_client_that_breaks_its_request_contract_is_caught() -> None:
    with pytest.raises(AssertionError, match=r"request contract broken by POST .*irs/update") as e:
        find_bug(SloppyClientMachine)
    assert "xtra/updateIdentities.request: [0].FIDGroup:" in str(e.value)


def test_a_fake_that_raises_exists_for_contact_forms_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = models.XtraModel._target

    def exists_always(self, tenant, record, key, contact_form):  # type: ignore[no-untyped-def]
        return original(self, tenant, record, key, False)

    monkeypatch.setattr(models.XtraModel, "_target", exists_always)
    with pytest.raises(AssertionError, match=r"irs/update answered .*ER\.IR\.EXISTS.*the model"):
        find_bug(XtraMachine)


def test_a_fake_that_records_no_activity_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models.XtraModel, "_record_activity", lambda self, *args: None)
    with pytest.raises(AssertionError, match=r"differs from the model: /tenants/demo/activities"):
        find_bug(XtraMachine)


def test_a_fake_whose_tokens_never_expire_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockservers.core.tokens import TokenStore

    original = TokenStore.issue

    def forever(self, tenant, ttl_seconds, **claims):  # type: ignore[no-untyped-def]
        return original(self, tenant, 10**9, **claims)

    monkeypatch.setattr(TokenStore, "issue", forever)
    # It takes a login, the clock past the token's hour and a call with the token, in that
    # order. Hypothesis draws some values from the constants of every module of the kit it
    # sees imported, so a change anywhere moves these cases: 200 stopped finding it.
    with pytest.raises(AssertionError, match=r"on the wire .*the model expects"):
        find_bug(XtraMachine, max_examples=500)


def test_a_fake_that_lets_an_update_take_another_document_s_pair_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = working.document_pair

    def kept(document, stored=(None, None)):  # type: ignore[no-untyped-def]
        return original(document) if stored == (None, None) else stored  # updates unchecked

    monkeypatch.setattr(working, "document_pair", kept)
    with pytest.raises(AssertionError, match=r"irs/update answered .*the model"):
        find_bug(XtraMachine)
