"""Test data every vendor's tests share: one builder per shape, not one copy per test file."""

from __future__ import annotations

from typing import Any

DEMO_XTRA_KEYS = {"SyncPublicKey": "demo-public", "SyncSecretKey": "demo-secret"}
"""The XTRA key pair of the demo account, which every fake has."""
DEMO_KEEPIT_HEADERS = {"username": "demo", "password": "demo", "companyId": "1", "siteId": "1"}
"""The KeepIT credentials of the demo account, which every fake has."""

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


def quoparts_answer(*data: Any) -> dict[str, Any]:
    """A QuoParts success envelope holding ``data``'s rows."""
    return {"errorCode": "0", "error": "", "data": list(data)}


def quoparts_customer(erp_code: str = "CLI001", number: int = 1) -> dict[str, str]:
    """An importCli row created as its contract has it (``COD_CLI`` 000001, ``COD_USR``
    M00001)."""
    return {
        "errorCode": "0",
        "error": "",
        "COD_CLI_ERP": erp_code,
        "COD_CLI": f"{number:06d}",
        "COD_USR": f"M{number:05d}",
        "COD_PWD": "ABC123",
    }


def xtra_answer(result: Any) -> dict[str, Any]:
    """An XTRA success envelope holding ``result``."""
    return {"statusCode": 200, "errorCode": None, "message": None, "result": result}


def xtra_login(token: Any = "T1", **result: Any) -> dict[str, Any]:
    """An XTRA login answer for identity 1, user 1, with ``token``."""
    session = {
        "IRID": 1,
        "UserID": 1,
        "Username": "demo",
        "Token": token,
        "RefreshToken": "R1",
        "TokenExpiration": "2030-01-01T00:00:00Z",
    }
    return xtra_answer(session | result)


def xtra_record(**items: Any) -> dict[str, Any]:
    """An irs/update outcome (identity 1 updated), ``items`` replacing its Item1..Item6."""
    done = {"Item1": 1, "Item2": None, "Item3": True, "Item4": None, "Item5": {}, "Item6": {}}
    return done | items


def xtra_updated(*records: Any) -> dict[str, Any]:
    """An irs/update answer of ``records``, one page holding them all."""
    count = len(records)
    paged = {"totalCount": count, "totalPages": min(count, 1), "page": 1, "count": count}
    return xtra_answer(paged | {"records": list(records), "record": None})
