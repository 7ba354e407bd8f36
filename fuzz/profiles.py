"""Hypothesis settings for the fuzz suites: ``ci`` (default) and ``deep`` (``FUZZ_PROFILE=deep``).

- ``ci``: derandomised (the same cases every run), no example database, few examples: the fuzz
  share of ``make test`` stays small and deterministic.
- ``deep``: many more examples, random, with the example database under ``.hypothesis/`` so a
  failure found once is replayed first next time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

DATABASE_DIR = Path(".hypothesis") / "examples"
QUIET_HEALTH_CHECKS = [
    HealthCheck.too_slow,
    HealthCheck.filter_too_much,
    HealthCheck.data_too_large,
]


@dataclass(frozen=True)
class Profile:
    """Example counts for one profile: per operation and mode, and for the state machines."""

    name: str
    examples: int
    stateful_examples: int
    stateful_steps: int

    def settings(self, max_examples: int | None = None, *, stateful: bool = False) -> settings:
        deep = self.name == "deep"
        examples = max_examples or (self.stateful_examples if stateful else self.examples)
        return settings(
            max_examples=examples,
            stateful_step_count=self.stateful_steps,
            derandomize=not deep,
            database=DirectoryBasedExampleDatabase(DATABASE_DIR) if deep else None,
            deadline=None,
            suppress_health_check=QUIET_HEALTH_CHECKS,
            print_blob=deep,
            phases=list(Phase) if deep else [Phase.explicit, Phase.generate, Phase.shrink],
        )


PROFILES = {
    "ci": Profile("ci", examples=25, stateful_examples=25, stateful_steps=15),
    "deep": Profile("deep", examples=500, stateful_examples=200, stateful_steps=40),
}


def current() -> Profile:
    """The profile named by ``FUZZ_PROFILE`` (``ci`` when unset)."""
    name = os.environ.get("FUZZ_PROFILE", "ci")
    if name not in PROFILES:
        raise ValueError(f"FUZZ_PROFILE={name!r}: one of {sorted(PROFILES)}")
    return PROFILES[name]
