"""The harness (``mockservers fuzz keepit``) against a running KeepIT fake."""

from __future__ import annotations

import re

import pytest

from mockservers.cli import main
from mockservers.testing import MockServer

pytestmark = pytest.mark.fuzz


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
    assert "cannot authenticate" in capsys.readouterr().err


def test_keepit_needs_all_four_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["fuzz", "keepit", "--base-url", "http://127.0.0.1:9/keepit", "--username", "demo"]
    assert main(args) == 2
    assert "keepit needs --username … --password … --company-id … --site-id …" in (
        capsys.readouterr().err
    )
