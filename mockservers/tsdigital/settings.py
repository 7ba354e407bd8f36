"""TS Digital settings: the ``[tsdigital]`` table of the config file."""

from __future__ import annotations

from dataclasses import dataclass

from mockservers.core.seeded import process_local
from mockservers.core.sessions import refuse_reserved
from mockservers.core.settings import check_lifetime


@dataclass(frozen=True)
class TsDigitalSettings:
    token_ttl_seconds: float = 3600
    """Lifetime of a token minted without ``ttl_seconds``."""
    processing_delay_seconds: float = 0
    """How long an accepted item stays PROCESSING on the kit's clock before it is CREATED."""
    default_tenant: str = "demo"
    """The tenant of a token minted without ``tenant``."""
    shadow_token_kind: str = process_local("user")
    shadow_token_grants: tuple[str, ...] = process_local(())
    """The kind and grants a shadow fake (``mockservers proxy --shadow``) gives a bearer token
    it meets without having minted it (one TS ID issued for the real service). Process-local:
    only the proxy's shadow reads them, and it shares no store."""

    def __post_init__(self) -> None:
        check_lifetime(self.token_ttl_seconds)
        check_lifetime(self.processing_delay_seconds, "processing_delay_seconds", zero=True)
        from mockservers.tsdigital.models import KINDS, is_grant  # models import settings

        if self.shadow_token_kind not in KINDS:
            raise ValueError(f"shadow_token_kind must be one of {list(KINDS)}")
        grants = self.shadow_token_grants
        if not isinstance(grants, list | tuple) or not all(is_grant(g) for g in grants):
            raise ValueError(
                "shadow_token_grants must be a list of 'items:create', 'special', "
                "'studio:<studioId>'"
            )
        if not isinstance(self.default_tenant, str) or not self.default_tenant:
            raise ValueError("default_tenant must be a non-empty string")
        refuse_reserved(self.default_tenant, "default_tenant")
