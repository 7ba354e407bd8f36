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
