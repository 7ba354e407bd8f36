"""The harness (``mockservers fuzz``) against a running fake: it passes a healthy fake, and with a
fault injected through the admin API it exits non-zero and names the failed check."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from mockservers.cli import main
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
    assert "/quoparts/ws_quoparts.php?importCli=&token=" in out
    failures = ET.parse(report).getroot().findall(".//testcase/failure")
    assert failures, "the JUnit report has the failures"
    assert all("response_matches_contract" in f.get("message", "") for f in failures)


def test_a_wrong_status_fails_the_status_checks(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    mockserver.fault(vendor="quoparts", operation="importPvt", kind="status", status=404)
    assert main(fuzz(mockserver)) == 1
    out = capsys.readouterr().out
    assert "FAILED status_code_conformance (HTTP 404" in out
    assert "FAILED quoparts_error_codes (HTTP 404" in out
    assert re.search(r"importCli\[positive\] +4 cases  ok", out), "other operations unaffected"


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
    assert "cannot authenticate" in capsys.readouterr().out


def test_a_dropped_connection_is_a_failure(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    mockserver.fault(vendor="quoparts", operation="importPvt", kind="drop", times=1)
    assert main(fuzz(mockserver)) == 1
    assert "FAILED transport" in capsys.readouterr().out


def test_dry_run_prints_requests_and_sends_nothing(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(fuzz(mockserver, "--dry-run")) == 0
    out = capsys.readouterr().out
    assert "dry run, nothing is sent" in out
    assert out.count("curl -sS -X POST") >= 4 * 4
    assert mockserver.requests(vendor="quoparts") == []


def test_the_budget_caps_the_requests_sent(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(fuzz(mockserver, "--budget", "11")) == 0
    out = capsys.readouterr().out
    assert "request budget of 11 reached" in out
    assert len(mockserver.requests(vendor="quoparts")) == 11


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
    assert "no fuzz plug-in for 'tsdigital'" in capsys.readouterr().out


def test_missing_credentials_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fuzz", "quoparts", "--base-url", "http://127.0.0.1:9/quoparts"]) == 2
    assert "quoparts needs --username … --password …" in capsys.readouterr().out


def test_an_unreachable_server_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["fuzz", "quoparts", "--base-url", "http://127.0.0.1:9/quoparts"]
    assert main([*args, "--username", "demo", "--password", "demo"]) == 2
    assert "cannot authenticate" in capsys.readouterr().out


# -- KeepIT: four credential headers, no login ------------------------------------------------
def keepit(server: MockServer, *extra: str, password: str = "demo") -> list[str]:
    credentials = ["--username", "demo", "--password", password, "--company-id", "1"]
    return [
        *("fuzz", "keepit", "--base-url", server.base_url("keepit"), "--max-examples", "2"),
        *credentials,
        *("--site-id", "1", *extra),
    ]


def test_keepit_healthy_fake_passes(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(keepit(mockserver)) == 0
    out = capsys.readouterr().out
    assert re.search(r"insertClient_v3\[negative\] +2 cases  ok", out)
    assert "all checks passed" in out


def test_keepit_a_wrong_status_fails_the_keepit_check(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 422 in the vendor's body passes the status and response-contract checks; only the
    KeepIT check knows that nothing in these calls can clash."""
    mockserver.fault(vendor="keepit", operation="insertClient_v3", kind="status", status=422)
    assert main(keepit(mockserver)) == 1
    out = capsys.readouterr().out
    assert "FAILED keepit_outcomes (HTTP 422" in out
    assert "FAILED response_matches_contract" not in out
    assert "reproduce: curl -sS -X POST 'http://127.0.0.1:" in out
    assert "/keepit/api?cmd=insertClient_v3&appId=KEEPIT&applicationId=KEEPIT" in out


def test_keepit_wrong_credentials_stop_the_harness_with_status_2(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(keepit(mockserver, password="wrong")) == 2
    assert "cannot authenticate" in capsys.readouterr().out


def test_keepit_needs_all_four_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["fuzz", "keepit", "--base-url", "http://127.0.0.1:9/keepit", "--username", "demo"]
    assert main(args) == 2
    assert "keepit needs --username … --password … --company-id … --site-id …" in (
        capsys.readouterr().out
    )


# -- XTRA: a key pair and/or a login ------------------------------------------------------------
XTRA_KEYS = ["--public-key", "demo-public", "--secret-key", "demo-secret"]


def xtra(server: MockServer, *extra: str, examples: int = 4) -> list[str]:
    return [
        "fuzz",
        "xtra",
        "--base-url",
        server.base_url("xtra"),
        "--max-examples",
        str(examples),
        *extra,
    ]


def test_xtra_a_healthy_fake_passes_with_keys_and_login(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    args = xtra(mockserver, *XTRA_KEYS, "--username", "demo", "--password", "demo", examples=3)
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "updateIdentities[negative]" in out and "all checks passed" in out
    assert mockserver.requests(vendor="xtra", operation="login"), "it logged in"


def test_xtra_malformed_bodies_fail_and_the_check_is_named(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    mockserver.fault(vendor="xtra", operation="updateIdentities", kind="malformed")
    assert main(xtra(mockserver, *XTRA_KEYS, examples=2)) == 1
    out = capsys.readouterr().out
    assert "FAILED response_matches_contract" in out
    assert "FAILED xtra_error_codes" in out
    assert "reproduce: curl -sS -X POST 'http://127.0.0.1:" in out
    assert "/xtra/api/sync/v1/irs/update" in out
    assert re.search(r"login\[positive\] +2 cases  ok", out), "other operations unaffected"


def test_xtra_a_wrong_status_fails_the_xtra_check(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    mockserver.fault(vendor="xtra", operation="login", kind="status", status=403, times=3)
    assert main(xtra(mockserver, "--username", "demo", "--password", "demo")) == 2
    assert "cannot authenticate" in capsys.readouterr().out
    mockserver.fault(vendor="xtra", operation="updateIdentities", kind="status", status=400)
    assert main(xtra(mockserver, *XTRA_KEYS, examples=2)) == 1
    assert "FAILED xtra_error_codes (HTTP 400" in capsys.readouterr().out


def test_xtra_dry_run_shows_the_token_placeholder(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    args = xtra(mockserver, "--username", "demo", "--password", "demo", "--dry-run", examples=1)
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "AccessToken: $XTRA_TOKEN" in out
    assert mockserver.requests(vendor="xtra") == []


@pytest.mark.parametrize("given", [[], ["--public-key", "k"], ["--username", "u"]])
def test_xtra_needs_a_complete_credential_pair(
    given: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fuzz", "xtra", "--base-url", "http://127.0.0.1:9/xtra", *given]) == 2
    assert "xtra needs --public-key … --secret-key … or --username … --password …" in (
        capsys.readouterr().out
    )


# -- TS Digital: a bearer token, given or minted -------------------------------------------
def tsdigital(server: MockServer, *extra: str, examples: int = 4) -> list[str]:
    base = ["fuzz", "tsdigital", "--base-url", server.base_url("tsdigital")]
    return [*base, "--max-examples", str(examples), *extra]


def test_tsdigital_mints_its_tokens_on_a_healthy_fake_and_passes(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(tsdigital(mockserver, examples=5)) == 0
    out = capsys.readouterr().out
    assert "createItem[negative]" in out
    assert "all checks passed" in out
    statuses = {entry["status"] for entry in mockserver.requests(vendor="tsdigital")}
    assert {401, 403} <= statuses <= {202, 400, 401, 403}


def test_tsdigital_with_a_given_token_passes(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    minted = httpx.post(f"{mockserver.url}/__admin/tsdigital/tokens", json={"kind": "user"})
    assert main(tsdigital(mockserver, "--token", minted.json()["token"])) == 0
    assert "all checks passed" in capsys.readouterr().out


def test_tsdigital_with_a_bad_gateway_fault_fails_and_names_the_checks(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    mockserver.fault(vendor="tsdigital", operation="createItem", kind="status", status=502, times=2)
    assert main(tsdigital(mockserver, examples=2)) == 1
    out = capsys.readouterr().out
    assert "FAILED no_server_error (HTTP 502, 2 case(s))" in out
    assert "FAILED tsdigital_error_codes (HTTP 502" in out
    assert "reproduce: curl -sS -X POST http://127.0.0.1:" in out
    assert "/tsdigital/api/v3/items -H 'Accept: */*'" in out


def test_tsdigital_dry_run_sends_nothing_not_even_the_token_mint(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(tsdigital(mockserver, "--dry-run")) == 0
    out = capsys.readouterr().out
    assert "/__admin/tsdigital/tokens" in out
    assert "Authorization: Bearer $TSDIGITAL_TOKEN" in out
    assert mockserver.requests(vendor="tsdigital") == []
