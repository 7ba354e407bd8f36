"""The harness (``mockservers fuzz``) against a running fake: it passes a healthy fake, and with a
fault injected through the admin API it exits non-zero and names the failed check."""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from mockservers.cli import main
from mockservers.cli.parser import build_parser
from mockservers.testing import MockServer

pytestmark = pytest.mark.fuzz


def fuzz(server: MockServer, *extra: str, vendor: str = "quoparts", examples: int = 4) -> list[str]:
    return [
        "fuzz",
        vendor,
        "--base-url",
        server.base_url(vendor),
        "--username",
        "demo",
        "--password",
        "demo",
        "--max-examples",
        str(examples),
        *extra,
    ]


def test_a_healthy_fake_passes_and_the_junit_report_says_so(
    mockserver: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "fuzz.xml"
    assert main(fuzz(mockserver, "--junit-xml", str(report), examples=5)) == 0
    out = capsys.readouterr().out
    assert "importCli[negative]" in out
    assert "all checks passed" in out
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "6"
    assert suite.get("failures") == "0"
    times = [float(case.get("time", "")) for case in suite.iter("testcase")]  # each was "0"
    assert len(times) == 6 and all(t > 0 for t in times)
    assert sum(times) <= float(suite.get("time", ""))


def test_malformed_bodies_fail_the_response_contract_check(
    mockserver: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mockserver.fault(vendor="quoparts", operation="importCli", kind="malformed")
    report = tmp_path / "fuzz.xml"
    assert main(fuzz(mockserver, "--junit-xml", str(report))) == 1
    out = capsys.readouterr().out
    assert "FAILED response_matches_contract" in out
    assert "the answer is not JSON" in out
    assert "reproduce: curl -sS -X POST 'http://127.0.0.1:" in out
    # a console's output goes into CI logs: the token masked there too (--show-secrets: not)
    assert "/quoparts/ws_quoparts.php?importCli=&token=***" in out
    assert not re.search(r"token=[0-9]", out)
    failures = ET.parse(report).getroot().findall(".//testcase/failure")
    assert failures, "the JUnit report has the failures"
    for case in ET.parse(report).getroot().iter("testcase"):  # junit-4.xsd's order
        assert [child.tag for child in case] in (["system-out"], ["failure", "system-out"])
    assert all("response_matches_contract" in f.get("message", "") for f in failures)
    # an artifact passed around, like the HTML report: the token masked
    texts = "".join(f.text or "" for f in failures)
    assert "importCli=&token=***" in texts and not re.search(r"token=[0-9]", texts)


def test_a_wrong_status_fails_the_status_checks(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    mockserver.fault(vendor="quoparts", operation="importPvt", kind="status", status=404)
    assert main(fuzz(mockserver)) == 1
    out = capsys.readouterr().out
    assert "FAILED status_code_conformance (HTTP 404" in out
    assert "FAILED quoparts_error_codes (HTTP 404" in out
    assert re.search(r"importCli\[positive\] +4 cases  ok", out), "other operations unaffected"
    # the check's second line under its FAILED line, not at column 0
    assert re.search(r"FAILED status_code_conformance .*: Received: 404\n      Documented: ", out)
    assert all(line.startswith(" ") for line in out.splitlines()[1:-2]), out


def test_a_server_error_fails_no_server_error(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    mockserver.fault(vendor="quoparts", operation="importCli", kind="status", status=500, times=2)
    assert main(fuzz(mockserver)) == 1
    out = capsys.readouterr().out
    assert "FAILED no_server_error (HTTP 500, 2 case(s))" in out


def test_a_failed_login_stops_the_harness_with_status_2(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    mockserver.fault(vendor="quoparts", operation="login", kind="status", status=503, times=1)
    assert main(fuzz(mockserver)) == 2
    assert "cannot authenticate" in capsys.readouterr().err


def test_a_dropped_connection_is_a_failure(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    mockserver.fault(vendor="quoparts", operation="importPvt", kind="drop", times=1)
    assert main(fuzz(mockserver)) == 1
    assert "FAILED transport" in capsys.readouterr().out


def test_dry_run_prints_requests_and_sends_nothing(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Nothing sent is nothing checked: it said "all checks passed", marked every operation
    "ok", and wrote a green report and a JUnit file of passed tests. Exit 0 still: a dry run
    is no failure."""
    page, junit = tmp_path / "dry.html", tmp_path / "dry.xml"
    argv = fuzz(mockserver, "--dry-run", "--report", str(page), "--junit-xml", str(junit))
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "dry run, nothing is sent" in out
    printed = out.count("curl -sS -X ")
    assert printed >= 4 * 6 + 1  # the login, then 4 cases per operation and mode
    assert mockserver.requests(vendor="quoparts") == []
    verdict = f"dry run: {printed} requests printed, nothing sent or checked"
    assert out.rstrip().endswith(f": {verdict}") and "passed" not in out
    assert re.search(r"importCli\[positive\] +4 cases  printed", out) and " ok" not in out
    html = page.read_text("utf-8")
    assert f"<title>mockservers fuzz quoparts: {verdict}</title>" in html
    assert 'class="ok"' not in html and "writes accepted" not in html
    suite = ET.parse(junit).getroot()[0]
    assert (suite.get("tests"), suite.get("skipped"), suite.get("failures")) == ("6", "6", "0")
    reasons = [case.find("skipped") for case in suite.iter("testcase")]
    assert [r.text for r in reasons if r is not None] == [
        "dry run: 4 requests printed, nothing sent or checked"
    ] * 6
    for case in suite.iter("testcase"):  # junit-4.xsd's order
        assert [child.tag for child in case] == ["skipped", "system-out"]


def test_the_budget_caps_the_requests_sent(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    junit = tmp_path / "fuzz.xml"
    assert main([*fuzz(mockserver, "--budget", "11"), "--junit-xml", str(junit)]) == 0
    out = capsys.readouterr().out
    assert "request budget of 11 reached" in out
    assert len(mockserver.requests(vendor="quoparts")) == 11
    # the operations it never reached: skipped for the budget, not blamed on the server
    skipped = {s.text for s in ET.parse(junit).iter("skipped")}
    assert skipped == {"not run: the run stopped: request budget of 11 reached"}


def test_the_same_seed_sends_the_same_requests(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def requests() -> list[str]:
        main(fuzz(mockserver, "--dry-run", "--seed", "7", "--max-examples", "3"))
        return [line for line in capsys.readouterr().out.splitlines() if line.startswith("curl")]

    first = requests()
    assert len(first) >= 10
    assert requests() == first


def test_a_vendor_without_a_plugin_exits_2(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fuzz import harness

    monkeypatch.setattr(harness, "plugin_class", lambda vendor: None)  # every vendor has one now
    assert main(fuzz(mockserver, vendor="tsdigital")) == 2
    assert "no fuzz plug-in for 'tsdigital'" in capsys.readouterr().err


def test_the_vendors_fuzz_takes_are_its_plug_in_packages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new plug-in package is a choice of the command with no other change (the list was
    written out in the CLI as well); each vendor the kit serves has one."""
    from fuzz.cli import plugin_vendors
    from mockservers.vendors import VENDOR_CLASSES

    for folder in ("acme", "__pycache__", "notes"):
        (tmp_path / folder).mkdir()
    (tmp_path / "acme" / "__init__.py").touch()
    assert plugin_vendors(tmp_path) == ("acme",)
    with pytest.raises(SystemExit):
        main(["fuzz", "--help"])
    served = ",".join(sorted(cls.name for cls in VENDOR_CLASSES))
    assert f"{{{served}}}" in capsys.readouterr().out


def test_the_docs_give_the_harness_default_number_of_cases() -> None:
    """Not the in-process profile's 25, which the page gives a few lines above."""
    args = build_parser().parse_args(["fuzz", "xtra", "--base-url", "http://127.0.0.1:9/xtra"])
    page = (Path(__file__).parents[2] / "docs" / "fuzzing.md").read_text("utf-8")
    assert f"cases ({args.max_examples} of each unless given" in " ".join(page.split())


def test_missing_credentials_exit_2_said_on_stderr_only(capsys: pytest.CaptureFixture[str]) -> None:
    """A usage problem went to standard output, mixed into what a CI step keeps as the run's
    report; it is said on standard error, as argparse says its own."""
    assert main(["fuzz", "quoparts", "--base-url", "http://127.0.0.1:9/quoparts"]) == 2
    said = capsys.readouterr()
    assert said.err.startswith("mockservers fuzz: quoparts needs --username … --password …")
    assert said.out == ""


def test_without_the_fuzz_extra_it_says_so_on_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "fuzz.harness", None)  # as if hypothesis were missing
    assert main(["fuzz", "quoparts", "--base-url", "http://127.0.0.1:9/quoparts"]) == 2
    said = capsys.readouterr()
    assert "needs the 'fuzz' extra: pip install 'mockservers[fuzz]'" in said.err
    assert said.out == ""


@pytest.mark.parametrize(
    "url", ["127.0.0.1:8000/quoparts", "ftp://h/quoparts", "http://", "http://[::1", "http://h:9x"]
)
def test_a_base_url_that_is_no_http_url_is_a_usage_error(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was a traceback (exit 1), or a "cannot authenticate" once the run had begun."""
    with pytest.raises(SystemExit) as exited:
        main(["fuzz", "quoparts", "--base-url", url, "--username", "u", "--password", "p"])
    said = capsys.readouterr()
    assert exited.value.code == 2 and said.out == ""
    assert "argument --base-url" in said.err and "http(s) base URL is expected" in said.err


def test_an_unreachable_server_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["fuzz", "quoparts", "--base-url", "http://127.0.0.1:9/quoparts"]
    assert main([*args, "--username", "demo", "--password", "demo"]) == 2
    assert "cannot authenticate" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--report", "--junit-xml", "--record"])
def test_an_output_it_cannot_write_exits_2_before_anything_is_sent(
    mockserver: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    """Found out after the run (a traceback, exit 1), a sandbox's budget was spent for nothing."""
    occupied = tmp_path / "a-file"
    occupied.write_text("where the folder would go")
    target = occupied / "out.file"
    assert main(fuzz(mockserver, option, str(target))) == 2
    said = capsys.readouterr().err  # it was "File exists"
    assert f"cannot write {option} {target}: {occupied} is a file, not a directory" in said
    assert mockserver.requests() == []


def test_the_outputs_probe_leaves_no_folder_behind_for_a_run_that_stops(
    mockserver: MockServer, tmp_path: Path
) -> None:
    """The probe made the report's folders, and a run refused after it left them there."""
    report = tmp_path / "new" / "deeper" / "report.html"
    refused = [*fuzz(mockserver, "--report", str(report)), "--password", "wrong"]
    assert main(refused) == 2  # cannot authenticate: nothing written
    assert list(tmp_path.iterdir()) == []


# -- what the run leaves, and how to run it again ------------------------------------------------
def test_the_summary_counts_the_records_the_vendor_kept(
    mockserver: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run against a shared sandbox leaves customers, items… there, and deletes none: the
    summary did not say how many."""
    mockserver.reset()
    page = tmp_path / "run.html"
    argv = ["fuzz", "tsdigital", "--base-url", mockserver.base_url("tsdigital")]
    assert main([*argv, "--max-examples", "10", "--report", str(page)]) == 0
    tenants = mockserver.state("tsdigital")["tenants"].values()
    items = sum(len(tenant.get("items", {})) for tenant in tenants)
    assert items == mockserver.count(vendor="tsdigital", status=202) > 0
    stored = f"{items} record(s) stored by tsdigital (the harness deletes nothing"
    assert f"writes accepted: {stored}" in capsys.readouterr().out
    assert stored in page.read_text("utf-8")


def test_an_interrupted_run_counts_the_records_stored_in_the_operation_it_cut(
    mockserver: MockServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Ctrl-C during an operation lost its report, and with it the records its answers said
    were stored: "writes accepted" left out items that stay in the sandbox. The operation's
    cases and verdict stay out, as documented."""
    from fuzz.dispatch import RealRequest
    from fuzz.target import Target

    mockserver.reset()
    original, items_sent = Target.send, []

    def send(self: Target, request: RealRequest) -> httpx.Response | None:
        if request.url.endswith("/api/v3/items"):
            if len(items_sent) == 8:
                raise KeyboardInterrupt
            items_sent.append(request)
        return original(self, request)

    monkeypatch.setattr(Target, "send", send)
    page = tmp_path / "run.html"
    argv = ["fuzz", "tsdigital", "--base-url", mockserver.base_url("tsdigital")]
    assert main([*argv, "--max-examples", "20", "--report", str(page)]) == 130
    out = capsys.readouterr().out
    stored = mockserver.count(vendor="tsdigital", status=202)
    assert stored > 0
    said = f"{stored} record(s) stored by tsdigital (the harness deletes nothing"
    assert f"writes accepted: {said}" in out and said in page.read_text("utf-8")
    assert "0 cases, " in out  # the interrupted operation's cases are not counted


def test_each_plugin_counts_what_its_vendor_says_it_stored() -> None:
    from fuzz.plugins.keepit import Plugin as KeepIt
    from fuzz.plugins.quoparts import Plugin as QuoParts
    from fuzz.plugins.tsdigital import Plugin as TsDigital
    from fuzz.plugins.xtra import Plugin as Xtra

    def said(status: int, body: object) -> httpx.Response:
        return httpx.Response(status, json=body)

    row = {"errorCode": "0", "error": "", "COD_CLI_ERP": "C1", "COD_CLI": "000001"}
    refused = {**row, "errorCode": "100"}
    taken, failed = {"Item1": 1, "Item3": True}, {"Item1": 0, "Item3": False}
    cases = [
        (
            QuoParts.demo(),
            "importCli",
            said(200, {"errorCode": "0", "data": [row, refused, row]}),
            2,
        ),
        (QuoParts.demo(), "importCli", said(200, {"errorCode": "100", "data": []}), 0),
        (
            QuoParts.demo(),
            "importPvt",
            said(200, {"errorCode": "0", "data": [{"COD_DOC": "1"}]}),
            1,
        ),
        (QuoParts.demo(), "importPvt", said(200, {"errorCode": "107", "data": []}), 0),
        (QuoParts.demo(), "login", said(200, {"errorCode": "0", "data": [{"TOKEN": "t"}]}), 0),
        (
            KeepIt.demo(),
            "insertClient_v3",
            said(200, {"code": 206, "insertedObjects": [{}, {}]}),
            2,
        ),
        (KeepIt.demo(), "insertClient_v3", said(422, {"code": 422, "insertedObjects": [{}]}), 0),
        (
            Xtra.demo(),
            "updateIdentities",
            said(200, {"statusCode": 200, "result": {"records": [taken, failed]}}),
            1,
        ),
        (Xtra.demo(), "updateIdentities", said(403, {"statusCode": 403, "result": None}), 0),
        (TsDigital.demo(), "createItem", httpx.Response(202), 1),
        (TsDigital.demo(), "createItem", said(400, {"code": "400"}), 0),
        (QuoParts.demo(), "importCli", httpx.Response(200, text="<html>"), 0),
    ]
    assert [plugin.kept(operation, answer) for plugin, operation, answer, _ in cases] == [
        expected for *_, expected in cases
    ]


def test_the_report_and_the_junit_file_say_how_to_run_it_again(
    mockserver: MockServer, tmp_path: Path
) -> None:
    """Neither said the seed, the cases per operation and mode, or the harness's version."""
    from mockservers import __version__

    page, junit = tmp_path / "run.html", tmp_path / "fuzz.xml"
    assert (
        main(fuzz(mockserver, "--seed", "7", "--report", str(page), "--junit-xml", str(junit))) == 0
    )
    suite = ET.parse(junit).getroot()[0]
    assert [child.tag for child in suite][:2] == ["properties", "testcase"]  # junit-4.xsd
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties == {
        "vendor": "quoparts",
        "base-url": mockserver.base_url("quoparts"),
        "seed": "7",
        "max-examples": "4",
        "version": __version__,
    }
    text = " ".join(re.sub(r"<[^>]+>", " ", page.read_text("utf-8")).split())
    assert all(f" {name} {value} " in text for name, value in list(properties.items())[2:])
    assert main(fuzz(mockserver, "--junit-xml", str(junit))) == 0
    (seed,) = [p for p in ET.parse(junit).getroot().iter("property") if p.get("name") == "seed"]
    assert seed.get("value") == "fixed (none given)"
