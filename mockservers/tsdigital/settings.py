"""TS Digital settings: the ``[tsdigital]`` table of the config file."""

from __future__ import annotations

from dataclasses import dataclass

from mockservers.core.sessions import refuse_reserved


@dataclass(frozen=True)
class TsDigitalSettings:
    token_ttl_seconds: float = 3600
    """Lifetime of a token minted without ``ttl_seconds``."""
    processing_delay_seconds: float = 0
    """How long an accepted item stays PROCESSING on the kit's clock before it is CREATED."""
    default_tenant: str = "demo"
    """The tenant of a token minted without ``tenant``."""

    def __post_init__(self) -> None:
        for name in ("token_ttl_seconds", "processing_delay_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a number >= 0")
        if self.token_ttl_seconds == 0:
            raise ValueError("token_ttl_seconds must be more than 0")
        if not isinstance(self.default_tenant, str) or not self.default_tenant:
            raise ValueError("default_tenant must be a non-empty string")
        refuse_reserved(self.default_tenant, "default_tenant")
