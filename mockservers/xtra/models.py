"""XTRA state and rules, free of HTTP: accounts, tokens, identities with their destinations,
contacts, identity documents and users, contact-form upserts and CRM activities.

A record is checked completely before anything is written, so a record that fails stores
nothing and consumes no IDs; a call whose records may need an ID past Int32 is refused (the
vendor's 500) before any of them is written.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple

from mockservers.core.coverage import met
from mockservers.core.errors import KitError
from mockservers.core.kit import Kit
from mockservers.core.sessions import PREFIX, current_id, in_scope, owner_id
from mockservers.core.state import SEQUENCES, StateError, TenantState, VendorState, highest_id
from mockservers.core.tokens import TokenStore
from mockservers.core.unique import UniqueIndex
from mockservers.core.vendor import VendorModel
from mockservers.xtra import coverage
from mockservers.xtra.errors import (
    DOC_EXISTS,
    DOC_NOT_IMPORTED,
    EXISTS,
    INSERT_FAILED,
    INVALID,
    NOT_FOUND,
    RecordError,
    XtraError,
)
from mockservers.xtra.settings import INT32_MAX, INT32_MIN, Account, AccountUser, XtraSettings

IDENTITIES = "identities"  # keyed by str(ID)
ACTIVITIES = "activities"  # CRM activities recorded by contact-form calls, keyed by str(ID)

SUB_RECORDS = ("Destinations", "Contacts", "IdentityDocuments", "Users")
KEYS_REFUSED = "SyncPublicKey/SyncSecretKey mancanti o non validi"
SUB_RECORD_SEQUENCES = {
    "Destinations": "destination",
    "Contacts": "contact",
    "IdentityDocuments": "document",
    "Users": "user",
}
"""The sequence each sub-record's IDs come from (one per account)."""
SEQUENCE_NAMES = ("identity", *SUB_RECORD_SEQUENCES.values(), "activity")
# Contact-form columns that describe the CRM activity, not the identity.
ACTIVITY_FIELDS = (
    "CRMMessage",
    "WebReasonID",
    "WebFormKey",
    "CRMTermsConditions",
    "CRMMarketingConsent",
    "CRMPrivacyMarketing",
    "BOPCode",
)
EMAIL_TYPOLOGY = 2  # Telefono, Email, Web, Pec, Fax, Cellulare -> 1..6


def is_id(value: Any) -> bool:
    """An XTRA ID: a JSON integer (``true`` is not 1 here)."""
    return isinstance(value, int) and not isinstance(value, bool)


def stored_id(value: Any) -> bool:
    """An ID a stored record may hold: 1 to Int32's largest (a state document with a larger
    one would have the fake answer IDs its own contract refuses)."""
    return is_id(value) and 1 <= value <= INT32_MAX


def indexed_key(identity: dict[str, Any]) -> str | None:
    """The ExternalKey an identity is found by: non-empty text (an ERP that has no key for a
    customer often sends ``""``, which names no one: two such inserts are two identities)."""
    key = identity.get("ExternalKey")
    return key if isinstance(key, str) and key else None


def identity_key(record: dict[str, Any], contact_form: bool) -> str | None:
    """Item2: the ExternalKey sent, or for a contact form the built ``EMail_Surname_Name``."""
    if contact_form:
        email, surname, name = (record.get(k) for k in ("EMail", "Surname", "Name"))
        if isinstance(email, str) and isinstance(surname, str) and isinstance(name, str):
            return f"{email}_{surname}_{name}"
        return None
    key = record.get("ExternalKey")
    return key if isinstance(key, str) else None


RecordFault = Callable[[dict[str, Any]], RecordError | None]
"""The error a vendor fault makes of a record that passed every check (None: it is written)."""


class Caller(NamedTuple):
    """Who is calling: an account (key pair) or one logged user (AccessToken)."""

    tenant: TenantState
    irid: int | None = None
    user_id: int | None = None


@dataclass(slots=True)
class Outcome:
    """One record's answer: the tuple Item1..Item6."""

    id: int
    key: str | None
    error: RecordError | None = None
    destinations: dict[str, int | None] = field(default_factory=dict)
    contacts: dict[str, int | None] = field(default_factory=dict)

    def render(self) -> dict[str, Any]:
        return {
            "Item1": self.id,
            "Item2": self.key,
            "Item3": self.error is None,
            "Item4": self.error.item4() if self.error else None,
            "Item5": self.destinations,
            "Item6": self.contacts,
        }


_DOCUMENT_PAIR = ("FIDDocumentTypology", "Number")
"""What tells an identity's documents apart (``ER.DOC.EXISTS``)."""


def check_state(document: Any) -> None:
    """Refuse (``StateError``) a state document whose identities the rules could not use:
    each identity an object whose ``ID`` is its key, each sub-record an object with an ``ID``;
    IDs and sequences within Int32: every ID ``held_sequences`` raises a sequence to (the
    activities' keys too), so that every dump loads back."""
    tenants = document.get("tenants") if isinstance(document, dict) else None
    for name, tenant in (tenants if isinstance(tenants, dict) else {}).items():
        sequences = tenant.get(SEQUENCES, {}) if isinstance(tenant, dict) else {}
        for sequence, value in (sequences if isinstance(sequences, dict) else {}).items():
            if is_id(value) and value > INT32_MAX:
                raise StateError(f"tenant {name!r}: sequence {sequence!r} is beyond Int32")
        activities = tenant.get(ACTIVITIES, {}) if isinstance(tenant, dict) else {}
        for key in activities if isinstance(activities, dict) else {}:
            if highest_id((key,)) > INT32_MAX:
                raise StateError(f"tenant {name!r}, activity {key!r}: beyond Int32")
        identities = tenant.get(IDENTITIES, {}) if isinstance(tenant, dict) else {}
        identities = identities if isinstance(identities, dict) else {}
        for key, identity in identities.items():
            where = f"tenant {name!r}, identity {key!r}"
            if not isinstance(identity, dict) or not stored_id(identity.get("ID")):
                raise StateError(
                    f"{where}: must be an object whose ID is its key, from 1 to 2^31-1"
                )
            if key != str(identity["ID"]):
                raise StateError(f"{where}: must be an object whose ID is its key")
            for sub in SUB_RECORDS:
                items = identity.get(sub, [])
                if not isinstance(items, list) or not all(
                    isinstance(i, dict) and stored_id(i.get("ID")) for i in items
                ):
                    raise StateError(
                        f"{where}: {sub} must be a list of objects with an ID (1 to 2^31-1)"
                    )
            for document in identity.get("IdentityDocuments") or []:  # compared as pairs
                if any(isinstance(document.get(f), list | dict) for f in _DOCUMENT_PAIR):
                    raise StateError(
                        f"{where}: each IdentityDocuments' FIDDocumentTypology and Number"
                        " must be a plain value"
                    )
            external = identity.get("ExternalKey")
            names = [user.get("Username") for user in identity.get("Users") or []]
            if not all(isinstance(v, str | None) for v in (external, *names)):
                raise StateError(f"{where}: ExternalKey and each user's Username must be text")


def login_tenant(model: XtraModel, call: Any) -> str | None:
    """Whose login it is when no key pair is sent: a session's username is its tenant."""
    try:
        body = call.json()
    except KitError:
        return None
    username = body.get("Username") if isinstance(body, dict) else None
    return username if owner_id(username) is not None else None


def failed(record: dict[str, Any], contact_form: bool, error: RecordError) -> Outcome:
    """A refused record's outcome (Item3 false, Item4 its error): every refusal ends here."""
    behaviour = coverage.RECORD_ERRORS.get(error.code)
    if behaviour is not None:
        met(behaviour)
    return Outcome(_echoed_id(record.get("ID")), identity_key(record, contact_form), error)


def _echoed_id(value: Any) -> int:
    """A refused record's Item1: the ID it was sent with, as .NET read it into an Int32 (an
    integral number, ``1.0`` too); 0 for one it could not read, as for an insert."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if is_id(value) and INT32_MIN <= value <= INT32_MAX else 0


def ids_needed(
    records: list[dict[str, Any]], contact_form: bool, keys: Mapping[str, int]
) -> dict[str, int]:
    """The most IDs of each sequence ``records`` may take: an identity for each record without
    an ID whose key names no identity (``keys``: the account's ExternalKeys), a sub-record for
    each item without an ID, and for a contact form an e-mail contact and a CRM activity
    (counted before the records are checked: one that fails counts all the same). A record
    that names an ID may change its identity's key, which a later record may then insert
    under: with one in the call, every record without an ID counts."""
    needs: dict[str, int] = {}
    without_id = unknown = 0
    renames = False
    for record in records:
        if is_id(record.get("ID")):
            renames = True
        else:
            without_id += 1
            key = identity_key(record, contact_form)
            if not key or key not in keys:
                unknown += 1
        for name, sequence in SUB_RECORD_SEQUENCES.items():
            items = record.get(name)
            if isinstance(items, list):
                new = sum(not (isinstance(i, dict) and is_id(i.get("ID"))) for i in items)
                needs[sequence] = needs.get(sequence, 0) + new
    needs["identity"] = without_id if renames else unknown
    if contact_form:
        needs["contact"] = needs.get("contact", 0) + len(records)
        needs["activity"] = len(records)
    return needs


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


class XtraModel(VendorModel):
    def __init__(self, settings: XtraSettings, kit: Kit, state: VendorState) -> None:
        self.settings = settings
        self.kit = kit
        self.clock = kit.clock
        self.state = state
        self.accounts: dict[str, Account] = {a.public_key: a for a in settings.all_accounts()}
        self._rank = {account.name: rank for rank, account in enumerate(self.accounts.values())}
        """Each configured account's place in the configuration (the demo account first)."""
        self.tokens = TokenStore(kit.clock, store=kit.store, name="tokens:xtra")
        # Derived indexes, per tenant (never dumped): ExternalKey -> ID, Username -> (IRID, ID).
        self._keys: dict[str, UniqueIndex[str, int]] = {}
        self._users: dict[str, UniqueIndex[str, tuple[int, int]]] = {}
        # The headers of the call being answered, the account their SyncPublicKey names and,
        # for a session's account, the session's id.
        self._named: tuple[Any, Account | None, str | None] = (None, None, None)

    # -- fixtures and indexes -----------------------------------------------------------------
    def check_state(self, document: Any) -> None:
        check_state(document)

    def held_sequences(self, tenant: TenantState) -> dict[str, int]:
        """Identities and activities by their keys; each sub-record's IDs inside identities."""
        held = {
            "identity": highest_id(tenant.collections[IDENTITIES]),
            "activity": highest_id(tenant.collections[ACTIVITIES]),
        }
        for identity in tenant.collections[IDENTITIES].values():
            if not isinstance(identity, dict):
                continue
            for name, sequence in SUB_RECORD_SEQUENCES.items():
                items = identity.get(name)
                if isinstance(items, list):
                    found = highest_id(i.get("ID") for i in items if isinstance(i, dict))
                    held[sequence] = max(held.get(sequence, 0), found)
        return held

    def reset(self, scope: str | None) -> None:
        """The scope's tokens gone; its accounts' login users and their identities back (IRID 1:
        demo, or the session's own)."""
        self.tokens.drop(scope)
        self._keys = {n: k for n, k in self._keys.items() if not in_scope(n, scope)}
        self._users = {n: u for n, u in self._users.items() if not in_scope(n, scope)}
        for account in self.scope_accounts(scope):
            tenant = self.state.tenant(account.name)
            for user in account.users:
                self._add_fixture_user(tenant, user)

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
        session = self.kit.sessions.owner(public_key)
        if session is None:
            return None
        credentials = session["credentials"]["xtra"]
        if credentials["public_key"] != public_key:
            return None
        return Account(PREFIX + session["id"], public_key, credentials["secret_key"])

    def named_account(self, headers: Any) -> Account | None:
        """The account a call's SyncPublicKey names, its secret not checked: looked up once per
        call, as the pipeline asks whose call it is before the endpoint checks the key pair. A
        session's account is reused only inside its session (the pipeline found it alive)."""
        seen, account, session_id = self._named
        if seen is not headers or (session_id is not None and session_id != current_id()):
            account = self.account(headers.get("syncpublickey") or "")
            session_id = None
            if account is not None and account.public_key not in self.accounts:
                session_id = owner_id(account.name)
            self._named = (headers, account, session_id)
        return account

    def on_change(self, tenant: str, collection: str, key: str, old: Any, new: Any) -> None:
        if collection == IDENTITIES:
            self._reindex(tenant, old, new)

    def on_drop(self, tenant: str) -> None:
        self._keys.pop(tenant, None)
        self._users.pop(tenant, None)

    def _add_fixture_user(self, tenant: TenantState, user: AccountUser) -> None:
        existing = tenant.get(IDENTITIES, str(user.irid))
        identity = existing
        if identity is None:
            identity = {
                "ID": user.irid,
                "ExternalKey": None,
                "FIDGroup": 1,
                "TypologyIds": [2],
                "Denomination": user.denomination,
                "Surname": user.surname,
                "Name": user.name,
                **{name: [] for name in SUB_RECORDS},
            }
            tenant.hold("identity", user.irid)  # as a state load of it would
        stored = {
            "ID": tenant.next("user"),
            "Username": user.username,
            "Email": user.email,
            "Password": user.password,
        }
        identity = {**identity, "Users": [*identity["Users"], stored]}
        tenant.put(IDENTITIES, str(user.irid), identity)
        self._reindex(tenant.name, existing, identity)

    def rebuild_indexes(self) -> None:
        self._keys, self._users = {}, {}
        for name, tenant in self.state.tenants.items():
            for identity in tenant.values(IDENTITIES):
                self._reindex(name, None, identity)

    def _reindex(self, tenant: str, old: Any, new: Any) -> None:
        """The tenant's indexes after an identity was written (``old``: as it was, None for a
        new one; its text ExternalKey and usernames only), on the process that wrote it and on
        the others alike."""
        keys = self._keys.get(tenant)
        if keys is None:
            keys = self._keys[tenant] = UniqueIndex()
        users = self._users.get(tenant)
        if users is None:
            users = self._users[tenant] = UniqueIndex()
        before, after = _external_key(old), _external_key(new)
        if before != after:
            keys.change(before, after)
        # Users are only ever added, and a stored user keeps its Username (the seed): the
        # usernames changed only if the count did (an identity of 2,000 users was read whole
        # twice on every update of its other columns)
        if len((old or {}).get("Users") or ()) != len((new or {}).get("Users") or ()):
            users.change(_usernames(old), _usernames(new))

    def clashes(self, tenants: Iterable[str]) -> list[str]:
        found: list[str] = []
        for name in tenants:
            keys = self._keys.get(name)
            for key, ids in keys.shared.items() if keys is not None else ():
                found.append(
                    f"tenant {name!r}: the ExternalKey {key!r} is held by identities"
                    f" {_listed(map(str, ids))}"
                )
            users = self._users.get(name)
            for username, held in users.shared.items() if users is not None else ():
                holders = (f"{user} (identity {irid})" for irid, user in held)
                found.append(
                    f"tenant {name!r}: the Username {username!r} is held by users"
                    f" {_listed(holders)}"
                )
        return found

    # -- authorisation ------------------------------------------------------------------------
    def forbidden(self, message: str, detail: str = "") -> XtraError:
        return XtraError(403, self.settings.auth_error_code, message, detail)

    def keys_refused(self, headers: Any) -> XtraError:
        """403 for a key pair that names no account or not with that secret, saying which."""
        public = headers.get("syncpublickey")
        if not public:
            detail = "no SyncPublicKey header"
        elif self.named_account(headers) is None:
            detail = f"no account has the SyncPublicKey {public!r}"
        else:
            detail = f"the SyncSecretKey is not the one of SyncPublicKey {public!r}"
        met(coverage.KEYS_REFUSED)
        return self.forbidden(KEYS_REFUSED, detail)

    def _account(self, headers: Any, secret: str) -> Account | None:
        """The account of the call's key pair, when ``secret`` is its secret key."""
        account = self.named_account(headers)
        if account is None:
            return None
        if not secrets.compare_digest(secret.encode(), account.secret_key.encode()):
            return None
        return account

    def caller(self, headers: Any) -> Caller:
        """AccessToken when sent (it decides), else the key pair; 403 otherwise."""
        sent = dict(headers)  # by lower-case name already: plain look-ups
        value = sent.get("accesstoken")
        if value is not None:
            token, verdict = self.tokens.verdict(value)
            if token is None:
                expired = verdict == "expired"
                met(coverage.ACCESS_TOKEN_EXPIRED if expired else coverage.ACCESS_TOKEN_INVALID)
                raise self.forbidden("AccessToken non valido o scaduto", f"the token is {verdict}")
            return Caller(
                self.state.tenant(token.tenant), token.claims["irid"], token.claims["uid"]
            )
        account = self._account(headers, sent.get("syncsecretkey") or "")
        if account is None:
            raise self.keys_refused(sent)
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
                "Le chiamate contact form richiedono SyncPublicKey e SyncSecretKey"
            )
        for record in records:
            rid = record.get("ID")
            if not is_id(rid) or rid != caller.irid:
                met(coverage.ACCESS_TOKEN_SCOPE)
                raise self.forbidden(
                    f"Con AccessToken si può aggiornare solo l'anagrafica {caller.irid}"
                )
            users = record.get("Users")
            for user in users if isinstance(users, list) else []:
                uid = user.get("ID") if isinstance(user, dict) else None
                if not is_id(uid) or uid != caller.user_id:
                    met(coverage.ACCESS_TOKEN_SCOPE)
                    raise self.forbidden(
                        f"Con AccessToken si può aggiornare solo l'utente {caller.user_id}"
                    )

    def login(self, username: str, password: str, headers: Any) -> dict[str, Any]:
        """The flat login result. Key pair sent: that account only; else every account."""
        if headers.get("syncpublickey") is not None or headers.get("syncsecretkey") is not None:
            account = self._account(headers, headers.get("syncsecretkey") or "")
            if account is None:
                raise self.keys_refused(headers)
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
        raise self.forbidden("Credenziali non valide", f"no user {username!r} with that password")

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

    # -- irs/update -----------------------------------------------------------------------------
    def check_room(
        self, tenant: TenantState, records: list[dict[str, Any]], contact_form: bool
    ) -> None:
        """The vendor's 500 for a call whose records may need an ID past Int32 (only a state
        document sets a sequence near it), before any record is checked or written: the IDs
        are taken record by record, and a refusal half-way left the records before it
        written. A call takes at most one ID per byte of its body: only one that many could
        take past Int32 counts them."""
        keys = self._keys.get(tenant.name, {})
        tenant.check_room(
            lambda: ids_needed(records, contact_form, keys),
            self.kit.max_body_bytes,
            INT32_MAX,
            "Int32 (XTRA's IDs)",
        )

    def upsert(
        self,
        tenant: TenantState,
        record: dict[str, Any],
        *,
        contact_form: bool,
        ignored: frozenset[str],
        fault: RecordFault | None = None,
    ) -> Outcome:
        """Insert or update one schema-valid record: check everything, then write. ``fault``
        is asked only for a record that passed every check, just before it would be written:
        a record refused for its content never uses a vendor fault up."""
        key = identity_key(record, contact_form)
        users = record.get("Users")
        documents = record.get("IdentityDocuments")
        try:
            existing = self._target(tenant, record, key, contact_form)
            if users:
                self._check_users(tenant, existing, users)
            if documents:
                self._check_documents(existing, documents)
        except RecordError as error:
            return failed(record, contact_form, error)
        error = fault(record) if fault is not None else None
        if error is not None:
            return failed(record, contact_form, error)
        return self._write(tenant, record, existing, key, contact_form, ignored)

    def _target(
        self, tenant: TenantState, record: dict[str, Any], key: str | None, contact_form: bool
    ) -> dict[str, Any] | None:
        """The identity to update, or None to insert."""
        rid = record.get("ID")
        keys = self._keys.get(tenant.name)
        known = keys.get(key) if key and keys else None
        if is_id(rid):
            found = tenant.get(IDENTITIES, str(rid))
            if found is None:
                raise RecordError(NOT_FOUND, f"Anagrafica non trovata: ID {rid}")
            # One key, one identity; one that holds a key another holds too may keep it.
            if known is not None and keys and not keys.holds(key, rid):
                if contact_form:  # the built key finds another identity than the ID names
                    raise RecordError(
                        INVALID,
                        f"Richiesta non valida: ID {rid} e ExternalKey {key} (ID {known})"
                        " indicano anagrafiche diverse",
                    )
                raise RecordError(EXISTS, f"Anagrafica già trovata: ExternalKey {key} (ID {known})")
            return found
        if known is None:
            return None
        if contact_form:
            return tenant.get(IDENTITIES, str(known))
        raise RecordError(EXISTS, f"Anagrafica già trovata: ExternalKey {key} (ID {known})")

    def _check_users(
        self, tenant: TenantState, existing: dict[str, Any] | None, users: list[dict[str, Any]]
    ) -> None:
        ids = {u["ID"] for u in (existing or {}).get("Users") or []}
        taken = self._users.get(tenant.name, {})
        new_names: set[str] = set()
        for index, user in enumerate(users):
            if user["Password"] != user["ConfirmPassword"]:
                raise RecordError(
                    INVALID,
                    f"Richiesta non valida: Users[{index}].ConfirmPassword diversa da Password",
                )
            if is_id(user.get("ID")):
                if user["ID"] not in ids:
                    raise RecordError(
                        NOT_FOUND,
                        f"Anagrafica non trovata: Users[{index}].ID {user['ID']} "
                        "non è un utente dell'anagrafica",
                    )
                continue
            name = user["Username"]
            if name in taken or name in new_names:
                raise RecordError(
                    INSERT_FAILED,
                    f"Errore inserimento: Users[{index}].Username {name} già esistente",
                )
            new_names.add(name)

    @staticmethod
    def _check_documents(existing: dict[str, Any] | None, documents: list[dict[str, Any]]) -> None:
        stored = (existing or {}).get("IdentityDocuments") or []
        ids = {d["ID"] for d in stored}
        seen = {tuple(map(d.get, _DOCUMENT_PAIR)) for d in stored}
        for index, document in enumerate(documents):
            if is_id(document.get("ID")):
                if document["ID"] not in ids:
                    raise RecordError(
                        DOC_NOT_IMPORTED,
                        f"Riga non importata: IdentityDocuments[{index}].ID {document['ID']} "
                        "non è un documento dell'anagrafica",
                    )
                continue
            pair = tuple(map(document.get, _DOCUMENT_PAIR))
            if pair[1] is not None and pair in seen:
                raise RecordError(
                    DOC_EXISTS,
                    f"Documento esistente: IdentityDocuments[{index}] tipologia {pair[0]} "
                    f"numero {pair[1]}",
                )
            seen.add(pair)

    def _write(
        self,
        tenant: TenantState,
        record: dict[str, Any],
        existing: dict[str, Any] | None,
        key: str | None,
        contact_form: bool,
        ignored: frozenset[str],
    ) -> Outcome:
        if existing is None:  # its ID, its SUB_RECORDS lists, then its columns
            identity = {
                "ID": tenant.next("identity"),
                "Destinations": [],
                "Contacts": [],
                "IdentityDocuments": [],
                "Users": [],
            }
        else:  # a copy, changed in place below: the stored identity stays as it was
            identity = copy.deepcopy(existing)
        skip = _not_stored(ignored, contact_form)
        for column, value in record.items():
            if column not in skip:
                identity[column] = value
        if contact_form:
            identity["ExternalKey"] = key
        if existing is not None:  # a list the stored identity lacks comes after its columns
            for name in SUB_RECORDS:
                if identity.get(name) is None:
                    identity[name] = []
        destinations = _merge(
            tenant, identity["Destinations"], record.get("Destinations"), "destination"
        )
        contacts = _merge(tenant, identity["Contacts"], record.get("Contacts"), "contact")
        _merge(tenant, identity["IdentityDocuments"], record.get("IdentityDocuments"), "document")
        users = record.get("Users")
        if users:
            self._write_users(tenant, identity, users)
        if contact_form:  # under the index after the request's contacts, or the next free one
            number = len(record.get("Contacts") or [])
            while str(number) in contacts:  # a contact's ExternalKey took it
                number += 1
            contacts[str(number)] = _email_contact(tenant, identity, record["EMail"])
        tenant.put(IDENTITIES, str(identity["ID"]), identity)
        self._reindex(tenant.name, existing, identity)
        met(_WRITTEN[contact_form, existing is not None])
        if contact_form:
            self._record_activity(tenant, identity, record)
        return Outcome(identity["ID"], identity.get("ExternalKey"), None, destinations, contacts)

    def _write_users(
        self, tenant: TenantState, identity: dict[str, Any], users: list[dict[str, Any]]
    ) -> None:
        stored = identity["Users"]
        by_id = {u["ID"]: u for u in stored}
        for user in users:
            given = {k: v for k, v in user.items() if k != "ConfirmPassword"}
            if is_id(user.get("ID")):
                # Username and Email are not taken into account on update (seed).
                by_id[user["ID"]].update(
                    (k, v) for k, v in given.items() if k not in ("ID", "Username", "Email")
                )
                continue
            stored.append({**given, "ID": tenant.next("user")})

    def _record_activity(
        self, tenant: TenantState, identity: dict[str, Any], record: dict[str, Any]
    ) -> None:
        number = tenant.next("activity")
        activity = {
            "ID": number,
            "IRID": identity["ID"],
            "ExternalKey": identity["ExternalKey"],
            "EMail": record["EMail"],
            "created_at": self.clock.isoformat(),
            **{name: record.get(name) for name in ACTIVITY_FIELDS},
        }
        tenant.put(ACTIVITIES, str(number), activity)


def _external_key(identity: Any) -> list[tuple[str, int]]:
    """The ExternalKey an identity is found by, with its ID (none for no identity)."""
    key = indexed_key(identity) if identity else None
    return [] if key is None else [(key, identity["ID"])]


def _usernames(identity: Any) -> list[tuple[str, tuple[int, int]]]:
    """Each username of an identity's users, with (IRID, the user's ID)."""
    users = (identity.get("Users") or []) if identity else []
    return [
        (user["Username"], (identity["ID"], user["ID"]))
        for user in users
        if isinstance(user.get("Username"), str)
    ]


def _listed(names: Iterable[str]) -> str:
    """``a, b and c``: the holders of a value, the one look-ups find last."""
    *first, last = names
    return f"{', '.join(first)} and {last}"


@cache
def _not_stored(ignored: frozenset[str], contact_form: bool) -> frozenset[str]:
    """The columns of a record that are not the identity's own: its ID, its sub-records, the
    columns the context ignores and (contact form) those of the CRM activity."""
    return frozenset({"ID", *SUB_RECORDS, *ignored, *(ACTIVITY_FIELDS if contact_form else ())})


_WRITTEN = {
    (False, False): coverage.INSERTED,
    (False, True): coverage.UPDATED,
    (True, False): coverage.CONTACT_FORM_INSERTED,
    (True, True): coverage.CONTACT_FORM_UPDATED,
}
"""(contact form?, existing identity?) -> the situation a written record met."""


def _merge(
    tenant: TenantState,
    stored: list[dict[str, Any]],
    items: list[dict[str, Any]] | None,
    sequence: str,
) -> dict[str, int | None]:
    """Apply a record's ``items`` to the identity's ``stored`` list (insert without ID, update
    with an ID the identity has), new IDs from ``sequence``; return the Item5/Item6 map.

    Keys are the item's ExternalKey, or its index in the request when it has none (``""``
    names none, as for an identity); a value is None when the item names an ID the identity
    does not have (not imported).
    """
    outcome: dict[str, int | None] = {}
    if not items:
        return outcome
    by_id = {s["ID"]: s for s in stored} if stored else {}
    for index, item in enumerate(items):
        key = item.get("ExternalKey")
        label = key if isinstance(key, str) and key else str(index)
        item_id = item.get("ID")
        if is_id(item_id):
            target = by_id.get(item_id)
            if target is not None:
                target.update(item)
            outcome[label] = target["ID"] if target is not None else None
            continue
        new = {**item, "ID": tenant.next(sequence)}
        stored.append(new)
        by_id[new["ID"]] = new
        outcome[label] = new["ID"]
    return outcome


def _email_contact(tenant: TenantState, identity: dict[str, Any], email: str) -> int:
    """The contact-form EMail as an Email contact of the identity (reused when already there)."""
    for contact in identity["Contacts"]:
        if contact.get("FIDContactTypology") == EMAIL_TYPOLOGY and contact.get("Value") == email:
            return contact["ID"]
    contact = {
        "ID": tenant.next("contact"),
        "FIDContactTypology": EMAIL_TYPOLOGY,
        "Value": email,
        "Default": not identity["Contacts"],
    }
    identity["Contacts"].append(contact)
    return contact["ID"]
