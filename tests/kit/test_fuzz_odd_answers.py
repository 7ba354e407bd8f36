"""A sandbox answering in a shape no check foresaw (``data`` a string, ``result`` null, JSON
nested deeper than the parser goes): each answer is a failed check, named, and the run goes on
to write its reports. Such answers ended the run in a traceback, exit 1 (read as "a check
failed"), with the HAR written but no JUnit file and no report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from schemathesis import Case, Response
from schemathesis.checks import CheckContext

from fuzz.plugins.quoparts import Plugin as QuoParts
from fuzz.schema import api_operations
from mockservers.cli import main
from mockservers.testing import MockServer
from tests.kit.test_fuzz_sandbox import KEEPIT_ARGS, XTRA_KEYS, answer
from tests.proxying import Received, WireUpstream

pytestmark = pytest.mark.fuzz

DEEP = b"[" * 5000
"""A body Python's JSON parser gives up on with a ``RecursionError``, not a ``ValueError``."""
QUOPARTS_ARGS = ["--username", "alice", "--password", "Quo-S3cret-pw"]
QUOPARTS_LOGIN = answer(200, {"errorCode": "0", "error": "", "data": [{"TOKEN": "tok-4c8d4d0e"}]})
CREDENTIALS = {
    "quoparts": QUOPARTS_ARGS,
    "xtra": XTRA_KEYS,
    "keepit": KEEPIT_ARGS,
    "tsdigital": ["--token", "ts-token-5fa531f"],
}


@dataclass(frozen=True)
class Odd:
    vendor: str
    status: int
    body: Any
    check: str
    said: str
    """What the failure of ``check`` says."""


ODD = {
    "quoparts-data-a-string": Odd(
        "quoparts",
        200,
        {"errorCode": "0", "error": "", "data": "x"},
        "quoparts_error_codes",
        "importCli: data 'x' is no list of outcomes",
    ),
    "quoparts-too-deep": Odd("quoparts", 200, DEEP, "quoparts_error_codes", "is not JSON"),
    "xtra-result-null": Odd(
        "xtra",
        200,
        {"statusCode": 200, "result": None},
        "xtra_error_codes",
        "login: HTTP 200 with result None",
    ),
    "xtra-result-an-array": Odd(
        "xtra",
        200,
        {"statusCode": 200, "result": [None, 1]},
        "xtra_error_codes",
        "irs/update: HTTP 200 with result [None, 1]",
    ),
    "xtra-too-deep": Odd("xtra", 200, DEEP, "xtra_error_codes", "is not JSON"),
    "keepit-422-naming-no-object": Odd(
        "keepit",
        422,
        {"success": False, "code": 422, "errorObjects": [1]},
        "keepit_outcomes",
        "422 names [1]",
    ),
    "keepit-inserted-a-number": Odd(
        "keepit",
        200,
        {"success": True, "code": 200, "insertedObjects": 5},
        "response_matches_contract",
        "insertedObjects: 5 is not of type 'array'",
    ),
    "keepit-too-deep": Odd("keepit", 200, DEEP, "keepit_outcomes", "is not JSON"),
    "tsdigital-too-deep": Odd("tsdigital", 202, DEEP, "response_matches_contract", "is not JSON"),
}


def sandbox(odd: Odd) -> Any:
    """Every call answered with the odd body; QuoParts's own login with a token first."""
    oddity = answer(odd.status, odd.body)

    def answering(received: Received) -> bytes:
        target = received.request_line[1]
        if b"?login=" in target and b"password=Quo-S3cret-pw" in target:
            return QUOPARTS_LOGIN
        return oddity

    return answering


@pytest.mark.parametrize("name", sorted(ODD))
def test_an_answer_of_an_unforeseen_shape_is_a_named_failure_and_the_reports_are_written(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = ODD[name]
    junit, page, har = tmp_path / "odd.xml", tmp_path / "odd.html", tmp_path / "odd.har"
    with WireUpstream(sandbox(odd)) as stand_in:
        argv = ["fuzz", odd.vendor, "--base-url", stand_in.base_url(odd.vendor)]
        argv += [*CREDENTIALS[odd.vendor], "--max-examples", "2", "--junit-xml", str(junit)]
        status = main([*argv, "--report", str(page), "--record", str(har)])
    out = capsys.readouterr().out
    assert status == 1, out  # a check failed, as the docs say: not a crash
    assert "Traceback" not in out and "could not read the answer" not in out
    failed = [line for line in out.splitlines() if f"FAILED {odd.check} " in line]
    assert any(odd.said in line for line in failed), out
    cases = ET.parse(junit).getroot().findall(".//testcase")
    assert len(cases) == 2 * len(api_operations(odd.vendor)), "every operation and mode ran"
    assert any(odd.check in (f.get("type") or "") for f in ET.parse(junit).iter("failure"))
    assert odd.check in page.read_text("utf-8") and har.exists()


def breaking(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A check that breaks on every answer, as one reading a shape it did not foresee does."""
    response.json()["data"]["no such key"]
    return None


def test_a_check_or_a_count_that_breaks_is_its_named_failure_and_the_run_goes_on(
    mockserver: MockServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The guard beneath the vendors' own: Schemathesis turns only an AssertionError into a
    failure, and re-raised anything else out of the run."""

    def unreadable(self: QuoParts, operation: str, response: Any) -> int:
        raise KeyError("COD_CLI")

    monkeypatch.setattr(QuoParts, "checks", (*QuoParts.checks, breaking))
    monkeypatch.setattr(QuoParts, "kept", unreadable)
    junit, page = tmp_path / "broke.xml", tmp_path / "broke.html"
    argv = ["fuzz", "quoparts", "--base-url", mockserver.base_url("quoparts")]
    argv += ["--username", "demo", "--password", "demo", "--max-examples", "2"]
    assert main([*argv, "--junit-xml", str(junit), "--report", str(page)]) == 1
    out = capsys.readouterr().out
    assert "FAILED breaking (HTTP 200, 2 case(s)): the check could not read the answer: " in out
    assert "TypeError: list indices must be integers or slices, not str" in out
    assert "FAILED kept (HTTP 200, 2 case(s)): the check could not read the answer: " in out
    assert "KeyError: 'COD_CLI'" in out
    assert "FAILED quoparts_error_codes" not in out, "the other checks ran, and passed"
    failures = ET.parse(junit).getroot().findall(".//failure")
    assert len(failures) == 6 and all(f.get("type") == "breaking, kept" for f in failures)
    assert "could not read the answer" in page.read_text("utf-8")


def long_winded(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A check quoting a value whole, the password straddling the runner's cut."""
    raise AssertionError("x" * 1990 + "Quo-S3cret-pw" + "x" * 100_000)


def test_the_runner_cuts_every_failure_message_after_blotting_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check (or Schemathesis) quoting a value whole made a line as long as the value."""
    monkeypatch.setattr(QuoParts, "checks", (*QuoParts.checks, long_winded))
    page = tmp_path / "long.html"
    with WireUpstream(QUOPARTS_LOGIN) as upstream:
        argv = ["fuzz", "quoparts", "--base-url", upstream.base_url("quoparts"), *QUOPARTS_ARGS]
        assert main([*argv, "--max-examples", "1", "--report", str(page)]) == 1
    out = capsys.readouterr().out
    (line,) = {line for line in out.splitlines() if "FAILED long_winded" in line}
    assert line.endswith(": " + "x" * 1990 + "***" + "x" * 7 + "…(102,003 characters)")
    assert "Quo-S3cret" not in out + page.read_text("utf-8")


LOGINS = {
    "quoparts": (QUOPARTS_ARGS, "quoparts login failed (HTTP 200): [[["),
    "xtra": (["--username", "mario", "--password", "Xtra-S3cret-pw"], "xtra login failed"),
    "tsdigital": ([], "no --token given and minting one through the admin API failed"),
}


@pytest.mark.parametrize("vendor", sorted(LOGINS))
def test_a_login_answered_too_deep_is_a_usage_problem_not_a_crash(
    vendor: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The login (TS Digital: its token mint) read the answer with a parser that catches only
    ValueError: a RecursionError ended the run in a traceback."""
    credentials, said = LOGINS[vendor]
    with WireUpstream(answer(200, DEEP)) as stand_in:
        assert main(["fuzz", vendor, "--base-url", stand_in.base_url(vendor), *credentials]) == 2
    assert said in capsys.readouterr().err
