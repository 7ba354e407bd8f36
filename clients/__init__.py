"""Reference clients for the four vendors, sync and async, over httpx.

Each client's logic is written once as a generator of requests (sans-IO); ``SyncClient`` and
``AsyncClient`` only differ in how they send them.
"""

from clients.base import ContractViolation, InvalidResponse, VendorClientError
from clients.quoparts import (
    AsyncQuoPartsClient,
    CustomerResult,
    QuoPartsClient,
    QuoPartsError,
)
from clients.tsdigital import AsyncTsDigitalClient, TsDigitalClient, TsDigitalError

__all__ = [
    "AsyncQuoPartsClient",
    "AsyncTsDigitalClient",
    "ContractViolation",
    "CustomerResult",
    "InvalidResponse",
    "QuoPartsClient",
    "QuoPartsError",
    "TsDigitalClient",
    "TsDigitalError",
    "VendorClientError",
]
