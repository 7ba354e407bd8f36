"""QuoParts settings: the ``[quoparts]`` table of the config file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contracts import contract
from mockservers.core.sessions import refuse_reserved
from mockservers.core.settings import check_accounts, check_lifetime
from mockservers.quoparts.errors import NOT_ACCREDITED, NOT_ACCREDITED_TEXT

DEMO_ACCOUNT = {"username": "demo", "password": "demo"}
_ERROR_ANSWER = contract("quoparts/error.response")
_LOGIN = "quoparts/login.query"
_SENT_AS = {"username": "username", "password": "password"}
"""Each account key, and the login's URL parameter that sends it."""


@dataclass(frozen=True)
class QuoPartsSettings:
    token_ttl_seconds: float = 3600
    auth_error_code: str = NOT_ACCREDITED
    auth_error_message: str = NOT_ACCREDITED_TEXT
    """A token missing, unknown or expired (VENDORS.md makes it configurable)."""
    login_error_code: str = NOT_ACCREDITED
    login_error_message: str = NOT_ACCREDITED_TEXT
    """A wrong username or password: the document's own answer, unless a sandbox says otherwise."""
    cod_cli_erp_fallback: bool = True
    """importPvt naming both codes: COD_CLI is looked up first (seed: 'utilizza prioritariamente
    COD_CLI'); when it finds no customer, COD_CLI_ERP is, unless this is false."""
    demo_account: bool = True
    accounts: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_lifetime(self.token_ttl_seconds)
        demo = [DEMO_ACCOUNT] if self.demo_account else []
        check_accounts(demo + self.accounts, _SENT_AS, unique=("username",), login=_LOGIN)
        for account in self.accounts:
            refuse_reserved(account["username"], "accounts: username")
        for prefix in ("auth_error", "login_error"):
            answer = {
                "errorCode": getattr(self, f"{prefix}_code"),
                "error": getattr(self, f"{prefix}_message"),
                "data": [],
            }
            # As the document's error answer must be: a code of digits, never "0" (success).
            if _ERROR_ANSWER.check(answer):
                raise ValueError(
                    f"{prefix}_code and {prefix}_message must make a QuoParts error answer:"
                    ' a code of digits other than "0", and a text'
                )

    def accounts_as_read(self) -> dict[str, str]:
        """The accounts as the fake reads them: what replicas compare."""
        return self.credentials()

    def credentials(self) -> dict[str, str]:
        """username -> password for every account that may log in."""
        accounts = ([DEMO_ACCOUNT] if self.demo_account else []) + list(self.accounts)
        return {a["username"]: a["password"] for a in accounts}
