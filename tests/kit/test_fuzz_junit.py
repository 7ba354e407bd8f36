"""The harness's ``--junit-xml`` file as a CI reads it: Jenkins' junit-4.xsd order in each test
case, and a file that parses whatever the failing request carried."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from fuzz import junit
from fuzz.baseline import Comparison
from fuzz.dispatch import RealRequest
from fuzz.report import RunFacts
from fuzz.runner import Finding, OperationReport

URL = "http://sandbox.example/quoparts/ws_quoparts.php"


def finding(check: str, message: str = "HTTP 500", body: bytes = b"{}") -> Finding:
    request = RealRequest("POST", URL, [("importCli", "")], {}, body)
    return Finding("importCli", "positive", check, "title", message, "curl …", 500, request)


def written(
    tmp_path: Path, new: list[Finding], known: list[Finding], stopped: str | None = None
) -> ET.Element:
    report = OperationReport("importCli", "positive", cases=3, findings=[*new, *known])
    path = tmp_path / "fuzz.xml"
    facts = RunFacts(
        "quoparts",
        "http://sandbox.example/quoparts",
        3,
        3,
        1.0,
        stopped=stopped,
        incomplete=stopped is not None,
        seed=7,
        max_examples=3,
    )
    junit.write(path, facts, [report], Comparison(new, known, []))
    return ET.parse(path).getroot()


def test_a_failure_comes_before_the_output_as_junit_4_xsd_requires(tmp_path: Path) -> None:
    """The XSD's test case is ``skipped?, error*, failure*, system-out*, system-err*``."""
    root = written(tmp_path, [finding("new_check")], [finding("known_check")])
    (case,) = root.iter("testcase")
    assert [child.tag for child in case] == ["failure", "system-out"]
    assert "new_check" in (case[0].text or "") and "known_check" in (case[1].text or "")


def test_characters_xml_cannot_hold_are_dropped_and_the_file_parses(tmp_path: Path) -> None:
    """A body holding U+FFFF made the file unreadable to every parser (and the CI's report)."""
    body = '{"DES_NOM": "Ro\uffffssi\ufffe"}'.encode()
    message = "answer \x00\x1b[31mred\ud800 kept\tso"
    root = written(tmp_path, [finding("new_check", message, body)], [finding("known", body=body)])
    (case,) = root.iter("testcase")
    failure, out = case
    assert '"DES_NOM": "Rossi"' in (failure.text or "") and '"Rossi"' in (out.text or "")
    assert "answer [31mred kept\tso" in (failure.text or "")


def test_an_incomplete_run_has_an_error_before_the_failures_and_properties_first(
    tmp_path: Path,
) -> None:
    """junit-4.xsd: a suite is ``properties?, testcase*, system-out?, system-err?``; a test
    case ``skipped?, error*, failure*, system-out*, system-err*``. A run the sandbox stopped
    was one passing test after 3 cases of 10."""
    root = written(tmp_path, [finding("new_check")], [], stopped="still answered 429 …")
    (suite,) = root
    assert [child.tag for child in suite] == ["properties", "testcase"]
    assert (suite.get("errors"), suite.get("failures")) == ("1", "1")
    (case,) = suite.iter("testcase")
    assert [child.tag for child in case] == ["error", "failure", "system-out"]
    assert case[0].get("message") == "incomplete: stopped by the server: still answered 429 …"
    seed = [p.get("value") for p in suite.iter("property") if p.get("name") == "seed"]
    assert seed == ["7"]
