"""Reference clients for the four vendors, sync and async, over httpx.

Each client's logic is written once as a generator of requests (sans-IO); ``SyncClient`` and
``AsyncClient`` only differ in how they send them.

The names are imported when first used, so that ``clients.logs`` alone (the kit's logging builds
on it) does not import httpx and every client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clients.base import ContractViolation, HttpOptions, InvalidResponse, VendorClientError
    from clients.keepit import (
        AsyncKeepItClient,
        InsertedCustomer,
        KeepItClient,
        KeepItError,
        KeepItInvalidResponse,
        KeepItResult,
        RecordMessage,
    )
    from clients.quoparts import (
        AsyncQuoPartsClient,
        CustomerResult,
        QuoPartsClient,
        QuoPartsError,
        QuoPartsInvalidResponse,
    )
    from clients.tsdigital import (
        AsyncTsDigitalClient,
        TsDigitalClient,
        TsDigitalError,
        TsDigitalInvalidResponse,
    )
    from clients.xtra import (
        AsyncXtraClient,
        RecordOutcome,
        XtraClient,
        XtraError,
        XtraInvalidResponse,
        XtraSession,
    )

__all__ = [
    "AsyncKeepItClient",
    "AsyncQuoPartsClient",
    "AsyncTsDigitalClient",
    "AsyncXtraClient",
    "ContractViolation",
    "CustomerResult",
    "HttpOptions",
    "InsertedCustomer",
    "InvalidResponse",
    "KeepItClient",
    "KeepItError",
    "KeepItInvalidResponse",
    "KeepItResult",
    "QuoPartsClient",
    "QuoPartsError",
    "QuoPartsInvalidResponse",
    "RecordMessage",
    "RecordOutcome",
    "TsDigitalClient",
    "TsDigitalError",
    "TsDigitalInvalidResponse",
    "VendorClientError",
    "XtraClient",
    "XtraError",
    "XtraInvalidResponse",
    "XtraSession",
]

_MODULES = {
    "ContractViolation": "clients.base",
    "HttpOptions": "clients.base",
    "InvalidResponse": "clients.base",
    "VendorClientError": "clients.base",
    "AsyncKeepItClient": "clients.keepit",
    "InsertedCustomer": "clients.keepit",
    "KeepItClient": "clients.keepit",
    "KeepItError": "clients.keepit",
    "KeepItInvalidResponse": "clients.keepit",
    "KeepItResult": "clients.keepit",
    "RecordMessage": "clients.keepit",
    "AsyncQuoPartsClient": "clients.quoparts",
    "CustomerResult": "clients.quoparts",
    "QuoPartsClient": "clients.quoparts",
    "QuoPartsError": "clients.quoparts",
    "QuoPartsInvalidResponse": "clients.quoparts",
    "AsyncTsDigitalClient": "clients.tsdigital",
    "TsDigitalClient": "clients.tsdigital",
    "TsDigitalError": "clients.tsdigital",
    "TsDigitalInvalidResponse": "clients.tsdigital",
    "AsyncXtraClient": "clients.xtra",
    "RecordOutcome": "clients.xtra",
    "XtraClient": "clients.xtra",
    "XtraError": "clients.xtra",
    "XtraInvalidResponse": "clients.xtra",
    "XtraSession": "clients.xtra",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'clients' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULES[name]), name)
    globals()[name] = value  # found once: later uses are plain look-ups
    return value
