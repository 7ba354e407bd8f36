"""QuoParts settings: the ``[quoparts]`` table of the config file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockservers.core.sessions import refuse_reserved
from mockservers.core.settings import check_accounts, check_lifetime
from mockservers.quoparts.errors import NOT_ACCREDITED, NOT_ACCREDITED_TEXT

DEMO_ACCOUNT = {"username": "demo", "password": "demo"}


@dataclass(frozen=True)
class QuoPartsSettings:
    token_ttl_seconds: float = 3600
    auth_error_code: str = NOT_ACCREDITED
    auth_error_message: str = NOT_ACCREDITED_TEXT
    """A token missing, unknown or expired (VENDORS.md makes it configurable)."""
    login_error_code: str = NOT_ACCREDITED
    login_error_message: str = NOT_ACCREDITED_TEXT
    """A wrong username or password: the document's own answer, unless a sandbox says otherwise."""
    demo_account: bool = True
    accounts: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_lifetime(self.token_ttl_seconds)
        demo = [DEMO_ACCOUNT] if self.demo_account else []
        check_accounts(demo + self.accounts, ("username", "password"), unique=("username",))
        for account in self.accounts:
            refuse_reserved(account["username"], "accounts: username")
        for name in ("auth_error_code", "login_error_code"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a string (QuoParts codes are strings)")

    def credentials(self) -> dict[str, str]:
        """username -> password for every account that may log in."""
        accounts = ([DEMO_ACCOUNT] if self.demo_account else []) + list(self.accounts)
        return {str(a["username"]): str(a["password"]) for a in accounts}
