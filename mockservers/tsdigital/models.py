"""TS Digital state and rules, free of HTTP: callers and their tokens, the seed's rules, items
and their asynchronous lifecycle (PROCESSING -> CREATED or FAILED on the kit's clock)."""

from __future__ import annotations

import hashlib
import heapq
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from mockservers.core.clock import iso
from mockservers.core.coverage import met
from mockservers.core.kit import Kit
from mockservers.core.packed import pack
from mockservers.core.records import kit_fields, set_apart
from mockservers.core.sessions import EVERY, PREFIX, current_id, in_scope, owner_id, scoped
from mockservers.core.state import StateError, TenantState, VendorState
from mockservers.core.tokens import Token, TokenStore
from mockservers.core.vendor import VendorModel
from mockservers.tsdigital import coverage
from mockservers.tsdigital.errors import SubError, TsDigitalError, error, sub_error
from mockservers.tsdigital.settings import TsDigitalSettings

ITEMS = "items"  # keyed by the generated id
KINDS = ("user", "user-key", "app-key", "backoffice")
CREATE = "items:create"
SPECIAL = "special"
STUDIO = "studio:"
SPECIAL_FLAGS = ("noOwnership", "validated", "certified")
ITEM_FIELDS = kit_fields(
    "id",
    "status",
    "history",
    "ready_at",
    "final_status",
    "failure_reason",
    "registry_status",
    "caller",
    "headers",
)
"""The fields the kit adds to a stored item: a body's field of one of these names is kept under
``sent`` (a body's ``registry_status`` made an item look certified, its ``id`` was lost)."""
PRIVILEGED_FIELDS = frozenset((*SPECIAL_FLAGS, "ownerIds", "studioId"))
"""The body fields only some callers may send (``denied`` looks at nothing else in the body)."""
PROCESSING, CREATED, FAILED = "PROCESSING", "CREATED", "FAILED"
DEFAULT_FAILURE = "Errore durante la creazione dell'item (processing_failure injected)"
_ID_NAMESPACE = uuid.UUID("6f1d3c1e-2b1a-4d38-9a57-7f3a0c0e9d11")
_ID_HASH = hashlib.sha1(_ID_NAMESPACE.bytes)  # the namespace's part of every item id, hashed once
# The RFC 4122 variant nibble for each hex digit of the digest: its top two bits set to 10.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def is_grant(value: Any) -> bool:
    """``items:create``, ``special`` or ``studio:<studioId>``."""
    if not isinstance(value, str):
        return False
    return value in (CREATE, SPECIAL) or (value.startswith(STUDIO) and len(value) > len(STUDIO))


def item_uuid(name: str) -> str:
    """``str(uuid.uuid5(_ID_NAMESPACE, name))``, spelt out on the SHA-1 digest: the same id at a
    quarter of the cost (no UUID object, the namespace hashed once)."""
    digest = _ID_HASH.copy()
    digest.update(name.encode())
    hexa = digest.hexdigest()
    return f"{hexa[:8]}-{hexa[8:12]}-5{hexa[13:16]}-{_VARIANT[hexa[16]]}{hexa[17:20]}-{hexa[20:32]}"


_KIT_SPELLING = str.maketrans("tz", "TZ")
"""RFC 3339 lets an instant's ``T`` and ``Z`` be lower-case; Python's reader takes no ``z``."""
_INSTANT_SHAPE = re.compile(r"[0-9W-]+[T ][0-9:.,]+(Z|[+-][0-9:]+)?")
"""An ISO 8601 date and time of day, a ``T`` (or RFC 3339's space) between them, a zone or none
after (Python's reader takes any character between them, and a date alone)."""
_ZONES = "a trailing Z: the kit's instants are UTC, or an offset"

Pending = tuple[float, str, bytes, bytes]
"""A PROCESSING item waiting to settle: its ready epoch, its id, and for an item this process
accepted to be CREATED its JSON as the store keeps it and its JSON once settled (b"" both for
any other: one read from the store, or one that ends FAILED; bytes, not None: the same item
waiting twice compares those fields too)."""


def _instant(value: Any) -> datetime | None:
    """A stored ISO 8601 instant (``…Z`` as the kit writes it, or an offset; a ``t`` or ``z``
    read as upper-case), or None when it is not one."""
    try:
        return datetime.fromisoformat(str(value).translate(_KIT_SPELLING).replace("Z", "+00:00"))
    except ValueError:
        return None


def _utc(value: Any) -> datetime | None:
    """A stored ISO instant as an aware datetime; one without a time zone (only state an
    earlier version kept can hold one) read as UTC, as the kit writes them, never in the
    server's own zone; None when it is not one."""
    instant = _instant(value)
    if instant is None or instant.tzinfo:
        return instant
    return instant.replace(tzinfo=UTC)


def _epoch(value: Any) -> float:
    """A stored ISO instant back to epoch seconds; 0 (due now) when it is not one (only state
    an earlier version kept can hold one)."""
    instant = _utc(value)
    return 0.0 if instant is None else instant.timestamp()


def _kit_text(instant: datetime | None) -> str | None:
    """An aware instant as the kit writes its own (UTC, a ``Z``, the microseconds when there
    are some), whatever offset it was given with; None for none, or for one that is no date
    in UTC (``0001-01-01T00:30:00+01:00``)."""
    try:
        utc = instant.astimezone(UTC) if instant is not None else None
    except OverflowError:
        return None
    return None if utc is None else utc.isoformat().removesuffix("+00:00") + "Z"


def finished(record: dict[str, Any], at: str) -> dict[str, Any]:
    """A PROCESSING item settled: CREATED, or FAILED with its reason, its history closed at
    ``at`` (its ``ready_at`` in the kit's spelling)."""
    final = FAILED if record.get("final_status") == FAILED else CREATED
    entry = {"status": final, "at": at}
    if final == FAILED:
        entry["reason"] = record.get("failure_reason") or DEFAULT_FAILURE
    history = record.get("history")
    history = [*history, entry] if isinstance(history, list) else [entry]
    return {**record, "status": final, "history": history}


def _items(document: Any) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(tenant, item id, item) of each item of a state document that is an object."""
    tenants = document.get("tenants") if isinstance(document, dict) else None
    for name, tenant in (tenants if isinstance(tenants, dict) else {}).items():
        items = tenant.get(ITEMS) if isinstance(tenant, dict) else None
        for key, item in (items if isinstance(items, dict) else {}).items():
            if isinstance(item, dict):
                yield name, key, item


def zoneless_items(document: Any) -> list[str]:
    """The items of a state document whose ``ready_at`` is an instant without a time zone, one
    line each: read in the server's zone, such an item would settle at another time on each
    machine (Europe/Rome on a laptop, UTC in CI)."""
    found = []
    for name, key, item in _items(document):
        ready = item.get("ready_at")
        if not isinstance(ready, str) or ready.endswith("Z"):  # the kit's own
            continue
        instant = _instant(ready)
        if instant is not None and instant.tzinfo is None:
            found.append(f"tenant {name!r}, item {key!r}: ready_at {ready!r} has no time zone")
    return found


def _due_unsaid(item: dict[str, Any]) -> bool:
    """A PROCESSING item whose ``ready_at`` is null (or missing): nothing says when it settles,
    so the rules take it as due now."""
    return item.get("ready_at") is None and item.get("status") == PROCESSING


def unreadable_items(document: Any) -> list[str]:
    """The items of a state document whose ``ready_at`` is no instant at all (null on a
    PROCESSING item too), one line each: only state an earlier version kept can hold one, and
    such an item is due now."""
    return [
        f"tenant {name!r}, item {key!r}: ready_at {item.get('ready_at')!r} is no instant"
        for name, key, item in _items(document)
        if _due_unsaid(item)
        or (item.get("ready_at") is not None and _instant(item["ready_at"]) is None)
    ]


def unreadable_ready(document: Any) -> str | None:
    """The first item of a state document a user gives whose ``ready_at`` is no ISO 8601
    instant with a time zone (null aside, but on a PROCESSING item), one line naming it: the
    rules would take it as due now, and settle it at once (``2025-13-01T00:00:00Z``, ``soon``,
    null). The others are written as the kit writes its instants, in UTC with a ``Z``."""
    for name, key, item in _items(document):
        ready = item.get("ready_at")
        where = f"tenant {name!r}, item {key!r}: ready_at {ready!r}"
        if _due_unsaid(item):
            return (
                f"{where} on a PROCESSING item: it settles at that instant; give one with its"
                f" time zone ({_ZONES})"
            )
        if ready is None:
            continue
        spelt = ready.translate(_KIT_SPELLING) if isinstance(ready, str) else ""
        instant = _instant(spelt) if _INSTANT_SHAPE.fullmatch(spelt) else None
        if instant is None:
            return f"{where} is not an ISO 8601 instant; give one with its time zone ({_ZONES})"
        if instant.tzinfo is None:
            return f"{where} has no time zone; give one ({_ZONES})"
        written = _kit_text(instant)
        if written is None:
            return f"{where} is no instant of the years 1 to 9999 in UTC; give one that is"
        item["ready_at"] = written
    return None


@dataclass(frozen=True, slots=True)
class Caller:
    kind: str
    grants: frozenset[str]
    tenant: str
    stored: dict[str, Any] = field(init=False, repr=False, compare=False)
    """The caller as each item it creates records it, built once per caller (its grants are not
    sorted again on every call); each stored item keeps its own packed copy."""

    def __post_init__(self) -> None:
        stored = {"kind": self.kind, "grants": sorted(self.grants)}
        object.__setattr__(self, "stored", stored)  # a frozen dataclass's derived field

    def can_create(self) -> bool:
        """Personal users and their keys create by default; an app-key only with the grant."""
        return self.kind != "app-key" or CREATE in self.grants

    def has_special_roles(self) -> bool:
        return self.kind == "app-key" and SPECIAL in self.grants


@lru_cache(maxsize=256)
def caller_of(kind: str, grants: tuple[str, ...], tenant: str) -> Caller:
    """The caller a token's claims describe, built once per distinct token (it is immutable)."""
    return Caller(kind, frozenset(grants), tenant)


@lru_cache(maxsize=256)
def bearer(authorization: str) -> tuple[str, str]:
    """An ``Authorization`` header as (its scheme in lower case, its credentials), the spaces
    between them aside; parsed once per distinct header: a client sends the same one on every
    call. Nothing else is stripped: a server has taken the header's own leading and trailing
    blanks away already, and a token with anything more (a trailing no-break space) is another
    token (401), as the header's contract says."""
    scheme, _, value = authorization.partition(" ")
    return scheme.lower(), value.lstrip(" ")


class TsDigitalModel(VendorModel):
    def __init__(self, settings: TsDigitalSettings, kit: Kit, state: VendorState) -> None:
        self.settings = settings
        self.kit = kit
        self.clock = kit.clock
        self.state = state
        self.tokens = TokenStore(kit.clock, store=kit.store, name="tokens:tsdigital")
        # Per tenant, a heap of its PROCESSING items (``Pending``): each tenant's items settle
        # on the clock of its own scope (a session's clock differs).
        self._pending: dict[str, list[Pending]] = {}

    def error(
        self, status: int, sub_errors: list[SubError] | tuple[()] = (), detail: str = ""
    ) -> TsDigitalError:
        return error(self.clock, status, sub_errors, detail)

    # -- tokens -----------------------------------------------------------------------------
    def mint(self, kind: str, grants: list[str], ttl: float | None, tenant: str | None) -> Token:
        """A token of the current scope: by default a session's tenant, or the default one."""
        ttl = self.settings.token_ttl_seconds if ttl is None else ttl
        scope = current_id()
        tenant = tenant or (PREFIX + scope if scope else self.settings.default_tenant)
        return self.tokens.issue(tenant, ttl, kind=kind, grants=sorted(set(grants)))

    def caller(self, authorization: str | None) -> Caller:
        """The caller behind ``Authorization: Bearer <token>``; 401 when there is none."""
        if not authorization:
            met(coverage.TOKEN_MISSING)
            raise self.error(
                401, [sub_error("Authorization", "header mancante")], "no Authorization header"
            )
        scheme, value = bearer(authorization)
        if scheme != "bearer" or not value:
            met(coverage.TOKEN_INVALID if value else coverage.TOKEN_MISSING)
            wrong = "the Authorization header is not 'Bearer <token>'"
            raise self.error(401, [sub_error("Authorization", "atteso 'Bearer <token>'")], wrong)
        tenant, claims, verdict = self.tokens.check(value)
        if tenant is None:
            met(coverage.TOKEN_EXPIRED if verdict == "expired" else coverage.TOKEN_INVALID)
            refused = [sub_error("Authorization", "token sconosciuto o scaduto")]
            raise self.error(401, refused, f"the bearer token is {verdict}")
        return caller_of(claims["kind"], tuple(claims["grants"]), tenant)

    # -- the seed's rules -------------------------------------------------------------------
    def broken_rules(self, body: dict[str, Any]) -> list[SubError]:
        """The seed's consistency rules this request breaks, in the seed's words (400, whoever
        sends it). The request contract states the same rules; this gives them their message."""
        broken = []
        if body.get("ownerIds") and body.get("noOwnership") is True:
            met(coverage.OWNER_IDS_WITH_NO_OWNERSHIP)
            broken.append(
                sub_error("ownerIds", "ownerIds non può essere combinato con noOwnership=true")
            )
        if body.get("certified") is True and body.get("validated") is not True:
            met(coverage.CERTIFIED_WITHOUT_VALIDATED)
            broken.append(
                sub_error(
                    "certified", "certified=true richiede di specificare anche validated=true"
                )
            )
        return broken

    def denied(self, caller: Caller, body: dict[str, Any]) -> list[SubError]:
        """Every permission the caller lacks for this request (403), in the seed's order."""
        if PRIVILEGED_FIELDS.isdisjoint(body) and caller.can_create():
            return []  # the common request: none of the fields a permission guards
        denied = []
        if not caller.can_create():
            met(coverage.APP_KEY_CANNOT_CREATE)
            denied.append(
                sub_error(
                    "Authorization",
                    "una chiave tecnica applicativa non ha il permesso di creare item "
                    f"(grant {CREATE})",
                )
            )
        flags = [flag for flag in SPECIAL_FLAGS if body.get(flag) is True]
        if flags and not caller.has_special_roles():
            met(coverage.SPECIAL_ROLES)
            denied.extend(
                sub_error(
                    flag,
                    f"{flag} è utilizzabile solo da chiavi tecniche applicative con ruoli speciali",
                )
                for flag in flags
            )
        if body.get("ownerIds") and caller.kind != "backoffice":
            met(coverage.OWNER_IDS_BACKOFFICE)
            denied.append(sub_error("ownerIds", "ownerIds è utilizzabile solo da backoffice"))
        studio = body.get("studioId")
        if studio is not None and f"{STUDIO}{studio}" not in caller.grants:
            met(coverage.STUDIO_DENIED)
            denied.append(
                sub_error("studioId", f"nessun permesso di scrittura sullo studio {studio}")
            )
        return denied

    # -- items ------------------------------------------------------------------------------
    def accept(
        self,
        caller: Caller,
        body: dict[str, Any],
        headers: dict[str, str],
        failure: Callable[[], str | None] | None = None,
    ) -> str:
        """Store the item PROCESSING; it settles to CREATED, or FAILED with the reason
        ``failure`` gives: asked once the item's id is held, so that a call refused before
        (the 500 past 2^53) does not use a fault up."""
        tenant = self.state.tenant(caller.tenant)
        items = tenant.collections[ITEMS]
        number = tenant.sequences.get(ITEMS, 0) + 1
        item_id = item_uuid(f"{tenant.name}/{number}")
        while item_id in items:  # a fixture loaded without its sequence holds it
            number += 1
            item_id = item_uuid(f"{tenant.name}/{number}")
        tenant.hold(ITEMS, number)  # the numbers skipped with it; past 2^53, none (a 500)
        reason = failure() if failure is not None else None
        now = self.clock.time()
        at = iso(now)
        delay = self.settings.processing_delay_seconds
        if delay:
            ready_at = iso(now + delay)
            ready = _epoch(ready_at)  # the instant the stored text says, as every process reads it
        else:
            ready_at, ready = at, now
        met(coverage.ACCEPTED)
        registry = None  # the registry status the item was asked to have
        if body.get("certified") is True:
            registry = "CERTIFIED"
            met(coverage.ACCEPTED_CERTIFIED)
        elif body.get("validated") is True:
            registry = "VALIDATED"
            met(coverage.ACCEPTED_VALIDATED)
        record = set_apart(dict(body), ITEM_FIELDS)  # a copy: the body is the call's
        record |= {
            "id": item_id,
            "status": PROCESSING,
            "history": [{"status": PROCESSING, "at": at}],
            "ready_at": ready_at,
            "final_status": CREATED if reason is None else FAILED,
            "failure_reason": reason,
            "registry_status": registry,
            "caller": caller.stored,
            "headers": headers,
        }
        tenant.put(ITEMS, item_id, record)
        kept = settled = b""
        if reason is None:  # settled as made now, unless something writes the item before
            kept, settled = items.kept(item_id) or b"", pack(finished(record, ready_at))
        heapq.heappush(self._pending.setdefault(tenant.name, []), (ready, item_id, kept, settled))
        return item_id

    def settle(self, tenant_name: str) -> None:
        """Finish every item of a tenant whose ready time the clock (of the current scope: the
        tenant's own) has reached, lazily on each read."""
        pending = self._pending.get(tenant_name)
        if not pending:
            return
        now = self.clock.time()
        tenant = self.state.tenants.get(tenant_name)
        while pending and pending[0][0] <= now:
            _, item_id, kept, settled = heapq.heappop(pending)
            if tenant is None:
                continue
            if settled and tenant.collections[ITEMS].kept(item_id) is kept:
                tenant.put(ITEMS, item_id, orjson.Fragment(settled))  # as accept made it
                continue
            record = tenant.get(ITEMS, item_id)
            if isinstance(record, dict) and record.get("status") == PROCESSING:
                self._finish(tenant, item_id, record, now)
                if record.get("final_status") == FAILED:
                    self.kit.coverage.note(coverage.PROCESSING_FAILED, owner_id(tenant_name))

    def settle_scope(self, scope: str | None) -> None:
        """Settle every tenant of a scope (``EVERY``: of every scope), each on the clock of its
        own scope (before a state or coverage read)."""
        for name in list(self._pending):
            owner = owner_id(name)
            if scope != EVERY and owner != scope:
                continue
            session = self.kit.sessions.get(owner) if owner is not None else None
            if owner is not None and session is None:
                continue  # a dropped session's tenant: nothing to settle, it is going
            with scoped(session):
                self.settle(name)

    @staticmethod
    def _finish(tenant: TenantState, item_id: str, record: dict[str, Any], now: float) -> None:
        """The item as the store holds it settled, its history closed at its ``ready_at`` in
        the kit's spelling (a UTC instant); at ``now`` when it has none to read (due now: only
        state an earlier version kept can hold such an item)."""
        at = _kit_text(_utc(record.get("ready_at"))) or iso(now)
        tenant.put(ITEMS, item_id, finished(record, at))

    def check_given(self, document: Any) -> None:
        """A ``ready_at`` must be an instant with its zone; each is kept in the kit's spelling."""
        found = unreadable_ready(document)
        if found:
            raise StateError(found)

    def lenient(self, document: Any) -> list[str]:
        """An earlier version took a ``ready_at`` without a zone: read as UTC, as the kit
        writes them, and as a shared store reads one it kept; and one that is no instant at
        all, or null on a PROCESSING item: due now (said, as it settles at once)."""
        notes = [f"{found}: read as UTC" for found in zoneless_items(document)]
        return notes + [f"{found}: due now" for found in unreadable_items(document)]

    def rebuild_indexes(self) -> None:
        """The heaps of PROCESSING items, from the (loaded) state."""
        self._pending = {}
        for name, tenant in self.state.tenants.items():
            for item_id, record in tenant.collections[ITEMS].items():
                self.on_change(name, ITEMS, item_id, None, record)

    def on_change(self, tenant: str, collection: str, key: str, old: Any, new: Any) -> None:
        if isinstance(new, dict) and new.get("status") == PROCESSING:
            ready = _epoch(new.get("ready_at"))
            heapq.heappush(self._pending.setdefault(tenant, []), (ready, key, b"", b""))

    def on_drop(self, tenant: str) -> None:
        # Item ids start again in a new tenant: a waiting id of the old one must not finish them.
        self._pending.pop(tenant, None)

    def reset(self, scope: str | None) -> None:
        self.tokens.drop(scope)
        self._pending = {n: p for n, p in self._pending.items() if not in_scope(n, scope)}
