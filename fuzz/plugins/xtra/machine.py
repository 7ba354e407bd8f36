"""XTRA state machine: the reference client against the fake, checked against the model.

Rules: insert identities by key pair (fresh and re-used ExternalKeys: ER.IR.EXISTS), a partial
batch with records breaking their schema through a client that does not validate (ER.IR.INVAL for
those only); update known and unknown IDs (ER.IR.NOFOUND) with destinations and contacts, new or
by ID; contact forms upserting on EMail_Surname_Name (one CRM activity per record); identity
documents (ER.DOC.EXISTS on a typology+number inserted or updated to one already held,
ER.DOC.RNOIMPORT on an unknown document ID); log in; let the clock run across the token
lifetime (the client logs in again); an AccessToken updating its own identity, and refused (403)
beyond it. Every call optionally with ``debug=true``. After every call the exchanges on the wire
meet the contracts and are the ones the model predicts; after every step the fake's admin state
dump equals the model's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import rule

from clients.xtra import RecordOutcome, XtraClient, XtraError
from fuzz.plugins.xtra.model import FORBIDDEN, OK, Outcome, Record, XtraModel
from fuzz.stateful import START, ClientMachine, Raised

KEYS = {"public_key": "demo-public", "secret_key": "demo-secret"}
LOGIN = {"username": "demo", "password": "demo"}
EXTERNAL_KEYS = ("CRM-1", "CRM-2", "CRM-3")
UNKNOWN_ID = 9999

words = st.text(st.sampled_from("abcdefgilmnoprstuvzABCDEFGILMNOPRSTUVZ àèìòù.-'"), min_size=1)
place = st.fixed_dictionaries(
    {}, optional={"City": words, "Address": words, "Zip": st.just("15048"), "Country": words}
)
destination = st.fixed_dictionaries(
    {
        "FIDGroup": st.sampled_from([1, 2]),
        "TypologyIds": st.lists(st.sampled_from([1, 2, 9]), min_size=1, max_size=2),
        "Denomination": words,
        "Alias": words,
    },
    optional={"ExternalKey": st.sampled_from(["DEST-1", "DEST-2"]), "City": words},
)
contact = st.fixed_dictionaries(
    {"FIDContactTypology": st.sampled_from([1, 2, 6]), "Value": words},
    optional={"ExternalKey": st.sampled_from(["TEL-1", "TEL-2"]), "Default": st.booleans()},
)
identity = st.fixed_dictionaries(
    {
        "ExternalKey": st.sampled_from(EXTERNAL_KEYS),
        "FIDGroup": st.sampled_from([1, 2]),
        "TypologyIds": st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=2),
    },
    optional={
        "Denomination": words,
        "Vatnumber": st.just("12345678901"),
        "Destinations": st.lists(destination, max_size=2),
        "Contacts": st.lists(contact, max_size=2),
        "NoteInterne": words,  # a field the document does not list: kept as given
    },
)


def _break(fields: dict[str, Any], defect: str) -> Record:
    broken = dict(fields)
    if defect == "missing FIDGroup":
        broken.pop("FIDGroup")
    elif defect == "empty TypologyIds":
        broken["TypologyIds"] = []
    else:  # "FIDGroup 3"
        broken["FIDGroup"] = 3
    return Record(broken, defect)


bad_records = st.builds(
    _break, identity, st.sampled_from(["missing FIDGroup", "empty TypologyIds", "FIDGroup 3"])
)
partial_batches = st.lists(
    st.one_of(identity.map(Record), bad_records), min_size=2, max_size=4
).filter(lambda records: any(r.defect for r in records) and not all(r.defect for r in records))
contact_forms = st.fixed_dictionaries(
    {
        "EMail": st.sampled_from(["anna@example.it", "bruno@example.it"]),
        "Surname": st.sampled_from(["Rossi", "Bianchi"]),
        "Name": st.just("Anna"),
        "WebReasonID": st.sampled_from([13, 14]),
    },
    optional={
        "CRMMessage": words,
        "CRMTermsConditions": st.booleans(),
        "BOPCode": st.just("M116680-0002"),
        "City": words,
        "Contacts": st.lists(contact, max_size=1),
    },
)
documents = st.fixed_dictionaries(
    {"FIDDocumentTypology": st.sampled_from([1, 2]), "Number": st.sampled_from(["AB1", "CD2"])},
    optional={
        "ReleaseDate": st.just("2024-05-12"),
        "ExpirationDate": st.just("2035-01-01"),
        "Files": st.just([{"Extension": ".pdf", "FileName": "ID.pdf", "FileBase64": "base64file"}]),
    },
)


class XtraMachine(ClientMachine):
    vendor: ClassVar[str] = "xtra"
    client_class: ClassVar[type[XtraClient]] = XtraClient

    def __init__(self) -> None:
        super().__init__()
        self.keyed = self.client_class(self.base_url, **KEYS, transport=self.transport())
        self.user = self.client_class(self.base_url, **LOGIN, transport=self.transport())
        self.lenient = XtraClient(
            self.base_url, **KEYS, validate=False, transport=self.transport(strict=False)
        )
        self.model = XtraModel("demo", datetime.fromisoformat(START))

    def teardown(self) -> None:
        for client in (self.keyed, self.user, self.lenient):
            client.close()
        super().teardown()

    # -- key pair ---------------------------------------------------------------------------
    @rule(records=st.lists(identity, min_size=1, max_size=3), debug=st.booleans())
    def insert_identities(self, records: list[dict[str, Any]], debug: bool) -> None:
        self.expect(self.keyed, [Record(r) for r in records], debug=debug)

    @rule(records=partial_batches)
    def insert_partial_batch(self, records: list[Record]) -> None:
        self.expect(self.lenient, records)

    @rule(data=st.data(), fields=place, debug=st.booleans())
    def update_identity(self, data: st.DataObject, fields: dict[str, Any], debug: bool) -> None:
        rid = data.draw(st.sampled_from([UNKNOWN_ID, *sorted(self.model.identities)]), label="ID")
        record = {"ID": rid, **fields}
        stored = self.model.identities.get(rid, {})
        for name in ("Destinations", "Contacts"):
            known = [item["ID"] for item in stored.get(name, [])]
            ids = data.draw(st.lists(st.sampled_from([*known, UNKNOWN_ID]), max_size=2), label=name)
            if ids:
                record[name] = [
                    {"ID": i, "Remarks" if name == "Contacts" else "City": "x"} for i in ids
                ]
        self.expect(self.keyed, [Record(record)], debug=debug)

    @rule(records=st.lists(contact_forms, min_size=1, max_size=2), debug=st.booleans())
    def contact_form(self, records: list[dict[str, Any]], debug: bool) -> None:
        self.expect(self.keyed, [Record(r) for r in records], contact_form=True, debug=debug)

    @rule(data=st.data(), new=st.lists(documents, max_size=2))
    def identity_documents(self, data: st.DataObject, new: list[dict[str, Any]]) -> None:
        # Identities that already hold documents first: repeats (ER.DOC.EXISTS) come sooner.
        ids = sorted(
            self.model.identities, key=lambda i: not self.model.identities[i]["IdentityDocuments"]
        )
        rid = data.draw(st.sampled_from(ids), label="ID")
        stored = self.model.identities[rid]["IdentityDocuments"]
        ids = data.draw(
            st.lists(st.sampled_from([*(d["ID"] for d in stored), UNKNOWN_ID]), max_size=1),
            label="doc",
        )
        # An update to a pair of its own, or to another document's (ER.DOC.EXISTS too).
        pairs = [(1, "EF3"), *((d["FIDDocumentTypology"], d["Number"]) for d in stored)]
        typology, number = data.draw(st.sampled_from(pairs), label="pair")
        updates = ({"ID": i, "FIDDocumentTypology": typology, "Number": number} for i in ids)
        docs = [*new, *updates]
        self.expect(self.keyed, [Record({"ID": rid, "IdentityDocuments": docs})])

    # -- AccessToken ------------------------------------------------------------------------
    @rule()
    def login(self) -> None:
        result = self.call(self.user.login)
        assert not isinstance(result, Raised), result
        assert result.irid == self.model.irid, result
        self.expect_wire(self.model.login())

    @rule(seconds=st.sampled_from([1, 600, 3599, 3600, 3601, 7200]))
    def clock_runs(self, seconds: int) -> None:
        self.advance(seconds)
        self.model.advance(seconds)

    @rule(fields=place, debug=st.booleans())
    def token_updates_its_own_identity(self, fields: dict[str, Any], debug: bool) -> None:
        record = Record({"ID": self.model.irid, **fields})
        self.expect(self.user, [record], debug=debug)

    @rule(data=st.data(), contact_form=st.booleans())
    def token_beyond_its_identity(self, data: st.DataObject, contact_form: bool) -> None:
        if contact_form:
            records = [data.draw(contact_forms, label="form")]
        else:
            others = [i for i in sorted(self.model.identities) if i != self.model.irid]
            rid = data.draw(st.sampled_from([*others, UNKNOWN_ID]), label="ID")
            records = [{"ID": rid, "City": "Alessandria"}]
        result = self.call(lambda: self.user.update_identities(records, contact_form=contact_form))
        self.expect_wire(self.model.authed(FORBIDDEN, own=False))
        assert isinstance(result, Raised) and isinstance(result.error, XtraError), result
        assert result.error.status == FORBIDDEN, result

    # -- invariant --------------------------------------------------------------------------
    def comparable_state(self, state: dict[str, Any]) -> dict[str, Any]:
        """XTRA's tenant always stands (its demo identity); an entry holding nothing (no
        activities yet) is the same as none."""
        tenants = state["tenants"].items()
        return {"tenants": {name: {k: v for k, v in t.items() if v} for name, t in tenants}}

    # -- expectations -----------------------------------------------------------------------
    def expect(
        self,
        client: XtraClient,
        records: list[Record],
        *,
        contact_form: bool = False,
        debug: bool = False,
    ) -> None:
        """Send ``records`` through ``client``; the wire and the outcomes are the model's."""
        sent = [record.fields for record in records]
        result = self.call(
            lambda: client.update_identities(sent, contact_form=contact_form, debug=debug)
        )
        if client is self.user:
            self.expect_wire(self.model.authed(OK))
        else:
            self.expect_wire([("updateIdentities", OK)])
        assert not isinstance(result, Raised), result
        want = self.model.update(records, contact_form=contact_form)
        got = [_outcome(row) for row in result]
        assert got == want, f"irs/update answered {got}, the model expects {want}"
        assert (client.last_debug is not None) == debug, f"debug={debug}: {client.last_debug}"

    def expect_wire(self, expected: list[tuple[str, int]]) -> None:
        sent = [
            (operation, exchange.response.status_code)
            for operation, exchange in zip(self.wire_operations(), self.last_exchanges, strict=True)
        ]
        assert sent == expected, f"on the wire {sent}, the model expects {expected}"


def _outcome(row: RecordOutcome) -> Outcome:
    return Outcome(row.id, row.external_key, row.ok, row.error_code, row.destinations, row.contacts)
