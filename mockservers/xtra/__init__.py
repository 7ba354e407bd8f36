"""Art-Soft XTRA/XOX (seed 000): login and irs/update (identities, contact forms) with key pairs
or AccessTokens, per-record outcomes in the Item1..Item6 tuple."""

from mockservers.xtra.vendor import Xtra

__all__ = ["Xtra"]
