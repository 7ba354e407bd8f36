"""The kit's configuration: one TOML file, every key optional.

```toml
[kit]
seed = 0                      # fault-probability random sequence
max_body_bytes = 16777216     # over it: the vendor's own error with HTTP 413
max_state_bytes = 1073741824  # PUT /__admin/state: the largest fixtures (over it: 413)
max_json_depth = 64
admin_token = "…"             # required to reach /__admin from other hosts
cors_origins = ["http://localhost:3000"]   # browsers' connectors (also: serve --cors-origin)

[kit.clock]
start = "2025-01-01T00:00:00Z"
frozen = false

[kit.journal]
max_entries = 1000
max_bytes = 8388608

[kit.sessions]                # tests sharing one server (POST /__admin/sessions)
max = 100                     # live sessions at most (memory stays bounded)
ttl_seconds = 3600            # an idle session expires after this much wall time
journal_max_entries = 1000    # each session's own journal
journal_max_bytes = 2097152

[kit.proxy]                   # mockservers proxy
deadline_seconds = 120        # one forwarded call in all; past it: the vendor's 502

[quoparts]                    # one table per vendor; see each vendor's settings
token_ttl_seconds = 3600
```
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import re
import socket
import tomllib
import typing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mockservers.core.clock import EARLIEST, LATEST
from mockservers.core.http import SHOWN_DEPTH
from mockservers.core.seeded import process_local, shared_values
from mockservers.core.settings import ConfigError, as_written, check_header_value, check_value
from mockservers.core.shared import masked_url

__all__ = ["Config", "ConfigError"]


@dataclass(frozen=True)
class Config:
    """Every key but a ``process_local`` one is a key the processes of one fake must agree on
    (``core/seeded.py``): two holding different values would answer a call differently, or
    keep another state (``max_body_bytes``: one of them answers a body the vendor's 413)."""

    seed: int = 0
    max_body_bytes: int = 16 * 1024 * 1024
    max_state_bytes: int = process_local(1024 * 1024 * 1024)
    """Process-local: it bounds what this process reads of an admin state document (a state one
    process loads is every process's)."""
    max_json_depth: int = 64
    admin_token: str | None = process_local(None)
    cors_origins: tuple[str, ...] = process_local(())
    """Process-local, as ``admin_token``: who may reach this process's admin API, which pages
    may read its answers."""
    clock_start: datetime | None = None
    clock_frozen: bool = False
    journal_max_entries: int = 1000
    journal_max_bytes: int = 8 * 1024 * 1024
    sessions_max: int = 100
    session_ttl_seconds: float = 3600
    session_journal_max_entries: int = 1000
    session_journal_max_bytes: int = 2 * 1024 * 1024
    proxy_deadline_seconds: float = process_local(120)
    """Read by ``mockservers proxy`` only, whose kit shares no store."""
    vendors: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> Config:
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:  # TOML is UTF-8
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Config:
        """The config from its TOML tables; an unknown key, a value of the wrong type or a
        value where a table belongs is refused, naming it."""
        data = dict(data)
        kit = _table(data.pop("kit", {}), "kit")
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for table, names in _KIT_TABLES.items():
            section = kit if table == "kit" else _table(kit.pop(table.split(".")[1], {}), table)
            chosen = {key: section.pop(key) for key in names if key in section}
            if section and table != "kit":
                raise ConfigError(f"[{table}]: unknown keys {sorted(section)}")
            for key, value in chosen.items():
                field_name = names[key]
                expected = str | datetime if field_name == "clock_start" else hints[field_name]
                check_value(value, expected, f"[{table}] {key}")  # the file's text, or TOML's
                values[field_name] = value
        if kit:
            raise ConfigError(f"[kit]: unknown keys {sorted(kit)}")
        for field_name, (lowest, highest) in _RANGES.items():
            value = values.get(field_name)
            if value is not None and not lowest <= value <= highest:
                key = next(
                    f"[{t}] {k}" for t, n in _KIT_TABLES.items() for k in n if n[k] == field_name
                )
                raise ConfigError(f"{key}: from {lowest} to {highest}, not {value}")
        start = values.get("clock_start")
        if isinstance(start, str):
            try:
                start = datetime.fromisoformat(start.replace("Z", "+00:00"))
            except ValueError as exc:
                raise ConfigError(f"[kit.clock] start: not an ISO-8601 instant: {start!r}") from exc
            values["clock_start"] = start
        if start is not None and start.tzinfo is None:
            raise ConfigError("[kit.clock] start: give a time zone (e.g. a trailing Z)")
        if start is not None and start > LATEST:
            raise ConfigError(f"[kit.clock] start: at the latest {LATEST:%Y-%m-%d}")
        if start is not None and start < EARLIEST:
            raise ConfigError(f"[kit.clock] start: at the earliest {EARLIEST:%Y-%m-%d}")
        values["cors_origins"] = browser_origins(
            values.get("cors_origins", ()), "[kit] cors_origins"
        )
        if values.get("admin_token"):
            check_admin_token(values["admin_token"], "[kit] admin_token")
        return cls(**values, vendors=data)

    def with_overrides(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)

    def shared_tables(self) -> dict[str, dict[str, Any]]:
        """The ``[kit…]`` tables as a process runs with them, defaults included, with only the
        keys the processes of one fake must agree on (a table with none, ``[kit.proxy]``, is
        left out)."""
        shared = shared_values(self)
        tables = {
            table: {key: shared[name] for key, name in names.items() if name in shared}
            for table, names in _KIT_TABLES.items()
        }
        return {table: values for table, values in tables.items() if values}


_KIT_TABLES: dict[str, dict[str, str]] = {
    "kit": {
        "seed": "seed",
        "max_body_bytes": "max_body_bytes",
        "max_state_bytes": "max_state_bytes",
        "max_json_depth": "max_json_depth",
        "admin_token": "admin_token",
        "cors_origins": "cors_origins",
    },
    "kit.clock": {"start": "clock_start", "frozen": "clock_frozen"},
    "kit.journal": {"max_entries": "journal_max_entries", "max_bytes": "journal_max_bytes"},
    "kit.sessions": {
        "max": "sessions_max",
        "ttl_seconds": "session_ttl_seconds",
        "journal_max_entries": "session_journal_max_entries",
        "journal_max_bytes": "session_journal_max_bytes",
    },
    "kit.proxy": {"deadline_seconds": "proxy_deadline_seconds"},
}
"""Each table's keys in the file, and the ``Config`` field each one sets."""

_RANGES: dict[str, tuple[float, float]] = {
    "max_body_bytes": (1, 2**40),
    "max_state_bytes": (1, 2**40),
    # orjson writes at most 255 levels; an admin body may nest STATE_WRAPPING levels more, and
    # the journal shows what a fake accepted as JSON (deeper: as text, unverifiable)
    "max_json_depth": (1, SHOWN_DEPTH),
    "journal_max_entries": (0, 10**9),
    "journal_max_bytes": (0, 2**40),
    "sessions_max": (0, 10**6),
    "session_ttl_seconds": (1, 100 * 365 * 86400),
    "session_journal_max_entries": (0, 10**9),
    "session_journal_max_bytes": (0, 2**40),
    # none at all would turn every forwarded call into a 502
    "proxy_deadline_seconds": (0.001, 100 * 365 * 86400),
}
"""The values each number may take: outside them a fake would refuse every body, keep a
journal of minus five entries or expire its sessions as they are made."""


def _table(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}]: a table is expected, not {as_written(value)}")
    return dict(value)


def check_admin_token(token: str, where: str) -> None:
    """Refuse an admin token no call could ever send (:func:`check_header_value`)."""
    check_header_value(token, where, "the admin token", "X-Admin-Token")


_ORIGIN = re.compile(
    r"(?P<scheme>https?)://(?P<user>[^/?#\s@]*@)?"
    r"(?P<host>\[[^\]/?#\s]*\]|[^/?#\s:@\[\]]+)(?::(?P<port>\d*))?",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def browser_origins(origins: Any, where: str) -> tuple[str, ...]:
    """CORS origins as a browser sends them (``http://localhost:3000``: a scheme, a host, maybe
    a port, nothing after), or ``*``; anything else would never match, silently. Each is
    written as a browser writes it (:func:`_canonical_origin`), each once."""
    return tuple(dict.fromkeys(_canonical_origin(origin, where) for origin in origins))


def _canonical_origin(origin: Any, where: str) -> str:
    """``origin`` as a browser's ``Origin`` header writes it, which CORS compares as text: the
    scheme and host in lower case, an IDN host in punycode, an IPv6 address compressed, no
    default port (``http://MyApp.localhost:80`` is ``http://myapp.localhost``).
    ``ConfigError`` for one no browser could send: a user in it, a port outside 1 to 65535,
    anything after the port, a host it would write otherwise (:func:`_origin_host`). A refusal
    never quotes the user, which may hold a password."""
    parts = _ORIGIN.fullmatch(origin) if isinstance(origin, str) else None
    if origin == "*":
        return origin
    try:
        host = None if parts is None else _origin_host(parts["host"])
    except ValueError as exc:
        raise ConfigError(f"{where}: {masked_url(origin)}: {exc}") from None
    if parts is None or host is None:
        quoted = as_written(masked_url(origin) if isinstance(origin, str) else origin)
        raise ConfigError(f"{where}: {quoted} is not an origin (e.g. http://localhost:3000, or *)")
    scheme = parts["scheme"].lower()
    shown = f"{scheme}://{host}"
    port = int(parts["port"]) if parts["port"] else _DEFAULT_PORTS[scheme]
    if not 1 <= port <= 65535:  # shown without its user, which may hold a password
        raise ConfigError(f"{where}: {shown}:{parts['port']}: a port is a number from 1 to 65535")
    if port != _DEFAULT_PORTS[scheme]:
        shown += f":{port}"
    if parts["user"] is not None:
        raise ConfigError(
            f"{where}: a browser's origin names no user: give {shown}, without the user@"
        )
    return shown


_NUMBER = re.compile(r"[0-9]+|0x[0-9a-f]*")
"""A host's last label that makes a browser read the host as an IPv4 address (WHATWG URL)."""


def _origin_host(host: str) -> str | None:
    """An origin's host as a browser writes it, or None (brackets around no IPv6 address);
    ``ValueError`` saying why for a host a browser would send otherwise, or not at all: one
    holding ``%`` (a browser decodes it; in brackets, an IPv6 zone), or an IPv4 address not
    written as four decimal numbers (``127.1`` is ``127.0.0.1`` to a browser)."""
    if host.startswith("["):
        if "%" in host:
            raise ValueError("a browser's origin names no IPv6 zone (%...): give the address alone")
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            return None
    if "%" in host:
        raise ValueError("a browser sends a host decoded: write it without a %-escape")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(
                "this host has no punycode form (xn--...), which a browser sends"
            ) from None
    host = host.lower()
    if not _NUMBER.fullmatch(host.removesuffix(".").rpartition(".")[2]):
        return host
    return _dotted_quad(host)


def _dotted_quad(host: str) -> str:
    """``host``, which a browser reads as an IPv4 address, if written as the browser writes it
    (four decimal numbers); ``ValueError`` naming that form, where ``inet_aton`` reads it as the
    browser does (``0x7f.1``, ``127.000.000.001``, ``2130706433``), else saying it is none."""
    with contextlib.suppress(ValueError):
        return str(ipaddress.IPv4Address(host))  # it refuses any other form (a leading 0)
    try:
        dotted = socket.inet_ntoa(socket.inet_aton(host.removesuffix(".")))
    except OSError:
        raise ValueError(
            "a host ending in a number is an IPv4 address to a browser, and this is none"
        ) from None
    raise ValueError(f"write the address as a browser does: {dotted}")
