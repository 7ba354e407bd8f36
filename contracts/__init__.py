"""The kit's single source of truth: JSON Schema (draft 2020-12) files, one per message.

``contract("quoparts/importCli.request")`` returns a compiled, cached :class:`Contract`; every
fake, client and fuzz suite validates through it. ``openapi("quoparts")`` bundles the vendor's
OpenAPI skeleton with the same schema files (never a second copy of a schema);
``openapi(ADMIN)`` does the same for the admin API.
"""

from contracts.loader import (
    ADMIN,
    BASE_URI,
    CONTRACTS_DIR,
    Contract,
    Violation,
    contract,
    documents,
    load_schema,
    reading,
    registry,
    schema_names,
    vendors,
)
from contracts.openapi import openapi

__all__ = [
    "ADMIN",
    "BASE_URI",
    "CONTRACTS_DIR",
    "Contract",
    "Violation",
    "contract",
    "documents",
    "load_schema",
    "openapi",
    "reading",
    "registry",
    "schema_names",
    "vendors",
]
