"""A config file the kit cannot run with is refused at start, naming the key: never met later
as a 500 on every call."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mockservers import create_app
from mockservers.config import ConfigError

KEEPIT_ACCOUNT = {"username": "u", "password": "p", "company_id": "7", "site_id": "1"}

REFUSED = [
    ({"quoparts": {"token_ttl_seconds": "3600"}}, "[quoparts] token_ttl_seconds: a number"),
    ({"quoparts": {"demo_account": "no"}}, "[quoparts] demo_account: true or false"),
    ({"xtra": {"field_names_any_case": 0}}, "[xtra] field_names_any_case: true or false"),
    ({"quoparts": {"token_ttl_seconds": -5}}, "token_ttl_seconds must be a number of seconds"),
    ({"xtra": {"token_ttl_seconds": 0}}, "token_ttl_seconds must be a number of seconds of at"),
    # under the clock's microsecond: a token dead when issued, a window that limits nothing
    ({"quoparts": {"token_ttl_seconds": 1e-7}}, "[quoparts]: token_ttl_seconds must be a number"),
    ({"xtra": {"token_ttl_seconds": 9e-7}}, "[xtra]: token_ttl_seconds must be a number"),
    ({"tsdigital": {"token_ttl_seconds": 1e-7}}, "[tsdigital]: token_ttl_seconds must be a"),
    ({"keepit": {"rate_limit_window_seconds": 1e-7}}, "[keepit]: rate_limit_window_seconds must"),
    ({"tsdigital": {"token_ttl_seconds": 0}}, "token_ttl_seconds must be a number of seconds"),
    ({"quoparts": 3}, "[quoparts]: a table is expected, not 3"),
    ({"keepit": {"success_message": "{}"}}, "[keepit]: success_message: unknown placeholders"),
    ({"keepit": {"success_message": "{count"}}, "[keepit]: success_message: "),
    ({"keepit": {"success_message": "{count:q}"}}, "[keepit]: success_message: "),
    (  # a traceback at start: the nested name is looked up only when the message is formatted
        {"keepit": {"success_message": "{count:{x}} record"}},
        "[keepit]: success_message: unknown placeholder {x} inside a format spec",
    ),
    ({"keepit": {"success_message": "{count:{}}"}}, "[keepit]: success_message: unknown"),
    # credentials sent in headers that no header can carry as they are: never authenticated
    (
        {"xtra": {"accounts": [{"public_key": "p\x07b", "secret_key": "s"}]}},
        "[xtra]: account 'p\\x07b': its public_key holds a control character, which no"
        " SyncPublicKey header",
    ),
    (
        {"xtra": {"accounts": [{"public_key": "pub", "secret_key": "s\nx"}]}},
        "[xtra]: account 'pub': its secret_key holds a control character, which no SyncSecretKey",
    ),
    (
        {"keepit": {"accounts": [KEEPIT_ACCOUNT | {"username": " u"}]}},
        "its username has leading or trailing whitespace (a file's trailing newline?), which HTTP"
        " strips from the username header",
    ),
    (
        {"keepit": {"accounts": [KEEPIT_ACCOUNT | {"company_id": "7\t"}]}},
        "its company_id has leading or trailing whitespace (a file's trailing newline?), which"
        " HTTP strips from the companyId header",
    ),
    (
        {"keepit": {"accounts": [KEEPIT_ACCOUNT | {"site_id": "1\x7f2"}]}},
        "its site_id holds a control character, which no siteId header can carry",
    ),
    ({"keepit": {"rate_limit_calls": 1.5}}, "[keepit] rate_limit_calls: an integer"),
    ({"tsdigital": {"processing_delay_seconds": True}}, "processing_delay_seconds: a number"),
    # dates past the year 9999 cannot be written: every call would have been a 500
    ({"xtra": {"token_ttl_seconds": 1e12}}, "token_ttl_seconds must be a number of seconds"),
    ({"tsdigital": {"processing_delay_seconds": -1}}, "processing_delay_seconds must be"),
    ({"tsdigital": {"processing_delay_seconds": 1e12}}, "processing_delay_seconds must be"),
    # TOML's inf: every call over the limit was a 500 (its Retry-After no integer)
    ({"keepit": {"rate_limit_window_seconds": float("inf")}}, "rate_limit_window_seconds must"),
    ({"keepit": {"rate_limit_window_seconds": float("nan")}}, "rate_limit_window_seconds must"),
    ({"keepit": {"rate_limit_window_seconds": 0}}, "rate_limit_window_seconds must"),
    ({"keepit": {"rate_limit_window_seconds": 1e12}}, "rate_limit_window_seconds must"),
    ({"kit": {"clock": {"start": "9999-12-31T23:30:00Z"}}}, "start: at the latest 9000-01-01"),
    ({"kit": 5}, "[kit]: a table is expected"),
    ({"kit": {"seed": "abc"}}, '[kit] seed: an integer is expected, not "abc"'),
    ({"kit": {"max_body_bytes": "big"}}, "[kit] max_body_bytes: an integer"),
    ({"kit": {"admin_token": 5}}, "[kit] admin_token: a string is expected, not 5"),
    ({"kit": {"clock": {"frozen": "yes"}}}, "[kit.clock] frozen: true or false"),
    ({"kit": {"clock": 3}}, "[kit.clock]: a table is expected"),
    ({"kit": {"journal": {"max_entries": "x"}}}, "[kit.journal] max_entries: an integer"),
    ({"kit": {"sessions": {"ttl_seconds": "1h"}}}, "[kit.sessions] ttl_seconds: a number"),
    ({"kit": {"cors_origins": ["localhost:3000"]}}, '"localhost:3000" is not an origin'),
    ({"kit": {"cors_origins": ["http://a.test/app"]}}, '"http://a.test/app" is not an origin'),
    ({"kit": {"cors_origins": [3]}}, "3 is not an origin"),
    # they started and never matched: a browser's Origin has neither
    ({"kit": {"cors_origins": ["http://a:99999"]}}, "http://a:99999: a port is a number from 1"),
    (
        {"kit": {"cors_origins": ["http://u:S3cret@host:3000"]}},
        "[kit] cors_origins: a browser's origin names no user: give http://host:3000, without",
    ),
    ({"kit": {"cors_origins": ["http://[nowhere]:3000"]}}, "is not an origin"),
    # a browser sends an IPv4 address as four decimal numbers: these never matched
    ({"kit": {"cors_origins": ["http://127.000.000.001:3000"]}}, "a browser does: 127.0.0.1"),
    ({"kit": {"cors_origins": ["http://2130706433"]}}, "as a browser does: 127.0.0.1"),
    ({"kit": {"cors_origins": ["http://0x7f.1"]}}, "0x7f.1: write the address as a browser"),
    ({"kit": {"cors_origins": ["http://127.1:3000"]}}, "as a browser does: 127.0.0.1"),
    ({"kit": {"cors_origins": ["http://999.1.1.1"]}}, "an IPv4 address to a browser, and this"),
    ({"kit": {"cors_origins": ["http://my%2Dapp.test"]}}, "without a %-escape"),
    ({"kit": {"cors_origins": ["http://[fe80::1%25eth0]:3000"]}}, "names no IPv6 zone"),
    ({"kit": {"cors_origins": ["http://a\u06dd.test"]}}, "this host has no punycode form"),
    # the password stays out of the refusal
    (
        {"kit": {"cors_origins": ["https://deploy:S3cretTok@app.example.com/"]}},
        '[kit] cors_origins: "https://***@app.example.com/" is not an origin',
    ),
    ({"kit": {"cors_origins": ["http://u:S3cret@127.1"]}}, "http://***@127.1: write the"),
    (
        {"quoparts": {"accounts": [{"username": "a", "password": "b", "extra": 1}]}},
        "[quoparts]: accounts: unknown keys ['extra']",
    ),
    (
        {"quoparts": {"accounts": [{"username": "demo", "password": "other"}]}},
        "two accounts with username 'demo'",
    ),
    # a refusal a connector would read as a success, or no code at all
    ({"quoparts": {"login_error_code": "0"}}, 'a code of digits other than "0"'),
    ({"quoparts": {"auth_error_code": ""}}, "auth_error_code and auth_error_message must"),
    (
        {"keepit": {"accounts": [{"username": "a", "password": "b", "company_id": 1}]}},
        "each of accounts needs username, password, company_id, site_id",
    ),
    # a value of another type was taken as its str(): username = true logged in as "True"
    (
        {"quoparts": {"accounts": [{"username": "a", "password": {"pin": 1234}}]}},
        "[quoparts]: accounts: password: a string is expected, not a table",
    ),
    (
        {"keepit": {"accounts": [{"username": 7, "password": "b", "company_id": 1, "site_id": 1}]}},
        "[keepit]: accounts: username: a string is expected, not an integer",
    ),
    (
        {
            "keepit": {
                "accounts": [{"username": "a", "password": "b", "company_id": 7.5, "site_id": 1}]
            }
        },
        "[keepit]: accounts: company_id: a string or an integer is expected, not a number",
    ),
    # a value the login's contract refuses: an account that loaded but never logged in
    (
        {"quoparts": {"accounts": [{"username": "u1", "password": ""}]}},
        "[quoparts]: accounts: the account with username 'u1': password: a non-empty string is"
        " expected, as quoparts/login.query says: no call could send it",
    ),
    (
        {"quoparts": {"accounts": [{"username": "", "password": "p"}]}},
        "[quoparts]: accounts: the account with username '': username: a non-empty string",
    ),
    (
        {
            "keepit": {
                "accounts": [{"username": "a", "password": "", "company_id": 1, "site_id": 1}]
            }
        },
        "[keepit]: accounts: the account with username 'a', company_id '1', site_id '1':"
        " password: a non-empty string is expected, as keepit/insertClient_v3.headers says",
    ),
    (
        {
            "keepit": {
                "accounts": [{"username": "a", "password": "b", "company_id": 1, "site_id": ""}]
            }
        },
        "site_id '': site_id: a non-empty string is expected",
    ),
    # numbers outside their range: every body refused, or (a TTL of 1e300) every session
    # call a 500
    ({"kit": {"max_json_depth": 0}}, "[kit] max_json_depth: from 1 to 200, not 0"),
    ({"kit": {"max_json_depth": 1000}}, "[kit] max_json_depth: from 1 to 200"),
    ({"kit": {"max_body_bytes": -1}}, "[kit] max_body_bytes: from 1 to"),
    ({"kit": {"max_state_bytes": 0}}, "[kit] max_state_bytes: from 1 to"),
    ({"kit": {"sessions": {"ttl_seconds": 1e300}}}, "[kit.sessions] ttl_seconds: from 1 to"),
    ({"kit": {"sessions": {"max": -5}}}, "[kit.sessions] max: from 0 to"),
    ({"kit": {"journal": {"max_entries": -1}}}, "[kit.journal] max_entries: from 0 to"),
    ({"kit": {"proxy": {"deadline_seconds": 0}}}, "[kit.proxy] deadline_seconds: from 0.001"),
    ({"kit": {"proxy": {"deadline": 60}}}, "[kit.proxy]: unknown keys ['deadline']"),
    ({"kit": {"clock": {"start": "0001-01-01T00:00:00Z"}}}, "start: at the earliest 1970-01-01"),
    # "x/y" + "z" and "x" + "y/z" would be one tenant, "x/y/z": two accounts' data mixed
    (
        {
            "keepit": {
                "accounts": [
                    {"username": "a", "password": "b", "company_id": "x/y", "site_id": "z"}
                ]
            }
        },
        "company_id 'x/y' may not hold '/'",
    ),
    (
        {
            "xtra": {
                "accounts": [
                    {
                        "public_key": "p",
                        "secret_key": "s",
                        "users": [{"username": "u", "password": "p", "irid": 2**31}],
                    }
                ]
            }
        },
        "needs irid from 1 to 2147483647 (an XTRA ID is an Int32)",
    ),
]


@pytest.mark.parametrize(("config", "message"), REFUSED)
def test_a_config_the_kit_cannot_run_with_is_refused_naming_the_key(
    config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        create_app(config)
    assert message in str(refused.value)


def test_a_microsecond_is_the_shortest_lifetime_and_window_taken() -> None:
    """The clock's unit: shorter ones are refused above; a delay may still be 0."""
    config = {
        "xtra": {"token_ttl_seconds": 0.000001},
        "keepit": {"rate_limit_window_seconds": 0.000001},
        "tsdigital": {"processing_delay_seconds": 0},
    }
    kit = create_app(config).state.kit
    assert kit.vendors["xtra"].settings.token_ttl_seconds == 0.000001


def test_values_as_toml_gives_them_are_taken() -> None:
    """An integer where a number is expected, a TOML date-time, a list for a tuple."""
    from datetime import UTC, datetime

    config = {
        "kit": {
            "clock": {"start": datetime(2025, 1, 1, tzinfo=UTC)},
            "sessions": {"max": 5},
            "cors_origins": ["https://erp.example:8443", "*"],
        },
        "quoparts": {"token_ttl_seconds": 60, "demo_account": False},
        "tsdigital": {"shadow_token_grants": ["special"]},
        "keepit": {"accounts": [{"username": "u", "password": "p", "company_id": 7, "site_id": 1}]},
    }
    kit = create_app(config).state.kit
    assert kit.vendors["quoparts"].settings.token_ttl_seconds == 60
    assert kit.vendors["tsdigital"].settings.shadow_token_grants == ["special"]


WRONG_AT_START = [
    (
        '[quoparts]\ntoken_ttl_seconds = "3600"\n',
        '[quoparts] token_ttl_seconds: a number is expected, not "3600"',
    ),
    (
        "[quoparts]\naccounts = [{ username = true, password = { pin = 1234 } }]\n",
        "[quoparts]: accounts: username: a string is expected, not a boolean",
    ),
    (  # the password is not shown
        '[keepit]\naccounts = [{ username = "u", password = 1234, company_id = 7, site_id = 1 }]\n',
        "[keepit]: accounts: password: a string is expected, not an integer",
    ),
    (  # the empty password is no call's: the account could never log in
        '[quoparts]\naccounts = [{ username = "u1", password = "" }]\n',
        "[quoparts]: accounts: the account with username 'u1': password: a non-empty string is"
        " expected, as quoparts/login.query says: no call could send it",
    ),
    (
        "[keepit]\nrate_limit_calls = 1\nrate_limit_window_seconds = inf\n",
        "[keepit]: rate_limit_window_seconds must be a number of seconds of at least 0.000001"
        " (the kit's clock's microsecond), at most 3153600000",
    ),
    (  # no header carries a newline: the account could never authenticate
        '[keepit]\naccounts = [{ username = "u", password = "p\\nq", company_id = 1,'
        " site_id = 1 }]\n",
        "[keepit]: accounts: the account with username 'u', company_id '1', site_id '1': its"
        " password holds a control character, which no password header can carry: no call could"
        " match it",
    ),
    (  # HTTP strips it from the SyncSecretKey header: every call refused
        '[[xtra.accounts]]\npublic_key = "pub"\nsecret_key = "s3cret "\n',
        "[xtra]: account 'pub': its secret_key has leading or trailing whitespace (a file's"
        " trailing newline?), which HTTP strips from the SyncSecretKey header: no call could"
        " match it",
    ),
    (  # every successful call would have been a 500
        '[keepit]\nsuccess_message = "{n} record inseriti/aggiornati"\n',
        "[keepit]: success_message: unknown placeholders ['n']; its one placeholder is {count},"
        " the records inserted or updated (write a brace as {{ or }})",
    ),
    (  # a token dead when issued: every call with it refused as expired
        "[xtra]\ntoken_ttl_seconds = 0.0000001\n",
        "[xtra]: token_ttl_seconds must be a number of seconds of at least 0.000001"
        " (the kit's clock's microsecond), at most 3153600000",
    ),
]


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize(("text", "message"), WRONG_AT_START)
def test_serve_refuses_a_wrong_value_at_start(
    tmp_path: Path, workers: str, text: str, message: str
) -> None:
    """With workers too, where each worker builds the vendors again: the command checks first."""
    config = tmp_path / "kit.toml"
    config.write_text(text)
    command = [sys.executable, "-m", "mockservers.cli", "serve", "--config", str(config)]
    command += ["--workers", workers, "--store", "redis://127.0.0.1:1/0"] if workers != "1" else []
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"mockservers: {message}"


def test_a_config_file_that_is_not_utf8_is_refused_naming_it(tmp_path: Path) -> None:
    """TOML is UTF-8: another encoding was a traceback."""
    from mockservers.config import Config

    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[quoparts]\nauth_error_message = "Utente non accreditato \xe0"\n')
    with pytest.raises(ConfigError, match="is not valid TOML"):
        Config.load(path)


def test_the_ranges_the_config_file_documents_are_the_code_s() -> None:
    """docs/configuration.md gave lower bounds only: its table of ranges gives each key's
    bounds as the code enforces them."""
    from mockservers.config import _KIT_TABLES, _RANGES
    from mockservers.core.adminapi import MAX_SECONDS
    from mockservers.xtra.settings import INT32_MAX

    text = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text("utf-8")
    rows = text[text.index("### Ranges") : text.index("## The clock")].splitlines()

    def row(*names: str) -> str:
        return next(line for line in rows if all(name in line for name in names))

    for table, names in _KIT_TABLES.items():
        for key, field_name in names.items():
            if field_name in _RANGES:
                lowest, highest = _RANGES[field_name]
                found = row(f"`[{table}] {key}`")
                assert f"| {lowest:g} | {highest:,.0f}" in found, (table, key, found)
    assert "| 0.000001, " in row("`token_ttl_seconds`", "`rate_limit_window_seconds`")
    assert f"| {MAX_SECONDS:,} |" in row("`token_ttl_seconds`", "`rate_limit_window_seconds`")
    assert f"| 1 | {INT32_MAX:,} " in row("`irid`")
