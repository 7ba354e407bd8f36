"""Reference clients for the four vendors, sync and async, over httpx.

Each client's logic is written once as a generator of requests (sans-IO); ``SyncClient`` and
``AsyncClient`` only differ in how they send them.
"""

from clients.base import ContractViolation, InvalidResponse, VendorClientError
from clients.keepit import (
    AsyncKeepItClient,
    InsertedCustomer,
    KeepItClient,
    KeepItError,
    KeepItResult,
    RecordMessage,
)
from clients.quoparts import (
    AsyncQuoPartsClient,
    CustomerResult,
    QuoPartsClient,
    QuoPartsError,
)
from clients.tsdigital import AsyncTsDigitalClient, TsDigitalClient, TsDigitalError
from clients.xtra import (
    AsyncXtraClient,
    RecordOutcome,
    XtraClient,
    XtraError,
    XtraSession,
)

__all__ = [
    "AsyncKeepItClient",
    "AsyncQuoPartsClient",
    "AsyncTsDigitalClient",
    "AsyncXtraClient",
    "ContractViolation",
    "CustomerResult",
    "InsertedCustomer",
    "InvalidResponse",
    "KeepItClient",
    "KeepItError",
    "KeepItResult",
    "QuoPartsClient",
    "QuoPartsError",
    "RecordMessage",
    "RecordOutcome",
    "TsDigitalClient",
    "TsDigitalError",
    "VendorClientError",
    "XtraClient",
    "XtraError",
    "XtraSession",
]
