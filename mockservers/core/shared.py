"""What the kit keeps, written so that one store or many processes can hold it.

Everything mutable the kit keeps (tokens, rate-limit windows, faults, the clock, sessions,
coverage counters, the journal, the vendors' state) is a *replicated object*: it has a name,
changes only through its own operations, and tells the store's recorder of each one as
``(name, operation, arguments)``. The in-memory store has no recorder (no cost); a shared store
records the operations of a request, commits them before its answer leaves, and replays other
processes' operations on its own copy with ``apply(operation, arguments)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import unquote_plus

if TYPE_CHECKING:
    from mockservers.core.windows import Windows

T = TypeVar("T")

Recorder = Callable[[str, str, tuple[Any, ...]], None]
"""(object name, operation, arguments): one write, as the store records it."""


class StoreUnavailable(RuntimeError):
    """A shared store cannot be reached (or refused a commit): the call is answered with the
    vendor's 5xx body, and nothing it did is kept."""


class Replicated(Protocol):
    name: str

    def apply(self, operation: str, args: tuple[Any, ...]) -> None:
        """Replay another process's operation (without recording it again)."""


class SharedMap:
    """A dict of JSON values (operations ``put``, ``delete``, ``clear``)."""

    __slots__ = ("data", "name", "record")

    def __init__(self, name: str, record: Recorder | None = None) -> None:
        self.name = name
        self.data: dict[str, Any] = {}
        self.record = record

    def get(self, key: str | None, default: Any = None) -> Any:
        return self.data.get(key, default)  # type: ignore[arg-type]

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __contains__(self, key: object) -> bool:
        return key in self.data

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def items(self) -> Any:
        return self.data.items()

    def values(self) -> Any:
        return self.data.values()

    def put(self, key: str, value: Any) -> None:
        self.data[key] = value
        if self.record is not None:
            self.record(self.name, "put", (key, value))

    def delete(self, key: str) -> None:
        if self.data.pop(key, None) is not None and self.record is not None:
            self.record(self.name, "delete", (key,))

    def clear(self) -> None:
        self.data.clear()
        if self.record is not None:
            self.record(self.name, "clear", ())

    def apply(self, operation: str, args: tuple[Any, ...]) -> None:
        if operation == "put":
            self.data[args[0]] = args[1]
        elif operation == "delete":
            self.data.pop(args[0], None)
        elif operation == "clear":
            self.data.clear()
        else:
            raise ValueError(f"{self.name}: unknown operation {operation!r}")

    def replace(self, data: dict[str, Any]) -> None:
        """Take ``data`` as the whole map, recording nothing (a shared store's reload)."""
        self.data = data


class GroupedMap(SharedMap):
    """A shared map whose keys are also kept by the group ``group_of`` names for each value
    (tokens by the scope that owns them): one group's keys are found without a pass over the
    whole map. The groups follow every write, this process's own and those it replays."""

    __slots__ = ("group_of", "groups")

    def __init__(
        self, name: str, group_of: Callable[[Any], Any], record: Recorder | None = None
    ) -> None:
        super().__init__(name, record)
        self.group_of = group_of
        self.groups: dict[Any, set[str]] = {}

    def group(self, name: Any) -> AbstractSet[str]:
        """The keys of one group (empty when it has none); read it, never change it."""
        return self.groups.get(name, _NO_KEYS)

    def put(self, key: str, value: Any) -> None:
        old = self.data.get(key)
        if old is not None:
            self._leave(key, old)
        self._join(key, value)
        super().put(key, value)

    def delete(self, key: str) -> None:
        old = self.data.get(key)
        if old is not None:
            self._leave(key, old)
        super().delete(key)

    def clear(self) -> None:
        self.groups = {}
        super().clear()

    def apply(self, operation: str, args: tuple[Any, ...]) -> None:
        if operation in ("put", "delete"):
            old = self.data.get(args[0])
            if old is not None:
                self._leave(args[0], old)
            if operation == "put":
                self._join(args[0], args[1])
        elif operation == "clear":
            self.groups = {}
        super().apply(operation, args)

    def replace(self, data: dict[str, Any]) -> None:
        super().replace(data)
        self.groups = {}
        for key, value in data.items():
            self._join(key, value)

    def _join(self, key: str, value: Any) -> None:
        group = self.group_of(value)
        keys = self.groups.get(group)
        if keys is None:
            keys = self.groups[group] = set()
        keys.add(key)

    def _leave(self, key: str, value: Any) -> None:
        """``key``, holding ``value`` until now, out of its group (gone once empty)."""
        group = self.group_of(value)
        keys = self.groups.get(group)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self.groups[group]


_NO_KEYS: frozenset[str] = frozenset()


class Store:
    """Where the kit keeps what it keeps. The default: this process's memory, nothing shared.

    ``run(work)`` runs a request's reads and writes as one transaction: here simply the call; a
    shared store first brings this process up to date and commits the writes before returning.
    """

    shared = False

    def __init__(self) -> None:
        self.objects: dict[str, Replicated] = {}
        self.on_empty: Callable[[], None] = lambda: None
        """Set by the app (a shared store holding nothing of this kit gets a fresh kit)."""
        self.state_file: str | None = None
        """Set by the app when ``--state-file`` keeps every write of this memory in a file."""
        self.loaded_at = -math.inf
        """The wall time (``time.time``) since when this process's copy is the store's, its
        clock among it: a shared store's process that started without it ran on its own until
        then. In memory: always."""

    def recorder(self) -> Recorder | None:
        return None

    def map(self, name: str) -> SharedMap:
        """The shared map called ``name`` (made on first use)."""
        found = self.objects.get(name)
        if found is None:
            found = SharedMap(name, self.recorder())
            self.register(found)
        assert isinstance(found, SharedMap)
        return found

    def grouped_map(self, name: str, group_of: Callable[[Any], Any]) -> GroupedMap:
        """The shared map called ``name``, its keys grouped by ``group_of`` of their values
        (made on first use)."""
        found = self.objects.get(name)
        if found is None:
            found = GroupedMap(name, group_of, self.recorder())
            self.register(found)
        assert isinstance(found, GroupedMap)
        return found

    def register(self, obj: Replicated) -> None:
        self.objects[obj.name] = obj

    def windows(self, name: str) -> Windows:
        """The sliding windows called ``name`` (made on first use)."""
        from mockservers.core.windows import Windows  # windows -> sessions -> shared

        found = self.objects.get(name)
        if found is None:
            found = Windows(name, self.recorder())
            self.register(found)
        assert isinstance(found, Windows)
        return found

    async def run(self, work: Callable[[], T]) -> T:
        return work()

    async def fresh(self, name: str) -> None:
        """Bring the object called ``name`` up to date before a read (a shared store keeps
        some objects, the journal, only in the store); in memory it always is."""

    async def kept(self, name: str) -> dict[str, Any]:
        """The shared map called ``name`` as the store keeps it now, read without taking the
        kit's lock and leaving this process's copy alone (in memory: the map itself)."""
        return dict(self.map(name).data)

    async def start(self) -> None:
        """Connect and catch up (a shared store); nothing to do in memory."""

    async def close(self) -> None:
        """Release connections; nothing to do in memory."""

    def describe(self) -> str:
        """The store as every output names it (``serve``'s banner, ``GET /__admin/health``,
        the details of its errors): never a secret of its URL."""
        return "memory" if self.state_file is None else f"memory, kept in {self.state_file}"


def _credential(name: str) -> bool:
    """Whether a URL's query parameter holds a credential: ``username``, or any name ending
    in ``password`` (``password``, rediss's ``ssl_password``, the client key's passphrase)."""
    name = unquote_plus(name).lower()
    return name == "username" or name.endswith("password")


@cache
def _redis_url_options() -> frozenset[str]:
    """The query parameters the installed redis-py parses from a store's URL (``db``,
    ``socket_timeout``, ``protocol``…), as the store's client (``redis.asyncio``) reads them."""
    from redis.asyncio.connection import URL_QUERY_ARGUMENT_PARSERS

    return frozenset(URL_QUERY_ARGUMENT_PARSERS)


def _masked_query(query: str) -> str:
    """A URL's query with its credentials' values as ``***``. A segment after a credential
    whose name redis-py does not parse from a URL may be the rest of a password holding an
    unencoded ``&`` (``password=ab&cdef``): it is masked too, a run of them as one ``***``
    (joined to the credential's when it follows it)."""
    shown: list[str] = []
    after_credential = masked = False
    for segment in query.split("&"):
        name, equals, _ = segment.partition("=")
        if equals and _credential(name):
            shown.append(f"{name}=***")
            after_credential = masked = True
        elif after_credential and unquote_plus(name) not in _redis_url_options():
            if not masked:
                shown.append("***")
            masked = True
        else:
            shown.append(segment)
            masked = False
    return "&".join(shown)


def masked_url(url: str) -> str:
    """A store's URL with its credentials as ``***``: the query's credentials (redis-py reads
    them there as well), then all up to the last ``@`` left (``user:password@``, a password
    holding an unencoded ``/``, ``?`` or ``#`` too: where the host starts cannot be told
    then, and the secret is never shown); the rest as given.

    A password in the query holding an unencoded ``&`` cannot be told from the parameters
    after it either: after a credential, only a parameter redis-py parses from a URL (its
    ``URL_QUERY_ARGUMENT_PARSERS``: ``db``, ``socket_timeout``, ``protocol``…, named exactly
    as it reads them) is shown; any other segment is masked as part of the credential, so
    ``?password=ab&cdef&db=1`` shows as ``?password=***&db=1``. (A password holding
    ``&db=1`` itself would show that piece: percent-encode ``&`` as ``%26``.)"""
    scheme, found, rest = url.partition("://") if "://" in url else ("", "", url)
    cut = min((rest.find(mark) for mark in "?#" if mark in rest), default=len(rest))
    place, tail = rest[:cut], rest[cut:]
    shown = place + tail[:1] + (_masked_query(tail[1:]) if tail else "")
    if "@" in shown:
        shown = "***@" + shown.rpartition("@")[2]
    return f"{scheme}{found}{shown}"
