"""TS Digital model-based test: the reference client against the fake, step by step, checked
against a plain-Python model; and proof that it catches a broken client and a broken fake."""

from __future__ import annotations

import pytest

from clients.tsdigital import TsDigitalClient
from fuzz import suite
from fuzz.plugins.tsdigital.machine import STUDIOS, TsDigitalMachine
from mockservers.core.tokens import TokenStore
from mockservers.tsdigital import models
from tests.machines import find_bug

pytestmark = pytest.mark.fuzz


def test_client_and_fake_agree_with_the_model() -> None:
    suite.run_machine("tsdigital")


class SloppyClient(TsDigitalClient):
    """A test double: sends X-Request-ID as a counter instead of a UUID."""

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "X-Request-ID": "42"}


class SloppyClientMachine(TsDigitalMachine):
    client_class = SloppyClient


def test_a_client_that_breaks_its_request_contract_is_caught() -> None:
    with pytest.raises(AssertionError, match=r"request contract broken by POST .*/items") as e:
        find_bug(SloppyClientMachine)
    assert "tsdigital/createItem.headers: X-Request-ID: '42' is not a 'uuid'" in str(e.value)


def test_a_fake_that_ignores_studio_grants_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    original = models.TsDigitalModel.denied

    def any_studio(self, caller, body):  # type: ignore[no-untyped-def]
        return original(self, caller, {k: v for k, v in body.items() if k != "studioId"})

    monkeypatch.setattr(models.TsDigitalModel, "denied", any_studio)
    # The rule is reached only by a token without that studio's grant sending that studioId:
    # drive the machine's own rules through exactly that, rather than hope a run draws it.
    machine = TsDigitalMachine()
    try:
        token = machine.mint("user", frozenset(), 3600)
        body = {
            "item": {"base": {"identifier": {"vatNumber": "01234567890"}}},
            "studioId": STUDIOS[0],
        }
        with pytest.raises(AssertionError, match=r"the model expects Outcome\(status=403"):
            machine.create_item(token, body, validating=True)
    finally:
        machine.teardown()


def test_a_fake_that_forgets_processing_failures_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = models.TsDigitalModel.accept

    def always_created(self, caller, body, headers, failure=None):  # type: ignore[no-untyped-def]
        return original(self, caller, body, headers)

    monkeypatch.setattr(models.TsDigitalModel, "accept", always_created)
    with pytest.raises(
        AssertionError, match=r"state differs from the model: .*/failure_reason: fake None"
    ):
        find_bug(TsDigitalMachine)


def test_a_fake_whose_fields_hide_a_body_s_of_the_same_name_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(models, "set_apart", lambda given, own: given)
    hidden = r"state differs from the model: .*/sent: fake .<absent>."
    with pytest.raises(AssertionError, match=hidden):
        find_bug(TsDigitalMachine)


def test_a_fake_that_creates_items_at_once_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TsDigitalMachine, "config", {**TsDigitalMachine.config, "tsdigital": {}})
    # Settled at once: CREATED, or FAILED when the deep profile's examples injected a fault first.
    settled = r"state differs from the model: .*/history: fake .*'(CREATED|FAILED)'"
    with pytest.raises(AssertionError, match=settled):
        find_bug(TsDigitalMachine)


def test_a_fake_whose_tokens_never_expire_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    original = TokenStore.issue

    def immortal(self, tenant, ttl_seconds, **claims):  # type: ignore[no-untyped-def]
        token = original(self, tenant, ttl_seconds, **claims)  # the expiry it announces...
        self.adopt(token.value, tenant, 10**9, **claims)  # ... but live for ages
        return token

    monkeypatch.setattr(TokenStore, "issue", immortal)
    with pytest.raises(AssertionError, match=r"the model expects Outcome\(status=401"):
        find_bug(TsDigitalMachine)
