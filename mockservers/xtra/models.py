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
from mockservers.core.coverage import met
from mockservers.core.errors import KitError
from mockservers.core.kit import Kit
from mockservers.core.sessions import in_scope
from mockservers.core.state import TenantState, VendorState, highest_id
from mockservers.core.tokens import TokenStore
from mockservers.core.unique import UniqueIndex, listed
from mockservers.core.vendor import VendorModel
from mockservers.xtra import coverage
from mockservers.xtra.auth import Authorisation
from mockservers.xtra.errors import (
    EXISTS,
    INSERT_FAILED,
    INVALID,
    NOT_FOUND,
    UNHANDLED,
    UNHANDLED_TEXT,
    RecordError,
    XtraError,
)
from mockservers.xtra.records import (
    ACTIVITIES,
    ACTIVITY_FIELDS,
    IDENTITIES,
    SUB_RECORD_SEQUENCES,
    SUB_RECORDS,
    Items,
    Outcome,
    RecordFault,
    check_state,
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
from mockservers.xtra.working import NO_CHANGE, NO_DOCUMENTS, Identities, PairChange, Work

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
        # The header list of the call being answered, the account their SyncPublicKey names and,
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
        keys, users = self._indexes(tenant)
        before, after = _external_key(old), _external_key(new)
        if before != after:
            keys.change(before, after)
        # Users are only ever added, and a stored user keeps its Username (the seed): the
        # usernames changed only if the count did (an identity of 2,000 users was read whole
        # twice on every update of its other columns)
        if len((old or {}).get("Users") or ()) != len((new or {}).get("Users") or ()):
            users.change(_usernames(old), _usernames(new))

    def _indexed(
        self,
        tenant: str,
        before: list[tuple[str, int]],
        identity: dict[str, Any],
        added: list[dict[str, Any]],
    ) -> None:
        """``_reindex`` for a record this process wrote, told only what changed: the identity's
        ExternalKey as it was (``before``) and the users the record ``added`` (a user keeps
        its Username: looking at every username was quadratic in a call whose records each
        added one user to one identity)."""
        keys, users = self._indexes(tenant)
        after = _external_key(identity)
        if before != after:
            keys.change(before, after)
        if added:
            users.change((), _usernames({"ID": identity["ID"], "Users": added}))

    def _indexes(
        self, tenant: str
    ) -> tuple[UniqueIndex[str, int], UniqueIndex[str, tuple[int, int]]]:
        """The tenant's ExternalKey and Username indexes (made on first use)."""
        keys = self._keys.get(tenant)
        if keys is None:
            keys = self._keys[tenant] = UniqueIndex()
        users = self._users.get(tenant)
        if users is None:
            users = self._users[tenant] = UniqueIndex()
        return keys, users

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
        try:
            tenant.check_room(
                lambda: ids_needed(records, contact_form, keys),
                self.kit.max_body_bytes,
                INT32_MAX,
                "Int32 (XTRA's IDs)",
            )
        except KitError as exc:  # the handler's own 500: its envelope, with debug on request
            raise XtraError(exc.status or 500, UNHANDLED, UNHANDLED_TEXT, exc.detail) from None

    @staticmethod
    def batch(tenant: TenantState) -> Identities:
        """The identities one call reads and writes, through ``upsert``: each read once, each
        written as the call ends (``core/batch.py``), what the records look up in each kept
        as they write (``working.py``)."""
        return Identities(tenant)

    def upsert(
        self,
        identities: Identities,
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
            work = identities.work(existing) if existing is not None else None
            if users:
                self._check_users(identities.tenant, work, users)
            pairs = NO_CHANGE
            if documents:
                pairs = (work.documents() if work else NO_DOCUMENTS).check(documents)
        except RecordError as error:
            return failed(record, contact_form, error)
        error = fault(record) if fault is not None else None
        if error is not None:
            return failed(record, contact_form, error)
        return self._write(identities, record, work, key, (contact_form, ignored), pairs)

    def _target(
        self, identities: Identities, record: dict[str, Any], key: str | None, contact_form: bool
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
        self, tenant: TenantState, work: Work | None, users: list[dict[str, Any]]
    ) -> None:
        stored = work.items("Users") if work is not None else None
        taken = self._users.get(tenant.name, {})
        new_names: set[str] = set()
        for index, user in enumerate(users):
            if user["Password"] != user["ConfirmPassword"]:
                raise RecordError(
                    INVALID,
                    f"Richiesta non valida: Users[{index}].ConfirmPassword diversa da Password",
                )
            if is_id(user.get("ID")):
                if stored is None or stored.place(user["ID"]) is None:
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

    def _write(
        self,
        identities: Identities,
        record: dict[str, Any],
        work: Work | None,
        key: str | None,
        context: tuple[bool, frozenset[str]],
        pairs: PairChange,
    ) -> Outcome:
        """Write a checked record (``work``: on the identity it updates, None to insert;
        ``context``: contact form?, the columns ignored; ``pairs``: what its documents change
        of the identity's, ``DocumentPairs.check``)."""
        tenant = identities.tenant
        contact_form, ignored = context
        if work is None:  # its ID, its SUB_RECORDS lists, then its columns
            identity = {
                "ID": tenant.next("identity"),
                "Destinations": [],
                "Contacts": [],
                "IdentityDocuments": [],
                "Users": [],
            }
            before: list[tuple[str, int]] = []
        else:  # the call's own copy: the identity as stored stays as it was
            before = _external_key(work.identity)
            identity = work.writable()
        skip = not_stored(ignored, contact_form)
        for column, value in record.items():
            if column not in skip:
                identity[column] = value
        if contact_form:
            identity["ExternalKey"] = key
        for name in SUB_RECORDS:  # a list the stored identity lacks comes after its columns
            if identity.get(name) is None:
                identity[name] = []
        destinations = _merged(tenant, work, identity, record, "Destinations")
        contacts = _merged(tenant, work, identity, record, "Contacts")
        documents = record.get("IdentityDocuments")
        if documents:
            listed = _own_list(work, identity, "IdentityDocuments")
            held = len(listed.items)
            merge(tenant, listed, documents, "document")
            if work is not None:
                work.written_documents(pairs, listed.items[held:])
        users = record.get("Users")
        added = _write_users(tenant, _own_list(work, identity, "Users"), users) if users else []
        if contact_form:  # under the index after the request's contacts, or the next free one
            number = len(record.get("Contacts") or [])
            while str(number) in contacts:  # a contact's ExternalKey took it
                number += 1
            listed = _own_list(work, identity, "Contacts")
            contacts[str(number)] = email_contact(tenant, listed, record["EMail"])
        identities.put(str(identity["ID"]), identity)
        self._indexed(tenant.name, before, identity, added)
        met(_WRITTEN[contact_form, work is not None])
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


def _merged(
    tenant: TenantState,
    work: Work | None,
    identity: dict[str, Any],
    record: dict[str, Any],
    name: str,
) -> dict[str, int | None]:
    """The record's items of the list ``name`` merged into the identity's (``merge``)."""
    items = record.get(name)
    if not items:
        return {}
    return merge(tenant, _own_list(work, identity, name), items, SUB_RECORD_SEQUENCES[name])


def _own_list(work: Work | None, identity: dict[str, Any], name: str) -> Items:
    """The identity's list ``name``, the call's own: ``work``'s copy of it, or for an identity
    the record inserts (``work`` None) the list it was made with."""
    return work.own_list(name) if work is not None else Items(identity[name])


def _write_users(
    tenant: TenantState, stored: Items, users: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A record's users into the identity's (the call's own list): a new one appended, a
    stored one replaced by its updated copy. The users added."""
    added = []
    for user in users:
        given = {k: v for k, v in user.items() if k != "ConfirmPassword"}
        if is_id(user.get("ID")):
            # Username and Email are not taken into account on update (seed).
            index = stored.place(user["ID"])
            assert index is not None  # checked (_check_users)
            kept = {k: v for k, v in given.items() if k not in ("ID", "Username", "Email")}
            stored.replace(index, {**stored.items[index], **kept})
            continue
        new = {**given, "ID": tenant.next("user")}
        stored.append(new)
        added.append(new)
    return added


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
