"""What serve and proxy print once they listen: each vendor's base URL (and demo accounts, or
its upstream), then the dashboard, and the admin line last, which tools that start them wait
for."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockservers.cli.running import base_url
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


def _unverified(certfile: str, host: str, port: int) -> str | None:
    """What to say when a client reaching the banner's ``host`` would refuse the certificate
    (None: it verifies it): the names it is for, and a URL a client verifies."""
    from mockservers.certificates import load, names, verifies

    named = names(load(Path(certfile)))
    if verifies(named, host):
        return None
    if not named:
        return f"{certfile} names no host (no subjectAltName): clients that verify it refuse it"
    reach = next((name for name in named if not name.startswith("*.")), None)
    example = f" ({base_url('https', reach, port)})" if reach is not None else ""
    return (
        f"the certificate names {', '.join(named)}, not {host}: clients that verify it reach"
        f" the fake by such a name{example}"
    )


def serve_banner(
    base: str,
    config: Config,
    args: argparse.Namespace,
    ca: Path | None,
    store: str,
    certfile: str | None,
) -> None:
    """``store``: as ``GET /__admin/health`` names it (a Redis URL's credentials masked);
    ``certfile``: the certificate served, if any."""
    from mockservers.vendors import VENDOR_CLASSES

    if args.state_file:
        store = f"memory, kept in {args.state_file}"
    print(f"mockservers serving on {base} (store: {store}, workers: {args.workers})")
    for cls in VENDOR_CLASSES:
        _fake_lines(base, cls, config)
    if ca is not None:
        _line("TLS", f"clients trust the local CA {ca}")
    unverified = _unverified(certfile, args.host, args.port) if certfile else None
    if unverified is not None:
        _line("TLS", unverified)
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
