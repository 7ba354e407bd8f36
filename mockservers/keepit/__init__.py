"""4WS.KeepIT (seed 002): Insert/Update customer (``insertClient_v3``) on the ``/api`` path."""

from mockservers.keepit.vendor import KeepIt

__all__ = ["KeepIt"]
