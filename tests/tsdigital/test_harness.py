"""The harness (``mockservers fuzz tsdigital``) against a running TS Digital fake."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

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
        assert main(tsdigital(shared)) == 2  # without it: refused, said so, and what to do
        err = capsys.readouterr().err
        assert "minting one through the admin API failed (HTTP 401)" in err
        assert err.rstrip().endswith(" (set MOCKSERVERS_ADMIN_TOKEN, or give --token)")
        monkeypatch.setenv("MOCKSERVERS_ADMIN_TOKEN", "another-T0ken")
        assert main(tsdigital(shared)) == 2
        hint = "MOCKSERVERS_ADMIN_TOKEN is not this kit's admin token: set its own"
        assert capsys.readouterr().err.rstrip().endswith(f" ({hint}, or give --token)")
        monkeypatch.setenv("MOCKSERVERS_ADMIN_TOKEN", admin_token)
        assert main(tsdigital(shared)) == 0
        assert "all checks passed" in capsys.readouterr().out


def request_ids(har: Path) -> list[str]:
    """The X-Request-ID of each createItem request recorded in ``har`` with the harness's own
    headers (a negative case that broke them keeps the ones it was generated with)."""
    from fuzz.plugins.tsdigital import APP_NAME

    ids = []
    for entry in json.loads(har.read_text("utf-8"))["log"]["entries"]:
        headers = {h["name"].lower(): h["value"] for h in entry["request"]["headers"]}
        if entry["request"]["url"].endswith("/api/v3/items") and (
            headers.get("x-app-name") == APP_NAME
        ):
            ids.append(headers["x-request-id"])
    return ids


def test_each_call_gets_a_fresh_version_4_request_id_in_every_run(
    mockserver: MockServer, tmp_path: Path
) -> None:
    """Drawn by Hypothesis, the ids repeated within a run (a handful of 202s shared one) and
    a run without --seed sent the very ids of the one before; none was a version-4 UUID."""
    runs = []
    for number in range(2):
        har = tmp_path / f"run{number}.har"
        main(tsdigital(mockserver, "--record", str(har), examples=10))
        runs.append(request_ids(har))
    first, second = runs
    assert len(first) > 10 and len(set(first)) == len(first)
    assert not set(first) & set(second)
    for sent in first + second:
        parsed = uuid.UUID(sent)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, sent)


def test_a_case_prepared_again_gets_another_request_id() -> None:
    """Hypothesis replays a case (to shrink it) with the same draws: the id is no draw."""
    from fuzz.plugins.tsdigital import Plugin
    from fuzz.schema import api_operations

    plugin = Plugin.demo()
    plugin.tokens = {"token": None}
    operation = api_operations("tsdigital")["createItem"]
    sent = []
    for _ in range(2):
        case = operation.Case(body={"name": "item"})
        plugin.prepare(case, lambda strategy: 0)
        sent.append(case.headers["X-Request-ID"])
    assert sent[0] != sent[1]


def test_the_help_names_the_admin_token_variable(capsys: pytest.CaptureFixture[str]) -> None:
    """A fake with an admin token refuses the mints: the help did not say how to pass it."""
    with pytest.raises(SystemExit):
        main(["fuzz", "--help"])
    assert "MOCKSERVERS_ADMIN_TOKEN" in " ".join(capsys.readouterr().out.split())
