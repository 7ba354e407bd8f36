"""``mockservers serve``: all four fakes and the admin API, refused (exit 2) before anything
listens when its options, config, store or certificate will not do."""

from __future__ import annotations

import argparse
from typing import Any

from mockservers.cli.banner import serve_banner
from mockservers.cli.running import base_url, exit_on_stop, serve_on
from mockservers.cli.startup import fail, network_refusal, serve_options_problem, tls_options
from mockservers.config import ConfigError
from mockservers.core.persistence import StateFileError


def serve(args: argparse.Namespace) -> int:
    """All four fakes and the admin API: one uvicorn server, or --workers on a shared store."""
    import asyncio

    from mockservers.app import SERVER_OPTIONS
    from mockservers.core.shared import StoreUnavailable
    from mockservers.serving import ServeSpec

    problem = serve_options_problem(args)
    if problem is not None:
        return fail(problem)
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
        return fail(str(exc))
    refusal = network_refusal(args.host, config, "read and replace the fakes' state")
    if refusal is not None:
        return fail(refusal)
    try:
        store = spec.make_store()
        if store.shared:
            asyncio.run(store.ping())  # a clear refusal now rather than a 5xx on every call
        app = spec.build() if args.workers == 1 else None
    except (StoreUnavailable, ConfigError, StateFileError, OSError, ValueError) as exc:
        return fail(str(exc))
    try:
        tls, ca = tls_options(args)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        return fail(f"TLS: {exc}")
    base = base_url("https" if tls else "http", args.host, args.port)
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
        return fail(f"cannot listen on {base}: {exc}")
    certfile = tls.get("ssl_certfile")
    if app is None:  # the banner once every worker serves
        return workers.run(lambda: serve_banner(base, config, args, ca, store.describe(), certfile))
    serve_banner(base, config, args, ca, store.describe(), certfile)
    exit_on_stop()
    tune_gc()
    return serve_on(sockets, app, options)
