"""The kit's configuration: one TOML file, every key optional.

```toml
[kit]
seed = 0                      # fault-probability random sequence
max_body_bytes = 16777216     # over it: the vendor's own error with HTTP 413
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

[quoparts]                    # one table per vendor; see each vendor's settings
token_ttl_seconds = 3600
```
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mockservers.core.settings import ConfigError

__all__ = ["Config", "ConfigError"]


@dataclass(frozen=True)
class Config:
    seed: int = 0
    max_body_bytes: int = 16 * 1024 * 1024
    max_json_depth: int = 64
    admin_token: str | None = None
    cors_origins: tuple[str, ...] = ()
    clock_start: datetime | None = None
    clock_frozen: bool = False
    journal_max_entries: int = 1000
    journal_max_bytes: int = 8 * 1024 * 1024
    sessions_max: int = 100
    session_ttl_seconds: float = 3600
    session_journal_max_entries: int = 1000
    session_journal_max_bytes: int = 2 * 1024 * 1024
    vendors: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> Config:
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Config:
        data = dict(data)
        kit = dict(data.pop("kit", {}))
        clock = dict(kit.pop("clock", {}))
        journal = dict(kit.pop("journal", {}))
        session_table = dict(kit.pop("sessions", {}))
        start = clock.pop("start", None)
        if isinstance(start, str):
            try:
                start = datetime.fromisoformat(start.replace("Z", "+00:00"))
            except ValueError as exc:
                raise ConfigError(f"[kit.clock] start: not an ISO-8601 instant: {start!r}") from exc
        values = {
            "clock_start": start,
            "clock_frozen": clock.pop("frozen", False),
            "journal_max_entries": journal.pop("max_entries", 1000),
            "journal_max_bytes": journal.pop("max_bytes", 8 * 1024 * 1024),
        }
        for key in ("max", "ttl_seconds", "journal_max_entries", "journal_max_bytes"):
            if key in session_table:
                name = "sessions_max" if key == "max" else f"session_{key}"
                values[name] = session_table.pop(key)
        for section, rest in (
            ("kit.clock", clock),
            ("kit.journal", journal),
            ("kit.sessions", session_table),
        ):
            if rest:
                raise ConfigError(f"[{section}]: unknown keys {sorted(rest)}")
        for key in ("seed", "max_body_bytes", "max_json_depth", "admin_token"):
            if key in kit:
                values[key] = kit.pop(key)
        origins = kit.pop("cors_origins", [])
        if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
            raise ConfigError("[kit] cors_origins: a list of origins (strings)")
        values["cors_origins"] = tuple(origins)
        if kit:
            raise ConfigError(f"[kit]: unknown keys {sorted(kit)}")
        if start is not None and start.tzinfo is None:
            raise ConfigError("[kit.clock] start: give a time zone (e.g. a trailing Z)")
        return cls(**values, vendors=data)

    def with_overrides(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)
