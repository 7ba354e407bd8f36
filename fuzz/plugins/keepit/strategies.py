"""Records for the KeepIT state machine, drawn from a small universe so that the rules meet:
3 customer codes, 2 systems, e-mails differing only in case and spaces, 2 mapping fields and
3 card barcodes, now and then a field named like one the fake adds (a record's ``created_at``,
a contact's ``progId``); and records with one contract defect each, with the documented text it
gets."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

CODES = ("101", "102", "103")
SYSTEMS = ("DW", "POS")
EMAILS = ("anna@example.it", "ANNA@example.it ", "bruno@example.it")
FIELDS = ("CUSTOMER_ID", "CUSTOMER_NO")
BARCODES = ("B1", "B2", "B3")
names = st.text(st.sampled_from("abcdefghilmnoprstuvz àèìòù'"), min_size=1, max_size=12)


@st.composite
def records(draw: st.DrawFn, known: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """One customer record that meets the contract: an insert, or an update of a known or unknown
    progId (a number or a string), mostly keeping the customer's own code and system."""
    action = draw(st.sampled_from(["I", "U"]))
    prog_id = None
    if action == "U" or draw(st.integers(0, 5)) == 0:  # a progId sent with I is ignored
        ids = sorted(known, key=int)
        prog_id = draw(st.sampled_from(ids)) if ids and draw(st.integers(0, 4)) else "999"
    code = draw(st.sampled_from(CODES))
    system = draw(st.sampled_from(SYSTEMS))
    if action == "U" and prog_id in known and draw(st.integers(0, 3)) > 0:
        code, system = known[prog_id]
    subjects: dict[str, Any] = {
        "customerCode": code,
        "system": system,
        "subjectType": "FIDELITY",
        "subjectSubtype": "4",
        "isCompany": "F",
        "countryRegistration": "IT",
    }
    if prog_id is not None:
        subjects["progId"] = draw(st.sampled_from([prog_id, int(prog_id)]))
    if draw(st.booleans()):
        subjects["subjectName"] = draw(names)
    if draw(st.integers(0, 4)) == 0:
        subjects["email"] = draw(st.sampled_from(EMAILS))
    record: dict[str, Any] = {"action": action, "subjects": subjects}
    if draw(st.integers(0, 3)) == 0:  # named like the fake's own fields: kept apart, as given
        record |= draw(
            st.fixed_dictionaries(
                {}, optional={"created_at": names, "progId": st.integers(1, 9), "sent": names}
            )
        )
    if draw(st.integers(0, 2)) == 0:
        record["contacts"] = draw(
            st.lists(
                st.one_of(
                    st.builds(
                        lambda e: {"contactType": "EMAIL", "value": e}, st.sampled_from(EMAILS)
                    ),
                    st.just({"contactType": "PHONE", "value": "0434 123456"}),
                    st.just({"contactType": "PHONE", "value": "0434 654321", "progId": 7}),
                ),
                max_size=2,
            )
        )
    if draw(st.booleans()):
        mapping = st.fixed_dictionaries(
            {
                "externalField": st.sampled_from(FIELDS),
                "externalCode": st.sampled_from([code, code, int(code), "999"]),
            },
            optional={"system": st.sampled_from(SYSTEMS)},
        )
        record["mappings"] = draw(st.lists(mapping, max_size=2))
    if draw(st.integers(0, 2)) == 0:
        card = st.builds(lambda b: {"cardType": "GEN", "cardBarcode": b}, st.sampled_from(BARCODES))
        record["cards"] = draw(st.lists(card, min_size=1, max_size=2))
    return record


# One defect per record, with the documented message it must get.
def _no_action(r: dict[str, Any]) -> None:
    r.pop("action")


def _set(path: tuple[str, ...], value: Any) -> Any:
    def apply(r: dict[str, Any]) -> None:
        target = r
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return apply


def _email_without_value(r: dict[str, Any]) -> None:
    r["contacts"] = [{"contactType": "EMAIL"}, *r.get("contacts", [])]


def _update_without_prog_id(r: dict[str, Any]) -> None:
    r["action"] = "U"
    r["subjects"].pop("progId", None)


DEFECTS = {
    "Errore: action non valorizzato.": _no_action,
    "Errore: system non valorizzato.": _set(("subjects", "system"), ""),
    "Errore: isCompany valore non ammesso.": _set(("subjects", "isCompany"), "T"),
    "Errore: zipCode supera la lunghezza massima.": _set(("subjects", "zipCode"), "3" * 21),
    "Errore: employeesNumber di tipo non valido.": _set(("subjects", "employeesNumber"), "60"),
    "Errore: contacts[0].value non valorizzato.": _email_without_value,
    "Errore: progId non valorizzato.": _update_without_prog_id,
}


@st.composite
def bad_records(draw: st.DrawFn, known: dict[str, tuple[str, str]]) -> tuple[dict[str, Any], str]:
    record = draw(records(known))
    message = draw(st.sampled_from(sorted(DEFECTS)))
    DEFECTS[message](record)
    return record, message
