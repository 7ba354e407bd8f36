"""The harness (``mockservers fuzz xtra``) against a running XTRA fake."""

from __future__ import annotations

import re

import pytest

from mockservers.cli import main
from mockservers.testing import MockServer

pytestmark = pytest.mark.fuzz


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
    assert "cannot authenticate" in capsys.readouterr().err
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
        capsys.readouterr().err
    )
