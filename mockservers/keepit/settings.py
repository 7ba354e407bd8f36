"""KeepIT settings: the ``[keepit]`` table of the config file."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any

from mockservers.core.sessions import refuse_reserved
from mockservers.core.settings import check_accounts, check_lifetime

DEMO_ACCOUNT = {"username": "demo", "password": "demo", "company_id": "1", "site_id": "1"}
_SENT_AS = {
    "username": "username",
    "password": "password",
    "company_id": "companyId",
    "site_id": "siteId",
}
"""Each account key, and the credential header that sends it."""

Identity = tuple[str, str, str]
"""(username, companyId, siteId): whose calls the rate limit counts."""


@dataclass(frozen=True)
class KeepItSettings:
    rate_limit_calls: int = 100
    rate_limit_window_seconds: float = 60
    demo_account: bool = True
    accounts: list[dict[str, Any]] = field(default_factory=list)
    auth_error_message: str = "Credenziali non valide."
    success_message: str = "Inserimento/Update riuscito con successo."

    def __post_init__(self) -> None:
        demo = [DEMO_ACCOUNT] if self.demo_account else []
        unique = ("username", "company_id", "site_id")  # the call's identity
        ids = ("company_id", "site_id")  # 7 is "7", as the header carries it
        check_accounts(
            demo + self.accounts,
            _SENT_AS,
            unique=unique,
            numbers=ids,
            login="keepit/insertClient_v3.headers",
            headers=True,
        )
        for account in self.accounts:
            refuse_reserved(account["company_id"], "accounts: company_id")
            refuse_reserved(account["username"], "accounts: username")
            for key in ids:  # the tenant is "companyId/siteId"
                if "/" in str(account[key]):
                    raise ValueError(
                        f"accounts: {key} {account[key]!r} may not hold '/' (it parts the"
                        " company from the site in the account's tenant name)"
                    )
        if not isinstance(self.rate_limit_calls, int) or self.rate_limit_calls < 1:
            raise ValueError("rate_limit_calls must be a positive whole number")
        # A window of inf (valid TOML) would make every Retry-After a 500.
        check_lifetime(self.rate_limit_window_seconds, "rate_limit_window_seconds")
        _check_success_message(self.success_message)

    def accounts_as_read(self) -> dict[str, str]:
        """The accounts as the fake reads them (``company_id = 1`` is ``"1"``): what replicas
        compare (``mockservers.core.seeded``)."""
        return {"/".join(identity): password for identity, password in self.credentials().items()}

    def credentials(self) -> dict[Identity, str]:
        """(username, companyId, siteId) -> password for every account that may call."""
        accounts = ([DEMO_ACCOUNT] if self.demo_account else []) + list(self.accounts)
        return {
            (a["username"], str(a["company_id"]), str(a["site_id"])): a["password"]
            for a in accounts
        }


def _check_success_message(message: str) -> None:
    """A message whose only placeholder is ``{count}`` (``{{`` and ``}}`` write braces), as
    :func:`success_text` formats it: any other would be a 500 on every successful call."""
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(message) if name is not None}
        if fields - {"count"}:
            raise ValueError(f"unknown placeholders {sorted(fields - {'count'})}")
        try:
            success_text(message, 0)
        except LookupError as exc:  # a placeholder inside a format spec: {count:{x}}, {count:{}}
            name = exc.args[0] if isinstance(exc, KeyError) else ""
            raise ValueError(f"unknown placeholder {{{name}}} inside a format spec") from None
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"success_message: {exc}; its one placeholder is {{count}}, the records inserted or"
            " updated (write a brace as {{ or }})"
        ) from None


def success_text(message: str, count: int) -> str:
    """The ``success_message`` of a call that inserted or updated ``count`` records."""
    return message.format(count=count)
