"""Test data every vendor's tests share: one builder per shape, not one copy per test file."""

from __future__ import annotations

from typing import Any

KEEPIT_SUBJECT = {
    "system": "DW",
    "subjectType": "FIDELITY",
    "subjectSubtype": "4",
    "isCompany": "F",
    "countryRegistration": "IT",
}
"""The mandatory fields of a KeepIT subject, but its customerCode."""


BIG = {"erpBalance": 2**64 + 1, "erpPoints": 2**64 - 1, "erpDebt": -(2**63) - 1}
"""Whole numbers a record may hold in fields the document does not list."""
BIG_AS_READ = {"erpBalance": float(2**64 + 1), "erpPoints": 2**64 - 1, "erpDebt": -(2.0**63)}
"""``BIG`` as the kit keeps it: up to 2^64 - 1 as sent, beyond as the nearest float, as its
JSON reader reads them (docs/assumptions/README.md)."""


def keepit_customer(code: str | int, action: str = "I", **sections: Any) -> dict[str, Any]:
    """A KeepIT record with only the mandatory subject fields, plus the given sections."""
    return {"action": action, "subjects": {"customerCode": code, **KEEPIT_SUBJECT}, **sections}


def keepit_card(barcode: str) -> dict[str, str]:
    """A KeepIT fidelity card whose code and barcode are ``barcode``."""
    return {
        "cardType": "FIDELITY",
        "cardSubtype": "GEN",
        "circuit": "SINESY",
        "card": barcode,
        "cardBarcode": barcode,
    }
