"""KeepIT request handling: credentials and the call limit, the body checked against the
contract record by record, the model called, the outcome rendered with its code."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from starlette.responses import Response

from contracts import Violation, contract, load_schema
from mockservers.core.call import Call
from mockservers.core.coverage import met
from mockservers.core.explain import (
    MISSING,
    NOT_ALLOWED,
    OTHER,
    OUT_OF_RANGE,
    TOO_LONG,
    TYPE,
    diagnosis,
    kind_of,
    phrase,
    refused_by_index,
)
from mockservers.core.http import JSONResponse
from mockservers.keepit import coverage
from mockservers.keepit.codes import read_codes
from mockservers.keepit.errors import NOT_DONE, KeepItError, bad_request, envelope, not_found
from mockservers.keepit.models import BatchResult, KeepItModel
from mockservers.keepit.records import RECORDS
from mockservers.keepit.settings import success_text

# The request is {"subjectsRecords": [record, ...]}: the body's shape is checked by _records,
# each record against its own contract, so only the invalid ones pay for detailed messages.
_RECORD = contract("keepit/defs/record")
CREDENTIALS = (b"username", b"password", b"companyid", b"siteid")
"""The headers a call is authenticated by, in ``KeepItModel.authenticate``'s order."""


def _field_order() -> dict[str, int]:
    """The record's and the subject's fields in the document's order: ``action``,
    ``subjects`` and the subject's own fields (its table comes first), then the sections."""
    record = list(load_schema("keepit/defs/record")["properties"])
    at = record.index("subjects") + 1
    subject = list(load_schema("keepit/defs/subjects")["properties"])
    return {name: position for position, name in enumerate(record[:at] + subject + record[at:])}


_ORDER = _field_order()


def _element_order(section: dict[str, Any]) -> dict[str, int]:
    """A section element's fields in the document's order (its schema's)."""
    found = section.get("items", section).get("$ref", "")
    if not found.endswith(".json"):
        return {}
    fields = load_schema(f"keepit/defs/{found.removesuffix('.json')}")["properties"]
    return {name: position for position, name in enumerate(fields)}


# Within a section's element (or the makeup), its own fields in the document's order.
_ELEMENT_ORDER = {
    name: _element_order(schema)
    for name, schema in load_schema("keepit/defs/record")["properties"].items()
    if name != "subjects"
}

DUPLICATES_ONLY = "Attenzione: esistono uno o più doppioni, inserimento/update non eseguito."
PARTIAL = (
    "Attenzione: inserimento/update eseguito solo in parte, "
    "verificare il messaggio di errore dei record ritornati."
)
UNIQUE_CLASH = "Errore: violazione di un vincolo di unicità, inserimento/update non eseguito."

# The document's style for a refused record: "Errore: xxx non valorizzato."
_PHRASES = {
    MISSING: "Errore: {field} non valorizzato.",
    TYPE: "Errore: {field} di tipo non valido.",
    TOO_LONG: "Errore: {field} supera la lunghezza massima.",
    NOT_ALLOWED: "Errore: {field} valore non ammesso.",
    OUT_OF_RANGE: "Errore: {field} fuori dai limiti ammessi.",
    OTHER: "Errore: {field} non valido.",
}


def insert_client(model: KeepItModel, call: Call) -> Response:
    tenant = model.authenticate(*call.header_values(*CREDENTIALS))
    codes = read_codes(_records(call.json()), call.body)
    records = codes.records
    refused = refused_by_index(_RECORD, records, _refusal)
    for number, faults in codes.faults.items():  # taken as read, not as written
        refused[number] = _refusal([*_RECORD.check(records[number]), *faults], number)
    for number in sorted(refused):
        call.explain(f"{RECORDS}[{number}]: {refused[number][0]}")
    failures = {number: failure(number) for number, (_, failure) in refused.items()}
    for number in codes.echoed.keys() & failures:  # refused: its errorObjects entry echoes it
        subjects = records[number]["subjects"] | {"customerCode": codes.echoed[number]}
        records[number] = {**records[number], "subjects": subjects}
    return render(model.insert_batch(tenant, records, failures), model.settings.success_message)


def _refusal(violations: list[Violation], first: int) -> tuple[str, Callable[[int], str]]:
    """A refused record's diagnosis, and its errorMessage for each record equal to it: the same
    for all, or, where the record as a whole is at fault, one naming each by its number."""
    detail = diagnosis(violations, "record")
    if any(not v.path and not v.missing for v in violations):  # named by number
        return detail, lambda number: record_failure(number, violations)
    failure = record_failure(first, violations)
    return detail, lambda number: failure


def unknown_alias(model: KeepItModel, call: Call) -> Response:
    met(coverage.ALIAS_NOT_FOUND)
    raise not_found(call.query.get("cmd", ""))


def _records(body: Any) -> list[Any]:
    """The body's records; the whole call is refused when there are none to look at."""
    if not isinstance(body, dict):
        met(coverage.REFUSED)
        raise bad_request("Errore: il body deve essere un oggetto JSON.")
    records = body.get(RECORDS)
    if records is None or records == []:
        met(coverage.REFUSED)
        raise bad_request(f"Errore: {RECORDS} non valorizzato.")
    if not isinstance(records, list):
        met(coverage.REFUSED)
        raise bad_request(f"Errore: {RECORDS} di tipo non valido.")
    return records


def record_failure(number: int, violations: Iterable[Violation]) -> str:
    """The record's first failing check, as its errorMessage: a missing or empty value before
    a wrong one, the record's and the subject's fields before the sections' elements, then in
    the document's order."""
    ranks = []
    for violation in violations:
        parts = list(violation.path)
        if violation.missing:
            parts.append(violation.missing)
        if parts[:1] == ["subjects"] and len(parts) > 1:
            parts = parts[1:]
        name = _name(parts) or f"{RECORDS}[{number}]"
        missing = kind_of(violation) == MISSING
        position = _ORDER.get(parts[0], len(_ORDER)) if parts else -1
        within = _ELEMENT_ORDER.get(str(parts[0]), {}) if parts else {}
        inner = within.get(str(parts[-1]), len(within)) if parts else -1  # an element's fields
        text = phrase(violation, _PHRASES, field=name)
        ranks.append((not missing, len(parts), position, inner, name, text))
    return min(ranks)[-1]


def _name(parts: list[str | int]) -> str:
    """``contacts[1].value`` — the field as the record spells it."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def render(result: BatchResult, success_message: str) -> Response:
    """The batch's outcome code: 200 all done, 204 duplicates only, 206 partial, 400 nothing done
    and something wrong, 422 a unique constraint clashed (nothing stored)."""
    if result.conflicts:
        met(coverage.UNIQUE_CONSTRAINT)
        raise KeepItError(422, envelope(False, 422, UNIQUE_CLASH, errors=result.conflicts))
    if result.inserted and not (result.errors or result.duplicated):
        met(coverage.SUCCESS)
        success, code, message = True, 200, success_text(success_message, len(result.inserted))
    elif result.inserted:
        met(coverage.PARTIAL)
        success, code, message = True, 206, PARTIAL
    elif not result.errors:
        met(coverage.DUPLICATES)
        success, code, message = True, 204, DUPLICATES_ONLY
    else:
        met(coverage.REFUSED)
        success, code, message = False, 400, NOT_DONE
    body = envelope(
        success,
        code,
        message,
        errors=result.errors,
        inserted=result.inserted,
        duplicated=result.duplicated,
    )
    return JSONResponse(body, status_code=200 if success else 400)
