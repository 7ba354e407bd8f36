"""What serve and proxy print once they listen: each vendor's base URL (and demo accounts, or
its upstream), then the dashboard, and the admin line last, which tools that start them wait
for."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockservers.config import Config

if TYPE_CHECKING:
    from mockservers.core.vendor import Vendor


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


def serve_banner(
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


def proxy_banner(base: str, config: Config, app: Any, args: argparse.Namespace) -> None:
    """Each vendor's prefix with its upstream (or the kit's fake), the recording's files, the
    journal and, with --shadow, the differences."""
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
