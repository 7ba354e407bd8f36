"""``mockservers fuzz``: the harness's command, plugged into the ``mockservers`` CLI through the
``mockservers.commands`` entry point (the kit's own packages never import ``fuzz``)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from mockservers.cliargs import (
    CREDENTIALS_IN_URL,
    add_cacert,
    add_credentials,
    carries_credentials,
    is_http_url,
    time_limit,
)


def plugin_vendors(folder: Path) -> tuple[str, ...]:
    """The vendors with a fuzz plug-in: one per package in ``folder``, listed, not imported
    (every ``mockservers`` command registers this one, and a plug-in brings Schemathesis and
    Hypothesis with it)."""
    return tuple(sorted(p.name for p in folder.iterdir() if (p / "__init__.py").is_file()))


VENDORS = plugin_vendors(Path(__file__).with_name("plugins"))
ENV_PREFIX = "MOCKSERVERS_FUZZ_"
"""Each credential option is also read from ``MOCKSERVERS_FUZZ_<OPTION>`` (``--company-id``:
``MOCKSERVERS_FUZZ_COMPANY_ID``)."""
_RATE = re.compile(r"(?P<count>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)/s")


def rate_limit(text: str) -> float:
    """``N/s`` (``5/s``, ``0.5/s``) -> requests per second; anything else is a usage error."""
    match = _RATE.fullmatch(text.strip())
    rate = float(match["count"]) if match else 0.0
    if rate <= 0:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give requests per second as N/s, e.g. 5/s or 0.5/s (N > 0)"
        )
    return rate


def positive(text: str) -> int:
    """A whole number above 0 (cases, a budget); anything else is a usage error."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number above 0 is expected")
    return number


def base_url(text: str) -> str:
    """An http(s) URL naming a host; anything else is a usage error (it was a traceback, or a
    "cannot authenticate" after the run began); one with credentials in it is refused without
    being quoted."""
    if carries_credentials(text):
        raise argparse.ArgumentTypeError(CREDENTIALS_IN_URL)
    if not is_http_url(text):
        raise argparse.ArgumentTypeError(
            f"{text!r}: the vendor's http(s) base URL is expected, e.g. "
            "http://127.0.0.1:8000/quoparts"
        )
    return text


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser(
        "fuzz",
        help="fuzz a running server (fake or real) from the contracts",
        description="Generate requests from the contracts, send them to VENDOR at --base-url "
        "and check every answer. Exit status: 0 passed (or only failures the baseline "
        "accepts, or a dry run), 1 a check failed, 2 a usage problem or a run the server "
        "stopped before its end (incomplete). See docs/fuzzing.md.",
    )
    p.add_argument("vendor", choices=VENDORS)
    p.add_argument(
        "--base-url",
        required=True,
        type=base_url,
        metavar="URL",
        help="the vendor's baseUrl, e.g. http://127.0.0.1:8000/quoparts",
    )
    creds = p.add_argument_group(
        "credentials",
        "quoparts: --username --password; keepit: --username --password --company-id "
        "--site-id; xtra: --public-key --secret-key and/or --username --password; "
        "tsdigital: --token (without it, tokens are minted through the fake's admin API; a kit "
        "started with --admin-token needs that token in MOCKSERVERS_ADMIN_TOKEN). "
        f"Each also from the environment ({ENV_PREFIX}PASSWORD for --password…: a command "
        "line shows in ps); the option wins, an empty variable counts as unset",
    )
    add_credentials(creds, ENV_PREFIX)
    cases = p.add_argument_group("cases")
    cases.add_argument(
        "--max-examples",
        type=positive,
        default=50,
        metavar="N",
        help="cases per operation and mode (50)",
    )
    cases.add_argument("--seed", type=int, metavar="N", help="another fixed set of cases")
    sandbox = p.add_argument_group("against a shared sandbox")
    sandbox.add_argument(
        "--dry-run", action="store_true", help="print what would be sent, send nothing"
    )
    sandbox.add_argument(
        "--budget", type=positive, metavar="N", help="send at most this many requests"
    )
    sandbox.add_argument(
        "--rate-limit",
        type=rate_limit,
        metavar="N/s",
        help="at most N requests per second (e.g. 1.5/s; KeepIT allows 100 calls a minute); "
        "a 429 with Retry-After (KeepIT's without one: its window) is waited out and retried",
    )
    sandbox.add_argument(
        "--timeout",
        type=time_limit,
        default=30.0,
        metavar="SECONDS",
        help="how long each call may take, its answer read whole (30); later, it counts as "
        "no answer (the check transport)",
    )
    add_cacert(sandbox)
    out = p.add_argument_group("results")
    out.add_argument(
        "--junit-xml", metavar="FILE", help="JUnit XML, one test per operation and mode"
    )
    out.add_argument(
        "--record", metavar="FILE.har", help="every exchange as HAR 1.2, secrets masked"
    )
    out.add_argument(
        "--baseline",
        metavar="FILE",
        help="failures listed there are known: they do not fail the run; new ones do",
    )
    out.add_argument(
        "--update-baseline",
        action="store_true",
        help="write this run's failures into --baseline FILE (and exit 0)",
    )
    out.add_argument("--report", metavar="FILE.html", help="one self-contained HTML page")
    out.add_argument(
        "--show-secrets",
        action="store_true",
        help="print the reproduce: lines, and --dry-run's, with the real passwords, keys and "
        "tokens (masked as *** otherwise: a console's output goes into CI logs)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from fuzz.harness import run_harness
    except ImportError as exc:  # the fuzz extra is not installed
        extra = "pip install 'mockservers[fuzz]'"
        print(f"mockservers fuzz needs the 'fuzz' extra: {extra} ({exc})", file=sys.stderr)
        return 2
    return run_harness(args)
