"""What KeepIT must answer about the records of one insertClient_v3 call, from the contracts.

Per record, the first failing check decides (docs/assumptions/keepit.md): a record that
breaks ``defs/record`` fails alone with ``Errore: <field> <what>.`` naming one of its violations
(a missing or empty value before a wrong one); a record that meets it is inserted/updated, a
duplicate (``The customer already exists.``), or fails a documented rule (``Nessun record trovato
per:progId=…`` for an update, the mappings rules). The three arrays keep the records' order, and
their sizes decide ``code``: 200 all done, 206 some done, 204 only duplicates, 400 nothing done
and some error; a card barcode clash refuses the whole call with 422.
"""

from __future__ import annotations

import re
from typing import Any

from contracts import Violation, contract
from fuzz.checks import violated
from fuzz.quoting import quoted_value

DUPLICATE = "The customer already exists."
NOT_IN_MAPPINGS = "Il customer code non è specificato nell'array mappings."
NOT_FOUND = "Nessun record trovato per:progId="
CODE_TAKEN = re.compile(r"^Il codice .* \(.*/.*\) è già associato a un altro cliente\.$")
CARD_TAKEN = "Unique constraint error: la carta {} è già associata a un altro cliente."
RESULT_CODES = (200, 204, 206)
OUTCOMES = ("insertedObjects", "errorObjects", "duplicatedObjects")

# The documented texts for a record breaking its contract, per JSON Schema keyword.
MANDATORY = frozenset({"required", "minLength"})
TEXTS = {
    "required": "non valorizzato",
    "minLength": "non valorizzato",
    "type": "di tipo non valido",
    "maxLength": "supera la lunghezza massima",
    "enum": "valore non ammesso",
    "const": "valore non ammesso",
    "exclusiveMaximum": "fuori dai limiti ammessi",
    "exclusiveMinimum": "fuori dai limiti ammessi",
}
OTHER = "non valido"
CONTRACT_TEXT = re.compile(
    r"^Errore: (?P<field>\S+) (?P<what>" + "|".join(sorted({*TEXTS.values(), OTHER})) + r")\.$"
)
# insertedObjects key per section received (docs/assumptions/keepit.md, progIds: only for the
# sections received)
REPORTED = {
    "mappings": "mapping",
    "contacts": "contacts",
    "privacy": "privacy",
    "cards": "cards",
    "subjectDestinations": "destinations",
    "commercialDivisions": "commercialDivisions",
    "subjectSources": "sources",
    "actions": "actions",
}
MAKEUP = ("subjectMakeup", "makeup")


def code_text(value: Any) -> str:
    """Codes compare as strings: ``12345``, ``12345.0`` and ``"12345"`` are one code."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def customer_code(record: Any) -> Any:
    """The record's customerCode as errorObjects carry it: as sent, "" when it has none."""
    subjects = record.get("subjects") if isinstance(record, dict) else None
    code = subjects.get("customerCode") if isinstance(subjects, dict) else None
    return code if isinstance(code, str | int | float) and not isinstance(code, bool) else ""


def violation_texts(number: int, violations: list[Violation]) -> set[tuple[str, str]]:
    """``(field, what)`` the vendor may name for a record breaking its contract: one of its
    violations, a mandatory one if there is any."""
    mandatory = any(v.keyword in MANDATORY for v in violations)
    texts = set()
    for violation in violations:
        if mandatory and violation.keyword not in MANDATORY:
            continue
        parts = list(violation.path)
        if violation.keyword == "required":
            parts.append(violation.field)
        if parts[:1] == ["subjects"] and len(parts) > 1:
            parts = parts[1:]
        name = Violation(tuple(parts), "", "").pointer or f"subjectsRecords[{number}]"
        texts.add((name, TEXTS.get(violation.keyword, OTHER)))
    return texts


def mapping_rule_broken(record: dict[str, Any]) -> bool:
    """Mappings given, and customerCode is none of their externalCodes (compared as strings)."""
    mappings = record.get("mappings") or []
    code = code_text(record["subjects"]["customerCode"])
    return bool(mappings) and code not in {code_text(m["externalCode"]) for m in mappings}


def business_error_allowed(record: dict[str, Any], message: str) -> bool:
    """Whether a record that meets its contract may fail with ``message``."""
    subjects = record["subjects"]
    if message.startswith(NOT_FOUND):
        return record["action"] == "U" and message == NOT_FOUND + code_text(subjects["progId"])
    if message == NOT_IN_MAPPINGS:
        return mapping_rule_broken(record)
    if CODE_TAKEN.match(message):
        return record["action"] == "I" and bool(record.get("mappings"))
    return False


def inserted_problem(record: dict[str, Any], entry: dict[str, Any]) -> str | None:
    """Why ``entry`` (insertedObjects) cannot be this record's, or None when it can."""
    if entry.get("customerCode") != record["subjects"]["customerCode"]:
        return f"customerCode {quoted_value(entry.get('customerCode'))}"
    if mapping_rule_broken(record):
        return "the record breaks the mappings rule (customerCode not among externalCodes)"
    if record["action"] == "U" and code_text(entry.get("progId")) != code_text(
        record["subjects"]["progId"]
    ):
        return f"an update answered with progId {quoted_value(entry.get('progId'))}"
    expected = {REPORTED[k]: len(v) for k, v in record.items() if k in REPORTED}
    if isinstance(record.get(MAKEUP[0]), dict):
        expected[MAKEUP[1]] = 1
    got = {
        k: (len(v) if isinstance(v, list) else 1)
        for k, v in entry.items()
        if k not in ("progId", "customerCode", "email")
    }
    if record["action"] == "U" and "mapping" in expected:
        # On update, codes another customer holds are discarded (docs/assumptions/keepit.md):
        # fewer progIds.
        expected["mapping"] = min(expected["mapping"], got.get("mapping", -1))
    if got != expected:
        return f"section progIds {got}, the record sent {expected}"
    if record["action"] == "I" and entry.get("email") != first_email(record):
        return f"email {quoted_value(entry.get('email'))}, expected {first_email(record)!r}"
    return None


def first_email(record: dict[str, Any]) -> str:
    """insertedObjects' email: the first EMAIL contact, else subjects.email, else ""."""
    for contact in record.get("contacts") or []:
        if contact.get("contactType") == "EMAIL" and contact.get("value"):
            return str(contact["value"])
    return str(record["subjects"].get("email") or "")


def judge_batch(records: list[Any], status: int, answer: dict[str, Any]) -> None:
    """Raise ``AssertionError`` when the answer to ``records`` breaks a documented rule."""
    code = answer.get("code")
    if code == 422:
        _judge_conflict(records, status, answer)
        return
    inserted, errors, duplicated = (_entries(answer, name) for name in OUTCOMES)
    if inserted is None or errors is None or duplicated is None:
        return  # a shape the response contract refuses: response_matches_contract says so
    if inserted and not (errors or duplicated):
        predicted = 200
    elif inserted:
        predicted = 206
    elif duplicated and not errors:
        predicted = 204
    else:
        predicted = 400
    if code != predicted:
        raise AssertionError(
            f"code {code} with {len(inserted)} inserted, {len(errors)} errors, "
            f"{len(duplicated)} duplicates: the documented code is {predicted}"
        )
    _status_and_success(status, answer, code in RESULT_CODES)
    for number, record in enumerate(records):
        _one_record(number, record, inserted, errors, duplicated)
    left = len(inserted) + len(errors) + len(duplicated)
    if left:
        raise AssertionError(f"{left} outcome(s) more than the {len(records)} records sent")


def _one_record(
    number: int,
    record: Any,
    inserted: list[dict[str, Any]],
    errors: list[dict[str, Any]],
    duplicated: list[dict[str, Any]],
) -> None:
    """Take this record's outcome from the head of one of the three arrays."""
    code = customer_code(record)
    violations = contract("keepit/defs/record").check(record)
    if violations:
        entry = errors.pop(0) if errors else None
        match = CONTRACT_TEXT.match(_text(entry))
        allowed = violation_texts(number, violations)
        if entry is None or entry.get("customerCode") != code or match is None:
            raise AssertionError(
                f"record {number} breaks defs/record ({violations[0].pointer}: "
                f"{violated(violations[0])}); expected an errorObjects entry "
                f"{{customerCode: {code!r}, errorMessage: 'Errore: <field> …'}}, "
                f"got {quoted_value(entry)}"
            )
        if (match["field"], match["what"]) not in allowed:
            raise AssertionError(
                f"record {number}: {quoted_value(entry['errorMessage'])} names no violation of the "
                "record; "
                f"expected one of {sorted(allowed)}"
            )
        return
    head = errors[0] if errors else None
    if head and head.get("customerCode") == code and business_error_allowed(record, _text(head)):
        errors.pop(0)
        return
    problem = None
    if inserted:
        problem = inserted_problem(record, inserted[0])
        if problem is None:
            inserted.pop(0)
            return
    if duplicated and duplicated[0] == {"customerCode": code, "errorMessage": DUPLICATE}:
        duplicated.pop(0)
        return
    raise AssertionError(
        f"record {number} (customerCode {code!r}, action {record['action']}) has no outcome "
        f"the documented rules allow; heads: inserted {inserted[:1]} ({problem}), "
        f"errors {errors[:1]}, duplicated {duplicated[:1]}"
    )


def _judge_conflict(records: list[Any], status: int, answer: dict[str, Any]) -> None:
    """422: a card barcode another customer holds; nothing inserted, the record(s) named."""
    _status_and_success(status, answer, False)
    if answer.get("insertedObjects") or answer.get("duplicatedObjects"):
        raise AssertionError("422 (nothing stored) with insertedObjects or duplicatedObjects")
    barcodes = {
        (customer_code(r), card["cardBarcode"])
        for r in records
        if contract("keepit/defs/record").is_valid(r)
        for card in r.get("cards") or []
        if isinstance(card.get("cardBarcode"), str) and card["cardBarcode"]
    }
    # a list: a customerCode answered as an array or an object has no hash
    allowed = [(code, CARD_TAKEN.format(barcode)) for code, barcode in barcodes]
    named = _entries(answer, "errorObjects")
    if not named or any((e.get("customerCode"), _text(e)) not in allowed for e in named):
        raise AssertionError(
            f"422 names {quoted_value(answer.get('errorObjects'))}: only a valid record's card "
            f"barcode can clash (the call sent {sorted(b for _, b in barcodes)})"
        )


def _entries(answer: dict[str, Any], name: str) -> list[dict[str, Any]] | None:
    """A copy of the answer's array ``name`` (none: empty), or ``None`` when it is no array of
    objects."""
    entries = answer.get(name) or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return None
    return list(entries)


def _text(entry: dict[str, Any] | None) -> str:
    """An entry's errorMessage ("" when there is no entry or no text: the contract check says
    what is wrong with the shape)."""
    message = entry.get("errorMessage") if isinstance(entry, dict) else None
    return message if isinstance(message, str) else ""


def _status_and_success(status: int, answer: dict[str, Any], success: bool) -> None:
    code = answer.get("code")
    expected = 200 if code in RESULT_CODES else code
    if status != expected:
        raise AssertionError(f"code {code} must travel with HTTP {expected}, got {status}")
    if answer.get("success") is not success:
        raise AssertionError(f"code {code} with success {quoted_value(answer.get('success'))}")
