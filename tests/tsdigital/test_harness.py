"""The harness (``mockservers fuzz tsdigital``) against a running TS Digital fake."""

from __future__ import annotations

import httpx
import pytest

from mockservers.cli import main
from mockservers.testing import MockServer

pytestmark = pytest.mark.fuzz


def tsdigital(server: MockServer, *extra: str, examples: int = 4) -> list[str]:
    base = ["fuzz", "tsdigital", "--base-url", server.base_url("tsdigital")]
    return [*base, "--max-examples", str(examples), *extra]


def test_tsdigital_mints_its_tokens_on_a_healthy_fake_and_passes(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(tsdigital(mockserver, examples=8)) == 0
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
    assert main(tsdigital(mockserver, examples=8)) == 1
    out = capsys.readouterr().out
    assert "FAILED no_server_error (HTTP 502, 2 case(s))" in out
    assert "FAILED tsdigital_error_codes (HTTP 502" in out
    assert "reproduce: curl -sS -X POST http://127.0.0.1:" in out
    assert "/tsdigital/api/v3/items --globoff --path-as-is -H 'Accept: */*'" in out


def test_tsdigital_dry_run_sends_nothing_not_even_the_token_mint(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(tsdigital(mockserver, "--dry-run")) == 0
    out = capsys.readouterr().out
    assert "/__admin/tsdigital/tokens" in out
    assert "Authorization: Bearer $TSDIGITAL_TOKEN" in out
    assert mockserver.requests(vendor="tsdigital") == []


@pytest.mark.parametrize("admin_token", ["Team-T0ken", "Tëam-T0kén"], ids=["ascii", "utf-8"])
def test_a_fake_with_an_admin_token_mints_with_the_one_in_the_environment(
    admin_token: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A team's shared fake needs an admin token (docs/deploy.md): the harness could not
    mint its tokens there, and a hand-made --token weakens what it checks. One beyond ASCII
    goes as UTF-8 bytes, as the kit reads it (httpx refused it as text)."""
    with MockServer({"kit": {"admin_token": admin_token}}) as shared:
        assert main(tsdigital(shared)) == 2  # without it: refused, said so
        assert "minting one through the admin API failed (HTTP 401)" in capsys.readouterr().err
        monkeypatch.setenv("MOCKSERVERS_ADMIN_TOKEN", admin_token)
        assert main(tsdigital(shared)) == 0
        assert "all checks passed" in capsys.readouterr().out
