"""Reference clients for the four vendors, sync and async, over httpx.

Each client's logic is written once as a generator of requests (sans-IO); ``SyncClient`` and
``AsyncClient`` only differ in how they send them.
"""

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
