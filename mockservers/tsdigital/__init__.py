"""TS Digital (seed 001): registry write API v3, asynchronous item creation."""

from mockservers.tsdigital.vendor import TsDigital

__all__ = ["TsDigital"]
