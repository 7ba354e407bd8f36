"""The ``mockservers`` command: serve, proxy, replay, contracts export; other packages add their
own commands (``fuzz``) through the ``mockservers.commands`` entry point."""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import signal
import socket
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mockservers.cliargs import (
    CREDENTIALS_IN_URL,
    add_cacert,
    add_credentials,
    carries_credentials,
    credentials,
    environ,
    is_http_url,
    port,
    processes,
    time_limit,
)
from mockservers.config import Config, ConfigError
from mockservers.core.persistence import StateFileError

if TYPE_CHECKING:
    from mockservers.core.vendor import Vendor

COMMANDS = "mockservers.commands"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
"""uvicorn's levels."""


def _fail(message: str) -> int:
    print(f"mockservers: {message}", file=sys.stderr)
    return 2


def _base_url(scheme: str, host: str, port: int) -> str:
    """Where serve or proxy listens, an IPv6 address in brackets."""
    return f"{scheme}://{'[' + host + ']' if ':' in host else host}:{port}"


def _network_refusal(host: str, config: Config, exposed: str) -> str | None:
    """Why serve or proxy must not listen on ``host``: on an address other hosts reach, the
    admin API without a token would let anyone ``exposed`` (None: it may)."""
    from mockservers.core.http import loopback_name

    if loopback_name(host) or config.admin_token:
        return None
    return (
        f"refusing to bind {host} without --admin-token: the admin API "
        f"would let anyone on the network {exposed}"
    )


def serve(args: argparse.Namespace) -> int:
    """All four fakes and the admin API: one uvicorn server, or --workers on a shared store."""
    import asyncio

    from mockservers.app import SERVER_OPTIONS
    from mockservers.core.shared import StoreUnavailable
    from mockservers.serving import ServeSpec

    problem = _serve_options_problem(args)
    if problem is not None:
        return _fail(problem)
    spec = ServeSpec(
        config=args.config,
        admin_token=args.admin_token,
        state_file=args.state_file,
        store=args.store,
        cors_origins=tuple(args.cors_origin or ()),
    )
    try:
        config = spec.load_config()
    except ConfigError as exc:
        return _fail(str(exc))
    refusal = _network_refusal(args.host, config, "read and replace the fakes' state")
    if refusal is not None:
        return _fail(refusal)
    try:
        store = spec.make_store()
        if store.shared:
            asyncio.run(store.ping())  # a clear refusal now rather than a 5xx on every call
        app = spec.build() if args.workers == 1 else None
    except (StoreUnavailable, ConfigError, StateFileError, OSError, ValueError) as exc:
        return _fail(str(exc))
    try:
        tls, ca = _tls(args)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        return _fail(f"TLS: {exc}")
    base = _base_url("https" if tls else "http", args.host, args.port)
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "access_log": args.access_log,
        **SERVER_OPTIONS,
        **tls,
    }
    from mockservers.serving import tune_gc
    from mockservers.workers import Workers, serving_sockets

    try:  # listening before the banner says so; a port in use is said instead of it
        if app is None:
            workers = Workers(spec, options, args.workers)
        else:
            sockets = serving_sockets(args.host, args.port)
    except OSError as exc:
        return _fail(f"cannot listen on {base}: {exc}")
    if app is None:  # the banner once every worker serves
        return workers.run(lambda: _banner(base, config, args, ca, store.describe()))
    _banner(base, config, args, ca, store.describe())
    _exit_on_stop()
    tune_gc()
    return _serve_on(sockets, app, options)


def _serve_options_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with serve's options taken together (None: nothing)."""
    if args.workers > 1 and not args.store:
        return (
            "--workers above 1 needs --store redis://… (or MOCKSERVERS_STORE): the workers must"
            " share one state"
        )
    if args.store and args.state_file:
        return (
            "--store (or MOCKSERVERS_STORE) and --state-file are exclusive: with a store the"
            " state lives there"
        )
    if args.tls_self_signed and (args.ssl_certfile or args.ssl_keyfile):
        return "--tls-self-signed or --ssl-certfile/--ssl-keyfile, not both"
    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        return "--ssl-certfile and --ssl-keyfile go together"
    return None


def _tls(args: argparse.Namespace) -> tuple[dict[str, str], Path | None]:
    """uvicorn's certificate options for serve's (none: plain HTTP), and the local CA that
    --tls-self-signed made, if it did; a certificate that does not load raises."""
    from mockservers.serving import check_certificate, self_signed

    if args.tls_self_signed:
        ca, cert, key = self_signed(args.tls_self_signed)
        tls = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    elif args.ssl_certfile:
        ca, tls = None, {"ssl_certfile": args.ssl_certfile, "ssl_keyfile": args.ssl_keyfile}
    else:
        return {}, None
    check_certificate(tls["ssl_certfile"], tls["ssl_keyfile"])
    return tls, ca


def _exit_on_stop() -> None:
    """From the banner on, SIGTERM and SIGHUP (the terminal closed; not under ``nohup``) exit
    0: at once until uvicorn serves (nothing is in flight), then once it has answered the
    requests in flight and stopped the app (``_serve_on``; uvicorn raises a SIGTERM again once
    stopped)."""
    from mockservers.serving import on_hangup

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    on_hangup(lambda *_: sys.exit(0))


def _serve_on(sockets: list[socket.socket], app: Any, options: dict[str, Any]) -> int:
    """``app`` under uvicorn in this process, on ``sockets`` (serve's or proxy's), until SIGTERM,
    SIGHUP or Ctrl-C. The sockets listen from before the banner, which tools that start the
    command wait for: a client connecting once it is printed waits in the socket's queue while
    uvicorn starts, never refused (uvicorn binding its own socket listened 75-100 ms after it)."""
    import uvicorn

    from mockservers import logs
    from mockservers.serving import stop_on_hangup

    server = uvicorn.Server(uvicorn.Config(app, **options))  # sets up uvicorn's logging
    logs.install(access_log=bool(options.get("access_log")))
    stop_on_hangup(server)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn raises it again, after
        server.run(sockets=sockets)
    return 0


def _line(label: str, text: str) -> None:
    """One line of a banner under its label."""
    print(f"  {label:<12} {text}")


def _fake_lines(base: str, cls: type[Vendor], config: Config, note: str = "") -> None:
    """A fake's base URL on the banner, then its demo accounts."""
    _line(cls.title, f"{base}/{cls.name}{note}")
    for line in cls.demo_lines_for(config.vendors.get(cls.name)):
        _line("", f"  {line}")


def _dashboard_line(base: str) -> None:
    _line("dashboard", f"{base}/__admin/ui  (see docs/dashboard.md)")


def _banner(
    base: str, config: Config, args: argparse.Namespace, ca: Path | None, store: str
) -> None:
    """``store``: as ``GET /__admin/health`` names it (a Redis URL's credentials masked)."""
    from mockservers.vendors import VENDOR_CLASSES

    if args.state_file:
        store = f"memory, kept in {args.state_file}"
    print(f"mockservers serving on {base} (store: {store}, workers: {args.workers})")
    for cls in VENDOR_CLASSES:
        _fake_lines(base, cls, config)
    if ca is not None:
        _line("TLS", f"clients trust the local CA {ca}")
    if config.cors_origins:
        _line("CORS", ", ".join(config.cors_origins))
    _dashboard_line(base)
    # The admin line comes last: tools that start serve wait for it (the port listens).
    _line("admin", f"{base}/__admin  (see docs/admin-api.md)")
    sys.stdout.flush()


def proxy(args: argparse.Namespace) -> int:
    """The kit in front of real vendors: forward, check, journal; --shadow, --record."""
    from mockservers.serving import ServeSpec
    from mockservers.workers import serving_sockets

    upstreams: dict[str, str] = {}
    for given in args.upstream:
        vendor, sep, url = given.partition("=")
        if not sep or not is_http_url(url):
            return _fail(f"--upstream {given!r}: expected VENDOR=URL with an http(s) URL")
        if urlsplit(url).query or "#" in url:  # each call's own query replaces it
            return _fail(f"--upstream {given!r}: the vendor's base URL, without ?query or #")
        if vendor in upstreams:
            return _fail(f"--upstream {vendor}: given twice")
        upstreams[vendor] = url
    try:
        config = ServeSpec(
            config=args.config,
            admin_token=args.admin_token,
            cors_origins=tuple(args.cors_origin or ()),
        ).load_config()
    except (ConfigError, OSError) as exc:
        return _fail(str(exc))
    refusal = _network_refusal(args.host, config, "read the journal")
    if refusal is not None:
        return _fail(refusal)
    base = _base_url("http", args.host, args.port)
    try:  # a port in use is said before anything is made (the recording's folder)
        sockets = serving_sockets(args.host, args.port)
    except OSError as exc:
        return _fail(f"cannot listen on {base}: {exc}")
    try:
        return _proxy_on(sockets, base, upstreams, config, args)
    finally:
        for sock in sockets:
            sock.close()


def _proxy_on(
    sockets: list[socket.socket],
    base: str,
    upstreams: dict[str, str],
    config: Config,
    args: argparse.Namespace,
) -> int:
    """The proxy's app, served on ``sockets`` once its banner is printed (or refused, exit 2)."""
    import httpx

    from mockservers.app import SERVER_OPTIONS
    from mockservers.proxy import create_proxy_app

    try:
        app = create_proxy_app(
            upstreams,
            config,
            shadow=args.shadow,
            record=args.record,
            trusted=args.cacert,
            date_header=True,
        )
    except ConfigError as exc:
        return _fail(str(exc))
    except OSError as exc:  # the recording's folder: a file in its place, no right to make it
        return _fail(f"--record {args.record}: cannot make the recording folder: {exc}")
    except httpx.InvalidURL as exc:  # a URL urllib reads and httpx does not
        return _fail(f"--upstream: {exc}")
    _proxy_banner(base, config, app, args)
    _exit_on_stop()
    # The upstream's Date and Server headers pass through as they came: uvicorn adds none
    # (SERVER_OPTIONS: no Date; the kit's own answers, and a forwarded one without a Date,
    # carry its clock's).
    options = {"log_level": args.log_level, "server_header": False, **SERVER_OPTIONS}
    return _serve_on(sockets, app, options)


def _proxy_banner(base: str, config: Config, app: Any, args: argparse.Namespace) -> None:
    from mockservers.vendors import VENDOR_CLASSES

    print(f"mockservers proxy on {base}")
    for cls in VENDOR_CLASSES:
        upstream = app.upstreams.get(cls.name)
        if upstream is None:
            _fake_lines(base, cls, config, " (the kit's fake)")
            continue
        compared = ", compared with the built-in fake" if args.shadow else ""
        _line(cls.title, f"{base}/{cls.name} -> {upstream.shown}{compared}")
    if args.shadow and not args.config:
        _line("shadow", "demo accounts only: give --config with the sandbox's accounts")
    if args.record:
        _line("recording", str(Path(args.record) / "<vendor>-<YYYY-MM-DD>.har"))
    if config.cors_origins:
        _line("CORS", ", ".join(config.cors_origins))
    shadow = "; differences: /__admin/shadow" if args.shadow else ""
    _dashboard_line(base)
    _line("admin", f"{base}/__admin  (journal: /__admin/requests{shadow})")
    sys.stdout.flush()


def replay(args: argparse.Namespace) -> int:
    """Send a recording again; report every answer that differs (exit 1 if any)."""
    from mockservers.proxy.replay import ReplayError, read, replayed, report

    if carries_credentials(args.base_url):
        return _fail(f"--base-url: {CREDENTIALS_IN_URL}")
    if not is_http_url(args.base_url):
        return _fail(f"--base-url {args.base_url!r}: expected an http(s) URL")
    try:
        recorded = read(args.file)
        vendors = sorted({exchange.vendor for exchange in recorded})
        if len(vendors) > 1:
            return _fail(f"{args.file} holds calls to {vendors}: replay one vendor's file")
        outcomes = replayed(recorded, args.base_url, credentials(args), args.timeout, args.cacert)
    except ReplayError as exc:
        return _fail(str(exc))
    differing = report(outcomes, sys.stdout)
    sent = sum(not outcome.skipped for outcome in outcomes)
    print(f"replayed {sent} of {len(outcomes)} exchanges against {args.base_url}: ", end="")
    print(f"{differing} answered otherwise" if differing else "every answer the same")
    return 1 if differing else 0


def export_contracts(args: argparse.Namespace) -> int:
    """Every schema file, and each vendor's and the admin API's OpenAPI document (bundled:
    each works alone)."""
    import contracts

    target = Path(args.dir)
    try:
        for name in contracts.schema_names():
            destination = target / f"{name}.json"
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(contracts.CONTRACTS_DIR / f"{name}.json", destination)
        for name in contracts.documents():
            document = contracts.openapi(name)
            path = target / name / "openapi.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
            print(f"{name}: {path}")
    except OSError as exc:  # a file where the folder goes, no room, no right to write
        return _fail(f"cannot write the contracts into {target}: {exc}")
    return 0


def build_parser() -> argparse.ArgumentParser:
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
