"""Checks every vendor shares, registered with Schemathesis, and one way to run a list of them.

Each check is a Schemathesis check ``(ctx, response, case)``, so it works with
``case.call_and_validate(additional_checks=...)`` as well as with :func:`run_checks` (what the
in-process suites and the harness use: the request went out on the *real* path, see
``fuzz.dispatch``). Vendor-aware checks live in ``fuzz/plugins/<vendor>/checks.py``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import schemathesis
from schemathesis import Case, CheckFunction, Response
from schemathesis.checks import CheckContext
from schemathesis.checks import run_checks as _run_checks
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from contracts import Violation
from fuzz.quoting import quoted, quoted_value
from fuzz.schema import operation_id, response_contract, vendor_of


@schemathesis.check
def no_server_error(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Never a 5xx: the fakes answer bad input the vendor's way; a 5xx is a bug (or a fault)."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {quoted(response.content)}")
    return None


@schemathesis.check
def response_matches_contract(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """The body is JSON and validates against the contract the document lists for its status
    (``<vendor>/<operation>.response`` unless the status names another file)."""
    checked = response_contract(
        vendor_of(case.operation.schema), operation_id(case.operation), response.status_code
    )
    if checked is None:
        return True  # no response contract: nothing to say
    body = json_or_fail(response)
    violations = checked.check(body)
    if violations:
        lines = "; ".join(f"{v.pointer or '(body)'}: {violated(v)}" for v in violations[:5])
        raise AssertionError(f"the answer breaks {checked.name}: {lines}")
    return None


def violated(violation: Violation) -> str:
    """A violation's message with the value it names cut (jsonschema's starts with the whole
    offending value: a vendor's 200 KB ``message`` was quoted whole), its reason kept."""
    value = repr(violation.instance)
    if violation.message.startswith(value):
        return quoted_value(violation.instance) + quoted(violation.message[len(value) :])
    return quoted(violation.message)


# The validator's English (the jsonschema package's phrasing): the fakes put it in the
# X-Mockservers-Detail header, never in a vendor's body.
VALIDATOR_ENGLISH = re.compile(
    r"is a required property|is not of type|is not one of|is too long|is too short|"
    r"does not match|is not valid under|should be non-empty|is not a '|"
    r"is less than|is greater than|was expected|Expecting value|not valid JSON|deeper than"
)
# Where each vendor's bodies carry text: QuoParts error, KeepIT message/errorMessage, TS
# Digital message/subErrors[].message, XTRA message/Item4.Message.
_TEXT_FIELDS = frozenset({"error", "message", "errorMessage", "Message"})


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [v for k, v in value.items() if k in _TEXT_FIELDS and isinstance(v, str)]
        return found + [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


@schemathesis.check
def vendor_words(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A fake's body speaks the vendor's words: no validator English in its messages (the kit's
    diagnosis travels in ``X-Mockservers-Detail``). A check of the fakes, not of a sandbox."""
    try:
        body = response.json()
    except Exception:
        return None  # not JSON: response_matches_contract says so
    english = [text for text in _texts(body) if VALIDATOR_ENGLISH.search(text)]
    if english:
        raise AssertionError(f"validator English in the vendor's body: {quoted(english[0], 200)}")
    return None


def json_or_fail(response: Response) -> Any:
    """The body as JSON; an ``AssertionError`` naming the bytes when it is not."""
    try:
        return response.json()
    except Exception:
        raise AssertionError(f"the answer is not JSON: {quoted(response.content, 200)}") from None


CONTRACT_CHECKS: tuple[CheckFunction, ...] = (
    no_server_error,
    status_code_conformance,
    content_type_conformance,
    response_matches_contract,
)
"""What every vendor's answers must satisfy, whatever the vendor's own rules."""

FAKE_CHECKS: tuple[CheckFunction, ...] = (vendor_words,)
"""What the kit's own fakes must satisfy besides (the in-process suites run them)."""


@dataclass(frozen=True)
class CheckFailure:
    """One failed check on one response."""

    check: str
    title: str
    message: str


def unreadable(exc: Exception) -> str:
    """The failure of a check that broke on an answer (``exc``): what broke, as said."""
    return f"the check could not read the answer: {type(exc).__name__}: {quoted(str(exc), 200)}"


def _guarded(check: CheckFunction) -> CheckFunction:
    """``check``, with any error it raises reported as its failure: Schemathesis turns only an
    ``AssertionError`` into one and re-raises the rest, so an answer of a shape the check did
    not foresee (a sandbox's ``data: "x"``, JSON too deep to parse) ended the run, its reports
    unwritten."""

    @functools.wraps(check)
    def guarded(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        try:
            return check(ctx, response, case)
        except AssertionError:
            raise
        except Exception as exc:
            answer = quoted(response.content, 200)
            raise AssertionError(f"{unreadable(exc)}; the answer: {answer}") from exc

    return guarded


def run_checks(
    case: Case, response: httpx.Response, checks: Sequence[CheckFunction]
) -> list[CheckFailure]:
    """Run ``checks`` on a response to ``case``; every failure, named by its check, a check
    that broke on the answer included (:func:`unreadable`)."""
    converted = Response.from_httpx(response, verify=True)
    config = case.operation.schema.config.checks_config_for(operation=case.operation)
    ctx = CheckContext(
        override=None,
        auth=None,
        headers=None,
        config=config,
        transport_kwargs=None,
        response_checks=None,
    )
    failures: list[CheckFailure] = []

    def on_failure(name: str, collected: set[Any], failure: Any) -> None:
        collected.add(failure)
        failures.append(CheckFailure(name, failure.title, failure.message))

    guarded = [_guarded(check) for check in checks]
    _run_checks(case=case, response=converted, ctx=ctx, checks=guarded, on_failure=on_failure)
    return failures
