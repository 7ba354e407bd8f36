"""The ``mockservers`` command: serve, proxy, replay, contracts export; other packages add their
own commands (``fuzz``) through the ``mockservers.commands`` entry point.

One module per concern: ``parser`` (the commands and their options), ``startup`` (the checks
and refusals before serve or proxy listens), ``running`` (their app under uvicorn until
stopped), ``banner``, and the commands themselves: ``serve``, ``sandbox`` (proxy and replay),
``export`` (contracts export)."""

from __future__ import annotations

from mockservers.cli.parser import build_parser


def main(argv: list[str] | None = None) -> int:
    """Run the command ``argv`` (the process's arguments when None) names; its exit status."""
    args = build_parser().parse_args(argv)
    return args.func(args)
