"""QuoParts (seed 003): token login, customer import, quote import on one PHP endpoint."""

from mockservers.quoparts.vendor import QuoParts

__all__ = ["QuoParts"]
