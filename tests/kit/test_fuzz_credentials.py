"""No false alarms: every fuzz plug-in passes against a healthy fake with each credential subset
its CLI accepts, and each oracle insists on a refusal only where it knows the credentials are
wrong (``fuzz.credentials``).

The subsets with the demo credentials not listed here are in ``tests/<vendor>/test_harness.py``
and ``tests/kit/test_fuzz_harness.py`` (QuoParts; XTRA keys and login; KeepIT; TS Digital
minting its tokens, and with a ``user`` token). ``accounts_server`` has accounts beside the demo
ones: there the demo credentials Schemathesis draws from the contracts' examples belong to
another, real account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import SimpleNamespace

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz import suite
from fuzz.credentials import Known, judge
from fuzz.plugins.keepit import Plugin as KeepIt
from fuzz.plugins.keepit.checks import _authenticated
from fuzz.plugins.quoparts.checks import _login as quoparts_login
from fuzz.plugins.xtra.checks import _login as xtra_login
from fuzz.plugins.xtra.checks import _update as xtra_update
from fuzz.runner import CheckFailed
from fuzz.schema import api_operations
from mockservers.cli import main
from mockservers.testing import MockServer

DEMO_KEYS = ("--public-key", "demo-public", "--secret-key", "demo-secret")
DEMO_LOGIN_ARGS = ("--username", "demo", "--password", "demo")
ACME_KEYS = ("--public-key", "acme-public", "--secret-key", "Xtra-S3cret-key")
MARIO = ("--username", "mario", "--password", "Xtra-S3cret-pw")
ALICE = ("--username", "alice", "--password", "Quo-S3cret-pw")
ALICE_KEEPIT = ("--username", "alice", "--password", "Keep-S3cret-pw")
SITE_7_3 = ("--company-id", "7", "--site-id", "3")


@dataclass(frozen=True)
class Subset:
    vendor: str
    credentials: tuple[str, ...]
    other_accounts: bool = False  # on accounts_server
    examples: int = 4


SUBSETS = {
    # 8 cases: enough for the generated logins to include the contract's demo/demo, which a
    # plug-in given only the key pair used to call a failure (the issue's report).
    "xtra-keys-only": Subset("xtra", DEMO_KEYS, examples=8),
    "xtra-login-only": Subset("xtra", DEMO_LOGIN_ARGS),
    "xtra-other-account-keys": Subset("xtra", ACME_KEYS, True),
    "xtra-other-account-login": Subset("xtra", MARIO, True),
    "xtra-keys-and-login-of-two-accounts": Subset("xtra", (*DEMO_KEYS, *MARIO), True),
    "quoparts-other-account": Subset("quoparts", ALICE, True, examples=6),
    "keepit-other-account": Subset("keepit", (*ALICE_KEEPIT, *SITE_7_3), True, examples=3),
}


@pytest.mark.fuzz
@pytest.mark.parametrize("subset", list(SUBSETS))
def test_each_plugin_passes_a_healthy_fake_with_each_credential_subset(
    subset: str,
    mockserver: MockServer,
    accounts_server: MockServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    chosen = SUBSETS[subset]
    server = accounts_server if chosen.other_accounts else mockserver
    argv = ["fuzz", chosen.vendor, "--base-url", server.base_url(chosen.vendor)]
    argv += [*chosen.credentials, "--max-examples", str(chosen.examples)]
    assert main(argv) == 0, capsys.readouterr().out
    assert "all checks passed" in capsys.readouterr().out


@pytest.mark.fuzz
def test_tsdigital_passes_with_a_token_whose_grants_it_does_not_know(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bare app-key: the fake refuses every create with 403, which the oracle must allow."""
    minted = httpx.post(f"{mockserver.url}/__admin/tsdigital/tokens", json={"kind": "app-key"})
    argv = ["fuzz", "tsdigital", "--base-url", mockserver.base_url("tsdigital")]
    assert main([*argv, "--token", minted.json()["token"], "--max-examples", "4"]) == 0
    assert "all checks passed" in capsys.readouterr().out


# -- what the oracles know ---------------------------------------------------------------------
OURS = {"username": "alice", "password": "pw"}


@pytest.mark.parametrize(
    ("sent", "account", "known"),
    [
        ({"username": "alice", "password": "pw", "extra": "x"}, ("username",), Known.RIGHT),
        ({"username": "alice", "password": "other"}, ("username",), Known.WRONG),
        ({"username": "alice"}, ("username",), Known.WRONG),
        ({"username": "demo", "password": "demo"}, ("username",), Known.UNKNOWN),
        ({"username": "alice", "password": "other"}, None, Known.UNKNOWN),
    ],
)
def test_only_the_plugins_own_account_with_another_secret_is_known_wrong(
    sent: dict[str, str], account: tuple[str, ...] | None, known: Known
) -> None:
    assert judge(sent, OURS, account) is known
    assert judge(sent, None, account) is Known.UNKNOWN


@pytest.mark.parametrize(
    ("username", "password", "allowed"),
    [("alice", "pw", {"0"}), ("alice", "nope", {"101"}), ("demo", "demo", {"0", "101"})],
)
def test_quoparts_login_is_refused_only_for_its_own_username(
    username: str, password: str, allowed: set[str]
) -> None:
    plugin = SimpleNamespace(credentials=OURS)
    query = {"login": "", "username": username, "password": password}
    assert quoparts_login(query, plugin) == allowed


KEEPIT = {"username": "alice", "password": "pw", "companyId": "7", "siteId": "3"}


@pytest.mark.parametrize(
    ("headers", "authenticated"),
    [
        (KEEPIT, True),
        ({**KEEPIT, "password": "nope"}, False),
        ({**KEEPIT, "password": ""}, False),  # breaks the headers contract
        ({k: v for k, v in KEEPIT.items() if k != "siteId"}, False),
        ({"username": "demo", "password": "demo", "companyId": "1", "siteId": "1"}, None),
        ({**KEEPIT, "siteId": "4", "password": "nope"}, None),  # another site: another account
    ],
)
def test_keepit_refuses_only_its_own_account_with_another_password(
    headers: dict[str, str], authenticated: bool | None
) -> None:
    plugin = SimpleNamespace(headers=KEEPIT)
    assert _authenticated(httpx.Headers(headers), plugin) is authenticated


def xtra_plugin(keys: bool = True, login: bool = True) -> SimpleNamespace:
    pair = {"SyncPublicKey": "pub", "SyncSecretKey": "sec"}
    return SimpleNamespace(
        key_pair=pair if keys else None,
        login_body={"Username": "mario", "Password": "pw"} if login else None,
        sessions={},
    )


LOGIN = b'{"Username": "mario", "Password": "pw"}'
DEMO_LOGIN = b'{"Username": "demo", "Password": "demo"}'


@pytest.mark.parametrize(
    ("plugin", "headers", "body", "allowed"),
    [
        (xtra_plugin(), {}, LOGIN, {200}),
        (xtra_plugin(), {}, b'{"username": "mario", "PASSWORD": "pw"}', {200}),  # bound, as ASP.NET
        (xtra_plugin(), {}, DEMO_LOGIN, {200, 403}),  # the reported false alarm: 403 only
        (xtra_plugin(login=False), {}, DEMO_LOGIN, {200, 403}),
        (xtra_plugin(), {}, b'{"Username": "mario", "Password": "x"}', {200, 403}),
        (xtra_plugin(), {"SyncPublicKey": "pub", "SyncSecretKey": "sec"}, LOGIN, {200, 403}),
        (xtra_plugin(), {"SyncPublicKey": "pub", "SyncSecretKey": "bad"}, LOGIN, {403}),
        (xtra_plugin(), {"SyncPublicKey": "other", "SyncSecretKey": "x"}, LOGIN, {200, 403}),
        (xtra_plugin(), {"SyncPublicKey": "pub"}, LOGIN, {403}),
        (xtra_plugin(), {}, b'{"Username": ""}', {400}),
    ],
)
def test_xtra_login_insists_on_403_only_where_it_knows(
    plugin: SimpleNamespace, headers: dict[str, str], body: bytes, allowed: set[int]
) -> None:
    assert xtra_login({}, body, httpx.Headers(headers), plugin) == allowed


@pytest.mark.parametrize(
    ("plugin", "headers", "allowed"),
    [
        (xtra_plugin(), {"SyncPublicKey": "pub", "SyncSecretKey": "sec"}, {200}),
        (xtra_plugin(), {"SyncPublicKey": "pub", "SyncSecretKey": "bad"}, {403}),
        (xtra_plugin(), {"SyncPublicKey": "demo-public", "SyncSecretKey": "x"}, {200, 403}),
        (xtra_plugin(keys=False), {"SyncPublicKey": "pub", "SyncSecretKey": "sec"}, {200, 403}),
        (xtra_plugin(), {}, {403}),  # no credentials at all
        (xtra_plugin(), {"AccessToken": "never-issued"}, {403}),
    ],
)
def test_xtra_updates_insist_on_403_only_where_it_knows(
    plugin: SimpleNamespace, headers: dict[str, str], allowed: set[int]
) -> None:
    assert xtra_update({}, b"[]", httpx.Headers(headers), plugin) == allowed


@pytest.mark.parametrize(
    ("body", "allowed"),
    [
        (b'[{"ID": 1}]', {200}),
        (b'[{"ID": 1.0}]', {200}),
        (b'[{"ID": "1"}]', {200}),  # malformed: the record's ER.IR.INVAL
        (b'[{"ID": true}]', {200}),
        (b'[{"ID": 1.5}]', {200}),
        (b'[{"ID": 1, "Users": [{"ID": "1"}, "x"]}]', {200}),
        (b'[{"ID": 2}]', {403}),
        (b'[{"ID": "2"}]', {403}),  # the vendor's binders read it as 2
        (b'[{"ID": null}]', {403}),
        (b'[{"ID": 1, "Users": [{"ID": "2"}]}]', {403}),
        (b'[{"ID": 1, "Users": [{}]}]', {403}),
        (b'[{"ID": 1e300}]', {403}),
        (b'[{"ID": 1e400}]', {403}),  # past a double's range: whole as 1e300 is
        (b'[{"ID": -1e400}]', {403}),
        (b'[{"ID": 1, "Users": [{"ID": 1e400}]}]', {403}),
    ],
)
def test_xtra_access_token_reaching_beyond_is_an_id_naming_another(
    body: bytes, allowed: set[int]
) -> None:
    plugin = xtra_plugin()
    plugin.sessions["tok"] = SimpleNamespace(irid=1, user_id=1)
    assert xtra_update({}, body, httpx.Headers({"AccessToken": "tok"}), plugin) == allowed


# -- the refusals the oracles know are still probed --------------------------------------------
@pytest.mark.fuzz
def test_a_quoparts_fake_that_takes_any_password_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plug-in sends its own username with a wrong password, the refusal its oracle knows."""
    from mockservers.quoparts import models

    original = models.QuoPartsModel.login

    def any_password(self, username, password):  # type: ignore[no-untyped-def]
        return original(self, username, self.credentials.get(username, password))

    monkeypatch.setattr(models.QuoPartsModel, "login", any_password)
    with pytest.raises(CheckFailed, match=r"quoparts_error_codes.*login: errorCode '0'.*\['101'\]"):
        # 35, not the profile's 25: over 40 random seeds 25 cases missed once, 35 never.
        suite.run("quoparts", "login", "positive", 35, shrink=False)


def test_keepit_probes_its_own_account_with_a_wrong_password() -> None:
    plugin = KeepIt.demo()
    operation = api_operations("keepit")["insertClient_v3"]
    seen: set[str] = set()

    @settings(max_examples=40, derandomize=True, database=None, deadline=None)
    @given(st.data())
    def prepare(data: st.DataObject) -> None:
        case = operation.Case(headers={"username": "someone"}, body={})
        plugin.prepare(case, data.draw)
        authenticated = _authenticated(httpx.Headers(case.headers), plugin)
        probe = case.headers["username"] == "demo" and authenticated is False
        seen.add("probe" if probe else str(authenticated))

    prepare()
    assert seen == {"True", "False", "probe"}  # its own, the generated ones, the probe


@pytest.mark.fuzz
@pytest.mark.parametrize(
    ("vendor", "credentials"),
    [("quoparts", ("--username", "demo", "--password", "demo")), ("xtra", DEMO_LOGIN_ARGS)],
)
def test_a_vendor_that_revokes_older_tokens_on_a_new_login_is_no_false_alarm(
    vendor: str,
    credentials: tuple[str, ...],
    mockserver: MockServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The documents do not say whether a login keeps earlier tokens alive: the plug-in uses
    the token of its latest login (its own login cases log in again)."""
    from mockservers.core.sessions import current_id
    from mockservers.core.tokens import TokenStore

    original = TokenStore.issue

    def single_session(self, *args, **claims):  # type: ignore[no-untyped-def]
        self.drop(current_id())  # each token issued revokes every earlier one of its scope
        return original(self, *args, **claims)

    monkeypatch.setattr(TokenStore, "issue", single_session)
    argv = ["fuzz", vendor, "--base-url", mockserver.base_url(vendor), *credentials]
    assert main([*argv, "--max-examples", "4"]) == 0, capsys.readouterr().out
    assert len(mockserver.requests(vendor=vendor, operation="login")) > 1


# -- credentials from the environment ------------------------------------------------------------
def test_each_credential_option_is_read_from_the_environment_the_option_winning(
    mockserver: MockServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given only as options, a password was in ``ps`` and ``/proc/PID/cmdline`` for any user
    of the CI machine (the CI recipe passed ``--password "$KEEPIT_PASSWORD"``)."""
    argv = [
        "fuzz",
        "quoparts",
        "--base-url",
        mockserver.base_url("quoparts"),
        "--max-examples",
        "1",
    ]
    monkeypatch.setenv("MOCKSERVERS_FUZZ_USERNAME", "demo")
    monkeypatch.setenv("MOCKSERVERS_FUZZ_PASSWORD", "demo")
    assert main(argv) == 0
    assert "all checks passed" in capsys.readouterr().out
    monkeypatch.setenv("MOCKSERVERS_FUZZ_PASSWORD", "not-the-password")
    assert main([*argv, "--password", "demo"]) == 0  # the option wins
    monkeypatch.setenv("MOCKSERVERS_FUZZ_PASSWORD", "")  # empty: unset
    assert main(argv) == 2
    assert "quoparts needs --username … --password …" in capsys.readouterr().err


def test_the_help_names_each_credentials_variable(capsys: pytest.CaptureFixture[str]) -> None:
    from mockservers.cliargs import CREDENTIAL_FLAGS

    with pytest.raises(SystemExit):
        main(["fuzz", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag, metavar in CREDENTIAL_FLAGS:
        variable = "MOCKSERVERS_FUZZ_" + flag[2:].replace("-", "_").upper()
        assert f"{flag} {metavar} (env {variable})" in text


@pytest.mark.fuzz
@pytest.mark.parametrize(
    "environment",
    [{"PASSWORD": "Keep-S3cret-pw"}, {"USERNAME": "alice", "PASSWORD": "Keep-S3cret-pw"}],
    ids=["half", "whole"],
)
def test_an_xtra_key_pair_run_leaves_out_a_login_only_the_environment_gives(
    environment: dict[str, str],
    mockserver: MockServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One CI environment for every vendor holds KeepIT's username and password: the XTRA
    key-pair run was refused for half of it ("xtra needs --public-key … or --username …"), or
    logged in with the whole of it and stopped, 403."""
    for name, value in environment.items():
        monkeypatch.setenv(f"MOCKSERVERS_FUZZ_{name}", value)
    argv = ["fuzz", "xtra", "--base-url", mockserver.base_url("xtra"), *DEMO_KEYS]
    assert main([*argv, "--max-examples", "2"]) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "all checks passed" in out
    closing = re.search(r"(\d+) cases, (\d+) requests sent", out)
    assert closing is not None and closing[1] == closing[2], "a key pair alone: no login first"


@pytest.mark.parametrize(
    ("environment", "given", "said"),
    [
        # nothing else to go on: the half the environment gave is named, and where it came from
        ({"PASSWORD": "pw"}, [], "; --password from MOCKSERVERS_FUZZ_PASSWORD, without --username"),
        (
            {"USERNAME": "mario"},
            ["--public-key", "acme-public"],
            "; --public-key from the command line, without --secret-key; "
            "--username from MOCKSERVERS_FUZZ_USERNAME, without --password",
        ),
        # half a pair given on the command line is a mistake, whatever the other pair
        ({}, [*DEMO_KEYS, "--password", "pw"], "; --password from the command line, without"),
    ],
)
def test_half_an_xtra_pair_is_refused_naming_the_half_and_where_it_came_from(
    environment: dict[str, str],
    given: list[str],
    said: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(f"MOCKSERVERS_FUZZ_{name}", value)
    assert main(["fuzz", "xtra", "--base-url", "http://127.0.0.1:9/xtra", *given]) == 2
    err = capsys.readouterr().err
    assert "xtra needs --public-key … --secret-key … or --username … --password … (or both)" in err
    assert said in err
