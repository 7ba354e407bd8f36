"""``mockservers fuzz VENDOR --base-url URL ...``: fuzz any running server, fake or real.

For each operation of the vendor's OpenAPI document, positive then negative cases are generated
from the contracts, sent to the real paths (``fuzz.dispatch``) and checked (the shared checks
plus the vendor plug-in's). Every failure is printed as a ``curl`` command with the name of the
check that failed. Exit status: 0 all checks passed, 1 a check failed, 2 a usage problem
(no plug-in for the vendor, missing credentials, server unreachable).

Safe for a real sandbox: ``--dry-run`` prints the requests and sends none; ``--budget N`` stops
after N requests (the login included).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TextIO

import httpx
from hypothesis import Phase, settings

from fuzz import junit
from fuzz.plugins import PluginError, plugin_class
from fuzz.profiles import QUIET_HEALTH_CHECKS
from fuzz.runner import OperationReport, fuzz_operation
from fuzz.schema import MODES, api_operations
from fuzz.target import BudgetExhausted, Target


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


def run_harness(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    cls = plugin_class(args.vendor)
    if cls is None:
        say(
            f"mockservers fuzz: no fuzz plug-in for {args.vendor!r} yet "
            f"(add fuzz/plugins/{args.vendor}/, see docs/fuzzing.md)"
        )
        return 2
    try:
        plugin = cls.from_args(args)
    except PluginError as exc:
        say(f"mockservers fuzz: {exc}")
        return 2
    hypothesis_settings = harness_settings(args.max_examples, args.seed)
    with httpx.Client(timeout=30.0) as client:
        target = Target(
            plugin, args.base_url, client, budget=args.budget, dry_run=args.dry_run, echo=say
        )
        mode = "dry run, nothing is sent" if args.dry_run else f"budget {args.budget or 'none'}"
        say(
            f"fuzzing {args.vendor} at {target.base_url}: up to {args.max_examples} cases per "
            f"operation and mode, seed {args.seed if args.seed is not None else 'fixed'} ({mode})"
        )
        started = time.perf_counter()
        try:
            plugin.authenticate(target)
        except (PluginError, httpx.TransportError, BudgetExhausted) as exc:
            say(f"mockservers fuzz: cannot authenticate against {target.base_url}: {exc}")
            return 2
        reports = _fuzz_all(target, args, hypothesis_settings, say)
        elapsed = time.perf_counter() - started
    if args.junit_xml:
        junit.write(args.junit_xml, args.vendor, reports, elapsed)
    return _summary(target, reports, elapsed, say)


def _fuzz_all(
    target: Target, args: argparse.Namespace, hs: settings, say: Callable[[str], None]
) -> list[OperationReport]:
    reports = []
    for operation in api_operations(args.vendor).values():
        for mode in MODES.values():
            if target.exhausted:
                return reports
            run = fuzz_operation(
                target, operation, mode, hs, stop_on_failure=False, seed_value=args.seed
            )
            reports.append(run)
            status = "ok" if not run.findings else f"{len(run.findings)} failed check(s)"
            say(f"  {run.name:<32} {run.cases:>4} cases  {status}")
            for finding in run.findings:
                repeats = run.repeats[finding.check]
                say(
                    f"    FAILED {finding.check} (HTTP {finding.status}, {repeats} case(s)): "
                    f"{finding.message.strip()}\n    reproduce: {finding.curl}"
                )
    return reports


def _summary(
    target: Target, reports: list[OperationReport], elapsed: float, say: Callable[[str], None]
) -> int:
    cases = sum(r.cases for r in reports)
    failed = [f for r in reports for f in r.findings]
    if target.exhausted:
        say(f"request budget of {target.budget} reached: stopped")
    sent = "printed" if target.dry_run else f"{target.sent} requests sent"
    verdict = f"{len(failed)} failed check(s)" if failed else "all checks passed"
    say(f"{cases} cases, {sent}, {elapsed:.1f} s: {verdict}")
    return 1 if failed else 0
