"""The vendors the kit serves, in the order ``serve`` prints them (DESIGN.md's order)."""

from __future__ import annotations

from mockservers.core.vendor import Vendor
from mockservers.keepit import KeepIt
from mockservers.quoparts import QuoParts
from mockservers.tsdigital import TsDigital
from mockservers.xtra import Xtra

VENDOR_CLASSES: tuple[type[Vendor], ...] = (Xtra, TsDigital, KeepIt, QuoParts)
