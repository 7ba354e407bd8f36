"""JUnit XML for CI: one test case per operation and generation mode.

A case fails on a new failure only: those the baseline accepts are listed in its output (a CI
that reads the file agrees with the run's exit status). A run the server stopped before its end
(incomplete) has an ``error`` in the case it stopped in, saying why; in a dry run every case is
``skipped``, saying so (nothing was sent, so nothing passed); and the operations it never
reached (``planned`` and not run: an incomplete or interrupted run, or one its ``--budget``
stopped) are ``skipped`` cases, the reason in their text, so a
CI's count of tests stays that of a whole run. The suite's ``properties``
say what repeats the run: its seed, ``--max-examples`` and the harness's version. Like the HTML
report, the file is an artifact that gets passed around, so its ``curl`` lines have every
secret masked.

The elements keep the order Jenkins' junit-4.xsd requires (in a suite ``properties`` before the
test cases; in a case ``skipped``, ``error``, ``failure``, then ``system-out``), and a character XML
1.0 cannot hold (a request body's U+FFFF, a lone surrogate, a control other than tab and
newlines) is dropped from the text, or no parser would read the file."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from fuzz.baseline import Comparison
from fuzz.report import RunFacts, dry_run, shown_curl
from fuzz.runner import Finding, OperationReport

# What XML 1.0 allows (its Char production), negated.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def write(
    path: str | Path,
    facts: RunFacts,
    reports: Sequence[OperationReport],
    comparison: Comparison,
    planned: Sequence[str] = (),
) -> None:
    """``planned``: every operation's name in every mode (``importCli[positive]``), in run
    order."""
    vendor = facts.vendor
    new = [r for r in reports if any(f in comparison.new for f in r.findings)]
    cut = reports[-1] if facts.incomplete and reports else None
    ran = {r.name for r in reports}
    not_run = [name for name in planned if name not in ran]
    dry = facts.printed is not None
    suite = ET.Element(
        "testsuite",
        name=f"mockservers fuzz {vendor}",
        tests=str(len(reports) + len(not_run)),
        failures=str(len(new)),
        errors=str(int(cut is not None)),
        skipped=str(len(not_run) + (len(reports) if dry else 0)),
        time=f"{facts.elapsed:.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in [("vendor", vendor), ("base-url", facts.base_url), *facts.rerun]:
        ET.SubElement(properties, "property", name=name, value=_legal(value))
    for report in reports:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"fuzz.{vendor}",
            name=report.name,
            time=f"{report.seconds:.3f}",
        )
        if dry:  # nothing was sent, so nothing passed: a CI counts no green test
            ET.SubElement(case, "skipped").text = dry_run(report.cases)
        if report is cut:
            message = _legal(f"incomplete: stopped by the server: {facts.stopped}")
            ET.SubElement(
                case, "error", message=message, type="incomplete"
            ).text = "The run stopped here; the operations after it did not run."
        failing = [f for f in report.findings if f in comparison.new]
        known = [f for f in report.findings if f not in comparison.new]
        if failing:
            checks = ", ".join(sorted({f.check for f in failing}))
            failure = ET.SubElement(
                case, "failure", message=f"failed checks: {checks}", type=checks
            )
            failure.text = _described(failing)
        out = f"{report.cases} cases"
        if known:
            out += f"\nknown failures (accepted by the baseline):\n{_described(known)}"
        ET.SubElement(case, "system-out").text = out
    if facts.interrupted:
        why = "the run was interrupted"
    elif facts.incomplete:
        why = "the run was stopped by the server"
    else:  # its own --budget, say
        why = f"the run stopped: {facts.stopped}"
    for name in not_run:
        case = ET.SubElement(suite, "testcase", classname=f"fuzz.{vendor}", name=name, time="0.000")
        # junit-4.xsd's ``skipped`` is text, no attribute
        ET.SubElement(case, "skipped").text = _legal(f"not run: {why}")
    tree = ET.ElementTree(ET.Element("testsuites"))
    tree.getroot().append(suite)
    ET.indent(tree)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def _described(findings: Sequence[Finding]) -> str:
    return _legal(
        "\n".join(
            f"{f.operation}[{f.mode}] failed check {f.check} (HTTP {f.status}): {f.message}\n"
            f"  reproduce: {shown_curl(f)}"
            for f in findings
        )
    )


def _legal(text: str) -> str:
    """``text`` without the characters an XML 1.0 document cannot hold."""
    return _NOT_XML.sub("", text)
