"""TS Digital contract fuzzing: the Schemathesis suites in-process, and proof that they bite."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from schemathesis.core.failures import FailureGroup

from fuzz import suite
from fuzz.checks import CONTRACT_CHECKS
from fuzz.dispatch import real_request
from fuzz.plugins.tsdigital import checks
from fuzz.plugins.tsdigital.checks import tsdigital_error_codes
from fuzz.profiles import current
from fuzz.runner import CheckFailed
from fuzz.schema import api_operations
from mockservers.core.explain import field_path
from mockservers.tsdigital import errors, models, responses
from mockservers.tsdigital.errors import sub_error

pytestmark = pytest.mark.fuzz


@pytest.mark.parametrize(("operation", "mode"), suite.cases("tsdigital"))
def test_fake_answers_generated_requests_as_the_contracts_say(operation: str, mode: str) -> None:
    report = suite.run("tsdigital", operation, mode)
    assert report.cases >= current().examples // 2, "the strategy produced too few cases"


def test_a_fake_that_lets_a_bare_app_key_create_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models.Caller, "can_create", lambda self: True)
    with pytest.raises(
        CheckFailed, match=r"tsdigital_error_codes.*(expected \[403\]|expected \['Authorization')"
    ):
        # 35, not the profile's 25: over 40 random seeds 25 and 30 cases each missed once.
        suite.run("tsdigital", "createItem", "positive", 35, shrink=False)


def test_a_fake_that_skips_the_token_check_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def anyone(self, authorization):  # type: ignore[no-untyped-def]
        return models.Caller("backoffice", frozenset(), "demo")

    monkeypatch.setattr(models.TsDigitalModel, "caller", anyone)
    with pytest.raises(CheckFailed, match=r"tsdigital_error_codes.*expected \[401\]"):
        suite.run("tsdigital", "createItem", "negative", shrink=False)


def test_a_fake_that_puts_the_validators_english_in_sub_errors_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def validators_words(violation):  # type: ignore[no-untyped-def]
        return sub_error(field_path(violation, "body"), violation.message)

    monkeypatch.setattr(responses, "describe", validators_words)
    with pytest.raises(CheckFailed, match=r"vendor_words.*validator English"):
        suite.run("tsdigital", "createItem", "negative", 10, shrink=False)


def test_a_fake_that_names_the_wrong_fields_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(responses, "describe", lambda violation: sub_error("body", "wrong"))
    with pytest.raises(CheckFailed, match=r"tsdigital_error_codes.*subErrors name \['body'\]"):
        suite.run("tsdigital", "createItem", "negative", shrink=False)


def test_an_error_body_breaking_its_contract_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(errors, "timestamp", lambda clock: clock.now().isoformat())
    with pytest.raises(CheckFailed, match="response_matches_contract") as failed:
        suite.run("tsdigital", "createItem", "negative", shrink=False)
    assert "tsdigital/error.response: timestamp" in str(failed.value)
    assert "curl -sS -X POST http://mockservers/tsdigital/api/v3/items" in str(failed.value)


def test_an_unexpected_server_error_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(models.TsDigitalModel, "accept", crash)
    with pytest.raises(CheckFailed, match="no_server_error") as failed:
        # 35, not the profile's 25: over 40 random seeds 25 cases missed once.
        suite.run("tsdigital", "createItem", "positive", 35, shrink=False)
    assert "HTTP 500" in str(failed.value)


def test_the_check_works_in_a_plain_schemathesis_validation(http: httpx.Client) -> None:
    """No active target: the token is unknown, but a rule-breaking body is still a 400 (or 401)."""
    token = http.post("/__admin/tsdigital/tokens", json={"kind": "backoffice"}).json()["token"]
    operation = api_operations("tsdigital")["createItem"]
    headers = {"Authorization": f"Bearer {token}", "X-App-Name": "t", "X-App-Version": "1"}
    body = {"item": {"base": {}}, "certified": True}
    case = operation.Case(headers=headers, body=body, media_type="application/json")
    request = real_request(case, "http://mockservers/tsdigital")
    answer = http.send(request.to_httpx())
    answer.elapsed = timedelta(0)  # in-process transports leave it unset; Schemathesis reads it
    assert answer.status_code == 400
    case.validate_response(answer, checks=[*CONTRACT_CHECKS, tsdigital_error_codes])

    wrong = httpx.Response(202, json={"id": "x"})
    wrong.request, wrong.elapsed = answer.request, timedelta(0)
    with pytest.raises(FailureGroup, match="tsdigital_error_codes"):
        case.validate_response(wrong, checks=[tsdigital_error_codes])


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"item": {"base": {}}, "ownerIds": ["u1"], "noOwnership": True}, {"ownerIds"}),
        ({"item": {"base": {}}, "certified": True, "validated": False}, {"certified"}),
        (
            {"item": {"base": {}}, "ownerIds": [], "noOwnership": True, "certified": True},
            {"certified"},
        ),
        ({"item": {"base": []}, "certified": True}, {"item.base"}),
    ],
)
def test_the_check_names_the_rule_a_body_breaks(body: dict[str, object], fields: set[str]) -> None:
    headers = {"Authorization": "Bearer t", "X-App-Name": "a", "X-App-Version": "1"}
    headers["Content-Type"] = "application/json"
    expected = checks.expect(headers, json.dumps(body).encode(), None)
    assert expected.statuses == {400, 401}
    assert expected.fields == fields
