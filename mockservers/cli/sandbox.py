"""The commands in front of a real vendor (docs/sandbox.md): ``mockservers proxy`` (forward,
check, journal; --shadow, --record) and ``mockservers replay`` (a recording sent again)."""

from __future__ import annotations

import argparse
import socket
import sys
from urllib.parse import urlsplit

from mockservers.cli.banner import proxy_banner
from mockservers.cli.running import base_url, exit_on_stop, serve_on
from mockservers.cli.startup import fail, network_refusal
from mockservers.cliargs import credentials, is_http_url
from mockservers.config import Config, ConfigError
from mockservers.core.shared import masked_url


def proxy(args: argparse.Namespace) -> int:
    """The kit in front of real vendors: forward, check, journal; --shadow, --record."""
    from mockservers.serving import ServeSpec
    from mockservers.workers import serving_sockets

    upstreams: dict[str, str] = {}
    for given in args.upstream:
        vendor, sep, url = given.partition("=")
        # Quoted with its user:password masked: a sandbox's Basic password, in a CI log.
        if not sep or not is_http_url(url):
            return fail(
                f"--upstream {masked_url(given)!r}: expected VENDOR=URL with an http(s) URL"
            )
        if urlsplit(url).query or "#" in url:  # each call's own query replaces it
            return fail(
                f"--upstream {masked_url(given)!r}: the vendor's base URL, without ?query or #"
            )
        if vendor in upstreams:
            return fail(f"--upstream {vendor}: given twice")
        upstreams[vendor] = url
    try:
        config = ServeSpec(
            config=args.config,
            admin_token=args.admin_token,
            cors_origins=tuple(args.cors_origin or ()),
        ).load_config()
    except (ConfigError, OSError) as exc:
        return fail(str(exc))
    refusal = network_refusal(args.host, config, "read the journal")
    if refusal is not None:
        return fail(refusal)
    base = base_url("http", args.host, args.port)
    try:  # a port in use is said before anything is made (the recording's folder)
        sockets = serving_sockets(args.host, args.port)
    except OSError as exc:
        return fail(f"cannot listen on {base}: {exc}")
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
        return fail(str(exc))
    except OSError as exc:  # the recording's folder: a file in its place, no right to make it
        return fail(f"--record {args.record}: cannot make the recording folder: {exc}")
    except httpx.InvalidURL as exc:  # a URL urllib reads and httpx does not
        return fail(f"--upstream: {exc}")
    proxy_banner(base, config, app, args)
    exit_on_stop()
    # The upstream's Date and Server headers pass through as they came: uvicorn adds none
    # (SERVER_OPTIONS: no Date; the kit's own answers, and a forwarded one without a Date,
    # carry its clock's).
    options = {"log_level": args.log_level, "server_header": False, **SERVER_OPTIONS}
    return serve_on(sockets, app, options)


def replay(args: argparse.Namespace) -> int:
    """Send a recording again; report every answer that differs (exit 1 if any)."""
    from mockservers.proxy.replay import ReplayError, read, replayed, report

    # A user:password in it goes as HTTP Basic, as the proxy sends --upstream's: shown masked.
    shown = masked_url(args.base_url)
    if not is_http_url(args.base_url):
        return fail(f"--base-url {shown!r}: expected an http(s) URL")
    try:
        recorded = read(args.file)
        vendors = sorted({exchange.vendor for exchange in recorded})
        if len(vendors) > 1:
            return fail(f"{args.file} holds calls to {vendors}: replay one vendor's file")
        outcomes = replayed(recorded, args.base_url, credentials(args), args.timeout, args.cacert)
    except ReplayError as exc:
        return fail(str(exc))
    differing = report(outcomes, sys.stdout)
    sent = sum(not outcome.skipped for outcome in outcomes)
    print(f"replayed {sent} of {len(outcomes)} exchanges against {shown}: ", end="")
    print(f"{differing} answered otherwise" if differing else "every answer the same")
    return 1 if differing else 0
