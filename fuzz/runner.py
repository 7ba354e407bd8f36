"""Run generated cases of one operation against a target and collect what the checks found.

The same loop serves the in-process pytest suites (``stop_on_failure=True``: Hypothesis shrinks
the failing case and, in the deep profile, stores it in its database) and the harness
(``stop_on_failure=False``: every failure is collected and the budget stays predictable).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx
from hypothesis import given, seed, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, CheckFunction, GenerationMode

from fuzz.checks import CONTRACT_CHECKS, CheckFailure, run_checks, unreadable
from fuzz.dispatch import RealRequest, real_request
from fuzz.quoting import MESSAGE_CHARS, QUOTED_CHARS, quoted
from fuzz.schema import operation_id
from fuzz.target import CallFailed, Stopped, Target, activated


@dataclass(frozen=True)
class Finding:
    """A failed check, with the request that reproduces it (as sent, and as ``curl``)."""

    operation: str
    mode: str
    check: str
    title: str
    message: str
    curl: str
    status: int
    request: RealRequest | None = field(default=None, compare=False, repr=False)


@dataclass
class OperationReport:
    """What one operation in one generation mode did: cases sent, findings (one per check)."""

    operation: str
    mode: str
    cases: int = 0
    findings: list[Finding] = field(default_factory=list)
    repeats: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    """How long it took (a JUnit test case's time)."""
    kept: int = 0
    """The records the vendor said it stored (:meth:`fuzz.plugins.VendorPlugin.kept`)."""

    @property
    def name(self) -> str:
        return f"{self.operation}[{self.mode}]"

    def add(self, finding: Finding) -> None:
        count = self.repeats.get(finding.check, 0)
        self.repeats[finding.check] = count + 1
        if count == 0:
            self.findings.append(finding)


class CheckFailed(AssertionError):
    """Raised inside Hypothesis when a suite stops at its first failure."""


def format_findings(findings: Sequence[Finding]) -> str:
    return "\n".join(
        f"{f.operation}[{f.mode}] failed check {f.check} (HTTP {f.status}): {f.message}\n"
        f"  reproduce: {f.curl}"
        for f in findings
    )


def fuzz_operation(
    target: Target,
    operation: APIOperation,
    mode: GenerationMode,
    hypothesis_settings: settings,
    *,
    checks: Sequence[CheckFunction] | None = None,
    stop_on_failure: bool = True,
    seed_value: int | None = None,
) -> OperationReport:
    """Generate cases for ``operation`` in ``mode``, send them to ``target``, run the checks."""
    chosen = tuple(checks) if checks is not None else CONTRACT_CHECKS + target.plugin.checks
    report = OperationReport(operation_id(operation), mode.value)

    @hypothesis_settings
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case, data):  # type: ignore[no-untyped-def]
        if target.stopped:
            return
        target.plugin.prepare(case, data.draw)
        request = real_request(case, target.base_url)
        try:
            response = target.send(request)
        except Stopped:
            return
        except CallFailed as exc:  # a dropped connection, no answer in time, an undecodable body
            title = "No complete answer" if exc.check == "transport" else "An unreadable body"
            response, failures = None, [CheckFailure(exc.check, title, str(exc))]
            status = exc.status
        else:
            failures = run_checks(case, response, chosen) if response is not None else []
            status = response.status_code if response is not None else 0
            if response is not None:
                failures += _count_kept(target, report, response)
        report.cases += 1
        if response is None and not failures:  # dry run
            return
        found = [_finding(report, failure, request, status, target.blot) for failure in failures]
        for finding in found:
            report.add(finding)
        if found and stop_on_failure:
            raise CheckFailed(format_findings(found))

    # One example-database key per vendor, operation and mode (the test function is shared), as
    # Hypothesis itself does for state machines.
    key = f"{target.plugin.vendor}/{report.operation}/{mode.value}".encode()
    run.hypothesis.inner_test._hypothesis_internal_add_digest = key  # type: ignore[attr-defined]
    if seed_value is not None:
        run = seed(seed_value)(run)
    started = time.perf_counter()
    try:
        with activated(target):
            run()
    finally:
        report.seconds = time.perf_counter() - started
    return report


def _count_kept(
    target: Target, report: OperationReport, response: httpx.Response
) -> list[CheckFailure]:
    """Add the records ``response`` says the vendor stored to ``report`` and to the run's count
    on ``target`` (kept as each answer comes: an interrupt loses the operation's report, not the
    records); a plug-in that could not read them is the check ``kept`` failing, as a check that
    broke on an answer is."""
    try:
        stored = target.plugin.kept(report.operation, response)
    except Exception as exc:
        title = "The records the vendor stored could not be counted"
        return [CheckFailure("kept", title, unreadable(exc))]
    report.kept += stored
    target.kept += stored
    return []


def _finding(
    report: OperationReport,
    failure: CheckFailure,
    request: RealRequest,
    status: int,
    blot: Callable[[str], str],
) -> Finding:
    """The failure as reported: its texts with the run's secrets blotted out (a vendor may echo
    a password in the body a check quotes), then cut (one a check or Schemathesis did not cut
    is no 200,000-character line)."""
    return Finding(
        report.operation,
        report.mode,
        failure.check,
        quoted(failure.title, QUOTED_CHARS, blot),
        quoted(failure.message, MESSAGE_CHARS, blot),
        request.as_curl(),
        status,
        request,
    )
