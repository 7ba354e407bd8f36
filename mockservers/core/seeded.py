"""Which config the kit in a shared store was seeded with, one digest per config table.

Every process of one fake must run the same config (docs/deploy.md): a process started with
another one acts as another fake on the same state (its own journal bound, its own clock, its
own accounts). The process that seeds the kit, or resets it, keeps its tables' digests in a
shared map; every process compares its own with them, says which tables differ in a warning
at start and in ``GET /__admin/health``. Digests only: the tables hold passwords.

A key each process holds for itself (``process_local``: the admin token, the CORS origins)
is left out: two processes holding different values still act as one fake.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from mockservers.core.shared import SharedMap

T = TypeVar("T")

MAP = "config"
"""The shared map holding the digests the kit was seeded with, by table."""

FORMAT = "2:"
"""What every digest kept starts with. One without it was kept in the kit's first format (the
values as written, process-local keys included): it is not compared, and the next reset
writes it again."""

_LOCAL = "mockservers.process_local"

log = logging.getLogger("mockservers")


def process_local(default: T) -> T:
    """A settings field each process holds for itself: it guards or bounds only this process's
    own answers, or only another command reads it, so two processes holding different values
    still act as one fake, and no table differs by it."""
    return dataclasses.field(default=default, metadata={_LOCAL: True})


def shared_values(settings: Any) -> dict[str, Any]:
    """A settings dataclass's values the processes of one fake must agree on, by field name.
    A vendor's ``accounts`` are taken as the vendor reads them, when its settings say how
    (``accounts_as_read()``: defaults filled in, ids as text), so that an account written
    another way is the same account."""
    values = {
        found.name: getattr(settings, found.name)
        for found in dataclasses.fields(settings)
        if not found.metadata.get(_LOCAL)
    }
    read = getattr(settings, "accounts_as_read", None)
    if "accounts" in values and read is not None:
        values["accounts"] = read()
    return values


def canonical(value: Any) -> Any:
    """The value as the config means it, however it was written: a whole-number float as an
    int (3600.0 is 3600), an instant in UTC (…T01:00:00+01:00 is …T00:00:00Z), a tuple as a
    list; within tables and lists too."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Mapping):
        return {str(key): canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    return value


def digest(values: Any) -> str:
    """A table's digest: its canonical values as JSON, keys sorted (a table written in another
    order, or a default written out, is the same table). JSON of the standard library: an int
    made of a float may pass 64 bits, which orjson refuses."""
    text = json.dumps(canonical(values), sort_keys=True, default=str)
    return FORMAT + hashlib.sha256(text.encode()).hexdigest()[:16]


class SeededConfig:
    """This process's config tables, as digests, beside those the kit was seeded with."""

    def __init__(self, tables: Mapping[str, Any], seeded: SharedMap) -> None:
        self.digests = {name: digest(values) for name, values in tables.items()}
        self.seeded = seeded
        self._said: list[str] = []

    def seed(self, tables: Iterable[str] | None = None) -> None:
        """This process seeded these tables again (every one: the whole kit), from its own
        config: their digests are the kit's now (the whole kit's, and no other). Each is
        written even when this process's copy holds it already: a shared store emptied under
        the fake (``FLUSHALL``, a Redis back without its data) is seeded from a copy still
        holding the digests of before, and writing only what differed left it none (a replica
        with another config went unreported). A few fields, at a reset only."""
        if tables is None:
            for name in [name for name in self.seeded if name not in self.digests]:
                self.seeded.delete(name)
        for name in self.digests if tables is None else tables:
            self.seeded.put(name, self.digests[name])

    def differs(self, seeded: Mapping[str, Any] | None = None) -> list[str]:
        """The tables whose seeded digest is not this process's (``seeded``: as the store keeps
        them, else this process's copy). A table with none kept, or one of another format, is
        no difference: a version of the kit that kept none, or kept another, seeded it. A
        change is logged, once: at start, or after another process's reset."""
        kept = self.seeded.data if seeded is None else seeded
        found = sorted(
            name
            for name, kept_digest in kept.items()
            if str(kept_digest).startswith(FORMAT) and kept_digest != self.digests.get(name)
        )
        if found and found != self._said:
            log.warning(
                "this process's config differs from the one the kit in the store was seeded"
                " with, in %s: every process of one fake must run the same config (restart"
                " this one with the others' file; or, once they all run this one, reset the"
                " kit, which seeds it with it: docs/deploy.md)",
                ", ".join(f"[{name}]" for name in found),
            )
        self._said = found
        return found
