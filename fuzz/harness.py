"""``mockservers fuzz VENDOR --base-url URL ...``: fuzz any running server, fake or real.

For each operation of the vendor's OpenAPI document, positive then negative cases are generated
from the contracts, sent to the real paths (``fuzz.dispatch``) and checked (the shared checks
plus the vendor plug-in's). Every failure is printed as a ``curl`` command with the name of the
check that failed. Exit status: 0 all checks passed (or every failure is accepted by
``--baseline``; or a dry run, whose verdict says nothing was checked), 1 a check failed (a new
failure), 2 a usage problem (no plug-in for the vendor, missing credentials, server
unreachable, an unreadable baseline) or a run the server stopped before its end (its call
limit, the vendor behind the kit's proxy gone: incomplete, its outputs say so, no baseline is
written), said on standard error.

Safe for a shared sandbox: ``--dry-run`` prints the requests and sends none; ``--budget N`` stops
after N requests (the login included); ``--rate-limit N/s`` paces every request; a 429 with a
``Retry-After`` (seconds or an HTTP-date; or, for KeepIT, without one: its call window) is
waited out and the request sent again; still 429 after the retries, a wait longer than the
harness takes, or 429s in a row it cannot wait out stop the run (``fuzz.target``);
``--timeout`` bounds each call whole (``fuzz.deadline``). Results: ``--junit-xml``,
``--record FILE.har`` (``fuzz.recording``), ``--baseline`` / ``--update-baseline``
(``fuzz.baseline``), ``--report FILE.html`` (``fuzz.report``). Every text the run shows has its
secrets blotted out (``fuzz.recording.Secrets``); the console's ``reproduce:`` lines, and a dry
run's, have them masked too, unless ``--show-secrets``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import httpx
from hypothesis import Phase, settings

from fuzz import baseline, junit, report
from fuzz.dispatch import RealRequest
from fuzz.plugins import PluginError, VendorPlugin, plugin_class
from fuzz.profiles import QUIET_HEALTH_CHECKS
from fuzz.recording import HarFile, Secrets
from fuzz.runner import Finding, OperationReport, fuzz_operation
from fuzz.schema import MODES, api_operations
from fuzz.target import RETRIES, CallFailed, Clock, Sleep, Stopped, Target
from mockservers.core.http import IDLE_CONNECTION_SECONDS

Say = Callable[[str], None]
TIMEOUT = 30.0
"""How long each call may take by default (``--timeout``), its answer read whole."""


def harness_settings(max_examples: int, seed_value: int | None) -> settings:
    """Collect everything: no shrinking, no example database; derandomised without a seed."""
    return settings(
        max_examples=max_examples,
        derandomize=seed_value is None,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=QUIET_HEALTH_CHECKS,
    )


def run_harness(
    args: argparse.Namespace,
    out: TextIO | None = None,
    *,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> int:
    """Run ``mockservers fuzz`` with parsed ``args``; the exit status. ``sleep`` and ``clock``
    are what the pacing and the waits for a 429 use (a test passes ones that move a fake's
    clock instead of the wall's)."""
    out = out or sys.stdout

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    cls = plugin_class(args.vendor)
    if cls is None:
        return usage_problem(
            f"no fuzz plug-in for {args.vendor!r} yet "
            f"(add fuzz/plugins/{args.vendor}/, see docs/fuzzing.md)"
        )
    if _opt(args, "update_baseline") and (not _opt(args, "baseline") or args.dry_run):
        return usage_problem("--update-baseline needs --baseline FILE and a run that sends")
    try:
        plugin = cls.from_args(args)
        accepted = baseline.load(args.baseline) if _opt(args, "baseline") else {}
        _check_outputs(args)
    except (PluginError, baseline.BaselineError, OSError) as exc:
        return usage_problem(str(exc))
    setup = plugin.setup_requests()
    if args.budget is not None and not args.dry_run and args.budget <= setup:
        return usage_problem(
            f"--budget {args.budget} leaves no request for a case: {args.vendor} sends {setup} "
            "before them with these credentials (see docs/fuzzing.md)"
        )
    secrets = Secrets(plugin.credentials)
    har = HarFile(args.record, secrets) if _opt(args, "record") else None
    timeout: float = getattr(args, "timeout", None) or TIMEOUT
    verify = getattr(args, "cacert", None) or True  # --cacert: an SSL context that trusts it
    try:
        with (
            _terminated_as_interrupted(),
            httpx.Client(
                timeout=timeout,
                verify=verify,
                limits=httpx.Limits(
                    keepalive_expiry=IDLE_CONNECTION_SECONDS
                ),  # before the server's
            ) as client,
        ):
            target = Target(
                plugin,
                args.base_url,
                client,
                budget=args.budget,
                dry_run=args.dry_run,
                echo=say,
                rate=getattr(args, "rate_limit", None),
                retries=RETRIES,
                clock=clock,
                sleep=sleep,
                record=har.add if har is not None else secrets.learn,
                shared=True,
                timeout=timeout,
                blot=secrets.blot,
                shown=_shown(args, secrets.blot),
            )
            return _run(target, plugin, args, accepted, say)
    except KeyboardInterrupt:  # while writing what it found
        say("mockservers fuzz: interrupted")
        return INTERRUPTED
    finally:
        if har is not None:
            path = har.write(f"mockservers fuzz {args.vendor} --base-url {args.base_url}")
            say(f"recorded {len(har.recorder)} exchange(s) as HAR: {path}")


USAGE = 2
"""The exit status of a usage problem, as argparse's own (see :func:`usage_problem`)."""


def usage_problem(problem: str) -> int:
    """Say why the run cannot go on on standard error, as argparse says its own (standard
    output is the run's report); the exit status."""
    print(f"mockservers fuzz: {problem}", file=sys.stderr, flush=True)
    return USAGE


INTERRUPTED = 130
"""The exit status of a run stopped by Ctrl-C or SIGTERM (a CI job cancelled or timed out),
once it has written what it found so far."""


@contextmanager
def _terminated_as_interrupted() -> Iterator[None]:
    """SIGTERM stops the run as Ctrl-C does (``KeyboardInterrupt``), so that the report, the
    JUnit file and the recording are still written: it killed the process outright."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


_OUTPUTS = {"report": "--report", "junit_xml": "--junit-xml", "record": "--record"}


def _check_outputs(args: argparse.Namespace) -> None:
    """Every file the run will write can be written: found out after the run, against a
    sandbox, its request budget would be spent and the results lost. ``OSError`` naming it."""
    given = [(flag, _opt(args, name)) for name, flag in _OUTPUTS.items() if _opt(args, name)]
    if _opt(args, "update_baseline"):
        given.append(("--baseline", args.baseline))
    for flag, name in given:
        path = Path(name)
        existed = path.exists()
        missing = [folder for folder in path.parents if not folder.exists()]
        blocking = next((f for f in path.parents if f.exists() and not f.is_dir()), None)
        if blocking is not None:
            raise OSError(f"cannot write {flag} {name}: {blocking} is a file, not a directory")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # as the writers do
            with path.open("a", encoding="utf-8"):  # appends nothing: a probe
                pass
        except OSError as exc:
            raise OSError(f"cannot write {flag} {name}: {exc.strerror or exc}") from None
        if not existed:  # the probe leaves nothing behind, a folder it made neither
            path.unlink()
            for folder in missing:
                folder.rmdir()


def _run(
    target: Target,
    plugin: VendorPlugin,
    args: argparse.Namespace,
    accepted: dict[baseline.Key, dict[str, object]],
    say: Say,
) -> int:
    budget = args.budget if args.budget is not None else "none"
    mode = "dry run, nothing is sent" if args.dry_run else f"budget {budget}"
    pace = f", at most {args.rate_limit:g}/s" if _opt(args, "rate_limit") else ""
    say(
        f"fuzzing {args.vendor} at {target.base_url}: up to {args.max_examples} cases per "
        f"operation and mode, seed {args.seed if args.seed is not None else 'fixed'} "
        f"({mode}{pace})"
    )
    started = time.perf_counter()
    reports: list[OperationReport] = []
    interrupted = False
    try:
        plugin.authenticate(target)
    except KeyboardInterrupt:  # the report and the JUnit file still say so
        say("  interrupted before the first case")
        interrupted = True
    except Stopped:  # the kit's 502, or a 429 the retries did not end
        if target.unreachable:
            return usage_problem(str(target.stop_reason))
        return usage_problem(f"no case can be sent to {target.base_url}: {target.stop_reason}")
    except (PluginError, CallFailed) as exc:
        return usage_problem(target.blot(f"cannot authenticate against {target.base_url}: {exc}"))
    if not interrupted:
        reports, interrupted = _fuzz_all(
            target, args, harness_settings(args.max_examples, args.seed), say
        )
    if target.unreachable:
        return usage_problem(target.blot(str(target.stop_reason)))
    elapsed = time.perf_counter() - started
    # A dry run learns nothing about failures; a run stopped early did not finish its last one.
    ran = set() if args.dry_run else baseline.completed(reports, cut=target.stopped)
    comparison = baseline.compare(accepted, args.vendor, reports, ran)
    facts = report.RunFacts(
        args.vendor,
        target.base_url,
        sum(r.cases for r in reports),
        target.sent,
        elapsed,
        tuple(target.politeness.retry_waits),
        target.politeness.still_limited,
        target.stop_reason,
        baselined=bool(_opt(args, "baseline")),
        interrupted=interrupted,
        window_waits=target.politeness.window_waits,
        incomplete=target.incomplete and not interrupted,
        seed=args.seed,
        max_examples=args.max_examples,
        kept=None if args.dry_run else target.kept,
        printed=target.printed if args.dry_run else None,
    )
    if args.junit_xml:
        planned = [f"{name}[{mode}]" for name in api_operations(args.vendor) for mode in MODES]
        junit.write(args.junit_xml, facts, reports, comparison, planned)
    if _opt(args, "report"):
        say(f"report: {report.write(args.report, facts, reports, comparison)}")
    status = _summary(target, facts, comparison, say)
    if facts.incomplete:  # no verdict on the whole: a baseline would take it for one
        why = "its verdict is only on what ran, and the baseline is left as it was"
        return usage_problem(f"the run is incomplete, {why}: {facts.stopped}")
    if _opt(args, "update_baseline"):
        path = baseline.write(args.baseline, accepted, args.vendor, reports, ran)
        changes = f"{len(comparison.new)} added, {len(comparison.fixed)} dropped"
        say(f"baseline updated: {path} ({changes})")
        status = 0
    return INTERRUPTED if interrupted else status


def _fuzz_all(
    target: Target, args: argparse.Namespace, hs: settings, say: Say
) -> tuple[list[OperationReport], bool]:
    """Each operation's report in each mode; and whether the run was interrupted (the
    operation it was in has none: only finished ones are reported and counted as run)."""
    reports: list[OperationReport] = []
    try:
        _fuzz_each(target, args, hs, say, reports)
    except KeyboardInterrupt:
        say("  interrupted: what ran until then is reported")
        return reports, True
    return reports, False


def _fuzz_each(
    target: Target,
    args: argparse.Namespace,
    hs: settings,
    say: Say,
    reports: list[OperationReport],
) -> None:
    for operation in api_operations(args.vendor).values():
        for mode in MODES.values():
            if target.stopped:
                return
            run = fuzz_operation(
                target, operation, mode, hs, stop_on_failure=False, seed_value=args.seed
            )
            reports.append(run)
            status = "ok" if not run.findings else f"{len(run.findings)} failed check(s)"
            if target.dry_run:
                status = "printed"
            if target.stopped:
                status += " (the run stopped here)"
            say(f"  {run.name:<32} {run.cases:>4} cases  {status}")
            for finding in run.findings:
                repeats = run.repeats[finding.check]
                say(
                    f"    FAILED {finding.check} (HTTP {finding.status}, {repeats} case(s)): "
                    f"{_under(finding.message.strip())}\n"
                    f"    reproduce: {_reproduce(finding, target, args)}"
                )


def _under(message: str) -> str:
    """A message's lines after its first indented under its ``FAILED`` line: at column 0 they
    broke the console's layout (Schemathesis's status check says ``Received:`` and
    ``Documented:`` on lines of their own)."""
    return message.replace("\n", "\n" + _CONTINUED)


_CONTINUED = " " * 6


def _reproduce(finding: Finding, target: Target, args: argparse.Namespace) -> str:
    """The failing case as ``curl``: its secrets masked (a console goes into CI logs), as sent
    with ``--show-secrets``."""
    if _opt(args, "show_secrets"):
        return finding.curl
    return target.blot(report.shown_curl(finding))


def _shown(args: argparse.Namespace, blot: Callable[[str], str]) -> Callable[[RealRequest], str]:
    """How a dry run prints each request: as the ``reproduce:`` lines are, its secrets masked
    unless ``--show-secrets`` (the credentials given, in the login's request, went into CI
    logs); the placeholders where the tokens go stay."""
    if _opt(args, "show_secrets"):
        return RealRequest.as_curl
    return lambda request: blot(report.masked_curl(request, placeholders=True))


def _summary(
    target: Target,
    facts: report.RunFacts,
    comparison: baseline.Comparison,
    say: Say,
) -> int:
    """The closing lines; the exit status (1 when a failure is new)."""
    if facts.stopped is not None:
        say(f"stopped: {facts.stopped}")
    if facts.retry_waits:
        say(f"waited out {report.waits(facts)} and sent them again")
    if facts.kept is not None:
        say(f"writes accepted: {report.kept(facts)}")
    if facts.baselined:
        for finding in comparison.known:
            say(f"  known: {finding.operation}[{finding.mode}] {finding.check} (in the baseline)")
        for key in comparison.fixed:
            say(f"  fixed: {key.label} (in the baseline, no longer fails)")
        for finding in comparison.new:
            say(f"  NEW:   {finding.operation}[{finding.mode}] {finding.check}")
    sent = "" if target.dry_run else f"{target.sent} requests sent, "
    say(f"{facts.cases} cases, {sent}{facts.elapsed:.1f} s: {report.verdict(facts, comparison)}")
    return 1 if comparison.new else 0


def _opt(args: argparse.Namespace, name: str) -> object:
    """An option that callers building ``args`` by hand may leave out."""
    return getattr(args, name, None)
