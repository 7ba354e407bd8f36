"""What serve and proxy check before they listen, and how a refusal is said (exit status 2)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mockservers.config import Config


def fail(message: str) -> int:
    """``message`` on stderr as the command's refusal; the exit status of a usage problem."""
    print(f"mockservers: {message}", file=sys.stderr)
    return 2


def network_refusal(host: str, config: Config, exposed: str) -> str | None:
    """Why serve or proxy must not listen on ``host``: on an address other hosts reach, the
    admin API without a token would let anyone ``exposed`` (None: it may)."""
    from mockservers.core.http import loopback_name

    if loopback_name(host) or config.admin_token:
        return None
    return (
        f"refusing to bind {host} without --admin-token: the admin API "
        f"would let anyone on the network {exposed}"
    )


def serve_options_problem(args: argparse.Namespace) -> str | None:
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


def tls_options(args: argparse.Namespace) -> tuple[dict[str, str], Path | None]:
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
