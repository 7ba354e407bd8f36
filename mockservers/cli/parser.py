"""The ``mockservers`` command line: its commands, their options, and the commands other
packages plug in through the ``mockservers.commands`` entry point (``fuzz``)."""

from __future__ import annotations

import argparse
from importlib.metadata import entry_points

from mockservers.cli.export import export_contracts
from mockservers.cli.sandbox import proxy, replay
from mockservers.cli.serve import serve
from mockservers.cliargs import (
    add_cacert,
    add_credentials,
    environ,
    or_environment,
    port,
    processes,
    time_limit,
)

COMMANDS = "mockservers.commands"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
"""uvicorn's levels."""


def build_parser() -> argparse.ArgumentParser:
    """Every command with its options, the plugged-in ones (``fuzz``) after the kit's own."""
    parser = argparse.ArgumentParser(
        prog="mockservers",
        description="Stateful fakes of QuoParts, 4WS.KeepIT, XTRA and TS Digital: serve them, "
        "put the kit in front of a real vendor (proxy), replay a recording, export the contracts; "
        "mockservers fuzz (with the [fuzz] extra) fuzzes a running server from the contracts.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    _add_serve(commands)
    _add_proxy(commands)
    _add_replay(commands)
    _add_contracts(commands)
    for plugin in entry_points(group=COMMANDS):  # e.g. ``fuzz``, from the fuzz package
        plugin.load()(commands)
    return parser


def _add_address(parser: argparse.ArgumentParser) -> None:
    """``--host`` and ``--port``: where serve and proxy listen."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=port, default=8000)


def _add_admin_and_logging(parser: argparse.ArgumentParser) -> None:
    """serve's and proxy's ``--admin-token`` and ``--log-level``."""
    parser.add_argument(
        "--admin-token",
        default=environ("MOCKSERVERS_ADMIN_TOKEN"),
        type=or_environment("MOCKSERVERS_ADMIN_TOKEN"),  # given empty: not given
        help="required header X-Admin-Token; allows non-loopback (env MOCKSERVERS_ADMIN_TOKEN)",
    )
    parser.add_argument("--log-level", default="warning", choices=LOG_LEVELS)


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("serve", help="serve all four fakes and the admin API")
    _add_address(p)
    p.add_argument("--config", help="TOML config file")
    p.add_argument("--state-file", help="keep state in this file (survives a restart or kill -9)")
    _add_admin_and_logging(p)
    p.add_argument(
        "--access-log", action="store_true", help="log every request (shown at any --log-level)"
    )
    p.add_argument(
        "--store",
        default=environ("MOCKSERVERS_STORE"),
        help="keep everything in Redis, e.g. redis://127.0.0.1:6379/0 (env MOCKSERVERS_STORE)",
    )
    p.add_argument(
        "--workers",
        type=processes,
        default=environ("MOCKSERVERS_WORKERS") or "1",  # parsed (and refused) as given
        help="processes; above 1 needs --store (env MOCKSERVERS_WORKERS)",
    )
    p.add_argument("--ssl-certfile", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--ssl-keyfile", help="... and this private key (PEM)")
    p.add_argument(
        "--tls-self-signed",
        metavar="DIR",
        help="serve HTTPS with a local CA and a localhost certificate kept in DIR",
    )
    _add_cors_origin(p)
    p.set_defaults(func=serve)


def _add_cors_origin(parser: argparse.ArgumentParser) -> None:
    """serve's and proxy's ``--cors-origin``."""
    parser.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="allow this browser origin (repeatable), e.g. http://localhost:3000",
    )


def _add_proxy(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "proxy",
        help="the kit in front of real vendors: forward, check against the contracts, journal",
        description="Forward each call under a vendor's prefix to its upstream unchanged, check "
        "request and answer against the contracts and journal both (masked) with the verdict; "
        "vendors without --upstream are the kit's fakes. See docs/sandbox.md.",
    )
    p.add_argument(
        "--upstream",
        action="append",
        required=True,
        metavar="VENDOR=URL",
        help="forward VENDOR's calls to URL, its real base URL (repeatable)",
    )
    p.add_argument(
        "--shadow",
        action="store_true",
        help="also send each call to a built-in fake and record where its answer differs",
    )
    p.add_argument("--config", help="TOML config of the fakes and the shadow (as serve's)")
    p.add_argument("--record", metavar="DIR", help="keep the exchanges as HAR 1.2 in DIR")
    _add_address(p)
    _add_admin_and_logging(p)
    _add_cors_origin(p)
    add_cacert(p)
    p.set_defaults(func=proxy)


def _add_replay(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "replay",
        help="send a recording (HAR) again and report every answer that differs",
        description="Send the exchanges of FILE.har (mockservers proxy --record) to the "
        "vendor's base URL in order; report each answer that differs from the recorded one, "
        "generated values left out. Exit status: 0 none differs, 1 some do, 2 a usage problem.",
    )
    p.add_argument("file", metavar="FILE.har")
    p.add_argument(
        "--base-url",
        required=True,
        metavar="URL",
        help="the vendor's base URL, e.g. http://127.0.0.1:8000/quoparts",
    )
    creds = p.add_argument_group(
        "credentials",
        "what fills in the masked secrets (default: the fake's demo account); tokens come "
        "from the replayed logins, TS Digital's from --token or the fake's admin API",
    )
    add_credentials(creds, "MOCKSERVERS_REPLAY_")
    p.add_argument(
        "--timeout",
        type=time_limit,
        default=30.0,
        metavar="SECONDS",
        help="how long each call may take (30); later, it counts as a difference",
    )
    add_cacert(p)
    p.set_defaults(func=replay)


def _add_contracts(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("contracts", help="the JSON Schema contracts")
    sub = p.add_subparsers(dest="action", required=True)
    e = sub.add_parser(
        "export", help="write every schema and the OpenAPI documents (each vendor, the admin API)"
    )
    e.add_argument("dir")
    e.set_defaults(func=export_contracts)
