"""The ``mockservers`` command: serve, contracts export; other packages add their own commands
(``fuzz``) through the ``mockservers.commands`` entry point."""

from __future__ import annotations

import argparse
import ipaddress
import json
import shutil
import signal
import sys
from importlib.metadata import entry_points
from pathlib import Path

from mockservers.config import Config, ConfigError
from mockservers.core.persistence import StateFileError

COMMANDS = "mockservers.commands"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mockservers import logs
    from mockservers.app import SERVER_OPTIONS, create_app

    try:
        config = Config.load(args.config) if args.config else Config()
    except ConfigError as exc:
        print(f"mockservers: {exc}", file=sys.stderr)
        return 2
    if args.admin_token:
        config = config.with_overrides(admin_token=args.admin_token)
    if not _is_loopback(args.host) and not config.admin_token:
        print(
            f"mockservers: refusing to bind {args.host} without --admin-token: the admin API "
            "would let anyone on the network read and replace the fakes' state",
            file=sys.stderr,
        )
        return 2
    try:
        app = create_app(config, state_file=args.state_file)
    except (ConfigError, StateFileError, OSError, ValueError) as exc:
        print(f"mockservers: {exc}", file=sys.stderr)
        return 2
    base = f"http://{'[' + args.host + ']' if ':' in args.host else args.host}:{args.port}"
    print(f"mockservers serving on {base}")
    for name, vendor in app.state.vendors.items():
        print(f"  {vendor.title:<12} {base}/{name}")
        for line in vendor.demo_lines():
            print(f"  {'':<12}   {line}")
    print(f"  {'admin':<12} {base}/__admin  (see docs/admin-api.md)")
    sys.stdout.flush()
    # uvicorn finishes in-flight requests on SIGTERM, then re-raises the signal: exit 0 then.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    logs.install()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=args.access_log,
        **SERVER_OPTIONS,
    )
    return 0


def export_contracts(args: argparse.Namespace) -> int:
    """Every schema file, and each vendor's and the admin API's OpenAPI document (bundled:
    each works alone)."""
    import contracts

    target = Path(args.dir)
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
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockservers", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("serve", help="serve all four fakes and the admin API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--config", help="TOML config file")
    p.add_argument("--state-file", help="keep state in this file (survives a restart or kill -9)")
    p.add_argument("--admin-token", help="required header X-Admin-Token; allows non-loopback")
    p.add_argument("--log-level", default="warning")
    p.add_argument("--access-log", action="store_true", help="log every request")
    p.set_defaults(func=serve)

    p = commands.add_parser("contracts", help="the JSON Schema contracts")
    sub = p.add_subparsers(dest="action", required=True)
    e = sub.add_parser(
        "export", help="write every schema and the OpenAPI documents (each vendor, the admin API)"
    )
    e.add_argument("dir")
    e.set_defaults(func=export_contracts)

    for plugin in entry_points(group=COMMANDS):  # e.g. ``fuzz``, from the fuzz package
        plugin.load()(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
