"""``mockservers fuzz``: the harness's command, plugged into the ``mockservers`` CLI through the
``mockservers.commands`` entry point (the kit's own packages never import ``fuzz``)."""

from __future__ import annotations

import argparse

VENDORS = ("quoparts", "xtra", "tsdigital", "keepit")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("fuzz", help="fuzz a running server (fake or real) from the contracts")
    p.add_argument("vendor", choices=VENDORS)
    p.add_argument(
        "--base-url",
        required=True,
        help="the vendor's baseUrl, e.g. http://127.0.0.1:8000/quoparts",
    )
    p.add_argument("--username")
    p.add_argument("--password")
    p.add_argument("--public-key")
    p.add_argument("--secret-key")
    p.add_argument("--token")
    p.add_argument("--company-id")
    p.add_argument("--site-id")
    p.add_argument("--max-examples", type=int, default=50)
    p.add_argument("--seed", type=int)
    p.add_argument("--junit-xml")
    p.add_argument("--dry-run", action="store_true", help="print what would be sent, send nothing")
    p.add_argument("--budget", type=int, help="send at most this many requests")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from fuzz.harness import run_harness
    except ImportError as exc:  # the fuzz extra is not installed
        print(f"mockservers fuzz needs the 'fuzz' extra: pip install 'mockservers[fuzz]' ({exc})")
        return 2
    return run_harness(args)
