"""The vendors the kit serves, in the order ``serve`` prints them."""

from __future__ import annotations

from mockservers.core.vendor import Vendor
from mockservers.quoparts import QuoParts
from mockservers.tsdigital import TsDigital

VENDOR_CLASSES: tuple[type[Vendor], ...] = (TsDigital, QuoParts)
