"""Reading one config table into a settings dataclass: shared by the kit and every vendor."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """A config file the kit refuses, with a message naming the key."""


def settings_from(cls: type[T], section: dict[str, Any] | None, table: str) -> T:
    """Build a settings dataclass from its TOML table; unknown keys are refused."""
    section = dict(section or {})
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(section) - names
    if unknown:
        raise ConfigError(f"[{table}]: unknown keys {sorted(unknown)}; known: {sorted(names)}")
    try:
        return cls(**section)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[{table}]: {exc}") from exc
