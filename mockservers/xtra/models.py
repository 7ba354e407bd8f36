"""XTRA state and rules, free of HTTP: accounts, tokens, identities with their destinations,
contacts, identity documents and users, contact-form upserts and CRM activities.

A record is checked completely before anything is written, so a record that fails stores
nothing and consumes no IDs; a call whose records may need an ID past Int32 is refused (the
vendor's 500) before any of them is written.

The accounts and logins are in ``auth.py``, the rules of a record that need no state (its IDs
and keys, a state document's check, merging its items) in ``records.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from contracts import contract
from contracts.binding import Names, body_names
from mockservers.core.batch import Batch
from mockservers.core.coverage import met
from mockservers.core.kit import Kit
from mockservers.core.sessions import in_scope
from mockservers.core.state import TenantState, VendorState, highest_id
from mockservers.core.tokens import TokenStore
from mockservers.core.unique import UniqueIndex, listed
from mockservers.core.vendor import VendorModel
from mockservers.xtra import coverage
from mockservers.xtra.auth import Authorisation
from mockservers.xtra.errors import (
    DOC_EXISTS,
    DOC_NOT_IMPORTED,
    EXISTS,
    INSERT_FAILED,
    INVALID,
    NOT_FOUND,
    RecordError,
)
from mockservers.xtra.records import (
    ACTIVITIES,
    ACTIVITY_FIELDS,
    IDENTITIES,
    NO_NUMBER,
    SUB_RECORD_SEQUENCES,
    SUB_RECORDS,
    Outcome,
    RecordFault,
    check_state,
    document_pair,
    email_contact,
    failed,
    identity_key,
    ids_needed,
    indexed_key,
    is_id,
    merge,
    not_stored,
)
from mockservers.xtra.settings import INT32_MAX, Account, AccountUser, XtraSettings

_LOGIN_NAMES = body_names(contract("xtra/login.request"))
_UPDATE_NAMES = {
    False: body_names(contract("xtra/updateIdentities.request")),
    True: body_names(contract("xtra/updateIdentities.contactForm.request")),
}
"""The names each body binds in any case (its contract's ``x-names-any-case``), compiled once;
irs/update's by ``contactForm``."""


class XtraModel(Authorisation, VendorModel):
    """XTRA's state and rules: accounts and logins (``auth.py``), identities written record by
    record (``upsert``, with the rules of ``records.py``), and the indexes each process derives
    from them (ExternalKey, Username)."""

    def __init__(self, settings: XtraSettings, kit: Kit, state: VendorState) -> None:
        self.settings = settings
        self.kit = kit
        self.clock = kit.clock
        self.state = state
        self.accounts: dict[str, Account] = {a.public_key: a for a in settings.all_accounts()}
        self._rank = {account.name: rank for rank, account in enumerate(self.accounts.values())}
        """Each configured account's place in the configuration (the demo account first)."""
        self.tokens = TokenStore(kit.clock, store=kit.store, name="tokens:xtra")
        # The names each body binds (``contracts.binding.bound_body``): the contracts' in any
        # case, as ASP.NET binds them; with field_names_any_case = false, None: as written.
        any_case = settings.field_names_any_case
        self.login_names: Names | None = _LOGIN_NAMES if any_case else None
        self.update_names = {form: n if any_case else None for form, n in _UPDATE_NAMES.items()}
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
                    f" {listed(map(str, ids))}"
                )
            users = self._users.get(name)
            for username, held in users.shared.items() if users is not None else ():
                holders = (f"{user} (identity {irid})" for irid, user in held)
                found.append(
                    f"tenant {name!r}: the Username {username!r} is held by users {listed(holders)}"
                )
        return found

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

    @staticmethod
    def batch(tenant: TenantState) -> Batch:
        """The identities one call reads and writes, through ``upsert``: each read once, each
        written as the call ends (``core/batch.py``)."""
        return Batch(tenant, IDENTITIES)

    def upsert(
        self,
        identities: Batch,
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
            existing = self._target(identities, record, key, contact_form)
            if users:
                self._check_users(identities.tenant, existing, users)
            if documents:
                self._check_documents(existing, documents)
        except RecordError as error:
            return failed(record, contact_form, error)
        error = fault(record) if fault is not None else None
        if error is not None:
            return failed(record, contact_form, error)
        return self._write(identities, record, existing, key, contact_form, ignored)

    def _target(
        self, identities: Batch, record: dict[str, Any], key: str | None, contact_form: bool
    ) -> dict[str, Any] | None:
        """The identity to update, or None to insert."""
        rid = record.get("ID")
        keys = self._keys.get(identities.tenant.name)
        known = keys.get(key) if key and keys else None
        if is_id(rid):
            found = identities.get(str(rid))
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
            return identities.get(str(known))
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
        """``ER.DOC.RNOIMPORT`` for a document ID not on the identity; ``ER.DOC.EXISTS`` for a
        document that would hold the typology and number another document holds: one inserted,
        or one updated (its stored fields with those sent on top), in the record's order, so
        that an update frees the pair its document held. One look-up per document: a record of
        thousands of documents is checked in linear time."""
        stored = (existing or {}).get("IdentityDocuments") or []
        pairs = {d["ID"]: document_pair(d) for d in stored}  # as the record leaves them so far
        held: dict[tuple[Any, Any], int] = {}  # how many documents hold each numbered pair
        for pair in pairs.values():
            if pair[1] not in NO_NUMBER:
                held[pair] = held.get(pair, 0) + 1
        for index, document in enumerate(documents):
            if is_id(document.get("ID")):
                before = pairs.get(document["ID"])
                if before is None:
                    raise RecordError(
                        DOC_NOT_IMPORTED,
                        f"Riga non importata: IdentityDocuments[{index}].ID {document['ID']} "
                        "non è un documento dell'anagrafica",
                    )
                pair = document_pair(document, before)
                if pair == before:
                    continue
                if before[1] not in NO_NUMBER:
                    held[before] -= 1
                pairs[document["ID"]] = pair
            else:
                pair = document_pair(document)
            if pair[1] in NO_NUMBER:
                continue
            if held.get(pair):
                raise RecordError(
                    DOC_EXISTS,
                    f"Documento esistente: IdentityDocuments[{index}] tipologia {pair[0]} "
                    f"numero {pair[1]}",
                )
            held[pair] = 1

    def _write(
        self,
        identities: Batch,
        record: dict[str, Any],
        existing: dict[str, Any] | None,
        key: str | None,
        contact_form: bool,
        ignored: frozenset[str],
    ) -> Outcome:
        tenant = identities.tenant
        if existing is None:  # its ID, its SUB_RECORDS lists, then its columns
            identity = {
                "ID": tenant.next("identity"),
                "Destinations": [],
                "Contacts": [],
                "IdentityDocuments": [],
                "Users": [],
            }
        else:  # a copy of its columns, and below of each list the record changes: the
            # identity as stored, and as the call's earlier records left it, stays as it was
            identity = existing.copy()
        skip = not_stored(ignored, contact_form)
        for column, value in record.items():
            if column not in skip:
                identity[column] = value
        if contact_form:
            identity["ExternalKey"] = key
        if existing is not None:  # a list the stored identity lacks comes after its columns
            for name in SUB_RECORDS:
                items = identity.get(name)
                if items is None:
                    identity[name] = []
                elif record.get(name) or (contact_form and name == "Contacts"):
                    identity[name] = list(items)  # its items are replaced, never changed
        destinations = merge(
            tenant, identity["Destinations"], record.get("Destinations"), "destination"
        )
        contacts = merge(tenant, identity["Contacts"], record.get("Contacts"), "contact")
        merge(tenant, identity["IdentityDocuments"], record.get("IdentityDocuments"), "document")
        users = record.get("Users")
        if users:
            _write_users(tenant, identity["Users"], users)
        if contact_form:  # under the index after the request's contacts, or the next free one
            number = len(record.get("Contacts") or [])
            while str(number) in contacts:  # a contact's ExternalKey took it
                number += 1
            contacts[str(number)] = email_contact(tenant, identity, record["EMail"])
        identities.put(str(identity["ID"]), identity)
        self._reindex(tenant.name, existing, identity)
        met(_WRITTEN[contact_form, existing is not None])
        if contact_form:
            self._record_activity(tenant, identity, record)
        return Outcome(identity["ID"], identity.get("ExternalKey"), None, destinations, contacts)

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


def _write_users(
    tenant: TenantState, stored: list[dict[str, Any]], users: list[dict[str, Any]]
) -> None:
    """A record's users into the identity's (its own copy of the list): a new one appended,
    a stored one replaced by its updated copy."""
    at = {user["ID"]: index for index, user in enumerate(stored)}
    for user in users:
        given = {k: v for k, v in user.items() if k != "ConfirmPassword"}
        if is_id(user.get("ID")):
            # Username and Email are not taken into account on update (seed).
            index = at[user["ID"]]
            kept = {k: v for k, v in given.items() if k not in ("ID", "Username", "Email")}
            stored[index] = {**stored[index], **kept}
            continue
        stored.append({**given, "ID": tenant.next("user")})


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


_WRITTEN = {
    (False, False): coverage.INSERTED,
    (False, True): coverage.UPDATED,
    (True, False): coverage.CONTACT_FORM_INSERTED,
    (True, True): coverage.CONTACT_FORM_UPDATED,
}
"""(contact form?, existing identity?) -> the situation a written record met."""
