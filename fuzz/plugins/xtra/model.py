"""A plain-Python model of XTRA for the demo account: what every call must answer and leave.

It restates the documented behaviour and the kit's decisions (docs/assumptions/xtra.md),
independently of the fake's code: an insert (no ``ID``) needs a fresh ``ExternalKey`` (else
``ER.IR.EXISTS``), an ``ID`` must exist (else ``ER.IR.NOFOUND``) and may not take another
identity's key (``ER.IR.EXISTS``; ``ER.IR.INVAL`` for a contact form's built key), an update
changes only the fields sent; sub-records without ``ID`` are inserted with IDs from per-account
sequences, with an ``ID`` of the identity updated (another ID: not imported, ``null``); a
document inserted, or updated, to the typology and number of another on the identity is
``ER.DOC.EXISTS``, a document ID not on it ``ER.DOC.RNOIMPORT``; a contact form upserts on
``EMail_Surname_Name``, adds the e-mail as an Email contact and records one CRM activity; a
refused record stores nothing. AccessTokens last ``ttl`` seconds of the kit's clock and reach
only their own identity.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

OK, FORBIDDEN = 200, 403
INVALID, NOT_FOUND, EXISTS = "ER.IR.INVAL", "ER.IR.NOFOUND", "ER.IR.EXISTS"
DOC_EXISTS, DOC_NOT_IMPORTED = "ER.DOC.EXISTS", "ER.DOC.RNOIMPORT"
SUB_RECORDS = ("Destinations", "Contacts", "IdentityDocuments", "Users")
ACTIVITY_FIELDS = (
    "CRMMessage",
    "WebReasonID",
    "WebFormKey",
    "CRMTermsConditions",
    "CRMMarketingConsent",
    "CRMPrivacyMarketing",
    "BOPCode",
)
EMAIL_TYPOLOGY = 2
DEMO_IDENTITY: dict[str, Any] = {
    "ID": 1,
    "ExternalKey": None,
    "FIDGroup": 1,
    "TypologyIds": [2],
    "Denomination": "Demo S.r.l.",
    "Surname": "Demo",
    "Name": "Utente",
    "Destinations": [],
    "Contacts": [],
    "IdentityDocuments": [],
    "Users": [{"ID": 1, "Username": "demo", "Email": "demo@example.invalid", "Password": "demo"}],
}


class Refused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Record:
    """A record as the machine built it; ``defect`` names the contract rule it breaks, if any."""

    fields: dict[str, Any]
    defect: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What the client must return for one record."""

    id: int
    external_key: str | None
    ok: bool
    error_code: str | None
    destinations: dict[str, int | None]
    contacts: dict[str, int | None]


@dataclass
class XtraModel:
    tenant: str
    start: datetime
    ttl: int = 3600
    now: int = 0
    token_issued: int | None = None
    irid: int = 1
    identities: dict[int, dict[str, Any]] = field(
        default_factory=lambda: {1: copy.deepcopy(DEMO_IDENTITY)}
    )
    activities: dict[str, dict[str, Any]] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=lambda: {"identity": 1, "user": 1})
    """The demo identity holds IRID 1 (its sequence says so), its user the user ID 1."""

    # -- tokens -----------------------------------------------------------------------------
    def advance(self, seconds: int) -> None:
        self.now += seconds

    def reset(self) -> None:
        """The vendor reset: identities back to the demo one with its user, activities and
        sequences to start, the token gone (the next token call is refused once, 403, and the
        client logs in again)."""
        fresh = XtraModel(self.tenant, self.start, self.ttl)
        self.identities, self.activities = fresh.identities, fresh.activities
        self.sequences = fresh.sequences
        if self.token_issued is not None:
            self.token_issued = self.now - self.ttl

    def login(self) -> list[tuple[str, int]]:
        self.token_issued = self.now
        return [("login", OK)]

    def authed(self, status: int, *, own: bool = True) -> list[tuple[str, int]]:
        """The exchanges of a token call answered ``status`` once the token is good: log in
        first; or, for records of the token's ``own`` identity, a 403 on the expired earlier
        token, log in, again. Records beyond it are refused once, whatever the token: the
        client does not try a new one, which would be refused the same way."""
        issued = self.token_issued
        if issued is None:
            return [*self.login(), ("updateIdentities", status)]
        if not own:
            return [("updateIdentities", FORBIDDEN)]
        if self.now >= issued + self.ttl:
            return [("updateIdentities", FORBIDDEN), *self.login(), ("updateIdentities", status)]
        return [("updateIdentities", status)]

    # -- irs/update -------------------------------------------------------------------------
    def update(self, records: list[Record], *, contact_form: bool = False) -> list[Outcome]:
        return [self._one(record, contact_form) for record in records]

    def _one(self, record: Record, contact_form: bool) -> Outcome:
        fields = record.fields
        key = _key(fields, contact_form)
        rid = fields.get("ID")
        if record.defect is not None:
            return Outcome(rid or 0, key, False, INVALID, {}, {})
        try:
            existing = self._target(fields, key, contact_form)
            self._check_documents(existing, fields.get("IdentityDocuments") or [])
        except Refused as refused:
            return Outcome(rid or 0, key, False, refused.code, {}, {})
        identity = copy.deepcopy(existing) if existing else self._new_identity()
        skip = {"ID", *SUB_RECORDS, *(ACTIVITY_FIELDS if contact_form else ())}
        identity.update((k, v) for k, v in fields.items() if k not in skip)
        if contact_form:
            identity["ExternalKey"] = key
        destinations = self._merge(identity, "Destinations", fields, "destination")
        contacts = self._merge(identity, "Contacts", fields, "contact")
        self._merge(identity, "IdentityDocuments", fields, "document")
        if contact_form:
            contacts[str(len(fields.get("Contacts") or []))] = self._email(identity, fields)
        self.identities[identity["ID"]] = identity
        if contact_form:
            number = self._next("activity")
            self.activities[str(number)] = {
                "ID": number,
                "IRID": identity["ID"],
                "ExternalKey": key,
                "EMail": fields["EMail"],
                "created_at": self.timestamp(),
                **{name: fields.get(name) for name in ACTIVITY_FIELDS},
            }
        return Outcome(
            identity["ID"], identity.get("ExternalKey"), True, None, destinations, contacts
        )

    def _target(
        self, fields: dict[str, Any], key: str | None, contact_form: bool
    ) -> dict[str, Any] | None:
        found = [i for i in self.identities.values() if key and i.get("ExternalKey") == key]
        if fields.get("ID") is not None:
            if fields["ID"] not in self.identities:
                raise Refused(NOT_FOUND)
            if any(i["ID"] != fields["ID"] for i in found):  # a key names one identity
                raise Refused(INVALID if contact_form else EXISTS)
            return self.identities[fields["ID"]]
        if not found:
            return None
        if contact_form:
            return found[0]
        raise Refused(EXISTS)

    @staticmethod
    def _check_documents(existing: dict[str, Any] | None, documents: list[dict[str, Any]]) -> None:
        """A document clashes when the typology and number it would hold, inserted or updated
        (its stored fields with those sent on top), are another's, the documents taken in the
        record's order; one that keeps its own pair never clashes."""
        kept = [dict(d) for d in (existing or {}).get("IdentityDocuments") or []]
        for document in documents:
            target = None
            if document.get("ID") is not None:
                target = next((d for d in kept if d.get("ID") == document["ID"]), None)
                if target is None:
                    raise Refused(DOC_NOT_IMPORTED)
            written = {**(target or {}), **document}
            pair = _pair(written)
            if target is not None and pair == _pair(target):
                continue
            if pair[1] not in (None, "") and any(  # "" is no number, as null
                d is not target and _pair(d) == pair for d in kept
            ):
                raise Refused(DOC_EXISTS)
            if target is None:
                kept.append(written)
            else:
                target.update(document)

    def _new_identity(self) -> dict[str, Any]:
        number = self._next("identity")
        while number in self.identities:
            number = self._next("identity")
        return {"ID": number, **{name: [] for name in SUB_RECORDS}}

    def _merge(
        self, identity: dict[str, Any], name: str, fields: dict[str, Any], sequence: str
    ) -> dict[str, int | None]:
        stored = identity[name]
        answer: dict[str, int | None] = {}
        for index, item in enumerate(fields.get(name) or []):
            key = item.get("ExternalKey")
            label = key if isinstance(key, str) and key else str(index)
            if item.get("ID") is not None:
                target = next((s for s in stored if s["ID"] == item["ID"]), None)
                if target is not None:
                    target.update(item)
                answer[label] = None if target is None else item["ID"]
                continue
            new = {**item, "ID": self._next(sequence)}
            stored.append(new)
            answer[label] = new["ID"]
        return answer

    def _email(self, identity: dict[str, Any], fields: dict[str, Any]) -> int:
        for contact in identity["Contacts"]:
            if (
                contact.get("FIDContactTypology") == EMAIL_TYPOLOGY
                and contact.get("Value") == fields["EMail"]
            ):
                return contact["ID"]
        contact = {
            "ID": self._next("contact"),
            "FIDContactTypology": EMAIL_TYPOLOGY,
            "Value": fields["EMail"],
            "Default": not identity["Contacts"],
        }
        identity["Contacts"].append(contact)
        return contact["ID"]

    # -- state ------------------------------------------------------------------------------
    def timestamp(self) -> str:
        moment = self.start + timedelta(seconds=self.now)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

    def state(self) -> dict[str, Any]:
        """The admin dump the fake must produce (``GET /__admin/state/xtra``)."""
        tenant: dict[str, Any] = {
            "sequences": dict(self.sequences),
            "identities": {str(k): v for k, v in self.identities.items()},
        }
        if self.activities:
            tenant["activities"] = self.activities
        return {"tenants": {self.tenant: tenant}}

    def _next(self, sequence: str) -> int:
        self.sequences[sequence] = self.sequences.get(sequence, 0) + 1
        return self.sequences[sequence]


def _key(fields: dict[str, Any], contact_form: bool) -> str | None:
    if contact_form:
        return f"{fields['EMail']}_{fields['Surname']}_{fields['Name']}"
    key = fields.get("ExternalKey")
    return key if isinstance(key, str) else None


def _pair(document: dict[str, Any]) -> tuple[Any, Any]:
    """What tells an identity's documents apart: their typology and number."""
    return document.get("FIDDocumentTypology"), document.get("Number")
