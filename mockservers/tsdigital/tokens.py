"""``POST /__admin/tsdigital/tokens``: mint a bearer token with a kind and grants.

Body ``{"kind": "user"|"user-key"|"app-key"|"backoffice", "grants": [...], "ttl_seconds": N,
"tenant": "demo", "session": ID}`` (all but ``kind`` optional) → ``{"token", "expires_at", "kind",
"grants", "tenant"}``. Grants: ``items:create``, ``special``, ``studio:<studioId>``. A token
minted with ``session`` belongs to that session's tenant (and expires on its clock).
"""

from __future__ import annotations

from typing import Any

from mockservers.core.adminapi import MAX_SECONDS, AdminCall, AdminError, AdminRoute, number
from mockservers.core.clock import iso
from mockservers.core.sessions import refuse_reserved
from mockservers.tsdigital.models import KINDS, TsDigitalModel, is_grant


def _spec(call: AdminCall) -> tuple[str, list[str], float | None, str | None]:
    body = call.object_body(contract="admin/mintTsdigitalToken.request")
    kind = body.get("kind")
    if kind not in KINDS:
        raise AdminError(400, f"'kind' must be one of {list(KINDS)}")
    grants = body.get("grants")
    if grants is None:  # absent or null: none, as ttl_seconds and tenant take null
        grants = []
    if not isinstance(grants, list) or not all(is_grant(g) for g in grants):
        raise AdminError(
            400, "'grants' must be a list of 'items:create', 'special', 'studio:<studioId>'"
        )
    ttl = number(body, "ttl_seconds", 0, MAX_SECONDS, exclusive_low=True)
    tenant = body.get("tenant")
    if tenant is not None and (not isinstance(tenant, str) or not tenant):
        raise AdminError(400, "'tenant' must be a non-empty string")
    try:
        refuse_reserved(tenant, "tenant")
    except ValueError as exc:
        raise AdminError(400, f'{exc}: give "session" to mint for a session') from None
    return kind, grants, ttl, tenant


def token_routes(model: TsDigitalModel) -> list[AdminRoute]:
    def mint(call: AdminCall) -> dict[str, Any]:
        kind, grants, ttl, tenant = _spec(call)
        if tenant is not None and call.session is not None:
            raise AdminError(400, "give either 'tenant' or 'session': a session has its tenant")
        try:  # a clock moved far ahead: refuse before minting anything
            iso(model.clock.time() + (ttl or model.settings.token_ttl_seconds))
        except (OverflowError, OSError, ValueError):
            raise AdminError(400, "the token would expire past the year 9999") from None
        token = model.mint(kind, grants, ttl, tenant)
        return {
            "token": token.value,
            "expires_at": iso(token.expires_at),
            "kind": kind,
            "grants": token.claims["grants"],
            "tenant": token.tenant,
        }

    return [
        AdminRoute(
            "/__admin/tsdigital/tokens",
            "POST",
            mint,
            body="required",
        )
    ]
