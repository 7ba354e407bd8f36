"""TS Digital state machine: the reference client against the fake, checked against the model.

Rules: mint tokens of each kind with various grants and lifetimes; let the clock run (across the
30 s processing delay and the token lifetimes); create items through the validating client (bodies
that meet the contract, with or without studioId, ownerIds, the special flags and fields named like
the fake's own: 202, 401 or 403 as the token allows); send bodies breaking the seed's two rules
through a client that does not validate (400), and through the validating client (refused before
anything is sent); inject ``processing_failure`` faults. After every call the exchange on the wire
meets the contracts and has the status, ``subErrors`` fields and timestamp the model predicts;
after every step the fake's admin state (each item's status and history) equals the model's.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, multiple, precondition, rule

from clients.base import ContractViolation
from clients.tsdigital import TsDigitalClient, TsDigitalError
from fuzz.plugins.tsdigital.model import Outcome, TsDigitalModel, broken_rules
from fuzz.stateful import START, ClientMachine, Raised

DELAY = 30
APP_NAME, APP_VERSION = "fuzz-machine", "2.0"
STUDIOS = ("S1", "S2")

words = st.text(st.sampled_from("abcdefghilmnoprstuvz ABCDEFGHILMNOPRSTUVZ.&'"), min_size=1)
digits = st.text(st.sampled_from("0123456789"), min_size=11, max_size=11)
items = st.fixed_dictionaries(
    {"base": st.fixed_dictionaries({"identifier": st.fixed_dictionaries({"vatNumber": digits})})},
    optional={"preferences": st.fixed_dictionaries({"hidden": st.booleans()})},
).map(lambda item: {**item, "base": {**item["base"], "details": {"description": "Rossi"}}})
options = st.fixed_dictionaries(
    {"item": items},
    optional={
        "noKeys": st.booleans(),
        "noOwnership": st.booleans(),
        "validated": st.booleans(),
        "certified": st.booleans(),
        "ownerIds": st.lists(st.sampled_from(["u1", "u2", "u3"]), max_size=2),
        "studioId": st.sampled_from(STUDIOS),
        # Fields the document does not list, named like the fake's own: kept apart, as given.
        "registry_status": st.just("CERTIFIED"),
        "status": words,
        "id": words,
    },
)


def _keep_rules(body: dict[str, Any]) -> dict[str, Any]:
    """The body made to keep the seed's two rules (the flag that would break one is dropped)."""
    if body.get("ownerIds") and body.get("noOwnership") is True:
        body = {k: v for k, v in body.items() if k != "noOwnership"}
    if body.get("certified") is True and body.get("validated") is not True:
        body = {k: v for k, v in body.items() if k != "certified"}
    return body


# Bodies with options first (permissions decide), then plain ones (any creating token may send).
good_bodies = st.one_of(options.map(_keep_rules), st.builds(lambda item: {"item": item}, items))
bad_bodies = st.one_of(
    options.map(lambda body: {**body, "ownerIds": ["u1"], "noOwnership": True}),
    options.map(lambda body: {**body, "certified": True, "validated": False}),
)
ALL_GRANTS = ("items:create", "special", *(f"studio:{s}" for s in STUDIOS))
grants = st.one_of(
    st.just(frozenset(ALL_GRANTS)), st.sets(st.sampled_from(ALL_GRANTS)).map(frozenset)
)


class TsDigitalMachine(ClientMachine):
    vendor: ClassVar[str] = "tsdigital"
    client_class: ClassVar[type[TsDigitalClient]] = TsDigitalClient
    config: ClassVar[dict[str, Any]] = {
        **ClientMachine.config,
        "tsdigital": {"processing_delay_seconds": DELAY},
    }
    tokens = Bundle("tokens")

    def __init__(self) -> None:
        super().__init__()
        self.model = TsDigitalModel(datetime.fromisoformat(START), DELAY)
        self.clients: dict[str, tuple[TsDigitalClient, TsDigitalClient]] = {}
        self.request_ids: set[str] = set()

    def teardown(self) -> None:
        for strict, lenient in self.clients.values():
            strict.close()
            lenient.close()
        super().teardown()

    # -- rules ------------------------------------------------------------------------------
    @initialize(target=tokens)
    def starting_tokens(self) -> Any:
        """An app-key with every grant and a backoffice with every studio, so that most creates
        pass; the backoffice's token lasts 120 s, so that the clock soon runs it out."""
        return multiple(
            self.mint("app-key", frozenset(ALL_GRANTS), 3600),
            self.mint("backoffice", frozenset(f"studio:{s}" for s in STUDIOS), 120),
        )

    @rule(
        target=tokens,
        kind=st.sampled_from(["user", "user-key", "app-key", "backoffice"]),
        granted=grants,
        ttl=st.sampled_from([120, 3600]),
    )
    def mint(self, kind: str, granted: frozenset[str], ttl: int) -> str:
        spec = {"kind": kind, "grants": sorted(granted), "ttl_seconds": ttl}
        answer = self.admin.post("/__admin/tsdigital/tokens", json=spec)
        answer.raise_for_status()
        minted = answer.json()
        value = minted["token"]
        assert minted["expires_at"] == self.model.mint(value, kind, granted, ttl), minted
        common = {"app_name": APP_NAME, "app_version": APP_VERSION}
        self.clients[value] = (
            self.client_class(self.base_url, value, transport=self.transport(), **common),
            TsDigitalClient(
                self.base_url,
                value,
                validate=False,
                transport=self.transport(strict=False),
                **common,
            ),
        )
        return value

    @rule(seconds=st.sampled_from([1, DELAY - 1, DELAY, DELAY + 1, 120]))
    def clock_runs(self, seconds: int) -> None:
        self.advance(seconds)
        self.model.advance(seconds)

    @precondition(lambda self: not self.model.failures)
    @rule(reason=st.sampled_from(["VAT number rejected", "registry down"]), times=st.integers(1, 2))
    def inject_processing_failure(self, reason: str, times: int) -> None:
        fault: dict[str, Any] = {
            "vendor": "tsdigital",
            "operation": "createItem",
            "kind": "processing_failure",
        }
        answer = self.admin.post(
            "/__admin/faults", json={**fault, "reason": reason, "times": times}
        )
        answer.raise_for_status()
        self.model.inject_failures(reason, times)

    @rule(token=tokens, body=st.one_of(good_bodies, bad_bodies), validating=st.booleans())
    def create_item(self, token: str, body: dict[str, Any], validating: bool) -> None:
        """A body that keeps the seed's rules goes through the validating client. One that
        breaks a rule is refused by the validating client before anything is sent; a client
        that does not validate sends it and gets the 400 (or the 401 of an expired token)."""
        strict, lenient = self.clients[token]
        if not broken_rules(body):
            self.expect(token, body, self.call(lambda: strict.create_item(body)))
        elif not validating:
            self.expect(token, body, self.call(lambda: lenient.create_item(body)))
        else:
            result = self.call(lambda: strict.create_item(body))
            assert isinstance(result, Raised), f"a body breaking a rule was accepted: {result}"
            assert isinstance(result.error, ContractViolation), result
            assert self.last_exchanges == [], "the client sent a request it knew was invalid"

    # -- expectations -----------------------------------------------------------------------
    def expect(self, token: str, body: dict[str, Any], result: Any) -> None:
        predicted = self.model.outcome(token, body)
        assert len(self.last_exchanges) == 1, f"{len(self.last_exchanges)} requests for one create"
        (exchange,) = self.last_exchanges
        request_id = exchange.request.headers["X-Request-ID"]
        assert request_id not in self.request_ids, "X-Request-ID reused"
        assert str(uuid.UUID(request_id)) == request_id, request_id
        self.request_ids.add(request_id)
        if predicted.status == 202:
            assert isinstance(result, str), f"the model expects 202, got {result}"
            assert result not in self.model.items, f"id {result} given twice"
            headers = {
                "X-App-Name": APP_NAME,
                "X-App-Version": APP_VERSION,
                "X-Request-ID": request_id,
            }
            self.model.accept(token, body, result, headers)
            return
        assert isinstance(result, Raised), f"the model expects {predicted}, got id {result}"
        error = result.error
        assert isinstance(error, TsDigitalError), result
        got = Outcome(error.status, frozenset(e.get("field") for e in error.sub_errors))
        assert got == predicted, f"answered {got}, the model expects {predicted}"
        assert error.code == str(error.status), error.code
        assert error.timestamp == self.model.error_timestamp(), error.timestamp
