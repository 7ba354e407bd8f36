"""A plain-Python model of TS Digital for one tenant: what every create must answer and leave.

It restates the seed's rules and the kit's decisions (docs/assumptions/tsdigital.md),
independently of the fake's code: a token lasts ``ttl`` seconds on the kit's clock (401 after);
ownerIds with noOwnership=true, or certified without validated, is a 400 naming ownerIds /
certified; then the permissions, a 403 naming each one missing (an app-key without
items:create: Authorization; each special flag set true without an app-key with ``special``;
non-empty ownerIds outside backoffice; a studioId without its ``studio:`` grant); otherwise 202:
the item is PROCESSING and becomes CREATED ``delay`` seconds later, or FAILED with the reason of
an injected ``processing_failure`` (one per accepted item, in order); the body is stored as sent,
its fields named like the fake's own under ``sent``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

PROCESSING, CREATED, FAILED = "PROCESSING", "CREATED", "FAILED"
SPECIAL_FLAGS = ("noOwnership", "validated", "certified")
ITEM_FIELDS = frozenset(
    {
        "id",
        "status",
        "history",
        "ready_at",
        "final_status",
        "failure_reason",
        "registry_status",
        "caller",
        "headers",
        "sent",
    }
)
"""The fields the fake adds to an item; a body's field of one of these names is kept under
``sent``, never in their place."""


@dataclass(frozen=True)
class Token:
    kind: str
    grants: frozenset[str]
    expires: int  # seconds after the start, on the kit's clock


@dataclass(frozen=True)
class Outcome:
    """A predicted answer: 202, or an error status with the ``subErrors`` fields it names."""

    status: int
    fields: frozenset[str] = frozenset()


def broken_rules(body: dict[str, Any]) -> set[str]:
    """The seed's consistency rules a body breaks, by the field each names."""
    broken = set()
    if body.get("ownerIds") and body.get("noOwnership") is True:
        broken.add("ownerIds")
    if body.get("certified") is True and body.get("validated") is not True:
        broken.add("certified")
    return broken


def missing_permissions(token: Token, body: dict[str, Any]) -> set[str]:
    """The permissions a well-formed body needs and the token lacks, by the field each names
    (the check ``tsdigital_error_codes`` uses the same rules)."""
    missing = set()
    if token.kind == "app-key" and "items:create" not in token.grants:
        missing.add("Authorization")
    if not (token.kind == "app-key" and "special" in token.grants):
        missing.update(flag for flag in SPECIAL_FLAGS if body.get(flag) is True)
    if body.get("ownerIds") and token.kind != "backoffice":
        missing.add("ownerIds")
    if "studioId" in body and f"studio:{body['studioId']}" not in token.grants:
        missing.add("studioId")
    return missing


@dataclass
class TsDigitalModel:
    start: datetime
    delay: int
    tenant: str = "demo"
    now: int = 0
    tokens: dict[str, Token] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: int = 0
    failures: list[str] = field(default_factory=list)  # reasons, one per next accepted item

    # -- clock and tokens -------------------------------------------------------------------
    def advance(self, seconds: int) -> None:
        self.now += seconds
        self.settle()

    def mint(self, value: str, kind: str, grants: frozenset[str], ttl: int) -> str:
        """Record a minted token; its ``expires_at`` as the admin API must give it."""
        self.tokens[value] = Token(kind, grants, self.now + ttl)
        return self.at(self.now + ttl)

    def reset(self) -> None:
        """The vendor reset: items, their sequence, waiting faults and every minted token gone
        (a token minted before is refused, 401, as an expired one)."""
        self.tokens = {value: replace(t, expires=self.now) for value, t in self.tokens.items()}
        self.items.clear()
        self.created = 0
        self.failures.clear()

    def inject_failures(self, reason: str, times: int) -> None:
        self.failures += [reason] * times

    # -- createItem -------------------------------------------------------------------------
    def outcome(self, value: str, body: dict[str, Any]) -> Outcome:
        token = self.tokens[value]
        if self.now >= token.expires:
            return Outcome(401, frozenset({"Authorization"}))
        if broken := broken_rules(body):
            return Outcome(400, frozenset(broken))
        if missing := missing_permissions(token, body):
            return Outcome(403, frozenset(missing))
        return Outcome(202)

    def accept(
        self, value: str, body: dict[str, Any], item_id: str, headers: dict[str, str]
    ) -> None:
        """Store an accepted item as the fake must: PROCESSING until now + delay."""
        token = self.tokens[value]
        self.created += 1
        record = {k: v for k, v in body.items() if k not in ITEM_FIELDS}
        record.update(
            id=item_id,
            status=PROCESSING,
            history=[{"status": PROCESSING, "at": self.at(self.now)}],
            ready_at=self.at(self.now + self.delay),
            final_status=CREATED,
            failure_reason=None,
            registry_status=None,
            caller={"kind": token.kind, "grants": sorted(token.grants)},
            headers=headers,
        )
        if self.failures:
            record.update(final_status=FAILED, failure_reason=self.failures.pop(0))
        if body.get("certified") is True:
            record["registry_status"] = "CERTIFIED"
        elif body.get("validated") is True:
            record["registry_status"] = "VALIDATED"
        if sent := {k: v for k, v in body.items() if k in ITEM_FIELDS}:
            record["sent"] = sent
        record["_ready"] = self.now + self.delay
        self.items[item_id] = record
        self.settle()

    def settle(self) -> None:
        for record in self.items.values():
            if record["status"] == PROCESSING and record["_ready"] <= self.now:
                final = record["final_status"]
                entry = {"status": final, "at": record["ready_at"]}
                if final == FAILED:
                    entry["reason"] = record["failure_reason"]
                record["status"] = final
                record["history"] = [*record["history"], entry]

    # -- state ------------------------------------------------------------------------------
    def at(self, seconds: int) -> str:
        moment = self.start + timedelta(seconds=seconds)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

    def error_timestamp(self) -> str:
        return (self.start + timedelta(seconds=self.now)).strftime("%d-%m-%Y %H:%M:%S")

    def state(self) -> dict[str, Any]:
        """The admin dump the fake must produce (``GET /__admin/state/tsdigital``)."""
        if not self.created:
            return {"tenants": {}}
        items = {
            item_id: {k: v for k, v in record.items() if k != "_ready"}
            for item_id, record in self.items.items()
        }
        return {"tenants": {self.tenant: {"sequences": {"items": self.created}, "items": items}}}
