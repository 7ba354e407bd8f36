"""What one irs/update call knows of the identities its records write, so that a call's records
that add to one identity take linear time.

Each record was checked and written against its identity whole: the IDs of its users, the
typology and number of each of its documents, each list copied before it changed and each
username indexed again. A call of 4,000 records each adding one user to one identity took
10 s (one document each: 3.5 s), while every other caller of the kit's one event loop waited.

:class:`Identities` is the call's batch (``core/batch.py``) with, for each identity a record
checks or writes, a :class:`Work`: the identity as the call left it, its lists each with its
items' places by ID (:class:`Items`), and its documents' pairs (:class:`DocumentPairs`), each
built the first time a record needs it and kept as the records write. The call copies an
identity, and each list it changes, once: the later records change the call's own copy.
"""

from __future__ import annotations

from typing import Any

from mockservers.core.batch import Batch
from mockservers.core.state import TenantState
from mockservers.xtra.errors import DOC_EXISTS, DOC_NOT_IMPORTED, RecordError
from mockservers.xtra.records import IDENTITIES, NO_NUMBER, Items, document_pair, is_id

Pair = tuple[Any, Any]
"""A document's typology and number (``records.DOCUMENT_PAIR``)."""
PairChange = tuple[dict[int, Pair], dict[Pair, int]]
"""What a record's documents change of :class:`DocumentPairs`: the pairs of the documents it
updates, by ID, and how many documents then hold each pair it touches."""


class DocumentPairs:
    """An identity's documents as ``ER.DOC.EXISTS`` reads them: each document's pair by its ID,
    and how many documents hold each numbered pair (a state document may give one pair to
    two)."""

    __slots__ = ("held", "pairs")

    def __init__(self, stored: list[dict[str, Any]]) -> None:
        self.pairs: dict[Any, Pair] = {d["ID"]: document_pair(d) for d in stored}
        self.held: dict[Pair, int] = {}
        for pair in self.pairs.values():
            if pair[1] not in NO_NUMBER:
                self.held[pair] = self.held.get(pair, 0) + 1

    def check(self, documents: list[dict[str, Any]]) -> PairChange:
        """``ER.DOC.RNOIMPORT`` for a document ID not on the identity; ``ER.DOC.EXISTS`` for a
        document that would hold the pair another document holds: one inserted, or one updated
        (its stored fields with those sent on top), in the record's order, so that an update
        frees the pair its document held. What the record changes, for :meth:`apply` once it
        is written (a record refused, or failed by a fault, changes nothing)."""
        pairs: dict[Any, Pair] = {}
        held: dict[Pair, int] = {}
        for index, document in enumerate(documents):
            if is_id(document.get("ID")):
                before = pairs.get(document["ID"]) or self.pairs.get(document["ID"])
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
                    held[before] = held.get(before, self.held.get(before, 0)) - 1
                pairs[document["ID"]] = pair
            else:
                pair = document_pair(document)
            if pair[1] in NO_NUMBER:
                continue
            if held.get(pair, self.held.get(pair, 0)):
                raise RecordError(
                    DOC_EXISTS,
                    f"Documento esistente: IdentityDocuments[{index}] tipologia {pair[0]} "
                    f"numero {pair[1]}",
                )
            held[pair] = 1
        return pairs, held

    def apply(self, change: PairChange, added: list[dict[str, Any]]) -> None:
        """A written record's ``change`` (:meth:`check`), and the documents it ``added``."""
        pairs, held = change
        self.pairs.update(pairs)
        self.held.update(held)
        for document in added:
            self.pairs[document["ID"]] = document_pair(document)


NO_CHANGE: PairChange = ({}, {})
"""What a record without documents changes of its identity's (never changed)."""
NO_DOCUMENTS = DocumentPairs([])
"""What an identity the call inserts holds: no document (never changed: ``check`` only)."""


class Work:
    """One identity as a call checks and writes it: ``identity`` as the call left it (its own
    copy once ``writable``), its lists and its documents' pairs, each built on first use."""

    __slots__ = ("_documents", "_lists", "identity", "own")

    def __init__(self, identity: dict[str, Any], own: bool = False) -> None:
        self.identity = identity
        self.own = own
        """Whether ``identity`` is the call's own copy (its later records change it in place)."""
        self._lists: dict[str, Items] = {}
        self._documents: DocumentPairs | None = None

    def items(self, name: str) -> Items:
        """The identity's list ``name`` as the call left it (to look an item up by ID)."""
        found = self._lists.get(name)
        if found is None:
            found = self._lists[name] = Items(self.identity.get(name) or [])
        return found

    def documents(self) -> DocumentPairs:
        if self._documents is None:
            self._documents = DocumentPairs(self.items("IdentityDocuments").items)
        return self._documents

    def writable(self) -> dict[str, Any]:
        """The identity, the call's own copy of it from now on: the identity as stored, which
        the batch may share with the tenant, stays as it was."""
        if not self.own:
            self.identity = self.identity.copy()
            self.own = True
        return self.identity

    def own_list(self, name: str) -> Items:
        """The list ``name`` of the (``writable``) identity, the call's own copy of it from now
        on: its items are replaced, never changed, so the copy may share them with the
        identity as stored."""
        found = self._lists.get(name)
        if found is not None and found.owned:
            return found
        copy = list(self.identity[name])
        self.identity[name] = copy
        if found is None:
            found = self._lists[name] = Items(copy)
        else:  # the places of its items stay
            found.items = copy
        found.owned = True
        return found

    def written_documents(self, change: PairChange, added: list[dict[str, Any]]) -> None:
        """The documents' pairs after a record wrote ``change`` and ``added``, if they were
        built (else they are built from the documents when first needed)."""
        if self._documents is not None:
            self._documents.apply(change, added)


class Identities(Batch):
    """The identities one irs/update call reads and writes (``core/batch.py``), each with its
    :class:`Work`."""

    __slots__ = ("_work",)

    def __init__(self, tenant: TenantState) -> None:
        super().__init__(tenant, IDENTITIES)
        self._work: dict[Any, Work] = {}

    def work(self, identity: dict[str, Any]) -> Work:
        """The work on ``identity`` (as the batch holds it)."""
        found = self._work.get(identity["ID"])
        if found is None or found.identity is not identity:
            found = self._work[identity["ID"]] = Work(identity)
        return found
