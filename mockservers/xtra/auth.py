"""Who calls XTRA: the accounts (configured, or a live session's) and their key pairs, the
caller a call's AccessToken or key pair names, what an AccessToken may update, and the login
that issues one.
"""

from __future__ import annotations

import math
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from contracts.binding import bound_body
from mockservers.core.coverage import met
from mockservers.core.errors import KitError
from mockservers.core.numbers import SPELT_WHOLE
from mockservers.core.sessions import PREFIX, current_id, in_scope, owner_id
from mockservers.core.state import TenantState
from mockservers.xtra import coverage
from mockservers.xtra.errors import XtraError
from mockservers.xtra.records import IDENTITIES, is_id
from mockservers.xtra.settings import Account, AccountUser

if TYPE_CHECKING:
    from mockservers.core.call import Call
    from mockservers.xtra.models import XtraModel

KEYS_REFUSED = "SyncPublicKey/SyncSecretKey mancanti o non validi"


class Caller(NamedTuple):
    """Who is calling: an account (key pair) or one logged user (AccessToken)."""

    tenant: TenantState
    irid: int | None = None
    user_id: int | None = None


def login_tenant(model: XtraModel, call: Any) -> str | None:
    """Whose login it is when no key pair is sent: a session's username is its tenant; any
    other username, the tenant of the one live session whose users hold it (one its connector
    inserted), when the global scope holds no such user (docs/assumptions/xtra.md)."""
    try:
        body = call.json()
    except KitError:
        return None
    body = bound_body(model.login_names, body)  # as the login reads it
    username = body.get("Username") if isinstance(body, dict) else None
    if not isinstance(username, str):
        return None
    if owner_id(username) is not None:
        return username
    holders = model.holders(username)
    scopes = {owner_id(name) for name in holders}
    return holders[0] if len(scopes) == 1 and None not in scopes else None


def session_account(prefix: str, credentials: dict[str, Any]) -> Account:
    """The account of a session: its key pair and one login user whose identity exists."""
    user = AccountUser(
        credentials["username"],
        credentials["password"],
        credentials["irid"],
        surname="Sessione",
        name=prefix,
        denomination=f"Sessione {prefix}",
    )
    return Account(prefix, credentials["public_key"], credentials["secret_key"], (user,))


def _beyond(value: Any, own: int | None) -> bool:
    """Whether an ``ID`` sent with an AccessToken reaches beyond the token's ``own`` ID: absent or
    ``null`` (an insert), or another number, sent as one or spelt as text (``"2"``, which the
    vendor's binders read as 2). A malformed ID (``true``, ``2.5``, ``"abc"``, or ``"1"`` for
    one's own ``1``) reaches no one else: the record check refuses it, ``ER.IR.INVAL``."""
    if value is None:
        return True
    if isinstance(value, str) and SPELT_WHOLE.fullmatch(value):
        try:
            value = int(value)
        except ValueError:  # more digits than Python reads: no Int32, so not ``own``
            return True
    if isinstance(value, float):  # an integral one past 2**53, which the body kept as parsed,
        # or an infinity: a number past a double's range, whole as 1e300 is
        return (value.is_integer() or math.isinf(value)) and value != own
    return is_id(value) and value != own


def _shown(value: Any) -> str:
    """An ``ID`` as the kit's diagnosis names it."""
    return "absent or null (an insert)" if value is None else repr(value)


class Authorisation:
    """The accounts, the caller of a call and logins: a part of ``XtraModel`` (``models.py``),
    whose ``__init__`` sets the accounts, tokens and indexes used here."""

    def scope_accounts(self, scope: str | None) -> list[Account]:
        if scope is None:
            return list(self.accounts.values())
        session = self.kit.sessions.get(scope)
        if session is None:
            return []
        prefix = PREFIX + scope
        return [session_account(prefix, session["credentials"]["xtra"])]

    def account(self, public_key: str) -> Account | None:
        """A configured account, or a live session's, by its public key (a session's without
        its login user: a key pair is all a call's check needs, and this runs on every call)."""
        found = self.accounts.get(public_key)
        if found is not None:
            return found
        credentials = self.kit.sessions.account("xtra", public_key, public_key=public_key)
        if credentials is None:
            return None
        # named as scope_accounts names it: its username is the session's prefix, PREFIX + id
        return Account(credentials["username"], public_key, credentials["secret_key"])

    def named_account(self, call: Call) -> Account | None:
        """The account a call's SyncPublicKey names, its secret not checked: looked up once per
        call (known by its header list), as the pipeline asks whose call it is before the
        endpoint checks the key pair. A session's account is reused only inside its session
        (the pipeline found it alive)."""
        seen, account, session_id = self._named
        headers = call.scope["headers"]
        if seen is not headers or (session_id is not None and session_id != current_id()):
            account = self.account(call.header(b"syncpublickey") or "")
            session_id = None
            if account is not None and account.public_key not in self.accounts:
                session_id = owner_id(account.name)
            self._named = (headers, account, session_id)
        return account

    def holders(self, username: str) -> list[str]:
        """The tenants, global or a live session's, one of whose users has ``username``, by
        name: from the Username indexes, which every process derives from the state."""
        held = [name for name, users in self._users.items() if username in users]
        sessions = self.kit.sessions
        return sorted(
            name for name in held if owner_id(name) is None or sessions.owner(name) is not None
        )

    def forbidden(self, message: str, detail: str = "") -> XtraError:
        return XtraError(403, self.settings.auth_error_code, message, detail)

    def keys_refused(self, call: Call) -> XtraError:
        """403 for a key pair that names no account or not with that secret, saying which."""
        public = call.header(b"syncpublickey")
        if public is None:
            detail = "no SyncPublicKey header"
        elif not public:
            detail = "the SyncPublicKey header is empty"
        elif self.named_account(call) is None:
            detail = f"no account has the SyncPublicKey {public!r}"
        else:
            detail = f"the SyncSecretKey is not the one of SyncPublicKey {public!r}"
        met(coverage.KEYS_REFUSED)
        return self.forbidden(KEYS_REFUSED, detail)

    def _account(self, call: Call, secret: str) -> Account | None:
        """The account of the call's key pair, when ``secret`` is its secret key."""
        account = self.named_account(call)
        if account is None:
            return None
        if not secrets.compare_digest(secret.encode(), account.secret_key.encode()):
            return None
        return account

    def caller(self, call: Call) -> Caller:
        """AccessToken when sent (it decides), else the key pair; 403 otherwise."""
        value = call.header(b"accesstoken")
        if value is not None:
            tenant, claims, verdict = self.tokens.check(value)
            if tenant is None:
                expired = verdict == "expired"
                met(coverage.ACCESS_TOKEN_EXPIRED if expired else coverage.ACCESS_TOKEN_INVALID)
                raise self.forbidden("AccessToken non valido o scaduto", f"the token is {verdict}")
            return Caller(self.state.tenant(tenant), claims["irid"], claims["uid"])
        account = self._account(call, call.header(b"syncsecretkey") or "")
        if account is None:
            raise self.keys_refused(call)
        return Caller(self.state.tenant(account.name))

    def check_scope(
        self, caller: Caller, records: list[dict[str, Any]], contact_form: bool
    ) -> None:
        """An AccessToken may update only its own identity and its own user: else 403."""
        if caller.irid is None:
            return
        if contact_form:
            met(coverage.ACCESS_TOKEN_SCOPE)
            raise self.forbidden(
                "Le chiamate contact form richiedono SyncPublicKey e SyncSecretKey",
                "a contact form needs the key pair (SyncPublicKey, SyncSecretKey), "
                "not an AccessToken",
            )
        for index, record in enumerate(records):
            rid = record.get("ID")
            if _beyond(rid, caller.irid):
                met(coverage.ACCESS_TOKEN_SCOPE)
                raise self.forbidden(
                    f"Con AccessToken si può aggiornare solo l'anagrafica {caller.irid}",
                    f"[{index}].ID {_shown(rid)}: the token may update only IRID {caller.irid}",
                )
            users = record.get("Users")
            for at, user in enumerate(users if isinstance(users, list) else []):
                if not isinstance(user, dict):  # malformed: the record check refuses it
                    continue
                uid = user.get("ID")
                if _beyond(uid, caller.user_id):
                    met(coverage.ACCESS_TOKEN_SCOPE)
                    raise self.forbidden(
                        f"Con AccessToken si può aggiornare solo l'utente {caller.user_id}",
                        f"[{index}].Users[{at}].ID {_shown(uid)}: "
                        f"the token may update only UserID {caller.user_id}",
                    )

    def login(self, username: str, password: str, call: Call) -> dict[str, Any]:
        """The flat login result. Key pair sent: that account only; else every account."""
        secret = call.header(b"syncsecretkey")
        keyed = call.header(b"syncpublickey") is not None or secret is not None
        if keyed:
            account = self._account(call, secret or "")
            if account is None:
                raise self.keys_refused(call)
            tenants = [account.name]
        else:  # every account of the caller's scope, in the order of ``_login_order``
            scope = current_id()
            candidates = [name for name in self._users if in_scope(name, scope)]
            tenants = sorted(candidates, key=self._login_order)
        for name in tenants:
            found = self._users.get(name, {}).get(username)
            if found is None:
                continue
            identity = self.state.tenant(name).get(IDENTITIES, str(found[0])) or {}
            user = next((u for u in identity.get("Users") or [] if u.get("ID") == found[1]), None)
            stored = user.get("Password") if user is not None else None
            if (
                user is not None
                and isinstance(stored, str)
                and secrets.compare_digest(stored.encode(), password.encode())
            ):
                met(coverage.LOGIN_OK)
                return self._session(name, identity, user)
        met(coverage.LOGIN_REFUSED)
        detail = f"no user {username!r} with that password"
        if not keyed and current_id() is None:
            detail += self._elsewhere(username)
        raise self.forbidden("Credenziali non valide", detail)

    def _elsewhere(self, username: str) -> str:
        """What a refused global login without a key pair adds when sessions hold the user: a
        login without keys goes to a session's user only when no other scope holds its name."""
        sessions = sorted({sid for name in self.holders(username) if (sid := owner_id(name))})
        if not sessions:
            return ""
        which = f"session{'s' if len(sessions) > 1 else ''} {', '.join(sessions)}"
        return (
            f" in the global scope; {which} has a user of that name, which a login without the"
            " key pair reaches only when no other scope has one (send that session's"
            " SyncPublicKey and SyncSecretKey)"
        )

    def _login_order(self, tenant: str) -> tuple[int, str]:
        """Where a login without a key pair looks for its user: the configured accounts in
        the configuration's order, then the others (a session's, a state document's) by name.
        A username and password several accounts share log in to the first; not the order a
        process met the accounts in, which a shared store's reload does not keep."""
        return self._rank.get(tenant, len(self._rank)), tenant

    def _session(
        self, tenant: str, identity: dict[str, Any], user: dict[str, Any]
    ) -> dict[str, Any]:
        token = self.tokens.issue(
            tenant, self.settings.token_ttl_seconds, irid=identity["ID"], uid=user["ID"]
        )
        expires = datetime.fromtimestamp(token.expires_at, UTC).replace(microsecond=0)
        return {
            "IRID": identity["ID"],
            "UserID": user["ID"],
            "Username": user["Username"],
            "Denomination": identity.get("Denomination"),
            "Surname": identity.get("Surname"),
            "Name": identity.get("Name"),
            "Token": token.value,
            "RefreshToken": secrets.token_hex(20),
            "TokenExpiration": expires.isoformat().replace("+00:00", "Z"),
        }
