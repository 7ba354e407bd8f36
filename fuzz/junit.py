"""JUnit XML for CI: one test case per operation and generation mode."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from fuzz.runner import OperationReport, format_findings


def write(
    path: str | Path, vendor: str, reports: Sequence[OperationReport], seconds: float
) -> None:
    failed = [r for r in reports if r.findings]
    suite = ET.Element(
        "testsuite",
        name=f"mockservers fuzz {vendor}",
        tests=str(len(reports)),
        failures=str(len(failed)),
        errors="0",
        time=f"{seconds:.3f}",
    )
    for report in reports:
        case = ET.SubElement(
            suite, "testcase", classname=f"fuzz.{vendor}", name=report.name, time="0"
        )
        ET.SubElement(case, "system-out").text = f"{report.cases} cases"
        if report.findings:
            checks = ", ".join(sorted({f.check for f in report.findings}))
            failure = ET.SubElement(
                case, "failure", message=f"failed checks: {checks}", type=checks
            )
            failure.text = format_findings(report.findings)
    tree = ET.ElementTree(ET.Element("testsuites"))
    tree.getroot().append(suite)
    ET.indent(tree)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
