"""XTRA settings: the ``[xtra]`` table of the config file.

```toml
[xtra]
token_ttl_seconds = 3600
auth_error_code = "ER.AUTH"
demo_account = true           # keys demo-public/demo-secret, login demo/demo, identity IRID 1
field_names_any_case = true   # a body's names in any case ("email" is EMail), as ASP.NET binds
                              # them; false: only as the contracts spell them

[[xtra.accounts]]             # one account (tenant) = one key pair + its login users
name = "acme"                 # optional; default: the public key
public_key = "acme-public"
secret_key = "acme-secret"
users = [{ username = "mario", password = "pw", irid = 59990 }]
```
Each user's identity (``irid``) exists in its account from the start (created at reset with
the optional ``surname``, ``name``, ``denomination``, ``email`` of the user entry).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from contracts import load_schema
from mockservers.core.sessions import refuse_reserved
from mockservers.core.settings import check_header_value, check_lifetime

_ITEM1 = load_schema("xtra/defs/recordResult")["properties"]["Item1"]
INT32_MIN, INT32_MAX = _ITEM1["minimum"], _ITEM1["maximum"]
"""XTRA's IDs are .NET Int32, as the record's ``Item1`` is in its contract."""

_USER_TEXT = ("surname", "name", "denomination", "email")
_SENT_AS = {"public_key": "SyncPublicKey", "secret_key": "SyncSecretKey"}
"""An account's keys, and the header each is sent in."""


@dataclass(frozen=True)
class AccountUser:
    username: str
    password: str
    irid: int
    surname: str | None = None
    name: str | None = None
    denomination: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Account:
    name: str
    public_key: str
    secret_key: str
    users: tuple[AccountUser, ...] = ()


DEMO_ACCOUNT = Account(
    name="demo",
    public_key="demo-public",
    secret_key="demo-secret",
    users=(
        AccountUser(
            "demo",
            "demo",
            1,
            surname="Demo",
            name="Utente",
            denomination="Demo S.r.l.",
            email="demo@example.invalid",
        ),
    ),
)


@dataclass(frozen=True)
class XtraSettings:
    token_ttl_seconds: float = 3600
    auth_error_code: str = "ER.AUTH"
    demo_account: bool = True
    accounts: list[dict[str, Any]] = field(default_factory=list)
    field_names_any_case: bool = True
    """A body's field names bind whatever their case (the last of two spellings winning), as
    ASP.NET's JSON binding does; False: only as the contracts spell them (any other spelling is
    an unknown column)."""

    def __post_init__(self) -> None:
        if not isinstance(self.auth_error_code, str) or not self.auth_error_code:
            raise ValueError("auth_error_code must be a non-empty string")
        check_lifetime(self.token_ttl_seconds)
        seen_names: set[str] = set()
        seen_keys: set[str] = set()
        for account in self.all_accounts():
            if account.name in seen_names or account.public_key in seen_keys:
                raise ValueError(f"account {account.name!r}: name and public_key must be unique")
            seen_names.add(account.name)
            seen_keys.add(account.public_key)

    def accounts_as_read(self) -> list[dict[str, Any]]:
        """The accounts as the fake reads them, in order (a login tries them in it), defaults
        filled in (a ``name`` left out is the public key): what replicas compare."""
        return [dataclasses.asdict(account) for account in self.all_accounts()]

    def all_accounts(self) -> list[Account]:
        """The demo account (when enabled) and every configured one."""
        demo = [DEMO_ACCOUNT] if self.demo_account else []
        return demo + [_account(entry) for entry in self.accounts]


def _account(entry: Any) -> Account:
    if not isinstance(entry, dict):
        raise ValueError("each of accounts must be a table")
    unknown = set(entry) - {"name", "public_key", "secret_key", "users"}
    if unknown:
        raise ValueError(f"accounts: unknown keys {sorted(unknown)}")
    for key in ("public_key", "secret_key"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ValueError(f"each of accounts needs {key} (a non-empty string)")
    name = entry.get("name", entry["public_key"])
    if not isinstance(name, str) or not name:
        raise ValueError("accounts: name must be a non-empty string")
    for key, header in _SENT_AS.items():
        check_header_value(entry[key], f"account {name!r}", f"its {key}", header)
    refuse_reserved(name, "accounts: name")
    refuse_reserved(entry["public_key"], "accounts: public_key")
    users = entry.get("users", [])
    if not isinstance(users, list):
        raise ValueError(f"account {name!r}: users must be a list")
    parsed = tuple(_user(name, user) for user in users)
    if len({u.username for u in parsed}) != len(parsed):
        raise ValueError(f"account {name!r}: usernames must be unique")
    return Account(name, entry["public_key"], entry["secret_key"], parsed)


def _user(account: str, entry: Any) -> AccountUser:
    if not isinstance(entry, dict):
        raise ValueError(f"account {account!r}: each user must be a table")
    unknown = set(entry) - {"username", "password", "irid", *_USER_TEXT}
    if unknown:
        raise ValueError(f"account {account!r}: user keys {sorted(unknown)} are unknown")
    for key in ("username", "password"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ValueError(f"account {account!r}: each user needs {key} (a non-empty string)")
    refuse_reserved(entry["username"], f"account {account!r}: username")
    irid = entry.get("irid")
    if isinstance(irid, bool) or not isinstance(irid, int) or not 1 <= irid <= INT32_MAX:
        raise ValueError(
            f"account {account!r}: user {entry['username']!r} needs irid from 1 to {INT32_MAX}"
            " (an XTRA ID is an Int32)"
        )
    text = {k: entry[k] for k in _USER_TEXT if k in entry}
    if not all(isinstance(v, str) for v in text.values()):
        raise ValueError(f"account {account!r}: {', '.join(_USER_TEXT)} must be strings")
    return AccountUser(entry["username"], entry["password"], irid, **text)
